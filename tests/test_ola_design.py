"""OLA design (`itr-sim ola`), OLA clocks beyond resolve, vendor contracts, queue `ola`."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from itr_sim.cli.main import app
from scipy import integrate, optimize
from typer.testing import CliRunner

from itr_sim.analysis.ola import attribute_breaches, ola_clocks, vendor_clocks, visit_tables
from itr_sim.analysis.ola_design import allocate, component_target, format_minutes, ola
from itr_sim.analysis.queueing import erlang_c
from itr_sim.engine.simulation import scenario_origin
from itr_sim.model.catalog import ClockName
from itr_sim.model.load import load_scenario
from itr_sim.model.org import QueueDiscipline
from itr_sim.model.source import ScenarioError
from itr_sim.rules.dispatch import queue_order

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
CATALOG = ROOT / "sla_catalog" / "standard.yaml"
runner = CliRunner()


# -- the allocation rule, hand-worked -------------------------------------------------------
def test_allocation_rule_hand_worked():
    """Fails if the budget is not shared in proportion to the quantiles after the reserve,
    or if rounding could push the sum of the shares past the SLA budget.

    * quantiles 60 and 180 min, SLA 300 min, hand-over reserve 60: 240 left, 1:3 -> 60, 180.
    * quantiles 10 and 20, SLA 100, no reserve: 33.33 and 66.67 rounded DOWN -> 33, 66
      (sum 99 <= 100; rounding to nearest would give 33 + 67 = 100, and 2/3 up would not
      fit in general).
    * reserve 60 beyond an SLA of 50: nothing left -> 0, 0.
    * quantiles 0 and 0 (no time measured), 100 left: equal shares 50, 50.
    """
    assert allocate([60.0, 180.0], 300.0, 60.0) == [60.0, 180.0]
    assert allocate([10.0, 20.0], 100.0) == [33.0, 66.0]
    assert allocate([30.0, 30.0], 50.0, 60.0) == [0.0, 0.0]
    assert allocate([0.0, 0.0], 100.0) == [50.0, 50.0]
    got = allocate([7.0, 11.0, 13.0], 101.0, 3.0)  # 98 left: 22.1, 34.8, 41.1
    assert got == [22.0, 34.0, 41.0] and sum(got) + 3.0 <= 101.0


def test_budgets_are_written_in_the_unit_grammar_rounded_down():
    """Fails if a budget is rounded up (it could then exceed its share) or a day is not 24
    covered hours: 1565 min = 1 d 2 h 5 m; 59.99 min -> 59m; 0 -> 0m."""
    assert format_minutes(1565) == "1d2h5m"
    assert format_minutes(59.99) == "59m"
    assert format_minutes(1440) == "1d"
    assert format_minutes(0) == "0m"


# -- validation: a two-tier M/M/c network against the convolution ---------------------------
TWO_TIER = """\
scenario: two_tier
catalog: {catalog}
start: 2027-01-04
horizon: 4w
warmup: 2d
replications: 10
seed: 7
organisation:
  timezone: Asia/Shanghai
  tiers:
    L1:
      shifts: [{{days: Mon-Sun, hours: "00:00-24:00", agents: 2}}]
      handling: {{default: {{exponential: {{mean: 5m}}}}}}
      queue: fcfs
      resolves: 60%
      escalates_to: L2
    L2:
      shifts: [{{days: Mon-Sun, hours: "00:00-24:00", agents: 1}}]
      handling: {{default: {{exponential: {{mean: 5m}}}}}}
      queue: fcfs
demand:
  customers:
    callers: {{level: platinum, tickets_per_week: 3024}}
  severity_mix: {{minor: 100%}}
  type_mix: {{fault: 100%}}
