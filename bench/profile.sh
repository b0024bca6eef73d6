#!/bin/sh
# Where the time of a run goes, per module: perf samples of `airtime run`
# (CPU time, every thread) summed by the source file that defines each
# sampled function (the binary's debug information), shared libraries and
# the kernel by name.
#
#   sh bench/profile.sh record OUT.data SCENARIO [--set s.k=v ...]
#   sh bench/profile.sh report PERF.data [BINARY]    (Markdown table;
#                                                   BINARY: ./airtime)
#
# Needs perf (Debian linux-perf) and kernel.perf_event_paranoid <= 2.  The
# table's phases group the modules: forest inference (engine/forest_fast,
# forest, scorer_model), forest training (engine/forest_train), ranking
# and features (engine/rank, featurestore, pit, profile, online, serving,
# catalog), the stream and batch paths, the simulation core (sim/, the
# calendar, RNG), metrics, SQLite (results.db and the feature store), the
# kernel (page faults, file writes, scheduling), the C library.
set -eu
cmd=${1:-}
case "$cmd" in
record)
  out=$2; scen=$3; shift 3
  dir=$(mktemp -d /tmp/airtime-profile-XXXXXX)
  perf record -F 499 -o "$out" ./airtime run "$scen" --quiet --out "$dir/run" "$@" > /dev/null
  rm -rf "$dir"
  ;;
report)
  data=$2; bin=${3:-./airtime}
  map=$(mktemp /tmp/airtime-symmap-XXXXXX)
  trap 'rm -f "$map"' EXIT INT TERM
  # function -> source file, from the profiled binary's debug information
  # (a static name defined in several files maps to all of them, "a|b")
  nm -l --defined-only "$bin" | awk -F'\t' '$1 ~ / [tTwW] / && NF > 1 {
      n = split($1, a, " "); f = $2; sub(/:[0-9]+$/, "", f); sub(/^.*\/(common|engine|sim|eval|stats|results|render|serve|config|dist|cli)\//, "&", f)
      if (match(f, /(common|engine|sim|eval|stats|results|render|serve|config|dist|cli)\/[^\/]+$/)) f = substr(f, RSTART)
      if (!(a[3] in m)) m[a[3]] = f; else if (index("|" m[a[3]] "|", "|" f "|") == 0) m[a[3]] = m[a[3]] "|" f }
    END { for (k in m) print k, m[k] }' > "$map"
  perf report -i "$data" --no-children --sort dso,sym --stdio 2> /dev/null | grep -v '^#' | grep '%' |
  awk 'NR == FNR { if (!($1 in m)) m[$1] = $2; next }
    { p = $1; sub("%", "", p); dso = $2; sym = $NF
      if (dso == "airtime") mod = (sym in m) ? m[sym] : "airtime (unresolved)"
      else if (dso ~ /kernel/) mod = "kernel"
      else mod = dso
      s[mod] += p
      ph = "other"
      if (mod ~ /forest_fast|engine\/forest\.c|scorer_model|scorer_builtin/) ph = "scoring (forest inference, heuristic)"
      else if (mod ~ /forest_train|forest_bin|workpool/) ph = "forest training"
      else if (mod ~ /rank\.c|featurestore|pit\.c|profile\.c|online|serving|catalog/) ph = "ranking: feature assembly, candidates"
      else if (mod ~ /stream|queue|bus\.c|batch|lake|firehose|dedup/) ph = "stream and batch paths"
      else if (mod ~ /^sim\/|calendar|rng|endpoint|arrivals/) ph = "simulation core"
      else if (mod ~ /metrics|hist\.c|series|stats/) ph = "metrics, histograms, statistics"
      else if (mod ~ /sqlite/) ph = "SQLite"
      else if (mod == "kernel") ph = "kernel"
      else if (mod ~ /libc|libm|ld-linux|vdso/) ph = "C library"
      else if (mod ~ /^eval\/|^results\//) ph = "eval, results"
      t[ph] += p }
    END {
      print "| phase (group of modules) | share of CPU samples |"
      print "| --- | ---: |"
      for (k in t) printf "%s\t| %s | %.1f %% |\n", t[k], k, t[k] | "sort -t\"\t\" -k1 -rn | cut -f2"
      close("sort -t\"\t\" -k1 -rn | cut -f2")
      print ""
      print "| module | share of CPU samples |"
      print "| --- | ---: |"
      for (k in s) if (s[k] >= 0.5) printf "%s\t| %s | %.1f %% |\n", s[k], k, s[k] | "sort -t\"\t\" -k1 -rn | cut -f2"
    }' "$map" -
  ;;
*)
  echo "usage: sh bench/profile.sh record OUT.data SCENARIO [--set s.k=v ...] | report PERF.data [BINARY]" >&2
  exit 2
  ;;
esac
