#!/usr/bin/env bash
# Data-path benchmark: iperf3 through an IKEv2 tunnel between two network
# namespaces (a: 198.51.100.1 protecting 192.0.2.1, b: 198.51.100.2
# protecting 203.0.113.1), first with a pair of our daemons (--backend
# userspace: TUN + ESP-in-UDP in the daemon), then with a pair of strongSwan
# charons (kernel-libipsec: TUN + ESP-in-UDP in charon; this kernel has no
# ESP), for AES-128-GCM-16 and ChaCha20-Poly1305, in the same run:
#   - TCP throughput (iperf3, one stream, BENCH_T seconds),
#   - small packets: UDP with 64-byte payloads at full speed, packets per
#     second that arrived,
# printed as Mbit/s (pps) with the ratio ours/strongSwan, beside
# `openssl speed -evp aes-128-gcm` (and chacha20-poly1305) at 1 KiB and
# 16 KiB blocks on one core as the CPU ceiling.
#
#   bench/esp/compare.sh [BUILD_DIR]     (root; about 1.5 minutes at BENCH_T=8)
#   BENCH_T=8 BENCH_CIPHERS="aes128gcm16 chacha20poly1305" BENCH_OUT=DIR
#   BENCH_PERF=1: perf record both daemons during each TCP run (DIR/perf-tcp-*.txt)
# CPU: utime+stime of each daemon (/proc/PID/stat, all threads) over the TCP
# run; "Gbit/s per core" = TCP throughput x run seconds / the CPU-seconds of
# the busier daemon (the sender, a, or the receiver, b): what one side's data
# path would move with one core to itself.
# A benchmark, never a test. Processes are stopped by PID, namespaces removed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$root/tests/lib/netns.sh"
source "$root/tests/interop/strongswan.sh"
source "$root/bench/lib/strongswan_bench.sh"

build=${1:-${BUILD:-$root/build}}
T=${BENCH_T:-8}
CIPHERS=${BENCH_CIPHERS:-aes128gcm16 chacha20poly1305}
PEERS=${BENCH_PEERS:-ours strongswan}
# ESP-in-UDP for both pairs: strongSwan's kernel-libipsec carries ESP only
# in UDP (port 4500), so our pair uses the same wire format (and the UDP
# GSO/GRO offloads, which raw ESP sockets cannot have). BENCH_ENCAP=no runs
# ours over raw ESP (IP protocol 50) without NAT, as before 2026-11-30 12:00.
ENCAP=${BENCH_ENCAP:-yes}
charon=${CHARON:-$build/charon/daemon/charon}
ipsecctl=${IPSECCTL:-$build/cli/ipsecctl/ipsecctl}
for b in "$charon" "$ipsecctl"; do
  [[ -x $b ]] || { echo "esp compare: $b not built (cmake --build $build --target charon ipsecctl)" >&2; exit 1; }
done
[[ $(id -u) -eq 0 ]] || { echo "esp compare: needs root (network namespaces)" >&2; exit 1; }
command -v iperf3 >/dev/null || { echo "esp compare: iperf3 missing (apt-get install iperf3)" >&2; exit 1; }
[[ -x $SS_CHARON ]] || { echo "esp compare: strongSwan not installed, ours only" >&2; PEERS=ours; }

work=$(mktemp -d /tmp/ike-esp-bench.XXXXXX)
out=${BENCH_OUT:-$work/out}
mkdir -p "$out"
export NS_PREFIX=espb$$ NS_LOGDIR=$work
cleanup() {
  ns_cleanup
  [[ -n ${BENCH_KEEP:-} ]] || rm -rf "$work"
}
trap cleanup EXIT

bench_machine
speed_mbit() {  # ALG BYTES -> Mbit/s on one core
  local kb
  kb=$(taskset -c 1 openssl speed -evp "$1" -seconds 2 -bytes "$2" 2>/dev/null | awk -v a="$1" 'tolower($1) == a { print $NF }')
  awk -v k="${kb%k}" 'BEGIN { printf "%.0f", k * 1000 * 8 / 1e6 }'
}
declare -A ceil
for alg in aes-128-gcm chacha20-poly1305; do
  for bytes in 1024 16384; do ceil[$alg-$bytes]=$(speed_mbit "$alg" "$bytes"); done
done
echo "# openssl speed -evp, one core, Mbit/s: aes-128-gcm 1KiB ${ceil[aes-128-gcm-1024]} 16KiB ${ceil[aes-128-gcm-16384]}; chacha20-poly1305 1KiB ${ceil[chacha20-poly1305-1024]} 16KiB ${ceil[chacha20-poly1305-16384]}"

ns_add a
ns_add b
ns_link a b 198.51.100.1/24 198.51.100.2/24
ns_exec a ip addr add 192.0.2.1/32 dev lo
ns_exec b ip addr add 203.0.113.1/32 dev lo
psk=$(openssl rand -base64 24)