"""


def _two_tier(tmp_path: Path, budget: str) -> Path:
    text = CATALOG.read_text("utf-8").replace(
        "minor: {response: 2h, resolve: 60d, parts: NBD}",
        f"minor: {{response: 2h, resolve: {budget}, parts: NBD}}")
    assert budget in text
    (tmp_path / "cat.yaml").write_text(text, "utf-8")
    path = tmp_path / "two.yaml"
    path.write_text(TWO_TIER.format(catalog="cat.yaml"), "utf-8")
    return path


def _sojourn(c: int, mu: float, lam: float):
    """M/M/c FCFS sojourn time T = W + S (docs/validation.md): survival and density.
    P(T > t) = (1 - C) e^{-mu t} + C (theta e^{-mu t} - mu e^{-theta t}) / (theta - mu),
    theta = c mu - lam, C = Erlang C."""
    big_c = erlang_c(c, lam, 1.0 / mu).p_wait
    theta = c * mu - lam

    def survival(t: float) -> float:
        return (1 - big_c) * math.exp(-mu * t) + big_c * (
            theta * math.exp(-mu * t) - mu * math.exp(-theta * t)) / (theta - mu)

    def density(t: float) -> float:
        return (1 - big_c) * mu * math.exp(-mu * t) + big_c * mu * theta * (
            math.exp(-mu * t) - math.exp(-theta * t)) / (theta - mu)

    return survival, density


@pytest.mark.slow
def test_two_tier_design_agrees_with_the_convolution(tmp_path):
    """Fails if the time at a tier is measured wrongly (queue or handling left out, wrong
    clock), if the per-tier targets do not split the allowed breaches by reach, if the
    split is not proportional to the tiers' quantiles, or if the simulated SLA attainment
    departs from the analytic convolution of the tiers' sojourn times.

    L1: M/M/2, 18/h, 5 min (load 0.75); 60% resolved, 40% escalated at once to L2: M/M/1,
    7.2/h (Burke: the escalations are Poisson), 5 min (load 0.6). SLA 37.5 min at 90%,
    m = 2 components: L1 (reach 1) target 1 - 0.1 / 2 = 95%, L2 (reach 0.4) target
    1 - 0.1 / (2 x 0.4) = 87.5%. Theory: q1 = 32.38 min (95% quantile of the M/M/2
    sojourn), q2 = 25.98 min (87.5% quantile of the M/M/1 sojourn, exponential with rate
    1/5 - 0.12 = 0.08/min: ln 8 / 0.08); split 37.5 x q_i / (q1 + q2) = 20.81 and 16.69
    min; SLA attainment 0.6 P(T1 <= B) + 0.4 P(T1 + T2 <= B) = 0.9117 (T1, T2 independent
    on this overtake-free two-node path). The per-replication quantiles' 95% t-interval
    must contain the theory and be narrower than +-6%; the attainment interval must contain
    it and be narrower than +-0.02. q1 + q2 > 37.5: the design must say the OLAs are
    unrealistic at this staffing. With no hand-over, every ticket that met both OLAs met
    the SLA, and every SLA breach has an OLA breach."""
    design = ola(load_scenario(_two_tier(tmp_path, "37.5m")), rule="union")
    (group,) = [g for g in design.groups if g.clock == "resolve"]
    b = 37.5
    lam = 18 / 60
    s1, d1 = _sojourn(2, 1 / 5, lam)
    s2, _ = _sojourn(1, 1 / 5, lam * 0.4)
    l1, l2 = group.tiers
    assert group.components == 2 and l1.attainment_target == 0.95
    assert 0.870 <= l2.attainment_target <= 0.880  # the reach 0.4 is measured
    q = [optimize.brentq(lambda t, s=s, a=tb.attainment_target: s(t) - (1 - a), 0, 1000)
         for s, tb in ((s1, l1), (s2, l2))]
    if l2.attainment_target == 0.875:
        assert q == pytest.approx([32.38, math.log(8) / 0.08], abs=0.01)
    split = [b * x / sum(q) for x in q]
    conv = integrate.quad(lambda s: d1(s) * (1 - s2(b - s)), 0, b)[0]
    attainment = 0.6 * (1 - s1(b)) + 0.4 * conv
    assert attainment == pytest.approx(0.9117, abs=1e-4)
    for tier, theory, want in zip(group.tiers, q, split, strict=True):
        lo, hi = tier.quantile_ci95
        assert lo <= theory <= hi and (hi - lo) / 2 <= 0.06 * theory, (tier.tier, lo, hi)
        # the proposal is the rule applied to the pooled quantiles: within 1 min + 6%
        assert tier.proposed_min == pytest.approx(want, abs=1.0 + 0.06 * want)
        assert not tier.realistic
    lo, hi = group.sla_attainment_today_ci95
    assert lo <= attainment <= hi and (hi - lo) / 2 <= 0.02
    assert group.verdict == "unrealistic" and "itr-sim staff" in group.note
    assert group.sla_attainment_all_olas_met == 1.0
    assert group.attribution_coverage == 1.0
    # the checked OLA attainment of L1 is P(T1 <= b1) at the proposed budget
    assert l1.checked_attainment == pytest.approx(1 - s1(l1.proposed_min), abs=0.02)


@pytest.mark.slow
def test_two_tier_path_rule_agrees_with_theory(tmp_path):
    """Fails if the path rule's joint attainment is measured wrongly (a path's budgets not
    applied to its own tickets, the finish budget of L2 not what L1's escalate budget
    leaves), or if its escalate budget is far from the best split.

    Same network as above (SLA 37.5 min at 90%, no hand-over). L1 finishes 60% of the
    tickets within f1 = 37 min (37.5 rounded down); an escalated ticket must leave L1
    within e1 and L2 finish within f2 = floor(37.5 - e1). T1 and T2 independent, the
    escalation independent of T1:
    joint = 0.6 P(T1 <= f1) + 0.4 P(T1 <= e1) P(T2 <= f2).
    The measured joint must agree within 0.02, e1 must be within 0.015 of the best
    joint over every e in [0, 37] (the rule searches a grid of quantile levels), and the
    verdict must follow from joint < 90%."""
    design = ola(load_scenario(_two_tier(tmp_path, "37.5m")))
    (group,) = [g for g in design.groups if g.clock == "resolve"]
    lam = 18 / 60
    s1, _ = _sojourn(2, 1 / 5, lam)
    s2, _ = _sojourn(1, 1 / 5, lam * 0.4)
    l1, l2 = group.tiers
    e1, f1, f2 = l1.escalate_min, l1.proposed_min, l2.proposed_min
    assert f1 == 37.0 and f2 == math.floor(37.5 - e1)

    def joint(e: float) -> float:
        return 0.6 * (1 - s1(37.0)) + 0.4 * (1 - s1(e)) * (1 - s2(math.floor(37.5 - e)))

    assert group.joint_attainment == pytest.approx(joint(e1), abs=0.02)
    best = max(joint(e) for e in np.arange(0.0, 37.01, 0.25))
    assert joint(e1) >= best - 0.015
    assert group.verdict == ("ok" if joint(e1) >= 0.9 else "unrealistic")
    assert group.sla_attainment_all_olas_met == 1.0  # no hand-over: guarantee 1 is exact
    assert group.attribution_coverage == 1.0


def test_component_targets_split_the_allowed_breaches_by_reach():
    """Fails if a tier reached by few tickets is held to the entry tier's target (too
    strict) or to less than a median. A = 90%, 3 components: reach 1 -> 1 - 0.1/3 = 96.7%
    (rounded up); reach 0.1 -> 1 - 0.1/0.3 = 66.7%; reach 0.01 -> below 0 -> 50%; no
    ticket -> 50%."""
    assert component_target(0.9, 3, 1.0) == 0.967
    assert component_target(0.9, 3, 0.1) == 0.667
    assert component_target(0.9, 3, 0.01) == 0.5
    assert component_target(0.9, 3, 0.0) == 0.5


# -- OLA clocks beyond resolve; per-customer budgets; vendors -------------------------------
def _log(rows, customer="operators", level="platinum", severity="critical"):
    frame = pd.DataFrame(rows, columns=["ticket", "time_min", "event", "unit", "detail"])
    return frame.assign(replication=0, level=level, severity=severity, customer=customer)


def test_response_restore_and_per_customer_ola_clocks():
    """Fails if the response OLA does not stop at the tier's first engagement, the restore
    OLA at the tier's restoration, or a customer's own budget is not used for its tickets.

    L1 critical: response 20m, restore 2h, resolve 1h; operators: resolve 3h. A platinum
    (24x7) ticket queued at 0, engaged at 30, restored at 100, handed over at 130:
    response 30 > 20 breached; restore 100 <= 120 met (stopped at the hand-over it would
    be breached); resolve for operators 130 <= 180 met, for another customer 130 > 60
    breached."""
    loaded = load_scenario(BASELINE, sets={"organisation.tiers.L1.ola.critical": {
        "response": "20m", "restore": "2h", "resolve": "1h",
        "customers": {"operators": "3h"}}})
    rows = [(1, 0.0, "queued", "L1", ""), (1, 30.0, "engaged", "L1", "first"),
            (1, 100.0, "restored", "L1", ""), (1, 130.0, "handed_over", "L1", "L2")]
    org, origin = loaded.scenario.organisation, scenario_origin(loaded)
    clocks = ("resolve", "response", "restore")
    got = ola_clocks(_log(rows), loaded.catalog, org, origin, 1000.0, clocks)
    table = dict(zip(got["clock"], zip(got["deadline_min"], got["breached"], strict=True),
                     strict=True))
    assert table == {"response": (20.0, True), "restore": (120.0, False),
                     "resolve": (180.0, False)}
    other = ola_clocks(_log(rows, customer="enterprises"), loaded.catalog, org, origin,
                       1000.0)
    assert other["deadline_min"].tolist() == [60.0] and other["breached"].tolist() == [True]


def test_vendor_contract_is_measured_and_attributed():
    """Fails if a vendor wait is not measured against the contract's target on its clock
    (24x7 here), or if an SLA breach it caused is not attributed to the vendor.

    L2's vendor target 3d: ticket 1 waits 0 -> 4d (deadline 3d = 4320 min, breached);
    ticket 2 waits 0 -> 1d (met). Ticket 1's resolve SLA (stop at 5d) breached: the vendor
    overran at 4320 < 7200, so it is named `vendor@L2`."""
    loaded = load_scenario(BASELINE, sets={
        "organisation.tiers.L2.waiting.vendor.contract": {"target": "3d",
                                                          "attainment": "90%"}})
    day = 1440.0
    rows = [(1, 0.0, "waiting_vendor", "L2", ""), (1, 4 * day, "resumed", "L2",
                                                   "waiting_vendor"),
            (2, 0.0, "waiting_vendor", "L2", ""), (2, day, "resumed", "L2", "waiting_vendor")]
    org, origin = loaded.scenario.organisation, scenario_origin(loaded)
    vendors = vendor_clocks(_log(rows), loaded.catalog, org, origin, 10 * day)
    assert vendors.set_index("ticket")["deadline_min"].to_dict() == {1: 3 * day, 2: 3 * day}
    assert vendors.set_index("ticket")["breached"].to_dict() == {1: True, 2: False}
    clocks = pd.DataFrame([(0, 1, "resolve", "platinum", "critical", 5 * day, True)],
                          columns=["replication", "ticket", "clock", "level", "severity",
                                   "stop_min", "breached"])
    empty = pd.DataFrame(columns=["replication", "ticket", "tier", "deadline_min", "breached"])
    blame = attribute_breaches(clocks, empty.astype({"breached": bool}), vendors)
    assert blame["tiers"].tolist() == ["vendor@L2"]


# -- queue discipline ola --------------------------------------------------------------------
def test_ola_queue_serves_the_earliest_ola_deadline_first():
    """Fails if the `ola` key orders by anything but (returned, OLA deadline, queueing time):
    a minor ticket due at 100 goes before a critical one due at 200; work handed back at a
    shift end before both; equal deadlines FCFS."""
    key = queue_order(QueueDiscipline.OLA)
    minor_early = key(False, 50.0, 2, 100.0, 1)
    critical_late = key(False, 10.0, 0, 200.0, 2)
    returned = key(True, 90.0, 2, 900.0, 3)
    same_later = key(False, 60.0, 0, 100.0, 4)
    assert sorted([critical_late, same_later, returned, minor_early]) == [
        returned, minor_early, same_later, critical_late]


def test_ola_queue_changes_the_order_a_tier_serves():
    """Fails if `queue: ola` is ignored by the engine or its OLA deadline is never set (the
    run would equal the severity or the FCFS queue's) or breaks a run; L1 has OLAs for
    every severity in the baseline."""
    from itr_sim.engine.replicate import run_scenario

    def l1_waits(queue: str) -> np.ndarray:
        loaded = load_scenario(BASELINE, sets={"organisation.tiers.L1.queue": queue,
                                               "horizon": "3w", "warmup": "1w"})
        events = run_scenario(loaded, replications=1).events()
        first = events[(events["unit"] == "L1") & (events["event"] == "engaged")]
        return first["time_min"].to_numpy()

    ola_order = l1_waits("ola")
    assert not np.array_equal(ola_order, l1_waits("severity"))
    assert not np.array_equal(ola_order, l1_waits("fcfs"))


# -- bad input ---------------------------------------------------------------------------------
def _baseline_copy(tmp_path: Path, old: str, new: str) -> Path:
    text = BASELINE.read_text("utf-8").replace("../sla_catalog/standard.yaml", str(CATALOG))
    assert old in text
    path = tmp_path / "s.yaml"
    path.write_text(text.replace(old, new), "utf-8")
    return path


VENDOR = "vendor: {probability: 5%, duration: {lognormal: {mean: 3d, cv: 1.0}}}"


@pytest.mark.parametrize(("new", "message"), [
    ("vendor: {probability: 5%, duration: {lognormal: {mean: 3d, cv: 1.0}}, "
     "contract: {attainment: 90%}}", "contract.target"),
    ("vendor: {probability: 5%, duration: {lognormal: {mean: 3d, cv: 1.0}}, "
     "contract: {target: 2bd}}", "cannot measure"),
    ("vendor: {probability: 5%, duration: {lognormal: {mean: 3d, cv: 1.0}}, "
     "contract: {target: 2d, calendar: offce}}", "did you mean 'office'"),
])
def test_bad_vendor_contracts_exit_2_with_file_and_line(tmp_path, new, message):
    """Fails if a vendor contract without a target, with business days on its 24x7 clock,
    or on an unknown calendar is accepted or gives a traceback instead of
    `file:line: path: message` and exit 2."""
    path = _baseline_copy(tmp_path, VENDOR, new)
    result = runner.invoke(app, ["ola", str(path)])
    assert result.exit_code == 2, result.output
    assert f"{path}:" in result.output and message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("old", "new", "message"), [
    ("ola: {critical: 1h, major: 4h, minor: 1d}",
     "ola: {critical: {resolve: 1bd}, major: 4h, minor: 1d}", "24x7 calendar of gold, platinum"),
    ("ola: {critical: 1h, major: 4h, minor: 1d}",
     "ola: {critical: {resolve: 1h, customers: {operatros: 30m}}, major: 4h, minor: 1d}",
     "did you mean 'operators'"),
    ("ola: {critical: 1h, major: 4h, minor: 1d}",
     "ola: {critical: {attainment: 95%}, major: 4h, minor: 1d}", "has no budget"),
])
def test_bad_ola_budgets_exit_2(tmp_path, old, new, message):
    """Fails if an OLA budget in business days on a 24x7 coverage calendar, a per-customer
    budget for an unknown customer, or a long form without any budget is accepted."""
    path = _baseline_copy(tmp_path, old, new)
    result = runner.invoke(app, ["ola", str(path)])
    assert result.exit_code == 2 and message in result.output, result.output


@pytest.mark.parametrize(("level", "message"), [
    ("platnum", "did you mean 'platinum'"), ("gold", "no customers")])
def test_a_level_without_a_path_to_the_tiers_exits_2(tmp_path, level, message):
    """Fails if `--level` with an unknown level, or a level no customer has (no ticket of it
    reaches any tier), simulates anyway or gives a traceback instead of exit 2."""
    path = _two_tier(tmp_path, "37.5m")
    result = runner.invoke(app, ["ola", str(path), "--level", level])
    assert result.exit_code == 2 and message in result.output, result.output


def test_the_long_form_keeps_the_short_form_and_checks_the_sla_sum():
    """Fails if the long form breaks today's checks: the OLA-vs-SLA warning must still add
    up the resolve budgets (10d + 10d > platinum's 15d)."""
    loaded = load_scenario(BASELINE, sets={
        "organisation.tiers.L2.ola.critical": {"resolve": "10d", "response": "1h"},
        "organisation.tiers.L3.ola.critical": "10d"})
    assert any("add up to" in w.message for w in loaded.warnings)
    with pytest.raises(ScenarioError):
        load_scenario(BASELINE, sets={"organisation.tiers.L2.ola.critical": {"resolv": "1h"}})


def test_html_ola_view_shows_today_and_proposed_budgets():
    """Fails if the report's OLA view leaves out today's or the proposed budget, or does not
    send an unrealistic tier to `itr-sim staff`."""
    from itr_sim.report.sections import ola_view as _ola_view

    tier = {"tier": "L2", "today": "4h", "today_attainment": 0.271, "proposed": "6d18h25m",
            "attainment_target": 0.967, "checked_attainment": 1.0, "realistic": False,
            "escalate": "3h"}
    vendor = {"tier": "L2", "target": "2d", "calendar": "office", "attainment_target": 0.9,
              "waits": 41, "attainment": 0.805, "sla_breaches_attributed": 3}
    design = {"rule": "r", "check_seed": 2, "vendors": [vendor], "groups": [
        {"clock": "resolve", "severity": "critical", "calendar": "always", "sla_budget": "15d",
         "sla_attainment_target": 0.9, "verdict": "unrealistic", "tiers": [tier],
         "joint_attainment": 0.874}]}
    page = _ola_view(design)
    assert ("<td>4h</td><td>27.1%</td><td>3h</td><td>6d18h25m</td><td>96.7%</td>"
            "<td>100.0%</td><td>87.4%</td>") in page
    assert "itr-sim staff" in page
    # the vendor's contract, its attainment flagged below its target, breaches attributed
    assert ("<td>L2</td><td>2d</td><td>office</td><td>90%</td><td>41</td>"
            "<td class='v-missed'>80.5%</td><td>3</td>") in page
    assert _ola_view(None) == ""


def _group(clock, sev, calendar, levels, budgets, targets=(0.967, 0.66, 0.5)):
    from itr_sim.analysis.ola_design import OlaGroup, TierBudget

    tiers = [TierBudget(t, None, None, None, 10, 1.0, text, float(minutes), a, True)
             for (t, (text, minutes)), a in zip(budgets.items(), targets, strict=False)]
    return OlaGroup(sev, calendar, levels, "15d", 21600.0, 0.9, list(budgets), 150.0, 35.0,
                    3, targets[0], "ok", tiers, clock=clock)


def test_written_proposal_gives_each_customer_its_groups_budget():
    """Fails if `--write` loses a calendar group's budget (its customers must get it), puts
    the looser budget as the tier's default, or writes overrides that do not load.

    Resolve critical: platinum and gold (24x7) L1 2h, silver (office) L1 5h -> L1's default
    2h, `small business` (silver) 5h. Restore critical: L1 30m on 24x7 and 1h on office ->
    the tighter 30m for everyone. Targets: the highest of the tier's (96.7%)."""
    from itr_sim.analysis.ola_design import OlaDesign, proposal_overrides

    loaded = load_scenario(BASELINE)
    design = OlaDesign("baseline", 2, 1, 2, "r", [
        _group("resolve", "critical", "always", ["platinum", "gold"], {"L1": ("2h", 120)}),
        _group("resolve", "critical", "office", ["silver"], {"L1": ("5h", 300)}),
        _group("restore", "critical", "always", ["platinum", "gold"], {"L1": ("30m", 30)}),
        _group("restore", "critical", "office", ["silver"], {"L1": ("1h", 60)}),
    ])
    sets = proposal_overrides(design, loaded)
    assert sets == {"organisation.tiers.L1.ola.critical": {
        "resolve": "2h", "restore": "30m", "attainment": 0.967,
        "customers": {"small business": "5h"}}}
    tier = load_scenario(BASELINE, sets=sets).scenario.organisation.tiers["L1"]
    assert tier.ola_budget("critical", "resolve", "small business").minutes == 300
    assert tier.ola_budget("critical", "resolve", "operators").minutes == 120
    assert tier.ola_budget("critical", "restore", "small business").minutes == 30
    assert tier.ola_budget("major").text == "4h"  # untouched severities keep today's


def test_vendor_figures_report_attainment_and_attributed_breaches():
    """Fails if a vendor's attainment or the SLA breaches attributed to it are not reported:
    two waits, one over target; the resolve breach of the late one is the vendor's."""
    from itr_sim.analysis.ola_design import _vendor_figures

    loaded = load_scenario(BASELINE, sets={
        "organisation.tiers.L2.waiting.vendor.contract": {"target": "3d"}})
    vendors = pd.DataFrame([(0, 1, "L2", "gold", "major", 0.0, 5760.0, 4320.0, True),
                            (0, 2, "L2", "gold", "major", 0.0, 1440.0, 4320.0, False)],
                           columns=["replication", "ticket", "tier", "level", "severity",
                                    "start_min", "stop_min", "deadline_min", "breached"])
    sla = pd.DataFrame([(0, 1, "resolve", "gold", "major", 9000.0, True)],
                       columns=["replication", "ticket", "clock", "level", "severity",
                                "stop_min", "breached"])
    olas = pd.DataFrame(columns=["replication", "ticket", "tier", "deadline_min", "breached",
                                 "clock"]).astype({"breached": bool})
    (figure,) = _vendor_figures(loaded, {"sla": sla, "olas": olas, "vendors": vendors})
    assert (figure.tier, figure.target, figure.calendar) == ("L2", "3d", "24x7")
    assert figure.waits == 2 and figure.attainment == 0.5
    assert figure.attainment_target == 0.9 and figure.sla_breaches_attributed == 1


def _visits(rows):
    """Synthetic resolve visits of platinum critical tickets: (ticket, tier, minutes at the
    tier, hand-over minutes after it)."""
    frame = pd.DataFrame(rows, columns=["ticket", "tier", "at_tier_min", "handover_min"])
    return frame.assign(replication=0, level="platinum", severity="critical",
                        customer="operators", start_min=0.0, stop_min=0.0,
                        resolved_here=False)


def _sla():
    return pd.DataFrame(columns=["replication", "ticket", "clock", "level", "severity",
                                 "breached"]).astype({"breached": bool})


def test_fixed_hand_overs_beyond_the_sla_cannot_be_protected():
    """Fails if a design whose hand-overs alone take longer than the SLA budget is proposed
    as if staffing could fix it: L1 -> L2 takes 16d fixed, platinum critical resolve is
    15d; the verdict must be `impossible` and say so."""
    from itr_sim.analysis.ola_design import _design

    loaded = load_scenario(BASELINE, sets={
        "organisation.tiers.L1.handover": {"fixed": {"value": "16d"}}})
    m = {"visits.resolve": _visits([(1, "L1", 30.0, 16 * 1440.0), (1, "L2", 60.0, math.nan)]),
         "sla": _sla()}
    group = _design(loaded, m, "resolve", "critical", "always", ["platinum"])
    assert group.verdict == "impossible" and "no staffing protects it" in group.note
    assert group.handover_floor_min == 16 * 1440 + 30  # + L2 -> L3's lower bound 30m


def test_an_unbounded_hand_over_is_a_component_with_a_quantile_reserve():
    """Fails if an unbounded hand-over is reserved at nothing (a ticket could then meet
    every OLA and still breach) or is not counted among the components.

    L1 -> L2 exponential (unbounded), L2 -> L3 uniform 30m-2h (reserved at 2h). m = 4
    components (3 tiers, 1 hand-over); the hand-over into L2 is reached by every ticket of
    this sample that reached L2 (2 of 4 L1 visits: reach 0.5): target 1 - 0.1 / (4 x 0.5)
    = 95%; its delays 10 and 30 min: numpy's linear 95% quantile 10 + 0.95 x 20 = 29 min;
    reserve 29 + 120 = 149 min."""
    from itr_sim.analysis.ola_design import _design

    loaded = load_scenario(BASELINE, sets={
        "organisation.tiers.L1.handover": {"exponential": {"mean": "20m"}}})
    rows = [(1, "L1", 30.0, 10.0), (2, "L1", 40.0, 30.0), (3, "L1", 20.0, math.nan),
            (4, "L1", 25.0, math.nan), (1, "L2", 60.0, math.nan), (2, "L2", 90.0, math.nan)]
    group = _design(loaded, {"visits.resolve": _visits(rows), "sla": _sla()},
                    "resolve", "critical", "always", ["platinum"], "union")
    assert group.components == 4
    assert group.handover_reserve_min == pytest.approx(149.0)
    assert [t.attainment_target for t in group.tiers] == [0.975, 0.95, 0.5]


# -- the path rule ----------------------------------------------------------------------------

def test_path_rule_gives_each_path_its_own_budgets_hand_worked():
    """Fails if a ticket finished at L1 is held to L2's budget too (the per-path split), if
    L2's finish budget is not what L1's escalate budget and the hand-over reserve leave, or
    if the escalate budget is not the one that keeps the most tickets within their path.

    SLA 120 min, hand-over L1 -> L2 reserved at 5 min. Tickets 1 and 2 finish at L1 (30, 50
    min: within f1 = 120); tickets 3 and 4 leave L1 after 10 and 20 min and take 60 and 90
    min at L2. Escalate candidates: the linear quantiles of (10, 20) at the grid's levels,
    rounded up: 15 ... 20. e1 = 15 leaves f2 = 100: ticket 4 misses e1 (3 of 4 within);
    e1 = 20 leaves f2 = 95: tickets 3 and 4 both fit (4 of 4). So e1 = 20, f = (120, 95),
    joint 100%; the union rule would hold all four tickets to L1 + 5 + L2 <= 120."""
    from itr_sim.analysis.ola_design import path_allocation

    nan = math.nan
    times = np.array([[30, nan], [50, nan], [10, 60], [20, 90]], dtype=float)
    hand = np.array([[nan], [nan], [5], [5]], dtype=float)
    plan = path_allocation(times, hand, 120.0, [5.0])
    assert plan.escalate == [20.0] and plan.finish == [120.0, 95.0]
    assert plan.joint == 1.0 and plan.paths == [[0.5, 1.0], [0.5, 1.0]]
    # L2 slower (ticket 4: 100 min): no e1 fits both; the smallest escalate budget wins
    times[3, 1] = 100.0
    plan = path_allocation(times, hand, 120.0, [5.0])
    assert plan.escalate == [15.0] and plan.finish == [120.0, 100.0]
    assert plan.joint == 0.75 and plan.paths == [[0.5, 1.0], [0.5, 0.5]]


def test_path_rule_counts_a_hand_over_beyond_its_reserve_and_correlated_misses_once():
    """Fails if a hand-over longer than its reserve still counts as within budget (the SLA
    could then be missed by a ticket that met every OLA), or if two misses of one ticket
    are counted twice (the union bound: the joint share is measured per ticket).

    SLA 100, reserve 10. Ticket 1: L1 only, 40 (ok). Ticket 2: L1 5, hand-over 30 (> 10),
    L2 20: out. Ticket 3: L1 50 and L2 80 (the grid offers e1 from 28 to 50, leaving
    f2 = 90 - e1 <= 62: out), one ticket however many of its visits miss. Joint 1/3."""
    from itr_sim.analysis.ola_design import path_allocation

    nan = math.nan
    times = np.array([[40, nan], [5, 20], [50, 80]], dtype=float)
    hand = np.array([[nan], [30], [8]], dtype=float)
    plan = path_allocation(times, hand, 100.0, [10.0])
    assert plan.joint == pytest.approx(1 / 3)
    assert plan.paths[0] == [pytest.approx(1 / 3), 1.0]


def test_hand_over_reserve_is_a_measured_quantile_capped_at_the_bound():
    """Fails if the reserve is the upper bound where the measured quantile is lower, or
    exceeds a bounded hand-over's upper bound. Delays 10, 20, 30, 40 min: numpy's linear
    90% quantile 10 + 0.9 x 3 x 10 = 37; a uniform 5m-35m hand-over caps it at 35; an
    exponential one keeps 37; with nothing measured: the upper bound, or 0 if unbounded."""
    from itr_sim.analysis.ola_design import _reserves

    rows = _visits([(i, "L1", 5.0, d) for i, d in enumerate((10.0, 20.0, 30.0, 40.0))])
    assert _reserves(["L1", "L2"], [(5.0, 35.0)], rows, 0.9) == [35.0]
    assert _reserves(["L1", "L2"], [(0.0, None)], rows, 0.9) == [pytest.approx(37.0)]
    assert _reserves(["L1", "L2"], [(0.0, None)], rows, 0.5) == [pytest.approx(25.0)]
    assert _reserves(["L2", "L3"], [(30.0, 120.0)], rows, 0.9) == [120.0]
    assert _reserves(["L2", "L3"], [(0.0, None)], rows, 0.9) == [0.0]


@pytest.mark.parametrize(("target", "attainment"), [("1m", 0.0), ("100d", 1.0)])
def test_run_json_reports_vendor_contracts(target, attainment):
    """Fails if `run --json` leaves out the vendors' underpinning contracts or measures
    them against something else than their target: a 1-minute target is missed by every
    wait for the vendor (lognormal, mean 3d), a 100-day one met by every wait in a
    3-week run; a target never missed has no SLA breach attributed to it."""
    from itr_sim.analysis.summary import analyse
    from itr_sim.engine.replicate import run_scenario

    loaded = load_scenario(BASELINE, sets={
        "organisation.tiers.L2.waiting.vendor.contract": {"target": target,
                                                          "attainment": "90%"},
        "horizon": "3w", "warmup": "0w"})
    summary = analyse(run_scenario(loaded, replications=2)).summary
    (name, figure), = summary["vendors"].items()
    assert name == "L2" and figure["target"] == target and figure["calendar"] == "24x7"
    assert figure["waits"] > 0 and figure["attainment"] == attainment
    if attainment == 1.0:
        assert figure["sla_breaches_attributed"] == 0
        plain = analyse(run_scenario(load_scenario(BASELINE, sets={"horizon": "3w"}),
                                     replications=2)).summary
        assert plain["vendors"] == {}  # no contract, no figures


def test_visit_times_hand_worked_pauses_hand_over_and_restore():
    """Fails if the vectorised visit times lose a pause, pair a stop with the wrong queue,
    measure the hand-over to the wrong arrival, or keep a restore visit after the clock
    stopped.

    Platinum critical (24x7). L1 queued 0, waiting_customer 10 to resumed 40 (pauses the
    resolve clock in the standard catalogue), handed over 100; L2 queued 130 (hand-over 30),
    restored 200, resolved 260. Resolve: L1 100 - 30 = 70, hand-over 30; L2 130, resolved
    here. Restore: L1 70 (handed over), L2 until restored: 70; no later visit."""
    loaded = load_scenario(BASELINE)
    rows = [(1, 0.0, "queued", "L1", ""), (1, 10.0, "waiting_customer", "L1", ""),
            (1, 40.0, "resumed", "L1", "waiting_customer"),
            (1, 100.0, "handed_over", "L1", "L2"), (1, 130.0, "queued", "L2", ""),
            (1, 200.0, "restored", "L2", ""), (1, 260.0, "resolved", "L2", "")]
    org, origin = loaded.scenario.organisation, scenario_origin(loaded)
    tables = visit_tables(_log(rows), loaded.catalog, org, origin, 1000.0,
                          ("resolve", "restore"))
    pause_resolve = "waiting_customer" in loaded.catalog.pauses(ClockName("resolve"))
    assert pause_resolve  # the case relies on it
    res = tables["resolve"]
    assert res["tier"].tolist() == ["L1", "L2"]
    assert res["at_tier_min"].tolist() == [70.0, 130.0]
    assert res["handover_min"].iloc[0] == 30.0 and math.isnan(res["handover_min"].iloc[1])
    assert res["resolved_here"].tolist() == [False, True]
    paused = 30.0 if "waiting_customer" in loaded.catalog.pauses(ClockName("restore")) else 0
    assert tables["restore"]["at_tier_min"].tolist() == [100.0 - paused, 70.0]


def test_vectorised_visit_times_equal_the_ticket_by_ticket_reference():
    """Fails if the vectorised visit times depart from the ticket-by-ticket reference on a
    simulated log (every clock; re-queues, pauses, business calendars, censored visits)."""
    from itr_sim.analysis.ola import visit_times_per_ticket
    from itr_sim.engine.replicate import run_scenario

    result = run_scenario(load_scenario(BASELINE, sets={"horizon": "3w"}), replications=1)
    first, events = result.replications[0], result.events()
    org = result.loaded.scenario.organisation
    args = (result.loaded.catalog, org, first.origin, first.horizon_min)
    tables = visit_tables(events, *args, ("response", "restore", "resolve"))
    for clock, got in tables.items():
        want = visit_times_per_ticket(events, *args, clock)
        assert len(got) > 100
        pd.testing.assert_frame_equal(got.reset_index(drop=True),
                                      want.reset_index(drop=True), check_dtype=False,
                                      rtol=1e-9, atol=1e-6)


# -- routing ------------------------------------------------------------------------------

L2_CHAIN = "      resolves: 90%\n      restores: 80%\n      escalates_to: L3"
L1_CHAIN = ("      resolves: 90%\n      restores: 50%                         # workaround for "
            "half the critical/major it escalates\n      escalates_to: L2")
ENTRY = "  timezone: Asia/Shanghai\n  entry: {L1: 90%, L2: 10%}"


def _routed(tmp_path: Path, l1: str, l2: str, extra: str = "") -> Path:
    text = BASELINE.read_text("utf-8").replace("../sla_catalog/standard.yaml", str(CATALOG))
    for old, new in ((L1_CHAIN, l1), (L2_CHAIN, l2),
                     ("  timezone: Asia/Shanghai", ENTRY + extra)):
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "s.yaml"
    path.write_text(text, "utf-8")
    return path


@pytest.mark.parametrize(("l2", "extra", "key", "message"), [
    ("      routing: {resolved: 88%, L3: 8%, L1: 4%}\n      restores: 80%", "",
     "organisation.tiers.L2.routing: tickets can move back (L2 -> L1)",
     "one-way paths only"),
    (L2_CHAIN, "\n  reopen: {probability: 3%, delay: {lognormal: {mean: 2d, cv: 1.0}}}",
     "organisation.reopen: reopened tickets", "one budget per ticket path"),
])
def test_ola_refuses_routing_it_cannot_design_with_file_and_line(tmp_path, l2, extra, key,
                                                                 message):
    """Fails if a scenario whose tickets come back to a line (a move back down, reopening)
    is designed as if each line were visited once (its budget would count twice and
    guarantee 1 would be false), or is refused without file, line and key, or after
    simulating (it must be refused at once)."""
    path = _routed(tmp_path, L1_CHAIN, l2, extra)
    result = CliRunner().invoke(app, ["ola", str(path)])
    text = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert re.search(r"s\.yaml:\d+: " + re.escape(key), text) and message in text, text
    assert "Traceback" not in text
    union = CliRunner().invoke(app, ["ola", str(_routed(tmp_path, L1_CHAIN, L2_CHAIN)),
                                     "--rule", "union"])
    assert union.exit_code == 2 and "use the path rule" in union.output


def test_ola_designs_entry_shares_and_forward_skips(tmp_path):
    """Fails if entry shares or a forward skip (L1 -> L3) break the path rule: the lines
    must be ordered L1, L2, L3 (every move forward), tickets entering at L2 must be
    measured there, and guarantee 1 must hold for the skipping paths (every ticket within
    every OLA of its path meets the resolve SLA on the check seed; a skip's path is
    checked against L1's escalate budget, the reserve after L1 and L3's finish budget,
    which leaves out L2's share: conservative)."""
    l1 = "      routing: {resolved: 88%, L2: 8%, L3: 4%}\n      restores: 50%"
    loaded = load_scenario(_routed(tmp_path, l1, L2_CHAIN).as_posix(),
                           sets={"horizon": "4w", "warmup": "1w"})
    design = ola(loaded, replications=2)
    resolve = [g for g in design.groups if g.clock == "resolve"]
    assert resolve and all(g.path == ["L1", "L2", "L3"] for g in resolve)
    assert sum(g.tiers[1].visits for g in resolve) > 0  # L2: entries and escalations
    assert any(g.paths[2][0] > 0 for g in resolve)  # paths ending at L3
    for g in resolve:
        assert g.sla_attainment_all_olas_met in (None, 1.0), g


def test_business_day_budget_in_covered_minutes():
    """Hand-worked: Mon-Fri 09:00-17:00 covers 2400 min over 5 open days, so 2bd is
    2 x 480 = 960 covered minutes; a calendar with no week (every day whole) but with
    holidays is open 7 days of 1440 min, so 2bd is 2880. Fails if closed days count as
    business days, or if a week-less calendar with holidays breaks the design (it
    indexed the missing week)."""
    from types import SimpleNamespace

    from itr_sim.analysis.ola_design import _covered_minutes
    from itr_sim.calendar import Calendar
    from itr_sim.units import Duration, DurationKind

    office = Calendar(name="office", week=(((540, 1020),),) * 5 + ((), ()))
    whole = Calendar(name="whole", holiday_country="DE")
    calendars = {"office": office, "whole": whole}
    loaded = SimpleNamespace(catalog=SimpleNamespace(calendar=calendars.__getitem__))
    two = Duration(kind=DurationKind.BUSINESS_DAYS, text="2bd", days=2)
    assert _covered_minutes(loaded, "office", two) == 960
    assert _covered_minutes(loaded, "whole", two) == 2880
