"""The table item of a job id (docs/DESIGN.md, "The item"): its attributes, its shapes, and the one reader of its
DynamoDB JSON that `status`, `resume`/`fail` and the tests share. Items written by 0.1 to 0.3 are read as they are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# The attributes (a DynamoDB reserved word is named `#word` in expressions: see RESERVED_ATTRIBUTES).
ID = "id"
TOKEN = "token"
EXECUTION_ID = "executionId"
PAUSED_AT_MS = "pausedAtMs"
EVENT = "event"
OUTCOME = "outcome"
EVENT_ID = "eventId"
STORED_AT_MS = "storedAtMs"
HANDED_OVER_AT_MS = "handedOverAtMs"
EXPIRES_AT = "expiresAt"  # the table's TTL attribute: epoch seconds
#: Until when the item holds the job id for others: a waiting pause, its timeout; an early event or a hand-over, the
#: end of its event's retention (a pause's own hand-over stays its own at any age).
EXPIRES_AT_MS = "expiresAtMs"
#: 0.3 only: on a hand-over, when the claimed pause would have timed out.
PAUSE_EXPIRES_AT_MS = "pauseExpiresAtMs"

#: Attributes that hold numbers (the others hold strings).
NUMBER_ATTRIBUTES = (PAUSED_AT_MS, STORED_AT_MS, HANDED_OVER_AT_MS, EXPIRES_AT, EXPIRES_AT_MS, PAUSE_EXPIRES_AT_MS)
#: Attributes that are DynamoDB reserved words.
RESERVED_ATTRIBUTES = (TOKEN,)
#: What a summary reads of an item: everything but the event, which may be large (`outcome` is stored with it).
SUMMARY_ATTRIBUTES = (ID, TOKEN, OUTCOME, EVENT_ID, EXECUTION_ID, PAUSED_AT_MS, STORED_AT_MS, HANDED_OVER_AT_MS,
                      PAUSE_EXPIRES_AT_MS, EXPIRES_AT_MS)

#: Outcomes: a success event resumes the pause, a failure event fails it.
SUCCEEDED, FAILED = "SUCCEEDED", "FAILED"

#: The shapes of an item.
WAITING_PAUSE = "waiting pause"
EARLY_EVENT = "early event"
HANDED_OVER = "handed over"


@dataclass(frozen=True)
class Item:
    """A job id's item, read from DynamoDB JSON; None where the item does not hold the attribute."""

    job_id: str
    token: str | None = None
    execution_id: str | None = None
    paused_at_ms: int | None = None
    event: str | None = None  # the event as JSON text (trimmed as docs/DESIGN.md, "Large events", says)
    outcome: str | None = None
    event_id: str | None = None
    stored_at_ms: int | None = None
    handed_over_at_ms: int | None = None
    pause_expires_at_ms: int | None = None
    expires_at: int | None = None
    expires_at_ms: int | None = None

    @classmethod
    def from_dynamodb(cls, item: dict) -> Item:
        def value(name: str) -> Any:
            attribute = item.get(name)
            if attribute is None:
                return None
            return int(attribute["N"]) if "N" in attribute else attribute.get("S")

        return cls(value(ID), value(TOKEN), value(EXECUTION_ID), value(PAUSED_AT_MS), value(EVENT), value(OUTCOME),
                   value(EVENT_ID), value(STORED_AT_MS), value(HANDED_OVER_AT_MS), value(PAUSE_EXPIRES_AT_MS),
                   value(EXPIRES_AT), value(EXPIRES_AT_MS))

    @property
    def shape(self) -> str:
        """A hand-over has `handedOverAtMs` (0.2's tombstone: neither a token nor an event, nor an outcome); a
        waiting pause has a token; an early event has its event (and, read without it, its outcome)."""
        if self.handed_over_at_ms is not None or (self.token is None and self.event is None and self.outcome is None):
            return HANDED_OVER
        return WAITING_PAUSE if self.token is not None else EARLY_EVENT

    def expired(self, now_ms: int) -> bool:
        """Whether the item has ended (an item of 0.1 has no end): it holds the job id for nobody new any more,
        whatever TTL has done with it yet."""
        return self.expires_at_ms is not None and self.expires_at_ms <= now_ms

    def event_json(self) -> dict | None:
        try:
            return json.loads(self.event) if self.event else None
        except ValueError:
            return None
