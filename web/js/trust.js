/**
 * @file The client's trust chain (docs/trust-chain.md), replayed in the browser (or in Node)
 * exactly as src/trust/chain.cc replays it: who the client's owners are, their devices, the
 * threshold, the agent they confirmed, the policy and resources they signed. Nothing the server
 * says about keys is believed: each statement must be canonical JSON, follow the one before it
 * (seq, and prev: SHA-256 of the previous body) and carry the signatures the chain demands, each
 * Ed25519 over "quartet-trust-statement/v1\n" + body, checked with WebCrypto.
 *
 * Exactly: a statement refused there is refused here, with the same code ("INVALID_ARGUMENT",
 * "UNAUTHENTICATED", "FAILED_PRECONDITION") at the same position, and an accepted chain says the
 * same (summaryOf is trust::SummaryJson). testdata/trust/chains.json, written by the C++ side, is
 * the proof (web/test/trust.test.mjs). So the parts that the C++ side takes from its libraries are
 * written out here as those libraries do them: JSON as nlohmann-json reads and prints it, base64
 * and the validity of a key as libsodium decides them, and a signed policy as access/policy.cc
 * reads it.
 *
 * Signatures are checked all at once (WebCrypto verifies concurrently): the chain is first replayed
 * without them, noting for each statement the signatures the C++ side would check before the
 * statement's first other refusal; the first statement with a bad one, or refused otherwise, is the
 * one the C++ side refuses, for the same reason.
 *
 * No dependencies beyond tlog.js and no build step: the dashboard and Node's tests import it.
 */
import {base64ToBytes, bytesToBase64, bytesToHex, equalBytes, sha256Sync} from './tlog.js';
import {verifyEd25519} from './verify-pool.js';

export const STATEMENT_DOMAIN = 'quartet-trust-statement/v1\n';
export const KINDS = [
  'genesis',
  'device.added',
  'device.removed',
  'owner.added',
  'owner.removed',
  'threshold.set',
  'agent.confirmed',
  'policy.signed',
  'resource.signed',
  'recovered',
];

const encoder = new TextEncoder();

/** A statement the chain refuses: `code` as the C++ side's StatusCode name, `position` the seq. */
export class TrustChainError extends Error {
  constructor(code, position, message) {
    super(`trust statement ${position}: ${message}`);
    this.name = 'TrustChainError';
    this.code = code;
    this.position = position;
  }
}

// A refusal before its position is known.
class Refusal extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}
const invalid = (message) => new Refusal('INVALID_ARGUMENT', message);
const unauthenticated = (message) => new Refusal('UNAUTHENTICATED', message);
const precondition = (message) => new Refusal('FAILED_PRECONDITION', message);

// ---- JSON, as nlohmann-json reads and prints it ----

/** An integer read from JSON, kept exactly (nlohmann's number_integer or number_unsigned). */
class JsonInteger {
  constructor(value) {
    this.value = value; // BigInt
  }
}
/** Any other number (nlohmann's number_float): never canonical in a body, never an integer. */
class JsonFloat {}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

/**
 * Parses JSON text strictly (RFC 8259, as nlohmann-json does): objects have a null prototype and
 * keep the last of a repeated key; integers within 64 bits are JsonInteger, other numbers
 * JsonFloat. Throws Refusal INVALID_ARGUMENT "<what> is not valid JSON".
 */
export function parseJson(text, what = 'the text') {
  let i = 0;
  const fail = () => {
    throw invalid(`${what} is not valid JSON`);
  };
  const space = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      i++;
    }
  };
  const hex4 = () => {
    const digits = text.slice(i, i + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(digits)) fail();
    i += 4;
    return parseInt(digits, 16);
  };
  const string = () => {
    i++; // the opening quote
    let out = '';
    let start = i;
    for (;;) {
      if (i >= text.length) fail();
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(start, i);
        i++;
        return out;
      }
      if (c < 0x20) fail();
      // A lone surrogate in the text itself: bytes that are not UTF-8 on the C++ side.
      if (c >= 0xd800 && c <= 0xdbff) {
        const next = text.charCodeAt(i + 1);
        if (!(next >= 0xdc00 && next <= 0xdfff)) fail();
        i += 2;
        continue;
      }
      if (c >= 0xdc00 && c <= 0xdfff) fail();
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(start, i);
      i++;
      const e = text[i++];
      const simple = {'"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t'}[e];
      if (simple !== undefined) {
        out += simple;
      } else if (e === 'u') {
        const unit = hex4();
        if (unit >= 0xd800 && unit <= 0xdbff) {
          if (text[i] !== '\\' || text[i + 1] !== 'u') fail();
          i += 2;
          const low = hex4();
          if (!(low >= 0xdc00 && low <= 0xdfff)) fail();
          out += String.fromCharCode(unit, low);
        } else if (unit >= 0xdc00 && unit <= 0xdfff) {
          fail();
        } else {
          out += String.fromCharCode(unit);
        }
      } else {
        fail();
      }
      start = i;
    }
  };
  const numberPattern = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
  const number = () => {
    numberPattern.lastIndex = i;
    const match = numberPattern.exec(text);
    if (!match) fail();
    i += match[0].length;
    if (match[2] !== undefined || match[3] !== undefined) return new JsonFloat();
    const value = BigInt(match[0]);
    // nlohmann reads an integer beyond 64 bits as a floating-point number.
    if (value < INT64_MIN || value > UINT64_MAX) return new JsonFloat();
    return new JsonInteger(value);
  };
  const value = (depth) => {
    space();
    if (i >= text.length) fail();
    const c = text[i];
    if (c === '{') {
      i++;
      const object = Object.create(null);
      space();
      if (text[i] === '}') {
        i++;
        return object;
      }
      for (;;) {
        space();
        if (text[i] !== '"') fail();
        const key = string();
        space();
        if (text[i++] !== ':') fail();
        object[key] = value(depth + 1);
        space();
        const next = text[i++];
        if (next === '}') return object;
        if (next !== ',') fail();
      }
    }
    if (c === '[') {
      i++;
      const array = [];
      space();
      if (text[i] === ']') {
        i++;
        return array;
      }
      for (;;) {
        array.push(value(depth + 1));
        space();
        const next = text[i++];
        if (next === ']') return array;
        if (next !== ',') fail();
      }
    }
    if (c === '"') return string();
    if (text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    return fail();
  };
  if (typeof text !== 'string') fail();
  const parsed = value(0);
  space();
  if (i !== text.length) fail();
  return parsed;
}

