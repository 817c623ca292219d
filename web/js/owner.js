/**
 * What needs the owner now: requests waiting for a decision, access open at this moment, and
 * break-glass access to review. Approvals and denials are signed in this browser with the owner's
 * own key (WebCrypto Ed25519, private half non-extractable, kept in IndexedDB); the server and the
 * client's agent both check the signature, and the log keeps it. Once the client has a trust
 * chain, that key signs only if the chain lists it as one of the owner's devices (devices.js);
 * before, it is registered with the server.
 */
import * as api from './api.js';
import {announce, formatDuration, formatRelative, formatTime, h, replace} from './dom.js';
import {bytesToBase64} from './tlog.js';
import {deleteOwnerKey, putOwnerKey} from './store.js';
import {browserKey, hasChain, linkThisDeviceCard, thisDevice} from './devices.js';
import {actionLabel, kindLabel, labelLabel, labelsOf, sensitive, stateText} from './vocab.js';

export function labelChips(names) {
  if (names.length === 0) return h('span', {class: 'chip'}, 'no sensitive data');
  return names.map((name) => h('span', {class: sensitive.has(name) ? 'chip warn' : 'chip'}, labelLabel(name)));
}

/**
 * The owner's key on this device, for a client without a trust chain: made once and registered
 * with the server (a log entry).
 */
async function registeredKey(session) {
  const key = await browserKey(session.user);
  if (key.registered !== false) return key;
  const {key_id: keyId} = await api.post('/owner-keys', {public_key: bytesToBase64(key.publicRaw)});
  const record = {...key, keyId, registered: true};
  await putOwnerKey(record);
  announce('A signing key was made on this device and registered in your log.');
  return record;
}

/** Signs exactly what docs/events.md says an owner's decision covers. */
async function signDecision(context, decision, canonicalRequest) {
  // With a chain, the key is the device the chain lists (the form is shown only then).
  const key = hasChain(context) ? (await thisDevice(context)).key : await registeredKey(context.session);
  const message = new TextEncoder().encode(`quartet-owner-decision/v1\n${decision}\n${canonicalRequest}`);
  const signature = new Uint8Array(await crypto.subtle.sign({name: 'Ed25519'}, key.privateKey, message));
  return {key_id: key.keyId, signature: bytesToBase64(signature)};
}

function historySummary(grants, technician, requestId) {
  const theirs = grants.filter((g) => g.technician === technician && g.id !== requestId);
  if (theirs.length === 0) return `${technician} has not had access to this client before.`;
  const counts = {};
  for (const grant of theirs) counts[grant.state] = (counts[grant.state] ?? 0) + 1;
  const last = Math.max(...theirs.map((g) => g.requested_at));
  const parts = Object.entries(counts).map(([state, count]) => `${count} ${state}`);
  const breakglass = theirs.filter((g) => g.breakglass).length;
  return (
    `${technician}: ${theirs.length} earlier request${theirs.length === 1 ? '' : 's'} here (${parts.join(', ')})` +
    `${breakglass ? `, ${breakglass} break-glass` : ''}; the last ${formatRelative(last)}.`
  );
}

function requestCard(grant, context, history, actions) {
  // What is shown is what is signed: the canonical request, not the server's other fields.
  const request = JSON.parse(grant.request);
  return h(
    'article',
    {class: `card grant${request.breakglass ? ' breakglass' : ''}`, 'data-grant': grant.id, 'aria-label': `Request ${grant.id}`},
    h(
      'header',
      {},
      h('h3', {}, `${request.technician} wants to ${actionLabel(request.action)} on ${request.resource}`),
      request.breakglass ? h('span', {class: 'chip bad'}, 'Break-glass') : null,
    ),
    h(
      'dl',
      {class: 'facts'},
      h('dt', {}, 'Resource'),
      h('dd', {}, `${request.resource} (${kindLabel(request.kind)}) `, labelChips(labelsOf(request.labels))),
      request.login ? [h('dt', {}, 'As account'), h('dd', {}, request.login)] : null,
      h('dt', {}, 'Reason'),
      h('dd', {}, request.reason),
      h('dt', {}, 'Ticket'),
      h('dd', {}, request.ticket || h('em', {}, 'none given')),
      h('dt', {}, 'For'),
      h('dd', {}, formatDuration(request.duration_seconds),
        request.not_before ? ` from ${formatTime(request.not_before, context.client.time_zone)}` : ' from approval'),
      h('dt', {}, 'Asked'),
      h('dd', {}, `${formatRelative(request.requested_at)} (${formatTime(request.requested_at, context.client.time_zone)})`),
      grant.approvals_required > 1
        ? [h('dt', {}, 'Approvals'), h('dd', {}, `${grant.approvals.length} of ${grant.approvals_required} owners`)]
        : null,
      history ? [h('dt', {}, 'History'), h('dd', {}, history)] : null,
    ),
    actions,
  );
}

