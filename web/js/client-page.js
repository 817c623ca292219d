/**
 * A client's dashboard: the log's verification and the trust chain's first (everything below is
 * only as good as they are), then the tab asked for. Owners decide; client staff and auditors read;
 * provider admins and the technicians who serve the client see what they may.
 */
import {warmUp} from './verify-pool.js';
import * as api from './api.js';
import {formatTime, h, replace} from './dom.js';
import {LogAlarm, checkLog, settleWitness} from './log-check.js';
import {renderApprovals} from './owner.js';
import {renderTimeline} from './timeline.js';
import {renderInsights} from './insights.js';
import {renderPolicy} from './policy.js';
import {renderPeople} from './people.js';
import {renderCredentials} from './credentials.js';
import {showAlarm, showTrustAlarm} from './alarm.js';
import {TrustAlarm, checkTrust} from './trust-check.js';
import {raiseRecoveryAlarm, trustStatus} from './trust-view.js';

const tabs = [
  ['approvals', 'Requests & access'],
  ['timeline', 'Timeline'],
  ['insights', 'Insights'],
  ['policy', 'Policy'],
  ['credentials', 'Passwords'],
  ['people', 'People & agent'],
];

function statusCard(client, verified) {
  if (verified.state === 'private') {
    return h(
      'section',
      {class: 'log-status pending', 'aria-label': 'Log verification', 'data-testid': 'log-private'},
      h('span', {class: 'badge'}, 'The client’s log'),
      ` ${client.name}'s log is read by its owners, auditors and agent, who check it in their own browsers.`,
    );
  }
  if (verified.state === 'waiting') {
    return h(
      'section',
      {class: 'log-status pending', 'aria-label': 'Log verification'},
      h('span', {class: 'badge'}, 'Waiting'),
      " The client's agent has not cosigned a checkpoint of this log yet.",
    );
  }
  const {checkpoint} = verified;
  return h(
    'section',
    {class: 'log-status ok', 'aria-label': 'Log verification', 'data-testid': 'log-status', 'data-millis': verified.millis},
    h('span', {class: 'badge ok'}, '✓ Verified in this browser'),
    h(
      'span',
      {},
      ` ${checkpoint.size.toLocaleString()} entries, signed by the log's key`,
      client.log.witness_key
        ? ` and cosigned by the client's agent${checkpoint.cosignedAt ? ` at ${formatTime(checkpoint.cosignedAt, client.time_zone)}` : ''}`
        : ' (no agent enrolled yet)',
      verified.grewFrom !== null
        ? `; consistent with your last visit (${verified.grewFrom.toLocaleString()} entries).`
        : '.',
    ),
    h('small', {class: 'muted'}, ` Checked in ${Math.round(verified.millis)} ms.`),
  );
}

/** The client's trust chain, checked here: {state: 'verified', chain, …} or {state: 'alarm', error}. */
async function trustOf(tenant, reply) {
  try {
    return {state: 'verified', ...(await checkTrust(tenant, await reply))};
  } catch (error) {
    if (!(error instanceof TrustAlarm)) throw error;
    showTrustAlarm(error.message);
    return {state: 'alarm', error};
  }
}

export async function renderClient(container, session, tenant, tab) {
  warmUp(); // the verifier pool's workers start while the chain is fetched
  // The chain is fetched while the client is: the two checks below then run side by side.
  const trustReply = api.get(`/clients/${api.enc(tenant)}/trust`);
  trustReply.catch(() => {}); // a failure surfaces where the answer is taken
  const client = await api.get(`/clients/${api.enc(tenant)}`);
  const heading = h('h1', {}, client.name);
  const status = h('div', {}, h('section', {class: 'log-status'}, 'Checking the log in this browser…'));
  const trustSlot = h('div', {class: 'trust-slot'}, h('section', {class: 'log-status'}, 'Checking who approves, in this browser…'));
  const body = h('div', {class: 'tab-body'});
  const tabList = h(
    'nav',
    {class: 'tabs', 'aria-label': `${client.name} sections`},
    tabs.map(([id, label]) =>
      h('a', {href: `#/c/${tenant}/${id}`, 'aria-current': id === tab ? 'page' : null}, label),
    ),
  );
  replace(container, heading, status, trustSlot, tabList, body);
  // A log is its client's owners' and auditors' to read (docs/log-format.md); everyone else sees
  // what the API shows them.
  const reader = session.role === 'owner' || session.role === 'auditor';
  const checkedLog = (async () => {
    if (!reader) {
      const result = {state: 'private'};
      replace(status, statusCard(client, result));
      return result;
    }
    try {
      // Every view checks afresh: the log may have grown since the last one, and the check is cheap.
      const result = await checkLog(tenant, client.log);
      replace(status, statusCard(client, result));
      return result;
    } catch (error) {
      if (!(error instanceof LogAlarm)) throw error;
      showAlarm(error.message);
      replace(status, h('section', {class: 'log-status bad'}, h('span', {class: 'badge bad'}, '✗ Not verified'), ' ', error.message));
      return {state: 'alarm', error};
    }
  })();
  let [verified, trust] = await Promise.all([checkedLog, trustOf(tenant, trustReply)]);
  try {
    await settleWitness(tenant, client.log, verified, trust.state === 'verified' ? trust.chain.state.agent?.witnessKey : null);
  } catch (error) {
    if (!(error instanceof LogAlarm)) throw error;
    showAlarm(error.message);
    replace(status, h('section', {class: 'log-status bad'}, h('span', {class: 'badge bad'}, '✗ Not verified'), ' ', error.message));
    verified = {state: 'alarm', error};
  }
  replace(trustSlot, trustStatus(trust, client));
  const context = {session, tenant, client, verified, trust, refresh: () => renderClient(container, session, tenant, tab)};
  raiseRecoveryAlarm(trust, context);
  switch (tab) {
    case 'timeline':
      return renderTimeline(body, context);
    case 'insights':
      return renderInsights(body, context);
    case 'policy':
      return renderPolicy(body, context);
    case 'people':
      return renderPeople(body, context);
    case 'credentials':
      return renderCredentials(body, context);
    default:
      return renderApprovals(body, context);
  }
}
