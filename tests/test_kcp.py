"""Key control points as gates (``organisation.kcp``): mis-dispatch (KCP2), solution and
implementation reviews with rework (KCP3, KCP4), failed confirmations that reopen (KCP5),
and severity changes applied to the clocks by the catalogue's policies.

The exact traces use tests/data/routing/exact.yaml: one agent per line around the clock,
fixed handling (L1 30m, L2 1h, L3 2h), every tier resolves what it gets; critical tickets
enter at L2, the others at L1. Times are minutes since Monday 2027-01-04 00:00. ``telco`` is
platinum (7x24): critical and major tickets have a restore target, so resolving one restores
it first; response targets are 15m critical, 30m major, 2h minor. A failure share of
99.9999% stands for "always" (100% is refused: the ticket would go round for ever); with
the fixed seed no draw of these traces comes above it.
"""

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from itr_sim.cli import main as cli_main
from scipy import stats
from test_routing import run_trace
from test_traces import check_log, raw_log
from typer.testing import CliRunner

from itr_sim.analysis.kcp import kcp_counts
from itr_sim.analysis.summary import analyse
from itr_sim.engine.log import Event
from itr_sim.engine.replicate import run_scenario
from itr_sim.engine.simulation import Replication
from itr_sim.model.load import load_scenario, validate_file
from itr_sim.model.source import Level

DATA = Path(__file__).parent / "data" / "routing"
ALWAYS = "99.9999%"


def fixed(value: str) -> dict[str, Any]:
    return {"fixed": {"value": value}}


# -- KCP2: mis-dispatch ------------------------------------------------------------------

def test_misdispatched_tickets_reach_their_tier_after_the_delay(tmp_path):
    """Fails if a mis-dispatched ticket is queued at once or at the wrong tier, if the
    wrong tier is the right one, if the delay is not counted from the arrival, or if the
    response clock does not include the delay.
    By hand (mis-dispatch 100%, delay 20m): the minor ticket T0 arrives at 0, goes to a
    wrong tier (L2 or L3), is queued at L1 at 20, served 20-50; the critical T1 arrives at
    10 (its tier is L2), goes to L1 or L3, is queued at L2 at 30, served 30-90. T0's
    response clock stops at 20 (deadline 2h: met); T1's at 30 (deadline 15m after 10 = 25:
    breached by 5 minutes)."""
    result = run_trace(tmp_path, "0,telco,minor,fault\n10,telco,critical,fault", {
        "organisation.kcp": {"dispatch": {"misdispatch": "100%", "delay": fixed("20m")}}})
    wrong = {t: u for t, _, e, u, _ in raw_log(result) if e == "misdispatched"}
    assert wrong[0] in ("L2", "L3") and wrong[1] in ("L1", "L3")
    check_log(result, f"""
        0    0  arrived        -   technical
        0    0  entitled       -   entitled
        0    0  misdispatched  {wrong[0]}  L1
        1   10  arrived        -   technical
        1   10  entitled       -   entitled
        1   10  misdispatched  {wrong[1]}  L2
        0   20  queued         L1  -
        0   20  engaged        L1  first
        1   30  queued         L2  -
        1   30  engaged        L2  first
        0   50  resolved       L1  -
        0   50  closed         -   -
        1   90  restored       L2  -
        1   90  resolved       L2  -
        1   90  closed         -   -
    """)
    analysis = analyse(result)
    # both tickets checked at dispatch, neither passed
    assert analysis.summary["kcp"] == {"dispatch": {"checked": 2.0, "conformity": 0.0,
                                                    "ci95": [None, None]}}
    clocks = analysis.tables["clocks"]
    response = clocks[clocks["clock"] == "response"].set_index("ticket")
    assert response["stop_min"].tolist() == [20.0, 30.0]
    assert response["breached"].tolist() == [False, True]
    assert response.loc[1, "lateness_min"] == pytest.approx(5.0)


# -- KCP3 and KCP4: reviews --------------------------------------------------------------

