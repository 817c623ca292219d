// Tests of web/js/tlog.js: known answers (signed-note, tlog-cosignature), the RFC 6962 proof vectors
// of testdata/merkle, a real log written by the quartet binary (read from disk and over HTTP from
// `quartet server`), and a timing of proofs over a synthetic 1,000,000-entry log.
//
//   QUARTET_BIN=path/to/quartet QUARTET_TESTDATA=path/to/testdata node --test web/test/tlog.test.mjs

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  EMPTY_ROOT,
  TYPE_COSIGNATURE_V1,
  TYPE_ED25519,
  TileLog,
  base64ToBytes,
  bytesToBase64,
  bytesToHex,
  computeKeyId,
  equalBytes,
  hexToBytes,
  httpTileFetcher,
  leafHash,
  nodeHash,
  openNote,
  parseCheckpoint,
  parseNote,
  parseVerifierKey,
  sha256Sync,
  tilePath,
  verifyCheckpoint,
  verifyConsistency,
  verifyEntries,
  verifyInclusion,
} from '../js/tlog.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const TESTDATA = process.env.QUARTET_TESTDATA ?? path.join(REPO, 'testdata');

// The CLI's place depends on the build preset; CTest passes QUARTET_BIN.
function findQuartet() {
  if (process.env.QUARTET_BIN) return process.env.QUARTET_BIN;
  const candidates = ['build/src/cli/quartet', 'build/quartet', 'build/default/quartet', 'build/default/src/cli/quartet'];
  const found = candidates.map((c) => path.join(REPO, c)).find((c) => fs.existsSync(c));
  if (!found) throw new Error('no quartet binary found: set QUARTET_BIN');
  return found;
}

const sha256 = (...parts) => new Uint8Array(createHash('sha256').update(Buffer.concat(parts)).digest());
const text = (s) => new TextEncoder().encode(s);

// c2sp.org/signed-note, "Verifier keys": the example key and the note it signs.
const SPEC_VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const SPEC_NOTE =
  'This is an example message.\n\n' +
  '\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';

// golang.org/x/mod/sumdb/note, note_test.go (data only): one text signed by two keys.
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const GO_NOTE =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n" +
  '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n' +
  '\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

// The cosigned checkpoint of src/ledger/note_test.cc, made independently with Python's
// `cryptography`: the c2sp.org/tlog-cosignature example checkpoint and time, RFC 8032 keys.
const SOFA_LOG_VKEY = 'example.com/behind-the-sofa+37bc54d7+AT1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM';
const SOFA_WITNESS_VKEY = 'witness.example.com/w1+7e6f4aaa+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea';
const SOFA_TEXT = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
const SOFA_TIME = 1679315147;
const SOFA_LOG_SIG =
  '\u2014 example.com/behind-the-sofa N7xU1+abfjKmQX7u2YhTdYaOXrug9rsbMBefB1zqpTMCh7Qbu95DTTW6yAHrIQI/NYE44uaYFncmQ4kfoZLG679blQk=\n';
const SOFA_WITNESS_SIG =
  '\u2014 witness.example.com/w1 fm9KqgAAAABkGFDL+TPmh4BYuAjsYRoqMJCWb/gWJaeRF/kmm5tlCr9sJ57DLErur7K0yDXc2ArN+TIuotuB/HbuL3AJsp3bv/aNCQ==\n';
// The spec's own example cosignature: by another key of the same name, so it must be ignored.
const SPEC_COSIG =
  '\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n';

// A fresh WebCrypto key in the role of a log (type 0x01) or a witness (type 0x04).
async function makeSigner(name, type) {
  const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const keyId = computeKeyId(name, type, publicKey);
  const vkey = `${name}+${bytesToHex(keyId)}+${bytesToBase64(Uint8Array.of(type, ...publicKey))}`;
  const line = async (body, timestamp = 0) => {
    const stamp = new Uint8Array(8);
    new DataView(stamp.buffer).setBigUint64(0, BigInt(timestamp));
    const message = type === TYPE_ED25519 ? body : `cosignature/v1\ntime ${timestamp}\n${body}`;
    const signature = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, pair.privateKey, text(message)));
    const bytes = type === TYPE_ED25519 ? [...keyId, ...signature] : [...keyId, ...stamp, ...signature];
    return `\u2014 ${name} ${bytesToBase64(Uint8Array.from(bytes))}\n`;
  };
  return { vkey, line };
}

// Flips one bit of the base64 signature in a note's last line.
function flipSignatureBit(note) {
  const lines = note.split('\n');
  const last = lines.length - 2;
  const space = lines[last].lastIndexOf(' ');
  const bytes = base64ToBytes(lines[last].slice(space + 1));
  bytes[20] ^= 0x01;  // past the key ID and any timestamp: in the Ed25519 signature
  lines[last] = lines[last].slice(0, space + 1) + bytesToBase64(bytes);
  return lines.join('\n');
}

