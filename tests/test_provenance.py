"""Provenance (issue 10 §2): placeholders and example hosts are refused in every field of every file,
and a source counted as a primary text is on a host known as official for its publisher
(data/vocabularies/official_hosts.yaml), or says in official_copy_note why a copy stands for it."""

from __future__ import annotations

import json

import pytest

from sanctions.provenance import placeholder_word, reserved_host

STATEMENT = "sources/gov-statement.yaml"
STATEMENT_URL = "https://www.whitehouse.gov/briefing-room/statements-releases/2022/03/11/g7-leaders-statement/"
MIRROR_NOTE = ("official_copy_note: The White House original was not read; the text is the American "
               "Presidency Project's archived copy.\n")


def edit(root, name: str, old: str, new: str) -> None:
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems(cli, root) -> list[tuple[str, int, int, str, str, str]]:
    result = cli("validate", "--data", root, "--format", "json")
    assert "Traceback" not in result.output
    return [(p["path"].split("/data/", 1)[1], p["line"], p["column"], p["field"], p["code"], p["message"])
            for p in json.loads(result.stdout or "[]")]


def codes(cli, root) -> list[tuple[str, str, str]]:
    return [(path, field, code) for path, _, _, field, code, _ in problems(cli, root)]


# --- placeholders -------------------------------------------------------------------------------


@pytest.mark.parametrize("name, old, new, field, word, advice", [
    ("measures/us-2022-seafood-import-ban.yaml", "citation: {source: gov-order-text, locator: annex}",
     'citation: {source: gov-order-text, locator: annex, quote: "PLACEHOLDER QUOTE"}',
     "goods[0].citation.quote", "PLACEHOLDER", "a passage copied exactly from the source, or leave quote out"),
    ("measures/us-2022-seafood-import-ban.yaml", "title: Import ban on seafood", "title: Import ban on TODO",
     "title", "TODO", "the title the document or measure really has"),
    ("sources/gov-statement.yaml", "language: en", "language: en\nnote: Date tbd; see fixme.",
     "note", "tbd", "the real text, or leave the field out if it is optional"),
    ("instruments/fx-statute.yaml", "identifier: Public Law 0-0", "identifier: Public Law 117-XXX",
     "identifier", "XXX", "the act's own name, as it is cited"),
    ("vocabularies/sectors.yaml", "name: Fish and seafood", "name: Fish and seafood (TBD)",
     "sectors[1].name", "TBD", "the real text, or leave the field out if it is optional"),
    ("coverage.yaml", "The Official Journal was searched for 'fish'.", "Lorem ipsum.",
     "cells[1].note", "Lorem ipsum", "the real text, or leave the field out if it is optional"),
])
def test_a_placeholder_word_in_any_field_is_refused(cli, good_copy, name, old, new, field, word, advice):
    edit(good_copy, name, old, new)
    assert [p[:1] + p[3:] for p in problems(cli, good_copy)] == [
        (name, field, "placeholder", f"'{word}' marks unfinished text: replace the placeholder with {advice}")]


@pytest.mark.parametrize("field, url, host, why", [
    ("url", "https://example.org/PLACEHOLDER", "example.org", "a name reserved"),
    ("url", "https://www.example.com/report", "www.example.com", "under example.com, a name reserved"),
    ("url", "http://localhost:8000/report", "localhost", "a name reserved"),
    ("url", "https://news.test/report", "news.test", "under test, a name reserved"),
    ("archived_url", "https://web.example.net/2022/report", "web.example.net", "under example.net, a name reserved"),
    ("archived_url", "http://192.0.2.7/report", "192.0.2.7", "a private, loopback or documentation IP address"),
])
def test_an_example_or_reserved_host_is_refused(cli, good_copy, field, url, host, why):
    name = "sources/news-report.yaml"
    if field == "url":
        edit(good_copy, name, "url: https://www.reuters.com/world/weigh-options?id=1", f"url: {url}")
    else:
        edit(good_copy, name, "\nurl:", f"\narchived_url: {url}\nurl:")
    got = problems(cli, good_copy)
    assert [(p[0], p[3], p[4]) for p in got] == [(name, field, "placeholder-host")]
    what = ("the address where the document was read" if field == "url" else
            "the address of the archived copy, or leave archived_url out")
    message = got[0][5]
    assert message.startswith(f"'{host}' is {why}")
    assert message.endswith(f"where no publisher puts documents: replace the placeholder with {what}")


