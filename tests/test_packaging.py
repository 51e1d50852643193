"""The release artefacts: `python -m build` makes a wheel and an sdist, and the wheel works from a fresh
virtualenv outside the repository, with the catalogue inside it: the base install is the README's "Install" line,
and runs docs/BUILDING.md's "Start from the catalogue" commands as printed and the `--help` examples as a session
in an empty folder, and says which extra `local` and `demo` need; with the test run's `local` extra added, `demo`
runs."""

import json
import os
import re
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

from sfn_resume import __version__
from sfn_resume.cli import COMMAND_EXAMPLES
from sfn_resume.examples import services

from .e2e.test_readme_commands import BLOCKS, BUILDING
from .helpers import EXAMPLES, ROOT, TEMPLATES, doc_blocks, load_yaml

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], check=True,
                   capture_output=True, text=True)
    return out


def readme_install_lines() -> list[str]:
    """The README's Install block, comments dropped: the build line, then the `pip install` lines."""
    return [line.split("#")[0].strip() for line in BLOCKS["Install"].splitlines() if line.split("#")[0].strip()]


@pytest.fixture(scope="module")
def installed(dist, tmp_path_factory) -> Path:
    """A fresh virtualenv with the wheel and its core dependencies (no extra), installed by pip from the package
    registry: the README's base `pip install` line as printed, run in a folder whose `dist/` holds the built wheel."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    folder = tmp_path_factory.mktemp("clone")
    (folder / "dist").symlink_to(dist)
    base = readme_install_lines()[1]
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run(["bash", "-euo", "pipefail", "-c", base.replace("pip install", "pip install --quiet --no-compile")],
                   cwd=folder, env=dict(env, PATH=f"{venv / 'bin'}:/usr/bin:/bin"), check=True, capture_output=True,
                   text=True)
    return venv


def run(venv: Path, cwd: Path, *argv: str, extras: bool = False, code: int = 0) -> subprocess.CompletedProcess:
    """`sfn-resume ARGV` from the venv. With `extras`, the `local` extra (moto, ~45 s to install) comes from this
    test run's own environment, appended to the module path (a path there is not a site dir: the repository's
    editable install is not picked up); the package itself and its core dependencies stay the fresh venv's."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    command = [str(venv / "bin" / "sfn-resume"), *argv]
    if extras:
        command = [str(venv / "bin" / "python"), "-c", "import site, sys; site.addsitedir(sys.argv.pop(1)); "
                   "from sfn_resume.cli import main; sys.exit(main(sys.argv[1:]))", sysconfig.get_paths()["purelib"],
                   *argv]
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == code, result.stderr
    return result


def run_bash(venv: Path, cwd: Path, script: str) -> str:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}:/usr/bin:/bin"
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, f"{script}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_build_makes_a_wheel_and_an_sdist_with_the_catalogue(dist):
    assert sorted(p.name for p in dist.iterdir()) == [f"sfn_resume-{__version__}-py3-none-any.whl",
                                                      f"sfn_resume-{__version__}.tar.gz"]
    wheel = zipfile.ZipFile(dist / f"sfn_resume-{__version__}-py3-none-any.whl").namelist()
    sdist = tarfile.open(dist / f"sfn_resume-{__version__}.tar.gz").getnames()
    for name in services():
        for file in ("config.yaml", "state.json", "events/success.json", "events/failure.json",
                     "events/unmatched.json"):
            assert f"sfn_resume/examples/{name}/{file}" in wheel
            assert f"sfn_resume-{__version__}/sfn_resume/examples/{name}/{file}" in sdist
    assert f"sfn_resume-{__version__}/CHANGELOG.md" in sdist


