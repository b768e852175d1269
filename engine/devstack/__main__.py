"""``python -m engine.devstack up|down|run|infra|status``: the local stack without Docker."""

from __future__ import annotations

import argparse
import os
import sys

from engine.devstack.processes import StackError
from engine.devstack.stack import Stack
from engine.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.devstack")
    parser.add_argument("command", choices=["up", "down", "run", "infra", "render", "status"])
    args = parser.parse_args(argv)
    # A developer's stack may call a local answer server (http://127.0.0.1:…); the engine
    # it starts inherits this environment. Production refuses loopback URLs by default.
    os.environ.setdefault("ENGINE_WEBHOOK_ALLOW_LOOPBACK", "true")
    stack = Stack(Settings())
    try:
        if args.command == "run":
            return stack.run_foreground()
        if args.command == "up":
            stack.start_infra()
            stack.start_engine()
            stack.wait_engine_ready()
            print("stack is up; engine ready")
        elif args.command == "infra":
            stack.start_infra()
            print("PostgreSQL, PBX and carrier are up")
        elif args.command == "render":
            stack.pbx.render()
            stack.carrier.render()
        elif args.command == "down":
            stack.stop_all()
            print("stack is down")
        else:
            for name, pid_file in (
                ("postgres", stack.postgres.pid_file), ("pbx", stack.pbx.pid_file),
                ("carrier", stack.carrier.pid_file), ("engine", stack.engine_pid_file),
            ):
                pid = pid_file.read()
                print(f"{name:9} {'running pid ' + str(pid) if pid else 'stopped'}")
    except StackError as exc:
        print(f"stack error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
