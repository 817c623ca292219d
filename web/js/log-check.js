/**
 * Checks a client's log in the browser, trusting neither the server nor the network: the
 * checkpoint's signature by the log's key and cosignature by the client's agent (WebCrypto
 * Ed25519), consistency with the last checkpoint this browser verified (a rewritten or forked
 * history cannot be consistent with it), and the inclusion of each event shown on the page.
 *
 * The log's keys are pinned on first sight: a later change of key, or a log that drops its agent's
 * cosignature, is treated like a forged history. An alarm is remembered, so that it stays on the
 * page on every later visit from this browser.
 */
import {
  TileLog,
  base64ToBytes,
  bytesToBase64,
  equalBytes,
  leafHash,
  verifyCheckpoint,
  verifyConsistency,
  verifyInclusion,
} from './tlog.js';
import {getLogState, putLogState} from './store.js';

export class LogAlarm extends Error {
  constructor(message) {
    super(message);
    this.name = 'LogAlarm';
  }
}

/** Remembers the alarm in this browser's record of the log, then throws it. */
async function raiseAlarm(tenant, pinned, message) {
  await putLogState({...(pinned ?? {}), tenant, alarm: message, alarmAt: Date.now()});
  throw new LogAlarm(message);
}

async function fetchBytes(url) {
  const response = await fetch(url, {credentials: 'same-origin'});
  if (!response.ok) throw new Error(`${url}: the server answered ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Verifies the client's current checkpoint. `log` is the `log` object of GET /api/v1/clients/{c}.
 * Returns {state: 'verified'|'waiting', checkpoint, tiles, grewFrom, millis}; throws LogAlarm.
 */
export async function checkLog(tenant, log) {
  const started = performance.now();
  // The checkpoint is fetched while this browser's record is read; neither waits for the other.
  const checkpointReply = fetch(`${log.url}/checkpoint`, {cache: 'no-store'});
  const pinned = await getLogState(tenant);
  if (pinned?.alarm) throw new LogAlarm(pinned.alarm);
  const raise = (message) => raiseAlarm(tenant, pinned, message);
  if (pinned && pinned.verifierKey !== log.verifier_key) {
    await raise(`The log's signing key changed from the one this browser first saw (${pinned.verifierKey}).`);
  }
  // Another witness key than the one this browser saw is judged with the trust chain
  // (settleWitness): the owners may have replaced their agent.
  const witnessChanged = Boolean(pinned?.witnessKey && pinned.witnessKey !== log.witness_key);
  const response = await checkpointReply;
  if (response.status === 404 && log.witness_key) {
    return {state: 'waiting', millis: performance.now() - started};
  }
  if (!response.ok) throw new Error(`the checkpoint: the server answered ${response.status}`);
  const note = await response.text();
  let checkpoint;
  try {
    checkpoint = await verifyCheckpoint(note, log.verifier_key, log.witness_key ? [log.witness_key] : []);
  } catch (error) {
    // Just after the owners replaced their agent, the latest checkpoint is still the old agent's
    // until the new one cosigns a larger one: waiting, if the chain confirms the change.
    if (witnessChanged && (await verifyCheckpoint(note, log.verifier_key, [pinned.witnessKey]).then(() => true, () => false))) {
      return {state: 'waiting', witnessChanged, millis: performance.now() - started};
    }
    await raise(`The log's checkpoint does not verify: ${error.message}`);
  }
  const tiles = new TileLog((path) => fetchBytes(`${log.url}/${path}`), checkpoint.size);
  let grewFrom = null;
  if (pinned?.size !== undefined) {
    const oldRoot = base64ToBytes(pinned.root);
    if (checkpoint.size < pinned.size) {
      await raise(
        `The log was rolled back: this browser verified ${pinned.size} entries, the server now shows ${checkpoint.size}.`,
      );
    }
    if (checkpoint.size === pinned.size && !equalBytes(oldRoot, checkpoint.root)) {
      await raise(`The log was rewritten: the same ${pinned.size} entries now have a different root hash.`);
    }
    if (checkpoint.size > pinned.size) {
      try {
        const proof = await tiles.consistencyProof(pinned.size);
        await verifyConsistency(pinned.size, checkpoint.size, proof, oldRoot, checkpoint.root);
      } catch (error) {
        await raise(
          `The log's history was rewritten: the checkpoint of ${checkpoint.size} entries does not extend the one of ` +
            `${pinned.size} this browser verified (${error.message}).`,
        );
      }
      grewFrom = pinned.size;
    }
  }
  await putLogState({
    tenant,
    verifierKey: log.verifier_key,
    witnessKey: witnessChanged ? pinned.witnessKey : log.witness_key || pinned?.witnessKey || '',
    size: checkpoint.size,
    root: bytesToBase64(checkpoint.root),
    verifiedAt: Date.now(),
  });
  return {state: 'verified', checkpoint, tiles, grewFrom, witnessChanged, millis: performance.now() - started};
}

/**
 * The log's witness, judged with the client's trust chain as this browser replayed it (`agentKey`:
 * the witness key of the agent the chain confirms, or null): under a chain, the checkpoints must be
 * cosigned by that agent, whatever the server says; a change of witness this browser saw is
 * accepted only when the chain confirms the new agent (the owners replaced theirs). Throws
 * LogAlarm otherwise.
 */
export async function settleWitness(tenant, log, result, agentKey) {
  if (result?.state !== 'verified' && result?.state !== 'waiting') return;
  const pinned = await getLogState(tenant);
  const raise = (message) => raiseAlarm(tenant, pinned, message);
  if (agentKey && log.witness_key !== agentKey) {
    await raise(
      "The log's checkpoints are cosigned by an agent the client's trust chain does not confirm: the server " +
        'presents another agent in the place of the one your owners confirmed.',
    );
  }
  if (!result.witnessChanged) return;
  if (!agentKey || log.witness_key !== agentKey) {
    await raise("The server no longer presents the checkpoints of the client's own agent.");
  }
  // Taken as this browser's witness once a checkpoint verified with its cosignature.
  if (result.state === 'verified') await putLogState({...pinned, witnessKey: log.witness_key});
}

/**
 * Checks that each event ({index, entry}) is in the verified tree: hashes the entry's bytes and
 * checks its inclusion proof, built from tiles, against the checkpoint's root. Raises the alarm on
 * the first that is not.
 */
export async function checkEvents(tenant, verified, events) {
  const encoder = new TextEncoder();
  // All at once: WebCrypto hashes concurrently, and the tiles are fetched once for all.
  const checks = events.map(async (event) => {
    try {
      const [proof, leaf] = await Promise.all([
        verified.tiles.inclusionProof(event.index),
        leafHash(encoder.encode(event.entry)),
      ]);
      await verifyInclusion(event.index, verified.checkpoint.size, leaf, proof, verified.checkpoint.root);
      event.verified = true;
    } catch (error) {
      throw new Error(`Event ${event.index} shown by the server is not the one in the signed log (${error.message}).`);
    }
  });
  const failed = (await Promise.allSettled(checks)).find((result) => result.status === 'rejected');
  if (failed) await raiseAlarm(tenant, await getLogState(tenant), failed.reason.message);
}
