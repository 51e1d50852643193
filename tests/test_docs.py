"""The generated parts of the guides in docs/ (tools/docs.py) are what the code gives today: a guide whose table of
options drifts from sfn_resume/options.py fails here, and `make docs` writes it anew."""

import importlib.util
import sys

import pytest

from sfn_resume.options import OPTIONS

from .helpers import ROOT


@pytest.fixture(scope="module")
def docs():
    spec = importlib.util.spec_from_file_location("tools_docs", ROOT / "tools" / "docs.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_guides_are_what_the_code_gives(docs, capsys):
    assert docs.main(["--check"]) == 0, capsys.readouterr().err


def test_a_drifted_table_is_found_and_rewritten(docs, tmp_path, monkeypatch):
    guide = tmp_path / "CONFIGURATION.md"
    guide.write_text(docs.CONFIGURATION.read_text().replace("`nameSuffix`", "`nameSufix`", 1))
    monkeypatch.setattr(docs, "PARTS", {guide: docs.PARTS[docs.CONFIGURATION]})
    monkeypatch.setattr(docs, "REPO", tmp_path)
    assert docs.main(["--check"]) == 1
    assert "`nameSufix`" in guide.read_text()  # --check writes nothing
    assert docs.main([]) == 0
    assert guide.read_text() == docs.CONFIGURATION.read_text()


def test_every_option_has_a_row_of_each_table(docs):
    guide = docs.CONFIGURATION.read_text()
    for option in OPTIONS:
        name = f"`{option.key or option.parameter}`"
        assert guide.count(f"| {name} |") + guide.count(f"| (none) | {name} |") >= 1, name
        assert option.update in guide.replace("\\|", "|"), name


def test_a_missing_marker_is_an_error(docs):
    with pytest.raises(SystemExit, match="no `<!-- generated: options -->`"):
        docs.rewritten("no markers here", {"options": docs.options_table})
