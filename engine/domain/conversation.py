"""A two-party conversation once it is bridged (pure): hangups, recording on request and
transfers. Click2call, callbacks and inbound calls share these rows of their tables."""

from __future__ import annotations

from dataclasses import replace

from engine.domain import transfers
from engine.domain.call import Call, CallState
from engine.domain.commands import RecordBridge
from engine.domain.events import (
    AttendedTransferCancelled,
    AttendedTransferCompleted,
    AttendedTransferRequested,
    BlindTransferRequested,
    HangupRequested,
    LegAnswered,
    LegDtmf,
    LegGone,
    RecordingRequested,
)
from engine.domain.steps import (
    CallStateConflict,
    FlowConfig,
    ReactionTable,
    Step,
    bridge_id_of,
    hang_up_all,
    hangup_requested,
    ignore,
)


def gone_while_bridged(call: Call, event: LegGone, config: FlowConfig) -> Step:
    leg = call.leg(event.channel_id)
    if leg is None or leg.released:
        return call, []
    return hang_up_all(call)


def recording_requested(call: Call, event: RecordingRequested, config: FlowConfig) -> Step:
    if call.recordings:
        raise CallStateConflict("the call is already being recorded", code="already_recording")
    name = f"{call.request_id}-both"
    return replace(call, recordings=(name,)), [RecordBridge(bridge_id_of(call), name)]


def add_conversation_rows(table: ReactionTable) -> ReactionTable:
    """BRIDGED, TRANSFERRING, CONSULTING and ENDING, the same for every two-party call."""
    return (
        table
        .on(CallState.BRIDGED, LegGone, gone_while_bridged)
        .on(CallState.BRIDGED, HangupRequested, hangup_requested)
        .on(CallState.BRIDGED, BlindTransferRequested, transfers.blind_transfer)
        .on(CallState.BRIDGED, AttendedTransferRequested, transfers.attended_transfer)
        .on(CallState.BRIDGED, RecordingRequested, recording_requested)
        .on(CallState.TRANSFERRING, LegAnswered, transfers.transfer_answered)
        .on(CallState.TRANSFERRING, LegGone, transfers.gone_while_transferring)
        .on(CallState.TRANSFERRING, HangupRequested, hangup_requested)
        .on(CallState.TRANSFERRING, RecordingRequested, recording_requested)
        .on(CallState.CONSULTING, LegAnswered, transfers.consult_answered)
        .on(CallState.CONSULTING, LegGone, transfers.gone_while_consulting)
        .on(CallState.CONSULTING, LegDtmf, transfers.dtmf_while_consulting)
        .on(CallState.CONSULTING, HangupRequested, hangup_requested)
        .on(CallState.CONSULTING, AttendedTransferCompleted, transfers.complete_attended)
        .on(CallState.CONSULTING, AttendedTransferCancelled, transfers.cancel_attended)
        .on(CallState.CONSULTING, RecordingRequested, recording_requested)
        .on(CallState.ENDING, HangupRequested, ignore)
    )