def test_reviews_take_reviewer_time_before_the_resolution(tmp_path):
    """Fails if a review does not wait its delay, does not take an agent of the reviewer
    (the implementation review of T0 would not wait for L2's agent), if the implementation
    review comes before the solution review or is skipped, if the resolution is not
    credited to the tier that found the solution, if the restoration waits for the
    implementation review, or if the reviewer's session does not
    end at ``reviewed`` (the utilisation of L2 would count the wait).
    By hand (solution review at L3: delay 5m, 10m; implementation review at L2: no delay,
    15m; nothing fails): T0 minor at 0: L1 0-30, solution review requested 30, L3 35-45,
    implementation review requested 45 but L2 is busy with T1 until 60: L2 60-75, resolved
    by L1 at 75. T1 critical at 0: L2 0-60, solution review requested 60, L3 65-75,
    its solution goes into service at 75 (restored, by L2: the restore clock does not wait
    for the implementation review), implementation review requested 75, L2 75-90, resolved
    by L2 at 90."""
    result = run_trace(tmp_path, "0,telco,minor,fault\n0,telco,critical,fault", {
        "organisation.kcp": {
            "solution_review": {"reviewer": "L3", "delay": fixed("5m"),
                                "handling": fixed("10m")},
            "implementation_review": {"reviewer": "L2", "handling": fixed("15m")}}})
    check_log(result, """
        0    0  arrived           -   technical
        0    0  entitled          -   entitled
        0    0  queued            L1  -
        0    0  engaged           L1  first
        1    0  arrived           -   technical
        1    0  entitled          -   entitled
        1    0  queued            L2  -
        1    0  engaged           L2  first
        0   30  review_requested  L3  solution
        0   35  engaged           L3  -
        0   45  reviewed          L3  solution_passed
        0   45  review_requested  L2  implementation
        1   60  review_requested  L3  solution
        0   60  engaged           L2  -
        1   65  engaged           L3  -
        0   75  reviewed          L2  implementation_passed
        0   75  resolved          L1  -
        0   75  closed            -   -
        1   75  reviewed          L3  solution_passed
        1   75  restored          L2  -
        1   75  review_requested  L2  implementation
        1   75  engaged           L2  -
        1   90  reviewed          L2  implementation_passed
        1   90  resolved          L2  -
        1   90  closed            -   -
    """)
    util = analyse(result).tables["utilisation"].set_index("unit")
    week = 7 * 1440
    # busy: L1 0-30; L2 0-60, 60-75, 75-90; L3 35-45, 65-75
    assert util.loc["L1", "utilisation"] == pytest.approx(30 / week)
    assert util.loc["L2", "utilisation"] == pytest.approx(90 / week)
    assert util.loc["L3", "utilisation"] == pytest.approx(20 / week)


def test_a_failed_review_sends_the_ticket_back_for_rework(tmp_path):
    """Fails if a failed review resolves the ticket anyway, if the rework goes to another
    tier than the one that found the solution, if the rework is not a new visit (new
    handling time), or if a reworked solution skips its review.
    By hand (solution review at L3, 10m, no delay, always failing; horizon 2h): L1 0-30,
    review 30-40 fails, rework at L1 40-70, review 70-80 fails, L1 80-110, review from 110
    still running at the horizon (120)."""
    result = run_trace(tmp_path, "0,telco,minor,fault", {
        "horizon": "2h",
        "organisation.kcp": {"solution_review": {"reviewer": "L3", "handling": fixed("10m"),
                                                 "fails": ALWAYS}}})
    check_log(result, """
        0    0  arrived           -   technical
        0    0  entitled          -   entitled
        0    0  queued            L1  -
        0    0  engaged           L1  first
        0   30  review_requested  L3  solution
        0   30  engaged           L3  -
        0   40  reviewed          L3  solution_failed
        0   40  queued            L1  -
        0   40  engaged           L1  -
        0   70  review_requested  L3  solution
        0   70  engaged           L3  -
        0   80  reviewed          L3  solution_failed
        0   80  queued            L1  -
        0   80  engaged           L1  -
        0  110  review_requested  L3  solution
        0  110  engaged           L3  -
    """)


