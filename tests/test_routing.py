"""Routing as real logs need it: entry at any tier, a routing matrix (skips and moves back
down), a visit cap, reopening after closure, and the ``empirical`` distribution.

The exact traces use tests/data/routing/exact.yaml: one agent per line around the clock,
fixed handling (L1 30m, L2 1h, L3 2h), no hand-over delay unless a test sets one; critical
tickets enter at L2, the others at L1. Times are minutes since Monday 2027-01-04 00:00.
``telco`` is platinum: critical and major tickets have a restore target, so resolving one
restores it first (a ``restored`` row before ``resolved``); minor tickets have none.
"""

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from test_traces import check_log, raw_log

from itr_sim.engine.replicate import RunResult, run_scenario
from itr_sim.model.distributions import Distribution
from itr_sim.model.load import load_scenario, validate_file
from itr_sim.model.source import Level

DATA = Path(__file__).parent / "data" / "routing"
BASE = DATA / "exact.yaml"
HEADER = "time,customer,severity,type\n"


def run_trace(tmp_path: Path, trace: str, sets: dict[str, Any] | None = None) -> RunResult:
    path = tmp_path / "trace.csv"
    path.write_text(HEADER + "\n".join(line.strip() for line in trace.strip().splitlines()))
    return run_scenario(load_scenario(BASE, {"demand.trace.file": str(path), **(sets or {})}))


# -- exact traces ------------------------------------------------------------------------

def test_critical_enters_at_second_line_and_moves_back_down(tmp_path):
    """Fails if entry shares per severity are ignored (the critical ticket queued at L1), if
    a routing share to a lower tier is not followed, if the hand-over delay of the tier
    handed from is not applied, or if the minor ticket does not enter at L1.
    By hand: T0 (critical, 0) takes the L2 agent 0-60, is handed to L1 at 60 and arrives at
    75 (15m hand-over), L1 works 75-105. T1 (minor, 10) enters at L1, 10-40."""
    result = run_trace(tmp_path, "0,telco,critical,fault\n10,telco,minor,fault", {
        "organisation.tiers.L2.routing": {"L1": "100%"},
        "organisation.tiers.L2.handover": {"fixed": {"value": "15m"}}})
    check_log(result, """
    0    0  arrived      -   technical
    0    0  entitled     -   entitled
    0    0  queued       L2  -
    0    0  engaged      L2  first
    1   10  arrived      -   technical
    1   10  entitled     -   entitled
    1   10  queued       L1  -
    1   10  engaged      L1  first
    1   40  resolved     L1  -
    1   40  closed       -   -
    0   60  handed_over  L2  L1          # back down
    0   75  queued       L1  -           # after the 15m hand-over
    0   75  engaged      L1  -
    0  105  restored     L1  -
    0  105  resolved     L1  -
    0  105  closed       -   -
    """)


def test_entry_per_severity_without_default(tmp_path):
    """Fails if entry shares per severity need a `default` when every severity has its
    own (the loader, the trace check or the engine asking for one): critical enters at
    L3, major and minor at L1."""
    result = run_trace(tmp_path, "0,telco,critical,fault\n10,telco,minor,fault", {
        "organisation.entry": {"critical": {"L3": "100%"}, "major": {"L1": "100%"},
                               "minor": {"L1": "100%"}}})
    queued = [(t, u) for t, _, e, u, _ in raw_log(result) if e == "queued"]
    assert queued == [(0, "L3"), (1, "L1")]


def test_first_line_skips_second_line(tmp_path):
    """Fails if a routing share to L3 goes to the next tier of the chain (L2) instead.
    By hand: L1 0-30, handed straight to L3, L3 30-150 (2h)."""
    result = run_trace(tmp_path, "0,telco,minor,fault",
                       {"organisation.tiers.L1.routing": {"L3": "100%"}})
    check_log(result, """
    0    0  arrived      -   technical
    0    0  entitled     -   entitled
    0    0  queued       L1  -
    0    0  engaged      L1  first
    0   30  handed_over  L1  L3
    0   30  queued       L3  -
    0   30  engaged      L3  -
    0  150  resolved     L3  -
    0  150  closed       -   -
    """)


