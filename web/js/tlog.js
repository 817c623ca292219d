/**
 * @file Verifies a Quartet client log in the owner's browser (or in Node): its signed checkpoint,
 * the witness (agent) cosignatures on it, and inclusion and consistency proofs built from the log's
 * published tiles. The formats are those of docs/log-format.md: C2SP signed-note, tlog-checkpoint,
 * tlog-cosignature/v1 and tlog-tiles over RFC 6962 SHA-256 Merkle trees.
 *
 * What it trusts: the verifier keys the caller passes in (the log's Ed25519 key and the witness
 * keys, obtained out of band, e.g. the agent's key from its enrolment), and WebCrypto's SHA-256 and
 * Ed25519 (`globalThis.crypto.subtle`). What it does not trust: anything fetched from the server —
 * the checkpoint, the hash tiles and the entry bundles are all checked against those keys. A hash
 * tile is never believed on its own: every hash read from tiles ends up in a proof that is verified
 * against a signed root, so a wrong tile makes a verification fail rather than pass.
 *
 * Not checked: that a verifier key is a point of large order (the C++ side refuses small-order keys
 * when it makes them; a key is trusted input here, and a weak one could only come from its owner).
 *
 * No dependencies and no build step: the same file is imported by the dashboard and by Node's
 * tests. Every failure throws an Error whose message says what did not verify.
 */

const TEXT_ENCODER = new TextEncoder();

/** Signature type bytes of c2sp.org/signed-note. */
export const TYPE_ED25519 = 0x01;
/** Timestamped Ed25519 witness cosignatures, c2sp.org/tlog-cosignature. */
export const TYPE_COSIGNATURE_V1 = 0x04;

const HASH_SIZE = 32;
const KEY_ID_SIZE = 4;
const ED25519_KEY_SIZE = 32;
const ED25519_SIGNATURE_SIZE = 64;
const TIMESTAMP_SIZE = 8;
// tlog-cosignature: the timestamp "MUST NOT exceed 2^63 - 1".
const MAX_TIMESTAMP = (1n << 63n) - 1n;
// The C++ side refuses more; the spec asks verifiers for a limit of at least 16.
const MAX_SIGNATURES = 100;
const SIGNATURE_PREFIX = '\u2014 ';  // em dash, space
const TILE_WIDTH = 256;
const TILE_HEIGHT = 8;
const MAX_LEVEL = 63;

// ---- Bytes ----

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
// By character code; -1 for a character not in the alphabet.
const BASE64_VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE64_ALPHABET.length; i++) BASE64_VALUES[BASE64_ALPHABET.charCodeAt(i)] = i;

/**
 * Decodes standard padded base64 (RFC 4648 section 4), strictly: no white space, no missing
 * padding, no non-zero padding bits. Strict, so that one byte string has one encoding, as on the
 * C++ side (libsodium).
 * @param {string} s
 * @returns {Uint8Array}
 */
export function base64ToBytes(s) {
  if (typeof s !== 'string') throw new TypeError('base64ToBytes expects a string');
  if (s.length % 4 !== 0) throw new Error('malformed base64: length is not a multiple of 4');
  const padding = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - padding);
  let bits = 0;
  let accumulator = 0;
  let written = 0;
  for (let i = 0; i < s.length - padding; i++) {
    const code = s.charCodeAt(i);
    const value = code < 128 ? BASE64_VALUES[code] : -1;
    if (value < 0) throw new Error(`malformed base64: unexpected character at ${i}`);
    accumulator = (accumulator << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[written++] = accumulator >> bits;
    }
    accumulator &= (1 << bits) - 1;
  }
  if (accumulator !== 0) throw new Error('malformed base64: non-zero padding bits');
  return out;
}

/**
 * @param {Uint8Array} bytes
 * @returns {string} standard padded base64
 */
export function bytesToBase64(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const chunk = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(bytes.length - i, 3) + 1;
    for (let j = 0; j < 4; j++) {
      out += j < chars ? BASE64_ALPHABET[(chunk >> (18 - 6 * j)) & 63] : '=';
    }
  }
  return out;
}

/**
 * @param {Uint8Array} bytes
 * @returns {string} lowercase hex
 */
export function bytesToHex(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX_DIGITS[bytes[i]];
  return out;
}
const HEX_DIGITS = Array.from({length: 256}, (_, b) => b.toString(16).padStart(2, '0'));

/**
 * @param {string} hex an even number of hex digits
 * @returns {Uint8Array}
 */
export function hexToBytes(hex) {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new Error('malformed hex');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Whether a and b hold the same bytes. Not constant-time: everything compared here is public.
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 * @returns {boolean}
 */
export function equalBytes(a, b) {
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) {
    return false;
  }
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return false;
  }
  return true;
}

function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function asBytes(value, what) {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (typeof value === 'string') return TEXT_ENCODER.encode(value);
  throw new TypeError(`${what} must be a Uint8Array`);
}

// ---- Hashing ----

async function sha256(bytes) {
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes));
}

const SHA256_INITIAL = [
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
];
const SHA256_ROUND_CONSTANTS = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const rotateRight = (x, n) => (x >>> n) | (x << (32 - n));

