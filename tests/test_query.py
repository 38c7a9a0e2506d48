"""`sanctions query`, `show`, `timeline`, `stats` and `sql` on the fixture dataset, exact output."""

from __future__ import annotations

import json

import pytest

from conftest import GOOD

G = ("--data", str(GOOD))

def test_query_table_fits_the_terminal_and_repeated_filters_widen(cli):
    result = cli("query", *G, "--sector", "seafood", "--sector", "diamonds")
    assert result.exit_code == 0
    assert result.stdout == (
        "ID                           AUTHORITY  STATUS TODAY  IN FORCE    TITLE\n"
        "---------------------------  ---------  ------------  ----------  --------------\n"
        "us-2022-diamonds-import-ban  US         in_force      2022-03-11  Import ban on…\n"
        "us-2022-seafood-import-ban   US         in_force      2022-03-11  Import ban on…\n")


def test_tables_use_the_terminal_width_and_wide_cuts_nothing(cli):
    wider = cli("query", *G, "--sector", "seafood", env={"COLUMNS": "100"}).stdout
    assert wider.splitlines()[2] == ("us-2022-seafood-import-ban  US         in_force      2022-03-11  "
                                     "Import ban on seafood")
    wide = cli("query", *G, "--wide").stdout
    assert "Disconnection from financial messaging weighed as an option" in wide
    assert max(map(len, wide.splitlines())) > 80


@pytest.mark.parametrize("columns", ["80", "40"])
def test_ids_are_never_cut_however_narrow(cli, columns):
    lines = cli("query", *G, env={"COLUMNS": columns}).stdout.splitlines()
    assert len(lines) == 2 + 8
    assert {line.split()[0] for line in lines[2:]} >= {"us-2022-requested-trade-cutoff",
                                                       "us-2022-trade-status-revocation"}
    if columns == "80":
        assert max(map(len, lines)) <= 80


def test_query_csv(cli):
    result = cli("query", *G, "--sector", "seafood", "--format", "csv")
    assert result.stdout == (
        "id,title,authority,targets,type,category,sectors,status,requested,considered,threatened,"
        "announced,adopted,published,in_force,wind_down_ends,amended,suspended,lifted,expired,"
        "undated_events\n"
        "us-2022-seafood-import-ban,Import ban on seafood,US,RU,import_ban,trade,seafood,in_force,"
        ",,,2022-03-11,2022-03-11,2022-03-15,2022-03-11,2022-03-25,,,,,\n")


def test_query_json_rows_carry_the_contract_fields(cli):
    [row] = json.loads(cli("query", *G, "--type", "trade_status_revocation", "--format", "json").stdout)
    assert row == {
        "id": "us-2022-trade-status-revocation", "title": "Revocation of normal trade relations",
        "authority": "US", "targets": ["BY", "RU"], "type": "trade_status_revocation",
        "category": "trade", "sectors": ["all_goods"], "status": "in_force", "requested": None,
        "considered": None, "threatened": None, "announced": "2022-03-11", "adopted": "2022-04-08",
        "published": None, "in_force": "2022-04-09", "wind_down_ends": None, "amended": None,
        "suspended": None, "lifted": None, "expired": None, "undated_events": []}


def test_query_ndjson_is_one_object_per_line(cli):
    lines = cli("query", *G, "--authority", "us", "--format", "ndjson").stdout.splitlines()
    assert [json.loads(line)["id"] for line in lines] == [
        "us-2021-option-weighed", "us-2022-alcohol-import-ban", "us-2022-diamonds-import-ban",
        "us-2022-requested-trade-cutoff", "us-2022-seafood-import-ban",
        "us-2022-trade-status-revocation"]


