"""Agent presence over a real AMI connection (to the fake AMI server): the client's event
filter and connection markers, and the directory re-listing contacts after an outage."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from engine.ami.client import AmiClient
from engine.ami.messages import CONNECTED, DISCONNECTED
from engine.ari.backoff import Backoff
from engine.domain.accounts import Account
from engine.domain.agents import PRESENCE_EVENT_MASK, PRESENCE_EVENTS, Registration
from engine.services.agents import AgentDirectory
from tests.unit.ami.support import SECRET, USER, FakeAmi, encode, wait_until

EXTENSIONS = ("101", "102")


@dataclass
class FakePbx(FakeAmi):
    """Also answers PJSIPShowContacts (``registered`` are listed) and DeviceStateList."""

    registered: set[str] = field(default_factory=set)

    def _answer(self, writer: asyncio.StreamWriter, headers: list[tuple[str, str]]) -> None:
        fields = dict(headers)
        name, action_id = fields.get("Action", ""), fields.get("ActionID", "")
        if name not in ("PJSIPShowContacts", "DeviceStateList"):
            super()._answer(writer, headers)
            return
        self.actions.append(headers)
        if name == "PJSIPShowContacts" and not self.registered:
            # Asterisk 22's answer when not one contact exists.
            writer.write(encode([("Response", "Error"), ("ActionID", action_id),
                                 ("Message", "No Contacts found")]))
            return
        writer.write(encode([("Response", "Success"), ("ActionID", action_id),
                             ("EventList", "start"), ("Message", "A listing follows")]))
        for ext in sorted(self.registered):
            if name == "PJSIPShowContacts":
                writer.write(encode([("Event", "ContactList"), ("ActionID", action_id),
                                     ("ObjectType", "contact"), ("Endpoint", ext),
                                     ("Aor", ext), ("Uri", f"sip:{ext}@127.0.0.1:15080"),
                                     ("Status", "NonQualified")]))
            else:
                writer.write(encode([("Event", "DeviceStateChange"), ("ActionID", action_id),
                                     ("Device", f"PJSIP/{ext}"), ("State", "NOT_INUSE")]))
        done = "ContactListComplete" if name == "PJSIPShowContacts" else "DeviceStateListComplete"
        writer.write(encode([("Event", done), ("ActionID", action_id),
                             ("EventList", "Complete")]))


def presence_client(port: int) -> AmiClient:
    return AmiClient("127.0.0.1", port, USER, SECRET, backoff=Backoff(0.01, 0.05),
                     action_timeout=1.0, event_mask=PRESENCE_EVENT_MASK,
                     event_names=PRESENCE_EVENTS | {CONNECTED, DISCONNECTED}, markers=True)


async def stop(*tasks: asyncio.Task[None]) -> None:
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_only_presence_events_and_markers_are_queued() -> None:
    fake = FakePbx()
    client = presence_client(await fake.start())
    task = asyncio.create_task(client.run())
    try:
        await wait_until(lambda: client.connected)
        (login,) = fake.named("Login")
        assert login["Events"] == "system,call"
        fake.push_event([("Event", "Newchannel"), ("Channel", "PJSIP/101-00000001")])
        fake.push_event([("Event", "ContactStatus"), ("URI", "sip:101@h"),
                         ("ContactStatus", "Removed"), ("EndpointName", "101")])
        await wait_until(lambda: client.events.qsize() == 2)
        names = [client.events.get_nowait().name for _ in range(2)]
        assert names == [CONNECTED, "ContactStatus"]  # FullyBooted and Newchannel dropped
        fake.drop_all()
        await wait_until(lambda: not client.events.empty())
        assert client.events.get_nowait().name == DISCONNECTED
    finally:
        await stop(task)
        await fake.close()


async def test_the_directory_lists_at_connect_follows_events_and_relists_after_an_outage(
) -> None:
    fake = FakePbx(registered={"101"})
    client = presence_client(await fake.start())
    agents = AgentDirectory(EXTENSIONS)
    tasks = (asyncio.create_task(client.run()), asyncio.create_task(agents.run(client)))
    try:
        await wait_until(lambda: agents.known)
        assert agents.registered("101") and not agents.registered("102")
        assert [a.registration for a in agents.listing(Account("account_1"))] == [
            Registration.REGISTERED, Registration.UNREGISTERED]
        fake.push_event([("Event", "ContactStatus"), ("URI", "sip:101@127.0.0.1:15080"),
                         ("ContactStatus", "Removed"), ("AOR", "101"),
                         ("EndpointName", "101")])
        await wait_until(lambda: not agents.registered("101"))

        # The AMI drops; meanwhile 102 registers and nobody says so.
        fake.registered = {"102"}
        fake.drop_all()
        await wait_until(lambda: not agents.known)
        assert agents.registered("101")  # unknown: nothing is refused
        await wait_until(lambda: agents.known)  # reconnected and listed again
        assert agents.registered("102") and not agents.registered("101")
        assert len(fake.named("PJSIPShowContacts")) == 2
        assert len(fake.named("DeviceStateList")) == 2
    finally:
        await stop(*tasks)
        await fake.close()


async def test_no_contact_at_all_is_a_complete_listing_of_nobody() -> None:
    fake = FakePbx(registered=set())
    client = presence_client(await fake.start())
    agents = AgentDirectory(EXTENSIONS)
    tasks = (asyncio.create_task(client.run()), asyncio.create_task(agents.run(client)))
    try:
        await wait_until(lambda: agents.known)
        assert not agents.registered("101") and not agents.registered("102")
        await wait_until(lambda: len(fake.named("DeviceStateList")) == 1)
    finally:
        await stop(*tasks)
        await fake.close()
