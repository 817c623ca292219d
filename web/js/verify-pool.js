/**
 * Ed25519 verification spread over the machine's cores: a replay of a long trust chain checks a
 * signature per statement, and WebCrypto checks the signatures one page's thread asks for one
 * after another, about 60 µs each. A pool of workers (verify-worker.js, one per core up to four,
 * made on first use) checks batches side by side, while the page reads on; where workers cannot
 * be made (a single core, Node), the page's own WebCrypto checks them. The result is WebCrypto's
 * either way: the pool changes where the check runs, not what it decides.
 */
const BATCH = 16;

let pool = null; // {workers, next, waiting: Map(id -> resolve per item), queue, nextId}

function makePool() {
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  if (typeof Worker === 'undefined' || cores < 2) return null;
  try {
    const url = new URL('./verify-worker.js', import.meta.url);
    const workers = Array.from({length: Math.min(cores, 4)}, () => new Worker(url));
    const state = {workers, next: 0, waiting: new Map(), queue: [], nextId: 0, scheduled: false};
    for (const worker of workers) {
      worker.onmessage = ({data}) => {
        const batch = state.waiting.get(data.id);
        state.waiting.delete(data.id);
        data.results.forEach((ok, k) => batch[k].resolve(ok));
      };
      worker.onerror = () => {
        // A worker that fails (blocked by the page's policy, say): the page checks everything
        // waiting, and all that follows, itself.
        state.broken = true;
        for (const batch of state.waiting.values()) {
          for (const item of batch) verifyHere(item.key, item.signature, item.message, item.importKey).then(item.resolve);
        }
        state.waiting.clear();
      };
    }
    return state;
  } catch {
    return null;
  }
}

function flush(state) {
  state.scheduled = false;
  while (state.queue.length > 0) {
    const batch = state.queue.splice(0, BATCH);
    const id = state.nextId++;
    state.waiting.set(id, batch);
    const worker = state.workers[state.next];
    state.next = (state.next + 1) % state.workers.length;
    worker.postMessage({id, items: batch.map(({key, signature, message}) => ({key, signature, message}))});
  }
}

async function verifyHere(key, signature, message, importKey) {
  try {
    return await crypto.subtle.verify({name: 'Ed25519'}, await importKey(key), signature, message);
  } catch {
    return false;
  }
}

/**
 * Whether `signature` is `key`'s (32 raw bytes) Ed25519 signature of `message`, by WebCrypto.
 * `importKey` imports a raw key on this thread, for when no worker checks it.
 */
export function verifyEd25519(key, signature, message, importKey) {
  if (pool === null) pool = makePool() ?? false;
  if (!pool || pool.broken) return verifyHere(key, signature, message, importKey);
  const state = pool;
  return new Promise((resolve) => {
    state.queue.push({key, signature, message, importKey, resolve});
    // A full batch leaves at once, so that the workers start while the page reads on.
    if (state.queue.length >= BATCH) flush(state);
    else if (!state.scheduled) {
      state.scheduled = true;
      queueMicrotask(() => flush(state));
    }
  });
}

/** Makes the pool now, so that its workers have started by the time a replay needs them. */
export function warmUp() {
  if (pool === null) pool = makePool() ?? false;
}
