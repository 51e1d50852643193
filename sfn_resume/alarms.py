"""What tells an operator that a hand-over is in trouble: CloudWatch alarms (on by default) and a dashboard
(opt-in) for one instance, both built from one list of the instance's metrics (SIGNALS).

Two metric-math alarms cover every state machine, rule and queue of an instance, each naming the command that
helps: RunsFailed (a run of the pause, resume or fail machine failed, timed out or was throttled) and EventsUndelivered
(a rule could not start its machine, or an event waits in the dead-letter queue). Their actions notify the topic
given, or a topic of the instance's own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from troposphere import Ref, Sub, Tags, Template, cloudwatch, sns

from . import names
from .resources import (Instance, InstanceSpec, add_exported_output, at_deploy_time, choose, condition_attribute, exists,
                        physical_name, scanner_metadata)

PAUSE_MACHINE, RESUME_MACHINE, FAIL_MACHINE = "pause machine", "resume machine", "fail machine"
RESUME_RULE, FAIL_RULE = "resume rule", "fail rule"
DEAD_LETTER_QUEUE = "dead-letter queue"
DIMENSIONS = {PAUSE_MACHINE: "StateMachineArn", RESUME_MACHINE: "StateMachineArn", FAIL_MACHINE: "StateMachineArn",
              RESUME_RULE: "RuleName",
              FAIL_RULE: "RuleName", DEAD_LETTER_QUEUE: "QueueName"}
PERIOD_SECONDS = 60


@dataclass(frozen=True)
class Signal:
    """One metric of an instance: of which resource, and which alarm it feeds (None: the dashboard only)."""

    source: str
    namespace: str
    metric: str
    stat: str
    alarm: str | None


_MACHINE_METRICS = (("ExecutionsStarted", None), ("ExecutionsSucceeded", None),
                    ("ExecutionsFailed", names.RUNS_FAILED_ALARM), ("ExecutionsTimedOut", names.RUNS_FAILED_ALARM),
                    ("ExecutionThrottled", names.RUNS_FAILED_ALARM))
SIGNALS = (
    *(Signal(machine, "AWS/States", metric, "Sum", alarm)
      for machine in (PAUSE_MACHINE, RESUME_MACHINE, FAIL_MACHINE) for metric, alarm in _MACHINE_METRICS),
    *(Signal(rule, "AWS/Events", metric, "Sum", alarm) for rule in (RESUME_RULE, FAIL_RULE)
      for metric, alarm in (("Invocations", None), ("FailedInvocations", names.EVENTS_UNDELIVERED_ALARM))),
    Signal(DEAD_LETTER_QUEUE, "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum",
           names.EVENTS_UNDELIVERED_ALARM),
    Signal(DEAD_LETTER_QUEUE, "AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum", None),
)

#: Each alarm: what it means, and what to run (its description; docs/OPERATING.md's runbook says the same).
ALARMS = {
    names.RUNS_FAILED_ALARM: (
        "a run of the pause, resume or fail machine failed, timed out or was throttled: a pause or a hand-over may be "
        "stuck",
        "sfn-resume status --stack ${AWS::StackName}, then read the machine's failed executions"),
    names.EVENTS_UNDELIVERED_ALARM: (
        "an event could not start its machine (rule FailedInvocations) or waits in the dead-letter queue",
        "sfn-resume status --stack ${AWS::StackName}; fix the cause; sfn-resume redrive --stack ${AWS::StackName}"),
}


def signals(spec: InstanceSpec) -> list[Signal]:
    """The instance's signals: all, but the failure rule's and the fail machine's where the instance has neither."""
    return [s for s in SIGNALS if s.source not in (FAIL_RULE, FAIL_MACHINE) or spec.has_failure]


def dimension_values(spec: InstanceSpec, instance: Instance) -> dict:
    """Each source's dimension value. The failure rule and the fail machine by name: they may be conditioned out
    (generic template), and a metric of nothing is no data."""
    fail_machine_arn = Sub("arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:"
                           + names.physical_name("fail state machine", "${NameSuffix}"
                                                 if at_deploy_time(spec.name_suffix) else spec.name_suffix))
    return {PAUSE_MACHINE: Ref(instance.pause_state_machine), RESUME_MACHINE: Ref(instance.resume_state_machine),
            FAIL_MACHINE: fail_machine_arn,
            RESUME_RULE: physical_name(spec, "resume rule"), FAIL_RULE: physical_name(spec, "fail rule"),
            DEAD_LETTER_QUEUE: physical_name(spec, "dead-letter queue")}


def tags(spec: InstanceSpec) -> dict:
    """The instance's tags as a resource's `Tags`, where it has any."""
    return {"Tags": Tags(**spec.tags)} if spec.tags else {}