def test_reviews_apply_only_to_their_severities(tmp_path):
    """Fails if the ``severities`` of a review are ignored: only the critical ticket is
    reviewed (L3, 10m); the minor one is resolved at the end of its L1 session (0-30)."""
    result = run_trace(tmp_path, "0,telco,minor,fault\n0,telco,critical,fault", {
        "organisation.kcp": {"solution_review": {"reviewer": "L3", "handling": fixed("10m"),
                                                 "severities": ["critical"]}}})
    rows = [(t, m, e, u) for t, m, e, u, _ in raw_log(result) if e in (
        "review_requested", "reviewed", "resolved")]
    assert rows == [(0, 30.0, "resolved", "L1"), (1, 60.0, "review_requested", "L3"),
                    (1, 70.0, "reviewed", "L3"), (1, 70.0, "resolved", "L2")]


# -- KCP5: confirmation ------------------------------------------------------------------

@pytest.mark.parametrize("fails", ["0%", ALWAYS])
def test_a_failed_confirmation_reopens_at_the_resolving_tier(tmp_path, fails):
    """Fails if a refused confirmation still closes the ticket, if the reopening is not at
    the end of the confirmation delay or not at the tier that resolved it, if the clocks
    do not treat it as a reopening (the catalogue's on_reopen: new_cycle gives the resolve
    clock a cycle per reopening), or if a confirmed closure is not marked ``confirmed``.
    By hand (confirmation delay 1h; horizon 4h = 240): the minor ticket goes to L1 (the
    one-agent routing base, critical would enter at L2), L1 0-30, resolved at 30; confirmed:
    closed at 90. Refused: reopened at L1 at 90, L1 90-120, refused again, reopened at 180,
    L1 180-210; the confirmation due at 270 is past the horizon. Resolve cycles: 0-30,
    90-120, 180-210."""
    result = run_trace(tmp_path, "0,telco,minor,fault", {
        "horizon": "4h", "organisation.confirmation": fixed("1h"),
        "organisation.kcp": {"confirmation": {"fails": fails}}})
    start = """
        0    0  arrived   -   technical
        0    0  entitled  -   entitled
        0    0  queued    L1  -
        0    0  engaged   L1  first
        0   30  resolved  L1  -
    """
    if fails == "0%":
        check_log(result, start + "0 90 closed - confirmed")
        assert analyse(result).summary["kcp"]["confirmation"]["conformity"] == 1.0
        return
    check_log(result, start + """
        0   90  reopened  L1  not_confirmed
        0   90  queued    L1  -
        0   90  engaged   L1  -
        0  120  resolved  L1  -
        0  180  reopened  L1  not_confirmed
        0  180  queued    L1  -
        0  180  engaged   L1  -
        0  210  resolved  L1  -
    """)
    analysis = analyse(result)
    # two refusals checked (the third confirmation falls after the horizon), none passed
    assert analysis.summary["kcp"]["confirmation"] == {"checked": 2.0, "conformity": 0.0,
                                                       "ci95": [None, None]}
    clocks = analysis.tables["clocks"]
    resolve = clocks[clocks["clock"] == "resolve"].sort_values("cycle")
    assert resolve[["start_min", "stop_min"]].to_numpy().tolist() == [
        [0, 30], [90, 120], [180, 210]]


def test_only_tickets_resolved_by_a_tier_are_asked_to_confirm(tmp_path):
    """Fails if a request closed by a team (non-technical, no KCP5) is marked ``confirmed``
    or counted as a confirmation check. By hand (confirmation 0% failing, no delay): the
    fault is resolved and closed by L1 at 30 (``confirmed``); the billing request arriving
    at 0 is closed by the desk team at 20 without a detail; one check, passed."""
    result = run_trace(tmp_path, "0,telco,minor,fault\n0,telco,,billing", {
        "organisation.teams": {"desk": {
            "handles": ["billing"], "queue": "fcfs", "handling": {"default": fixed("20m")},
            "shifts": [{"days": "Mon-Sun", "hours": "00:00-24:00", "agents": 1}]}},
        "organisation.kcp": {"confirmation": {"fails": "0%"}}})
    closed = [(t, m, d) for t, m, e, _, d in raw_log(result) if e == "closed"]
    assert sorted(closed) == [(0, 30.0, "confirmed"), (1, 20.0, "-")]
    assert analyse(result).summary["kcp"]["confirmation"]["checked"] == 1.0


