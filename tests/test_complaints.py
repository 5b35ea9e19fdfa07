"""Complaints in stages, major complaints, callbacks that take agent time and the
satisfaction survey (docs/engine.md, "Complaints in stages" and "Satisfaction survey").

(c) exact traces on the base of tests/test_traces.py (one L1 agent, 30 minutes a ticket;
times in minutes since Monday 2027-01-04 00:00, Asia/Shanghai); the complaint limits run on
the catalogue's complaint calendar, ``office`` (Mon-Fri 09:00-12:00 and 13:00-18:00), so a
1h limit for a complaint raised at 00:30 passes at 10:00 (minute 600). (a) the score model
against hand-computed values, and the survey against its inputs on a larger run. Bad input.
"""

import math
import re
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from itr_sim.cli import main as cli_main
from itr_sim.cli.run import target_verdicts
from scipy import stats
from test_traces import check_log, raw_log, run_trace
from typer.testing import CliRunner

from itr_sim.analysis.complaint_stages import stage_visits
from itr_sim.analysis.kpis import sessions
from itr_sim.analysis.satisfaction import outcomes, score
from itr_sim.analysis.summary import analyse
from itr_sim.engine.replicate import run_scenario
from itr_sim.model.complaints import Score
from itr_sim.model.load import load_scenario, validate_file
from itr_sim.model.source import Level
from itr_sim.report.sections import complaints_and_satisfaction

DATA = Path(__file__).parent / "data" / "complaints"
SURVEY = DATA / "survey.yaml"


def team(handling: dict[str, str], handles: tuple[str, ...] = ("complaints",)) -> dict[str, Any]:
    """A team with one agent around the clock and fixed handling times."""
    return {"handles": list(handles),
            "shifts": [{"days": "Mon-Sun", "hours": "00:00-24:00", "agents": 1}],
            "handling": {k: {"fixed": {"value": v}} for k, v in handling.items()}}


def staged(care: str = "20h", brm: str = "2h", head: str = "5h", major: Any = None
           ) -> dict[str, Any]:
    """Every breach complains; three stages care (1h), brm (2h), head (5h); care also
    handles billing (10 minutes)."""
    complaints: dict[str, Any] = {"stages": [
        {"team": "care", "limit": "1h"}, {"team": "brm", "limit": "2h"},
        {"team": "head", "limit": "5h"}]}
    if major is not None:
        complaints["major"] = major
    return {"demand.complaint_on_breach": 1,
            "demand.type_mix": {"fault": 0.9, "billing": 0.1},
            "organisation.teams": {
                "care": team({"default": care, "billing": "10m"}, ("complaints", "billing")),
                "brm": team({"default": brm}), "head": team({"default": head})},
            "organisation.complaints": complaints}


# T0 minor takes L1 0-30; T1 critical (response 15m) waits from 1, engaged at 30 > 16:
# complaint T2 at 30.
LATE = """
    0,telco,minor,fault
    1,telco,critical,fault
"""
LATE_ROWS = """
    0   0  arrived           -     technical
    0   0  entitled          -     entitled
    0   0  queued            L1    -
    0   0  engaged           L1    first
    1   1  arrived           -     technical
    1   1  entitled          -     entitled
    1   1  queued            L1    -
    0  30  resolved          L1    -
    0  30  closed            -     -
    1  30  engaged           L1    first
    1  30  complaint_raised  -     response
    2  30  arrived           -     complaint
"""


def test_a_complaint_passes_each_stage_when_its_limit_passes(tmp_path):
    """Fails if a stage's limit is not counted from the complaint's arrival on the complaint
    calendar, if the complaint does not move on when it passes, if the stage's agent is not
    freed for its next ticket, or if the last stage's limit is not written as overdue."""
    # T2 at care (20h of work) from 30. Care's limit 1h: office opens at 540, so 600.
    # T3 billing at 100 queues behind T2 at care; at 600 T2 leaves care, T3 takes the agent
    # (600-610). brm's limit 2h: 660; T2 at brm (2h of work) 600-720 is cut at 660. head's
    # limit 5h: 09:00-12:00 is 3h, the rest after lunch from 13:00 (780): 900. T2 at head
    # (5h) 660-960: overdue at 900, resolved at 960.
    result = run_trace(tmp_path, LATE + "100,shop,,billing", staged())
    check_log(result, LATE_ROWS + """
    2  30  queued               care  -
    2  30  engaged              care  first
    1  60  restored             L1    -
    1  60  resolved             L1    -
    1  60  closed               -     -
    3 100  arrived              -     non_technical
    3 100  entitled             -     entitled
    3 100  queued               care  -
    2 600  complaint_escalated  brm   limit
    2 600  queued               brm   -
    2 600  engaged              brm   -
    3 600  engaged              care  first     # care's agent is free again
    3 610  resolved             care  -
    3 610  closed               -     -
    2 660  complaint_escalated  head  limit
    2 660  queued               head  -
    2 660  engaged              head  -
    2 900  complaint_overdue    head  -
    2 960  resolved             head  -
    2 960  closed               -     -
    """)
    events = result.events()
    sess = sessions(events, result.replications[0].horizon_min)
    assert sess.loc[sess["ticket"] == 2, ["unit", "start", "end"]].values.tolist() == [
        ["care", 30, 600], ["brm", 600, 660], ["head", 660, 960]]  # cut at each limit
    visits = stage_visits(events, result.tickets(), result.loaded.scenario.organisation
                          .complaints)
    got = [(v.stage, v.start_min, v.end_min, v.ended, v.within, v.due)
           for v in visits.itertuples()]
    # (hand-computed) each stage's time and outcome: none within its limit
    assert got == [("care", 30, 600, "escalated", False, True),
                   ("brm", 600, 660, "escalated", False, True),
                   ("head", 660, 960, "resolved", False, True)]


