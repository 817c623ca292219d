/**
 * A technician's reveal of a credential in the browser (docs/credentials.md): a one-time X25519
 * key pair made here, its private half non-extractable; the client's agent checks the grant and
 * answers with the secret sealed to that key (HPKE, info quartet-reveal/v1, bound to the
 * credential, its version and the request). The secret is shown once, in this page only: never
 * stored, and gone when hidden or when the page is left.
 */
import * as api from './api.js';
import * as hpke from './hpke.js';
import {announce, h, replace} from './dom.js';
import {base64ToBytes, bytesToBase64} from './tlog.js';
import {canonicalJson} from './trust.js';

const text = new TextEncoder();

/** Asks the agent for `name` under `grant` and opens its answer: {secret, version}. */
export async function revealSecret(tenant, grant, resource, name) {
  const pair = await hpke.generateKeyPair();
  const publicKey = bytesToBase64(await hpke.publicKeyBytes(pair.publicKey));
  let answer = await api.post(`/clients/${api.enc(tenant)}/grants/${api.enc(grant)}/reveals`, {
    public_key: publicKey,
    name,
    wait_seconds: 20,
  });
  for (let tries = 0; answer.state === 'pending' && tries < 15; ++tries) {
    answer = await api.get(`/clients/${api.enc(tenant)}/reveals/${api.enc(answer.id)}?wait=20`);
  }
  if (answer.state === 'pending') throw new Error("The client's agent has not answered yet: is it running?");
  if (answer.state !== 'revealed') throw new Error(`The client's agent refused: ${answer.reason}`);
  const aad = text.encode(
    canonicalJson({client: tenant, name, request: answer.id, resource, version: answer.version}),
  );
  const opened = await hpke.open(
    pair,
    base64ToBytes(answer.sealed.enc),
    text.encode('quartet-reveal/v1'),
    aad,
    base64ToBytes(answer.sealed.ciphertext),
  );
  return {secret: new TextDecoder('utf-8', {fatal: true}).decode(opened), version: answer.version};
}

/** The panel a revealed secret ({secret, version, rotates}) shows in, once; `Hide` forgets it. */
export function showSecret(panel, clientName, resource, name, revealed) {
  const value = h('code', {class: 'secret', 'data-testid': 'revealed-secret'}, revealed.secret);
  const copy = h('button', {type: 'button', class: 'secondary'}, 'Copy');
  copy.addEventListener('click', async () => {
    await navigator.clipboard.writeText(revealed.secret).catch(() => {});
    copy.textContent = 'Copied';
    announce('Password copied.');
  });
  const hide = h('button', {type: 'button', class: 'secondary'}, 'Hide');
  hide.addEventListener('click', () => replace(panel));
  replace(
    panel,
    h(
      'section',
      {class: 'card revealed', 'aria-label': `The password for ${name} on ${resource}`},
      h('h3', {}, `Password for ${name} on ${resource}`),
      h('p', {class: 'small'},
        `Shown once, here only. ${clientName}'s log records that you saw version ${revealed.version}; ` +
        (revealed.rotates ? 'the client’s agent changes it when your access ends.' : 'nothing changes it by itself: the owners see that you saw it.')),
      h('div', {class: 'command'}, value, copy, hide),
    ),
  );
  announce(`The password for ${name} on ${resource} is shown.`);
}
