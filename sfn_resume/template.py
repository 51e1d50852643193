"""The generic parameterized template, config-built templates, and `add_sfn_resume` for existing templates."""

from __future__ import annotations

import json
from dataclasses import dataclass

from troposphere import (And, Condition, Equals, GetAtt, If, Join, Not, NoValue, Parameter, Ref, Select,
                         Split, Sub, Template)

from . import __version__, alarms, asl, names, render
from .config import (
    LOG_LEVELS,
    LOG_RETENTION_DAYS,
    MAX_TIMEOUT_SECONDS,
    KMS_KEY_ARN_PATTERN,
    REFERENCE_PATH_PATTERN,
    REMOVAL_POLICIES,
    SNS_TOPIC_ARN_PATTERN,
    Config,
    ConfigError,
    InstanceConfig,
)
from .names import MAX_SUFFIX_LENGTH, SUFFIX_PATTERN, logical_prefix
from .patterns import MAX_PATTERN_CHARS
from .resources import Instance, InstanceSpec, add_exported_output, add_instance, event_pattern_value

DESCRIPTION = "sfn-resume {version}: pause a Step Functions workflow until its job's EventBridge event"

# Deploy-time patterns of the generic template's Parameters; tests check they agree with config validation.
EVENT_PATTERN_PARAMETER_PATTERN = r"^\s*\{[\s\S]*\}\s*$"
OPTIONAL_EVENT_PATTERN_PARAMETER_PATTERN = r"^(\s*\{[\s\S]*\}\s*)?$"
OPTIONAL_RESULT_PATH_PARAMETER_PATTERN = r"^(\$(\.[A-Za-z0-9_][A-Za-z0-9_-]*)*)?$"


def _optional(pattern: str) -> str:
    """A config value's `^...$` pattern for an optional Parameter: the same, or empty."""
    return f"^({pattern.removeprefix('^').removesuffix('$')})?$"


OPTIONAL_KMS_KEY_ARN_PARAMETER_PATTERN = _optional(KMS_KEY_ARN_PATTERN)
OPTIONAL_SNS_TOPIC_ARN_PARAMETER_PATTERN = _optional(SNS_TOPIC_ARN_PATTERN)