def test_reopened_ticket_returns_to_the_tier_that_resolved_it(tmp_path):
    """Fails if a reopened ticket goes back to the entry tier instead of the resolving
    one, if the reopen delay is not counted from the closure, if a closure can reopen
    only once, or if a reopening past the horizon is logged.
    By hand (reopen 100% after 1h, horizon 8h = 480): L1 0-30, L3 30-150, closed 150;
    reopened at L3 210, works 210-330, closed 330; reopened 390, L3 390-510 runs past the
    horizon, so the log ends with that engagement."""
    result = run_trace(tmp_path, "0,telco,minor,fault", {
        "horizon": "8h",
        "organisation.tiers.L1.routing": {"L3": "100%"},
        "organisation.reopen": {"probability": "100%",
                                "delay": {"fixed": {"value": "1h"}}}})
    check_log(result, """
    0    0  arrived      -   technical
    0    0  entitled     -   entitled
    0    0  queued       L1  -
    0    0  engaged      L1  first
    0   30  handed_over  L1  L3
    0   30  queued       L3  -
    0   30  engaged      L3  -
    0  150  resolved     L3  -
    0  150  closed       -   -
    0  210  reopened     L3  -
    0  210  queued       L3  -
    0  210  engaged      L3  -
    0  330  resolved     L3  -
    0  330  closed       -   -
    0  390  reopened     L3  -
    0  390  queued       L3  -
    0  390  engaged      L3  -
    """)


def test_callback_follows_only_the_last_closure(tmp_path):
    """Fails if a closure that will reopen still gets its satisfaction callback (it would
    also be logged after the reopening, out of time order). By hand (reopen 100% after
    1h, callback 100% 10m after closure, horizon 3h = 180): closed at 30, reopened at 90,
    closed at 120; the next reopening would be at 180, the horizon, so that closure is the
    last and gets its callback at 130."""
    result = run_trace(tmp_path, "0,telco,minor,fault", {
        "horizon": "3h", "organisation.callback": {"share": "100%", "after": "10m"},
        "organisation.reopen": {"probability": "100%",
                                "delay": {"fixed": {"value": "1h"}}}})
    check_log(result, """
    0    0  arrived      -   technical
    0    0  entitled     -   entitled
    0    0  queued       L1  -
    0    0  engaged      L1  first
    0   30  resolved     L1  -
    0   30  closed       -   -
    0   90  reopened     L1  -
    0   90  queued       L1  -
    0   90  engaged      L1  -
    0  120  resolved     L1  -
    0  120  closed       -   -
    0  130  callback     -   -
    """)


def test_visit_cap_makes_the_tier_resolve(tmp_path):
    """Fails if max_visits is ignored (the ticket would be handed to L3 at 30).
    By hand: max_visits 1, so the first visit (L1, 0-30) is the last and L1 resolves."""
    result = run_trace(tmp_path, "0,telco,minor,fault", {
        "organisation.tiers.L1.routing": {"L3": "100%"}, "organisation.max_visits": 1})
    check_log(result, """
    0    0  arrived      -   technical
    0    0  entitled     -   entitled
    0    0  queued       L1  -
    0    0  engaged      L1  first
    0   30  resolved     L1  -
    0   30  closed       -   -
    """)


# -- statistics: achieved shares against the matrix ----------------------------------------

ENTRY = {"L1": 0.80, "L2": 0.15, "L3": 0.05}
MATRIX = {"L1": {"resolved": 0.70, "L2": 0.20, "L3": 0.10},
          "L2": {"resolved": 0.60, "L3": 0.25, "L1": 0.15},
          "L3": {"resolved": 0.90, "L2": 0.10}}
Z = 4.0
"""Tolerance in standard errors: about 6e-5 two-sided per share, ~1e-3 for the 11 shares."""


def check_share(what: str, hits: int, n: int, p: float) -> None:
    half = Z * (p * (1 - p) / n) ** 0.5
    assert half < 0.04, f"{what}: {n} trials give a +-{half:.3f} interval, too wide to judge"
    assert abs(hits / n - p) <= half, f"{what}: {hits}/{n} = {hits / n:.3f}, expected {p} " \
                                      f"+- {half:.3f}"