def ids(cli, *args: str) -> list[str]:
    result = cli("query", *G, *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return [row["id"] for row in json.loads(result.stdout)]


@pytest.mark.parametrize("args, expected", [
    (("--hs", "0302"), ["us-2022-seafood-import-ban"]),          # inside the chapter 03 listed
    (("--hs", "03"), ["us-2022-seafood-import-ban"]),
    (("--hs", "71"), ["us-2022-diamonds-import-ban"]),           # 7102 lies in chapter 71
    (("--target", "by"), ["us-2022-trade-status-revocation"]),
    (("--search", "BANK TWO"), ["eu-2022-messaging-ban"]),       # named entities are searched
    (("--search", "100%"), []),                                  # % is literal, not a wildcard
    (("--type", "lending_denial", "--authority", "US"), []),     # different filters narrow
    (("--status", "requested", "--status", "considered"),
     ["us-2021-option-weighed", "us-2022-requested-trade-cutoff"]),
    (("--from", "2021-12-01", "--to", "2021-12-31"), ["us-2021-option-weighed"]),
    (("--from", "2022-04-09"), ["us-2022-trade-status-revocation"]),
    (("--to", "2021-12-07"), ["us-2021-option-weighed"]),
])
def test_filters(cli, args, expected):
    assert ids(cli, *args) == expected


def test_in_force_on_follows_the_lifecycle(cli):
    # 11 March: the bans are in force the day they are signed; the statute is only announced,
    # the messaging ban adopted but not yet applying, the G7 commitment never "in force".
    assert ids(cli, "--in-force-on", "2022-03-11") == [
        "us-2022-alcohol-import-ban", "us-2022-diamonds-import-ban", "us-2022-seafood-import-ban"]
    assert "eu-2022-messaging-ban" in ids(cli, "--in-force-on", "2022-03-12")
    assert "us-2022-trade-status-revocation" not in ids(cli, "--in-force-on", "2022-04-08")
    assert "us-2022-trade-status-revocation" in ids(cli, "--in-force-on", "2022-04-09")
    assert ids(cli, "--in-force-on", "2021-12-31") == []


def test_lifted_measures_are_not_in_force_afterwards(cli, good_copy):
    path = good_copy / "measures" / "us-2022-seafood-import-ban.yaml"
    path.write_text(path.read_text() + "  - {kind: lifted, date: 2023-01-01, citation: {source: gov-order-text}}\n")
    args = ("--data", str(good_copy), "--sector", "seafood", "--format", "json")
    for day, expected in (("2022-12-31", 1), ("2023-01-01", 0)):
        result = cli("query", *args, "--in-force-on", day)
        assert len(json.loads(result.stdout)) == expected, day


@pytest.mark.parametrize("args, message", [
    (("--sector", "seafod"), "error: --sector: unknown value 'seafod' (hint: did you mean 'seafood'?)\n"),
    (("--type", "import"), "error: --type: unknown value 'import' (hint: did you mean 'import_ban'?)\n"),
    (("--status", "active"), "error: --status: unknown value 'active' (hint: valid values: requested, "
     "considered, threatened, announced, adopted, in_force, suspended, lifted, expired)\n"),
    (("--authority", "XX"), "error: --authority: unknown value 'XX' (hint: valid values: AU, BY, CA, CH, "
     "DE, EU, FR, G7, GB, IMF, IT, JP, KR, NATO, NO, NZ, PL, RO, RU, UA, US, WB, WTO)\n"),
    (("--in-force-on", "2022-13-01"),
     "error: --in-force-on: '2022-13-01': no such day (hint: write dates as YYYY-MM-DD)\n"),
    (("--in-force-on", "2022-02-30"),
     "error: --in-force-on: '2022-02-30': no such day (hint: write dates as YYYY-MM-DD)\n"),
    (("--in-force-on", "20220601"),
     "error: --in-force-on: '20220601' is not a date (hint: write dates as YYYY-MM-DD)\n"),
    (("--from", "2022-6-1"), "error: --from: '2022-6-1' is not a date (hint: write dates as YYYY-MM-DD)\n"),
    (("--sector", "oil"),
     "error: --sector: unknown value 'oil' (hint: 'oil' is part of sector 'energy': use --sector energy)\n"),
    (("--target", "Mordor"), "error: --target: unknown value 'Mordor' (hint: valid values: AU, BY, CA, CH, "
     "DE, EU, FR, G7, GB, IMF, IT, JP, KR, NATO, NO, NZ, PL, RO, RU, UA, US, WB, WTO)\n"),
    (("--target", "Iceland"),
     "error: --target: unknown value 'Iceland' (hint: 'Iceland' is IS, which this dataset does not list)\n"),
    (("--instrument", "fx-order-2"),
     "error: --instrument: no instrument with id 'fx-order-2' (hint: did you mean 'fx-order-1'?)\n"),
    (("--source", "gov-statment"),
     "error: --source: no source with id 'gov-statment' (hint: did you mean 'gov-statement'?)\n"),
    (("--search", "a", "--search", "b"), "error: --search takes one value (got 2)\n"),
    (("--from", "2022-02-01", "--to", "2022-01-01"), "error: --from 2022-02-01 is after --to 2022-01-01\n"),
    (("--hs", "fish"), "error: --hs: 'fish' is not a goods code (hint: give 2 to 10 digits, e.g. 0302)\n"),
    (("--format", "xml"), None),
])
def test_bad_arguments_exit_2_with_one_line(cli, args, message):
    result = cli("query", *G, *args)
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    if message:
        assert result.stderr == message
    assert result.stdout == ""


def test_show_text(cli):
    result = cli("show", *G, "eu-2022-messaging-ban")
    assert result.exit_code == 0
    assert result.stdout == """eu-2022-messaging-ban
  Ban on financial messaging services for listed banks

  authority   EU
  targets     RU (Banks listed in the annex): Bank One; Bank Two
  type        financial_messaging_disconnection (financial)
  sectors     banking
  status      in_force (today)

events:
  2022-02-26  announced  [gov-statement]
  2022-03-01  adopted  [eu-regulation-text]
  2022-03-02  published  [eu-regulation-text]
  2022-03-12  in_force  [eu-regulation-text, Article 5h]
              "shall apply from 12 March 2022"

instruments:
  2022-03-01  Council Regulation (EU) 2022/0 (OJ L 0, 2.3.2022, Article 5h)  [fx-regulation]

links:
  follows                  us-2021-option-weighed

sources:
  [eu-regulation-text] Council Regulation (fixture) naming banks. Fixture Official Journal, 2022-03-02. https://eur-lex.europa.eu/eli/reg/2022/345/oj
  [gov-statement] Leaders' statement (fixture). Fixture Government, 2022-03-11. https://www.whitehouse.gov/briefing-room/statements-releases/2022/03/11/g7-leaders-statement/
"""


def test_show_json_includes_instruments_sources_and_reverse_links(cli):
    detail = json.loads(cli("show", *G, "us-2021-option-weighed", "--format", "json").stdout)
    assert detail["status"] == "considered"
    assert detail["linked_from"] == [{"measure": "eu-2022-messaging-ban", "relation": "follows"}]
    assert [s["id"] for s in detail["sources"]] == ["news-report"]
    seafood = json.loads(cli("show", *G, "us-2022-seafood-import-ban", "--format", "json").stdout)
    assert [i["id"] for i in seafood["instruments"]] == ["fx-licence-1", "fx-order-1"]
    assert seafood["instruments"][1]["provision"] == "Sec. 1(a)(i)"
    assert seafood["measure"]["goods"][0]["system"] == "HS"
    assert {s["id"] for s in seafood["sources"]} == {"gov-order-text", "gov-statement"}


def test_show_yaml_is_the_json_in_yaml(cli):
    import yaml

    as_yaml = yaml.safe_load(cli("show", *G, "g7-2022-lending-denial", "--format", "yaml").stdout)
    as_json = json.loads(cli("show", *G, "g7-2022-lending-denial", "--format", "json").stdout)
    assert as_yaml == as_json


def test_show_unknown_id_suggests(cli):
    result = cli("show", *G, "us-2022-seafod-import-ban")
    assert result.exit_code == 2
    assert result.stderr == ("error: no measure, instrument or source with id 'us-2022-seafod-import-ban' "
                             "(hint: did you mean "
                             "'us-2022-seafood-import-ban' or 'us-2022-alcohol-import-ban' or "
                             "'us-2022-diamonds-import-ban'?)\n")


def test_timeline_window_bounds_events(cli):
    result = cli("timeline", *G, "--from", "2022-04-01", "--sector", "all_goods")
    assert result.stdout == (
        "DATE        KIND      MEASURE ID                       SOURCE ID     TITLE\n"
        "----------  --------  -------------------------------  ------------  -----------\n"
        "2022-04-08  adopted   us-2022-trade-status-revocation  statute-text  Revocation…\n"
        "2022-04-09  in_force  us-2022-trade-status-revocation  statute-text  Revocation…\n")
    rows = json.loads(cli("timeline", *G, "--format", "json").stdout)
    assert len(rows) == 25
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)
    assert rows[0] == {"date": "2021-12-07", "kind": "considered", "measure_id": "us-2021-option-weighed",
                       "authority": "US", "actor": None, "source_id": "news-report",
                       "title": "Disconnection from financial messaging weighed as an option"}


