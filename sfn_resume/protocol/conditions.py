"""The protocol's conditional writes, as named data: what each may overwrite or claim (its ConditionExpression) and
what it sets (its UpdateExpression). `sfn_resume.asl` builds the machines' states from them; `sfn-resume verify`
explores them as the templates ship them; docs/DESIGN.md explains them.

Each side judges the item at its own instant, not at the moment its call happens to run: a pause at `:pausedAtMs`
(its state's entry), an event at `:eventTimeMs` (its `time`: when the service emitted it). A slow run, a retried call
or a repeated run therefore decides what a prompt one would have. An event may answer a pause that began before
`:usableUntilMs` (its time plus EventRetentionSeconds): job ids are not reused within that time of a job's last event.
`:nowMs` only stamps what happened when.
"""

from __future__ import annotations

from .item import EVENT, EVENT_ID, EXECUTION_ID, EXPIRES_AT, EXPIRES_AT_MS, HANDED_OVER_AT_MS, ID, PAUSED_AT_MS

# --- what an item is, as a condition reads it --------------------------------------------------------------------------
NOTHING = f"attribute_not_exists({ID})"
OWN_TOKEN = "#token = :token"
NOT_HANDED_OVER = f"attribute_not_exists({HANDED_OVER_AT_MS})"
HANDED_OVER = f"attribute_exists({HANDED_OVER_AT_MS})"
#: This pause's own hand-over: a claim took its token (or it took an event) already; only it may answer again.
OWN_HAND_OVER = f"{OWN_TOKEN} AND {HANDED_OVER}"
#: This pause's own token, still waiting: a repeated run writes the same item again.
OWN_WAITING_TOKEN = f"{OWN_TOKEN} AND {NOT_HANDED_OVER}"
#: A pause waiting (or timed out, with nobody since).
WAITING_PAUSE = f"attribute_exists(#token) AND {NOT_HANDED_OVER}"
#: An event nobody claimed.
EARLY_EVENT = f"attribute_exists({EVENT}) AND attribute_not_exists(#token)"
#: Whatever the item was, it had ended before the pause began: a waiting pause timed out, an early event or a hand-over
#: past its event's retention. Expired items are absent to everyone; TTL deletes them later, at a moment nobody relies on.
ENDED_BEFORE_THE_PAUSE = f"{EXPIRES_AT_MS} <= :pausedAtMs"
#: ... or before the event was emitted.
ENDED_BEFORE_THE_EVENT = f"{EXPIRES_AT_MS} <= :eventTimeMs"
#: The pause began before the event's retention ended: an older event is no news of this pause's job. 0.1's pauses did
#: not record when they began.
BEGAN_IN_TIME = f"(attribute_not_exists({PAUSED_AT_MS}) OR {PAUSED_AT_MS} < :usableUntilMs)"
#: The pause was waiting when the event was emitted, or it timed out but began less than EventRetentionSeconds before
#: the event (the event is its late one: a job id reused since would have waited longer than that).
WAITING_FOR_THE_EVENT = f"({EXPIRES_AT_MS} > :eventTimeMs OR {PAUSED_AT_MS} > :oldestPauseMs)"
#: This event's own claim: a repeated run, or a redelivery of the event, answers again.
OWN_CLAIM = f"{EVENT_ID} = :eventId AND {HANDED_OVER}"

# --- the writes --------------------------------------------------------------------------------------------------------
#: StoreToken (the pause): the job id is free (nothing, or an item that had ended before the pause began and is not
#: its own hand-over), or it holds this pause's own waiting token. Anything else is left to ClaimEvent.
STORE_TOKEN = f"{NOTHING} OR ({OWN_WAITING_TOKEN}) OR ({ENDED_BEFORE_THE_PAUSE} AND NOT ({OWN_HAND_OVER}))"
#: ClaimEvent (the pause, after StoreToken was refused): its own hand-over (any age), or an early event whose retention
#: had not ended when the pause began.
CLAIM_EVENT = f"{OWN_TOKEN} OR ({EARLY_EVENT} AND {EXPIRES_AT_MS} > :pausedAtMs)"
#: TakeBack (a pause of the same workflow execution, after an earlier pause of it timed out or failed): the execution's
#: hand-over to a token that is closed (the caller checked, with SendTaskHeartbeat, that `:holder` is), whose event's
#: retention had not ended when this pause began. The execution id is the caller's word; the closed token is not.
TAKE_BACK = (f"#token = :holder AND {EXECUTION_ID} = :executionId AND attribute_exists({EVENT}) AND {HANDED_OVER} "
             f"AND {EXPIRES_AT_MS} > :pausedAtMs")
#: ClaimEvent and TakeBack write the pause's token and execution; TTL keeps the item until past the pause's own timeout
#: (a repeated run of this pause must find its hand-over, not store a waiting token again): `:timeoutSeconds` added.
CLAIM_EVENT_UPDATE = (f"SET #token = :token, {EXECUTION_ID} = :executionId, "
                      f"{HANDED_OVER_AT_MS} = if_not_exists({HANDED_OVER_AT_MS}, :nowMs), "
                      f"{EXPIRES_AT} = if_not_exists({EXPIRES_AT}, :zero) + :timeoutSeconds")
#: ReleaseToken (a pause that fails with SfnResume.PauseFailed): its own waiting token, if its write went through.
RELEASE_TOKEN = OWN_WAITING_TOKEN
#: ClaimToken (an event): a pause of its job waiting for it (live, or timed out: the event is its late one, which a pause
#: of the same execution takes back), or this event's own claim.
CLAIM_TOKEN = f"({WAITING_PAUSE} AND {BEGAN_IN_TIME} AND {WAITING_FOR_THE_EVENT}) OR ({OWN_CLAIM})"
#: The claim keeps the event (trimmed), so that a pause of the same execution may take it back; the hand-over lasts
#: as the event's retention (its pause keeps its own, see OWN_HAND_OVER); TTL gains EventRetentionSeconds.
CLAIM_TOKEN_UPDATE = (f"SET {EVENT_ID} = :eventId, outcome = :outcome, {EVENT} = :event, "
                      f"{HANDED_OVER_AT_MS} = if_not_exists({HANDED_OVER_AT_MS}, :nowMs), "
                      f"{EXPIRES_AT_MS} = :usableUntilMs, "
                      f"{EXPIRES_AT} = if_not_exists({EXPIRES_AT}, :zero) + :retentionSeconds")
#: StoreEarlyEvent (an event that found no token to claim): the job id is free (nothing, or an item that had ended
#: before the event was emitted).
STORE_EARLY_EVENT = f"{NOTHING} OR {ENDED_BEFORE_THE_EVENT}"
