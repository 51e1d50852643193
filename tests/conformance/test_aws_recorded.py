"""The conformance lane's pinned list (tests/conformance/aws_recorded.toml) and its verdict (tools/aws_recorded.py).

The lane itself runs in test_aws_recorded_lane.py; these need no LocalStack tree.
"""
import pytest

from ..helpers import load_tool

aws_recorded = load_tool("aws_recorded")


@pytest.fixture(scope="module")
def pinned():
    return aws_recorded.load_pinned()


def test_subsets_are_named_once_and_hold_tests(pinned):
    names = [subset.name for subset in pinned.subsets]
    assert len(names) == len(set(names)) and len(names) >= 5
    assert all(subset.tests and subset.title for subset in pinned.subsets)


def test_every_test_is_pinned_once_by_its_node_id(pinned):
    assert len(pinned.tests) == len(set(pinned.tests))
    assert all(test.startswith("tests/aws/services/") and ".py::" in test for test in pinned.tests)


def test_every_expected_failure_is_pinned_and_says_why(pinned):
    assert set(pinned.expected_failures) <= set(pinned.tests)
    assert all(len(reason) > 40 for reason in pinned.expected_failures.values())


def test_the_lane_meets_its_bar_on_paper(pinned):
    """At least 80 % of the chosen tests are expected to pass (issue 26); the run itself says whether they do."""
    assert len(pinned.tests) - len(pinned.expected_failures) >= 0.8 * len(pinned.tests)


def _pinned(tests: dict[str, list[str]], expected: dict[str, str]):
    subsets = tuple(aws_recorded.Subset(name, name.title(), tuple(node_ids)) for name, node_ids in tests.items())
    return aws_recorded.Pinned(subsets=subsets, expected_failures=expected)


def test_the_verdict_counts_passes_per_subset_and_flags_disagreements():
    pinned = _pinned({"a": ["t1", "t2"], "b": ["t3", "t4"]},
                     {"t2": "a reason long enough to say why it fails", "t4": "another reason, also long enough"})
    outcomes = aws_recorded.Outcomes({"t1": "passed", "t2": "failed", "t3": "failed", "t4": "passed"})
    verdict = aws_recorded.judge(pinned, outcomes)
    assert [(subset.name, passed) for subset, passed in verdict.rows] == [("a", 1), ("b", 1)]
    assert verdict.unexpected_failures == [("t3", "failed")]
    assert verdict.unexpected_passes == ["t4"]
    assert not verdict.ok
    text = aws_recorded.report(verdict, pinned)
    words = " ".join(text.split())
    assert "a 1 / 2 A b 1 / 2 B all 2 / 4 (50 %)" in words
    assert "UNEXPECTED FAILED: t3" in text and "PASSED (remove it from the expected failures): t4" in text


def test_a_test_that_did_not_report_is_a_failure():
    pinned = _pinned({"a": ["t1"]}, {})
    verdict = aws_recorded.judge(pinned, aws_recorded.Outcomes({}))
    assert verdict.unexpected_failures == [("t1", "missing")]


def test_without_a_tree_the_lane_says_where_to_get_one(tmp_path, capsys):
    assert "clone github.com/localstack/localstack at tag v4.14.0" in aws_recorded.missing_tree_reason(tmp_path)
    assert aws_recorded.main(["--tests", str(tmp_path)]) == 2
    assert "AWS_RECORDED_TESTS" in capsys.readouterr().err


def test_the_documented_command_is_the_makefile_s():
    """docs/EMULATOR.md's `make test-aws-recorded AWS_RECORDED_TESTS=...` names the target and the variable the
    Makefile has (the lane's run is test_aws_recorded_lane.py)."""
    from ..helpers import ROOT

    makefile = (ROOT / "Makefile").read_text()
    documented = (ROOT / "docs" / "EMULATOR.md").read_text()
    assert "make test-aws-recorded AWS_RECORDED_TESTS=" in documented
    assert "\ntest-aws-recorded:" in makefile and "AWS_RECORDED_TESTS ?= ../localstack-4.14.0" in makefile
