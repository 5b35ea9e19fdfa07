"""`itr-sim export`: a run folder's event log as XES and as a process-mining CSV.

The exact scenario (tests/data/engine/exact.yaml: one agent around the clock, fixed 30-minute
handling, Asia/Shanghai, start Monday 2027-01-04 00:00) replays three tickets, with a 5-minute
warm-up:

* ticket 0, telco (platinum) critical at minute 0: arrives in the warm-up (left out);
* ticket 1, goldco (gold) minor at minute 10: gold's minor clock runs 08:00-20:00, so the agent
  takes it at 08:00 (minute 480) and resolves and closes it at 08:30 (minute 510);
* ticket 2, shop (silver) minor at minute 10070 (Sunday 23:50): still queued when the week
  ends at minute 10080 (left out as open).
"""

import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from itr_sim.cli.main import app
from typer.testing import CliRunner

from itr_sim.report.export import _timestamps

ROOT = Path(__file__).resolve().parent.parent
EXACT = ROOT / "tests" / "data" / "engine" / "exact.yaml"
NS = {"x": "http://www.xes-standard.org/"}
runner = CliRunner()

# Ticket 1, worked out by hand from the timeline above: (event, local time, group, lifecycle)
TICKET_1 = [
    ("arrived", "2027-01-04T00:10:00.000+08:00", "", "complete"),
    ("entitled", "2027-01-04T00:10:00.000+08:00", "", "complete"),
    ("queued", "2027-01-04T00:10:00.000+08:00", "L1", "schedule"),
    ("engaged", "2027-01-04T08:00:00.000+08:00", "L1", "start"),
    ("resolved", "2027-01-04T08:30:00.000+08:00", "L1", "complete"),
    ("closed", "2027-01-04T08:30:00.000+08:00", "", "complete"),
]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("export")
    trace = base / "trace.csv"
    trace.write_text("time,customer,severity,type\n0,telco,critical,fault\n"
                     "10,goldco,minor,fault\n10070,shop,minor,fault\n", encoding="utf-8")
    folder = base / "run"
    result = runner.invoke(app, ["run", str(EXACT), "--set", f"demand.trace.file={trace}",
                                 "--set", "warmup=5m", "--out", str(folder)])
    assert result.exit_code == 0, result.output
    return folder


def xes_cases(path: Path) -> dict[str, list[tuple[str, str, str, str]]]:
    cases = {}
    for trace in ET.parse(path).getroot().findall("x:trace", NS):
        name = trace.find("x:string[@key='concept:name']", NS).get("value")
        rows = []
        for event in trace.findall("x:event", NS):
            values = {e.get("key"): e.get("value") for e in event}
            rows.append((values["concept:name"], values["time:timestamp"],
                         values.get("org:group", ""), values["lifecycle:transition"]))
        cases[name] = rows
    return cases


