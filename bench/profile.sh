#!/bin/sh
# Where the time of a run goes, per module: perf samples of `airtime run`
# (CPU time, every thread) summed by the object file that defines each
# sampled function (build/*/*.o), shared libraries and the kernel by name.
#
#   sh bench/profile.sh record OUT.data SCENARIO [--set s.k=v ...]
#   sh bench/profile.sh report PERF.data [BUILD]     (Markdown table)
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
  data=$2; build=${3:-build}
  map=$(mktemp /tmp/airtime-symmap-XXXXXX)
  trap 'rm -f "$map"' EXIT INT TERM
  find "$build" -name '*.o' ! -path '*/tests/*' ! -path '*/bench/*' | while read -r o; do
    nm --defined-only "$o" 2> /dev/null | awk -v f="${o#"$build"/}" '$2 ~ /[tTwW]/ { sub(/\.o$/, ".c", f); print $3, f }'
  done | sort -u > "$map"
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
  echo "usage: sh bench/profile.sh record OUT.data SCENARIO [--set s.k=v ...] | report PERF.data [BUILD]" >&2
  exit 2
  ;;
esac