// Text that the engine's own JSON.parse reads exactly as parseJson would (numbers aside): no lone
// surrogate, raw or escaped. Anything else goes the slow, exact way.
const ESCAPED_SURROGATE = /\\u[dD][89a-fA-F]/;
const readsNatively = (text) => text.isWellFormed() && !ESCAPED_SURROGATE.test(text);

/**
 * The JSON object `text`, quickly: the engine's JSON.parse when that reads it as nlohmann-json
 * would, parseJson otherwise. Numbers may come back as JS numbers: only texts and objects are read
 * from it.
 */
function parseOuter(text) {
  if (readsNatively(text)) {
    try {
      return JSON.parse(text);
    } catch {
      // parseJson says why.
    }
  }
  return parseJson(text, 'a trust statement');
}

/**
 * A body, parsed, if it is canonical JSON; null otherwise. Most bodies are read by the engine's
 * JSON.parse and printed back to compare; one that does not come back the same (an integer beyond
 * 2^53, say) is read again exactly.
 */
function parseCanonical(body) {
  if (readsNatively(body)) {
    let fast;
    try {
      fast = JSON.parse(body);
    } catch {
      fast = undefined;
    }
    if (fast !== undefined && canonicalJson(fast) === body) return fast;
  }
  const exact = parseJson(body, "a trust statement's body");
  return canonicalJson(exact) === body ? exact : null;
}

const isObject = (value) =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof JsonInteger) &&
  !(value instanceof JsonFloat);

const SURROGATE = /[\ud800-\udfff]/;

