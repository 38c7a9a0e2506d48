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
