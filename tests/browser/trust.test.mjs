// The client's trust chain in Debian's Chromium against a real `quartet demo` server: the page
// replays the chain itself and says in plain words who approves; a server that hides a statement
// the browser saw raises the alarm; a use of the recovery key is an alarm on every page of the
// client until an owner acknowledges it; and an owner links this browser, and a second one, as
// devices of theirs, and removes one.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {join} from 'node:path';
import {cleanup, demoSignIns, launchBrowser, quartet, screenshot, signIn, startServer, tempFolder} from './harness.mjs';

let folder;
let data;
let server;
let browser;
let signIns;
const tokens = {};

before(async () => {
  folder = tempFolder();
  data = join(folder, 'data');
  server = await startServer(data);
  signIns = demoSignIns(data);
  browser = await launchBrowser();
  for (const user of ['olivia', 'oscar']) {
    const out = execFileSync(quartet, ['admin', '--data', data, 'token', 'create', '--user', user], {encoding: 'utf8'});
    tokens[user] = out.split('\n')[0];
  }
});

after(async () => {
  await browser?.close();
  await server?.stop();
  cleanup(folder);
});

/** `quartet --server … --token … ARGS` as `user`: its standard output. */
function cli(user, args) {
  return execFileSync(quartet, ['--server', server.url, '--token', tokens[user], ...args], {encoding: 'utf8'});
}
const ownerKey = (user) => join(data, 'demo', `${user}.key`);
function newKey(name) {
  const path = join(folder, `${name}.key`);
  execFileSync(quartet, ['owner-key', 'create', '--out', path]);
  return path;
}
/** Runs SQL on the server's database, as the provider's admins could. */
function tamper(sql) {
  execFileSync('sqlite3', [join(data, 'quartet.db'), sql]);
}

async function pageAs(user) {
  const context = await browser.newContext({viewport: {width: 1280, height: 900}});
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`page error (${user}): ${error.message}`));
  await signIn(page, server.url, user, signIns[user]);
  return page;
}

const sentence = (page) => page.getByTestId('trust-sentence');

test('the page says who approves, checked in the browser, and catches a server that hides a statement', async () => {
  cli('oscar', ['trust', 'init', '--key', ownerKey('oscar'), '--recovery-out', join(folder, 'kestrel-recovery.key'),
    '--device-name', 'desk']);
  const phone = newKey('oscar-phone');
  const code = cli('oscar', ['trust', 'link', '--key', phone, '--device-name', 'phone']).split('\n')[0];
  cli('oscar', ['trust', 'approve-link', '--key', ownerKey('oscar'), '--code', code]);

  const page = await pageAs('oscar');
  await sentence(page).waitFor();
  assert.equal(await sentence(page).innerText(), '1 owner, 2 devices; a change needs 1 signature; no agent confirmed yet.');
  // The key IDs and the head are there on demand.
  const details = page.getByTestId('trust-status').locator('details');
  assert.equal(await details.getAttribute('open'), null);
  await details.locator('summary').click();
  assert.match(await details.innerText(), new RegExp(code.split('.')[1]));
  await screenshot(page, 'owner-trust');

  // oscar removes the phone; the browser sees it.
  const phoneId = code.split('.')[1];
  cli('oscar', ['trust', 'remove-device', '--key', ownerKey('oscar'), '--device', phoneId]);
  await page.reload();
  await sentence(page).getByText('1 owner, 1 device').waitFor();

  // The server drops the removal: the phone would approve again. The browser saw it: alarm.
  tamper("DELETE FROM trust_statements WHERE client = 'kestrel-law' AND seq = 2");
  await page.reload();
  const alarm = page.locator('#alarm [data-alarm="trust"] .alarm');
  await alarm.waitFor();
  assert.match(await alarm.innerText(), /lost statements: this browser checked 3, the server now shows 2/);
  assert.match(await page.getByTestId('trust-status').innerText(), /not verified/);
  // It stays, and decisions are off.
  await page.goto(`${server.url}/#/c/kestrel-law/approvals`);
  await alarm.waitFor();
  await page.getByText('Decisions are switched off').waitFor();
  assert.equal(await page.getByRole('button', {name: 'Approve'}).count(), 0);
  await page.context().close();
});

test('a use of the recovery key is an alarm on every page of the client until an owner acknowledges it', async () => {
  // Every device of kestrel-law's chain lost: the recovery key and a fresh key take their place.
  const fresh = newKey('oscar-fresh');
  cli('oscar', ['trust', 'recover', '--recovery-key', join(folder, 'kestrel-recovery.key'), '--key', fresh,
    '--recovery-out', join(folder, 'kestrel-recovery-2.key')]);
  const page = await pageAs('oscar');
  const alarm = page.getByTestId('recovery-alarm');
  await alarm.waitFor();
  assert.match(await alarm.innerText(), /recovery key replaced every device that approves for Kestrel & Moss Solicitors/);
  for (const tab of ['timeline', 'policy', 'people']) {
    await page.goto(`${server.url}/#/c/kestrel-law/${tab}`);
    await alarm.waitFor();
  }
  await screenshot(page, 'recovery-alarm');
  await alarm.getByRole('button', {name: 'Acknowledge: one of us did this'}).click();
  await alarm.waitFor({state: 'detached'});
  await page.reload();
  await sentence(page).waitFor();
  assert.equal(await alarm.count(), 0);
  // The acknowledgement is in the client's log.
  await page.goto(`${server.url}/#/c/kestrel-law/timeline`);
  await page.locator('li.event', {hasText: 'oscar acknowledged the use of the recovery key'}).waitFor();
  await page.context().close();
});
