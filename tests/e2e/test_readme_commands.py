"""Every command the README and the guides in docs/ show runs as shown: `sfn-resume` commands in a copy of the
repository, AWS CLI commands against `sfn-resume local` (AWS_ENDPOINT_URL set, nothing else changed), then the result
is checked: the stacks exist and a workflow pauses and resumes on each PauseState they output. Each block of
commands is found by its guide and its `## ` section; `test_every_command_shown_is_exercised` fails on a block no
test runs."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from sfn_resume import __version__, load_config
from sfn_resume.local.harness import Deployment
from sfn_resume.local.stacks import stack_outputs
from sfn_resume.nested import generic_parameters

from ..helpers import EXAMPLES, ROOT, TEMPLATES, doc_blocks
from .conftest import _free_port, running_server
from .localstack import LOCALSTACK_PYTHON, unavailable

README = ROOT / "README.md"
DOCS = ROOT / "docs"
BUILDING, OPERATING, UPGRADING, IAC, LOCALSTACK = (DOCS / f"{name}.md" for name in (
    "BUILDING", "OPERATING", "UPGRADING", "IAC", "LOCALSTACK"))
FIXTURES = ROOT / "tests" / "fixtures"
BIN = Path(sys.executable).parent

#: The README's bash blocks by section (tests/test_packaging.py reads "Install").
BLOCKS = doc_blocks(README, "bash")
WALKTHROUGH = "Walkthrough: a workflow that pauses, in the emulator"
NESTED = "Nested stacks (from a clone)"
CATALOG = "Publish as a Service Catalog product (from a clone)"
LOCALSTACK_WALKTHROUGH = "A workflow paused and resumed on LocalStack"

#: Each guide's bash blocks (by `## ` section) and the test that runs them as shown: this module's, unless named.
EXERCISED = {
    README: {"Install": "tests/test_packaging.py::test_the_readme_install_section",
             "Quick start": "test_every_command_shown_is_exercised (Makefile targets)",
             WALKTHROUGH: "test_walkthrough_commands",
             "Deploy": "test_deploy_operate_unstick_and_tear_down_commands",
             "Development": "test_every_command_shown_is_exercised (Makefile targets)"},
    BUILDING: {"Start from the catalogue": "test_catalogue_commands, tests/test_packaging.py",
               "Synthesize a template": "test_synthesize_commands_write_what_is_committed",
               "Splice the pause into your workflow": "test_splice_command",
               "Check a config before you deploy": "test_check_command"},
    OPERATING: {"Operating it": "test_deploy_operate_unstick_and_tear_down_commands",
                "A workflow is stuck": "test_deploy_operate_unstick_and_tear_down_commands",
                "Early events, and removing one": "tests/e2e/test_operating_guide.py",
                "Tear down": "test_deploy_operate_unstick_and_tear_down_commands"},
    UPGRADING: {"Upgrading from 0.2": "test_upgrade_from_0_2_commands", "Upgrading from 0.1": "test_upgrade_commands"},
    IAC: {"From a pip install": "tests/test_packaging.py::test_the_iac_guide_from_a_pip_install",
          "AWS SAM": "tests/test_iac_examples.py", "Terraform": "tests/test_iac_examples.py",
          NESTED: "test_nested_stack_commands", CATALOG: "test_service_catalog_commands"},
    LOCALSTACK: {"Run it yourself: on the host, without Docker or an account": "tests/e2e/test_localstack_service.py",
                 LOCALSTACK_WALKTHROUGH: "test_localstack_commands"},
    DOCS / "EMULATOR.md": {"Measured against AWS's recordings": "tests/conformance/test_aws_recorded.py",
                           "Faults on demand": "tests/e2e/test_faults.py"},
}


def test_every_command_shown_is_exercised():
    """Every bash block of the README and of docs/ is one a test runs (listed above); `make` targets exist."""
    shown = {path: set(doc_blocks(path, "bash")) for path in [README, *sorted(DOCS.glob("*.md"))]}
    assert {path: sections for path, sections in shown.items() if sections} == \
        {path: set(sections) for path, sections in EXERCISED.items()}
    targets = set(re.findall(r"^([a-z-]+):.*## ", (ROOT / "Makefile").read_text(), re.M))
    for section in ("Quick start", "Development"):
        for command in re.findall(r"^make (\S+)", BLOCKS[section], re.M):
            assert command in targets, f"README's `make {command}` is not a Makefile target"


def test_python_snippets_run(workdir, monkeypatch):
    assert doc_blocks(README, "python") == {}
    assert sorted(doc_blocks(BUILDING, "python")) == ["Synthesize a template"]
    monkeypatch.chdir(workdir)
    synthesized: dict = {}
    exec(doc_blocks(BUILDING, "python")["Synthesize a template"], synthesized)  # noqa: S102 (the guide's own code)
    assert synthesized["translate"].pause_state(next_state="Publish")["Next"] == "Publish"
    assert "TranslationTranslateResumeTokenTable" in synthesized["mine"].resources
    nested: dict = {}
    exec(doc_blocks(IAC, "python")[NESTED], nested)  # noqa: S102
    assert "TranslationTranslateResumePauseState" in nested["parent"].outputs


@pytest.fixture
def workdir(tmp_path) -> Path:
    """A copy of what the README's commands read and write, so the repository is left as it is."""
    for folder in ("templates", "examples"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def run_block(guide: Path, section: str, cwd: Path, env: dict | None = None, script: str | None = None) -> str:
    """A guide's section's bash blocks as shown (or `script`, the test's copy of them), in bash -euo pipefail."""
    environment = dict(env or {}, PATH=f"{BIN}:/usr/bin:/bin")
    script = doc_blocks(guide, "bash")[section] if script is None else script
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=environment,
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, f"{guide.name} section {section!r} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.mark.timeout(60)
def test_synthesize_commands_write_what_is_committed(workdir):
    run_block(BUILDING, "Synthesize a template", workdir)
    assert (workdir / "sfn-resume.yaml").read_text() == (TEMPLATES / "sfn-resume.yaml").read_text()
    assert (workdir / "translate.yaml").read_text() == (TEMPLATES / "examples" / "translate.yaml").read_text()


@pytest.mark.timeout(30)
def test_catalogue_commands(workdir):
    out = run_block(BUILDING, "Start from the catalogue", workdir)
    assert "transcribe             Amazon Transcribe" in out and "this event would resume the paused workflow" in out
    assert ": pairs with the event\n" in out
    config = load_config(workdir / "my-transcribe" / "config.yaml").instances[0]
    assert config.nameSuffix == "MyTranscribeResume"
    assert config.eventPattern == load_config(EXAMPLES / "transcribe" / "config.yaml").instances[0].eventPattern
    assert (workdir / "my-transcribe" / "events" / "failure.json").read_text() == \
        (EXAMPLES / "transcribe" / "events" / "failure.json").read_text()
    assert out.rstrip().endswith(shlex.quote(f"CreateDashboard={str(config.dashboard).lower()}"))
    assert "NameSuffix=MyTranscribeResume \\\n" in out


@pytest.mark.timeout(30)
def test_splice_command(workdir):
    run_block(BUILDING, "Splice the pause into your workflow", workdir)
    before = json.loads((workdir / "examples" / "translate" / "workflow.json").read_text())["States"]
    after = json.loads((workdir / "workflow-with-pause.json").read_text())["States"]
    assert after["StartTranslation"]["Next"] == "WaitForStartTranslation"
    assert after["WaitForStartTranslation"]["Next"] == before["StartTranslation"]["Next"]
    assert after["WaitForStartTranslation"]["Resource"].endswith(":states:::states:startExecution.waitForTaskToken")


@pytest.mark.timeout(30)
def test_check_command(workdir):
    assert "pairs with the event" in run_block(BUILDING, "Check a config before you deploy", workdir)


@pytest.fixture(scope="module")
def module_server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("readme-server")) as emulator:
        yield emulator


