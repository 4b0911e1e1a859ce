"""Self-signed certificates and the service-account key, made with the `openssl` command.

Pure file work in a directory the launcher owns: a CA, a serving certificate for 127.0.0.1 and
localhost signed by it, and an EC key pair for service-account tokens. Never reused across runs.
"""
from __future__ import annotations

import dataclasses
import pathlib
import shutil
import subprocess

_DAYS = "2"  # a test cluster lives minutes; a short validity keeps a leaked key worthless


@dataclasses.dataclass(frozen=True)
class Pki:
    """Paths of the generated files."""

    ca_cert: pathlib.Path
    serving_cert: pathlib.Path
    serving_key: pathlib.Path
    service_account_key: pathlib.Path
    service_account_pub: pathlib.Path


def _openssl(*args: str | pathlib.Path) -> None:
    binary = shutil.which("openssl")
    if binary is None:
        raise RuntimeError("the control plane needs the `openssl` command to make its certificates")
    subprocess.run([binary, *map(str, args)], check=True, capture_output=True)


def _ec_key(path: pathlib.Path) -> None:
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path)


def make(directory: pathlib.Path) -> Pki:
    """Write a fresh CA, serving certificate and service-account key pair into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    pki = Pki(ca_cert=directory / "ca.crt", serving_cert=directory / "apiserver.crt",
              serving_key=directory / "apiserver.key", service_account_key=directory / "sa.key",
              service_account_pub=directory / "sa.pub")
    ca_key = directory / "ca.key"
    _ec_key(ca_key)
    _openssl("req", "-x509", "-new", "-key", ca_key, "-out", pki.ca_cert, "-days", _DAYS,
             "-subj", "/CN=kubesent-controlplane-ca")
    _ec_key(pki.serving_key)
    request = directory / "apiserver.csr"
    _openssl("req", "-new", "-key", pki.serving_key, "-out", request, "-subj", "/CN=kube-apiserver")
    extensions = directory / "apiserver.ext"
    extensions.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n"
                          "extendedKeyUsage=serverAuth\n")
    _openssl("x509", "-req", "-in", request, "-CA", pki.ca_cert, "-CAkey", ca_key, "-CAcreateserial",
             "-out", pki.serving_cert, "-days", _DAYS, "-extfile", extensions)
    _ec_key(pki.service_account_key)
    _openssl("pkey", "-in", pki.service_account_key, "-pubout", "-out", pki.service_account_pub)
    return pki
