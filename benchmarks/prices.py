"""The price model: list prices (us-east-1, on-demand) with the page each comes from, and every assumption the
model makes, in one place. `python -m benchmarks` prices what the emulator measured with these.

Prices as listed on these pages in November 2026 (recorded then; this machine has no network to read the pages
again). Free tiers are ignored.
"""

from __future__ import annotations

import math

PRICED_IN = "2026-11"
PAGES = {
    "Step Functions": "https://aws.amazon.com/step-functions/pricing/",
    "DynamoDB on-demand": "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    "CloudWatch Logs": "https://aws.amazon.com/cloudwatch/pricing/",
    "X-Ray": "https://aws.amazon.com/xray/pricing/",
    "EventBridge": "https://aws.amazon.com/eventbridge/pricing/",
}

STANDARD_PER_TRANSITION = 0.025 / 1000
EXPRESS_PER_REQUEST = 1.00 / 1_000_000
EXPRESS_PER_GB_SECOND = 0.00001667
EXPRESS_MEMORY_GB = 64 / 1024  # the minimum, which these small machines use
EXPRESS_UNIT_SECONDS = 0.1  # Express duration is billed in 100 ms units
DYNAMODB_PER_WRU = 0.625 / 1_000_000  # since 2024-11-01
DYNAMODB_PER_RRU = 0.125 / 1_000_000
LOGS_PER_GB = 0.50  # ingestion; Step Functions' logs are vended logs, whose first tier is this price
XRAY_PER_TRACE = 5.00 / 1_000_000
#: AWS service events on the default bus, and the rules' deliveries to their targets, cost nothing.
EVENTBRIDGE_PER_EVENT = 0.0

#: X-Ray's default sampling rule records the first request each second, then 5%: at a steady volume above one
#: trace a second, 5% of traces. (Below that, every trace: the README says what that adds.)
XRAY_SAMPLED_FRACTION = 0.05
#: A task token, as Step Functions hands it out, is several hundred characters (the emulator's are UUIDs): items
#: are sized with tokens of this length. `token_break_even` says at which length an item crosses 1 KB.
TASK_TOKEN_CHARS = 700
#: Which history events a machine logs, by its log level: ERROR logs failures only (of a task, caught or not, of
#: an execution), ALL logs every event.
ERROR_EVENT_SUFFIXES = ("Failed", "TimedOut", "Aborted")


def logged(event_type: str, level: str) -> bool:
    return level == "ALL" or event_type.endswith(ERROR_EVENT_SUFFIXES) or event_type == "FailStateEntered"


def express_billed_seconds(seconds: float) -> float:
    """An Express run's billed duration: rounded up to the next 100 ms unit."""
    return max(1, math.ceil(round(seconds / EXPRESS_UNIT_SECONDS, 6))) * EXPRESS_UNIT_SECONDS


def express_run(seconds: float) -> float:
    return EXPRESS_PER_REQUEST + express_billed_seconds(seconds) * EXPRESS_MEMORY_GB * EXPRESS_PER_GB_SECOND


def number_size(text: str) -> int:
    """DynamoDB's size of a Number: about one byte per two significant digits, plus one."""
    digits = text.lstrip("-").replace(".", "").strip("0") or "0"
    return (len(digits) + 1) // 2 + 1


def item_size(attributes: dict) -> int:
    """DynamoDB's size of an item in its JSON form ({"name": {"S": ...}}): names plus values, a `token` of
    TASK_TOKEN_CHARS characters."""
    size = 0
    for name, value in attributes.items():
        size += len(name.encode())
        (kind, data), = value.items()
        if name == "token":
            size += TASK_TOKEN_CHARS
        elif kind == "S":
            size += len(data.encode())
        elif kind == "N":
            size += number_size(data)
        else:  # BOOL, NULL
            size += 1
    return size


def write_units(*sizes: int) -> int:
    """A write's request units: one per started KB of the larger of the item before and after (a write whose
    condition fails is charged too)."""
    return max(1, math.ceil(max(sizes) / 1024))


def read_units(size: int, consistent: bool = False) -> float:
    """A read's request units: one per started 4 KB, half of that eventually consistent."""
    units = max(1, math.ceil(size / 4096))
    return units if consistent else units / 2