def test_stats_json(cli):
    result = json.loads(cli("stats", *G, "--format", "json").stdout)
    assert result["measures"] == 8 and result["sources"] == 5 and result["events"] == 25
    assert result["by_authority"] == {"US": 6, "EU": 1, "G7": 1}
    assert result["by_status"] == {"in_force": 5, "adopted": 1, "considered": 1, "requested": 1}
    assert (result["first_event"], result["last_event"]) == ("2021-12-07", "2022-04-09")


def test_stats_text_starts_with_totals(cli):
    lines = cli("stats", *G).stdout.splitlines()
    assert lines[:6] == ["measures: 8", "withdrawn: 0", "events: 25", "instruments: 5", "sources: 5",
                         "citations: 33"]


def test_sql_select(cli):
    result = cli("sql", *G, "SELECT kind, count(*) AS n FROM events GROUP BY kind ORDER BY n DESC, kind "
                 "LIMIT 2", "--format", "csv")
    assert (result.exit_code, result.stdout) == (0, "kind,n\nadopted,6\nannounced,5\n")


def test_sql_macros_and_views(cli):
    result = cli("sql", *G, "SELECT measure_id FROM status_on(DATE '2022-03-11') WHERE status = 'announced'",
                 "--format", "csv")
    assert result.stdout == "measure_id\nus-2022-trade-status-revocation\n"
    result = cli("sql", *G, "SELECT count(*) AS n FROM in_force_on(DATE '2022-04-09')", "--format", "csv")
    assert result.stdout == "n\n5\n"