# -- severity changes --------------------------------------------------------------------

def test_an_upgrade_mid_life_changes_the_response_verdict_as_the_policy_says(tmp_path):
    """Fails if the change is not logged as ``severity_changed`` with the new severity at
    ``after`` past the arrival, if the clocks ignore it, or if the catalogue's policies are
    not the ones applied (standard catalogue: upgrade retroactive, downgrade keep_elapsed).
    By hand (minor upgraded, major downgraded, 100%, 10m after arrival; one L1 agent, 30m
    each, FCFS): T0 minor at 0 served 0-30; T1 minor at 1, 30-60; T2 minor at 2, 60-90;
    T3 major at 3, 90-120. Response deadlines:
    * T0, engaged at 0 before its upgrade at 10: the change does not touch a stopped clock,
      minor's 2h: 120, met.
    * T1, upgraded at 11 to major: retroactive, 30m from the arrival: 31; engaged 30: met.
    * T2, upgraded at 12: deadline 32; engaged at 60: breached by 28 (as minor, 2h: met).
    * T3, downgraded at 13 to minor: keep_elapsed: 10m spent as major, 2h - 10m = 110m left
      from 13: deadline 123; engaged at 90: met (as major, 33: breached)."""
    result = run_trace(tmp_path, "0,telco,minor,fault\n1,telco,minor,fault\n"
                       "2,telco,minor,fault\n3,telco,major,fault", {
                           "organisation.kcp": {"severity_changes": {
                               "minor": {"upgrade": "100%", "after": fixed("10m")},
                               "major": {"downgrade": "100%", "after": fixed("10m")}}}})
    changes = [(t, m, d) for t, m, e, _, d in raw_log(result) if e == "severity_changed"]
    assert changes == [(0, 10.0, "major"), (1, 11.0, "major"), (2, 12.0, "major"),
                       (3, 13.0, "minor")]
    clocks = analyse(result).tables["clocks"]
    response = clocks[clocks["clock"] == "response"].set_index("ticket").sort_index()
    assert response["deadline_min"].tolist() == pytest.approx([120, 31, 32, 123])
    assert response["breached"].tolist() == [False, False, True, False]
    assert response.loc[2, "lateness_min"] == pytest.approx(28)
    assert response["severity"].astype(str).tolist() == ["minor", "major", "major", "minor"]


def test_an_upgrade_moves_a_waiting_ticket_up_a_severity_queue(tmp_path):
    """Fails if the new severity only counts at the next queueing: with the ``severity``
    discipline, T1 (minor at 1, upgraded to major at 6) and T2 (major at 2) wait for the one
    L1 agent busy with T0 (0-30); T1 now ties with T2 on severity and was queued first, so
    it is served at 30 and T2 at 60 (without the move, T2 would go first)."""
    result = run_trace(tmp_path, "0,telco,minor,fault\n1,telco,minor,fault\n"
                       "2,telco,major,fault", {
                           "organisation.tiers.L1.queue": "severity",
                           "organisation.kcp": {"severity_changes": {
                               "minor": {"upgrade": "100%", "after": fixed("5m")}}}})
    engaged = [(t, m) for t, m, e, _, _ in raw_log(result) if e == "engaged"]
    assert engaged == [(0, 0.0), (1, 30.0), (2, 60.0)]


def test_a_change_due_after_the_resolution_is_dropped(tmp_path):
    """Fails if a ticket resolved before its change is due still changes severity (L1
    resolves the minor ticket at 30; its upgrade would be at 45)."""
    result = run_trace(tmp_path, "0,telco,minor,fault", {
        "organisation.kcp": {"severity_changes": {
            "minor": {"upgrade": "100%", "after": fixed("45m")}}}})
    assert "severity_changed" not in [e for _, _, e, _, _ in raw_log(result)]


# -- rates against the inputs ------------------------------------------------------------

def gated(settings: dict[str, Any]):
    """The statistical routing scenario (about 10,000 technical tickets in four weeks, ten
    agents per line) with KCP gates."""
    return run_scenario(load_scenario(DATA / "shares.yaml", {"organisation.kcp": settings}))


