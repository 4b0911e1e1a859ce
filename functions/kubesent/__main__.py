"""``python -m kubesent``: the command line. ``replay BUNDLES.jsonl`` (offline) and ``diagnose NAMESPACE/POD``
(a live cluster; ``kubesent.cli``)."""

from __future__ import annotations

import argparse
import sys

from kubesent import cli, replay


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kubesent", description="KubeSent command line")
    commands = parser.add_subparsers(dest="command", required=True)
    replay_parser = commands.add_parser("replay", help="diagnose incident bundles (JSON Lines) offline")
    replay_parser.add_argument("bundles", help="path to a JSON Lines file of incident bundles")
    replay_parser.add_argument("--explain", action="store_true",
                               help="add each decision's reason to the output (beyond the contract's keys)")
    replay_parser.add_argument("--audit", action="store_true",
                               help="print, per input line, the full audit record the function would log")
    cli.add_parser(commands)
    args = parser.parse_args(argv)
    if args.command == "diagnose":
        return cli.run(args, out=sys.stdout, err=sys.stderr)
    if args.command == "replay":
        try:
            return replay.run(args.bundles, out=sys.stdout, explain=args.explain, audit=args.audit)
        except OSError as exc:
            print(f"kubesent replay: cannot read {args.bundles}: {exc.strerror}", file=sys.stderr)
            return 2
    return 2


if __name__ == "__main__":
    sys.exit(main())
