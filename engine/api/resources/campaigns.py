"""Campaigns: create_campaign, stop/pause/resume_campaign, get_campaign_details and the
per-campaign progress view."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from engine.api.auth import current_account
from engine.api.body import SeedModel, ShortStr, read_model
from engine.api.envelope import ok
from engine.api.resources.schemas import MessageResponse
from engine.api.routes import RouteSpec
from engine.domain.campaigns.fields import CampaignFields, QuestionFields
from engine.domain.cdr import http_date
from engine.services.campaigns import CampaignService
from engine.store.campaigns import CampaignProgress, CampaignRow


class SurveyQuestionBody(SeedModel):
    text: str = Field(description="What the question says (placeholders allowed)")
    num_digits: str | None = Field(default=None, description="Keys to collect, 1-20 (1)")
    valid_digits: str | None = Field(default=None, description="Keys accepted "
                                     "(0123456789*#)")
    timeout: str | None = Field(default=None, description="Seconds to wait, 1-60 (5)")


class CreateCampaignRequest(SeedModel):
    list_id: str = Field(description="A contact list of the account (LS…)")
    dnd_list_id: str = Field(default="", description="A DND list of the account (DN…); "
                             "empty: none")
    campaign_name: str = Field(description="Unique among the account's campaigns")
    campaign_type: str = Field(description="0 = announcement only, 1 = survey / IVR")
    campaign_caller_id: str = Field(description="Caller id shown to contacts")
    dynamic_announcement: str | None = Field(default=None, description="1 = speak "
                                             "announcement_text, 0 = play recorded_filename")
    announcement_text: str = Field(default="", description="Text with {field1}, "
                                   "{contact_name}, {contact_number} placeholders")
    recorded_filename: str = Field(default="", description="A WAV of the account's files")
    campaign_start_date: str = Field(description="YYYY-mm-dd hh:mm:ss in time_zone")
    campaign_end_date: str = Field(description="YYYY-mm-dd hh:mm:ss in time_zone")
    time_zone: str | None = Field(default=None, description="IANA zone; default UTC")
    repeat: str | None = Field(default=None, description="Announcements per call, 1-10 (1)")
    repeat_count: str | None = Field(default=None, description="Another name of repeat")
    max_retries: str | None = Field(default=None, description="Retries per contact, 0-10 (0)")
    retry_attempts: str | None = Field(default=None, description="Another name of "
                                       "max_retries")
    retry_time: str | None = Field(default=None, description="Seconds before a retry, "
                                   "0-86400 (60)")
    retry_on_statuses: str | None = Field(default=None, description="Comma list of NOANSWER, "
                                          "BUSY, CONGESTION, CHANUNAVAIL (NOANSWER,BUSY)")
    calls_per_minute: str | None = Field(default=None, description="Dialling rate (required)")
    voice: ShortStr | None = None
    volume: ShortStr | None = None
    rate: ShortStr | None = None
    pitch: ShortStr | None = None
    language_code: ShortStr | None = None
    tts_engine_type: ShortStr | None = None
    calling_hours_start: str | None = Field(default=None, description="HH:MM, the callee's "
                                            "local time (with calling_hours_end)")
    calling_hours_end: str | None = Field(default=None, description="HH:MM, the callee's "
                                          "local time (with calling_hours_start)")
    survey_questions: list[SurveyQuestionBody] | None = Field(
        default=None, description="Type 1: questions, each collected with GetDigits")
    answer_url: str = Field(default="", description="Type 1: a Plivo-compatible XML "
                            "application runs each answered call")
    answer_method: str | None = Field(default=None, description="GET or POST (POST)")
    isales_url: str | None = Field(default=None, description="iSales write-back: each "
                                   "attempt's result is pushed there (with isales_token)")
    isales_token: str | None = Field(default=None, description="Bearer token of the push "
                                     "(never shown again)")
    isales_sub_cc_no: str | None = Field(default=None, description="subCCNo pushed (1)")
    isales_vdn_id: str | None = Field(default=None, description="vdnId pushed (1)")
    isales_service_id: str | None = Field(default=None, description="serviceId pushed and "
                                          "accepted for this campaign (default: its id)")

    def fields(self) -> CampaignFields:
        values = self.model_dump(exclude={"survey_questions"})
        questions = None if self.survey_questions is None else tuple(
            QuestionFields(**q.model_dump()) for q in self.survey_questions)
        return CampaignFields(**values, survey_questions=questions)


class CampaignIdRequest(SeedModel):
    campaign_id: ShortStr = Field(description="A campaign of the account (CM…)")


class CampaignCreatedResponse(BaseModel):
    campaign_id: str


def campaign_view(row: CampaignRow) -> dict[str, Any]:
    """A campaign as get_campaign_details shows it: the seed's fields (strings, dates in
    the seed's format, UTC) and, beyond the seed, what else it was created with."""
    d = row.definition
    view = {
        "calls_per_minute": f"{row.calls_per_minute:g}",
        "campaign_caller_id": d.caller_id,
        "campaign_end_date": http_date(row.end_at),
        "campaign_id": row.campaign_id,
        "campaign_name": row.name,
        "campaign_start_date": http_date(row.start_at),
        "campaign_status": str(int(row.status)),
        "campaign_type": str(row.campaign_type),
        "max_retries": str(row.max_retries),
        "repeat_announcement_count": str(d.repeat),
        "retry_time": str(row.retry_seconds),
        # beyond the seed
        "announcement_text": d.announcement_text,
        "answer_url": d.answer_url,
        "calling_hours_end": row.hours_end.strftime("%H:%M") if row.hours_end else "",
        "calling_hours_start": row.hours_start.strftime("%H:%M") if row.hours_start else "",
        "created_date": http_date(row.created_at),
        "dnd_list_id": row.dnd_list_id or "",
        "dynamic_announcement": "1" if d.dynamic_announcement else "0",
        "list_id": row.list_id,
        "recorded_filename": d.recorded_filename,
        "retry_on_statuses": ",".join(row.retry_on),
        "status_reason": row.status_reason,
        "survey_questions": str(len(d.questions)),
        "time_zone": row.time_zone,
        # the iSales write-back (the token is never shown)
        "isales_service_id": row.isales.service_id or row.campaign_id,
        "isales_sub_cc_no": str(row.isales.sub_cc_no),
        "isales_url": row.isales.url or "",
        "isales_vdn_id": str(row.isales.vdn_id),
        "results_written_back": str(row.isales.written_back),
        "results_final": str(row.isales.final),
    }
    return dict(sorted(view.items()))


