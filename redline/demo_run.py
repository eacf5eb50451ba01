"""``make demo``: generate the demo region and run every capability on it, printing where outputs are.

Run as ``python -m redline.demo_run --out DIR``. Each step is an ordinary ``redline`` command; a step that
reports findings (exit code 1) is expected for audits and checks of the deliberately flawed demo data.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path


def run(args: list[str], cwd: Path, out: Path | None = None) -> int:
    print(f"\n$ redline {' '.join(shlex.quote(a) for a in args)}", flush=True)
    cmd = [sys.executable, "-m", "redline.cli", *args]
    if out is None:
        code = subprocess.call(cmd, cwd=cwd)
    else:
        with open(out, "w", encoding="utf-8") as f:
            code = subprocess.call(cmd, cwd=cwd, stdout=f)
        print(f"  → {out}")
    print(f"  (exit {code}{': findings reported' if code == 1 else ''})", flush=True)
    return code


def serve_command(root: Path) -> str:
    """The command that serves the demo region's web app (``redline serve``), as the user types it."""
    exe = Path(sys.executable).with_name("redline")
    try:
        exe_text = str(exe.relative_to(Path.cwd())) if exe.exists() else "redline"
    except ValueError:
        exe_text = str(exe)
    return f"{shlex.quote(exe_text)} serve --project {shlex.quote(str(root / 'redline.toml'))}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="demo-out", help="folder for the demo region and outputs")
    ns = ap.parse_args(argv)
    root = Path(ns.out).resolve()
    failures = []

    def step(args, out=None, cwd=None):
        code = run(args, cwd or root, out)
        if code not in (0, 1):
            failures.append(" ".join(args))

    step(["demo", "--out", str(root)], cwd=Path.cwd())
    if failures:
        return 2
    outputs = root / "outputs"
    outputs.mkdir(exist_ok=True)
    step(["inspect", "data/生态保护红线.shp"])
    for txt in sorted((root / "sites").glob("*.txt"))[:1]:
        step(["inspect", str(txt.relative_to(root))])
    step(["area", "red_line", "--by-zones", "townships", "--unit", "ha",
          "--xlsx", "outputs/红线面积统计.xlsx"])
    step(["area", "red_line", "--by-zones", "townships", "--json"], out=outputs / "area.json")
    step(["audit", "--xlsx", "outputs/audit.xlsx"])
    step(["audit", "--json"], out=outputs / "audit.json")
    landcover = root / "data" / "landcover.tif"
    if landcover.exists():
        step(["raster-share", "data/landcover.tif", "--zones", "townships"])
    plan = root / "示范县生态保护规划.txt"
    if plan.exists():
        step(["audit-text", plan.name, "--project", "redline.toml"])
    step(["check", "sites", "--out", "outputs/check"])
    step(["check", "sites", "--engine", "dask", "--workers", "2", "--no-maps", "--out", "outputs/check_dask"])
    step(["check", "sites/项目选址.gpkg", "--stream", "--chunk-size", "4", "--out", "outputs/check_stream"])
    step(["map", "--out", "outputs/web_map.html", "--png", "outputs/print_map_A4.png", "--pdf",
          "outputs/print_map_A4.pdf"])
    step(["map", "--no-layout", "--out", "outputs/附图.html", "--pdf", "outputs/附图_A3.pdf", "--paper", "A3"])
    step(["map", "--layers", "base", "--out", "outputs/结构图.html", "--png", "outputs/结构图.png",
          "--pdf", "outputs/结构图.pdf"])
    check_json = outputs / "check" / "check.json"
    if check_json.exists():
        step(["verify", str(check_json.relative_to(root))])

    print("\n" + "=" * 72)
    print(f"demo region and project file: {root / 'redline.toml'}")
    print(f"outputs:                      {outputs}")
    for p in sorted(outputs.rglob("*")):
        if p.is_file():
            print(f"  {p.relative_to(root)}")
    print(f"\nweb app (选址分析 in a browser): {serve_command(root)}")
    print("  then open http://127.0.0.1:8765/ (this machine only; Ctrl-C stops it)")
    if failures:
        print("\nsteps that failed: " + "; ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
