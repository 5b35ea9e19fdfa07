"""Least-cost staffing by simulation (itr-sim staff): analytic oracles (Erlang C, a Jackson
network), unreachable targets, exit codes, the what-if it writes and the bounds it reads."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml
from itr_sim.cli.main import app
from typer.testing import CliRunner

from itr_sim.analysis.evaluate import TargetInfo, Verdict
from itr_sim.analysis.queueing import erlang_c, required_agents
from itr_sim.analysis.staff import days_text, staff
from itr_sim.model.load import load_scenario

HERE = Path(__file__).parent / "data" / "staffing"
MMC, NETWORK = HERE / "mmc.yaml", HERE / "network.yaml"
runner = CliRunner()


def _copy(text: str) -> str:
    """A test scenario's text with its catalogue path made absolute (for tmp_path copies)."""
    return text.replace("catalog: catalog.yaml",
                        f"catalog: {json.dumps(str(HERE / 'catalog.yaml'))}")


def _erlang_minimum(rate_per_hour: float, target: float) -> int:
    """Fewest agents with P(W <= 15 min) >= target for exponential 1 h handling, by
    walking Erlang C upwards (independent of required_agents, which the search does not
    use for its answer)."""
    c = math.floor(rate_per_hour) + 1
    while erlang_c(c, rate_per_hour / 60.0, 60.0).service_level(15.0) < target:
        c += 1
    return c


@pytest.mark.slow
def test_mmc_plan_is_erlang_c_minimum():
    """Fails if the search stops above or below the least staffing: 9.5/h, 1 h, 80% within
    15 min is Erlang C's published 12 agents (11 give 62.3%, 12 give 81.25%). The mean rule
    (confidence 0) is used: with 10 replications the 95% lower bound cannot always separate
    81.25% from 80% (docs/staffing.md)."""
    assert _erlang_minimum(9.5, 0.80) == 12 == required_agents(9.5 / 60, 60.0, 0.80,
                                                               15.0).on_queue
    result = staff(load_scenario(MMC), confidence=0.0)
    assert result.status == "optimal"
    assert result.plan == {("desk", 0): 12}
    # 12 is binding on the response target: 11 agents miss it
    assert result.binding[("desk", 0)] == ["sla.desk.minor.response"]
    # the cost is agents x 24 h x 28 measured days x 40 per hour
    assert result.cost == pytest.approx(12 * 24 * 28 * 40)
    assert result.cost_now == pytest.approx(15 * 24 * 28 * 40)
    assert result.missed_out_of_sample() == []
    oos = result.out_of_sample["sla.desk.minor.response"]
    # out of sample: a fresh seed and twice the replications
    assert (result.final_seed, result.final_replications, oos.n) == (12, 20, 20)
    assert abs(oos.value - 0.8125) < 0.02  # the fresh seed agrees with Erlang C
    assert oos.ci[1] - oos.ci[0] < 0.04  # and its interval is narrow enough to say so


@pytest.mark.slow
def test_target_between_two_levels_with_the_confidence_rule():
    """Fails if the 95% lower-bound rule accepts too few agents or demands too many: an 86%
    target lies between 12 agents (81.25%) and 13 (91.03%), 4.75 and 5.0 points away."""
    sets = {"catalog.levels.desk.attainment.response": "86%"}
    assert _erlang_minimum(9.5, 0.86) == 13
    result = staff(load_scenario(MMC, sets=sets), confidence=0.95)
    assert result.plan == {("desk", 0): 13}
    verdict = result.in_sample["sla.desk.minor.response"]
    assert verdict.met and verdict.ci[0] >= 0.86


@pytest.mark.slow
def test_two_tier_network_meets_the_analytic_minimum():
    """Fails if the search over-staffs one tier to save another, or ignores the occupancy
    cap: L1 needs Erlang C's 12 agents for the response target, L2 ceil(5.7 / 0.85) = 7 for
    the 85% cap (81.4% busy; 6 would be 95%). Worked out in tests/data/staffing/network.yaml."""
    l2_load = 9.5 * 0.4 * 1.5
    assert math.ceil(l2_load / 0.85) == 7 and l2_load / 6 > 0.85
    result = staff(load_scenario(NETWORK), confidence=0.0)
    assert result.status == "optimal"
    assert result.plan == {("L1", 0): 12, ("L2", 0): 7}
    assert result.unreachable == []  # both caps can hold: L1 at 79%, L2 at 81%
    assert result.out_of_sample["occupancy.L1"].met and result.out_of_sample["occupancy.L2"].met
    assert result.out_of_sample["occupancy.L2"].value == pytest.approx(l2_load / 7, abs=0.02)


