/**
 * The client's policy: in plain words (as the server describes the policy in force), and an
 * editor for owners. Saving is a `policy.changed` entry in the log; provider staff can only
 * propose, and an owner accepts.
 */
import * as api from './api.js';
import {hasChain, submit, thisDevice} from './devices.js';
import {announce, h, replace} from './dom.js';
import {canonicalJson, signStatement} from './trust.js';
import {actionLabel, actionNames, dayNames, kindLabel, kindNames, labelLabel, labelNames, providerRoles} from './vocab.js';

const effects = {approve: 'Approve at once', 'ask-owners': 'Ask the owners', deny: 'Refuse'};
const tickets = {any: 'with or without a ticket', present: 'only with a ticket', absent: 'only without a ticket'};
const hours = {any: 'at any time', 'inside-business-hours': 'in business hours', 'outside-business-hours': 'outside business hours'};

let uid = 0;
const nextId = (prefix) => `${prefix}-${++uid}`;

function options(map, selected) {
  return Object.entries(map).map(([value, text]) => h('option', {value, selected: value === selected}, text));
}

function checkboxes(legend, names, chosen, label) {
  return h(
    'fieldset',
    {class: 'checks'},
    h('legend', {}, legend, h('small', {}, ' (none ticked: any)')),
    names.map((name) => {
      const id = nextId('check');
      return h('span', {}, h('input', {type: 'checkbox', id, value: name, checked: chosen.includes(name)}), h('label', {for: id}, label(name)));
    }),
  );
}

