#!/bin/sh
# Scaling curve (issue 22, item 6): wall time, CPU time and peak memory of
# the default scenario as the population grows, with the growth exponent
# fitted by least squares on log-log.
#
#   sh bench/scaling.sh [USERS ...]        (default: 20000 100000 300000 1000000)
#   sh bench/scaling.sh --report           (fit, plot and table of the .dat file)
#   SCALING_HISTORY_DAYS=D                 run.history_days of every point (0)
#
# Each point: `airtime run scenarios/default.ini` with world.users = N, one
# warm-up and one experiment day, run.history_days = D (default 0: the
# pipeline's own curve; the history phase costs about 25 kB a user at 60
# days, docs/engineers.md "Memory budget", and is measured as a curve of
# its own with D = 60), under /usr/bin/time -v.  A point whose estimated
# peak memory is above the machine's available memory is refused by
# airtime (exit 2, before allocating anything): it is recorded as refused,
# with the estimate, instead of being run into the out-of-memory killer.
# Everything else
# is the default scenario's (1,000 creators, the same rankers and split);
# only the tables that must hold a larger population's events grow with it
# (stream dedup/session/follow capacities and the autoscaler's upper bound,
# proportional to users at scenarios/large.ini's ratio, never below the
# default), because their defaults are sized for 20,000 users.
#
# Writes bench/scaling.dat (users, wall s, CPU s, peak RSS MiB, events
# simulated: the run's and the history's, from results.db; with D > 0
# bench/scaling-historyD.dat) and, when gnuplot is installed, the .png
# beside it (log-log); prints a Markdown section (table, fitted exponents,
# load average) on stdout.
set -eu
AIRTIME=${AIRTIME:-./airtime}
[ $# -gt 0 ] || set -- 20000 100000 300000 1000000
work=$(mktemp -d /tmp/airtime-scaling-XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
hist=${SCALING_HISTORY_DAYS:-0}
case $hist in *[!0-9]*|'') echo "scaling.sh: SCALING_HISTORY_DAYS must be a whole number of days, not '$hist'" >&2; exit 2 ;; esac
if [ "$hist" -eq 0 ]; then name=scaling; else name=scaling-history$hist; fi
dat=bench/$name.dat
png=bench/$name.png

# max(floor, per_million * users / 1e6)
scaled() {
  awk -v f="$1" -v p="$2" -v u="$3" 'BEGIN { v = int(p * u / 1e6); print (v > f ? v : f) }'
}

load0=$(cut -d' ' -f1-3 /proc/loadavg)
report_only=
if [ "$1" = --report ]; then
  report_only=1
  # every point of the file, the refused ones too, in order
  set -- $(awk '!/^#/ { print $1 } /^# refused / { u = $3; sub(/:$/, "", u); print u }' "$dat")
  load0="see bench/RESULTS.md"
else
  echo "# users wall_s cpu_s peak_rss_mib events (run.history_days = $hist)" > "$dat.tmp"
fi
for u in "$@"; do
  [ -z "$report_only" ] || break
  rm -rf "$work/run"
  rc=0
  /usr/bin/time -v "$AIRTIME" run scenarios/default.ini --quiet --no-fail-on-slo --out "$work/run" \
    --set world.users="$u" --set run.warmup_days=1 --set run.experiment_days=1 \
    --set run.history_days="$hist" \
    --set stream.dedup_capacity="$(scaled 1048576 33554432 "$u")" \
    --set stream.session_capacity="$(scaled 524288 4194304 "$u")" \
    --set stream.follow_capacity="$(scaled 1048576 16777216 "$u")" \
    --set endpoint.max_instances="$(scaled 20 200 "$u")" \
    > "$work/out" 2> "$work/time" || rc=$?
  if [ "$rc" -eq 2 ] && grep -q 'estimated peak memory' "$work/time"; then
    msg=$(grep -m1 'estimated peak memory' "$work/time" | sed 's/^airtime: //; s/ (--max-memory.*//')
    echo "# refused $u: $msg" >> "$dat.tmp"
    echo "$u refused: $msg" >&2
    continue
  elif [ "$rc" -ne 0 ]; then
    cat "$work/out" "$work/time" >&2
    exit 1
  fi
  # events simulated (the run's and the history phase's): the work the
  # world asked for, which need not grow like users (a fixed catalog gets
  # denser audiences)
  ev=$(sqlite3 "$work/run/results.db" "SELECT CAST(COALESCE(SUM(value), 0) AS INTEGER) FROM metrics
    WHERE arm = 'all' AND name IN ('events', 'history.events')")
  awk -v u="$u" -v ev="$ev" -F': ' '
    /User time/ { cpu += $2 } /System time/ { cpu += $2 }
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
    /Maximum resident set size/ { rss = $2 / 1024 }
    END { printf "%d %.2f %.2f %.1f %d\n", u, w, cpu, rss, ev }' "$work/time" >> "$dat.tmp"
  tail -1 "$dat.tmp" >&2
done
[ -n "$report_only" ] || mv "$dat.tmp" "$dat"
load1=$(cut -d' ' -f1-3 /proc/loadavg)

# slope of log(column c) on log(column x; default users), least squares,
# over the points that have both (files written before the events column
# have none: n/a)
fit() {
  awk -v c="$1" -v xc="${2:-1}" '!/^#/ && $c > 0 && $xc > 0 { x = log($xc); y = log($c); n++; sx += x; sy += y; sxx += x * x; sxy += x * y }
    END { if (n < 2) printf "n/a"; else printf "%.3f", (n * sxy - sx * sy) / (n * sxx - sx * sx) }' "$dat"
}
kw=$(fit 2); kc=$(fit 3); km=$(fit 4); ke=$(fit 5); kce=$(fit 3 5)

if command -v gnuplot > /dev/null; then
  gnuplot <<EOF
set terminal pngcairo size 800,500
set output '$png'
set logscale xy
set xlabel 'users'
set ylabel 'seconds'
set y2label 'peak RSS (MiB)'
set logscale y2
set ytics nomirror
set y2tics
set key top left
set title 'default scenario, $hist + 1 + 1 days (history, warm-up, experiment), log-log'
plot '$dat' using 1:2 with linespoints title 'wall s (exponent $kw)', \
     '' using 1:3 with linespoints title 'CPU s (exponent $kc)', \
     '' using 1:4 axes x1y2 with linespoints title 'peak RSS MiB (exponent $km)'
EOF
fi

echo "### scaling curve, run.history_days = $hist"
echo
echo "command: \`SCALING_HISTORY_DAYS=$hist sh bench/scaling.sh $*\` (default.ini, world.users = N, $hist days of history + 1 + 1 days, /usr/bin/time -v, one run a point)"
echo
echo "load average: $load0 at the start, $load1 at the end (2 cores)"
echo
echo "| users | wall s | CPU s (user + sys) | peak RSS MiB | events simulated | CPU us an event |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
awk '!/^#/ { if ($5 > 0) printf "| %d | %.1f | %.1f | %.1f | %d | %.3f |\n", $1, $2, $3, $4, $5, $3 * 1e6 / $5
             else printf "| %d | %.1f | %.1f | %.1f | | |\n", $1, $2, $3, $4 }
  /^# refused / { u = $3; sub(/:$/, "", u); m = $0; sub(/^# refused [0-9]*: /, "", m); printf "| %d | refused: %s | | | | |\n", u, m }' "$dat"
echo
echo "fitted growth exponent (least squares on log-log, cost ~ users^k): wall **k = $kw**, CPU **k = $kc**, peak RSS **k = $km** (target: k <= 1)"
echo
echo "events simulated ~ users^$ke; CPU s ~ events^$kce (the cost of the work the world asks for)"
[ -f "$png" ] && { echo; echo "![scaling curve, $hist days of history]($name.png)"; }
echo