@pytest.mark.slow
def test_unreachable_target_is_named_with_its_lever():
    """Fails if a target that no staffing can meet makes the search run to its bounds or is
    reported as met: with one 09:00-18:00 shift, tickets raised at night wait for the
    morning whatever the staff (about 9 of 24 hours are served within 15 min)."""
    sets = {"organisation.tiers.desk.shifts.0.hours": "09:00-18:00",
            "demand.customers.callers.tickets_per_week": 168}
    result = staff(load_scenario(MMC, sets=sets), confidence=0.95, replications=4)
    assert result.unreachable == ["sla.desk.minor.response"]
    bound = result.at_bound["sla.desk.minor.response"]
    assert 0.3 < bound.value < 0.5
    row = result.to_json()["unreachable"][0]
    assert row["clock"] == "response" and "shift" in row["lever"]
    assert row["reason"] == "missed"
    # the other targets are met by a small roster: 24 h of work a day in a 9 h window needs
    # 24 / 9 / 0.95 = 2.8 agents for a stable queue, so 3
    assert result.status == "optimal"
    assert result.plan == {("desk", 0): 3}


def test_verdict_is_missed_only_when_the_interval_says_so():
    """Fails if 'missed' is shown for an interval that contains the target."""
    info = TargetInfo("k", "sla", 0.9)
    assert Verdict(info, 0.91, (0.88, 0.94), 0.88, False, 10).verdict == "at risk"
    assert Verdict(info, 0.85, (0.82, 0.88), 0.82, False, 10).verdict == "missed"
    assert Verdict(info, 0.95, (0.92, 0.98), 0.92, True, 10).verdict == "met"
    assert Verdict(info, 0.85, (0.82, 0.88), 0.82, False, 10).shortfall == pytest.approx(0.08)
    # at the bound, an interval that contains the target is unproven, not a staffing lever
    from itr_sim.analysis.staff import _unreachable_json

    parts = TargetInfo("sla.gold.critical.parts", "sla", 0.9, clock="parts")
    unclear = _unreachable_json(Verdict(parts, 0.95, (0.85, 1.0), 0.85, False, 10))
    assert unclear["reason"] == "unproven" and "--replications" in unclear["lever"]
    missed = _unreachable_json(Verdict(parts, 0.80, (0.75, 0.85), 0.75, False, 10))
    assert missed["reason"] == "missed" and "stock" in missed["lever"]


def test_days_text():
    """Fails if shift days are shown as a list of every day instead of runs."""
    assert days_text((0, 1, 2, 3, 4)) == "Mon-Fri"
    assert days_text((0, 1, 2, 3, 4, 5, 6)) == "Mon-Sun"
    assert days_text((0, 2, 5, 6)) == "Mon,Wed,Sat-Sun"


