"""The whole local stack: PostgreSQL, PBX, carrier and the engine daemon."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from engine.devstack.asterisk import AsteriskInstance, is_mountpoint
from engine.devstack.postgres import Postgres
from engine.devstack.processes import PidFile, StackError, spawn, stop_pid, wait_until
from engine.settings import Settings


def _get_json(url: str, *, auth: tuple[str, str] | None = None) -> object:
    headers = {}
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return json.loads(exc.read() or b"null")


@dataclass
class Stack:
    settings: Settings
    conf_dir: Path = field(default_factory=lambda: Path("asterisk-conf").resolve())
    fast_db: bool = False

    def __post_init__(self) -> None:
        self.postgres = Postgres(self.settings, fast=self.fast_db)
        self.pbx = AsteriskInstance(self.settings, "pbx", self.conf_dir)
        self.carrier = AsteriskInstance(self.settings, "carrier", self.conf_dir)

    @property
    def engine_pid_file(self) -> PidFile:
        return PidFile(self.settings.var_dir / "run" / "engine.pid")

    def start_infra(self) -> None:
        """Start PostgreSQL, the PBX and the carrier; return when all are usable."""
        self.postgres.require_binaries()
        self.postgres.start()
        self.pbx.start()
        self.carrier.start()
        self.postgres.wait_ready()
        self.pbx.wait_ready()
        self.carrier.wait_ready()
        self.wait_agents_registered()

    def wait_agents_registered(self, timeout: float = 30.0) -> None:
        s = self.settings
        auth = (s.ari_user, s.ari_password.get_secret_value())
        for ext in s.simulated_agents:
            url = f"{s.ari_url}/ari/endpoints/PJSIP/{ext}"

            def online(url: str = url) -> bool:
                body = _get_json(url, auth=auth)
                return isinstance(body, dict) and body.get("state") == "online"

            wait_until(online, timeout=timeout, what=f"simulated agent {ext} to register")

    def start_engine(self, *, detached: bool = True) -> subprocess.Popen[bytes] | None:
        if self.engine_pid_file.read() is not None:
            return None
        argv = [sys.executable, "-m", "engine", "serve"]
        log = self.settings.var_dir / "log" / "engine.log"
        if detached:
            return spawn(argv, log_path=log, pid_file=self.engine_pid_file, env=dict(os.environ))
        proc = subprocess.Popen(argv, env=dict(os.environ))
        self.engine_pid_file.write(proc.pid)
        return proc

    def wait_engine_ready(self, timeout: float = 60.0) -> None:
        s = self.settings
        url = f"http://{s.http_host}:{s.http_port}/readyz"

        def ready() -> bool:
            try:
                body = _get_json(url)
            except OSError:
                return False
            return isinstance(body, dict) and body.get("status") == "ready"

        wait_until(ready, timeout=timeout, what="the engine's /readyz")

    def stop_engine(self) -> None:
        pid = self.engine_pid_file.read()
        if pid is not None:
            stop_pid(pid, timeout=self.settings.shutdown_grace_seconds + 10)
        self.engine_pid_file.remove()

    def stop_all(self) -> None:
        errors: list[str] = []
        for stop in (self.stop_engine, self.carrier.stop, self.pbx.stop, self.postgres.stop):
            try:
                stop()
            except (OSError, StackError) as exc:
                errors.append(str(exc))
        target = self.settings.asterisk_root / "srv" / self.settings.stack_name
        if is_mountpoint(target):
            subprocess.run(["umount", "-l", str(target)], check=False)
        if errors:
            raise StackError("; ".join(errors))

    def run_foreground(self) -> int:
        """``make run``: everything in the foreground until Ctrl-C or SIGTERM."""
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        try:
            self.start_infra()
            engine = self.start_engine(detached=False)
            self.wait_engine_ready()
            print(f"cpaas-engine ready on http://{self.settings.http_host}:"
                  f"{self.settings.http_port} (Ctrl-C stops everything)", flush=True)
            while not stop.wait(0.5):
                if engine is not None and engine.poll() is not None:
                    print("the engine exited", file=sys.stderr)
                    return engine.returncode or 1
            return 0
        finally:
            self.stop_all()
