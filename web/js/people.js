/** The client's people, its resources, the technicians who serve it, and its agent's health. */
import * as api from './api.js';
import {announce, formatRelative, formatTime, h, replace} from './dom.js';
import {labelChips} from './owner.js';
import {devicesCard, hasChain, linkThisDeviceCard, pendingCard, startChainCard, submit, thisDevice} from './devices.js';
import {safetyCode, signStatement} from './trust.js';
import {kindLabel, labelLabel, labelNames} from './vocab.js';

const digitsOf = (text) => text.replace(/[^0-9]/g, '');
// An SSH key in its authorized_keys form without a comment.
const withoutComment = (line) => line.trim().split(/\s+/).slice(0, 2).join(' ');

/**
 * Under a trust chain, whether the owners confirmed the agent the server names, and for an owner
 * whose browser is a device of the chain, the form that confirms it by its safety code.
 */
function confirmation(agent, context, me) {
  const confirmed = context.trust.chain.state.agent;
  const caKey = withoutComment(agent.ssh_ca_key);
  const isConfirmed = confirmed && confirmed.witnessKey === agent.witness_key && withoutComment(confirmed.sshCaKey) === caKey;
  const replacement = agent.replacement;
  if (isConfirmed && !replacement) {
    return h('p', {class: 'ok', 'data-testid': 'agent-confirmed'},
      `Confirmed in your trust chain on ${formatTime(Number(confirmed.confirmedAt), context.client.time_zone)}: it opens doors for approved requests.`);
  }
  // The agent an owner would confirm: the one enrolled to replace this one, or this one.
  if (replacement) agent = replacement;
  const candidateCa = withoutComment(agent.ssh_ca_key);
  const warning = h('p', {class: 'warn', 'data-testid': replacement ? 'agent-replacement' : 'agent-unconfirmed'},
    replacement
      ? `A new agent “${replacement.name}” was enrolled on ${formatTime(replacement.enrolled_at, context.client.time_zone)} to replace this one. It gets no work until your owners confirm it with the safety code it printed; confirm it only if you are replacing your agent yourself.`
      : confirmed
        ? 'This is not the agent your trust chain confirmed: it opens no door. Confirm it only if you replaced your agent yourself.'
        : 'Not confirmed yet: this agent opens no door until an owner confirms it with the safety code it printed.');
  if (context.session.role !== 'owner' || !me?.owner) return warning;
  const input = h('input', {id: 'safety-code', inputmode: 'numeric', autocomplete: 'off', placeholder: '4821-0937-1152'});
  const error = h('p', {class: 'error', role: 'alert'});
  const confirm = async () => {
    error.textContent = '';
    try {
      const typed = digitsOf(input.value);
      // Worked out here from the keys the server names: if it swapped them, the codes differ.
      // The sealing key counts too: a server that swapped it would read the credentials sealed to it.
      const sealingKey = agent.sealing_key ?? '';
      const mine = await safetyCode(me.key.keyId, agent.witness_key, candidateCa, sealingKey);
      const unpinned = await safetyCode('', agent.witness_key, candidateCa, sealingKey);
      if (typed.length !== 12 || (typed !== digitsOf(mine) && typed !== digitsOf(unpinned))) {
        error.textContent = 'The safety code does not match the agent the server names. Compare it again with the code the agent printed on your machine; if it still differs, the agent shown here is not yours. Nothing was signed.';
        return;
      }
      const identity = {name: agent.name, witness_key: agent.witness_key, ssh_ca_key: candidateCa};
      if (sealingKey) identity.sealing_key = sealingKey;
      const body = context.trust.chain.nextBody('agent.confirmed', identity, Math.floor(Date.now() / 1000));
      const result = await submit(context, await signStatement(body, [me.key]));
      announce(result.waiting ? `Signed: agent ${agent.name} waits for the other owners.` : `Agent ${agent.name} confirmed.`);
      context.refresh();
    } catch (failure) {
      error.textContent = failure.message;
    }
  };
  return h('div', {'data-testid': 'agent-confirm'},
    warning,
    h('label', {for: 'safety-code'}, 'Safety code the agent printed when it enrolled'),
    input,
    error,
    h('div', {class: 'buttons'}, h('button', {type: 'button', class: 'primary', onclick: confirm}, replacement ? `Confirm “${replacement.name}” in its place` : 'Confirm this agent')));
}

