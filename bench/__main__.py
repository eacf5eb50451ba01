"""``python -m bench [--quick] [--only NAME ...]``: run the benchmarks, print the table, write results.json."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import bench


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return bench._child_main(argv[1:])
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="about 1/20 of the sizes (a fast look)")
    p.add_argument("--size", choices=bench.SIZES, help="full (default), quick, or tiny (the smoke test)")
    p.add_argument("--only", action="append", metavar="NAME",
                   help=f"run only this workload (repeatable): {', '.join(bench.workload_names())}")
    p.add_argument("--out", type=Path, default=bench.RESULTS, help="results JSON (default bench/results.json)")
    p.add_argument("--data-dir", type=Path, default=bench.DEFAULT_CACHE,
                   help="where generated inputs are cached (default ~/.cache/redline-bench)")
    p.add_argument("--in-process", action="store_true",
                   help="no subprocess per implementation (faster, but no peak memory)")
    p.add_argument("--list", action="store_true", help="list the workloads and exit")
    a = p.parse_args(argv)
    if a.list:
        for name, w in bench.registry().items():
            print(f"{name:18s} {w.title}")
        return 0
    size = a.size or ("quick" if a.quick else "full")
    results = bench.run_all(a.only, size, cache=a.data_dir, out=a.out, isolate=not a.in_process,
                            log=lambda s: print(s, file=sys.stderr, flush=True))
    m = results["machine"]
    print(f"\nredline benchmarks ({size} sizes) on {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, "
          f"Python {m['python']}; total {results['total_s']} s\n")
    print(bench.format_table(results))
    print(f"\nwritten: {a.out}")
    failed = any(r.get("errors") for r in results["workloads"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
