/**
 * The client's trust chain on its dashboard, as this browser checked it (trust-check.js): in plain
 * words first ("2 owners, 3 devices; a change needs 1 signature; agent confirmed on 3 March"), the
 * key IDs and the head on demand; and the alarm, on every page of the client, while a use of the
 * recovery key waits for an owner's acknowledgement.
 */
import * as api from './api.js';
import {announce, formatTime, h} from './dom.js';
import {clearRecoveryAlarm, showRecoveryAlarm} from './alarm.js';
import {bytesToHex} from './tlog.js';
import {keyIdOf} from './trust.js';

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function day(unixSeconds, timeZone) {
  return new Date(Number(unixSeconds) * 1000).toLocaleDateString(undefined, {
    timeZone: timeZone || undefined,
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  });
}

export function deviceCount(state) {
  let count = 0;
  for (const devices of state.owners.values()) count += devices.size;
  return count;
}

/** "2 owners, 3 devices; a change needs 1 signature; agent confirmed on 3 March 2026." */
export function chainSentence(state, timeZone) {
  return (
    `${plural(state.owners.size, 'owner')}, ${plural(deviceCount(state), 'device')}; ` +
    `a change needs ${plural(state.threshold, 'signature')}; ` +
    (state.agent ? `agent confirmed on ${day(state.agent.confirmedAt, timeZone)}.` : 'no agent confirmed yet.')
  );
}

function details(trust, client) {
  const {state} = trust.chain;
  const zone = client.time_zone;
  return h(
    'details',
    {class: 'trust-details'},
    h('summary', {}, 'Technical detail'),
    h(
      'dl',
      {class: 'facts'},
      h('dt', {}, 'Statements'),
      h('dd', {}, `${state.size.toLocaleString()}${trust.grewFrom !== null ? ` (${trust.grewFrom} at your last visit)` : ''}`),
      h('dt', {}, 'Head'),
      h('dd', {}, h('code', {class: 'wrap'}, bytesToHex(state.head))),
      h('dt', {}, 'Owners'),
      h(
        'dd',
        {},
        h(
          'ul',
          {class: 'plain'},
          [...state.owners].map(([owner, devices]) =>
            h(
              'li',
              {},
              h('strong', {}, owner),
              ': ',
              [...devices.values()].map((device, i) => [
                i ? ', ' : '',
                `${device.name || 'device'} (`,
                h('code', {}, device.keyId),
                `, added ${day(device.addedAt, zone)})`,
              ]),
            ),
          ),
        ),
      ),
      h('dt', {}, 'Recovery key'),
      h('dd', {}, h('code', {}, keyIdOf(state.recoveryKey))),
      state.agent
        ? [
            h('dt', {}, 'Agent'),
            h('dd', {}, `${state.agent.name}: witness key `, h('code', {class: 'wrap'}, state.agent.witnessKey)),
          ]
        : null,
      h('dt', {}, 'Policy'),
      h('dd', {}, state.policy ? 'signed by the owners' : 'none signed yet'),
      h('dt', {}, 'Resources signed'),
      h('dd', {}, String(state.resources.size)),
    ),
    h('p', {class: 'muted small'}, `Checked in this browser in ${Math.round(trust.millis)} ms.`),
  );
}

/** The section under the log's status: what the chain says, or that there is none yet. */
export function trustStatus(trust, client) {
  if (trust.state === 'alarm') {
    return h(
      'section',
      {class: 'log-status bad', 'aria-label': 'Trust chain', 'data-testid': 'trust-status'},
      h('span', {class: 'badge bad'}, '✗ Trust chain not verified'),
      ' ',
      trust.error.message,
    );
  }
  if (trust.chain.state.size === 0) {
    return h(
      'section',
      {class: 'log-status pending', 'aria-label': 'Trust chain', 'data-testid': 'trust-status'},
      h('span', {class: 'badge'}, 'No trust chain'),
      " The server says who the owners are and which keys approve for them. An owner starts the chain on ",
      h('a', {href: `#/c/${client.tenant}/people`}, 'People & agent'),
      ' (or with ',
      h('code', {}, 'quartet trust init'),
      ').',
    );
  }
  return h(
    'section',
    {class: 'log-status ok', 'aria-label': 'Trust chain', 'data-testid': 'trust-status'},
    h('span', {class: 'badge ok'}, '✓ Who approves, checked in this browser'),
    ' ',
    h('span', {'data-testid': 'trust-sentence'}, chainSentence(trust.chain.state, client.time_zone)),
    details(trust, client),
  );
}

/** Shows the recovery alarm while the last use of the recovery key is not acknowledged. */
export function raiseRecoveryAlarm(trust, context) {
  clearRecoveryAlarm();
  if (trust.state !== 'verified') return;
  const {state} = trust.chain;
  const seq = state.recoveredSeq;
  if (seq < 0 || trust.acknowledgements.some((a) => a.seq === seq)) return;
  const [owner, devices] = [...state.owners].find(([, list]) => list.size > 0) ?? ['?', new Map()];
  const device = [...devices.values()][0];
  const acknowledge = async () => {
    await api.post(`/clients/${api.enc(context.tenant)}/trust/recovery-acknowledgements`, {seq});
    announce('The use of the recovery key is acknowledged.');
    context.refresh();
  };
  showRecoveryAlarm(
    `On ${formatTime(Number(state.recoveredAt), context.client.time_zone)} the recovery key replaced every ` +
      `device that approves for ${context.client.name} with one new device of ${owner}` +
      `${device ? ` (“${device.name || 'device'}”, key ${device.keyId})` : ''}.`,
    context.session.role === 'owner' && context.session.client === context.tenant
      ? h('button', {class: 'primary', type: 'button', onclick: acknowledge}, 'Acknowledge: one of us did this')
      : h('p', {class: 'muted'}, 'An owner of the client acknowledges it.'),
  );
}
