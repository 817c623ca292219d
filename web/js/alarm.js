/**
 * The page's alarms, shown above everything: the log cannot be trusted, the trust chain cannot be
 * trusted, or the recovery key was used. Each has its own place in #alarm, so that one does not
 * hide another.
 */
import {h, replace} from './dom.js';

function place(name) {
  const region = document.getElementById('alarm');
  let slot = region.querySelector(`[data-alarm="${name}"]`);
  if (!slot) {
    slot = h('div', {'data-alarm': name});
    region.append(slot);
  }
  return slot;
}

export function showAlarm(message) {
  replace(
    place('log'),
    h(
      'div',
      {class: 'alarm'},
      h('strong', {}, 'Warning: this log cannot be trusted.'),
      h('p', {}, message),
      h(
        'p',
        {},
        'Someone changed history that was already recorded. Do not approve anything; contact your provider and, ' +
          'if in doubt, another one. Your agent refuses access on its own when it sees the same.',
      ),
    ),
  );
}

export function showTrustAlarm(message) {
  replace(
    place('trust'),
    h(
      'div',
      {class: 'alarm'},
      h('strong', {}, "Warning: the list of who approves for this client cannot be trusted."),
      h('p', {}, message),
      h(
        'p',
        {},
        'The server showed owners or devices that the owners did not sign, or hid a change they did sign. Do not ' +
          'approve anything; contact your provider. Your agent checks the same chain on its own.',
      ),
    ),
  );
}

/** `details`: nodes saying what happened; `action`: the owner's button, or null. */
export function showRecoveryAlarm(details, action) {
  replace(
    place('recovery'),
    h(
      'div',
      {class: 'alarm', 'data-testid': 'recovery-alarm'},
      h('strong', {}, 'The recovery key was used.'),
      h('p', {}, details),
      h(
        'p',
        {},
        'If you or another owner did this, an owner acknowledges it here. If nobody did, someone else holds the ' +
          'recovery key and the only device that approves for this client: tell the other owners and approve nothing.',
      ),
      action,
    ),
  );
}

export function clearRecoveryAlarm() {
  document.querySelector('#alarm [data-alarm="recovery"]')?.remove();
}