def test_entry_shares_and_routing_frequencies_match_the_matrix():
    """Fails if entry shares or routing rows are applied to the wrong tier, if two targets
    swap (L2 20% and L3 10% out of L1), if moves back down are dropped, or if the
    hand-over delay loses tickets. Each visit's outcome is one draw of the row of its tier,
    so per tier the counts are multinomial: each share within 4 standard errors, with
    enough visits that the interval is narrower than +-4 points."""
    result = run_scenario(load_scenario(DATA / "shares.yaml"))
    ev = result.replications[0].log.to_frame()
    ev = ev[ev["kind"].astype(str) == "technical"]
    event, unit = ev["event"].astype(str), ev["unit"].astype(str)
    first = ev[event == "queued"].groupby("ticket")["unit"].first().astype(str)
    for tier, share in ENTRY.items():
        check_share(f"entry {tier}", int((first == tier).sum()), len(first), share)
    for tier, row in MATRIX.items():
        here = (unit == tier)
        outcomes = {"resolved": int((here & (event == "resolved")).sum())}
        handed = ev.loc[here & (event == "handed_over"), "detail"].astype(str)
        outcomes.update(handed.value_counts().to_dict())
        assert set(outcomes) <= set(row), f"{tier} routed to {set(outcomes) - set(row)}"
        n = sum(outcomes.values())
        for target, share in row.items():
            check_share(f"{tier} -> {target}", outcomes.get(target, 0), n, share)
    # expected visits per ticket, solved by hand from v = e + v P:
    # v1 = .8 + .15 v2; v2 = .15 + .2 v1 + .1 v3; v3 = .05 + .1 v1 + .25 v2
    # -> v1 = 0.85135, v2 = 0.34234, v3 = 0.22072 (what the offered-load check uses)
    by_hand = {"L1": 0.85135, "L2": 0.34234, "L3": 0.22072}
    org = load_scenario(DATA / "shares.yaml").scenario.organisation
    assert org.visit_rates("minor") == pytest.approx(by_hand, abs=1e-5)
    visits = ev[event == "queued"]["unit"].astype(str).value_counts() / len(first)
    # about 4.5 standard errors of a mean of ~10,000 tickets' visit counts
    assert visits.to_dict() == pytest.approx(by_hand, abs=0.025)
    # every hand-over arrives (uniform 5-30m delay) unless the horizon cuts it
    handed = int((event == "handed_over").sum())
    queued_after = int((event == "queued").sum()) - len(first)
    assert 0 <= handed - queued_after <= 10


def test_visit_cap_bounds_the_visits_per_ticket(tmp_path):
    """Fails if max_visits is not applied to moves back down: with L2 sending everything
    back to L1 and L1 escalating 90%, tickets would bounce on; with max_visits 3 none has
    more than 3 visits, and those that reach the third are resolved there."""
    loaded = load_scenario(DATA / "shares.yaml", {
        "organisation.max_visits": 3, "horizon": "1w",
        "organisation.tiers.L1.routing": {"resolved": "10%", "L2": "90%"},
        "organisation.tiers.L2.routing": {"L1": "100%"}})
    ev = run_scenario(loaded).replications[0].log.to_frame()
    visits = ev[ev["event"] == "queued"].groupby("ticket").size()
    assert visits.max() == 3
    third = visits[visits == 3].index
    resolved = ev[(ev["event"] == "resolved") & ev["ticket"].isin(third)]
    assert len(third) > 100 and resolved["ticket"].nunique() >= len(third) - 20


# -- the empirical distribution ----------------------------------------------------------

def empirical(points: dict[str, str]) -> Distribution:
    return Distribution.model_validate({"empirical": {"quantiles": points}})


