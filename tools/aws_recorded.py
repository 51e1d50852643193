"""The conformance lane: LocalStack 4.14.0's AWS-recorded tests, run strictly against `sfn-resume local`.

    .venv/bin/python tools/aws_recorded.py --tests PATH [--subset NAME ...]

PATH is a LocalStack v4.14.0 source tree (`git clone --branch v4.14.0 https://github.com/localstack/localstack`;
its `tests/aws/` is what runs). The tests are LocalStack's (Apache-2.0), recorded against AWS: each
`test_x.snapshot.json` holds what AWS answered. tests/conformance/aws_recorded.toml pins which ones run, by subset,
and the failures expected, each with its reason (docs/EMULATOR.md, "Measured against AWS's recordings").

The harness runs in its own virtualenv (tools/install-conformance.sh: Python >= 3.13, `localstack-core[test]`),
against the embedded emulator served on 127.0.0.1 for the run, with tools/aws_recorded_plugin.py: LocalStack's own
allowances for its differences from AWS dropped, so a test passes only where the emulator answers as AWS did.

Prints the pass count per subset; exits 1 when a test fails that is not an expected failure, or an expected
failure passes (the list is then out of date), 2 when the tree or the harness is missing.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
PINNED = ROOT / "tests" / "conformance" / "aws_recorded.toml"
HARNESS_PYTHON = ROOT / "tools" / ".venv-conformance" / "bin" / "python"
PLUGIN_DIR = ROOT / "tools"
#: The file a LocalStack v4.14.0 tree has and the lane runs from.
TREE_MARKER = Path("tests") / "aws" / "conftest.py"
#: One recorded test waits at most this long (some wait on queues and timeouts of their own, by design).
TEST_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Subset:
    name: str
    title: str
    tests: tuple[str, ...]


@dataclass(frozen=True)
class Pinned:
    """tests/conformance/aws_recorded.toml: the subsets, and the expected failures with their reasons."""

    subsets: tuple[Subset, ...]
    expected_failures: dict[str, str]

    @property
    def tests(self) -> list[str]:
        return [test for subset in self.subsets for test in subset.tests]


def load_pinned(path: Path = PINNED) -> Pinned:
    with path.open("rb") as file:
        data = tomllib.load(file)
    subsets = tuple(Subset(entry["name"], entry["title"], tuple(entry["tests"])) for entry in data["subset"])
    return Pinned(subsets=subsets, expected_failures=dict(data.get("expected_failures", {})))


@dataclass
class Outcomes:
    """What each pinned test did: 'passed', 'failed' or 'skipped' (a test that did not report: 'missing')."""

    by_test: dict[str, str] = field(default_factory=dict)

    def of(self, test: str) -> str:
        return self.by_test.get(test, "missing")


def missing_tree_reason(tests_path: Path) -> str | None:
    """Why the lane cannot run on `tests_path`, or None."""
    if not (tests_path / TREE_MARKER).is_file():
        return (f"no LocalStack v4.14.0 tests at {tests_path} (clone github.com/localstack/localstack at tag v4.14.0 "
                "and give its path as AWS_RECORDED_TESTS)")
    if not HARNESS_PYTHON.exists():
        return f"the harness is not installed ({HARNESS_PYTHON.relative_to(ROOT)}: run tools/install-conformance.sh)"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def emulator(log_path: Path) -> Iterator[str]:
    """`sfn-resume local` on a free port of 127.0.0.1 until the block ends; yields its endpoint."""
    port = _free_port()
    endpoint = f"http://localhost:{port}"
    with log_path.open("w") as log:
        server = subprocess.Popen([sys.executable, "-m", "sfn_resume.cli", "local", "--port", str(port)],
                                  stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(endpoint, timeout=2).close()
                break
            except urllib.error.HTTPError:  # it answers
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"sfn-resume local did not start: {log_path.read_text()[-2000:]}") from None
                time.sleep(0.2)
        yield endpoint
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


#: The account the embedded emulator answers for (moto's default); LocalStack's is 000000000000.
ACCOUNT_ID = "123456789012"


def run_recorded(tests_path: Path, tests: list[str], endpoint: str, work: Path,
                 account_id: str = ACCOUNT_ID) -> Outcomes:
    """Run `tests` (node ids relative to the tree) in the harness against `endpoint`; their outcomes."""
    results = work / "results.jsonl"
    results.unlink(missing_ok=True)  # the plugin appends
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "PYTEST_"))},
        "PYTHONPATH": f"{PLUGIN_DIR}{os.pathsep}{tests_path}",
        "PYTHONDONTWRITEBYTECODE": "1",
        "AWS_RECORDED_RESULTS": str(results),
        # LocalStack's harness against any endpoint, in its own words (localstack/testing/config.py)
        "TEST_SKIP_LOCALSTACK_START": "1",
        "TEST_AWS_ENDPOINT_URL": endpoint,
        "TEST_AWS_ACCOUNT_ID": account_id,
        "TEST_AWS_REGION_NAME": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    command = [str(HARNESS_PYTHON), "-m", "pytest", "-p", "aws_recorded_plugin", "-p", "no:cacheprovider",
               "-q", "--no-header", "-rN", f"--timeout={TEST_TIMEOUT_SECONDS}", "--rootdir", str(tests_path), *tests]
    with (work / "harness.log").open("w") as log:
        subprocess.run(command, cwd=tests_path, env=environment, stdout=log, stderr=subprocess.STDOUT, check=False)
    outcomes = Outcomes()
    if results.exists():
        for line in results.read_text().splitlines():
            report = json.loads(line)
            if outcomes.by_test.get(report["test"]) != "failed":  # a failing teardown fails a passed test
                outcomes.by_test[report["test"]] = report["outcome"]
    return outcomes


@dataclass(frozen=True)
class Verdict:
    """The lane's verdict on one run: per subset, the passes; and what disagrees with the expected failures."""

    rows: list[tuple[Subset, int]]
    unexpected_failures: list[tuple[str, str]]
    unexpected_passes: list[str]

    @property
    def ok(self) -> bool:
        return not self.unexpected_failures and not self.unexpected_passes


