"""The package as it is shipped: one top-level name, imports that follow the layering, declared dependencies.

The folders ``layers/``, ``spatial/`` and ``maps/`` ship as ``redline.layers``, ``redline.spatial`` and
``redline.maps`` (PyPI has unrelated packages named ``layers``, ``spatial`` and ``maps``): a bare
``import layers`` anywhere would import the wrong package on a user's machine, or nothing.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIRS = {"layers": "redline.layers", "spatial": "redline.spatial", "maps": "redline.maps",
                "redline": "redline"}
# what each part of the library may import of ours (the README's layout table)
ALLOWED = {
    "redline.layers": set(),
    "redline.spatial": {"redline.layers"},
    "redline.maps": {"redline.layers", "redline.spatial"},
}


def _python_files(*folders: str) -> list[Path]:
    return sorted(p for f in folders for p in (ROOT / f).rglob("*.py") if "__pycache__" not in p.parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import statement in a file."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.lineno, node.module))
    return out


def test_no_bare_import_of_layers_spatial_or_maps():
    bad = [f"{p.relative_to(ROOT)}:{line}: {mod}"
           for p in _python_files("layers", "spatial", "maps", "redline", "tests", "bench")
           for line, mod in _imports(p) if mod.split(".")[0] in ("layers", "spatial", "maps")]
    assert not bad, "bare imports (use redline.layers / redline.spatial / redline.maps):\n" + "\n".join(bad)


@pytest.mark.parametrize("folder", ["layers", "spatial", "maps"])
def test_imports_flow_one_way(folder):
    package = PACKAGE_DIRS[folder]
    bad = []
    for p in _python_files(folder):
        for line, mod in _imports(p):
            if mod == "redline" or mod.startswith("redline."):
                target = ".".join(mod.split(".")[:2])
                if target != package and target not in ALLOWED[package]:
                    bad.append(f"{p.relative_to(ROOT)}:{line}: {mod}")
    assert not bad, f"{package} may import only {sorted(ALLOWED[package]) or 'nothing of ours'}:\n" + "\n".join(bad)


def _declared() -> dict[str, set[str]]:
    """Distribution names (normalised) per group: core and each extra."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    def names(reqs):
        import re

        return {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].strip().lower().replace("_", "-") for r in reqs}

    out = {"core": names(meta["dependencies"])}
    for extra, reqs in meta.get("optional-dependencies", {}).items():
        out[extra] = names(reqs)
    return out


@pytest.mark.parametrize(("folders", "groups"), [
    (("layers", "spatial", "maps", "redline"), ("core", "dask")),
    (("tests",), ("core", "dask", "test", "bench")),
    (("bench",), ("core", "bench")),
])
def test_every_imported_library_is_declared(folders, groups):
    declared = _declared()
    allowed = set().union(*(declared[g] for g in groups))
    dists = packages_distributions()
    missing = []
    for p in _python_files(*folders):
        for line, mod in _imports(p):
            top = mod.split(".")[0]
            if top in sys.stdlib_module_names or top in ("redline", "tests", "bench", "conftest") \
                    or top.startswith("test_"):
                continue
            names = {d.lower().replace("_", "-") for d in dists.get(top, [top])}
            if not names & allowed:
                missing.append(f"{p.relative_to(ROOT)}:{line}: {mod} ({', '.join(sorted(names))})")
    assert not missing, f"imported but not declared in {groups}:\n" + "\n".join(missing)


def test_folium_is_not_a_dependency():
    """The maps use folium-offline (offlinefolium), which inlines Leaflet; plain folium loads it from CDNs."""
    assert "folium" not in _declared()["core"]
    assert not [p for p in _python_files("maps", "redline") for _, m in _imports(p) if m.split(".")[0] == "folium"]


@pytest.mark.slow
def test_wheel_has_one_top_level_name(tmp_path):
    source = tmp_path / "src"       # a copy of the tracked files: the build leaves nothing in the repository
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for rel in files.splitlines():
        if (ROOT / rel).is_file():
            (source / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, source / rel)
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path), str(source)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next(tmp_path.glob("redline-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        top_level = next(n for n in names if n.endswith(".dist-info/top_level.txt"))
        assert z.read(top_level).decode().split() == ["redline"]
        record = z.read(next(n for n in names if n.endswith(".dist-info/RECORD"))).decode()
    tops = {line.split(",")[0].split("/")[0] for line in record.splitlines() if line}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"redline"}
    for shipped in ("redline/layers/data/kinds.toml", "redline/spatial/data/rules.toml",
                    "redline/maps/data/styles.toml", "redline/spatial/areas.py", "redline/cli.py"):
        assert shipped in names


def test_help_and_version_load_no_heavy_library():
    """``redline --help`` and ``--version`` start fast: the subcommands (and geopandas, GDAL, PROJ behind
    them) are imported only when one runs. Measured here by what gets imported, not by a clock."""
    code = ("import sys\nfrom click.testing import CliRunner\nfrom redline.cli import main\n"
            "for args in (['--help'], ['--version']):\n"
            "    r = CliRunner().invoke(main, args)\n    assert r.exit_code == 0, r.output\n"
            "heavy = sorted(m for m in ('geopandas', 'pandas', 'numpy', 'shapely', 'pyproj', 'pyogrio')"
            " if m in sys.modules)\nprint(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", out.stdout
