"""Troposphere resources for one instance: table, pause, resume and fail machines, rule(s), dead-letter queue, roles.

Each value of an `InstanceSpec` is ready for CloudFormation: a literal when a config fixes it, or an `Expression`
(`Ref`, `If`, `Join`, `Sub`) when the generic template leaves it to a Parameter; what exists or is on is a `Switch`:
on, off, or under a template Condition. The builders pass values on as they are, and read a switch through
`exists`, `condition_attribute`, `when`, `unless` and `choose`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from troposphere import AWSHelperFn, Export, GetAtt, If, NoValue, Output, Ref, Sub, Tags, Template
from troposphere import dynamodb, events, iam, logs, sqs, stepfunctions

from . import asl, names, policies
from .protocol.item import EXPIRES_AT

#: removalPolicy → (DeletionPolicy, UpdateReplacePolicy), as CDK maps its RemovalPolicy.
REMOVAL_POLICIES = {
    "DESTROY": ("Delete", "Delete"),
    "RETAIN": ("Retain", "Retain"),
    "RETAIN_ON_UPDATE_OR_DELETE": ("RetainExceptOnCreate", "Retain"),
}
#: Each rule's target Id (0.1 named both "ResumeStateMachine", 0.2 and 0.3 the fail rule's "PauseStateMachine"; an Id
#: is only a label within its rule: a new one replaces the target in place).
TARGET_IDS = {asl.SUCCEEDED: "ResumeStateMachine", asl.FAILED: "FailStateMachine"}
#: EventBridge's own defaults, written out: retry for a day, then the dead-letter queue.
RETRY_ATTEMPTS = 185
RETRY_MAX_EVENT_AGE_SECONDS = 86_400
DLQ_RETENTION_SECONDS = 1_209_600  # 14 days, SQS's longest
#: SQS's default when RedriveAllowPolicy is absent, written out: it marks the queue as a dead-letter queue, which is
#: how the AWS Control Tower control CT.SQS.PR.1 ("every queue has a dead-letter queue") tells one apart.
DLQ_REDRIVE_ALLOW_POLICY = {"redrivePermission": "allowAll"}


@dataclass(frozen=True)
class Suppression:
    """One scanner finding accepted on purpose: `tool` is "checkov" (a check id), "cfn-guard" (the name of an
    AWS Control Tower guard rule) or "cfn-lint" (a rule id, e.g. of cfn-lint-serverless); `when` names the case in
    which it applies (a key of SUPPRESSION_CASES)."""

    tool: str
    rule: str
    reason: str
    when: str = "always"


#: When a suppression applies, given the instance's spec: each lands only where its scanner reports the finding
#: (tests/test_scanners.py checks that none is stale). "... parameter": the scanned value is a deploy-time
#: Parameter, or an Fn::If on one; checkov takes such an Fn::If for a key given, cfn-guard for no key.
SUPPRESSION_CASES = {
    "always": lambda spec: True,
    "no key": lambda spec: spec.kms_key is None,
    "key parameter": lambda spec: at_deploy_time(spec.kms_key),
    "no key or key parameter": lambda spec: spec.kms_key is None or at_deploy_time(spec.kms_key),
    "retention parameter": lambda spec: at_deploy_time(spec.log_retention_days),
    "log level parameter": lambda spec: at_deploy_time(spec.log_level),
    "event retention parameter": lambda spec: at_deploy_time(spec.event_retention_seconds),
}
#: Every scanner finding this pattern accepts, by logical-ID kind (names.*), each with its reason. The one place to
#: review them: they land in each resource's Metadata (checkov: `checkov.skip`, cfn-lint: `cfn-lint.config.ignore_checks`,
#: cfn-guard: `guard.SuppressedRules`, read by tools/scan.py), and tests/test_scanners.py lists them.
SCANNER_SUPPRESSIONS = {
    names.TABLE: (
        Suppression("checkov", "CKV_AWS_119", "Encrypted with KMS always; a customer managed key is optional "
                    "(kmsKeyArn / KmsKeyArn), the default is the AWS managed key.", when="no key"),
    ),
    names.LOG_GROUP: (
        Suppression("checkov", "CKV_AWS_158", "CloudWatch Logs always encrypts at rest; a customer managed key is "
                    "optional (kmsKeyArn / KmsKeyArn); execution data (tokens, payloads) is never logged.",
                    when="no key"),
        Suppression("cfn-guard", "cloudwatch_log_group_encrypted_check", "CT.CLOUDWATCH.PR.3: as CKV_AWS_158: "
                    "the customer managed key is optional; CloudWatch Logs encrypts by default.",
                    when="no key or key parameter"),
        Suppression("cfn-guard", "cloudwatch_log_group_retention_period_check", "CT.CLOUDWATCH.PR.2: retention "
                    "is the LogRetentionDays parameter (default 365 days).",
                    when="retention parameter"),
    ),
    **{machine: (
        Suppression("cfn-guard", "step_functions_state_machine_logging_enabled_check", "CT.STEPFUNCTIONS.PR.1: the "
                    "level is the LogLevel parameter, ERROR or ALL only.", when="log level parameter"),
        Suppression("cfn-lint", "I1022", "The EventRetentionSeconds substitution is an Fn::Join, not the Fn::Sub "
                    "this informational rule prefers: LocalStack turns an Fn::Sub that gives only digits into a number, "
                    "and fails the state machine on it.", when="event retention parameter"),
    ) for machine in (names.PAUSE_STATE_MACHINE, names.RESUME_STATE_MACHINE, names.FAIL_STATE_MACHINE)},
    names.DEAD_LETTER_QUEUE: (
        Suppression("checkov", "CKV_AWS_27", "Encrypted with SSE-SQS (SqsManagedSseEnabled), which the check does not "
                    "read; the AWS managed key aws/sqs is no option: EventBridge cannot use it for a DLQ.",
                    when="no key"),
        Suppression("cfn-guard", "sqs_queue_encrypted_check", "CT.SQS.PR.2: always encrypted: SSE-SQS, or "
                    "KmsKeyArn when given (an Fn::If the rule cannot evaluate).", when="key parameter"),
        Suppression("cfn-lint", "ES6000", "cfn-lint-serverless wants a RedrivePolicy on every queue; this queue is "
                    "the dead-letter queue itself, a queue behind it would never receive anything."),
    ),
    names.ALARM_TOPIC: (
        Suppression("checkov", "CKV_AWS_26", "CloudWatch cannot publish to a topic encrypted with the AWS managed key "
                    "aws/sns; it is encrypted with kmsKeyArn / KmsKeyArn when given. It carries alarm states only.",
                    when="no key"),
    ),
}


#: A value CloudFormation computes at deploy time: a Ref, If, Join or Sub on the generic template's Parameters.
Expression = AWSHelperFn


def at_deploy_time(value) -> bool:
    """Whether a spec's value is an `Expression` (the generic template's), not a literal (a config's)."""
    return isinstance(value, Expression)


@dataclass(frozen=True)
class OnCondition:
    """On where the template's Condition `name` holds: the generic template's Parameters decide at deploy time."""

    name: str


#: Whether something exists (or is on): fixed by a config, or decided at deploy time by a template Condition.
Switch = bool | OnCondition


def exists(switch: Switch) -> bool:
    """Whether the template holds it at all (always, or under a Condition)."""
    return switch is not False


def condition_attribute(switch: Switch) -> dict:
    """The `Condition` attribute of a resource that exists where `switch` is on."""
    return {"Condition": switch.name} if isinstance(switch, OnCondition) else {}


def choose(switch: Switch, on, off):
    """`on` where the switch is on, else `off`: one of them, or an `Fn::If` between them."""
    if isinstance(switch, OnCondition):
        return If(switch.name, on, off)
    return on if switch else off


def when(switch: Switch, value):
    """`value` where the switch is on, else nothing (None: the property or statement is left out)."""
    return choose(switch, value, NoValue) if isinstance(switch, OnCondition) else choose(switch, value, None)


def unless(switch: Switch, value):
    """`value` where the switch is off, else nothing."""
    return choose(switch, NoValue, value) if isinstance(switch, OnCondition) else choose(switch, None, value)


@dataclass(frozen=True)
class InstanceSpec:
    """CloudFormation-ready values for one instance: each a literal (a config's) or an `Expression` on the generic
    template's Parameters; each `Switch` on, off, or under one of its Conditions."""

    name_suffix: str | Expression
    path_to_id_workflow: str | Expression
    event_pattern: dict | Expression
    failure_event_pattern: dict | Expression | None
    failure: Switch  # the failure rule and its target, the fail machine, exist
    workflow_type: str | Expression  # of the resume machine
    express: Switch  # the resume machine is EXPRESS (its name follows its type)
    event_retention_seconds: str | Expression  # a string, as every DefinitionSubstitutions value must be
    log_retention_days: int | Expression
    log_level: str | Expression
    kms_key: str | Expression | None  # the customer managed key's ARN; None: AWS managed keys everywhere
    kms_key_given: Switch  # resources are encrypted with `kms_key` (its IAM statements hold)
    answerable_state_machine_arns: list | Expression
    legacy_pause_access: Switch = False  # 0.1's table rights in the pause-state policy
    legacy_pause_access_with_key: Switch = False  # those, and a key given: the key's rights too
    removal_policy: str = "DESTROY"
    tags: dict = field(default_factory=dict)
    prefix: str = ""
    alarms: Switch = True
    alarm_topic: str | Expression | None = None  # the topic given for the alarms' notifications
    alarm_topic_given: Switch = False
    own_alarm_topic: Switch = True  # alarms on and no topic given: a topic of the instance's own
    dashboard: Switch = False

    @property
    def has_failure(self) -> bool:
        """Whether the template holds the failure rule and the fail machine at all."""
        return exists(self.failure)

    @property
    def kms_key_arn(self):
        """The encryption properties' key: the key where one is given, else nothing (AWS managed keys)."""
        return when(self.kms_key_given, self.kms_key)

    @property
    def sqs_managed_sse(self):
        """The queue's SSE-SQS, where no key is given (SQS takes one or the other)."""
        return unless(self.kms_key_given, True)


@dataclass(frozen=True)
class Instance:
    """What one instance created, by role (troposphere objects, already added to the template)."""

    table: dynamodb.Table
    pause_state_machine: stepfunctions.StateMachine
    resume_state_machine: stepfunctions.StateMachine
    fail_state_machine: stepfunctions.StateMachine | None
    resume_rule: events.Rule
    fail_rule: events.Rule | None
    dead_letter_queue: sqs.Queue
    pause_state_policy: iam.ManagedPolicy
    pause_role: iam.Role
    resume_role: iam.Role
    fail_role: iam.Role | None
    events_role: iam.Role
    log_group: logs.LogGroup




def _given(**properties) -> dict:
    """`properties` without the unset (None) ones: a property left out is what scanners read as "not set" (they
    take `Ref: AWS::NoValue` for a value). An Fn::If that may yield NoValue is kept."""
    return {name: value for name, value in properties.items() if value is not None}


def scanner_metadata(kind: str, spec: InstanceSpec) -> dict:
    """The `Metadata` attribute that carries the suppressions of `kind` (a names.* logical-ID kind) for `spec`."""
    applying = [s for s in SCANNER_SUPPRESSIONS.get(kind, ()) if SUPPRESSION_CASES[s.when](spec)]
    metadata = {}
    checkov = [{"id": s.rule, "comment": s.reason} for s in applying if s.tool == "checkov"]
    cfn_lint = [s.rule for s in applying if s.tool == "cfn-lint"]
    guard = [s for s in applying if s.tool == "cfn-guard"]
    if checkov:
        metadata["checkov"] = {"skip": checkov}
    if cfn_lint:
        metadata["cfn-lint"] = {"config": {"ignore_checks": cfn_lint}}
    if guard:
        metadata["guard"] = {"SuppressedRules": [s.rule for s in guard], "Reasons": {s.rule: s.reason for s in guard}}
    return {"Metadata": metadata} if metadata else {}


def physical_name(spec: InstanceSpec, kind: str):
    """The literal name for a config's suffix; in the generic template, a `Fn::Sub` on its NameSuffix Parameter
    (and a `Fn::Sub` wherever the name holds a pseudo parameter: the dashboard's region)."""
    name = names.physical_name(kind, "${NameSuffix}" if at_deploy_time(spec.name_suffix) else spec.name_suffix)
    return Sub(name) if "${" in name else name


def add_exported_output(template: Template, key: str, value, description: str, **attributes) -> None:
    """An Output exported as `${AWS::StackName}-<key>`, as every output of these templates is."""
    template.add_output(Output(key, Description=description, Value=value,
                               Export=Export(Sub("${AWS::StackName}-" + key)), **attributes))


def input_transformer(path_to_id_workflow) -> events.InputTransformer:
    """The machines' input: the event's id, the job id (as the JSON value found in the event) and the whole event.

    The id sits at the top level too because LocalStack names the execution it starts after the `id` of the
    transformed input, and fails the delivery without one (AWS names it at random).
    """
    return events.InputTransformer(
        InputPathsMap={"id": "$.id", "jobId": path_to_id_workflow},
        InputTemplate='{"id": <id>, "jobId": <jobId>, "event": <aws.events.event.json>}',
    )


def add_instance(template: Template, spec: InstanceSpec) -> Instance:
    """Every resource of one instance, each built by its own function in dependency order."""
    table = _token_table(template, spec)
    log_group = _log_group(template, spec)
    dead_letter_queue = _dead_letter_queue(template, spec)
    kinds = (names.PAUSE_STATE_MACHINE, names.RESUME_STATE_MACHINE) + ((names.FAIL_STATE_MACHINE,)
                                                                        if spec.has_failure else ())
    roles = {kind: _machine_role(template, spec, kind, table) for kind in kinds}
    machines = {kind: _state_machine(template, spec, kind, roles[kind], log_group, table) for kind in kinds}
    # success events resume a pause; failure events fail it, through a machine no workflow role may start
    targets = {asl.SUCCEEDED: machines[names.RESUME_STATE_MACHINE],
               **({asl.FAILED: machines[names.FAIL_STATE_MACHINE]} if spec.has_failure else {})}
    events_role = _events_role(template, spec, list(targets.values()))
    rules = {outcome: _rule(template, spec, outcome, machine, events_role, dead_letter_queue)
             for outcome, machine in targets.items()}
    _dead_letter_queue_policy(template, spec, dead_letter_queue, rules)
    return Instance(
        table=table,
        pause_state_machine=machines[names.PAUSE_STATE_MACHINE],
        resume_state_machine=machines[names.RESUME_STATE_MACHINE],
        fail_state_machine=machines.get(names.FAIL_STATE_MACHINE),
        resume_rule=rules[asl.SUCCEEDED],
        fail_rule=rules.get(asl.FAILED),
        dead_letter_queue=dead_letter_queue,
        pause_state_policy=_pause_state_policy(template, spec, machines[names.PAUSE_STATE_MACHINE], table),
        pause_role=roles[names.PAUSE_STATE_MACHINE],
        resume_role=roles[names.RESUME_STATE_MACHINE],
        fail_role=roles.get(names.FAIL_STATE_MACHINE),
        events_role=events_role,
        log_group=log_group,
    )


def _tags(spec: InstanceSpec) -> dict:
    return _given(Tags=Tags(**spec.tags) if spec.tags else None)


def _token_table(template: Template, spec: InstanceSpec) -> dynamodb.Table:
    deletion, update_replace = REMOVAL_POLICIES[spec.removal_policy]
    return template.add_resource(dynamodb.Table(
        spec.prefix + names.TABLE,
        **scanner_metadata(names.TABLE, spec),
        DeletionPolicy=deletion,
        UpdateReplacePolicy=update_replace,
        TableName=physical_name(spec, "table"),
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[dynamodb.AttributeDefinition(AttributeName="id", AttributeType="S")],
        KeySchema=[dynamodb.KeySchema(AttributeName="id", KeyType="HASH")],
        SSESpecification=dynamodb.SSESpecification(SSEEnabled=True, SSEType="KMS",
                                                   **_given(KMSMasterKeyId=spec.kms_key_arn)),
        PointInTimeRecoverySpecification=dynamodb.PointInTimeRecoverySpecification(PointInTimeRecoveryEnabled=True),
        TimeToLiveSpecification=dynamodb.TimeToLiveSpecification(AttributeName=EXPIRES_AT, Enabled=True),
        **_tags(spec),
    ))


def _log_group(template: Template, spec: InstanceSpec) -> logs.LogGroup:
    return template.add_resource(logs.LogGroup(
        spec.prefix + names.LOG_GROUP,
        **scanner_metadata(names.LOG_GROUP, spec),
        DeletionPolicy="Delete",
        UpdateReplacePolicy="Delete",
        LogGroupName=physical_name(spec, "log group"),
        RetentionInDays=spec.log_retention_days,
        **_given(KmsKeyId=spec.kms_key_arn),
        **_tags(spec),
    ))


def _dead_letter_queue(template: Template, spec: InstanceSpec) -> sqs.Queue:
    return template.add_resource(sqs.Queue(
        spec.prefix + names.DEAD_LETTER_QUEUE,
        **scanner_metadata(names.DEAD_LETTER_QUEUE, spec),
        DeletionPolicy="Delete",
        UpdateReplacePolicy="Delete",
        QueueName=physical_name(spec, "dead-letter queue"),
        MessageRetentionPeriod=DLQ_RETENTION_SECONDS,
        RedriveAllowPolicy=DLQ_REDRIVE_ALLOW_POLICY,
        **_given(KmsMasterKeyId=spec.kms_key_arn, SqsManagedSseEnabled=spec.sqs_managed_sse),
        **_tags(spec),
    ))


#: Each machine: its definition, its type (None: the resume workflow type the spec chooses), its role's kind, and
#: its physical name's (None: the resume machine's, by type).
MACHINES = {
    # the pause state waits on it: an Express run costs less than a transition
    names.PAUSE_STATE_MACHINE: (asl.pause_definition, "EXPRESS", names.PAUSE_ROLE, "pause state machine"),
    names.RESUME_STATE_MACHINE: (asl.resume_definition, None, names.RESUME_ROLE, None),
    names.FAIL_STATE_MACHINE: (asl.fail_definition, "EXPRESS", names.FAIL_ROLE, "fail state machine"),
}


def _machine_exists(spec: InstanceSpec, kind: str) -> dict:
    """The `Condition` attribute of a machine and its role: the fail machine's is the failure rule's."""
    return condition_attribute(spec.failure) if kind == names.FAIL_STATE_MACHINE else {}


def _machine_role(template: Template, spec: InstanceSpec, kind: str, table: dynamodb.Table) -> iam.Role:
    """A machine's own role: exactly what its definition calls (`asl.sdk_actions`), on the table and on the paused
    workflows (tests/test_iam.py checks each against its definition)."""
    definition, _type, role, _name = MACHINES[kind]
    called = sorted(asl.sdk_actions(definition()))
    return template.add_resource(iam.Role(
        spec.prefix + role,
        **_machine_exists(spec, kind),
        AssumeRolePolicyDocument=policies.trust_policy("states.amazonaws.com"),
        Policies=[iam.Policy(
            PolicyName="sfn-resume",
            PolicyDocument=policies.policy(
                policies.table_statement("StoreAndClaimHandOvers", GetAtt(table, "Arn"),
                                         policies.actions("dynamodb", called)),
                _table_key_statement(spec, spec.kms_key_given),
                policies.answer_tasks_statement(policies.actions("states", called), spec.answerable_state_machine_arns),
                policies.log_delivery_statement(),
                policies.tracing_statement(),
            ),
        )],
        **_tags(spec),
    ))


def _table_key_statement(spec: InstanceSpec, switch: Switch):
    """The use of the table's customer managed key, where one is given and `switch` is on."""
    return None if spec.kms_key is None else when(switch, policies.table_key_statement(spec.kms_key))


def _state_machine(template: Template, spec: InstanceSpec, kind: str, role: iam.Role, log_group: logs.LogGroup,
                   table: dynamodb.Table) -> stepfunctions.StateMachine:
    """The pause, resume or fail machine (`kind`: a key of MACHINES)."""
    build_definition, workflow_type, _role, name_kind = MACHINES[kind]
    definition = build_definition()
    return template.add_resource(stepfunctions.StateMachine(
        spec.prefix + kind,
        **scanner_metadata(kind, spec),
        **_machine_exists(spec, kind),
        StateMachineName=physical_name(spec, name_kind) if name_kind else _resume_machine_name(spec),
        StateMachineType=workflow_type or spec.workflow_type,
        RoleArn=GetAtt(role, "Arn"),
        Definition=definition,
        DefinitionSubstitutions={
            "TableName": Ref(table),
            "EventRetentionSeconds": spec.event_retention_seconds,
            **{name: Sub(arn) for name, arn in asl.resource_arns("${AWS::Partition}").items()
               if "${" + name + "}" in json.dumps(definition)},
        },
        LoggingConfiguration=stepfunctions.LoggingConfiguration(
            Level=spec.log_level,
            # Execution data holds task tokens, which answer a workflow: keep them out of the logs.
            IncludeExecutionData=False,
            Destinations=[stepfunctions.LogDestination(
                CloudWatchLogsLogGroup=stepfunctions.CloudWatchLogsLogGroup(LogGroupArn=GetAtt(log_group, "Arn"))
            )],
        ),
        TracingConfiguration=stepfunctions.TracingConfiguration(Enabled=True),
        **_tags(spec),
    ))


def _resume_machine_name(spec: InstanceSpec):
    """One name per type (StateMachineType is create-only): a change of type creates the other machine, moves the
    rule to it, and deletes the old one, instead of a replacement CloudFormation refuses for a custom name."""
    standard, express = (physical_name(spec, kind) for kind in ("resume state machine", "express resume state machine"))
    return choose(spec.express, express, standard)


def _events_role(template: Template, spec: InstanceSpec, machines: list) -> iam.Role:
    return template.add_resource(iam.Role(
        spec.prefix + names.EVENTS_ROLE,
        AssumeRolePolicyDocument=policies.trust_policy("events.amazonaws.com"),
        Policies=[iam.Policy(
            PolicyName="sfn-resume",
            # the resume machine, and the fail machine where there is one: never the pause machine
            PolicyDocument=policies.policy(policies.start_execution_statement(
                "StartResume", [Ref(machines[0])] + [when(spec.failure, Ref(machine)) for machine in machines[1:]])),
        )],
        **_tags(spec),
    ))


def _rule(template: Template, spec: InstanceSpec, outcome: str, machine, events_role: iam.Role,
          dead_letter_queue: sqs.Queue) -> events.Rule:
    failure = outcome == asl.FAILED
    return template.add_resource(events.Rule(
        spec.prefix + (names.FAIL_RULE if failure else names.RESUME_RULE),
        **(condition_attribute(spec.failure) if failure else {}),
        Name=physical_name(spec, "fail rule" if failure else "resume rule"),
        EventPattern=spec.failure_event_pattern if failure else spec.event_pattern,
        State="ENABLED",
        **_tags(spec),
        Targets=[events.Target(
            Id=TARGET_IDS[outcome],
            Arn=Ref(machine),
            RoleArn=GetAtt(events_role, "Arn"),
            InputTransformer=input_transformer(spec.path_to_id_workflow),
            RetryPolicy=events.RetryPolicy(
                MaximumRetryAttempts=RETRY_ATTEMPTS, MaximumEventAgeInSeconds=RETRY_MAX_EVENT_AGE_SECONDS
            ),
            DeadLetterConfig=events.DeadLetterConfig(Arn=GetAtt(dead_letter_queue, "Arn")),
        )],
    ))


def _dead_letter_queue_policy(template: Template, spec: InstanceSpec, queue: sqs.Queue, rules: dict) -> None:
    rule_arns = [GetAtt(rules[asl.SUCCEEDED], "Arn")]
    if asl.FAILED in rules:
        rule_arns.append(when(spec.failure, GetAtt(rules[asl.FAILED], "Arn")))
    template.add_resource(sqs.QueuePolicy(
        spec.prefix + names.DEAD_LETTER_QUEUE_POLICY,
        Queues=[Ref(queue)],
        PolicyDocument=policies.policy(policies.dead_letter_statement(GetAtt(queue, "Arn"), rule_arns)),
    ))


def _pause_state_policy(template: Template, spec: InstanceSpec, pause_machine, table) -> iam.ManagedPolicy:
    """What the workflow's role needs for the pause state: start the pause machine. During an upgrade from 0.1
    (`legacy_pause_access`), also the table rights of 0.1's pause state, which wrote the table itself."""
    legacy = [when(spec.legacy_pause_access, pause_table_statement(GetAtt(table, "Arn"))),
              _table_key_statement(spec, spec.legacy_pause_access_with_key)]
    return template.add_resource(iam.ManagedPolicy(
        spec.prefix + names.PAUSE_STATE_POLICY,
        Description="sfn-resume: for the roles of workflows that pause on it",
        PolicyDocument=policies.policy(
            policies.start_execution_statement("StartThePauseMachine", [Ref(pause_machine)]), *legacy),
    ))


def pause_table_statement(table_arn):
    """The table rights of 0.1's pause state (a Parallel that stored its token and claimed early events itself)."""
    return policies.table_statement("StoreTokensClaimEarlyEvents01", table_arn)


def event_pattern_value(pattern: dict) -> dict:
    """A pattern as the rule's EventPattern: a copy, so the frozen config is never shared with troposphere."""
    return json.loads(json.dumps(pattern))
