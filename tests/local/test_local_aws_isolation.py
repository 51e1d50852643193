"""The in-process emulator reaches nothing else, whatever the shell says: `sfn-resume demo` in a shell with
`sfn-resume local`'s exports (AWS_ENDPOINT_URL) or a named profile still runs in process."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from sfn_resume.local import local_aws

REPO = Path(__file__).resolve().parents[2]


def _dead_endpoint() -> str:
    """A loopback URL where nothing listens (a port that was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.fixture
def foreign_shell(tmp_path, monkeypatch) -> dict[str, str]:
    """A shell set up for something else: another endpoint, a profile that does not exist here, another region,
    and a config file whose default profile names an endpoint of its own."""
    config = tmp_path / "config"
    config.write_text(f"[default]\nregion = eu-west-3\nendpoint_url = {_dead_endpoint()}\n")
    shell = {"AWS_ENDPOINT_URL": _dead_endpoint(), "AWS_PROFILE": "somewhere-else", "AWS_REGION": "eu-west-3",
             "AWS_CONFIG_FILE": str(config), "AWS_ACCESS_KEY_ID": "AKIAREALLOOKING"}
    for key, value in shell.items():
        monkeypatch.setenv(key, value)
    return shell


def test_local_aws_ignores_the_shell_and_gives_it_back(foreign_shell):
    with local_aws() as aws:
        assert not any(key in os.environ for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_REGION"))
        sqs = aws.client("sqs")
        assert sqs.meta.endpoint_url == "https://sqs.us-east-1.amazonaws.com"
        url = sqs.create_queue(QueueName="here")["QueueUrl"]
        assert sqs.list_queues()["QueueUrls"] == [url]
    assert {key: os.environ[key] for key in foreign_shell} == foreign_shell


@pytest.mark.timeout(120)
def test_demo_runs_in_process_in_a_shell_set_for_sfn_resume_local(foreign_shell):
    demo = subprocess.run([str(Path(sys.executable).with_name("sfn-resume")), "demo"], cwd=REPO,
                          env=dict(os.environ), capture_output=True, text=True, timeout=110)
    assert demo.returncode == 0, demo.stderr[-2000:]
    assert "demo OK: the workflow paused and was resumed with the event's data." in demo.stdout


def test_local_aws_shares_only_the_service_models_it_read_once(foreign_shell, monkeypatch):
    """Each `local_aws()` gets a new boto3 session (its credentials, region, endpoint) on the one data loader of the
    process: a service model read in one context is not read from disk again in the next."""
    import boto3
    from botocore.loaders import JSONFileLoader

    with local_aws() as aws:
        aws.client("cloudformation").list_stacks()
        first = boto3.DEFAULT_SESSION
    reads = []
    original = JSONFileLoader.load_file
    monkeypatch.setattr(JSONFileLoader, "load_file", lambda self, path: reads.append(path) or original(self, path))
    with local_aws() as aws:
        assert boto3.DEFAULT_SESSION is not first
        aws.client("cloudformation").list_stacks()
        assert reads == []
        boto3.Session().client("cloudformation")  # a session of its own reads the models again
        assert any("cloudformation" in str(path) for path in reads)