conf() {  # FILE LOCAL REMOTE LOCAL_TS REMOTE_TS ME PEER ESP
  cat >"$1" <<CONF
connections {
  bench {
    version = 2
    local_addrs = $2
    remote_addrs = $3
    proposals = aes128gcm16-prfsha256-x25519
    rekey_time = 4h
    encap = $ENCAP
    local {
      auth = psk
      id = $6
    }
    remote {
      auth = psk
      id = $7
    }
    children {
      net {
        local_ts = $4
        remote_ts = $5
        esp_proposals = $8
        rekey_time = 1h
      }
    }
  }
}
secrets {
  ike-bench {
    id-a = a.bench.example
    id-b = b.bench.example
    secret = 0s$psk
  }
}
CONF
}

PIDS_NOW=()
up_pair() {  # PEER ESP
  local peer=$1 esp=$2 pd=$work/$1-$2
  PD_NOW=$pd
  rm -rf "$pd"
  mkdir -p "$pd/a/swanctl" "$pd/b/swanctl"
  conf "$pd/a/swanctl/swanctl.conf" 198.51.100.1 198.51.100.2 192.0.2.1/32 203.0.113.1/32 a.bench.example b.bench.example "$esp"
  conf "$pd/b/swanctl/swanctl.conf" 198.51.100.2 198.51.100.1 203.0.113.1/32 192.0.2.1/32 b.bench.example a.bench.example "$esp"
  PIDS_NOW=()
  if [[ $peer == ours ]]; then
    local s
    for s in a b; do
      ns_spawn "$s" "$charon" --config "$pd/$s/swanctl/swanctl.conf" --control-socket "$pd/$s/control.sock" \
        --pid-file "$pd/$s/charon.pid" --backend userspace --tun "ipsec-$s" --no-ipv6 --log-level info >/dev/null
      PIDS_NOW+=("${NS_PIDS[-1]}")
      wait_for 15 "$ipsecctl" --socket "$pd/$s/control.sock" version || { echo "our daemon in $s did not start" >&2; return 1; }
    done
    "$ipsecctl" --socket "$pd/a/control.sock" initiate --child net --timeout 20 >/dev/null
    established() { "$ipsecctl" --socket "$pd/a/control.sock" --json list-sas | grep -q '"state": "INSTALLED"'; }
  else
    ss_bench_start a "$pd/a"
    PIDS_NOW+=("$SS_PID")
    ss_bench_start b "$pd/b"
    PIDS_NOW+=("$SS_PID")
    ss_swanctl "$pd/a" --initiate --child net --timeout 20 >"$pd/initiate.log" 2>&1
    established() { ss_swanctl "$pd/a" --list-sas 2>/dev/null | grep -q INSTALLED; }
  fi
  wait_for 15 established || { echo "$peer $esp: tunnel not established" >&2; return 1; }
  wait_for 10 ns_exec a ping -c 1 -W 1 -I 192.0.2.1 203.0.113.1 || { echo "$peer $esp: no ping through the tunnel" >&2; return 1; }
}