def progress_view(row: CampaignRow, progress: CampaignProgress) -> dict[str, Any]:
    """Counts are JSON integers (a view beyond the seed); the status is the seed's string."""
    return {"campaign_id": row.campaign_id, "campaign_status": str(int(row.status)),
            "status_reason": row.status_reason, **vars(progress)}


class CampaignResources:
    def __init__(self, campaigns: CampaignService) -> None:
        self._campaigns = campaigns

    def routes(self) -> Sequence[RouteSpec]:
        seed_type0 = {
            "list_id": "LS608c393614", "dnd_list_id": "DNd2b09f8f80",
            "campaign_name": "test_broadcast_campaign", "campaign_type": "0",
            "campaign_caller_id": "15168148111", "dynamic_announcement": "1",
            "recorded_filename": "", "announcement_text": "Dear, {field1} , {field2}, Your due "
            "balance is,, {field3},,INR only", "campaign_start_date": "2030-09-25 14:05:00",
            "campaign_end_date": "2030-09-26 20:00:00", "time_zone": "Asia/Kolkata",
            "repeat": "2", "max_retries": "1", "retry_time": "60", "calls_per_minute": "10",
            "voice": "Matthew", "volume": "soft", "rate": "slow", "pitch": "medium"}
        campaign_id = {"campaign_id": "CM7b1b0f4c2f"}
        return (
            RouteSpec("POST", "/api/create_campaign", self.create,
                      "Create a campaign over a snapshot of a contact list",
                      CreateCampaignRequest, CampaignCreatedResponse, example=seed_type0,
                      description="Type 0 speaks announcement_text (or plays "
                      "recorded_filename) repeat times; type 1 then collects keys "
                      "(survey_questions), or hands the call to answer_url."),
            RouteSpec("POST", "/api/stop_campaign", self.stop,
                      "Stop a campaign for good (calls in flight finish)", CampaignIdRequest,
                      MessageResponse, example=campaign_id),
            RouteSpec("POST", "/api/pause_campaign", self.pause,
                      "Pause a scheduled or running campaign", CampaignIdRequest,
                      MessageResponse, example=campaign_id),
            RouteSpec("POST", "/api/resume_campaign", self.resume,
                      "Resume a paused or suspended campaign", CampaignIdRequest,
                      MessageResponse, example=campaign_id),
            RouteSpec("GET", "/api/get_campaign_details", self.details,
                      "The account's campaigns (?campaign_id= for one)"),
            RouteSpec("POST", "/api/get_campaign_progress", self.progress,
                      "Contacts of a campaign by state, attempts and current rate",
                      CampaignIdRequest, example=campaign_id),
        )

    async def create(self, request: web.Request) -> web.Response:
        body = await read_model(request, CreateCampaignRequest)
        campaign_id = await self._campaigns.create(current_account(request), body.fields())
        return ok({"campaign_id": campaign_id})

    async def stop(self, request: web.Request) -> web.Response:
        body = await read_model(request, CampaignIdRequest)
        await self._campaigns.stop(current_account(request), body.campaign_id)
        return ok({"message": " campaign stopped successfully"})  # the seed's leading space

    async def pause(self, request: web.Request) -> web.Response:
        body = await read_model(request, CampaignIdRequest)
        await self._campaigns.pause(current_account(request), body.campaign_id)
        return ok({"message": "campaign paused successfully"})

    async def resume(self, request: web.Request) -> web.Response:
        body = await read_model(request, CampaignIdRequest)
        await self._campaigns.resume(current_account(request), body.campaign_id)
        return ok({"message": "campaign resumed successfully"})

    async def details(self, request: web.Request) -> web.Response:
        wanted = request.query.get("campaign_id")
        rows = await self._campaigns.details(current_account(request), wanted)
        message = "campaign found" if rows else "campaign not found"
        return ok({"message": message, "result": [campaign_view(r) for r in rows]})

    async def progress(self, request: web.Request) -> web.Response:
        body = await read_model(request, CampaignIdRequest)
        row, progress = await self._campaigns.progress(current_account(request),
                                                       body.campaign_id)
        return ok({"message": "campaign progress", "result": progress_view(row, progress)})