#: Parameters of the generic template: name → (troposphere keyword arguments, label, group).
GENERIC_PARAMETERS = {
    "NameSuffix": (dict(
        Type="String", MinLength=1, MaxLength=MAX_SUFFIX_LENGTH, AllowedPattern=SUFFIX_PATTERN,
        Description="REQUIRED: suffix of every resource name (e.g. TranslateResume); one stack per service. Not "
                    "for a live stack to change: it names the table of the paused workflows (README).",
        ConstraintDescription=f"1 to {MAX_SUFFIX_LENGTH} letters, digits, '-' or '_'."),
        "Name suffix", "Instance"),
    "PathToIdPauseTask": (dict(
        Type="String", MinLength=2, MaxLength=1024, AllowedPattern=REFERENCE_PATH_PATTERN,
        Description="REQUIRED: JSONPath to the job id in the state at the pause (e.g. $.startJob.JobId).",
        ConstraintDescription="a plain JSONPath such as $.a.b or $.a[0].b."),
        "Job id in the workflow state", "Instance"),
    "PathToIdWorkflow": (dict(
        Type="String", MinLength=2, MaxLength=1024, AllowedPattern=REFERENCE_PATH_PATTERN,
        Description="REQUIRED: JSONPath to the job id in the job's event (e.g. $.detail.jobId).",
        ConstraintDescription="a plain JSONPath such as $.detail.jobId."),
        "Job id in the event", "Instance"),
    "EventPattern": (dict(
        Type="String", MinLength=2, MaxLength=MAX_PATTERN_CHARS, AllowedPattern=EVENT_PATTERN_PARAMETER_PATTERN,
        Description="REQUIRED: EventBridge pattern (JSON) of the job's success event.",
        ConstraintDescription=f"a JSON object of at most {MAX_PATTERN_CHARS} characters."),
        "Success event pattern", "Events"),
    "FailureEventPattern": (dict(
        Type="String", Default="", MaxLength=MAX_PATTERN_CHARS, AllowedPattern=OPTIONAL_EVENT_PATTERN_PARAMETER_PATTERN,
        Description="Optional: EventBridge pattern (JSON) of the job's failure events; they fail the pause with "
                    f"{asl.JOB_FAILED_ERROR}. Empty: none.",
        ConstraintDescription=f"empty, or a JSON object of at most {MAX_PATTERN_CHARS} characters."),
        "Failure event pattern", "Events"),
    "TimeoutSeconds": (dict(
        Type="Number", Default=86_400, MinValue=1, MaxValue=MAX_TIMEOUT_SECONDS,
        Description="Optional: seconds the pause waits before States.Timeout (default one day).",
        ConstraintDescription=f"a whole number from 1 to {MAX_TIMEOUT_SECONDS}."),
        "Pause timeout (seconds)", "Pause state"),
    "HeartbeatSeconds": (dict(
        Type="Number", Default=0, MinValue=0, MaxValue=MAX_TIMEOUT_SECONDS - 1,
        Description="Optional: the pause's heartbeat timeout, below TimeoutSeconds; 0 (default): none.",
        ConstraintDescription=f"a whole number from 0 to {MAX_TIMEOUT_SECONDS - 1}."),
        "Pause heartbeat (seconds)", "Pause state"),
    "ResultPath": (dict(
        Type="String", Default="", MaxLength=1024, AllowedPattern=OPTIONAL_RESULT_PATH_PARAMETER_PATTERN,
        Description="Optional: where the pause puts {\"event\": <the event>} in the state (e.g. $.job). "
                    "Empty (default): nowhere.",
        ConstraintDescription="empty, $, or a JSONPath such as $.a.b (no array index)."),
        "Result path", "Pause state"),
    "ResumeWorkflowType": (dict(
        Type="String", Default="STANDARD", AllowedValues=["STANDARD", "EXPRESS"],
        Description="Optional: type of the resume state machine (default STANDARD).",),
        "Resume workflow type", "Operations"),
    "EventRetentionSeconds": (dict(
        Type="Number", Default=86_400, MinValue=60, MaxValue=MAX_TIMEOUT_SECONDS,
        Description="Optional: how long an early event waits for its pause, and a handed-over one is remembered "
                    "(default one day).",
        ConstraintDescription=f"a whole number from 60 to {MAX_TIMEOUT_SECONDS}."),
        "Event retention (seconds)", "Operations"),
    "LogRetentionDays": (dict(
        Type="Number", Default=365, AllowedValues=list(LOG_RETENTION_DAYS),
        Description="Optional: retention of the machines' log group (default 365 days).",),
        "Log retention (days)", "Operations"),
    "LogLevel": (dict(
        Type="String", Default="ERROR", AllowedValues=list(LOG_LEVELS),
        Description="Optional: ERROR (default: failures only) or ALL (every state of every run, paid per GB).",),
        "Log level", "Operations"),
    "KmsKeyArn": (dict(
        Type="String", Default="", AllowedPattern=OPTIONAL_KMS_KEY_ARN_PARAMETER_PATTERN,
        Description="Optional: customer managed KMS key of the table, queue, log group, alarm topic (README: its "
                    "policy). Empty: AWS managed keys.",
        ConstraintDescription="empty, or a KMS key ARN."),
        "KMS key ARN", "Security"),
    "AnswerableStateMachineArns": (dict(
        Type="CommaDelimitedList", Default="",
        Description="Optional: ARNs of the workflows it may resume. Empty (default): any in this account and "
                    "region.",
        ConstraintDescription="comma-separated state machine ARNs."),
        "Workflows it may resume", "Security"),
    "LegacyPauseAccess": (dict(
        Type="String", Default="false", AllowedValues=["false", "true"],
        Description="Optional: true while workflows still use 0.1's pause state, which writes the table "
                    "(README: Upgrading from 0.1).",),
        "Upgrading from 0.1", "Security"),
    "CreateAlarms": (dict(
        Type="String", Default="true", AllowedValues=["true", "false"],
        Description="Optional: alarms on failed runs and undelivered events (default true; ~$0.90 a month).",),
        "Alarms", "Alarms"),
    "AlarmTopicArn": (dict(
        Type="String", Default="", AllowedPattern=OPTIONAL_SNS_TOPIC_ARN_PARAMETER_PATTERN,
        Description="Optional: SNS topic the alarms notify. Empty (default): a topic of the stack's own.",
        ConstraintDescription="empty, or an SNS topic ARN."),
        "Alarm topic ARN", "Alarms"),
    "CreateDashboard": (dict(
        Type="String", Default="false", AllowedValues=["true", "false"],
        Description="Optional: a CloudWatch dashboard (default false; $3 a month).",),
        "Dashboard", "Alarms"),
}

