"""The protocol's conditional writes, as named data: what each may overwrite or claim (its condition) and what it sets
(its UpdateExpression). `sfn_resume.asl` builds the machines' states from them; `sfn-resume verify` explores them as
the templates ship them; docs/DESIGN.md explains them.

A condition renders twice: as DynamoDB's ConditionExpression, and as the same test in JSONata on an item read back
(ReadHolder: after a refused write, a run reads the item and takes the write whose condition it meets). One
definition, so that the read can never decide what the write would refuse.

Each side judges the item at its own instant, not at the moment its call happens to run: a pause at `:pausedAtMs`
(its state's entry), an event at `:eventTimeMs` (its `time`: when the service emitted it). A slow run, a retried call
or a repeated run therefore decides what a prompt one would have. An event may answer a pause that began before
`:usableUntilMs` (its time plus EventRetentionSeconds): job ids are not reused within that time of a job's last event.
`:nowMs` only stamps what happened when.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .item import (EVENT, EVENT_ID, EXECUTION_ID, EXPIRES_AT, EXPIRES_AT_MS, HANDED_OVER_AT_MS, ID, NUMBER_ATTRIBUTES,
                   OUTCOME, PAUSED_AT_MS, RESERVED_ATTRIBUTES, TOKEN)


@dataclass(frozen=True)
class Condition:
    """A condition on a job id's item: `dynamodb` is its ConditionExpression (values `:name`, reserved attribute names
    `#name`); `jsonata` the same test on `$item` (the item as GetItem returns it, or undefined) and `$v` (the values,
    plain numbers and strings). A comparison with an absent attribute is false in both. `operator`: the outermost
    one ("AND", "OR", or "" for a term), for parentheses where precedence needs them (AND binds tighter in both)."""

    dynamodb: str
    jsonata: str
    operator: str = ""

    def _join(self, other: Condition, operator: str) -> Condition:
        def term(condition: Condition, dynamodb: bool) -> str:
            text = condition.dynamodb if dynamodb else condition.jsonata
            return f"({text})" if condition.operator not in ("", operator) else text
        return Condition(f"{term(self, True)} {operator} {term(other, True)}",
                         f"{term(self, False)} {operator.lower()} {term(other, False)}", operator)

    def __and__(self, other: Condition) -> Condition:
        return self._join(other, "AND")

    def __or__(self, other: Condition) -> Condition:
        return self._join(other, "OR")

    def __invert__(self) -> Condition:
        return Condition(f"NOT ({self.dynamodb})", f"$not({self.jsonata})")

    @property
    def values(self) -> set[str]:
        """The values (`:name`) the condition uses."""
        return set(re.findall(r":(\w+)", self.dynamodb))


def _name(attribute: str) -> str:
    return f"#{attribute}" if attribute in RESERVED_ATTRIBUTES else attribute


def _read(attribute: str) -> str:
    """An attribute of `$item` in JSONata, as the number or string it holds."""
    if attribute in NUMBER_ATTRIBUTES:
        return f"$number($item.{attribute}.N)"
    return f"$item.{attribute}.S"


def exists(attribute: str) -> Condition:
    return Condition(f"attribute_exists({_name(attribute)})", f"$exists($item.{attribute})")


def absent(attribute: str) -> Condition:
    return Condition(f"attribute_not_exists({_name(attribute)})", f"$not($exists($item.{attribute}))")


def compare(attribute: str, operator: str, value: str) -> Condition:
    """`attribute <operator> :value` (`=`, `<`, `<=`, `>`, `>=`)."""
    read = f"{_read(attribute)} {operator} $v.{value}"
    # JSONata compares an absent value as undefined, which `$not` keeps undefined: order needs the attribute first
    return Condition(f"{_name(attribute)} {operator} :{value}",
                     read if operator == "=" else f"($exists($item.{attribute}) and {read})")


def holds_event() -> Condition:
    """The item keeps an event. ReadHolder reads its outcome, stored with every event, rather than the event (up to
    MAX_EVENT_BYTES, which a read's result, escaped again, could not always carry)."""
    return Condition(f"attribute_exists({EVENT})", f"$exists($item.{OUTCOME})")


# --- what an item is, as a condition reads it --------------------------------------------------------------------------
NOTHING = absent(ID)
OWN_TOKEN = compare(TOKEN, "=", "token")
HANDED_OVER = exists(HANDED_OVER_AT_MS)
#: This pause's own hand-over: a claim took its token (or it took an event) already; only it may answer again.
OWN_HAND_OVER = OWN_TOKEN & HANDED_OVER
#: This pause's own token, still waiting: a repeated run writes the same item again.
OWN_WAITING_TOKEN = OWN_TOKEN & absent(HANDED_OVER_AT_MS)
#: A pause waiting (or timed out, with nobody since).
WAITING_PAUSE = exists(TOKEN) & absent(HANDED_OVER_AT_MS)
#: An event nobody claimed.
EARLY_EVENT = holds_event() & absent(TOKEN)
#: Whatever the item was, it had ended before the pause began: a waiting pause timed out, an early event or a hand-over
#: past its event's retention. Ended items are absent to everyone; TTL deletes them later, at a moment nobody relies on.
ENDED_BEFORE_THE_PAUSE = compare(EXPIRES_AT_MS, "<=", "pausedAtMs")
#: ... or before the event was emitted.
ENDED_BEFORE_THE_EVENT = compare(EXPIRES_AT_MS, "<=", "eventTimeMs")
#: The pause began before the event's retention ended: an older event is no news of this pause's job. 0.1's pauses did
#: not record when they began.
BEGAN_IN_TIME = absent(PAUSED_AT_MS) | compare(PAUSED_AT_MS, "<", "usableUntilMs")
#: The pause was waiting when the event was emitted, or it timed out but began less than EventRetentionSeconds before
#: the event (the event is its late one: a job id reused since would have waited longer than that).
WAITING_FOR_THE_EVENT = compare(EXPIRES_AT_MS, ">", "eventTimeMs") | compare(PAUSED_AT_MS, ">", "oldestPauseMs")
#: This event's own claim: a repeated run, or a redelivery of the event, answers again.
OWN_CLAIM = compare(EVENT_ID, "=", "eventId") & HANDED_OVER

# --- the writes --------------------------------------------------------------------------------------------------------
#: StoreToken (the pause): the job id is free (nothing, or an item that had ended before the pause began and is not
#: its own hand-over), or it holds this pause's own waiting token. Anything else is left to ClaimEvent.
STORE_TOKEN = NOTHING | OWN_WAITING_TOKEN | (ENDED_BEFORE_THE_PAUSE & ~OWN_HAND_OVER)
#: ClaimEvent (the pause, after StoreToken was refused): its own hand-over (any age), or an early event whose retention
#: had not ended when the pause began.
CLAIM_EVENT = OWN_TOKEN | (EARLY_EVENT & compare(EXPIRES_AT_MS, ">", "pausedAtMs"))
#: TakeBack (a pause of the same workflow execution, after an earlier pause of it timed out or failed): the execution's
#: hand-over to a token that is closed (the caller checked, with SendTaskHeartbeat, that `:holder` is), whose event's
#: retention had not ended when this pause began. The execution id is the caller's word; the closed token is not.
TAKE_BACK = (compare(TOKEN, "=", "holder") & compare(EXECUTION_ID, "=", "executionId") & holds_event() & HANDED_OVER
             & compare(EXPIRES_AT_MS, ">", "pausedAtMs"))
#: ClaimEvent and TakeBack write the pause's token and execution; TTL keeps the item until past the pause's own timeout
#: (a repeated run of this pause must find its hand-over, not store a waiting token again): `:timeoutSeconds` added.
CLAIM_EVENT_UPDATE = (f"SET #token = :token, {EXECUTION_ID} = :executionId, "
                      f"{HANDED_OVER_AT_MS} = if_not_exists({HANDED_OVER_AT_MS}, :nowMs), "
                      f"{EXPIRES_AT} = if_not_exists({EXPIRES_AT}, :zero) + :timeoutSeconds")
#: ReleaseToken (a pause that fails with SfnResume.PauseFailed): its own waiting token, if its write went through.
RELEASE_TOKEN = OWN_WAITING_TOKEN
#: ClaimToken (an event): a pause of its job waiting for it (live, or timed out: the event is its late one, which a pause
#: of the same execution takes back), or this event's own claim.
CLAIM_TOKEN = (WAITING_PAUSE & BEGAN_IN_TIME & WAITING_FOR_THE_EVENT) | OWN_CLAIM
#: The claim keeps the event (trimmed), so that a pause of the same execution may take it back; the hand-over lasts
#: as the event's retention (its pause keeps its own, see OWN_HAND_OVER); TTL gains EventRetentionSeconds.
CLAIM_TOKEN_UPDATE = (f"SET {EVENT_ID} = :eventId, outcome = :outcome, {EVENT} = :event, "
                      f"{HANDED_OVER_AT_MS} = if_not_exists({HANDED_OVER_AT_MS}, :nowMs), "
                      f"{EXPIRES_AT_MS} = :usableUntilMs, "
                      f"{EXPIRES_AT} = if_not_exists({EXPIRES_AT}, :zero) + :retentionSeconds")
#: StoreEarlyEvent (an event that found no token to claim): the job id is free (nothing, or an item that had ended
#: before the event was emitted).
STORE_EARLY_EVENT = NOTHING | ENDED_BEFORE_THE_EVENT
