#!/bin/sh
# make bench: run every benchmark binary in build/bench and collect figures
# into bench/RESULTS.md.  Each bench prints markdown lines of its own.
set -eu
BUILD=${1:-build}
out=bench/RESULTS.md
tmp=$(mktemp)
{
  echo "# airtime benchmarks"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- host: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores"
  echo "- revision: $(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
  echo
  for b in "$BUILD"/bench/bench_*; do
    [ -x "$b" ] || continue
    echo "## $(basename "$b")"
    echo
    echo "command: \`$b\`"
    echo
    "$b"
    echo
  done
} > "$tmp"
mv "$tmp" "$out"
cat "$out"
