#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""An independent reference of ghrctl's sealed JIT config (wire format
version 1, see ghrctl-boot(1) and src/seal.h), on the Python
'cryptography' package: P-256 ECDH (SEC 1), HKDF-SHA256 (RFC 5869),
ChaCha20-Poly1305 (RFC 8439), deterministic ECDSA P-256/SHA-256
(RFC 6979).  Used to make the known-answer vector of the unit tests and
by the integration tests to tamper with, swap and replay sealed configs.

  sealref.py kat OUTFILE JITFILE     write the known-answer vector
  sealref.py open SIGNER_PUB RCPT_SECRET_HEX INSTANCE NOW < blob-b64url
  sealref.py pub SECRET_HEX          the base64url public key
  sealref.py seal SIGNER_SECRET_HEX RCPT_PUB INSTANCE SET NAME EXPIRY JIT
                                     the tag values as one JSON object
"""
import base64
import binascii
import hashlib
import json
import os
import struct
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature, encode_dss_signature)
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import (
    Encoding, PublicFormat)

INFO = b"ghrctl seal v1"
DOMAIN = b"ghrctl seal v1 sig\0"


def key(x):
    return ec.derive_private_key(int.from_bytes(x, "big"), ec.SECP256R1())


def pub(k):
    return k.public_key().public_bytes(Encoding.X962,
                                       PublicFormat.UncompressedPoint)


def b64canon(s):
    if len(s) < 16 or len(s) % 4:
        return None
    try:
        d = base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        return None
    return d if base64.b64encode(d) == s else None


def item(t, b):
    return bytes([t]) + struct.pack(">H", len(b)) + b


def pack_b64(d, depth):
    body = d[3:] if d.startswith(b"\xef\xbb\xbf") else d
    if depth >= 3 or not body or body[:1] not in (b"{", b"["):
        return item(1, d)
    return item(2, pack_text(d, depth + 1))


def lit(b):
    return b"".join(item(0, b[i:i + 65535]) for i in range(0, len(b), 65535))


def pack_text(s, depth):
    out, i, start = b"", 0, 0
    while i < len(s):
        if s[i:i + 1] != b'"':
            i += 1
            continue
        j = i + 1
        while j < len(s) and s[j:j + 1] not in (b'"', b"\\"):
            j += 1
        if j >= len(s):
            break
        d = b64canon(s[i + 1:j]) if s[j:j + 1] == b'"' else None
        if d is not None:
            out += lit(s[start:i + 1]) + pack_b64(d, depth)
            start = j
        i = j + 1
    return out + lit(s[start:])


def pack(jit):
    d = b64canon(jit)
    return b"\x01" + (pack_b64(d, 0) if d is not None else lit(jit))


def kdf(z, eph_pub, rcpt_pub):
    okm = HKDF(hashes.SHA256(), 44, eph_pub + rcpt_pub, INFO).derive(z)
    return okm[:32], okm[32:]


def seal(signer_x, rcpt_pub, eph_x, inst, sset, name, expiry, jit):
    eph = key(eph_x)
    hdr = b"gS\x01\x01\x00\x00" + struct.pack(">q", expiry)
    for f in (inst, sset, name):
        hdr += bytes([len(f)]) + f.encode()
    z = eph.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), rcpt_pub))
    k, n = kdf(z, pub(eph), rcpt_pub)
    pt = pack(jit)
    total = len(hdr) + 65 + len(pt) + 16 + 64
    hdr = hdr[:4] + struct.pack(">H", total) + hdr[6:]
    ct = ChaCha20Poly1305(k).encrypt(n, pt, hdr)
    body = hdr + pub(eph) + ct
    try:    # RFC 6979 needs cryptography >= 44; the KAT was made so
        alg = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
    except TypeError:
        alg = ec.ECDSA(hashes.SHA256())
    der = key(signer_x).sign(DOMAIN + rcpt_pub + body, alg)
    r, s = decode_dss_signature(der)
    return body + r.to_bytes(32, "big") + s.to_bytes(32, "big")


def unpack_items(b, depth):
    out, i = b"", 0
    while i < len(b):
        t, n = b[i], struct.unpack(">H", b[i + 1:i + 3])[0]
        v = b[i + 3:i + 3 + n]
        out += v if t == 0 else base64.b64encode(
            v if t == 1 else unpack_items(v, depth + 1))
        i += 3 + n
    return out


def open_blob(signer_pub, rcpt_x, inst, now, blob):
    rk = key(rcpt_x)
    spk = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(),
                                                       signer_pub)
    sig = encode_dss_signature(int.from_bytes(blob[-64:-32], "big"),
                               int.from_bytes(blob[-32:], "big"))
    spk.verify(sig, DOMAIN + pub(rk) + blob[:-64],
               ec.ECDSA(hashes.SHA256()))
    expiry = struct.unpack(">q", blob[6:14])[0]
    off, f = 14, []
    for _ in range(3):
        n = blob[off]
        f.append(blob[off + 1:off + 1 + n].decode())
        off += 1 + n
    if f[0] != inst or expiry <= now:
        raise ValueError("wrong instance or expired")
    eph_pub = blob[off:off + 65]
    z = rk.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), eph_pub))
    k, n = kdf(z, eph_pub, pub(rk))
    pt = ChaCha20Poly1305(k).decrypt(n, blob[off + 65:-64], blob[:off])
    return unpack_items(pt[1:], 0)


def b64u(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def main():
    if sys.argv[1] == "kat":
        jit = open(sys.argv[3], "rb").read().strip()
        sx = hashlib.sha256(b"kat signer").digest()
        rx = hashlib.sha256(b"kat recipient").digest()
        ex = hashlib.sha256(b"kat ephemeral").digest()
        blob = seal(sx, pub(key(rx)), ex, "i-0123456789abcdef0", "42",
                    "ghrctl-42-kat", 1800000000, jit)
        assert open_blob(pub(key(sx)), rx, "i-0123456789abcdef0",
                         1700000000, blob) == jit
        with open(sys.argv[2], "w") as f:
            f.write("# made by tests/fake/sealref.py kat; secrets are "
                    "SHA-256 of the names\n")
            for k, v in (("signer", sx.hex()), ("recipient", rx.hex()),
                         ("ephemeral", ex.hex()),
                         ("instance", "i-0123456789abcdef0"),
                         ("scaleset", "42"), ("runner", "ghrctl-42-kat"),
                         ("expiry", "1800000000"),
                         ("blob", base64.urlsafe_b64encode(blob).decode()
                          .rstrip("="))):
                f.write("%s %s\n" % (k, v))
    elif sys.argv[1] == "open":
        text = sys.stdin.read().strip()
        blob = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        sp = base64.urlsafe_b64decode(sys.argv[2] + "=")
        sys.stdout.buffer.write(open_blob(sp, bytes.fromhex(sys.argv[3]),
                                          sys.argv[4], int(sys.argv[5]),
                                          blob))
    elif sys.argv[1] == "pub":
        print(b64u(pub(key(bytes.fromhex(sys.argv[2])))))
    elif sys.argv[1] == "seal":
        rp = base64.urlsafe_b64decode(sys.argv[3] + "=")
        blob = seal(bytes.fromhex(sys.argv[2]), rp, os.urandom(32),
                    sys.argv[4], sys.argv[5], sys.argv[6], int(sys.argv[7]),
                    sys.argv[8].encode())
        t = b64u(blob)
        print(json.dumps({"ghrctl:seal:%d" % (i // 256): t[i:i + 256]
                          for i in range(0, len(t), 256)}))
    else:
        sys.exit("usage: sealref.py kat OUT JIT | open ...")


if __name__ == "__main__":
    main()

