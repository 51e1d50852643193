"""Bridge for moto 5.2.5's CloudWatch: DescribeAlarms applies StateValue with the other filters, as AWS does."""
from __future__ import annotations

from sfn_resume.local.patching import Patches, bridge


@bridge("cloudwatch-alarm-state-filter",
        gap="25: DescribeAlarms ignores StateValue when AlarmNamePrefix, AlarmNames or ActionPrefix is given")
def bridge_cloudwatch_alarm_state_filter(patches: Patches) -> None:
    """Keep only the alarms in the StateValue asked for, whatever other filter came with it.

    moto applies the first of ActionPrefix, AlarmNamePrefix, AlarmNames and StateValue that it finds, so
    `describe_alarms(AlarmNamePrefix="SfnResume-X-", StateValue="ALARM")` (how `sfn-resume status` lists an
    instance's firing alarms) answers every alarm of the prefix, firing or not. AWS applies every filter given.

    Gap 25 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.core.responses import ActionResult

    original = CloudWatchResponse.describe_alarms

    def describe_alarms(self):
        result = original(self).result
        state = self._get_param("StateValue")
        if state:
            result = {kind: [alarm for alarm in alarms if alarm.state_value == state] for kind, alarms in result.items()}
        return ActionResult(result)

    patches.set(CloudWatchResponse, "describe_alarms", describe_alarms)