def test_a_vip_complaint_starts_at_the_major_stage_and_is_resolved_there_in_time(tmp_path):
    """Fails if VIP complaints are not major, if a major complaint does not start at the
    second stage, or if a stage resolved within its limit still escalates."""
    # T2 is telco's, a VIP: straight to brm (20m of work) 30-50, within brm's limit (660);
    # the limit passing at 660 finds it closed: nothing more is written.
    result = run_trace(tmp_path, LATE, staged(brm="20m", major={"vip": ["telco"]}))
    check_log(result, LATE_ROWS + """
    2  30  queued               brm   -
    2  30  engaged              brm   first
    2  30  complaint_major      brm   vip
    2  50  resolved             brm   -
    2  50  closed               -     -
    1  60  restored             L1    -
    1  60  resolved             L1    -
    1  60  closed               -     -
    """)
    visits = stage_visits(result.events(), result.tickets(),
                          result.loaded.scenario.organisation.complaints)
    assert [(v.stage, v.ended, v.within) for v in visits.itertuples()] == [
        ("brm", "resolved", True)]


def test_repeated_outages_make_a_complaint_major_only_inside_the_window(tmp_path):
    """Fails if the repeated-outage rule counts tickets outside its window, counts other
    severities, or does not make the complaint major (or starts it at the wrong stage)."""
    # One L1 agent, 30 minutes each. T0 minor 0-30; T1 critical (1) 30-60; T3 critical (40)
    # 60-90; T4 critical (41) 90-120; T5 minor (42, does not count). Each critical is engaged
    # late: complaints at 30 (about T1), 60 (T3) and 90 (T4). Rule: 3 critical tickets of the
    # contract within the last 60 minutes.
    #   at 30: window [-30, 30]: T1                  -> 1: ordinary, to care
    #   at 60: window [0, 60]:   T1, T3, T4          -> 3: major, to head (the major stage)
    #   at 90: window [30, 90]:  T3, T4 (T1 left it) -> 2: ordinary
    major = {"repeated": {"tickets": 3, "within": "60m", "severities": ["critical"]},
             "stage": "head"}
    result = run_trace(tmp_path, LATE + "40,telco,critical,fault\n41,telco,critical,fault\n"
                       "42,telco,minor,fault", staged(major=major))
    rows = raw_log(result)
    raised = [(m, d) for _, m, e, _, d in rows if e == "complaint_raised"]
    assert raised == [(30, "response"), (60, "response"), (90, "response")]
    arrived = {t: m for t, m, e, _, d in rows if e == "arrived" and d == "complaint"}
    first: dict[int, str] = {}
    for t, _, e, u, _ in rows:
        if e == "queued" and t in arrived:
            first.setdefault(t, u)
    majors = [(arrived[t], d) for t, _, e, _, d in rows if e == "complaint_major"]
    assert majors == [(60, "repeated")]
    assert [first[t] for t in sorted(arrived, key=arrived.__getitem__)] == ["care", "head",
                                                                           "care"]


