"""`espform sandbox seed` and the synthetic population behind it."""

from __future__ import annotations

import json
import sqlite3
import statistics
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import main
from reconciler.sandbox import open_app, population
from reconciler.sandbox.core import SandboxRequest
from reconciler.sandbox.population import people

ROOT = Path(__file__).parents[2]
QUICKSTART = ROOT / "examples" / "quickstart" / "espform.yaml"
PET_CARE = ROOT / "examples" / "petmanager-mailchimp" / "espform.yaml"


def espform(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], env={"NO_COLOR": "1"})


def seed(flavor: str, db: Path, count: int, *extra: str) -> Result:
    result = espform(
        "sandbox", "seed", "--flavor", flavor, "--db", db, "--subscribers", str(count), *extra
    )
    assert result.exit_code == 0, result.output
    return result


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def ml_rows(db: Path) -> list[tuple[Any, ...]]:
    return rows(db, "SELECT id, email, status, fields FROM subscribers ORDER BY id")


def mc_rows(db: Path) -> list[tuple[Any, ...]]:
    return rows(db, "SELECT hash, email, status, merge_fields FROM members ORDER BY id")


def api(db: Path, flavor: str, path: str, query: str = "") -> Any:
    """One GET through the sandbox's own API, as a provider would send it."""
    app = open_app(flavor, db)
    try:
        headers = {"authorization": "Bearer test"}
        response = app.handle(SandboxRequest.build("GET", path, query, headers, b""))
    finally:
        app.close()
    assert response.status == 200, response.body
    return response.payload()


# The population ------------------------------------------------------------------------


def test_same_seed_gives_the_same_people_and_another_seed_others() -> None:
    first = list(people(500, seed=7))
    assert first == list(people(500, seed=7))
    other = list(people(500, seed=8))
    assert sum(a != b for a, b in zip(first, other, strict=True)) > 450


def test_a_smaller_count_is_a_prefix_of_a_larger_one() -> None:
    assert list(people(100, seed=3)) == list(people(1000, seed=3))[:100]


def test_emails_are_unique_and_valid() -> None:
    emails = [p.email for p in people(5000, seed=1)]
    assert len(set(emails)) == len(emails)
    assert all(e.count("@") == 1 and e == e.lower() for e in emails)


def test_shares_are_roughly_as_designed() -> None:
    crowd = list(people(20_000, seed=11))
    n = len(crowd)

    def share(values: list[Any], value: Any) -> float:
        return Counter(values)[value] / n

    statuses = [p.status for p in crowd]
    assert 0.78 < share(statuses, "active") < 0.86
    for rare in ("unsubscribed", "unconfirmed", "bounced"):
        assert 0.02 < share(statuses, rare) < 0.12
    tiers = [p.tier for p in crowd]
    assert 0.08 < share(tiers, "gold") < 0.12
    assert 0.22 < share(tiers, "silver") < 0.28
    assert 0.10 < share(tiers, None) < 0.20
    regions = Counter(p.region for p in crowd)
    assert len(regions) == 6 and 0.08 < regions[None] / n < 0.16
    assert regions["North America"] > regions["Europe"] > regions["Asia Pacific"]
    assert 0.17 < sum(p.partner_key is not None for p in crowd) / n < 0.23
    assert 0.20 < sum(p.total_sales is None for p in crowd) / n < 0.30
    types = [p.customer_type for p in crowd]
    assert share(types, "Dog owner") > share(types, "Cat owner") > share(types, "Breeder") > 0.03


def test_sales_are_skewed_and_dates_fall_in_the_last_two_years() -> None:
    crowd = list(people(20_000, seed=5))
    earned = [p.total_earned for p in crowd if p.total_earned is not None]
    # A long tail: the mean is pulled far above the median by a few large earners.
    assert statistics.mean(earned) > 1.3 * statistics.median(earned)
    assert max(earned) > 20 * statistics.median(earned)
    start = population.AS_OF - timedelta(days=population.HISTORY_DAYS)
    for p in crowd:
        assert start < p.signup_date <= population.AS_OF
        if p.last_purchase is not None:
            assert p.signup_date <= p.last_purchase <= population.AS_OF
            assert p.total_sales
        assert (p.partner_key is None) == (p.partner_status is None)


