"""Run the benchmarks, print the table, write the JSON."""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import platform
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from . import cost, handovers, report, synthesis, throughput

RESULTS = Path(__file__).resolve().parent / "results"
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "translate"


@dataclass(frozen=True)
class Sizes:
    instances: tuple[int, ...]
    repetitions: int
    cli_repetitions: int
    workflows: tuple[int, ...]
    handovers: tuple[int, ...]
    budget_seconds: float


FULL = Sizes(instances=(1, 10, 50, 200), repetitions=5, cli_repetitions=5, workflows=(25, 50, 100), handovers=(50, 100),
             budget_seconds=120)
QUICK = Sizes(instances=(1, 3), repetitions=1, cli_repetitions=1, workflows=(5,), handovers=(5,), budget_seconds=30)


def _quiet_emulator() -> None:
    """moto warns about every unsupported resource and logs each failed state; neither is a result."""
    warnings.simplefilter("ignore")
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    logging.getLogger("sfn_resume").setLevel(logging.ERROR)


def run(sizes: Sizes) -> dict:
    from sfn_resume import __version__, load_config

    instance = load_config(EXAMPLE / "config.yaml").instances[0]
    success = json.loads((EXAMPLE / "events" / "success.json").read_text())
    failure = json.loads((EXAMPLE / "events" / "failure.json").read_text())
    started = time.perf_counter()
    results = {
        "cost": cost.measure(instance, success, failure),
        "synthesis": synthesis.measure(sizes.instances, sizes.repetitions, sizes.cli_repetitions),
        "throughput": throughput.measure(sizes.workflows, instance, success, sizes.budget_seconds),
        "handovers": handovers.measure(sizes.handovers, instance, success, sizes.budget_seconds),
    }
    results["growth"] = report.growth(results)
    import moto

    results["meta"] = {
        "generated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "quick": sizes is QUICK,
        "runtime_seconds": round(time.perf_counter() - started, 1),
        "sfn_resume": __version__,
        "moto": moto.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "example": "examples/translate",
        "sizes": {"instances": list(sizes.instances), "workflows": list(sizes.workflows),
                  "handovers": list(sizes.handovers),
                  "repetitions": sizes.repetitions, "cli_repetitions": sizes.cli_repetitions},
    }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes and one repetition (the smoke test)")
    parser.add_argument("--output", help="JSON file to write (default: benchmarks/results/latest.json; with --quick, "
                                         "a file in the temporary directory)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    default = Path(tempfile.gettempdir()) / "sfn-resume-bench-quick.json" if args.quick else RESULTS / "latest.json"
    output = Path(args.output) if args.output else default

    _quiet_emulator()
    results = run(sizes)
    print(report.table(results))
    print()
    print("Growth (per-unit figure at the larger input ÷ at the smaller):")
    for line in report.growth_lines(results):
        print(line)
    print()
    for note in report.notes(results):
        print(note)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"\nwrote {output} in {results['meta']['runtime_seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