describe('bytes', () => {
  test('base64 round trips and is strict', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
      const encoded = bytesToBase64(bytes);
      assert.equal(encoded, Buffer.from(bytes).toString('base64'));
      assert.deepEqual(base64ToBytes(encoded), bytes);
    }
    for (const bad of ['QQ', 'QQ=', 'QR==', ' QQ==', 'QQ==\n', 'Q===', 'QQ=A', 'QUJD-w==', 'QUJD_w==']) {
      assert.throws(() => base64ToBytes(bad), /malformed base64/, bad);
    }
  });

  test('hex and equality', () => {
    assert.equal(bytesToHex(Uint8Array.of(0, 15, 255)), '000fff');
    assert.deepEqual(hexToBytes('000fff'), Uint8Array.of(0, 15, 255));
    assert.ok(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2)));
    assert.ok(!equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3)));
    assert.ok(!equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 3)));
    assert.ok(!equalBytes(Uint8Array.of(), undefined));
  });

  test('the synchronous SHA-256 of key IDs agrees with WebCrypto', async () => {
    for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 200, 1000]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) & 0xff);
      const expected = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
      assert.equal(bytesToHex(sha256Sync(bytes)), bytesToHex(expected), `length ${n}`);
    }
  });
});

describe('verifier keys', () => {
  test('the signed-note example key', () => {
    const key = parseVerifierKey(SPEC_VKEY);
    assert.equal(key.name, 'example.com/foo');
    assert.equal(bytesToHex(key.keyId), '530d903a');
    assert.equal(key.type, TYPE_ED25519);
    assert.equal(key.publicKey.length, 32);
  });

  test('a cosignature/v1 key, whose base64 holds a plus sign', () => {
    const key = parseVerifierKey(SOFA_WITNESS_VKEY);
    assert.equal(key.name, 'witness.example.com/w1');
    assert.equal(key.type, TYPE_COSIGNATURE_V1);
    assert.equal(bytesToHex(key.keyId), '7e6f4aaa');
    // The same key as type 0x01 has another ID.
    assert.notEqual(bytesToHex(computeKeyId(key.name, TYPE_ED25519, key.publicKey)), '7e6f4aaa');
  });

  test('malformed keys are refused with a reason', () => {
    const material = SPEC_VKEY.split('+')[2];
    const cases = [
      ['example.com/foo+530d903b+' + material, /does not match the key/],
      ['example.com/bar+530d903a+' + material, /does not match the key/],
      ['example.com/foo+530D903A+' + material, /8 lowercase hex/],
      ['example.com/foo+530d903+' + material, /8 lowercase hex/],
      ['example.com/foo+530d903a+' + material.slice(0, -4), /not 32 bytes/],
      ['example.com/foo+530d903a+Aek', /not valid base64/],
      ['example.com/foo+530d903a+' + bytesToBase64(Uint8Array.of(2, ...new Uint8Array(32))), /unsupported signature type 2/],
      ['example.com/foo', /is not <name>\+<key ID>\+<key>/],
      ['+530d903a+' + material, /invalid name/],
      ['a b+530d903a+' + material, /invalid name/],
    ];
    for (const [vkey, message] of cases) assert.throws(() => parseVerifierKey(vkey), message, vkey);
  });
});