def test_as_of_moves_every_date() -> None:
    later = date(2030, 1, 1)
    shifted = list(people(50, seed=2, as_of=later))
    assert all(later - timedelta(days=730) < p.signup_date <= later for p in shifted)


# MailerLite ----------------------------------------------------------------------------


def test_mailerlite_seed_creates_fields_and_subscribers(tmp_path: Path) -> None:
    db = tmp_path / "ml.db"
    result = seed("mailerlite", db, 300, "--seed", "4")

    assert "Seeded 300 subscribers" in result.output
    assert "status: active" in result.output and "tier:   gold" in result.output
    keys = {key for (key,) in rows(db, "SELECT key FROM fields")}
    assert {f.key for f in population.MAILERLITE_FIELDS} <= keys
    assert len(ml_rows(db)) == 300
    statuses = Counter(status for _, _, status, _ in ml_rows(db))
    assert set(statuses) <= {"active", "unsubscribed", "unconfirmed", "bounced"}

    # The API serves the seeded values with the fields' types.
    page = api(db, "mailerlite", "/api/subscribers", "limit=1000&filter[status]=active")
    assert len(page["data"]) == statuses["active"]
    fields = [s["fields"] for s in page["data"]]
    assert any(isinstance(f["total_sales"], int) for f in fields)
    assert any(f["tier"] == "gold" for f in fields)
    assert any(f["partner_key"] and f["status"] for f in fields)


def test_mailerlite_same_seed_same_rows_other_seed_other_rows(tmp_path: Path) -> None:
    seed("mailerlite", tmp_path / "a.db", 200, "--seed", "9")
    seed("mailerlite", tmp_path / "b.db", 200, "--seed", "9")
    seed("mailerlite", tmp_path / "c.db", 200, "--seed", "10")

    assert ml_rows(tmp_path / "a.db") == ml_rows(tmp_path / "b.db")
    assert ml_rows(tmp_path / "a.db") != ml_rows(tmp_path / "c.db")


def test_seeding_again_skips_known_addresses(tmp_path: Path) -> None:
    db = tmp_path / "ml.db"
    seed("mailerlite", db, 50)
    again = seed("mailerlite", db, 80)

    assert "Seeded 30 subscribers" in again.output
    assert "Skipped 50 addresses" in again.output
    assert len(ml_rows(db)) == 80


def test_a_field_of_another_type_stops_the_seed(tmp_path: Path) -> None:
    db = tmp_path / "ml.db"
    app = open_app("mailerlite", db)
    body = json.dumps({"name": "Tier", "type": "number"}).encode()
    headers = {"authorization": "Bearer t", "content-type": "application/json"}
    app.handle(SandboxRequest.build("POST", "/api/fields", "", headers, body))
    app.close()

    result = espform("sandbox", "seed", "--db", db, "--subscribers", "10")

    assert result.exit_code == 1
    assert "field 'tier' is a number field, not text" in result.output
    assert ml_rows(db) == []


def test_audience_is_refused_for_mailerlite(tmp_path: Path) -> None:
    result = espform(
        "sandbox", "seed", "--db", tmp_path / "x.db", "--subscribers", "1", "--audience", "A"
    )
    assert result.exit_code == 1
    assert "--audience applies to the mailchimp flavor" in result.output


# Mailchimp -----------------------------------------------------------------------------


