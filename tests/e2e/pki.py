"""Certificates for the TLS tests, made with the openssl CLI: a CA per test, leaves with the
subjectAltNames a case needs, and an expired one (`openssl ca` takes explicit dates)."""
import os
import subprocess

CA_CONFIG = """[ca]
default_ca = CA_default
[CA_default]
database = index.txt
new_certs_dir = .
serial = serial
policy = policy_any
default_md = sha256
copy_extensions = copy
[policy_any]
commonName = supplied
"""


def _run(cmd, cwd):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)}: {r.stderr}")


class Ca:
    """A certificate authority in `workdir/name/` (key, certificate, openssl ca database)."""

    def __init__(self, workdir, name):
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir)
        self.cert = os.path.join(self.dir, "ca.crt")
        self.key = os.path.join(self.dir, "ca.key")
        with open(os.path.join(self.dir, "ca.cnf"), "w") as f:
            f.write(CA_CONFIG)
        open(os.path.join(self.dir, "index.txt"), "w").close()
        with open(os.path.join(self.dir, "serial"), "w") as f:
            f.write("1000\n")
        _run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
              "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=" + name,
              "-keyout", self.key, "-out", self.cert], self.dir)

    def issue(self, name, sans, expired=False):
        """A key and a certificate for `name` with `sans` ("DNS:a.example", "URI:spiffe://..."),
        valid now (or only during a day of 2020). Returns (certificate path, key path)."""
        key = os.path.join(self.dir, name + ".key")
        csr = os.path.join(self.dir, name + ".csr")
        cert = os.path.join(self.dir, name + ".crt")
        _run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
              "-nodes", "-subj", "/CN=" + name, "-addext", "subjectAltName=" + ",".join(sans),
              "-keyout", key, "-out", csr], self.dir)
        dates = (["-startdate", "20200101000000Z", "-enddate", "20200102000000Z"] if expired
                 else ["-days", "2"])
        _run(["openssl", "ca", "-batch", "-config", "ca.cnf", *dates, "-in", csr, "-cert",
              self.cert, "-keyfile", self.key, "-out", cert, "-notext"], self.dir)
        return cert, key


def credential_dir(root, name, cert, key, ca=None):
    """DIR/name/ laid out as a mounted kubernetes.io/tls Secret (tls.crt, tls.key, ca.crt)."""
    d = os.path.join(root, name)
    os.makedirs(d, exist_ok=True)
    for src, dst in ((cert, "tls.crt"), (key, "tls.key"), (ca, "ca.crt")):
        if src is not None:
            with open(src, "rb") as f, open(os.path.join(d, dst), "wb") as out:
                out.write(f.read())
    return d
