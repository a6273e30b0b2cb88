"""Ten million entries (issue 22, item 5): compile, load and annotate with a seeded
10M-entry gazetteer beside the 100k one, measured in the same run.

  python bench/ten_million.py --rubric target/release/rubric [--data DIR] [--repeat 3]

bench/run.sh runs it when RUBRIC_BENCH_10M=1 (it adds about ten minutes on 2 cores).
Generates (bench/generate.py, seed 9, the same stream as the 1M gazetteer) the 100k and
10M gazetteers and the 5 MB corpus unless DIR holds them, then, each under
/usr/bin/time (peak RSS):

- `rubric gazetteer compile` of both: wall time, peak RSS, file size;
- load: `rubric annotate -j 1` on an empty input (start-up, the file mapped and checked),
  best of --repeat;
- `rubric annotate -j 1` of the 5 MB corpus, pinned to CPU 0: best wall time of
  --repeat, the rate (text MB / (wall - load)) and peak RSS, and the 10M rate as a
  ratio of the 100k rate.

Writes DIR/RESULTS-10m.md and prints it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import bench  # bench/bench.py: its runner (/usr/bin/time, taskset), so both time alike

ROOT = Path(__file__).resolve().parents[1]
SIZES = {"100k": 100_000, "10m": 10_000_000}
CORPUS = "5mb"


def log(message: str) -> None:
    print(f"ten-million: {message}", file=sys.stderr, flush=True)


def timed(command: list[str], pin: bool = False) -> tuple[float, float, str]:
    """Runs `command` under /usr/bin/time (bench.py's runner): (wall seconds, peak
    RSS MB, stderr)."""
    done = bench.run(command, pin)
    return done.wall_s, done.rss_mb, done.stderr


def best(command: list[str], repeat: int, pin: bool = False) -> tuple[float, float]:
    runs = [timed(command, pin) for _ in range(repeat)]
    return min(run[0] for run in runs), max(run[1] for run in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rubric", required=True)
    parser.add_argument("--data", type=Path, default=ROOT / "target" / "bench" / "10m")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = args.data
    data.mkdir(parents=True, exist_ok=True)
    manifest_path = data / "manifest.json"
    if not manifest_path.is_file():
        log("generating the 100k and 10M gazetteers and the 5 MB corpus (seed 9)")
        subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), str(data),
                        "--gazetteers", ",".join(str(n) for n in SIZES.values()),
                        "--corpora", "5"], check=True)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    corpus = manifest["corpora"][CORPUS]
    corpus_path, text_mb = data / corpus["path"], corpus["text_bytes"] / 1e6
    empty = data / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    out = data / "out.jsonl"

    rows = {}
    for name in SIZES:
        tsv = data / manifest["gazetteers"][name]["path"]
        rgz = data / f"gazetteer-{name}.rgz"
        log(f"compile {name}")
        compile_s, compile_mb, _ = timed([args.rubric, "gazetteer", "compile", str(tsv),
                                          "-o", str(rgz)])
        annotate = [args.rubric, "annotate", "--no-default-gazetteer", "-g", str(rgz), "-j", "1",
                    "-o", str(out)]
        log(f"load {name}")
        load_s, load_mb = best(annotate + [str(empty)], args.repeat, pin=True)
        log(f"annotate {name} {CORPUS}")
        wall_s, annotate_mb = best(annotate + [str(corpus_path)], args.repeat, pin=True)
        rows[name] = {
            "compile_s": compile_s, "compile_mb": compile_mb,
            "file_mb": rgz.stat().st_size / 1e6, "load_s": load_s, "load_mb": load_mb,
            "wall_s": wall_s, "rate": text_mb / max(wall_s - load_s, 1e-3),
            "annotate_mb": annotate_mb,
        }
    out.unlink(missing_ok=True)

    version = subprocess.run([args.rubric, "--version"], capture_output=True, text=True).stdout
    lines = [
        "# Ten million entries (bench/ten_million.py)",
        "",
        f"{version.strip()}, {platform.machine()}, {platform.processor() or 'cpu'}, "
        f"{len(os.sched_getaffinity(0))} cores; corpus {CORPUS} "
        f"({text_mb:.1f} MB of text), one thread pinned; best of {args.repeat}.",
        "",
        "| entries | compile s | compile peak RSS MB | file MB | load s | load RSS MB "
        "| annotate MB/s | annotate peak RSS MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in rows.items():
        lines.append(f"| {name} | {row['compile_s']:.1f} | {row['compile_mb']:.0f} "
                     f"| {row['file_mb']:.0f} | {row['load_s']:.3f} | {row['load_mb']:.0f} "
                     f"| {row['rate']:.2f} | {row['annotate_mb']:.0f} |")
    ten, hundred = rows["10m"], rows["100k"]
    ratio = ten["rate"] / hundred["rate"]
    checks = [
        ("10M compile ≤ 150 s", f"{ten['compile_s']:.1f} s", ten["compile_s"] <= 150),
        ("10M compile peak RSS ≤ 4 GB", f"{ten['compile_mb'] / 1024:.2f} GB",
         ten["compile_mb"] <= 4096),
        ("10M load ≤ 0.3 s", f"{ten['load_s']:.3f} s", ten["load_s"] <= 0.3),
        ("10M annotate peak RSS ≤ 1.5 GB", f"{ten['annotate_mb'] / 1024:.2f} GB",
         ten["annotate_mb"] <= 1536),
        ("10M annotate rate ≥ 0.7× the 100k rate", f"{ratio:.2f}×", ratio >= 0.7),
    ]
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {what} | {value} | {'yes' if met else 'no'} |" for what, value, met in checks]
    report = "\n".join(lines) + "\n"
    (data / "RESULTS-10m.md").write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
