#!/usr/bin/env bash
# Configures and builds one flavour of the project.
#   scripts/build.sh [release|asan|fuzz]   (default release)
# Build trees: build/ (release), build-asan/, build-fuzz/ (clang, libFuzzer).
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
jobs=${IKE_JOBS:-$(nproc)}
case "$flavour" in
  release) dir=build; args=() ;;
  asan) dir=build-asan; args=(-DIKE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug) ;;
  fuzz) dir=build-fuzz; args=(-DIKE_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++) ;;
  *) echo "build.sh: unknown flavour '$flavour' (release|asan|fuzz)" >&2; exit 2 ;;
esac
if [[ ! -f $dir/CMakeCache.txt ]]; then
  cmake -S . -B "$dir" "${gen[@]}" "${args[@]}"
fi
cmake --build "$dir" -j "$jobs"