#: The generic template's conditions.
HAS_FAILURE = "HasFailureEventPattern"
HAS_HEARTBEAT = "HasHeartbeat"
HAS_RESULT_PATH = "HasResultPath"
HAS_KMS_KEY = "HasKmsKey"
HAS_ANSWERABLE_ARNS = "HasAnswerableStateMachineArns"
HAS_LEGACY_PAUSE_ACCESS = "HasLegacyPauseAccess"
HAS_LEGACY_PAUSE_ACCESS_AND_KEY = "HasLegacyPauseAccessAndKey"
HAS_ALARMS = "HasAlarms"
HAS_ALARM_TOPIC = "HasAlarmTopic"
HAS_OWN_ALARM_TOPIC = "HasOwnAlarmTopic"
HAS_DASHBOARD = "HasDashboard"
IS_EXPRESS_RESUME = "IsExpressResumeWorkflow"


def all_state_machines_arn():
    return Sub("arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:*")


@dataclass(frozen=True)
class SfnResume:
    """One instance added to a template: its config, what it created, and how a workflow uses it."""

    config: InstanceConfig
    resources: Instance
    prefix: str

    def pause_state(self, next_state: str | None = None, partition: str = "aws",
                    query_language: str = asl.JSONPATH, end: bool = True) -> dict:
        """The pause state as ASL, ready to place in a STANDARD workflow (`Next`, or `End` when None and `end`)."""
        return pause_state(self.config, next_state, partition, query_language, end)

    def workflow_role_statements(self) -> list:
        """The IAM statements the paused workflow's role needs (the PauseStatePolicy output holds them)."""
        document = self.resources.pause_state_policy.PolicyDocument
        return list(document["Statement"])


def pause_state(config: InstanceConfig, next_state: str | None = None, partition: str = "aws",
                query_language: str = asl.JSONPATH, end: bool = True) -> dict:
    """The pause state of an instance built from `config`: it finds its pause machine by name, beside the
    workflow (same partition, region and account), so it works as it is in any of them. It continues to
    `next_state`, or ends the workflow; with neither (`end=False`), the tool that places it adds the transition
    (a CDK `CustomState` writes its own `Next` or `End`)."""
    state = _config_pause_state(config, query_language, partition,
                                pause_machine_name=names.physical_name("pause state machine", config.nameSuffix))
    return asl.with_next(state, next_state) if next_state is not None or end else state


def _config_pause_state(config: InstanceConfig, query_language: str, partition: str, **pause_machine) -> dict:
    return asl.pause_state(
        path_to_id=config.pathToIdPauseTask,
        timeout_seconds=config.timeoutSeconds,
        heartbeat_seconds=config.heartbeatSeconds,
        result_path=config.resultPath,
        partition=partition,
        query_language=query_language,
        **pause_machine,
    )


