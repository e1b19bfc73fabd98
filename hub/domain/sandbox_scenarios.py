"""Scenarios of the simulated sandbox agency: what it does to an account routed to it.

A scenario is a short data file, ``hub/sandbox_scenarios/<name>.toml``: a description, the
event types it promises (in order, ``account.placed`` first), and steps, each an action at
a day offset of the account's clock (``day = 0`` is the placement). The integrator picks
one the way a test card number picks a card's fate: ``metadata.sandboxScenario`` in the
placement, else a tag in the customer's email (``ada+pays_in_full@example.com``), else
``DEFAULT_SCENARIO``. An unknown name is refused (``UNKNOWN_SANDBOX_SCENARIO``).

Time: :func:`step_due` is the one place that turns a step's day offset into an instant.
Without a test clock a sandbox day lasts ``seconds_per_day`` of wall time, so a whole
journey takes seconds.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from hub.domain.errors import DomainError, Problem

#: Refused: a placement names a scenario the simulated agency does not know.
UNKNOWN_SANDBOX_SCENARIO = "UNKNOWN_SANDBOX_SCENARIO"
#: Refused: a scenario file is malformed (a bug of the hub, caught by its tests).
INVALID_SANDBOX_SCENARIO = "INVALID_SANDBOX_SCENARIO"

DEFAULT_SCENARIO = "plan_then_pays"
#: The placement metadata key that names a scenario.
METADATA_KEY = "sandboxScenario"

#: What a step may do, and the options each takes (with their defaults).
ACTIONS: dict[str, dict[str, Any]] = {
    "acknowledge": {},
    "contact": {"outcome": "CONVERSATION"},
    "plan": {"installments": 3},
    "pay": {"amount": "balance"},
    "miss": {},
    "reverse": {},
    "dispute": {},
    "hold": {"reason": "HARDSHIP"},
    "release": {},
    "recall": {},
    "close": {"reason": "PAID"},
}
PAY_AMOUNTS = ("balance", "half")


@dataclass(frozen=True)
class Step:
    day: int
    action: str
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    events: tuple[str, ...]
    steps: tuple[Step, ...]


def _invalid(name: str, why: str) -> DomainError:
    return DomainError.of(INVALID_SANDBOX_SCENARIO, f"scenario {name}: {why}", "scenario")


def parse_scenario(name: str, text: str) -> Scenario:
    """A scenario from its TOML text; ``INVALID_SANDBOX_SCENARIO`` if malformed."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise _invalid(name, f"not TOML ({e})") from e
    description = data.get("description")
    events = data.get("events")
    if not isinstance(description, str) or not description:
        raise _invalid(name, "needs a description")
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        raise _invalid(name, "events must be a list of event types")
    steps: list[Step] = []
    last_day = 0
    for raw in data.get("steps", []):
        step = _parse_step(name, raw)
        if step.day < last_day:
            raise _invalid(name, "steps must be in day order")
        last_day = step.day
        steps.append(step)
    return Scenario(name, description, tuple(events), tuple(steps))


def _parse_step(name: str, raw: Any) -> Step:
    if not isinstance(raw, dict):
        raise _invalid(name, "a step is a table")
    day, action = raw.get("day"), raw.get("action")
    if not isinstance(day, int) or isinstance(day, bool) or day < 0:
        raise _invalid(name, "a step's day is a whole number ≥ 0")
    if action not in ACTIONS:
        raise _invalid(name, f"unknown action {action!r}")
    allowed = ACTIONS[action]
    extra = set(raw) - {"day", "action"} - set(allowed)
    if extra:
        raise _invalid(name, f"{action} takes no {', '.join(sorted(extra))}")
    options = {**allowed, **{k: v for k, v in raw.items() if k in allowed}}
    if action == "pay" and options["amount"] not in PAY_AMOUNTS:
        raise _invalid(name, f"pay amount is one of {', '.join(PAY_AMOUNTS)}")
    return Step(day, action, options)


@cache
def scenarios() -> dict[str, Scenario]:
    """Every scenario shipped with the hub, by name."""
    folder = resources.files("hub").joinpath("sandbox_scenarios")
    found = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            name = entry.name.removesuffix(".toml")
            found[name] = parse_scenario(name, entry.read_text(encoding="utf-8"))
    return found


def unknown_scenario(name: str) -> DomainError:
    return DomainError.of(
        UNKNOWN_SANDBOX_SCENARIO,
        f"no sandbox scenario {name!r}; known: {', '.join(scenarios())}",
        "metadata",
        METADATA_KEY,
    )


def scenario_problems(metadata: object) -> list[Problem]:
    """A sandbox placement's ``UNKNOWN_SANDBOX_SCENARIO``, if it names one that is not known
    (on a live organization's placement the key is ordinary metadata, never read)."""
    if not isinstance(metadata, Mapping):
        return []  # metadata that is not an object is refused by the placement's own checks
    named = metadata.get(METADATA_KEY)
    if named is None or (isinstance(named, str) and named in scenarios()):
        return []
    return list(unknown_scenario(str(named)).problems)


def email_tag(email: str | None) -> str | None:
    """The ``+tag`` of an email's local part (``ada+pays_in_full@x`` → ``pays_in_full``)."""
    if not email or "@" not in email:
        return None
    local = email.split("@", 1)[0]
    return local.split("+", 1)[1] if "+" in local else None


def choose_scenario(metadata: Mapping[str, Any] | None, email: str | None) -> Scenario:
    """The scenario a placement asks for: ``metadata.sandboxScenario``, else a known email
    tag, else the default. A metadata name must be known; an email tag that is not a
    scenario's name is an ordinary address tag and ignored."""
    known = scenarios()
    named = metadata.get(METADATA_KEY) if isinstance(metadata, Mapping) else None
    if named is not None:
        if not isinstance(named, str) or named not in known:
            raise unknown_scenario(str(named))
        return known[named]
    tag = email_tag(email)
    if tag in known:
        return known[tag]
    return known[DEFAULT_SCENARIO]


def step_due(placed_at: dt.datetime, day: int, seconds_per_day: float) -> dt.datetime:
    """When a step at ``day`` falls due, in wall time, for an account on no test clock: the
    one function that owns "the account's now" for the simulated agency. On a test clock a
    step is due when the clock reaches its ``step_clock`` (``hub.services.clock_advance``)."""
    return placed_at + dt.timedelta(seconds=day * seconds_per_day)


def step_clock(placed_at: dt.datetime, day: int) -> dt.datetime:
    """The instant a step acts at, on the account's clock: the business day of the step,
    so plan dates and compliance windows see the scenario's days."""
    return placed_at + dt.timedelta(days=day)


#: A contact no channel allows before this long (on the account's clock) is skipped.
MAX_CONTACT_DEFERRAL = dt.timedelta(days=30)


def wall_delay(delay: dt.timedelta, seconds_per_day: float) -> dt.timedelta:
    """How long ``delay`` on the account's clock lasts in wall time, at the day length of
    :func:`step_due`: a contact put off to the next compliance window is due that much
    later (and so are the steps after it)."""
    return dt.timedelta(seconds=delay.total_seconds() / 86_400 * seconds_per_day)


@dataclass(frozen=True)
class PlannedStep:
    position: int
    step: Step
    due_at: dt.datetime


def plan_steps(
    scenario: Scenario, placed_at: dt.datetime, seconds_per_day: float
) -> list[PlannedStep]:
    """A scenario's steps for one account, each with its due instant."""
    return [
        PlannedStep(i, step, step_due(placed_at, step.day, seconds_per_day))
        for i, step in enumerate(scenario.steps)
    ]
