/**
 * Pictures of who had access to what: access opened per week by technician and by sensitivity,
 * and a technician × resource map. Drawn as SVG from the client's grants (the last 1,000), each
 * with a text alternative for screen readers.
 */
import * as api from './api.js';
import {h, replace, svg} from './dom.js';
import {labelLabel, sensitive} from './vocab.js';

const palette = ['#1f77b4', '#d95f02', '#1b9e77', '#7570b3', '#e7298a', '#66a61e', '#a6761d', '#666666'];
const week = 7 * 86400;

function weekStart(unixSeconds) {
  // Weeks start on Monday (Unix time 0 was a Thursday).
  return Math.floor((unixSeconds - 4 * 86400) / week) * week + 4 * 86400;
}

function swatch(colour) {
  const element = h('span', {class: 'swatch', 'aria-hidden': 'true'});
  element.style.background = colour; // through the CSSOM: the page's CSP forbids inline styles
  return element;
}

function stackedBars(title, series, weeks) {
  const width = 640;
  const height = 220;
  const left = 36;
  const bottom = 28;
  const names = Object.keys(series);
  const totals = weeks.map((w) => names.reduce((sum, name) => sum + (series[name][w] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const barWidth = (width - left - 10) / Math.max(1, weeks.length);
  const bars = [];
  weeks.forEach((w, i) => {
    let y = height - bottom;
    names.forEach((name, n) => {
      const value = series[name][w] ?? 0;
      if (!value) return;
      const barHeight = ((height - bottom - 10) * value) / max;
      y -= barHeight;
      bars.push(
        svg('rect', {x: left + i * barWidth + 4, y, width: barWidth - 8, height: barHeight, fill: palette[n % palette.length]},
          svg('title', {}, `${name}: ${value} in the week of ${new Date(w * 1000).toLocaleDateString()}`)),
      );
    });
    bars.push(
      svg('text', {x: left + i * barWidth + barWidth / 2, y: height - 10, 'text-anchor': 'middle', class: 'axis'},
        new Date(w * 1000).toLocaleDateString(undefined, {month: 'short', day: 'numeric'})),
    );
  });
  const description = weeks
    .map((w, i) => `Week of ${new Date(w * 1000).toLocaleDateString()}: ${totals[i]} (${names.map((n) => `${n} ${series[n][w] ?? 0}`).join(', ')})`)
    .join('. ');
  return h(
    'figure',
    {class: 'card chart'},
    h('figcaption', {}, title),
    svg('svg', {viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${title}. ${description}`},
      svg('text', {x: 4, y: 16, class: 'axis'}, String(max)),
      svg('line', {x1: left, x2: width, y1: height - bottom, y2: height - bottom, class: 'baseline'}),
      bars),
    h('ul', {class: 'legend'}, names.map((name, n) => h('li', {}, swatch(palette[n % palette.length]), name))),
  );
}

function heatMap(grants, client) {
  const technicians = [...new Set(grants.map((g) => g.technician))].sort();
  const resources = client.resources.map((r) => r.name);
  const counts = {};
  for (const grant of grants) {
    const key = `${grant.technician}|${grant.resource}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  const max = Math.max(1, ...Object.values(counts));
  const table = h(
    'table',
    {class: 'heat'},
    h('caption', {}, 'Technician × resource: how often each technician had access to each resource'),
    h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Technician'), resources.map((r) => {
      const resource = client.resources.find((x) => x.name === r);
      const isSensitive = resource.labels.some((l) => sensitive.has(l));
      return h('th', {scope: 'col', class: isSensitive ? 'warn' : null}, r);
    }))),
    h('tbody', {}, technicians.map((t) => h('tr', {},
      h('th', {scope: 'row'}, t),
      resources.map((r) => {
        const count = counts[`${t}|${r}`] ?? 0;
        const level = count === 0 ? 0 : Math.ceil((4 * count) / max);
        return h('td', {class: `level-${level}`, title: `${t} on ${r}: ${count}`}, count || '');
      })))),
  );
  return h('figure', {class: 'card chart'}, h('figcaption', {}, 'Who reached what'), h('div', {class: 'scroll'}, table));
}

export async function renderInsights(container, context) {
  const {grants} = await api.get(`/clients/${api.enc(context.tenant)}/grants?limit=1000`);
  const opened = grants.filter((g) => g.window_start > 0);
  if (opened.length === 0) {
    replace(container, h('p', {class: 'muted'}, 'No access has been opened yet.'));
    return;
  }
  const newest = weekStart(Math.max(...opened.map((g) => g.window_start)));
  const weeks = [];
  for (let w = newest - 7 * week; w <= newest; w += week) weeks.push(w);
  const byTechnician = {};
  const bySensitivity = {};
  for (const grant of opened) {
    const w = weekStart(grant.window_start);
    (byTechnician[grant.technician] ??= {})[w] = (byTechnician[grant.technician][w] ?? 0) + 1;
    const labels = grant.labels.length ? grant.labels : ['none'];
    for (const label of labels) {
      const name = label === 'none' ? 'no sensitive data' : labelLabel(label);
      (bySensitivity[name] ??= {})[w] = (bySensitivity[name][w] ?? 0) + 1;
    }
  }
  replace(
    container,
    h('div', {class: 'charts'},
      stackedBars('Access opened per week, by technician', byTechnician, weeks),
      stackedBars('Access opened per week, by kind of data', bySensitivity, weeks),
      heatMap(opened, context.client)),
    h('p', {class: 'muted small'}, `From the last ${grants.length} requests; break-glass included.`),
  );
}
