"""Compliance benchmark: contact permission by the rule engine against a plain window count.

Run from the repository root::

    .venv/bin/python bench/compliance.py [--pairs 100000] [--accounts 2000] [--contacts 50]

It builds ``--accounts`` accounts (US, GB, SE and DE in turn, each debtor in a time zone of
its country) with ``--contacts`` prior contacts each (calls, text messages, emails and
letters, both directions, all outcomes, over the 30 days before the first moment asked),
then asks ``--pairs`` (account, moment) questions "may we call now?", in two ways, each over
the same pairs in the same order:

* engine: ``RuleRegistry.evaluate`` — the pack in force for the account's country at that
  moment, every rule of the pack for calls (hours in the debtor's zone, rest days and public
  holidays, attempt caps, cool-down after a conversation) plus the hub's dispute, hold and
  opt-out rules, and ``next_allowed_at`` whenever the call is refused;
* baseline: a plain loop over the same 50 contacts that only counts the outbound calls in
  the 7 days before the moment (Regulation F's cap, and nothing else).

Each account's history is indexed once (``ContactHistory``), as the baseline's list is built
once. Throughput ratio engine/baseline, target >= 0.5 (rules must not be a hot-path tax).
``--rebuild`` also times the engine building each account's history and context per
question (what a request that reads the history from the database pays on top).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hub.compliance import RuleRegistry
from hub.domain.compliance import (
    Channel,
    ContactContext,
    ContactHistory,
    ContactRecord,
    Direction,
    Outcome,
)

TARGET = 0.5
WEEK = dt.timedelta(days=7)
START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)  # US and EU daylight saving change in the span
ZONES = {
    "US": ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"),
    "GB": ("Europe/London",),
    "SE": ("Europe/Stockholm",),
    "DE": ("Europe/Berlin",),
}


@dataclass(frozen=True, slots=True)
class Account:
    country: str
    timezone: str
    placed_at: dt.datetime
    records: tuple[ContactRecord, ...]
    context: ContactContext


def make_accounts(rng: random.Random, n: int, contacts: int) -> list[Account]:
    countries = list(ZONES)
    channels = [Channel.CALL] * 5 + [Channel.SMS] * 2 + [Channel.EMAIL] * 2 + [Channel.LETTER]
    outcomes = list(Outcome)
    accounts = []
    for i in range(n):
        country = countries[i % len(countries)]
        zone = rng.choice(ZONES[country])
        placed_at = START - dt.timedelta(days=40)
        records = tuple(
            sorted(
                (
                    ContactRecord(
                        START - dt.timedelta(seconds=rng.uniform(0, 30 * 86_400)),
                        rng.choice(channels),
                        Direction.OUTBOUND if rng.random() < 0.85 else Direction.INBOUND,
                        rng.choice(outcomes),
                    )
                    for _ in range(contacts)
                ),
                key=lambda r: r.occurred_at,
            )
        )
        context = ContactContext(country, placed_at, ContactHistory(records), (zone,))
        accounts.append(Account(country, zone, placed_at, records, context))
    return accounts


def baseline_allows(records: Sequence[ContactRecord], at: dt.datetime) -> bool:
    """The plain loop: fewer than 7 outbound calls in the 7 days before ``at``."""
    start = at - WEEK
    calls = 0
    for record in records:
        if (
            start <= record.occurred_at < at
            and record.channel is Channel.CALL
            and record.direction is Direction.OUTBOUND
        ):
            calls += 1
    return calls < 7


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--contacts", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per target")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--rebuild", action="store_true", help="also time per-question rebuilds")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    registry = RuleRegistry()
    accounts = make_accounts(rng, args.accounts, args.contacts)
    pairs = [
        (rng.choice(accounts), START + dt.timedelta(seconds=rng.uniform(0, 14 * 86_400)))
        for _ in range(args.pairs)
    ]
    evaluate = registry.evaluate
    call = Channel.CALL

    def engine() -> int:
        allowed = 0
        for account, at in pairs:
            if evaluate(account.context, call, at).allowed:
                allowed += 1
        return allowed

    def baseline() -> int:
        allowed = 0
        for account, at in pairs:
            if baseline_allows(account.records, at):
                allowed += 1
        return allowed

    def rebuild() -> int:
        allowed = 0
        for account, at in pairs:
            context = ContactContext(
                account.country,
                account.placed_at,
                ContactHistory(account.records),
                (account.timezone,),
            )
            if evaluate(context, call, at).allowed:
                allowed += 1
        return allowed

    targets: list[tuple[str, Callable[[], int]]] = [("engine", engine), ("baseline", baseline)]
    if args.rebuild:
        targets.append(("rebuild", rebuild))
    print("compliance benchmark: may we call this debtor now?")
    print(
        f"  {args.accounts} accounts (US/GB/SE/DE) x {args.contacts} prior contacts, "
        f"{args.pairs} (account, moment) pairs over 14 days from {START:%Y-%m-%d}"
    )
    print(f"  packs: {', '.join(f'{p.jurisdiction} {p.version}' for p in registry.packs())}")
    results = {name: run() for name, run in targets}  # warm-up: indexes, holidays, day starts
    print(
        f"  allowed: engine {results['engine']}, baseline {results['baseline']} "
        "(the engine applies every rule, the baseline only the 7-call cap)"
    )
    times: dict[str, list[float]] = {name: [] for name, _ in targets}
    for _ in range(args.rounds):
        for name, run in targets:
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
    throughput = {name: args.pairs / min(seconds) for name, seconds in times.items()}
    for name, seconds in times.items():
        per = statistics.median(seconds) / args.pairs * 1e6
        print(
            f"  {name:<9} {throughput[name]:10.0f} pairs/s  (best of {args.rounds}; "
            f"median {per:.2f} us a pair)"
        )
    ratio = throughput["engine"] / throughput["baseline"]
    print(f"  ratio engine/baseline = {ratio:.2f}  (target >= {TARGET})")
    if args.rebuild:
        print(f"  ratio rebuild/baseline = {throughput['rebuild'] / throughput['baseline']:.2f}")
    print("\nsummary")
    print(
        f"compliance permission engine={throughput['engine']:.0f}/s "
        f"baseline={throughput['baseline']:.0f}/s ratio={ratio:.2f}  (target >= {TARGET})"
        + ("  MISSED" if ratio < TARGET else "  ok")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
