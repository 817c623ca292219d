// The client's agent as the dashboard sees it: an owner creates the enrolment code on the page,
// a real `quartet agent` enrols with it and runs, and from then on the page accepts only
// checkpoints the agent cosigned, and says so.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync, spawn} from 'node:child_process';
import {join} from 'node:path';
import {cleanup, demoSignIns, launchBrowser, quartet, screenshot, signIn, startServer, tempFolder, untilTimelineShows} from './harness.mjs';

let folder;
let server;
let browser;
let agent;
let oscarPage; // oscar's browser, linked as a device of kestrel-law's chain

before(async () => {
  folder = tempFolder();
  server = await startServer(join(folder, 'data'));
  browser = await launchBrowser();
});

after(async () => {
  agent?.kill('SIGTERM');
  await browser?.close();
  await server?.stop();
  cleanup(folder);
});

test("an owner enrols the client's agent from the page, and the page then checks its cosignature", async () => {
  const signIns = demoSignIns(join(folder, 'data'));
  const page = await (await browser.newContext({viewport: {width: 1280, height: 900}})).newPage();
  await signIn(page, server.url, 'olivia', signIns.olivia);
  await page.goto(`${server.url}/#/c/harbor-dental/people`);
  await page.getByRole('button', {name: 'Create an enrolment code'}).click();
  const command = await page.locator('code', {hasText: 'quartet agent enrol'}).innerText();
  const code = command.match(/--code (\S+)/)[1];

  const agentData = join(folder, 'agent');
  execFileSync(quartet, ['agent', 'enrol', '--server', server.url, '--code', code, '--data', agentData]);
  agent = spawn(quartet, ['agent', 'run', '--data', agentData], {stdio: ['ignore', 'ignore', 'pipe']});
  let agentLog = '';
  agent.stderr.on('data', (chunk) => (agentLog += chunk));

  // Until the agent's first cosignature the log publishes no checkpoint; then the page verifies both
  // signatures, the agent's with the key pinned from the client's record.
  const status = page.getByTestId('log-status');
  for (let tries = 0; ; ++tries) {
    await page.reload();
    await page.getByRole('heading', {name: 'Your log'}).waitFor();
    if ((await status.count()) > 0 && /cosigned by the client's agent/.test(await status.innerText())) break;
    // The agent backs off up to 30 s between failed polls: allow it two of those.
    assert.ok(
      tries < 120,
      `the page never showed a cosigned checkpoint; the page showed:\n${await page.locator('body').innerText()}\n` +
        `the agent said:\n${agentLog}\nthe server said:\n${server.stderr().slice(-3000)}`,
    );
    await page.waitForTimeout(500);
  }
  const agentCard = page.locator('section', {has: page.getByRole('heading', {name: /^Agent/})});
  assert.match(await agentCard.innerText(), /healthy/);
  const key = await page.locator('dd', {hasText: 'quartet-agent+'}).innerText();
  assert.match(key, /^quartet-agent\+[0-9a-f]{8}\+/);
  await screenshot(page, 'owner-agent');

  // A decision made now is cosigned in turn, and its events verify under the cosigned checkpoint.
  await page.goto(`${server.url}/#/c/harbor-dental/approvals`);
  const card = page.locator('article.grant', {hasText: 'reception-mail'});
  await card.getByRole('button', {name: 'Approve'}).click();
  await page.locator('article.grant.active', {hasText: 'reception-mail'}).waitFor();
  await untilTimelineShows(page, `${server.url}/#/c/harbor-dental/timeline`,
    page.locator('li.event', {hasText: 'olivia approved'}));
  assert.match(await status.innerText(), /cosigned by the client's agent/);
});

test("under a trust chain, the code names the owner's device and she confirms the agent by its safety code", async () => {
  const data = join(folder, 'data');
  const token = execFileSync(quartet, ['admin', '--data', data, 'token', 'create', '--user', 'oscar'], {encoding: 'utf8'}).split('\n')[0];
  const cli = (args) => execFileSync(quartet, ['--server', server.url, '--token', token, ...args], {encoding: 'utf8'});
  const oscarKey = join(data, 'demo', 'oscar.key');
  cli(['trust', 'init', '--key', oscarKey, '--recovery-out', join(folder, 'kestrel-recovery.key')]);
  const page = await (await browser.newContext({viewport: {width: 1280, height: 900}})).newPage();
  await signIn(page, server.url, 'oscar', demoSignIns(data).oscar);
  // Her browser becomes a device of the chain, approved by her key file.
  await page.goto(`${server.url}/#/c/kestrel-law/people`);
  const unlinked = page.getByTestId('link-this-device');
  await unlinked.getByLabel('Name for this device').fill('office browser');
  await unlinked.getByRole('button', {name: 'Link this device'}).click();
  const keyId = await page.getByTestId('link-key-id').innerText();
  cli(['trust', 'approve-link', '--key', oscarKey, '--code', await page.getByTestId('link-code').innerText()]);
  await page.getByRole('button', {name: 'It is approved: check again'}).click();
  await page.goto(`${server.url}/#/c/kestrel-law/people`);
  await page.getByRole('button', {name: 'Create an enrolment code'}).click();
  const code = await page.getByTestId('enrolment-code').innerText();
  assert.ok(code.endsWith(`.${keyId}`), code);

  const enrolled = execFileSync(quartet, ['agent', 'enrol', '--server', server.url, '--code', code, '--data', join(folder, 'kestrel-agent')], {encoding: 'utf8'});
  const safety = enrolled.match(/^safety code: (\d{4}-\d{4}-\d{4})$/m)[1];
  assert.match(enrolled, new RegExp(`confirmed by owner key ${keyId} only`));
  await page.reload();
  const form = page.getByTestId('agent-confirm');
  await form.getByText('Not confirmed yet').waitFor();
  // A code that is not the agent's signs nothing.
  await form.getByLabel('Safety code the agent printed when it enrolled').fill('1234-5678-9012');
  await form.getByRole('button', {name: 'Confirm this agent'}).click();
  await form.getByText('does not match the agent the server names').waitFor();
  assert.doesNotMatch(cli(['trust', 'show']), /Agent .* confirmed/);
  await form.getByLabel('Safety code the agent printed when it enrolled').fill(safety);
  await form.getByRole('button', {name: 'Confirm this agent'}).click();
  await page.getByTestId('agent-confirmed').waitFor();
  await screenshot(page, 'owner-agent-confirmed');
  // Her own replay of the chain, from the command line, shows the agent confirmed.
  assert.match(cli(['trust', 'show']), /Agent agent confirmed/);
  // The policy she saves on the page is signed into the chain by this browser, and in force.
  assert.match(cli(['policy', 'show']), /not signed by the owners/);
  await page.goto(`${server.url}/#/c/kestrel-law/policy`);
  await page.getByRole('button', {name: 'Save the policy'}).click();
  await page.getByText('The policy is signed and in force.').waitFor();
  assert.match(cli(['policy', 'show']), /signed by the owners in the trust chain/);
  // Her browser, a device of the chain, goes on in the next test.
  oscarPage = page;
});

test('the owner replaces the agent from the page: the page follows the agent the chain confirms, and no other', async () => {
  const data = join(folder, 'data');
  const running = [];
  const run = (dir) => {
    const child = spawn(quartet, ['agent', 'run', '--data', dir], {stdio: ['ignore', 'ignore', 'pipe']});
    child.log = '';
    child.stderr.on('data', (chunk) => (child.log += chunk));
    running.push(child);
    return child;
  };
  try {
    const old = run(join(folder, 'kestrel-agent'));
    const page = oscarPage;
    const status = page.getByTestId('log-status');
    const cosignedBy = async (name) => {
      for (let tries = 0; ; ++tries) {
        await page.goto(`${server.url}/#/c/kestrel-law/people`);
        await page.reload();
        await page.getByRole('heading', {name: 'Your log'}).waitFor();
        const card = await page.locator('section', {has: page.getByRole('heading', {name: /^Agent/})}).innerText();
        if ((await status.count()) > 0 && /cosigned by the client's agent/.test(await status.innerText()) && card.includes(`“${name}”`)) return;
        assert.ok(tries < 120, `never cosigned by ${name}:\n${await page.locator('body').innerText()}\n${running.map((c) => c.log).join('\n')}\n` +
          execFileSync(quartet, ['agent', 'status', '--data', join(folder, 'kestrel-agent')], {encoding: 'utf8'}) + server.stderr().slice(-3000));
        await page.waitForTimeout(500);
      }
    };
    await cosignedBy('agent');

    // A code for the new machine, from the agent's card; the new agent enrols and waits.
    await page.getByTestId('replace-agent').locator('summary').click();
    await page.getByRole('button', {name: 'Create an enrolment code for the new agent'}).click();
    const code = await page.getByTestId('enrolment-code').innerText();
    const enrolled = execFileSync(quartet, ['agent', 'enrol', '--server', server.url, '--code', code, '--data', join(folder, 'kestrel-agent-2'), '--name', 'agent-2'], {encoding: 'utf8'});
    assert.match(enrolled, /replaces agent agent once the owners confirm this one/);
    const safety = enrolled.match(/^safety code: (\d{4}-\d{4}-\d{4})$/m)[1];
    const replacement = run(join(folder, 'kestrel-agent-2'));
    await page.reload();
    const form = page.getByTestId('agent-confirm');
    await page.getByTestId('agent-replacement').getByText('“agent-2” was enrolled').waitFor();
    await screenshot(page, 'owner-agent-replacement');
    await form.getByLabel('Safety code the agent printed when it enrolled').fill(safety);
    await form.getByRole('button', {name: 'Confirm “agent-2” in its place'}).click();
    await page.getByTestId('agent-confirmed').waitFor();
    // The page follows the new agent's cosignatures, which the chain it replayed confirms.
    await cosignedBy('agent-2');
    assert.equal(await page.locator('#alarm .alarm').count(), 0);
    assert.match(replacement.log, /continues from checkpoint \d+ that agent agent cosigned/);
    // Replaying the history before it, the new agent finds nothing amiss in the old one's enrolment.
    assert.doesNotMatch(replacement.log, /did not confirm/);

    // The provider puts the old agent back as the log's witness in its own database: every page
    // of the client refuses the log.
    old.kill('SIGTERM');
    const oldKey = execFileSync(quartet, ['agent', 'status', '--data', join(folder, 'kestrel-agent'), '--json'], {encoding: 'utf8'});
    const witnessKey = JSON.parse(oldKey).witness_key;
    assert.ok(witnessKey, oldKey);
    execFileSync('sqlite3', [join(data, 'quartet.db'),
      `UPDATE witnesses SET verifier_key = '${witnessKey}' WHERE log_id = (SELECT id FROM logs WHERE tenant = 'kestrel-law')`]);
    await page.reload();
    const alarm = page.locator('#alarm .alarm');
    await alarm.first().waitFor();
    await page.context().close();
  } finally {
    for (const child of running) child.kill('SIGTERM');
  }
});