describe('signed notes', () => {
  test('the signed-note example verifies, and a flipped bit does not', async () => {
    const opened = await openNote(SPEC_NOTE, [SPEC_VKEY]);
    assert.equal(opened.body, 'This is an example message.\n');
    assert.deepEqual(opened.verified.map((v) => v.name), ['example.com/foo']);
    await assert.rejects(openNote(flipSignatureBit(SPEC_NOTE), [SPEC_VKEY]), /signature by example.com\/foo\+530d903a .* not valid/);
    await assert.rejects(openNote(SPEC_NOTE.replace('example message', 'example messagf'), [SPEC_VKEY]), /not valid/);
  });

  test('signatures by unknown keys are ignored, and none known is a failure', async () => {
    const opened = await openNote(GO_NOTE, [PETER_VKEY]);
    assert.deepEqual(opened.verified.map((v) => v.name), ['PeterNeumann']);
    assert.equal(opened.signatures.length, 2);
    const both = await openNote(GO_NOTE, [ENOCH_VKEY, PETER_VKEY]);
    assert.deepEqual(both.verified.map((v) => v.name), ['EnochRoot', 'PeterNeumann']);
    await assert.rejects(openNote(GO_NOTE, [SPEC_VKEY]), /no signature by a known key/);
  });

  test('parsing is strict', () => {
    const good = SPEC_NOTE;
    assert.equal(parseNote(good).signatures[0].name, 'example.com/foo');
    assert.equal(parseNote(text(good)).body, 'This is an example message.\n');
    const cases = [
      [good.slice(0, -1), /does not end with a newline/],
      [good.replace('\n\n', '\n'), /no blank line/],
      ['text\n\n', /no signature/],
      [good.replace('\u2014', '-'), /em dash/],
      [good.replace('\u2014 example.com/foo ', '\u2014 example.com/foo'), /no space/],
      [good.replace('example.com/foo U', 'example.com/foo  U'), /malformed base64/],
      [good.replace('This', 'Th\tis'), /control character/],
      [good.replace('This', 'Th\ris'), /control character/],
      [good.replace('U', '\u2014'), /malformed base64/],
      ['text\n\n\u2014 a QUJD\n', /too short/],
      [good + '\u2014 x', /does not end with a newline/],
      [good + '\n', /no signature/],
      [good + 'extra\n', /em dash/],
    ];
    for (const [note, message] of cases) assert.throws(() => parseNote(note), message, JSON.stringify(note));
    assert.throws(() => parseNote(Uint8Array.of(0x61, 0xff, 0x0a, 0x0a)), /not valid UTF-8/);
  });
});

describe('checkpoints', () => {
  const cosigned = SOFA_TEXT + '\n' + SOFA_LOG_SIG + SOFA_WITNESS_SIG;

  test('a cosigned checkpoint made by another implementation', async () => {
    const checkpoint = await verifyCheckpoint(cosigned, SOFA_LOG_VKEY, [SOFA_WITNESS_VKEY]);
    assert.equal(checkpoint.origin, 'example.com/behind-the-sofa');
    assert.equal(checkpoint.size, 20852163);
    assert.equal(bytesToBase64(checkpoint.root), 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=');
    assert.equal(checkpoint.cosignedAt, SOFA_TIME);
    assert.deepEqual(checkpoint.extensions, []);
    // Without witnesses asked for, the cosignature is not needed and cosignedAt is null.
    assert.equal((await verifyCheckpoint(cosigned, SOFA_LOG_VKEY)).cosignedAt, null);
    // The spec's cosignature line is from an unknown key that shares the name: ignored.
    assert.equal((await verifyCheckpoint(cosigned + SPEC_COSIG, SOFA_LOG_VKEY, [SOFA_WITNESS_VKEY])).size, 20852163);
  });

  test('missing or broken cosignatures and signatures are refused', async () => {
    const logOnly = SOFA_TEXT + '\n' + SOFA_LOG_SIG;
    await assert.rejects(verifyCheckpoint(logOnly, SOFA_LOG_VKEY, [SOFA_WITNESS_VKEY]), /not cosigned by the witness witness.example.com\/w1\+7e6f4aaa/);
    await assert.rejects(verifyCheckpoint(flipSignatureBit(cosigned), SOFA_LOG_VKEY, [SOFA_WITNESS_VKEY]), /signature by witness.example.com\/w1\+7e6f4aaa .* not valid/);
    // The timestamp is signed: moving it by a second breaks the cosignature.
    const cosig = base64ToBytes(SOFA_WITNESS_SIG.trim().split(' ')[2]);
    cosig[11] ^= 1;
    const moved = SOFA_TEXT + '\n' + SOFA_LOG_SIG + `\u2014 witness.example.com/w1 ${bytesToBase64(cosig)}\n`;
    await assert.rejects(verifyCheckpoint(moved, SOFA_LOG_VKEY, [SOFA_WITNESS_VKEY]), /not valid/);
    // The log's signature is required; a witness alone is not enough.
    await assert.rejects(verifyCheckpoint(SOFA_TEXT + '\n' + SOFA_WITNESS_SIG, SOFA_LOG_VKEY, [SOFA_WITNESS_VKEY]), /not signed by the log key/);
    await assert.rejects(verifyCheckpoint(flipSignatureBit(logOnly), SOFA_LOG_VKEY), /signature by example.com\/behind-the-sofa.* not valid/);
    await assert.rejects(verifyCheckpoint(logOnly.replace('20852163', '20852164'), SOFA_LOG_VKEY), /not valid/);
    // Key types must fit their roles.
    await assert.rejects(verifyCheckpoint(cosigned, SOFA_WITNESS_VKEY), /not an Ed25519 signed-note key/);
    await assert.rejects(verifyCheckpoint(cosigned, SOFA_LOG_VKEY, [SOFA_LOG_VKEY]), /not a cosignature\/v1 key/);
  });

  test('the origin must be the log key name; witnesses are reported in the order given', async () => {
    await assert.rejects(verifyCheckpoint(SPEC_NOTE, SPEC_VKEY), /fewer than three lines/);
    const log = await makeSigner('example.test/log', TYPE_ED25519);
    const w1 = await makeSigner('witness-one', TYPE_COSIGNATURE_V1);
    const w2 = await makeSigner('witness-two', TYPE_COSIGNATURE_V1);
    const root = bytesToBase64(new Uint8Array(32).fill(7));
    const body = `example.test/log\n42\n${root}\nsome extension\n`;
    const note = body + '\n' + (await log.line(body)) + (await w2.line(body, 2000)) + (await w1.line(body, 1000));
    const checkpoint = await verifyCheckpoint(note, log.vkey, [w1.vkey, w2.vkey]);
    assert.equal(checkpoint.cosignedAt, 1000);
    assert.deepEqual(checkpoint.cosignatures.map((c) => [c.name, c.timestamp]), [['witness-one', 1000], ['witness-two', 2000]]);
    assert.deepEqual(checkpoint.extensions, ['some extension']);
    const other = body.replace('example.test/log', 'example.test/other');
    await assert.rejects(
      verifyCheckpoint(other + '\n' + (await log.line(other)), log.vkey),
      /the checkpoint is for "example.test\/other", not for the log "example.test\/log"/,
    );
  });

  test('checkpoint bodies are parsed strictly', () => {
    const root = bytesToBase64(new Uint8Array(32));
    assert.deepEqual(parseCheckpoint(`o\n5\n${root}\next a\n`).extensions, ['ext a']);
    const cases = [
      [`o\n5\n${root}`, /newline/],
      [`o\n5\n`, /fewer than three lines/],
      [`\n5\n${root}\n`, /origin is empty/],
      [`o\n05\n${root}\n`, /not a decimal number/],
      [`o\n-5\n${root}\n`, /not a decimal number/],
      [`o\n 5\n${root}\n`, /not a decimal number/],
      [`o\n99999999999999999999\n${root}\n`, /too large/],
      [`o\n5\n${root.slice(4)}\n`, /not 32 bytes/],
      [`o\n5\n${root}\n\n`, /empty extension line/],
    ];
    for (const [body, message] of cases) assert.throws(() => parseCheckpoint(body), message, JSON.stringify(body));
  });
});

// ---- Merkle trees ----

// Reads one testdata/merkle case, keeping 64-bit sizes exact (JSON numbers are doubles).
function readVector(file) {
  const json = fs.readFileSync(file, 'utf8').replace(/("(?:leafIdx|treeSize|size1|size2)":\s*)(\d+)/g, '$1"$2"');
  const vector = JSON.parse(json);
  for (const key of ['leafIdx', 'treeSize', 'size1', 'size2']) {
    if (key in vector) vector[key] = BigInt(vector[key]);
  }
  return vector;
}

function listJson(folder) {
  return fs
    .readdirSync(folder, { recursive: true })
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => path.join(folder, f));
}

