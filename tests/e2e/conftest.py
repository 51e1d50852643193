"""The engines the end-to-end scenarios run on: the embedded emulator in both modes, and LocalStack.

`emulator` is parametrized: `in_process` (a fresh `local_aws()` per test), `server` (one `sfn-resume local`
subprocess per session, boto3 clients pointed at it) and `localstack` (one LocalStack per session, on the host,
offline: tests/e2e/localstack.py). All deploy the committed templates under templates/, with CreateStack and
UpdateStack; in server mode, a test marked `deploys_with_aws_cli` (about deploying and updating: what users meet
with `aws cloudformation deploy`, change sets included) deploys with that command instead. In server mode and on
LocalStack every test shares one account, so each test names its stacks, machines and event sources uniquely.
`pytest -m localstack` (`make test-localstack`) runs LocalStack's lane.
"""
from __future__ import annotations

import contextlib
import itertools
import logging
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from sfn_resume.local import local_aws
from sfn_resume.local.harness import Deployment
from sfn_resume.local.stacks import MAX_TEMPLATE_BODY_BYTES, TEMPLATE_BUCKET, stack_outputs

from .localstack import running_localstack

REPO = Path(__file__).resolve().parents[2]
AWS_CLI = str(Path(sys.executable).with_name("aws"))
REGION = "us-east-1"


def uid() -> str:
    """A name unique in the session."""
    return uuid.uuid4().hex[:10]


class _CachedClients:
    """boto3 clients are thread-safe and slow to create: one per service."""

    def __init__(self) -> None:
        self._clients: dict[str, Any] = {}

    def new_name(self) -> str:
        """A name for a new instance: unique in the account, which every test of the session shares."""
        return uid()

    def _new_client(self, service: str) -> Any:
        raise NotImplementedError

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._new_client(service)
        return self._clients[service]


class InProcess(_CachedClients):
    """`local_aws()`: moto and the bridges in this process."""

    mode = "in_process"

    def __init__(self, local) -> None:
        super().__init__()
        self._local = local
        self._names = itertools.count(1)

    def new_name(self) -> str:
        """Counted: every test has an account of its own, so the first instance of each test has the same names,
        and the same state machine definitions, whose parse the emulator keeps (docs/EMULATOR.md, gap 32)."""
        return f"n{next(self._names)}"

    def _new_client(self, service: str) -> Any:
        return self._local.client(service)

    def deploy(self, stack_name: str, template: Path, parameters: dict | None = None, prefix: str = "") -> Deployment:
        return Deployment.deploy(self, stack_name, template.read_text(), parameters, prefix)


