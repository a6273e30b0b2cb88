#!/usr/bin/env bash
# Token patterns: rubric vs spaCy's EntityRuler with the same 1,000 patterns, in one
# run (see bench/token_patterns.py). Prints a Markdown table; the figures go to the
# rubric-gazetteer README by hand, with the date and the machine's load.
# --instructions: the same two rubric runs counted in instructions (valgrind).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="$("$root/scripts/python-venv")"
cargo build --quiet --release --bin rubric
exec "$venv/bin/python" "$root/bench/token_patterns.py" "$root/target/release/rubric" "$@"