/**
 * A synchronous SHA-256 (FIPS 180-4), used only for key IDs, so that parseVerifierKey can check
 * them without becoming async (WebCrypto has no synchronous digest). A key ID is an identifier, not
 * a security check: signatures and Merkle hashes all go through WebCrypto, so a mistake here could
 * only make a good key be refused. The tests compare it with WebCrypto.
 * @param {Uint8Array} bytes
 * @returns {Uint8Array} the 32-byte digest
 */
export function sha256Sync(bytes) {
  const padded = new Uint8Array(Math.ceil((bytes.length + 9) / 64) * 64);
  padded.set(bytes);
  padded[bytes.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(bytes.length / 2 ** 29));
  view.setUint32(padded.length - 4, (bytes.length * 8) >>> 0);
  const state = new Uint32Array(SHA256_INITIAL);
  const w = new Uint32Array(64);
  const k = SHA256_ROUND_CONSTANTS;
  // Plain variables, not arrays, in the rounds: trust chains hash every statement's body this way.
  for (let block = 0; block < padded.length; block += 64) {
    for (let t = 0; t < 16; t++) {
      const j = block + 4 * t;
      w[t] = (padded[j] << 24) | (padded[j + 1] << 16) | (padded[j + 2] << 8) | padded[j + 3];
    }
    for (let t = 16; t < 64; t++) {
      const s0 = rotateRight(w[t - 15], 7) ^ rotateRight(w[t - 15], 18) ^ (w[t - 15] >>> 3);
      const s1 = rotateRight(w[t - 2], 17) ^ rotateRight(w[t - 2], 19) ^ (w[t - 2] >>> 10);
      w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    let a = state[0], b = state[1], c = state[2], d = state[3];
    let e = state[4], f = state[5], g = state[6], h = state[7];
    for (let t = 0; t < 64; t++) {
      const s1 = rotateRight(e, 6) ^ rotateRight(e, 11) ^ rotateRight(e, 25);
      const choice = (e & f) ^ (~e & g);
      const temp1 = (h + s1 + choice + k[t] + w[t]) | 0;
      const s0 = rotateRight(a, 2) ^ rotateRight(a, 13) ^ rotateRight(a, 22);
      const majority = (a & b) ^ (a & c) ^ (b & c);
      const temp2 = (s0 + majority) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + temp1) | 0;
      d = c;
      c = b;
      b = a;
      a = (temp1 + temp2) | 0;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
  }
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) outView.setUint32(4 * i, state[i]);
  return out;
}

// ---- Keys (c2sp.org/signed-note) ----

// Unicode White_Space, the set the C++ side (and Go's unicode.IsSpace) refuses in key names.
const UNICODE_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;

/**
 * Key names are non-empty, hold no Unicode space, no '+' and (since they appear in a note) no
 * control character.
 * @param {string} name
 * @returns {boolean}
 */
export function isValidKeyName(name) {
  return (
      typeof name === 'string' && name.length > 0 && isWellFormed(name) && !name.includes('+') &&
      !UNICODE_SPACE.test(name) && !/[\u0000-\u001f]/.test(name));
}

function isWellFormed(s) {
  // String.prototype.isWellFormed is recent; the regular expression is the fallback.
  return typeof s.isWellFormed === 'function' ?
      s.isWellFormed() :
      !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}

/**
 * The key ID of signed-note: SHA-256(name || 0x0A || type || public key)[0:4].
 * @param {string} name
 * @param {number} type
 * @param {Uint8Array} publicKey
 * @returns {Uint8Array} 4 bytes
 */
export function computeKeyId(name, type, publicKey) {
  const material = concatBytes(TEXT_ENCODER.encode(name), Uint8Array.of(0x0a, type), publicKey);
  return sha256Sync(material).subarray(0, KEY_ID_SIZE);
}

/**
 * Parses a verifier key string `<name>+<8 lowercase hex digits of key ID>+<base64(type || key)>`,
 * as `quartet log key` prints it (type 0x01) and as the agent's key is logged (type 0x04, name
 * `quartet-agent`). Refuses other types and a key ID that does not match the key.
 * @param {string} vkey
 * @returns {{name: string, keyId: Uint8Array, type: number, publicKey: Uint8Array}}
 */
export function parseVerifierKey(vkey) {
  if (typeof vkey !== 'string') throw new TypeError('a verifier key must be a string');
  // The base64 part may hold '+' itself: only the first two separate fields.
  const first = vkey.indexOf('+');
  const second = first < 0 ? -1 : vkey.indexOf('+', first + 1);
  if (second < 0) throw new Error(`verifier key "${vkey}" is not <name>+<key ID>+<key>`);
  const name = vkey.slice(0, first);
  const keyIdHex = vkey.slice(first + 1, second);
  if (!isValidKeyName(name)) throw new Error(`verifier key "${vkey}" has an invalid name`);
  if (!/^[0-9a-f]{8}$/.test(keyIdHex)) {
    throw new Error(`verifier key "${vkey}": the key ID is not 8 lowercase hex digits`);
  }
  let material;
  try {
    material = base64ToBytes(vkey.slice(second + 1));
  } catch (error) {
    throw new Error(`verifier key "${vkey}": the key is not valid base64 (${error.message})`);
  }
  const type = material[0];
  if (type !== TYPE_ED25519 && type !== TYPE_COSIGNATURE_V1) {
    throw new Error(`verifier key "${vkey}": unsupported signature type ${type}`);
  }
  const publicKey = material.slice(1);
  if (publicKey.length !== ED25519_KEY_SIZE) {
    throw new Error(`verifier key "${vkey}": the Ed25519 public key is not 32 bytes`);
  }
  const keyId = hexToBytes(keyIdHex);
  if (!equalBytes(keyId, computeKeyId(name, type, publicKey))) {
    throw new Error(`verifier key "${vkey}": the key ID ${keyIdHex} does not match the key`);
  }
  return {name, keyId, type, publicKey};
}

