/**
 * A technician's page: ask for access to a client's resource, follow the decision, see what is
 * open, copy the command that logs in, see a password the grant lets them reveal, end access early.
 */
import * as api from './api.js';
import {announce, formatDuration, formatRelative, formatTime, h, replace} from './dom.js';
import {actionLabel, actionNames, kindLabel, stateText} from './vocab.js';
import {labelChips} from './owner.js';
import {revealSecret, showSecret} from './reveal.js';

const durations = [900, 1800, 3600, 7200, 14400, 28800];
let poller = null;

function copyButton(text) {
  const button = h('button', {type: 'button', class: 'secondary'}, 'Copy');
  button.addEventListener('click', async () => {
    await navigator.clipboard.writeText(text).catch(() => {});
    button.textContent = 'Copied';
    announce('Command copied.');
  });
  return button;
}

// Where a revealed password shows: outside the list, which the poller redraws.
const revealPanel = h('div', {class: 'reveal-panel', 'aria-live': 'polite'});

function revealButtons(grant, client, credentials) {
  const stored = credentials.filter((c) => c.resource === grant.resource);
  if (stored.length === 0) return h('p', {class: 'muted small'}, `No password is stored for ${grant.resource}.`);
  const error = h('p', {class: 'error', role: 'alert'});
  return h(
    'div',
    {class: 'reveal'},
    stored.map(({name, rotate}) => {
      const button = h('button', {type: 'button', class: 'primary'}, `Show the password for ${name}`);
      button.addEventListener('click', async () => {
        button.disabled = true;
        error.textContent = '';
        try {
          const revealed = await revealSecret(client.tenant, grant.id, grant.resource, name);
          showSecret(revealPanel, client.name, grant.resource, name, {...revealed, rotates: rotate !== ''});
        } catch (failure) {
          error.textContent = failure.message;
        } finally {
          button.disabled = false;
        }
      });
      return button;
    }),
    error,
  );
}

function grantCard(grant, client, refresh, credentials) {
  const now = Date.now() / 1000;
  const live = grant.state === 'approved' && grant.window_start <= now && now < grant.window_end;
  const resource = client.resources.find((r) => r.name === grant.resource);
  const command = `quartet --server ${location.origin} ssh ${grant.resource} --client ${client.tenant}`;
  const end = async () => {
    await api.post(`/clients/${api.enc(client.tenant)}/grants/${api.enc(grant.id)}/end`);
    announce('Access ended.');
    refresh();
  };
  return h(
    'article',
    {class: `card grant state-${grant.state}${live ? ' active' : ''}`, 'data-grant': grant.id},
    h('header', {},
      h('h3', {}, `${actionLabel(grant.action)} on ${grant.resource}`),
      h('span', {class: `badge state-${grant.state}`}, live ? 'Open now' : stateText[grant.state])),
    h('p', {}, grant.reason, grant.ticket ? ` (${grant.ticket})` : ''),
    h('p', {class: 'muted small'}, `Asked ${formatRelative(grant.requested_at)} for ${formatDuration(grant.duration_seconds)}` +
      (grant.approvals_required > 1 ? `; ${grant.approvals.length} of ${grant.approvals_required} owners approved` : '')),
    live ? h('p', {}, `Open until ${formatTime(grant.window_end, client.time_zone)}.`) : null,
    live && resource?.kind === 'ssh-host' && grant.action === 'login'
      ? h('div', {class: 'command'}, h('code', {}, command), copyButton(command))
      : null,
    live && grant.action === 'reveal-credential' ? revealButtons(grant, client, credentials) : null,
    live ? h('button', {type: 'button', class: 'danger', onclick: end}, 'End now') : null,
  );
}