def test_the_installed_wheel_runs_outside_the_repository(installed, tmp_path):
    where = subprocess.run([str(installed / "bin" / "python"), "-c", "import sfn_resume; print(sfn_resume.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(installed)) and not where.startswith(str(ROOT))
    assert run(installed, tmp_path, "--version").stdout == f"sfn-resume {__version__}\n"
    assert len(run(installed, tmp_path, "init", "--list").stdout.splitlines()) == len(services()) + 1  # two-services
    run(installed, tmp_path, "init", "translate", "-o", "translate.yaml")
    run(installed, tmp_path, "synth", "translate.yaml", "-o", "template.yaml")
    assert (tmp_path / "template.yaml").read_text() == (TEMPLATES / "examples" / "translate.yaml").read_text()
    state = json.loads(run(installed, tmp_path, "pause-state", "translate.yaml").stdout)
    assert state["Resource"].endswith(":states:::states:startExecution.waitForTaskToken")


def test_the_readme_install_section(installed, dist):
    """It builds the wheel as the `dist` fixture does (`python -m build`, into dist/); its base line is what the
    `installed` fixture ran; each extra the others name is one the wheel offers, on the same wheel."""
    build, base, *extras = readme_install_lines()
    assert build == "python3 -m pip install build && python3 -m build --wheel --outdir dist"
    assert base == "pip install dist/sfn_resume-*.whl" and len(extras) == 3
    (wheel,) = dist.glob("*.whl")
    metadata = zipfile.ZipFile(wheel).read(f"sfn_resume-{__version__}.dist-info/METADATA").decode()
    offered = set(re.findall(r"^Provides-Extra: (\S+)$", metadata, re.M))
    named = [re.fullmatch(r'pip install "\$\(ls dist/sfn_resume-\*\.whl\)\[(\w+)\]"', line)[1] for line in extras]
    assert set(named) <= offered == {"aws", "local", "cdk", "dev", "verify"}


def test_the_catalogue_commands_as_printed(installed, tmp_path):
    """docs/BUILDING.md's, from a plain `pip install`, in an empty folder: init --with-samples, check on its
    sample, parameters."""
    out = run_bash(installed, tmp_path, doc_blocks(BUILDING, "bash")["Start from the catalogue"])
    assert "translate              Amazon Translate" in out and "two-services" in out
    assert "  eventPattern: matches: this event would resume the paused workflow\n" in out
    assert ": pairs with the event\n" in out
    assert "NameSuffix=MyTranscribeResume \\\n" in out and "'EventPattern={" in out
    assert (tmp_path / "my-transcribe" / "events" / "unmatched.json").is_file()


def test_the_help_examples_as_a_session_in_an_empty_folder(installed, tmp_path):
    """`--help`'s examples that need no AWS and no emulator, in their order, from the base install."""
    session = ["init", "check", "parameters", "synth", "pause-state", "splice", "catalog"]
    offline = [command for name in session for _, command in COMMAND_EXAMPLES[name]]
    out = run_bash(installed, tmp_path, "\n".join(offline))
    assert "pairs with the event" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([
        "events", "state.json", "workflow.json", "translate.yaml", "two-services.yaml", "translate-parameters.json",
        "sfn-resume.yaml", "sfn-resume-retain.yaml", "translate-stack.yaml", "parent.yaml", "workflow-with-pause.json",
        "portfolio.yaml"])
    assert (tmp_path / "sfn-resume.yaml").read_text() == (TEMPLATES / "sfn-resume.yaml").read_text()
    assert json.loads((tmp_path / "workflow-with-pause.json").read_text())["States"]["StartTranslation"]["Next"] == \
        "WaitForStartTranslation"


@pytest.mark.parametrize("argv, extra, missing", [
    (["local"], "local", "moto, jsonata, boto3 are"),
    (["demo"], "local", "moto, jsonata, boto3 are"),
    (["status", "--stack", "s"], "aws", "boto3 is"),
    (["redrive", "--stack", "s"], "aws", "boto3 is"),
    (["resume", "--stack", "s", "j", "--event", "-"], "aws", "boto3 is"),
    (["fail", "--stack", "s", "j"], "aws", "boto3 is"),
    (["forget", "--stack", "s", "j"], "aws", "boto3 is"),
])
def test_the_base_install_says_which_extra_a_command_needs(installed, tmp_path, argv, extra, missing):
    result = run(installed, tmp_path, *argv, code=2)
    assert result.stderr == (f"sfn-resume: {argv[0]}: needs the '{extra}' extra ({missing} not installed): "
                             f"pip install 'sfn-resume[{extra}]'\n")


def test_the_installed_demo_builds_its_template(installed, tmp_path):
    out = run(installed, tmp_path, "demo", extras=True).stdout
    assert "the generic template (built now) as stack sfn-resume-demo" in out
    assert out.rstrip().endswith("demo OK: the workflow paused and was resumed with the event's data.")


def test_build_outputs_are_ignored_by_git():
    """`pip install .` and `python -m build` leave build/ and dist/ behind: git must not offer to commit them."""
    ignored = subprocess.run(["git", "check-ignore", "build/lib/x.py", "dist/x.whl", "x.egg-info/PKG-INFO"],
                             cwd=ROOT, capture_output=True, text=True)
    assert ignored.stdout.split() == ["build/lib/x.py", "dist/x.whl", "x.egg-info/PKG-INFO"]


IAC_GUIDE = ROOT / "docs" / "IAC.md"


def test_the_iac_guide_from_a_pip_install(installed, tmp_path):
    """docs/IAC.md's commands as printed, from the base install in an empty folder: the generic template they write
    is the one the SAM and Terraform examples take (byte for byte templates/sfn-resume.yaml), the parameters are
    the SAM example's; then its Python CfnInclude recipe, as printed, with the test run's `cdk` extra added."""
    run_bash(installed, tmp_path, doc_blocks(IAC_GUIDE, "bash")["From a pip install"])
    assert (tmp_path / "sfn-resume.yaml").read_text() == (TEMPLATES / "sfn-resume.yaml").read_text()
    sam = load_yaml(EXAMPLES / "iac" / "sam" / "template.yaml")["Resources"]["TranslateResume"]["Properties"]
    assert sam["Location"] == "sfn-resume.yaml"
    assert json.loads((tmp_path / "parameters.json").read_text()) == sam["Parameters"]
    pytest.importorskip("aws_cdk", reason="the 'cdk' extra is not installed in the test run (make test installs it)")
    recipe = doc_blocks(IAC_GUIDE, "python")["AWS CDK (any language): the generic template through `CfnInclude`"]
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="1", CDK_VALIDATION="false", CDK_OUTDIR="cdk.out")
    script = "import site, sys; site.addsitedir(sys.argv.pop(1)); exec(sys.stdin.read())"
    result = subprocess.run([str(installed / "bin" / "python"), "-c", script, sysconfig.get_paths()["purelib"]],
                            input=recipe, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    (synthesized,) = (tmp_path / "cdk.out").glob("TranslateResume.template.json")
    assert json.loads(synthesized.read_text())["Resources"]["ResumeRule"]["Properties"]["EventPattern"] == {
        "Fn::Sub": sam["Parameters"]["EventPattern"]}
