"""Entitlement (KCP1) outcomes end to end: clocks, KPIs, streaming, the CLI and the report.

The hand-worked scenario (tests/data/entitlement) replays seven requests, all at Tuesday
2027-01-05 10:00 local (minute 2040), with fixed handling times (L1: critical 2h, major 3h,
minor 1h; desk 20m). L1 has three agents for the four faults it serves: tickets 0, 1 and 4
are engaged at once, ticket 5 (minor, last in every queue order) waits for the first agent
to finish (tickets 0 and 1, at 12:00):

| ticket | customer (contract) | request | outcome | what happens |
|---|---|---|---|---|
| 0 | paying (active, platinum) | critical fault | entitled | restored + resolved at 12:00 |
| 1 | lapsed (expired) | critical fault | emergency_only | restored and closed at 12:00 |
| 2 | lapsed (expired) | minor fault | rejected | closed at 10:00 |
| 3 | lapsed (expired) | billing | rejected | closed at 10:00 |
| 4 | unknown (no_data) | major fault | best_effort | restored + resolved at 13:00 |
| 5 | unknown (no_data) | minor fault | best_effort | engaged 12:00, resolved 13:00 |
| 6 | unknown (no_data) | billing | best_effort | desk resolves at 10:20 |

So: entitled 1, emergency_only 1, rejected 2, best_effort 3 (7 arrived, all closed). Only
ticket 0 has SLA clocks (platinum critical: response, restore, resolve, update); ticket 6
has the non-technical service's clocks; the others have none. Without an SLA: emergency
restore 2 h (no resolve); best effort major restore = resolve = 3 h, minor 3 h (from
arrival, the 2 h wait included).
OLA at L1 (critical 1h, major 4h, minor 1d) on the 24x7 calendar for tickets without an
SLA: ticket 1 due 11:00, stopped 12:00 -> breached; ticket 4 due 14:00, stopped 13:00 ->
met; ticket 5 due 10:00 the next day -> met; ticket 0 (platinum, 24x7) breached.
"""

import json
import os
from pathlib import Path

import nbformat
import pytest
from itr_sim.cli.main import app
from typer.testing import CliRunner

from itr_sim.analysis.clock_table import run_clocks
from itr_sim.analysis.clocks import evaluate_clocks_per_ticket
from itr_sim.analysis.streaming import run_streaming
from itr_sim.analysis.summary import analyse
from itr_sim.engine.replicate import run_scenario
from itr_sim.model.load import load_scenario

ROOT = Path(__file__).parent.parent
HAND = ROOT / "tests" / "data" / "entitlement" / "scenario.yaml"
BASELINE = ROOT / "scenarios" / "baseline.yaml"
SHORT = {"horizon": "4w", "warmup": "1w"}
STATES = ["active", "expired", "no_data"]
OUTCOMES = ["entitled", "emergency_only", "rejected", "best_effort"]
runner = CliRunner()


@pytest.fixture(scope="module")
def hand():
    result = run_scenario(load_scenario(HAND))
    return result, analyse(result)


def test_hand_worked_counts_per_outcome(hand):
    """Fails if an outcome is counted under another (e.g. emergency-only as rejected), if
    rejected requests are left out, or if complaints/warm-up tickets leak into the counts."""
    _, analysis = hand
    ent = analysis.summary["entitlement"]
    assert {k: (v["arrived"], v["closed"]) for k, v in ent.items()} == {
        "entitled": (1, 1), "emergency_only": (1, 1), "rejected": (2, 2), "best_effort": (3, 3)}
    assert analysis.summary["tickets"]["arrived"] == 7


def test_hand_worked_clocks_of_each_outcome(hand):
    """Fails if tickets without an SLA get SLA clocks (or crash the clock analysis), or if a
    rejected request keeps service clocks that then count as breached."""
    result, analysis = hand
    clocks = run_clocks(result)
    per_ticket = clocks.groupby("ticket")["clock"].apply(lambda c: sorted(map(str, c)))
    assert per_ticket.to_dict() == {
        0: ["resolve", "response", "restore", "update"],
        6: ["resolve", "response"]}                        # the standard non_technical service
    assert list(analysis.summary["sla"]) == ["platinum"]
    assert list(analysis.summary["sla"]["platinum"]) == ["critical"]
    services = analysis.summary["services"]["non_technical"]
    assert all(cell["n"] == 1 and cell["attainment"] == 1.0 for cell in services.values())


