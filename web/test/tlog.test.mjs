// Tests of web/js/tlog.js: known answers (signed-note, tlog-cosignature), the RFC 6962 proof
// vectors of testdata/merkle, a real log written by the quartet binary (read from disk and over
// HTTP from `quartet server`), and a timing of proofs over a synthetic 1,000,000-entry log.
//
//   QUARTET_BIN=path/to/quartet QUARTET_TESTDATA=path/to/testdata \
//     node --test web/test/tlog.test.mjs

import assert from 'node:assert/strict';
import {execFileSync, spawn} from 'node:child_process';
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import {after, before, describe, test} from 'node:test';
import {fileURLToPath} from 'node:url';

// clang-format would put these names on one line.
// clang-format off
import {
  base64ToBytes,
  bytesToBase64,
  bytesToHex,
  computeKeyId,
  EMPTY_ROOT,
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
  TileLog,
  tilePath,
  TYPE_COSIGNATURE_V1,
  TYPE_ED25519,
  verifyCheckpoint,
  verifyConsistency,
  verifyEntries,
  verifyInclusion,
} from '../js/tlog.js';
// clang-format on

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TESTDATA = process.env.QUARTET_TESTDATA ?? path.join(REPO, 'testdata');
const MERKLE = path.join(TESTDATA, 'merkle');

// The CLI's place depends on the build preset; CTest passes QUARTET_BIN.
function findQuartet() {
  if (process.env.QUARTET_BIN) return process.env.QUARTET_BIN;
  const found = ['build/src/cli/quartet', 'build/quartet', 'build/default/quartet']
                    .map((candidate) => path.join(REPO, candidate))
                    .find((candidate) => fs.existsSync(candidate));
  if (!found) throw new Error('no quartet binary found: set QUARTET_BIN');
  return found;
}

// Hashing with node:crypto, independently of tlog.js.
const sha256 = (...parts) =>
    new Uint8Array(createHash('sha256').update(Buffer.concat(parts)).digest());
const hashLeaf = (bytes) => sha256(Buffer.from([0]), bytes);
const hashChildren = (left, right) => sha256(Buffer.from([1]), left, right);
const utf8 = (s) => new TextEncoder().encode(s);
const fromUtf8 = (bytes) => new TextDecoder().decode(bytes);

// c2sp.org/signed-note, "Verifier keys": the example key and the note it signs.
const SPEC_VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const SPEC_NOTE = 'This is an example message.\n\n\u2014 example.com/foo ' +
    'Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHj' +
    'G1Yu72IneyaQM=\n';

// golang.org/x/mod/sumdb/note, note_test.go (data only): one text signed by two keys.
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const GO_NOTE = 'If you think cryptography is the answer to your problem,\n' +
    'then you don\'t know what your problem is.\n\n' +
    '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqd' +
    'ngotpRZb6KE6RyyBwJnAM=\n' +
    '\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTG' +
    'wnWLox33WWd1RvMc+QQ=\n';

// The cosigned checkpoint of src/ledger/note_test.cc, made independently with Python's
// `cryptography`: the c2sp.org/tlog-cosignature example checkpoint and time, RFC 8032 keys.
const SOFA_LOG_VKEY =
    'example.com/behind-the-sofa+37bc54d7+AT1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM';
const SOFA_WITNESS_VKEY =
    'witness.example.com/w1+7e6f4aaa+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea';
const SOFA_TEXT =
    'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
const SOFA_TIME = 1679315147;
const SOFA_LOG_SIG =
    '\u2014 example.com/behind-the-sofa N7xU1+abfjKmQX7u2YhTdYaOXrug9rsbMBefB1zqpTMCh7Qbu95DT' +
    'TW6yAHrIQI/NYE44uaYFncmQ4kfoZLG679blQk=\n';
const SOFA_WITNESS_SIG =
    '\u2014 witness.example.com/w1 fm9KqgAAAABkGFDL+TPmh4BYuAjsYRoqMJCWb/gWJaeRF/kmm5tlCr9s' +
    'J57DLErur7K0yDXc2ArN+TIuotuB/HbuL3AJsp3bv/aNCQ==\n';
// The spec's own example cosignature: by another key of the same name, so it must be ignored.
const SPEC_COSIG =
    '\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZC' +
    'B9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n';
const SOFA_COSIGNED = SOFA_TEXT + '\n' + SOFA_LOG_SIG + SOFA_WITNESS_SIG;

