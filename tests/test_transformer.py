"""EventBridge's target input, as `redrive` and the emulator's bridge apply it (sfn_resume/transformer.py)."""

import json

import pytest

from sfn_resume.transformer import MISSING, InputTransformError, path_value, target_input, transform_input

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
                '"rule": "<aws.events.rule-name>", "arn": <aws.events.rule-arn>}')
    paths = {"jobId": "$.detail.jobId", "n": "$.detail.n", "nope": "$.detail.missing"}
    assert json.loads(transform_input(template, paths, EVENT, RULE)) == {
        "jobId": 'j"1', "quoted": 'id=j"1 n=3', "n": 3, "nope": "", "in": "", "rule": "SfnResume-X", "arn": RULE,
    }


def test_predefined_event_variables():
    given = json.loads(transform_input('{"all": <aws.events.event.json>, "meta": <aws.events.event>, '
                                       '"at": "<aws.events.event.ingestion-time>"}', {}, EVENT, RULE))
    assert given["all"] == EVENT
    assert given["meta"] == {"version": "0", "id": "e-1", "detailType": None, "source": "aws.translate",
                             "account": None, "time": EVENT["time"], "region": None, "resources": []}
    assert given["at"] == EVENT["time"]


# What EventBridge delivered, recorded against AWS: LocalStack v4.14.0,
# tests/aws/services/events/test_events_inputs.py and .snapshot.json (Apache-2.0; recorded 2024-2025), the event's
# detail SPECIAL_EVENT_DETAIL and the InputPathsMap of test_input_transformer_nested_keys_replacement.
RECORDED_EVENT = {"id": "e-2", "source": "core.update-account-command", "detail-type": "core.update-account-command",
                  "account": "111111111111", "time": "2024-12-13T18:03:12Z", "region": "us-east-1", "resources": [],
                  "version": "0",
                  "detail": {"command": "update-account", "payload": {"acc_id": "0a787ecb-4015", "sf_id": "baz"},
                             "listsingle": ["HIGH"], "listmulti": ["ACTIVE", "INACTIVE"], "valid": True}}
RECORDED_PATHS = {"userId": "$.detail.payload.acc_id", "payload": "$.detail.payload",
                  "systemstring": "$.detail.awsAccountId", "listsingle": "$.detail.listsingle",
                  "listmulti": "$.detail.listmulti", "valid": "$.detail.valid"}
PAYLOAD = {"acc_id": "0a787ecb-4015", "sf_id": "baz"}


@pytest.mark.parametrize("template, delivered", [
    ('{"method": "PUT", "path": "users-service/users/<userId>", "bod": <payload>}',
     {"method": "PUT", "path": "users-service/users/0a787ecb-4015", "bod": PAYLOAD}),
    ('"Payload of <payload> with path users-service/users/<userId> and <userId>"',
     '"Payload of {acc_id:0a787ecb-4015,sf_id:baz} with path users-service/users/0a787ecb-4015 and 0a787ecb-4015"'),
    ('{"id" : <userId>}', {"id": "0a787ecb-4015"}),
    ('{"id" : "<userId>"}', {"id": "0a787ecb-4015"}),
    ('{"method": "PUT", "path": "users-service/users/<userId>", "id": <userId>, "body": <payload>}',
     {"method": "PUT", "path": "users-service/users/0a787ecb-4015", "id": "0a787ecb-4015", "body": PAYLOAD}),
    ('{"method": "PUT", "path": "users-service/users/<userId>", "bod": [<userId>, "hardcoded"]}',
     {"method": "PUT", "path": "users-service/users/0a787ecb-4015", "bod": ["0a787ecb-4015", "hardcoded"]}),
    # the conformance lane cannot compare these two (its pytest names the cases input_template6 and 10)
    ('{"method": "PUT", "nested": {"level1": {"level2": {"level3": "users-service/users/<userId>"} } }, '
     '"bod": "<userId>"}',
     {"method": "PUT", "nested": {"level1": {"level2": {"level3": "users-service/users/0a787ecb-4015"}}},
      "bod": "0a787ecb-4015"}),
    ('"<listsingle> single list item <listmulti> multiple list items <systemstring> system account id '
     '<payload> payload <userId> user id"',
     '"[HIGH] single list item [ACTIVE,INACTIVE] multiple list items  system account id '
     '{acc_id:0a787ecb-4015,sf_id:baz} payload 0a787ecb-4015 user id"'),
    ('"<listsingle> single list item"', '"[HIGH] single list item"'),
    ('"<listmulti> multiple list items"', '"[ACTIVE,INACTIVE] multiple list items"'),
    ('{"singlelistitem": <listsingle>}', {"singlelistitem": ["HIGH"]}),
    ('{"multi_replacement": "users/<userId>/second/<userId>"}',
     {"multi_replacement": "users/0a787ecb-4015/second/0a787ecb-4015"}),
    ('"Command is <valid>!"', '"Command is true!"'),
    # several quoted lines: text, not one JSON value (recorded 2024-12-13)
    ('"<listsingle> single list item"\n"<listmulti> multiple list items"\n"<systemstring> system account id"\n'
     '"<payload> payload"\n"<userId> user id"',
     '"[HIGH] single list item"\n"[ACTIVE,INACTIVE] multiple list items"\n" system account id"\n'
     '"{acc_id:0a787ecb-4015,sf_id:baz} payload"\n"0a787ecb-4015 user id"'),
])
def test_recorded_transformations(template, delivered):
    text = transform_input(template, RECORDED_PATHS, RECORDED_EVENT, RULE)
    assert (json.loads(text) if isinstance(delivered, dict) else text) == delivered


