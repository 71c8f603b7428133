#!/usr/bin/env bash
# Netlink install rate inside the qemu kernel harness (a stock Debian kernel
# with ESP; tests/kernel/README.md). Under TCG the absolute figure says little
# about a native kernel, so it is reported as a ratio against iproute2
# (`ip -batch`) installing the identical CHILD_SAs in the same VM.
#   bash bench/netlink/run.sh [BUILD_DIR]
# Knobs: BENCH_NETLINK_COUNT (CHILD_SAs per round, 2000), BENCH_NETLINK_ROUNDS (3).
# First the policy half natively (this host's kernel has no ESP), then the
# full CHILD_SAs in the VM. Output: $BENCH_OUT/netlink.{csv,txt} when BENCH_OUT is set. About 1-2 minutes
# (VM boot ~20 s, then about 5-10 s per round under TCG). Root (9p share).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
[[ $(id -u) -eq 0 ]] || { echo "bench/netlink: needs root (qemu 9p share)" >&2; exit 1; }
nice cmake --build "$build" --target xfrm_driver -j2 >/dev/null
driver=$(realpath "$build/tests/kernel/xfrm_driver")
out=$(mktemp -d /var/tmp/ike-netlink-bench.XXXXXX)
ns=ike-nlbench-$$
trap 'rm -rf "$out"; ip netns del "$ns" 2>/dev/null || true' EXIT
count=${BENCH_NETLINK_COUNT:-2000}
# On this host's kernel (XFRM without ESP) only the policies can be
# installed natively: the same comparison for the policy half, in a
# namespace of our own.
ip netns add "$ns"
median() { sort -n | sed -n 2p; }  # of three
ours=() theirs=()
for r in 1 2 3; do
  ours+=("$("$driver" --netns "$ns" child-rate --count "$count" --rounds 1 --policies-only \
      --ip-batch "$out/policies.txt" | sed -n 's/.* = \([0-9]*\) CHILD_SAs\/s/\1/p')")
  t0=$(date +%s.%N); ip -n "$ns" -batch "$out/policies.txt"; t1=$(date +%s.%N)
  ip -n "$ns" xfrm policy flush
  theirs+=("$(echo "$count / ($t1 - $t0)" | bc)")
done
o=$(printf '%s\n' "${ours[@]}" | median) t=$(printf '%s\n' "${theirs[@]}" | median)
printf 'native kernel, policies only (3 per CHILD_SA), median of 3: ours %d CHILD_SAs/s, ip -batch %d, ratio %.2f\n' \
  "$o" "$t" "$(echo "scale=2; $o / $t" | bc)" | tee "$out/native.txt"
ip netns del "$ns"
"$root/tests/kernel/vm-run.sh" --share-root --rw "$out" --timeout 600 \
  --env DRIVER="$driver" --env RESULTS="$out" \
  --env COUNT="${BENCH_NETLINK_COUNT:-2000}" --env ROUNDS="${BENCH_NETLINK_ROUNDS:-3}" \
  "$root/bench/netlink/guest.sh" | grep -E '^(child-rate|ip -batch)|FAIL|rc=' || true
[[ -s $out/summary.txt ]] || { echo "bench/netlink: no result from the VM" >&2; exit 1; }
if [[ -n ${BENCH_OUT:-} ]]; then
  cp "$out/netlink.csv" "$BENCH_OUT/netlink.csv"
  cat "$out/native.txt" "$out/summary.txt" >"$BENCH_OUT/netlink.txt"
fi
cat "$out/summary.txt"
