"""The generic parameterized template, config-built templates, and `add_sfn_resume` for existing templates."""

from __future__ import annotations

import json
from dataclasses import dataclass

from troposphere import (And, Condition, Equals, GetAtt, If, Join, Not, Parameter, Ref, Select,
                         Split, Sub, Template)

from . import __version__, alarms, asl, names, render
from .config import Config, ConfigError, InstanceConfig
from .names import logical_prefix
from .options import PARAMETERS, REMOVAL_POLICIES
from .resources import (Instance, InstanceSpec, OnCondition, add_exported_output, add_instance, condition_attribute,
                        event_pattern_value)

DESCRIPTION = "sfn-resume {version}: pause a Step Functions workflow until its job's EventBridge event"

#: The generic template's Parameters, by name (the table of options, options.py, declares each).
GENERIC_PARAMETERS = PARAMETERS

#: The generic template's conditions.
HAS_FAILURE = "HasFailureEventPattern"
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
#: 0.3's, used by nothing since 0.4 (the pause carries no heartbeat), kept for LocalStack (`build_generic_template`).
HAS_HEARTBEAT = "HasHeartbeat"


class SubstitutedValue(str):
    """A `${Name}` placeholder that Fn::Sub fills with JSON text of its own (a number, a quoted string, null): the
    pause state's JSON text writes it without quotes."""


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
        result_path=config.resultPath,
        partition=partition,
        query_language=query_language,
        **pause_machine,
    )


