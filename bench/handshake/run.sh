#!/usr/bin/env bash
# Handshake-rate benchmark: our load generator (ike_loadgen, namespace g,
# 198.51.100.2) opens N IKEv2 SAs with one CHILD_SA each, at most W in
# flight, against a responder in namespace r (198.51.100.1): first our daemon
# (--backend userspace), then strongSwan's charon (Debian packages,
# kernel-libipsec: this kernel has no ESP), both configured alike (IKE
# aes128gcm16-prfsha256-x25519, ESP aes128gcm16, any initiator identity with
# the responder's PSK or a certificate from the bench CA). Two scenarios:
# PSK + X25519 and ECDSA P-256 certificates + X25519, every SA with its own
# identity (and certificate). The responder is pinned to CPU 0 and the
# generator to CPU 1 (BENCH_PIN=0 turns that off), and restarted for each
# run. Prints each rate beside strongSwan's, the ratio, the responder's CPU
# time per SA (SAs per responder CPU-second = the per-core rate), the
# resident memory per tunnel, and the crypto ceiling from `openssl speed`
# measured in the same run.
#
#   bench/handshake/run.sh [BUILD_DIR]      (root; about 1-2 minutes at the defaults)
#   BENCH_N=1000 BENCH_WINDOW=8 BENCH_OUT=DIR (CSV and logs are kept there)
#   BENCH_PROBE=1: time the responder's stats/list-sas once a second during the load
#   BENCH_PERF=1 (or dwarf, for whole call stacks): perf record the responder
#     (BENCH_PERF_FREQ samples per second, default 499)
#   BENCH_HEAPTRACK=1: run our responder under heaptrack (memory per tunnel by call site,
#     in heaptrack-ours-*.txt; its bookkeeping inflates our RSS and CPU figures)
#   during each run (DIR/perf-*.data, flat profile in DIR/perf-*.txt)
# A benchmark, never a test: it reports numbers, it does not pass or fail on
# them. Every process it starts is stopped by PID; namespaces are removed on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$root/tests/lib/netns.sh"
source "$root/tests/lib/pki.sh"
source "$root/tests/interop/strongswan.sh"
source "$root/bench/lib/strongswan_bench.sh"

build=${1:-${BUILD:-$root/build}}
N=${BENCH_N:-1000}
W=${BENCH_WINDOW:-8}
PIN=${BENCH_PIN:-1}
SCENARIOS=${BENCH_SCENARIOS:-psk ecdsa}
PEERS=${BENCH_PEERS:-ours strongswan}
charon=${CHARON:-$build/charon/daemon/charon}
ipsecctl=${IPSECCTL:-$build/cli/ipsecctl/ipsecctl}
loadgen=${LOADGEN:-$build/bench/handshake/ike_loadgen}
for b in "$charon" "$ipsecctl" "$loadgen"; do
  [[ -x $b ]] || { echo "handshake bench: $b not built (cmake --build $build --target charon ipsecctl ike_loadgen)" >&2; exit 1; }
done
[[ $(id -u) -eq 0 ]] || { echo "handshake bench: needs root (network namespaces)" >&2; exit 1; }
[[ -x $SS_CHARON ]] || { echo "handshake bench: strongSwan's charon is not installed ($SS_CHARON)" >&2; PEERS=ours; }

work=$(mktemp -d /tmp/ike-hs-bench.XXXXXX)
out=${BENCH_OUT:-$work/out}
mkdir -p "$out"
export NS_PREFIX=hsb$$ NS_LOGDIR=$work
cleanup() {
  ns_cleanup
  [[ -n ${BENCH_KEEP:-} ]] || rm -rf "$work"
}
trap cleanup EXIT

cpu_r=() cpu_g=()
if [[ $PIN == 1 && $(nproc) -ge 2 ]]; then cpu_r=(taskset -c 0) cpu_g=(taskset -c 1); fi

psk_text=bench-psk-0123456789abcdef0123456789
psk_b64=$(printf %s "$psk_text" | base64)
rid=responder.bench.example
ike_prop=aes128gcm16-prfsha256-x25519
esp_prop=aes128gcm16