@pytest.mark.parametrize(("points", "mean", "variance"), [
    # two pieces of weight 1/2: uniform on [0, 10] and on [10, 30]
    # E X = (5 + 20) / 2 = 12.5; E X^2 = (100/3 + 1300/3) / 2 = 233.33; var = 77.083
    ({"0%": "0m", "50%": "10m", "100%": "30m"}, 12.5, 233.3333333 - 12.5 ** 2),
    # an atom at 5 (weight 0.2: 0% and 20% both 5m) and uniform [5, 15] of weight 0.8
    # E X = 1 + 8 = 9; E X^2 = 0.2 * 25 + 0.8 * (25 + 75 + 225) / 3 = 91.667; var = 10.667
    ({"0%": "5m", "20%": "5m", "100%": "15m"}, 9.0, 91.6666667 - 81.0),
    # the issue's example: 0.5*16 + 0.4*105 + 0.1*1530 = 203 minutes
    ({"0%": "2m", "50%": "30m", "90%": "3h", "100%": "2d"}, 203.0, None),
])
def test_empirical_mean_and_variance_by_hand(points, mean, variance):
    """Fails if the pieces are weighted by anything but their probability span, or if the
    second moment of a piece is not (a^2 + ab + b^2) / 3."""
    dist = empirical(points)
    assert dist.mean == pytest.approx(mean, rel=1e-9)
    if variance is not None:
        assert dist.variance == pytest.approx(variance, rel=1e-6)
    sample = dist.sample(np.random.default_rng(3), 50_000)
    assert sample.mean() == pytest.approx(mean, rel=0.02)


def test_empirical_samples_follow_the_quantile_function():
    """Fails if sampling interpolates the wrong way (values -> probabilities), or if the
    quantile points are not met: a KS test against the piecewise-linear CDF (the inverse
    of the quantile function), fixed seed."""
    dist = empirical({"0%": "2m", "50%": "30m", "90%": "3h", "100%": "2d"})
    probs, values = dist.params.points
    sample = dist.sample(np.random.default_rng(11), 20_000)
    result = stats.kstest(sample, lambda x: np.interp(x, values, probs))
    assert result.pvalue > 0.001
    assert np.quantile(sample, [0.5, 0.9]) == pytest.approx([30, 180], rel=0.05)
    assert sample.min() >= 2 and sample.max() <= 2880


# -- bad input: each new field, file:line and a hint ----------------------------------------

ROUTED = """\
  entry: {L1: 80%, L2: 15%, L3: 5%}
  max_visits: 8
  reopen: {probability: 3%, delay: {lognormal: {mean: 2d, cv: 1.0}}}
"""


