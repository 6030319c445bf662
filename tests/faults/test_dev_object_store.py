"""`wattledger dev --object-store` starts SeaweedFS on free ports beside the stack, points every file at its
bucket, and stops it with the rest (real processes: the command on a temporary home and a fresh database)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pyarrow.fs as pafs

from tests.faults.test_dev_stack import STOP_S_MAX, _wait_for_api
from wattledger_cli.stack import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_dev_runs_and_stops_its_object_store(tmp_path: Path, fault_database_url: str) -> None:
    api_port, home = free_port(), tmp_path / "home"
    environment = {**os.environ, "WATTLEDGER_HOME": str(home), "WATTLEDGER_API_PORT": str(api_port),
                   "WATTLEDGER_TEMPORAL_PORT": str(free_port()), "WATTLEDGER_TEMPORAL_UI_PORT": str(free_port()),
                   "WATTLEDGER_DATABASE_URL": fault_database_url, "PYTHONPATH": str(ROOT)}
    environment.pop("WATTLEDGER_TEMPORAL_ADDRESS", None)
    process = subprocess.Popen([sys.executable, "-m", "wattledger_cli.main", "dev", "--object-store"], cwd=tmp_path,
                               env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for_api(f"http://127.0.0.1:{api_port}", process)
        stores = [child for child in psutil.Process(process.pid).children(recursive=True)
                  if child.name() == "weed" or "weed" in " ".join(child.cmdline()[:1])]
        assert len(stores) == 1, [child.cmdline() for child in psutil.Process(process.pid).children(recursive=True)]
        command = stores[0].cmdline()
        assert f"-dir={home / 'seaweedfs'}" in command and "-s3" in command
        s3_port = next(int(arg.split("=")[1]) for arg in command if arg.startswith("-s3.port="))
        identity = json.loads((home / "seaweedfs" / "s3-identities.json").read_text())["identities"][0]
        credential = identity["credentials"][0]
        bucket = pafs.S3FileSystem(access_key=credential["accessKey"], secret_key=credential["secretKey"],
                                   endpoint_override=f"127.0.0.1:{s3_port}", scheme="http", region="us-east-1")
        assert bucket.get_file_info("wattledger").type == pafs.FileType.Directory, "the bucket was created"

        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=STOP_S_MAX)[0]
        assert process.returncode == 0, output
        assert "files on s3://wattledger/data" in output
        _gone, alive = psutil.wait_procs(stores, timeout=10)
        assert not alive, "SeaweedFS still runs after `wattledger dev` stopped"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
