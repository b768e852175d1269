"""The PBX and the simulated carrier: two Asterisk instances from one chroot'ed root."""

from __future__ import annotations

import base64
import shutil
import socket
import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from engine.devstack.processes import PidFile, StackError, run_checked, spawn, stop_pid, wait_until
from engine.devstack.render import (
    carrier_agents_conf,
    pbx_agents_conf,
    render_template,
    template_values,
)
from engine.settings import Settings

ROOT_MARKER = ".cpaas-engine-ready-v2"  # written by scripts/asterisk-root.sh
INSTANCE_DIRS = ("etc", "run", "spool", "spool/recording", "spool/heard", "log", "log/cel-custom",
                 "db", "cache")


def is_mountpoint(path: Path) -> bool:
    return subprocess.run(["mountpoint", "-q", str(path)], check=False).returncode == 0


@dataclass(frozen=True)
class AsteriskInstance:
    """One Asterisk process ("pbx" or "carrier") of the local stack."""

    settings: Settings
    name: str
    conf_dir: Path

    @property
    def root(self) -> Path:
        return self.settings.asterisk_root

    @property
    def host_dir(self) -> Path:
        return (self.settings.var_dir / "asterisk" / self.name).resolve()

    @property
    def chroot_dir(self) -> str:
        return f"/srv/{self.settings.stack_name}/{self.name}"

    @property
    def pid_file(self) -> PidFile:
        return PidFile(self.settings.var_dir / "run" / f"{self.name}.pid")

    @property
    def log_path(self) -> Path:
        return self.settings.var_dir / "log" / f"{self.name}.log"

    def prepare(self) -> None:
        """Mount the stack's directories into the root and render this instance's conf."""
        if not (self.root / ROOT_MARKER).exists():
            raise StackError(f"no Asterisk root at {self.root}; run scripts/asterisk-root.sh")
        stack_host = (self.settings.var_dir / "asterisk").resolve()
        self.render()
        proc = self.root / "proc"
        if not is_mountpoint(proc):
            run_checked(["mount", "-t", "proc", "proc", str(proc)], what="mount proc")
        target = self.root / "srv" / self.settings.stack_name
        target.mkdir(parents=True, exist_ok=True)
        if not is_mountpoint(target):
            run_checked(["mount", "--bind", str(stack_host), str(target)], what="bind mount")

    def render(self) -> None:
        """Write this instance's configuration (and its directories) under var/."""
        for sub in INSTANCE_DIRS:
            (self.host_dir / sub).mkdir(parents=True, exist_ok=True)
        etc = self.host_dir / "etc"
        shutil.rmtree(etc, ignore_errors=True)
        etc.mkdir(parents=True)
        values = template_values(self.settings, self.name)
        for source_dir in (self.conf_dir / "common", self.conf_dir / self.name):
            for source in sorted(source_dir.glob("*.conf")):
                (etc / source.name).write_text(render_template(source.read_text(), values))
        if self.name == "pbx":
            agents = pbx_agents_conf(self.settings.agent_extensions)
        else:
            agents = carrier_agents_conf(self.settings.simulated_agents, self.settings)
        (etc / "pjsip_agents.conf").write_text(agents)

    def start(self) -> None:
        if self.pid_file.read() is not None:
            return
        self.prepare()
        argv = [
            "chroot", str(self.root), "/usr/sbin/asterisk", "-f", "-n",
            "-C", f"{self.chroot_dir}/etc/asterisk.conf",
        ]
        spawn(argv, log_path=self.log_path, pid_file=self.pid_file)

    def stop(self) -> None:
        pid = self.pid_file.read()
        if pid is not None:
            stop_pid(pid)
        self.pid_file.remove()

    def cli(self, command: str) -> str:
        """Run an Asterisk CLI command against this instance (``asterisk -rx``)."""
        return run_checked(
            ["chroot", str(self.root), "/usr/sbin/asterisk",
             "-C", f"{self.chroot_dir}/etc/asterisk.conf", "-rx", command],
            what=f"asterisk -rx {command!r}",
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        check = self._ari_ready if self.name == "pbx" else self._ami_ready
        wait_until(check, timeout=timeout, what=f"Asterisk {self.name}")

    def _ari_ready(self) -> bool:
        s = self.settings
        token = f"{s.ari_user}:{s.ari_password.get_secret_value()}".encode()
        request = urllib.request.Request(
            f"{s.ari_url}/ari/asterisk/info",
            headers={"Authorization": "Basic " + base64.b64encode(token).decode()},
        )
        try:
            with urllib.request.urlopen(request, timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def _ami_ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.settings.carrier_ami_port), 1) as sock:
                return sock.recv(64).startswith(b"Asterisk Call Manager")
        except OSError:
            return False
