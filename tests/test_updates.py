"""Progress updates (``organisation.updates``): the engine sends them, the update clock
measures them, staffing and cadence control them; bad input is refused with its line.

The exact traces use tests/data/engine/exact.yaml (one L1 agent around the clock, fixed
handling) with overrides; ``telco`` is platinum, whose critical update target is 1h on a 7x24
calendar. Times are minutes since Monday 2027-01-04 00:00.
"""

from pathlib import Path

import numpy as np
import pytest
from itr_sim.cli import main as cli_main
from scipy import stats
from test_traces import check_log, raw_log, run_trace
from typer.testing import CliRunner

from itr_sim.analysis.clock_table import run_clocks
from itr_sim.analysis.clocks import evaluate_clocks_per_ticket
from itr_sim.engine.replicate import RunResult, run_scenario
from itr_sim.model.load import load_scenario, validate_file
from itr_sim.model.source import Level

DATA = Path(__file__).parent / "data"
DESK = DATA / "updates" / "desk.yaml"
CATALOG = (DATA.parent.parent / "sla_catalog" / "standard.yaml").resolve()

TWO_AGENTS = [{"days": "Mon-Sun", "hours": "00:00-24:00", "agents": 2}]
CRITICAL_3H = {"default": {"fixed": {"value": "30m"}}, "critical": {"fixed": {"value": "3h"}}}


def every(cadence: str, sender: str = "L1", time: str = "5m") -> dict:
    return {"platinum": {"critical": {"cadence": cadence, "sender": sender,
                                      "time": {"fixed": {"value": time}}}}}


def update_row(result: RunResult, ticket: int = 0) -> dict:
    """The ticket's update clock, from the vectorised table, checked against the
    reference evaluator."""
    rep = result.replications[0]
    fast = run_clocks(result)
    slow = evaluate_clocks_per_ticket(result.events(), result.loaded.catalog, rep.origin,
                                      rep.horizon_min)
    rows = [t[(t["ticket"] == ticket) & (t["clock"] == "update")] for t in (fast, slow)]
    assert len(rows[0]) == 1
    for col in ("business_elapsed_min", "deadline_min", "lateness_min", "breached"):
        assert rows[0][col].iloc[0] == pytest.approx(rows[1][col].iloc[0]), col
    return rows[0].iloc[0].to_dict()


# -- exact traces ------------------------------------------------------------------------

def test_updates_every_cadence_by_a_free_agent(tmp_path):
    """Fails if updates are not sent, if the next one is not due a cadence after the last
    was sent (rather than on a fixed grid, or after it was due), if the update's agent time
    is not counted, or if an update is sent after the resolution.
    By hand: T0 (critical, 3h handling) is engaged at 0 by agent 1; agent 2 is free, so the
    update due at 45 is sent at 50, the next due at 95 is sent at 100, then 150; the one due
    at 195 falls after the resolution at 180 and is not sent. Gaps 50, 50, 50, 30: the
    worst is 50 <= 60, the clock is met."""
    result = run_trace(tmp_path, "0,telco,critical,fault", {
        "organisation.tiers.L1.shifts": TWO_AGENTS,
        "organisation.tiers.L1.handling": CRITICAL_3H,
        "organisation.updates": every("45m")})
    check_log(result, """
    0    0  arrived      -   technical
    0    0  entitled     -   entitled
    0    0  queued       L1  -
    0    0  engaged      L1  first
    0   50  update_sent  L1  -
    0  100  update_sent  L1  -
    0  150  update_sent  L1  -
    0  180  restored     L1  -
    0  180  resolved     L1  -
    0  180  closed       -   -
    """)
    row = update_row(result)
    assert row["business_elapsed_min"] == pytest.approx(50.0)
    assert not row["breached"]


def test_an_update_queues_behind_the_sender_s_work(tmp_path):
    """Fails if an update jumps the sender's busy agents (staffing would not matter), or if
    the clock ignores ``update_sent`` or measures a gap other than the longest.
    By hand: T1 (minor, 30m) takes agent 2 at 30-60, so the update due at 45 waits until 60
    and is sent at 65; then due 110 sent 115, due 160 sent 165, due 210 dropped (resolved
    at 180). Gaps 65, 50, 50, 15: worst 65 > 60, breached by 5 minutes; the deadline is the
    worst gap's start (0) plus 1h."""
    result = run_trace(tmp_path, "0,telco,critical,fault\n30,telco,minor,fault", {
        "organisation.tiers.L1.shifts": TWO_AGENTS,
        "organisation.tiers.L1.handling": CRITICAL_3H,
        "organisation.updates": every("45m")})
    check_log(result, """
    0    0  arrived      -   technical
    0    0  entitled     -   entitled
    0    0  queued       L1  -
    0    0  engaged      L1  first
    1   30  arrived      -   technical
    1   30  entitled     -   entitled
    1   30  queued       L1  -
    1   30  engaged      L1  first
    1   60  resolved     L1  -
    1   60  closed       -   -
    0   65  update_sent  L1  -          # due at 45, agent 2 free at 60
    0  115  update_sent  L1  -
    0  165  update_sent  L1  -
    0  180  restored     L1  -
    0  180  resolved     L1  -
    0  180  closed       -   -
    """)
    row = update_row(result)
    assert row["business_elapsed_min"] == pytest.approx(65.0)
    assert row["breached"] and row["lateness_min"] == pytest.approx(5.0)
    assert row["deadline_min"] == pytest.approx(60.0)


