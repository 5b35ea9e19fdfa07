"""Economics: service credits, marginal cost, headroom and price floors against hand oracles."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from itr_sim.cli.main import app
from typer.testing import CliRunner

from itr_sim.analysis.economics import (
    credits_by_contract,
    marginal_cost,
    price,
    with_contracts,
)
from itr_sim.analysis.headroom import headroom, search_largest
from itr_sim.model.load import load_catalog, load_scenario
from itr_sim.units import MINUTES_PER_YEAR, WEEKS_PER_YEAR

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "economics"
STEP = DATA / "step.yaml"
TWO = DATA / "two_levels.yaml"
runner = CliRunner()

ONE_AGENT_YEAR = 40 * 168 * WEEKS_PER_YEAR
"""One agent around the clock for a year at 40 an hour: 40 x 168 h x 52.14 weeks = 350,400."""


def test_one_contract_crossing_one_erlang_step_costs_one_agent_year():
    """step.yaml: 2 contracts need 3 agents (Erlang C 83.7% >= 70%, 2 agents 43.3%); 3 need
    4 (3 agents 52.9%, 4 agents 84.4%). The third contract therefore costs one agent for
    24 x 7 hours: 40/h x 168 h/week x 52.142857 weeks/year = 350,400 per contract-year, with
    no parts, fixed costs or credits. Fails if the marginal cost is the average cost (4 agents
    x 8,760 h x 40 / 3 contracts = 467,200), is not divided by the contracts added, or
    annualises with the wrong number of weeks (the measured period is 2 weeks)."""
    m = marginal_cost(STEP, "desk", seeds=2, confidence=0.0, replications=4)
    assert [dict(a.plan) for a, _ in m.plans] == [{("desk", 0): 3}] * 2
    assert [dict(b.plan) for _, b in m.plans] == [{("desk", 0): 4}] * 2
    mean, lo, hi = m.total
    assert mean == pytest.approx(350_400) and lo == pytest.approx(hi)
    assert m.per_seed[["parts", "fixed", "credits"]].abs().to_numpy().max() == 0


def _clock(rep, ticket, clock, sev, deadline, breached, status="met"):
    return {"replication": rep, "ticket": ticket, "clock": clock, "level": "p",
            "severity": sev, "deadline_min": deadline, "status": status,
            "breached": breached}


def test_penalty_arithmetic_on_hand_worked_breaches(tmp_path):
    """Level p: 120,000 a year, so the monthly fee is 10,000. Credits: 5% (500) per missed
    critical restore, 1,000 per month whose resolve attainment is below 90%, capped at 20%
    (2,000) a month. The measured window is 1.5 months: month 1 is half measured, so its
    cap is 1,000 and its below-target credit 500.

    Contract A, month 0: 3 missed critical restores (1,500) + resolve 3 of 4 met = 75%
    (1,000) = 2,500, capped to 2,000. Month 1: 1 missed critical restore (500) and 1 missed
    major restore (no credit: critical only); resolve 2 of 2 met: 500 (under the cap).
    Contract B: a missed critical restore on a ticket of the warm-up (left out) and one
    still open (not due, left out); month 1: resolve 0 of 1 met: 1,000 x 0.5 = 500.
    Fails if the cap is missing (A month 0 = 2,500) or not prorated (A month 1 stays 500
    either way, but B's below-target would be 1,000), if the severity filter is ignored
    (A month 1 = 1,000), or if warm-up or open clocks count."""
    cat_file = tmp_path / "cat.yaml"
    cat_file.write_text("""\
catalog: pen
calendars: {always: {}}
severities: [critical, major]
levels:
  p:
    calendar: always
    targets:
      critical: {response: 15m, restore: 4h, resolve: 1d}
      major: {response: 15m, restore: 8h, resolve: 2d}
    attainment: 90%
    price: {per_contract_year: 120000}
    penalties:
      period: month
      credits:
        - {clock: restore, severity: critical, per_miss: 5%}
        - {clock: resolve, below_target: 1000}
      cap: 20%
""", encoding="utf-8")
    cat, _ = load_catalog(cat_file)
    month = MINUTES_PER_YEAR / 12
    end = 1.5 * month
    rows = [  # contract A = tickets 1-9, B = 10-12
        _clock(0, 1, "restore", "critical", 100, True),
        _clock(0, 2, "restore", "critical", 200, True),
        _clock(0, 3, "restore", "critical", 300, True),
        *[_clock(0, t, "resolve", "critical", 400, t == 4) for t in (4, 5, 6, 7)],
        _clock(0, 8, "restore", "critical", month + 10, True),
        _clock(0, 9, "restore", "major", month + 20, True),
        _clock(0, 8, "resolve", "critical", month + 30, False),
        _clock(0, 9, "resolve", "major", month + 40, False),
        _clock(0, 10, "restore", "critical", 50, True),  # warm-up ticket
        _clock(0, 11, "restore", "critical", 60, True, status="open"),
        _clock(0, 12, "resolve", "critical", month + 50, True),
    ]
    clocks = pd.DataFrame(rows)
    tickets = pd.DataFrame({
        "replication": 0, "ticket": range(1, 13), "customer": "ops",
        "contract": [0] * 9 + [1] * 3, "warmup": [False] * 9 + [True, False, False]})
    got = credits_by_contract(clocks, tickets, cat, 0.0, end)
    owed = {(int(r.contract), int(r.period)): r.credit for r in got.itertuples()}
    assert owed == pytest.approx({(0, 0): 2000.0, (0, 1): 500.0, (1, 1): 500.0})
    assert got.loc[(got["contract"] == 0) & (got["period"] == 0), "uncapped"].item() == 2500


def test_penalties_are_validated_with_their_line(tmp_path):
    """Fails if a credit naming a severity the level has no target for, or one with both
    kinds, is accepted, or if the error has no file:line."""
    bad = tmp_path / "cat.yaml"
    bad.write_text("""\
catalog: pen
calendars: {always: {}}
severities: [minor]
levels:
  p:
    calendar: always
    targets:
      minor: {response: 15m, resolve: 1d}
    attainment: 90%
    penalties:
      credits:
        - {clock: resolve, severity: critical, per_miss: 100}
""", encoding="utf-8")
    out = runner.invoke(app, ["validate", str(bad)])
    assert out.exit_code == 2 and "cat.yaml:5: levels.p:" in out.output
    assert "'critical' has no targets" in out.output
    bad.write_text(bad.read_text().replace("severity: critical, per_miss: 100",
                                           "per_miss: 5%"), encoding="utf-8")
    out = runner.invoke(app, ["validate", str(bad)])
    assert out.exit_code == 2 and "needs the level's price" in out.output


@pytest.mark.slow
def test_silver_marginal_cost_ignores_platinum_volume():
    """two_levels.yaml: silver's added billing work lands on a team platinum never uses;
    platinum's tier is fixed. Silver's marginal cost is one team agent-year (350,400, the
    Erlang step of step.yaml) with 1 and with 5 platinum contracts, seed by seed, while
    silver's fully allocated cost per contract-year moves (it shares the tier's fixed cost
    by busy minutes). Fails if the marginal cost is computed from the allocated cost or
    from totals that include platinum's changes."""
    import itr_sim

    base = load_scenario(TWO)
    got = []
    allocated = []
    for extra in (0, 4):
        loaded = with_contracts(base, "operators", extra)
        m = marginal_cost(loaded, "silver", seeds=1, confidence=0.0)
        got.append(m.per_seed.drop(columns="seed").to_dict(orient="records"))
        run = itr_sim.run_scenario(loaded, replications=2)
        per_level = itr_sim.analyse(run).summary["cost"]["per_level"]
        allocated.append(per_level["silver"]["cost_per_contract_year"])
    assert got[0] == got[1]
    assert got[0][0]["total"] == pytest.approx(ONE_AGENT_YEAR)
    assert abs(allocated[0] - allocated[1]) > 0.05 * allocated[0]


