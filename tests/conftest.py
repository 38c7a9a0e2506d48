from __future__ import annotations

from pathlib import Path

import os

import pytest
from hypothesis import settings
from typer.testing import CliRunner

from sanctions.cli import app

# Property tests: a fixed seed and a bounded number of examples by default, so that the suite is
# fast and reproducible; HYPOTHESIS_PROFILE=thorough runs many more, with a fresh seed each time.
settings.register_profile("ci", max_examples=60, derandomize=True, deadline=None)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures"
GOOD = FIXTURES / "good"
BAD = FIXTURES / "bad"
REPO = TESTS.parent


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Every test builds its databases in a cache of its own, never the user's."""
    import os

    os.environ["SANCTIONS_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    os.environ.pop("SANCTIONS_DATA", None)


@pytest.fixture
def cli(monkeypatch):
    """Run the CLI as a user would, from the repository root, returning the click Result."""
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("SANCTIONS_DATA", raising=False)
    monkeypatch.setenv("COLUMNS", "80")  # tables fit the terminal: pin its width
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None):
        return runner.invoke(app, [str(a) for a in args], env=env)

    return invoke


@pytest.fixture
def good_copy(tmp_path) -> Path:
    """A writable copy of the good fixture dataset."""
    import shutil

    target = tmp_path / "data"
    shutil.copytree(GOOD, target)
    return target


@pytest.fixture
def data(tmp_path, monkeypatch) -> Path:
    """A copy of the shipped data, its files dated in the past (so none is 'racy'), a cache of its own."""
    import shutil

    from sanctions.files import default_data_dir

    monkeypatch.setenv("SANCTIONS_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "data"
    shutil.copytree(default_data_dir(), root)
    age(root)
    return root


class YamlDumper(__import__("yaml").SafeDumper):
    """For tests that generate record files: YAML that reads back the same under YAML 1.2 (a string
    that the 1.2 core schema would take for something else is quoted). `sanctions fmt` is the
    product's writer; this one only has to be correct."""


def _represent_str(dumper, value: str):
    from sanctions.io import resolve_plain

    try:
        plain = isinstance(resolve_plain(value), str)
    except ValueError:
        plain = False
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=None if plain else "'")


YamlDumper.add_representer(str, _represent_str)


def dump(data, **options) -> str:
    """`data` as YAML text that `parse_bytes` reads back equal (block style, keys in order)."""
    import yaml

    return yaml.dump(data, Dumper=YamlDumper, **{"allow_unicode": True, "sort_keys": False, "width": 100,
                                                 **options})


def field_paths(value, prefix=()):
    """Every path into a YAML/JSON value (mappings by key, lists by index), the value's own () first."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from field_paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from field_paths(item, prefix + (index,))


def rule_runs(monkeypatch) -> list[int]:
    """The runs of the rules across records over every record (a full run's, or changes.py's over
    the digests kept), from now on."""
    from sanctions import checks
    from sanctions import validate as validate_module

    runs: list[int] = []
    real = checks.run_checks

    def counting(ds):
        runs.append(1)
        return real(ds)

    monkeypatch.setattr(validate_module, "run_checks", counting)  # (a full run's)
    monkeypatch.setattr(checks, "run_checks", counting)  # (changes.py's, over the facts)
    return runs


def age(root, *paths, seconds=60):
    """Date files (all, or those named) in the past: an edit a minute ago is not 'racy'."""
    import time

    past = time.time() - seconds
    for path in paths or root.rglob("*.yaml"):
        os.utime(path, (past, past))


def edit_text(path, old, new, count=1):
    """Replace text in a file (`count` times; -1: every time), dated a minute ago."""
    text = path.read_text()
    assert old in text, (path.name, old)
    path.write_text(text.replace(old, new, count))
    age(path.parent, path)