// Object keys in the order of their UTF-8 bytes, which is the order of their code points. Without
// surrogates, that is the order of their UTF-16 code units too.
function compareCodePoints(a, b) {
  if (!SURROGATE.test(a) && !SURROGATE.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  const x = [...a];
  const y = [...b];
  for (let k = 0; k < Math.min(x.length, y.length); k++) {
    const d = x[k].codePointAt(0) - y[k].codePointAt(0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

const ESCAPED = /["\\\u0000-\u001f]/;

function quote(text) {
  if (!ESCAPED.test(text)) return `"${text}"`;
  let out = '"';
  for (const ch of text) {
    const c = ch.codePointAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c < 0x20) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/**
 * The canonical text of `value` (docs/log-format.md): keys sorted, no white space, strings as
 * nlohmann-json prints them. Takes what parseJson returns and plain values the page builds
 * (integers as numbers or BigInts). Null for a value that has no canonical text (a fraction).
 */
export function canonicalJson(value) {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isSafeInteger(value) ? String(value) : null;
  if (value instanceof JsonInteger) return value.value.toString();
  if (value instanceof JsonFloat) return null;
  if (Array.isArray(value)) {
    const items = value.map(canonicalJson);
    return items.includes(null) ? null : `[${items.join(',')}]`;
  }
  const keys = Object.keys(value).sort(compareCodePoints);
  const members = [];
  for (const key of keys) {
    if (value[key] === undefined) continue;
    const text = canonicalJson(value[key]);
    if (text === null) return null;
    members.push(`${quote(key)}:${text}`);
  }
  return `{${members.join(',')}}`;
}

// An integer as parseJson or (for a canonical body) JSON.parse gives it, or null for any other value.
function integerValue(field) {
  if (field instanceof JsonInteger) return field.value;
  if (typeof field === 'number' && Number.isSafeInteger(field)) return BigInt(field);
  return null;
}

// Checked reads of an object's fields, as base/json.h's JsonObject does them.
class Fields {
  constructor(object, what) {
    this.object = object;
    this.what = what;
  }
  has(key) {
    return Object.prototype.hasOwnProperty.call(this.object, key);
  }
  find(key, required) {
    if (!this.has(key)) {
      if (required) throw invalid(`'${key}' is missing from ${this.what}`);
      return undefined;
    }
    return this.object[key];
  }
  wrong(key, type) {
    return invalid(`'${key}' in ${this.what} must be ${type}`);
  }
  text(key, required = true) {
    const field = this.find(key, required);
    if (field === undefined) return '';
    if (typeof field !== 'string') throw this.wrong(key, 'text');
    return field;
  }
  integer(key, required = true) {
    const field = this.find(key, required);
    if (field === undefined) return 0n;
    const value = integerValue(field);
    if (value === null) throw this.wrong(key, 'an integer');
    if (value > INT64_MAX) throw this.wrong(key, 'an integer of at most 63 bits');
    return value;
  }
  unsigned(key, required = true) {
    const field = this.find(key, required);
    if (field === undefined) return 0n;
    const value = integerValue(field);
    if (value === null) throw this.wrong(key, 'an integer');
    if (value < 0n) throw this.wrong(key, 'a non-negative integer');
    return value;
  }
  child(key, required = true) {
    const field = this.find(key, required);
    if (field === undefined) return new Fields(Object.create(null), `'${key}'`);
    if (!isObject(field)) throw this.wrong(key, 'an object');
    return new Fields(field, `'${key}' in ${this.what}`);
  }
  array(key, required = true) {
    const field = this.find(key, required);
    if (field === undefined) return [];
    if (!Array.isArray(field)) throw this.wrong(key, 'a list');
    return field;
  }
  objects(key, required = true) {
    return this.array(key, required).map((element) => {
      if (!isObject(element)) throw this.wrong(key, 'a list of objects');
      return new Fields(element, `an element of '${key}' in ${this.what}`);
    });
  }
  boolean(key, required = true) {
    const field = this.find(key, required);
    if (field === undefined) return false;
    if (typeof field !== 'boolean') throw this.wrong(key, 'true or false');
    return field;
  }
  texts(key, required = true) {
    return this.array(key, required).map((element) => {
      if (typeof element !== 'string') throw this.wrong(key, 'a list of texts');
      return element;
    });
  }
  onlyFields(known) {
    for (const key of Object.keys(this.object).sort(compareCodePoints)) {
      if (!known.includes(key)) throw invalid(`unknown field '${key}' in ${this.what}`);
    }
  }
}

const utf8Length = (text) => encoder.encode(text).length;

// ---- Keys, as libsodium decides them ----

const P = (1n << 255n) - 19n;
const L = (1n << 252n) + 27742317777372353535851937790883648493n;
const mod = (a) => {
  const r = a % P;
  return r < 0n ? r + P : r;
};
function power(base, exponent) {
  let result = 1n;
  let b = mod(base);
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}
const inverse = (a) => power(a, P - 2n);
const D = mod(-121665n * inverse(121666n));
const D2 = mod(2n * D);
const SQRT_M1 = power(2n, (P - 1n) / 4n);

function littleEndian(bytes) {
  let value = 0n;
  for (let k = bytes.length - 1; k >= 0; k--) value = (value << 8n) | BigInt(bytes[k]);
  return value;
}

// The y-coordinates libsodium's ge25519_has_small_order refuses (its sign bit ignored), including
// the non-canonical p and p + 1.
const ORDER_8_Y = 2707385501144840649318225287225658788936804267575313519463743609750303402022n;
const SMALL_ORDER_Y = [0n, 1n, ORDER_8_Y, P - ORDER_8_Y, P - 1n, P, P + 1n];

function bytesOf(value) {
  const out = new Uint8Array(32);
  for (let k = 0; k < 32; k++) out[k] = Number((value >> BigInt(8 * k)) & 0xffn);
  return out;
}
const SMALL_ORDER_ENCODINGS = SMALL_ORDER_Y.map(bytesOf);
const L_BYTES = bytesOf(L);

// As ge25519_has_small_order: the encoding's y, its sign bit ignored, is one of the list's.
function hasSmallOrder(bytes) {
  return SMALL_ORDER_ENCODINGS.some((encoding) => {
    for (let k = 0; k < 31; k++) if (bytes[k] !== encoding[k]) return false;
    return (bytes[31] & 0x7f) === encoding[31];
  });
}

// As sc25519_is_canonical: the little-endian scalar is below the group order.
function isCanonicalScalar(bytes) {
  for (let k = 31; k >= 0; k--) {
    if (bytes[k] !== L_BYTES[k]) return bytes[k] < L_BYTES[k];
  }
  return false;
}

// Extended coordinates (X, Y, Z, T) of the twisted Edwards curve -x² + y² = 1 + d x² y².
function add([x1, y1, z1, t1], [x2, y2, z2, t2]) {
  const a = mod((y1 - x1) * (y2 - x2));
  const b = mod((y1 + x1) * (y2 + x2));
  const c = mod(t1 * D2 * t2);
  const d = mod(z1 * 2n * z2);
  const e = b - a;
  const f = d - c;
  const g = d + c;
  const h = b + a;
  return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)];
}

// Keys found valid before, by base64: a page replays the same chain on every view.
const validPoints = new Set();

/** Whether `bytes` is a key libsodium's crypto_core_ed25519_is_valid_point accepts. */
export function isValidPoint(bytes) {
  if (bytes.length !== 32) return false;
  const known = bytesToBase64(bytes);
  if (validPoints.has(known)) return true;
  if (!isValidPointUncached(bytes)) return false;
  validPoints.add(known);
  return true;
}

function isValidPointUncached(bytes) {
  const raw = littleEndian(bytes);
  const y = raw & ((1n << 255n) - 1n);
  const sign = raw >> 255n;
  if (y >= P) return false; // not canonical
  if (hasSmallOrder(bytes)) return false;
  // x from y (ge25519_frombytes): x² = (y² - 1) / (d y² + 1).
  const yy = (y * y) % P;
  const u = mod(yy - 1n);
  const v = mod(D * yy + 1n);
  let x = mod(u * power(v, 3n) * power(u * power(v, 7n), (P - 5n) / 8n));
  const check = mod(v * x * x);
  if (check !== u) {
    if (check !== mod(-u)) return false; // not on the curve
    x = mod(x * SQRT_M1);
  }
  if ((x & 1n) !== sign) x = mod(-x);
  // In the prime-order subgroup, as libsodium checks it: L times the point has X = 0.
  let result = [0n, 1n, 1n, 0n];
  const point = [x, y, 1n, mod(x * y)];
  for (let bit = 252n; bit >= 0n; bit--) {
    result = add(result, result);
    if ((L >> bit) & 1n) result = add(result, point);
  }
  return result[0] === 0n;
}

/** A key's ID: lower-case hex of the first 8 bytes of its SHA-256 (as access::OwnerKey::Id). */
export function keyIdOf(publicKey) {
  return bytesToHex(sha256Sync(publicKey).subarray(0, 8));
}

function readKeyBytes(encoded) {
  let bytes;
  try {
    bytes = base64ToBytes(encoded);
  } catch {
    throw invalid('malformed base64');
  }
  if (bytes.length !== 32) throw invalid('an owner key is a 32-byte Ed25519 public key');
  if (!isValidPoint(bytes)) throw invalid('not a valid Ed25519 public key');
  return bytes;
}

const importedKeys = new Map();

function importKey(publicKey) {
  const id = bytesToBase64(publicKey);
  let key = importedKeys.get(id);
  if (!key) {
    key = crypto.subtle.importKey('raw', publicKey, {name: 'Ed25519'}, false, ['verify']);
    importedKeys.set(id, key);
  }
  return key;
}

/**
 * Whether `signature` is `publicKey`'s Ed25519 signature of `message` as libsodium's
 * crypto_sign_verify_detached decides it: over WebCrypto's check, S below the group order and R
 * of large order.
 */
async function verifySignature(publicKey, message, signature) {
  if (!isCanonicalScalar(signature.subarray(32))) return false;
  if (hasSmallOrder(signature.subarray(0, 32))) return false;
  return verifyEd25519(publicKey, signature, message, importKey);
}

// ---- A signed policy, as access/policy.cc reads it ----

const LABELS = ['email', 'financial', 'hr', 'personal', 'health', 'legal', 'credentials', 'backups'];
const RESOURCE_KINDS = ['ssh-host', 'mailbox', 'file-share', 'finance-system', 'network-device', 'saas-console', 'backup'];
const ACTIONS = ['login', 'reveal-credential', 'open-mailbox', 'read-files', 'change-files', 'administer', 'restore-backup'];
const PROVIDER_ROLES = ['technician', 'senior-technician', 'provider-admin'];
const ROLES = [...PROVIDER_ROLES, 'owner', 'client-staff', 'auditor'];
const EFFECTS = ['approve', 'ask-owners', 'deny'];
const TICKETS = ['any', 'present', 'absent'];
const HOURS = ['any', 'inside-business-hours', 'outside-business-hours'];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

function names(fields, key, known, what) {
  for (const name of fields.texts(key, false)) {
    if (!known.includes(name)) throw invalid(`unknown ${what} '${name}'`);
  }
}
function oneOf(fields, key, known, what, absent) {
  if (!fields.has(key)) return absent;
  const name = fields.text(key);
  if (!known.includes(name)) throw invalid(`unknown ${what} '${name}'`);
  return name;
}
function integerOf(fields, key, low, high, absent) {
  if (!fields.has(key)) return absent;
  let number;
  try {
    number = fields.integer(key);
  } catch {
    throw invalid(`${key} must be an integer`);
  }
  if (number < BigInt(low) || number > BigInt(high)) throw invalid(`${key} out of range`);
  return Number(number);
}

/** Refuses, as access::PolicyFromJson does, text that is not a policy. */
export function checkPolicy(text) {
  let value;
  try {
    value = parseJson(text, 'the policy');
  } catch {
    throw invalid('policy: malformed JSON');
  }
  if (!isObject(value)) throw invalid('policy: must be an object');
  const root = new Fields(value, 'the policy');
  root.onlyFields(['rules', 'fallback', 'fallback_approvals', 'max_duration_seconds', 'business_hours', 'time_zone', 'breakglass']);
  if (root.array('rules', false).length > 100) throw invalid('policy: rules must be a list of at most 100');
  const rules = root.objects('rules', false).map((rule) => {
    rule.onlyFields(['name', 'labels_any', 'kinds', 'actions', 'roles', 'ticket', 'hours', 'max_duration_seconds', 'effect', 'approvals']);
    const name = rule.text('name', false);
    names(rule, 'labels_any', LABELS, 'label');
    names(rule, 'kinds', RESOURCE_KINDS, 'resource kind');
    names(rule, 'actions', ACTIONS, 'action');
    names(rule, 'roles', ROLES, 'role');
    if (rule.texts('roles', false).some((role) => !PROVIDER_ROLES.includes(role))) {
      throw invalid("a rule's roles are provider roles");
    }
    oneOf(rule, 'ticket', TICKETS, 'ticket condition', 'any');
    oneOf(rule, 'hours', HOURS, 'hours condition', 'any');
    integerOf(rule, 'max_duration_seconds', 0, 7 * 86400, 0);
    const effect = oneOf(rule, 'effect', EFFECTS, 'effect', 'ask-owners');
    const approvals = integerOf(rule, 'approvals', 1, 16, 1);
    return {name, effect, approvals};
  });
  const fallback = oneOf(root, 'fallback', EFFECTS, 'effect', 'ask-owners');
  const fallbackApprovals = integerOf(root, 'fallback_approvals', 1, 16, 1);
  const longest = integerOf(root, 'max_duration_seconds', 1, 7 * 86400, 8 * 3600);
  const hours = root.child('business_hours', false);
  hours.onlyFields(['days', 'start_minute', 'end_minute']);
  if (hours.has('days')) names(hours, 'days', DAYS, 'day');
  const start = integerOf(hours, 'start_minute', 0, 24 * 60, 8 * 60);
  const end = integerOf(hours, 'end_minute', 0, 24 * 60, 18 * 60);
  const timeZone = root.has('time_zone') ? root.text('time_zone') : 'UTC';
  const breakglass = root.child('breakglass', false);
  breakglass.onlyFields(['allowed', 'roles', 'kinds', 'labels_never', 'max_duration_seconds']);
  if (breakglass.has('allowed')) breakglass.boolean('allowed');
  names(breakglass, 'roles', ROLES, 'role');
  names(breakglass, 'kinds', RESOURCE_KINDS, 'resource kind');
  names(breakglass, 'labels_never', LABELS, 'label');
  const breakglassLongest = integerOf(breakglass, 'max_duration_seconds', 0, 7 * 86400, 0);
  // Policy::Validate.
  const seen = new Set();
  for (const rule of rules) {
    if (rule.name === '' || utf8Length(rule.name) > 200) throw invalid('every rule needs a short name');
    if (seen.has(rule.name)) throw invalid(`two rules are named '${rule.name}'`);
    seen.add(rule.name);
    if (rule.effect === 'ask-owners' && (rule.approvals < 1 || rule.approvals > 16)) {
      throw invalid(`rule '${rule.name}' must ask for 1 to 16 approvals`);
    }
  }
  if (fallback === 'ask-owners' && (fallbackApprovals < 1 || fallbackApprovals > 16)) {
    throw invalid('the fallback must ask for 1 to 16 approvals');
  }
  if (longest <= 0 || longest > 7 * 86400) throw invalid('the longest grant must be between 1 second and 7 days');
  if (start >= end || end > 24 * 60) throw invalid('business hours must be a window within one day');
  if (timeZone === '') throw invalid("the policy needs the client's time zone");
  if (breakglassLongest < 0 || breakglassLongest > 7 * 86400) {
    throw invalid('break-glass access must be limited to at most 7 days');
  }
  if (breakglass.texts('roles', false).some((role) => !PROVIDER_ROLES.includes(role))) {
    throw invalid('break-glass roles are provider roles');
  }
}

// ---- Statements ----

const isName = (name) => name.length >= 1 && name.length <= 64 && /^[\x21-\x7e]+$/.test(name);

function readName(fields, key) {
  const name = fields.text(key);
  if (!isName(name)) throw invalid(`'${key}' must be 1 to 64 printable characters`);
  return name;
}

function readDevice(fields, key, at) {
  const device = fields.child(key);
  const keyId = device.text('key_id');
  const encoded = device.text('public_key');
  const name = device.text('name', false);
  const publicKey = readKeyBytes(encoded);
  if (keyIdOf(publicKey) !== keyId) throw invalid("a device's key ID is not its key's");
  if (utf8Length(name) > 64) throw invalid("a device's name is at most 64 characters");
  return {keyId, publicKey, name, addedAt: at};
}

/**
 * A statement's parts, checked for shape as trust::Statement::Parse does: {body, fields (Fields),
 * kind, seq (BigInt), signatures [{keyId, signature}]}. Throws Refusal INVALID_ARGUMENT.
 */
function parseStatement(text) {
  const outer = parseOuter(text);
  if (!isObject(outer)) throw invalid('a trust statement must be a JSON object');
  const statement = new Fields(outer, 'a trust statement');
  const body = statement.text('body');
  const parsed = parseCanonical(body);
  if (parsed === null) throw invalid("a trust statement's body must be canonical JSON");
  if (!isObject(parsed)) throw invalid("a trust statement's body must be a JSON object");
  const fields = new Fields(parsed, "a trust statement's body");
  const kind = fields.text('kind');
  if (!KINDS.includes(kind)) throw invalid(`unknown trust statement kind '${kind}'`);
  const seq = fields.unsigned('seq');
  fields.text('chain');
  fields.text('prev');
  fields.integer('at');
  const seen = new Set();
  const signatures = statement.objects('signatures').map((signature) => {
    const keyId = signature.text('key_id');
    const encoded = signature.text('signature');
    let bytes;
    try {
      bytes = base64ToBytes(encoded);
    } catch {
      throw invalid('malformed base64');
    }
    if (bytes.length !== 64) throw invalid('a signature is 64 bytes');
    if (seen.has(keyId)) throw invalid('a key signs a statement at most once');
    seen.add(keyId);
    return {keyId, signature: bytes};
  });
  if (signatures.length === 0) throw invalid('a statement needs a signature');
  return {body, fields, kind, seq, signatures};
}

function emptyState(client) {
  return {
    client,
    size: 0,
    head: null, // Uint8Array: SHA-256 of the last body
    threshold: 1,
    owners: new Map(), // owner -> Map(key ID -> device)
    recoveryKey: null,
    recoveryKeyId: '',
    agent: null,
    policy: '',
    resources: new Map(),
    recoveredAt: 0n,
    recoveredSeq: -1, // the last `recovered` statement's position, -1 if none
  };
}

function cloneState(state) {
  return {
    ...state,
    owners: new Map([...state.owners].map(([owner, devices]) => [owner, new Map(devices)])),
    resources: new Map(state.resources),
  };
}

function ownerOf(state, keyId) {
  for (const [owner, devices] of state.owners) if (devices.has(keyId)) return owner;
  return null;
}

/** Chain::Check: the statement follows the head of this client's chain. */
function checkOrder(state, statement) {
  const {fields} = statement;
  if (fields.text('chain') !== state.client) throw invalid("the statement belongs to another client's chain");
  if (statement.seq !== BigInt(state.size)) throw invalid('the statement is not the next one of the chain');
  if (fields.text('prev') !== (state.size === 0 ? '' : bytesToHex(state.head))) {
    throw invalid("the statement does not follow the chain's last statement");
  }
  if ((statement.kind === 'genesis') !== (state.size === 0)) throw invalid('a chain starts with its genesis, and has one');
}

/**
 * Chain::ApplyChecked without the signatures' own check: applies `statement` to `state` (only if
 * it is accepted) and pushes onto `checks` each signature the C++ side verifies before it would
 * refuse the statement for another reason. Throws Refusal.
 */
function applyUnverified(state, statement, hash, checks, collecting = false) {
  const {fields, kind} = statement;
  const at = fields.integer('at');
  let newDevice = null;
  if (kind === 'genesis' || kind === 'device.added' || kind === 'owner.added' || kind === 'recovered') {
    newDevice = readDevice(fields, 'device', at);
    if (ownerOf(state, newDevice.keyId) !== null) throw precondition('that device is in the chain already');
  }
  const ownersSigning = new Set();
  let recoverySigned = false;
  let newDeviceSigned = false;
  const recoveryId = state.recoveryKeyId;
  for (const {keyId, signature} of statement.signatures) {
    const owner = ownerOf(state, keyId);
    let key;
    if (owner !== null) key = state.owners.get(owner).get(keyId).publicKey;
    else if (recoveryId !== '' && keyId === recoveryId) key = state.recoveryKey;
    else if (newDevice && keyId === newDevice.keyId) key = newDevice.publicKey;
    else throw unauthenticated(`signed by key ${keyId}, which is not in the chain`);
    checks.push({keyId, key, signature});
    if (owner !== null) ownersSigning.add(owner);
    else if (keyId === recoveryId) recoverySigned = true;
    else newDeviceSigned = true;
  }
  if (newDevice && !newDeviceSigned) throw unauthenticated('a new device must sign the statement that adds it');
  const requireThreshold = () => {
    // Collecting signatures, one owner's stands in for the threshold (Chain::CheckCollecting).
    if (ownersSigning.size >= state.threshold || (collecting && ownersSigning.size > 0)) return;
    throw unauthenticated(`needs the signatures of ${state.threshold} owner(s); ${ownersSigning.size} signed`);
  };

  // Each kind checks everything before it changes anything.
  if (kind === 'genesis') {
    const owner = readName(fields, 'owner');
    const recoveryKey = readKeyBytes(fields.text('recovery_key'));
    if (keyIdOf(recoveryKey) === newDevice.keyId) throw invalid('the recovery key must not be a device key');
    state.recoveryKey = recoveryKey;
    state.recoveryKeyId = keyIdOf(recoveryKey);
    state.owners.set(owner, new Map([[newDevice.keyId, newDevice]]));
    state.threshold = 1;
  } else if (kind === 'device.added') {
    const owner = readName(fields, 'owner');
    const devices = state.owners.get(owner);
    if (!devices) throw precondition('no such owner in the chain');
    if (!ownersSigning.has(owner) && !recoverySigned) requireThreshold();
    devices.set(newDevice.keyId, newDevice);
  } else if (kind === 'device.removed') {
    const owner = readName(fields, 'owner');
    const keyId = fields.text('key_id');
    const devices = state.owners.get(owner);
    if (!devices || !devices.has(keyId)) throw precondition('no such device in the chain');
    if (!ownersSigning.has(owner)) requireThreshold();
    if (devices.size === 1) throw precondition("an owner's last device is removed with the owner");
    devices.delete(keyId);
  } else if (kind === 'owner.added') {
    requireThreshold();
    const owner = readName(fields, 'owner');
    if (state.owners.has(owner)) throw precondition('that owner is in the chain');
    state.owners.set(owner, new Map([[newDevice.keyId, newDevice]]));
  } else if (kind === 'owner.removed') {
    requireThreshold();
    const owner = readName(fields, 'owner');
    if (!state.owners.has(owner)) throw precondition('no such owner in the chain');
    if (state.owners.size === 1) throw precondition('a chain keeps one owner at least');
    if (state.threshold > state.owners.size - 1) throw precondition('lower the threshold before removing that owner');
    state.owners.delete(owner);
  } else if (kind === 'threshold.set') {
    requireThreshold();
    const threshold = fields.unsigned('threshold');
    if (threshold < 1n || threshold > BigInt(state.owners.size)) {
      throw precondition('the threshold must be 1 to the number of owners');
    }
    state.threshold = Number(threshold);
  } else if (kind === 'agent.confirmed') {
    requireThreshold();
    const agent = {
      name: readName(fields, 'name'),
      witnessKey: fields.text('witness_key'),
      sshCaKey: fields.text('ssh_ca_key'),
      sealingKey: fields.text('sealing_key', false),
      confirmedAt: at,
    };
    state.agent = agent;
  } else if (kind === 'policy.signed') {
    requireThreshold();
    const policy = fields.text('policy');
    checkPolicy(policy);
    state.policy = policy;
  } else if (kind === 'resource.signed') {
    requireThreshold();
    const resource = fields.text('resource');
    if (resource.length === 0 || utf8Length(resource) > 128) {
      throw invalid('a resource needs a name of 1 to 128 characters');
    }
    const resourceKind = fields.text('resource_kind');
    if (!RESOURCE_KINDS.includes(resourceKind)) throw invalid(`unknown resource kind '${resourceKind}'`);
    const labels = fields.texts('labels');
    for (const label of labels) if (!LABELS.includes(label)) throw invalid(`unknown label '${label}'`);
    state.resources.set(resource, {kind: resourceKind, labels: LABELS.filter((label) => labels.includes(label))});
  } else if (kind === 'recovered') {
    if (!recoverySigned) throw unauthenticated('only the recovery key recovers a chain');
    const owner = readName(fields, 'owner');
    const recoveryKey = readKeyBytes(fields.text('recovery_key'));
    if (equalBytes(recoveryKey, state.recoveryKey)) throw invalid('a recovery replaces the recovery key');
    // Every device is replaced: the lost ones may be in someone else's hands.
    for (const devices of state.owners.values()) devices.clear();
    state.owners.set(owner, new Map([[newDevice.keyId, newDevice]]));
    for (const [name, devices] of [...state.owners]) if (devices.size === 0) state.owners.delete(name);
    state.recoveryKey = recoveryKey;
    state.recoveryKeyId = keyIdOf(recoveryKey);
    state.threshold = 1;
    state.recoveredAt = at;
    state.recoveredSeq = state.size;
  }
  state.size += 1;
  state.head = hash;
}

/** The head a chain ending with `text` has: hex of SHA-256 of its body; null if it has none. */
export async function headAfter(text) {
  try {
    const outer = parseJson(text, 'a trust statement');
    if (!isObject(outer)) return null;
    const body = new Fields(outer, 'a trust statement').text('body');
    return bytesToHex(sha256Sync(encoder.encode(body)));
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    return null;
  }
}

/**
 * Applies `texts` to `state` in order and returns it. With `verify`, each signature the C++ side
 * checks is checked: all at once, each as soon as its statement is read, so that WebCrypto works
 * while the page reads on. The first statement refused, by a signature or otherwise, ends it with a
 * TrustChainError naming it.
 */
async function applyAll(state, texts, verify, collecting = false) {
  const pending = []; // {seq, checks, results}, in order
  let refused = null;
  for (const text of texts) {
    let position = BigInt(state.size);
    let body = null;
    const checks = [];
    try {
      if (typeof text !== 'string') throw invalid('a trust statement is not valid JSON');
      const statement = parseStatement(text);
      position = statement.seq;
      body = statement.body;
      checkOrder(state, statement);
      applyUnverified(state, statement, sha256Sync(encoder.encode(body)), checks, collecting);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      refused = new TrustChainError(error.code, position, error.message);
    }
    // The signatures checked before the statement's own refusal, if it has one, come first.
    if (verify && checks.length > 0) {
      const message = encoder.encode(STATEMENT_DOMAIN + body);
      const results = Promise.all(checks.map(({key, signature}) => verifySignature(key, message, signature)));
      pending.push({seq: position, checks, results});
    }
    if (refused) break;
  }
  for (const {seq, checks, results} of pending) {
    const bad = (await results).indexOf(false);
    if (bad >= 0) throw new TrustChainError('UNAUTHENTICATED', seq, `the signature of key ${checks[bad].keyId} does not verify`);
  }
  if (refused) throw refused;
  return state;
}

/** A client's trust chain, replayed. */
export class TrustChain {
  constructor(client) {
    this.state = emptyState(client);
  }

  /**
   * Replays `statements` from the genesis, as Chain::Replay does: with `verified` ({size, head}
   * this replayer kept), the statements up to that head are not checked again when they hash to
   * it. Throws TrustChainError for the first statement refused.
   */
  static async replay(client, statements, verified = null) {
    if (verified && verified.size <= statements.length) {
      const chain = new TrustChain(client);
      let same = true;
      try {
        await applyAll(chain.state, statements.slice(0, verified.size), false);
      } catch (error) {
        if (!(error instanceof TrustChainError)) throw error;
        same = false;
      }
      const head = typeof verified.head === 'string' ? verified.head : bytesToHex(verified.head ?? new Uint8Array());
      if (same && chain.state.size === verified.size && (chain.state.head ? bytesToHex(chain.state.head) : '') === head) {
        await applyAll(chain.state, statements.slice(verified.size), true);
        return chain;
      }
    }
    const chain = new TrustChain(client);
    await applyAll(chain.state, statements, true);
    return chain;
  }

  /** Checks `text` against the chain as it stands and applies it; changes nothing if refused. */
  async apply(text) {
    const state = cloneState(this.state);
    await applyAll(state, [text], true);
    this.state = state;
  }

  /**
   * A statement some owners signed and more must, as Chain::CheckCollecting reads it: {owners (who
   * signed it, sorted), threshold, complete (apply takes it as it is)}. Throws TrustChainError for
   * one the chain would refuse however many owners signed it.
   */
  async checkCollecting(text) {
    let complete = true;
    try {
      await applyAll(cloneState(this.state), [text], true);
    } catch (error) {
      if (!(error instanceof TrustChainError)) throw error;
      complete = false;
    }
    if (!complete) await applyAll(cloneState(this.state), [text], true, true);
    const owners = new Set();
    for (const {keyId} of parseStatement(text).signatures) {
      const owner = ownerOf(this.state, keyId);
      if (owner !== null) owners.add(owner);
    }
    return {owners: [...owners].sort(), threshold: this.state.threshold, complete};
  }

  /** The body of the next statement: `fields` with chain, seq, prev, at and kind added. */
  nextBody(kind, fields, at) {
    const body = {
      ...fields,
      chain: this.state.client,
      seq: this.state.size,
      prev: this.state.size === 0 ? '' : bytesToHex(this.state.head),
      at,
      kind,
    };
    return canonicalJson(body);
  }

  /**
   * Chain::CheckLink: what a device.added signed by its new device alone would add
   * ({owner, device}), if it follows the head, names an owner of the chain and a device not in it,
   * and carries that device's good signature and no other. Throws TrustChainError.
   */
  async checkLink(text) {
    let statement;
    try {
      statement = parseStatement(text);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      throw new TrustChainError(error.code, this.state.size, error.message);
    }
    const state = this.state;
    try {
      const newOwner = statement.kind === 'owner.added';
      if (statement.kind !== 'device.added' && !newOwner) throw invalid('a link carries a device.added or owner.added statement');
      checkOrder(state, statement);
      const at = statement.fields.integer('at');
      const owner = readName(statement.fields, 'owner');
      if (state.owners.has(owner) === newOwner) throw precondition(newOwner ? 'that owner is in the chain' : 'no such owner in the chain');
      const device = readDevice(statement.fields, 'device', at);
      if (ownerOf(state, device.keyId) !== null) throw precondition('that device is in the chain already');
      if (statement.signatures.length !== 1 || statement.signatures[0].keyId !== device.keyId) {
        throw invalid('a link is signed by the new device alone');
      }
      const message = encoder.encode(STATEMENT_DOMAIN + statement.body);
      if (!(await verifySignature(device.publicKey, message, statement.signatures[0].signature))) {
        throw unauthenticated(`the signature of key ${device.keyId} does not verify`);
      }
      return {owner, device, newOwner};
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      throw new TrustChainError(error.code, statement.seq, error.message);
    }
  }

  ownerOf(keyId) {
    return ownerOf(this.state, keyId);
  }

  deviceCount() {
    let count = 0;
    for (const devices of this.state.owners.values()) count += devices.size;
    return count;
  }
}

/** What the chain holds, exactly as trust::SummaryJson says it (for comparison and for people). */
export function summaryOf(state) {
  const owners = {};
  for (const [owner, devices] of state.owners) {
    owners[owner] = [...devices.values()]
      .sort((a, b) => compareCodePoints(a.keyId, b.keyId))
      .map((device) => ({key_id: device.keyId, name: device.name, added_at: device.addedAt}));
  }
  const out = {
    size: state.size,
    head: state.size === 0 ? '' : bytesToHex(state.head),
    threshold: state.threshold,
    owners,
    recovered_at: state.recoveredAt,
    policy_signed: state.policy !== '',
    resources_signed: state.resources.size,
  };
  if (state.agent) {
    out.agent = {
      name: state.agent.name,
      witness_key: state.agent.witnessKey,
      ssh_ca_key: state.agent.sshCaKey,
      confirmed_at: state.agent.confirmedAt,
    };
  }
  return out;
}

/** The device, as a statement names it (trust::DeviceJson). */
export function deviceJson(publicKey, name) {
  return {key_id: keyIdOf(publicKey), public_key: bytesToBase64(publicKey), name};
}

/**
 * Signs `body` with each of `signers` ({keyId, privateKey}: a WebCrypto Ed25519 key) into a
 * statement's text (trust::SignStatement).
 */
export async function signStatement(body, signers) {
  const message = encoder.encode(STATEMENT_DOMAIN + body);
  const signatures = [];
  for (const {keyId, privateKey} of signers) {
    const signature = new Uint8Array(await crypto.subtle.sign({name: 'Ed25519'}, privateKey, message));
    signatures.push({key_id: keyId, signature: bytesToBase64(signature)});
  }
  return canonicalJson({body, signatures});
}

/** `text` with the signature of `signer` added after those it has (trust::AddSignature). */
export async function addSignature(text, signer) {
  let statement;
  try {
    statement = parseStatement(text);
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    throw new TrustChainError(error.code, 0n, error.message);
  }
  if (statement.signatures.some((s) => s.keyId === signer.keyId)) {
    throw new TrustChainError('INVALID_ARGUMENT', statement.seq, 'that key signed it already');
  }
  const message = encoder.encode(STATEMENT_DOMAIN + statement.body);
  const signature = new Uint8Array(await crypto.subtle.sign({name: 'Ed25519'}, signer.privateKey, message));
  const signatures = statement.signatures.map((s) => ({key_id: s.keyId, signature: bytesToBase64(s.signature)}));
  signatures.push({key_id: signer.keyId, signature: bytesToBase64(signature)});
  return canonicalJson({body: statement.body, signatures});
}

/**
 * The safety code of an agent (docs/agent.md, "Confirming the agent"): twelve digits of SHA-256
 * over the owner key's ID and the agent's keys (its sealing key too, if it has one), as the agent
 * prints it when it enrols.
 */
export async function safetyCode(ownerKeyId, witnessKey, sshCaKey, sealingKey = '') {
  const text = sealingKey
    ? `quartet-safety-code/v2\n${ownerKeyId}\n${witnessKey}\n${sshCaKey}\n${sealingKey}\n`
    : `quartet-safety-code/v1\n${ownerKeyId}\n${witnessKey}\n${sshCaKey}\n`;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  let value = 0n;
  for (let i = 0; i < 8; ++i) value = (value << 8n) | BigInt(digest[i]);
  const digits = (value % 1000000000000n).toString().padStart(12, '0');
  return `${digits.slice(0, 4)}-${digits.slice(4, 8)}-${digits.slice(8)}`;
}
