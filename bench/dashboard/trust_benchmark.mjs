// Replaying a client's trust chain of 1,000 statements in headless Chromium with web/js/trust.js,
// as the dashboard does on each visit (goal: at most 50 ms), with every signature checked, and as
// on a later visit, with the head this browser kept and one new statement. The chain is the one
// bench/trust_chain_benchmark.cc replays in C++: a genesis and 999 resources signed by one owner's
// device. Baseline in the same run: 1,000 Ed25519 verifications with WebCrypto, all at once.
//
// Usage: node bench/dashboard/trust_benchmark.mjs [STATEMENTS]   (scripts/setup must have run)
import {createServer} from 'node:http';
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {launchBrowser} from '../../tests/browser/harness.mjs';
import {TrustChain, deviceJson, keyIdOf, signStatement, summaryOf} from '../../web/js/trust.js';

const size = Number(process.argv[2] ?? 1000);
const runs = 15;
const web = join(dirname(fileURLToPath(import.meta.url)), '../../web');

async function signer() {
  const pair = await crypto.subtle.generateKey({name: 'Ed25519'}, true, ['sign', 'verify']);
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  return {keyId: keyIdOf(publicKey), publicKey, privateKey: pair.privateKey};
}

// The chain, made and checked here with the same code.
const device = await signer();
const recovery = await signer();
const chain = new TrustChain('acme');
const statements = [];
async function add(kind, fields) {
  const statement = await signStatement(chain.nextBody(kind, fields, 1782900000), [device]);
  await chain.apply(statement);
  statements.push(statement);
}
await add('genesis', {
  owner: 'olivia',
  device: deviceJson(device.publicKey, 'laptop'),
  recovery_key: Buffer.from(recovery.publicKey).toString('base64'),
});
for (let i = 1; i < size; ++i) {
  await add('resource.signed', {resource: `host-${i}`, resource_kind: 'ssh-host', labels: ['financial']});
}
const before = await TrustChain.replay('acme', statements.slice(0, -1));
const kept = {size: before.state.size, head: summaryOf(before.state).head};

// A page on loopback (a secure context, for WebCrypto's Ed25519) that serves web/js and the chain.
const server = createServer((request, response) => {
  if (request.url === '/chain.json') {
    response.writeHead(200, {'content-type': 'application/json'});
    response.end(JSON.stringify({statements, kept}));
  } else if (request.url.startsWith('/js/') && request.url.endsWith('.js') && !request.url.includes('..')) {
    response.writeHead(200, {'content-type': 'text/javascript'});
    response.end(readFileSync(join(web, request.url)));
  } else {
    response.writeHead(200, {'content-type': 'text/html'});
    response.end('<!doctype html><title>trust benchmark</title>');
  }
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}`;

const browser = await launchBrowser();
const page = await (await browser.newContext()).newPage();
await page.goto(`${url}/`);
const result = await page.evaluate(async (count) => {
  const {TrustChain} = await import('/js/trust.js');
  const {statements, kept} = await (await fetch('/chain.json')).json();
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const time = async (work) => {
    const times = [];
    for (let run = 0; run < count + 1; ++run) {
      const started = performance.now();
      await work();
      if (run > 0) times.push(performance.now() - started); // the first warms the page up
    }
    return {median: median(times), min: Math.min(...times), max: Math.max(...times)};
  };
  // Baseline: the signatures alone, one key imported once, all verified at once.
  const pair = await crypto.subtle.generateKey({name: 'Ed25519'}, false, ['sign', 'verify']);
  const message = new TextEncoder().encode('x'.repeat(300));
  const signature = await crypto.subtle.sign({name: 'Ed25519'}, pair.privateKey, message);
  const verifyOnly = await time(() =>
    Promise.all(statements.map(() => crypto.subtle.verify({name: 'Ed25519'}, pair.publicKey, signature, message))),
  );
  const full = await time(async () => {
    const chain = await TrustChain.replay('acme', statements);
    if (chain.state.size !== statements.length) throw new Error('replay failed');
  });
  const known = await time(async () => {
    const chain = await TrustChain.replay('acme', statements, kept);
    if (chain.state.size !== statements.length) throw new Error('replay failed');
  });
  return {verifyOnly, full, known, userAgent: navigator.userAgent};
}, runs);
await browser.close();
server.close();

const ms = (t) => `${t.median.toFixed(1)} ms (min ${t.min.toFixed(1)}, max ${t.max.toFixed(1)})`;
console.log(`${result.userAgent}`);
console.log(`${size} statements, medians of ${runs} runs`);
console.log(`baseline: ${size} Ed25519 verifications, all at once: ${ms(result.verifyOnly)}`);
console.log(`replay, every signature checked:                ${ms(result.full)}`);
console.log(`replay after the head kept, one new statement:   ${ms(result.known)}`);
