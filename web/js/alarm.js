/** The page's alarm: shown above everything when the log cannot be trusted. */
import {h, replace} from './dom.js';

export function showAlarm(message) {
  replace(
    document.getElementById('alarm'),
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