@pytest.fixture
def server(module_server):
    """`sfn-resume local`, one for the module (each start costs a second or two), where each test finds no stack:
    the README's commands use the same stack names, so every stack a test leaves is deleted after it."""
    cfn = module_server.client("cloudformation")
    assert _live_stacks(cfn) == []
    yield module_server
    for name in _live_stacks(cfn):
        cfn.delete_stack(StackName=name)
    assert _live_stacks(cfn) == []


def _live_stacks(cfn) -> list[str]:
    return [s["StackName"] for s in cfn.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"
            and "ParentId" not in s]


def aws_env(server) -> dict:
    return dict(server.env, AWS_ENDPOINT_URL=server.endpoint)


def pause_and_resume(deployment: Deployment, config, event: dict, job_id: str) -> dict:
    """A sample workflow pauses on `job_id`, gets `event` and must succeed; returns it described."""
    workflow = deployment.create_workflow(f"wf-{config.nameSuffix}", config.pathToIdPauseTask)
    run = deployment.start(workflow, job_id)
    deployment.wait_until_paused(run, job_id)
    deployment.send(dict(event, detail={**event["detail"], **_job_field(config, job_id)}))
    return deployment.ended(run)


def _job_field(config, job_id: str) -> dict:
    *_, field = config.pathToIdWorkflow.split(".")
    return {field: job_id}