@pytest.mark.parametrize("template", [
    '{"not_valid": "users-service/users/<payload>", "bod": <payload>}',
    '{"payload": "<payload>"}',             # an object inside a string of a JSON template
    '{"singlelistitem": "<listsingle>"}',   # a list inside a string of a JSON template
])
def test_recorded_transformations_that_deliver_nothing(template):
    with pytest.raises(InputTransformError, match="inserts one only outside a string"):
        transform_input(template, RECORDED_PATHS, RECORDED_EVENT, RULE)


def test_recorded_missing_paths_insert_an_empty_string():
    """test_put_events_with_input_transformer_input_template_json/string, "not-match-all" (recorded 2024-06-11)."""
    paths = {"detail-type": "$.detail-type", "timestamp": "$.time", "command": "$.detail.notinmessage"}
    as_json = transform_input('{"detailType": <detail-type>,  "time": <timestamp>, "command": <command>}', paths,
                              RECORDED_EVENT, RULE)
    assert json.loads(as_json) == {"detailType": "core.update-account-command", "time": RECORDED_EVENT["time"],
                                   "command": ""}
    as_text = transform_input('"Event of <detail-type> type, at time <timestamp>, info extracted from detail '
                              '<command>"', paths, RECORDED_EVENT, RULE)
    assert as_text == f'"Event of core.update-account-command type, at time {RECORDED_EVENT["time"]}, ' \
                      'info extracted from detail "'


def test_recorded_predefined_variables():
    """test_input_transformer_predefined_variables (recorded 2024-06-11): the rule, its name, the event's time;
    `<aws.events.event>` is the metadata without `detail`, the detail type as `detailType`."""
    rule = "arn:aws:events:us-east-1:111111111111:rule/bus/the-rule"
    text = transform_input('"Message containing all pre defined variables <aws.events.rule-arn> '
                           '<aws.events.rule-name> <aws.events.event.ingestion-time>"', {}, RECORDED_EVENT, rule)
    assert text == f'"Message containing all pre defined variables {rule} the-rule {RECORDED_EVENT["time"]}"'
    given = json.loads(transform_input('{"originalEvent": <aws.events.event>, '
                                       '"originalEventJson": <aws.events.event.json>}', {}, RECORDED_EVENT, rule))
    assert given["originalEventJson"] == RECORDED_EVENT
    assert given["originalEvent"] == {"id": "e-2", "account": "111111111111",
                                      "detailType": "core.update-account-command", "time": RECORDED_EVENT["time"],
                                      "source": "core.update-account-command", "region": "us-east-1",
                                      "resources": [], "version": "0"}


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