async function runInclusionVector(v) {
  const proof = (v.proof ?? []).map(base64ToBytes);
  return verifyInclusion(v.leafIdx, v.treeSize, base64ToBytes(v.leafHash), proof, base64ToBytes(v.root));
}

async function runConsistencyVector(v) {
  const proof = (v.proof ?? []).map(base64ToBytes);
  return verifyConsistency(v.size1, v.size2, proof, base64ToBytes(v.root1), base64ToBytes(v.root2));
}

describe('RFC 6962 proof vectors (testdata/merkle)', () => {
  for (const [kind, run] of [['inclusion', runInclusionVector], ['consistency', runConsistencyVector]]) {
    const folder = path.join(TESTDATA, 'merkle', kind);
    const files = listJson(folder);
    test(`${kind}: ${files.length} cases`, async () => {
      assert.ok(files.length > 20, `too few vectors in ${folder}`);
      let accepted = 0;
      for (const file of files) {
        const vector = readVector(file);
        const name = path.relative(folder, file);
        if (vector.wantErr) {
          await assert.rejects(run(vector), Error, `${name} (${vector.desc}) must be refused`);
        } else {
          await assert.doesNotReject(run(vector), `${name} (${vector.desc}) must verify`);
          accepted++;
        }
      }
      assert.ok(accepted > 0);
    });
  }

  test('the empty tree, leaf and node hashes', async () => {
    assert.deepEqual(EMPTY_ROOT, sha256(Buffer.alloc(0)));
    assert.deepEqual(await leafHash(text('abc')), sha256(Buffer.from([0]), Buffer.from('abc')));
    const a = new Uint8Array(32).fill(1);
    const b = new Uint8Array(32).fill(2);
    assert.deepEqual(await nodeHash(a, b), sha256(Buffer.from([1]), a, b));
    assert.deepEqual(await new TileLog(async () => assert.fail('no tile for the empty tree'), 0).rootHash(), EMPTY_ROOT);
  });
});

