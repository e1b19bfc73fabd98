"""The simulated agency's scenario files: parsing, choosing one, planning its steps."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path

import pytest

from hub.domain.errors import DomainError
from hub.domain.sandbox_scenarios import (
    DEFAULT_SCENARIO,
    INVALID_SANDBOX_SCENARIO,
    UNKNOWN_SANDBOX_SCENARIO,
    choose_scenario,
    email_tag,
    parse_scenario,
    plan_steps,
    scenario_problems,
    scenarios,
    step_clock,
)

REQUIRED = {
    "pays_in_full",
    "plan_then_pays",
    "plan_breaks",
    "partial_then_settles",
    "disputes",
    "hardship_hold",
    "unreachable",
    "payment_reversed",
    "recalled_by_creditor",
}
SCHEMAS = Path(__file__).parents[2] / "schema" / "webhooks"


def test_every_required_scenario_ships_and_parses() -> None:
    found = scenarios()
    assert set(found) >= REQUIRED
    assert DEFAULT_SCENARIO == "plan_then_pays"
    assert found[DEFAULT_SCENARIO].events[-1] == "customer.rehabilitated"


def test_every_promised_event_type_is_a_published_one() -> None:
    published = {p.name.removesuffix(".json") for p in SCHEMAS.glob("*.*.json")}
    for scenario in scenarios().values():
        assert scenario.events[0] == "account.placed", scenario.name
        assert set(scenario.events) <= published, scenario.name


def test_a_step_takes_only_its_action_options_with_defaults() -> None:
    s = parse_scenario(
        "x", 'description = "d"\nevents = []\n[[steps]]\nday = 2\naction = "contact"\n'
    )
    assert s.steps[0].options == {"outcome": "CONVERSATION"}
    bad = [
        'description = "d"\nevents = []\n[[steps]]\nday = 1\naction = "fly"\n',
        'description = "d"\nevents = []\n[[steps]]\nday = -1\naction = "pay"\n',
        'description = "d"\nevents = []\n[[steps]]\nday = 1\naction = "pay"\ncolour = 1\n',
        'description = "d"\nevents = []\n[[steps]]\nday = 1\naction = "pay"\namount = "all"\n',
        'description = "d"\nevents = []\n[[steps]]\nday = 3\naction = "pay"\n'
        '[[steps]]\nday = 1\naction = "pay"\n',
        "events = []\n",
        "not toml =",
    ]
    for text in bad:
        with pytest.raises(DomainError) as e:
            parse_scenario("x", text)
        assert e.value.code == INVALID_SANDBOX_SCENARIO, text


def test_metadata_then_email_tag_then_default() -> None:
    assert choose_scenario({"sandboxScenario": "disputes"}, "a+unreachable@x.io").name == "disputes"
    assert choose_scenario({}, "a+unreachable@x.io").name == "unreachable"
    assert choose_scenario(None, "a+newsletter@x.io").name == DEFAULT_SCENARIO
    assert choose_scenario(None, None).name == DEFAULT_SCENARIO
    assert email_tag("ada+pays_in_full@example.com") == "pays_in_full"
    assert email_tag("ada@example.com") is None
    with pytest.raises(DomainError) as e:
        choose_scenario({"sandboxScenario": "nope"}, None)
    assert e.value.code == UNKNOWN_SANDBOX_SCENARIO
    assert json.dumps(e.value.code)


def test_steps_are_planned_at_compressed_wall_time_and_act_on_the_account_day() -> None:
    placed = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    planned = plan_steps(scenarios()["plan_then_pays"], placed, seconds_per_day=2.0)
    assert [p.position for p in planned] == list(range(len(planned)))
    assert planned[-1].due_at == placed + dt.timedelta(seconds=2.0 * planned[-1].step.day)
    assert all(a.due_at <= b.due_at for a, b in itertools.pairwise(planned))
    assert step_clock(placed, 9) == dt.datetime(2026, 1, 10, tzinfo=dt.UTC)


@pytest.mark.parametrize("metadata", [None, [1.5, False], "text", 3, {"other": 1}])
def test_metadata_that_names_no_scenario_adds_no_problem(metadata: object) -> None:
    # A list or a string is refused by the placement's own metadata check; reading a
    # scenario from it must not fail.
    assert scenario_problems(metadata) == []


def test_an_unknown_scenario_is_refused_by_name() -> None:
    [problem] = scenario_problems({"sandboxScenario": "pays_eventually"})
    assert problem.code == "UNKNOWN_SANDBOX_SCENARIO"


def test_the_readme_table_lists_every_scenario_with_its_events() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("### The simulated agency", 1)[1].split("\n## ", 1)[0]
    rows = {
        cells[0].strip("` "): (cells[1].strip(), cells[2].strip())
        for line in section.splitlines()
        if line.startswith("| `")
        for cells in [line.strip("|").split(" | ")]
    }
    assert rows == {
        name: (s.description, " → ".join(f"`{e}`" for e in s.events))
        for name, s in scenarios().items()
    }
