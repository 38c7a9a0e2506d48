"""The committed JSON Schemas: valid 2020-12, in step with the models, and accepting exactly what
the models accept (checked on generated documents, not only on examples)."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker
from pydantic import ValidationError

from conftest import GOOD, REPO, field_paths
from sanctions import schema
from sanctions.dataset import FOLDER_SCHEMA
from sanctions.io import read_document

SCHEMAS = REPO / "schemas"
NAMES = sorted(schema.SCHEMA_NAMES)


def committed(name: str) -> dict:
    return json.loads((SCHEMAS / schema.schema_filename(name)).read_text())


def from_schema(body: dict, root: dict | None = None) -> st.SearchStrategy:
    """Documents valid under `body`, for the JSON Schema keywords our generated schemas use.

    (hypothesis-jsonschema would do this, but its last release fails on current Hypothesis.)
    Unsupported keywords raise, so a new kind of schema cannot silently go untested.
    """
    root = root or body
    known = {"$schema", "$id", "$defs", "title", "description", "default", "type", "properties",
             "required", "additionalProperties", "$ref", "anyOf", "enum", "const", "pattern",
             "minLength", "maxLength", "format", "items", "minItems", "maxItems",
             "exclusiveMinimum"}
    unknown = set(body) - known
    assert not unknown, f"from_schema does not handle {unknown}"
    if "$ref" in body:
        name = body["$ref"].removeprefix("#/$defs/")
        return st.deferred(lambda: from_schema(root["$defs"][name], root))
    if "anyOf" in body:
        return st.one_of([from_schema(option, root) for option in body["anyOf"]])
    if "enum" in body:
        return st.sampled_from(body["enum"])
    if "const" in body:
        return st.just(body["const"])
    kind = body.get("type")
    if kind == "null":
        return st.none()
    if kind == "string":
        if body.get("format") == "date":
            return st.dates().map(lambda d: d.isoformat())
        if "pattern" in body:
            strings = st.from_regex(body["pattern"], fullmatch=True)
        else:
            strings = st.text(min_size=body.get("minLength", 0), max_size=min(body.get("maxLength", 40), 40))
        low, high = body.get("minLength", 0), body.get("maxLength", 10**6)
        return strings.filter(lambda text: low <= len(text) <= high)
    if kind in ("integer", "number"):
        low = body.get("exclusiveMinimum")
        if kind == "integer":
            return st.integers(min_value=None if low is None else low + 1)
        return st.floats(min_value=low, exclude_min=low is not None, allow_nan=False,
                         allow_infinity=False)
    if kind == "array":
        return st.lists(from_schema(body["items"], root), min_size=body.get("minItems", 0),
                        max_size=min(body.get("maxItems", 3), 3))
    if kind == "object":
        props = body.get("properties", {})
        required = {k: from_schema(v, root) for k, v in props.items() if k in body.get("required", [])}
        optional = {k: from_schema(v, root) for k, v in props.items() if k not in required}
        return st.fixed_dictionaries(required, optional=optional)
    raise AssertionError(f"from_schema does not handle type {kind!r}")


def generator_schema(name: str) -> dict:
    return committed(name)


@pytest.mark.parametrize("name", NAMES)
def test_committed_schemas_pass_the_2020_12_metaschema(name):
    body = committed(name)
    Draft202012Validator.check_schema(body)
    assert body["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert body["$id"] == f"urn:sanctions:schema:{name}"


@pytest.mark.parametrize("name", NAMES)
def test_fields_are_documented_in_the_schema(name):
    body = committed(name)
    assert body.get("description"), f"{name} has no description"


def test_schema_check_passes_on_the_committed_files(cli):
    result = cli("schema", "--check")
    assert (result.exit_code, result.stdout) == (0, "")


def test_schema_check_fails_on_drift_and_write_repairs_it(cli, tmp_path):
    directory = tmp_path / "schemas"
    assert cli("schema", "--write", "--dir", directory).stdout.count("wrote") == len(NAMES)
    (directory / "measure.schema.json").write_text("{}")
    (directory / "extra.schema.json").write_text("{}")
    result = cli("schema", "--check", "--dir", directory)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{directory}/extra.schema.json: differs from the models (run `sanctions schema --write`)",
        f"{directory}/measure.schema.json: differs from the models (run `sanctions schema --write`)",
    ]
    assert cli("schema", "--write", "--dir", directory).exit_code == 0
    assert cli("schema", "--check", "--dir", directory).exit_code == 0
    assert not (directory / "extra.schema.json").exists()


def test_schema_needs_exactly_one_action(cli):
    result = cli("schema")
    assert (result.exit_code, result.stderr) == (2, "error: give exactly one of --check or --write\n")


@pytest.mark.parametrize("path", sorted(GOOD.glob("*/*.yaml")), ids=lambda p: p.name)
def test_every_good_fixture_passes_its_committed_schema(path):
    name = FOLDER_SCHEMA.get(path.parent.name, path.stem)
    data = read_document(path).data
    Draft202012Validator(committed(name), format_checker=FormatChecker()).validate(data)


# --- parity: the schemas and the models accept and reject the same documents ------------------

def _accepts_schema(name: str, doc) -> bool:
    validator = Draft202012Validator(committed(name), format_checker=FormatChecker())
    return validator.is_valid(doc)


def _accepts_model(name: str, doc) -> bool:
    try:
        schema.SCHEMA_NAMES[name].model_validate_json(json.dumps(doc))
        return True
    except ValidationError:
        return False


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10) | st.text(max_size=5)
    | st.sampled_from(["2022-03-11", "2022-02-30", "US", "NO", "in_force", "x-y", "https://a.b/c",
                       "1.0", "seafood", "0302", ""]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def mutated(draw, name):
    doc = copy.deepcopy(draw(from_schema(generator_schema(name))))
    paths = [p for p in field_paths(doc) if p]
    if not paths:
        return doc
    path = draw(st.sampled_from(paths))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if draw(st.booleans()):
        parent[path[-1]] = draw(JSON_VALUES)
    elif isinstance(parent, dict):
        del parent[path[-1]]
    return doc


# How many examples: the Hypothesis profile (tests/conftest.py): a fixed seed in CI, more on demand.
PARITY = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("name", NAMES)
def test_documents_generated_from_the_schema_are_accepted_by_the_model(name):
    @PARITY
    @given(from_schema(generator_schema(name)))
    def check(doc):
        assert _accepts_model(name, doc), doc

    check()


@pytest.mark.parametrize("name", NAMES)
def test_schema_and_model_agree_on_mutated_documents(name):
    @PARITY
    @given(mutated(name))
    def check(doc):
        assert _accepts_schema(name, doc) == _accepts_model(name, doc), doc

    check()