pki_ca "$work/pki" ecdsa
pki_cert "$work/pki" ecdsa responder "$rid"

ns_add r
ns_add g
ns_link r g 198.51.100.1/24 198.51.100.2/24
ns_exec r ip addr add 203.0.113.1/32 dev lo

responder_conf() {  # FILE AUTH
  local auth_local auth_remote
  if [[ $2 == psk ]]; then
    auth_local="auth = psk"
    auth_remote="auth = psk"
  else
    auth_local="auth = pubkey
      certs = responder.pem"
    auth_remote="auth = pubkey"
  fi
  cat >"$1" <<CONF
connections {
  rw {
    version = 2
    local_addrs = 198.51.100.1
    proposals = $ike_prop
    rekey_time = 4h
    local {
      $auth_local
      id = $rid
    }
    remote {
      $auth_remote
    }
    children {
      net {
        local_ts = 203.0.113.0/24
        remote_ts = 192.0.2.0/24
        esp_proposals = $esp_prop
        rekey_time = 1h
      }
    }
  }
}
secrets {
  ike-rw {
    id-r = $rid
    secret = 0s$psk_b64
  }
}
CONF
}

start_responder() {  # PEER AUTH DIR -> sets RPID
  local peer=$1 auth=$2 d=$3
  rm -rf "$d"
  mkdir -p "$d"
  if [[ $peer == ours ]]; then
    responder_conf "$d/swanctl.conf" "$auth"
    [[ $auth == ecdsa ]] && pki_install "$work/pki" responder "$d"
    local pre=()
    if [[ -n ${BENCH_HEAPTRACK:-} && -f /usr/lib/heaptrack/libheaptrack_preload.so ]]; then
      # heaptrack runs a thread of its own, so the daemon cannot drop its
      # capabilities (per thread) and is told to keep them.
      pre=(env LD_PRELOAD=/usr/lib/heaptrack/libheaptrack_preload.so DUMP_HEAPTRACK_OUTPUT="$d/heaptrack.raw")
    fi
    ns_spawn r "${cpu_r[@]}" "${pre[@]}" "$charon" --config "$d/swanctl.conf" --control-socket "$d/control.sock" \
      --pid-file "$d/charon.pid" --backend userspace --tun ipsec-r --no-ipv6 --log-level info ${pre:+--keep-caps} >/dev/null
    RPID=${NS_PIDS[-1]}
    wait_for 15 "$ipsecctl" --socket "$d/control.sock" version || { echo "our daemon did not start" >&2; return 1; }
  else
    mkdir -p "$d/swanctl"
    responder_conf "$d/swanctl/swanctl.conf" "$auth"
    [[ $auth == ecdsa ]] && pki_install "$work/pki" responder "$d/swanctl"
    ss_bench_start r "$d" "$([[ ${#cpu_r[@]} -gt 0 ]] && echo 0)"
    RPID=$SS_PID
  fi
}

# BENCH_PROBE=1: while the load runs, time the responder's control
# commands once a second (ours: ipsecctl stats / list-sas; strongSwan:
# swanctl --stats / --list-sas), to see that it stays responsive.
probe_loop() {  # PEER DIR OUTFILE
  local t0 t1 cmd
  while :; do
    for cmd in stats list-sas; do
      t0=$(date +%s%N)
      if [[ $1 == ours ]]; then
        "$ipsecctl" --socket "$2/control.sock" "$cmd" >/dev/null 2>&1 || true
      else
        ss_swanctl "$2" "--$cmd" >/dev/null 2>&1 || true
      fi
      t1=$(date +%s%N)
      echo "$cmd $(( (t1 - t0) / 1000000 ))" >>"$3"
    done
    sleep 1
  done
}
probe_summary() {  # FILE -> "stats n= p50= max=; list-sas ..."
  local cmd
  for cmd in stats list-sas; do
    awk -v c="$cmd" '$1 == c { print $2 }' "$1" | sort -n |
      awk -v c="$cmd" '{ v[++n] = $1 } END { if (!n) printf "%s -; ", c;
        else printf "%s n=%d p50=%dms max=%dms; ", c, n, v[int((n + 1) / 2)], v[n] }'
  done
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
tck=$(getconf CLK_TCK)