def test_a_reserved_host_in_a_note_is_refused_and_one_field_gets_one_problem(cli, good_copy):
    edit(good_copy, STATEMENT, "language: en", "language: en\nnote: TODO read it at https://example.org/x")
    assert codes(cli, good_copy) == [(STATEMENT, "note", "placeholder-host")]


def test_the_issue_finding_a_placeholder_official_statement_is_refused_and_counts_for_nothing(cli, good_copy):
    """The report of issue 10: a placeholder source set to official_statement met the primary-text rule."""
    (good_copy / "sources" / "made-up.yaml").write_text(
        'schema_version: "1.0"\nid: made-up\nkind: official_statement\ntitle: Official statement\n'
        "publisher: Government\naccessed: 2026-11-01\nurl: https://example.org/PLACEHOLDER\n")
    (good_copy / "measures" / "us-2022-made-up.yaml").write_text(
        'schema_version: "1.0"\nid: us-2022-made-up\ntitle: A made-up ban\nauthority: US\n'
        "targets: [{code: RU}]\ntype: import_ban\nsectors: [seafood]\nevents:\n"
        '  - {kind: in_force, date: 2022-03-11, citation: {source: made-up, quote: "PLACEHOLDER QUOTE"}}\n')
    assert [p[:2] + p[3:5] for p in problems(cli, good_copy)] == [
        ("measures/us-2022-made-up.yaml", 8, "events", "primary-source-missing"),
        ("measures/us-2022-made-up.yaml", 9, "events[0].citation.quote", "placeholder"),
        ("sources/made-up.yaml", 7, "url", "placeholder-host"),
    ]
    message = problems(cli, good_copy)[0][5]
    assert message == ("the measure entered into force but cites no legal text or official statement "
                       "('made-up' is not on an official host and has no official_copy_note): cite the "
                       "instrument's official text")


@pytest.mark.parametrize("text", [
    "listed in Part A of Annex XXX", "Annexes XXIX, XXX and XXXI", "Annex XXXVIIIA", "point (xxx)",
    "todo el sistema SWIFT", "Todo", "https://eur-lex.europa.eu/eli/reg/2014/833#anx_XXX",
    "Texas", "taxxes", "https://example.org.uk/a",
])
def test_legitimate_text_is_not_taken_for_a_placeholder(text):
    assert placeholder_word(text) is None
    assert all(reserved_host(h) is None for h in ("example.org.uk", "examples.org", "eur-lex.europa.eu"))


@pytest.mark.parametrize("text, word", [
    ("XXX", "XXX"), ("2022/xxx", "xxx"), ("Regulation (EU) 2022/XXX", "XXX"), ("(XXX)", "XXX"),
    ("xxxx", "xxxx"), ("TBD", "TBD"), ("tbd.", "tbd"), ("FixMe", "FixMe"), ("a placeholder", "placeholder"),
    ("TODO: the date", "TODO"), ("lorem\nipsum", "lorem\nipsum"),
])
def test_placeholder_words_are_found(text, word):
    assert placeholder_word(text) == word


def test_the_words_and_hosts_are_defined_once_in_vocab():
    from sanctions import vocab

    assert {"PLACEHOLDER", "TODO", "TBD", "XXX", "FIXME"} <= set(vocab.PLACEHOLDER_WORDS)
    assert {"example.com", "example.org", "example.net", "test", "example", "invalid", "localhost"} \
        <= set(vocab.RESERVED_HOSTS)


# --- official hosts ----------------------------------------------------------------------------

UNOFFICIAL = ("'presidency.ucsb.edu' is not an official host (vocabularies/official_hosts.yaml), so this "
              "official_statement cannot count as a primary text: give the text's address on its "
              "publisher's official host (add the host to official_hosts.yaml if it is the publisher's "
              "own), or say in official_copy_note why this copy stands for the official text (who "
              "published the original, where, and why the original was not read); if it is not a "
              "primary text, change kind")