function describeKey(key) {
  return `${key.name}+${bytesToHex(key.keyId)}`;
}

function asVerifierKey(key) {
  return typeof key === 'string' ? parseVerifierKey(key) : key;
}

// Imported once per key object: importing is as slow as verifying.
const importedKeys = new WeakMap();

async function importEd25519(key) {
  if (!importedKeys.has(key)) {
    const algorithm = {name: 'Ed25519'};
    importedKeys.set(
        key,
        globalThis.crypto.subtle.importKey('raw', key.publicKey, algorithm, false, ['verify']),
    );
  }
  return importedKeys.get(key);
}

async function verifyEd25519(key, message, signature) {
  if (signature.length !== ED25519_SIGNATURE_SIZE) return false;
  const publicKey = await importEd25519(key);
  return globalThis.crypto.subtle.verify({name: 'Ed25519'}, publicKey, signature, message);
}

function readUint64(bytes) {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0);
}

/**
 * Checks one signature line's bytes (after the key ID) by `key` over the note body.
 * @returns {Promise<{valid: boolean, timestamp: bigint|null}>}
 */
async function verifyNoteSignature(key, body, signature) {
  if (key.type === TYPE_ED25519) {
    const valid = await verifyEd25519(key, TEXT_ENCODER.encode(body), signature);
    return {valid, timestamp: null};
  }
  // tlog-cosignature/v1: timestamp (8 bytes, big-endian) || Ed25519 signature over
  // "cosignature/v1\ntime <timestamp>\n" || body. The timestamp is signed, so it can be trusted.
  if (signature.length !== TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE) {
    return {valid: false, timestamp: null};
  }
  const timestamp = readUint64(signature);
  if (timestamp > MAX_TIMESTAMP) return {valid: false, timestamp: null};
  const message = TEXT_ENCODER.encode(`cosignature/v1\ntime ${timestamp}\n${body}`);
  const valid = await verifyEd25519(key, message, signature.subarray(TIMESTAMP_SIZE));
  return {valid, timestamp};
}

// ---- Notes (c2sp.org/signed-note) ----

/**
 * Parses a signed note: a text ending in a newline, a blank line (the last one in the note), then
 * one or more lines `— <key name> <base64(key ID || signature)>`, each ending in a newline.
 * Signed notes are valid UTF-8 with no control character but newline. Nothing is verified here.
 * @param {string|Uint8Array} text the note; bytes must be UTF-8
 * @returns {{body: string, signatures: {name: string, keyId: Uint8Array, signature: Uint8Array}[]}}
 */
export function parseNote(text) {
  if (text instanceof Uint8Array) {
    try {
      text = new TextDecoder('utf-8', {fatal: true, ignoreBOM: true}).decode(text);
    } catch {
      throw new Error('the note is not valid UTF-8');
    }
  }
  if (typeof text !== 'string') throw new TypeError('a note must be a string or UTF-8 bytes');
  if (!isWellFormed(text)) throw new Error('the note is not valid Unicode');
  if (/[\u0000-\u0009\u000b-\u001f]/.test(text)) {
    throw new Error('the note holds a control character other than newline');
  }
  const split = text.lastIndexOf('\n\n');
  if (split < 0) throw new Error('the note has no blank line before its signatures');
  const body = text.slice(0, split + 1);
  const rest = text.slice(split + 2);
  if (rest === '') throw new Error('the note has no signature');
  if (!rest.endsWith('\n')) throw new Error('the note does not end with a newline');
  const lines = rest.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) {
    throw new Error(`the note has more than ${MAX_SIGNATURES} signatures`);
  }
  return {body, signatures: lines.map(parseSignatureLine)};
}

function parseSignatureLine(line) {
  if (!line.startsWith(SIGNATURE_PREFIX)) {
    throw new Error(`signature line "${line}" does not start with an em dash and a space`);
  }
  const fields = line.slice(SIGNATURE_PREFIX.length);
  const space = fields.indexOf(' ');
  if (space < 0) throw new Error(`signature line "${line}" has no space after the key name`);
  const name = fields.slice(0, space);
  if (!isValidKeyName(name)) throw new Error(`signature line "${line}" has an invalid key name`);
  let bytes;
  try {
    bytes = base64ToBytes(fields.slice(space + 1));
  } catch (error) {
    throw new Error(`signature line of ${name}: ${error.message}`);
  }
  if (bytes.length <= KEY_ID_SIZE) throw new Error(`signature line of ${name} is too short`);
  return {name, keyId: bytes.slice(0, KEY_ID_SIZE), signature: bytes.slice(KEY_ID_SIZE)};
}

