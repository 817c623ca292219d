// Tests of web/js/trust.js against testdata/trust/chains.json, the vectors the C++ side writes
// (src/trust/chain_vectors_testing.cc): every chain is accepted or refused as src/trust/chain.cc
// decides, with the same code at the same position, and an accepted one says the same; every link
// checks as Chain::CheckLink says. Then what the page itself makes: bodies, signatures, links.
//
//   QUARTET_TESTDATA=path/to/testdata node --test web/test/trust.test.mjs

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {describe, test} from 'node:test';
import {fileURLToPath} from 'node:url';

// clang-format off
import {
  addSignature,
  canonicalJson,
  deviceJson,
  isValidPoint,
  keyIdOf,
  parseJson,
  safetyCode,
  signStatement,
  summaryOf,
  TrustChain,
  TrustChainError,
} from '../js/trust.js';
// clang-format on

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TESTDATA = process.env.QUARTET_TESTDATA ?? path.join(REPO, 'testdata');
const vectors = JSON.parse(fs.readFileSync(path.join(TESTDATA, 'trust', 'chains.json'), 'utf8'));

async function outcome(client, statements, verified) {
  try {
    const chain = await TrustChain.replay(client, statements, verified);
    return {accepted: true, chain};
  } catch (error) {
    if (!(error instanceof TrustChainError)) throw error;
    return {accepted: false, code: error.code, position: String(error.position), message: error.message};
  }
}

describe('the chains the C++ side decided', () => {
  for (const item of vectors.chains) {
    test(item.name, async () => {
      const got = await outcome(item.client, item.statements, item.verified ?? null);
      const want = item.expect;
      if (want.accepted) {
        assert.ok(got.accepted, `refused: ${got.message}`);
        assert.equal(canonicalJson(summaryOf(got.chain.state)), canonicalJson(want.summary));
      } else {
        assert.ok(!got.accepted, `accepted, but C++ says: ${want.message}`);
        assert.deepEqual([got.code, got.position], [want.code, String(want.position)],
                         `C++: ${want.message}; here: ${got.message}`);
      }
    });
  }
});

describe('the links the C++ side decided', () => {
  for (const item of vectors.links) {
    test(item.name, async () => {
      const chain = await TrustChain.replay(item.client, item.statements);
      let got;
      try {
        const link = await chain.checkLink(item.link);
        got = {ok: true, owner: link.owner, key_id: link.device.keyId, name: link.device.name};
      } catch (error) {
        if (!(error instanceof TrustChainError)) throw error;
        got = {ok: false, code: error.code, message: error.message};
      }
      if (item.expect.ok) {
        assert.deepEqual(got, item.expect);
      } else {
        assert.equal(got.ok, false, `accepted, but C++ says: ${item.expect.message}`);
        assert.equal(got.code, item.expect.code, `C++: ${item.expect.message}; here: ${got.message}`);
      }
    });
  }
});

test('the safety code is the one the agent prints (the vector of src/agent/replica_test.cc)', async () => {
  const witness = 'acme-agent+0a0b0c0d+BASE64-OF-ITS-KEY';
  const ca = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAGENTSOWNCAKEY';
  assert.equal(await safetyCode('0123456789abcdef', witness, ca), '5090-6332-8640');
  assert.notEqual(await safetyCode('0123456789abcdee', witness, ca), '5090-6332-8640');
  const sealing = 'AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=';
  assert.equal(await safetyCode('0123456789abcdef', witness, ca, sealing), '1007-6458-0138');
});

test('the vectors cover every kind and every code', () => {
  const kinds = new Set();
  const codes = new Set();
  for (const item of vectors.chains) {
    if (!item.expect.accepted) codes.add(item.expect.code);
    else for (const text of item.statements) kinds.add(JSON.parse(JSON.parse(text).body).kind);
  }
  assert.equal(kinds.size, 10);
  assert.deepEqual([...codes].sort(), ['FAILED_PRECONDITION', 'INVALID_ARGUMENT', 'UNAUTHENTICATED']);
});

test('canonical JSON is printed as the C++ side prints it', () => {
  assert.equal(canonicalJson({b: 1, a: [true, null, 'x"\\\n\u0001\u007f€🔑'], é: {}, z: 18446744073709551615n}),
               '{"a":[true,null,"x\\"\\\\\\n\\u0001\u007f€🔑"],"b":1,"z":18446744073709551615,"é":{}}');
  // Keys by code point: U+FFFD sorts before U+1F511, whatever UTF-16 says.
  assert.equal(canonicalJson({'🔑': 1, '\ufffd': 2}), '{"\ufffd":2,"🔑":1}');
  assert.equal(canonicalJson(parseJson('{"x":1.5}')), null);
  assert.throws(() => parseJson('{"a":1,}'));
  assert.throws(() => parseJson('"\\ud800"'));
  assert.throws(() => parseJson('[1] x'));
});

test('keys are valid points as libsodium says', async () => {
  const {publicKey} = await crypto.subtle.generateKey({name: 'Ed25519'}, true, ['sign', 'verify']);
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', publicKey));
  assert.ok(isValidPoint(raw));
  const identity = new Uint8Array(32);
  identity[0] = 1;
  assert.ok(!isValidPoint(identity));
  assert.ok(!isValidPoint(raw.subarray(0, 31)));
});

async function newSigner() {
  const pair = await crypto.subtle.generateKey({name: 'Ed25519'}, true, ['sign', 'verify']);
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  return {keyId: keyIdOf(publicKey), publicKey, privateKey: pair.privateKey};
}

test('what the page makes is what the chain accepts: a genesis, a link and its approval', async () => {
  const laptop = await newSigner();
  const phone = await newSigner();
  const recovery = await newSigner();
  const chain = new TrustChain('acme');
  const genesis = await signStatement(
    chain.nextBody('genesis', {owner: 'olivia', device: deviceJson(laptop.publicKey, 'laptop'),
                               recovery_key: Buffer.from(recovery.publicKey).toString('base64')}, 1782900000),
    [laptop]);
  await chain.apply(genesis);
  assert.equal(chain.state.size, 1);
  const offered = await signStatement(
    chain.nextBody('device.added', {owner: 'olivia', device: deviceJson(phone.publicKey, 'phone')}, 1782900001), [phone]);
  const link = await chain.checkLink(offered);
  assert.equal(link.owner, 'olivia');
  assert.equal(link.device.keyId, phone.keyId);
  await assert.rejects(chain.apply(offered), (e) => e.code === 'UNAUTHENTICATED');
  assert.equal(chain.state.size, 1, 'a refused statement changes nothing');
  const approved = await addSignature(offered, laptop);
  await assert.rejects(addSignature(approved, laptop), (e) => e.code === 'INVALID_ARGUMENT');
  await chain.apply(approved);
  assert.equal(chain.deviceCount(), 2);
  assert.equal(chain.ownerOf(phone.keyId), 'olivia');
  // The same chain, replayed, and replayed from the head kept after the genesis.
  const replayed = await TrustChain.replay('acme', [genesis, approved]);
  assert.equal(canonicalJson(summaryOf(replayed.state)), canonicalJson(summaryOf(chain.state)));
  const pinned = await TrustChain.replay('acme', [genesis, approved], {size: 1, head: summaryOf((await TrustChain.replay('acme', [genesis])).state).head});
  assert.equal(pinned.state.size, 2);
});
