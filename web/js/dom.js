/**
 * A few helpers to build the page from data without ever parsing it as HTML: every string given
 * here ends up as text, so nothing the server or a log entry says can become markup or script.
 */

/**
 * h('button', {class: 'primary', onclick: fn}, 'Approve') -> HTMLButtonElement.
 * Attributes starting with "on" are listeners; `null`/`false` attributes are left out; children may
 * be strings, numbers, nodes, arrays of them, or null.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.append(child instanceof Node ? child : String(child));
  }
}

/** SVG elements (charts). */
export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined) element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

/** Replaces the children of `parent`. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
}

const durationUnits = [
  [86400, 'day'],
  [3600, 'hour'],
  [60, 'minute'],
];

/** 5400 -> "1 hour 30 minutes". */
export function formatDuration(seconds) {
  if (seconds < 60) return `${seconds} seconds`;
  const parts = [];
  let rest = seconds;
  for (const [size, name] of durationUnits) {
    const count = Math.floor(rest / size);
    if (count > 0) {
      parts.push(`${count} ${name}${count === 1 ? '' : 's'}`);
      rest -= count * size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

/** Unix seconds -> a local date and time in the client's time zone. */
export function formatTime(unixSeconds, timeZone) {
  return new Date(unixSeconds * 1000).toLocaleString(undefined, {
    timeZone: timeZone || undefined,
    dateStyle: 'medium',
    timeStyle: 'short',
  });
}

/** Unix seconds -> "3 days ago" / "in 20 minutes". */
export function formatRelative(unixSeconds, now = Date.now() / 1000) {
  const delta = Math.round(unixSeconds - now);
  const format = new Intl.RelativeTimeFormat(undefined, {numeric: 'auto'});
  const abs = Math.abs(delta);
  if (abs < 60) return format.format(delta, 'second');
  if (abs < 3600) return format.format(Math.round(delta / 60), 'minute');
  if (abs < 86400) return format.format(Math.round(delta / 3600), 'hour');
  return format.format(Math.round(delta / 86400), 'day');
}

/** A status message in the page's live region, read out by screen readers. */
export function announce(text) {
  const region = document.getElementById('announcer');
  if (region) region.textContent = text;
}
