"""What a release rests on: the workflow and citation files valid against their published schemas
(check-jsonschema's vendored SchemaStore copies), one version for code and data, and a wheel that
works on its own in a fresh environment."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest

import sanctions

from conftest import REPO

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))


def check_jsonschema(schema: str, *paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema,
                           *map(str, paths)], capture_output=True, text=True)


def test_workflows_match_the_published_schema():
    assert any(p.name == "release.yml" for p in WORKFLOWS)
    result = check_jsonschema("vendor.github-workflows", *WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "release.yml"
    broken.write_text((REPO / ".github/workflows/release.yml").read_text().replace("runs-on:", "run-on:"))
    assert check_jsonschema("vendor.github-workflows", broken).returncode == 1


def test_release_workflow_tests_builds_exports_and_attaches():
    text = (REPO / ".github/workflows/release.yml").read_text()
    for step in (".ci/run", "python -m build", "sanctions export", "frictionless validate",
                 "zip -r", "gh release create"):
        assert step in text, step


def test_citation_file_is_valid_and_carries_the_version():
    result = check_jsonschema("vendor.citation-file-format", REPO / "CITATION.cff")
    assert result.returncode == 0, result.stdout
    assert re.search(r"^version: (.+)$", (REPO / "CITATION.cff").read_text(), re.M)[1] == sanctions.__version__


def test_changelog_names_the_current_version():
    """The newest release in CHANGELOG.md is the package's version (SemVer for the data)."""
    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", (REPO / "CHANGELOG.md").read_text(), re.M)
    assert releases and releases[0] == sanctions.__version__


def test_a_wheel_in_a_fresh_environment_queries_and_exports(tmp_path):
    """Built and installed as a user gets it: no checkout on the path, run from another folder."""
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)],
                   check=True, capture_output=True)
    wheel = next(dist.glob("sanctions-*.whl"))
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=True)
    subprocess.run([str(env_dir / "bin" / "pip"), "install", "-q", str(wheel)], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    tool = str(env_dir / "bin" / "sanctions")
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SANCTIONS_CACHE_DIR": str(tmp_path / "cache")}
    query = subprocess.run([tool, "query", "--sector", "seafood", "--format", "json"], cwd=elsewhere,
                           capture_output=True, text=True, env=environment)
    assert query.returncode == 0, query.stderr
    expected = sanctions.query(sector="seafood")
    assert sorted(r["id"] for r in json.loads(query.stdout)) == sorted(expected["id"])
    export = subprocess.run([tool, "export", "--out", "data-package", "--format", "csv"], cwd=elsewhere,
                            capture_output=True, text=True, env=environment)
    assert export.returncode == 0, export.stderr
    package = json.loads((elsewhere / "data-package" / "datapackage.json").read_text())
    assert package["version"] == sanctions.__version__ and len(package["resources"]) == 32
