// The client's trust chain in Debian's Chromium against a real `quartet demo` server: the page
// replays the chain itself and says in plain words who approves; a server that hides a statement
// the browser saw raises the alarm; a use of the recovery key is an alarm on every page of the
// client until an owner acknowledges it; and an owner links this browser, and a second one, as
// devices of theirs, and removes one.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {createPrivateKey, createPublicKey} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {accessibilityViolations, apiFromPage, cleanup, demoSignIns, launchBrowser, quartet, screenshot, signIn, startServer, tempFolder, untilTimelineShows} from './harness.mjs';
import {TrustChain, deviceJson, keyIdOf, signStatement} from '../../web/js/trust.js';

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
  // Bypassing the CSP lets the tests inject axe-core.
  const context = await browser.newContext({bypassCSP: true, viewport: {width: 1280, height: 900}});
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`page error (${user}): ${error.message}`));
  await signIn(page, server.url, user, signIns[user]);
  return page;
}

const sentence = (page) => page.getByTestId('trust-sentence');

/** A person the provider adds as an owner of `client`, who chooses her own secrets: her page, signed in. */
async function invitedOwner(user, client) {
  const added = execFileSync(quartet, ['admin', '--data', data, 'user', 'add', '--name', user, '--role', 'owner', '--client', client]).toString();
  const invitation = added.match(/for them alone\): (qi_\S+)/)[1];
  const context = await browser.newContext({bypassCSP: true, viewport: {width: 1280, height: 900}});
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`page error (${user}): ${error.message}`));
  await page.goto(`${server.url}/#/invitation/${invitation}`);
  const password = `${user} chose this one herself`;
  await page.getByLabel('Password (12 characters or more)').fill(password);
  await page.getByLabel('The same password again').fill(password);
  await page.getByRole('button', {name: 'Set my password'}).click();
  const secret = await page.getByTestId('totp-secret').innerText();
  await signIn(page, server.url, user, {password, secret});
  return page;
}

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

test('a use of the recovery key is an alarm on every page until an owner acknowledges it; a history written around it is an alarm', async () => {
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
  assert.deepEqual(await accessibilityViolations(page), [], 'the recovery alarm');
  await alarm.getByRole('button', {name: 'Acknowledge: one of us did this'}).click();
  await alarm.waitFor({state: 'detached'});
  await page.reload();
  await sentence(page).waitFor();
  assert.equal(await alarm.count(), 0);
  // The acknowledgement is in the client's log.
  await untilTimelineShows(page, `${server.url}/#/c/kestrel-law/timeline`,
    page.locator('li.event', {hasText: 'oscar acknowledged the use of the recovery key'}));

  // The phone the recovery removed writes another history from before it, well signed by itself,
  // and the server puts it in place of the recovery: this browser checked the recovery, so alarm.
  const chain = await TrustChain.replay('kestrel-law', (await apiFromPage(page, '/clients/kestrel-law/trust')).body.statements.slice(0, 2));
  const phone = await signerFromFile(join(folder, 'oscar-phone.key'));
  const fork = await signStatement(chain.nextBody('threshold.set', {threshold: 1}, 1782900000), [phone]);
  tamper(`UPDATE trust_statements SET statement = '${fork.replaceAll("'", "''")}' WHERE client = 'kestrel-law' AND seq = 2`);
  await page.goto(`${server.url}/#/c/kestrel-law/approvals`);
  const rewritten = page.locator('#alarm [data-alarm="trust"] .alarm');
  await rewritten.waitFor();
  assert.match(await rewritten.innerText(), /was rewritten: its first 3 statements are not the ones this browser checked/);
  await page.context().close();
});

/** A `quartet owner-key` file as a signer for trust.js. */
async function signerFromFile(path) {
  const seed = Buffer.from(readFileSync(path, 'utf8').split('\n')[1], 'base64');
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, {name: 'Ed25519'}, true, ['sign']);
  const jwk = await crypto.subtle.exportKey('jwk', privateKey);
  const publicKey = new Uint8Array(Buffer.from(jwk.x, 'base64url'));
  return {keyId: keyIdOf(publicKey), publicKey, privateKey};
}