# --- crypto ceiling, same run, same CPU (one core) ---
speed() { "${cpu_g[@]}" openssl speed -seconds 2 "$@" 2>/dev/null; }
x25519=$(speed ecdhx25519 | awk '/ecdh \(X25519\)/ {print $NF}')
read -r p256_sign p256_verify < <(speed ecdsap256 | awk '/256 bits ecdsa \(nistp256\)/ {print $(NF-1), $NF}')
# Per handshake the responder does one X25519 key generation and one
# derivation (both counted at the derive cost), and with certificates also
# one ECDSA P-256 signature and two verifications (the peer's AUTH and its
# certificate's signature by the CA).
ceil_psk=$(awk -v x="$x25519" 'BEGIN { printf "%.0f", 1 / (2 / x) }')
ceil_ecdsa=$(awk -v x="$x25519" -v s="$p256_sign" -v v="$p256_verify" 'BEGIN { printf "%.0f", 1 / (2 / x + 1 / s + 2 / v) }')

declare -A rate lat cpu_per_sa per_core rss_per fails
for auth in $SCENARIOS; do
  for peer in $PEERS; do
    d=$work/$peer-$auth
    start_responder "$peer" "$auth" "$d"
    sleep 0.5
    t0=$(cpu_ticks "$RPID")
    m0=$(rss_kib "$RPID")
    gen=(--local 198.51.100.2 --remote 198.51.100.1 --count "$N" --window "$W" --auth "$auth"
         --psk "$psk_text" --responder-id "$rid" --ike "$ike_prop" --esp "$esp_prop"
         --label "$peer-$auth" --csv "$out/latency-$peer-$auth.csv" --timeout $((30 + N / 5)))
    [[ $auth == ecdsa ]] && gen+=(--ca-cert "$work/pki/ca.pem" --ca-key "$work/pki/ca.key")
    perf_pid=
    if [[ -n ${BENCH_PERF:-} ]] && command -v perf >/dev/null; then
      cg=(-g)
      [[ $BENCH_PERF == dwarf ]] && cg=(--call-graph dwarf,16384)
      perf record -q -F "${BENCH_PERF_FREQ:-499}" "${cg[@]}" -o "$out/perf-$peer-$auth.data" -p "$RPID" >/dev/null 2>&1 &
      perf_pid=$!
      sleep 0.3
    fi
    probe_pid=
    if [[ -n ${BENCH_PROBE:-} ]]; then
      : >"$out/probe-$peer-$auth.txt"
      probe_loop "$peer" "$d" "$out/probe-$peer-$auth.txt" &
      probe_pid=$!
    fi
    res=$(ns_exec g "${cpu_g[@]}" "$loadgen" "${gen[@]}" 2>&1) || true
    if [[ -n $probe_pid ]]; then
      kill "$probe_pid" 2>/dev/null || true
      wait "$probe_pid" 2>/dev/null || true
      echo "  control latency during the load ($peer): $(probe_summary "$out/probe-$peer-$auth.txt")"
    fi
    if [[ -n $perf_pid ]]; then
      kill -INT "$perf_pid" 2>/dev/null || true
      wait "$perf_pid" 2>/dev/null || true
      perf report -i "$out/perf-$peer-$auth.data" --no-children --sort dso,symbol --percent-limit 1 --stdio \
        -g none >"$out/perf-$peer-$auth.txt" 2>/dev/null || true
    fi
    t1=$(cpu_ticks "$RPID")
    m1=$(rss_kib "$RPID")
    if [[ -n ${BENCH_HEAPTRACK:-} && $peer == ours ]]; then
      # heaptrack's raw data is complete once the process has ended.
      kill "$RPID" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$RPID" 2>/dev/null || break; sleep 0.2; done
      /usr/lib/heaptrack/libexec/heaptrack_interpret <"$d/heaptrack.raw" | zstd -q -c >"$out/heaptrack-$peer-$auth.zst"
      heaptrack_print -f "$out/heaptrack-$peer-$auth.zst" -p 0 -a 0 -T 0 -l 1 -n 40 -s 0 >"$out/heaptrack-$peer-$auth.txt" 2>&1 || true
    fi
    echo "$res" | tee -a "$out/loadgen.log" | sed 's/^/  /'
    line=$(grep '^RESULT' <<<"$res" || true)
    get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
    est=$(get established)
    est=${est:-0}
    k=$peer-$auth
    rate[$k]=$(get rate_per_s)
    rate[$k]=${rate[$k]:-0}
    lat[$k]="$(get p50_ms)/$(get p90_ms)/$(get p99_ms)"
    fails[$k]=$(( N - est ))
    cpu_s=$(awk -v a="$t0" -v b="$t1" -v t="$tck" 'BEGIN { printf "%.3f", (b - a) / t }')
    cpu_per_sa[$k]=$(awk -v c="$cpu_s" -v n="$est" 'BEGIN { if (n > 0) printf "%.0f", c / n * 1e6; else print "-" }')
    per_core[$k]=$(awk -v c="$cpu_s" -v n="$est" 'BEGIN { if (c > 0) printf "%.0f", n / c; else print "-" }')
    rss_per[$k]=$(awk -v a="$m0" -v b="$m1" -v n="$est" 'BEGIN { if (n > 0) printf "%.1f", (b - a) / n; else print "-" }')
    echo "  responder $peer: cpu ${cpu_s}s for $est SAs (${cpu_per_sa[$k]} us/SA, ${per_core[$k]} SAs per CPU-second), RSS $m0 -> $m1 KiB"
    echo "$k,$N,$W,$est,${rate[$k]},$(get p50_ms),$(get p90_ms),$(get p99_ms),$cpu_s,${per_core[$k]},${rss_per[$k]}" >>"$out/handshake.csv.tmp"
    if [[ $peer == ours ]]; then
      "$ipsecctl" --socket "$d/control.sock" --json stats >"$out/stats-$peer-$auth.json" 2>&1 || true
    fi
    ns_stop_pid "$RPID"
  done
