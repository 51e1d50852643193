"""Finding a deployed instance: boto3 clients, AWS's errors as one line each, and the instance a stack's outputs
describe (its table, machines, queue and event retention). Every command of the package starts here.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Iterator

from .. import names
from ..config import ConfigError
from ..patterns import show


class OperateError(ConfigError):
    """Why a command cannot answer, in one line (the CLI exits 2)."""

    def __init__(self, message: str):
        super().__init__([message])


class AwsError(OperateError):
    """AWS (or the endpoint) refused or did not answer: the CLI exits 3, so a script can tell it from a usage error."""

    from_aws = True


# --- connecting

class Clients:
    """boto3 clients of one session, made once each, with short timeouts: an endpoint that does not answer is
    reported in seconds rather than after botocore's default retries."""

    def __init__(self, session: Any, config: Any) -> None:
        self._session, self._config, self._clients = session, config, {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._session.client(service, config=self._config)
        return self._clients[service]


def connect() -> Clients:
    """Clients for whatever boto3 is configured for: AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL (`sfn-resume local`)."""
    import boto3
    from botocore.config import Config

    return Clients(boto3.Session(), Config(connect_timeout=5, read_timeout=30,
                                           retries={"mode": "standard", "max_attempts": 2}))


@contextlib.contextmanager
def aws_errors() -> Iterator[None]:
    """What botocore raises, as one line: no region or credentials (OperateError, a usage error), or AWS refusing
    or not answering (AwsError)."""
    try:
        from botocore import exceptions
    except ImportError:
        raise OperateError("this command needs boto3: pip install 'sfn-resume[aws]'") from None
    try:
        yield
    except exceptions.NoRegionError:
        raise OperateError("no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION, or a region in your profile)") from None
    except (exceptions.NoCredentialsError, exceptions.PartialCredentialsError):
        raise OperateError("no AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") from None
    except (exceptions.ConnectionError, exceptions.HTTPClientError) as error:  # refused, timed out, no such host
        endpoint = error.kwargs.get("endpoint_url", "the endpoint")
        raise AwsError(f"{endpoint} does not answer ({type(error).__name__}); check AWS_ENDPOINT_URL and the "
                       "network (for the emulator: is `sfn-resume local` running?)") from None
    except exceptions.ClientError as error:
        raise AwsError(f"{error.operation_name}: {error_text(error)}") from None
    except exceptions.BotoCoreError as error:
        raise AwsError(str(error)) from None


def error_code(error: Any) -> str | None:
    """The AWS error code of a botocore ClientError (`ValidationError`, `ExecutionDoesNotExist`, ...): what the
    commands compare, never the message, which AWS may reword."""
    return error.response.get("Error", {}).get("Code")


def error_text(error: Any) -> str:
    details = error.response.get("Error", {})
    return f"{details.get('Code', 'Error')}: {details.get('Message', '')}".rstrip(": ")


# --- the instance

#: The outputs that make a stack an sfn-resume instance; a config-built template prefixes them with the instance's
#: logical prefix (`TranslationTranslateResumeTableName`), one set per instance.
REQUIRED_OUTPUTS = (names.OUTPUT_TABLE_NAME, names.OUTPUT_RESUME_STATE_MACHINE_ARN, names.OUTPUT_DEAD_LETTER_QUEUE_URL)
#: The generic template's Parameter of the event retention: read when the stack predates its output.
RETENTION_PARAMETER = "EventRetentionSeconds"


@dataclass(frozen=True)
class Instance:
    """One sfn-resume instance, as its stack's outputs describe it."""

    stack: str
    table_name: str
    resume_state_machine_arn: str
    dead_letter_queue_url: str
    pause_state_machine_arn: str | None = None  # 0.1's stacks had no pause machine
    event_retention_seconds: int | None = None  # None: the stack does not say (a config-built 0.2 stack)
    fail_state_machine_arn: str | None = None  # from 0.4, where the instance has a failure pattern

    @property
    def name_suffix(self) -> str:
        """The table is named for the suffix (the resume machine's name depends on its type); every other name
        derives from it (names.py)."""
        prefix, _, end = names.physical_name("table", "\0").partition("\0")
        return self.table_name.removeprefix(prefix).removesuffix(end)

    def physical_name(self, kind: str) -> str:
        return names.physical_name(kind, self.name_suffix)

    @property
    def rule_arns(self) -> tuple[str, ...]:
        """The ARNs of this instance's rules (success and failure events), on the default bus of the machines'
        partition, region and account."""
        _, partition, _, region, account, *_ = self.resume_state_machine_arn.split(":")
        return tuple(f"arn:{partition}:events:{region}:{account}:rule/{self.physical_name(kind)}"
                     for kind in ("resume rule", "fail rule"))

    @property
    def alarm_prefix(self) -> str:
        """What the names of this instance's alarms begin with."""
        return self.physical_name(names.RUNS_FAILED_ALARM).removesuffix("RunsFailed")

    @property
    def queue_name(self) -> str:
        return self.dead_letter_queue_url.rstrip("/").rpartition("/")[2]

    @property
    def log_group(self) -> str:
        return self.physical_name("log group")


def find_instance(aws: Any, stack: str, name_suffix: str | None = None) -> Instance:
    """The instance a stack holds (or its instance `name_suffix`, when it holds several)."""
    from botocore.exceptions import ClientError

    cloudformation = aws.client("cloudformation")
    try:
        (described,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        # DescribeStacks answers ValidationError for a stack that is not there (and for a name no stack can have)
        if error_code(error) != "ValidationError":
            raise
        raise OperateError(f"--stack: {show(stack)} does not exist in {cloudformation.meta.region_name} "
                           f"({cloudformation.meta.endpoint_url}): {error_text(error)}") from None
    outputs = {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs") or []}
    parameters = {parameter["ParameterKey"]: parameter.get("ParameterValue")
                  for parameter in described.get("Parameters") or []}
    resume = names.OUTPUT_RESUME_STATE_MACHINE_ARN
    prefixes = [key[:-len(resume)] for key in sorted(outputs) if key.endswith(resume)]
    instances = [Instance(stack, outputs[prefix + names.OUTPUT_TABLE_NAME], outputs[prefix + resume],
                          outputs[prefix + names.OUTPUT_DEAD_LETTER_QUEUE_URL],
                          outputs.get(prefix + names.OUTPUT_PAUSE_STATE_MACHINE_ARN),
                          _retention(outputs.get(prefix + names.OUTPUT_EVENT_RETENTION_SECONDS),
                                     parameters.get(RETENTION_PARAMETER) if len(prefixes) == 1 else None),
                          outputs.get(prefix + names.OUTPUT_FAIL_STATE_MACHINE_ARN))
                 for prefix in prefixes if all(prefix + output in outputs for output in REQUIRED_OUTPUTS)]
    if not instances:
        raise OperateError(_no_instance(stack, described))
    suffixes = [instance.name_suffix for instance in instances]
    if name_suffix is not None:
        if name_suffix not in suffixes:
            raise OperateError(f"--instance: {show(name_suffix)} is not in stack {show(stack)}; choose one of "
                               f"{', '.join(suffixes)}")
        return instances[suffixes.index(name_suffix)]
    if len(instances) > 1:
        raise OperateError(f"--instance: stack {show(stack)} holds {len(instances)} instances; choose one of "
                           f"{', '.join(suffixes)}")
    return instances[0]


#: Stack statuses in which a stack holds no outputs: its creation failed, or has not finished.
_ROLLED_BACK = ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "ROLLBACK_IN_PROGRESS", "CREATE_FAILED")
_BEING_CREATED = ("CREATE_IN_PROGRESS", "REVIEW_IN_PROGRESS")


def _no_instance(stack: str, described: dict) -> str:
    """Why a stack holds no instance: its creation rolled back or is under way, or it is no sfn-resume stack."""
    status = described.get("StackStatus", "")
    if status in _ROLLED_BACK:
        return (f"--stack: {show(stack)} rolled back ({status}): its creation failed, so it holds no instance; "
                f"`aws cloudformation describe-stack-events --stack-name {stack}` says why (its first CREATE_FAILED), "
                "then delete the stack and deploy again")
    if status in _BEING_CREATED:
        return f"--stack: {show(stack)} is still being created ({status}): try again once it is CREATE_COMPLETE"
    return (f"--stack: {show(stack)} is not an sfn-resume stack: it has no {', '.join(REQUIRED_OUTPUTS)} outputs "
            "(for nested stacks, give the child stack's name)")


def _retention(output: str | None, parameter: str | None) -> int | None:
    """The stack's `EventRetentionSeconds` output; for a generic stack deployed before it had one, its Parameter of
    the same name (a stack of one instance only: a config-built template has no such Parameter)."""
    for text in (output, parameter):
        if text is not None and text.isascii() and text.isdigit():
            return int(text)
    return None