def test_tables_and_columns_are_documented_in_the_database(cli):
    result = cli("sql", *G, "SELECT count(*) AS undocumented FROM duckdb_columns() "
                 "WHERE NOT internal AND table_name NOT IN (SELECT view_name FROM duckdb_views()) "
                 "AND (comment IS NULL OR comment = '')", "--format", "csv")
    assert result.stdout == "undocumented\n0\n"


@pytest.mark.parametrize("statement", [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT * FROM glob('/etc/*')",
    "SELECT * FROM 'https://example.org/data.csv'",
    "SELECT * FROM read_parquet('s3://bucket/x.parquet')",
    "COPY events TO '{tmp}/leak.csv'",
    "EXPORT DATABASE '{tmp}/leak'",
    "ATTACH '/tmp/other.duckdb' AS other",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "SET lock_configuration = false",
    "RESET enable_external_access",
    "PRAGMA enable_profiling",
    "INSERT INTO sources SELECT * FROM sources",
    "DELETE FROM measures",
    "DROP TABLE events",
    "CREATE TABLE x AS SELECT 1",
    "CREATE TEMP TABLE x AS SELECT 1",
    "SELECT 1; DROP TABLE events",
    "CALL pragma_version()",
])
def test_sql_sandbox_refuses_everything_but_reading_the_dataset(cli, statement, tmp_path):
    result = cli("sql", *G, statement.format(tmp=tmp_path))
    assert result.exit_code in (1, 2)
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []  # nothing was written where the statement asked


def test_sql_errors_exit_1_with_duckdbs_message_on_one_line(cli):
    result = cli("sql", *G, "SELECT nope FROM events")
    assert result.exit_code == 1
    assert result.stderr.startswith('error: Binder Error: Referenced column "nope" not found')
    assert len(result.stderr.splitlines()) == 1


# --- issue 8: filters by instrument, actor and source; show any record; codes; empty results -----


@pytest.mark.parametrize("args, expected", [
    (("--instrument", "fx-order-1"),
     ["us-2022-alcohol-import-ban", "us-2022-diamonds-import-ban", "us-2022-seafood-import-ban"]),
    (("--instrument", "fx-licence-1"),
     ["us-2022-alcohol-import-ban", "us-2022-diamonds-import-ban", "us-2022-seafood-import-ban"]),
    (("--instrument", "FX-STATUTE"), ["us-2022-trade-status-revocation"]),     # IDs in any case
    (("--actor", "UA"), ["us-2022-requested-trade-cutoff"]),
    (("--actor", "Ukraine"), ["us-2022-requested-trade-cutoff"]),
    (("--source", "news-report"), ["us-2021-option-weighed", "us-2022-requested-trade-cutoff"]),
    (("--source", "statute-text"), ["us-2022-trade-status-revocation"]),
    (("--authority", "UK"), []),                                                 # alias of GB
    (("--target", "Belarus"), ["us-2022-trade-status-revocation"]),              # a country name
    (("--target", "BLR"), ["us-2022-trade-status-revocation"]),                  # ISO alpha-3
    (("--sector", "Seafood"), ["us-2022-seafood-import-ban"]),                   # one case rule
    (("--type", "IMPORT_BAN", "--sector", "seafood"), ["us-2022-seafood-import-ban"]),
    (("--status", "In_Force", "--authority", "eu"), ["eu-2022-messaging-ban"]),
    (("--search", "option_weighed"), []),                                        # _ is literal
    (("--search", "option-weighed"), ["us-2021-option-weighed"]),
])
def test_filters_by_record_and_by_name(cli, args, expected):
    assert ids(cli, *args) == expected