function requestForm(client, refresh) {
  const resourceSelect = h('select', {id: 'resource', name: 'resource', required: true},
    client.resources.map((r) => h('option', {value: r.name}, `${r.name} — ${kindLabel(r.kind)}${r.labels.length ? ` (${r.labels.join(', ')})` : ''}`)));
  const labels = h('p', {class: 'small'});
  const showLabels = () => {
    const resource = client.resources.find((r) => r.name === resourceSelect.value);
    replace(labels, resource ? labelChips(resource.labels) : null);
  };
  resourceSelect.addEventListener('change', showLabels);
  showLabels();
  const error = h('p', {class: 'error', role: 'alert'});
  const form = h(
    'form',
    {class: 'card request-form', 'aria-labelledby': 'request-title'},
    h('h2', {id: 'request-title'}, `Ask for access to ${client.name}`),
    h('label', {for: 'resource'}, 'Resource'), resourceSelect, labels,
    h('label', {for: 'action'}, 'To'),
    h('select', {id: 'action', name: 'action'}, actionNames.map((a) => h('option', {value: a}, actionLabel(a)))),
    h('label', {for: 'login'}, 'As account (for logging in)'),
    h('input', {id: 'login', name: 'login', autocomplete: 'off', placeholder: 'admin'}),
    h('label', {for: 'duration'}, 'For'),
    h('select', {id: 'duration', name: 'duration'}, durations.map((d) => h('option', {value: d, selected: d === 3600}, formatDuration(d)))),
    h('label', {for: 'reason'}, 'Reason'),
    h('textarea', {id: 'reason', name: 'reason', required: true, maxlength: 500, rows: 2}),
    h('label', {for: 'ticket'}, 'Ticket'),
    h('input', {id: 'ticket', name: 'ticket', maxlength: 100}),
    h('div', {class: 'check'}, h('input', {type: 'checkbox', id: 'breakglass', name: 'breakglass'}),
      h('label', {for: 'breakglass'}, 'Break-glass: an emergency that cannot wait (opens at once, the owners are told and review it)')),
    error,
    h('button', {type: 'submit', class: 'primary'}, 'Ask'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    const data = new FormData(form);
    try {
      const grant = await api.post(`/clients/${api.enc(client.tenant)}/grants`, {
        resource: data.get('resource'),
        action: data.get('action'),
        login: data.get('login').trim(),
        duration_seconds: Number(data.get('duration')),
        reason: data.get('reason').trim(),
        ticket: data.get('ticket').trim(),
        breakglass: data.get('breakglass') === 'on',
      });
      announce(`Request sent: ${stateText[grant.state]}.`);
      form.reset();
      refresh();
    } catch (failure) {
      error.textContent = failure.message;
    }
  });
  return form;
}

export async function renderTechnician(container, session, tenant) {
  clearInterval(poller);
  replace(revealPanel); // a password shown once is gone when the page is left
  const {clients} = await api.get('/clients');
  if (clients.length === 0) {
    replace(container, h('h1', {}, 'My access'), h('p', {class: 'muted'}, 'You serve no client yet.'));
    return;
  }
  const chosen = clients.find((c) => c.tenant === tenant) ?? clients[0];
  const client = await api.get(`/clients/${api.enc(chosen.tenant)}`);
  const list = h('div', {class: 'grants', 'aria-live': 'polite'});
  const refresh = async () => {
    const [{grants}, {credentials}] = await Promise.all([
      api.get(`/clients/${api.enc(client.tenant)}/grants?limit=50`),
      api.get(`/clients/${api.enc(client.tenant)}/credentials`),
    ]);
    replace(list, grants.length ? grants.map((g) => grantCard(g, client, refresh, credentials)) : h('p', {class: 'muted'}, 'No requests yet.'));
  };
  replace(
    container,
    h('h1', {}, 'My access'),
    h('nav', {class: 'tabs', 'aria-label': 'Clients'},
      clients.map((c) => h('a', {href: `#/work/${c.tenant}`, 'aria-current': c.tenant === client.tenant ? 'page' : null}, c.name))),
    h('div', {class: 'columns'},
      requestForm(client, refresh),
      h('section', {'aria-labelledby': 'mine-title'}, h('h2', {id: 'mine-title'}, 'My requests'), revealPanel, list)),
    h('p', {}, h('a', {href: `#/c/${client.tenant}/policy`}, `${client.name}'s access policy`)),
  );
  await refresh();
  // Decisions come from owners at any moment: follow them while the page is open.
  poller = setInterval(() => {
    if (!document.hidden && location.hash.startsWith('#/work')) refresh().catch(() => {});
  }, 5000);
}
