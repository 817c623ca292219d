// The dashboard in Debian's Chromium against a real `quartet demo` server on loopback: owners
// approve and deny with keys made in the browser, a technician asks, tenants stay apart, and a
// rolled-back or forked log raises the alarm.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {join} from 'node:path';
import {
  accessibilityViolations,
  apiFromPage,
  cleanup,
  copyFolder,
  demoSignIns,
  launchBrowser,
  quartet,
  screenshot,
  signIn,
  startServer,
  untilTimelineShows,
  tempFolder,
} from './harness.mjs';

let folder;
let data;
let server;
let browser;
let signIns;

before(async () => {
  folder = tempFolder();
  data = join(folder, 'data');
  server = await startServer(data);
  signIns = demoSignIns(data);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  cleanup(folder);
});

async function pageAs(user, viewport = {width: 1280, height: 900}) {
  const context = await browser.newContext({viewport});
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`page error (${user}): ${error.message}`));
  await signIn(page, server.url, user, signIns[user]);
  return page;
}

const verifiedBadge = (page) => page.getByTestId('log-status').getByText('Verified in this browser');

/** The size of the checkpoint the page says it verified. */
async function verifiedSize(page) {
  await verifiedBadge(page).waitFor();
  const text = await page.getByTestId('log-status').innerText();
  return Number(text.match(/([\d,]+) entries/)[1].replaceAll(',', ''));
}

test('an owner approves a pending request with a key made in the browser, and the grant opens', async () => {
  const page = await pageAs('olivia');
  await verifiedBadge(page).waitFor();
  const card = page.locator('article.grant', {hasText: 'ana wants to open the mailbox on reception-mail'});
  await card.waitFor();
  const id = await card.getAttribute('data-grant');
  await screenshot(page, 'owner-approvals');
  await card.getByLabel('Comment (optional)').fill('go ahead');
  await card.getByRole('button', {name: 'Approve'}).click();
  const open = page.locator('article.grant.active', {hasText: 'reception-mail'});
  await open.waitFor();
  assert.match(await open.innerText(), /ana/);
  const grant = await apiFromPage(page, `/clients/harbor-dental/grants/${id}`);
  assert.equal(grant.body.state, 'approved');
  assert.equal(grant.body.live, true);
  // The approval is in the log, signed by the key this browser registered, and the page checked it.
  const approved = page.locator('li.event', {hasText: 'olivia approved: “go ahead”'});
  await untilTimelineShows(page, `${server.url}/#/c/harbor-dental/timeline`, approved);
  assert.match(await approved.innerText(), /✓ entry [\d,]+ checked/);
  const registered = page.locator('li.event', {hasText: 'olivia registered a signing key'}).first();
  const keyId = (await registered.innerText()).match(/signing key \(([0-9a-f]{16})\)/)[1];
  assert.match(await approved.innerText(), new RegExp(`key ${keyId}`));
  await screenshot(page, 'owner-timeline');
  // Search and filters narrow the timeline; what remains is still checked event by event.
  await page.getByLabel('Search').fill('phishing');
  await page.locator('.tab-body p.muted.small', {hasText: /^[1-9]\d* events? shown/}).waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('li.event')].every((e) => /phishing/i.test(e.textContent)));
  const found = await page.locator('li.event').count();
  assert.ok(found >= 1 && found < 10, `${found} events match 'phishing'`);
  await page.getByLabel('Search').fill('');
  await page.getByLabel('Technician').selectOption('ben');
  await page.waitForFunction(() => {
    const items = [...document.querySelectorAll('li.event')];
    return items.length > 0 && items.every((e) => !/\bana\b/.test(e.querySelector('p').textContent));
  });
  assert.equal(await page.locator('li.event .proof').count(), await page.locator('li.event').count());
  await page.goto(`${server.url}/#/c/harbor-dental/insights`);
  await page.locator('figure.chart').first().waitFor();
  await screenshot(page, 'owner-insights');
  await page.goto(`${server.url}/#/c/harbor-dental/policy`);
  await page.getByRole('heading', {name: 'The policy in force'}).waitFor();
  await screenshot(page, 'owner-policy');
  await page.goto(`${server.url}/#/c/harbor-dental/people`);
  await page.getByRole('heading', {name: 'Your log'}).waitFor();
  await screenshot(page, 'owner-people');
  await page.context().close();
});