// "Create an enrolment code", and the code once made. Under a trust chain the code names this
// browser's device key: the agent counts its confirmation only when that key signed it.
function inviteControls(client, context, me, label) {
  const chained = hasChain(context);
  const code = h('p', {});
  const invite = async () => {
    const reply = await api.post(`/clients/${api.enc(client.tenant)}/agent/enrolment-codes`);
    const full = chained && me?.owner ? `${reply.code}.${me.key.keyId}` : reply.code;
    replace(code, 'One-time code (valid 24 hours): ', h('code', {'data-testid': 'enrolment-code'}, full),
      h('br'), 'On the client’s machine: ', h('code', {}, `quartet agent enrol --server ${location.origin} --code ${full} --data /var/lib/quartet-agent`),
      h('br'), 'It ends by printing a safety code: type it here to confirm the agent.');
  };
  if (context.session.role !== 'owner' || (chained && !me?.owner)) return null;
  return [h('button', {type: 'button', class: 'primary', onclick: invite}, label), code];
}

function agentCard(agent, client, session, context, me) {
  if (!agent.enrolled) {
    return h('section', {class: 'card'}, h('h2', {}, 'Agent'),
      h('p', {class: 'warn'}, 'No agent is enrolled: nothing on your premises checks this log or holds your keys yet.'),
      inviteControls(client, context, me, 'Create an enrolment code'));
  }
  const behind = agent.log_size - agent.witnessed_size;
  const healthy = agent.alarms.length === 0 && agent.last_seen > Date.now() / 1000 - 120;
  return h(
    'section',
    {class: 'card', 'aria-labelledby': 'agent-title'},
    h('h2', {id: 'agent-title'}, `Agent “${agent.name}” `, h('span', {class: healthy ? 'badge ok' : 'badge bad'}, healthy ? 'healthy' : 'needs attention')),
    h('dl', {class: 'facts'},
      h('dt', {}, 'Last seen'), h('dd', {}, agent.last_seen ? formatRelative(agent.last_seen) : 'never'),
      h('dt', {}, 'Cosigned'), h('dd', {}, `${agent.witnessed_size.toLocaleString()} entries${behind > 0 ? ` (${behind} not yet)` : ''}`),
      h('dt', {}, 'Enrolled'), h('dd', {}, formatTime(agent.enrolled_at, client.time_zone)),
      h('dt', {}, 'Certificates waiting'), h('dd', {}, String(agent.pending_certificates)),
      h('dt', {}, 'SSH CA'), h('dd', {}, h('code', {class: 'wrap'}, agent.ssh_ca_key))),
    hasChain(context) ? confirmation(agent, context, me) : null,
    hasChain(context) && !agent.replacement && me?.owner
      ? h('details', {'data-testid': 'replace-agent'}, h('summary', {}, 'Replace this agent'),
        h('p', {class: 'muted'}, 'For a new machine: the new agent enrols with a code, and opens no door until you confirm it by its safety code. This agent keeps working until then.'),
        inviteControls(client, context, me, 'Create an enrolment code for the new agent'))
      : null,
    agent.alarms.length
      ? h('ul', {class: 'alarms'}, agent.alarms.map((a) => h('li', {class: 'bad'}, `${formatTime(a.at, client.time_zone)}: ${a.kind} — ${a.detail}`)))
      : null,
  );
}

/**
 * A resource and what it holds. Under a trust chain, as this page replayed it: what the owners
 * signed, or "everything" until they have; an owner whose browser is a device of the chain signs
 * what it holds here (resource.signed).
 */
