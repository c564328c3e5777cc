"""The `evjourney` command: serve, seed, token, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import sys

from api.observability import configure_logging
from api.settings import ConfigurationError, Settings
from domain.access import Role


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    configure_logging(settings.evj_log_level, settings.json_logs)
    try:
        result: int = args.run(args, settings)
    except ConfigurationError as error:
        print(f"evjourney: {error}", file=sys.stderr)
        return 2
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="evjourney", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the GraphQL server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--reload", action="store_true", help="restart on code changes (dev)")
    serve.add_argument("--workers", type=int, default=1,
                       help="server processes (needs MONGODB_URI: they share the database)")
    serve.set_defaults(run=_serve)

    seed = commands.add_parser("seed", help="write deterministic demo data")
    seed.add_argument("--owners", type=int, default=200)
    seed.add_argument("--seed", type=int, default=7)
    seed.set_defaults(run=_seed)

    token = commands.add_parser("token", help="print a signed JWT for local use")
    token.add_argument("--role", required=True, choices=[role.value for role in Role])
    token.add_argument("--owner", help="owner id (OWNER role; default: the first demo owner)")
    token.add_argument("--center", help="service center id (SERVICE_STAFF role)")
    token.add_argument("--ttl", type=int, default=60, help="minutes until it expires")
    token.set_defaults(run=_token)

    stations = commands.add_parser("import-stations",
                                   help="import OCPI 2.2.1 Location objects from a JSON file")
    stations.add_argument("file", help="a Location, a list of them, or an OCPI {data: [...]}")
    stations.set_defaults(run=_import_stations)

    export = commands.add_parser("export-schema", help="print the GraphQL SDL")
    export.set_defaults(run=_export_schema)
    return parser


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    settings.signing_secret()  # refuse to start before binding the port
    if args.workers > 1 and settings.embedded:
        print("evjourney: --workers needs MONGODB_URI: embedded stores are per process, so each "
              "worker would serve different data", file=sys.stderr)
        return 2
    uvicorn.run("api.app:create_app", factory=True, host=args.host, port=args.port,
                reload=args.reload, workers=args.workers if args.workers > 1 else None,
                log_level=settings.evj_log_level.lower())
    return 0


def _seed(args: argparse.Namespace, settings: Settings) -> int:
    from api.seeding import seed_store

    if settings.embedded and not settings.evj_data_path:
        print("evjourney: no MONGODB_URI or EVJ_DATA_PATH: the in-memory store would be lost "
              "on exit (the server seeds itself in that mode)", file=sys.stderr)
        return 2
    asyncio.run(seed_store(settings, args.owners, args.seed))
    return 0


def _import_stations(args: argparse.Namespace, settings: Settings) -> int:
    from api.seeding import import_station_file

    return asyncio.run(import_station_file(settings, args.file))


def _token(args: argparse.Namespace, settings: Settings) -> int:
    from api.auth import issue_token
    from services.demo import demo_owner_id

    role = Role(args.role)
    if role is Role.SERVICE_STAFF and not args.center:
        print("evjourney: SERVICE_STAFF needs --center", file=sys.stderr)
        return 2
    default_subject = demo_owner_id(settings.evj_seed) if role is Role.OWNER else "local-user"
    print(issue_token(settings, role, args.owner or default_subject, args.center, args.ttl))
    return 0


def _export_schema(args: argparse.Namespace, settings: Settings) -> int:
    from resolvers.schema import schema

    print(schema.as_str())
    return 0