/**
 * Opens a signed note as signed-note says: signatures by unknown keys are ignored, a signature that
 * names a known key (same name and key ID) but does not verify rejects the note, and at least one
 * known key must have signed.
 * @param {string|Uint8Array} noteText
 * @param {(string|object)[]} knownKeys verifier key strings or parseVerifierKey results
 * @returns {Promise<{body: string, signatures: object[], verified: {name: string,
 *   keyId: Uint8Array, type: number, timestamp: number|null}[]}>} verified: the known keys that
 *   signed, in the order given, with the cosignature time (Unix seconds) for type 0x04
 */
export async function openNote(noteText, knownKeys) {
  const keys = knownKeys.map(asVerifierKey);
  const note = parseNote(noteText);
  const signed = await verifyKnownSignatures(note, keys);
  if (signed.size === 0) throw new Error('the note has no signature by a known key');
  const verified = keys.filter((key) => signed.has(key)).map((key) => {
    const timestamp = signed.get(key);
    const {name, keyId, type} = key;
    return {name, keyId, type, timestamp: timestamp === null ? null : Number(timestamp)};
  });
  return {...note, verified};
}

// ---- Checkpoints (c2sp.org/tlog-checkpoint, c2sp.org/tlog-cosignature) ----

/**
 * Parses a checkpoint body: origin, tree size in decimal, base64 root hash, then extension lines.
 * Nothing is verified here.
 * @param {string} body the note text, final newline included
 * @returns {{origin: string, size: number, root: Uint8Array, extensions: string[]}}
 */
export function parseCheckpoint(body) {
  if (!body.endsWith('\n')) throw new Error('the checkpoint does not end with a newline');
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3) throw new Error('the checkpoint has fewer than three lines');
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (origin === '') throw new Error('the checkpoint origin is empty');
  if (!/^(?:0|[1-9][0-9]*)$/.test(sizeText)) {
    throw new Error(`the checkpoint tree size "${sizeText}" is not a decimal number`);
  }
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) {
    throw new Error(`the checkpoint tree size ${sizeText} is too large`);
  }
  let root;
  try {
    root = base64ToBytes(rootText);
  } catch (error) {
    throw new Error(`the checkpoint root hash: ${error.message}`);
  }
  if (root.length !== HASH_SIZE) throw new Error('the checkpoint root hash is not 32 bytes');
  if (extensions.includes('')) throw new Error('the checkpoint has an empty extension line');
  return {origin, size, root, extensions};
}

/**
 * Verifies a signed checkpoint: a valid Ed25519 signature by the log's key (whose name must be the
 * checkpoint's origin) and a valid tlog-cosignature/v1 by every witness key given. As signed-note
 * says, signatures by other keys are ignored, and a signature line that names a known key but does
 * not verify rejects the whole note.
 * @param {string|Uint8Array} noteText the checkpoint as served
 * @param {string|object} logVerifierKey verifier key string (type 0x01) or what parseVerifierKey
 *   returns
 * @param {(string|object)[]} [witnessVerifierKeys] verifier keys of type 0x04
 * @returns {Promise<{origin: string, size: number, root: Uint8Array, cosignedAt: number|null,
 *   extensions: string[], body: string, cosignatures: {name: string, keyId: Uint8Array,
 *   timestamp: number}[]}>} cosignedAt is the first witness's timestamp (Unix seconds), null
 *   without witnesses; cosignatures has one item per witness key, in the order given
 */
export async function verifyCheckpoint(noteText, logVerifierKey, witnessVerifierKeys = []) {
  const logKey = asVerifierKey(logVerifierKey);
  if (logKey.type !== TYPE_ED25519) {
    throw new Error(
        `the log key ${describeKey(logKey)} is not an Ed25519 signed-note key (type 0x01)`,
    );
  }
  const witnesses = witnessVerifierKeys.map(asVerifierKey);
  for (const witness of witnesses) {
    if (witness.type !== TYPE_COSIGNATURE_V1) {
      throw new Error(
          `the witness key ${describeKey(witness)} is not a cosignature/v1 key (type 0x04)`,
      );
    }
  }
  const note = parseNote(noteText);
  // Verify first: signed-note says the text is to be ignored until a trusted key's signature holds.
  const verified = await verifyKnownSignatures(note, [logKey, ...witnesses]);
  if (!verified.has(logKey)) {
    throw new Error(`the checkpoint is not signed by the log key ${describeKey(logKey)}`);
  }
  const checkpoint = parseCheckpoint(note.body);
  if (checkpoint.origin !== logKey.name) {
    throw new Error(
        `the checkpoint is for "${checkpoint.origin}", not for the log "${logKey.name}"`,
    );
  }
  const cosignatures = witnesses.map((witness) => {
    if (!verified.has(witness)) {
      throw new Error(`the checkpoint is not cosigned by the witness ${describeKey(witness)}`);
    }
    const timestamp = Number(verified.get(witness));
    if (!Number.isSafeInteger(timestamp)) {
      throw new Error(`the cosignature of ${describeKey(witness)} has an implausible time`);
    }
    return {name: witness.name, keyId: witness.keyId, timestamp};
  });
  return {
    ...checkpoint,
    cosignedAt: cosignatures.length > 0 ? cosignatures[0].timestamp : null,
    body: note.body,
    cosignatures,
  };
}

