"""Bridge for moto 5.2.5's DynamoDB: conditional writes, atomic as on AWS (gap 18 in docs/EMULATOR.md)."""
from __future__ import annotations

import threading

from sfn_resume.local.patching import Patches, bridge

#: DynamoDBResponse methods that read an item, check a condition and write, each in one request.
_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")


@bridge("dynamodb-atomic-writes", gap="18: a conditional write is not atomic across threads (two claims both succeed)")
def bridge_dynamodb_atomic_writes(patches: Patches) -> None:
    """Serialise DynamoDB's write requests, so that a condition and its write happen as one step.

    moto reads the item, evaluates the ConditionExpression and then writes, with no lock; the executions of the
    embedded emulator run in threads, so two resume runs' `ClaimToken` (`attribute_exists(#token)`, then REMOVE) can
    both see the token and both succeed, and the paused workflow is answered twice. DynamoDB applies each
    conditional write atomically. The lock wraps the whole request, since moto reads the ALL_OLD values in the
    response handler, outside the backend's write.

    Gap 18 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.dynamodb.responses import DynamoHandler

    lock = threading.RLock()

    def serialised(original):
        def write(self, *args, **kwargs):
            with lock:
                return original(self, *args, **kwargs)
        return write

    for name in _WRITES:
        patches.set(DynamoHandler, name, serialised(getattr(DynamoHandler, name)))
