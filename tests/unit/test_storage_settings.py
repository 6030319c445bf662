"""common.storage reaches S3 with the WATTLEDGER_S3_* settings, the secret key read from its file, once per
process; configure_s3 overrides them."""

from __future__ import annotations

from pathlib import Path

import pytest

from common import storage


def test_s3_options_come_from_the_settings_with_the_secret_from_its_file(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(storage, "_configured", None)
    monkeypatch.setattr(storage, "_from_settings", None)
    secret_file = tmp_path / "s3-secret-access-key"
    secret_file.write_text("from-the-file\n")
    monkeypatch.setenv("WATTLEDGER_S3_ENDPOINT_URL", "http://seaweedfs:8333")
    monkeypatch.setenv("WATTLEDGER_S3_ACCESS_KEY_ID", "wattledger")
    monkeypatch.setenv("WATTLEDGER_S3_SECRET_ACCESS_KEY_FILE", str(secret_file))
    monkeypatch.delenv("WATTLEDGER_S3_SECRET_ACCESS_KEY", raising=False)
    expected = storage.S3Options("http://seaweedfs:8333", "wattledger", "from-the-file", "us-east-1")
    assert storage.s3_options() == expected
    monkeypatch.setenv("WATTLEDGER_S3_ACCESS_KEY_ID", "changed")  # read once: a running process keeps its options
    assert storage.s3_options() == expected
    override = storage.S3Options("http://127.0.0.1:9", "test", "secret")
    monkeypatch.setattr(storage, "_configured", override)
    assert storage.s3_options() == override


def test_uris_resolve_to_their_filesystems(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(storage, "_configured", storage.S3Options("http://127.0.0.1:9", "test", "secret"))
    filesystem, path = storage.resolve("s3://bucket/prefix/raw/abc")
    assert (filesystem.type_name, path) == ("s3", "bucket/prefix/raw/abc")
    assert storage.resolve(f"file://{tmp_path}/a.bin")[1] == f"{tmp_path}/a.bin"
    assert storage.resolve("relative/a.bin")[1] == str(Path("relative/a.bin").resolve())
    assert storage.join("s3://bucket/prefix/", "invoices", "/x.pdf") == "s3://bucket/prefix/invoices/x.pdf"
    assert storage.is_local(str(tmp_path)) and not storage.is_local("s3://bucket/x")