def scenario_text(tmp_path: Path) -> str:
    catalog = (Path(__file__).parent.parent / "sla_catalog" / "standard.yaml").as_posix()
    text = (DATA / "shares.yaml").read_text(encoding="utf-8")
    text = text.replace("../../../sla_catalog/standard.yaml", catalog)
    return text.replace("  entry: {L1: 80%, L2: 15%, L3: 5%}\n", ROUTED)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("entry: {L1: 80%, L2: 15%, L3: 5%}", "entry: {L1: 80%, L2: 15%, L4: 5%}",
     "unknown tier 'L4'"),
    ("entry: {L1: 80%, L2: 15%, L3: 5%}", "entry: {L1: 80%, L2: 15%}",
     "shares sum to 95.0000%, not 100%"),
    ("entry: {L1: 80%, L2: 15%, L3: 5%}", "entry: {critical: {L2: 100%}}",
     "no entry shares for severity major, minor; add them or a `default:`"),
    ("entry: {L1: 80%, L2: 15%, L3: 5%}", "entry: {default: {L1: 100%}, critcal: {L2: 100%}}",
     "did you mean 'critical'?"),
    ("routing: {resolved: 70%, L2: 20%, L3: 10%}", "routing: {resolved: 70%, L2: 20%, L3: 20%}",
     "shares sum to 110.0000%, not 100%"),
    ("routing: {resolved: 70%, L2: 20%, L3: 10%}", "routing: {resolvd: 70%, L2: 20%, L3: 10%}",
     "did you mean 'resolved'?"),
    ("routing: {resolved: 70%, L2: 20%, L3: 10%}", "routing: {resolved: 70%, L1: 30%}",
     "L1 routes to itself"),
    ("routing: {resolved: 70%, L2: 20%, L3: 10%}",
     "escalates_to: L2\n      routing: {resolved: 70%, L2: 30%}",
     "has a routing matrix and escalates_to: give one or the other"),
    ("routing: {resolved: 60%, L3: 25%, L1: 15%}", "routing: {L3: 100%}", None),
    ("routing: {resolved: 90%, L2: 10%}", "routing: {resolved: 90%, L2: 10%, L4: 0%}",
     "unknown tier (or `resolved`) 'L4'"),
    ("max_visits: 8", "max_visits: 0", "greater than or equal to 1"),
    ("reopen: {probability: 3%,", "reopen: {probability: 3,", "3 is ambiguous"),
    ("reopen: {probability: 3%, delay: {lognormal: {mean: 2d, cv: 1.0}}}",
     "reopen: {probability: 3%}", "missing required key 'delay'"),
    ("handling: {default: {exponential: {mean: 10m}}}\n      routing: {resolved: 90%",
     'handling: {default: {empirical: {quantiles: {"5%": 1m, "100%": 20m}}}}\n'
     "      routing: {resolved: 90%", "need the points 0% and 100%"),
    ("handling: {default: {exponential: {mean: 10m}}}\n      routing: {resolved: 90%",
     'handling: {default: {empirical: {quantiles: {"0%": 1m, "50%": 30m, "100%": 20m}}}}\n'
     "      routing: {resolved: 90%", "values must not decrease"),
    ("handling: {default: {exponential: {mean: 10m}}}\n      routing: {resolved: 90%",
     'handling: {default: {empirical: {quantiles: {"0%": 1m, "60%": 3m, "50%": 5m, '
     '"100%": 20m}}}}\n      routing: {resolved: 90%', "strictly increasing order"),
])
def test_bad_routing_input_is_reported_at_its_line(tmp_path, old, new, message):
    """Fails if a defect in a new field is accepted, reported without its message, or at
    another line than the one changed."""
    text = scenario_text(tmp_path)
    assert old in text
    text = text.replace(old, new, 1)
    if message is None:  # L3 and L2 send everything to each other: no way to `resolved`
        text = text.replace("routing: {resolved: 90%, L2: 10%}", "routing: {L2: 100%}")
        message = "no path of routing shares leads to `resolved`"
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    line = next(i + 1 for i, row in enumerate(text.splitlines()) if new.split("\n")[0] in row)
    errors = [d for d in validate_file(path) if d.level is Level.ERROR]
    matching = [d for d in errors if message in d.message]
    assert matching, f"no error says {message!r}; got:\n" + "\n".join(map(str, errors))
    assert any(d.line == line for d in matching), "\n".join(map(str, matching))


@pytest.mark.parametrize(("entry", "error"), [("{L1: 95%, L2: 5%}", False),
                                              ("{L1: 95%, L3: 5%}", True)])
def test_a_tier_reached_only_by_entry_shares_must_be_staffed(tmp_path, entry, error):
    """Fails if the staffing check follows only the chain from one entry tier (L3, without
    agents, is reached only through its 5% entry share), or if it flags a tier no ticket
    can reach (the same L3 when no share leads to it)."""
    text = scenario_text(tmp_path).replace("entry: {L1: 80%, L2: 15%, L3: 5%}", f"entry: {entry}")
    text = text.replace("resolved: 70%, L2: 20%, L3: 10%", "resolved: 70%, L2: 30%")
    text = text.replace("resolved: 60%, L3: 25%, L1: 15%", "resolved: 60%, L1: 40%")
    lines = text.splitlines()
    l3 = lines.index("    L3:")
    lines[l3 + 2] = lines[l3 + 2].replace("agents: 10", "agents: 0")
    path = tmp_path / "s.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    errors = [d for d in validate_file(path) if d.level is Level.ERROR]
    if error:
        (d,) = errors
        assert "L3 receives tickets but has no agent" in d.message and d.line == l3 + 3
    else:
        assert errors == []


def test_the_routed_template_is_valid(tmp_path):
    """The template of the bad cases above must be valid, so each case has one defect."""
    path = tmp_path / "good.yaml"
    path.write_text(scenario_text(tmp_path), encoding="utf-8")
    assert [str(d) for d in validate_file(path) if d.level is Level.ERROR] == []