/**
 * Verifies every signature line that names one of `known` (same name and key ID).
 * @returns {Promise<Map<object, bigint|null>>} each known key that signed, with its timestamp
 */
async function verifyKnownSignatures(note, known) {
  const verified = new Map();
  for (const line of note.signatures) {
    const matches = known.filter((k) => k.name === line.name && equalBytes(k.keyId, line.keyId));
    if (matches.length === 0) continue;  // signed-note: unknown keys are ignored
    const key = matches[0];
    if (matches.some((k) => k.type !== key.type || !equalBytes(k.publicKey, key.publicKey))) {
      throw new Error(`two different keys are named ${describeKey(key)}`);
    }
    const {valid, timestamp} = await verifyNoteSignature(key, note.body, line.signature);
    if (!valid) throw new Error(`the signature by ${describeKey(key)} on the note is not valid`);
    for (const k of matches) {
      if (!verified.has(k)) verified.set(k, timestamp);
    }
  }
  return verified;
}

// ---- Merkle trees (RFC 6962 / RFC 9162, SHA-256) ----

/** MTH of the empty tree: SHA-256 of the empty string. Do not modify; copy it. */
export const EMPTY_ROOT = hexToBytes(
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
);

/**
 * @param {Uint8Array|string} entryBytes the entry (a string is taken as UTF-8)
 * @returns {Promise<Uint8Array>} SHA-256(0x00 || entry)
 */
export async function leafHash(entryBytes) {
  return sha256(concatBytes(Uint8Array.of(0x00), asBytes(entryBytes, 'an entry')));
}

/**
 * @param {Uint8Array} left
 * @param {Uint8Array} right
 * @returns {Promise<Uint8Array>} SHA-256(0x01 || left || right)
 */
export async function nodeHash(left, right) {
  return sha256(concatBytes(Uint8Array.of(0x01), left, right));
}

// Sizes and indexes are unsigned 64-bit on the wire: the proof checks work in BigInt so that any
// such value is handled exactly, not rounded.
function toUint64(value, what) {
  if (typeof value === 'bigint' && value >= 0n && value < 1n << 64n) return value;
  if (Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  throw new Error(`${what} must be an unsigned integer, not ${value}`);
}

function checkHash(hash, what) {
  if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE) {
    throw new Error(`${what} is not a 32-byte hash`);
  }
}

function checkProof(proof) {
  if (!Array.isArray(proof)) throw new Error('the proof is not a list of hashes');
  if (proof.length > 64) throw new Error('the proof is longer than any tree of 2^64 leaves needs');
  proof.forEach((hash, i) => checkHash(hash, `proof hash ${i}`));
}

// RFC 9162 "right-shift fn and sn equally until either LSB(fn) is set or fn is 0".
function shiftWhileEven(state) {
  while (state.fn !== 0n && (state.fn & 1n) === 0n) {
    state.fn >>= 1n;
    state.sn >>= 1n;
  }
}

/**
 * Verifies an inclusion proof as RFC 9162 section 2.1.3.2 says.
 * @param {number|bigint} index the leaf's index
 * @param {number|bigint} size the tree size
 * @param {Uint8Array} leaf the leaf HASH (see leafHash), not the entry
 * @param {Uint8Array[]} proof the audit path, leaf side first
 * @param {Uint8Array} root the tree's root hash
 * @returns {Promise<true>} or throws
 */
export async function verifyInclusion(index, size, leaf, proof, root) {
  const leafIndex = toUint64(index, 'the leaf index');
  const treeSize = toUint64(size, 'the tree size');
  if (leafIndex >= treeSize) {
    throw new Error(`leaf index ${leafIndex} is not below the tree size ${treeSize}`);
  }
  checkHash(leaf, 'the leaf hash');
  checkHash(root, 'the root hash');
  checkProof(proof);
  const state = {fn: leafIndex, sn: treeSize - 1n};
  let r = leaf;
  for (const p of proof) {
    if (state.sn === 0n) throw new Error('the inclusion proof is too long');
    if ((state.fn & 1n) === 1n || state.fn === state.sn) {
      r = await nodeHash(p, r);
      shiftWhileEven(state);
    } else {
      r = await nodeHash(r, p);
    }
    state.fn >>= 1n;
    state.sn >>= 1n;
  }
  if (state.sn !== 0n) throw new Error('the inclusion proof is too short');
  if (!equalBytes(r, root)) {
    throw new Error(`the inclusion proof of leaf ${leafIndex} does not lead to the root`);
  }
  return true;
}

/**
 * Verifies a consistency proof as RFC 9162 section 2.1.4.2 says. The old tree must not be empty
 * (every tree extends the empty one: a proof from it proves nothing). Equal sizes need an empty
 * proof and equal roots.
 * @param {number|bigint} size1 the old tree size
 * @param {number|bigint} size2 the new tree size
 * @param {Uint8Array[]} proof
 * @param {Uint8Array} root1
 * @param {Uint8Array} root2
 * @returns {Promise<true>} or throws
 */