function resourceItem(r, context, me) {
  if (!hasChain(context)) return h('li', {}, h('strong', {}, r.name), ` ${kindLabel(r.kind)} `, labelChips(r.labels));
  const terms = context.trust.chain.state.resources.get(r.name);
  const item = h('li', {'data-resource': r.name}, h('strong', {}, r.name), ` ${kindLabel(terms?.kind ?? r.kind)} `,
    terms ? labelChips(terms.labels) : h('span', {class: 'muted small'}, 'not signed by an owner yet, so treated as holding everything'));
  if (!me?.owner) return item;
  const chosen = new Set(terms?.labels ?? r.recorded_labels ?? []);
  const boxes = labelNames.map((name) => {
    const id = `holds-${r.name}-${name}`;
    return h('span', {class: 'check'}, h('input', {type: 'checkbox', id, value: name, checked: chosen.has(name) ? '' : null}), ' ', h('label', {for: id}, labelLabel(name)));
  });
  const error = h('p', {class: 'error', role: 'alert'});
  const sign = async () => {
    error.textContent = '';
    try {
      const labels = labelNames.filter((name, k) => boxes[k].querySelector('input').checked);
      const body = context.trust.chain.nextBody('resource.signed', {resource: r.name, resource_kind: terms?.kind ?? r.kind, labels}, Math.floor(Date.now() / 1000));
      const result = await submit(context, await signStatement(body, [me.key]));
      announce(result.waiting ? `Signed: what ${r.name} holds waits for the other owners.` : `Signed: ${r.name} holds ${labels.length ? labels.join(', ') : 'nothing sensitive'}.`);
      context.refresh();
    } catch (failure) {
      error.textContent = failure.message;
    }
  };
  item.append(h('details', {}, h('summary', {}, terms ? 'Change what it holds' : 'Sign what it holds'),
    h('fieldset', {}, h('legend', {}, `What ${r.name} holds`), boxes),
    error,
    h('div', {class: 'buttons'}, h('button', {type: 'button', class: 'primary', onclick: sign}, `Sign for ${r.name}`))));
  return item;
}

/** An owner's own devices, once the client has a trust chain. */
async function ownDevices(context) {
  if (context.session.role !== 'owner' || context.trust.state !== 'verified') return null;
  if (!hasChain(context)) return startChainCard(context);
  const me = await thisDevice(context);
  return [await pendingCard(context, me), me.owner === null ? linkThisDeviceCard(context) : devicesCard(context, me)];
}

export async function renderPeople(container, context) {
  const {client, session} = context;
  const [agent, devices, me] = await Promise.all([
    api.get(`/clients/${api.enc(client.tenant)}/agent`).catch(() => null),
    ownDevices(context),
    session.role === 'owner' && hasChain(context) ? thisDevice(context) : null,
  ]);
  replace(
    container,
    devices,
    h('div', {class: 'columns'},
      h('section', {class: 'card', 'aria-labelledby': 'people-title'},
        h('h2', {id: 'people-title'}, 'People'),
        h('table', {}, h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Name'), h('th', {scope: 'col'}, 'Role'), h('th', {scope: 'col'}, 'MFA'))),
          h('tbody', {}, client.people.map((p) => h('tr', {}, h('td', {}, p.user, p.active ? '' : ' (left)'), h('td', {}, p.role), h('td', {}, p.mfa ? 'yes' : 'no'))))),
        h('h3', {}, 'Technicians who serve you'),
        client.technicians.length ? h('ul', {class: 'plain'}, client.technicians.map((t) => h('li', {}, t))) : h('p', {class: 'muted'}, 'None.')),
      h('section', {class: 'card', 'aria-labelledby': 'resources-title'},
        h('h2', {id: 'resources-title'}, 'Resources'),
        h('ul', {class: 'plain'}, client.resources.map((r) => resourceItem(r, context, me)))),
      agent ? agentCard(agent, client, session, context, me) : null,
      h('section', {class: 'card', 'aria-labelledby': 'log-title'},
        h('h2', {id: 'log-title'}, 'Your log'),
        h('p', {}, 'Your owners, auditors and agent read it, and anyone you give a read token to ',
          h('code', {}, `quartet log token create --client ${client.tenant}`),
          '; they check it with the keys below, as this page does on every visit.'),
        h('dl', {class: 'facts'},
          h('dt', {}, 'Address'), h('dd', {}, h('code', {class: 'wrap'}, `${location.origin}${client.log.url}`)),
          h('dt', {}, 'Log key'), h('dd', {}, h('code', {class: 'wrap'}, client.log.verifier_key)),
          h('dt', {}, 'Agent key'), h('dd', {}, client.log.witness_key ? h('code', {class: 'wrap'}, client.log.witness_key) : 'none yet')),
        h('p', {}, 'Check it from a terminal: ', h('code', {class: 'wrap'},
          `quartet verify --url ${location.origin}${client.log.url} --key '${client.log.verifier_key}'` +
          (client.log.witness_key ? ` --witness '${client.log.witness_key}'` : '') + ' --token <read token>'))),
    ),
  );
}