def test_callbacks_take_the_named_teams_agent_time_and_carry_the_survey(tmp_path):
    """Fails if a callback takes no agent time, is not queued at its team, is written at its
    due time instead of when an agent has made it, or if the survey is not answered with a
    100% response share."""
    # T0 resolved and closed at 30, T1 at 60; callbacks due 1h later (90, 120) at care (one
    # agent, 40 minutes each): T0's 90-130; T1's queues at 120 and is made 130-170.
    sets = {"organisation.teams": {"care": team({"default": "40m"})},
            "organisation.callback": {"share": 1, "after": "1h", "team": "care",
                                      "handling": {"fixed": {"value": "40m"}},
                                      "survey": {"response": 1}}}
    result = run_trace(tmp_path, LATE.replace("critical", "minor"), sets)
    check_log(result, """
    0   0  arrived          -     technical
    0   0  entitled         -     entitled
    0   0  queued           L1    -
    0   0  engaged          L1    first
    1   1  arrived          -     technical
    1   1  entitled         -     entitled
    1   1  queued           L1    -
    0  30  resolved         L1    -
    0  30  closed           -     -
    1  30  engaged          L1    first
    1  60  resolved         L1    -
    1  60  closed           -     -
    0  90  queued           care  -
    0  90  engaged          care  -
    1 120  queued           care  -       # the agent is on T0's callback
    0 130  callback         care  -
    0 130  survey_answered  care  -
    1 130  engaged          care  -
    1 170  callback         care  -
    1 170  survey_answered  care  -
    """)
    sess = sessions(result.events(), result.replications[0].horizon_min)
    care = sess[sess["unit"] == "care"]
    assert care[["ticket", "start", "end"]].values.tolist() == [[0, 90, 130], [1, 130, 170]]


# -- the score model ----------------------------------------------------------------------