export async function verifyConsistency(size1, size2, proof, root1, root2) {
  const first = toUint64(size1, 'the old tree size');
  const second = toUint64(size2, 'the new tree size');
  if (!Array.isArray(proof)) throw new Error('the proof is not a list of hashes');
  if (first === 0n) throw new Error('a consistency proof from the empty tree proves nothing');
  if (first > second) throw new Error(`the old tree size ${first} is above the new one ${second}`);
  if (first === second) {
    if (proof.length > 0) throw new Error('a consistency proof between equal sizes must be empty');
    if (!equalBytes(root1, root2)) throw new Error(`two different roots for tree size ${first}`);
    return true;
  }
  checkHash(root1, 'the old root hash');
  checkHash(root2, 'the new root hash');
  checkProof(proof);
  if (proof.length === 0) throw new Error('the consistency proof is empty');
  // Step 2: an old tree of 2^k leaves is itself a node of the new tree; its root starts the path.
  const path = (first & (first - 1n)) === 0n ? [root1, ...proof] : proof;
  const state = {fn: first - 1n, sn: second - 1n};
  while ((state.fn & 1n) === 1n) {
    state.fn >>= 1n;
    state.sn >>= 1n;
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (state.sn === 0n) throw new Error('the consistency proof is too long');
    if ((state.fn & 1n) === 1n || state.fn === state.sn) {
      [fr, sr] = await Promise.all([nodeHash(c, fr), nodeHash(c, sr)]);
      shiftWhileEven(state);
    } else {
      sr = await nodeHash(sr, c);
    }
    state.fn >>= 1n;
    state.sn >>= 1n;
  }
  if (state.sn !== 0n) throw new Error('the consistency proof is too short');
  if (!equalBytes(fr, root1)) {
    throw new Error(`the consistency proof does not lead to the old root (size ${first})`);
  }
  if (!equalBytes(sr, root2)) {
    throw new Error(`the consistency proof does not lead to the new root (size ${second})`);
  }
  return true;
}

// ---- Tiles (c2sp.org/tlog-tiles) ----

function checkIndex(value, what) {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`${what} must be a non-negative integer, not ${value}`);
  }
}

/**
 * The path of a tile relative to the log's prefix: `tile/<L>/<N>[.p/<W>]`, with N in 3-digit
 * groups, all but the last prefixed with `x` (index 1234067 is `x001/x234/067`).
 * @param {number|'entries'} level a hash tile level 0–63, or 'entries' for an entry bundle
 * @param {number} index the tile index
 * @param {number} [width] 1–256; below 256 the path names a partial tile
 * @returns {string} e.g. `tile/0/x001/x234/067.p/17`
 */
export function tilePath(level, index, width = TILE_WIDTH) {
  if (level !== 'entries' && !(Number.isInteger(level) && level >= 0 && level <= MAX_LEVEL)) {
    throw new Error(`tile level ${level} is not 0–63 or "entries"`);
  }
  checkIndex(index, 'the tile index');
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) {
    throw new Error(`tile width ${width} is not 1–256`);
  }
  const groups = [];
  let rest = index;
  do {
    groups.unshift(String(rest % 1000).padStart(3, '0'));
    rest = Math.floor(rest / 1000);
  } while (rest > 0);
  const name = groups.map((group, i) => (i < groups.length - 1 ? `x${group}` : group)).join('/');
  return `tile/${level}/${name}${width < TILE_WIDTH ? `.p/${width}` : ''}`;
}

/**
 * Parses an entry bundle: each entry as a big-endian uint16 length followed by its bytes.
 * @param {Uint8Array} bundle
 * @param {number} count how many entries the bundle must hold
 * @param {string} path for error messages
 * @returns {Uint8Array[]} views into bundle
 */
export function parseEntryBundle(bundle, count, path = 'the entry bundle') {
  const entries = [];
  let offset = 0;
  while (offset < bundle.length) {
    if (offset + 2 > bundle.length) throw new Error(`${path} ends inside a length prefix`);
    const length = (bundle[offset] << 8) | bundle[offset + 1];
    offset += 2;
    if (offset + length > bundle.length) {
      throw new Error(`${path} ends inside entry ${entries.length}`);
    }
    entries.push(bundle.subarray(offset, offset + length));
    offset += length;
  }
  if (entries.length !== count) {
    throw new Error(`${path} holds ${entries.length} entries, not ${count}`);
  }
  return entries;
}

