/**
 * Every event of the client's log, newest first, with filters and search. Each event shown was
 * checked on this page: its bytes hashed and its inclusion proof verified against the checkpoint
 * verified above, so the server cannot show an event the log does not hold, or alter one.
 */
import * as api from './api.js';
import {formatDuration, formatTime, h, replace} from './dom.js';
import {checkEvents, LogAlarm} from './log-check.js';
import {showAlarm} from './alarm.js';
import {actionLabel, labelsOf, labelLabel} from './vocab.js';

const pageSize = 50;

const trustKindText = {
  genesis: 'started the trust chain',
  'device.added': 'a device was added',
  'device.removed': 'a device was removed',
  'owner.added': 'an owner was added',
  'owner.removed': 'an owner was removed',
  'threshold.set': 'the number of signatures a change needs was set',
  'agent.confirmed': "the client's agent was confirmed",
  'policy.signed': 'a policy was signed',
  'resource.signed': 'a resource was signed',
  recovered: 'THE RECOVERY KEY REPLACED EVERY DEVICE',
};

/** What a statement of the trust chain did; the dashboard's own check of it is the chain's. */
function trustStatementText(event) {
  return `Trust chain, statement ${event.seq}: ${trustKindText[event.statement_kind] ?? event.statement_kind} (signed by the owners' keys; relayed by ${event.by}).`;
}

/** One sentence for an event, from the entry itself. */
export function describe(event) {
  const request = event.kind === 'grant.requested' ? JSON.parse(event.request) : null;
  switch (event.kind) {
    case 'grant.requested': {
      const labels = labelsOf(request.labels).map(labelLabel);
      return (
        `${request.technician} asked to ${actionLabel(request.action)} on ${request.resource}` +
        `${request.login ? ` as ${request.login}` : ''} for ${formatDuration(request.duration_seconds)}` +
        `${labels.length ? ` (${labels.join(', ')} data)` : ''}: “${request.reason}”` +
        `${request.ticket ? ` — ${request.ticket}` : ''}${request.breakglass ? ' — BREAK-GLASS' : ''}`
      );
    }
    case 'grant.decided':
      if (event.decision === 'approve') return `The policy approved it (${event.rule}).`;
      if (event.decision === 'deny') return `The policy refused it (${event.rule}).`;
      if (event.decision === 'breakglass') return 'Break-glass: opened at once, owners told.';
      return `The policy asked the owners (${event.rule}).`;
    case 'grant.approved':
      return `${event.owner} approved${event.comment ? `: “${event.comment}”` : ''} (signed, key ${event.key_id}).`;
    case 'grant.denied':
      return `${event.owner} denied${event.comment ? `: “${event.comment}”` : ''} (signed, key ${event.key_id}).`;
    case 'grant.activated':
      return `Access open until ${new Date(event.window_end * 1000).toLocaleString()}.`;
    case 'grant.ended':
      return `Ended early by ${event.by}.`;
    case 'grant.revoked':
      return `Revoked by ${event.by}${event.reason ? `: “${event.reason}”` : ''}.`;
    case 'grant.expired':
      return 'Expired: nobody answered in time.';
    case 'breakglass.reviewed':
      return `${event.owner} ${event.verdict} the break-glass access${event.comment ? `: “${event.comment}”` : ''}.`;
    case 'client.created':
      return `Client created (${event.time_zone}) by ${event.by}.`;
    case 'policy.changed':
      return `The policy was changed by ${event.by}.`;
    case 'policy.proposed':
      return `${event.by} proposed a policy change${event.note ? `: “${event.note}”` : ''}.`;
    case 'person.added':
      return `${event.user} was added as ${event.role} by ${event.by}.`;
    case 'resource.added':
      return `Resource ${event.resource} (${event.resource_kind}) added by ${event.by}.`;
    case 'relationship.added':
      return `${event.technician} now serves this client (added by ${event.by}).`;
    case 'owner.key_registered':
      return `${event.owner} registered a signing key (${event.key_id}).`;
    case 'staff.offboarded':
      return `${event.user} left the provider; their access ended (${event.by}).`;
    case 'agent.invited':
      return `${event.by} created a one-time code to enrol the client's agent.`;
    case 'team.related':
      return `Team ${event.team} (${(event.members ?? []).join(', ')}) now serves this client (added by ${event.by}).`;
    case 'agent.enrolled':
      return `The client's agent “${event.name ?? ''}” was enrolled.`;
    case 'agent.alarm':
      return `ALARM from the client's agent (${event.alarm}): ${event.detail ?? ''}`;
    case 'certificate.issued':
      return `The agent issued an SSH certificate to ${event.technician} for ${(event.principals ?? []).join(', ')} (serial ${event.serial}).`;
    case 'trust.statement':
      return trustStatementText(event);
    case 'trust.link_offered':
      return `${event.by} offered a new device (key ${event.key_id}${event.device_name ? `, “${event.device_name}”` : ''}) for one of their devices to approve.`;
    case 'trust.link_claimed':
      return `${event.by} fetched the offer of device ${event.key_id} to approve it.`;
    case 'trust.recovery_acknowledged':
      return `${event.by} acknowledged the use of the recovery key (statement ${event.seq}).`;
    case 'certificate.refused':
      return `The agent refused ${event.technician} a certificate: ${event.reason}`;
    default:
      return event.kind ?? 'An entry';
  }
}

