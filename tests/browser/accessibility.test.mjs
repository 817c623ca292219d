// Every main page of the dashboard, checked with axe-core (WCAG 2.1 A and AA rules: labels, names,
// contrast, landmarks, keyboard focus order) in Chromium, and driven by the keyboard alone.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {join} from 'node:path';
import {
  accessibilityViolations as violations,
  cleanup,
  demoSignIns,
  launchBrowser,
  signIn,
  startServer,
  tempFolder,
  totp,
} from './harness.mjs';

let folder;
let server;
let browser;
let signIns;

before(async () => {
  folder = tempFolder();
  server = await startServer(join(folder, 'data'));
  signIns = demoSignIns(join(folder, 'data'));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  cleanup(folder);
});

// axe is injected as a script of its own: the page's CSP is bypassed for it, in these tests only.
async function pageAs(user, colorScheme = 'light') {
  const context = await browser.newContext({bypassCSP: true, colorScheme, viewport: {width: 1280, height: 900}});
  const page = await context.newPage();
  if (user) await signIn(page, server.url, user, signIns[user]);
  return page;
}

const ready = {
  approvals: (page) => page.getByRole('heading', {name: /Waiting for you/}).waitFor(),
  timeline: (page) => page.locator('.tab-body[data-ready="true"]').waitFor(),
  insights: (page) => page.locator('figure.chart').first().waitFor(),
  policy: (page) => page.getByRole('heading', {name: 'The policy in force'}).waitFor(),
  people: (page) => page.getByRole('heading', {name: 'Your log'}).waitFor(),
};

test('the sign-in page and every owner page pass the WCAG A/AA checks, in light and dark', async () => {
  for (const scheme of ['light', 'dark']) {
    const signInPage = await pageAs(null, scheme);
    await signInPage.goto(`${server.url}/#/sign-in`);
    await signInPage.getByRole('button', {name: 'Sign in'}).waitFor();
    assert.deepEqual(await violations(signInPage), [], `sign-in (${scheme})`);
    await signInPage.context().close();

    const page = await pageAs('olivia', scheme);
    for (const [tab, isReady] of Object.entries(ready)) {
      await page.goto(`${server.url}/#/c/harbor-dental/${tab}`);
      await isReady(page);
      assert.deepEqual(await violations(page), [], `${tab} (${scheme})`);
    }
    await page.context().close();
  }
});

test('the technician and provider admin pages pass the WCAG A/AA checks', async () => {
  const technician = await pageAs('ben');
  await technician.goto(`${server.url}/#/work/harbor-dental`);
  await technician.getByRole('button', {name: 'Ask'}).waitFor();
  assert.deepEqual(await violations(technician), [], 'technician');
  await technician.context().close();
  const admin = await pageAs('pat');
  await admin.getByRole('heading', {name: 'Clients & staff'}).waitFor();
  assert.deepEqual(await violations(admin), [], 'admin');
  await admin.goto(`${server.url}/#/admin/harbor-dental`);
  await admin.getByRole('heading', {name: 'Add a resource'}).waitFor();
  assert.deepEqual(await violations(admin), [], 'admin client');
  await admin.context().close();
});

test('signing in and approving work with the keyboard alone', async () => {
  const page = await pageAs(null);
  await page.goto(`${server.url}/#/sign-in`);
  await page.getByLabel('User name').waitFor();
  // The page puts the cursor in the first field; the others follow in order.
  assert.equal(await page.evaluate(() => document.activeElement.id), 'user');
  await page.keyboard.type('oscar');
  await page.keyboard.press('Tab');
  await page.keyboard.type(signIns.oscar.password);
  await page.keyboard.press('Tab');
  await page.keyboard.type(totp(signIns.oscar.secret, Date.now() / 1000 + 30)); // the next step: unused
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Sign in');
  await page.keyboard.press('Enter');
  const card = page.locator('article.grant', {hasText: 'partner-mail'});
  await card.waitFor();
  await card.getByLabel('Comment (optional)').focus();
  await page.keyboard.type('ok by keyboard');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Approve');
  await page.keyboard.press('Enter');
  await page.locator('article.grant.active', {hasText: 'partner-mail'}).waitFor();
  await page.context().close();
});