@pytest.mark.parametrize(("misdispatch", "solution", "implementation", "confirmation"),
                         [(0.05, 0.10, 0.20, 0.03), (0.15, 0.02, 0.30, 0.10)])
def test_conformity_and_reopen_rates_match_the_inputs(misdispatch, solution, implementation,
                                                      confirmation):
    """Fails if a gate's failures are not drawn with its probability, if the conformity
    rates are counted on the wrong events, or if failed confirmations do not show in the
    reopen rate. Each check is a Bernoulli trial, so the failures among the checks are
    binomial: the 99.9% Clopper-Pearson interval of the failure share must hold the input
    and be narrower than 4 points (the widest expected, 30% of about 6,000 reviews:
    2 x 3.29 x sqrt(0.3 x 0.7 / 6,000) = 3.9 points). The reopen rate is reopenings
    per closure: a resolution is refused with f and closed with 1 - f, so the rate is
    f / (1 - f). Two settings, so that rates that ignore the inputs cannot pass both."""
    result = gated({
        "dispatch": {"misdispatch": misdispatch, "delay": fixed("20m")},
        "solution_review": {"reviewer": "L3", "handling": fixed("5m"), "fails": solution},
        "implementation_review": {"reviewer": "L2", "delay": fixed("10m"),
                                  "handling": fixed("5m"), "fails": implementation,
                                  "severities": ["critical", "major"]},
        "confirmation": {"fails": confirmation}})
    events, tickets = result.events(), result.tickets()
    per = kcp_counts(events, tickets, ["critical", "major", "minor"]).iloc[0]
    for gate, p in (("dispatch", misdispatch), ("solution_review", solution),
                    ("implementation_review", implementation), ("confirmation", confirmation)):
        n = int(per[f"{gate}_checked"])
        failed = n - int(per[f"{gate}_passed"])
        ci = stats.binomtest(failed, n).proportion_ci(0.999)
        assert ci.low <= p <= ci.high, (gate, failed, n)
        assert ci.high - ci.low < 0.04 and n > 2000, (gate, n)
    name = events["event"].astype(str)
    reopened, closed = int((name == "reopened").sum()), int((name == "closed").sum())
    expected = confirmation / (1 - confirmation)
    ci = stats.binomtest(reopened, reopened + closed).proportion_ci(0.999)
    assert ci.low / (1 - ci.low) <= expected <= ci.high / (1 - ci.high)


def test_severity_change_counts_match_the_inputs():
    """Fails if upgrades and downgrades are drawn with other probabilities, or counted the
    wrong way round. Majors (30% of about 10,000 tickets) upgrade with 10% and downgrade
    with 20%, the change due 1 minute after arrival; a change due after the resolution is
    dropped, so the expected share per major is 10% (20%) x q, where q is the share of
    majors still unresolved at 1 minute, measured from the log (about 90%: handling is
    exponential with a 10-minute mean, P(< 1m) = 1 - e^-0.1 = 9.5%). Each count is
    binomial: its 99.9% Clopper-Pearson interval must hold the expectation and be narrower
    than 6 points (3.3 x 2 x sqrt(0.18 x 0.82 / 3,000) = 4.6 points)."""
    result = gated({"severity_changes": {
        "major": {"upgrade": "10%", "downgrade": "20%", "after": fixed("1m")}}})
    events, tickets = result.events(), result.tickets()
    per = kcp_counts(events, tickets, ["critical", "major", "minor"]).iloc[0]
    name = events["event"].astype(str)
    majors = events[(name == "arrived") & (events["severity"].astype(str) == "major")]
    n = len(majors)
    resolved = events[name == "resolved"].groupby("ticket")["time_min"].min()
    arrived = majors.set_index("ticket")["time_min"]
    still_open = float(((resolved.reindex(arrived.index) - arrived).fillna(np.inf) > 1).mean())
    assert 0.85 < still_open < 0.95
    for key, p in (("upgrades", 0.10), ("downgrades", 0.20)):
        ci = stats.binomtest(int(per[key]), n).proportion_ci(0.999)
        assert ci.low <= p * still_open <= ci.high, (key, per[key], n)
        assert ci.high - ci.low < 0.06


