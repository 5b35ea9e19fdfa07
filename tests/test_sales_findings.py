"""Sales findings: the verdict on a list price is decided by the floor's interval."""

from __future__ import annotations

import pandas as pd

from itr_sim.analysis.economics import MarginalCost, PriceResult
from itr_sim.analysis.headroom import HeadroomResult, Step
from itr_sim.report.sales import headroom_findings, price_findings


def priced(totals: list[float], list_price: float) -> PriceResult:
    rows = [{"seed": i, "staff": t - 10.0, "parts": 10.0, "fixed": 0.0, "credits": 0.0,
             "total": t} for i, t in enumerate(totals)]
    m = MarginalCost("platinum", "operators", 2, 8, "EUR", 0.95, list(range(len(totals))),
                     "reoptimised", pd.DataFrame(rows))
    return PriceResult("platinum", False, list_price, 0.20, m)


def test_list_price_verdict_follows_the_interval():
    """Totals 100, 200, 300: mean 200, s = 100, t(0.975, 2) = 4.3027, half-width
    4.3027 x 100 / sqrt(3) = 248.4, so the floor's interval is -48 to 448. A list price of
    500 covers it with a margin of at least 1 - 448.4 / 500 = 10%, a 20% margin needs the
    floor / 0.8; 250 lies inside it.
    Totals 990, 1000, 1010 (interval 975 to 1025) against 500: a loss of 475 to 525.
    Fails if the verdict uses the mean alone (250 would then 'cover' 200), or if the loss
    or margin are computed from the wrong end of the interval."""
    covers = price_findings(priced([100.0, 200.0, 300.0], 500.0))
    assert covers[0].startswith("Marginal cost of a platinum contract (+2 on 8, 3 seeds): "
                                "200 EUR a contract-year (95% interval -48 to 448); of which "
                                "staff 190, parts 10, fixed cost 0, expected credits 0.")
    assert covers[1] == "The list price 500 covers the floor: margin at least 10% (mean 60%)."
    assert covers[2] == "A 20% margin needs 250 EUR (-61 to 561)."  # -48.4 / 0.8, 448.4 / 0.8
    assert covers[3].startswith("Caution: only 3 seed(s)")
    for inside in (250.0, 150.0):  # above and below the mean, inside the interval
        found = price_findings(priced([100.0, 200.0, 300.0], inside))
        assert "lies inside the floor's interval" in found[1]
    below = price_findings(priced([990.0, 1000.0, 1010.0], 500.0))
    assert below[1] == ("The list price 500 is below the floor: each contract sold at list "
                        "loses 475 to 525 EUR a year at the margin.")


def test_headroom_findings_name_what_breaks_or_the_bound():
    """Fails if a search that reached its bound is reported as a limit, or if what broke
    first is not named."""
    steps = [Step(1, True, []), Step(2, False, ["restore platinum critical"])]
    found = HeadroomResult("platinum", "operators", "fixed", 8, 8, 1, 16, False, 0.95, 1, 3,
                           "EUR", ["resolve silver minor"], steps)
    assert headroom_findings(found) == [
        "With today's roster, +1 platinum contracts fit on today's 8; the next volume breaks "
        "restore platinum critical.",
        "Already missed today (left out of the rule): resolve silver minor."]
    bound = HeadroomResult("platinum", "operators", "fixed", 8, 8, 16, 16, True, 0.95, 1, 3,
                           "EUR", [], [Step(16, True, [])])
    assert headroom_findings(bound) == [
        "With today's roster, +16 platinum contracts (the search's bound) still keep every "
        "target met today: more may fit."]


def test_price_text_output_states_the_verdict_and_cautions(capsys):
    """The printed price names the verdict on the list price and every caution. Fails if
    the command prints only the figures (a reader then compares a mean with the list
    price) or drops the cautions."""
    from itr_sim.cli.price import _print

    _print(priced([100.0, 200.0, 300.0], 250.0))
    text = capsys.readouterr().out
    assert "lies inside the floor's interval" in text
    assert "caution: only 3 seed(s)" in text


def test_a_stored_price_reads_back_to_the_same_figures():
    """from_json recomputes means and intervals from the per-seed rows: a stored answer
    read back gives the floor, margin and findings it was written with. Fails if a field is
    dropped or mis-typed on the way (e.g. the product flag or the confidence)."""
    import json

    r = priced([100.0, 200.0, 300.0], 500.0)
    back = PriceResult.from_json(json.loads(json.dumps(r.to_json())))
    assert back.floor == r.floor
    assert back.margin_at_list == r.margin_at_list
    assert price_findings(back) == price_findings(r)
    assert back.marginal.confidence == 0.95 and back.product is False


def test_a_stored_answer_for_other_inputs_is_refused(tmp_path):
    """A stored price is quoted only for the inputs it was computed for: one more platinum
    contract in the scenario changes the hash and the answer is refused with the command
    that refreshes it. Fails if the check is skipped or compares something that does not
    change with the inputs."""
    import json
    from pathlib import Path

    import pytest

    from itr_sim.model.load import load_scenario
    from itr_sim.report.baseline import inputs_hash
    from itr_sim.report.sales import StaleAnswer, stored_price

    step = Path(__file__).parent / "data" / "economics" / "step.yaml"
    loaded = load_scenario(step)
    data = {**priced([100.0, 200.0, 300.0], 500.0).to_json(),
            "inputs_hash": inputs_hash(loaded), "command": "itr-sim price step.yaml"}
    path = tmp_path / "answer.json"
    path.write_text(json.dumps(data))
    result, command = stored_price(path, loaded)
    assert result.floor == priced([100.0, 200.0, 300.0], 500.0).floor
    assert command == "itr-sim price step.yaml"
    other = load_scenario(step, {"demand.customers": {
        name: {**c.model_dump(mode="json"), "count": c.count + 1}
        for name, c in loaded.scenario.demand.customers.items()}})
    with pytest.raises(StaleAnswer, match=r"rerun: itr-sim price step\.yaml"):
        stored_price(path, other)
