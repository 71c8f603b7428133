#!/usr/bin/env bash
# The project's test command: installs what it needs (Debian packages), builds,
# runs every test suite, then a short bounded run of every fuzz target.
#   scripts/test.sh              everything (release build + fuzz)
#   scripts/test.sh --sanitize   the test suites under ASan+UBSan (no fuzz)
#   scripts/test.sh --no-setup   skip the package check
# With CI=true, tests that need root, namespaces or qemu fail instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=release
setup=1
fuzz=1
for arg in "$@"; do
  case "$arg" in
    --sanitize) flavour=asan; fuzz=0 ;;
    --no-setup) setup=0 ;;
    --no-fuzz) fuzz=0 ;;
    *) echo "test.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done
((setup)) && scripts/setup-deps.sh
scripts/build.sh "$flavour"
dir=build
[[ $flavour == asan ]] && dir=build-asan
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exclude=()
# The sanitizer run skips the long packet-level kernel interop matrix (it
# exercises ike-esp-static against kernel ESP, covered by the release run);
# the ESP code itself runs under the sanitizers in its unit and netns suites.
[[ $flavour == asan ]] && exclude=(-E '^esp_kernel_interop_vm$')
ctest --test-dir "$dir" --output-on-failure -j "${IKE_JOBS:-$(nproc)}" --timeout 1800 "${exclude[@]}"
if ((fuzz)); then
  FUZZ_SEED=${FUZZ_SEED:-1} scripts/fuzz.sh "${IKE_FUZZ_SECONDS:-12}"
fi