// A fresh WebCrypto key in the role of a log (type 0x01) or a witness (type 0x04).
async function makeSigner(name, type) {
  const pair = await crypto.subtle.generateKey({name: 'Ed25519'}, false, ['sign', 'verify']);
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const keyId = computeKeyId(name, type, publicKey);
  const vkey = `${name}+${bytesToHex(keyId)}+${bytesToBase64(Uint8Array.of(type, ...publicKey))}`;
  const line = async (body, timestamp = 0) => {
    const stamp = new Uint8Array(8);
    new DataView(stamp.buffer).setBigUint64(0, BigInt(timestamp));
    const cosigned = type === TYPE_COSIGNATURE_V1;
    const message = cosigned ? `cosignature/v1\ntime ${timestamp}\n${body}` : body;
    const signature = await crypto.subtle.sign({name: 'Ed25519'}, pair.privateKey, utf8(message));
    const bytes = [...keyId, ...(cosigned ? stamp : []), ...new Uint8Array(signature)];
    return `\u2014 ${name} ${bytesToBase64(Uint8Array.from(bytes))}\n`;
  };
  return {vkey, line};
}

// Flips one bit of the signature on a note's last line.
function flipSignatureBit(note) {
  const lines = note.split('\n');
  const last = lines.length - 2;
  const space = lines[last].lastIndexOf(' ');
  const bytes = base64ToBytes(lines[last].slice(space + 1));
  bytes[20] ^= 0x01;  // past the key ID and any timestamp: in the Ed25519 signature itself
  lines[last] = lines[last].slice(0, space + 1) + bytesToBase64(bytes);
  return lines.join('\n');
}

describe('bytes', () => {
  test('base64 round trips and is strict', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Uint8Array.from({length: n}, (_, i) => (i * 37 + n) & 0xff);
      const encoded = bytesToBase64(bytes);
      assert.equal(encoded, Buffer.from(bytes).toString('base64'));
      assert.deepEqual(base64ToBytes(encoded), bytes);
    }
    const malformed = ['QQ', 'QQ=', 'QR==', ' QQ==', 'QQ==\n', 'Q===', 'QQ=A', 'QUJD-w=='];
    for (const bad of malformed) assert.throws(() => base64ToBytes(bad), /malformed base64/, bad);
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
      const bytes = Uint8Array.from({length: n}, (_, i) => (i * 131 + 7) & 0xff);
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
    const typeTwo = bytesToBase64(Uint8Array.of(2, ...new Uint8Array(32)));
    const cases = [
      [`example.com/foo+530d903b+${material}`, /does not match the key/],
      [`example.com/bar+530d903a+${material}`, /does not match the key/],
      [`example.com/foo+530D903A+${material}`, /8 lowercase hex/],
      [`example.com/foo+530d903+${material}`, /8 lowercase hex/],
      [`example.com/foo+530d903a+${material.slice(0, -4)}`, /not 32 bytes/],
      ['example.com/foo+530d903a+Aek', /not valid base64/],
      [`example.com/foo+530d903a+${typeTwo}`, /unsupported signature type 2/],
      ['example.com/foo', /is not <name>\+<key ID>\+<key>/],
      [`+530d903a+${material}`, /invalid name/],
      [`a b+530d903a+${material}`, /invalid name/],
    ];
    for (const [vkey, message] of cases) assert.throws(() => parseVerifierKey(vkey), message, vkey);
  });
});

describe('signed notes', () => {
  test('the signed-note example verifies, and a flipped bit does not', async () => {
    const opened = await openNote(SPEC_NOTE, [SPEC_VKEY]);
    assert.equal(opened.body, 'This is an example message.\n');
    assert.deepEqual(opened.verified.map((v) => v.name), ['example.com/foo']);
    await assert.rejects(
        openNote(flipSignatureBit(SPEC_NOTE), [SPEC_VKEY]),
        /signature by example.com\/foo\+530d903a .* not valid/,
    );
    const changed = SPEC_NOTE.replace('example message', 'example messagf');
    await assert.rejects(openNote(changed, [SPEC_VKEY]), /not valid/);
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
    assert.equal(parseNote(utf8(good)).body, 'This is an example message.\n');
    const cases = [
      [good.slice(0, -1), /does not end with a newline/],
      [good.replace('\n\n', '\n'), /no blank line/],
      ['text\n\n', /no signature/],
      [good + '\n', /no signature/],
      [good + '\u2014 x', /does not end with a newline/],
      [good + 'extra\n', /em dash/],
      [good.replace('\u2014', '-'), /em dash/],
      [good.replace('example.com/foo ', 'example.com/foo'), /no space/],
      [good.replace('example.com/foo U', 'example.com/foo  U'), /malformed base64/],
      [good.replace('This', 'Th\tis'), /control character/],
      [good.replace('This', 'Th\ris'), /control character/],
      ['text\n\n\u2014 a QUJD\n', /too short/],
    ];
    for (const [note, message] of cases) {
      assert.throws(() => parseNote(note), message, JSON.stringify(note));
    }
    assert.throws(() => parseNote(Uint8Array.of(0x61, 0xff, 0x0a, 0x0a)), /not valid UTF-8/);
  });
});

