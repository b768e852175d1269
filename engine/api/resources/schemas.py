"""Request and response bodies of the contract's endpoints (pydantic, for validation+docs)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from engine.api.body import SeedModel, ShortStr, StrInt


class Click2CallRequest(SeedModel):
    agent_number: ShortStr = Field(description="Agent extension (101-105) or number with "
                                   "country code, e.g. 919979271000")
    caller_id: ShortStr = Field(description="Caller id shown to both parties")
    destination_number: ShortStr = Field(description="Customer number with country code")
    recording_option: ShortStr = Field(default="off", description="both, agent, customer, off "
                                       "(\"on\" means both)")
    transcript: ShortStr = Field(default="off", description="on or off")


class RequestIdResponse(BaseModel):
    request_id: str


class ModifyCallRequest(SeedModel):
    channel: ShortStr = Field(description="Asterisk channel name, e.g. PJSIP/101-0000023c "
                              "(see GET /api/live_calls)")
    modify_type: ShortStr = Field(description="0=blind transfer, 1=attended transfer, "
                                  "2=hangup, 3=start recording")
    transfer_to: ShortStr = Field(default="", description="Agent extension or number with "
                                  "country code (transfers)")
    transfer_action: ShortStr = Field(default="start", description="Attended transfer only: "
                                      "start, complete or cancel")


class MessageResponse(BaseModel):
    message: str


class CdrByDateRequest(SeedModel):
    start_call_date: ShortStr = Field(description="YYYY-MM-DD, inclusive")
    end_call_date: ShortStr = Field(description="YYYY-MM-DD, inclusive")
    record_count: StrInt | None = Field(default=None, description="default 1000, at most 5000")
    offset: StrInt | None = Field(default=None, description="records to skip, default 0")


class CdrByRequestIdRequest(SeedModel):
    request_id: ShortStr


class CdrByCampaignIdRequest(SeedModel):
    campaign_id: ShortStr


class DidRequest(SeedModel):
    did: ShortStr = Field(description="The dialled number as the carrier sends it (digits)")
    agent: ShortStr = Field(description="Agent extension that answers it")


class DidDeleteRequest(SeedModel):
    did: ShortStr
