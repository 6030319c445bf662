"""common.storage behaves the same on a local folder and on S3 (SeaweedFS): whole objects appear atomically,
content-addressed names are the sha256, and a retry writing the same bytes changes nothing."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from common import storage
from common.errors import BadInput
from meterdata import RawFileWriter
from runtime.object_store import EmbeddedObjectStore

SHA256_OF_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # FIPS 180-2, example B.1


@pytest.fixture(params=["local", "s3"])
def root_uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "local":
        return str(tmp_path / "data")
    store: EmbeddedObjectStore = request.getfixturevalue("object_store")
    return f"{store.data_uri}/{uuid.uuid4().hex}"


def test_write_read_and_rewrite_the_same_bytes(root_uri: str) -> None:
    uri = storage.join(root_uri, "claims", "intervals.bin")
    storage.write_bytes(uri, b"first")
    storage.write_bytes(uri, b"first")  # a retried step writes the same claim check again
    assert storage.read_bytes(uri) == b"first"
    assert storage.list_uris(root_uri) == [uri]


def test_a_missing_object_is_bad_input_naming_it(root_uri: str) -> None:
    uri = storage.join(root_uri, "nowhere.bin")
    assert not storage.exists(uri)
    with pytest.raises(BadInput, match="nowhere.bin"):
        storage.read_bytes(uri)


def test_a_streamed_write_appears_only_when_complete(root_uri: str) -> None:
    uri = storage.join(root_uri, "results", "settlement.parquet")
    with storage.atomic_output(uri) as stream:
        stream.write(b"half")
        assert not storage.exists(uri)
        stream.write(b" and half")
    assert storage.read_bytes(uri) == b"half and half"


def test_a_failed_streamed_write_leaves_the_old_object_and_no_staged_one(root_uri: str) -> None:
    uri = storage.join(root_uri, "results", "settlement.parquet")
    storage.write_bytes(uri, b"kept")
    with pytest.raises(RuntimeError, match="worker lost"), storage.atomic_output(uri) as stream:
        stream.write(b"half a new one")
        raise RuntimeError("worker lost")
    assert storage.read_bytes(uri) == b"kept"
    filesystem, path = storage.resolve(root_uri)
    staged = filesystem.get_file_info(pa.fs.FileSelector(path, recursive=True))
    assert [info.base_name for info in staged if info.type == pa.fs.FileType.File] == ["settlement.parquet"]


def test_write_once_keeps_the_first_document(root_uri: str) -> None:
    uri = storage.join(root_uri, "outbox", "submission.json")
    assert storage.write_bytes_once(uri, b'{"a": 1}') is True
    assert storage.write_bytes_once(uri, b'{"a": 1}') is False
    with pytest.raises(storage.ObjectConflict, match="submission.json"):
        storage.write_bytes_once(uri, b'{"a": 2}')
    assert storage.read_bytes(uri) == b'{"a": 1}'


def test_content_addressed_objects_are_named_by_their_sha256(root_uri: str) -> None:
    first = storage.put_content_addressed(storage.join(root_uri, "raw"), b"abc")
    again = storage.put_content_addressed(storage.join(root_uri, "raw"), b"abc")
    uri = storage.join(root_uri, "raw", SHA256_OF_ABC)
    assert (first, again) == (storage.StoredObject(uri, SHA256_OF_ABC, True),
                              storage.StoredObject(uri, SHA256_OF_ABC, False))
    assert storage.list_uris(root_uri) == [uri]


def test_raw_meter_files_are_stored_by_content_under_the_root(root_uri: str) -> None:
    body = b"meter_id,interval_start_utc,energy_wh\nM1,2026-01-01T00:00:00Z,1250\n"
    stored = []
    for _ in range(2):  # the same file received twice is one stored object
        writer = RawFileWriter(root_uri, "reads.csv")
        writer.write(body)
        stored.append(writer.finish())
    expected_uri = f"{root_uri}/raw/{hashlib.sha256(body).hexdigest()}"
    if "://" not in root_uri:
        expected_uri = str(Path(expected_uri).resolve())
    assert [item.stored_uri for item in stored] == [expected_uri, expected_uri]
    assert storage.read_bytes(stored[0].stored_uri) == body
    assert storage.list_uris(storage.join(root_uri, "raw")) == [storage.join(root_uri, "raw",
                                                                             stored[0].sha256_hex)]


def test_parquet_claim_checks_round_trip_through_the_resolved_filesystem(root_uri: str) -> None:
    table = pa.table({"meter_id": ["M1", "M2"], "energy_wh": pa.array([1250, 980], pa.int64())})
    uri = storage.join(root_uri, "validated", "2026-01.parquet")
    with storage.atomic_output(uri) as stream:
        pq.write_table(table, stream)
    filesystem, path = storage.resolve(uri)
    assert pq.read_table(path, filesystem=filesystem).to_pydict() == {"meter_id": ["M1", "M2"],
                                                                      "energy_wh": [1250, 980]}
