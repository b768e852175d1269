"""Campaign statuses (the seed's ``campaign_status`` codes) and the account's transitions.

The codes are the seed's strings in ``get_campaign_details`` (``"3"``); 0-4 follow the seed's
meaning, 5 is beyond it. Pause, resume and stop are the account's actions; the engine moves
a campaign between scheduled, running, completed and suspended by itself.
"""

from __future__ import annotations

from enum import IntEnum


class CampaignStatus(IntEnum):
    SCHEDULED = 0  # created; its window has not opened yet
    RUNNING = 1  # dialling
    PAUSED = 2  # paused by the account
    COMPLETED = 3  # every contact is settled, or the window closed
    STOPPED = 4  # stopped by the account (stop_campaign)
    SUSPENDED = 5  # paused by the engine (circuit breaker: the trunk is failing); reason set

    @property
    def ended(self) -> bool:
        """Completed or stopped: nothing will ever be dialled again."""
        return self in ENDED


ENDED = frozenset({CampaignStatus.COMPLETED, CampaignStatus.STOPPED})
# The statuses each account action starts from (anything else is a 409).
STOPPABLE = frozenset(CampaignStatus) - ENDED
PAUSABLE = frozenset({CampaignStatus.SCHEDULED, CampaignStatus.RUNNING})
RESUMABLE = frozenset({CampaignStatus.PAUSED, CampaignStatus.SUSPENDED})

# The states of a contact within a campaign (``campaign_contacts.state``).
CONTACT_STATES = ("pending", "dialling", "retry", "answered", "failed", "dnd", "expired",
                  "stopped")
