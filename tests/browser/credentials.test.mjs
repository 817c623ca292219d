// Passwords in the dashboard: a technician sees one in the browser under a grant the owner
// approved (a one-time WebCrypto key, the secret shown once), the owner sees who saw which version
// from her log's own entries, checked in her browser, and — once the technician has left — that it
// is at risk. Against the demo's Birch & Lane, whose agent runs beside the server.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {accessibilityViolations, cleanup, demoSignIns, launchBrowser, quartet, screenshot, signIn, startServer, tempFolder} from './harness.mjs';

const SECRET = 'ledger-admin: correct horse battery staple';
let folder;
let data;
let server;
let browser;

before(async () => {
  folder = tempFolder();
  data = join(folder, 'data');
  server = await startServer(data);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  cleanup(folder);
});

const tokenOf = (user) =>
  execFileSync(quartet, ['admin', '--data', data, 'token', 'create', '--user', user], {encoding: 'utf8'}).split('\n')[0];
const cli = (user, args, input) =>
  execFileSync(quartet, ['--server', server.url, '--token', tokenOf(user), ...args], {encoding: 'utf8', input});

test('a technician sees a password once in the browser; the owner sees who saw it, and that a leaver did', async () => {
  const bellaKey = join(data, 'demo', 'bella.key');
  writeFileSync(join(folder, 'secret'), `${SECRET}\n`);
  cli('bella', ['vault', 'put', '--client', 'birch-accounts', '--resource', 'ledger', '--name', 'admin',
    '--username', 'admin@birch-lane.example', '--key', bellaKey], `${SECRET}\n`);
  const grant = JSON.parse(cli('chloe', ['--json', 'request', '--client', 'birch-accounts', '--resource', 'ledger',
    '--action', 'reveal-credential', '--for', '30m', '--reason', 'Year-end close: check the ledger users'])).id;
  cli('bella', ['approve', grant, '--key', bellaKey]);

  const signIns = demoSignIns(data);
  const chloe = await (await browser.newContext({viewport: {width: 1280, height: 900}})).newPage();
  await signIn(chloe, server.url, 'chloe', signIns.chloe);
  await chloe.goto(`${server.url}/#/work/birch-accounts`);
  const card = chloe.locator(`article.grant[data-grant="${grant}"]`);
  await card.getByRole('button', {name: 'Show the password for admin'}).click();
  const shown = chloe.getByTestId('revealed-secret');
  await shown.waitFor({timeout: 40000});
  assert.equal(await shown.innerText(), SECRET);
  await screenshot(chloe, 'technician-reveal');
  // Hidden, it is gone from the page.
  await chloe.getByRole('button', {name: 'Hide'}).click();
  assert.equal(await chloe.getByTestId('revealed-secret').count(), 0);
  assert.ok(!(await chloe.content()).includes(SECRET));

  const bella = await (await browser.newContext({viewport: {width: 1280, height: 900}, bypassCSP: true})).newPage();
  await signIn(bella, server.url, 'bella', signIns.bella);
  await bella.goto(`${server.url}/#/c/birch-accounts/credentials`);
  const credential = bella.locator('article.credential[data-credential="ledger/admin"]');
  await credential.waitFor({timeout: 30000});
  assert.equal(await credential.getByTestId('credential-state').innerText(), 'At risk');
  assert.match(await credential.innerText(), /Shown to chloe/);
  await credential.getByText('History, from the log checked in this browser').click();
  assert.match(await credential.innerText(), /Version 1 stored by bella/);
  assert.match(await credential.innerText(), new RegExp(`Version 1 shown to chloe \\(request ${grant}\\)`));
  assert.ok(!(await bella.content()).includes(SECRET));
  assert.match(await bella.getByTestId('leavers').innerText(), /Nobody who has left/);
  assert.deepEqual(await accessibilityViolations(bella), []);

  // chloe leaves: the offboarding lists the password she saw, and the page works out from the log
  // that it is still in use (once the agent has cosigned the entry).
  const offboarded = await fetch(`${server.url}/api/v1/people/chloe/offboard`, {
    method: 'POST',
    headers: {Authorization: `Bearer ${tokenOf('pat')}`, 'Content-Type': 'application/json'},
    body: '{}',
  });
  assert.equal(offboarded.status, 200);
  const listed = (await offboarded.json()).credentials_at_risk;
  assert.deepEqual(listed.map((c) => `${c.client} ${c.resource}/${c.name} ${c.version} ${c.rotates}`),
    ['birch-accounts ledger/admin 1 false']);
  const risk = bella.getByTestId('at-risk');
  for (let tries = 0; (await risk.count()) === 0; ++tries) {
    assert.ok(tries < 60, `the page never showed the leaver's password:\n${await bella.locator('body').innerText()}`);
    await bella.waitForTimeout(500);
    await bella.reload();
    await bella.locator('article.credential').waitFor({timeout: 30000});
  }
  assert.match(await risk.innerText(), /admin on ledger: version 1 was shown to chloe, who left on/);
  await screenshot(bella, 'owner-passwords');
});
