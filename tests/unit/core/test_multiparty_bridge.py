"""The multi-party bridge executor: joins, hold, music for a customer alone, goodbye.

A narrow unit test with a recording stand-in for ARI; the real behaviour on Asterisk is
proven by tests/integration/test_multiparty.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

from engine.ari.events import AriEvent, parse_event
from engine.calls.multiparty_bridge import GOODBYE, CallKey, MultipartyBridges
from engine.domain.call import Call, CallState, Origin
from engine.domain.commands import JoinConference
from engine.domain.errors import Conflict
from engine.domain.events import CallEvent, ConferenceLeft
from engine.domain.multiparty.members import Member, MemberRole, MemberState
from engine.domain.numbers import Extension, External

T0 = datetime(2026, 1, 1, tzinfo=UTC)
KEY: CallKey = ("phlo", "node")
BRIDGE = "multiparty-node-s1"


class RecordingAri:
    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    async def create_bridge(self, bridge_id: str, bridge_type: str) -> object:
        self.calls.append(("create", bridge_id))
        return None

    async def destroy_bridge(self, bridge_id: str) -> None:
        self.calls.append(("destroy", bridge_id))

    async def add_channels(self, bridge_id: str, channel_ids: Sequence[str]) -> None:
        self.calls.append(("add", bridge_id, *channel_ids))

    async def remove_channels(self, bridge_id: str, channel_ids: Sequence[str]) -> None:
        self.calls.append(("remove", bridge_id, *channel_ids))

    async def play_bridge(self, bridge_id: str, media: Sequence[str] | str,
                          playback_id: str) -> None:
        self.calls.append(("play", bridge_id, str(media), playback_id))

    async def start_bridge_moh(self, bridge_id: str, moh_class: str | None) -> None:
        self.calls.append(("bridge-moh", bridge_id))

    async def stop_bridge_moh(self, bridge_id: str) -> None:
        self.calls.append(("bridge-moh-stop", bridge_id))

    async def start_moh(self, channel_id: str) -> None:
        self.calls.append(("moh", channel_id))

    async def stop_moh(self, channel_id: str) -> None:
        self.calls.append(("moh-stop", channel_id))

    async def record_bridge(self, bridge_id: str, name: str) -> None:
        self.calls.append(("record", bridge_id))


class Harness:
    def __init__(self, *, record: bool = False, ari: RecordingAri | None = None) -> None:
        self.ari = ari or RecordingAri()
        self.told: list[tuple[str, CallEvent]] = []
        self.saved: list[Member] = []
        self.recordings: list[str] = []
        self.hung_up: list[str] = []
        self.record = record
        self.bridges = MultipartyBridges(
            self.ari, lambda rid, e: self.told.append((rid, e)), save=self._save,
            save_recording=self._save_recording, hang_up=self._hang_up,
            clock=lambda: T0, new_id=lambda: "s1", goodbye_wait=2.0)

    async def _save(self, key: CallKey, session: str, member: Member) -> None:
        self.saved.append(member)

    async def _save_recording(self, key: CallKey, name: str) -> None:
        self.recordings.append(name)

    async def _hang_up(self, account_id: str, request_id: str) -> None:
        self.hung_up.append(request_id)

    async def join(self, request_id: str, party: Extension | External,
                   role: MemberRole) -> None:
        self.bridges.expect(KEY, "acct", self.record,
                            Member(request_id, party, role, MemberState.RINGING, T0))
        taken = await self.bridges.join(request_id, JoinConference(f"{request_id}.1", "x"))
        assert taken

    async def leave(self, request_id: str) -> None:
        await self.bridges.call_finished(Call(request_id, "acct", Origin.API,
                                              CallState.ENDED, "1", T0))

    def state(self, request_id: str) -> MemberState | None:
        member = self.bridges.member_of(request_id)
        return member.state if member is not None else None


def playback_finished(playback_id: str) -> AriEvent:
    return parse_event({
        "type": "PlaybackFinished", "application": "cpaas",
        "timestamp": "2026-01-01T00:00:00.000+0000",
        "playback": {"id": playback_id, "media_uri": GOODBYE,
                     "target_uri": f"bridge:{BRIDGE}", "state": "done"}})


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_members_join_one_bridge_and_the_call_is_recorded() -> None:
    h = Harness(record=True)
    await h.join("agent", Extension("101"), MemberRole.AGENT)
    await h.join("cust", External("14155550100"), MemberRole.CUSTOMER)
    assert h.ari.calls[:3] == [("create", BRIDGE), ("record", BRIDGE),
                               ("add", BRIDGE, "agent.1")]
    assert ("add", BRIDGE, "cust.1") in h.ari.calls
    assert h.ari.calls.count(("create", BRIDGE)) == 1
    assert h.state("agent") is h.state("cust") is MemberState.CONNECTED
    await settle()
    assert len(h.recordings) == 1
    assert [m.state for m in h.saved if m.request_id == "cust"] == [MemberState.RINGING,
                                                                    MemberState.CONNECTED]


async def test_a_join_that_is_not_a_members_is_left_to_the_conferences() -> None:
    h = Harness()
    assert not await h.bridges.join("other", JoinConference("other.1", "room"))
    assert h.ari.calls == []


async def test_hold_takes_the_leg_out_with_music_and_a_customer_alone_hears_music() -> None:
    h = Harness()
    await h.join("agent", Extension("101"), MemberRole.AGENT)
    await h.join("cust", External("14155550100"), MemberRole.CUSTOMER)
    h.ari.calls.clear()
    await h.bridges.hold("agent")
    assert h.ari.calls == [("remove", BRIDGE, "agent.1"), ("moh", "agent.1"),
                           ("bridge-moh", BRIDGE)]
    assert h.state("agent") is MemberState.ON_HOLD
    h.ari.calls.clear()
    await h.bridges.unhold("agent")
    assert h.ari.calls == [("moh-stop", "agent.1"), ("add", BRIDGE, "agent.1"),
                           ("bridge-moh-stop", BRIDGE)]
    assert h.state("agent") is MemberState.CONNECTED


async def test_the_last_agent_leaving_says_goodbye_then_hangs_customers_up() -> None:
    h = Harness()
    await h.join("a1", Extension("101"), MemberRole.AGENT)
    await h.join("a2", Extension("102"), MemberRole.AGENT)
    await h.join("cust", External("14155550100"), MemberRole.CUSTOMER)
    await h.leave("a1")
    await settle()
    assert h.hung_up == [] and not any(c[0] == "play" for c in h.ari.calls)
    await h.leave("a2")
    await settle()
    (play,) = [c for c in h.ari.calls if c[0] == "play"]
    assert play[:3] == ("play", BRIDGE, GOODBYE)
    assert h.hung_up == []  # not before the message is over
    h.bridges.observe(playback_finished(play[3]))
    await settle()
    assert h.hung_up == ["cust"]
    await h.leave("cust")
    assert h.ari.calls[-1] == ("destroy", BRIDGE)
    assert h.bridges.members(KEY) == []


async def test_a_member_answering_after_the_agents_left_is_sent_away() -> None:
    h = Harness()
    await h.join("agent", Extension("101"), MemberRole.AGENT)
    h.bridges.expect(KEY, "acct", False, Member("cust", External("14155550100"),
                                                MemberRole.CUSTOMER, MemberState.RINGING, T0))
    await h.leave("agent")
    await settle()
    assert h.hung_up == ["cust"]  # ringing: hung up without a message
    assert await h.bridges.join("cust", JoinConference("cust.1", "x"))
    assert h.told == [("cust", ConferenceLeft("cust.1", T0))]


async def test_members_taken_back_after_a_restart_keep_their_bridge_and_the_rules() -> None:
    h = Harness()
    agent = Member("agent", Extension("101"), MemberRole.AGENT, MemberState.CONNECTED, T0, T0)
    held = Member("cust", External("14155550100"), MemberRole.CUSTOMER, MemberState.ON_HOLD,
                  T0, T0)
    ringing = Member("late", External("14155550101"), MemberRole.CUSTOMER,
                     MemberState.RINGING, T0)
    # The session comes from the stored rows: the bridge Asterisk still has.
    await h.bridges.adopt(KEY, "acct", False, "old", [
        (agent, "agent.1"), (held, "cust.1"), (ringing, None)])
    assert h.ari.calls == []  # nothing to change: an agent is there, nobody is alone
    assert (h.state("agent"), h.state("cust"), h.state("late")) == (
        MemberState.CONNECTED, MemberState.ON_HOLD, MemberState.RINGING)
    await h.bridges.unhold("cust")
    assert h.ari.calls == [("moh-stop", "cust.1"), ("add", "multiparty-node-old", "cust.1")]
    # The ringing member joins the same bridge when it answers; no new bridge is made.
    assert await h.bridges.join("late", JoinConference("late.1", "x"))
    assert ("add", "multiparty-node-old", "late.1") in h.ari.calls
    assert not any(c[0] == "create" for c in h.ari.calls)
    await h.leave("agent")
    await settle()
    (play,) = [c for c in h.ari.calls if c[0] == "play"]
    assert play[1] == "multiparty-node-old"


async def test_a_leg_not_yet_in_stasis_is_added_once_it_is() -> None:
    class NotInStasisYet(RecordingAri):
        refusals = 2

        async def add_channels(self, bridge_id: str, channel_ids: Sequence[str]) -> None:
            if self.refusals:
                self.refusals -= 1
                raise Conflict("Channel not in Stasis application")
            await super().add_channels(bridge_id, channel_ids)

    h = Harness(ari=NotInStasisYet())
    await h.join("agent", Extension("101"), MemberRole.AGENT)
    assert ("add", BRIDGE, "agent.1") in h.ari.calls
    assert h.state("agent") is MemberState.CONNECTED
    assert h.told == []