class Server(_CachedClients):
    """The emulator's HTTP server in another process, driven by boto3 and the AWS CLI."""

    mode = "server"

    def __init__(self, endpoint: str, env: dict[str, str]) -> None:
        super().__init__()
        self.endpoint = endpoint
        self.env = env
        #: set per test (the `emulator` fixtures): deploy with `aws cloudformation deploy`, not CreateStack
        self.deploys_with_aws_cli = False
        self._session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                      region_name=REGION)

    def _new_client(self, service: str) -> Any:
        return self._session.client(service, endpoint_url=self.endpoint)

    def cli(self, *args: str) -> str:
        # S3 at the same endpoint: where `deploy --s3-bucket` uploads a template too large to send inline
        result = subprocess.run([AWS_CLI, *args, "--endpoint-url", self.endpoint, "--output", "json"],
                                env=dict(self.env, AWS_ENDPOINT_URL_S3=self.endpoint), capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 0, f"aws {' '.join(args[:2])}: {result.stderr}"
        return result.stdout

    def deploy(self, stack_name: str, template: Path, parameters: dict | None = None, prefix: str = "") -> Deployment:
        if not self.deploys_with_aws_cli:
            return Deployment.deploy(self, stack_name, template.read_text(), parameters, prefix)
        overrides = [f"{key}={value}" for key, value in (parameters or {}).items()]
        bucket = []  # what the command asks for above CloudFormation's inline limit
        if template.stat().st_size > MAX_TEMPLATE_BODY_BYTES:
            self.client("s3").create_bucket(Bucket=TEMPLATE_BUCKET)
            bucket = ["--s3-bucket", TEMPLATE_BUCKET]
        self.cli("cloudformation", "deploy", "--stack-name", stack_name, "--template-file", str(template),
                 "--capabilities", "CAPABILITY_IAM", *bucket,
                 *(["--parameter-overrides", *overrides] if overrides else []))
        outputs = stack_outputs(self.client("cloudformation"), stack_name)
        return Deployment(self, stack_name, {k[len(prefix):]: v for k, v in outputs.items() if k.startswith(prefix)})


class LocalStack(Server):
    """LocalStack in another process, driven by boto3 (and the AWS CLI where a test shows a user's command).

    Stacks are always deployed with CreateStack/UpdateStack and polled every 50 ms: `aws cloudformation deploy`
    waits 30 s before its first look at a stack LocalStack deploys asynchronously, about a second's work.
    """

    mode = "localstack"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(log_dir: Path, *options: str):
    """`sfn-resume local --port N [OPTIONS]` (the README's walkthrough's command) in a subprocess; yields a `Server` for it."""
    port = _free_port()
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION=REGION, PYTHONPATH=str(REPO))
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL"):
        env.pop(key, None)
    log = (log_dir / "server.log").open("w")
    process = subprocess.Popen([str(Path(sys.executable).with_name("sfn-resume")), "local", "--port", str(port), *options],
                               cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        banner = [process.stdout.readline() for _ in range(5)]
        assert f"export AWS_ENDPOINT_URL=http://localhost:{port}\n" in banner, banner
        yield Server(f"http://localhost:{port}", env)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(10)
        process.stdout.close()
        log.close()


@pytest.fixture(scope="session")
def server_emulator(tmp_path_factory):
    """One server for the session (docs/EMULATOR.md, gap 9: one server per process, MOTO_PORT)."""
    with running_server(tmp_path_factory.mktemp("server")) as server:
        yield server


@pytest.fixture(scope="session")
def localstack_emulator(tmp_path_factory):
    """One LocalStack for the session (each pytest worker starts its own)."""
    with running_localstack(_free_port(), tmp_path_factory.mktemp("localstack") / "localstack.log") as endpoint:
        env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                   AWS_DEFAULT_REGION=REGION)
        for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL"):
            env.pop(key, None)
        yield LocalStack(endpoint, env)


@pytest.fixture
def in_process_emulator():
    # the ASL interpreter logs every state failure with its whole AST; the scenarios assert on results
    logger = logging.getLogger("moto.stepfunctions.parser")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with local_aws(REGION) as local:
            yield InProcess(local)
    finally:
        logger.setLevel(level)


LOCALSTACK = pytest.param("localstack", marks=pytest.mark.localstack)


def _engine(request):
    """The engine `request.param` names, set to deploy as the test's module says (`deploys_with_aws_cli`)."""
    engine = request.getfixturevalue(f"{request.param}_emulator")
    if engine.mode == "server":  # LocalStack's stacks are always deployed with CreateStack (LocalStack's docstring)
        engine.deploys_with_aws_cli = request.node.get_closest_marker("deploys_with_aws_cli") is not None
    return engine


@pytest.fixture(params=["in_process", "server", LOCALSTACK])
def emulator(request):
    """One engine: an object with `.mode`, `.client(service)` and `.deploy(...)`."""
    return _engine(request)


@pytest.fixture(params=["in_process", "server"])
def embedded_emulator(request):
    """The embedded emulator in either mode: for what only its bridges can do (e.g. cut a run off after a call)."""
    return _engine(request)


@pytest.fixture(params=["server", LOCALSTACK])
def remote_emulator(request):
    """An engine in another process, which a program reaches as it reaches AWS (an endpoint URL): a `Server`."""
    return _engine(request)
