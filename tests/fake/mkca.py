# SPDX-License-Identifier: ISC
"""Make the per-run test CA and certificates with the openssl CLI.

usage: mkca.py DIR   (see tests/integ/lib.sh test_ca for the files)
Certificates name 'localhost' (BearSSL does not match IP SANs).
"""

import os
import subprocess
import sys

OPENSSL = "/usr/bin/openssl"


def run(*args):
    subprocess.run([OPENSSL, *args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def ec_key(path):
    run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-out", path)


def rsa_key(path, bits=2048):
    run("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:%d" % bits,
        "-out", path)


def rsa1024_key(path):
    rsa_key(path, 1024)


def ca(d, name, keyfn):
    key = os.path.join(d, name + ".key")
    keyfn(key)
    run("req", "-x509", "-new", "-key", key, "-subj", "/CN=ghrctl test " + name,
        "-days", "30", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-out", os.path.join(d, name + ".pem"))


def leaf(d, name, ca_name, dns, keyfn, days="30", expired=False,
         digest="sha256", san=True, more=()):
    key = os.path.join(d, name + ".key")
    csr = os.path.join(d, name + ".csr")
    ext = os.path.join(d, name + ".ext")
    keyfn(key)
    run("req", "-new", "-key", key, "-subj", "/CN=" + dns, "-out", csr)
    with open(ext, "w") as f:
        if san:
            f.write("subjectAltName=%s\n"
                    % ",".join("DNS:" + n for n in (dns,) + tuple(more)))
        f.write("basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    args = ["x509", "-req", "-in", csr, "-CA", os.path.join(d, ca_name + ".pem"),
            "-CAkey", os.path.join(d, ca_name + ".key"), "-CAcreateserial",
            "-" + digest, "-extfile", ext, "-out", os.path.join(d, name + ".pem")]
    if expired:
        # Valid for one day, ending yesterday.
        args += ["-not_before", "20000101000000Z", "-not_after", "20000102000000Z"]
    else:
        args += ["-days", days]
    try:
        run(*args)
    except subprocess.CalledProcessError:
        if not expired:
            raise
        # openssl 3.0 x509 has no -not_before: sign with the ca command.
        expired_with_ca(d, name, ca_name, csr, ext)


def expired_with_ca(d, name, ca_name, csr, ext):
    db = os.path.join(d, "cadb")
    os.makedirs(db, exist_ok=True)
    open(os.path.join(db, "index.txt"), "w").close()
    with open(os.path.join(db, "serial"), "w") as f:
        f.write("1000\n")
    conf = os.path.join(db, "ca.cnf")
    with open(conf, "w") as f:
        f.write("""[ca]
default_ca = c
[c]
database = %(db)s/index.txt
serial = %(db)s/serial
new_certs_dir = %(db)s
default_md = sha256
policy = p
unique_subject = no
[p]
commonName = supplied
""" % {"db": db})
    run("ca", "-batch", "-config", conf, "-cert", os.path.join(d, ca_name + ".pem"),
        "-keyfile", os.path.join(d, ca_name + ".key"), "-in", csr,
        "-startdate", "20000101000000Z", "-enddate", "20000102000000Z",
        "-extfile", ext, "-out", os.path.join(d, name + ".pem"), "-notext")


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    ca(d, "ca", ec_key)
    ca(d, "other-ca", ec_key)
    ca(d, "rsa-ca", rsa_key)
    # origin.test (RFC 6761 section 6.2: never in DNS) names the server
    # where a test needs a host that is not loopback: proxies are never
    # used for loopback (t9020).
    leaf(d, "server", "ca", "localhost", ec_key, more=("origin.test",))
    leaf(d, "other", "other-ca", "localhost", ec_key)
    leaf(d, "wrongname", "ca", "wrong.example", ec_key)
    leaf(d, "expired", "ca", "localhost", ec_key, expired=True)
    leaf(d, "rsa-server", "rsa-ca", "localhost", rsa_key)
    # What the client refuses although the chain is trusted and the name
    # matches: a SHA-1 signature, a 1024-bit RSA key, no subjectAltName
    # (the name only in the subject CN).
    leaf(d, "sha1", "ca", "localhost", ec_key, digest="sha1")
    leaf(d, "rsa1024", "rsa-ca", "localhost", rsa1024_key)
    leaf(d, "nosan", "ca", "localhost", ec_key, san=False)
    for f in os.listdir(d):
        if f.endswith(".key"):
            os.chmod(os.path.join(d, f), 0o600)
    open(os.path.join(d, "done"), "w").close()


if __name__ == "__main__":
    main()
