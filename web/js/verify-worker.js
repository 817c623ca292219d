/**
 * A worker of the page's Ed25519 verifier pool (verify-pool.js): verifies a batch of signatures
 * with WebCrypto and answers with a boolean each, in order. Keys are imported once per worker.
 * Each request: {id, items: [{key (32 bytes), signature (64 bytes), message}]}.
 */
const keys = new Map();

function importKey(raw) {
  let id = '';
  for (const byte of raw) id += byte.toString(16).padStart(2, '0');
  let key = keys.get(id);
  if (!key) {
    key = crypto.subtle.importKey('raw', raw, {name: 'Ed25519'}, false, ['verify']);
    keys.set(id, key);
  }
  return key;
}

async function verify({key, signature, message}) {
  try {
    return await crypto.subtle.verify({name: 'Ed25519'}, await importKey(key), signature, message);
  } catch {
    return false;
  }
}

self.onmessage = async ({data}) => {
  const results = await Promise.all(data.items.map(verify));
  self.postMessage({id: data.id, results});
};
