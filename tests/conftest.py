"""Shared fixtures; each test's lane (markers registered in setup.cfg); and, when a test that drove an emulator
fails, the executions it started, with the story of each that did not succeed."""

from pathlib import Path

import pytest
import yaml

from .helpers import MINIMAL, TEMPLATES, load_yaml

TESTS = Path(__file__).resolve().parent
#: Fixtures that are an emulator (anything with `.client(service)`): a test that uses one is end to end.
EMULATOR_FIXTURES = ("emulator", "in_process_emulator", "server_emulator", "aws")
#: Directories whose tests run the emulator.
E2E_DIRECTORIES = ("e2e", "local")
SCANNER_FILES = ("test_scanners.py",)
#: Files elsewhere whose tests run the emulator: the conformance lane (it serves `sfn-resume local`).
E2E_FILES = ("test_aws_recorded_lane.py",)
#: Files whose tests take minutes (a wheel built and installed; the benchmarks run; LocalStack's recorded tests; the
#: protocol checker on the shipped templates and their mutants):
#: `slow` besides their lane.
SLOW_FILES = ("test_packaging.py", "test_bench_smoke.py", "test_aws_recorded_lane.py", "test_shipped_verify.py",
              "test_mutations.py")


def _lane(item: pytest.Item) -> str:
    path = Path(str(item.fspath)).resolve().relative_to(TESTS)
    if path.parts[0] in E2E_DIRECTORIES or path.name in E2E_FILES \
            or set(EMULATOR_FIXTURES) & set(getattr(item, "fixturenames", ())):
        return "e2e"
    return "scanners" if path.name in SCANNER_FILES else "unit"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test gets its lane: `unit` (Python only), `scanners` (tools/install-scanners.sh) or `e2e` (the
    emulator); `slow` marks what `make check` leaves out besides the other lanes."""
    for item in items:
        item.add_marker(_lane(item))
        if Path(str(item.fspath)).name in SLOW_FILES:
            item.add_marker("slow")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A failed test that used an emulator reports the executions it started: status, and for each that did not
    succeed its error, cause and last history events, whatever the assertion that failed looked at."""
    outcome = yield
    report = outcome.get_result()
    emulator = next((item.funcargs[name] for name in EMULATOR_FIXTURES if name in getattr(item, "funcargs", {})),
                    None)
    if report.when != "call" or not report.failed or emulator is None:
        return
    from sfn_resume.local.stacks import executions_report

    try:
        text = executions_report(emulator.client("stepfunctions"), started_after=call.start - 1)
    except Exception as error:  # the emulator may be what failed: report that, keep the test's own failure
        text = f"could not list the executions: {error!r}"
    report.sections.append(("executions started by this test", text))


@pytest.fixture(scope="session")
def generic_template() -> dict:
    return load_yaml(TEMPLATES / "sfn-resume.yaml")


@pytest.fixture
def minimal() -> dict:
    return yaml.safe_load(yaml.safe_dump(MINIMAL))
