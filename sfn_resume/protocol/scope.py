"""The scenarios `sfn-resume verify` explores, each a bounded world whose every interleaving it visits.

Each scenario names its jobs and workflows; in every scenario, a trace may also meet a number of adversities: a call
failing in any way its API documents, a run running again after any of its calls (or after it ended), an event
dead-lettered, redelivered, redriven, or followed by a later notice of its job -- with the clock passing every boundary
at any point. The default scope allows one per trace (none in the reuse scenarios and intruder, whose several pauses and
events make it minutes): every single fault, anywhere, in every interleaving, in under a minute a template. `large`
allows one more everywhere: every pair of faults, about 6 million states and 22 minutes a template.
"""

from __future__ import annotations

from dataclasses import replace

from .world import FAILED, PAUSE_FAILED, SUCCEEDED, TIMEOUT, JobSpec, Scenario, WorkflowSpec

_LARGE = (
    Scenario(
        "one-pause",
        "a workflow pauses on its job; the job's event, its redelivery (or a redrive) and a later notice of the job "
        "with a new id arrive in any order, before or after the pause",
        jobs=(JobSpec("J1", "job-1", SUCCEEDED, deliveries=(2, 1)),),
        workflows=(WorkflowSpec("W1", "J1"),)),
    Scenario(
        "failure-event",
        "as one-pause, with the job's failure events: the pause fails with SfnResume.JobFailed",
        jobs=(JobSpec("J1", "job-1", FAILED, deliveries=(2, 1)),),
        workflows=(WorkflowSpec("W1", "J1", pause_state=1),)),
    Scenario(
        "late-pause",
        "the job's event comes first; its workflow pauses on the job at any moment, as late as the last instant of "
        "the event's retention",
        jobs=(JobSpec("J1", "job-1", SUCCEEDED, deliveries=(1,)),),
        workflows=(WorkflowSpec("W1", "J1", any_time=True),)),
    Scenario(
        "re-pause",
        "a workflow that pauses again on its job after States.Timeout or SfnResume.PauseFailed; the job's event comes "
        "at any moment, in between too",
        jobs=(JobSpec("J1", "job-1", SUCCEEDED, deliveries=(2,)),),
        workflows=(WorkflowSpec("W1", "J1", repause_on=(TIMEOUT, PAUSE_FAILED), max_pauses=2),)),
    Scenario(
        "job-id-reused",
        "a job id reused by a second workflow after the first one's hand-over (as the reuse policy allows): the old "
        "job's redelivered, redriven or later events arrive at any time",
        jobs=(JobSpec("J1", "job-1", SUCCEEDED, deliveries=(2, 1)),
              JobSpec("J2", "job-1", SUCCEEDED, deliveries=(1,), after="J1")),
        workflows=(WorkflowSpec("W1", "J1"), WorkflowSpec("W2", "J2", pause_state=1)), adversities=1),
    Scenario(
        "failed-job-id-reused",
        "as job-id-reused, the first job failing: its failure events, redelivered or later, against the new pause",
        jobs=(JobSpec("J1", "job-1", FAILED, deliveries=(2, 1)),
              JobSpec("J2", "job-1", SUCCEEDED, deliveries=(1,), after="J1")),
        workflows=(WorkflowSpec("W1", "J1", pause_state=1), WorkflowSpec("W2", "J2")), adversities=1),
    Scenario(
        "job-id-reused-early",
        "a job id reused while the first job's hand-over is remembered (against the reuse policy): the new pause is "
        "refused visibly, or gets its own job's event",
        jobs=(JobSpec("J1", "job-1", SUCCEEDED, deliveries=(2,)),
              JobSpec("J2", "job-1", SUCCEEDED, deliveries=(1,))),
        workflows=(WorkflowSpec("W1", "J1"), WorkflowSpec("W2", "J2", after=("W1", "answered")))),
    Scenario(
        "two-workflows",
        "two workflows pause on the same job at once",
        jobs=(JobSpec("J1", "job-1", SUCCEEDED, deliveries=(2,)),),
        workflows=(WorkflowSpec("W1", "J1"), WorkflowSpec("W2", "J1", pause_state=1))),
    Scenario(
        "intruder",
        "another workflow (any role allowed to start the pause machine) pauses on a victim's job id, claiming the "
        "victim's execution id, at any moment",
        jobs=(JobSpec("J1", "job-1", SUCCEEDED, deliveries=(2,)),),
        workflows=(WorkflowSpec("W1", "J1", repause_on=(TIMEOUT,), max_pauses=2),
                   WorkflowSpec("X1", "J1", execution_of="W1", any_time=True)), adversities=1),
)


SCOPES = ("default", "large")
NAMES = tuple(scenario.name for scenario in _LARGE)


def scenarios(scope: str) -> tuple:
    """The scenarios with the adversities the scope allows per trace."""
    if scope == "large":
        return _LARGE
    return tuple(replace(s, adversities=s.adversities - 1) for s in _LARGE)