function decisionForm(grant, context) {
  const comment = h('input', {id: `comment-${grant.id}`, name: 'comment', maxlength: 500});
  const error = h('p', {class: 'error', role: 'alert'});
  const send = async (decision) => {
    const signed = await signDecision(context, decision, grant.request);
    await api.post(`/clients/${api.enc(context.tenant)}/grants/${api.enc(grant.id)}/${decision}`, {
      ...signed,
      comment: comment.value,
    });
  };
  const decide = async (decision) => {
    error.textContent = '';
    try {
      try {
        await send(decision);
      } catch (failure) {
        // This browser's key is unknown to the server (its records were replaced): make and
        // register a new one, a logged event like the first, and sign again. Not once the client
        // has a trust chain: only the chain says which keys approve.
        if (hasChain(context) || !(failure.status === 401 && /key is not registered/.test(failure.message))) {
          throw failure;
        }
        await deleteOwnerKey(context.session.user);
        await send(decision);
      }
      announce(decision === 'approve' ? 'Approved and signed.' : 'Denied and signed.');
      context.refresh();
    } catch (failure) {
      error.textContent = failure.message;
    }
  };
  return h(
    'div',
    {class: 'decide'},
    h('label', {for: `comment-${grant.id}`}, 'Comment (optional)'),
    comment,
    error,
    h(
      'div',
      {class: 'buttons'},
      h('button', {class: 'primary', type: 'button', onclick: () => decide('approve')}, 'Approve'),
      h('button', {class: 'danger', type: 'button', onclick: () => decide('deny')}, 'Deny'),
    ),
    h('p', {class: 'muted small'}, 'Your decision is signed on this device with your own key.'),
  );
}

function activeCard(grant, context) {
  const owner = context.session.role === 'owner';
  const end = async () => {
    if (!confirm(`End ${grant.technician}'s access to ${grant.resource} now?`)) return;
    await api.post(`/clients/${api.enc(context.tenant)}/grants/${api.enc(grant.id)}/revoke`, {
      reason: 'ended by the owner from the dashboard',
    });
    announce('Access ended.');
    context.refresh();
  };
  return h(
    'article',
    {class: `card grant active${grant.breakglass ? ' breakglass' : ''}`, 'data-grant': grant.id},
    h('h3', {}, `${grant.technician} · ${actionLabel(grant.action)} on ${grant.resource}`),
    h('p', {}, grant.reason, grant.ticket ? ` (${grant.ticket})` : ''),
    h('p', {class: 'muted'}, `Open until ${formatTime(grant.window_end, context.client.time_zone)} — ends ${formatRelative(grant.window_end)}.`),
    owner ? h('button', {class: 'danger', type: 'button', onclick: end}, 'End now') : null,
  );
}

function reviewCard(grant, context) {
  const comment = h('input', {id: `review-${grant.id}`, maxlength: 500});
  const review = async (verdict) => {
    await api.post(`/clients/${api.enc(context.tenant)}/grants/${api.enc(grant.id)}/review`, {
      verdict,
      comment: comment.value,
    });
    announce(verdict === 'acknowledged' ? 'Break-glass acknowledged.' : 'Break-glass disputed.');
    context.refresh();
  };
  return h(
    'article',
    {class: 'card grant breakglass', 'data-grant': grant.id},
    h('h3', {}, `Break-glass: ${grant.technician} on ${grant.resource}`),
    h('p', {}, grant.reason, grant.ticket ? ` (${grant.ticket})` : ''),
    h('p', {class: 'muted'}, `Opened ${formatTime(grant.window_start, context.client.time_zone)} for ${formatDuration(grant.duration_seconds)}, ${stateText[grant.state].toLowerCase()}.`),
    context.session.role === 'owner'
      ? [
          h('label', {for: `review-${grant.id}`}, 'Comment'),
          comment,
          h(
            'div',
            {class: 'buttons'},
            h('button', {class: 'primary', type: 'button', onclick: () => review('acknowledged')}, 'Acknowledge'),
            h('button', {class: 'danger', type: 'button', onclick: () => review('disputed')}, 'Dispute'),
          ),
        ]
      : null,
  );
}

export async function renderApprovals(container, context) {
  const base = `/clients/${api.enc(context.tenant)}/grants`;
  const [pending, recent] = await Promise.all([api.get(`${base}?state=pending`), api.get(`${base}?limit=1000`)]);
  const now = Date.now() / 1000;
  const active = recent.grants.filter((g) => g.state === 'approved' && g.window_start <= now && now < g.window_end);
  const reviews = recent.grants.filter((g) => g.awaits_review);
  const owner = context.session.role === 'owner';
  // Nothing is signed against a history, or a list of who approves, that cannot be trusted.
  const trusted = context.verified.state !== 'alarm' && context.trust.state !== 'alarm';
  // With a trust chain, only a device the chain lists signs.
  const unlinked = owner && hasChain(context) && (await thisDevice(context)).owner === null;
  replace(
    container,
    trusted ? null : h('p', {class: 'card bad', role: 'note'}, 'Decisions are switched off while this log or the list of who approves cannot be trusted.'),
    trusted && unlinked ? linkThisDeviceCard(context) : null,
    h(
      'section',
      {'aria-labelledby': 'pending-title'},
      h('h2', {id: 'pending-title'}, `Waiting for you (${pending.grants.length})`),
      pending.grants.length === 0
        ? h('p', {class: 'muted'}, 'Nothing is waiting for a decision.')
        : pending.grants.map((grant) =>
            requestCard(
              grant,
              context,
              historySummary(recent.grants, grant.technician, grant.id),
              owner && trusted && !unlinked ? decisionForm(grant, context) : null,
            ),
          ),
    ),
    reviews.length
      ? h(
          'section',
          {'aria-labelledby': 'review-title'},
          h('h2', {id: 'review-title'}, `Break-glass to review (${reviews.length})`),
          reviews.map((grant) => reviewCard(grant, context)),
        )
      : null,
    h(
      'section',
      {'aria-labelledby': 'active-title'},
      h('h2', {id: 'active-title'}, `Open right now (${active.length})`),
      active.length === 0
        ? h('p', {class: 'muted'}, 'No one has access at this moment.')
        : active.map((grant) => activeCard(grant, context)),
    ),
  );
}