def add_sfn_resume(template: Template, config: InstanceConfig) -> SfnResume:
    """Add one instance built from `config` to `template`; call again for another, independent instance."""
    prefix = logical_prefix(config.nameSuffix)
    spec = InstanceSpec(
        prefix=prefix,
        name_suffix=config.nameSuffix,
        path_to_id_workflow=config.pathToIdWorkflow,
        event_pattern=event_pattern_value(config.eventPattern),
        failure_event_pattern=event_pattern_value(config.failureEventPattern) if config.failureEventPattern else None,
        has_failure=config.failureEventPattern is not None,
        workflow_type=config.resumeWorkflowType,
        event_retention_seconds=str(config.eventRetentionSeconds),
        log_retention_days=config.logRetentionDays,
        log_level=config.logLevel,
        kms_key_arn=config.kmsKeyArn,
        table_key=config.kmsKeyArn,
        sqs_managed_sse=None if config.kmsKeyArn else True,
        answerable_state_machine_arns=list(config.allowedStateMachineArns) or [all_state_machines_arn()],
        legacy_pause_access=config.legacyPauseAccess,
        removal_policy=config.removalPolicy,
        tags=dict(config.tags),
        alarms=config.alarms,
        alarm_topic_arn=config.alarmTopicArn,
        dashboard=config.dashboard,
    )
    instance = add_instance(template, spec)
    pause_states = {
        language: Sub(_sub_text(_config_pause_state(config, language, "${AWS::Partition}",
                                                    pause_machine_arn="${PauseStateMachineArn}")),
                      PauseStateMachineArn=Ref(instance.pause_state_machine))
        for language in asl.QUERY_LANGUAGES
    }
    _add_outputs(template, instance, prefix, pause_states, spec.event_retention_seconds)
    alarms.add_alarms(template, spec, instance)
    alarms.add_dashboard(template, spec, instance)
    return SfnResume(config=config, resources=instance, prefix=prefix)


def build_template(config: Config | None = None, removal_policy: str = "DESTROY") -> Template:
    """The generic parameterized template (no config; its table's `removal_policy` is a build-time choice, as
    DeletionPolicy takes no Parameter), or a template with the config's instances built in."""
    if config is None:
        return build_generic_template(removal_policy)
    template = new_template()
    for instance in config.instances:
        add_sfn_resume(template, instance)
    return template


def flat_outputs(config: Config) -> int:
    """How many Outputs a flat template of `config` has (CloudFormation allows 200): AlarmTopicArn with alarms."""
    return sum(OUTPUTS_PER_INSTANCE + instance.alarms for instance in config.instances)


def new_template(what: str = "") -> Template:
    template = render.Template(Description=DESCRIPTION.format(version=__version__) + what)
    template.set_version("2010-09-09")
    return template


