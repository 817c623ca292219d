// The dashboard's two performance goals, measured in headless Chromium against a real server:
//   1. the timeline's first page, usable, with 1,000,000 events in the client's log;
//   2. on opening a client's page: the checkpoint's signature, consistency with the last visit,
//      and the inclusion proofs of the first page of events.
// Baseline, in the same run: the same pages for the demo's other client (about 100 events).
//
// Usage: node bench/dashboard/timeline_benchmark.mjs [EVENTS]   (scripts/setup must have run)
import {execFileSync, spawn} from 'node:child_process';
import {join} from 'node:path';
import {
  cleanup,
  demoSignIns,
  launchBrowser,
  quartet,
  signIn,
  startServer,
  tempFolder,
} from '../../tests/browser/harness.mjs';

const total = Number(process.argv[2] ?? 1_000_000);
const runs = 5;
const folder = tempFolder('quartet-bench-');
const data = join(folder, 'data');

// Believable grant histories: request, decision, activation and end, spread over three years.
function* events(count, tenant, start) {
  const technicians = ['ana', 'ben', 'dev', 'eli'];
  const resources = [['fileserver-01', 'ssh-host', 0], ['reception-mail', 'mailbox', 1], ['practice-accounts', 'finance-system', 2]];
  for (let i = 0; i < count; ) {
    const n = i / 4;
    const at = start + Math.floor(i * 90);
    const [resource, kind, labels] = resources[n % resources.length];
    const technician = technicians[n % technicians.length];
    const id = `g-bench-${n}`;
    const request = JSON.stringify({action: 'login', breakglass: false, client: tenant, duration_seconds: 3600, id, kind,
      labels, login: 'admin', not_before: 0, reason: `Scheduled maintenance window ${n}`, requested_at: at, resource,
      role: 'technician', technician, ticket: `T-${100000 + n}`});
    yield {at, client: tenant, grant: id, kind: 'grant.requested', request};
    yield {approvals_required: 0, at, client: tenant, decision: 'approve', grant: id, kind: 'grant.decided', rule: 'Routine work with a ticket in business hours'};
    yield {at, client: tenant, grant: id, kind: 'grant.activated', window_end: at + 3600, window_start: at};
    yield {at: at + 1800, by: technician, client: tenant, grant: id, kind: 'grant.ended'};
    i += 4;
  }
}

async function append(tenant, count, start) {
  const child = spawn(quartet, ['log', 'append', '--data', data, '--tenant', tenant], {stdio: ['pipe', 'ignore', 'inherit']});
  const done = new Promise((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`log append: ${code}`)))));
  let buffer = '';
  for (const event of events(count, tenant, start)) {
    buffer += `${JSON.stringify(event)}\n`;
    if (buffer.length > 1 << 20) {
      if (!child.stdin.write(buffer)) await new Promise((resolve) => child.stdin.once('drain', resolve));
      buffer = '';
    }
  }
  child.stdin.end(buffer);
  await done;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(browser, server, user, signInData, tenant, grow) {
  const context = await browser.newContext({viewport: {width: 1280, height: 900}});
  const page = await context.newPage();
  await signIn(page, server.url, user, signInData);
  const timeline = [];
  const verify = [];
  const proofs = [];
  for (let run = 0; run < runs + 1; ++run) {
    // A full load each time: the page starts cold, as an owner opening it would, and the log has
    // grown since the last visit, so that consistency is proved every time.
    await page.goto('about:blank');
    if (run > 0) {
      await grow();
      await page.waitForTimeout(300); // published within 100 ms
    }
    await page.goto(`${server.url}/#/c/${tenant}/timeline`);
    await page.locator('.tab-body[data-ready="true"]').waitFor({timeout: 60_000});
    const usable = await page.evaluate(() => performance.now());
    const checked = Number(await page.getByTestId('log-status').getAttribute('data-millis'));
    const firstPage = Number(await page.locator('.tab-body p.muted.small').getAttribute('data-millis'));
    if (run === 0) continue; // the first visit pins the checkpoint; later ones check consistency
    timeline.push(usable);
    verify.push(checked + firstPage);
    proofs.push(firstPage);
  }
  await context.close();
  return {timeline: median(timeline), verify: median(verify), proofs: median(proofs)};
}

try {
  const demo = await startServer(data);
  await demo.stop();
  const signIns = demoSignIns(data);
  const started = performance.now();
  await append('harbor-dental', total, Date.UTC(2024, 0, 1) / 1000);
  const appendSeconds = (performance.now() - started) / 1000;
  const server = await startServer(data, {demo: false});
  // The timeline's index follows the log in the background; the first query waits for it.
  const indexStarted = performance.now();
  const token = execFileSync(quartet, ['admin', '--data', data, 'token', 'create', '--user', 'olivia']).toString().trim();
  for (;;) {
    const response = await fetch(`${server.url}/api/v1/clients/harbor-dental/events?limit=1`, {headers: {Authorization: `Bearer ${token}`}});
    if (response.ok) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const indexSeconds = (performance.now() - indexStarted) / 1000;
  const browser = await launchBrowser();
  let more = 0;
  const grow = (tenant) => () => append(tenant, 20, Date.UTC(2027, 0, 1) / 1000 + 3600 * ++more);
  const large = await measure(browser, server, 'olivia', signIns.olivia, 'harbor-dental', grow('harbor-dental'));
  const small = await measure(browser, server, 'oscar', signIns.oscar, 'kestrel-law', grow('kestrel-law'));
  await browser.close();
  await server.stop();
  const row = (name, key) =>
    `| ${name} | ${large[key].toFixed(0)} ms | ${small[key].toFixed(0)} ms | ${(large[key] / small[key]).toFixed(2)}× |`;
  console.log(`appended ${total.toLocaleString()} events in ${appendSeconds.toFixed(1)} s; indexed in ${indexSeconds.toFixed(1)} s`);
  console.log(`| median of ${runs} page loads | ${total.toLocaleString()} events | demo client (baseline) | ratio |`);
  console.log('|---|---|---|---|');
  console.log(row('timeline first page usable (navigation start → filled and checked)', 'timeline'));
  console.log(row('signatures + consistency with last visit + inclusion proofs of the first page', 'verify'));
  console.log(row('of which: fetching the first page and checking its 50 inclusion proofs', 'proofs'));
} finally {
  cleanup(folder);
}
