/**
 * The page an invitation link opens (#/invitation/CODE): a person of a client (an owner, a member
 * of staff, an auditor) chooses her own password and receives her own second factor, shown once.
 * Nobody on the provider's side sets or sees either (docs/dashboard.md, "Invitations").
 */
import * as api from './api.js';
import {announce, h, replace} from './dom.js';

function secretOf(uri) {
  const match = /[?&]secret=([A-Z2-7]+)/.exec(uri);
  return match ? match[1] : '';
}

/** Renders the invitation form for `code` into `container`; `onDone` goes on to the sign-in. */
export function renderInvitation(container, code, onDone) {
  const error = h('p', {class: 'error', role: 'alert'});
  const form = h(
    'form',
    {class: 'card narrow', 'aria-labelledby': 'invitation-title'},
    h('h1', {id: 'invitation-title'}, 'Welcome'),
    h('p', {}, 'You were invited to see and decide who may reach your business’s systems. Choose your password: only you will know it.'),
    h('label', {for: 'new-password'}, 'Password (12 characters or more)'),
    h('input', {id: 'new-password', name: 'password', type: 'password', autocomplete: 'new-password', minlength: 12, required: true}),
    h('label', {for: 'again'}, 'The same password again'),
    h('input', {id: 'again', name: 'again', type: 'password', autocomplete: 'new-password', minlength: 12, required: true}),
    error,
    h('button', {class: 'primary', type: 'submit'}, 'Set my password'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    const data = new FormData(form);
    if (data.get('password') !== data.get('again')) {
      error.textContent = 'The two passwords differ.';
      return;
    }
    try {
      const reply = await api.post('/invitations', {code, password: data.get('password')});
      announce('Your password is set.');
      const secret = secretOf(reply.totp_uri);
      replace(
        container,
        h(
          'section',
          {class: 'card narrow', 'aria-labelledby': 'factor-title', 'data-testid': 'second-factor'},
          h('h1', {id: 'factor-title'}, `Your password is set, ${reply.user}`),
          h('p', {}, 'One more step: add your second factor to an authenticator app on your phone (Google Authenticator, Microsoft Authenticator, 1Password, …). It asks for the key below; it is shown this once.'),
          h('p', {}, h('strong', {}, 'Key: '), h('code', {class: 'wrap', 'data-testid': 'totp-secret'}, secret)),
          h('details', {}, h('summary', {}, 'Technical detail'), h('p', {}, 'The provisioning address, for apps that read it: '), h('code', {class: 'wrap'}, reply.totp_uri)),
          h('p', {}, 'When you sign in, the app gives you a six-digit code to type after your password.'),
          h('div', {class: 'buttons'}, h('button', {class: 'primary', type: 'button', onclick: onDone}, 'Go to sign in')),
        ),
      );
    } catch (failure) {
      error.textContent = failure.status === 401
        ? 'This invitation was used already, or has expired. Ask for a new one.'
        : failure.message;
    }
  });
  replace(container, form);
  form.querySelector('input').focus();
}
