"""The release artefacts: `python -m build` makes a wheel and an sdist, and the wheel works from a fresh
virtualenv outside the repository (`--version`, `init`, `synth`, `demo`), with the catalogue inside it."""

import json
import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

from sfn_resume import __version__
from sfn_resume.examples import services

from .helpers import ROOT, TEMPLATES

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], check=True,
                   capture_output=True, text=True)
    return out


@pytest.fixture(scope="module")
def installed(dist, tmp_path_factory) -> Path:
    """A fresh virtualenv with the wheel and its dependencies, installed by pip from the package registry.

    The `local` extra (moto, ~45 s to install) comes from this test run's own environment instead, appended
    after the fresh site-packages by a .pth line (a path there is not a site dir: the repository's editable
    install is not picked up); the package itself and its core dependencies are the fresh venv's own."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    (wheel,) = dist.glob("*.whl")
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "--no-compile", str(wheel)], check=True,
                   capture_output=True, text=True)
    fresh_site = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig."
                                      "get_paths()['purelib'])"], check=True, capture_output=True, text=True)
                      .stdout.strip())
    (fresh_site / "zz-test-run-extras.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def run(venv: Path, cwd: Path, *argv: str) -> str:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run([str(venv / "bin" / "sfn-resume"), *argv], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
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
    assert run(installed, tmp_path, "--version") == f"sfn-resume {__version__}\n"
    assert len(run(installed, tmp_path, "init", "--list").splitlines()) == len(services())
    run(installed, tmp_path, "init", "translate", "-o", "translate.yaml")
    run(installed, tmp_path, "synth", "translate.yaml", "-o", "template.yaml")
    assert (tmp_path / "template.yaml").read_text() == (TEMPLATES / "examples" / "translate.yaml").read_text()
    state = json.loads(run(installed, tmp_path, "pause-state", "translate.yaml"))
    assert state["Resource"].endswith(":states:::states:startExecution.waitForTaskToken")


def test_the_installed_demo_builds_its_template(installed, tmp_path):
    out = run(installed, tmp_path, "demo")
    assert "the generic template (built now) as stack sfn-resume-demo" in out
    assert out.rstrip().endswith("demo OK: the workflow paused and was resumed with the event's data.")


def test_build_outputs_are_ignored_by_git():
    """`pip install .` and `python -m build` leave build/ and dist/ behind: git must not offer to commit them."""
    ignored = subprocess.run(["git", "check-ignore", "build/lib/x.py", "dist/x.whl", "x.egg-info/PKG-INFO"],
                             cwd=ROOT, capture_output=True, text=True)
    assert ignored.stdout.split() == ["build/lib/x.py", "dist/x.whl", "x.egg-info/PKG-INFO"]
