/**
 * The client's passwords, as its owners and auditors see them (docs/credentials.md): which the
 * agent keeps, who has seen which version and when, and whether it was changed since — never a
 * value. For the client's owners and auditors, each credential's story is read from the log's own
 * entries, each checked in this browser against the signed log; so is the leavers' report: what
 * people who have since left saw and nobody has changed.
 */
import * as api from './api.js';
import {formatTime, h, replace} from './dom.js';
import {checkEvents} from './log-check.js';

const keyOf = (resource, name) => `${resource}\n${name}`;

/** Every event of `kind` (a family if it ends with '.'), oldest first, each checked in the log. */
async function verifiedEvents(context, kind) {
  const {tenant, verified} = context;
  const out = [];
  let below = verified.checkpoint.size;
  for (let page = 0; page < 20 && below !== null; ++page) {
    const params = new URLSearchParams({kind, limit: '500', below: String(below)});
    const reply = await api.get(`/clients/${api.enc(tenant)}/events?${params}`);
    await checkEvents(tenant, verified, reply.events);
    out.push(...reply.events);
    below = reply.next ?? null;
  }
  return out.map((event) => ({index: event.index, ...JSON.parse(event.entry)})).sort((a, b) => a.index - b.index);
}

/**
 * What the log says of each credential and of leavers: {credentials: Map, leavers: Map user -> at,
 * atRisk: [...]}, from verified entries alone.
 */
export function custodyFromLog(entries) {
  const credentials = new Map();
  const leavers = new Map();
  for (const event of entries) {
    if (event.kind === 'staff.offboarded') {
      leavers.set(event.user, event.at);
      continue;
    }
    const key = keyOf(event.resource, event.name);
    if (!credentials.has(key)) {
      credentials.set(key, {resource: event.resource, name: event.name, version: 0, story: [], lastReveal: null});
    }
    const credential = credentials.get(key);
    if (event.kind === 'credential.stored' || event.kind === 'credential.rotated') {
      credential.version = event.version;
      credential.lastReveal = null;
      credential.story.push({at: event.at, text:
        event.kind === 'credential.stored'
          ? `Version ${event.version} stored by ${event.by}.`
          : `Changed by the client's agent: version ${event.version}.`});
    } else if (event.kind === 'credential.revealed') {
      credential.lastReveal = {technician: event.technician, version: event.version, grant: event.grant, at: event.at};
      credential.story.push({at: event.at, text: `Version ${event.version} shown to ${event.technician} (request ${event.grant}).`});
    } else if (event.kind === 'credential.reveal_refused') {
      credential.story.push({at: event.at, text: `Refused to ${event.technician}: ${event.reason}.`});
    } else if (event.kind === 'credential.rotation_failed') {
      credential.story.push({at: event.at, text: `The agent could not change it: ${event.reason}.`});
    }
  }
  const atRisk = [];
  for (const credential of credentials.values()) {
    const seen = credential.lastReveal;
    if (seen && seen.version === credential.version && leavers.has(seen.technician) && leavers.get(seen.technician) >= seen.at) {
      atRisk.push({...credential, leaver: seen.technician, leftAt: leavers.get(seen.technician)});
    }
  }
  return {credentials, leavers, atRisk};
}

function statusOf(credential, zone) {
  const seen = credential.revealed_at
    ? `Shown to ${credential.revealed_to} on ${formatTime(credential.revealed_at, zone)}`
    : '';
  switch (credential.state) {
    case 'rotation due':
      return {tone: 'pending', text: `${seen}; the agent changes it when that access ends.`};
    case 'rotation failed':
      return {tone: 'bad', text: `${seen}. The agent could not change it (${credential.rotation_error}); it tries again.`};
    case 'rotate by hand':
      return {tone: 'bad', text: `${seen}. Nothing changes it by itself: change it, then store the new one.`};
    default:
      if (credential.rotated_at) {
        return {tone: 'ok', text: `Changed by the agent on ${formatTime(credential.rotated_at, zone)} since it was last shown to ${credential.revealed_to || 'someone'}.`};
      }
      if (credential.revealed_at) return {tone: 'ok', text: `Changed since it was last shown (${seen.toLowerCase()}).`};
      return {tone: 'ok', text: 'Never shown to anyone.'};
  }
}

