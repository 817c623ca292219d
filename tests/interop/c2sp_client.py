#!/usr/bin/env python3
"""Independent C2SP transparency-log client, used as an interoperability test.

Written from the specifications only (c2sp.org/signed-note,
c2sp.org/tlog-checkpoint, c2sp.org/tlog-tiles, c2sp.org/tlog-proof and
RFC 6962 / RFC 9162 for the Merkle tree); it shares no code with Quartet.
Depends on the Python 3 standard library plus `cryptography` (Ed25519 only).

Subcommands:
  self-test    known-answer tests (RFC 6962 roots, Go sumdb/note example).
  verify-log   --url PREFIX --key VKEY [--entries-file FILE] [--strict]
               fetch the checkpoint, every hash tile at every level and every
               entry bundle of the log at PREFIX, and check all of them.
  verify-proof --proof FILE (--entry STRING | --entry-file FILE) --key VKEY
               verify a c2sp.org/tlog-proof@v1 receipt offline.

Exit status: 0 when everything verifies, 1 on a verification failure (with a
message on stderr), 2 on a usage error.
"""

import argparse
import base64
import binascii
import gzip
import hashlib
import http.client
import re
import sys
import time
import urllib.parse

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:  # pragma: no cover - reported at run time
    Ed25519PublicKey = None

TILE_WIDTH = 256  # hashes per full tile (tile height 8)
HASH_SIZE = 32
EM_DASH = "\u2014"
SIG_TYPE_ED25519 = 0x01
MAX_SIGNATURES = 64
DECIMAL_RE = re.compile(r"^(0|[1-9][0-9]*)$")


class VerifyError(Exception):
    """A verification failure: the log, proof or key is not as specified."""


WARNINGS = []


def warn(msg):
    WARNINGS.append(msg)
    print("c2sp_client: warning: " + msg, file=sys.stderr)


# ---------------------------------------------------------------- encoding --

def b64decode(text, what):
    """Standard RFC 4648 section 4 base64, padded, no stray characters."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as e:
        raise VerifyError(f"{what}: invalid base64 {text!r}: {e}")
    if base64.b64encode(raw).decode("ascii") != text:
        raise VerifyError(f"{what}: non-canonical base64 {text!r}")
    return raw


def parse_decimal(text, what):
    if not DECIMAL_RE.match(text):
        raise VerifyError(f"{what}: {text!r} is not a decimal without leading zeroes")
    return int(text)


# ------------------------------------------------------------- Merkle tree --

def sha256(data):
    return hashlib.sha256(data).digest()


def leaf_hash(entry):
    """RFC 6962 section 2.1: MTH({d}) = SHA-256(0x00 || d)."""
    return sha256(b"\x00" + entry)


def node_hash(left, right):
    """RFC 6962 section 2.1: SHA-256(0x01 || left || right)."""
    return sha256(b"\x01" + left + right)


def largest_pow2_below(n):
    """Largest power of two k with k < n (n >= 2)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth_recursive(leaf_hashes, lo, hi):
    """The literal RFC 6962 MTH of D[lo:hi], given the leaf hashes."""
    n = hi - lo
    if n == 0:
        return sha256(b"")
    if n == 1:
        return leaf_hashes[lo]
    k = largest_pow2_below(n)
    return node_hash(mth_recursive(leaf_hashes, lo, lo + k),
                     mth_recursive(leaf_hashes, lo + k, hi))


def perfect_root(hashes):
    """Root of a perfect binary tree whose bottom row is `hashes` (len = 2^j)."""
    n = len(hashes)
    if n == 0 or n & (n - 1):
        raise ValueError("perfect_root needs a power-of-two number of hashes")
    row = list(hashes)
    while len(row) > 1:
        row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row), 2)]
    return row[0]


def root_from_levels(size, levels):
    """Tree root computed bottom-up from the tile hashes of each level.

    `levels[L]` is the list of all hashes of level L (MTH of consecutive
    ranges of 256**L leaves). The tree of `size` leaves is split into the
    maximal perfect subtrees given by the binary decomposition of `size`
    (largest first); a subtree of 2**(8L+j) leaves is the perfect tree over
    2**j consecutive level-L hashes. RFC 6962's split makes the root the
    right fold of those subtree hashes.
    """
    if size == 0:
        return sha256(b"")
    subtrees = []
    offset = 0
    for k in range(size.bit_length() - 1, -1, -1):
        if not (size >> k) & 1:
            continue
        level, j = divmod(k, 8)
        span = TILE_WIDTH ** level
        first = offset // span
        hashes = levels[level][first:first + (1 << j)]
        if len(hashes) != 1 << j or None in hashes:
            raise VerifyError(f"missing level-{level} hashes for subtree at {offset}")
        subtrees.append(perfect_root(hashes))
        offset += 1 << k
    acc = subtrees[-1]
    for h in reversed(subtrees[:-1]):
        acc = node_hash(h, acc)
    return acc