test('an owner denies a request, and it is denied with the signature in the log', async () => {
  const page = await pageAs('oscar', {width: 390, height: 844}); // a phone
  const card = page.locator('article.grant', {hasText: 'chloe wants to open the mailbox on partner-mail'});
  await card.waitFor();
  const id = await card.getAttribute('data-grant');
  await screenshot(page, 'owner-phone');
  await card.getByLabel('Comment (optional)').fill('not this week');
  await card.getByRole('button', {name: 'Deny'}).click();
  await page.getByRole('heading', {name: 'Waiting for you (0)'}).waitFor();
  const grant = await apiFromPage(page, `/clients/kestrel-law/grants/${id}`);
  assert.equal(grant.body.state, 'denied');
  const events = await apiFromPage(page, '/clients/kestrel-law/events?kind=grant.denied&limit=5');
  const denial = JSON.parse(events.body.events[0].entry);
  assert.equal(denial.grant, id);
  assert.equal(denial.comment, 'not this week');
  assert.equal(Buffer.from(denial.signature, 'base64').length, 64);
  await page.context().close();
});

test('a technician asks for access; the owner sees it waiting and approves it, re-registering a key the server lost', async () => {
  const page = await pageAs('ana');
  await page.goto(`${server.url}/#/work/harbor-dental`);
  await page.getByLabel('Resource').selectOption('reception-mail');
  await page.getByLabel('To', {exact: true}).selectOption('open-mailbox');
  await page.getByLabel('Reason').fill('Recover a deleted invoice email');
  await page.getByLabel('Ticket').fill('T-9001');
  await page.getByRole('button', {name: 'Ask'}).click();
  const mine = page.locator('article.grant', {hasText: 'Recover a deleted invoice email'});
  await mine.waitFor();
  assert.match(await mine.innerText(), /Waiting for an owner/);
  await screenshot(page, 'technician');
  await page.context().close();

  // This owner's browser holds a key the server never registered (say, its records were replaced):
  // the page registers a fresh one and the approval goes through, signed by it.
  const owner = await pageAs('olivia');
  await owner.evaluate(async () => {
    const {putOwnerKey} = await import('/assets/js/store.js');
    const pair = await crypto.subtle.generateKey({name: 'Ed25519'}, false, ['sign', 'verify']);
    await putOwnerKey({user: 'olivia', keyId: '00000000deadbeef', privateKey: pair.privateKey, publicKey: pair.publicKey});
  });
  const waiting = owner.locator('article.grant', {hasText: 'Recover a deleted invoice email'});
  await waiting.getByRole('button', {name: 'Approve'}).click();
  await owner.locator('article.grant.active', {hasText: 'Recover a deleted invoice email'}).waitFor();
  await owner.context().close();
});

test("an owner of one client cannot see another client's dashboard or data", async () => {
  const page = await pageAs('olivia');
  await page.goto(`${server.url}/#/c/kestrel-law`);
  await page.locator('main .error').waitFor();
  assert.match(await page.locator('main').innerText(), /no such client/);
  assert.equal(await page.locator('article.grant').count(), 0);
  for (const path of ['/clients/kestrel-law', '/clients/kestrel-law/grants', '/clients/kestrel-law/events',
    '/clients/kestrel-law/event-facets', '/clients/kestrel-law/policy', '/clients/kestrel-law/agent']) {
    const reply = await apiFromPage(page, path);
    assert.equal(reply.status, 404, path);
  }
  const {body} = await apiFromPage(page, '/clients');
  assert.deepEqual(body.clients.map((c) => c.tenant), ['harbor-dental']);
  await page.context().close();
});

test('a technician proposes a policy change on the page, and the owner accepts it', async () => {
  const technician = await pageAs('ana');
  await technician.goto(`${server.url}/#/c/harbor-dental/policy`);
  await technician.getByRole('heading', {name: 'Propose a change'}).waitFor();
  await technician.getByLabel('Longest access of all (minutes)').fill('240');
  await technician.getByLabel('Why (shown to the owner)').fill('Month-end backups take longer');
  await technician.getByRole('button', {name: 'Send the proposal'}).click();
  await technician.getByRole('heading', {name: 'Changes proposed by your provider (1)'}).waitFor();
  await technician.context().close();

  const owner = await pageAs('olivia');
  await owner.goto(`${server.url}/#/c/harbor-dental/policy`);
  const proposal = owner.locator('article.proposal', {hasText: 'Proposed by ana'});
  assert.match(await proposal.innerText(), /after at most 4 hours/);
  await proposal.getByRole('button', {name: 'Accept this policy'}).click();
  await owner.locator('section.card', {hasText: 'The policy in force'}).getByText(/after at most 4 hours/).waitFor();
  assert.equal(await owner.locator('article.proposal').count(), 0);
  await owner.context().close();
});

test('the provider admin sees clients and staff and onboards a technician with MFA', async () => {
  const page = await pageAs('pat');
  await page.getByRole('heading', {name: 'Clients & staff'}).waitFor();
  const onboard = page.locator('form', {hasText: 'Onboard a member of staff'});
  await onboard.getByLabel('User name').fill('dana');
  await onboard.getByLabel('First password (at least 12 characters)').fill('correct horse battery');
  await onboard.getByRole('button', {name: 'Onboard'}).click();
  await page.getByText('dana can sign in').waitFor();
  assert.match(await page.locator('main').innerText(), /otpauth:\/\/totp\/Quartet:dana\?secret=[A-Z2-7]+/);
  await screenshot(page, 'admin');
  await page.context().close();
});