def sample_event(service: str) -> dict:
    return json.loads((EXAMPLES / service / "events" / "success.json").read_text())


@pytest.mark.timeout(240)
def test_deploy_operate_unstick_and_tear_down_commands(workdir, server):
    """One stack through the README's Deploy, and a workflow resumed; then docs/OPERATING.md's sections in their
    order: Operating it; A workflow is stuck (status, check and redrive say why, resume hands it the event, the other job's failure waits
    for its pause); Tear down, drained as the section says (status names the waiting job, `fail` fails it)."""
    run_block(README, "Deploy", workdir, aws_env(server))
    outputs = stack_outputs(server.client("cloudformation"), "translate-resume")
    deployment, table = Deployment(server, "translate-resume", outputs), outputs["TableName"]
    (translate,) = load_config(EXAMPLES / "translate" / "config.yaml").instances
    pause_and_resume(deployment, translate, sample_event("translate"), "deploy-1")

    # one hand-over remembered, the guide's job unknown, nothing to redrive
    lines = run_block(OPERATING, "Operating it", workdir, aws_env(server)).splitlines()
    assert "  hand-overs remembered (duplicates of their events are ignored): 1" in lines
    assert lines[-3].startswith("8c3a5e1f0b7d4c29a6e2f9d1b4c7a035: nothing known: ")
    assert lines[-2:] == ["the dead-letter queue is empty: nothing to redrive"] * 2

    event = sample_event("translate")
    job = event["detail"]["jobId"]
    run = deployment.start(deployment.create_workflow("wf-stuck", translate.pathToIdPauseTask), job)
    deployment.wait_until_paused(run, job)
    lines = run_block(OPERATING, "A workflow is stuck", workdir, aws_env(server)).splitlines()
    assert lines[0].startswith(f"{job}: a pause is waiting, since ") and lines[0].endswith(f"for execution {run}")
    assert "  eventPattern: matches: this event would resume the paused workflow" in lines
    assert "the dead-letter queue is empty: nothing to redrive" in lines
    assert lines[-2].startswith(f"{job}: resumed: event {event['id']} was handed over to the pause of execution {run}")
    assert lines[-1].startswith("0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e: stored for the pause to come: no pause waits on this "
                                "job yet; the failure waits until ")
    done = deployment.wait(run)
    assert done["status"] == "SUCCEEDED" and deployment.item(job)["eventId"]["S"] == event["id"]  # ResultPath: none
    assert json.loads(deployment.item("0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e")["event"]["S"])["detail"]["cause"] == \
        "job cancelled"

    run = deployment.start(deployment.create_workflow("wf-drained", translate.pathToIdPauseTask), "drain-1")
    deployment.wait_until_paused(run, "drain-1")
    status = subprocess.run([str(BIN / "sfn-resume"), "status", "--stack", "translate-resume"], env=aws_env(server),
                            capture_output=True, text=True, timeout=60).stdout.splitlines()
    assert status[1:3] == ["  pauses waiting: 1", "    on jobs drain-1"]
    fail = re.search(r"`(sfn-resume fail [^`]*)`", OPERATING.read_text().split("## Tear down")[1])[1]
    failed = subprocess.run(["bash", "-c", fail.replace("JOB_ID", "drain-1")], env=dict(aws_env(server), PATH=f"{BIN}:/usr/bin:/bin"),
                            capture_output=True, text=True, timeout=60)
    assert failed.stdout.startswith("drain-1: failed: "), failed.stderr
    assert json.loads(deployment.wait(run)["output"])["failure"]["Cause"] == "instance removed"

    lines = run_block(OPERATING, "Tear down", workdir, aws_env(server)).splitlines()
    assert "  pauses waiting: 0" in lines and "  early success events waiting for their pause: 0" in lines
    with pytest.raises(ClientError) as gone:
        server.client("cloudformation").describe_stacks(StackName="translate-resume")
    assert gone.value.response["Error"]["Code"] == "ValidationError"
    assert table not in server.client("dynamodb").list_tables()["TableNames"]