// ---- In-memory tiles ----

// The hashes of all full nodes at heights 0, 8, 16… of the tree over `leafHashes`, computed with
// node:crypto (independently of tlog.js).
function tileLevels(leafHashes) {
  const levels = [leafHashes];
  while (levels.at(-1).length >= 256) {
    const below = levels.at(-1);
    const above = [];
    for (let start = 0; start + 256 <= below.length; start += 256) {
      let row = below.slice(start, start + 256);
      while (row.length > 1) {
        const next = [];
        for (let i = 0; i < row.length; i += 2) next.push(sha256(Buffer.from([1]), row[i], row[i + 1]));
        row = next;
      }
      above.push(row[0]);
    }
    levels.push(above);
  }
  return levels;
}

// Serves hash tiles from `levels` as the server does (a narrower partial tile is the prefix of a
// wider one) and records every path asked for. Entry bundles from `entries` when given.
function memoryTiles(levels, entries = []) {
  const requested = [];
  const fetchTile = async (tile) => {
    requested.push(tile);
    const match = /^tile\/(\d+|entries)\/((?:x\d{3}\/)*\d{3})(?:\.p\/(\d+))?$/.exec(tile);
    assert.ok(match, `malformed tile path ${tile}`);
    const index = Number(match[2].replaceAll('x', '').replaceAll('/', ''));
    const width = match[3] === undefined ? 256 : Number(match[3]);
    const items = match[1] === 'entries' ? entries : levels[Number(match[1])] ?? [];
    if (256 * index + width > items.length) throw new Error(`404 ${tile}`);
    const chosen = items.slice(256 * index, 256 * index + width);
    if (match[1] !== 'entries') return new Uint8Array(Buffer.concat(chosen));
    return new Uint8Array(Buffer.concat(chosen.flatMap((e) => [Buffer.from([e.length >> 8, e.length & 0xff]), e])));
  };
  return { fetchTile, requested };
}

// The leaves of the RFC 6962 reference tree that the testdata/merkle vectors are made from.
const REFERENCE_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(
  (hex) => Buffer.from(hex, 'hex'),
);