def test_headroom_grows_with_staffing():
    """step.yaml with today's roster: 0.75 tickets/h per contract, 70% within 15 minutes.
    Erlang C: 3 agents carry 2 contracts (83.7%) but not 3 (52.9%): headroom 0. 5 agents
    carry 4 contracts (a = 3 Erlangs: 85.7%) but not 5 (a = 3.75: 66.2%): headroom 2.
    Fails if the search ignores the roster, stops at the first step or overshoots, or does
    not judge the targets by the staff rule."""
    base = load_scenario(STEP)
    small = headroom(base, "desk", confidence=0.0, bound=8, replications=4)
    assert small.headroom == 0 and small.breaks_with() == ["sla.desk.minor.response"]
    more = load_scenario(STEP, {"organisation.tiers.desk.shifts.0.agents": 5})
    big = headroom(more, "desk", confidence=0.0, bound=8, replications=4)
    assert big.headroom == 2 and big.breaks_with() == ["sla.desk.minor.response"]


def test_search_largest_doubles_then_bisects():
    """Fails if the search is not exact for a monotone predicate or evaluates more than
    doubling plus bisection needs (true answer 11 in [0, 40]: 1, 2, 4, 8, 16, 12, 10, 11)."""
    seen = []

    def holds(n: int) -> bool:
        seen.append(n)
        return n <= 11

    assert search_largest(holds, 40) == (11, False)
    assert seen == [1, 2, 4, 8, 16, 12, 10, 11]
    assert search_largest(lambda n: True, 5) == (5, True)
    assert search_largest(lambda n: False, 5) == (0, False)


