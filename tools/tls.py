"""A throw-away certificate for loopback HTTPS stand-ins (benchmarks and tests, never a deployment)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def throwaway_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed P-256 certificate for ``127.0.0.1`` (one day) and its key, as PEM files in
    ``directory``: ``(certificate, key)``. A client trusts it through ``SSL_CERT_FILE`` (what
    ``ssl.create_default_context`` reads), so it runs its real, verifying TLS code."""
    cert, key = directory / "loopback-cert.pem", directory / "loopback-key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key
