"""`sfn-resume init`: a starting config from the examples catalogue the package ships."""

import pytest
import yaml

from sfn_resume import load_config
from sfn_resume.examples import EXAMPLES as PACKAGED_EXAMPLES, services
from sfn_resume.cli import main

from .helpers import EXAMPLES, ROOT, SERVICE_EXAMPLES


def test_the_repository_examples_are_the_packaged_catalogue():
    assert (ROOT / "examples").is_symlink() and EXAMPLES.resolve() == ROOT / "sfn_resume" / "examples"
    assert str(PACKAGED_EXAMPLES) == str(ROOT / "sfn_resume" / "examples")


def test_list_names_every_service_with_what_it_is(capsys):
    assert main(["init", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    # the services, then the config of several services
    assert [line.split()[0] for line in lines] == [*sorted(c.parent.name for c in SERVICE_EXAMPLES), "two-services"]
    assert len(lines) >= 14
    assert "translate              Amazon Translate -- asynchronous batch translation (TextTranslationJob)." in lines


@pytest.mark.parametrize("service", sorted(services()))
def test_init_writes_the_commented_example_and_it_passes_check(service, tmp_path, capsys):
    path = tmp_path / "config.yaml"
    assert main(["init", service, "--name", "MineResume", "-o", str(path)]) == 0
    written, example = path.read_text(), (EXAMPLES / service / "config.yaml").read_text()
    assert written.startswith(f"# Written by `sfn-resume init {service}`")
    assert "# Docs" in written and yaml.safe_load(written) == dict(yaml.safe_load(example), nameSuffix="MineResume")
    assert load_config(path).instances[0].nameSuffix == "MineResume"
    assert main(["check", str(path), "--event", str(EXAMPLES / service / "events" / "success.json")]) == 0
    assert "this event would resume the paused workflow" in capsys.readouterr().out


def test_init_without_output_prints_and_keeps_the_example_name(capsys):
    assert main(["init", "batch"]) == 0
    assert yaml.safe_load(capsys.readouterr().out) == yaml.safe_load((EXAMPLES / "batch" / "config.yaml").read_text())


def test_init_overwrites_only_with_force(tmp_path, capsys):
    path = tmp_path / "mine.yaml"
    path.write_text("keep me\n")
    assert main(["init", "glue", "-o", str(path)]) == 2
    assert capsys.readouterr().err == f"sfn-resume: --output: {str(path)!r} exists with other content; use --force to replace it\n"
    assert path.read_text() == "keep me\n"
    assert main(["init", "glue", "-o", str(path), "--force"]) == 0
    assert load_config(path).instances[0].nameSuffix == "GlueJobRunResume"


@pytest.mark.parametrize("argv, message", [
    (["init", "nope"], "SERVICE: 'nope' is not in the catalogue; choose one of athena, backup, "),
    # a near miss: the name it was meant to be
    (["init", "Glue"], "SERVICE: 'Glue' is not in the catalogue; did you mean 'glue'? (`sfn-resume init --list` lists them)"),
    (["init", "transcibe"], "SERVICE: 'transcibe' is not in the catalogue; did you mean 'transcribe'?"),
    (["init", "two-services", "--name", "Mine"], "--name: 'two-services' is a config of several instances; set "
                                                 "each one's nameSuffix in the file it writes"),
    (["init", "two-services", "--with-samples"], "--with-samples: 'two-services' is a config of several services and "
                                                 "has no samples of its own"),
    (["init", "glue", "--name", "no spaces"], "--name: 'no spaces' is not allowed; expected 1 to 49 letters"),
    (["init"], "init: name a SERVICE (`sfn-resume init --list` lists them)"),
    (["init", "glue", "--list"], "--list: takes no SERVICE, --name, --with-samples or --output"),
])
def test_init_refuses_bad_input_and_writes_nothing(argv, message, tmp_path, capsys):
    assert main([*argv, "-o", str(tmp_path / "out.yaml")]) == 2
    assert capsys.readouterr().err.startswith("sfn-resume: " + message)
    assert list(tmp_path.iterdir()) == []


def test_the_building_guides_catalogue_table_lists_every_service():
    section = (ROOT / "docs" / "BUILDING.md").read_text().split("## Examples\n")[1].split("\n## ")[0]
    listed = [line.split("|")[2].strip(" `") for line in section.splitlines() if line.startswith("| ")][2:]
    assert sorted(listed) == sorted(services())


def test_init_with_samples_writes_them_beside_the_config_in_the_catalogues_layout(tmp_path, capsys):
    config = tmp_path / "translate.yaml"
    assert main(["init", "translate", "--with-samples", "-o", str(config)]) == 0
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == [
        "events/failure.json", "events/success.json", "events/unmatched.json", "state.json", "translate.yaml",
        "workflow.json"]
    for name in ("events/success.json", "state.json", "workflow.json"):
        assert (tmp_path / name).read_text() == (EXAMPLES / "translate" / name).read_text()
    header = config.read_text().split("\n#\n")[0]
    assert "events/success.json, events/failure.json, events/unmatched.json, state.json, workflow.json" in header
    assert "sfn-resume check THIS_FILE --event events/success.json --state state.json" in header
    assert capsys.readouterr().err == (f"sfn-resume: wrote {config} and beside it events/success.json, "
                                       "events/failure.json, events/unmatched.json, state.json, workflow.json\n")
    # the header's command, as it says
    assert main(["check", str(config), "--event", str(tmp_path / "events" / "success.json"),
                 "--state", str(tmp_path / "state.json")]) == 0
    # again: the same files are left as they are; another service's samples are not written over them
    assert main(["init", "translate", "--with-samples", "-o", str(config)]) == 0
    capsys.readouterr()
    assert main(["init", "glue", "--with-samples", "-o", str(tmp_path / "glue.yaml")]) == 2
    assert capsys.readouterr().err == (f"sfn-resume: --output: {str(tmp_path / 'events' / 'success.json')!r} exists "
                                       "with other content; use --force to replace it\n")
    assert not (tmp_path / "glue.yaml").exists()


def test_init_without_samples_says_how_to_get_them(capsys):
    assert main(["init", "glue"]) == 0
    assert ("# Sample events and state: `sfn-resume init glue --with-samples -o FILE` writes them beside FILE."
            in capsys.readouterr().out)


def test_with_samples_needs_an_output(capsys):
    assert main(["init", "glue", "--with-samples"]) == 2
    assert capsys.readouterr().err == ("sfn-resume: --with-samples: needs --output CONFIG_FILE: the samples are "
                                       "written beside it\n")


def test_the_two_services_example_is_reachable(tmp_path):
    path = tmp_path / "two.yaml"
    assert main(["init", "two-services", "-o", str(path)]) == 0
    assert [i.nameSuffix for i in load_config(path).instances] == ["TwoServicesTranslate", "TranscribeResume"]