@pytest.mark.slow
def test_cli_json_write_and_run(tmp_path):
    """Fails if --json loses a key of the documented shape, if --write writes something
    `run` cannot use, or if --write replaces a file without --force."""
    out = tmp_path / "staffed.yaml"
    base = tmp_path / "mmc.yaml"
    base.write_text(_copy(MMC.read_text()))
    args = ["staff", str(base), "--confidence", "0%", "-n", "4", "--json", "--write", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert set(body) >= {"plan", "cost_now", "cost", "targets", "unreachable", "evaluations",
                         "seconds"}
    shift = body["plan"]["desk"][0]
    assert {"shift", "days", "hours", "agents_now", "agents"} <= set(shift)
    assert shift["agents_now"] == 15 and shift["days"] == "Mon-Sun"
    target = body["targets"][0]
    assert {"level", "severity", "clock", "target", "attainment", "ci95", "met"} <= set(target)
    assert body["evaluations"] >= 4
    written = yaml.safe_load(out.read_text())
    assert written["extends"] == "mmc.yaml"
    assert written["overrides"] == {"organisation.tiers.desk.shifts.0.agents":
                                    shift["agents"]}
    loaded = load_scenario(out)
    assert loaded.scenario.organisation.tiers["desk"].shifts[0].agents == shift["agents"]
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "--force" in again.output
    # nothing else was left behind (no temporary file of the atomic write)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mmc.yaml", "staffed.yaml"]


def test_budget_exhausted_exits_1():
    """Fails if a search cut short by its budget claims a plan (exit 0) or writes one."""
    sets = ["--replications", "2", "--max-evaluations", "3", "--confidence", "95%"]
    result = runner.invoke(app, ["staff", str(MMC), *sets])
    assert result.exit_code == 1, result.output
    assert "3 evaluations" in result.output and "--max-evaluations" in result.output


def test_unit_without_cost_is_bad_input(tmp_path):
    """Fails if a unit the search may change has no cost (it would be staffed without
    limit) and the command runs instead of naming the file, line and key."""
    text = MMC.read_text().replace("      cost_per_agent_hour: 40\n", "")
    text = _copy(text)
    path = tmp_path / "nocost.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["staff", str(path)])
    assert result.exit_code == 2
    assert "cost_per_agent_hour" in result.output and "nocost.yaml:" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("staffing", "message"), [
    ("  units:\n    desk: {min: 5, max: 2}\n", "min 5 is above max 2"),
    ("  units:\n    dsk: {max: 4}\n", "did you mean 'desk'"),
    ("  units:\n    desk: {shifts: [{max: 3}, {max: 4}]}\n", "2 bounds entries for the 1"),
    ("  units:\n    desk: {min: 5, shifts: [{max: 3}]}\n", "min 5 is above max 3"),
    ("  units:\n    desk: {step: 0}\n", "step"),
    ("  occupancy_cap: 120%\n", "occupancy_cap"),
])
def test_bad_staffing_section(tmp_path, staffing, message):
    """Fails if bounds that cannot be met or name nothing pass validation."""
    text = MMC.read_text().split("staffing:\n")[0] + "staffing:\n" + staffing
    text = _copy(text)
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert message in result.output, result.output
    line = result.output.split("bad.yaml:")[1].split(":")[0]
    assert int(line) >= text.split("\n").index("staffing:") + 1


NIGHTLESS = {"organisation.tiers.desk.shifts.0.hours": "09:00-18:00",
             "demand.customers.callers.tickets_per_week": 168}


@pytest.mark.slow
def test_process_pool_gives_the_serial_search():
    """Fails if evaluating rosters on a process pool changes what the search sees (a seed
    per worker, results in completion order)."""
    serial = staff(load_scenario(MMC, sets=NIGHTLESS), replications=3)
    pooled = staff(load_scenario(MMC, sets=NIGHTLESS), replications=3, jobs=2)
    assert [p.agents for p in pooled.history] == [p.agents for p in serial.history]
    assert [p.shortfall for p in pooled.history] == [p.shortfall for p in serial.history]
    assert pooled.plan == serial.plan
    assert {k: v.value for k, v in pooled.out_of_sample.items()} == \
        {k: v.value for k, v in serial.out_of_sample.items()}


@pytest.mark.slow
def test_dask_gives_the_serial_search():
    """Fails if rosters evaluated on dask.distributed differ from serial ones."""
    serial = staff(load_scenario(MMC, sets=NIGHTLESS), replications=2)
    on_dask = staff(load_scenario(MMC, sets=NIGHTLESS), replications=2, executor="dask",
                    jobs=1)
    assert [p.agents for p in on_dask.history] == [p.agents for p in serial.history]
    assert on_dask.plan == serial.plan


