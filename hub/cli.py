"""``evenly-hub``: serve, migrate, administer organizations, export the schema."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from hub.auth.scopes import OrganizationKind
from hub.cli_rules import rules
from hub.domain.account import Product
from hub.domain.errors import DomainError
from hub.domain.routing import Weight
from hub.preflight import database_failure, require_database
from hub.services import organizations as organization_service
from hub.services.context import ServiceContext
from hub.settings import Settings

T = TypeVar("T")


def _run(work: Callable[[ServiceContext], Awaitable[T]], *, creates: bool = False) -> T:
    """Run one use case with a fresh service context; domain errors exit with status 1.

    Unless the command ``creates`` the database (``migrate``, ``serve``), the database must
    exist and be migrated, and nothing is created on disk: no data directory, no key.
    """

    async def main() -> T:
        try:
            settings = Settings.from_env()
        except ValueError as error:  # a setting that cannot be used: say which, no traceback
            raise click.ClickException(str(error)) from error
        await require_database(settings, creates=creates)
        try:
            ctx = ServiceContext.from_settings(settings)
        except ValueError as error:
            raise click.ClickException(str(error)) from error
        try:
            return await work(ctx)
        finally:
            await ctx.db.dispose()

    try:
        return asyncio.run(main())
    except DomainError as error:
        click.echo(json.dumps({"error": error.code, "message": str(error)}), err=True)
        sys.exit(1)
    except (click.ClickException, KeyboardInterrupt):
        raise
    except Exception as error:
        message = database_failure(error)
        if message is None:
            raise
        raise click.ClickException(message) from error


async def _migrate(ctx: ServiceContext) -> None:
    from hub.store.idempotency import rekey_stored_hashes
    from hub.store.migrate import schema_state, upgrade

    # alembic's own lines are quiet (``hub.observability``): one line says what changed.
    before = await schema_state(ctx.db.url)
    await upgrade(ctx.db.engine)
    if not before.is_current:
        logging.getLogger("hub.migrate").info(
            "database migrated from %s to %s", before.current or "empty", before.head
        )
    # Needs the PII key, so it runs here rather than as an alembic revision.
    await rekey_stored_hashes(ctx.db.engine, ctx.request_hasher.keyed)


@click.group()
@click.version_option(package_name="evenly-hub")
def main() -> None:
    """Evenly hub: GraphQL API, events and webhooks between creditors and agencies."""


@main.command()
def migrate() -> None:
    """Bring the database to the newest schema (alembic upgrade head)."""
    _run(_migrate, creates=True)
    click.echo("database is up to date")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--demo", is_flag=True, help="Create demo organizations and accounts; print credentials."
)
@click.option("--no-migrate", is_flag=True, help="Do not migrate the database before serving.")
@click.option("--workers", default=1, show_default=True, type=int, help="Worker processes.")
@click.option("--no-worker", is_flag=True, help="Do not deliver webhooks in this process.")
def serve(
    host: str, port: int, demo: bool, no_migrate: bool, workers: int, no_worker: bool
) -> None:
    """Serve the API with uvicorn (uvloop, httptools), and deliver webhooks unless --no-worker.

    The port is taken first; with --demo, receivers on this machine may take webhooks
    (EVENLY_ALLOW_LOOPBACK_WEBHOOKS, unless set to 0), and the banner comes once it serves.
    """
    import os

    from hub.serving import PortUnavailable, open_listener, run_server

    os.environ["EVENLY_IN_PROCESS_WORKER"] = "0" if no_worker else "1"
    if demo:
        os.environ.setdefault("EVENLY_ALLOW_LOOPBACK_WEBHOOKS", "1")
    try:
        sock = open_listener(host, port)
    except PortUnavailable as error:
        raise click.ClickException(str(error)) from error
    port = sock.getsockname()[1]
    settings = _configure_logging()
    _run(_nothing if no_migrate else _migrate, creates=not no_migrate)
    creds = None
    if demo:
        from hub.services.demo import ensure_demo

        creds = _run(ensure_demo)

    def announce() -> None:
        logging.getLogger("hub.serve").info("serving on http://%s:%d", host, port)
        if creds is not None:
            _print_demo(creds, host, port)
        _print_webhook_allowance(settings)

    run_server(
        sock,
        announce,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        workers=workers,
        log_config=None,
        access_log=False,
        server_header=False,
    )


def _configure_logging() -> Settings:
    """The settings, with logging set up as they say; a bad value exits with its name."""
    from hub.observability import configure_logging

    try:
        settings = Settings.from_env()
        configure_logging(settings.log_level, settings.log_format)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    return settings


async def _nothing(ctx: ServiceContext) -> None:
    """No work: ``_run`` checks the database is there and migrated."""


def _print_webhook_allowance(settings: Settings) -> None:
    """The development webhook setting in force, when one is (after the demo banner)."""
    if settings.allow_insecure_webhooks:
        click.echo(
            "Webhooks: http URLs and receivers on this machine are allowed "
            "(EVENLY_ALLOW_INSECURE_WEBHOOKS=1); private addresses are not.",
            err=True,
        )
    elif settings.allow_loopback_webhooks:
        click.echo(
            "Webhooks: receivers on this machine (http://127.0.0.1, http://localhost) are "
            "allowed (EVENLY_ALLOW_LOOPBACK_WEBHOOKS=1, on for --demo); private addresses "
            "are not.",
            err=True,
        )


def _print_demo(creds: dict[str, Any], host: str, port: int) -> None:
    from hub.services.demo import shell_exports, write_shell_env

    base = f"http://{host}:{port}"
    env_file = write_shell_env(Settings.from_env().data_dir, creds, base)
    click.echo("Demo organizations (credentials kept in the data directory):", err=True)
    click.echo(json.dumps(creds, indent=2), err=True)
    c = creds["creditor"]
    click.echo(
        f"\nGet a creditor token:\n  curl -s -u {c['client_id']}:{c['client_secret']} "
        f"-d grant_type=client_credentials {base}/oauth/token\nGraphiQL: {base}/graphql\n",
        err=True,
    )
    exports = "\n".join(f"  {line}" for line in shell_exports(creds, base))
    click.echo(
        f"The README's snippets, in another terminal: . {env_file}\nor paste:\n{exports}\n",
        err=True,
    )


@main.command()
@click.option(
    "--metrics-port", type=int, default=None, help="Serve Prometheus metrics on this port."
)
def worker(metrics_port: int | None) -> None:
    """Deliver webhooks: claim due outbox messages and POST them, until SIGTERM or SIGINT.
    Beside delivery, the maintenance sweep (broken plans, expired holds) runs on its own."""
    import signal

    from prometheus_client import start_http_server

    from hub.delivery.keys import WebhookSigningKey
    from hub.delivery.worker import DeliveryWorker
    from hub.observability import Metrics
    from hub.process import tune_garbage_collector
    from hub.services.maintenance import run_maintenance, run_sandbox_agency
    from hub.store.event_bus import EventBus

    settings = _configure_logging()

    async def run(ctx: ServiceContext) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        metrics = Metrics()
        if metrics_port is not None:
            start_http_server(metrics_port, addr="127.0.0.1", registry=metrics.registry)
        key = WebhookSigningKey.from_settings(settings)
        bus = EventBus(ctx.db)
        worker = DeliveryWorker(ctx.store, settings, key, bus, clock=ctx.clock, metrics=metrics)
        tune_garbage_collector()
        tasks = [
            bus.run(stop),
            worker.run(stop),
            run_maintenance(ctx, stop),
            run_sandbox_agency(ctx, stop),
        ]
        await asyncio.gather(*tasks)

    _run(run)


@main.group()
def admin() -> None:
    """Operator commands: organizations, API clients, routing rules, compliance rule packs."""


@admin.command("create-organization")
@click.option(
    "--kind",
    type=click.Choice(["creditor", "agency"]),
    required=True,
    help="A creditor places accounts; an agency collects them.",
)
@click.option("--name", required=True, help="The organization's display name.")
@click.option("--country", required=True, help="ISO 3166-1 alpha-2 code.")
@click.option(
    "--sandbox",
    is_flag=True,
    help="A test organization: cli_test_ credentials, livemode false, never meets live ones.",
)
@click.option(
    "--simulated",
    is_flag=True,
    help="A sandbox agency the hub plays itself (see README, Sandbox); needs --sandbox.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def create_organization(
    kind: str, name: str, country: str, sandbox: bool, simulated: bool, as_json: bool
) -> None:
    """Create an organization and its first API client (the secret is shown once)."""
    creds = _run(
        lambda ctx: organization_service.create_organization(
            ctx,
            kind=OrganizationKind(kind.upper()),
            name=name,
            country=country,
            sandbox=sandbox,
            simulated=simulated,
        )
    )
    _print_credentials(creds, as_json)


@admin.command("create-client")
@click.option(
    "--organization", "organization_id", required=True, help="The organization's id (org_…)."
)
@click.option("--name", default="api", show_default=True, help="A label for the client.")
@click.option(
    "--scope", "scopes", multiple=True, help="Repeat for each scope; all of the kind's if omitted."
)
@click.option("--json", "as_json", is_flag=True, help="Print the credentials as one JSON object.")
def create_client(organization_id: str, name: str, scopes: tuple[str, ...], as_json: bool) -> None:
    """Add an API client to an organization."""
    creds = _run(
        lambda ctx: organization_service.create_client(
            ctx, organization_id, name=name, scopes=list(scopes) or None
        )
    )
    _print_credentials(creds, as_json)


@admin.command("revoke-client")
@click.argument("client_id")
def revoke_client(client_id: str) -> None:
    """Revoke an API client: its secret and tokens stop working."""
    _run(lambda ctx: organization_service.revoke_client(ctx, client_id))
    click.echo(f"revoked {client_id}")


def _segment_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options of a routing rule's segment, shared by plain and split rules."""
    for option in reversed(
        [
            click.option(
                "--country",
                default=None,
                help="Only customers of this country (ISO 3166-1 alpha-2); default: any country.",
            ),
            click.option(
                "--product",
                default=None,
                type=click.Choice([p.value for p in Product]),
                help="Only accounts of this product; default: any product.",
            ),
            click.option(
                "--priority",
                default=100,
                show_default=True,
                type=int,
                help="Lower numbers match first.",
            ),
        ]
    ):
        command = option(command)
    return command