@pytest.mark.slow
def test_price_cli_json_and_reoptimised_headroom_curve(tmp_path):
    """The floor is the marginal cost (350,400), the list price 500,000 gives a margin of
    1 - 350,400 / 500,000 = 29.92%, and a 20% margin needs 350,400 / 0.8 = 438,000. The
    re-optimised headroom curve is the least staff cost per year of each volume: 2
    contracts = 3 agents = 1,051,200. Fails if margin or price are computed on the list
    price or the curve is not annualised."""
    out = runner.invoke(app, ["price", str(STEP), "--level", "desk", "--seeds", "2",
                              "--confidence", "0%", "-n", "4", "--json"])
    assert out.exit_code == 0, out.output
    got = json.loads(out.stdout)
    assert got["floor"]["mean"] == pytest.approx(ONE_AGENT_YEAR)
    assert got["margin_at_list"]["mean"] == pytest.approx(1 - 350_400 / 500_000)
    assert got["price_at_margin"]["mean"] == pytest.approx(438_000)
    assert [c[:12] for c in got["marginal_cost"]["cautions"]] == ["only 2 seed("]
    from itr_sim.report.baseline import inputs_hash  # a stored answer can be checked
    assert got["inputs_hash"] == inputs_hash(load_scenario(STEP))
    assert got["settings"] == {"seed": load_scenario(STEP).scenario.seed, "seeds": 2,
                               "replications": 4, "max_evaluations": 200}
    fig = tmp_path / "curve.png"
    out = runner.invoke(app, ["headroom", str(STEP), "--level", "desk", "--staffing",
                              "reoptimised", "--confidence", "0%", "-n", "4", "--bound", "2",
                              "--points", "2", "--figure", str(fig), "--json"])
    assert out.exit_code == 0, out.output
    got = json.loads(out.stdout)
    assert got["curve"][0] == {"added": 0, "contracts": 2, "cost_per_year": 3 * ONE_AGENT_YEAR,
                               "holds": True}
    assert got["headroom"] == 2 and fig.stat().st_size > 1000


def test_product_extends_the_catalogue(tmp_path):
    """A product 'desk plus' sold to 1 contract like callers: the same marginal cost as a
    third desk contract (one agent-year), plus its fixed cost of 5,000 per contract-year.
    Fails if the product's contracts are not added, the level is not in the catalogue the
    run uses, or the fixed cost per contract is left out."""
    product = tmp_path / "plus.yaml"
    product.write_text("""\
product: desk_plus
extends: desk
targets:
  minor: {resolve: 30d}
price: {per_contract_year: 700000}
sold_to: {customer: callers, contracts: 1}
""", encoding="utf-8")
    loaded = load_scenario(STEP, {"organisation.cost_per_contract_year": {"desk_plus": 5000}})
    r = price(loaded, margin=0.25, product=product, seeds=1, confidence=0.0, replications=4)
    assert r.level == "desk_plus" and r.list_price == 700_000
    assert r.floor[0] == pytest.approx(ONE_AGENT_YEAR + 5000)  # + the fixed cost


