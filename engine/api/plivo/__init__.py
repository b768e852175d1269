"""The Plivo-compatible façade: Plivo's paths, HTTP Basic auth and answer shapes over the
engine's services (no business logic of its own). Routes live under ``/v1/``; the error
middleware answers anything that fails there in Plivo's shape (``shape.plivo_problem``)."""

from __future__ import annotations

from engine.api.plivo.calls import Deliveries, FeedbackLookup, PlivoCallResources
from engine.api.plivo.shape import is_plivo_path, plivo_problem

__all__ = [
    "Deliveries",
    "FeedbackLookup",
    "PlivoCallResources",
    "is_plivo_path",
    "plivo_problem",
]