@admin.command("create-routing-rule")
@click.option("--creditor", "creditor_id", required=True, help="The creditor's id (org_…).")
@click.option("--agency", "agency_id", required=True, help="The agency's id (org_…).")
@_segment_options
@click.option("--json", "as_json", is_flag=True, help='Print {"routing_rule_id": …} as JSON.')
def create_routing_rule(
    creditor_id: str,
    agency_id: str,
    country: str | None,
    product: str | None,
    priority: int,
    as_json: bool,
) -> None:
    """Route a creditor's placements (optionally by country and product) to an agency."""
    rule_id = _run(
        lambda ctx: organization_service.create_routing_rule(
            ctx,
            creditor_id=creditor_id,
            agency_id=agency_id,
            country=country,
            product=product,
            priority=priority,
        )
    )
    click.echo(json.dumps({"routing_rule_id": rule_id}) if as_json else rule_id)


@admin.command("create-split-rule")
@click.option("--creditor", "creditor_id", required=True, help="The creditor's id (org_…).")
@click.option(
    "--weight",
    "weights",
    multiple=True,
    required=True,
    help="AGENCY_ID:PERCENT, twice or more (summing to 100); the first is the champion.",
)
@_segment_options
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print {"routing_rule_id": …, "experiment_id": …} as JSON.',
)
def create_split_rule(
    creditor_id: str,
    weights: tuple[str, ...],
    country: str | None,
    product: str | None,
    priority: int,
    as_json: bool,
) -> None:
    """Split a creditor's placements between agencies by weight (champion/challenger): each
    customer goes to one arm, by a hash. Prints the rule and its experiment id."""
    arms = []
    for weight in weights:
        agency, _, percent = weight.rpartition(":")
        if not agency or not percent.isdigit():
            raise click.BadParameter(f"{weight!r} is not AGENCY_ID:PERCENT", param_hint="--weight")
        arms.append(Weight(agency, int(percent)))
    rule = _run(
        lambda ctx: organization_service.create_split_rule(
            ctx,
            creditor_id=creditor_id,
            weights=arms,
            country=country,
            product=product,
            priority=priority,
        )
    )
    out = {"routing_rule_id": rule.rule_id, "experiment_id": rule.experiment_id}
    click.echo(json.dumps(out) if as_json else f"{rule.rule_id} {rule.experiment_id}")