function largestPowerOfTwoBelow(n) {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// The height of a full subtree of n leaves, or -1 if n is not a power of two.
function heightOfFullSubtree(n) {
  let height = 0;
  for (let k = 1; k < n; k *= 2) height++;
  return 2 ** height === n ? height : -1;
}

// A Map of promises whose failures are forgotten, so that a failed fetch can be retried.
function memoize(map, key, compute) {
  let promise = map.get(key);
  if (promise === undefined) {
    promise = compute();
    map.set(key, promise);
    promise.catch(() => map.delete(key));
  }
  return promise;
}

/**
 * Builds RFC 6962 proofs for the tree of `size` leaves from a log's hash tiles and reads its entry
 * bundles. Tiles are fetched through `fetchTile` with paths relative to the log's prefix (e.g.
 * `tile/1/000.p/15`), each at most once, with the partial widths of this tree size. Hashes read
 * from tiles are not trusted by themselves: verify the proofs against a signed checkpoint of this
 * size. Nodes hashed up from tiles are kept, so proofs for nearby entries cost little.
 */
export class TileLog {
  #fetchTile;
  #size;
  #files = new Map();    // path -> Promise<Uint8Array>: tiles and bundles as fetched
  #bundles = new Map();  // bundle index -> Promise<Uint8Array[]>
  #nodes = new Map();    // "level/index" -> Promise<Uint8Array>: nodes hashed up inside a tile
  #ranges = new Map();   // "begin-end" -> Promise<Uint8Array>: MTH of ranges that are not one node

  /**
   * @param {(path: string) => Promise<Uint8Array>} fetchTile
   * @param {number} size the tree size, that of the checkpoint the proofs will be checked against
   */
  constructor(fetchTile, size) {
    if (typeof fetchTile !== 'function') throw new TypeError('TileLog needs a fetchTile function');
    checkIndex(size, 'the tree size');
    this.#fetchTile = fetchTile;
    this.#size = size;
  }

  /** @returns {number} the tree size */
  get size() {
    return this.#size;
  }

  /**
   * The hash of the full subtree of height `level` at position `index` (leaves
   * index·2^level … (index+1)·2^level − 1), which must lie inside the tree.
   * @param {number} level 0–63
   * @param {number} index
   * @returns {Promise<Uint8Array>}
   */
  async hashAt(level, index) {
    if (!Number.isInteger(level) || level < 0 || level > MAX_LEVEL) {
      throw new Error(`level ${level} is not 0–63`);
    }
    checkIndex(index, 'the node index');
    if ((index + 1) * 2 ** level > this.#size) {
      throw new Error(
          `node ${index} at height ${level} is not a full subtree of a tree of ${this.#size}`,
      );
    }
    return (await this.#node(level, index)).slice();
  }

  /**
   * The inclusion proof of leaf `index` in this tree (RFC 6962 PATH), leaf side first.
   * @param {number} index
   * @returns {Promise<Uint8Array[]>}
   */
  async inclusionProof(index) {
    checkIndex(index, 'the leaf index');
    if (index >= this.#size) throw new Error(`leaf ${index} is not in a tree of ${this.#size}`);
    const ranges = [];
    let begin = 0;
    let end = this.#size;
    while (end - begin > 1) {
      const middle = begin + largestPowerOfTwoBelow(end - begin);
      if (index < middle) {
        ranges.push([middle, end]);
        end = middle;
      } else {
        ranges.push([begin, middle]);
        begin = middle;
      }
    }
    return this.#hashRanges(ranges.reverse());
  }

  /**
   * The consistency proof from the tree of `oldSize` to this one (RFC 6962 PROOF).
   * @param {number} oldSize 1 … size
   * @returns {Promise<Uint8Array[]>}
   */
  async consistencyProof(oldSize) {
    checkIndex(oldSize, 'the old tree size');
    if (oldSize === 0 || oldSize > this.#size) {
      throw new Error(`no consistency proof from size ${oldSize} to size ${this.#size}`);
    }
    const ranges = [];
    let begin = 0;
    let end = this.#size;
    // Whether the old tree is a node of the new one, which the verifier already knows (its root).
    let oldTreeIsNode = true;
    while (oldSize < end) {
      const middle = begin + largestPowerOfTwoBelow(end - begin);
      if (oldSize <= middle) {
        ranges.push([middle, end]);
        end = middle;
      } else {
        ranges.push([begin, middle]);
        begin = middle;
        oldTreeIsNode = false;
      }
    }
    if (!oldTreeIsNode) ranges.push([begin, end]);
    return this.#hashRanges(ranges.reverse());
  }

  /** @returns {Promise<Uint8Array>} the root hash of this tree */
  async rootHash() {
    if (this.#size === 0) return EMPTY_ROOT.slice();
    return (await this.#rangeRoot(0, this.#size)).slice();
  }

  /**
   * Entries start … end − 1 from the entry bundles, as published (not verified: hash them and
   * check their inclusion, as verifyEntries does).
   * @param {number} start
   * @param {number} end
   * @returns {Promise<Uint8Array[]>}
   */
  async entries(start, end) {
    checkIndex(start, 'the first entry');
    checkIndex(end, 'the end of the entries');
    if (start > end || end > this.#size) {
      throw new Error(`entries ${start}–${end} are not in a tree of ${this.#size}`);
    }
    if (start === end) return [];
    const first = Math.floor(start / TILE_WIDTH);
    const last = Math.floor((end - 1) / TILE_WIDTH);
    const bundles = await Promise.all(
        Array.from({length: last - first + 1}, (_, i) => this.#bundle(first + i)),
    );
    const offset = first * TILE_WIDTH;
    return bundles.flat().slice(start - offset, end - offset).map((entry) => entry.slice());
  }

  // The width of tile `index` at `level` in this tree: 256 for a full tile, less on the right edge.
  #tileWidth(level, index) {
    const fullTiles = Math.floor(this.#size / TILE_WIDTH ** (level + 1));
    if (index < fullTiles) return TILE_WIDTH;
    const width = Math.floor(this.#size / TILE_WIDTH ** level) % TILE_WIDTH;
    if (index > fullTiles || width === 0) {
      throw new Error(`tile ${index} of level ${level} is not in a tree of ${this.#size}`);
    }
    return width;
  }

  #fetch(path) {
    return memoize(this.#files, path, async () => {
      const data = await this.#fetchTile(path);
      if (data instanceof ArrayBuffer) return new Uint8Array(data);
      if (!(data instanceof Uint8Array)) {
        throw new TypeError(`fetchTile("${path}") did not give bytes`);
      }
      // A plain view even of a Node Buffer, whose slice() would not copy.
      return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    });
  }

  async #hashTile(tileLevel, index) {
    const width = this.#tileWidth(tileLevel, index);
    const path = tilePath(tileLevel, index, width);
    const tile = await this.#fetch(path);
    if (tile.length !== width * HASH_SIZE) {
      throw new Error(`tile ${path} has ${tile.length} bytes, not ${width * HASH_SIZE}`);
    }
    return tile;
  }

  #bundle(index) {
    return memoize(this.#bundles, index, async () => {
      const width = this.#tileWidth(0, index);
      const path = tilePath('entries', index, width);
      return parseEntryBundle(await this.#fetch(path), width, path);
    });
  }

  // A full node of the tree, read from a tile at heights 0, 8, 16…, hashed up from the tile below
  // otherwise. The caller checks that the node lies inside the tree.
  #node(level, index) {
    if (level % TILE_HEIGHT === 0) {
      return this.#hashTile(level / TILE_HEIGHT, Math.floor(index / TILE_WIDTH)).then((tile) => {
        const offset = (index % TILE_WIDTH) * HASH_SIZE;
        return tile.subarray(offset, offset + HASH_SIZE);
      });
    }
    return memoize(this.#nodes, `${level}/${index}`, async () => {
      const [left, right] = await Promise.all([
        this.#node(level - 1, 2 * index),
        this.#node(level - 1, 2 * index + 1),
      ]);
      return nodeHash(left, right);
    });
  }

  // MTH(D[begin:end]) for the ranges the RFC 6962 recursion makes: either one full node, or a right
  // edge split at the largest power of two below its size.
  #rangeRoot(begin, end) {
    const count = end - begin;
    const height = heightOfFullSubtree(count);
    if (height >= 0 && begin % count === 0) return this.#node(height, begin / count);
    return memoize(this.#ranges, `${begin}-${end}`, async () => {
      const middle = begin + largestPowerOfTwoBelow(count);
      const [left, right] = await Promise.all([
        this.#rangeRoot(begin, middle),
        this.#rangeRoot(middle, end),
      ]);
      return nodeHash(left, right);
    });
  }

  async #hashRanges(ranges) {
    const hashes = await Promise.all(ranges.map(([begin, end]) => this.#rangeRoot(begin, end)));
    return hashes.map((hash) => hash.slice());
  }
}