function minutesToTime(minutes) {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

function timeToMinutes(text) {
  const [hh, mm] = text.split(':').map(Number);
  return hh * 60 + mm;
}

function ruleEditor(rule, onRemove) {
  const nameId = nextId('rule-name');
  const effectId = nextId('effect');
  const approvalsId = nextId('approvals');
  const durationId = nextId('duration');
  const ticketId = nextId('ticket');
  const hoursId = nextId('hours');
  const element = h(
    'fieldset',
    {class: 'card rule'},
    h('legend', {}, rule.name || 'New rule'),
    h('label', {for: nameId}, 'Name'),
    h('input', {id: nameId, class: 'rule-name', value: rule.name, required: true, maxlength: 100}),
    checkboxes('Touching data labelled', labelNames, rule.labels_any, labelLabel),
    checkboxes('On resources of kind', kindNames, rule.kinds, kindLabel),
    checkboxes('To', actionNames, rule.actions, actionLabel),
    checkboxes('Asked by', providerRoles, rule.roles, (r) => r),
    h('div', {class: 'row'},
      h('div', {}, h('label', {for: ticketId}, 'Ticket'), h('select', {id: ticketId, class: 'rule-ticket'}, options(tickets, rule.ticket))),
      h('div', {}, h('label', {for: hoursId}, 'When'), h('select', {id: hoursId, class: 'rule-hours'}, options(hours, rule.hours))),
      h('div', {}, h('label', {for: effectId}, 'Then'), h('select', {id: effectId, class: 'rule-effect'}, options(effects, rule.effect))),
      h('div', {}, h('label', {for: approvalsId}, 'Owners needed'),
        h('input', {id: approvalsId, class: 'rule-approvals', type: 'number', min: 1, max: 16, value: rule.approvals || 1})),
      h('div', {}, h('label', {for: durationId}, 'Longest (minutes, 0: policy limit)'),
        h('input', {id: durationId, class: 'rule-duration', type: 'number', min: 0, value: Math.round(rule.max_duration_seconds / 60)})),
    ),
    h('button', {type: 'button', class: 'link danger', onclick: onRemove}, 'Remove this rule'),
  );
  return element;
}

function readRule(element) {
  const ticked = (index) =>
    [...element.querySelectorAll('fieldset.checks')[index].querySelectorAll('input:checked')].map((i) => i.value);
  return {
    name: element.querySelector('.rule-name').value.trim(),
    labels_any: ticked(0),
    kinds: ticked(1),
    actions: ticked(2),
    roles: ticked(3),
    ticket: element.querySelector('.rule-ticket').value,
    hours: element.querySelector('.rule-hours').value,
    effect: element.querySelector('.rule-effect').value,
    approvals: Number(element.querySelector('.rule-approvals').value),
    max_duration_seconds: Number(element.querySelector('.rule-duration').value) * 60,
  };
}

/**
 * Puts `policy` in force. Under a trust chain it takes effect only signed: this browser, a device
 * of the owner's in the chain, signs it into the chain (policy.signed); the server's unsigned
 * change is closed then. Without a chain, the server stores it.
 */
async function putInForce(context, policy) {
  if (!hasChain(context)) {
    await api.put(`/clients/${api.enc(context.tenant)}/policy`, policy);
    return;
  }
  const me = await thisDevice(context);
  if (!me.owner) throw new Error('This browser is not one of your devices in the trust chain: link it on "People & agent" first.');
  const body = context.trust.chain.nextBody('policy.signed', {policy: canonicalJson(policy)}, Math.floor(Date.now() / 1000));
  return (await submit(context, await signStatement(body, [me.key]))).waiting;
}

function editor(policy, context, onSaved) {
  const owner = context.session.role === 'owner';
  const rules = h('div', {class: 'rules'});
  const addRule = (rule) => {
    const element = ruleEditor(rule, () => element.remove());
    rules.append(element);
  };
  policy.rules.forEach(addRule);
  const days = checkboxes('Business days', dayNames, policy.business_hours.days, (d) => d);
  const fallback = h('select', {id: 'fallback'}, options(effects, policy.fallback));
  const fallbackApprovals = h('input', {id: 'fallback-approvals', type: 'number', min: 1, max: 16, value: policy.fallback_approvals});
  const maxDuration = h('input', {id: 'max-duration', type: 'number', min: 1, max: 7 * 24 * 60, value: Math.round(policy.max_duration_seconds / 60)});
  const start = h('input', {id: 'hours-start', type: 'time', value: minutesToTime(policy.business_hours.start_minute)});
  const end = h('input', {id: 'hours-end', type: 'time', value: minutesToTime(policy.business_hours.end_minute)});
  const note = owner ? null : h('input', {id: 'proposal-note', maxlength: 500});
  const error = h('p', {class: 'error', role: 'alert'});
  const form = h(
    'form',
    {class: 'policy-editor', 'aria-label': 'Edit the policy'},
    h('h2', {}, owner ? 'Change the policy' : 'Propose a change'),
    h('p', {class: 'muted'}, 'Rules are tried in order; the first that matches decides.'),
    rules,
    h('button', {type: 'button', class: 'secondary', onclick: () => addRule({
      name: '', labels_any: [], kinds: [], actions: [], roles: [], ticket: 'any', hours: 'any',
      effect: 'ask-owners', approvals: 1, max_duration_seconds: 0,
    })}, 'Add a rule'),
    h('fieldset', {class: 'card'},
      h('legend', {}, 'Everything else'),
      h('label', {for: 'fallback'}, 'When no rule matches'), fallback,
      h('label', {for: 'fallback-approvals'}, 'Owners needed'), fallbackApprovals,
      h('label', {for: 'max-duration'}, 'Longest access of all (minutes)'), maxDuration,
      days,
      h('div', {class: 'row'},
        h('div', {}, h('label', {for: 'hours-start'}, 'Business hours from'), start),
        h('div', {}, h('label', {for: 'hours-end'}, 'to'), end)),
    ),
    note ? [h('label', {for: 'proposal-note'}, 'Why (shown to the owner)'), note] : null,
    error,
    h('button', {type: 'submit', class: 'primary'}, owner ? 'Save the policy' : 'Send the proposal'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    const changed = {
      rules: [...rules.children].map(readRule),
      fallback: fallback.value,
      fallback_approvals: Number(fallbackApprovals.value),
      max_duration_seconds: Number(maxDuration.value) * 60,
      business_hours: {
        days: [...days.querySelectorAll('input:checked')].map((i) => i.value),
        start_minute: timeToMinutes(start.value),
        end_minute: timeToMinutes(end.value),
      },
      time_zone: policy.time_zone,
    };
    // What the editor does not show is kept as it is: the terms for break-glass above all.
    if (policy.breakglass) changed.breakglass = policy.breakglass;
    try {
      const path = `/clients/${api.enc(context.tenant)}/policy`;
      if (owner) {
        const waiting = await putInForce(context, changed);
        announce(waiting ? 'Signed: it waits for the other owners’ signatures (People & agent).'
          : hasChain(context) ? 'The policy is signed and in force.' : 'The policy is saved and in force.');
      } else {
        await api.post(`${path}/proposals`, {policy: changed, note: note.value});
        announce('Proposal sent to the owners.');
      }
      onSaved();
    } catch (failure) {
      error.textContent = failure.message;
    }
  });
  return form;
}

function proposalCard(proposal, context, onAccepted) {
  const error = h('p', {class: 'error', role: 'alert'});
  const accept = async () => {
    try {
      // Under a trust chain a proposal is a draft until an owner signs it.
      const waiting = hasChain(context) ? await putInForce(context, proposal.policy) : false;
      if (!hasChain(context)) await api.post(`/clients/${api.enc(context.tenant)}/policy/proposals/${api.enc(proposal.id)}/accept`);
      announce(waiting ? 'Signed: it waits for the other owners’ signatures (People & agent).'
        : hasChain(context) ? 'The proposed policy is signed and in force.' : 'The proposed policy is accepted and in force.');
      onAccepted();
    } catch (failure) {
      error.textContent = failure.message;
    }
  };
  return h(
    'article',
    {class: 'card proposal', 'data-proposal': proposal.id},
    h('h3', {}, `Proposed by ${proposal.proposed_by}`),
    h('ul', {class: 'plain'}, proposal.description.map((line) => h('li', {}, line))),
    error,
    context.session.role === 'owner'
      ? h('button', {type: 'button', class: 'primary', onclick: accept}, hasChain(context) ? 'Sign this policy' : 'Accept this policy')
      : h('p', {class: 'muted small'}, 'Waiting for an owner to accept it.'),
  );
}

export async function renderPolicy(container, context) {
  const base = `/clients/${api.enc(context.tenant)}/policy`;
  const [{policy, description}, {proposals}] = await Promise.all([api.get(base), api.get(`${base}/proposals`)]);
  const canEdit = context.session.role === 'owner' || context.session.role === 'provider-admin' ||
    context.session.role === 'technician' || context.session.role === 'senior-technician';
  replace(
    container,
    h('section', {class: 'card', 'aria-labelledby': 'policy-words'},
      h('h2', {id: 'policy-words'}, 'The policy in force'),
      h('ul', {class: 'plain'}, description.map((line) => h('li', {}, line)))),
    proposals.length
      ? h('section', {'aria-labelledby': 'proposals-title'},
          h('h2', {id: 'proposals-title'}, `Changes proposed by your provider (${proposals.length})`),
          proposals.map((proposal) => proposalCard(proposal, context, () => renderPolicy(container, context))))
      : null,
    canEdit ? editor(policy, context, () => renderPolicy(container, context)) : null,
  );
}