@pytest.mark.parametrize(("args", "text", "message"), [
    (["--level", "desk", "--margin", "100%"], None, "--margin: a margin of 100%"),
    (["--level", "desk", "--margin", "150%"], None, "--margin: a margin of 150%"),
    (["--level", "nope"], None, "no level 'nope'"),
    (["--product", "{p}"], "product: plus\nextends: platinum\nsold_to: {customer: callers, "
     "contracts: 2}\n", "plus.yaml:2: extends:"),
    (["--product", "{p}"], "product: plus\nextends: desk\nsold_to: {customer: callerz, "
     "contracts: 2}\n", "plus.yaml:3: sold_to.customer:"),
    (["--product", "{p}"], "product: plus\nextends: desk\nsold_to: {contracts: 0}\n",
     "plus.yaml:3: sold_to"),
])
def test_bad_price_input_exits_2(tmp_path, args, text, message):
    """Fails if bad input gives a traceback, another exit status, or no file:line."""
    p = tmp_path / "plus.yaml"
    if text is not None:
        p.write_text(text, encoding="utf-8")
    out = runner.invoke(app, ["price", str(STEP), *[a.replace("{p}", str(p)) for a in args]])
    assert out.exit_code == 2, out.output
    assert message in out.output
    assert "Traceback" not in out.output


def test_level_without_a_price_exits_2(tmp_path):
    """Fails if a level with no list price is priced anyway (no margin can be shown)."""
    cat = (DATA / "catalog.yaml").read_text(encoding="utf-8").replace(
        "    price: {per_contract_year: 500000}\n", "")
    (tmp_path / "catalog.yaml").write_text(cat, encoding="utf-8")
    (tmp_path / "step.yaml").write_text(STEP.read_text(encoding="utf-8"), encoding="utf-8")
    out = runner.invoke(app, ["price", str(tmp_path / "step.yaml"), "--level", "desk"])
    assert out.exit_code == 2 and "catalog.yaml:" in out.output
    assert "has no price" in out.output


