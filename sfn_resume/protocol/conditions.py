"""The protocol's conditional writes, as named data: what each may overwrite or claim (its ConditionExpression) and
what it sets (its UpdateExpression). `sfn_resume.asl` builds the machines' states from them; `sfn-resume verify`
explores them as the templates ship them; docs/DESIGN.md explains them.

Placeholders: `:nowMs` (the caller's clock), `:token` (the pause's task token), `:executionId` (the paused
workflow's execution), `:eventId` (the event's `id`), `:usableUntilMs` (the event's `time` plus
EventRetentionSeconds: until when the event may answer a pause).
"""

from __future__ import annotations

from .item import EVENT, EVENT_ID, EXECUTION_ID, EXPIRES_AT, EXPIRES_AT_MS, HANDED_OVER_AT_MS, ID, PAUSED_AT_MS

# --- what an item is, as a condition reads it --------------------------------------------------------------------------
NOTHING = f"attribute_not_exists({ID})"
#: Expired: absent to everyone (TTL deletes it later, at a moment nobody can rely on).
EXPIRED = f"{EXPIRES_AT_MS} <= :nowMs"
LIVE = f"{EXPIRES_AT_MS} > :nowMs"
OWN_TOKEN = "#token = :token"
NOT_HANDED_OVER = f"attribute_not_exists({HANDED_OVER_AT_MS})"
HANDED_OVER = f"attribute_exists({HANDED_OVER_AT_MS})"
#: This pause's own hand-over: a claim took its token (or it took an event) already; only it may answer again.
OWN_HAND_OVER = f"{OWN_TOKEN} AND {HANDED_OVER}"
#: This pause's own token, still waiting: a repeated run writes the same item again.
OWN_WAITING_TOKEN = f"{OWN_TOKEN} AND {NOT_HANDED_OVER}"
#: A pause waiting, not expired.
LIVE_WAITING_PAUSE = f"attribute_exists(#token) AND {NOT_HANDED_OVER} AND {LIVE}"
#: The pause began before the event's retention ended: an older event is no news of this pause's job (job ids are not
#: reused within EventRetentionSeconds of a job's last event). 0.1's pauses did not record when they began.
BEGAN_IN_TIME = f"(attribute_not_exists({PAUSED_AT_MS}) OR {PAUSED_AT_MS} < :usableUntilMs)"
#: An event nobody claimed yet, still within its retention.
LIVE_EARLY_EVENT = f"attribute_exists({EVENT}) AND attribute_not_exists(#token) AND {LIVE}"
#: A hand-over of the same workflow execution, still remembered: a pause that comes again on its job (after
#: States.Timeout, or SfnResume.PauseFailed) takes its event back.
OWN_EXECUTIONS_HAND_OVER = f"{EXECUTION_ID} = :executionId AND attribute_exists({EVENT}) AND {HANDED_OVER} AND {LIVE}"
#: This event's own claim: a repeated run, or a redelivery of the event, answers again.
OWN_CLAIM = f"{EVENT_ID} = :eventId AND {HANDED_OVER}"

# --- the writes --------------------------------------------------------------------------------------------------------
#: StoreToken (the pause): the job id is free (nothing, or an expired item that is not its own hand-over), or it holds
#: this pause's own waiting token. Anything else is left to ClaimEvent.
STORE_TOKEN = f"{NOTHING} OR ({OWN_WAITING_TOKEN}) OR ({EXPIRED} AND NOT ({OWN_HAND_OVER}))"
#: ClaimEvent (the pause, after StoreToken was refused): its own hand-over (any age), a live early event, or its own
#: execution's live hand-over.
CLAIM_EVENT = f"{OWN_TOKEN} OR ({LIVE_EARLY_EVENT}) OR ({OWN_EXECUTIONS_HAND_OVER})"
#: The claim writes the pause's token and execution; TTL keeps the item at least until the pause's own timeout (a
#: repeated run of this pause must find its hand-over, not store a waiting token again): `:timeoutSeconds` added.
CLAIM_EVENT_UPDATE = (f"SET #token = :token, {EXECUTION_ID} = :executionId, "
                      f"{HANDED_OVER_AT_MS} = if_not_exists({HANDED_OVER_AT_MS}, :nowMs), "
                      f"{EXPIRES_AT} = if_not_exists({EXPIRES_AT}, :zero) + :timeoutSeconds")
#: ReleaseToken (a pause that fails with SfnResume.PauseFailed): its own waiting token, if its write went through.
RELEASE_TOKEN = OWN_WAITING_TOKEN
#: ClaimToken (an event): a live waiting pause that began within the event's retention, or this event's own claim.
CLAIM_TOKEN = f"({LIVE_WAITING_PAUSE} AND {BEGAN_IN_TIME}) OR ({OWN_CLAIM})"
#: The claim keeps the event (trimmed), so that a pause of the same execution may take it back; the hand-over is
#: remembered for the event's retention, and TTL keeps it past the pause's timeout too (`:retentionSeconds` added to
#: the pause's own expiry).
CLAIM_TOKEN_UPDATE = (f"SET {EVENT_ID} = :eventId, outcome = :outcome, {EVENT} = :event, "
                      f"{HANDED_OVER_AT_MS} = if_not_exists({HANDED_OVER_AT_MS}, :nowMs), "
                      f"{EXPIRES_AT_MS} = :usableUntilMs, "
                      f"{EXPIRES_AT} = if_not_exists({EXPIRES_AT}, :zero) + :retentionSeconds")
#: StoreEarlyEvent (an event that found no token to claim): the job id is free.
STORE_EARLY_EVENT = f"{NOTHING} OR {EXPIRED}"
