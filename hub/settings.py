"""One settings object, read from ``EVENLY_*`` environment variables.

Every variable is documented in the README's configuration table; keep the two in step.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


_PARSERS: dict[str, Callable[[str], object]] = {
    "bool": _bool,
    "int": int,
    "float": float,
    "Path": Path,
    "str": str,
}


@dataclass(frozen=True)
class Settings:
    """Hub configuration. ``Settings.from_env()`` is the only place that reads the environment."""

    #: Directory for the SQLite file and generated keys (when none are configured).
    data_dir: Path = Path(".evenly")
    #: SQLAlchemy async URL; SQLite in ``data_dir`` when empty.
    database_url: str = ""
    #: PostgreSQL connections each process keeps open; bursts may open half as many again.
    #: Size it to the requests one process serves at once: a connection opened for a burst
    #: and closed after it costs a new server backend and re-prepared statements.
    database_pool_size: int = 20
    #: Base64 of 32 bytes: AES-256-GCM key for customer PII. Generated into data_dir if empty.
    encryption_key: str = ""
    #: A file holding that key (base64 of 32 bytes), read when ``encryption_key`` is empty:
    #: keeps the key off the data directory (where a SQLite database lies beside it).
    encryption_key_file: str = ""
    #: PEM Ed25519 private key signing access tokens. Generated into data_dir if empty.
    jwt_private_key: str = ""
    token_ttl_seconds: int = 900
    #: How long a verified client's "not revoked" status is trusted before re-reading it.
    client_cache_seconds: float = 5.0
    #: Token bucket per API client: sustained requests per second and burst size.
    rate_limit_per_second: float = 50.0
    rate_limit_burst: int = 200
    #: Failed token requests: each client id and each source address may fail this many
    #: times in a row, then once per ``1 / auth_failure_per_second`` seconds (429 until then).
    auth_failure_burst: int = 10
    auth_failure_per_second: float = 0.5
    #: Client secret checks (scrypt, about 30 ms of CPU each) run at once, in threads.
    auth_hash_concurrency: int = 2
    max_body_bytes: int = 5 * 1024 * 1024
    max_query_depth: int = 10
    max_query_cost: int = 50_000
    max_aliases: int = 30
    #: Fields of a query, fragments expanded.
    max_query_fields: int = 1_000
    #: The query text: its size (UTF-8 bytes) and its lexical tokens.
    max_query_bytes: int = 100_000
    max_query_tokens: int = 2_000
    #: Allow http and loopback webhook URLs (development and tests only).
    allow_insecure_webhooks: bool = False
    #: Allow webhook receivers on this machine (localhost, 127.0.0.0/8, ::1), http or https;
    #: never other private addresses. ``evenly-hub serve --demo`` turns it on by default.
    allow_loopback_webhooks: bool = False
    #: How long a rotated webhook secret keeps signing alongside the new one.
    webhook_secret_overlap_seconds: int = 86_400
    #: ``whsk_…`` Ed25519 key for ``v1a`` webhook signatures. Generated into data_dir if empty.
    webhook_signing_key: str = ""
    #: Seconds between delivery attempts: the first is at once; then retries, with jitter.
    webhook_retry_schedule: str = "0,5,300,1800,7200,18000,36000,36000"
    #: Total time a delivery may take (connect at most 5 s of it) before it counts as failed.
    webhook_timeout_seconds: float = 15.0
    #: Concurrent deliveries per worker, and per endpoint.
    webhook_concurrency: int = 32
    webhook_endpoint_concurrency: int = 8
    #: Days past a missed installment before a payment plan counts as BROKEN.
    plan_grace_days: int = 3
    #: Seconds between maintenance sweeps (broken plans, expired holds) in each worker.
    maintenance_interval_seconds: float = 60.0
    #: Wall-clock seconds a day of a simulated sandbox agency's scenario lasts (no test
    #: clock), and seconds between its runs: the default scenario ends within ~20 s.
    sandbox_seconds_per_day: float = 2.0
    sandbox_interval_seconds: float = 1.0
    #: Delivered webhook messages (and their attempts) are kept this long, then removed by
    #: the maintenance sweep; the events themselves stay.
    delivery_retention_days: int = 90
    #: An endpoint whose every delivery failed for this long is disabled (5 days).
    webhook_disable_after_seconds: float = 5 * 86_400
    #: How long a claimed message is reserved for its worker; a dead worker's claims expire.
    webhook_lease_seconds: float = 60.0
    #: Run the delivery worker inside ``evenly-hub serve`` (``--no-worker`` turns it off).
    in_process_worker: bool = False
    #: Serve GraphiQL on GET /graphql from a browser.
    graphiql: bool = True
    #: Bearer token that ``GET /metrics`` requires; without one the API serves no metrics.
    metrics_token: str = ""
    log_level: str = "INFO"
    #: Log format: "json" (structured, one object a line), "text" (readable lines), or
    #: "auto": text when stderr is a terminal, else JSON.
    log_format: str = "auto"
    issuer: str = "evenly-hub"
    #: Extra directory of compliance rule packs (``<jurisdiction>/<version>.toml``), read
    #: beside the packs shipped in ``hub/compliance/packs``.
    rules_dir: str = ""

    #: Stripe secret key (``sk_test_…`` or ``sk_live_…``) of the debtor portal's Stripe
    #: Checkout payments; empty: no Stripe. Its mode decides which organizations it serves:
    #: a test key the sandbox ones (in place of the built-in sandbox provider), a live key
    #: the live ones.
    stripe_secret_key: str = ""
    #: The signing secret (``whsec_…``) of the Stripe webhook endpoint that posts to
    #: ``/portal/stripe/webhook``; the route answers only when it is set.
    stripe_webhook_secret: str = ""
    #: Where the Stripe library sends its API requests; empty: Stripe's own
    #: (https://api.stripe.com). For a local stand-in of Stripe's API in tests.
    stripe_api_base: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(f"EVENLY_{f.name.upper()}")
            if raw is None:
                continue
            parse = _PARSERS[str(f.type)]
            try:
                values[f.name] = parse(raw)
            except ValueError as error:
                raise ValueError(f"EVENLY_{f.name.upper()}={raw!r}: {error}") from error
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'evenly.db').as_posix()}"

    @property
    def webhooks_may_reach_loopback(self) -> bool:
        """Whether deliveries may connect to loopback addresses (either setting allows it)."""
        return self.allow_insecure_webhooks or self.allow_loopback_webhooks

    @property
    def retry_schedule(self) -> list[float]:
        return [float(part) for part in self.webhook_retry_schedule.split(",") if part.strip()]