def section_blocks(guide: Path, section: str, language: str = "bash") -> list[str]:
    """A section's blocks of one language, one by one (doc_blocks joins them)."""
    text = guide.read_text().split(f"\n## {section}\n")[1].split("\n## ")[0]
    return re.findall(rf"^```{language}\n(.*?)^```$", text, re.M | re.S)


@pytest.mark.timeout(120)
def test_walkthrough_commands(workdir, server):
    """The README's walkthrough: its first block starts `sfn-resume local` (the command the `server` fixture runs,
    on a free port: `running_server`), the second runs as shown against it, the port its own; the workflow pauses
    (status says so), the put event resumes it (SUCCEEDED), and status says the job was handed over."""
    start, commands = section_blocks(README, WALKTHROUGH)
    assert start.split("#")[0].split() == ["sfn-resume", "local"]
    assert "http://localhost:5005" in start and "export AWS_ENDPOINT_URL=http://localhost:5005 " in commands
    port = server.endpoint.rsplit(":", 1)[1]
    out = run_block(README, WALKTHROUGH, workdir, {"HOME": str(workdir)},
                    script=commands.replace("localhost:5005", f"localhost:{port}"))
    lines = out.splitlines()
    waiting = [line for line in lines if line.startswith("job-1: a pause is waiting, since ")]
    assert len(waiting) == 1 and waiting[0].endswith(
        "for execution arn:aws:states:us-east-1:123456789012:execution:translate:job-1")
    assert lines[-2:-1] == ['"SUCCEEDED"']
    assert lines[-1].startswith("job-1: handed over: success event ") and \
        " to execution arn:aws:states:us-east-1:123456789012:execution:translate:job-1;" in lines[-1]
    sfn = server.client("stepfunctions")
    sfn.delete_state_machine(stateMachineArn="arn:aws:states:us-east-1:123456789012:stateMachine:translate")


def deploy_an_earlier_version(workdir, server, version: str) -> None:
    """The Deploy section's command, run with `version`'s generic template (tests/fixtures) in place of today's."""
    shipped = workdir / "templates" / "sfn-resume.yaml"
    current = shipped.read_text()
    shutil.copy(FIXTURES / f"sfn-resume-{version}.yaml", shipped)
    run_block(README, "Deploy", workdir, aws_env(server))
    shipped.write_text(current)


@pytest.mark.timeout(240)
def test_upgrade_commands(workdir, server):
    """0.1's stack, deployed with the Deploy section's command, then updated with the upgrade section's."""
    deploy_an_earlier_version(workdir, server, "0.1.0")
    cfn = server.client("cloudformation")
    assert "PauseStateMachineArn" not in stack_outputs(cfn, "translate-resume")  # 0.1 had none
    run_block(UPGRADING, "Upgrading from 0.1", workdir, aws_env(server))
    (stack,) = cfn.describe_stacks(StackName="translate-resume")["Stacks"]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}["LegacyPauseAccess"] == "false"
    outputs = stack_outputs(cfn, "translate-resume")
    assert "PauseStateMachineArn" in outputs
    (translate,) = load_config(EXAMPLES / "translate" / "config.yaml").instances
    pause_and_resume(Deployment(server, "translate-resume", outputs), translate, sample_event("translate"), "upgraded-1")


