"""CLI: ``python -m engine serve | migrate | accounts create|rotate|list|limits |
templates approve|list-pending``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable

from engine.ari.backoff import Backoff
from engine.domain.call_limits import CallLimits
from engine.domain.cdr import http_date
from engine.domain.errors import EngineError
from engine.logs import configure_logging
from engine.services.accounts import AccountService
from engine.services.call_limits import AccountLimitsService
from engine.services.templates import TemplateService
from engine.settings import Settings
from engine.store.accounts import AccountRepository
from engine.store.call_limits import CallLimitsRepository
from engine.store.db import Database
from engine.store.templates import TemplateRepository
from engine.webhooks.sealing import TokenSealer


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the daemon (default in make run)")
    sub.add_parser("migrate", help="apply pending database migrations and exit")
    accounts = sub.add_parser("accounts", help="manage API accounts")
    acc = accounts.add_subparsers(dest="action", required=True)
    create = acc.add_parser("create", help="create an account and print its token")
    create.add_argument("account_id")
    create.add_argument("--token", help="use this token instead of a random one")
    rotate = acc.add_parser("rotate", help="give an account a new token and print it")
    rotate.add_argument("account_id")
    rotate.add_argument("--token", help="use this token instead of a random one")
    acc.add_parser("list", help="list account ids")
    limits = acc.add_parser(
        "limits", help="show an account's call limits, or set them (API calls over the "
        "limits are queued and started as slots free up)")
    limits.add_argument("account_id")
    limits.add_argument("--max-concurrent", type=int, metavar="N",
                        help="most live calls at once")
    limits.add_argument("--calls-per-second", type=float, metavar="X",
                        help="most call starts per second (starts are spaced 1/X s apart)")
    limits.add_argument("--queue-limit", type=int, metavar="N",
                        help="most API calls waiting for a slot (more: 429); 0: none wait")
    limits.add_argument("--reset", action="store_true",
                        help="limits not given go back to the engine's defaults")
    templates = sub.add_parser("templates", help="review OTP announce templates (operator)")
    tpl = templates.add_subparsers(dest="action", required=True)
    approve = tpl.add_parser("approve", help="approve a template so OTP calls may use it")
    approve.add_argument("template_id")
    tpl.add_parser("list-pending", help="templates awaiting approval, one JSON line each")
    return parser


async def _with_database(
    settings: Settings, action: Callable[[Database], Awaitable[int]]
) -> int:
    db = Database(
        settings.dsn, min_size=1, max_size=2,
        backoff=Backoff(settings.reconnect_initial_seconds, settings.reconnect_max_seconds),
    )
    await db.connect_once()
    try:
        return await action(db)
    finally:
        await db.close()


async def _limits(args: argparse.Namespace, db: Database, settings: Settings) -> int:
    defaults = CallLimits(settings.default_max_concurrent_calls,
                          settings.default_calls_per_second, settings.api_call_queue_limit)
    service = AccountLimitsService(CallLimitsRepository(db), defaults)
    changes = (args.max_concurrent, args.calls_per_second, args.queue_limit)
    if all(value is None for value in changes) and not args.reset:
        effective, stored = await service.get(args.account_id)
    else:
        effective, stored = await service.set(
            args.account_id, max_concurrent=args.max_concurrent,
            calls_per_second=args.calls_per_second, queue_limit=args.queue_limit,
            reset=args.reset)
    print(json.dumps({
        "account": args.account_id,
        "max_concurrent_calls": effective.max_concurrent,
        "calls_per_second": effective.calls_per_second,
        "queue_limit": effective.queue_limit,
        "defaults": [name for name, value in (("max_concurrent_calls", stored.max_concurrent),
                                              ("calls_per_second", stored.calls_per_second),
                                              ("queue_limit", stored.queue_limit))
                     if value is None],
    }))
    return 0


async def _accounts(args: argparse.Namespace, db: Database, settings: Settings) -> int:
    if args.action == "limits":
        return await _limits(args, db, settings)
    # Tokens made or rotated here are sealed with the engine's key, so its webhooks can
    # be signed with them.
    service = AccountService(AccountRepository(db),
                             sealer=TokenSealer.from_file(settings.secret_key_file))
    if args.action == "list":
        for account_id in await service.list_ids():
            print(account_id)
        return 0
    if args.action == "create":
        token = await service.create(args.account_id, args.token)
    else:
        token = await service.rotate(args.account_id, args.token)
    print(json.dumps({"account": args.account_id, "auth": token}))
    return 0


async def _templates(args: argparse.Namespace, db: Database) -> int:
    service = TemplateService(TemplateRepository(db))
    if args.action == "approve":
        row = await service.approve(args.template_id)
        print(json.dumps({"template_id": row.template_id, "account": row.account_id,
                          "status": row.status.value}))
        return 0
    for row in await service.pending():
        print(json.dumps({"template_id": row.template_id, "account": row.account_id,
                          "name": row.name, "text": row.text,
                          "created_at": http_date(row.created_at)}))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level)
    try:
        if args.command == "serve":
            from engine.daemon import serve  # noqa: PLC0415 - heavy imports only when serving

            return serve(settings)
        if args.command == "migrate":
            return asyncio.run(_with_database(settings, _migrated))
        if args.command == "templates":
            return asyncio.run(_with_database(settings, lambda db: _templates(args, db)))
        return asyncio.run(_with_database(settings, lambda db: _accounts(args, db, settings)))
    except EngineError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: database unreachable: {exc}", file=sys.stderr)
        return 1


async def _migrated(_: Database) -> int:
    print("migrations applied")
    return 0


if __name__ == "__main__":
    sys.exit(main())
