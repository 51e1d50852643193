"""The conformance lane, run by `make test`: LocalStack 4.14.0's AWS-recorded tests, strict, against
`sfn-resume local` (tools/aws_recorded.py; `make test-aws-recorded` runs it alone and prints its counts).

The tests are LocalStack's, not this project's: the lane takes a LocalStack v4.14.0 source tree, at AWS_RECORDED_TESTS
(make sets it; default ../localstack-4.14.0 from the repository root: a clone beside it). Without
a tree, or without the harness (tools/install-conformance.sh), the lane is skipped, with the reason.
"""
import os
from pathlib import Path

import pytest

from ..helpers import ROOT, load_tool

aws_recorded = load_tool("aws_recorded")

#: A LocalStack v4.14.0 tree cloned beside the repository (the Makefile's default too).
DEFAULT_TREE = "../localstack-4.14.0"


@pytest.mark.timeout(900)
def test_localstacks_aws_recorded_tests_pass_as_pinned(tmp_path):
    tree = (ROOT / os.environ.get("AWS_RECORDED_TESTS", DEFAULT_TREE)).resolve()
    reason = aws_recorded.missing_tree_reason(Path(tree))
    if reason:
        pytest.skip(f"conformance lane: {reason}")
    pinned = aws_recorded.load_pinned()
    verdict = aws_recorded.run_lane(tree, pinned, tmp_path)
    report = aws_recorded.report(verdict, pinned)
    harness_log = (tmp_path / "harness.log").read_text()[-20000:] if not verdict.ok else ""
    assert verdict.ok, f"{report}\n\nthe harness's log, its end:\n{harness_log}"