def test_reference_evaluator_gives_the_same_clocks(hand):
    """Fails if the per-ticket reference and the array clock table disagree on tickets
    without an SLA or on rejected requests (e.g. one of them keeps service clocks)."""
    result, _ = hand
    rep = result.replications[0]
    reference = evaluate_clocks_per_ticket(result.events(), result.loaded.catalog, rep.origin,
                                           rep.horizon_min)
    table = run_clocks(result)
    assert sorted(zip(reference["ticket"], reference["clock"].astype(str), strict=True)) == \
        sorted(zip(table["ticket"], table["clock"].astype(str), strict=True))


def test_hand_worked_times_without_sla(hand):
    """Fails if emergency or best-effort times are measured from the wrong event (engaged,
    closed), get mixed up between severities or outcomes, or take in entitled tickets."""
    _, analysis = hand
    ent = analysis.summary["entitlement"]
    assert ent["emergency_only"]["times_h"] == {
        "critical": {"restore": {"mean": 2.0, "p50": 2.0, "p90": 2.0, "n": 1}}}
    best = ent["best_effort"]["times_h"]
    assert {sev: {clock: (c["mean"], c["n"]) for clock, c in cells.items()}
            for sev, cells in best.items()} == {
        "major": {"restore": (3.0, 1), "resolve": (3.0, 1)},
        "minor": {"restore": (3.0, 1), "resolve": (3.0, 1)}}
    assert "times_h" not in ent["entitled"] and "times_h" not in ent["rejected"]
    assert set(analysis.tables["no_sla_times"]["outcome"]) == {"emergency_only", "best_effort"}
    times = analysis.summary["times_h"]
    assert times["platinum"]["critical"]["resolve"]["mean"] == 2.0 and list(times) == ["platinum"]


def test_hand_worked_ola_of_tickets_without_sla(hand):
    """Fails if OLA clocks of tickets without a level crash (the KeyError '' of issue 20) or
    do not run on the 24x7 calendar, or if rejected tickets get OLA clocks."""
    _, analysis = hand
    ola = analysis.tables["ola"].set_index("ticket")
    assert sorted(ola.index) == [0, 1, 4, 5]
    assert ola.loc[1, "deadline_min"] == 2040 + 60 and ola.loc[1, "breached"]
    assert ola.loc[4, "deadline_min"] == 2040 + 240 and not ola.loc[4, "breached"]
    assert ola.loc[5, "deadline_min"] == 2040 + 1440 and not ola.loc[5, "breached"]
    assert ola.loc[0, "breached"]


def test_hand_worked_streaming_gives_the_same_entitlement(hand):
    """Fails if streaming mode drops or double-counts the entitlement section."""
    _, analysis = hand
    _, streamed = run_streaming(load_scenario(HAND))
    full, part = analysis.summary["entitlement"], streamed["entitlement"]
    for outcome in OUTCOMES:
        assert part[outcome]["arrived"] == full[outcome]["arrived"]
        assert part[outcome]["closed"] == full[outcome]["closed"]
        for sev, cells in full[outcome].get("times_h", {}).items():
            for clock, cell in cells.items():
                got = part[outcome]["times_h"][sev][clock]
                assert got == {"mean": pytest.approx(cell["mean"]), "n": cell["n"]}


def _expected_outcome(contract: str, severity: object) -> str:
    """KCP1 as docs/engine.md states it, written out independently of rules/entitlement."""
    if contract == "no_data":
        return "best_effort"
    if contract == "expired":
        return "emergency_only" if severity == "critical" else "rejected"
    return "entitled"


