"""``itr-sim check``: the regression gate, scenarios against their stored baselines."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from itr_sim.cli.baseline import simulate
from itr_sim.cli.output import github_annotation

from itr_sim.analysis.compare import run_kpis
from itr_sim.analysis.regression import Tolerance, compare_tables, identical, parse_tolerance
from itr_sim.files import check_target, marked, write_atomic
from itr_sim.model.load import load_scenario
from itr_sim.model.source import ScenarioError
from itr_sim.report.baseline import (
    BaselineError,
    baseline_path,
    describe_versions,
    inputs_hash,
    read_baseline,
)
from itr_sim.report.gate import ScenarioCheck, junit_xml, markdown, text_lines
from itr_sim.report.gate import annotations as gate_annotations

EXIT_REGRESSION = 1
EXIT_BAD_INPUT = 2


def check_one(scenario: Path, folder: Path, tolerances: tuple[tuple[str, Tolerance], ...], *,
              allow_changed: bool = False, seed: int | None = None, jobs: int = 1
              ) -> ScenarioCheck:
    """Re-run one scenario with its baseline's seed and replications and judge every KPI."""
    try:
        loaded = load_scenario(scenario)
    except ScenarioError as exc:
        for diagnostic in exc.diagnostics:
            typer.echo(str(diagnostic), err=True)
        return ScenarioCheck(scenario.stem, str(scenario), "error",
                             message="the scenario is not valid (see the diagnostics above)")
    name = loaded.scenario.scenario
    path = baseline_path(folder, scenario)
    store = f"itr-sim baseline {scenario} --to {folder}"
    try:
        stored = read_baseline(path)
    except BaselineError as exc:
        if not path.exists():
            return ScenarioCheck(name, str(scenario), "error", message=(
                f"{path}: no baseline for this scenario; store one and commit it: `{store}`"))
        return ScenarioCheck(name, str(scenario), "error", message=str(exc))
    if stored.scenario != name:
        return ScenarioCheck(name, str(scenario), "error", message=(
            f"{path} is the baseline of scenario {stored.scenario!r} ({stored.scenario_file}), "
            f"not of {name!r}; give the right --baseline folder, or store this scenario's "
            f"baseline with `{store} --force`"))
    notes = []
    now_hash = inputs_hash(loaded)
    if now_hash != stored.inputs_hash:
        changed = (f"the scenario, its catalogue or its trace changed since {path} was stored "
                   f"(inputs hash {stored.inputs_hash[:12]} -> {now_hash[:12]})")
        if not allow_changed:
            return ScenarioCheck(name, str(scenario), "error", message=(
                f"{changed}; if the change is deliberate, store a new baseline and commit it "
                f"with the change: `{store} --force`; to compare with the old baseline "
                f"anyway, pass --allow-changed-scenario"))
        notes.append(f"{changed}; compared anyway (--allow-changed-scenario)")
    run_seed = stored.seed if seed is None else seed
    result, analysis = simulate(loaded, seed=run_seed, replications=stored.replications,
                                jobs=jobs)
    values = run_kpis(result, analysis)
    paired = run_seed == stored.seed
    same = paired and identical(stored.values, values)
    changes = compare_tables(stored.values, values, paired=paired, tolerances=tolerances)
    versions = describe_versions(stored, result.metadata.get("versions", {}))
    if versions and not same:
        notes.append("versions differ from the baseline's, which alone can change results: "
                     + ", ".join(versions))
    status = "regression" if any(c.verdict == "regression" for c in changes) else "pass"
    return ScenarioCheck(name, str(scenario), status, same, changes, notes=notes,
                         seed=run_seed, replications=stored.replications)


def check(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario YAML files.")],
    baseline: Annotated[Path, typer.Option(
        "--baseline", help="Folder of the baseline files (written by `itr-sim baseline`).")],
    tolerance: Annotated[list[str] | None, typer.Option(
        help="Practical tolerance KPI=VALUE (repeatable; KPI may be a pattern such as "
        "sla.*): 2pt percentage points, 5% relative, or a number in the KPI's unit.")] = None,
    junit: Annotated[Path | None, typer.Option(
        help="Write a JUnit XML report (one test case per scenario and KPI).")] = None,
    markdown_file: Annotated[Path | None, typer.Option(
        "--markdown", help="Write a Markdown summary (for a CI job page or a review).")] = None,
    github: Annotated[bool, typer.Option(
        help="Print ::error annotations for GitHub Actions.")] = False,
    allow_changed_scenario: Annotated[bool, typer.Option(
        help="Compare with a baseline stored before the scenario or its catalogue changed.")
    ] = False,
    seed: Annotated[int | None, typer.Option(
        min=0, help="Run with this seed instead of the baseline's (an unpaired Welch test; "
        "for measuring false alarms).")] = None,
    jobs: Annotated[int, typer.Option(
        "--jobs", "-j", min=1, help="Replications in parallel (local processes).")] = 1,
    force: Annotated[bool, typer.Option(
        help="Let --junit/--markdown replace a file that is not an earlier check report.")
    ] = False,
) -> None:
    """Re-run each scenario with its baseline's seed and replications and fail on a
    regression: a KPI that changed in its bad direction, significantly after
    Benjamini-Hochberg control across the KPIs, by more than its tolerance (docs/ci.md).

    Exit 0 pass, 1 a regression, 2 bad input: no baseline, another scenario's, or a scenario
    changed since its baseline (without --allow-changed-scenario)."""
    try:
        tolerances = tuple(parse_tolerance(t) for t in tolerance or [])
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    for path, mark, example in ((junit, b'<testsuites name="itr-sim check"', "check.xml"),
                                (markdown_file, b"# itr-sim check", "check.md")):
        if path is not None and (problem := check_target(
                path, force or marked(path, mark, within=512), example=example)):
            typer.echo(f"error: {problem}", err=True)
            raise typer.Exit(EXIT_BAD_INPUT)
    if not baseline.is_dir():
        typer.echo(f"error: {baseline}: no such folder of baselines; store them with "
                   f"`itr-sim baseline SCENARIO... --to {baseline}`", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    checks = []
    for scenario in scenarios:
        one = check_one(scenario, baseline, tolerances, allow_changed=allow_changed_scenario,
                        seed=seed, jobs=jobs)
        checks.append(one)
        for line in text_lines(one):
            typer.echo(line, err=one.status == "error")
    if junit is not None:  # an earlier report of this command is replaced, atomically
        write_atomic(junit, junit_xml(checks))
    if markdown_file is not None:
        write_atomic(markdown_file, markdown(checks))
    if github:
        for kind, file, title, message in gate_annotations(checks):
            typer.echo(github_annotation(kind, message, file=file, title=title))
    failed = sum(c.status == "regression" for c in checks)
    errors = sum(c.status == "error" for c in checks)
    typer.echo(f"{len(checks)} scenario(s) checked: {len(checks) - failed - errors} passed, "
               f"{failed} with regressions, {errors} not checked", err=True)
    if errors:
        raise typer.Exit(EXIT_BAD_INPUT)
    if failed:
        raise typer.Exit(EXIT_REGRESSION)

