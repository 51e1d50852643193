"""EventBridge's target input, as `redrive` and the emulator's bridge apply it (sfn_resume/transformer.py)."""

import json

import pytest

from sfn_resume.transformer import MISSING, path_value, target_input, transform_input

EVENT = {"id": "e-1", "source": "aws.translate", "time": "2026-01-02T03:04:05Z",
         "detail": {"jobId": "j\"1", "n": 3, "ids": ["a", "b"], "items": [{"id": 1}, {"id": 2}], "a-b/c_d": True}}
RULE = "arn:aws:events:us-east-1:123456789012:rule/SfnResume-X"


@pytest.mark.parametrize("path, value", [
    ("$.detail.jobId", 'j"1'),
    ("$.detail.ids[1]", "b"),
    ("$.detail.a-b/c_d", True),          # dashes, slashes and underscores are name characters
    ("$.detail.items[*].id", [1, 2]),    # a wildcard gives a list
    ("$.detail.items[0]", {"id": 1}),
    ("$", EVENT),
    ("$.detail.missing", MISSING),
    ("$.detail.ids[5]", MISSING),
    ("$.detail.jobId.deeper", MISSING),
])
def test_path_value(path, value):
    found = path_value(EVENT, path)
    assert found is MISSING if value is MISSING else found == value


@pytest.mark.parametrize("path", ["detail.jobId", "$..jobId", "$.detail[?(@.n)]", "$.detail['jobId']"])
def test_paths_outside_eventbridges_subset_are_refused(path):
    with pytest.raises(ValueError, match="not supported"):
        path_value(EVENT, path)


def test_variables_insert_json_values_outside_strings_and_text_inside():
    template = ('{"jobId": <jobId>, "quoted": "id=<jobId> n=<n>", "n": <n>, "nope": <nope>, "in": "<nope>", '
                '"ids": "<ids>", "rule": "<aws.events.rule-name>", "arn": <aws.events.rule-arn>}')
    paths = {"jobId": "$.detail.jobId", "n": "$.detail.n", "nope": "$.detail.missing", "ids": "$.detail.ids"}
    assert json.loads(transform_input(template, paths, EVENT, RULE)) == {
        "jobId": 'j"1', "quoted": 'id=j"1 n=3', "n": 3, "nope": None, "in": "", "ids": '["a","b"]',
        "rule": "SfnResume-X", "arn": RULE,
    }


def test_predefined_event_variables():
    given = json.loads(transform_input('{"all": <aws.events.event.json>, "meta": <aws.events.event>, '
                                       '"at": "<aws.events.event.ingestion-time>"}', {}, EVENT, RULE))
    assert given["all"] == EVENT
    assert given["meta"] == {key: value for key, value in EVENT.items() if key != "detail"}
    assert given["at"] == EVENT["time"]


def test_the_templates_transformer_gives_the_machines_event_id_job_id_and_event():
    from sfn_resume.resources import input_transformer

    transformer = input_transformer("$.detail.jobId").to_dict()
    given = json.loads(target_input({"Arn": "m", "InputTransformer": transformer}, EVENT, RULE))
    # the event's id at the top as well: what LocalStack names the execution by
    assert given == {"id": EVENT["id"], "jobId": 'j"1', "event": EVENT}


@pytest.mark.parametrize("target, given", [
    ({"Input": '{"constant": 1}'}, {"constant": 1}),
    ({"InputPath": "$.detail.n"}, 3),
    ({"InputPath": "$.detail.missing"}, None),
    ({}, EVENT),  # no transformation: the whole event
])
def test_target_input_without_a_transformer(target, given):
    assert json.loads(target_input({"Arn": "m", **target}, EVENT, RULE)) == given
