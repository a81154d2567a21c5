"""The ``liner`` command: serve, migrate, demo, ingest (json, ddex, feed), worker,
rebuild-read-model, merge-artists, keys."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

import orjson

from liner.config import Settings
from liner.ingest.ddex import cli as ddex_cli
from liner.ingest.rss import cli as rss_cli
from liner.kit.errors import LinerError
from liner.kit.logs import configure


def _examples_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "examples", here.parent.parent / "examples"):
        if candidate.is_dir():
            return candidate
    raise LinerError("the bundled examples are missing from this installation")


def _serve(host: str, port: int, workers: int, settings: Settings) -> int:
    from granian.constants import HTTPModes, Interfaces, Loops
    from granian.log import LogLevels
    from granian.server import Server

    os.environ.setdefault("LINER_PUBLIC_URL", f"http://{host}:{port}")
    Server(
        "liner.api.app:create_app",
        address=host,
        port=port,
        workers=workers,
        # RSGI (granian's native interface: one call per response), HTTP/1.1 only (no
        # per-connection protocol sniffing), on uvloop where it is installed: the
        # cheapest request cycle granian offers for an API read path.
        interface=Interfaces.RSGI,
        http=HTTPModes.http1,
        loop=Loops.auto,
        factory=True,
        log_level=LogLevels(settings.log_level.lower()),
        backlog=2048,
    ).serve()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    from liner.kit.migrate import upgrade

    upgrade(settings.database_url)
    return _serve(args.host, args.port, args.workers, settings)


def cmd_migrate(args: argparse.Namespace) -> int:
    from liner.kit.migrate import upgrade

    settings = Settings.from_env()
    upgrade(settings.database_url)
    print(f"database is at the newest schema: {settings.database_url.split('@')[-1]}")
    return 0


def _open_runtime() -> object:
    from liner.runtime import Runtime

    return Runtime.open(Settings.from_env())


def _print(payload: object) -> None:
    sys.stdout.write(orjson.dumps(payload).decode() + "\n")
    sys.stdout.flush()


def cmd_ingest_json(args: argparse.Namespace) -> int:
    from liner.ingest.json.loader import ingest_json_files
    from liner.runtime import Runtime

    runtime = Runtime.open(Settings.from_env())
    try:
        failures = 0
        for outcome in ingest_json_files(runtime, [Path(p) for p in args.files], args.owner):
            _print(outcome)
            failures += outcome["status"] == "rejected"
        runtime.project()
        return 1 if failures else 0
    finally:
        runtime.close()


def cmd_rebuild(args: argparse.Namespace) -> int:
    from liner.runtime import Runtime

    runtime = Runtime.open(Settings.from_env())
    try:
        written = runtime.rebuild_read_model()
        _print({"documents": written})
        return 0
    finally:
        runtime.close()


def cmd_merge_artists(args: argparse.Namespace) -> int:
    from liner.ingest.records import Provenance
    from liner.models.base import utcnow
    from liner.runtime import Runtime

    runtime = Runtime.open(Settings.from_env())
    try:
        provenance = Provenance(
            "operator", args.by, f"merge {args.source} into {args.target}", utcnow()
        )
        result = runtime.catalog.merge_artists(args.source, args.target, provenance)
        runtime.project()
        _print(
            {
                "status": result.status,
                "id": result.public_id,
                "redirected": args.source,
                "changes": len(result.changed),
            }
        )
        return 0
    finally:
        runtime.close()


def cmd_keys_create(args: argparse.Namespace) -> int:
    from liner.accounts.keys import create_key
    from liner.runtime import Runtime

    runtime = Runtime.open(Settings.from_env())
    try:
        token = create_key(
            runtime.sessions, name=args.name, owner=args.owner, scopes=args.scope or []
        )
        _print({"key": token, "owner": args.owner, "scopes": sorted(set(args.scope))})
        return 0
    finally:
        runtime.close()


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    from liner.accounts.keys import revoke_key
    from liner.runtime import Runtime

    runtime = Runtime.open(Settings.from_env())
    try:
        revoked = revoke_key(runtime.sessions, args.prefix)
        _print({"revoked": revoked})
        return 0 if revoked else 1
    finally:
        runtime.close()


def cmd_demo(args: argparse.Namespace) -> int:
    from liner.ingest.json.loader import ingest_json_files
    from liner.runtime import Runtime

    base = Settings.from_env()
    demo_dir = base.data_dir / "demo"
    if demo_dir.exists():
        shutil.rmtree(demo_dir)
    demo_dir.mkdir(parents=True)
    os.environ["LINER_DATA_DIR"] = str(demo_dir)
    os.environ["LINER_DATABASE_URL"] = f"sqlite:///{demo_dir / 'liner.db'}"
    os.environ.pop("LINER_REDIS_URL", None)
    os.environ["LINER_PUBLIC_URL"] = f"http://{args.host}:{args.port}"
    settings = Settings.from_env()
    runtime = Runtime.open(settings)
    try:
        files = sorted(_examples_dir().glob("*.json"))
        for outcome in ingest_json_files(runtime, files, "demo"):
            _print(outcome)
        runtime.project()
    finally:
        runtime.close()
    print(
        f"Liner demo: {len(files)} example files loaded; serving on "
        f"http://{args.host}:{args.port}/docs",
        file=sys.stderr,
    )
    if args.no_serve:
        return 0
    return _serve(args.host, args.port, 1, settings)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="liner", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the catalog API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="bring the database to the newest schema").set_defaults(
        func=cmd_migrate
    )

    demo = sub.add_parser("demo", help="load the examples into a fresh catalog and serve them")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--no-serve", action="store_true", help="load, then exit")
    demo.set_defaults(func=cmd_demo)

    ingest = sub.add_parser("ingest", help="ingest deliveries")
    ingest_sub = ingest.add_subparsers(dest="source", required=True)
    json_cmd = ingest_sub.add_parser("json", help="creators' JSON releases and shows")
    json_cmd.add_argument("files", nargs="+")
    json_cmd.add_argument("--owner", default="local", help="the account that owns what is written")
    json_cmd.set_defaults(func=cmd_ingest_json)
    ddex_cli.register(ingest_sub)
    rss_cli.register(ingest_sub)

    sub.add_parser(
        "rebuild-read-model", help="rebuild the serving documents from SQL"
    ).set_defaults(func=cmd_rebuild)

    merge = sub.add_parser("merge-artists", help="merge a duplicate artist into another")
    merge.add_argument("source", help="the duplicate's id: it will redirect to the target")
    merge.add_argument("target", help="the id of the artist that stays")
    merge.add_argument("--by", default="operator", help="who merges (kept as provenance)")
    merge.set_defaults(func=cmd_merge_artists)

    keys = sub.add_parser("keys", help="API keys")
    keys_sub = keys.add_subparsers(dest="action", required=True)
    create = keys_sub.add_parser("create", help="create a key (shown once)")
    create.add_argument("--scope", action="append", required=True)
    create.add_argument("--owner", required=True, help="the sender or account it writes as")
    create.add_argument("--name", default="")
    create.set_defaults(func=cmd_keys_create)
    revoke = keys_sub.add_parser("revoke", help="revoke a key by its prefix")
    revoke.add_argument("prefix")
    revoke.set_defaults(func=cmd_keys_revoke)
    rss_cli.register_worker(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        configure(settings.log_level)
        result: int = args.func(args)
        return result
    except LinerError as exc:
        print(f"liner: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
