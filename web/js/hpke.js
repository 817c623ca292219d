/**
 * HPKE (RFC 9180), base mode, the recipient's side, for the suite the client's credentials use
 * (docs/credentials.md): DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and AES-128-GCM (KEM 0x0020, KDF
 * 0x0001, AEAD 0x0001). Everything runs in WebCrypto; the one-time key's private half is made
 * non-extractable and never leaves it. Tested against the RFC's vectors (web/test/hpke.test.mjs).
 */
const text = new TextEncoder();
const EMPTY = new Uint8Array(0);

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function i2osp(value, width) {
  const out = new Uint8Array(width);
  for (let i = width - 1; i >= 0; --i, value >>= 8) out[i] = value & 0xff;
  return out;
}

const KEM_SUITE = concat(text.encode('KEM'), i2osp(0x0020, 2));
const HPKE_SUITE = concat(text.encode('HPKE'), i2osp(0x0020, 2), i2osp(0x0001, 2), i2osp(0x0001, 2));
const VERSION = text.encode('HPKE-v1');

// HMAC-SHA256; an empty key is HashLen zeros (RFC 5869), which HMAC pads alike.
async function hmac(key, data) {
  const imported = await crypto.subtle.importKey(
    'raw',
    key.length === 0 ? new Uint8Array(32) : key,
    {name: 'HMAC', hash: 'SHA-256'},
    false,
    ['sign'],
  );
  return new Uint8Array(await crypto.subtle.sign('HMAC', imported, data));
}

function labeledExtract(suite, salt, label, ikm) {
  return hmac(salt, concat(VERSION, suite, text.encode(label), ikm));
}

async function labeledExpand(suite, prk, label, info, length) {
  const labeledInfo = concat(i2osp(length, 2), VERSION, suite, text.encode(label), info);
  let block = EMPTY;
  let out = EMPTY;
  for (let i = 1; out.length < length; ++i) {
    block = await hmac(prk, concat(block, labeledInfo, Uint8Array.of(i)));
    out = concat(out, block);
  }
  return out.slice(0, length);
}

/** A fresh one-time X25519 key pair whose private half cannot be exported. */
export function generateKeyPair() {
  return crypto.subtle.generateKey({name: 'X25519'}, false, ['deriveBits']);
}

/** The 32 bytes of a public key. */
export async function publicKeyBytes(publicKey) {
  return new Uint8Array(await crypto.subtle.exportKey('raw', publicKey));
}

/** The key and base nonce the sender's encapsulation `enc` gives the recipient (`pair`). */
export async function recipientContext(pair, enc, info) {
  const publicRaw = await publicKeyBytes(pair.publicKey);
  const sender = await crypto.subtle.importKey('raw', enc, {name: 'X25519'}, true, []);
  // WebCrypto refuses an all-zero shared secret (a small-order point), as RFC 9180 asks.
  const dh = new Uint8Array(await crypto.subtle.deriveBits({name: 'X25519', public: sender}, pair.privateKey, 256));
  const eaePrk = await labeledExtract(KEM_SUITE, EMPTY, 'eae_prk', dh);
  const sharedSecret = await labeledExpand(KEM_SUITE, eaePrk, 'shared_secret', concat(enc, publicRaw), 32);
  const pskIdHash = await labeledExtract(HPKE_SUITE, EMPTY, 'psk_id_hash', EMPTY);
  const infoHash = await labeledExtract(HPKE_SUITE, EMPTY, 'info_hash', info);
  const context = concat(Uint8Array.of(0), pskIdHash, infoHash);
  const secret = await labeledExtract(HPKE_SUITE, sharedSecret, 'secret', EMPTY);
  return {
    sharedSecret,
    key: await labeledExpand(HPKE_SUITE, secret, 'key', context, 16),
    baseNonce: await labeledExpand(HPKE_SUITE, secret, 'base_nonce', context, 12),
  };
}

/** Opens the single message sealed to `pair` (sequence number 0); throws if it does not open. */
export async function open(pair, enc, info, aad, ciphertext) {
  const {key, baseNonce} = await recipientContext(pair, enc, info);
  const aesKey = await crypto.subtle.importKey('raw', key, {name: 'AES-GCM'}, false, ['decrypt']);
  return new Uint8Array(
    await crypto.subtle.decrypt({name: 'AES-GCM', iv: baseNonce, additionalData: aad, tagLength: 128}, aesKey, ciphertext),
  );
}