def test_xes_holds_the_hand_worked_case_and_leaves_out_warmup_and_open(run_dir, tmp_path):
    """Fails if warm-up or open tickets leak in by default, if events of a case are split,
    reordered or lost, if a timestamp loses its UTC offset or is shifted by the zone, or if
    the lifecycle mapping is wrong."""
    out = tmp_path / "run.xes"
    result = runner.invoke(app, ["export", str(run_dir), "--format", "xes", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 cases, 6 events; left out 1 warm-up and 1 open" in result.output
    assert xes_cases(out) == {"0-1": TICKET_1}
    trace = ET.parse(out).getroot().find("x:trace", NS)
    attributes = {e.get("key"): e.get("value") for e in trace.findall("x:string", NS)}
    assert attributes == {"concept:name": "0-1", "customer": "goldco", "level": "gold",
                          "severity": "minor", "type": "fault", "kind": "technical"}


def test_csv_with_everything_kept_has_every_ticket(run_dir, tmp_path):
    """Fails if --include-warmup/--include-open keep nothing more, or if the CSV's columns
    are not the standard process-mining names."""
    out = tmp_path / "all.csv"
    result = runner.invoke(app, ["export", str(run_dir), "--format", "csv", "-o", str(out),
                                 "--include-warmup", "--include-open"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, keep_default_na=False)
    assert list(table.columns[:5]) == ["case:concept:name", "concept:name", "time:timestamp",
                                       "org:group", "lifecycle:transition"]
    assert table.groupby("case:concept:name").size().to_dict() == {"0-0": 7, "0-1": 6, "0-2": 3}
    one = table[table["case:concept:name"] == "0-1"]
    assert list(one.iloc[:, 1:5].itertuples(index=False, name=None)) == TICKET_1
    open_case = table[table["case:concept:name"] == "0-2"]
    assert open_case["time:timestamp"].tolist() == ["2027-01-10T23:50:00.000+08:00"] * 3


def test_timestamps_carry_the_offset_in_force_at_each_moment():
    """Fails if elapsed minutes are added on the wall clock (no DST) or the offset is fixed at
    the start: Berlin moves from +01:00 to +02:00 at 02:00 on 2027-03-28, so 27 elapsed hours
    after Saturday 00:00 (+01:00) is Sunday 04:00 local, +02:00."""
    # 0.5 s is 0.00833.. minutes, not exact in binary: rounded, not cut, to the millisecond;
    # 2027-10-31 02:30 occurs twice in Berlin: elapsed time tells the two apart
    got = _timestamps([0.0, 27 * 60.0, 0.5 / 60], "2027-03-27T00:00:00", "Europe/Berlin")
    autumn = _timestamps([150.0, 210.0], "2027-10-31T00:00:00", "Europe/Berlin")
    assert autumn.tolist() == ["2027-10-31T02:30:00.000+02:00", "2027-10-31T02:30:00.000+01:00"]
    assert got.tolist() == ["2027-03-27T00:00:00.000+01:00", "2027-03-28T04:00:00.000+02:00",
                            "2027-03-27T00:00:00.500+01:00"]


def test_export_never_replaces_a_file_without_force_and_refuses_a_non_run(run_dir, tmp_path):
    """Fails if an existing file of the user's is overwritten, or a folder that is not a run
    folder gives anything but exit 2."""
    out = tmp_path / "mine.xes"
    out.write_text("keep me", encoding="utf-8")
    refused = runner.invoke(app, ["export", str(run_dir), "-o", str(out)])
    assert refused.exit_code == 2 and "--force" in refused.output
    assert out.read_text("utf-8") == "keep me"
    assert runner.invoke(app, ["export", str(tmp_path), "-o", str(tmp_path / "x.xes")]
                         ).exit_code == 2
    assert runner.invoke(app, ["export", str(run_dir), "--format", "pdf"]).exit_code == 2


def test_escalation_notices_to_managers_are_not_steps_of_the_case(tmp_path):
    """Fails if the ladders' `notified` rows (a run folder's events hold them) reach the
    export as activities: one platinum critical ticket handled for 6 h breaches its 4 h
    restore clock, so the run folder has notices at 2, 3 and 4 h; the case must hold only
    arrived, entitled, queued, engaged, restored, resolved and closed."""
    trace = tmp_path / "t.csv"
    trace.write_text("time,customer,severity,type\n0,telco,critical,fault\n", encoding="utf-8")
    folder = tmp_path / "run"
    done = runner.invoke(app, ["run", str(EXACT), "--set", f"demand.trace.file={trace}",
                               "--set", "organisation.tiers.L1.handling.default="
                               "{fixed: {value: 6h}}", "--format", "csv", "--out",
                               str(folder)])
    assert done.exit_code == 0, done.output
    assert "notified" in (folder / "events.csv").read_text("utf-8")
    out = tmp_path / "one.csv"
    assert runner.invoke(app, ["export", str(folder), "--format", "csv", "-o", str(out)]
                         ).exit_code == 0
    table = pd.read_csv(out, keep_default_na=False)
    assert table["concept:name"].tolist() == ["arrived", "entitled", "queued", "engaged",
                                              "restored", "resolved", "closed"]
