/** The client's people, its resources, the technicians who serve it, and its agent's health. */
import * as api from './api.js';
import {formatRelative, formatTime, h, replace} from './dom.js';
import {labelChips} from './owner.js';
import {devicesCard, hasChain, linkThisDeviceCard, thisDevice} from './devices.js';
import {kindLabel} from './vocab.js';

function agentCard(agent, client, session) {
  if (!agent.enrolled) {
    const code = h('p', {});
    const invite = async () => {
      const reply = await api.post(`/clients/${api.enc(client.tenant)}/agent/enrolment-codes`);
      replace(code, 'One-time code (valid 24 hours): ', h('code', {}, reply.code),
        h('br'), 'On the client’s machine: ', h('code', {}, `quartet agent enrol --server ${location.origin} --code ${reply.code} --data /var/lib/quartet-agent`));
    };
    return h('section', {class: 'card'}, h('h2', {}, 'Agent'),
      h('p', {class: 'warn'}, 'No agent is enrolled: nothing on your premises checks this log or holds your keys yet.'),
      session.role === 'owner' ? [h('button', {type: 'button', class: 'primary', onclick: invite}, 'Create an enrolment code'), code] : null);
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
    agent.alarms.length
      ? h('ul', {class: 'alarms'}, agent.alarms.map((a) => h('li', {class: 'bad'}, `${formatTime(a.at, client.time_zone)}: ${a.kind} — ${a.detail}`)))
      : null,
  );
}

/** An owner's own devices, once the client has a trust chain. */
async function ownDevices(context) {
  if (context.session.role !== 'owner' || !hasChain(context)) return null;
  const me = await thisDevice(context);
  return me.owner === null ? linkThisDeviceCard(context) : devicesCard(context, me);
}

export async function renderPeople(container, context) {
  const {client, session} = context;
  const [agent, devices] = await Promise.all([
    api.get(`/clients/${api.enc(client.tenant)}/agent`).catch(() => null),
    ownDevices(context),
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
        h('ul', {class: 'plain'}, client.resources.map((r) => h('li', {}, h('strong', {}, r.name), ` ${kindLabel(r.kind)} `, labelChips(r.labels))))),
      agent ? agentCard(agent, client, session) : null,
      h('section', {class: 'card', 'aria-labelledby': 'log-title'},
        h('h2', {id: 'log-title'}, 'Your log'),
        h('p', {}, 'Anyone can check it with the keys below; this page does so on every visit.'),
        h('dl', {class: 'facts'},
          h('dt', {}, 'Address'), h('dd', {}, h('code', {class: 'wrap'}, `${location.origin}${client.log.url}`)),
          h('dt', {}, 'Log key'), h('dd', {}, h('code', {class: 'wrap'}, client.log.verifier_key)),
          h('dt', {}, 'Agent key'), h('dd', {}, client.log.witness_key ? h('code', {class: 'wrap'}, client.log.witness_key) : 'none yet')),
        h('p', {}, 'Check it from a terminal: ', h('code', {class: 'wrap'},
          `quartet verify --url ${location.origin}${client.log.url} --key '${client.log.verifier_key}'` +
          (client.log.witness_key ? ` --witness '${client.log.witness_key}'` : '')))),
    ),
  );
}