def add_sfn_resume(template: Template, config: InstanceConfig) -> SfnResume:
    """Add one instance built from `config` to `template`; call again for another, independent instance."""
    prefix = logical_prefix(config.nameSuffix)
    key = config.kmsKeyArn is not None
    spec = InstanceSpec(
        prefix=prefix,
        name_suffix=config.nameSuffix,
        path_to_id_workflow=config.pathToIdWorkflow,
        event_pattern=event_pattern_value(config.eventPattern),
        failure_event_pattern=event_pattern_value(config.failureEventPattern) if config.failureEventPattern else None,
        failure=config.failureEventPattern is not None,
        workflow_type=config.resumeWorkflowType,
        express=config.resumeWorkflowType == "EXPRESS",
        event_retention_seconds=str(config.eventRetentionSeconds),
        log_retention_days=config.logRetentionDays,
        log_level=config.logLevel,
        kms_key=config.kmsKeyArn,
        kms_key_given=key,
        answerable_state_machine_arns=list(config.allowedStateMachineArns) or [all_state_machines_arn()],
        legacy_pause_access=config.legacyPauseAccess,
        legacy_pause_access_with_key=config.legacyPauseAccess and key,
        removal_policy=config.removalPolicy,
        tags=dict(config.tags),
        alarms=config.alarms,
        alarm_topic=config.alarmTopicArn,
        alarm_topic_given=config.alarmTopicArn is not None,
        own_alarm_topic=config.alarms and config.alarmTopicArn is None,
        dashboard=config.dashboard,
    )
    instance = add_instance(template, spec)
    pause_states = {
        language: Sub(json_text(_config_pause_state(config, language, "${AWS::Partition}",
                                                    pause_machine_arn="${PauseStateMachineArn}")),
                      PauseStateMachineArn=Ref(instance.pause_state_machine))
        for language in asl.QUERY_LANGUAGES
    }
    _add_outputs(template, spec, instance, pause_states, spec.event_retention_seconds)
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
    """How many Outputs a flat template of `config` has (CloudFormation allows 200): AlarmTopicArn with alarms,
    FailStateMachineArn with a failure pattern."""
    return sum(OUTPUTS_PER_INSTANCE + instance.alarms + (instance.failureEventPattern is not None)
               for instance in config.instances)


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
    for name, option in GENERIC_PARAMETERS.items():
        params[name] = template.add_parameter(Parameter(name, **option.parameter_properties()))
        template.set_parameter_label(name, option.label)
        template.add_parameter_to_group(name, option.group)
    # troposphere orders the groups by first use: the table's order is the console's.
    # The Conditions stay 0.3's: HasHeartbeat, used by nothing since 0.4, stays too. LocalStack 4.14 counts every Fn::If
    # as changed once any condition changes, and so replaces the resume machine, named by an Fn::If, on a 0.3 stack's
    # update, which fails and deletes it; CloudFormation updates it in place (docs/LOCALSTACK.md). cfn-lint's
    # "condition not used" (W8001) would flag HasHeartbeat: tests/test_template.py checks it is the only one unused.
    template.metadata["cfn-lint"] = {"config": {"ignore_checks": ["W8001"]}}
    template.add_condition(HAS_HEARTBEAT, Not(Equals(Ref(params["HeartbeatSeconds"]), 0)))
    template.add_condition(HAS_FAILURE, Not(Equals(Ref(params["FailureEventPattern"]), "")))
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

    spec = InstanceSpec(
        name_suffix=Ref(params["NameSuffix"]),
        path_to_id_workflow=Ref(params["PathToIdWorkflow"]),
        # the JSON text through Fn::Sub, which gives CloudFormation the same string as a Ref: AWS CDK's CfnInclude
        # writes a Parameter's value in place of its Ref, and refuses text where a rule's pattern is an object
        event_pattern=Sub("${EventPattern}"),
        failure_event_pattern=Sub("${FailureEventPattern}"),
        failure=OnCondition(HAS_FAILURE),
        workflow_type=Ref(params["ResumeWorkflowType"]),
        express=OnCondition(IS_EXPRESS_RESUME),
        # a string, as every DefinitionSubstitutions value must be: LocalStack passes a Number Parameter's Ref on as
        # an int, which fails the machine's creation (CloudFormation itself passes strings), and turns an Fn::Sub
        # that gives only digits back into an int; an Fn::Join stays a string there
        event_retention_seconds=Join("", [Ref(params["EventRetentionSeconds"])]),
        log_retention_days=Ref(params["LogRetentionDays"]),
        log_level=Ref(params["LogLevel"]),
        kms_key=Ref(params["KmsKeyArn"]),
        kms_key_given=OnCondition(HAS_KMS_KEY),
        answerable_state_machine_arns=If(
            HAS_ANSWERABLE_ARNS, Ref(params["AnswerableStateMachineArns"]), [all_state_machines_arn()]
        ),
        legacy_pause_access=OnCondition(HAS_LEGACY_PAUSE_ACCESS),
        legacy_pause_access_with_key=OnCondition(HAS_LEGACY_PAUSE_ACCESS_AND_KEY),
        removal_policy=removal_policy,
        alarms=OnCondition(HAS_ALARMS),
        alarm_topic=Ref(params["AlarmTopicArn"]),
        alarm_topic_given=OnCondition(HAS_ALARM_TOPIC),
        own_alarm_topic=OnCondition(HAS_OWN_ALARM_TOPIC),
        dashboard=OnCondition(HAS_DASHBOARD),
    )
    instance = add_instance(template, spec)
    # what Fn::Sub fills in: the pause machine, and the Parameters the pause state reads
    variables = {
        "PauseStateMachineArn": Ref(instance.pause_state_machine),
        "PathToIdPauseTask": Ref(params["PathToIdPauseTask"]),
        "TimeoutSeconds": Ref(params["TimeoutSeconds"]),
        "ResultPathJson": If(HAS_RESULT_PATH, Sub('"${ResultPath}"'), "null"),
        "JobIdJsonata": jsonata_path_of(Ref(params["PathToIdPauseTask"])),
        "OutputJsonata": If(HAS_RESULT_PATH, Sub(asl.jsonata_output_at_runtime("${ResultPath}")),
                            asl.jsonata_output(None)),
    }
    pause_states = {}
    for language in asl.QUERY_LANGUAGES:
        state = asl.pause_state(path_to_id="${PathToIdPauseTask}", timeout_seconds=SubstitutedValue("${TimeoutSeconds}"),
                                result_path=SubstitutedValue("${ResultPathJson}"),
                                pause_machine_arn="${PauseStateMachineArn}", query_language=language,
                                job_id="${JobIdJsonata}", output="${OutputJsonata}")
        text = json_text(state)
        pause_states[language] = Sub(text, **{name: value for name, value in variables.items()
                                              if "${" + name + "}" in text})
    _add_outputs(template, spec, instance, pause_states, Ref(params["EventRetentionSeconds"]))
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


def json_text(value) -> str:
    """JSON text of `value` for Fn::Sub (`json.dumps` with `, ` and `: `), a `SubstitutedValue` written bare."""
    if isinstance(value, SubstitutedValue):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(key)}: {json_text(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(json_text(item) for item in value) + "]"
    return json.dumps(value)


#: Outputs of an instance.
OUTPUTS_PER_INSTANCE = 9


def _add_outputs(template: Template, spec: InstanceSpec, instance: Instance, pause_states: dict,
                 event_retention_seconds):
    outputs = [
        (names.OUTPUT_TABLE_NAME, Ref(instance.table), "The token table."),
        (names.OUTPUT_TABLE_ARN, GetAtt(instance.table, "Arn"), "The token table."),
        (names.OUTPUT_PAUSE_STATE_MACHINE_ARN, Ref(instance.pause_state_machine),
         "The Express machine that pause states start."),
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
        add_exported_output(template, spec.prefix + key, value, description)
    if spec.has_failure:
        add_exported_output(template, spec.prefix + names.OUTPUT_FAIL_STATE_MACHINE_ARN, Ref(instance.fail_state_machine),
                            "The Express machine that failure events (and `sfn-resume fail`) start.",
                            **condition_attribute(spec.failure))
