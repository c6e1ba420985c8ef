"""`python -m bot usage`: what videos cost per server and per person over UTC days, for the operator.

Read from a real store whose ledger the test wrote (SQLite, and PostgreSQL through DATABASE_URL):
charged and reserved spend count, released reservations and days outside the window do not.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json

import pytest

from bot.__main__ import main
from bot.store import JobStore
from tests import cli_support
from tests.doubles import fixtures_cometapi
from tests.ledger_seed import Entry, seed_ledger

cometapi_double = fixtures_cometapi.cometapi_double
fake_discord = cli_support.fake_discord
restore_logging = cli_support.restore_logging
cli_env = cli_support.cli_env

SERVER, OTHER_SERVER = 1_234_567_890_123_456_789, 1_234_567_890_123_456_790  # above 2**53
ALICE, BOB, CAROL = 9_007_199_254_740_993, 501, 502
MARCH_1, MARCH_2, MARCH_31 = dt.date(2026, 3, 1), dt.date(2026, 3, 2), dt.date(2026, 3, 31)

LEDGER = [
    Entry(ALICE, SERVER, MARCH_1, 200_000, units=2),
    Entry(ALICE, SERVER, MARCH_2, 100_000, state="reserved"),
    Entry(ALICE, SERVER, MARCH_2, 800_000, state="released"),  # the provider did not bill it
    Entry(BOB, SERVER, MARCH_2, 125_000, units=4),
    Entry(ALICE, OTHER_SERVER, MARCH_1, 50_000),
    Entry(CAROL, 0, MARCH_2, 60_000),  # a direct message
    Entry(BOB, SERVER, dt.date(2026, 2, 28), 990_000),  # before the window
    Entry(BOB, SERVER, dt.date(2026, 4, 1), 990_000),  # after it
]


@pytest.fixture
async def database(tmp_path):
    path = tmp_path / "motionbot.sqlite3"
    async with await JobStore.open(path):
        pass  # migrated: the ledger exists
    await seed_ledger("sqlite", str(path), LEDGER)
    return path


async def run_usage(capsys, cli_env, *argv: str) -> tuple[int, str, str]:
    code = await asyncio.to_thread(main, ["usage", "--env-file", str(cli_env), *argv])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


MARCH = ("--since", "2026-03-01", "--until", "2026-03-31")


async def test_the_table_has_each_server_and_person_with_their_totals_in_the_currency(
    database, cli_env, capsys, monkeypatch
):
    monkeypatch.setenv("PRICE_CURRENCY", "EUR")
    code, out, _ = await run_usage(capsys, cli_env, *MARCH, "--database", str(database))

    assert code == 0
    lines = [" ".join(line.split()) for line in out.splitlines()]
    assert lines[0] == (
        "Spend from 2026-03-01 to 2026-03-31 (UTC days): charged and reserved; "
        "released reservations count nothing."
    )
    servers = lines[lines.index("server jobs units charged reserved total") + 1 :]
    assert servers[:4] == [
        f"{SERVER} 3 7 0.325 EUR 0.10 EUR 0.425 EUR",
        "direct messages 1 1 0.06 EUR 0.00 EUR 0.06 EUR",
        f"{OTHER_SERVER} 1 1 0.05 EUR 0.00 EUR 0.05 EUR",
        "all servers 5 9 0.435 EUR 0.10 EUR 0.535 EUR",
    ]
    people = lines[lines.index("person jobs units charged reserved total") + 1 :]
    assert people == [
        f"{ALICE} 3 4 0.25 EUR 0.10 EUR 0.35 EUR",
        f"{BOB} 1 4 0.125 EUR 0.00 EUR 0.125 EUR",
        f"{CAROL} 1 1 0.06 EUR 0.00 EUR 0.06 EUR",
        "everyone 5 9 0.435 EUR 0.10 EUR 0.535 EUR",
    ]


async def test_csv_has_a_row_per_server_person_and_the_total_with_exact_amounts(database, cli_env, capsys):
    code, out, _ = await run_usage(capsys, cli_env, *MARCH, "--database", str(database), "--format", "csv")

    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(row["kind"], row["id"]) for row in rows] == [
        ("server", str(SERVER)),
        ("server", "0"),
        ("server", str(OTHER_SERVER)),
        ("person", str(ALICE)),
        ("person", str(BOB)),
        ("person", str(CAROL)),
        ("total", ""),
    ]
    first = rows[0]
    assert (first["jobs"], first["units"], first["charged"], first["reserved"], first["total"]) == (
        "3",
        "7",
        "0.325",
        "0.10",
        "0.425",
    )
    assert {row["currency"] for row in rows} == {"USD"}
    assert rows[-1]["total"] == "0.535"


async def test_json_for_one_server_names_ids_as_strings(database, cli_env, capsys):
    code, out, _ = await run_usage(
        capsys, cli_env, *MARCH, "--database", str(database), "--format", "json", "--guild", str(SERVER)
    )

    assert code == 0
    report = json.loads(out)
    assert (report["since"], report["until"], report["currency"]) == ("2026-03-01", "2026-03-31", "USD")
    assert report["guild_id"] == str(SERVER) and report["counted"] == ["charged", "reserved"]
    assert report["servers"] == [
        {
            "guild_id": str(SERVER),
            "jobs": 3,
            "units": 7,
            "charged": "0.325",
            "reserved": "0.10",
            "total": "0.425",
        }
    ]
    # Alice's spend in the other server is not this server's.
    assert [(person["person_id"], person["total"]) for person in report["people"]] == [
        (str(ALICE), "0.30"),
        (str(BOB), "0.125"),
    ]
    assert report["total"]["total"] == "0.425"


async def test_until_defaults_to_today_and_output_goes_to_a_file(database, cli_env, capsys, tmp_path):
    output = tmp_path / "spend.json"
    code, out, err = await run_usage(
        capsys,
        cli_env,
        "--since",
        "2026-03-02",
        "--database",
        str(database),
        "--format",
        "json",
        "--output",
        str(output),
    )

    assert code == 0 and out == ""
    assert err.strip() == f"wrote the spend report to {output}"
    report = json.loads(output.read_text(encoding="utf-8"))
    assert report["until"] == dt.datetime.now(dt.UTC).date().isoformat()
    assert report["total"]["total"] == "1.275"  # March 2 on, and Bob's April 1 (today is later)


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (
            ("--since", "2026-03-31", "--until", "2026-03-01"),
            "--until 2026-03-01 is before --since 2026-03-31",
        ),
        (("--since", "March 1st"), "'March 1st' is not a day: use YYYY-MM-DD"),
        (("--since", "2026-03-01", "--guild", "abc"), "'abc' is not a server id"),
    ],
)
async def test_a_wrong_window_or_server_is_refused_with_the_fix(database, cli_env, capsys, argv, said):
    code, out, err = await run_usage(capsys, cli_env, *argv, "--database", str(database))
    assert code == 2 and out == ""
    assert said in err


async def test_a_missing_database_is_named_not_created(cli_env, capsys, tmp_path):
    missing = tmp_path / "nowhere.sqlite3"
    code, _, err = await run_usage(capsys, cli_env, *MARCH, "--database", str(missing))
    assert code == 2 and f"there is no database at {missing}" in err
    assert not missing.exists()


async def test_usage_reads_postgresql_through_database_url(cli_env, capsys, postgres_url, monkeypatch):
    async with await JobStore.open_postgres(postgres_url):
        pass
    await seed_ledger("postgresql", postgres_url, LEDGER)
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    code, out, _ = await run_usage(capsys, cli_env, *MARCH, "--format", "json")

    assert code == 0
    report = json.loads(out)
    assert [server["guild_id"] for server in report["servers"]] == [str(SERVER), "0", str(OTHER_SERVER)]
    assert report["total"] == {
        "jobs": 5,
        "units": 9,
        "charged": "0.435",
        "reserved": "0.10",
        "total": "0.535",
    }
