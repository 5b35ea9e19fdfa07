"""Streaming mode: the same KPIs as the full log, from a log that holds only open tickets."""

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from itr_sim.cli.main import app
from test_engine import generated_arrivals as generated
from typer.testing import CliRunner

from itr_sim.analysis.streaming import run_streaming
from itr_sim.analysis.summary import analyse
from itr_sim.engine.replicate import run_scenario
from itr_sim.model.load import load_scenario

BASELINE = Path(__file__).parent.parent / "scenarios" / "baseline.yaml"


def same(streamed, full, path=""):
    """Every number the streamed summary has equals the full summary's."""
    if isinstance(streamed, dict):
        for key, value in streamed.items():
            if key not in ("metadata", "streamed", "peak_log_rows"):
                assert key in full, f"{path}.{key} not in the full summary"
                same(value, full[key], f"{path}.{key}")
    elif isinstance(streamed, list):
        assert len(streamed) == len(full), path
        for i, (a, b) in enumerate(zip(streamed, full, strict=True)):
            same(a, b, f"{path}[{i}]")
    elif isinstance(streamed, float) and isinstance(full, float):
        assert streamed == pytest.approx(full, rel=1e-9, abs=1e-9), path
    else:
        assert streamed == full, path


def test_streamed_kpis_equal_the_full_analysis():
    loaded = load_scenario(BASELINE, sets={"replications": 3})
    result, streamed = run_streaming(loaded, jobs=2)  # the sink goes to worker processes
    full = run_scenario(loaded)
    summary = analyse(full).summary
    same(streamed, summary)
    assert set(streamed["sla"]) == set(summary["sla"]) and streamed["services"]
    assert len(result.replications[0].log) == 0  # nothing kept
    assert result.replications[0].streamed["chunks"] == 13  # one per simulated week
    # tickets after the warm-up per kind, against what the arrival process drew (and the
    # complaints the full log raised after the warm-up): fails if streaming mode loses,
    # duplicates or misflags tickets even where the full analysis does the same
    sc = loaded.scenario
    drawn: Counter = Counter()
    for child in np.random.SeedSequence(sc.seed).spawn(3):
        for (rtype, warm), n in generated(loaded, child).items():
            if not warm:
                drawn[loaded.catalog.request_types[rtype].kind.value] += n
    events = full.events()
    raised = events[(events["event"] == "complaint_raised")
                    & (events["time_min"] >= sc.warmup.minutes)]
    drawn["complaint"] = len(raised)
    kinds = streamed["tickets"]["by_kind"]
    assert {k: v["arrived"] * 3 for k, v in kinds.items()} == pytest.approx(dict(drawn))


class Recorder:
    """A sink that keeps every chunk it is handed."""

    def __init__(self, replication: int) -> None:
        self.chunks: list[tuple[pd.DataFrame, pd.DataFrame]] = []

    def consume(self, events: pd.DataFrame, tickets: pd.DataFrame) -> None:
        self.chunks.append((events, tickets))

    def result(self) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
        return self.chunks


def test_chunks_hand_over_every_ticket_once_closed_before_the_end():
    """Fails if streaming mode loses or repeats a ticket or a row, hands over a ticket
    before it is closed or splits its rows across chunks, or flags the warm-up wrongly:
    the chunks against the arrival process's own draws, per request type and side of the
    warm-up, and against the full log of the same seed."""
    loaded = load_scenario(BASELINE, sets={"replications": 1, "horizon": "6w"})
    sc = loaded.scenario
    chunks = run_scenario(loaded, sink=Recorder).replications[0].streamed
    assert len(chunks) == 6  # weekly flushes at 1w to 5w, and the rest at the horizon
    for i, (events, tickets) in enumerate(chunks):
        assert set(events["ticket"]) == set(tickets["ticket"]), i
        closed = set(events.loc[events["event"] == "closed", "ticket"])
        assert set(tickets.loc[tickets["closed"], "ticket"]) == closed, i
        if i < len(chunks) - 1:
            assert tickets["closed"].all(), i
    events = pd.concat([e for e, _ in chunks], ignore_index=True)
    tickets = pd.concat([t for _, t in chunks], ignore_index=True)
    assert tickets["ticket"].is_unique
    assert not chunks[-1][1]["closed"].all()  # some tickets are still open at the end
    raised = events.loc[events["event"] == "complaint_raised", "time_min"]
    expected = generated(loaded, np.random.SeedSequence(sc.seed).spawn(1)[0])
    expected[("complaints", True)] = int((raised < sc.warmup.minutes).sum())
    expected[("complaints", False)] = int((raised >= sc.warmup.minutes).sum())
    got = Counter(zip(tickets["type"].astype(str), tickets["warmup"], strict=True))
    assert got == +expected
    full = run_scenario(loaded).events()
    columns = list(events.columns)

    def rows(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[columns].astype(str).sort_values(columns).reset_index(drop=True)

    pd.testing.assert_frame_equal(rows(events), rows(full))


def test_streamed_log_stays_small_as_the_horizon_grows():
    rows = {}
    for horizon in ("13w", "52w"):
        loaded = load_scenario(BASELINE, sets={"replications": 1, "horizon": horizon})
        result, _ = run_streaming(loaded)
        rows[horizon] = (result.replications[0].peak_log_rows,
                         len(result.replications[0].tickets))
    (peak13, tickets13), (peak52, tickets52) = rows["13w"], rows["52w"]
    assert tickets52 > 3.5 * tickets13
    # the full log grows with tickets (about 7.6 rows each); the streamed one with the
    # open tickets of one week, which do not grow with the horizon
    assert peak52 < 1.3 * peak13 < 0.2 * 7 * tickets13


def test_run_stream_writes_the_kpis_and_no_log(tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", str(BASELINE), "--stream", "-n", "2", "--json",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    kpis = json.loads(result.stdout)
    assert kpis["streamed"] and kpis["sla"]["platinum"]["critical"]["restore"]["n"] > 0
    assert sorted(p.name for p in out.iterdir()) == ["kpis.json", "metadata.json"]