cpu_ticks() {  # PID... -> utime+stime (clock ticks) summed over the processes
  local pid sum=0 f
  for pid in "$@"; do
    f=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    f=${f##*) }
    # after "pid (comm) ": field 3 is state, utime/stime are fields 14/15
    sum=$((sum + $(awk '{ print $12 + $13 }' <<<"$f")))
  done
  echo "$sum"
}

down_pair() {
  local pid
  for pid in "${PIDS_NOW[@]}"; do ns_stop_pid "$pid"; done
}

iperf() {  # NAME ARGS... -> prints the iperf3 JSON
  local name=$1
  shift
  ns_spawn b iperf3 -s -1 -B 203.0.113.1 >/dev/null
  local spid=${NS_PIDS[-1]}
  sleep 0.5
  ns_exec a timeout $((T + 30)) iperf3 -c 203.0.113.1 -B 192.0.2.1 -t "$T" -J "$@" >"$out/iperf-$name.json" 2>&1 || true
  ns_stop_pid "$spid"
}

json() {  # FILE PYTHON-EXPR on d
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null || echo 0
}

per_core() {  # KEY -> Gbit/s per CPU-second of the busier daemon
  awk -v m="${tcp[$1]:-0}" -v a="${cpu_a[$1]:-0}" -v b="${cpu_b[$1]:-0}" -v t="$T" \
    'BEGIN { c = a > b ? a : b; if (c > 0) printf "%.2f", m / 1000 * t / c; else print "-" }'
}

declare -A tcp pps cpu_a cpu_b
hz=$(getconf CLK_TCK)
for esp in $CIPHERS; do
  for peer in $PEERS; do
    if ! up_pair "$peer" "$esp"; then
      tcp[$peer-$esp]=0 pps[$peer-$esp]=0 cpu_a[$peer-$esp]=0 cpu_b[$peer-$esp]=0
      down_pair
      continue
    fi
    perf_pid=
    if [[ -n ${BENCH_PERF:-} ]] && command -v perf >/dev/null; then
      perf record -q -F 499 -g -o "$out/perf-tcp-$peer-$esp.data" -p "$(IFS=,; echo "${PIDS_NOW[*]}")" >/dev/null 2>&1 &
      perf_pid=$!
    fi
    ta0=$(cpu_ticks "${PIDS_NOW[0]}") tb0=$(cpu_ticks "${PIDS_NOW[1]}")
    iperf "tcp-$peer-$esp"
    ta1=$(cpu_ticks "${PIDS_NOW[0]}") tb1=$(cpu_ticks "${PIDS_NOW[1]}")
    if [[ $peer == ours ]]; then  # data-path counters (offload use: esp_udp_gso_sends...)
      for s in a b; do "$ipsecctl" --socket "$PD_NOW/$s/control.sock" --json stats >"$out/stats-tcp-$s-$esp.json" 2>&1 || true; done
    fi
    if [[ -n $perf_pid ]]; then
      kill -INT "$perf_pid" 2>/dev/null || true
      wait "$perf_pid" 2>/dev/null || true
      perf report -i "$out/perf-tcp-$peer-$esp.data" --no-children --sort pid,dso,symbol --percent-limit 1 --stdio \
        -g none >"$out/perf-tcp-$peer-$esp.txt" 2>/dev/null || true
    fi
    tcp[$peer-$esp]=$(json "$out/iperf-tcp-$peer-$esp.json" "round(d['end']['sum_received']['bits_per_second']/1e6)")
    # CPU-seconds of both daemons during the TCP run (iperf3 setup included: a
    # little above the data path's own share).
    cpu_a[$peer-$esp]=$(awk -v d=$((ta1 - ta0)) -v hz="$hz" 'BEGIN { printf "%.2f", d / hz }')
    cpu_b[$peer-$esp]=$(awk -v d=$((tb1 - tb0)) -v hz="$hz" 'BEGIN { printf "%.2f", d / hz }')
    iperf "udp64-$peer-$esp" -u -b 0 -l 64
    pps[$peer-$esp]=$(json "$out/iperf-udp64-$peer-$esp.json" \
      "round((d['end']['sum']['packets']-d['end']['sum']['lost_packets'])/d['end']['sum']['seconds'])")
    echo "$peer $esp: TCP ${tcp[$peer-$esp]} Mbit/s ($(per_core "$peer-$esp") Gbit/s per core; CPU-s in ${T} s: sender ${cpu_a[$peer-$esp]}, receiver ${cpu_b[$peer-$esp]}), UDP 64 B ${pps[$peer-$esp]} pps received"
    down_pair
  done
done

{
  echo "cipher,peer,tcp_mbit_s,udp64_pps,tcp_cpu_s_sender,tcp_cpu_s_receiver,gbit_s_per_core"
  for esp in $CIPHERS; do for peer in $PEERS; do
    echo "$esp,$peer,${tcp[$peer-$esp]},${pps[$peer-$esp]},${cpu_a[$peer-$esp]},${cpu_b[$peer-$esp]},$(per_core "$peer-$esp")"
  done; done
} >"$out/datapath.csv"

echo
echo "# data path through the tunnel, iperf3 -t $T, TUN + ESP in userspace on both sides (encap = $ENCAP)"
printf '%-18s %12s %12s %8s %14s %14s %8s %10s\n' cipher "ours Mbit/s" "sswan Mbit/s" ratio "ours pps(64B)" "sswan pps" ratio "ceil 1KiB"
for esp in $CIPHERS; do
  alg=$([[ $esp == chacha20poly1305 ]] && echo chacha20-poly1305 || echo aes-128-gcm)
  r1=$(awk -v a="${tcp[ours-$esp]:-0}" -v b="${tcp[strongswan-$esp]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
  r2=$(awk -v a="${pps[ours-$esp]:-0}" -v b="${pps[strongswan-$esp]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
  printf '%-18s %12s %12s %8s %14s %14s %8s %10s\n' "$esp" "${tcp[ours-$esp]:-}" "${tcp[strongswan-$esp]:-}" "$r1" \
    "${pps[ours-$esp]:-}" "${pps[strongswan-$esp]:-}" "$r2" "${ceil[$alg-1024]}"
  awk -v a="${tcp[ours-$esp]:-0}" -v c1="${ceil[$alg-1024]}" -v c16="${ceil[$alg-16384]}" -v e="$esp" \
    'BEGIN { printf "  ours/ceiling %s: %.3f of 1 KiB, %.3f of 16 KiB (openssl, one core)\n", e, a / c1, a / c16 }'
  echo "  Gbit/s per core (TCP, per CPU-second of the busier daemon): ours $(per_core "ours-$esp"), strongSwan $(per_core "strongswan-$esp")"
done
echo "# CSV: $out/datapath.csv"