def test_a_primary_source_on_a_host_that_is_not_official_is_refused(cli, good_copy):
    edit(good_copy, STATEMENT, STATEMENT_URL, "https://presidency.ucsb.edu/node/355485")
    assert [p[:1] + p[3:] for p in problems(cli, good_copy)] == [(STATEMENT, "url", "unofficial-host", UNOFFICIAL)]


def test_the_same_source_with_an_official_copy_note_is_accepted(cli, good_copy):
    edit(good_copy, STATEMENT, STATEMENT_URL, "https://presidency.ucsb.edu/node/355485")
    edit(good_copy, STATEMENT, "language: en", MIRROR_NOTE.rstrip("\n") + "\nlanguage: en")
    assert problems(cli, good_copy) == []


def test_a_source_that_is_not_a_primary_text_needs_no_official_host(cli, good_copy):
    edit(good_copy, STATEMENT, "kind: official_statement", "kind: news")
    edit(good_copy, STATEMENT, STATEMENT_URL, "https://presidency.ucsb.edu/node/355485")
    assert problems(cli, good_copy) == []


def test_an_official_copy_note_on_a_source_that_is_not_a_primary_text_is_refused(cli, good_copy):
    edit(good_copy, "sources/news-report.yaml", "\nurl:", "\n" + MIRROR_NOTE + "url:")
    assert codes(cli, good_copy) == [("sources/news-report.yaml", "official_copy_note", "unneeded-copy-note")]


@pytest.mark.parametrize("url", [
    "https://whitehouse.gov/statement",                 # the host itself
    "https://www.whitehouse.gov/statement",             # a subdomain
    "https://archive.www.whitehouse.gov/statement",     # a subdomain of a subdomain
    "https://WWW.WhiteHouse.GOV./statement",            # host names are case-insensitive
    "https://www.whitehouse.gov:443/statement",         # a port
])
def test_an_official_host_and_its_subdomains_are_accepted(cli, good_copy, url):
    edit(good_copy, STATEMENT, STATEMENT_URL, url)
    assert problems(cli, good_copy) == []


@pytest.mark.parametrize("url", [
    "https://whitehouse.gov.example.net/statement",     # a lookalike under a reserved name
    "https://notwhitehouse.gov/statement",              # only whole labels match
    "https://whitehouse.gov.evil.com/statement",
    "https://lnks.gd/l/redirect-to-whitehouse.gov",
])
def test_a_lookalike_of_an_official_host_is_not_official(cli, good_copy, url):
    edit(good_copy, STATEMENT, STATEMENT_URL, url)
    assert [(p[0], p[3]) for p in problems(cli, good_copy)] == [(STATEMENT, "url")]


def test_a_shared_host_counts_only_on_the_paths_listed(cli, good_copy):
    edit(good_copy, "vocabularies/official_hosts.yaml", "hosts:\n",
         "hosts:\n  - {host: content.govdelivery.com, paths: [/accounts/USDHSCBP/], name: CBP CSMS, "
         "authorities: [US]}\n")
    edit(good_copy, STATEMENT, STATEMENT_URL, "https://content.govdelivery.com/accounts/USDHSCBP/bulletins/351bd1c")
    assert problems(cli, good_copy) == []
    edit(good_copy, STATEMENT, "/accounts/USDHSCBP/", "/accounts/SOMEONEELSE/")
    assert codes(cli, good_copy) == [(STATEMENT, "url", "unofficial-host")]


def test_a_measure_whose_only_primary_text_is_not_official_lacks_a_primary_text(cli, good_copy):
    for name in ("sources/statute-text.yaml", STATEMENT):
        text = (good_copy / name).read_text()
        (good_copy / name).write_text(text.replace("https://www.congress.gov", "https://www.govtrack.us")
                                      .replace("https://www.whitehouse.gov", "https://www.govtrack.us"))
    got = [p for p in problems(cli, good_copy) if p[4] == "primary-source-missing"]
    assert [(p[0], p[5]) for p in got] == [(
        "measures/us-2022-trade-status-revocation.yaml",
        "the measure entered into force but cites no legal text or official statement ('gov-statement', "
        "'statute-text' are not on an official host and have no official_copy_note): cite the "
        "instrument's official text")]