/** A device.added for a key of the server's own, signed by that key: it checks by itself. */
async function forgedLink(tenant, owner) {
  const reply = await fetch(`${server.url}/api/v1/clients/${tenant}/trust`, {
    headers: {authorization: `Bearer ${tokens[owner]}`},
  });
  const chain = await TrustChain.replay(tenant, (await reply.json()).statements);
  const pair = await crypto.subtle.generateKey({name: 'Ed25519'}, true, ['sign', 'verify']);
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const keyId = keyIdOf(publicKey);
  const body = chain.nextBody('device.added', {owner, device: deviceJson(publicKey, 'phone browser')}, 1782900000);
  return {keyId, statement: await signStatement(body, [{keyId, privateKey: pair.privateKey}])};
}

test('an owner links this browser, then a second one, and removes it; a link the server altered is refused', async () => {
  cli('olivia', ['trust', 'init', '--key', ownerKey('olivia'), '--recovery-out', join(folder, 'harbor-recovery.key'),
    '--device-name', 'key file']);
  // The browser's key is not in the chain: the page says so, offers to link it, and signs nothing.
  const first = await pageAs('olivia');
  const unlinked = first.getByTestId('link-this-device');
  await unlinked.waitFor();
  assert.match(await unlinked.innerText(), /does not list this browser as one of your devices/);
  assert.equal(await first.getByRole('button', {name: 'Approve'}).count(), 0);
  const registered = () =>
    apiFromPage(first, '/clients/harbor-dental/events?kind=owner.key_registered&limit=500').then((r) => r.body.events.length);
  const registeredBefore = await registered();
  await unlinked.getByLabel('Name for this device').fill('laptop browser');
  await unlinked.getByRole('button', {name: 'Link this device'}).click();
  const firstCode = await first.getByTestId('link-code').innerText();
  const firstKey = await first.getByTestId('link-key-id').innerText();
  assert.ok(firstCode.endsWith(`.${firstKey}`), firstCode);
  await screenshot(first, 'owner-link-this-device');
  assert.deepEqual(await accessibilityViolations(first), [], 'linking this device');
  // Nothing was registered with the server the old way.
  assert.equal(await registered(), registeredBefore);
  // The key file approves it from the command line, which shows the same key ID.
  const approved = cli('olivia', ['trust', 'approve-link', '--key', ownerKey('olivia'), '--code', firstCode]);
  assert.match(approved, new RegExp(`New device's key ID: ${firstKey}`));
  await first.getByRole('button', {name: 'It is approved: check again'}).click();
  await sentence(first).getByText('1 owner, 2 devices').waitFor();
  assert.equal(await first.getByTestId('link-this-device').count(), 0);
  // Linked, it decides: the approval is signed by the chain's device and the server takes it.
  const card = first.locator('article.grant', {hasText: 'ana wants to open the mailbox on reception-mail'});
  await card.getByRole('button', {name: 'Approve'}).click();
  await first.locator('article.grant.active', {hasText: 'reception-mail'}).waitFor();
  assert.equal(await registered(), registeredBefore);

  // A second browser of olivia's offers itself.
  const second = await pageAs('olivia');
  const offer = second.getByTestId('link-this-device');
  await offer.waitFor();
  await offer.getByLabel('Name for this device').fill('phone browser');
  await offer.getByRole('button', {name: 'Link this device'}).click();
  const secondCode = await second.getByTestId('link-code').innerText();
  const secondKey = await second.getByTestId('link-key-id').innerText();

  // The server swaps the second browser's key for one of its own in the relayed statement: the
  // first browser refuses it and signs nothing.
  const forged = await forgedLink('harbor-dental', 'olivia');
  tamper(`UPDATE trust_links SET statement = '${forged.statement.replaceAll("'", "''")}'`);
  await first.goto(`${server.url}/#/c/harbor-dental/people`);
  const devices = first.getByTestId('devices');
  await devices.getByLabel('Code shown on the new device').fill(secondCode);
  await devices.getByRole('button', {name: 'Look it up'}).click();
  await devices.getByText(`relayed a device with key ${forged.keyId}, not ${secondKey}`).waitFor();
  assert.equal(await devices.getByRole('button', {name: 'Confirm and link'}).count(), 0);
  assert.equal(await devices.locator('tbody tr').count(), 2);

  // A fresh code, relayed as it was made: the first browser shows the key ID to compare, and links
  // it when the person confirms.
  await offer.getByRole('button', {name: 'Link this device'}).click();
  await second.waitForFunction(
    (old) => document.querySelector('[data-testid="link-code"]')?.textContent !== old, secondCode);
  const freshCode = await second.getByTestId('link-code').innerText();
  assert.ok(freshCode.endsWith(`.${secondKey}`), freshCode);
  await devices.getByLabel('Code shown on the new device').fill(freshCode);
  await devices.getByRole('button', {name: 'Look it up'}).click();
  const found = devices.getByTestId('link-found');
  await found.waitFor();
  assert.match(await found.innerText(), new RegExp(`“phone browser” has key ID ${secondKey}`));
  await screenshot(first, 'owner-link-new-device');
  assert.deepEqual(await accessibilityViolations(first), [], 'linking a new device');
  await devices.getByRole('button', {name: 'Confirm and link'}).click();
  await devices.locator(`tr[data-key-id="${secondKey}"]`).waitFor();
  assert.equal(await devices.locator('tbody tr').count(), 3);

  // The second browser is a device now, and says which one it is.
  await second.getByRole('button', {name: 'It is approved: check again'}).click();
  await sentence(second).getByText('1 owner, 3 devices').waitFor();
  await second.goto(`${server.url}/#/c/harbor-dental/people`);
  const itself = second.getByTestId('devices').locator(`tr[data-key-id="${secondKey}"]`);
  await itself.getByText('this device').waitFor();
  await screenshot(second, 'owner-devices');

  // The first removes it; the second is not linked any more.
  first.once('dialog', (dialog) => dialog.accept());
  await devices.locator(`tr[data-key-id="${secondKey}"]`).getByRole('button', {name: 'Remove'}).click();
  await first.waitForFunction((removed) => {
    const rows = [...document.querySelectorAll('[data-testid="devices"] tbody tr')];
    return rows.length === 2 && rows.every((row) => row.dataset.keyId !== removed);
  }, secondKey);
  await second.goto(`${server.url}/#/c/harbor-dental/approvals`);
  await second.getByTestId('link-this-device').waitFor();
  assert.equal(await second.getByRole('button', {name: 'Approve'}).count(), 0);
  const chain = (await apiFromPage(second, '/clients/harbor-dental/trust')).body.chain;
  const kept = chain.owners.olivia.map((device) => device.key_id);
  assert.equal(kept.length, 2);
  assert.ok(kept.includes(firstKey) && !kept.includes(secondKey), kept.join(' '));
  await first.context().close();
  await second.context().close();
});