/**
 * A fetchTile for TileLog that reads tiles over HTTP(S) below `prefix` (the log's URL ending in
 * `/`, e.g. `https://quartet.example/logs/acme/`).
 * @param {string|URL} prefix
 * @param {typeof fetch} [fetchImpl]
 * @returns {(path: string) => Promise<Uint8Array>}
 */
export function httpTileFetcher(prefix, fetchImpl = globalThis.fetch) {
  const base = new URL(prefix);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  return async (path) => {
    const url = new URL(path, base);
    const response = await fetchImpl(url);
    if (!response.ok) throw new Error(`fetching ${url}: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  };
}

/**
 * Verifies that each entry in `indexes` is in the checkpoint's tree: leaf-hashes the bytes given
 * for it, builds its inclusion proof from tiles and checks it against checkpoint.root.
 * @param {TileLog} tileLog a TileLog of the checkpoint's size
 * @param {{size: number, root: Uint8Array}} checkpoint as verifyCheckpoint returns it
 * @param {Iterable<number>} indexes
 * @param {Map<number, Uint8Array>|Record<number, Uint8Array>|Uint8Array[]} entryBytesByIndex
 * @returns {Promise<Map<number, true>>} or throws, naming the failing entry
 */
export async function verifyEntries(tileLog, checkpoint, indexes, entryBytesByIndex) {
  if (tileLog.size !== checkpoint.size) {
    throw new Error(
        `the tiles are read for size ${tileLog.size}, the checkpoint is of size ${checkpoint.size}`,
    );
  }
  const list = [...indexes];
  const bytesOf = (index) =>
      entryBytesByIndex instanceof Map ? entryBytesByIndex.get(index) : entryBytesByIndex[index];
  await Promise.all(
      list.map(async (index) => {
        try {
          const bytes = bytesOf(index);
          if (bytes === undefined) throw new Error('no bytes were given for it');
          const [leaf, proof] = await Promise.all([leafHash(bytes), tileLog.inclusionProof(index)]);
          await verifyInclusion(index, checkpoint.size, leaf, proof, checkpoint.root);
        } catch (error) {
          const where = `the checkpoint of size ${checkpoint.size}`;
          throw new Error(`entry ${index} does not verify in ${where}: ${error.message}`, {
            cause: error,
          });
        }
      }),
  );
  return new Map(list.map((index) => [index, true]));
}