function credentialCard(credential, story, zone) {
  const status = statusOf(credential, zone);
  return h(
    'article',
    {class: 'card credential', 'data-credential': `${credential.resource}/${credential.name}`},
    h('header', {},
      h('h3', {}, `${credential.name} on ${credential.resource}`),
      h('span', {class: `badge ${status.tone}`, 'data-testid': 'credential-state'},
        {ok: 'Safe', pending: 'Will be changed', bad: 'At risk'}[status.tone])),
    credential.username ? h('p', {class: 'small'}, `Account: ${credential.username}`) : null,
    h('p', {}, status.text),
    credential.exclusive ? h('p', {class: 'small'}, 'One person at a time: nobody else sees it until it is changed.') : null,
    story
      ? h('details', {},
        h('summary', {}, 'History, from the log checked in this browser'),
        h('ol', {class: 'story'}, story.map((step) => h('li', {}, `${formatTime(step.at, zone)}: ${step.text}`))))
      : null,
    h('details', {},
      h('summary', {}, 'Technical detail'),
      h('dl', {class: 'small'},
        h('dt', {}, 'Version'), h('dd', {}, String(credential.version)),
        h('dt', {}, 'Changed by'), h('dd', {}, credential.rotate || 'hand (no target)'),
        h('dt', {}, 'Sealed to the agent key'), h('dd', {}, h('code', {}, credential.sealed_to)),
        h('dt', {}, 'Commitment'), h('dd', {}, h('code', {}, credential.commitment)),
        credential.revealed_grant ? [h('dt', {}, 'Last shown under'), h('dd', {}, credential.revealed_grant)] : null)),
  );
}

export async function renderCredentials(container, context) {
  const {tenant, client, session, verified} = context;
  const zone = client.time_zone;
  const {credentials} = await api.get(`/clients/${api.enc(tenant)}/credentials`);
  const reader = (session.role === 'owner' || session.role === 'auditor') && verified.state === 'verified';
  let custody = null;
  if (reader) {
    const [credentialEvents, leaverEvents] = await Promise.all([
      verifiedEvents(context, 'credential.'),
      verifiedEvents(context, 'staff.offboarded'),
    ]);
    custody = custodyFromLog([...credentialEvents, ...leaverEvents].sort((a, b) => a.index - b.index));
  }
  const intro = h('p', {},
    `${client.name}'s agent keeps these passwords sealed to its own key: the provider's server holds them but cannot read them. ` +
    'A technician sees one only under access that was approved, and the agent changes it when that access ends.');
  const leavers = custody
    ? h('section', {class: 'card', 'aria-labelledby': 'leavers-title', 'data-testid': 'leavers'},
      h('h2', {id: 'leavers-title'}, 'Seen by people who have left'),
      custody.atRisk.length === 0
        ? h('p', {}, 'Nobody who has left the provider saw a password that is still in use.')
        : h('ul', {}, custody.atRisk.map((risk) =>
          h('li', {'data-testid': 'at-risk'},
            `${risk.name} on ${risk.resource}: version ${risk.version} was shown to ${risk.leaver}, who left on ` +
            `${formatTime(risk.leftAt, zone)}, and has not been changed since.`))),
      h('p', {class: 'muted small'}, 'Worked out in this browser from the log’s own entries, each checked against the signed log.'))
    : null;
  replace(
    container,
    h('h2', {}, 'Passwords'),
    intro,
    leavers,
    credentials.length === 0
      ? h('p', {class: 'muted'}, 'No password is stored yet.')
      : h('div', {class: 'credentials', 'data-ready': 'true'}, credentials.map((credential) =>
        credentialCard(credential, custody?.credentials.get(keyOf(credential.resource, credential.name))?.story, zone))),
  );
  container.dataset.ready = 'true';
}
