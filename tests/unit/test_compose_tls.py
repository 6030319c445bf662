"""docker-compose.yml's mutual-TLS secrets are exactly the files `wattledger tls init` writes, and every service
is given only secrets the file defines (no daemon needed: the file is read as text)."""

from __future__ import annotations

import re
from pathlib import Path

from runtime.tls import issue_certificates

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


def test_compose_tls_secrets_are_the_files_tls_init_writes(tmp_path: Path) -> None:
    text = COMPOSE.read_text()
    wanted = set(re.findall(r"file: \./secrets/temporal-tls/(\S+)", text))
    issue_certificates(tmp_path, ["temporal"])
    written = {path.name for path in tmp_path.iterdir()}
    assert wanted and wanted <= written, f"compose names files tls init does not write: {wanted - written}"
    assert "ca-key.pem" not in wanted  # the CA's key signs certificates; no service needs it
    defined = set(re.findall(r"^  (\w+):[^\n]*\n    file:", text, flags=re.MULTILINE))
    used = {name for group in re.findall(r"secrets: \[([^\]]*)\]", text) for name in re.split(r"[,\s]+", group)
            if name}
    assert used <= defined, f"services use undefined secrets: {used - defined}"
    for client in ("worker", "api", "ui"):
        assert f"temporal_tls_{client}_key" in used