def build_generic_template(removal_policy: str = "DESTROY") -> Template:
    """Everything as CloudFormation Parameters: what `aws cloudformation deploy --parameter-overrides` sets; the
    table's removal policy (DESTROY, RETAIN, RETAIN_ON_UPDATE_OR_DELETE) is the one thing chosen at build time."""
    if removal_policy not in REMOVAL_POLICIES:
        raise ConfigError([f"removalPolicy: {removal_policy!r}: expected one of {', '.join(REMOVAL_POLICIES)}"])
    template = new_template("" if removal_policy == "DESTROY" else f" (table: {removal_policy})")
    params = {}
    for name, (kwargs, label, group) in GENERIC_PARAMETERS.items():
        params[name] = template.add_parameter(Parameter(name, **kwargs))
        template.set_parameter_label(name, label)
        template.add_parameter_to_group(name, group)
    # troposphere orders the groups by first use: GENERIC_PARAMETERS' order is the console's.
    template.add_condition(HAS_FAILURE, Not(Equals(Ref(params["FailureEventPattern"]), "")))
    template.add_condition(HAS_HEARTBEAT, Not(Equals(Ref(params["HeartbeatSeconds"]), 0)))
    template.add_condition(HAS_RESULT_PATH, Not(Equals(Ref(params["ResultPath"]), "")))
    template.add_condition(HAS_KMS_KEY, Not(Equals(Ref(params["KmsKeyArn"]), "")))
    template.add_condition(HAS_ANSWERABLE_ARNS, Not(Equals(Join("", Ref(params["AnswerableStateMachineArns"])), "")))
    template.add_condition(HAS_LEGACY_PAUSE_ACCESS, Equals(Ref(params["LegacyPauseAccess"]), "true"))
    template.add_condition(HAS_LEGACY_PAUSE_ACCESS_AND_KEY, And(Condition(HAS_LEGACY_PAUSE_ACCESS),
                                                                Condition(HAS_KMS_KEY)))
    template.add_condition(HAS_ALARMS, Equals(Ref(params["CreateAlarms"]), "true"))
    template.add_condition(HAS_ALARM_TOPIC, Not(Equals(Ref(params["AlarmTopicArn"]), "")))
    template.add_condition(HAS_OWN_ALARM_TOPIC, And(Condition(HAS_ALARMS), Not(Condition(HAS_ALARM_TOPIC))))
    template.add_condition(HAS_DASHBOARD, Equals(Ref(params["CreateDashboard"]), "true"))
    template.add_condition(IS_EXPRESS_RESUME, Equals(Ref(params["ResumeWorkflowType"]), "EXPRESS"))

    kms_key = If(HAS_KMS_KEY, Ref(params["KmsKeyArn"]), NoValue)
    spec = InstanceSpec(
        name_suffix=Ref(params["NameSuffix"]),
        path_to_id_workflow=Ref(params["PathToIdWorkflow"]),
        # the JSON text through Fn::Sub, which gives CloudFormation the same string as a Ref: AWS CDK's CfnInclude
        # writes a Parameter's value in place of its Ref, and refuses text where a rule's pattern is an object
        event_pattern=Sub("${EventPattern}"),
        failure_event_pattern=Sub("${FailureEventPattern}"),
        has_failure=True,
        failure_condition=HAS_FAILURE,
        workflow_type=Ref(params["ResumeWorkflowType"]),
        express_condition=IS_EXPRESS_RESUME,
        # a string, as every DefinitionSubstitutions value must be: LocalStack passes a Number Parameter's Ref on as
        # an int, which fails the machine's creation (CloudFormation itself passes strings), and turns an Fn::Sub
        # that gives only digits back into an int; an Fn::Join stays a string there
        event_retention_seconds=Join("", [Ref(params["EventRetentionSeconds"])]),
        log_retention_days=Ref(params["LogRetentionDays"]),
        log_level=Ref(params["LogLevel"]),
        kms_key_arn=kms_key,
        table_key=Ref(params["KmsKeyArn"]),
        table_key_condition=HAS_KMS_KEY,
        sqs_managed_sse=If(HAS_KMS_KEY, NoValue, True),
        answerable_state_machine_arns=If(
            HAS_ANSWERABLE_ARNS, Ref(params["AnswerableStateMachineArns"]), [all_state_machines_arn()]
        ),
        legacy_pause_access=HAS_LEGACY_PAUSE_ACCESS,
        legacy_key_condition=HAS_LEGACY_PAUSE_ACCESS_AND_KEY,
        removal_policy=removal_policy,
        alarms=HAS_ALARMS,
        alarm_topic_arn=Ref(params["AlarmTopicArn"]),
        alarm_topic_condition=HAS_ALARM_TOPIC,
        own_topic_condition=HAS_OWN_ALARM_TOPIC,
        dashboard=HAS_DASHBOARD,
    )
    instance = add_instance(template, spec)
    variables = {
        "PauseStateMachineArn": Ref(instance.pause_state_machine),
        "PathToIdPauseTask": Ref(params["PathToIdPauseTask"]),
        "TimeoutSeconds": Ref(params["TimeoutSeconds"]),
        "HeartbeatField": If(HAS_HEARTBEAT, Sub(', "HeartbeatSeconds": ${HeartbeatSeconds}'), ""),
        "ResultPathJson": If(HAS_RESULT_PATH, Sub('"${ResultPath}"'), "null"),
        "JobIdJsonata": jsonata_path_of(Ref(params["PathToIdPauseTask"])),
        "OutputJsonata": If(HAS_RESULT_PATH, Sub(asl.jsonata_output_at_runtime("${ResultPath}")),
                            asl.jsonata_output(None)),
    }
    pause_states = {}
    for language in asl.QUERY_LANGUAGES:
        state = asl.pause_state(path_to_id="${PathToIdPauseTask}", timeout_seconds="${TimeoutSeconds}",
                                result_path="${ResultPathJson}", pause_machine_arn="${PauseStateMachineArn}",
                                query_language=language, job_id="${JobIdJsonata}", output="${OutputJsonata}")
        text = _sub_text(state, raw=("${TimeoutSeconds}", "${ResultPathJson}"))[:-1] + "${HeartbeatField}}"
        pause_states[language] = Sub(text, **{name: value for name, value in variables.items()
                                              if "${" + name + "}" in text})
    _add_outputs(template, instance, "", pause_states, Ref(params["EventRetentionSeconds"]))
    alarms.add_alarms(template, spec, instance)
    alarms.add_dashboard(template, spec, instance)
    return template


