#!/usr/bin/env bash
# Runs every libFuzzer target for a bounded time over its seed corpus.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# Short units (the default 12 s each) are part of the test command; for a long
# run of one target: scripts/fuzz.sh 3600 wire_message_fuzz
# New inputs go to build-fuzz/corpus/<target> (never into the repository's
# seeds); crashes are written to build-fuzz/crashes/ and fail the run.
# FUZZ_SEED=N makes the run reproducible: libFuzzer's seed is fixed, the
# work corpus starts empty (build-fuzz/corpus-seeded/) and each target stops
# after FUZZ_RUNS inputs (default 100000), so the same build explores the same
# inputs on every machine; a slower machine stops earlier at the time limit,
# on a prefix of the same sequence. The test command uses this; running it
# once with a generous time (FUZZ_SEED=1 scripts/fuzz.sh 900) covers every
# input CI will try. Long exploratory runs leave FUZZ_SEED unset.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-12}
shift || true
scripts/build.sh fuzz
mkdir -p build-fuzz/crashes
targets=("$@")
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <(find build-fuzz/tests/fuzz -maxdepth 1 -type f -name '*_fuzz' -perm -u+x -printf '%f\n' | sort)
fi
if ((${#targets[@]} == 0)); then
  echo "fuzz: no fuzz targets were built" >&2
  exit 1
fi
seed_args=()
work_root=build-fuzz/corpus
if [[ -n ${FUZZ_SEED:-} ]]; then
  seed_args=(-seed="$FUZZ_SEED" -runs="${FUZZ_RUNS:-100000}")
  work_root=build-fuzz/corpus-seeded
  rm -rf "$work_root"
fi
failed=0
for t in "${targets[@]}"; do
  seeds=tests/fuzz/corpus/${t%_fuzz}
  work=$work_root/$t
  mkdir -p "$work"
  dirs=("$work")
  [[ -d $seeds ]] && dirs+=("$seeds")
  echo "fuzz: $t for ${seconds}s"
  if ! "build-fuzz/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 "${seed_args[@]}" -artifact_prefix="build-fuzz/crashes/$t-" "${dirs[@]}" \
      >"build-fuzz/$t.log" 2>&1; then
    echo "fuzz: $t FAILED (log: build-fuzz/$t.log)" >&2
    tail -n 40 "build-fuzz/$t.log" >&2
    failed=1
  else
    grep -E "stat::number_of_executed_units" "build-fuzz/$t.log" | sed "s/^/fuzz: $t /" || true
  fi
done
exit $failed