def judge(pinned: Pinned, outcomes: Outcomes) -> Verdict:
    rows, unexpected_failures, unexpected_passes = [], [], []
    for subset in pinned.subsets:
        rows.append((subset, sum(outcomes.of(test) == "passed" for test in subset.tests)))
        for test in subset.tests:
            passed = outcomes.of(test) == "passed"
            if not passed and test not in pinned.expected_failures:
                unexpected_failures.append((test, outcomes.of(test)))
            elif passed and test in pinned.expected_failures:
                unexpected_passes.append(test)
    return Verdict(rows, unexpected_failures, unexpected_passes)


def report(verdict: Verdict, pinned: Pinned, engine: str = "sfn-resume local") -> str:
    lines = [f"LocalStack 4.14.0's AWS-recorded tests, strict, against {engine}", ""]
    width = max(len(name) for name in ["all", *(subset.name for subset in pinned.subsets)])
    for subset, passed in verdict.rows:
        lines.append(f"  {subset.name:<{width}}  {passed:>3} / {len(subset.tests):<3}  {subset.title}")
    passed = sum(count for _, count in verdict.rows)
    total = len(pinned.tests)
    lines.append(f"  {'all':<{width}}  {passed:>3} / {total:<3}  ({100 * passed / total:.0f} %)")
    for test, outcome in verdict.unexpected_failures:
        lines.append(f"UNEXPECTED {outcome.upper()}: {test}")
    for test in verdict.unexpected_passes:
        lines.append(f"EXPECTED TO FAIL, PASSED (remove it from the expected failures): {test}")
    return "\n".join(lines)


def run_lane(tests_path: Path, pinned: Pinned, log_dir: Path, endpoint: str | None = None,
             account_id: str = ACCOUNT_ID) -> Verdict:
    """The pinned tests against `endpoint`, or against `sfn-resume local` started for the run."""
    if endpoint:
        return judge(pinned, run_recorded(tests_path, pinned.tests, endpoint, log_dir, account_id))
    with emulator(log_dir / "emulator.log") as served:
        return judge(pinned, run_recorded(tests_path, pinned.tests, served, log_dir, account_id))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=Path, required=True, help="a LocalStack v4.14.0 source tree")
    parser.add_argument("--subset", action="append", help="run only this subset (repeatable)")
    parser.add_argument("--logs", type=Path, help="keep the harness's and the emulator's logs here")
    parser.add_argument("--endpoint", help="measure another engine already serving here (LocalStack, an earlier "
                                           "emulator) instead of `sfn-resume local`; its expected failures differ")
    parser.add_argument("--account-id", default=ACCOUNT_ID, help="the account that engine answers for")
    args = parser.parse_args(argv)
    tests_path = args.tests.resolve()
    reason = missing_tree_reason(tests_path)
    if reason:
        print(f"aws-recorded: {reason}", file=sys.stderr)
        return 2
    pinned = load_pinned()
    if args.subset:
        unknown = set(args.subset) - {subset.name for subset in pinned.subsets}
        if unknown:
            parser.error(f"unknown subsets {sorted(unknown)}; known: {[s.name for s in pinned.subsets]}")
        pinned = Pinned(tuple(s for s in pinned.subsets if s.name in args.subset), pinned.expected_failures)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="aws-recorded-") as scratch:
        log_dir = args.logs or Path(scratch)
        log_dir.mkdir(parents=True, exist_ok=True)
        verdict = run_lane(tests_path, pinned, log_dir, args.endpoint, args.account_id)
    print(report(verdict, pinned, args.endpoint or "sfn-resume local"))
    print(f"({time.monotonic() - started:.0f} s; the harness's log: {log_dir / 'harness.log'})"
          if args.logs else f"({time.monotonic() - started:.0f} s)")
    return 0 if verdict.ok or args.endpoint else 1


if __name__ == "__main__":
    sys.exit(main())
