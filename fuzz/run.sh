#!/bin/sh
# Run every libFuzzer harness for SECONDS each (make fuzz FUZZ_SECONDS=N):
# new inputs go to BUILD/corpus-NAME, the seeds of fuzz/corpus/NAME are read
# only; a crash leaves BUILD/crash-NAME-* and fails.  From the top of the tree.
set -u
build=$1
secs=$2
shift 2
status=0
for name in "$@"; do
  mkdir -p "$build/corpus-$name"
  seeds=fuzz/corpus/$name
  [ -d "$seeds" ] || seeds=
  log=$build/fuzz-$name.log
  "$build/fuzz_$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$build/crash-$name-" \
      "$build/corpus-$name" $seeds > "$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  rate=$(grep -o 'exec/s: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
  if [ $rc -ne 0 ]; then
    echo "fuzz_$name: FAILED (exit $rc), see $log"; tail -30 "$log"; status=1
  else
    echo "fuzz_$name: ${execs:-?} runs in ${secs} s (${rate:-?} exec/s), no crash"
  fi
done
exit $status
