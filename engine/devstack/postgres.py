"""PostgreSQL 15 with its own data directory under var/, on a loopback port."""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from engine.devstack.processes import PidFile, StackError, run_checked, spawn, stop_pid, wait_until
from engine.settings import Settings

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_USER = "postgres"


def _as_postgres(argv: list[str]) -> list[str]:
    # setpriv execs in place (unlike runuser/su), so the pid we record is the server's own.
    return ["setpriv", f"--reuid={PG_USER}", f"--regid={PG_USER}", "--init-groups", *argv]


def _quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _quote_ident(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


@dataclass(frozen=True)
class Postgres:
    settings: Settings
    fast: bool = False  # tests trade durability for speed

    @property
    def data_dir(self) -> Path:
        return (self.settings.var_dir / "postgres").resolve()

    @property
    def socket_dir(self) -> Path:
        return (self.settings.var_dir / "run" / "pgsock").resolve()

    @property
    def pid_file(self) -> PidFile:
        return PidFile(self.settings.var_dir / "run" / "postgres.pid")

    def _own(self, path: Path) -> None:
        entry = pwd.getpwnam(PG_USER)
        path.mkdir(parents=True, exist_ok=True)
        os.chown(path, entry.pw_uid, entry.pw_gid)
        path.chmod(0o700)
        # The server runs as postgres and must be able to walk down to its directories.
        for parent in path.parents:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                parent.chmod(mode | 0o001)

    def init(self) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        self._own(self.data_dir)
        run_checked(
            _as_postgres([
                str(PG_BIN / "initdb"), "-D", str(self.data_dir), "-U", PG_USER,
                "--auth-local=trust", "--auth-host=scram-sha-256",
                "--encoding=UTF8", "--locale=C.UTF-8",
            ]),
            what="initdb",
        )

    def start(self) -> None:
        if self.pid_file.read() is not None:
            return
        self.init()
        self._own(self.socket_dir)
        argv = [
            str(PG_BIN / "postgres"), "-D", str(self.data_dir),
            "-p", str(self.settings.db_port), "-k", str(self.socket_dir),
            "-c", f"listen_addresses={self.settings.db_host}",
            "-c", "max_connections=200",
        ]
        if self.fast:
            argv += ["-c", "fsync=off", "-c", "synchronous_commit=off",
                     "-c", "full_page_writes=off"]
        spawn(_as_postgres(argv), log_path=self.settings.var_dir / "log" / "postgres.log",
              pid_file=self.pid_file)

    def wait_ready(self, timeout: float = 60.0) -> None:
        wait_until(self._accepting, timeout=timeout, what="PostgreSQL")
        self._ensure_database()

    def _psql(self, sql: str, database: str = "postgres") -> str:
        return run_checked(
            [str(PG_BIN / "psql"), "-h", str(self.socket_dir), "-p", str(self.settings.db_port),
             "-U", PG_USER, "-d", database, "-v", "ON_ERROR_STOP=1", "-tAc", sql],
            what="psql",
        )

    def _accepting(self) -> bool:
        result = subprocess.run(
            [str(PG_BIN / "pg_isready"), "-q", "-h", str(self.socket_dir),
             "-p", str(self.settings.db_port)],
            check=False,
        )
        return result.returncode == 0

    def _ensure_database(self) -> None:
        s = self.settings
        user, password = s.db_user, s.db_password.get_secret_value()
        if not self._psql(f"SELECT 1 FROM pg_roles WHERE rolname = {_quote_literal(user)}"):
            self._psql(f"CREATE ROLE {_quote_ident(user)} LOGIN CREATEDB "
                       f"PASSWORD {_quote_literal(password)}")
        else:
            self._psql(f"ALTER ROLE {_quote_ident(user)} PASSWORD {_quote_literal(password)}")
        if not self._psql(f"SELECT 1 FROM pg_database WHERE datname = {_quote_literal(s.db_name)}"):
            self._psql(f"CREATE DATABASE {_quote_ident(s.db_name)} OWNER {_quote_ident(user)}")

    def stop(self) -> None:
        pid = self.pid_file.read()
        if pid is not None:
            # SIGINT is PostgreSQL's "fast" shutdown; SIGTERM would wait for every client.
            stop_pid(pid, sig=signal.SIGINT, timeout=30)
        self.pid_file.remove()

    def require_binaries(self) -> None:
        if not (PG_BIN / "postgres").exists():
            raise StackError("PostgreSQL 15 is not installed; run scripts/setup-system.sh")