describe('TileLog', () => {
  test('tile paths', () => {
    assert.equal(tilePath(0, 1234067, 17), 'tile/0/x001/x234/067.p/17');
    assert.equal(tilePath(0, 5), 'tile/0/005');
    assert.equal(tilePath(1, 1000, 256), 'tile/1/x001/000');
    assert.equal(tilePath('entries', 7, 5), 'tile/entries/007.p/5');
    assert.equal(tilePath(2, 0, 1), 'tile/2/000.p/1');
    assert.throws(() => tilePath(0, 1, 0), /width/);
    assert.throws(() => tilePath(0, 1, 257), /width/);
    assert.throws(() => tilePath(64, 1), /level/);
    assert.throws(() => tilePath(0, -1), /index/);
  });

  test('proofs from tiles equal the reference vectors', async () => {
    const leafHashes = REFERENCE_LEAVES.map((leaf) => sha256(Buffer.from([0]), leaf));
    const { fetchTile } = memoryTiles(tileLevels(leafHashes), REFERENCE_LEAVES);
    let compared = 0;
    // The numbered folders hold proofs in the reference tree; the others are made up.
    const inReferenceTree = (file) => /^\d+\//.test(path.relative(path.join(TESTDATA, 'merkle'), file).split('/').slice(1).join('/'));
    for (const file of listJson(path.join(TESTDATA, 'merkle', 'inclusion')).filter(inReferenceTree)) {
      const v = readVector(file);
      if (v.wantErr || v.treeSize > 8n) continue;
      const log = new TileLog(fetchTile, Number(v.treeSize));
      assert.equal(bytesToBase64(await log.rootHash()), v.root, file);
      assert.deepEqual((await log.inclusionProof(Number(v.leafIdx))).map(bytesToBase64), v.proof ?? [], file);
      compared++;
    }
    for (const file of listJson(path.join(TESTDATA, 'merkle', 'consistency')).filter(inReferenceTree)) {
      const v = readVector(file);
      if (v.wantErr || v.size2 > 8n || v.size1 === v.size2) continue;
      const log = new TileLog(fetchTile, Number(v.size2));
      assert.equal(bytesToBase64(await new TileLog(fetchTile, Number(v.size1)).rootHash()), v.root1, file);
      assert.deepEqual((await log.consistencyProof(Number(v.size1))).map(bytesToBase64), v.proof, file);
      compared++;
    }
    assert.ok(compared >= 5, `only ${compared} vectors compared`);
  });

  test('every proof of a 70,000-entry tree verifies, reading the right tiles once', async () => {
    const size = 70000;
    const leafHashes = Array.from({ length: size }, (_, i) => sha256(Buffer.from([0]), Buffer.from(`entry ${i}`)));
    const levels = tileLevels(leafHashes);
    const tiles = memoryTiles(levels);
    const log = new TileLog(tiles.fetchTile, size);
    const others = memoryTiles(levels);
    const root = await log.rootHash();
    // The root needs the right edge only: nodes of height 16, 12, 8 and a partial level-0 tile.
    assert.deepEqual(tiles.requested.sort(), ['tile/0/273.p/112', 'tile/1/001.p/17', 'tile/2/000.p/1']);
    for (const index of [0, 1, 255, 256, 65535, 65536, 69631, 69632, 69887, 69888, 69999]) {
      const proof = await log.inclusionProof(index);
      await verifyInclusion(index, size, leafHashes[index], proof, root);
      assert.deepEqual(await log.hashAt(0, index), leafHashes[index]);
    }
    for (const oldSize of [1, 2, 255, 256, 257, 65535, 65536, 65537, 69999, 70000]) {
      const oldRoot = await new TileLog(others.fetchTile, oldSize).rootHash();
      await verifyConsistency(oldSize, size, await log.consistencyProof(oldSize), oldRoot, root);
    }
    assert.equal(countRepeats(tiles.requested), 0, 'a tile was fetched twice');
    // Heights that are not a multiple of 8 are hashed up from the tile below.
    assert.deepEqual(await log.hashAt(9, 0), sha256(Buffer.from([1]), levels[1][0], levels[1][1]));
    assert.deepEqual(await log.hashAt(16, 0), levels[2][0]);
    await assert.rejects(log.hashAt(17, 0), /not a full subtree/);
    await assert.rejects(log.inclusionProof(size), /not in a tree of 70000/);
    await assert.rejects(log.consistencyProof(0), /no consistency proof/);
  });

  test('a tile of the wrong length, or one that cannot be fetched, is an error that can be retried', async () => {
    let broken = true;
    const log = new TileLog(async (p) => {
      if (broken) throw new Error(`404 ${p}`);
      return new Uint8Array(32 * 3);
    }, 3);
    await assert.rejects(log.rootHash(), /404 tile\/0\/000.p\/3/);
    broken = false;
    assert.equal((await log.rootHash()).length, 32);
    const short = new TileLog(async () => new Uint8Array(31), 1);
    await assert.rejects(short.rootHash(), /tile tile\/0\/000.p\/1 has 31 bytes, not 32/);
  });
});

// Tiles requested more than once by one TileLog's life (there should be none).
function countRepeats(paths) {
  return paths.length - new Set(paths).size;
}

// ---- A real log ----

