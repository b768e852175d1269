"""The live conferences of this process and what each join and leave means (pure).

A room is one ARI mixing bridge (``conference-<account>-<name>``). The roster decides; the
conference executor (``conferences.py``) carries the decisions out on Asterisk. Every
decision is a list of effects, in the order they must happen:

- a join is refused at once when the room is full (the leg's program goes on), or when
  the room is ending (an ``endConferenceOnExit`` member left; its members are leaving);
- a member who joins before the conference has started (no member with
  ``startConferenceOnEnter`` has entered yet) waits: muted, hearing the wait sound, until
  such a member enters; a ``muted`` member stays muted throughout;
- the wait sound plays to the bridge while the conference has not started, or while one
  member is alone in it;
- a member with ``beep`` beeps the room when it enters and when it leaves;
- when a member with ``endConferenceOnExit`` leaves, every other member is removed from the
  bridge (each is told, so its program goes on);
- a member removed while its channel is up is told it left; a member whose channel hangs
  up simply leaves (the call learns that from the hangup);
- enter and exit are posted to the member's ``callbackUrl`` with Plivo's parameters;
- the bridge is destroyed when the last member leaves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from engine.domain.commands import DestroyBridge, JoinConference, conference_bridge

BEEP = "sound:beep"


def bridge_id_of(conference: str) -> str:
    """The bridge of a (scoped) conference name (the one name the domain uses too)."""
    return conference_bridge(conference)


def plain_name(conference: str, account_id: str) -> str:
    """The name the application chose: the scoped name without its account prefix."""
    prefix = f"{account_id}-"
    if account_id and conference.startswith(prefix):
        return conference[len(prefix):]
    return conference


# ---- effects ------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateBridge:
    bridge_id: str


@dataclass(frozen=True)
class MuteIn:
    """Others stop hearing the channel (ARI mute, direction "in")."""

    channel_id: str


@dataclass(frozen=True)
class UnmuteIn:
    channel_id: str


@dataclass(frozen=True)
class Beep:
    bridge_id: str


@dataclass(frozen=True)
class StartWaitSound:
    """Play ``media`` (a media URI, ``moh``/``moh:<class>``, or an http(s) URL) to the
    bridge, again and again, until StopWaitSound."""

    bridge_id: str
    media: str


@dataclass(frozen=True)
class StopWaitSound:
    bridge_id: str
    media: str


@dataclass(frozen=True)
class Kick:
    """Remove the channel from the bridge; it stays up."""

    bridge_id: str
    channel_id: str


@dataclass(frozen=True)
class TellLeft:
    """The leg left the conference and is up: its program goes on (ConferenceLeft)."""

    request_id: str
    channel_id: str


@dataclass(frozen=True)
class CheckStillUp:
    """The leg left the bridge and nobody here removed it: if its channel is still up
    (not hanging up), tell it it left."""

    request_id: str
    channel_id: str


@dataclass(frozen=True)
class Callback:
    """A conference event for the member's callbackUrl (Plivo's parameters)."""

    account_id: str
    request_id: str
    url: str
    method: str
    params: dict[str, str]


Effect = (
    CreateBridge | MuteIn | UnmuteIn | Beep | StartWaitSound | StopWaitSound | Kick
    | DestroyBridge | TellLeft | CheckStillUp | Callback
)


# ---- the roster -----------------------------------------------------------------------


@dataclass
class Member:
    request_id: str
    join: JoinConference
    member_id: str
    entered: bool = False  # in the bridge (ChannelEnteredBridge seen)
    held: bool = False  # muted while waiting for the conference to start
    kicked: bool = False  # removed by the engine: it stays up
    hanging_up: bool = False

    @property
    def channel_id(self) -> str:
        return self.join.channel_id


@dataclass
class Room:
    conference: str  # scoped name
    account_id: str
    conference_uuid: str
    max_members: int
    members: dict[str, Member] = field(default_factory=dict)  # by channel id, join order
    started: bool = False
    ending: bool = False
    wait_media: str = ""  # what the wait sound plays now ("" nothing)
    next_member_id: int = 1

    @property
    def bridge_id(self) -> str:
        return bridge_id_of(self.conference)


@dataclass(frozen=True)
class Refused:
    reason: str  # "full" or "ending"


@dataclass(frozen=True)
class Admitted:
    member: Member
    effects: list[Effect]  # to carry out before the leg is added to the bridge


class Roster:
    """Every live conference of this process, by scoped name."""

    def __init__(self, new_uuid: Callable[[], str]) -> None:
        self._new_uuid = new_uuid
        self._rooms: dict[str, Room] = {}
        self._room_of: dict[str, str] = {}  # channel id -> scoped conference name

    # ---- queries --------------------------------------------------------------------

    def room(self, conference: str) -> Room | None:
        return self._rooms.get(conference)

    def room_of(self, channel_id: str) -> Room | None:
        name = self._room_of.get(channel_id)
        return self._rooms.get(name) if name is not None else None

    def rooms(self) -> list[Room]:
        return list(self._rooms.values())

    # ---- decisions ------------------------------------------------------------------

    def admit(self, request_id: str, join: JoinConference) -> Admitted | Refused:
        """A leg asks to join: refused, or a member (the bridge created first if new)."""
        effects: list[Effect] = []
        room = self._rooms.get(join.conference)
        if room is None:
            room = Room(join.conference, join.account_id, self._new_uuid(),
                        max(1, join.max_members))
            self._rooms[join.conference] = room
            effects.append(CreateBridge(room.bridge_id))
        elif room.ending:
            return Refused("ending")
        elif len(room.members) >= min(room.max_members, max(1, join.max_members)):
            return Refused("full")
        member = Member(request_id, join, str(room.next_member_id))
        room.next_member_id += 1
        # Silent before it is in the bridge: a muted member, and one who waits for the
        # conference to start, are never heard, not even for a moment.
        member.held = not room.started and not join.start_on_enter
        if join.muted or member.held:
            effects.append(MuteIn(join.channel_id))
        room.members[join.channel_id] = member
        self._room_of[join.channel_id] = join.conference
        return Admitted(member, effects)

    def entered(self, channel_id: str, bridge_id: str) -> list[Effect]:
        """The channel is in the bridge (ChannelEnteredBridge)."""
        room = self.room_of(channel_id)
        if room is None or room.bridge_id != bridge_id:
            return []
        member = room.members[channel_id]
        if member.entered:
            return []
        member.entered = True
        if room.ending:  # the conference ended while this leg was on its way in
            member.kicked = True
            return [Kick(room.bridge_id, channel_id)]
        effects: list[Effect] = []
        if member.join.start_on_enter and not room.started:
            room.started = True
            for other in room.members.values():
                if other.held:
                    other.held = False
                    if not other.join.muted:
                        effects.append(UnmuteIn(other.channel_id))
        effects += _callback(room, member, "enter")
        effects += self._sounds(room, beep=member.join.beep)
        return effects

    def left_bridge(self, channel_id: str, bridge_id: str) -> list[Effect]:
        """The channel left the bridge (ChannelLeftBridge): removed, or hanging up."""
        room = self.room_of(channel_id)
        if room is None or room.bridge_id != bridge_id:
            return []
        member = room.members[channel_id]
        if not member.entered:  # a stale event of an earlier stay in this bridge
            return []
        return self._leave(room, member, destroyed=False)

    def hangup_requested(self, channel_id: str) -> None:
        """The channel is being hung up: when it leaves, nobody has to be told."""
        room = self.room_of(channel_id)
        if room is not None:
            room.members[channel_id].hanging_up = True

    def destroyed(self, channel_id: str) -> list[Effect]:
        """The channel is gone (ChannelDestroyed) and may still be on the roster."""
        room = self.room_of(channel_id)
        if room is None:
            return []
        member = room.members[channel_id]
        member.hanging_up = True
        return self._leave(room, member, destroyed=True)

    def join_failed(self, channel_id: str) -> list[Effect]:
        """Adding the channel to the bridge failed: it never was a member."""
        room = self.room_of(channel_id)
        if room is None:
            return []
        member = room.members[channel_id]
        member.hanging_up = True  # whoever must be told is told by the executor
        return self._leave(room, member, destroyed=True)

    # ---- internals ------------------------------------------------------------------

    def _leave(self, room: Room, member: Member, *, destroyed: bool) -> list[Effect]:
        del room.members[member.channel_id]
        self._room_of.pop(member.channel_id, None)
        effects: list[Effect] = []
        if member.entered:
            effects += _callback(room, member, "exit")
        if not member.hanging_up:
            if member.kicked:
                effects.append(TellLeft(member.request_id, member.channel_id))
            elif not destroyed:
                effects.append(CheckStillUp(member.request_id, member.channel_id))
        if member.entered and member.join.end_on_exit and not room.ending:
            room.ending = True
            for other in room.members.values():
                if other.entered and not other.kicked:
                    other.kicked = True
                    effects.append(Kick(room.bridge_id, other.channel_id))
        if not room.members:
            del self._rooms[room.conference]
            effects.append(DestroyBridge(room.bridge_id))
            return effects
        effects += self._sounds(room, beep=member.join.beep and member.entered
                                and not room.ending)
        return effects

    def _sounds(self, room: Room, *, beep: bool) -> list[Effect]:
        """Stop a wait sound that no longer fits, beep, then start the one that does."""
        wanted = wait_sound_for(room)
        effects: list[Effect] = []
        if room.wait_media and room.wait_media != wanted:
            effects.append(StopWaitSound(room.bridge_id, room.wait_media))
            room.wait_media = ""
        if beep:
            effects.append(Beep(room.bridge_id))
        if wanted and wanted != room.wait_media:
            effects.append(StartWaitSound(room.bridge_id, wanted))
            room.wait_media = wanted
        return effects


def wait_sound_for(room: Room) -> str:
    """What the room's wait sound should play now: while the conference has not started
    or one member is alone, the wait sound of the first member in the bridge that has
    one; otherwise nothing."""
    inside = [m for m in room.members.values() if m.entered and not m.kicked]
    if not inside or room.ending or (room.started and len(inside) > 1):
        return ""
    return next((m.join.wait_sound for m in inside if m.join.wait_sound), "")


def _callback(room: Room, member: Member, action: str) -> list[Effect]:
    join = member.join
    if not join.callback_url:
        return []
    params = {
        "ConferenceAction": action,
        "ConferenceName": plain_name(room.conference, room.account_id),
        "ConferenceUUID": room.conference_uuid,
        "ConferenceMemberID": member.member_id,
        "CallUUID": member.request_id,
    }
    return [Callback(join.account_id, member.request_id, join.callback_url,
                     join.callback_method or "POST", params)]