def test_mailchimp_seed_creates_the_audience_merge_fields_and_members(tmp_path: Path) -> None:
    db = tmp_path / "mc.db"
    result = seed("mailchimp", db, 300, "--seed", "4")

    assert 'audience "Pet Manager Customers"' in result.output
    assert "status: subscribed" in result.output
    (list_id,) = rows(db, "SELECT id FROM lists WHERE name = 'Pet Manager Customers'")[0]
    tags = {tag: kind for tag, kind in rows(db, "SELECT tag, type FROM merge_fields")}
    assert tags["CTYPE"] == "dropdown" and tags["VISITS"] == "number"
    assert tags["TIER"] == tags["REGION"] == "text" and tags["LASTVISIT"] == "date"
    statuses = Counter(status for _, _, status, _ in mc_rows(db))
    assert set(statuses) <= {"subscribed", "unsubscribed", "cleaned", "pending"}
    assert sum(statuses.values()) == 300

    page = api(db, "mailchimp", f"/3.0/lists/{list_id}/members", "count=1000")
    assert page["total_items"] == 300
    merged = [m["merge_fields"] for m in page["members"]]
    assert {m["CTYPE"] for m in merged} == {"Dog owner", "Cat owner", "Breeder"}
    assert any(isinstance(m["VISITS"], int) and m["VISITS"] > 5 for m in merged)
    assert any(m["LASTVISIT"] for m in merged) and any(m["TIER"] == "gold" for m in merged)


def test_mailchimp_same_seed_same_rows_and_named_audience(tmp_path: Path) -> None:
    seed("mailchimp", tmp_path / "a.db", 200, "--seed", "9", "--audience", "Clinic")
    seed("mailchimp", tmp_path / "b.db", 200, "--seed", "9", "--audience", "Clinic")
    seed("mailchimp", tmp_path / "c.db", 200, "--seed", "10", "--audience", "Clinic")

    assert rows(tmp_path / "a.db", "SELECT name FROM lists") == [("Clinic",)]
    assert mc_rows(tmp_path / "a.db") == mc_rows(tmp_path / "b.db")
    assert mc_rows(tmp_path / "a.db") != mc_rows(tmp_path / "c.db")


def test_mailchimp_seeding_again_fills_the_same_audience(tmp_path: Path) -> None:
    db = tmp_path / "mc.db"
    seed("mailchimp", db, 40)
    again = seed("mailchimp", db, 60)

    assert "Skipped 40 addresses" in again.output
    assert len(rows(db, "SELECT id FROM lists")) == 1
    assert len(rows(db, "SELECT tag FROM merge_fields WHERE tag = 'CTYPE'")) == 1
    assert len(mc_rows(db)) == 60


# The examples plan against a seeded account --------------------------------------------


def _pointed_at(example: Path, db: Path, folder: Path) -> Path:
    text = example.read_text()
    assert "sandbox: .espform/sandbox.db" in text
    config = folder / "espform.yaml"
    config.write_text(text.replace("sandbox: .espform/sandbox.db", f"sandbox: {db}"))
    return config


def test_quickstart_plans_against_a_seeded_account(tmp_path: Path) -> None:
    db = tmp_path / "ml.db"
    seed("mailerlite", db, 500)

    result = espform("plan", "-c", _pointed_at(QUICKSTART, db, tmp_path))

    assert result.exit_code == 0, result.output
    # The seeded fields are the quickstart's: only its groups are missing.
    assert "Plan: 3 to create, 0 to update, 0 to delete." in result.output
    assert 'mailerlite.field["region"]' in result.output  # seeded, undeclared: left alone


def test_pet_care_example_plans_against_a_seeded_audience(tmp_path: Path) -> None:
    db = tmp_path / "mc.db"
    seed("mailchimp", db, 500)

    result = espform("plan", "-c", _pointed_at(PET_CARE, db, tmp_path))

    assert result.exit_code == 0, result.output
    # The audience, CTYPE and VISITS match the example; it prunes the merge fields it
    # does not declare, so the extra seeded ones are planned for deletion.
    assert 'audience["Pet Manager Customers"] will be' not in result.output
    assert 'merge_field["CTYPE"]' not in result.output
    assert 'merge_field["VISITS"]' not in result.output
    for tag in ("TIER", "REGION", "LASTVISIT"):
        assert f'merge_field["{tag}"] will be deleted' in result.output


@pytest.mark.parametrize("flavor", ["mailerlite", "mailchimp"])
def test_zero_subscribers_still_sets_up_the_fields(tmp_path: Path, flavor: str) -> None:
    db = tmp_path / "empty.db"
    result = seed(flavor, db, 0)
    assert "Seeded 0 subscribers" in result.output
    table = "fields" if flavor == "mailerlite" else "merge_fields"
    assert len(rows(db, f"SELECT * FROM {table}")) > 5
