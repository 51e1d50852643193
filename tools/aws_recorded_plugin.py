"""The conformance lane's pytest plugin, loaded by tools/aws_recorded.py into LocalStack's harness (it runs in the
harness's virtualenv, with LocalStack's test modules, not in this project's test suite).

- Strict: LocalStack's own `skip_snapshot_verify` allowances (its known differences from AWS) are not applied, so a
  test passes only where the endpoint answers as AWS did.
- Compared as recorded: LocalStack's Step Functions snapshot fixture replaces the request ids of `SdkHttpMetadata`
  with their names since 2025; every recording made before keeps them as `<uuid:N>` references (no endpoint, AWS
  included, could match such a recording under today's transformers), so for those the three request-id
  transformers are left out.
- Each test's outcome goes, one JSON line per test, to the file named by `AWS_RECORDED_RESULTS`.
"""
from __future__ import annotations

import datetime
import json
import os

import localstack_snapshot.pytest.snapshot as snapshot_plugin
from localstack_snapshot.snapshots.prototype import SnapshotSession
from localstack_snapshot.snapshots.transformer import JsonpathTransformer

snapshot_plugin.is_aws = lambda: True

#: The request-id paths of LocalStack's `TransformerUtility.stepfunctions_api()`, and the first recording made with
#: them (tests/aws/services/stepfunctions: every `SdkHttpMetadata` recorded up to 2024-12-04 keeps the ids).
REQUEST_ID_PATHS = {"$..SdkResponseMetadata..RequestId", "$..x-amzn-RequestId", "$..x-amzn-requestid"}
REQUEST_ID_TRANSFORMERS_SINCE = datetime.date(2025, 1, 1)


def _recorded_on(session: SnapshotSession) -> datetime.date | None:
    try:
        with open(session.file_path) as recording:
            stamp = json.load(recording)[session.scope_key]["recorded-date"]
    except (OSError, KeyError, ValueError):
        return None
    return datetime.datetime.strptime(stamp.split(",")[0], "%d-%m-%Y").date()


_transform = SnapshotSession._transform


def _transform_as_recorded(self: SnapshotSession, tmp: dict) -> dict:
    recorded = _recorded_on(self)
    if recorded is not None and recorded < REQUEST_ID_TRANSFORMERS_SINCE:
        self.transformers = [(transformer, priority) for transformer, priority in self.transformers
                             if not (isinstance(transformer, JsonpathTransformer)
                                     and transformer.jsonpath in REQUEST_ID_PATHS)]
    return _transform(self, tmp)


SnapshotSession._transform = _transform_as_recorded


def pytest_runtest_logreport(report):
    """One line per test: its node id and outcome (a failure in setup or teardown fails the test)."""
    path = os.environ.get("AWS_RECORDED_RESULTS")
    if not path or not (report.when == "call" or report.failed or report.skipped):
        return
    with open(path, "a") as results:
        results.write(json.dumps({"test": report.nodeid, "outcome": report.outcome, "when": report.when}) + "\n")
