"""A narrow fake AMI server speaking the AMI text protocol over TCP, for AmiClient tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

BANNER = "Asterisk Call Manager/9.0.0\r\n"
USER, SECRET = "cpaas", "cpaas-ami-secret"


async def wait_until(predicate: Callable[[], bool], timeout: float = 2.0) -> None:
    """Poll ``predicate`` until true; fail the test after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)


def encode(headers: list[tuple[str, str]]) -> bytes:
    return ("".join(f"{key}: {value}\r\n" for key, value in headers) + "\r\n").encode()


def parse(block: str) -> list[tuple[str, str]]:
    pairs = []
    for line in block.split("\r\n"):
        key, sep, value = line.partition(": ")
        if sep:
            pairs.append((key, value))
    return pairs


@dataclass
class FakeAmi:
    """Answers Login, Ping, Command, Hangup, Redirect, Originate; ignores ``silent`` actions.

    Every action received is kept in ``actions`` (as a list of header pairs).
    """

    silent: set[str] = field(default_factory=set)
    actions: list[list[tuple[str, str]]] = field(default_factory=list)
    logins: int = 0
    writers: list[asyncio.StreamWriter] = field(default_factory=list)
    server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def close(self) -> None:
        self.drop_all()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    def named(self, name: str) -> list[dict[str, str]]:
        return [dict(a) for a in self.actions if dict(a).get("Action") == name]

    def push_event(self, headers: list[tuple[str, str]]) -> None:
        for writer in self.writers:
            writer.write(encode(headers))

    def drop_all(self) -> None:
        for writer in self.writers:
            writer.close()
        self.writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        writer.write(BANNER.encode())
        buffer = ""
        try:
            while True:
                chunk = await reader.read(4096)
                if not chunk:
                    break
                buffer += chunk.decode()
                while "\r\n\r\n" in buffer:
                    block, buffer = buffer.split("\r\n\r\n", 1)
                    self._answer(writer, parse(block))
        except ConnectionError:
            pass
        finally:
            writer.close()

    def _answer(self, writer: asyncio.StreamWriter, headers: list[tuple[str, str]]) -> None:
        self.actions.append(headers)
        fields = dict(headers)
        name, action_id = fields.get("Action", ""), fields.get("ActionID", "")
        if name in self.silent:
            return

        def reply(*pairs: tuple[str, str]) -> None:
            writer.write(encode([pairs[0], ("ActionID", action_id), *pairs[1:]]))

        if name == "Login":
            self.logins += 1
            if (fields.get("Username"), fields.get("Secret")) != (USER, SECRET):
                reply(("Response", "Error"), ("Message", "Authentication failed"))
                return
            reply(("Response", "Success"), ("Message", "Authentication accepted"))
            writer.write(encode([("Event", "FullyBooted"), ("Privilege", "system,all"),
                                 ("Status", "Fully Booted")]))
        elif name == "Ping":
            reply(("Response", "Success"), ("Ping", "Pong"), ("Timestamp", "1795337132.49"))
        elif name == "Command" and fields.get("Command") == "core show version":
            reply(("Response", "Success"), ("Message", "Command output follows"),
                  ("Output", "Asterisk 22.10.1 built by nobody"),
                  ("Output", "second line: with a colon"))
        elif name == "Command":
            reply(("Response", "Error"), ("Message", "Command output follows"),
                  ("Output", f"No such command '{fields.get('Command')}'"))
        elif name in ("Hangup", "Redirect", "MixMonitor") and "nope" in fields.get(
                "Channel", ""):
            reply(("Response", "Error"), ("Message", "No such channel"))
        elif name in ("Hangup", "Redirect", "MixMonitor", "StopMixMonitor"):
            reply(("Response", "Success"), ("Message", f"{name} done"))
        elif name == "Originate":
            reply(("Response", "Success"), ("Message", "Originate successfully queued"))
            writer.write(encode([("Event", "OriginateResponse"), ("ActionID", action_id),
                                 ("Response", "Success"), ("Channel", fields["Channel"]),
                                 ("Reason", "4")]))
        else:
            reply(("Response", "Error"), ("Message", "Invalid/unknown command"))
