#!/usr/bin/env bash
# The side-by-side benchmark of issue 9, in one command: generates gazetteers of 1k,
# 100k and 1M entries and news-like corpora of 1, 5 and 50 MB of text (fixed seed),
# then runs rubric annotate (one thread and all threads), the bare Aho-Corasick scan
# (the limit), pyahocorasick, FlashText and spaCy's PhraseMatcher and EntityRuler,
# each as its own process on the same files, and writes the table to bench/RESULTS.md.
#
#   bench/run.sh            about 12 minutes on 2 cores (the last two: issue 19's token
#                           patterns against spaCy's EntityRuler, bench/token_patterns.py)
#   bench/run.sh --quick    tiny sizes, a minute; writes target/bench/quick/RESULTS.md
#   bench/run.sh --full     adds the Python tools on 1M entries and on 50 MB (slow;
#                           with --quick, on the quick sizes)
#   bench/run.sh --note "what else was running"   (any option of bench/bench.py)
#   RUBRIC_BENCH_10M=1 bench/run.sh   first runs bench/ten_million.py: a seeded 10M-entry
#                           gazetteer compiled, loaded and annotated with beside the 100k
#                           one (about ten minutes more; target/bench/10m/RESULTS-10m.md)
#
# Needs python3.11 with venv; installs GNU time and taskset with apt-get if missing;
# the Python tools are installed in the project's pinned venv (scripts/python-venv),
# the rest is built in release mode here. Run it on a quiet machine: see bench/README.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# GNU time reports each process's peak RSS; taskset pins the one-thread runs. Both are
# Debian packages (time, util-linux), installed with apt-get when missing.
missing=()
[[ -x /usr/bin/time ]] || missing+=(time)
command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
if ((${#missing[@]})); then
    echo "bench: installing ${missing[*]} (Debian packages)" >&2
    sudo=()
    [[ "$(id -u)" == 0 ]] || sudo=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq >&2
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

venv="$(scripts/python-venv)"
# Keep __pycache__ out of the source tree.
export PYTHONDONTWRITEBYTECODE=1
echo "bench: building rubric and the bare scan (release)" >&2
cargo build --release --quiet --bin rubric
cargo build --release --quiet -p rubric-gazetteer --example bare_scan

if [[ "${RUBRIC_BENCH_10M:-}" == 1 ]]; then
    "$venv/bin/python" bench/ten_million.py --rubric "$root/target/release/rubric"
fi

"$venv/bin/python" bench/bench.py \
    --rubric "$root/target/release/rubric" \
    --bare-scan "$root/target/release/examples/bare_scan" "$@"

# Issue 19's token patterns against the EntityRuler, appended to the same
# RESULTS.md (not on --quick: the EntityRuler alone takes a minute).
case " $* " in
*" --quick "*) ;;
*) "$venv/bin/python" bench/token_patterns.py "$root/target/release/rubric" --append bench/RESULTS.md ;;
esac