def test_an_empty_result_is_one_line_on_stderr_and_exit_0(cli):
    table = cli("query", *G, "--sector", "seafood", "--authority", "EU", "--in-force-on", "2022-06-01")
    assert (table.exit_code, table.stdout, table.stderr) == (
        0, "", "no measures match --sector seafood --authority EU --in-force-on 2022-06-01\n")
    as_json = cli("query", *G, "--sector", "energy", "--format", "json")
    assert (as_json.exit_code, as_json.stdout) == (0, "[]\n")
    as_csv = cli("query", *G, "--search", "4% to 6%", "--format", "csv")
    assert as_csv.stdout.startswith("id,title,") and len(as_csv.stdout.splitlines()) == 1
    assert as_csv.stderr == "no measures match --search '4% to 6%'\n"
    events = cli("timeline", *G, "--from", "2030-01-01")
    assert (events.stdout, events.stderr) == ("", "no events match --from 2030-01-01\n")


def test_hs_output_says_whether_the_measure_or_its_sector_matched(cli, good_copy):
    rows = json.loads(cli("query", *G, "--hs", "0302", "--format", "json").stdout)
    assert [(r["id"], r["hs_match"]) for r in rows] == [("us-2022-seafood-import-ban", "goods")]
    rows = json.loads(cli("query", *G, "--hs", "2204", "--format", "json").stdout)
    assert [(r["id"], r["hs_match"]) for r in rows] == [("us-2022-alcohol-import-ban", "sector")]
    table = cli("query", *G, "--hs", "2204").stdout
    assert table.splitlines()[0].endswith("HS MATCH") and table.splitlines()[2].endswith("sector")


def test_show_an_instrument_lists_the_measures_it_makes(cli):
    result = cli("show", *G, "fx-licence-1")
    assert result.exit_code == 0
    assert result.stdout == """fx-licence-1
  General License 1

  kind        general_licence
  authority   US
  date        2022-03-11

measures:
  us-2022-alcohol-import-ban  Import ban on alcohol
    makes it; events: wind_down_ends
  us-2022-diamonds-import-ban  Import ban on diamonds
    makes it; events: wind_down_ends
  us-2022-seafood-import-ban  Import ban on seafood
    makes it; events: wind_down_ends

sources:
  [gov-order-text] Executive Order 1 (fixture). Fixture Register, 2022-03-15. https://www.federalregister.gov/d/2022-05554
"""
    detail = json.loads(cli("show", *G, "fx-order-1", "--format", "json").stdout)
    assert detail["record_kind"] == "instrument"
    assert detail["measures"][0] == {"id": "us-2022-alcohol-import-ban", "title": "Import ban on alcohol",
                                     "provision": "Sec. 1(a)(i)", "makes": True,
                                     "events": ["adopted", "in_force", "published"]}


def test_show_a_source_lists_everything_citing_it(cli):
    result = cli("show", *G, "statute-text")
    assert result.stdout == """statute-text
  Public Law (fixture)

  kind        legal_text
  publisher   Fixture Congress
  published   2022-04-08
  accessed    2026-11-01
  url         https://www.congress.gov/117/plaws/publ110/PLAW-117publ110.htm

cited by:
  measure us-2022-trade-status-revocation events[1]
  measure us-2022-trade-status-revocation events[2] [Sec. 2]
  instrument fx-statute citation
"""
    detail = json.loads(cli("show", *G, "news-report", "--format", "json").stdout)
    assert detail["record_kind"] == "source"
    assert {c["record_id"] for c in detail["cited_by"]} == {"us-2021-option-weighed",
                                                            "us-2022-requested-trade-cutoff"}