def _print_credentials(creds: organization_service.Credentials, as_json: bool) -> None:
    data = {
        "organization_id": creds.organization_id,
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
    }
    if as_json:
        click.echo(json.dumps(data))
    else:
        for key, value in data.items():
            click.echo(f"{key}: {value}")


@admin.group()
def webhooks() -> None:
    """Inspect webhook queues and retry failed deliveries."""


@webhooks.command("status")
@click.option("--organization", "organization_id", default=None, help="Only this organization.")
def webhooks_status(organization_id: str | None) -> None:
    """Endpoints with their message counts by status (JSON lines)."""
    from hub.services.endpoints import queue_summary

    for entry in _run(lambda ctx: queue_summary(ctx, organization_id)):
        click.echo(json.dumps(dataclasses.asdict(entry)))


@webhooks.command("retry")
@click.argument("endpoint_id")
def webhooks_retry(endpoint_id: str) -> None:
    """Queue an endpoint's FAILED deliveries again."""
    from hub.services.endpoints import retry_failed

    count = _run(lambda ctx: retry_failed(ctx, endpoint_id))
    click.echo(json.dumps({"endpoint_id": endpoint_id, "queued": count}))


admin.add_command(rules)


@main.group()
def schema() -> None:
    """The GraphQL schema."""


@schema.command("export")
def export() -> None:
    """Print the schema in SDL (committed as schema/schema.graphql)."""
    from hub.api.schema import export_sdl

    click.echo(export_sdl(), nl=False)