function kindClass(kind = '') {
  if (kind === 'grant.denied' || kind === 'grant.revoked' || kind === 'agent.alarm') return 'bad';
  if (kind === 'grant.approved' || kind === 'grant.activated') return 'ok';
  return '';
}

function eventItem(item, context) {
  let event;
  try {
    event = JSON.parse(item.entry);
  } catch {
    event = {};
  }
  const grant = event.grant ? h('span', {class: 'muted small'}, ` ${event.grant}`) : null;
  return h(
    'li',
    {class: `event ${kindClass(event.kind)}`, 'data-index': item.index},
    h('time', {datetime: new Date((event.at ?? 0) * 1000).toISOString()}, formatTime(event.at ?? 0, context.client.time_zone)),
    h('span', {class: 'kind'}, event.kind ?? 'entry'),
    h('p', {}, describe(event), grant),
    h(
      'span',
      {class: 'proof', title: `Entry ${item.index}: its inclusion proof was checked against the verified checkpoint in this browser.`},
      `✓ entry ${item.index.toLocaleString()} checked`,
    ),
    h('details', {}, h('summary', {}, 'Entry as logged'), h('pre', {}, JSON.stringify(event, null, 2))),
  );
}

function select(id, label, values, all) {
  return [
    h('label', {for: id}, label),
    h('select', {id, name: id}, h('option', {value: ''}, all), values.map((v) => h('option', {value: v}, v))),
  ];
}

export async function renderTimeline(container, context) {
  const {verified, tenant} = context;
  if (verified.state !== 'verified') {
    replace(container, h('p', {class: 'muted'}, verified.state === 'private'
      ? "The timeline is the client's log, for its owners and auditors to read."
      : 'The timeline is shown once the log verifies.'));
    return;
  }
  // The filters' choices arrive while the first page loads.
  const facetsReply = api.get(`/clients/${api.enc(tenant)}/event-facets`);
  const facets = {technicians: [], resources: [], kinds: []};
  const families = ['grant.', 'policy.', 'person.', 'agent.', 'certificate.'];
  const form = h(
    'form',
    {class: 'filters', role: 'search', 'aria-label': 'Filter the timeline'},
    h('div', {}, select('technician', 'Technician', facets.technicians, 'Anyone')),
    h('div', {}, select('resource', 'Resource', facets.resources, 'Any resource')),
    h('div', {}, select('kind', 'Kind', [...families, ...facets.kinds], 'Any kind')),
    h('div', {}, h('label', {for: 'from'}, 'From'), h('input', {id: 'from', name: 'from', type: 'date'})),
    h('div', {}, h('label', {for: 'to'}, 'To'), h('input', {id: 'to', name: 'to', type: 'date'})),
    h('div', {class: 'grow'}, h('label', {for: 'q'}, 'Search'),
      h('input', {id: 'q', name: 'q', type: 'search', placeholder: 'reason, ticket, account…'})),
  );
  const list = h('ol', {class: 'timeline', 'aria-live': 'polite'});
  const more = h('button', {type: 'button', class: 'secondary', hidden: true}, 'Show older events');
  const summary = h('p', {class: 'muted small'});
  replace(container, form, summary, list, more);

  let next = null;
  let generation = 0;
  const query = () => {
    const data = new FormData(form);
    const params = new URLSearchParams({limit: String(pageSize)});
    for (const key of ['technician', 'resource', 'kind', 'q']) if (data.get(key)) params.set(key, data.get(key));
    if (data.get('from')) params.set('from', String(Date.parse(data.get('from')) / 1000));
    if (data.get('to')) params.set('to', String(Date.parse(data.get('to')) / 1000 + 86400));
    return params;
  };
  const load = async (reset) => {
    const mine = ++generation;
    const params = query();
    params.set('below', String(reset ? verified.checkpoint.size : next));
    const started = performance.now();
    const reply = await api.get(`/clients/${api.enc(tenant)}/events?${params}`);
    try {
      await checkEvents(tenant, verified, reply.events);
    } catch (error) {
      if (error instanceof LogAlarm) showAlarm(error.message);
      throw error;
    }
    if (mine !== generation) return;
    if (reset) list.replaceChildren();
    list.append(...reply.events.map((item) => eventItem(item, context)));
    next = reply.next ?? null;
    more.hidden = next === null;
    summary.textContent =
      `${list.children.length} event${list.children.length === 1 ? '' : 's'} shown, each checked against the ` +
      `signed log in this browser (${Math.round(performance.now() - started)} ms).`;
    summary.dataset.millis = String(performance.now() - started);
    container.dataset.ready = 'true';
  };
  let typing;
  form.addEventListener('input', (event) => {
    clearTimeout(typing);
    typing = setTimeout(() => load(true), event.target.name === 'q' ? 250 : 0);
  });
  form.addEventListener('submit', (event) => event.preventDefault());
  more.addEventListener('click', () => load(false));
  const fillChoices = facetsReply.then((reply) => {
    for (const [id, values] of [['technician', reply.technicians], ['resource', reply.resources], ['kind', reply.kinds]]) {
      form.querySelector(`#${id}`).append(...values.map((v) => h('option', {value: v}, v)));
    }
  });
  await Promise.all([load(true), fillChoices]);
}
