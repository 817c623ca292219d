// The client's agent as the dashboard sees it: an owner creates the enrolment code on the page,
// a real `quartet agent` enrols with it and runs, and from then on the page accepts only
// checkpoints the agent cosigned, and says so.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync, spawn} from 'node:child_process';
import {join} from 'node:path';
import {cleanup, demoSignIns, launchBrowser, quartet, screenshot, signIn, startServer, tempFolder} from './harness.mjs';

let folder;
let server;
let browser;
let agent;

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
  for (let tries = 0; ; ++tries) {
    await page.goto(`${server.url}/#/c/harbor-dental/timeline`);
    await page.locator('.tab-body[data-ready="true"]').waitFor();
    if ((await page.locator('li.event', {hasText: 'olivia approved'}).count()) > 0) break;
    assert.ok(tries < 60, 'the approval never reached a cosigned checkpoint');
    await page.waitForTimeout(500);
  }
  assert.match(await status.innerText(), /cosigned by the client's agent/);
});
