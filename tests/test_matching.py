"""EventBridge matching in plain Python (`check` from the base install) agrees with moto's matcher, which agreed
with AWS on every operator tried: on every pattern and sample event of the catalogue, and on each operator."""

import json

import pytest
from moto.events.models import EventPattern

from sfn_resume import load_config
from sfn_resume.matching import matches

from .helpers import EXAMPLES, SERVICE_EXAMPLES

EVENTS = sorted(EXAMPLES.glob("*/events/*.json"))
PATTERNS = [(f"{config.parent.name}:{key}", pattern) for config in SERVICE_EXAMPLES
            for instance in load_config(config).instances
            for key, pattern in (("eventPattern", instance.eventPattern),
                                 ("failureEventPattern", instance.failureEventPattern)) if pattern]


def moto_matches(pattern: dict, event: dict) -> bool:
    return EventPattern.load(json.dumps(pattern)).matches_event(event)


@pytest.mark.parametrize("name, pattern", PATTERNS, ids=[name for name, _ in PATTERNS])
def test_every_catalogue_pattern_on_every_sample_event(name, pattern):
    verdicts = {event.relative_to(EXAMPLES).as_posix(): matches(pattern, json.loads(event.read_text()))
                for event in EVENTS}
    assert verdicts == {path: moto_matches(pattern, json.loads((EXAMPLES / path).read_text())) for path in verdicts}
    service, key = name.split(":")
    assert verdicts[f"{service}/events/{'success' if key == 'eventPattern' else 'failure'}.json"]


EVENT = {"source": "aws.x", "detail": {"status": "FAILED", "code": 7, "ratio": 0.5, "flag": True, "none": None,
                                       "tags": ["a", "b"], "ip": "10.0.1.5", "name": "Job-Alpha.json", "empty": {}}}
OPERATORS = [
    {"detail": {"status": ["FAILED"]}}, {"detail": {"status": ["failed"]}},
    {"detail": {"code": [7]}}, {"detail": {"code": ["7"]}}, {"detail": {"none": [None]}},
    {"detail": {"tags": ["b"]}}, {"detail": {"tags": ["c"]}},
    {"detail": {"status": [{"prefix": "FAI"}]}}, {"detail": {"status": [{"prefix": {"equals-ignore-case": "fai"}}]}},
    {"detail": {"name": [{"suffix": ".json"}]}}, {"detail": {"name": [{"suffix": {"equals-ignore-case": ".JSON"}}]}},
    {"detail": {"status": [{"anything-but": "FAILED"}]}}, {"detail": {"status": [{"anything-but": ["OK", "DONE"]}]}},
    {"detail": {"status": [{"anything-but": {"prefix": "FA"}}]}}, {"detail": {"missing": [{"anything-but": "x"}]}},
    {"detail": {"code": [{"numeric": [">", 5, "<=", 7]}]}}, {"detail": {"ratio": [{"numeric": ["<", 0.5]}]}},
    {"detail": {"status": [{"numeric": [">", 0]}]}},
    {"detail": {"missing": [{"exists": False}]}}, {"detail": {"missing": [{"exists": True}]}},
    {"detail": {"none": [{"exists": True}]}}, {"detail": {"status": [{"exists": False}]}},
    {"detail": {"status": [{"equals-ignore-case": "failed"}]}},
    {"detail": {"name": [{"wildcard": "Job-*.json"}]}}, {"detail": {"name": [{"wildcard": "Job-*.txt"}]}},
    {"detail": {"ip": [{"cidr": "10.0.0.0/16"}]}}, {"detail": {"ip": [{"cidr": "10.1.0.0/16"}]}},
    {"$or": [{"detail": {"status": ["OK"]}}, {"detail": {"code": [7]}}]},
    {"$or": [{"detail": {"status": ["OK"]}}, {"detail": {"code": [8]}}]},
    {"source": ["aws.x"], "detail": {"nested": {"deeper": [{"exists": False}]}}},
    {"detail": {"empty": [{"exists": True}]}},
]


@pytest.mark.parametrize("pattern", OPERATORS, ids=json.dumps)
def test_each_operator_as_moto_matches_it(pattern):
    assert matches(pattern, EVENT) == moto_matches(pattern, EVENT)


def test_a_bool_is_no_number():
    """JSON types are kept apart as EventBridge does (moto, in Python, takes `true` for 1)."""
    assert not matches({"detail": {"flag": [1]}}, EVENT)
    assert matches({"detail": {"flag": [True]}}, EVENT)
    assert not matches({"detail": {"flag": [{"numeric": [">", 0]}]}}, EVENT)
