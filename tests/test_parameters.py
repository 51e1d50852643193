"""The generic template's Parameters accept and reject the same sample values as the config validation.

CloudFormation applies AllowedPattern to the whole value (Java regex); `re.fullmatch` does the same here.
"""

import json
import re

import pytest

from sfn_resume import ConfigError, parse_config

from .helpers import MINIMAL

# (parameter, config key, sample value as a string parameter would carry it, accepted?)
SAMPLES = [
    ("NameSuffix", "nameSuffix", "TranslationTranslateResume", True),
    ("NameSuffix", "nameSuffix", "a-b_C9", True),
    ("NameSuffix", "nameSuffix", "a" * 49, True),
    ("NameSuffix", "nameSuffix", "a" * 50, False),
    ("NameSuffix", "nameSuffix", "with space", False),
    ("NameSuffix", "nameSuffix", "dot.ted", False),
    ("NameSuffix", "nameSuffix", "", False),
    ("PathToIdPauseTask", "pathToIdPauseTask", "$.startJob.JobId", True),
    ("PathToIdPauseTask", "pathToIdPauseTask", "$.a[0].b", True),
    ("PathToIdPauseTask", "pathToIdPauseTask", "$", False),
    ("PathToIdPauseTask", "pathToIdPauseTask", "startJob.JobId", False),
    ("PathToIdPauseTask", "pathToIdPauseTask", "$.a[*].b", False),
    ("PathToIdPauseTask", "pathToIdPauseTask", "$..b", False),
    ("PathToIdWorkflow", "pathToIdWorkflow", "$.detail.jobId", True),
    ("PathToIdWorkflow", "pathToIdWorkflow", "$.detail.job-id", True),
    ("PathToIdWorkflow", "pathToIdWorkflow", "$.detail[?(@.id)]", False),
    ("ResultPath", "resultPath", "$.job", True),
    ("ResultPath", "resultPath", "$", True),
    ("ResultPath", "resultPath", "$.a[0]", False),
    ("ResultPath", "resultPath", "job", False),
    ("KmsKeyArn", "kmsKeyArn", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", True),
    ("KmsKeyArn", "kmsKeyArn", "arn:aws-cn:kms:cn-north-1:123456789012:key/1234abcd", True),
    ("KmsKeyArn", "kmsKeyArn", "alias/aws/dynamodb", False),
    ("AlarmTopicArn", "alarmTopicArn", "arn:aws:sns:us-east-1:123456789012:ops-alerts", True),
    ("AlarmTopicArn", "alarmTopicArn", "arn:aws-us-gov:sns:us-gov-west-1:123456789012:ops_alerts-2", True),
    ("AlarmTopicArn", "alarmTopicArn", "arn:aws:sns:us-east-1:123456789012:ops.alerts", False),
    ("AlarmTopicArn", "alarmTopicArn", "ops-alerts", False),
    ("EventPattern", "eventPattern", '{"source": ["aws.translate"]}', True),
    ("EventPattern", "eventPattern", '["aws.translate"]', False),
    ("EventPattern", "eventPattern", "aws.translate", False),
    ("FailureEventPattern", "failureEventPattern", '{"source": ["aws.translate"], "detail": {"s": ["FAILED"]}}', True),
    ("FailureEventPattern", "failureEventPattern", '"FAILED"', False),
]
# Structural pattern errors (a leaf that is not a list, an unknown operator) cannot be expressed as a regex:
# the Parameter lets them through and EventBridge's PutRule refuses them at deploy time. `sfn-resume check`
# and the config validation catch them before.

NUMBERS = [
    ("TimeoutSeconds", "timeoutSeconds", 1, True),
    ("TimeoutSeconds", "timeoutSeconds", 31_536_000, True),
    ("TimeoutSeconds", "timeoutSeconds", 0, False),
    ("TimeoutSeconds", "timeoutSeconds", 31_536_001, False),
    ("EventRetentionSeconds", "eventRetentionSeconds", 60, True),
    ("EventRetentionSeconds", "eventRetentionSeconds", 59, False),
    ("LogRetentionDays", "logRetentionDays", 365, True),
    ("LogRetentionDays", "logRetentionDays", 364, False),
]


def config_accepts(key: str, value) -> bool:
    if key.endswith("ventPattern"):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return False  # the config would be a YAML string: not an object either
    try:
        parse_config({**MINIMAL, key: value})
        return True
    except ConfigError:
        return False


def parameter_accepts(parameter: dict, value) -> bool:
    if parameter["Type"] == "Number":
        low, high = parameter.get("MinValue", float("-inf")), parameter.get("MaxValue", float("inf"))
        return low <= value <= high and ("AllowedValues" not in parameter or value in parameter["AllowedValues"])
    text = str(value)
    return (parameter.get("MinLength", 0) <= len(text) <= parameter.get("MaxLength", 4096)
            and re.fullmatch(parameter["AllowedPattern"], text) is not None)


@pytest.mark.parametrize("parameter, key, value, accepted", SAMPLES + NUMBERS,
                         ids=[f"{p}={str(v)[:30]}" for p, _, v, _ in SAMPLES + NUMBERS])
def test_parameter_and_config_agree(generic_template, parameter, key, value, accepted):
    assert parameter_accepts(generic_template["Parameters"][parameter], value) is accepted
    assert config_accepts(key, value) is accepted