def test_timeline_shows_each_source_and_orders_ties_the_same_in_any_window(cli, good_copy):
    path = good_copy / "measures" / "us-2022-seafood-import-ban.yaml"
    path.write_text(path.read_text().replace(
        "  - {kind: announced, date: 2022-03-11, citation: {source: gov-statement}}\n",
        "  - {kind: announced, date: 2022-03-11, citation: {source: news-report}}\n"
        "  - {kind: announced, date: 2022-03-11, citation: {source: gov-statement}}\n"))
    args = ("timeline", "--data", str(good_copy), "--sector", "seafood", "--format", "csv")
    whole = cli(*args).stdout.splitlines()
    assert whole[1:5] == [
        "2022-03-11,announced,us-2022-seafood-import-ban,US,,gov-statement,Import ban on seafood",
        "2022-03-11,announced,us-2022-seafood-import-ban,US,,news-report,Import ban on seafood",
        "2022-03-11,adopted,us-2022-seafood-import-ban,US,,gov-order-text,Import ban on seafood",
        "2022-03-11,in_force,us-2022-seafood-import-ban,US,,gov-order-text,Import ban on seafood"]
    window = cli(*args, "--from", "2022-03-11", "--to", "2022-03-11").stdout.splitlines()
    assert window[1:] == whole[1:5]


def test_wide_characters_line_up(cli, good_copy):
    path = good_copy / "measures" / "us-2022-seafood-import-ban.yaml"
    path.write_text(path.read_text().replace("title: Import ban on seafood",
                                             "title: 水産物の輸入禁止 (seafood)"))
    from wcwidth import wcswidth

    lines = cli("query", "--data", str(good_copy), "--sector", "seafood", "--sector", "diamonds",
                "--wide").stdout.splitlines()
    assert lines[3].endswith("水産物の輸入禁止 (seafood)")
    assert wcswidth(lines[3]) == wcswidth(lines[1])  # the widest title sets the rule's width
    title_at = lines[0].index("TITLE")
    assert lines[2][title_at - 2:title_at] == "  " and lines[3][title_at - 2:title_at] == "  "
    narrow = cli("query", "--data", str(good_copy), "--sector", "seafood", env={"COLUMNS": "76"}).stdout
    assert narrow.splitlines()[2].endswith("  水産物の輸…")  # cut by display width, not characters
    assert all(wcswidth(line) <= 76 for line in narrow.splitlines())


def test_sql_tables_wrap_long_values_and_keep_ids_whole(cli):
    result = cli("sql", *G, "SELECT id, title FROM measures WHERE id LIKE 'us-2021%'", env={"COLUMNS": "40"})
    assert result.stdout == (
        "ID                      TITLE\n"
        "----------------------  ----------------\n"
        "us-2021-option-weighed  Disconnection\n"
        "                        from financial\n"
        "                        messaging\n"
        "                        weighed as an\n"
        "                        option\n")


def test_the_api_takes_the_same_filters_as_the_cli():
    import inspect

    import sanctions
    from sanctions.filters import FILTERS

    assert list(inspect.signature(sanctions.query).parameters) == ["data"] + [f.key for f in FILTERS]
    df = sanctions.query(data=GOOD, instrument="fx-order-1", date_from="2022-03-01")
    assert list(df["id"]) == ["us-2022-alcohol-import-ban", "us-2022-diamonds-import-ban",
                              "us-2022-seafood-import-ban"]
    with pytest.raises(sanctions.errors.UsageError, match="unknown filter 'sectors'.*did you mean 'sector'"):
        sanctions.query(data=GOOD, sectors="seafood")
    with pytest.raises(sanctions.errors.UsageError, match="'20220601' is not a date"):
        sanctions.query(data=GOOD, in_force_on="20220601")


# --- issue 7: the declared coverage, and what query says about it ------------------------------