def add_alarms(template: Template, spec: InstanceSpec, instance: Instance) -> None:
    """The alarms, their topic (unless one is given) and the AlarmTopicArn output; nothing when alarms are off."""
    if not exists(spec.alarms):
        return
    condition = condition_attribute(spec.alarms)
    topic_arn = spec.alarm_topic
    if exists(spec.own_alarm_topic):
        topic = template.add_resource(sns.Topic(
            spec.prefix + names.ALARM_TOPIC,
            **scanner_metadata(names.ALARM_TOPIC, spec),
            **condition_attribute(spec.own_alarm_topic),
            TopicName=physical_name(spec, "alarm topic"),
            # CloudWatch publishes to an encrypted topic only with a customer managed key whose policy lets it
            # (docs/OPERATING.md, Alarms): never the AWS managed aws/sns, which would swallow every notification.
            **({"KmsMasterKeyId": spec.kms_key_arn} if spec.kms_key_arn is not None else {}),
            **tags(spec),
        ))
        topic_arn = choose(spec.alarm_topic_given, spec.alarm_topic, Ref(topic))
    values = dimension_values(spec, instance)
    for alarm, (what, command) in ALARMS.items():
        feeding = [s for s in signals(spec) if s.alarm == alarm]
        template.add_resource(cloudwatch.Alarm(
            spec.prefix + alarm,
            **condition,
            AlarmName=physical_name(spec, alarm),
            AlarmDescription=Sub(f"sfn-resume: {what}. Run: {command}"),
            Metrics=[*(cloudwatch.MetricDataQuery(
                Id=f"m{index}", ReturnData=False,
                MetricStat=cloudwatch.MetricStat(Period=PERIOD_SECONDS, Stat=s.stat, Metric=cloudwatch.Metric(
                    Namespace=s.namespace, MetricName=s.metric,
                    Dimensions=[cloudwatch.MetricDimension(Name=DIMENSIONS[s.source], Value=values[s.source])])),
            ) for index, s in enumerate(feeding)),
                cloudwatch.MetricDataQuery(Id="total", Expression="SUM(FILL(METRICS(), 0))", Label=alarm,
                                           ReturnData=True)],
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            Threshold=1,
            EvaluationPeriods=1,
            DatapointsToAlarm=1,
            TreatMissingData="notBreaching",
            AlarmActions=[topic_arn],
            OKActions=[topic_arn],
            **tags(spec),
        ))
    add_exported_output(template, spec.prefix + names.OUTPUT_ALARM_TOPIC_ARN, topic_arn,
                        "The topic the alarms notify: subscribe to it.", **condition)


_WIDGETS = {PAUSE_MACHINE: "Pause machine: runs", RESUME_MACHINE: "Resume machine: runs",
            FAIL_MACHINE: "Fail machine: runs",
            RESUME_RULE: "Rules: events matched, deliveries failed", FAIL_RULE: "Rules: events matched, deliveries failed",
            DEAD_LETTER_QUEUE: "Dead-letter queue: messages, age of the oldest (s)"}


def _variable(source: str) -> str:
    """The dashboard body's `Fn::Sub` variable for a source's dimension value: "pause machine" → DimPauseMachine."""
    return "Dim" + source.title().replace(" ", "").replace("-", "")


def add_dashboard(template: Template, spec: InstanceSpec, instance: Instance) -> None:
    """One dashboard: each machine's runs, the rules' deliveries, the dead-letter queue (opt-in: $3 a month)."""
    if not exists(spec.dashboard):
        return
    widgets: dict[str, list] = {}
    for s in signals(spec):
        widgets.setdefault(_WIDGETS[s.source], []).append(
            [s.namespace, s.metric, DIMENSIONS[s.source], "${%s}" % _variable(s.source),
             {"stat": s.stat, "label": f"{s.source}: {s.metric}"}])
    body = {"widgets": [
        {"type": "metric", "x": 12 * (index % 2), "y": 6 * (index // 2), "width": 12, "height": 6,
         "properties": {"title": title, "region": "${AWS::Region}", "period": 300, "view": "timeSeries",
                        "stacked": False, "metrics": metrics}}
        for index, (title, metrics) in enumerate(widgets.items())]}
    values = dimension_values(spec, instance)
    template.add_resource(cloudwatch.Dashboard(
        spec.prefix + names.DASHBOARD,
        **condition_attribute(spec.dashboard),
        DashboardName=physical_name(spec, "dashboard"),
        **tags(spec),
        DashboardBody=Sub(json.dumps(body, separators=(",", ":")),
                          **{_variable(source): values[source] for source in dict.fromkeys(s.source for s in signals(spec))}),
    ))