describe('checkpoints', () => {
  test('a cosigned checkpoint made by another implementation', async () => {
    const checkpoint = await verifyCheckpoint(SOFA_COSIGNED, SOFA_LOG_VKEY, [SOFA_WITNESS_VKEY]);
    assert.equal(checkpoint.origin, 'example.com/behind-the-sofa');
    assert.equal(checkpoint.size, 20852163);
    assert.equal(bytesToBase64(checkpoint.root), 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=');
    assert.equal(checkpoint.cosignedAt, SOFA_TIME);
    assert.deepEqual(checkpoint.extensions, []);
    // Without witnesses asked for, the cosignature is not needed and cosignedAt is null.
    assert.equal((await verifyCheckpoint(SOFA_COSIGNED, SOFA_LOG_VKEY)).cosignedAt, null);
    // The spec's cosignature line is from an unknown key that shares the name: ignored.
    const withSpec = SOFA_COSIGNED + SPEC_COSIG;
    const checked = await verifyCheckpoint(withSpec, SOFA_LOG_VKEY, [SOFA_WITNESS_VKEY]);
    assert.equal(checked.cosignedAt, SOFA_TIME);
  });

  test('missing or broken cosignatures and signatures are refused', async () => {
    const witnesses = [SOFA_WITNESS_VKEY];
    const logOnly = SOFA_TEXT + '\n' + SOFA_LOG_SIG;
    await assert.rejects(
        verifyCheckpoint(logOnly, SOFA_LOG_VKEY, witnesses),
        /not cosigned by the witness witness.example.com\/w1\+7e6f4aaa/,
    );
    await assert.rejects(
        verifyCheckpoint(flipSignatureBit(SOFA_COSIGNED), SOFA_LOG_VKEY, witnesses),
        /signature by witness.example.com\/w1\+7e6f4aaa .* not valid/,
    );
    // The timestamp is signed: moving it by a second breaks the cosignature.
    const cosignature = base64ToBytes(SOFA_WITNESS_SIG.trim().split(' ')[2]);
    cosignature[11] ^= 1;
    const moved = `${logOnly}\u2014 witness.example.com/w1 ${bytesToBase64(cosignature)}\n`;
    await assert.rejects(verifyCheckpoint(moved, SOFA_LOG_VKEY, witnesses), /not valid/);
    // The log's signature is required; a witness alone is not enough.
    const witnessOnly = SOFA_TEXT + '\n' + SOFA_WITNESS_SIG;
    await assert.rejects(
        verifyCheckpoint(witnessOnly, SOFA_LOG_VKEY, witnesses),
        /not signed by the log key/,
    );
    await assert.rejects(
        verifyCheckpoint(flipSignatureBit(logOnly), SOFA_LOG_VKEY),
        /signature by example.com\/behind-the-sofa.* not valid/,
    );
    const otherSize = logOnly.replace('20852163', '20852164');
    await assert.rejects(verifyCheckpoint(otherSize, SOFA_LOG_VKEY), /not valid/);
    // Key types must fit their roles.
    await assert.rejects(
        verifyCheckpoint(SOFA_COSIGNED, SOFA_WITNESS_VKEY),
        /not an Ed25519 signed-note key/,
    );
    await assert.rejects(
        verifyCheckpoint(SOFA_COSIGNED, SOFA_LOG_VKEY, [SOFA_LOG_VKEY]),
        /not a cosignature\/v1 key/,
    );
  });

  test('the origin must be the log key name; witnesses come in the order given', async () => {
    await assert.rejects(verifyCheckpoint(SPEC_NOTE, SPEC_VKEY), /fewer than three lines/);
    const log = await makeSigner('example.test/log', TYPE_ED25519);
    const one = await makeSigner('witness-one', TYPE_COSIGNATURE_V1);
    const two = await makeSigner('witness-two', TYPE_COSIGNATURE_V1);
    const root = bytesToBase64(new Uint8Array(32).fill(7));
    const body = `example.test/log\n42\n${root}\nsome extension\n`;
    const lines = [await log.line(body), await two.line(body, 2000), await one.line(body, 1000)];
    const checkpoint = await verifyCheckpoint(`${body}\n${lines.join('')}`, log.vkey, [
      one.vkey,
      two.vkey,
    ]);
    assert.equal(checkpoint.cosignedAt, 1000);
    assert.deepEqual(
        checkpoint.cosignatures.map((c) => [c.name, c.timestamp]),
        [['witness-one', 1000], ['witness-two', 2000]],
    );
    assert.deepEqual(checkpoint.extensions, ['some extension']);
    const other = body.replace('example.test/log', 'example.test/other');
    await assert.rejects(
        verifyCheckpoint(`${other}\n${await log.line(other)}`, log.vkey),
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
    for (const [body, message] of cases) {
      assert.throws(() => parseCheckpoint(body), message, JSON.stringify(body));
    }
  });
});

// ---- Merkle trees ----

// Reads one testdata/merkle case, keeping 64-bit sizes exact (JSON numbers are doubles).
function readVector(file) {
  const sizes = /("(?:leafIdx|treeSize|size1|size2)":\s*)(\d+)/g;
  const vector = JSON.parse(fs.readFileSync(file, 'utf8').replace(sizes, '$1"$2"'));
  for (const key of ['leafIdx', 'treeSize', 'size1', 'size2']) {
    if (key in vector) vector[key] = BigInt(vector[key]);
  }
  vector.proof ??= [];
  return vector;
}

// The JSON files under testdata/merkle/<kind>, as paths relative to that folder.
function listVectors(kind) {
  return fs.readdirSync(path.join(MERKLE, kind), {recursive: true})
      .filter((file) => file.endsWith('.json'))
      .sort();
}

const RUN_VECTOR = {
  inclusion: (v) => verifyInclusion(
      v.leafIdx,
      v.treeSize,
      base64ToBytes(v.leafHash),
      v.proof.map(base64ToBytes),
      base64ToBytes(v.root),
      ),
  consistency: (v) => verifyConsistency(
      v.size1,
      v.size2,
      v.proof.map(base64ToBytes),
      base64ToBytes(v.root1),
      base64ToBytes(v.root2),
      ),
};

describe('RFC 6962 proof vectors (testdata/merkle)', () => {
  for (const [kind, run] of Object.entries(RUN_VECTOR)) {
    const files = listVectors(kind);
    test(`${kind}: ${files.length} cases`, async (t) => {
      assert.ok(files.length > 20, `too few vectors in ${path.join(MERKLE, kind)}`);
      let accepted = 0;
      for (const file of files) {
        const vector = readVector(path.join(MERKLE, kind, file));
        const name = `${file} (${vector.desc})`;
        if (vector.wantErr) {
          await assert.rejects(run(vector), Error, `${name} must be refused`);
        } else {
          await assert.doesNotReject(run(vector), `${name} must verify`);
          accepted++;
        }
      }
      t.diagnostic(`${accepted} accepted, ${files.length - accepted} refused`);
      assert.ok(accepted > 0);
    });
  }

  test('the empty tree, leaf and node hashes', async () => {
    assert.deepEqual(EMPTY_ROOT, sha256(Buffer.alloc(0)));
    assert.deepEqual(await leafHash(utf8('abc')), hashLeaf(Buffer.from('abc')));
    const a = new Uint8Array(32).fill(1);
    const b = new Uint8Array(32).fill(2);
    assert.deepEqual(await nodeHash(a, b), hashChildren(a, b));
    const empty = new TileLog(async () => assert.fail('the empty tree needs no tile'), 0);
    assert.deepEqual(await empty.rootHash(), EMPTY_ROOT);
  });
});

// ---- In-memory tiles ----

// Hashes 2^k nodes up to their root.
function subtreeRoot(row) {
  while (row.length > 1) {
    const next = [];
    for (let i = 0; i < row.length; i += 2) next.push(hashChildren(row[i], row[i + 1]));
    row = next;
  }
  return row[0];
}

// The hashes of all full nodes at heights 0, 8, 16… of the tree over `leafHashes`.
function tileLevels(leafHashes) {
  const levels = [leafHashes];
  while (levels.at(-1).length >= 256) {
    const below = levels.at(-1);
    const above = [];
    for (let start = 0; start + 256 <= below.length; start += 256) {
      above.push(subtreeRoot(below.slice(start, start + 256)));
    }
    levels.push(above);
  }
  return levels;
}

function encodeBundle(entries) {
  const parts = entries.flatMap((e) => [Buffer.from([e.length >> 8, e.length & 0xff]), e]);
  return new Uint8Array(Buffer.concat(parts));
}

// Serves hash tiles from `levels` as the server does (a narrower partial tile is the prefix of a
// wider one) and records every path asked for. Entry bundles from `entries` when given.
function memoryTiles(levels, entries = []) {
  const requested = [];
  const fetchTile = async (tile) => {
    requested.push(tile);
    const match = /^tile\/(\d+|entries)\/((?:x\d{3}\/)*\d{3})(?:\.p\/(\d+))?$/.exec(tile);
    assert.ok(match, `malformed tile path ${tile}`);
    const [, level, name, partialWidth] = match;
    const index = Number(name.replaceAll(/[x/]/g, ''));
    const width = partialWidth === undefined ? 256 : Number(partialWidth);
    const items = level === 'entries' ? entries : (levels[Number(level)] ?? []);
    if (256 * index + width > items.length) throw new Error(`404 ${tile}`);
    const chosen = items.slice(256 * index, 256 * index + width);
    return level === 'entries' ? encodeBundle(chosen) : new Uint8Array(Buffer.concat(chosen));
  };
  return {fetchTile, requested};
}

// The leaves of the RFC 6962 reference tree that the testdata/merkle vectors come from.
const REFERENCE_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((hex) => Buffer.from(hex, 'hex'));

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

  test('proofs from tiles equal the reference vectors', async (t) => {
    const {fetchTile} = memoryTiles(tileLevels(REFERENCE_LEAVES.map(hashLeaf)), REFERENCE_LEAVES);
    // The numbered folders hold proofs in the reference tree; the others are made up.
    const good = (kind) => listVectors(kind)
                               .filter((file) => /^\d+\//.test(file))
                               .map((file) => readVector(path.join(MERKLE, kind, file)))
                               .filter((v) => !v.wantErr);
    let compared = 0;
    for (const v of good('inclusion')) {
      const log = new TileLog(fetchTile, Number(v.treeSize));
      assert.equal(bytesToBase64(await log.rootHash()), v.root);
      const proof = await log.inclusionProof(Number(v.leafIdx));
      assert.deepEqual(proof.map(bytesToBase64), v.proof, `leaf ${v.leafIdx} of ${v.treeSize}`);
      compared++;
    }
    for (const v of good('consistency')) {
      const oldRoot = await new TileLog(fetchTile, Number(v.size1)).rootHash();
      assert.equal(bytesToBase64(oldRoot), v.root1);
      const proof = await new TileLog(fetchTile, Number(v.size2)).consistencyProof(Number(v.size1));
      assert.deepEqual(proof.map(bytesToBase64), v.proof, `from ${v.size1} to ${v.size2}`);
      compared++;
    }
    t.diagnostic(`${compared} proofs compared`);
    assert.ok(compared >= 5, `only ${compared} vectors compared`);
  });

  test('every proof of a 70,000-entry tree verifies, from the right tiles, once', async () => {
    const size = 70000;
    const leafHashes = Array.from({length: size}, (_, i) => hashLeaf(Buffer.from(`entry ${i}`)));
    const levels = tileLevels(leafHashes);
    const tiles = memoryTiles(levels);
    const log = new TileLog(tiles.fetchTile, size);
    const root = await log.rootHash();
    // The root needs the right edge only: nodes of height 16, 12, 8 and a partial level-0 tile.
    assert.deepEqual(tiles.requested.toSorted(), [
      'tile/0/273.p/112',
      'tile/1/001.p/17',
      'tile/2/000.p/1',
    ]);
    for (const index of [0, 1, 255, 256, 65535, 65536, 69631, 69632, 69887, 69888, 69999]) {
      await verifyInclusion(index, size, leafHashes[index], await log.inclusionProof(index), root);
      assert.deepEqual(await log.hashAt(0, index), leafHashes[index]);
    }
    const older = memoryTiles(levels);
    for (const oldSize of [1, 2, 255, 256, 257, 65535, 65536, 65537, 69999, 70000]) {
      const oldRoot = await new TileLog(older.fetchTile, oldSize).rootHash();
      await verifyConsistency(oldSize, size, await log.consistencyProof(oldSize), oldRoot, root);
    }
    assert.equal(tiles.requested.length, new Set(tiles.requested).size, 'a tile was fetched twice');
    // Heights that are not a multiple of 8 are hashed up from the tile below.
    assert.deepEqual(await log.hashAt(9, 0), hashChildren(levels[1][0], levels[1][1]));
    assert.deepEqual(await log.hashAt(16, 0), levels[2][0]);
    await assert.rejects(log.hashAt(17, 0), /not a full subtree/);
    await assert.rejects(log.inclusionProof(size), /not in a tree of 70000/);
    await assert.rejects(log.consistencyProof(0), /no consistency proof/);
  });

  test('a failed fetch can be retried; a tile of the wrong length is refused', async () => {
    let broken = true;
    const log = new TileLog(async (tile) => {
      if (broken) throw new Error(`404 ${tile}`);
      return new Uint8Array(32 * 3);
    }, 3);
    await assert.rejects(log.rootHash(), /404 tile\/0\/000.p\/3/);
    broken = false;
    assert.equal((await log.rootHash()).length, 32);
    const short = new TileLog(async () => new Uint8Array(31), 1);
    await assert.rejects(short.rootHash(), /tile tile\/0\/000.p\/1 has 31 bytes, not 32/);
  });
});

// ---- A real log ----

function quartet(args, input) {
  const options = {input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe']};
  return execFileSync(findQuartet(), args, options);
}

// Canonical JSON (keys sorted, no white space), so that each entry is the line appended.
const eventLine = (n) => `{"kind":"test","n":${n},"note":"entry ${n} été"}`;

// Hands over Node Buffers as read, which TileLog must not let callers change through.
function diskTiles(folder) {
  return (tile) => fs.promises.readFile(path.join(folder, tile));
}

// The same, with one bit of one file flipped.
function damagedDiskTiles(folder, damagedPath, offset) {
  return async (tile) => {
    const bytes = new Uint8Array(await fs.promises.readFile(path.join(folder, tile)));
    if (tile === damagedPath) bytes[offset] ^= 0x01;
    return bytes;
  };
}

// Starts `quartet server` on a free port; resolves once it says where it listens.
async function startServer(data) {
  const child = spawn(findQuartet(), ['server', '--data', data, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stderr.on('data', (chunk) => {
    errors += chunk;
  });
  const lines = readline.createInterface({input: child.stdout});
  const url =
      await new Promise((resolve, reject) => {
        const timer =
            setTimeout(() => reject(new Error(`the server did not start: ${errors}`)), 20000);
        child.once('exit', (code) => reject(new Error(`the server exited (${code}): ${errors}`)));
        lines.once('line', (line) => {
          clearTimeout(timer);
          const match = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line);
          if (match)
            resolve(match[1]);
          else
            reject(new Error(`unexpected first line: ${line}`));
        });
      }).catch((error) => {
        child.kill('SIGTERM');
        throw error;
      });
  return {url, child};
}

async function stopServer(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

describe('a log written by quartet', () => {
  const tenant = 't';
  const origin = 'example.test/logs/t';
  const firstBatch = 300;
  const total = 900;
  let dir;
  let data;
  let logFolder;
  let vkey;
  let oldNote;
  let newNote;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quartet-tlog-'));
    data = path.join(dir, 'data');
    logFolder = path.join(data, 'logs', tenant);
    const where = ['--data', data, '--tenant', tenant];
    const lines = (from, to) =>
        Array.from({length: to - from}, (_, i) => eventLine(from + i) + '\n').join('');
    quartet(['log', 'init', ...where, '--origin', origin, '--open']);
    // No server runs on this folder, so `log append` publishes at once.
    quartet(['log', 'append', ...where], lines(0, firstBatch));
    oldNote = fs.readFileSync(path.join(logFolder, 'checkpoint'), 'utf8');
    quartet(['log', 'append', ...where], lines(firstBatch, total));
    newNote = fs.readFileSync(path.join(logFolder, 'checkpoint'), 'utf8');
    vkey = quartet(['log', 'key', ...where]).trim();
  });

  after(() => {
    if (dir) fs.rmSync(dir, {recursive: true, force: true});
  });

  test('checkpoints verify, and the tiles give their roots', async () => {
    assert.equal(parseVerifierKey(vkey).name, origin);
    const oldCheckpoint = await verifyCheckpoint(oldNote, vkey);
    const newCheckpoint = await verifyCheckpoint(newNote, vkey);
    assert.equal(oldCheckpoint.size, firstBatch);
    assert.equal(newCheckpoint.size, total);
    assert.equal(newCheckpoint.origin, origin);
    assert.equal(newCheckpoint.cosignedAt, null);
    const tiles = diskTiles(logFolder);
    const log = new TileLog(tiles, total);
    assert.deepEqual(await log.rootHash(), newCheckpoint.root);
    // What it hands out are copies: changing them changes nothing inside.
    (await log.hashAt(8, 0)).fill(0);
    (await log.inclusionProof(0)).forEach((hash) => hash.fill(0));
    (await log.entries(0, 1))[0].fill(0);
    assert.deepEqual(await log.rootHash(), newCheckpoint.root);
    await verifyEntries(log, newCheckpoint, [0, 1], [utf8(eventLine(0)), utf8(eventLine(1))]);
    assert.deepEqual(await new TileLog(tiles, firstBatch).rootHash(), oldCheckpoint.root);
  });

  test('entries are included, and proofs match `quartet log proof`', async () => {
    const checkpoint = await verifyCheckpoint(newNote, vkey);
    const log = new TileLog(diskTiles(logFolder), total);
    const all = await log.entries(0, total);
    assert.deepEqual(all.map(fromUtf8), Array.from({length: total}, (_, i) => eventLine(i)));
    const some = await log.entries(250, 260);
    assert.deepEqual(some.map(fromUtf8), all.slice(250, 260).map(fromUtf8));
    const indexes = [0, 1, 255, 256, 257, 299, 300, 511, 512, 767, 768, 898, 899];
    const bytes = new Map(indexes.map((i) => [i, all[i]]));
    const result = await verifyEntries(log, checkpoint, indexes, bytes);
    assert.deepEqual([...result], indexes.map((i) => [i, true]));
    // The CLI's receipt (c2sp.org/tlog-proof) holds the same audit path.
    for (const index of [0, 299, 899]) {
      const receipt = quartet(
          ['log', 'proof', '--data', data, '--tenant', tenant, '--index', String(index)],
      );
      const [header, indexLine, ...rest] = receipt.split('\n');
      assert.equal(header, 'c2sp.org/tlog-proof@v1');
      assert.equal(indexLine, `index ${index}`);
      const proof = (await log.inclusionProof(index)).map(bytesToBase64);
      assert.deepEqual(proof, rest.slice(0, rest.indexOf('')));
    }
  });

  test('the later checkpoint is consistent with the earlier one', async () => {
    const older = await verifyCheckpoint(oldNote, vkey);
    const newer = await verifyCheckpoint(newNote, vkey);
    const proof = await new TileLog(diskTiles(logFolder), total).consistencyProof(older.size);
    await verifyConsistency(older.size, newer.size, proof, older.root, newer.root);
    await assert.rejects(
        verifyConsistency(older.size, newer.size, proof, newer.root, newer.root),
        /old root/,
    );
  });

  test('tampered tiles, entries and checkpoints are refused', async () => {
    const checkpoint = await verifyCheckpoint(newNote, vkey);
    const entries = await new TileLog(diskTiles(logFolder), total).entries(0, total);
    const byIndex = new Map(entries.map((entry, i) => [i, entry]));
    // Leaf 259's hash in the full level-0 tile 1: the proof of its sibling 258 goes wrong.
    const leafTile = new TileLog(damagedDiskTiles(logFolder, 'tile/0/001', 3 * 32 + 5), total);
    await assert.rejects(
        verifyEntries(leafTile, checkpoint, [0, 258], byIndex),
        /^Error: entry 258 does not verify/,
    );
    // A node of height 8 in the level-1 tile: the root itself comes out wrong.
    const nodeTile = new TileLog(damagedDiskTiles(logFolder, 'tile/1/000.p/3', 40), total);
    assert.notDeepEqual(await nodeTile.rootHash(), checkpoint.root);
    await assert.rejects(verifyEntries(nodeTile, checkpoint, [5], byIndex), /entry 5 does not/);
    // A byte of entry 512, the first of bundle 2 (after its 2-byte length).
    const bundle = new TileLog(damagedDiskTiles(logFolder, 'tile/entries/002', 2 + 11), total);
    const [damaged] = await bundle.entries(512, 513);
    await assert.rejects(
        verifyEntries(bundle, checkpoint, [512], new Map([[512, damaged]])),
        /entry 512 does not verify/,
    );
    // Tiles of another size cannot prove anything about this checkpoint.
    const smaller = new TileLog(diskTiles(logFolder), firstBatch);
    await assert.rejects(
        verifyEntries(smaller, checkpoint, [0], byIndex),
        /tiles are read for size 300/,
    );
    // A checkpoint changed anywhere, or checked against another log's key.
    const [originLine, sizeLine, rootLine, ...rest] = newNote.split('\n');
    const zeroRoot = bytesToBase64(new Uint8Array(32));
    const changed = [
      [originLine, '899', rootLine, ...rest],
      [originLine, sizeLine, zeroRoot, ...rest],
    ].map((lines) => lines.join('\n'));
    for (const note of [...changed, flipSignatureBit(newNote)]) {
      await assert.rejects(verifyCheckpoint(note, vkey), /not valid/);
    }
    await assert.rejects(
        verifyCheckpoint(newNote, SPEC_VKEY),
        /not signed by the log key example.com\/foo/,
    );
  });

  test('the same over HTTP from quartet server', async (t) => {
    const {url, child} = await startServer(data);
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
      const bytes = new Map(entries.map((entry, i) => [250 + i, entry]));
      await verifyEntries(log, checkpoint, bytes.keys(), bytes);
      // The earlier tree's partial tiles are served too (as prefixes of today's).
      const older = await verifyCheckpoint(oldNote, vkey);
      assert.deepEqual(await new TileLog(fetchTile, older.size).rootHash(), older.root);
      // A tile beyond the tree is an error naming the URL.
      await assert.rejects(new TileLog(fetchTile, 5000).rootHash(), /HTTP 404/);
      t.diagnostic(`served by ${url}`);
    } finally {
      await stopServer(child);
    }
  });
});

// ---- Speed ----

describe('speed', () => {
  test('50 inclusion proofs for the newest entries of a 1,000,000-entry log', async (t) => {
    // Every full tile of a level holds the same hashes, so the tiles of any level are cheap to
    // make and still form one consistent tree.
    const size = 1_000_000;
    const leaves = Array.from({length: 256}, (_, i) => hashLeaf(Buffer.from(`leaf ${i}`)));
    const tileOfLevel = [leaves];
    for (let level = 1; level < 3; level++) {
      tileOfLevel.push(Array(256).fill(subtreeRoot(tileOfLevel[level - 1])));
    }
    let fetches = 0;
    const fetchTile = async (tile) => {
      fetches++;
      const [, level, partialWidth] = /^tile\/(\d)\/.*?(?:\.p\/(\d+))?$/.exec(tile);
      const width = partialWidth === undefined ? 256 : Number(partialWidth);
      return new Uint8Array(Buffer.concat(tileOfLevel[Number(level)].slice(0, width)));
    };
    const indexes = Array.from({length: 50}, (_, i) => size - 50 + i);
    // A page has used WebCrypto (for the checkpoint) before it asks for proofs; Node loads it
    // lazily, in tens of milliseconds, on first use.
    await leafHash(new Uint8Array(0));
    const log = new TileLog(fetchTile, size);
    const start = performance.now();
    const proofs = [];
    for (const index of indexes) proofs.push(await log.inclusionProof(index));
    const elapsed = performance.now() - start;

    const root = await log.rootHash();
    const verifyStart = performance.now();
    await Promise.all(
        indexes.map(
            (index, i) => verifyInclusion(index, size, leaves[index % 256], proofs[i], root)),
    );
    const verifyElapsed = performance.now() - verifyStart;
    t.diagnostic(
        `50 inclusion proofs: ${elapsed.toFixed(1)} ms (${fetches} tile fetches); ` +
            `verifying them: ${verifyElapsed.toFixed(1)} ms`,
    );
  });
});