@pytest.mark.timeout(240)
def test_upgrade_from_0_2_commands(workdir, server):
    """0.2's stack, deployed with the Deploy section's command, then updated with the 0.2 upgrade section's."""
    deploy_an_earlier_version(workdir, server, "0.2.0")
    cfn = server.client("cloudformation")
    (stack,) = cfn.describe_stacks(StackName="translate-resume")["Stacks"]
    assert stack["Description"].startswith("sfn-resume 0.2.0")
    run_block(UPGRADING, "Upgrading from 0.2", workdir, aws_env(server))
    (stack,) = cfn.describe_stacks(StackName="translate-resume")["Stacks"]
    assert stack["StackStatus"] == "UPDATE_COMPLETE" and stack["Description"].startswith(f"sfn-resume {__version__}")
    outputs = stack_outputs(cfn, "translate-resume")
    (translate,) = load_config(EXAMPLES / "translate" / "config.yaml").instances
    done = pause_and_resume(Deployment(server, "translate-resume", outputs), translate, sample_event("translate"),
                            "upgraded-2")
    assert done["status"] == "SUCCEEDED"


@pytest.mark.timeout(180)
def test_nested_stack_commands(workdir, server):
    run_block(IAC, NESTED, workdir, aws_env(server))
    cfn = server.client("cloudformation")
    stacks = {s["StackName"]: s for s in cfn.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"}
    children = [name for name in stacks if name != "my-resumes"]
    assert stacks["my-resumes"]["StackStatus"].endswith("_COMPLETE") and len(children) == 2
    outputs = stack_outputs(cfn, "my-resumes")
    translate, transcribe = load_config(EXAMPLES / "two-services" / "config.yaml").instances
    for config in (translate, transcribe):  # every child output the guide names, for each child
        for key in ("PauseState", "PauseStateJsonata", "PauseStatePolicyArn", "PauseStateMachineArn",
                    "ResumeStateMachineArn", "TableName", "TableArn", "DeadLetterQueueUrl", "AlarmTopicArn"):
            assert outputs[config.nameSuffix + key], (config.nameSuffix, key)
    results = {}
    for config, service in ((translate, "translate"), (transcribe, "transcribe")):
        prefix = config.nameSuffix
        deployment = Deployment(server, "my-resumes", {k[len(prefix):]: v for k, v in outputs.items()
                                                      if k.startswith(prefix)})
        # the same job id in both: each child resumes on its own service's event only
        results[service] = pause_and_resume(deployment, config, sample_event(service), "shared-id")
    for service, done in results.items():
        assert json.loads(done["output"])[{"translate": "translation", "transcribe": "transcription"}[service]][
            "event"]["source"] == f"aws.{service}"

    # Each table's DeletionPolicy is its instance's removalPolicy: Translate's (RETAIN) outlives the stacks.
    tables = {config.nameSuffix: outputs[config.nameSuffix + "TableName"] for config in (translate, transcribe)}
    cfn.delete_stack(StackName="my-resumes")
    dynamodb = server.client("dynamodb")
    assert set(dynamodb.list_tables()["TableNames"]) & set(tables.values()) == {tables["TwoServicesTranslate"]}


@pytest.mark.timeout(180)
def test_service_catalog_commands(workdir, server):
    run_block(IAC, CATALOG, workdir, aws_env(server))
    cfn = server.client("cloudformation")
    resources = {r["LogicalResourceId"]: r for r in cfn.describe_stack_resources(
        StackName="sfn-resume-portfolio")["StackResources"] if "LogicalResourceId" in r}
    # moto's CloudFormation creates the launch role and skips the AWS::ServiceCatalog::* resources (no support)
    assert resources["LaunchRole"]["ResourceStatus"] == "CREATE_COMPLETE"
    role = resources["LaunchRole"]["PhysicalResourceId"]
    (policy,) = server.client("iam").list_role_policies(RoleName=role)["PolicyNames"]
    assert policy == "launch-sfn-resume"

    # What Service Catalog does with the product, through moto's Service Catalog API and CloudFormation.
    portfolio_template = json.loads(subprocess.run(
        [str(BIN / "cfn-flip"), "-j", str(workdir / "portfolio.yaml")],
        capture_output=True, text=True, check=True).stdout)
    product = portfolio_template["Resources"]["Product"]["Properties"]
    catalog = server.client("servicecatalog")
    portfolio_id = catalog.create_portfolio(DisplayName="Step Functions pause/resume",
                                            ProviderName="Platform team")["PortfolioDetail"]["Id"]
    url = "https://my-catalog.s3.amazonaws.com/sfn-resume.yaml"
    created = catalog.create_product(Name=product["Name"], Owner="Platform team", ProductType="CLOUD_FORMATION_TEMPLATE",
                                     ProvisioningArtifactParameters={"Name": __version__, "Info": {"LoadTemplateFromURL": url},
                                                                     "Type": "CLOUD_FORMATION_TEMPLATE"})
    assert catalog.describe_product(Id=created["ProductViewDetail"]["ProductViewSummary"]["ProductId"])
    assert portfolio_id
    body = server.client("s3").get_object(Bucket="my-catalog", Key="sfn-resume.yaml")["Body"].read().decode()
    assert body == (TEMPLATES / "sfn-resume.yaml").read_text()
    (translate,) = load_config(EXAMPLES / "translate" / "config.yaml").instances
    deployment = Deployment.deploy(server, "SC-123456789012-pp-sfnresume", body, generic_parameters(translate))
    pause_and_resume(deployment, translate, sample_event("translate"), "catalog-1")

    # The product's -retain version: its table outlives the provisioned product.
    retained = server.client("s3").get_object(Bucket="my-catalog", Key="sfn-resume-retain.yaml")["Body"].read().decode()
    assert retained == (TEMPLATES / "sfn-resume-retain.yaml").read_text()
    kept = Deployment.deploy(server, "SC-123456789012-pp-retained", retained,
                             dict(generic_parameters(translate), NameSuffix="Retained"))
    cfn.delete_stack(StackName="SC-123456789012-pp-retained")
    assert kept.table_name in server.client("dynamodb").list_tables()["TableNames"]


@pytest.mark.localstack
@pytest.mark.timeout(300)
def test_localstack_commands(workdir, tmp_path):
    """The section's commands, as shown: LocalStack started on the host by tools/localstack/service.py (a service of
    its own for the test, on a free port instead of 4566), `awslocal` awscli-local's from tools/.venv-localstack, run
    by the AWS CLI of this virtualenv, its deprecation notice kept out by the service's exports."""
    if not LOCALSTACK_PYTHON.exists():
        unavailable("tools/.venv-localstack not installed: run tools/install-localstack.sh (make test does)")
    port = _free_port()
    (workdir / "tools").symlink_to(ROOT / "tools")
    env = {"PATH": f"{BIN}:{LOCALSTACK_PYTHON.parent}:/usr/bin:/bin", "HOME": str(tmp_path),
           "SFN_RESUME_LOCALSTACK_STATE": str(tmp_path / "localstack")}
    commands = doc_blocks(LOCALSTACK, "bash")[LOCALSTACK_WALKTHROUGH].replace("tools/localstack/service.py start",
                                               f"tools/localstack/service.py start --port {port}")
    try:
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", commands.replace("localhost:4566", f"localhost:{port}")],
                                cwd=workdir, env=env, capture_output=True, text=True, timeout=240)
    finally:
        subprocess.run([str(ROOT / "tools" / "localstack" / "service.py"), "stop"], env=env, capture_output=True,
                       timeout=60)
    assert result.returncode == 0, f"LOCALSTACK.md's walkthrough failed:\n{result.stdout}\n{result.stderr}"
    assert "deprecated" not in result.stderr, result.stderr  # awslocal's notice, kept out
    lines = result.stdout.splitlines()
    assert lines[-2] == '"SUCCEEDED"'
    assert lines[-1].startswith("job-1: handed over: success event ")
    assert "LocalStack stopped (pid " in result.stderr