def test_an_update_still_queued_at_the_resolution_is_dropped(tmp_path):
    """Fails if the ticket's own agent could send its update mid-session, or if an update
    due before the resolution is sent after it. By hand: the only agent works on T0 from 0
    to 180; the update due at 45 waits and is dropped at the resolution, so the one gap is
    180 > 60: breached by 120. Other levels' and severities' tickets get no updates (T1,
    platinum minor, has no rule)."""
    result = run_trace(tmp_path, "0,telco,critical,fault\n200,telco,minor,fault", {
        "organisation.tiers.L1.handling": CRITICAL_3H,
        "organisation.updates": every("45m")})
    check_log(result, """
    0    0  arrived      -   technical
    0    0  entitled     -   entitled
    0    0  queued       L1  -
    0    0  engaged      L1  first
    0  180  restored     L1  -
    0  180  resolved     L1  -
    0  180  closed       -   -
    1  200  arrived      -   technical
    1  200  entitled     -   entitled
    1  200  queued       L1  -
    1  200  engaged      L1  first
    1  230  resolved     L1  -
    1  230  closed       -   -
    """)
    row = update_row(result)
    assert row["breached"] and row["lateness_min"] == pytest.approx(120.0)


def test_the_cadence_runs_on_the_ticket_s_coverage_calendar(tmp_path):
    """Fails if the cadence is counted in wall-clock time for a ticket whose coverage closes.
    ``goldco`` is gold (08:00-20:00 daily); a rule for gold major (no update target in the
    catalogue, so no clock, but the updates are still sent) with a 2h cadence, sender a
    second tier ``desk``: T0 (major, 20h handling) arrives at 19:00 (1140) and is engaged
    at once (work in progress continues past the close). The first update is due after 2
    covered hours: 1h before 20:00, 1h after 08:00 the next day = 1980, sent 5m later; then
    due 2105 sent 2110, due 2230 sent 2235; the next would be due at 2355, after the
    resolution at 2340."""
    result = run_trace(tmp_path, "1140,goldco,major,fault", {
        "horizon": "2d",
        "organisation.entry": "L1",
        "organisation.tiers.L1.handling": {"default": {"fixed": {"value": "20h"}}},
        "organisation.tiers.desk": {
            "shifts": [{"days": "Mon-Sun", "hours": "00:00-24:00", "agents": 1}],
            "handling": {"default": {"fixed": {"value": "5m"}}}},
        "organisation.updates": {"gold": {"major": {
            "cadence": "2h", "sender": "desk", "time": {"fixed": {"value": "5m"}}}}}})
    sent = [r for r in raw_log(result) if r[2] == "update_sent"]
    assert [r[1] for r in sent] == pytest.approx([1985.0, 2110.0, 2235.0])


# -- staffing and cadence control the update clock ------------------------------------------

def desk_attainment(sets: dict) -> np.ndarray:
    """Update-clock attainment per replication of tests/data/updates/desk.yaml (5 replications,
    same seed: common random numbers between variants)."""
    result = run_scenario(load_scenario(DESK, sets))
    clocks = run_clocks(result)
    tickets = result.tickets()
    kept = clocks.merge(tickets.loc[~tickets["warmup"], ["replication", "ticket"]])
    update = kept[kept["clock"] == "update"]
    assert update.groupby("replication").size().min() > 300
    return 1.0 - update.groupby("replication")["breached"].mean().to_numpy()