def test_an_empty_kcp_changes_nothing():
    """Fails if writing ``kcp: {}`` (every gate off) draws from another stream or changes a
    row: the log must equal the one without it, row for row."""
    plain = run_scenario(load_scenario(DATA / "shares.yaml", {"horizon": "1w"}))
    empty = run_scenario(load_scenario(DATA / "shares.yaml", {"horizon": "1w",
                                                               "organisation.kcp": {}}))
    assert raw_log(plain) == raw_log(empty)


def test_every_ticket_is_accounted_for_with_every_gate_on():
    """Fails if a gate loses or duplicates a ticket, or leaves a unit's queue or agents out
    of step with the log: replaying the engine's raw rows (a ticket's state after its last
    state-changing row), the closed and still-open tickets add up to the arrivals, no
    ticket is closed twice, every unit serves exactly the tickets the log says it engaged
    last, and a ticket the log shows queued at a unit (or sent to its reviewer) is in that
    unit's queue, or else on its way there (in a review delay)."""
    loaded = load_scenario(DATA / "shares.yaml", {"horizon": "1w", "organisation.kcp": {
        "dispatch": {"misdispatch": "20%", "delay": fixed("30m")},
        "solution_review": {"reviewer": "L3", "delay": {"exponential": {"mean": "10m"}},
                            "handling": fixed("20m"), "fails": "20%"},
        "implementation_review": {"reviewer": "L2", "handling": fixed("30m"), "fails": "10%"},
        "confirmation": {"fails": "10%"},
        "severity_changes": {"major": {"upgrade": "20%", "after": fixed("5m")}}}})
    seeds = np.random.SeedSequence(loaded.scenario.seed).spawn(1)[0]
    sim = Replication(loaded, seeds, 0)
    log = sim.run().log
    after = {Event.ARRIVED: "arrived", Event.QUEUED: "queued", Event.RELEASED: "queued",
             Event.RESUMED: "queued", Event.ENGAGED: "in service",
             Event.WAITING_CUSTOMER: "waiting", Event.WAITING_VENDOR: "waiting",
             Event.WAITING_PARTS: "waiting", Event.HANDED_OVER: "in transit",
             Event.RESOLVED: "resolved", Event.CLOSED: "closed",
             Event.MISDISPATCHED: "in transit", Event.REVIEW_REQUESTED: "queued",
             Event.REVIEWED: "in transit"}
    names = log.codes.names
    state: dict[int, tuple[str, str]] = {}
    for t, e, u in zip(log.ticket_ids.tolist(), log.event.tolist(), log.unit.tolist(),
                       strict=True):
        if Event(e) in after:
            state[t] = (after[Event(e)], names[u] or state.get(t, ("", ""))[1])
    closed = log.ticket_ids[log.event == Event.CLOSED].tolist()
    assert len(set(closed)) == len(closed)
    open_ids = {t for t, (s, _) in state.items() if s != "closed"}
    assert len(closed) + len(open_ids) == len(sim.tickets) == len(state)
    assert {s for t, (s, _) in state.items() if t in open_ids} <= {
        "queued", "in service", "waiting", "in transit", "resolved"}
    assert sim.kcp is not None
    under_review = set(sim.kcp.under_review)  # in a review delay, queue or service
    for name, unit in sim.units.items():
        assert {t for t, (s, u) in state.items() if s == "in service" and u == name} == \
            set(unit.busy), name
        shown = {t for t, (s, u) in state.items() if s == "queued" and u == name}
        queued = {entry[-1].id for entry in unit.queue}
        assert queued <= shown and shown - queued <= under_review, name
    # not vacuous: the horizon finds tickets queued (L2 is overloaded by the reviews), in
    # service, in transit, and in a review delay; every gate acted
    found = Counter(s for t, (s, _) in state.items() if t in open_ids)
    assert all(found[s] for s in ("queued", "in service", "in transit")), found
    assert under_review - {entry[-1].id for u in sim.units.values() for entry in u.queue} \
        - {t for u in sim.units.values() for t in u.busy}
    assert set(log.event.tolist()) >= {Event.MISDISPATCHED, Event.REVIEWED,
                                       Event.SEVERITY_CHANGED, Event.REOPENED}


