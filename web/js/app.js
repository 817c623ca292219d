/**
 * The dashboard: a single page routed by the URL's fragment (#/c/harbor-dental/timeline), so that
 * the server serves one file and every view has a link of its own.
 */
import * as api from './api.js';
import {announce, h, replace} from './dom.js';
import {renderAdmin} from './admin.js';
import {renderClient} from './client-page.js';
import {renderInvitation} from './invitation.js';
import {renderTechnician} from './technician.js';

const main = () => document.getElementById('main');
let session = null;

const roleNames = {
  'provider-admin': 'Provider admin',
  'senior-technician': 'Senior technician',
  technician: 'Technician',
  owner: 'Owner',
  'client-staff': 'Client staff',
  auditor: 'Auditor',
};

function isProvider(role) {
  return role === 'provider-admin' || role === 'senior-technician' || role === 'technician';
}

function home() {
  if (!session) return '#/sign-in';
  if (session.role === 'provider-admin') return '#/admin';
  if (isProvider(session.role)) return '#/work';
  return `#/c/${session.client}`;
}

function renderNav() {
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  if (!session) {
    replace(nav);
    replace(who);
    return;
  }
  const links = [];
  if (session.role === 'provider-admin') links.push(['#/admin', 'Clients & staff']);
  if (isProvider(session.role)) links.push(['#/work', 'My access']);
  if (!isProvider(session.role)) links.push([`#/c/${session.client}`, 'Dashboard']);
  const current = location.hash;
  replace(
    nav,
    links.map(([href, label]) =>
      h('a', {href, 'aria-current': current.startsWith(href) ? 'page' : null}, label),
    ),
  );
  replace(
    who,
    h('span', {class: 'who-name'}, session.user, h('small', {}, roleNames[session.role] ?? session.role)),
    h('button', {class: 'link', type: 'button', onclick: onSignOut}, 'Sign out'),
  );
}

async function onSignOut() {
  await api.signOut().catch(() => {});
  session = null;
  location.hash = '#/sign-in';
}

function renderSignIn(container) {
  const error = h('p', {class: 'error', role: 'alert'});
  const form = h(
    'form',
    {class: 'card narrow sign-in', 'aria-labelledby': 'sign-in-title'},
    h('h1', {id: 'sign-in-title'}, 'Sign in'),
    h('p', {class: 'muted'}, 'Your password and the six-digit code from your authenticator app.'),
    h('label', {for: 'user'}, 'User name'),
    h('input', {id: 'user', name: 'user', autocomplete: 'username', required: true, autocapitalize: 'none'}),
    h('label', {for: 'password'}, 'Password'),
    h('input', {id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true}),
    h('label', {for: 'code'}, 'One-time code'),
    h('input', {
      id: 'code',
      name: 'code',
      inputmode: 'numeric',
      autocomplete: 'one-time-code',
      pattern: '[0-9]{6}',
      maxlength: 6,
    }),
    error,
    h('button', {class: 'primary', type: 'submit'}, 'Sign in'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    const data = new FormData(form);
    try {
      await api.signIn(data.get('user').trim(), data.get('password'), data.get('code').trim());
      session = await api.me();
      announce(`Signed in as ${session.user}`);
      location.hash = home();
    } catch (failure) {
      error.textContent = failure.message;
    }
  });
  replace(container, form);
  form.querySelector('input').focus();
}

async function route() {
  // Each navigation renders into a fresh element: a slower, earlier view that finishes late then
  // fills an element no longer on the page, instead of replacing the current one.
  const container = h('div', {class: 'view'});
  replace(main(), container);
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] === 'invitation' && parts[1]) {
    // Before any session: the person has none yet.
    renderInvitation(container, parts[1], () => (location.hash = '#/sign-in'));
    return;
  }
  if (session === null && parts[0] !== 'sign-in') {
    // On a fresh load of a client's page, its overview is fetched while the session is checked.
    if (parts[0] === 'c' && parts[1]) api.prefetch(`/clients/${api.enc(parts[1])}`);
    session = await api.me().catch(() => null);
    if (!session) {
      location.hash = '#/sign-in';
      return;
    }
  }
  renderNav();
  document.getElementById('alarm').replaceChildren();
  try {
    switch (parts[0]) {
      case 'sign-in':
        if (session) location.hash = home();
        else renderSignIn(container);
        break;
      case 'c':
        await renderClient(container, session, parts[1], parts[2] ?? 'approvals');
        break;
      case 'work':
        await renderTechnician(container, session, parts[1]);
        break;
      case 'admin':
        await renderAdmin(container, session, parts[1]);
        break;
      default:
        location.hash = home();
    }
  } catch (error) {
    if (error.status === 401) {
      session = null;
      location.hash = '#/sign-in';
      return;
    }
    replace(container, h('div', {class: 'card error', role: 'alert'}, error.message));
  }
}

window.addEventListener('hashchange', route);
route();
