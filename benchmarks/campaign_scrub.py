"""DND scrub benchmark: one campaign of ``contacts`` contacts against a DND list of ``dnd``
numbers, ``hits`` of which are the campaign's, timed through the dialer's own
``CampaignDialerRepository.scrub`` (one SQL statement: the hits become ``dnd`` with their
DND CDR row).

The rows are written with COPY straight into the tables of migration 012 (contacts,
dnd_numbers, campaign_contacts), in a scratch database of the stack's PostgreSQL that no
engine looks at. Each variant is a fresh database: ``as loaded`` scrubs right after the
load, as the dialer does when a just-created campaign starts (autovacuum has not analysed
the new rows yet); ``analyzed`` after ``ANALYZE``. The second scrub of the same campaign (no
hit left: what the dialer's periodic re-scrub costs) is timed too.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import asyncpg

from benchmarks.campaign_data import hex_id, us_number
from benchmarks.stack import scratch_database
from engine.ari.backoff import Backoff
from engine.store.campaign_dialer import CampaignDialerRepository
from engine.store.db import Database

ACCOUNT = "bench_scrub"
ZONES = ["America/New_York"]


async def load(conn: asyncpg.Connection, *, contacts: int, dnd: int, hits: int) -> str:
    """Write the account, the list, the DND list, the running campaign and its contacts;
    return the campaign's id."""
    list_id, dnd_list_id, campaign_id = hex_id("LS"), hex_id("DN"), hex_id("CM")
    await conn.execute("INSERT INTO accounts (account_id, token_salt, token_hash) "
                       "VALUES ($1, 'x', 'y')", ACCOUNT)
    await conn.execute("INSERT INTO contact_lists (list_id, account_id, name) "
                       "VALUES ($1, $2, 'bench')", list_id, ACCOUNT)
    await conn.execute("INSERT INTO dnd_lists (dnd_list_id, account_id, name) "
                       "VALUES ($1, $2, 'bench')", dnd_list_id, ACCOUNT)
    await conn.copy_records_to_table(
        "contacts", columns=("contact_id", "list_id", "number", "name", "zones"),
        records=((n + 1, list_id, us_number(n), f"Contact {n}", ZONES)
                 for n in range(contacts)))
    await conn.execute("SELECT setval('contacts_contact_id_seq', $1)", contacts)
    # ``hits`` numbers of the list, spread over it; the rest numbers nobody in the list has.
    step = max(1, contacts // hits) if hits else 1
    dnd_numbers = [us_number(n) for n in range(0, contacts, step)][:hits]
    dnd_numbers += [us_number(contacts + n) for n in range(dnd - len(dnd_numbers))]
    await conn.copy_records_to_table(
        "dnd_numbers", columns=("dnd_list_id", "number", "name"),
        records=((dnd_list_id, number, "no") for number in dnd_numbers))
    await conn.execute(
        "INSERT INTO campaigns (campaign_id, account_id, name, list_id, dnd_list_id, "
        "campaign_type, definition, start_at, end_at, calls_per_minute, status, "
        "next_dial_at, started_at) "
        "VALUES ($1, $2, 'bench', $3, $4, 0, '{\"caller_id\": \"15168148111\"}', "
        "now() - interval '1 minute', now() + interval '1 day', 600, 1, now(), now())",
        campaign_id, ACCOUNT, list_id, dnd_list_id)
    await conn.copy_records_to_table(
        "campaign_contacts", columns=("campaign_id", "contact_id", "number", "zones"),
        records=((campaign_id, n + 1, us_number(n), ZONES) for n in range(contacts)))
    return campaign_id


async def one_variant(dsn: str, *, analyze: bool, contacts: int, dnd: int, hits: int
                      ) -> dict[str, Any]:
    async with scratch_database(dsn, "bench_scrub") as scratch:
        conn = await asyncpg.connect(scratch)
        try:
            started = time.perf_counter()
            campaign_id = await load(conn, contacts=contacts, dnd=dnd, hits=hits)
            if analyze:
                await conn.execute("ANALYZE")
            load_seconds = time.perf_counter() - started
        finally:
            await conn.close()
        db = Database(scratch, min_size=1, max_size=2, backoff=Backoff(0.5, 5.0))
        await db.connect_once()
        try:
            repo = CampaignDialerRepository(db)
            started = time.perf_counter()
            scrubbed = await repo.scrub(campaign_id, datetime.now(UTC))
            seconds = time.perf_counter() - started
            started = time.perf_counter()
            again = await repo.scrub(campaign_id, datetime.now(UTC))
            rescrub_seconds = time.perf_counter() - started
            async with db.connection() as conn2:
                dnd_rows = await conn2.fetchval(
                    "SELECT count(*) FROM cdrs WHERE campaign_id = $1 AND is_dnd = '1'",
                    campaign_id)
                states = await conn2.fetch(
                    "SELECT state, count(*) AS n FROM campaign_contacts "
                    "WHERE campaign_id = $1 GROUP BY state", campaign_id)
        finally:
            await db.close()
    return {
        "statistics": "after ANALYZE" if analyze else "as loaded (no ANALYZE)",
        "seconds": round(seconds, 3), "scrubbed": scrubbed,
        "rescrub_seconds": round(rescrub_seconds, 3), "rescrub_scrubbed": again,
        "dnd_cdr_rows": int(dnd_rows),
        "states": {r["state"]: int(r["n"]) for r in states},
        "load_seconds": round(load_seconds, 1),
        "correct": scrubbed == hits and again == 0 and dnd_rows == hits,
    }


async def scrub_benchmark(dsn: str, *, contacts: int, dnd: int, hits: int,
                          target_seconds: float = 3.0) -> dict[str, Any]:
    variants = [await one_variant(dsn, analyze=analyze, contacts=contacts, dnd=dnd,
                                  hits=hits)
                for analyze in (False, True)]
    worst = max(v["seconds"] for v in variants)
    return {
        "contacts": contacts, "dnd_numbers": dnd, "expected_hits": hits,
        "measured": "CampaignDialerRepository.scrub(campaign_id, now), wall time, "
                    "each variant in a fresh scratch database",
        "variants": variants, "worst_seconds": worst, "target_seconds": target_seconds,
        "target_met": worst <= target_seconds and all(v["correct"] for v in variants),
    }