test('an invited owner chooses her own password on the invitation page, receives her second factor and signs in', async () => {
  // The provider adds her (here on its data folder); it gets a one-time invitation, never a password.
  const added = execFileSync(quartet, ['admin', '--data', data, 'user', 'add', '--name', 'nora', '--role', 'owner', '--client', 'harbor-dental']).toString();
  const code = added.match(/for them alone\): (qi_\S+)/)[1];
  const context = await browser.newContext({viewport: {width: 1280, height: 900}, bypassCSP: true});
  const page = await context.newPage();
  await page.goto(`${server.url}/#/invitation/${code}`);
  await page.getByRole('heading', {name: 'Welcome'}).waitFor();
  assert.deepEqual(await accessibilityViolations(page), []);
  const password = 'nora chose this herself';
  await page.getByLabel('Password (12 characters or more)').fill(password);
  await page.getByLabel('The same password again').fill(password);
  await page.getByRole('button', {name: 'Set my password'}).click();
  const secret = await page.getByTestId('totp-secret').innerText();
  assert.match(secret, /^[A-Z2-7]{32}$/);
  await screenshot(page, 'invitation');
  // Used once: the link opens nothing a second time.
  await page.goto(`${server.url}/#/invitation/${code}`);
  await page.reload();
  await page.getByLabel('Password (12 characters or more)').fill('someone else entirely');
  await page.getByLabel('The same password again').fill('someone else entirely');
  await page.getByRole('button', {name: 'Set my password'}).click();
  await page.getByText('This invitation was used already').waitFor();
  // She signs in with her password and her own second factor.
  await signIn(page, server.url, 'nora', {password, secret});
  assert.equal((await apiFromPage(page, '/me')).body.user, 'nora');
  await context.close();
});

test('a rolled-back log and a forked log raise the alarm and switch decisions off', async () => {
  // The server's history as it stands now, kept aside.
  await server.stop();
  const snapshot = join(folder, 'snapshot');
  copyFolder(data, snapshot);
  server = await startServer(data, {port: server.port});

  // Olivia's browser verifies a longer history: her revocation adds entries.
  const page = await pageAs('olivia');
  const snapshotSize = await verifiedSize(page);
  const open = page.locator('article.grant.active', {hasText: 'reception-mail'}).first();
  const ended = await open.getAttribute('data-grant');
  page.once('dialog', (dialog) => dialog.accept());
  await open.getByRole('button', {name: 'End now'}).click();
  await page.locator(`article.grant.active[data-grant="${ended}"]`).waitFor({state: 'detached'});
  // The revocation is published within moments: wait until this browser has verified it.
  for (let tries = 0; (await verifiedSize(page)) <= snapshotSize; ++tries) {
    assert.ok(tries < 50, `the revocation was not published: ${await page.locator('body').innerText()}`);
    await page.waitForTimeout(200);
    await page.reload();
  }

  // The server is rolled back to the copy: fewer entries than the browser verified.
  await server.stop();
  server = await startServer(snapshot, {port: server.port});
  // Sessions went back with the rest: she signs in again, in the same browser.
  await signIn(page, server.url, 'olivia', signIns.olivia);
  const alarm = page.locator('#alarm .alarm');
  await alarm.waitFor();
  assert.match(await alarm.innerText(), /rolled back/);
  assert.equal(await page.getByRole('button', {name: 'Approve'}).count(), 0);
  await screenshot(page, 'alarm');
  await page.context().close();

  // Another browser verifies the longer history; then the copy grows past it with other entries:
  // a fork, which no consistency proof can join to what the browser saw.
  await server.stop();
  server = await startServer(data, {port: server.port});
  const second = await pageAs('olivia');
  assert.ok((await verifiedSize(second)) > snapshotSize);
  await server.stop();
  const forged = Array.from({length: 20}, (_, i) =>
    JSON.stringify({at: 1, client: 'harbor-dental', kind: 'note.forged', n: i})).join('\n');
  execFileSync(quartet, ['log', 'append', '--data', snapshot, '--tenant', 'harbor-dental'], {input: `${forged}\n`});
  server = await startServer(snapshot, {port: server.port});
  await signIn(second, server.url, 'olivia', signIns.olivia);
  const forkAlarm = second.locator('#alarm .alarm');
  await forkAlarm.waitFor();
  assert.match(await forkAlarm.innerText(), /rewritten/);
  await second.context().close();
});