# -- bad input ---------------------------------------------------------------------------

KCP = """\
  entry: {L1: 80%, L2: 15%, L3: 5%}
  kcp:
    dispatch: {misdispatch: 5%, delay: {fixed: {value: 20m}}}
    solution_review: {reviewer: L3, handling: {fixed: {value: 5m}}, fails: 10%}
    implementation_review: {reviewer: L2, handling: {fixed: {value: 5m}}, severities: [major]}
    confirmation: {fails: 3%}
    severity_changes:
      major: {upgrade: 10%, downgrade: 20%, after: {exponential: {mean: 30m}}}
"""


def kcp_text() -> str:
    catalog = (Path(__file__).parent.parent / "sla_catalog" / "standard.yaml").as_posix()
    text = (DATA / "shares.yaml").read_text(encoding="utf-8")
    text = text.replace("../../../sla_catalog/standard.yaml", catalog)
    return text.replace("  entry: {L1: 80%, L2: 15%, L3: 5%}\n", KCP)


BAD = [
    ("reviewer: L3,", "reviewer: L4,", "unknown tier or team 'L4'"),
    ("fails: 10%}", "fails: 100%}", "a review that always fails"),
    ("severities: [major]", "severities: [majr]", "did you mean 'major'?"),
    ("confirmation: {fails: 3%}", "confirmation: {fails: 100%}",
     "a confirmation that always fails"),
    ("confirmation: {fails: 3%}", "confirmation: {fails: 3}", "3 is ambiguous"),
    ("misdispatch: 5%, delay: {fixed: {value: 20m}}}", "misdispatch: 5%}",
     "missing required key 'delay'"),
    ("major: {upgrade: 10%,", "majr: {upgrade: 10%,", "did you mean 'major'?"),
    ("major: {upgrade: 10%,", "critical: {upgrade: 10%,", "nothing to upgrade it to"),
    ("major: {upgrade: 10%,", "minor: {upgrade: 10%,", "nothing to downgrade it to"),
    ("upgrade: 10%, downgrade: 20%", "upgrade: 90%, downgrade: 20%",
     "add up to 110.0000%, more than 100%"),
    ("confirmation: {fails: 3%}", "confirmation: {fails: 3%, delay: 1h}",
     "delay"),
]


@pytest.mark.parametrize(("old", "new", "message"), BAD)
def test_bad_kcp_input_is_reported_at_its_line(tmp_path, old, new, message):
    """Fails if a defect in ``organisation.kcp`` is accepted, reported without its message,
    or at another line than the one changed."""
    text = kcp_text()
    assert old in text
    text = text.replace(old, new, 1)
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    line = next(i + 1 for i, row in enumerate(text.splitlines()) if new in row)
    errors = [d for d in validate_file(path) if d.level is Level.ERROR]
    matching = [d for d in errors if message in d.message]
    assert matching, f"no error says {message!r}; got:\n" + "\n".join(map(str, errors))
    assert any(d.line == line for d in matching), "\n".join(map(str, matching))


def test_the_kcp_template_is_valid(tmp_path):
    """The template of the bad cases must be valid, so that each case has one defect."""
    path = tmp_path / "good.yaml"
    path.write_text(kcp_text(), encoding="utf-8")
    assert [str(d) for d in validate_file(path) if d.level is Level.ERROR] == []


def test_bad_kcp_input_exits_2_with_file_and_line(tmp_path):
    """Fails if a bad gate escapes as a traceback or another exit status from the command
    line, or if the message lacks its file:line and key path."""
    path = tmp_path / "bad.yaml"
    path.write_text(kcp_text().replace("reviewer: L3,", "reviewer: L4,"), encoding="utf-8")
    result = CliRunner().invoke(cli_main.app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    line = next(i + 1 for i, row in enumerate(path.read_text().splitlines()) if "L4" in row)
    assert f"bad.yaml:{line}: organisation.kcp.solution_review.reviewer: unknown tier or " \
        "team 'L4'" in result.output