def root_from_inclusion_proof(index, size, leaf, proof):
    """RFC 9162 section 2.1.3.2 inclusion proof verification; returns the root."""
    if index >= size:
        raise VerifyError(f"index {index} is not below tree size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise VerifyError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerifyError("inclusion proof is too short")
    return r


# ------------------------------------------------------------- signed note --

class VerifierKey:
    """A c2sp.org/signed-note Ed25519 verifier key: name+hexid+base64(0x01||pk)."""

    def __init__(self, text):
        text = text.strip()
        parts = text.split("+", 2)  # base64 may itself contain '+'
        if len(parts) != 3:
            raise VerifyError(f"verifier key {text!r}: want name+hexid+base64")
        name, hexid, b64 = parts
        check_key_name(name, "verifier key")
        if not re.fullmatch(r"[0-9a-f]{8}", hexid):
            raise VerifyError(f"verifier key: key ID {hexid!r} is not 8 lowercase hex digits")
        raw = b64decode(b64, "verifier key")
        if len(raw) != 33 or raw[0] != SIG_TYPE_ED25519:
            raise VerifyError("verifier key: want 0x01 || 32-byte Ed25519 public key, "
                              f"got {len(raw)} bytes starting with {raw[:1].hex()}")
        self.name = name
        self.public_key = raw[1:]
        want_id = sha256(name.encode("utf-8") + b"\x0a" + raw)[:4]
        self.key_id = bytes.fromhex(hexid)
        if self.key_id != want_id:
            raise VerifyError(f"verifier key: key ID {hexid} != SHA-256(name||0x0A||0x01||pk)[:4]"
                              f" = {want_id.hex()}")
        if Ed25519PublicKey is None:
            raise VerifyError("python module 'cryptography' is not installed")
        try:
            self.ed25519 = Ed25519PublicKey.from_public_bytes(self.public_key)
        except ValueError as e:
            raise VerifyError(f"verifier key: bad Ed25519 public key: {e}")

    def verify(self, message, signature):
        try:
            self.ed25519.verify(signature, message)
            return True
        except InvalidSignature:
            return False


def check_key_name(name, what):
    if not name:
        raise VerifyError(f"{what}: empty key name")
    if "+" in name or any(ch.isspace() for ch in name):
        raise VerifyError(f"{what}: key name {name!r} contains a space or '+'")


def verify_note(data, key, what="note"):
    """Parse a signed note and verify it with `key`; returns the note text."""
    try:
        s = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise VerifyError(f"{what}: not valid UTF-8: {e}")
    for i, ch in enumerate(s):
        if ord(ch) < 0x20 and ch != "\n":
            raise VerifyError(f"{what}: control character U+{ord(ch):04X} at offset {i}")
    if not s.endswith("\n"):
        raise VerifyError(f"{what}: does not end with a newline")
    sep = s.rfind("\n\n")
    if sep < 0:
        raise VerifyError(f"{what}: no blank line between text and signatures")
    text = s[:sep + 1]
    sig_block = s[sep + 2:]
    if not sig_block:
        raise VerifyError(f"{what}: no signature lines")
    sig_lines = sig_block[:-1].split("\n")
    if len(sig_lines) > MAX_SIGNATURES:
        raise VerifyError(f"{what}: too many signatures ({len(sig_lines)})")
    verified = 0
    for line in sig_lines:
        prefix = EM_DASH + " "
        if not line.startswith(prefix):
            raise VerifyError(f"{what}: malformed signature line {line!r}")
        fields = line[len(prefix):].split(" ")
        if len(fields) != 2:
            raise VerifyError(f"{what}: malformed signature line {line!r}")
        name, b64 = fields
        check_key_name(name, f"{what} signature")
        sig = b64decode(b64, f"{what} signature by {name}")
        if len(sig) < 5:
            raise VerifyError(f"{what}: signature by {name} is too short")
        if name != key.name or sig[:4] != key.key_id:
            continue  # unknown key: MUST be ignored
        if len(sig) != 4 + 64:
            raise VerifyError(f"{what}: Ed25519 signature by {name} is {len(sig) - 4} bytes, want 64")
        if not key.verify(text.encode("utf-8"), sig[4:]):
            raise VerifyError(f"{what}: Ed25519 signature by {name} does not verify")
        verified += 1
    if verified == 0:
        raise VerifyError(f"{what}: no signature from key {key.name}+{key.key_id.hex()}")
    return text


class Checkpoint:
    def __init__(self, origin, size, root, extensions):
        self.origin, self.size, self.root, self.extensions = origin, size, root, extensions


def parse_checkpoint(text, what="checkpoint"):
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise VerifyError(f"{what}: want at least 3 lines, got {len(lines)}")
    origin, size_s, root_s = lines[:3]
    if not origin:
        raise VerifyError(f"{what}: empty origin")
    size = parse_decimal(size_s, f"{what} tree size")
    root = b64decode(root_s, f"{what} root hash")
    if len(root) != HASH_SIZE:
        raise VerifyError(f"{what}: root hash is {len(root)} bytes, want 32")
    for ext in lines[3:]:
        if not ext:
            raise VerifyError(f"{what}: empty extension line")
    return Checkpoint(origin, size, root, lines[3:])


def verify_checkpoint(data, key, what="checkpoint", origin=None):
    cp = parse_checkpoint(verify_note(data, key, what), what)
    if origin is not None and cp.origin != origin:
        raise VerifyError(f"{what}: origin {cp.origin!r}, want {origin!r}")
    if cp.origin != key.name:
        warn(f"{what}: key name {key.name!r} does not match origin {cp.origin!r} (SHOULD)")
    return cp


# ------------------------------------------------------------------- tiles --

def tile_index_path(n):
    """tlog-tiles <N>: zero-padded 3-digit elements, all but the last 'x'-prefixed."""
    if n < 0:
        raise ValueError("negative tile index")
    parts = [f"{n % 1000:03d}"]
    n //= 1000
    while n > 0:
        parts.append(f"x{n % 1000:03d}")
        n //= 1000
    return "/".join(reversed(parts))


def tile_path(level, n, width):
    """tile/<L>/<N>[.p/<W>]; level may be the string 'entries'."""
    if not 1 <= width <= TILE_WIDTH:
        raise ValueError(f"bad tile width {width}")
    path = f"tile/{level}/{tile_index_path(n)}"
    if width < TILE_WIDTH:
        path += f".p/{width}"
    return path


def parse_bundle(data, what):
    """Entry bundle: big-endian uint16 length-prefixed entries."""
    entries = []
    pos = 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise VerifyError(f"{what}: truncated length prefix at offset {pos}")
        n = int.from_bytes(data[pos:pos + 2], "big")
        pos += 2
        if pos + n > len(data):
            raise VerifyError(f"{what}: entry at offset {pos - 2} overruns the bundle")
        entries.append(data[pos:pos + n])
        pos += n
    return entries


class Fetcher:
    def __init__(self, prefix, check_content_type=True, token=None):
        u = urllib.parse.urlsplit(prefix.rstrip("/"))
        if u.scheme not in ("http", "https") or not u.netloc:
            raise VerifyError(f"bad log URL {prefix!r}")
        self.scheme, self.netloc, self.base = u.scheme, u.netloc, u.path
        self.check_content_type = check_content_type
        self.token = token
        self.conn = None
        self.requests = 0

    def _connect(self):
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        self.conn = cls(self.netloc, timeout=30)

    def get(self, path, content_type):
        url = f"{self.base}/{path}"
        full = f"{self.scheme}://{self.netloc}{url}"
        for attempt in range(2):
            if self.conn is None:
                self._connect()
            try:
                headers = {"Accept-Encoding": "gzip, identity"}
                if self.token:
                    headers["Authorization"] = f"Bearer {self.token}"
                self.conn.request("GET", url, headers=headers)
                resp = self.conn.getresponse()
                body = resp.read()
                break
            except (http.client.HTTPException, ConnectionError, OSError) as e:
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise VerifyError(f"GET {full}: {e}")
        self.requests += 1
        if resp.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        if resp.status != 200:
            raise VerifyError(f"GET {full}: HTTP {resp.status} {resp.reason}: {body[:200]!r}")
        enc = (resp.getheader("Content-Encoding") or "identity").lower()
        if enc == "gzip":
            body = gzip.decompress(body)
        elif enc != "identity":
            raise VerifyError(f"GET {full}: unexpected Content-Encoding {enc!r}")
        got_ct = resp.getheader("Content-Type")
        if self.check_content_type and got_ct != content_type:
            raise VerifyError(f"GET {full}: Content-Type {got_ct!r}, want {content_type!r}")
        return body, resp


def verify_log(args):
    key = VerifierKey(args.key)
    f = Fetcher(args.url, check_content_type=not args.no_content_type_check, token=args.token)

    deadline = time.monotonic() + args.wait
    while True:
        body, resp = f.get("checkpoint", "text/plain; charset=utf-8")
        cp = verify_checkpoint(body, key, "checkpoint", args.origin)
        if args.expect_size is None or cp.size == args.expect_size:
            break
        if cp.size > args.expect_size or time.monotonic() > deadline:
            raise VerifyError(f"checkpoint size is {cp.size}, want {args.expect_size}")
        time.sleep(0.2)
    cc = resp.getheader("Cache-Control") or ""
    m = re.search(r"max-age=(\d+)", cc)
    if "no-store" not in cc and "no-cache" not in cc and (m is None or int(m.group(1)) > 60):
        warn(f"checkpoint Cache-Control {cc!r} may allow caching beyond a few seconds (SHOULD)")
    size = cp.size
    print(f"checkpoint: origin={cp.origin} size={size} root={cp.root.hex()}")

    # With --level0-tiles, only those full level-0 tiles and entry bundles
    # (plus the partial ones) are fetched: every level above is still fetched
    # whole, and the root only needs the level-0 partial tile, so this is a
    # sound spot check of a log too large to download in a test.
    sample = None
    if args.level0_tiles:
        sample = {int(x) for x in args.level0_tiles.split(",") if x}
        if any(n >= size // TILE_WIDTH for n in sample):
            raise VerifyError(f"--level0-tiles {args.level0_tiles}: not all are full tiles")

    def wanted(level, n, full):
        return sample is None or level > 0 or n >= full or n in sample

    # Hash tiles, level by level. levels[L] holds all size // 256**L hashes
    # (None where a level-0 tile was not sampled).
    levels = []
    tiles_fetched = partial_fetched = 0
    level = 0
    while size // TILE_WIDTH ** level > 0:
        count = size // TILE_WIDTH ** level
        full, width = divmod(count, TILE_WIDTH)
        hashes = []
        for n in range(full + (1 if width else 0)):
            w = TILE_WIDTH if n < full else width
            if not wanted(level, n, full):
                hashes.extend([None] * w)
                continue
            path = tile_path(level, n, w)
            data, _ = f.get(path, "application/octet-stream")
            if len(data) != w * HASH_SIZE:
                raise VerifyError(f"{path}: {len(data)} bytes, want {w * HASH_SIZE}")
            hashes.extend(data[i:i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE))
            tiles_fetched += 1
            partial_fetched += w < TILE_WIDTH
        if len(hashes) != count:
            raise VerifyError(f"level {level}: {len(hashes)} hashes, want {count}")
        levels.append(hashes)
        print(f"level {level}: {full} full tile(s), partial width {width}")
        level += 1

    # Every full tile's root is the corresponding hash in the tile above.
    for lv in range(1, len(levels)):
        below, above = levels[lv - 1], levels[lv]
        for n, h in enumerate(above):
            if below[n * TILE_WIDTH] is None:
                continue  # not sampled
            got = perfect_root(below[n * TILE_WIDTH:(n + 1) * TILE_WIDTH])
            if got != h:
                raise VerifyError(f"root of full tile {tile_path(lv - 1, n, TILE_WIDTH)} is "
                                  f"{got.hex()}, but hash {n} at level {lv} is {h.hex()}")

    # Entry bundles hash to the level-0 tiles.
    expected = None
    if args.entries_file:
        with open(args.entries_file, "rb") as fh:
            expected = fh.read().split(b"\n")
        if expected and expected[-1] == b"":
            expected.pop()
        if len(expected) != size:
            raise VerifyError(f"{args.entries_file}: {len(expected)} entries, log has {size}")
    leaves = []
    bundles = 0
    full, width = divmod(size, TILE_WIDTH)
    for n in range(full + (1 if width else 0)):
        w = TILE_WIDTH if n < full else width
        if not wanted(0, n, full):
            leaves.extend([None] * w)
            continue
        path = tile_path("entries", n, w)
        data, resp = f.get(path, "application/octet-stream")
        if n == 0 and not resp.getheader("Content-Encoding"):
            warn(f"{path}: served without Content-Encoding; entry bundles SHOULD be "
                 "compressed at the HTTP layer")
        entries = parse_bundle(data, path)
        if len(entries) != w:
            raise VerifyError(f"{path}: {len(entries)} entries, want {w}")
        for i, e in enumerate(entries):
            idx = n * TILE_WIDTH + i
            lh = leaf_hash(e)
            if lh != levels[0][idx]:
                raise VerifyError(f"{path}: entry {idx} hashes to {lh.hex()}, "
                                  f"level-0 tile has {levels[0][idx].hex()}")
            if expected is not None and e != expected[idx]:
                raise VerifyError(f"{path}: entry {idx} is {e[:100]!r}, "
                                  f"want {expected[idx][:100]!r}")
            leaves.append(lh)
        bundles += 1

    # The root, computed twice: from the tiles, and by the literal RFC 6962
    # recursion over all the leaf hashes.
    from_tiles = root_from_levels(size, levels)
    from_leaves = mth_recursive(leaves, 0, size) if sample is None else cp.root
    if from_leaves != cp.root:
        raise VerifyError(f"RFC 6962 MTH of the {size} entries is {from_leaves.hex()}, "
                          f"checkpoint root is {cp.root.hex()}")
    if from_tiles != cp.root:
        raise VerifyError(f"root computed from the tiles is {from_tiles.hex()}, "
                          f"checkpoint root is {cp.root.hex()}")
    print(f"verified{' (sampled level 0)' if sample is not None else ''}: {size} entries, {bundles} entry bundle(s), {tiles_fetched} hash "
          f"tile(s) ({partial_fetched} partial) over {len(levels)} level(s), "
          f"{f.requests} HTTP requests")


# ------------------------------------------------------------------ proofs --

PROOF_HEADER = "c2sp.org/tlog-proof@v1"


def verify_proof(args):
    key = VerifierKey(args.key)
    with open(args.proof, "rb") as fh:
        data = fh.read()
    if args.entry is not None:
        entry = args.entry.encode("utf-8")
    else:
        with open(args.entry_file, "rb") as fh:
            entry = fh.read()
    try:
        s = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise VerifyError(f"proof: not valid UTF-8: {e}")
    lines = s.split("\n")
    pos = 0

    def next_line():
        nonlocal pos
        if pos >= len(lines):
            raise VerifyError("proof: truncated")
        pos += 1
        return lines[pos - 1]

    if next_line() != PROOF_HEADER:
        raise VerifyError(f"proof: first line is not {PROOF_HEADER!r}")
    line = next_line()
    extra = None
    if line.startswith("extra "):
        extra = b64decode(line[len("extra "):], "proof extra data")
        line = next_line()
    if not line.startswith("index "):
        raise VerifyError(f"proof: expected 'index N', got {line!r}")
    index = parse_decimal(line[len("index "):], "proof index")
    path = []
    while True:
        line = next_line()
        if line == "":
            break
        h = b64decode(line, "proof hash")
        if len(h) != HASH_SIZE:
            raise VerifyError(f"proof: hash {line!r} is {len(h)} bytes, want 32")
        path.append(h)
    note = "\n".join(lines[pos:]).encode("utf-8")
    cp = verify_checkpoint(note, key, "proof checkpoint", args.origin)
    root = root_from_inclusion_proof(index, cp.size, leaf_hash(entry), path)
    if root != cp.root:
        raise VerifyError(f"proof: entry and inclusion proof give root {root.hex()}, "
                          f"checkpoint root is {cp.root.hex()}")
    print(f"verified: entry {index} in {cp.origin} at size {cp.size} "
          f"({len(path)} proof hashes{', extra data' if extra is not None else ''})")


# --------------------------------------------------------------- self-test --

def self_test(_args):
    """Known-answer tests, so a failure can be blamed on the right side."""
    # RFC 6962 roots of the 8 test leaves used by the Certificate Transparency
    # reference implementations.
    leaves = [bytes.fromhex(x) for x in (
        "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
        "606162636465666768696a6b6c6d6e6f")]
    roots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]
    hashes = [leaf_hash(x) for x in leaves]
    for n in range(1, 9):
        if mth_recursive(hashes, 0, n).hex() != roots[n - 1]:
            raise VerifyError(f"self-test: RFC 6962 root of size {n}")
    if mth_recursive([], 0, 0).hex() != hashlib.sha256(b"").hexdigest():
        raise VerifyError("self-test: empty tree root")
    # Inclusion proofs, from the RFC 6962 PATH definition, for every leaf of
    # every size up to 8, and tile-based roots against the recursive root.

    def path(m, lo, hi):
        if hi - lo == 1:
            return []
        k = largest_pow2_below(hi - lo)
        if m < k:
            return path(m, lo, lo + k) + [mth_recursive(hashes, lo + k, hi)]
        return path(m - k, lo + k, hi) + [mth_recursive(hashes, lo, lo + k)]
    for n in range(1, 9):
        for m in range(n):
            p = path(m, 0, n)
            if root_from_inclusion_proof(m, n, hashes[m], p).hex() != roots[n - 1]:
                raise VerifyError(f"self-test: inclusion proof {m} in {n}")
    synthetic = [sha256(i.to_bytes(4, "big")) for i in range(70000)]
    for size in (1, 255, 256, 257, 65535, 65536, 65537, 70000):
        levels = [synthetic[:size]]
        while len(levels[-1]) >= TILE_WIDTH:
            b = levels[-1]
            levels.append([perfect_root(b[i:i + TILE_WIDTH])
                           for i in range(0, len(b) - TILE_WIDTH + 1, TILE_WIDTH)])
        if root_from_levels(size, levels) != mth_recursive(synthetic, 0, size):
            raise VerifyError(f"self-test: tile root of size {size}")
    # Tile paths (tlog-tiles examples).
    for got, want in ((tile_path(0, 1234067, 256), "tile/0/x001/x234/067"),
                      (tile_path(1, 273, 17), "tile/1/273.p/17"),
                      (tile_path("entries", 1000, 3), "tile/entries/x001/000.p/3")):
        if got != want:
            raise VerifyError(f"self-test: tile path {got!r}, want {want!r}")
    # golang.org/x/mod/sumdb/note example note and key.
    key = VerifierKey("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
    text = ("If you think cryptography is the answer to your problem,\n"
            "then you don't know what your problem is.\n")
    sig = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
    note = text + "\n" + EM_DASH + " PeterNeumann " + sig + "\n"
    if verify_note(note.encode("utf-8"), key) != text:
        raise VerifyError("self-test: Go note example")
    for bad in (note.replace("answer", "Answer"), note.replace("PeterNeumann", "PeterN")):
        try:
            verify_note(bad.encode("utf-8"), key)
        except VerifyError:
            continue
        raise VerifyError("self-test: tampered note verified")
    print("self-test: ok")


# -------------------------------------------------------------------- main --

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    pl = sub.add_parser("verify-log", help="verify a whole tlog-tiles log")
    pl.add_argument("--url", required=True, help="log prefix, e.g. http://host/logs/acme")
    pl.add_argument("--key", required=True, help="signed-note verifier key")
    pl.add_argument("--origin", help="expected checkpoint origin")
    pl.add_argument("--expect-size", type=int,
                    help="wait (up to --wait seconds) for a checkpoint of this size")
    pl.add_argument("--wait", type=float, default=15.0)
    pl.add_argument("--token", help="a read token, sent as 'Authorization: Bearer'")
    pl.add_argument("--entries-file", help="expected entries, one per line, byte for byte")
    pl.add_argument("--level0-tiles", metavar="N,N,...",
                    help="spot check: fetch only these full level-0 tiles and bundles")
    pl.add_argument("--no-content-type-check", action="store_true")
    pl.add_argument("--strict", action="store_true", help="treat SHOULD warnings as failures")
    sub.add_parser("self-test", help="run known-answer tests of this client")
    pp = sub.add_parser("verify-proof", help="verify a c2sp.org/tlog-proof@v1 receipt")
    pp.add_argument("--proof", required=True, help="proof file")
    g = pp.add_mutually_exclusive_group(required=True)
    g.add_argument("--entry", help="the entry, as a string (UTF-8 bytes)")
    g.add_argument("--entry-file", help="the entry, as the exact bytes of a file")
    pp.add_argument("--key", required=True, help="signed-note verifier key")
    pp.add_argument("--origin", help="expected checkpoint origin")
    pp.add_argument("--strict", action="store_true", help="treat SHOULD warnings as failures")
    args = p.parse_args(argv)
    try:
        if args.cmd == "verify-log":
            verify_log(args)
        elif args.cmd == "verify-proof":
            verify_proof(args)
        else:
            self_test(args)
        if getattr(args, "strict", False) and WARNINGS:
            raise VerifyError(f"{len(WARNINGS)} warning(s) in strict mode")
    except VerifyError as e:
        print(f"c2sp_client: FAIL: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"c2sp_client: FAIL: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