def test_coverage_prints_the_grid_and_every_format_carries_the_notes(cli):
    result = cli("coverage", *G)
    assert result.stdout == (
        "Coverage of measures on RU taken from 2021-12-01 to 2024-12-31:\n"
        "FAMILY               US  EU\n"
        "-------------------  --  --\n"
        "seafood_import_ban   C1  N\n"
        "swift_disconnection  P1  C1\n"
        "C complete, P partial (the note says what is missing), N none found (the note\n"
        "says what was searched); the number counts the measures recorded. Notes:\n"
        "--format json or csv.\n")
    rows = json.loads(cli("coverage", *G, "--format", "json").stdout)
    assert rows[1] == {"family": "seafood_import_ban", "authority": "EU", "status": "none_found",
                       "measures": [], "note": "The Official Journal was searched for 'fish'."}
    assert rows[3]["measures"] == ["eu-2022-messaging-ban"]
    assert cli("coverage", *G, "--format", "csv").stdout.splitlines()[0] == "family,authority,status,measures,note"


@pytest.mark.parametrize("args, note", [
    (("--sector", "seafood"), None),                                     # complete: nothing to say
    (("--sector", "seafood", "--authority", "EU"), None),                # none_found is a finding
    (("--type", "financial_messaging_disconnection"),
     "note: coverage is partial for swift_disconnection by US (see `sanctions coverage`)"),
    (("--sector", "energy"), "note: outside the declared coverage: --sector energy (see `sanctions coverage`)"),
    (("--sector", "seafood", "--authority", "G7"),
     "note: outside the declared coverage: --authority G7 (see `sanctions coverage`)"),
    (("--target", "BY"), "note: outside the declared coverage: --target BY; coverage is partial for "
     "swift_disconnection by US (see `sanctions coverage`)"),
    (("--sector", "seafood", "--in-force-on", "2025-06-01"),
     "note: outside the declared coverage: --in-force-on 2025-06-01 (see `sanctions coverage`)"),
    (("--search", "ban"), None),                                         # no claim without a kind or who
    (("--hs", "0302"), None),                                            # seafood, through its HS codes
    (("--hs", "2710"), "note: outside the declared coverage: --hs 2710 (see `sanctions coverage`)"),
])
def test_query_says_when_filters_reach_beyond_the_complete_scope(cli, args, note):
    lines = [line for line in cli("query", *G, *args).stderr.splitlines() if line.startswith("note:")]
    assert lines == ([note] if note else [])


def test_an_undated_entry_into_force_is_said_not_hidden(cli, good_copy):
    path = good_copy / "measures" / "g7-2022-lending-denial.yaml"
    path.write_text(path.read_text() + "undated_events: [in_force]\n")
    args = ("--data", str(good_copy))
    rows = json.loads(cli("query", *args, "--authority", "G7", "--format", "json").stdout)
    assert (rows[0]["status"], rows[0]["in_force"], rows[0]["undated_events"]) == ("in_force", None, ["in_force"])
    table = cli("query", *args, "--authority", "G7").stdout.splitlines()
    assert table[2].split()[1:4] == ["G7", "in_force", "undated"]
    result = cli("query", *args, "--authority", "G7", "--in-force-on", "2022-06-01")
    assert result.stdout == ""
    assert result.stderr.splitlines()[1] == (
        "note: 1 measure adopted by 2022-06-01 entered into force on a date no source gives and is not "
        "listed: g7-2022-lending-denial")
    shown = cli("show", *args, "g7-2022-lending-denial").stdout
    assert "status      in_force (today); in force on a date no source gives" in shown
    assert "  undated     in_force  (happened; no source read gives the date)" in shown


def test_show_lists_the_sources_cited_directly_and_through_instruments_by_date_undated_last(cli, good_copy):
    measure = good_copy / "measures" / "g7-2022-lending-denial.yaml"
    measure.write_text(measure.read_text().replace(
        "instruments: [{instrument: fx-statement}]",
        "instruments: [{instrument: fx-statement}, {instrument: fx-regulation}]")  # (eu-regulation-text)
        + "  - {kind: announced, date: 2022-03-01, citation: {source: news-report}}\n"
        + "  - {kind: considered, date: 2022-02-01, citation: {source: an-undated-note}}\n")
    (good_copy / "sources" / "an-undated-note.yaml").write_text(
        (good_copy / "sources" / "news-report.yaml").read_text().replace("id: news-report", "id: an-undated-note")
        .replace("published: 2021-12-07\n", "").replace("?id=1", "?id=undated"))
    shown = cli("show", "--data", good_copy, "g7-2022-lending-denial", "--format", "json")
    assert shown.exit_code == 0, shown.output
    assert [s["id"] for s in json.loads(shown.stdout)["sources"]] == [
        "news-report", "eu-regulation-text", "gov-statement", "an-undated-note"]