def _log(rows: list[tuple[int, float, str, str]], levels: dict[int, str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["ticket", "time_min", "event", "unit"])
    frame.insert(0, "replication", 0)
    frame["level"] = frame["ticket"].map(levels)
    frame["kind"] = "technical"
    return frame


def test_the_score_of_tickets_with_known_outcomes_is_the_hand_computed_one():
    """Fails if a penalty is applied with the wrong sign or weight, if waits are not in days,
    if the callback's own queue counts as a customer wait, if a survey not answered is
    scored, or if the score is not clipped to 1-5."""
    events = _log([
        # T0: waited 30 min at L1; response breached; callback queued 60 min at care
        (0, 0, "queued", "L1"), (0, 30, "engaged", "L1"), (0, 60, "resolved", "L1"),
        (0, 60, "closed", ""), (0, 1500, "queued", "care"), (0, 1560, "engaged", "care"),
        (0, 1570, "callback", "care"), (0, 1570, "survey_answered", "care"),
        # T1: 1 day at L2, reopened (10 min at L1 then), a complaint, two breached clocks
        (1, 0, "queued", "L1"), (1, 0, "engaged", "L1"), (1, 10, "handed_over", "L1"),
        (1, 10, "queued", "L2"), (1, 1450, "engaged", "L2"), (1, 1500, "complaint_raised", ""),
        (1, 1500, "resolved", "L2"), (1, 1500, "closed", ""), (1, 2000, "reopened", "L1"),
        (1, 2000, "queued", "L1"), (1, 2010, "engaged", "L1"), (1, 2040, "resolved", "L1"),
        (1, 2040, "closed", ""), (1, 3480, "callback", ""), (1, 3480, "survey_answered", ""),
        # T2: a callback without an answer
        (2, 0, "queued", "L1"), (2, 0, "engaged", "L1"), (2, 30, "resolved", "L1"),
        (2, 30, "closed", ""), (2, 1470, "callback", ""),
    ], {0: "gold", 1: "platinum", 2: "gold"})
    clocks = pd.DataFrame({"replication": 0, "ticket": [0, 0, 1, 1, 1, 2],
                           "clock": ["response", "resolve", "response", "restore", "resolve",
                                     "response"],
                           "breached": [True, False, False, True, True, True]})
    got = outcomes(events, clocks)
    assert got[["ticket", "level", "missed", "reopens", "complained"]].values.tolist() == [
        [0, "gold", 1, 0, 0], [1, "platinum", 2, 1, 1]]
    assert got["wait_days"].tolist() == pytest.approx([30 / 1440, (1440 + 10) / 1440])
    spec = Score(base=4.5, per_missed_clock=0.8, per_wait_day=0.3, per_reopen=0.6,
                 complaint=1.0, noise=0.5)
    # T0: 4.5 - 0.8*1 - 0.3*(30/1440) + 0.5*0.2 = 3.79375
    # T1: 4.5 - 0.8*2 - 0.3*(1450/1440) - 0.6 - 1.0 + 0.5*(-1) = 0.49792 -> clipped to 1
    assert score(got, spec, np.array([0.2, -1.0])).tolist() == pytest.approx([3.79375, 1.0])
    # the top clip: a perfect ticket with a large positive noise stays at 5
    assert score(got.iloc[:1].assign(missed=0, wait_days=0.0), spec,
                 np.array([3.0])).tolist() == [5.0]


def test_survey_response_share_and_score_match_their_inputs():
    """Fails if the response share or the score noise drift from their inputs (a biased or
    reused stream, the wrong scale), or if --check does not judge the satisfied share."""
    # No penalties: score = clip(3.8 + 0.5 z, 1, 5). Its mean is 3.8 less the top clip,
    # 0.5 (phi(2.4) - 2.4 (1 - Phi(2.4))) = 0.00136; satisfied (>= 4): P(z >= 0.4) = 0.3446.
    result = run_scenario(load_scenario(SURVEY))
    analysis = analyse(result)
    sat = analysis.summary["satisfaction"]
    top = 0.5 * (stats.norm.pdf(2.4) - 2.4 * stats.norm.sf(2.4))
    mean_expected, share_expected = 3.8 - top, stats.norm.sf(0.4)
    answered = sat["response"]["answered"]
    assert answered > 2500  # 4 replications x 2 measured weeks x 1,000 tickets x 40%
    callbacks = answered / sat["response"]["mean"]
    assert abs(sat["response"]["mean"] - 0.40) < 4 * math.sqrt(0.4 * 0.6 / callbacks)
    cell = sat["levels"]["platinum"]
    assert abs(cell["score"]["mean"] - mean_expected) < 4 * 0.5 / math.sqrt(answered)
    share_se = math.sqrt(share_expected * (1 - share_expected) / answered)
    assert abs(cell["satisfied"]["share"] - share_expected) < 4 * share_se
    lo, hi = cell["satisfied"]["ci95"]
    assert hi - lo < 0.06  # a bounded interval
    assert cell["satisfied"]["verdict"] == "met"  # 34% against a 30% target
    verdicts = {v.info.key: v.verdict for v in target_verdicts(result, analysis, False)}
    assert verdicts["satisfaction.platinum.satisfied"] == "met"
    stricter = replace(result, loaded=load_scenario(
        SURVEY, {"organisation.callback.survey.target": "50%"}))
    verdicts = {v.info.key: v.verdict for v in target_verdicts(stricter, analysis, False)}
    assert verdicts["satisfaction.platinum.satisfied"] == "missed"  # what --check fails on
    section = complaints_and_satisfaction(SimpleNamespace(kpis=analysis.summary))
    assert f"<td>platinum</td><td>{cell['score']['mean']:.2f}</td>" in section
    assert "<td>care</td>" in section and "<td>head</td>" in section


# -- bad input ----------------------------------------------------------------------------

def _bad(tmp_path: Path, old: str, new: str) -> tuple[list[Any], int]:
    """survey.yaml with ``old`` replaced by ``new``; the errors and the changed line."""
    text = SURVEY.read_text()
    assert old in text
    text = text.replace(old, new).replace("../../../sla_catalog", str(
        Path(__file__).parent.parent / "sla_catalog"))
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    line = text[:text.index(new)].count("\n") + 1 + new[:len(new) - len(new.lstrip("\n"))] \
        .count("\n")
    return [d for d in validate_file(path) if d.level is Level.ERROR], line


@pytest.mark.parametrize(("old", "new", "fragment"), [
    ("{team: brm, limit: 3bd}", "{team: brn, limit: 3bd}", "unknown team 'brn'; did you mean"),
    ("{team: head, limit: 5bd}", "{team: head, limit: 2bd}", "is not longer than stage 1's"),
    ("{team: head, limit: 5bd}", "{team: brm, limit: 5bd}", "already an earlier stage"),
    ("score: {base: 3.8,", "score: {base: 6,", "less than or equal to 5"),
    ("noise: 0.5}", "noise: -1}", "greater than or equal to 0"),
    ("vip: [telco]", "vip: [telcom]", "unknown customer 'telcom'"),
    ("handling: {fixed: {value: 10m}}", "handling: null", "take no time"),
    ("stage: brm}", "stage: sales}", "unknown stage team 'sales'"),
])
def test_bad_complaint_and_survey_input_is_rejected_at_its_line(tmp_path, old, new, fragment):
    """Fails if a mistake in the stages, the major rules or the survey is accepted, or is
    reported without its line."""
    found, line = _bad(tmp_path, old, new)
    matching = [d for d in found if fragment in d.message]
    assert matching, [str(d) for d in found]
    assert any(d.line == line for d in matching), [str(d) for d in matching]


def test_bad_stage_input_exits_2_with_file_line_and_path(tmp_path):
    """Fails if a bad stage ends in a traceback or a status other than 2."""
    _bad(tmp_path, "{team: brm, limit: 3bd}", "{team: brn, limit: 3bd}")
    result = CliRunner().invoke(cli_main.app, ["run", str(tmp_path / "bad.yaml"), "-n", "1"])
    assert result.exit_code == 2
    assert re.search(r"bad\.yaml:\d+: organisation\.complaints\.stages\.1\.team: unknown team",
                     result.output), result.output
    assert "Traceback" not in result.output
