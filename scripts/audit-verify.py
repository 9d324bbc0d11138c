#!/usr/bin/env python3
"""Recompute the root of a Keel audit log export and check a signed checkpoint, without Keel.

Usage:
    audit-verify.py ENTRIES.jsonl [--checkpoint CHECKPOINT.txt --key VERIFIER_KEY]

ENTRIES.jsonl holds the log's entries in order, one per line: each line is an entry's exact
canonical JSON bytes (the leaf), without its final newline. The script prints the number of
entries and the RFC 6962 root of all of them. With a checkpoint (a C2SP signed note) and the log's
verifier key (`name+keyid+base64key`), it also checks the checkpoint's Ed25519 signature and that
its root is the root of the first `size` entries. Exit status 0 means every check passed.

Python 3.8+ standard library only; Ed25519 verification follows RFC 8032 section 5.1.7.
See docs/audit-log.md.
"""
import argparse
import base64
import hashlib
import sys


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_hash(leaves: list) -> bytes:
    """RFC 6962 section 2.1 MTH, split at the largest power of two below n."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(root_hash(leaves[:split]), root_hash(leaves[split:]))


# --- Ed25519 verification (RFC 8032, section 5.1) -------------------------------------------
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _add(a, b):
    # Extended twisted Edwards coordinates (X, Y, Z, T), RFC 8032 section 5.1.4.
    x = (a[1] - a[0]) * (b[1] - b[0]) % P
    y = (a[1] + a[0]) * (b[1] + b[0]) % P
    c = 2 * a[3] * b[3] * D % P
    d = 2 * a[2] * b[2] % P
    e, f, g, h = y - x, d - c, d + c, y + x
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _multiply(scalar, point):
    result = (0, 1, 1, 0)
    while scalar:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _decode_point(data: bytes):
    y = int.from_bytes(data, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        if sign:
            return None
        return (0, y, 1, 0)
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P:
        return None
    if x & 1 != sign:
        x = P - x
    return (x, y, 1, x * y % P)


def _same_point(a, b) -> bool:
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


BASE = _decode_point((4 * pow(5, P - 2, P) % P).to_bytes(32, "little"))


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a = _decode_point(public_key)
    r = _decode_point(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little") % L
    return _same_point(_multiply(s, BASE), _add(r, _multiply(k, a)))


# --- C2SP signed note and tlog-checkpoint ---------------------------------------------------
def parse_verifier_key(text: str):
    name, key_id, key = text.split("+", 2)
    typed = base64.b64decode(key, validate=True)
    if hashlib.sha256(name.encode() + b"\n" + typed).digest()[:4] != bytes.fromhex(key_id):
        raise ValueError("the key id does not match the key")
    if typed[0] != 0x01 or len(typed) != 33:
        raise ValueError("not an Ed25519 key")
    return name, bytes.fromhex(key_id), typed[1:]


def open_checkpoint(note: bytes, verifier_key: str):
    """The checkpoint (origin, size, root) if `note` is signed by `verifier_key`, else an error."""
    name, key_id, public_key = parse_verifier_key(verifier_key)
    split = note.rindex(b"\n\n")
    text, signatures = note[: split + 1], note[split + 2 :]
    verified = False
    for line in signatures.decode().splitlines():
        if not line.startswith("\u2014 "):
            raise ValueError("malformed signature line")
        signer, encoded = line[2:].split(" ", 1)
        signature = base64.b64decode(encoded, validate=True)
        if signer != name or signature[:4] != key_id:
            continue  # another key's signature (a witness, an old key): ignored
        if not ed25519_verify(public_key, text, signature[4:]):
            raise ValueError("the signature by %s does not verify" % name)
        verified = True
    if not verified:
        raise ValueError("no signature by %s" % name)
    lines = text.decode().split("\n")[:-1]
    origin, size, root = lines[0], int(lines[1]), base64.b64decode(lines[2], validate=True)
    return origin, size, root


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("entries")
    parser.add_argument("--checkpoint")
    parser.add_argument("--key")
    args = parser.parse_args()

    with open(args.entries, "rb") as file:
        entries = file.read().split(b"\n")
    if entries and entries[-1] == b"":
        entries.pop()
    leaves = [leaf_hash(entry) for entry in entries]
    root = root_hash(leaves)
    print("entries %d" % len(leaves))
    print("root %s %s" % (root.hex(), base64.b64encode(root).decode()))

    if args.checkpoint:
        with open(args.checkpoint, "rb") as file:
            try:
                origin, size, signed_root = open_checkpoint(file.read(), args.key)
            except ValueError as error:
                print("checkpoint INVALID: %s" % error)
                return 1
        if size > len(leaves):
            print("checkpoint FAILED: it covers %d entries, the export has %d" % (size, len(leaves)))
            return 1
        if root_hash(leaves[:size]) != signed_root:
            print("checkpoint FAILED: the first %d entries do not have the signed root" % size)
            return 1
        print("checkpoint ok %s %d" % (origin, size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
