"""The built wheel works on its own: `pip install` of the wheel, `itr-sim init` and
`itr-sim run` in an empty folder, with nothing read from this source tree."""

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def call(args: list[str], cwd: Path, env_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                          env={"PYTHONPATH": str(env_path), "PATH": "/usr/bin:/bin"},
                          timeout=600)


@pytest.mark.slow
def test_wheel_installs_inits_and_runs_in_an_empty_folder(tmp_path):
    """Fails if the example scenarios or catalogues are not in the wheel, if `init` copies them
    so that the scenarios' relative catalogue paths break, if the version does not come from
    pyproject.toml, or if the LICENSE is not shipped."""
    wheels, target, empty = tmp_path / "dist", tmp_path / "site", tmp_path / "work"
    empty.mkdir()
    # with build isolation: the build gets the setuptools pyproject.toml asks for (a Python
    # 3.11 venv comes with an older one that rejects the SPDX licence string)
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                            "-w", str(wheels), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr
    (wheel,) = wheels.glob("itr_sim-*.whl")
    install = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                              "--target", str(target), str(wheel)],
                             capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr
    assert list(target.glob("itr_sim-*.dist-info/licenses/LICENSE"))

    where = call(["-c", "import itr_sim; print(itr_sim.__file__); print(itr_sim.__version__)"],
                 empty, target)
    module, version = where.stdout.split()
    assert Path(module).is_relative_to(target), "imported from the source tree, not the wheel"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert version == pyproject["project"]["version"]

    init = call(["-m", "itr_sim.cli.main", "init", "."], empty, target)
    assert init.returncode == 0, init.stderr
    shipped = sorted(p.name for p in (ROOT / "scenarios").glob("*.yaml"))
    assert sorted(p.name for p in (empty / "scenarios").glob("*.yaml")) == shipped
    assert (empty / "sla_catalog" / "standard.yaml").read_text("utf-8") == (
        ROOT / "sla_catalog" / "standard.yaml").read_text("utf-8")
    assert (empty / "docs" / "schema" / "scenario.schema.json").is_file()

    again = call(["-m", "itr_sim.cli.main", "init", "."], empty, target)
    assert again.returncode == 2 and "--force" in again.stderr

    run = call(["-m", "itr_sim.cli.main", "run", "scenarios/baseline.yaml", "-n", "2",
                "--json", "--out", "out"], empty, target)
    assert run.returncode == 0, run.stderr
    assert '"scenario": "baseline"' in run.stdout
    assert (empty / "out" / "metadata.json").is_file()