@pytest.mark.parametrize("state", STATES)
def test_baseline_with_each_contract_state_accounts_for_every_ticket(state):
    """Fails if a contract state crashes the analysis (issue 20) or if the entitlement
    counts miss tickets: arrived customer tickets (ticket table) = entitled +
    emergency_only + rejected + best_effort, each outcome counted from the ticket
    attributes by the documented rule and, independently, from the event log."""
    loaded = load_scenario(BASELINE, sets={**SHORT,
                                           "demand.customers.operators.contract": state})
    result = run_scenario(loaded, replications=2)
    summary = analyse(result).summary
    ent = summary["entitlement"]
    tickets = result.tickets()
    kept = tickets[~tickets["warmup"] & (tickets["kind"].astype(str) != "complaint")]
    contract = {name: c.contract for name, c in loaded.scenario.demand.customers.items()}
    by_rule = kept.apply(lambda t: _expected_outcome(contract[str(t["customer"])],
                                                     t["severity"]), axis=1).value_counts()
    events = result.events().merge(kept[["replication", "ticket"]], on=["replication", "ticket"])
    logged = events[events["event"] == "entitled"]["detail"].astype(str).value_counts()
    logged["rejected"] = int((events["event"] == "rejected").sum())
    assert sum(ent[o]["arrived"] for o in OUTCOMES) * 2 == len(kept)
    assert summary["tickets"]["arrived"] - summary["tickets"]["by_kind"].get(
        "complaint", {"arrived": 0})["arrived"] == pytest.approx(len(kept) / 2)
    for outcome in OUTCOMES:
        assert ent[outcome]["arrived"] * 2 == by_rule.get(outcome, 0) == logged.get(outcome, 0)
    served = {"active": "entitled", "expired": "rejected", "no_data": "best_effort"}[state]
    assert ent[served]["arrived"] > 0
    if state == "expired":
        assert ent["emergency_only"]["arrived"] > 0
        assert ent["emergency_only"]["times_h"]["critical"]["restore"]["n"] > 0
    if state == "no_data":
        assert ent["best_effort"]["times_h"]["minor"]["resolve"]["n"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("state", ["expired", "no_data"])
def test_cli_run_stream_report_and_compare_with_each_contract_state(state, tmp_path):
    """Fails if `run` (full and --stream), `report` (from the run folder and from the
    scenario) or `compare` fail with a contract state other than active."""
    sets = ["--set", f"demand.customers.operators.contract={state}", "--set", "horizon=4w",
            "--set", "warmup=1w"]
    full = runner.invoke(app, ["run", str(BASELINE), "-n", "2", *sets, "--out",
                               str(tmp_path / "run")])
    assert full.exit_code in (0, 1), full.output
    kpis = json.loads((tmp_path / "run" / "kpis.json").read_text("utf-8"))
    streamed = runner.invoke(app, ["run", str(BASELINE), "-n", "2", "--stream", "--json",
                                   *sets])
    assert streamed.exit_code in (0, 1), streamed.output
    part = json.loads(streamed.stdout)
    for outcome in OUTCOMES:
        assert part["entitlement"][outcome]["arrived"] == kpis["entitlement"][outcome]["arrived"]
    for source in (str(tmp_path / "run"), str(BASELINE)):
        page = tmp_path / "report.html"
        extra = [] if source != str(BASELINE) else ["-n", "1", *sets]
        done = runner.invoke(app, ["report", source, "-o", str(page), *extra])
        assert done.exit_code == 0, done.output
        assert "<h2>Entitlement</h2>" in page.read_text("utf-8")
    short = tmp_path / "short.yaml"  # A: the baseline over four weeks
    short.write_text(f"extends: {os.path.relpath(BASELINE, tmp_path)}\nscenario: short\n"
                     "horizon: 4w\nwarmup: 1w\n", encoding="utf-8")
    compared = runner.invoke(app, ["compare", str(short), "-n", "2", "--json", *sets[:2]])
    assert compared.exit_code == 0, compared.output
    rows = {r["kpi"]: r for r in json.loads(compared.stdout)["kpis"]}
    moved = "entitlement.rejected" if state == "expired" else "entitlement.best_effort"
    assert rows[moved]["a"] == 0 and rows[moved]["b"] > 0


@pytest.mark.slow
def test_quarterly_review_notebook_with_expired_contracts(monkeypatch):
    """Fails if the leaders' notebook breaks when some customers are not entitled."""
    from nbclient import NotebookClient

    book = nbformat.read(ROOT / "notebooks" / "quarterly_review.ipynb", as_version=4)
    setup = book.cells[1]
    assert "REPLICATIONS = None" in setup.source and "SETS = {}" in setup.source
    setup.source = setup.source.replace("REPLICATIONS = None", "REPLICATIONS = 1").replace(
        "SETS = {}", 'SETS = {"demand.customers.operators.contract": "expired", '
                     '"horizon": "4w", "warmup": "1w"}')
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    NotebookClient(book, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    outputs = [o for cell in book.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    shown = "".join(str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "emergency_only" in shown and "rejected" in shown