function quartet(args, input) {
  return execFileSync(findQuartet(), args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

// Canonical JSON (keys sorted, no white space), so that the entries are the lines appended.
const eventLine = (n) => `{"kind":"test","n":${n},"note":"entry ${n} été"}`;

function diskTiles(folder) {
  return async (tile) => new Uint8Array(await fs.promises.readFile(path.join(folder, tile)));
}

// Starts `quartet server` on a free port; resolves to {url, child} once it says where it listens.
async function startServer(data) {
  const child = spawn(findQuartet(), ['server', '--data', data, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stderr.on('data', (chunk) => { errors += chunk; });
  const lines = readline.createInterface({ input: child.stdout });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start: ${errors}`)), 20000);
    child.once('exit', (code) => reject(new Error(`the server exited (${code}): ${errors}`)));
    lines.once('line', (line) => {
      clearTimeout(timer);
      const match = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      match ? resolve(match[1]) : reject(new Error(`unexpected first line: ${line}`));
    });
  });
  return { url, child };
}

describe('a log written by quartet', () => {
  let dir;
  let data;
  let logFolder;
  let vkey;
  let oldNote;
  let newNote;
  const tenant = 't';
  const origin = 'example.test/logs/t';
  const firstBatch = 300;
  const total = 900;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quartet-tlog-'));
    data = path.join(dir, 'data');
    logFolder = path.join(data, 'logs', tenant);
    quartet(['log', 'init', '--data', data, '--tenant', tenant, '--origin', origin]);
    const lines = (from, to) => Array.from({ length: to - from }, (_, i) => eventLine(from + i)).join('\n') + '\n';
    // No server runs on this folder, so `log append` publishes at once.
    quartet(['log', 'append', '--data', data, '--tenant', tenant], lines(0, firstBatch));
    oldNote = fs.readFileSync(path.join(logFolder, 'checkpoint'), 'utf8');
    quartet(['log', 'append', '--data', data, '--tenant', tenant], lines(firstBatch, total));
    newNote = fs.readFileSync(path.join(logFolder, 'checkpoint'), 'utf8');
    vkey = quartet(['log', 'key', '--data', data, '--tenant', tenant]).trim();
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('checkpoints verify, and the tiles give their roots', async () => {
    assert.equal(parseVerifierKey(vkey).name, origin);
    const oldCheckpoint = await verifyCheckpoint(oldNote, vkey);
    const newCheckpoint = await verifyCheckpoint(newNote, vkey);
    assert.equal(oldCheckpoint.size, firstBatch);
    assert.equal(newCheckpoint.size, total);
    assert.equal(newCheckpoint.origin, origin);
    assert.equal(newCheckpoint.cosignedAt, null);
    assert.deepEqual(await new TileLog(diskTiles(logFolder), total).rootHash(), newCheckpoint.root);
    assert.deepEqual(await new TileLog(diskTiles(logFolder), firstBatch).rootHash(), oldCheckpoint.root);
  });

  test('entries are included, and proofs match `quartet log proof`', async () => {
    const checkpoint = await verifyCheckpoint(newNote, vkey);
    const log = new TileLog(diskTiles(logFolder), total);
    const all = await log.entries(0, total);
    assert.equal(all.length, total);
    all.forEach((entry, i) => assert.equal(new TextDecoder().decode(entry), eventLine(i)));
    const indexes = [0, 1, 255, 256, 257, 299, 300, 511, 512, 767, 768, 898, 899];
    const result = await verifyEntries(log, checkpoint, indexes, new Map(indexes.map((i) => [i, all[i]])));
    assert.deepEqual([...result.keys()], indexes);
    assert.deepEqual((await log.entries(250, 260)).map((e) => new TextDecoder().decode(e)), all.slice(250, 260).map((e) => new TextDecoder().decode(e)));
    // The CLI's receipt (c2sp.org/tlog-proof) holds the same audit path.
    for (const index of [0, 299, 899]) {
      const receipt = quartet(['log', 'proof', '--data', data, '--tenant', tenant, '--index', String(index)]);
      const [header, indexLine, ...rest] = receipt.split('\n');
      assert.equal(header, 'c2sp.org/tlog-proof@v1');
      assert.equal(indexLine, `index ${index}`);
      const proof = rest.slice(0, rest.indexOf(''));
      assert.deepEqual((await log.inclusionProof(index)).map(bytesToBase64), proof);
    }
  });

  test('the later checkpoint is consistent with the earlier one', async () => {
    const oldCheckpoint = await verifyCheckpoint(oldNote, vkey);
    const newCheckpoint = await verifyCheckpoint(newNote, vkey);
    const proof = await new TileLog(diskTiles(logFolder), total).consistencyProof(oldCheckpoint.size);
    await verifyConsistency(oldCheckpoint.size, newCheckpoint.size, proof, oldCheckpoint.root, newCheckpoint.root);
    await assert.rejects(
      verifyConsistency(oldCheckpoint.size, newCheckpoint.size, proof, newCheckpoint.root, newCheckpoint.root),
      /old root/,
    );
  });

  test('tampered tiles, entries and checkpoints are refused', async () => {
    const checkpoint = await verifyCheckpoint(newNote, vkey);
    const files = new Map();
    const tampered = (damaged) => async (tile) => {
      const bytes = new Uint8Array(await fs.promises.readFile(path.join(logFolder, tile)));
      if (tile === damaged.path) bytes[damaged.offset] ^= 0x01;
      files.set(tile, true);
      return bytes;
    };
    const entries = await new TileLog(diskTiles(logFolder), total).entries(0, total);
    const byIndex = new Map(entries.map((e, i) => [i, e]));
    // Leaf 259's hash in the full level-0 tile 1: the proof of its sibling 258 goes wrong.
    const leafTile = new TileLog(tampered({ path: 'tile/0/001', offset: 3 * 32 + 5 }), total);
    await assert.rejects(verifyEntries(leafTile, checkpoint, [0, 258], byIndex), /^Error: entry 258 does not verify/);
    // A node of height 8 in the level-1 tile: the root itself comes out wrong.
    const nodeTile = new TileLog(tampered({ path: 'tile/1/000.p/3', offset: 40 }), total);
    assert.notDeepEqual(await nodeTile.rootHash(), checkpoint.root);
    await assert.rejects(verifyEntries(nodeTile, checkpoint, [5], byIndex), /entry 5 does not verify/);
    // A byte of entry 700 in its bundle (after entries 512… in bundle 2, each with its length).
    const bundleLog = new TileLog(tampered({ path: 'tile/entries/002', offset: 2 + 11 }), total);
    const fromBundle = await bundleLog.entries(512, 513);
    await assert.rejects(verifyEntries(bundleLog, checkpoint, [512], new Map([[512, fromBundle[0]]])), /entry 512 does not verify/);
    // A checkpoint changed anywhere, or checked against another log's key.
    const [originLine, sizeLine, rootLine, ...rest] = newNote.split('\n');
    await assert.rejects(verifyCheckpoint([originLine, '899', rootLine, ...rest].join('\n'), vkey), /not valid/);
    await assert.rejects(verifyCheckpoint([originLine, sizeLine, bytesToBase64(new Uint8Array(32)), ...rest].join('\n'), vkey), /not valid/);
    await assert.rejects(verifyCheckpoint(flipSignatureBit(newNote), vkey), /not valid/);
    await assert.rejects(verifyCheckpoint(newNote, SPEC_VKEY), /not signed by the log key example.com\/foo/);
    // Wrong size for the tiles: the proofs cannot fit.
    await assert.rejects(verifyEntries(new TileLog(diskTiles(logFolder), firstBatch), checkpoint, [0], byIndex), /tiles are read for size 300/);
  });

  test('the same over HTTP from quartet server', async (t) => {
    const { url, child } = await startServer(data);
    try {
      const response = await fetch(`${url}/logs/${tenant}/checkpoint`);
      assert.equal(response.status, 200);
      const served = await response.text();
      assert.equal(served, newNote);
      const checkpoint = await verifyCheckpoint(served, vkey);
      const fetchTile = httpTileFetcher(`${url}/logs/${tenant}/`);
      const log = new TileLog(fetchTile, checkpoint.size);
      assert.deepEqual(await log.rootHash(), checkpoint.root);
      const entries = await log.entries(250, 310);
      const indexes = entries.map((_, i) => 250 + i);
      await verifyEntries(log, checkpoint, indexes, new Map(indexes.map((index, i) => [index, entries[i]])));
      // The earlier tree's partial tiles are served too (as prefixes of today's).
      const oldCheckpoint = await verifyCheckpoint(oldNote, vkey);
      assert.deepEqual(await new TileLog(fetchTile, oldCheckpoint.size).rootHash(), oldCheckpoint.root);
      // A tile beyond the tree is an error naming the URL.
      await assert.rejects(new TileLog(fetchTile, 5000).rootHash(), /HTTP 404/);
      t.diagnostic(`served by ${url}`);
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});

// ---- Timing ----

describe('speed', () => {
  test('50 inclusion proofs for the newest entries of a 1,000,000-entry log', async (t) => {
    // Every full tile of a level holds the same hashes, so the tiles of any level are cheap to make
    // and still form one consistent tree.
    const size = 1_000_000;
    const perLevel = [Array.from({ length: 256 }, (_, i) => sha256(Buffer.from([0]), Buffer.from(`leaf ${i}`)))];
    for (let level = 1; level < 3; level++) {
      const [root] = tileLevels(perLevel[level - 1]).at(1);
      perLevel.push(Array.from({ length: 256 }, () => root));
    }
    const tiles = new Map();
    let fetches = 0;
    const fetchTile = async (tile) => {
      fetches++;
      const match = /^tile\/(\d)\/.*?(?:\.p\/(\d+))?$/.exec(tile);
      const width = match[2] === undefined ? 256 : Number(match[2]);
      if (!tiles.has(tile)) tiles.set(tile, new Uint8Array(Buffer.concat(perLevel[Number(match[1])].slice(0, width))));
      return tiles.get(tile);
    };
    const indexes = Array.from({ length: 50 }, (_, i) => size - 50 + i);
    const log = new TileLog(fetchTile, size);
    const start = performance.now();
    const proofs = [];
    for (const index of indexes) proofs.push(await log.inclusionProof(index));
    const elapsed = performance.now() - start;
    const root = await log.rootHash();
    const verifyStart = performance.now();
    await Promise.all(indexes.map((index, i) => verifyInclusion(index, size, perLevel[0][index % 256], proofs[i], root)));
    const verifyElapsed = performance.now() - verifyStart;
    t.diagnostic(`50 inclusion proofs: ${elapsed.toFixed(1)} ms (${fetches} tile fetches); verifying them: ${verifyElapsed.toFixed(1)} ms`);
    console.log(`# timing: 50 inclusion proofs over a 1,000,000-entry log in ${elapsed.toFixed(1)} ms, ${fetches} tiles; verified in ${verifyElapsed.toFixed(1)} ms`);
  });
});
