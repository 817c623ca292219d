// What the browser tests share: a real `quartet demo` server on a loopback port, the demo's
// sign-ins (password and TOTP) read from its data folder, and Debian's Chromium driven by
// playwright-core.
import {spawn} from 'node:child_process';
import {createHmac} from 'node:crypto';
import {cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync} from 'node:fs';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {createInterface} from 'node:readline';
import {chromium} from 'playwright-core';

export const quartet = process.env.QUARTET_BIN ?? new URL('../../build/default/quartet', import.meta.url).pathname;
export const screenshotDir =
  process.env.QUARTET_SCREENSHOT_DIR ?? join(process.env.QUARTET_BUILD_DIR ?? tmpdir(), 'screenshots');

/** A fresh folder that is removed by `cleanup`. */
export function tempFolder(prefix = 'quartet-browser-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Starts `quartet demo` (or `server` when `demo` is false) on 127.0.0.1 and resolves once it
 * listens: {url, port, process, stop()}. `port` 0 picks one; a given port restarts a server where
 * a browser already knows it (IndexedDB belongs to the page's origin).
 */
export async function startServer(data, {port = 0, demo = true} = {}) {
  const child = spawn(quartet, [demo ? 'demo' : 'server', '--data', data, '--listen', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const lines = createInterface({input: child.stdout});
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start: ${stderr}`)), 120_000);
    child.on('exit', (code) => reject(new Error(`the server exited with ${code}: ${stderr}`)));
    lines.on('line', (line) => {
      const match = line.match(/listening on (http:\/\/\S+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
  lines.on('line', () => {}); // keep reading, so that the server never blocks on a full pipe
  return {
    url,
    port: Number(new URL(url).port),
    process: child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The demo's browser sign-ins: {user: {password, secret}}. */
export function demoSignIns(data) {
  const out = {};
  for (const line of readFileSync(join(data, 'demo', 'sign-ins.txt'), 'utf8').trim().split('\n')) {
    const [user, password, secret] = line.split(' ');
    out[user] = {password, secret};
  }
  return out;
}

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of text.replace(/=+$/, '').toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 6238 (SHA-1, 30 s, 6 digits) at `unixSeconds`. */
export function totp(secret, unixSeconds = Date.now() / 1000) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(code).padStart(6, '0');
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

// The server refuses a TOTP code whose time step was already used (RFC 6238 §5.2), and accepts one
// step of clock drift: a second sign-in of the same person uses the next step's code, a third waits.
const lastStep = new Map();

async function freshCode(user, secret) {
  for (;;) {
    const step = Math.floor(Date.now() / 30000);
    for (const candidate of [step, step + 1]) {
      if (candidate > (lastStep.get(user) ?? -1)) {
        lastStep.set(user, candidate);
        return totp(secret, candidate * 30);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** Signs in through the page's own form, with a fresh TOTP code. */
export async function signIn(page, url, user, {password, secret}) {
  await page.goto(`${url}/#/sign-in`);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByLabel('One-time code').fill(await freshCode(user, secret));
  await page.getByRole('button', {name: 'Sign in'}).click();
  await page.getByRole('button', {name: 'Sign out'}).waitFor();
}

/** A JSON API call made by the page itself, with its session: {status, body}. */
export function apiFromPage(page, path) {
  return page.evaluate(async (target) => {
    const response = await fetch(`/api/v1${target}`);
    return {status: response.status, body: await response.json()};
  }, path);
}

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/**
 * What axe-core finds against WCAG 2.1 A and AA on the page as it stands, one line each. axe is
 * injected as a script of its own: the page's context must bypass its CSP (tests only).
 */
export async function accessibilityViolations(page) {
  await page.addScriptTag({path: axePath});
  return page.evaluate(async () => {
    const result = await globalThis.axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
    return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`);
  });
}

export async function screenshot(page, name) {
  mkdirSync(screenshotDir, {recursive: true});
  await page.screenshot({path: join(screenshotDir, `${name}.png`)});
}

/**
 * Opens the timeline at `url` until it shows `event`: the timeline reads the log up to the
 * checkpoint the page verified, and an entry just made is published (and cosigned) within moments.
 */
export async function untilTimelineShows(page, url, event, tries = 60) {
  for (let tried = 0; ; ++tried) {
    await page.goto(url);
    if (tried > 0) await page.reload();
    await page.locator('.tab-body[data-ready="true"]').waitFor();
    if ((await event.count()) > 0) return;
    if (tried + 1 >= tries) throw new Error(`the timeline never showed ${event}: ${await page.locator('body').innerText()}`);
    await page.waitForTimeout(300);
  }
}

export function copyFolder(from, to) {
  cpSync(from, to, {recursive: true});
}

export function cleanup(folder) {
  rmSync(folder, {recursive: true, force: true});
}
