"""What a pull request meets: CONTRIBUTING.md's walk-through works as written, the GitHub files are
valid against their published schemas, and the pre-commit hooks run and catch a broken record."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys

import yaml

from conftest import REPO

GUIDE = REPO / "CONTRIBUTING.md"
EXAMPLE = "nz-2022-seafood-import-ban"
EXAMPLE_SOURCES = ("anews-2022-10-11-nz-more-sanctions-on-russia", "customsnz-2022-12-09-luxury-goods-import-export-ban")


def guide_commands() -> list[list[str]]:
    """The `sanctions new …` commands of CONTRIBUTING.md's shell blocks, as argument lists."""
    blocks = re.findall(r"^```sh\n(.*?)^```$", GUIDE.read_text(encoding="utf-8"), re.M | re.S)
    commands = []
    for block in blocks:
        for command in block.replace("\\\n", " ").splitlines():
            words = shlex.split(command, comments=True)
            if words[:2] == ["sanctions", "new"]:
                commands.append(words[1:])
    return commands


def test_the_guide_walk_through_makes_the_real_record(cli, tmp_path):
    """Following CONTRIBUTING.md on a dataset without the example: each `new` command succeeds and
    writes what the shipped record says, field for field, for everything the flags give."""
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    (data / "measures" / f"{EXAMPLE}.yaml").unlink()
    for source in EXAMPLE_SOURCES:
        (data / "sources" / f"{source}.yaml").unlink()
    commands = guide_commands()
    assert [c[:3] for c in commands] == [["new", "source", EXAMPLE_SOURCES[0]], ["new", "source", EXAMPLE_SOURCES[1]],
                                         ["new", "measure", EXAMPLE]]
    for command in commands:
        result = cli(*command, "--data", data)
        assert result.exit_code == 0, result.output
        written = yaml.safe_load(open(result.stdout.strip(), encoding="utf-8"))
        shipped = yaml.safe_load((REPO / "data" / f"{command[1]}s" / f"{command[2]}.yaml").read_text())
        for key in ("kind", "title", "publisher", "url", "published", "authority", "type", "sectors", "targets"):
            if key in written and "TODO" not in str(written[key]):
                assert written[key] == shipped[key], (command[2], key)
    # What the guide shows of the events is the shipped record's, shortened only by "…".
    text = GUIDE.read_text(encoding="utf-8")
    shipped = yaml.safe_load((REPO / "data/measures" / f"{EXAMPLE}.yaml").read_text())
    for quote in re.findall(r'quote: "(.*?) …"', text):
        assert any(e["citation"]["quote"].startswith(quote) for e in shipped["events"]), quote


def test_the_guide_quotes_the_notes_as_written():
    shipped = yaml.safe_load((REPO / "data/measures" / f"{EXAMPLE}.yaml").read_text())
    text = " ".join(GUIDE.read_text(encoding="utf-8").split())
    quoted = re.search(r'"The amending regulations (.*?)"', text)[0].strip('"')
    assert " ".join(shipped["notes"].split()).startswith(quoted)


def check(schema: str, *paths) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, paths)],
                          capture_output=True, text=True)


def test_issue_form_and_config_match_their_schemas():
    forms = REPO / ".github" / "ISSUE_TEMPLATE"
    result = check("vendor.github-issue-forms", forms / "propose-a-measure.yml")
    assert result.returncode == 0, result.stdout
    assert check("vendor.github-issue-config", forms / "config.yml").returncode == 0
    form = yaml.safe_load((forms / "propose-a-measure.yml").read_text())
    assert form["name"] == "Propose a measure"
    assert {b["id"] for b in form["body"] if "id" in b} >= {"authority", "target", "what", "sources"}


def test_pull_request_workflow_runs_ci():
    workflow = yaml.safe_load((REPO / ".github/workflows/ci.yml").read_text())
    assert "pull_request" in workflow[True]  # PyYAML reads the key `on` as True
    steps = [s.get("run", "") for s in workflow["jobs"]["test"]["steps"]]
    assert ".ci/run" in steps
    assert check("vendor.github-workflows", REPO / ".github/workflows/ci.yml").returncode == 0


def test_pull_request_template_has_the_checklist():
    text = (REPO / ".github" / "pull_request_template.md").read_text()
    for item in ("read in the source it cites", "primary text", "withdrawn, not deleted", "coverage.yaml",
                 "fmt --check", "CHANGELOG.md"):
        assert item in text, item


def test_vscode_snippet_maps_existing_schemas():
    snippet = GUIDE.read_text().split("<!-- vscode:start -->")[1].split("<!-- vscode:end -->")[0]
    settings = json.loads(snippet.strip().removeprefix("```json").removesuffix("```"))
    for schema, pattern in settings["yaml.schemas"].items():
        assert (REPO / schema).is_file(), schema
        assert list(REPO.glob(pattern)), pattern


def pre_commit(*args: str, cwd, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, env=env, capture_output=True,
                          text=True)


def test_pre_commit_manifest_and_config_are_valid():
    env = dict(os.environ)
    assert pre_commit("validate-manifest", ".pre-commit-hooks.yaml", cwd=REPO, env=env).returncode == 0
    assert pre_commit("validate-config", ".pre-commit-config.yaml", cwd=REPO, env=env).returncode == 0
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"sanctions-validate", "sanctions-fmt", "sanctions-schema"}
    assert all("--data data" in h["entry"] for k, h in hooks.items() if k != "sanctions-schema")


def test_pre_commit_hooks_run_and_catch_a_broken_record(tmp_path):
    """The repository's own configuration, run by pre-commit on a copy of the checkout."""
    repo = tmp_path / "checkout"
    repo.mkdir()
    for name in ("data", "schemas", "sanctions"):
        shutil.copytree(REPO / name, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / ".pre-commit-config.yaml", repo)
    (repo / ".venv").symlink_to(REPO / ".venv")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "HOME": str(tmp_path),
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    env.pop("SANCTIONS_DATA", None)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    passed = pre_commit("run", "--all-files", cwd=repo, env=env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert passed.stdout.count("Passed") == 3
    record = repo / "data" / "measures" / f"{EXAMPLE}.yaml"
    record.write_text(record.read_text().replace("authority: NZ", "authority: UK"))
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    failed = pre_commit("run", "--all-files", cwd=repo, env=env)
    assert failed.returncode == 1
    assert "authority: 'UK' is not in vocabularies/authorities.yaml: write the code 'GB'" in failed.stdout
