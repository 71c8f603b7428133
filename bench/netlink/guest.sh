#!/bin/bash
# Guest side of the netlink install benchmark (runs inside the qemu VM with
# the host root shared; see run.sh). In a fresh namespace, installs the same
# COUNT CHILD_SAs (an AES-GCM SA pair plus in/out/fwd tunnel policies each)
# alternately through our batched NetlinkBackend ($DRIVER child-rate) and
# through `ip -batch` (iproute2: one request and ACK per line), ROUNDS times
# each, flushing in between. Writes $RESULTS/netlink.csv and summary.txt.
# Env: DRIVER, RESULTS (required), COUNT (2000), ROUNDS (3).
set -u
D=${DRIVER:?DRIVER must name the xfrm_driver binary}
R=${RESULTS:?RESULTS must name the output directory}
count=${COUNT:-2000}
rounds=${ROUNDS:-3}
now() { local t _; read -r t _ </proc/uptime; echo "$t"; }
ip netns add bench || exit 1
batch=/tmp/ip-batch.txt
csv=$R/netlink.csv
echo "tool,round,child_sas,seconds,child_sas_per_s" >"$csv"
rc=0
for ((r = 1; r <= rounds; r++)); do
  # Ours: the driver times the batched install itself (and deletes after).
  out=$("$D" --netns bench child-rate --count "$count" --rounds 1 --ip-batch "$batch") || {
    echo "child-rate failed: $out"; rc=1; break; }
  echo "${out/round 1/round $r}"
  ms=$(sed -n 's/.* in \([0-9.]*\) ms = .*/\1/p' <<<"$out")
  awk -v r="$r" -v n="$count" -v ms="$ms" 'BEGIN { printf "ours,%d,%d,%.4f,%.0f\n", r, n, ms / 1000, n / (ms / 1000) }' >>"$csv"
  # iproute2 with the identical requests; /proc/uptime has 10 ms resolution,
  # ample for runs of seconds.
  t0=$(now)
  if ! ip -n bench -batch "$batch" >/tmp/ip.log 2>&1; then
    echo "ip -batch failed:"; head -5 /tmp/ip.log; rc=1; break
  fi
  t1=$(now)
  n_sa=$(ip -n bench xfrm state count 2>/dev/null | awk '{print $NF}')
  ip -n bench xfrm policy flush; ip -n bench xfrm state flush
  awk -v r="$r" -v n="$count" -v a="$t0" -v b="$t1" 'BEGIN { s = b - a; printf "ip,%d,%d,%.4f,%.0f\n", r, n, s, n / s }' >>"$csv"
  echo "ip -batch: round $r: $count CHILD_SAs in $(awk -v a="$t0" -v b="$t1" 'BEGIN{print (b-a)*1000}') ms (SAD had: ${n_sa:-?})"
done
# Medians and the ratio.
awk -F, 'NR > 1 { v[$1] = v[$1] " " $5 }
  function median(s,   a, n, i, j, t) { n = split(s, a, " ");
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  END { o = median(v["ours"]); p = median(v["ip"]);
    printf "netlink install (median of rounds): ours %.0f CHILD_SAs/s, ip -batch %.0f CHILD_SAs/s, ratio %.2f\n", o, p, (p > 0 ? o / p : 0) }' \
  "$csv" | tee "$R/summary.txt"
exit $rc