done

{
  echo "peer_auth,n,window,established,rate_per_s,p50_ms,p90_ms,p99_ms,responder_cpu_s,sa_per_cpu_s,rss_kib_per_sa"
  cat "$out/handshake.csv.tmp"
} >"$out/handshake.csv"
rm -f "$out/handshake.csv.tmp"

echo
echo "# handshake rate, N=$N SAs, window $W, responder pinned to one core: $([[ ${#cpu_r[@]} -gt 0 ]] && echo yes || echo no)"
echo "# CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# openssl speed (1 core): X25519 ${x25519}/s, ECDSA P-256 sign ${p256_sign}/s verify ${p256_verify}/s"
printf '%-7s %-10s %10s %10s %8s %16s %12s %12s %8s %10s\n' auth peer "SAs/s" "SAs/cpu-s" failed "p50/p90/p99 ms" "us cpu/SA" "KiB RSS/SA" ceiling "ours/ceil"
for auth in $SCENARIOS; do
  ceil=$([[ $auth == psk ]] && echo "$ceil_psk" || echo "$ceil_ecdsa")
  for peer in $PEERS; do
    k=$peer-$auth
    frac=$(awk -v r="${per_core[$k]}" -v c="$ceil" 'BEGIN { if (r + 0 > 0) printf "%.2f", r / c; else print "-" }')
    printf '%-7s %-10s %10s %10s %8s %16s %12s %12s %8s %10s\n' "$auth" "$peer" "${rate[$k]}" "${per_core[$k]}" "${fails[$k]}" \
      "${lat[$k]}" "${cpu_per_sa[$k]}" "${rss_per[$k]}" "$ceil" "$frac"
  done
  if [[ $PEERS == *strongswan* && $PEERS == *ours* ]]; then
    awk -v a="${rate[ours-$auth]}" -v b="${rate[strongswan-$auth]}" -v c="${per_core[ours-$auth]}" -v d="${per_core[strongswan-$auth]}" -v t="$auth" \
      'BEGIN { printf "ratio %s ours/strongswan: wall rate %.2f, per responder CPU-second %.2f\n", t, (b > 0 ? a / b : 0), (d > 0 ? c / d : 0) }'
  fi
done
echo "# CSV: $out/handshake.csv; per-SA latencies: $out/latency-*.csv"
