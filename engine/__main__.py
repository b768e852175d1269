"""CLI: ``python -m engine serve | migrate | accounts create|rotate|list |
templates approve|list-pending``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable

from engine.ari.backoff import Backoff
from engine.domain.cdr import http_date
from engine.domain.errors import EngineError
from engine.logs import configure_logging
from engine.services.accounts import AccountService
from engine.services.templates import TemplateService
from engine.settings import Settings
from engine.store.accounts import AccountRepository
from engine.store.db import Database
from engine.store.templates import TemplateRepository


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


async def _accounts(args: argparse.Namespace, db: Database) -> int:
    service = AccountService(AccountRepository(db))
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
        return asyncio.run(_with_database(settings, lambda db: _accounts(args, db)))
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