def _replace(text, old: str, new: str):
    """CloudFormation's string replace: split on `old`, join with `new`."""
    return Join(new, Split(old, text))


def jsonata_path_of(path):
    """`asl.jsonata_path` done by CloudFormation, for a Parameter: `$.a-b[0].c` → `$states.input.`a-b`[0].`c``.

    Every name is quoted with backticks: `.` → `` `.` ``, `[` → `` `[ ``, then the `$` prefix becomes
    `$states.input` and a backtick after `]` goes (the Parameter's pattern allows no `$`, `` ` `` or `]` in names).
    """
    after_dollar = Select(1, Split("$", path))
    quoted = _replace(_replace(after_dollar, ".", "`.`"), "[", "`[")
    return _replace(_replace(Join("", ["$", quoted, "`"]), "$`", "$states.input"), "]`", "]")


def _sub_text(state: dict, raw: tuple[str, ...] = ()) -> str:
    """JSON text of `state` for Fn::Sub; placeholders in `raw` stand for JSON values, so lose their quotes."""
    text = json.dumps(state, separators=(", ", ": "))
    for placeholder in raw:
        text = text.replace(json.dumps(placeholder), placeholder)
    return text


#: Outputs of an instance.
OUTPUTS_PER_INSTANCE = 9


def _add_outputs(template: Template, instance: Instance, prefix: str, pause_states: dict, event_retention_seconds):
    outputs = [
        (names.OUTPUT_TABLE_NAME, Ref(instance.table), "The token table."),
        (names.OUTPUT_TABLE_ARN, GetAtt(instance.table, "Arn"), "The token table."),
        (names.OUTPUT_PAUSE_STATE_MACHINE_ARN, Ref(instance.pause_state_machine),
         "The Express machine that pause states and failure events start."),
        (names.OUTPUT_RESUME_STATE_MACHINE_ARN, Ref(instance.resume_state_machine),
         "The machine that success events start."),
        (names.OUTPUT_PAUSE_STATE_POLICY_ARN, Ref(instance.pause_state_policy),
         "Attach to the role of every workflow that uses the pause state."),
        (names.OUTPUT_PAUSE_STATE, pause_states[asl.JSONPATH],
         "The pause state, JSONPath: paste it into a workflow, add Next or End."),
        (names.OUTPUT_PAUSE_STATE_JSONATA, pause_states[asl.JSONATA],
         "The pause state, JSONata: paste it into a workflow, add Next or End."),
        (names.OUTPUT_DEAD_LETTER_QUEUE_URL, Ref(instance.dead_letter_queue),
         "The events EventBridge could not deliver."),
        (names.OUTPUT_EVENT_RETENTION_SECONDS, event_retention_seconds,
         "How long an early event waits for its pause, and a hand-over is remembered (seconds)."),
    ]
    assert len(outputs) == OUTPUTS_PER_INSTANCE
    for key, value, description in outputs:
        add_exported_output(template, prefix + key, value, description)
