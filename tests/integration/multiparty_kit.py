"""What the multi-party call tests share: the API of one account, and the carrier's ears.

A 1xxx line plays 1000 Hz, the simulated agents (101, 102, …) play 440 Hz; the carrier
records what each answered leg hears (receive direction only), so who heard whom is told
by the tones in each recording.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from engine.ari.query import basic_auth_header
from tests.integration.helpers import CALLER_ID, eventually, finished_recording

TOKENS = {"account_1": "test-token-1", "account_2": "test-token-2"}


@dataclass
class Phlo:
    phlo_id: str
    node_id: str

    @property
    def node(self) -> str:
        return f"/v1/phlo/{self.phlo_id}/multi_party_call/{self.node_id}"


class Api:
    """The multi-party call API as one account sees it."""

    def __init__(self, http: aiohttp.ClientSession, account: str = "account_1") -> None:
        self.http = http
        self.account = account
        self.auth = basic_auth_header(account, TOKENS[account])

    async def send(self, method: str, path: str, body: Any = None,
                   auth: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
        async with self.http.request(method, path, json=body,
                                     headers=self.auth if auth is None else auth) as r:
            if r.status == 204:
                return 204, {}
            return r.status, await r.json()

    async def create(self, *, record: bool = False) -> Phlo:
        status, body = await self.send("POST", "/v1/phlo/", {
            "name": "support line", "caller_id": CALLER_ID, "record": str(record).lower()})
        assert status == 201, body
        assert body["node_type"] == "multi_party_call"
        return Phlo(body["phlo_id"], body["node_id"])

    async def add(self, phlo: Phlo, to: str, role: str, trigger: str) -> None:
        status, body = await self.send("POST", f"{phlo.node}/", {
            "action": "call", "to": to, "role": role, "trigger_source": trigger})
        assert status == 200 and body["error"] == "" and body["api_id"], body

    async def act(self, phlo: Phlo, member: str, action: str) -> None:
        status, body = await self.send("POST", f"{phlo.node}/members/{member}/",
                                       {"action": action})
        assert status == 200 and body["error"] == "", body

    async def details(self, phlo: Phlo) -> dict[str, Any]:
        status, body = await self.send("GET", f"{phlo.node}/")
        assert status == 200, body
        return body

    async def members(self, phlo: Phlo) -> dict[str, dict[str, Any]]:
        """The newest member row of each address."""
        return {m["address"]: m for m in (await self.details(phlo))["members"]}

    async def wait_member(self, phlo: Phlo, address: str, state: str,
                          timeout: float = 20.0) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            member = (await self.members(phlo)).get(address)
            return member if member is not None and member["state"] == state else None
        return await eventually(probe, timeout=timeout, what=f"{address} to be {state}")


@dataclass(frozen=True)
class Heard:
    """One answered carrier leg: its recording and the carrier's clock of it."""

    path: Path
    answered: float
    ended: float

    def offset(self, epoch: float) -> float:
        """Seconds into the recording at wall-clock ``epoch`` (the recording starts as the
        carrier answers; both clocks are this machine's)."""
        return epoch - self.answered


class Ears:
    """The carrier's recordings of the legs a test made."""

    def __init__(self, heard_dir: Path) -> None:
        self.dir = heard_dir

    def calls_to(self, number: str) -> set[str]:
        log = self.dir / "calls.log"
        if not log.exists():
            return set()
        return {row.split()[2] for row in log.read_text().splitlines()
                if row.split() and row.split()[0] == number}

    async def heard(self, number: str, before: set[str]) -> Heard:
        """The one leg to ``number`` that arrived after ``before``, once it ended."""
        async def ended() -> tuple[str, float, float] | None:
            log = self.dir / "answered.log"
            if not log.exists():
                return None
            for row in log.read_text().splitlines():
                parts = row.split()
                if len(parts) >= 4 and parts[0] == number and parts[1] not in before:
                    return parts[1], float(parts[2]), float(parts[3])
            return None
        uniqueid, answered, ended_at = await eventually(ended, timeout=30,
                                                        what=f"the carrier to close {number}")
        path = await finished_recording(self.dir / f"{number}-{uniqueid}.wav")
        return Heard(path, answered, ended_at)


def now() -> float:
    return time.time()