@pytest.mark.slow
def test_ola_attainment_constraint_and_its_lever():
    """Fails if staffing.ola_attainment adds no OLA target, or if an OLA that no staffing
    can keep is not named with the OLA lever: L2's 30-minute budget is met at most by the
    visits served in 30 min, P(S <= 30 min) = 1 - exp(-0.5 / 1.5) = 28.3% of exponential
    1.5 h handling, far below 90%."""
    sets = {"organisation.tiers.L2.ola": {"minor": "30m"}, "staffing.ola_attainment": "90%",
            "demand.customers.callers.tickets_per_week": 336, "horizon": "3w"}
    result = staff(load_scenario(NETWORK, sets=sets), replications=3, confidence=0.0)
    assert "ola.L2" in result.unreachable
    assert result.at_bound["ola.L2"].value == pytest.approx(1 - math.exp(-0.5 / 1.5), abs=0.04)
    row = next(r for r in result.to_json()["unreachable"] if r["unit"] == "L2")
    assert row["kind"] == "ola" and "OLA budgets" in row["lever"]
    assert "ola.L1" not in result.at_bound  # L1 has no OLA budgets: no OLA target


def _evaluation(values: list[float], counts: list[float], target: float = 0.9,
                sense: str = ">="):
    import pandas as pd

    from itr_sim.analysis.evaluate import Evaluation

    frame = pd.DataFrame({"replication": range(len(values)), "key": "k", "value": values,
                          "n": counts})
    return Evaluation((), 1, len(values), frame, {"k": TargetInfo("k", "sla", target, sense)},
                      None, 0.0)


def test_judge_takes_the_lower_of_the_t_and_wilson_bounds():
    """Fails if a target is judged on the mean or the upper bound, or if either interval is
    dropped. Worked by hand:
    * 0.8, 0.9, 1.0 over 100 clocks each: mean 0.9, s = 0.1, t(0.975, 2) = 4.3027, half
      width 0.1 x 4.3027 / sqrt(3) = 0.2484, so t gives 0.6516; Wilson on 270 of 300 gives
      0.8614; the bound is 0.6516.
    * ten replications of 4 clocks, all met: the t-interval has no width (bound 1.0); Wilson
      on 40 of 40 gives 40 / (40 + 1.96^2) = 0.9124, below a 95% target, above 90%."""
    from itr_sim.analysis.evaluate import judge

    v = judge(_evaluation([0.8, 0.9, 1.0], [100, 100, 100]), 0.95)["k"]
    assert v.value == pytest.approx(0.9)
    assert v.bound == pytest.approx(0.9 - 0.1 * 4.302653 / math.sqrt(3), abs=1e-5)
    assert not v.met and v.verdict == "at risk"
    perfect = _evaluation([1.0] * 10, [4] * 10, target=0.95)
    w = judge(perfect, 0.95)["k"]
    assert w.bound == pytest.approx(40 / (40 + 1.959964 ** 2), abs=1e-4)
    assert not w.met
    assert judge(_evaluation([1.0] * 10, [4] * 10, target=0.90), 0.95)["k"].met
    assert judge(perfect, 0.0)["k"].met  # the mean rule: 100% >= 95%
    # an occupancy cap is judged on the upper bound: 0.80, 0.82, 0.84 has t upper bound
    # 0.82 + 0.02 x 4.3027 / sqrt(3) = 0.8697 > 0.85, so the cap is not shown to hold
    cap = judge(_evaluation([0.80, 0.82, 0.84], [math.nan] * 3, 0.85, "<="), 0.95)["k"]
    assert cap.bound == pytest.approx(0.82 + 0.02 * 4.302653 / math.sqrt(3), abs=1e-5)
    assert not cap.met


def test_variables_defaults_bounds_steps_and_cost():
    """Fails if the default bounds, a unit's step or fixed flag, or the cost of an agent on
    a shift are computed wrongly. Cost by hand: the desk works 24 h x 28 measured days at
    40 an hour = 26,880 per agent."""
    from itr_sim.analysis.staff import _on_grid, _start, variables_of
    from itr_sim.model.staffing import StaffingSpec, UnitBounds

    loaded = load_scenario(MMC)
    (v,) = variables_of(loaded, StaffingSpec())
    assert (v.now, v.low, v.high, v.step) == (15, 1, 45, 1)  # max(3 x 15, 15 + 3)
    assert v.cost_per_agent == pytest.approx(24 * 28 * 40)
    (w,) = variables_of(loaded, StaffingSpec(units={"desk": UnitBounds(min=2, max=9,
                                                                       step=3)}))
    assert (w.low, w.high, w.step) == (2, 9, 3)
    assert [_on_grid(w, n) for n in (0, 2, 3, 6, 9, 30)] == [2, 2, 5, 8, 8, 8]
    (f,) = variables_of(loaded, StaffingSpec(units={"desk": UnitBounds(fixed=True)}))
    assert f.fixed and f.low == f.high == 15
    # Erlang C start: 9.5 Erlangs need 12 agents for P(wait) <= 50% (P(wait) at 12 is 35%,
    # at 11 it is 54.8%: docs/queueing.md)
    assert _start(v, 9.5) == 12


