"""The daemon's lifecycle flag, shared by the HTTP façade and the composition root."""

from __future__ import annotations

import asyncio


class Lifecycle:
    """Set to draining on SIGTERM: new API requests get 503, live calls may finish."""

    def __init__(self) -> None:
        self._draining = False
        self.stop_requested = asyncio.Event()

    @property
    def draining(self) -> bool:
        return self._draining

    def start_draining(self) -> None:
        self._draining = True
        self.stop_requested.set()