def paired_interval(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    d = a - b
    return stats.t.interval(0.95, len(d) - 1, d.mean(), stats.sem(d))


def test_a_second_sender_agent_raises_update_attainment():
    """Fails if update jobs do not queue at the sender (staffing would not matter) or if the
    clock does not count ``update_sent``. About 7 tickets are open at a time, each wanting
    5 minutes of the desk every 50: a load of 0.7 on one agent, whose queueing eats the
    10-minute slack (cadence 45m + 5m under the 1h target) of many gaps; with two agents
    the load per agent is 0.35 and almost no update waits 10 minutes. Paired over 5
    replications with the same seed (common random numbers), the 95% interval of the gain
    lies above 0 and is narrower than 0.25."""
    one = desk_attainment({})
    two = desk_attainment({"organisation.tiers.desk.shifts.0.agents": 2})
    low, high = paired_interval(two, one)
    assert low > 0.0 and high - low < 0.25, (one, two)
    assert two.mean() > 0.99  # almost every gap within the slack


def test_a_shorter_cadence_raises_update_attainment():
    """Fails if the cadence is not what schedules the updates. With two desk agents, a 54m
    cadence leaves 1 minute of slack (54 + 5 under 60), so any wait breaches; a 40m cadence
    leaves 15. Paired (same seed), the gain of the shorter cadence lies above 0."""
    two = {"organisation.tiers.desk.shifts.0.agents": 2}
    short = desk_attainment({**two, "organisation.updates.platinum.critical.cadence": "40m"})
    long = desk_attainment({**two, "organisation.updates.platinum.critical.cadence": "54m"})
    low, high = paired_interval(short, long)
    assert low > 0.05 and high - low < 0.25, (short, long)


# -- bad input ---------------------------------------------------------------------------

SCENARIO = """\
scenario: bad_updates
catalog: {catalog}
start: 2027-01-04
horizon: 1w
seed: 1
organisation:
  tiers:
    L1:
      shifts:
        - {{days: Mon-Sun, hours: "00:00-24:00", agents: 1}}
      handling: {{default: {{fixed: {{value: 30m}}}}}}
  teams:
    idle:
      handles: [billing]
      shifts:
        - {{days: Mon-Fri, hours: "09:00-18:00", agents: 0}}
      handling: {{default: {{fixed: {{value: 30m}}}}}}
  updates:
    {level}:
      {severity}: {{cadence: {cadence}, sender: {sender}, time: {{fixed: {{value: 5m}}}}}}
demand:
  customers:
    telco: {{level: platinum, tickets_per_week: 1}}
  severity_mix: {{critical: 100%}}
  type_mix: {{fault: 100%}}
"""
RULE_LINE = 20


def write(tmp_path: Path, **values: str) -> Path:
    fields = {"catalog": str(CATALOG), "level": "platinum", "severity": "critical",
              "cadence": "45m", "sender": "L1", **values}
    path = tmp_path / "bad.yaml"
    path.write_text(SCENARIO.format(**fields), encoding="utf-8")
    return path


@pytest.mark.parametrize(("values", "line", "message"), [
    ({"sender": "L7"}, RULE_LINE, "unknown tier or team 'L7'"),
    ({"cadence": "0m"}, RULE_LINE, "cadence must be above 0m"),
    ({"level": "bronze"}, RULE_LINE - 1, "unknown level 'bronze'"),
    ({"severity": "urgent"}, RULE_LINE, "unknown severity 'urgent'"),
    ({"sender": "idle"}, RULE_LINE, "no agent in any shift"),
])
def test_bad_updates_are_refused_at_their_line(tmp_path, values, line, message):
    """Fails if an unknown sender, level or severity, a zero cadence or a sender without
    agents is accepted, or is reported without its line."""
    found = [d for d in validate_file(write(tmp_path, **values)) if d.level is Level.ERROR]
    matching = [d for d in found if message in d.message]
    assert matching, [str(d) for d in found]
    assert matching[0].line == line and "organisation.updates" in matching[0].path


def test_the_template_is_valid_and_a_slack_free_cadence_is_warned(tmp_path):
    """Fails if the bad-input template itself is rejected (the cases above would prove
    nothing), or if a cadence that leaves no slack under the update target passes silently."""
    assert [d for d in validate_file(write(tmp_path)) if d.level is Level.ERROR] == []
    warned = [d for d in validate_file(write(tmp_path, cadence="55m"))
              if d.level is Level.WARNING and "not below the update target" in d.message]
    assert warned and warned[0].line == RULE_LINE


def test_the_command_line_exits_2_with_file_and_line(tmp_path):
    """Fails if a bad sender gives a traceback or another exit status than 2."""
    path = write(tmp_path, sender="L7")
    out = CliRunner().invoke(cli_main.app, ["run", str(path), "-n", "1"])
    assert out.exit_code == 2, out.output
    assert f"bad.yaml:{RULE_LINE}:" in out.output and "Traceback" not in out.output
