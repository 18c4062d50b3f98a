"""Run every benchmark module and write docs/benchmarks.md.

Each module ``bench/bench_*.py`` has ``run(quick: bool) -> list[Result]``.
Figures are ratios against a baseline timed in the same run, because
absolute times on shared machines vary from run to run.

    python -m bench            # all benchmarks, full size
    python -m bench --quick    # small sizes, for a smoke run
    python -m bench --only NAME
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import pkgutil
import sys
from datetime import datetime, timezone
from pathlib import Path

from bench.common import Result

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "benchmarks.md"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", help="run only the benchmark module with this name (without bench_)")
    args = parser.parse_args(argv)

    names = sorted(
        module.name for module in pkgutil.iter_modules([str(Path(__file__).parent)]) if module.name.startswith("bench_")
    )
    if args.only:
        names = [name for name in names if name == f"bench_{args.only}"]
    sections: list[str] = []
    failed = False
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"running {name} …", file=sys.stderr)
        results: list[Result] = module.run(args.quick)
        title = (module.__doc__ or name).strip().splitlines()[0]
        short = name.removeprefix("bench_")
        lines = [
            f"## {title}",
            "",
            f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by `python -m bench --only {short}`"
            + (" --quick" if args.quick else "")
            + " (`make bench` runs all).",
            "",
            "| measure | figure | target | met | detail |",
            "| --- | --- | --- | --- | --- |",
        ]
        for result in results:
            failed |= result.passed is False
            if result.passed is None:
                met = "-"
            else:
                met = "yes" if result.passed else "NO"
            lines.append(
                f"| {result.name} | {result.value:.3f} {result.unit} | {result.target} | {met} | {result.detail} |"
            )
            print(f"  {result.name}: {result.value:.3f} {result.unit} (target {result.target})", file=sys.stderr)
        sections.append("\n".join(lines))

    command = "python -m bench"
    if args.quick:
        command += " --quick"
    if args.only:
        command += f" --only {args.only}"
    header = [
        "# Benchmarks",
        "",
        f"Written by `{command}` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC.",
        f"Machine: {machine()}.",
        "",
        "Every figure is a ratio against a baseline timed in the same run, so",
        "that a busy or slow machine moves both sides alike.",
        "",
    ]
    OUTPUT.parent.mkdir(exist_ok=True)
    if args.only and OUTPUT.exists():
        # Keep the other benchmarks' sections and replace only the ones run now.
        kept = {}
        for section in OUTPUT.read_text(encoding="utf-8").split("\n## ")[1:]:
            kept[section.split("\n", 1)[0]] = "## " + section.strip()
        for section in sections:
            kept[section.split("\n", 1)[0][3:]] = section
        sections = list(kept.values())
    OUTPUT.write_text("\n".join(header) + "\n" + "\n\n".join(sections) + "\n", encoding="utf-8")
    print(f"wrote {OUTPUT}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
