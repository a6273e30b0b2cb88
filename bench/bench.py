"""The side-by-side benchmark of issue 9, run by bench/run.sh (which builds the
binaries and the venv first; run that, not this).

  python bench/bench.py --rubric BIN --bare-scan BIN [--quick | --full]
                        [--repeat N] [--note TEXT] [--news PATH]

1. Generates the data (bench/generate.py, fixed seed) under target/bench/.
2. Runs every tool as its own process on the same files, one after another:
   `rubric annotate` (one thread, pinned to CPU 0 with taskset, and all threads),
   the bare Aho-Corasick scan (crates/gazetteer/examples/bare_scan.rs) and the
   Python matchers of bench/peers.py, each pinned to CPU 0. Peak RSS comes from
   /usr/bin/time (%M), wall time from this script's clock.
3. Prints the report (markdown) and writes it to bench/RESULTS.md (--quick: to
   target/bench/quick/RESULTS.md, so a smoke run never replaces the real one).

Fails, naming the command, if a tool fails or finds no span at all, or if rubric's
one-thread and all-thread outputs differ.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# The data files are named by the generator; the report names them the same way.
from generate import size_name

ROOT = Path(__file__).resolve().parents[1]
PEERS = ["pyahocorasick", "flashtext", "phrasematcher", "entityruler"]
PEER_NAMES = {
    "pyahocorasick": "pyahocorasick (iter_long + boundary check)",
    "flashtext": "FlashText KeywordProcessor",
    "phrasematcher": 'spaCy PhraseMatcher(attr="LOWER")',
    "entityruler": "spaCy EntityRuler (LOWER)",
}
# Gazetteer sizes (entries) and corpus sizes (MB of text) per mode: small, headline,
# large. The headline pair is the (100k entries, 5 MB).
MODES = {
    "quick": {"gazetteers": [1000, 5000, 20000], "corpora": [0.2, 0.5, 1.0], "repeat": 1},
    "default": {"gazetteers": [1000, 100_000, 1_000_000], "corpora": [1.0, 5.0, 50.0], "repeat": 3},
}


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def corpus_name(megabytes: float) -> str:
    return f"{megabytes:g}mb"


@dataclass
class Run:
    """One process: its wall time, its peak RSS and what it printed."""

    wall_s: float
    rss_mb: float
    stdout: str
    stderr: str


def run(command: list[str], pin: bool) -> Run:
    """Runs `command` under /usr/bin/time (pinned to CPU 0 when `pin`), failing
    loudly with its standard error when it fails."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        full = ["/usr/bin/time", "-f", "%M", "-o", timing.name]
        full += (["taskset", "-c", "0"] if pin else []) + command
        started = time.perf_counter()
        done = subprocess.run(full, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(f"bench: command failed (exit {done.returncode}): {' '.join(command)}\n"
                     f"{done.stderr[-3000:]}")
        lines = [line for line in timing.read().splitlines() if line.strip()]
        rss_kb = int(lines[-1])
    return Run(wall, rss_kb / 1024, done.stdout, done.stderr)


def best(command: list[str], pin: bool, repeat: int) -> Run:
    """The fastest of `repeat` runs (the others were slowed by something else)."""
    return min((run(command, pin) for _ in range(repeat)), key=lambda r: r.wall_s)


@dataclass
class Row:
    tool: str
    gazetteer: str
    corpus: str
    text_bytes: int
    build_s: float | None
    load_s: float | None
    scan_s: float
    rss_mb: float
    spans: int
    wall_s: float | None = None

    @property
    def rate(self) -> float:
        return self.text_bytes / 1e6 / max(self.scan_s, 1e-9)

    @property
    def end_to_end_rate(self) -> float | None:
        return self.text_bytes / 1e6 / self.wall_s if self.wall_s else None


class Bench:
    def __init__(self, args, mode: dict, data: Path):
        self.args = args
        self.mode = mode
        self.data = data
        self.out = data / "out"
        self.out.mkdir(parents=True, exist_ok=True)
        self.repeat = args.repeat or mode["repeat"]
        self.manifest = json.loads((data / "manifest.json").read_text(encoding="utf-8"))
        self.rows: list[Row] = []
        self.compiled: dict[str, Row] = {}
        self.loads: dict[tuple[str, bool], float] = {}
        self.empty = data / "empty.jsonl"
        self.empty.write_text("", encoding="utf-8")

    def gazetteer(self, name: str) -> Path:
        return self.data / self.manifest["gazetteers"][name]["path"]

    def corpus(self, name: str) -> tuple[Path, int]:
        entry = self.manifest["corpora"][name]
        return self.data / entry["path"], entry["text_bytes"]

    # rubric ---------------------------------------------------------------

    def compile(self, gazetteer: str) -> Path:
        rgz = self.out / f"gazetteer-{gazetteer}.rgz"
        if gazetteer not in self.compiled:
            log(f"rubric gazetteer compile {gazetteer}")
            done = run([self.args.rubric, "gazetteer", "compile", str(self.gazetteer(gazetteer)),
                        "-o", str(rgz)], pin=False)
            self.compiled[gazetteer] = Row("rubric gazetteer compile", gazetteer, "", 0,
                                           done.wall_s, None, 0.0, done.rss_mb, 0)
        return rgz

    def annotate_command(self, gazetteer: str, corpus: Path, threads: bool, output: Path,
                         lean: bool = False):
        command = [self.args.rubric, "annotate", "--no-default-gazetteer", "-g",
                   str(self.compile(gazetteer)), str(corpus), "-o", str(output)]
        return command + ([] if threads else ["-j", "1"]) + (["--no-tokens"] if lean else [])

    def load(self, gazetteer: str, threads: bool) -> float:
        """rubric's start-up with this gazetteer: a run on an empty corpus."""
        key = (gazetteer, threads)
        if key not in self.loads:
            output = self.out / "empty-out.jsonl"
            command = self.annotate_command(gazetteer, self.empty, threads, output)
            self.loads[key] = best(command, pin=not threads, repeat=self.repeat).wall_s
        return self.loads[key]

    def rubric(self, gazetteer: str, corpus: str, threads: bool, keep: bool = False,
               lean: bool = False) -> Row:
        """rubric annotate; `lean`: with `--no-tokens` (records without their tokens,
        issue 22's fast path for users who need only spans)."""
        path, text_bytes = self.corpus(corpus)
        tool = "rubric annotate" + (" --no-tokens" if lean else "") + (
            ", all threads" if threads else " -j 1 (taskset)")
        log(f"{tool}: {gazetteer} entries, {corpus}")
        output = self.out / (f"rubric-{gazetteer}-{corpus}-{'all' if threads else 'one'}"
                             f"{'-lean' if lean else ''}.jsonl")
        load = self.load(gazetteer, threads)
        done = best(self.annotate_command(gazetteer, path, threads, output, lean),
                    pin=not threads, repeat=self.repeat)
        summary = re.search(r"(\d+) documents? read, (\d+) written, (\d+) skipped; (\d+) spans",
                            done.stderr)
        if not summary:
            sys.exit(f"bench: no summary line from rubric annotate:\n{done.stderr[-2000:]}")
        read, written, skipped, spans = map(int, summary.groups())
        documents = self.manifest["corpora"][corpus]["documents"]
        if (read, written, skipped) != (documents, documents, 0):
            sys.exit(f"bench: rubric annotated {written} of {documents} documents of {path}")
        if not keep:
            output.unlink()
        scan = done.wall_s - load
        if scan <= 0:
            log(f"  warning: the run took no longer than the start-up alone ({done.wall_s:.3f} s "
                f"against {load:.3f} s); the corpus is too small to time, read the rate as noise")
            scan = 1e-3
        row = Row(tool, gazetteer, corpus, text_bytes, self.compiled[gazetteer].build_s, load,
                  scan, done.rss_mb, spans, wall_s=done.wall_s)
        return self.add(row)

    # the others -------------------------------------------------------------

    def bare(self, gazetteer: str, corpus: str, daachorse: bool = False) -> Row:
        """The bare scan scans the corpus `repeat` times in one process and reports the
        fastest, so a 1M-pattern automaton is built once."""
        path, text_bytes = self.corpus(corpus)
        engine = "daachorse" if daachorse else "aho-corasick"
        log(f"bare {engine} scan: {gazetteer} entries, {corpus}")
        command = [self.args.bare_scan, "--repeat", str(self.repeat), str(self.gazetteer(gazetteer)),
                   str(path)] + (["--daachorse"] if daachorse else [])
        done = run(command, pin=True)
        report = self.report(done, text_bytes, f"bare {engine} scan")
        return self.add(Row(f"bare {engine} scan (Rust)", gazetteer, corpus, text_bytes,
                            report["build_s"], None, report["scan_s"], done.rss_mb,
                            report["spans"]))

    def peer(self, tool: str, gazetteer: str, corpus: str) -> Row:
        path, text_bytes = self.corpus(corpus)
        log(f"{tool}: {gazetteer} entries, {corpus}")
        done = run([sys.executable, str(ROOT / "bench" / "peers.py"), tool,
                    str(self.gazetteer(gazetteer)), str(path)], pin=True)
        report = self.report(done, text_bytes, tool)
        return self.add(Row(PEER_NAMES[tool], gazetteer, corpus, text_bytes, report["build_s"],
                            None, report["scan_s"], done.rss_mb, report["spans"]))

    @staticmethod
    def report(done: Run, text_bytes: int, tool: str) -> dict:
        report = json.loads(done.stdout.strip().splitlines()[-1])
        if report["text_bytes"] != text_bytes:
            sys.exit(f"bench: {tool} scanned {report['text_bytes']} bytes of text, "
                     f"the manifest says {text_bytes}")
        return report

    def add(self, row: Row) -> Row:
        if row.spans == 0:
            sys.exit(f"bench: {row.tool} found no span in {row.corpus} with {row.gazetteer} "
                     "entries: the runner is broken")
        log(f"  {row.scan_s:.2f} s scan, {row.rate:.1f} MB/s, {row.rss_mb:.0f} MB, {row.spans:,} spans")
        self.rows.append(row)
        return row


def same_spans(first: Row, second: Row) -> Row:
    """The two bare scans do the same thing with two libraries, so they must agree."""
    if first.spans != second.spans:
        sys.exit(f"bench: {first.tool} found {first.spans} spans and {second.tool} "
                 f"{second.spans} on the same data: one of the runners is wrong")
    return second


def machine() -> dict:
    cpu = "unknown"
    memory = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GB"
    except OSError:
        pass
    return {"cores": os.cpu_count(), "cpu": cpu, "memory": memory,
            "kernel": platform.release(), "load": os.getloadavg()[0]}


def versions(rubric: str) -> dict:
    out = {"rubric": subprocess.run([rubric, "--version"], capture_output=True, text=True)
           .stdout.split()[-1]}
    out["rustc"] = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.split()[1]
    lock = (ROOT / "Cargo.lock").read_text()
    found = re.search(r'name = "aho-corasick"\nversion = "([^"]+)"', lock)
    out["aho-corasick (crate)"] = found.group(1) if found else "?"
    out["Python"] = platform.python_version()
    for package in ["spacy", "flashtext", "pyahocorasick"]:
        out[package] = importlib.metadata.version(package)
    return out


def git_commit() -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    if not commit:
        return "unknown (not a git checkout)"
    return commit + (" (with uncommitted changes)" if dirty else "")


def fmt(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def table(rows: list[Row], reference: Row) -> list[str]:
    lines = [
        "| tool | entries | corpus | build s | load s | scan s | scan MB/s | vs rubric 1 thread | "
        "peak RSS MB | spans |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        lines.append(
            f"| {row.tool} | {row.gazetteer} | {row.corpus} | {fmt(row.build_s)} | "
            f"{fmt(row.load_s)} | {row.scan_s:.2f} | {row.rate:.2f} | "
            f"{row.rate / reference.rate:.3g}× | {row.rss_mb:.0f} | {row.spans:,} |")
    return lines


def render(bench: Bench, mode_name: str, started: dict, finished_load: float,
           key: dict[str, Row], complexity: dict) -> str:
    m = bench.manifest
    small, headline, large = (size_name(n) for n in bench.mode["gazetteers"])
    c_small, c_headline, c_large = (corpus_name(x) for x in bench.mode["corpora"])
    planted = m["corpora"][c_headline]["planted"]["in_gazetteer"][headline]
    one = key["one"]
    lines = [
        "# Side-by-side benchmark (issues 9 and 22)",
        "",
        f"Written by `bench/run.sh{'' if mode_name == 'default' else ' --' + mode_name}`; do not edit "
        "by hand, run it again. How it measures and what the columns mean: `bench/README.md`.",
        "",
        "## Machine and versions",
        "",
        f"- date: {started['date']}; git commit {started['commit']}",
        f"- machine: {started['machine']['cores']} cores, {started['machine']['cpu']}, "
        f"{started['machine']['memory']} of memory, Linux {started['machine']['kernel']}",
        # The run keeps a core or two busy itself, so only the load before it says
        # whether other work was running.
        f"- load average (1 min) before the run: {started['machine']['load']:.2f}, after: "
        f"{finished_load:.2f}, which counts the benchmark's own processes"
        + (" (**a busy machine**: other work was running, so absolute figures are noisy; "
           "ratios within the run are fairer)" if started['machine']['load'] > 0.7 else ""),
        "- " + ", ".join(f"{k} {v}" for k, v in started["versions"].items()),
        f"- the whole run took {(time.time() - started['clock']) / 60:.1f} minutes",
        f"- rubric: the fastest of {bench.repeat} runs; the bare scans: the fastest of {bench.repeat} "
        "scans in one process; the Python tools: one run",
    ]
    if bench.args.note:
        lines += [f"- note: {bench.args.note}"]
    lines += [
        "",
        "## Data",
        "",
        f"Seed {m['seed']}; sentences from `{m['news']}`. Gazetteers (nested: each is the "
        "first N entries of one stream): " + "; ".join(
            f"{name}: " + ", ".join(f"{label} {n:,}" for label, n in g["labels"].items())
            for name, g in m["gazetteers"].items()) + ".",
        "",
        "| corpus | documents | MB of text | planted occurrences | as written / UPPER / lower | "
        "plain / ’s / hyphenated | of which entries of " + " / ".join(m["gazetteers"]) + " |",
        "| --- | ---: | ---: | ---: | --- | --- | --- |",
    ]
    for name, c in m["corpora"].items():
        p = c["planted"]
        lines.append(
            f"| {name} | {c['documents']:,} | {c['text_bytes'] / 1e6:.2f} | {p['occurrences']:,} | "
            f"{p['by_case'].get('as written', 0):,} / {p['by_case'].get('upper', 0):,} / "
            f"{p['by_case'].get('lower', 0):,} | {p['by_form'].get('plain', 0):,} / "
            f"{p['by_form'].get('possessive ’s', 0):,} / {p['by_form'].get('hyphenated', 0):,} | "
            + " / ".join(f"{g['occurrences']:,}" for g in p["in_gazetteer"].values()) + " |")
    lines += [
        "",
        f"## {headline} entries, {c_headline} of text (the issue's headline)",
        "",
        "Scan MB/s is MB of text (the `text` fields) over scan time; for rubric the scan time is "
        "the whole run (read JSONL, tokenize, match, write JSONL records) minus its start-up on "
        "an empty corpus (the load column); for the others it excludes building the matcher and "
        "reading the corpus. One thread unless the tool says otherwise. rubric runs with "
        "`--no-default-gazetteer` and its defaults otherwise (smart case, longest overlaps, "
        "document aliases).",
        "",
    ]
    lines += table(key["headline"], one)
    lines += [
        "",
        f"rubric end to end (load included) on one thread: {one.end_to_end_rate:.2f} MB/s; "
        f"on all threads: {key['all'].end_to_end_rate:.2f} MB/s.",
        "",
        f"## {large} entries" + (f", and {c_large} of text" if bench.args.full else ""),
        "",
    ]
    lines += table(key["large"], one)
    compiled = bench.compiled[large]
    lines += [
        "",
        f"`rubric gazetteer compile` of {large} entries: {compiled.build_s:.2f} s, peak RSS "
        f"{compiled.rss_mb:.0f} MB; the compiled file is "
        f"{(bench.out / f'gazetteer-{large}.rgz').stat().st_size / 1e6:.0f} MB.",
        "",
        "## Targets",
        "",
        "| target | measured | met |",
        "| --- | --- | --- |",
    ]
    for target, measured, met in targets(bench, key):
        lines.append(f"| {target} | {measured} | {'met' if met else '**not met**'} |")
    lines += [
        "",
        "Why a target is missed, with the profile behind it and what would close it: "
        "[What limits rubric](README.md#what-limits-rubric).",
        "",
        "## Threads",
        "",
        "rubric on all threads against one thread (pinned), scan rates:",
        "",
        "| entries | corpus | records | one thread MB/s | all threads MB/s | ratio | "
        "peak RSS one / all MB |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for single, multi in key["threads"]:
        records = "`--no-tokens`" if "--no-tokens" in single.tool else "full"
        lines.append(f"| {single.gazetteer} | {single.corpus} | {records} | {single.rate:.2f} | "
                     f"{multi.rate:.2f} | {multi.rate / single.rate:.2f}× | "
                     f"{single.rss_mb:.0f} / {multi.rss_mb:.0f} |")
    lines += [
        "",
        "## Complexity",
        "",
        f"rubric, one thread, scan time (run minus start-up). Against corpus size, {headline} "
        "entries (linear means a constant s per MB):",
        "",
        "| corpus | MB of text | rubric scan s | rubric s per MB | bare scan s | bare s per MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r, b in complexity["corpus"]:
        mb = r.text_bytes / 1e6
        lines.append(f"| {r.corpus} | {mb:.2f} | {r.scan_s:.2f} | {r.scan_s / mb:.3f} | "
                     f"{b.scan_s:.3f} | {b.scan_s / mb:.4f} |")
    lines += [
        "",
        f"Against gazetteer size, {c_headline} of text (near flat means the scan time barely "
        "moves while the entries grow a thousandfold):",
        "",
        "| entries | rubric load s | rubric scan s | rubric MB/s | bare build s | bare scan s | "
        "bare MB/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r, b in complexity["gazetteer"]:
        lines.append(f"| {r.gazetteer} | {r.load_s:.2f} | {r.scan_s:.2f} | {r.rate:.2f} | "
                     f"{b.build_s:.2f} | {b.scan_s:.3f} | {b.rate:.1f} |")
    lines += [
        "",
        "## Why the span counts differ",
        "",
        f"The {c_headline} corpus has {planted['occurrences']:,} planted occurrences of "
        f"{planted['distinct_entries']:,} distinct entries of the {headline} gazetteer: "
        f"{planted['by_case'].get('as written', 0):,} as written, "
        f"{planted['by_case'].get('upper', 0):,} in UPPER case and "
        f"{planted['by_case'].get('lower', 0):,} in lower case. The tools count different things:",
        "",
        "- rubric uses smart case: an entry matches as written, in ALL CAPS or with raised "
        "initials, never lower-cased (`smith capital group` is not `Smith Capital Group`), so "
        "it skips the lower-case plants and lower-case common words that happen to be entries "
        "(a town called `Reading`); it keeps only matches on token boundaries, resolves "
        "overlaps leftmost-longest, and adds document aliases (a person's later surname, an "
        "acronym in parentheses), which the others do not have.",
        "- The bare scan is ASCII-case-insensitive (so `MÜNCHEN` does not match `München`), "
        "leftmost-longest, and drops a match that touches a letter or digit.",
        "- pyahocorasick lower-cases text and patterns (full Unicode lower case), "
        "leftmost-longest, then drops a match that touches a letter or digit (a longer match "
        "dropped this way hides any shorter one inside it).",
        "- FlashText is case-insensitive, longest match, and treats only ASCII letters, digits "
        "and `_` as word characters, so a match may end before an accented letter.",
        "- spaCy's PhraseMatcher returns every match, overlapping ones included; the "
        "EntityRuler keeps non-overlapping ones (`doc.ents`). Both match whole spaCy tokens "
        "on the lower-cased text.",
        "",
    ]
    return "\n".join(lines)


def targets(bench: Bench, key: dict[str, Row]):
    """Issue 22's targets (which replaced issue 9's), in its order; the 10M-entry ones
    are measured by bench/ten_million.py (RUBRIC_BENCH_10M=1)."""
    one, lean = key["one"], key["lean_one"]
    by_tool = {row.tool: row for row in key["headline"]}
    large = size_name(bench.mode["gazetteers"][2])
    bare = key["bare"]
    flashtext = by_tool.get(PEER_NAMES["flashtext"])
    out = []
    ratio = lean.rate / bare.rate
    out.append(("`annotate --no-tokens` one thread ≥ 0.6× the bare aho-corasick scan",
                f"{ratio:.2f}× ({lean.rate:.2f} vs {bare.rate:.2f} MB/s)", ratio >= 0.6))
    if flashtext is not None:
        ratio = lean.rate / flashtext.rate
        out.append((f"`annotate --no-tokens` one thread ≥ 5× {PEER_NAMES['flashtext']}",
                    f"{ratio:.1f}× ({lean.rate:.2f} vs {flashtext.rate:.2f} MB/s)", ratio >= 5))
    ratio = one.rate / bare.rate
    out.append(("full records one thread ≥ 0.35× the bare scan",
                f"{ratio:.2f}× ({one.rate:.2f} vs {bare.rate:.2f} MB/s)", ratio >= 0.35))
    cores = os.cpu_count()
    for name, (single, multi) in [("full records", key["threads"][1]),
                                  ("`--no-tokens`", key["lean_threads"])]:
        scaling = multi.rate / single.rate
        out.append((f"{name}: all threads ≥ 1.8× one thread on 2 cores ({cores} here)",
                    f"{scaling:.2f}× ({multi.rate:.2f} vs {single.rate:.2f} MB/s, "
                    f"{multi.gazetteer} entries, {multi.corpus})", scaling >= 1.8))
    build = bench.compiled[large]
    out.append((f"{large} entries: compile peak RSS ≤ 600 MB", f"{build.rss_mb:.0f} MB "
                f"({build.build_s:.1f} s)", build.rss_mb <= 600))
    rss = key["large_one"].rss_mb
    out.append((f"{large} entries: annotate peak RSS ≤ 200 MB (one thread)", f"{rss:.0f} MB",
                rss <= 200))
    load = bench.loads[(large, False)]
    out.append((f"{large} entries: compiled gazetteer loads in < 1 s (issue 9)",
                f"{load:.2f} s (whole start-up on an empty corpus)", load < 1.0))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rubric", required=True)
    parser.add_argument("--bare-scan", required=True)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run of a minute")
    parser.add_argument("--full", action="store_true",
                        help="also the Python tools on the large gazetteer and corpus (slow)")
    parser.add_argument("--repeat", type=int, default=None, help="runs of rubric and the bare scan")
    parser.add_argument("--note", default="", help="a line for the report (e.g. what else ran)")
    parser.add_argument("--news", type=Path, default=None, help="JSONL of real news (see generate.py)")
    args = parser.parse_args()
    mode_name = " --".join(["quick"] * args.quick + ["full"] * args.full) or "default"
    mode = MODES["quick" if args.quick else "default"]
    data = ROOT / "target" / "bench" / ("quick" if args.quick else "data")
    results = data / "RESULTS.md" if args.quick else ROOT / "bench" / "RESULTS.md"

    started = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(), "machine": machine(), "versions": versions(args.rubric),
        "clock": time.time(),
    }
    generate = [sys.executable, str(ROOT / "bench" / "generate.py"), str(data),
                "--gazetteers", ",".join(map(str, mode["gazetteers"])),
                "--corpora", ",".join(f"{x:g}" for x in mode["corpora"]),
                "--plant-from", str(mode["gazetteers"][1])]
    if args.news:
        generate += ["--news", str(args.news)]
    subprocess.run(generate, check=True)

    bench = Bench(args, mode, data)
    small, headline, large = (size_name(n) for n in mode["gazetteers"])
    c_small, c_headline, c_large = (corpus_name(x) for x in mode["corpora"])
    key: dict = {}

    # The headline: every tool on the pair.
    one = bench.rubric(headline, c_headline, threads=False, keep=True)
    everything = bench.rubric(headline, c_headline, threads=True, keep=True)
    first = bench.out / f"rubric-{headline}-{c_headline}-one.jsonl"
    second = bench.out / f"rubric-{headline}-{c_headline}-all.jsonl"
    if first.read_bytes() != second.read_bytes():
        sys.exit(f"bench: rubric's output on one thread ({first}) differs from all threads ({second})")
    first.unlink()
    second.unlink()
    bare = bench.bare(headline, c_headline)
    lean_one = bench.rubric(headline, c_headline, threads=False, lean=True)
    lean_all = bench.rubric(headline, c_headline, threads=True, lean=True)
    key.update(one=one, all=everything, bare=bare, lean_one=lean_one)
    key["headline"] = [one, everything, lean_one, lean_all, bare,
                       same_spans(bare, bench.bare(headline, c_headline, daachorse=True))]
    key["headline"] += [bench.peer(p, headline, c_headline) for p in PEERS]

    # The large gazetteer: rubric and the bare scan on both corpora, pyahocorasick on
    # the headline corpus; the others only with --full (minutes to add 1M patterns).
    large_one = bench.rubric(large, c_headline, threads=False)
    key["large_one"] = large_one
    large_rows = [large_one, bench.rubric(large, c_large, threads=False),
                  bench.rubric(large, c_large, threads=True), bench.bare(large, c_headline),
                  bench.bare(large, c_large), None,
                  bench.peer("pyahocorasick", large, c_headline)]
    large_rows[5] = same_spans(large_rows[3], bench.bare(large, c_headline, daachorse=True))
    if args.full:
        large_rows += [bench.peer(p, large, c_headline) for p in PEERS[1:]]
        large_rows += [bench.peer(p, headline, c_large) for p in PEERS]
    key["large"] = large_rows

    # Complexity: rubric (one thread) and the bare scan against corpus size, then
    # against gazetteer size.
    complexity = {"corpus": [], "gazetteer": []}
    for corpus in [c_small, c_headline, c_large]:
        r = one if corpus == c_headline else bench.rubric(headline, corpus, threads=False)
        b = bare if corpus == c_headline else bench.bare(headline, corpus)
        complexity["corpus"].append((r, b))
    # Threads: a 5 MB run is over in well under a second, so the scaling target is
    # read on the large corpus, where start-up and the last batch weigh least.
    key["threads"] = [(one, everything),
                      (complexity["corpus"][2][0], bench.rubric(headline, c_large, threads=True)),
                      (large_rows[1], large_rows[2])]
    key["lean_threads"] = (bench.rubric(headline, c_large, threads=False, lean=True),
                           bench.rubric(headline, c_large, threads=True, lean=True))
    key["threads"].append(key["lean_threads"])
    for gazetteer in [small, headline, large]:
        if gazetteer == headline:
            complexity["gazetteer"].append((one, bare))
        elif gazetteer == large:
            complexity["gazetteer"].append((large_one, large_rows[3]))
        else:
            complexity["gazetteer"].append((bench.rubric(gazetteer, c_headline, threads=False),
                                            bench.bare(gazetteer, c_headline)))

    report = render(bench, mode_name, started, os.getloadavg()[0], key, complexity)
    # With RUBRIC_BENCH_10M=1, bench/run.sh ran bench/ten_million.py just before this:
    # its table joins the report, so that one file holds the one run.
    ten_million = ROOT / "target" / "bench" / "10m" / "RESULTS-10m.md"
    if os.environ.get("RUBRIC_BENCH_10M") == "1" and ten_million.is_file() \
            and ten_million.stat().st_mtime >= started["clock"] - 3600:
        body = ten_million.read_text(encoding="utf-8").split("\n", 1)[1]
        report += "\n## Ten million entries (bench/ten_million.py, run first by bench/run.sh)\n" + body
    results.write_text(report, encoding="utf-8")
    (data / "results.json").write_text(json.dumps([row.__dict__ for row in bench.rows], indent=1))
    print(report)
    log(f"wrote {results.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