class _Rule:
    """A stand-in evaluator for the search steps: a roster is feasible when ``rule`` says
    so; no simulation runs."""

    def __init__(self, rule):
        self.rule, self.loaded = rule, load_scenario(MMC)

    def key(self, x):
        return tuple(sorted(x.items()))

    def many(self, rosters):
        return list(rosters)


def _variables():
    from itr_sim.analysis.staff import Variable

    return [Variable(("A", 0), "tiers", "Mon-Sun", "00:00-24:00", 2, 0, 5, 1, 40.0, 1.0),
            Variable(("B", 0), "tiers", "Mon-Sun", "00:00-24:00", 2, 0, 5, 1, 60.0, 1.0)]


def _recorder(rule, variables):
    from itr_sim.analysis.staff import Point

    cost = {v.key: v.cost_per_agent for v in variables}

    def record(phase, x, e):
        ok = e is not None and rule(x)
        return Point(phase, dict(x), sum(cost[k] * n for k, n in x.items()), ok,
                     0.0 if ok else 1.0 / (1 + sum(x.values())),
                     () if ok else ("sla.desk.minor.response",))
    return record


def test_remove_takes_the_largest_saving_first():
    """Fails if the removal step keeps the dearer agent: from A = B = 2 (A costs 40, B 60)
    one agent may go (A + B >= 3); removing B saves 60, A only 40."""
    from itr_sim.analysis.staff import _remove

    variables = _variables()

    def rule(x):
        return x[("A", 0)] + x[("B", 0)] >= 3

    record = _recorder(rule, variables)
    x = {("A", 0): 2, ("B", 0): 2}
    plan, point, binding = _remove(_Rule(rule), variables, x, record("start", x, x), record,
                                   lambda y: [])
    assert plan == {("A", 0): 2, ("B", 0): 1} and point.cost == 140.0
    assert binding == {("A", 0): ["sla.desk.minor.response"],
                       ("B", 0): ["sla.desk.minor.response"]}


def test_add_takes_the_cheapest_feasible_step():
    """Fails if the add step takes a dearer step when a cheaper one already meets every
    target: from A = B = 0 either agent makes A + B >= 1 feasible; A costs 40, B 60."""
    from itr_sim.analysis.staff import _add

    variables = _variables()

    def rule(x):
        return x[("A", 0)] + x[("B", 0)] >= 1

    record = _recorder(rule, variables)
    x = {("A", 0): 0, ("B", 0): 0}
    plan, point = _add(_Rule(rule), variables, x, record("start", x, x), record)
    assert plan == {("A", 0): 1, ("B", 0): 0} and point.cost == 40.0


def test_the_evaluation_cache_answers_a_request_for_loads_with_loads():
    """Fails if a roster evaluated without shift loads is served from the cache to a request
    that needs them (the start roster would then be built from nothing)."""
    from itr_sim.analysis.evaluate import Options
    from itr_sim.analysis.staff import Evaluator, variables_of
    from itr_sim.model.staffing import StaffingSpec

    loaded = load_scenario(MMC, sets={"horizon": "2w"})
    variables = variables_of(loaded, StaffingSpec())
    ev = Evaluator(loaded, variables, 1, 2, Options(), 10, 1, "process", None, None)
    roster = {("desk", 0): 12}
    assert ev.many([roster])[0].busy is None
    again = ev.many([roster], loads=True)[0]
    assert again.busy is not None and again.busy[("desk", 0)] == pytest.approx(9.5, rel=0.1)
    assert ev.count == 2
    assert ev.many([roster], loads=True)[0] is again and ev.count == 2  # now cached
