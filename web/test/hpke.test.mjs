// web/js/hpke.js against RFC 9180 appendix A.1.1 (the suite the vault uses), as the C++ side is
// (src/vault/hpke_test.cc): the recipient's key schedule, and the first message opened.
//
//   node --test web/test/hpke.test.mjs

import assert from 'node:assert/strict';
import {test} from 'node:test';

import {open, recipientContext} from '../js/hpke.js';

const hex = (s) => Uint8Array.from(s.match(/../g).map((b) => parseInt(b, 16)));
const b64url = (bytes) => Buffer.from(bytes).toString('base64url');

const INFO = hex('4f6465206f6e2061204772656369616e2055726e');
const PK_EM = hex('37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431');
const PK_RM = hex('3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d');
const SK_RM = hex('4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8');
const SHARED_SECRET = hex('fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc');
const KEY = hex('4531685d41d65f03dc48f6b8302c05b0');
const BASE_NONCE = hex('56d890e5accaaf011cff4b7d');
const PLAINTEXT = hex('4265617574792069732074727574682c20747275746820626561757479');
const CIPHERTEXT_0 = hex(
  'f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a',
);

async function recipient() {
  const jwk = {kty: 'OKP', crv: 'X25519', d: b64url(SK_RM), x: b64url(PK_RM)};
  return {
    privateKey: await crypto.subtle.importKey('jwk', jwk, {name: 'X25519'}, false, ['deriveBits']),
    publicKey: await crypto.subtle.importKey('raw', PK_RM, {name: 'X25519'}, true, []),
  };
}

test("the recipient's key schedule is the RFC's", async () => {
  const context = await recipientContext(await recipient(), PK_EM, INFO);
  assert.deepEqual(context.sharedSecret, SHARED_SECRET);
  assert.deepEqual(context.key, KEY);
  assert.deepEqual(context.baseNonce, BASE_NONCE);
});

test("the RFC's first message opens, and nothing else does", async () => {
  const pair = await recipient();
  const aad = new TextEncoder().encode('Count-0');
  assert.deepEqual(await open(pair, PK_EM, INFO, aad, CIPHERTEXT_0), PLAINTEXT);
  // Another AAD, a flipped byte, or another recipient: refused.
  await assert.rejects(open(pair, PK_EM, INFO, new TextEncoder().encode('Count-1'), CIPHERTEXT_0));
  const flipped = CIPHERTEXT_0.slice();
  flipped[3] ^= 1;
  await assert.rejects(open(pair, PK_EM, INFO, aad, flipped));
  const other = await crypto.subtle.generateKey({name: 'X25519'}, false, ['deriveBits']);
  await assert.rejects(open(other, PK_EM, INFO, aad, CIPHERTEXT_0));
});
