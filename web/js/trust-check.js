/**
 * Checks a client's trust chain in the browser, trusting neither the server nor the network: every
 * statement replayed and its signatures checked (trust.js), and the chain compared with the one
 * this browser checked on its last visit, whose size and head it keeps (IndexedDB). A chain with
 * fewer statements, or other statements where the old ones were — a server that dropped an owner's
 * removal of a device, say, or that shows a history a removed device wrote — raises the alarm,
 * remembered so that it stays on every later visit from this browser, like the log's.
 */
import {TrustChain, TrustChainError, headAfter} from './trust.js';
import {bytesToHex} from './tlog.js';
import {getTrustState, putTrustState} from './store.js';

export class TrustAlarm extends Error {
  constructor(message) {
    super(message);
    this.name = 'TrustAlarm';
  }
}

async function raiseAlarm(tenant, pinned, message) {
  await putTrustState({...(pinned ?? {}), tenant, alarm: message, alarmAt: Date.now()});
  throw new TrustAlarm(message);
}

/**
 * Checks `reply` (GET /api/v1/clients/{tenant}/trust). Returns {chain (TrustChain), statements,
 * acknowledgements, grewFrom (the size checked before, or null), millis}; throws TrustAlarm.
 */
export async function checkTrust(tenant, reply) {
  const started = performance.now();
  const pinned = await getTrustState(tenant);
  if (pinned?.alarm) throw new TrustAlarm(pinned.alarm);
  const raise = (message) => raiseAlarm(tenant, pinned, message);
  const {statements} = reply;
  if (!Array.isArray(statements) || !statements.every((s) => typeof s === 'string')) {
    await raise("The server's answer for the client's trust chain is malformed.");
  }
  let verified = null;
  if (pinned?.size) {
    if (statements.length < pinned.size) {
      await raise(
        `The client's trust chain lost statements: this browser checked ${pinned.size}, the server now shows ` +
          `${statements.length}. A removal of an owner or a device may have been hidden.`,
      );
    }
    if ((await headAfter(statements[pinned.size - 1])) !== pinned.head) {
      await raise(
        `The client's trust chain was rewritten: its first ${pinned.size} statements are not the ones this browser ` +
          'checked before.',
      );
    }
    verified = {size: pinned.size, head: pinned.head};
  }
  let chain;
  try {
    chain = await TrustChain.replay(tenant, statements, verified);
  } catch (error) {
    if (!(error instanceof TrustChainError)) throw error;
    await raise(`The client's trust chain does not check: ${error.message}.`);
  }
  const {size, head} = chain.state;
  await putTrustState({tenant, size, head: size ? bytesToHex(head) : '', verifiedAt: Date.now()});
  return {
    chain,
    statements,
    acknowledgements: Array.isArray(reply.recovery_acknowledgements) ? reply.recovery_acknowledgements : [],
    pending: Array.isArray(reply.pending) ? reply.pending : [],
    grewFrom: pinned?.size && pinned.size < size ? pinned.size : null,
    millis: performance.now() - started,
  };
}