def test_an_instrument_url_must_be_on_an_official_host(cli, good_copy):
    edit(good_copy, "instruments/fx-statute.yaml", "date: 2022-04-08",
         "date: 2022-04-08\nurl: https://www.govtrack.us/congress/bills/117/hr7108")
    assert [p[:1] + p[3:5] for p in problems(cli, good_copy)] == [
        ("instruments/fx-statute.yaml", "url", "unofficial-host")]
    edit(good_copy, "instruments/fx-statute.yaml", "https://www.govtrack.us/congress/bills/117/hr7108",
         "https://www.congress.gov/bill/117th-congress/house-bill/7108")
    assert problems(cli, good_copy) == []


def test_a_withdrawn_source_is_not_checked_for_its_host(cli, good_copy):
    edit(good_copy, STATEMENT, STATEMENT_URL, "https://presidency.ucsb.edu/node/355485")
    edit(good_copy, STATEMENT, "language: en", "language: en\nwithdrawn: {date: 2026-11-02, reason: duplicate}")
    assert codes(cli, good_copy) == []


# --- the vocabulary of official hosts ------------------------------------------------------------


@pytest.mark.parametrize("old, new, want", [
    ("authorities: [US]}\n", "authorities: [XY]}\n",
     ("hosts[1].authorities[0]", "unknown-authority", "'XY' is not in vocabularies/authorities.yaml")),
    ("{host: congress.gov,", "{host: federalregister.gov,",
     ("hosts[3].host", "duplicate-code",
      "host 'federalregister.gov' is listed twice: give each entry of a shared host its own paths")),
    ("{host: congress.gov,", "{host: \"https://congress.gov/\",",
     ("hosts[3].host", "bad-format", "\"https://congress.gov/\" must be a lower-case host name such as "
                                     "'eur-lex.europa.eu', without https:// or a path")),
])
def test_the_official_hosts_vocabulary_is_checked(cli, good_copy, old, new, want):
    edit(good_copy, "vocabularies/official_hosts.yaml", old, new)
    got = [p for p in problems(cli, good_copy) if p[0] == "vocabularies/official_hosts.yaml"]
    assert [p[3:] for p in got] == [want]


def test_the_official_hosts_file_is_required(cli, good_copy):
    (good_copy / "vocabularies" / "official_hosts.yaml").unlink()
    assert codes(cli, good_copy) == [("vocabularies/official_hosts.yaml", "", "missing-file")]


def test_every_primary_source_of_the_shipped_data_counts_as_one():
    from sanctions.record_checks import counts_as_primary
    from sanctions.dataset import load_dataset
    from sanctions.files import default_data_dir
    from sanctions.models import PRIMARY_SOURCE_KINDS

    from sanctions.provenance import index_hosts

    ds, _ = load_dataset(default_data_dir())
    hosts = index_hosts(ds.official_hosts)
    assert hosts
    primary = [s for s in ds.sources.values() if s.kind in PRIMARY_SOURCE_KINDS]
    assert primary and all(counts_as_primary(s, hosts) for s in primary)
    from sanctions.provenance import official_host

    copies = {s.id for s in primary if s.official_copy_note}
    off_host = {s.id for s in primary if official_host(s.url, hosts) is None}
    assert off_host and off_host <= copies  # what is not at an official host explains its copy


def test_the_official_copy_note_is_shown_and_queryable(cli, good_copy):
    edit(good_copy, STATEMENT, STATEMENT_URL, "https://presidency.ucsb.edu/node/355485")
    edit(good_copy, STATEMENT, "language: en", MIRROR_NOTE.rstrip("\n") + "\nlanguage: en")
    shown = cli("show", "--data", good_copy, "gov-statement").stdout
    assert ("\nofficial text read in a copy:\n  The White House original was not read; the text is the "
            "American Presidency Project's archived copy.\n\ncited by:\n") in shown
    rows = cli("sql", "--data", good_copy, "--format", "csv",
               "SELECT id FROM sources WHERE official_copy_note IS NOT NULL").stdout
    assert rows.splitlines() == ["id", "gov-statement"]