test('a second owner asks to join from the browser, and once two must sign, signs the first owner’s change there', async () => {
  // The provider adds nina as an owner of Birch & Lane; she sets her own password and second factor.
  const page = await invitedOwner('nina', 'birch-accounts');
  const context = page.context();
  // She is an owner on the server, not in the chain: her browser asks to join it.
  await page.goto(`${server.url}/#/c/birch-accounts/people`);
  const ask = page.getByTestId('link-this-device');
  await ask.getByText('not an owner in Birch & Lane').waitFor();
  await ask.getByLabel('Name for this device').fill('nina laptop');
  await ask.getByRole('button', {name: 'Ask to join the chain'}).click();
  const code = await page.getByTestId('link-code').innerText();
  // Bella, the owner in the chain, signs her in with her key file, then asks for both signatures.
  tokens.bella = execFileSync(quartet, ['admin', '--data', data, 'token', 'create', '--user', 'bella'], {encoding: 'utf8'}).split('\n')[0];
  assert.match(cli('bella', ['trust', 'approve-link', '--key', ownerKey('bella'), '--code', code]), /Added nina as an owner/);
  assert.match(cli('bella', ['trust', 'threshold', '--key', ownerKey('bella'), '2']), /a change needs 2 owners' signatures/);
  const before = (await apiFromPage(page, '/clients/birch-accounts/trust')).body.chain.size;
  // Bella signs what a resource holds: it waits for nina.
  assert.match(cli('bella', ['resource', 'sign', '--key', ownerKey('bella'), '--resource', 'files-01', '--labels', 'financial']),
    /takes effect when 2 owners have signed it; 1 have/);
  assert.equal((await apiFromPage(page, '/clients/birch-accounts/trust')).body.chain.size, before);

  await page.getByRole('button', {name: 'It is approved: check again'}).click();
  await sentence(page).getByText('2 owners, 2 devices; a change needs 2 signatures').waitFor();
  await page.goto(`${server.url}/#/c/birch-accounts/people`);
  const waiting = page.getByTestId('pending-signatures');
  await waiting.getByText('files-01 holds financial data.').waitFor();
  assert.match(await waiting.innerText(), /signed by bella \(1 of 2\)/);
  await screenshot(page, 'owner-pending-signatures');
  assert.deepEqual(await accessibilityViolations(page), [], 'waiting for signatures');
  await waiting.getByRole('button', {name: 'Sign'}).click();
  await page.waitForFunction(() => !document.querySelector('[data-testid="pending-signatures"]'));
  const after = (await apiFromPage(page, '/clients/birch-accounts/trust')).body;
  assert.equal(after.chain.size, before + 1);
  assert.equal(after.pending.length, 0);
  const resources = (await apiFromPage(page, '/clients/birch-accounts')).body.resources;
  assert.deepEqual(resources.find((r) => r.name === 'files-01')?.labels, ['financial']);
  await context.close();
});

test('an owner starts the trust chain in the browser, keeps its recovery key, and signs what each resource holds', async () => {
  execFileSync(quartet, ['admin', '--data', data, 'client', 'add', '--tenant', 'wren', '--name', 'Wren Florists']);
  execFileSync(quartet, ['admin', '--data', data, 'resource', 'add', '--client', 'wren', '--name', 'shop-mail', '--kind', 'mailbox']);
  const page = await invitedOwner('wendy', 'wren');
  await page.goto(`${server.url}/#/c/wren/people`);
  const start = page.getByTestId('start-chain');
  await start.getByLabel('Name for this device').fill('shop laptop');
  await start.getByRole('button', {name: 'Make the recovery key'}).click();
  const text = await start.getByTestId('recovery-key').innerText();
  assert.match(text, /^quartet-owner-key v1\n[A-Za-z0-9+/]{43}=\n?$/);
  await screenshot(page, 'owner-start-chain');
  assert.deepEqual(await accessibilityViolations(page), [], 'starting the chain');
  // Not before she says she kept it.
  await start.getByRole('button', {name: 'Start the trust chain'}).click();
  await start.getByText('Keep the recovery key first').waitFor();
  assert.equal((await apiFromPage(page, '/clients/wren/trust')).body.statements.length, 0);
  await start.getByLabel('I have kept the recovery key somewhere safe and offline').check();
  await start.getByRole('button', {name: 'Start the trust chain'}).click();
  await sentence(page).getByText('1 owner, 1 device; a change needs 1 signature').waitFor();
  // The genesis names the recovery key she was shown, and this browser's key as her device.
  const genesis = JSON.parse(JSON.parse((await apiFromPage(page, '/clients/wren/trust')).body.statements[0]).body);
  const seed = Buffer.from(text.split('\n')[1], 'base64');
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const recoveryPublic = createPublicKey(createPrivateKey({key: pkcs8, format: 'der', type: 'pkcs8'})).export({format: 'der', type: 'spki'}).subarray(12);
  assert.equal(genesis.recovery_key, recoveryPublic.toString('base64'));
  assert.equal(genesis.owner, 'wendy');
  assert.equal(genesis.device.name, 'shop laptop');

  // shop-mail is treated as holding everything until she signs what it holds.
  await page.goto(`${server.url}/#/c/wren/people`);
  const item = page.locator('li[data-resource="shop-mail"]');
  await item.getByText('not signed by an owner yet').waitFor();
  await item.getByText('Sign what it holds').click();
  await item.getByLabel('email').check();
  await item.getByRole('button', {name: 'Sign for shop-mail'}).click();
  await page.locator('li[data-resource="shop-mail"]', {hasText: 'Change what it holds'}).waitFor();
  const resource = (await apiFromPage(page, '/clients/wren')).body.resources.find((r) => r.name === 'shop-mail');
  assert.deepEqual(resource.labels, ['email']);
  assert.equal(resource.signed, true);
  await page.context().close();
});