@pytest.mark.slow
def test_service_products_notebook_runs_and_is_committed_without_outputs(monkeypatch):
    """Fails if the sales notebook errors, shows nothing, or is committed with outputs."""
    import nbformat
    from nbclient import NotebookClient

    path = ROOT / "notebooks" / "service_products.ipynb"
    book = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in book.cells if cell.cell_type == "code")
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    NotebookClient(book, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    outputs = [o for cell in book.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any(o.output_type in ("execute_result", "display_data") for o in outputs)


def test_fixed_cost_of_an_unknown_level_exits_2(tmp_path):
    """Fails if a fixed cost per contract for a level the catalogue lacks is silently
    ignored (a typo would drop the cost from every price floor)."""
    text = STEP.read_text(encoding="utf-8").replace(
        "      cost_per_agent_hour: 40\n",
        "      cost_per_agent_hour: 40\n  cost_per_contract_year: {dsk: 5000}\n")
    (tmp_path / "step.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "catalog.yaml").write_text((DATA / "catalog.yaml").read_text("utf-8"), "utf-8")
    out = runner.invoke(app, ["price", str(tmp_path / "step.yaml"), "--level", "desk"])
    assert out.exit_code == 2, out.output
    assert "step.yaml:" in out.output and "did you mean 'desk'" in out.output


def test_report_has_an_economics_section(tmp_path):
    """The report's economics row for desk shows its revenue per contract-year (the list
    price, 500,000) and labels the staff cost as fully allocated. Fails if the section is
    missing or annualises the measured weeks wrongly."""
    out = tmp_path / "r.html"
    got = runner.invoke(app, ["report", str(STEP), "-n", "1", "-o", str(out)])
    assert got.exit_code == 0, got.output
    page = out.read_text("utf-8")
    assert "Economics per contract-year" in page and "fully allocated" in page
    assert "<tr><td>desk</td><td>2</td><td>500,000</td>" in page


@pytest.mark.parametrize(("again", "expected_base"), [
    (("optimal", 90.0), 90.0),       # the plan for more holds at base volume: used
    (("optimal", 120.0), 110.0),     # the re-search ends dearer: the first plan stays
    (("budget_exhausted", 80.0), 110.0),  # no least cost: not used
])
def test_least_cost_pair_is_monotone_in_the_volume(monkeypatch, again, expected_base):
    """The greedy search stops at 110 for today's volume and finds 100 for more contracts
    (searched from the 110 plan): a negative staff cost for added work is a search artefact.
    The base is searched again from the plan for more; a cheaper least-cost result replaces
    its plan, a dearer or unfinished one does not. Fails if the re-search is skipped (base
    stays 110 in the first case), if a dearer or budget-exhausted plan replaces it, or if the
    re-search runs when more is already dearer (the call log below)."""
    from types import SimpleNamespace

    from itr_sim.analysis import economics

    calls: list[str] = []
    base, more = object(), object()

    def fake_staff(scenario, **_):
        calls.append("staff base")
        return SimpleNamespace(status="optimal", cost=110.0, plan={"x": 11})

    def fake_restaff(scenario, start, **_):
        if scenario is more:
            calls.append("restaff more")
            return SimpleNamespace(status="optimal", cost=100.0, plan={"x": 10})
        calls.append("restaff base from more")
        assert start.plan == {"x": 10}
        return SimpleNamespace(status=again[0], cost=again[1], plan={"x": 9})

    monkeypatch.setattr(economics, "staff", fake_staff)
    monkeypatch.setattr(economics, "restaff", fake_restaff)
    p0, p1 = economics._least_cost_pair(base, more, 1, 2, 0.95, 10, None, 1, None)
    assert (p0.cost, p1.cost) == (expected_base, 100.0)
    assert calls == ["staff base", "restaff more", "restaff base from more"]

    def dearer(scenario, start, **_):
        calls.append("restaff more")
        return SimpleNamespace(status="optimal", cost=130.0, plan={"x": 13})

    calls.clear()
    monkeypatch.setattr(economics, "restaff", dearer)
    p0, p1 = economics._least_cost_pair(base, more, 1, 2, 0.95, 10, None, 1, None)
    assert (p0.cost, p1.cost) == (110.0, 130.0)
    assert calls == ["staff base", "restaff more"]


def test_cautions_name_few_seeds_and_a_split_staffing_step():
    """Per-seed staff costs 0, 700,000, 0 over 3 seeds: the mean (233,333) is a third of a
    step no seed saw, and 3 seeds are too few to quote. 5 seeds that all need the step give
    no caution. Fails if the cautions are missing, count the seeds wrong (1 of 3), or fire
    on a well-measured result."""
    from itr_sim.analysis.economics import MarginalCost

    def result(staff: list[float]) -> MarginalCost:
        rows = [{"seed": i, "staff": x, "parts": 1.0, "fixed": 0.0, "credits": 0.0,
                 "total": x + 1.0} for i, x in enumerate(staff)]
        return MarginalCost("platinum", "operators", 2, 8, "EUR", 0.95,
                            list(range(len(staff))), "reoptimised", pd.DataFrame(rows))

    split = result([0.0, 700_000.0, 0.0]).cautions()
    assert len(split) == 2
    assert split[0].startswith("only 3 seed(s)")
    assert "more staff in 1 of 3 seeds (staff cost per seed 0 to 700,000)" in split[1]
    assert result([700_000.0, 690_000.0, 710_000.0, 700_000.0, 705_000.0]).cautions() == []
    assert "cheaper to staff" in result([5e5, -1e4, 5e5, 5e5, 5e5]).cautions()[-1]


def test_headroom_curve_is_made_monotone_from_the_larger_plans():
    """Least costs 100, 130, 120, 150 at +0, +1, +2, +3: +1 is dearer than +2 and is searched
    again from +2's plan. In the first world the re-search finds 115 (kept: the curve reads
    100, 115, 120, 150); in the second it finds 140, dearer than the 130 it had (not kept).
    Only volumes above a cheaper neighbour are searched again. Fails if the
    curve is left falling, if the wrong start plan is used, if a dearer re-search replaces a
    cost, or if volumes already below their neighbour are searched again."""
    from types import SimpleNamespace

    from itr_sim.analysis.headroom import Step, monotone_costs

    for found, expected in ((115.0, [100.0, 115.0, 120.0, 150.0]),
                            (140.0, [100.0, 130.0, 120.0, 150.0])):
        costs = [100.0, 130.0, 120.0, 150.0]
        steps = {a: Step(a, True, [], c) for a, c in enumerate(costs)}
        plans = {a: SimpleNamespace(plan={"x": a}, status="optimal", cost=c, weeks=1.0)
                 for a, c in enumerate(costs)}
        calls: list[tuple[int, dict]] = []

        def search(added, start, found=found, calls=calls):
            calls.append((added, start.plan))
            return SimpleNamespace(plan={"x": 9}, status="optimal",
                                   cost=found / WEEKS_PER_YEAR, weeks=1.0)

        monotone_costs(steps, plans, search, lambda _t: None)
        assert [steps[a].cost_per_year for a in range(4)] == pytest.approx(expected)
        assert calls == [(1, {"x": 2})]
