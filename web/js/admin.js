/**
 * The provider admin's page: clients and their resources and technicians, and the provider's
 * staff — onboarding with a first password and MFA enrolment, offboarding that ends every grant.
 */
import * as api from './api.js';
import {announce, h, replace} from './dom.js';
import {kindLabel, kindNames, labelLabel, labelNames} from './vocab.js';
import {labelChips} from './owner.js';

function form(title, fields, submitText, onSubmit) {
  const error = h('p', {class: 'error', role: 'alert'});
  const element = h('form', {class: 'card'}, h('h3', {}, title), fields, error, h('button', {type: 'submit', class: 'primary'}, submitText));
  element.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    try {
      await onSubmit(new FormData(element), element);
    } catch (failure) {
      error.textContent = failure.message;
    }
  });
  return element;
}

const field = (id, label, attributes = {}) => [h('label', {for: id}, label), h('input', {id, name: id, ...attributes})];
const choice = (id, label, values, text = (v) => v) => [
  h('label', {for: id}, label),
  h('select', {id, name: id}, values.map((v) => h('option', {value: v}, text(v)))),
];

async function renderClientAdmin(container, tenant) {
  const client = await api.get(`/clients/${api.enc(tenant)}`);
  const {staff} = await api.get('/staff');
  const refresh = () => renderClientAdmin(container, tenant);
  replace(
    container,
    h('p', {}, h('a', {href: '#/admin'}, '← All clients')),
    h('h1', {}, client.name),
    h('p', {}, h('a', {href: `#/c/${tenant}`}, 'Open its dashboard')),
    h('div', {class: 'columns'},
      h('section', {class: 'card'}, h('h2', {}, 'Resources'),
        h('ul', {class: 'plain'}, client.resources.map((r) => h('li', {}, h('strong', {}, r.name), ` ${kindLabel(r.kind)} `, labelChips(r.labels))))),
      form('Add a resource', [
        field('name', 'Name', {required: true, maxlength: 64}),
        choice('kind', 'Kind', kindNames, kindLabel),
        h('fieldset', {class: 'checks'}, h('legend', {}, 'Sensitive data it holds'),
          labelNames.map((l) => h('span', {}, h('input', {type: 'checkbox', id: `label-${l}`, name: 'labels', value: l}), h('label', {for: `label-${l}`}, labelLabel(l))))),
      ], 'Add', async (data) => {
        await api.post(`/clients/${api.enc(tenant)}/resources`, {name: data.get('name').trim(), kind: data.get('kind'), labels: data.getAll('labels')});
        announce('Resource added.');
        refresh();
      }),
      h('section', {class: 'card'}, h('h2', {}, 'Technicians who serve it'),
        h('ul', {class: 'plain'}, client.technicians.map((t) => h('li', {}, t)))),
      form('Assign a technician', [choice('technician', 'Technician', staff.filter((s) => s.active).map((s) => s.user))], 'Assign', async (data) => {
        await api.post(`/clients/${api.enc(tenant)}/technicians`, {technician: data.get('technician')});
        announce('Technician assigned.');
        refresh();
      }),
      form('Add a person of the client', [
        field('user', 'User name', {required: true, maxlength: 64, autocomplete: 'off'}),
        choice('role', 'Role', ['owner', 'client-staff', 'auditor']),
        field('password', 'First password (at least 12 characters)', {type: 'password', required: true, autocomplete: 'new-password'}),
      ], 'Add', async (data, element) => onboarded(element, await api.post('/people', {
        user: data.get('user').trim(), role: data.get('role'), client: tenant, password: data.get('password'),
      }))),
    ),
  );
}

function onboarded(element, reply) {
  const secret = new URL(reply.totp_uri).searchParams.get('secret');
  element.replaceWith(h('section', {class: 'card ok', role: 'status'},
    h('h3', {}, `${reply.user} can sign in`),
    h('p', {}, 'Give them their password and this authenticator set-up, once. It is not shown again.'),
    h('dl', {class: 'facts'},
      h('dt', {}, 'Set-up link'), h('dd', {}, h('code', {class: 'wrap'}, reply.totp_uri)),
      h('dt', {}, 'Secret'), h('dd', {}, h('code', {}, secret)))));
  announce(`${reply.user} added; their authenticator set-up is shown once.`);
}

export async function renderAdmin(container, session, tenant) {
  if (tenant) return renderClientAdmin(container, tenant);
  const [{clients}, {staff}] = await Promise.all([api.get('/clients'), api.get('/staff')]);
  const refresh = () => renderAdmin(container, session);
  const offboard = async (user) => {
    if (!confirm(`Offboard ${user}? Every grant they hold ends and they are signed out everywhere.`)) return;
    const reply = await api.post(`/people/${api.enc(user)}/offboard`);
    announce(`${user} offboarded; ${reply.grants_revoked} grants revoked.`);
    refresh();
  };
  replace(
    container,
    h('h1', {}, 'Clients & staff'),
    h('div', {class: 'columns'},
      h('section', {class: 'card', 'aria-labelledby': 'clients-title'}, h('h2', {id: 'clients-title'}, 'Clients'),
        h('ul', {class: 'plain'}, clients.map((c) => h('li', {}, h('a', {href: `#/admin/${c.tenant}`}, c.name), h('span', {class: 'muted'}, ` ${c.tenant} · ${c.time_zone}`))))),
      form('Add a client', [
        field('tenant', 'Short name (lower case, for its log)', {required: true, pattern: '[a-z0-9][a-z0-9-]{0,62}'}),
        field('name', 'Name', {required: true, maxlength: 200}),
        field('time_zone', 'Time zone', {required: true, value: Intl.DateTimeFormat().resolvedOptions().timeZone}),
      ], 'Add', async (data) => {
        await api.post('/clients', {tenant: data.get('tenant').trim(), name: data.get('name').trim(), time_zone: data.get('time_zone').trim()});
        announce('Client added with its own log.');
        refresh();
      }),
      h('section', {class: 'card', 'aria-labelledby': 'staff-title'}, h('h2', {id: 'staff-title'}, 'Staff'),
        h('table', {}, h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Name'), h('th', {scope: 'col'}, 'Role'), h('th', {scope: 'col'}, 'MFA'), h('th', {scope: 'col'}, h('span', {class: 'visually-hidden'}, 'Actions')))),
          h('tbody', {}, staff.map((s) => h('tr', {class: s.active ? null : 'muted'},
            h('td', {}, s.user), h('td', {}, s.role), h('td', {}, s.mfa ? 'yes' : 'no'),
            h('td', {}, s.active && s.user !== session.user ? h('button', {type: 'button', class: 'link danger', onclick: () => offboard(s.user)}, 'Offboard') : s.active ? '' : 'left'))))),
      ),
      form('Onboard a member of staff', [
        field('user', 'User name', {required: true, maxlength: 64, autocomplete: 'off'}),
        choice('role', 'Role', ['technician', 'senior-technician', 'provider-admin']),
        field('password', 'First password (at least 12 characters)', {type: 'password', required: true, autocomplete: 'new-password'}),
      ], 'Onboard', async (data, element) => onboarded(element, await api.post('/people', {
        user: data.get('user').trim(), role: data.get('role'), password: data.get('password'),
      }))),
    ),
  );
}
