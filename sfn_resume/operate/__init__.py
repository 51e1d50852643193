"""Operating a deployed instance, one module per command family: `stack` finds the instance a stack holds (and
turns AWS's errors into one line), `status` says where each job's hand-over is, `redrive` puts the events EventBridge
could not deliver through the hand-over again, `handover` resumes or fails a pause by hand (`resume`, `fail`) once
`inputs` has checked what it is handed, and `forget` removes an early event.

Each reads and acts through `aws` (anything with `.client(service)`: `connect()`'s clients, the emulator's) and
returns data, which its `*_lines` and `*_json` present. The item shapes are docs/DESIGN.md's ("The item").
"""

from .forget import forget, forget_json, forget_line
from .handover import DEFAULT_CAUSE, UNSURE, check_failure, fail, hand_over_json, hand_over_line, resume
from .redrive import KEPT, STARTED, WOULD_START, execution_name, redrive, redrive_json, redrive_lines
from .stack import AwsError, Instance, OperateError, aws_errors, connect, find_instance
from .status import job_states, jobs_json, jobs_lines, summary, summary_json, summary_lines

__all__ = ["DEFAULT_CAUSE", "KEPT", "STARTED", "UNSURE", "WOULD_START", "AwsError", "Instance",
           "OperateError", "aws_errors", "check_failure", "connect", "execution_name", "fail",
           "find_instance", "forget", "forget_json", "forget_line", "hand_over_json", "hand_over_line", "job_states",
           "jobs_json", "jobs_lines", "redrive", "redrive_json", "redrive_lines", "resume", "summary", "summary_json", "summary_lines"]