# -- analysis of the new paths -------------------------------------------------------------

def test_analysis_counts_each_visit_and_reopening(tmp_path):
    """Fails if the OLA, tier or quality figures count tickets instead of visits, or
    ignore reopenings. One minor ticket, resolved at L1 (0-30), reopened at 90 and
    resolved again at 120 (reopen 100% after 1h; the next reopening, at 180, is at the
    3h horizon and does not happen). By hand: two L1 visits, each with its own OLA clock
    (1h budget, 24x7 platinum: deadlines 60 and 150, neither breached); L1 reached twice,
    resolved twice, escalation rate 0; reopen rate 1 reopening / 2 closures; the resolve
    clock has two cycles (the catalogue's on_reopen: new_cycle), from 0 and from 90."""
    from itr_sim.analysis.summary import analyse

    result = run_trace(tmp_path, "0,telco,minor,fault", {
        "horizon": "3h", "organisation.tiers.L1.ola": {"minor": "1h"},
        "organisation.reopen": {"probability": "100%", "delay": {"fixed": {"value": "1h"}}}})
    tables = analyse(result).tables
    ola = tables["ola"]
    assert ola[["tier", "start_min", "stop_min", "deadline_min"]].values.tolist() == [
        ["L1", 0.0, 30.0, 60.0], ["L1", 90.0, 120.0, 150.0]]
    assert not ola["breached"].any()
    l1 = tables["tiers"].set_index("tier").loc["L1"]
    assert (l1["reached"], l1["resolved"], l1["escalated_out"]) == (2, 2, 0)
    assert tables["quality"]["reopen_rate"].tolist() == [0.5]
    resolve = tables["clocks"].query("clock == 'resolve'")
    assert resolve[["cycle", "start_min", "stop_min"]].values.tolist() == [
        [1, 0.0, 30.0], [2, 90.0, 120.0]]


@pytest.mark.parametrize(("l2_routing", "ftf"), [({"resolved": "100%"}, 1.0),
                                                  ({"L3": "100%"}, 0.5)])
def test_first_time_fix_counts_resolution_at_any_entry_tier(tmp_path, l2_routing, ftf):
    """Fails if first-time fix only counts the first tier of the chain (the critical ticket
    enters at L2 and is resolved there: a first-time fix, 2 of 2), or if a ticket handed on
    from its entry tier counts (L2 -> L3: 1 of 2)."""
    from itr_sim.analysis.summary import analyse

    result = run_trace(tmp_path, "0,telco,critical,fault\n10,telco,minor,fault",
                       {"organisation.tiers.L2.routing": l2_routing})
    assert analyse(result).tables["quality"]["first_time_fix"].tolist() == [ftf]


def test_streaming_keeps_tickets_that_will_reopen_together():
    """Fails if streaming mode hands over a closed ticket that is still to reopen (its
    later rows would land in another chunk, the ticket twice), or if the streamed KPIs
    differ from the full analysis with reopenings and moves back down."""
    from test_streaming import Recorder, same

    from itr_sim.analysis.streaming import run_streaming
    from itr_sim.analysis.summary import analyse

    loaded = load_scenario(DATA / "shares.yaml", {
        "horizon": "3w", "demand.customers.telco.tickets_per_week": 500,
        "organisation.reopen": {"probability": "30%",
                                "delay": {"uniform": {"low": "1h", "high": "10d"}}}})
    chunks = run_scenario(loaded, sink=Recorder).replications[0].streamed
    assert len(chunks) == 3
    tickets = pd.concat([t for _, t in chunks], ignore_index=True)
    assert tickets["ticket"].is_unique
    events = pd.concat([e for e, _ in chunks], ignore_index=True)
    full = run_scenario(loaded).events()
    assert len(events) == len(full) and (full["event"] == "reopened").sum() > 100
    _, streamed = run_streaming(loaded)
    summary = analyse(run_scenario(loaded)).summary
    same(streamed, summary)
    # the tier tables list every tier a ticket can visit, not only the entry tier's chain
    assert list(summary["tiers"]) == ["L1", "L2", "L3"]
