#!/usr/bin/env bash
# Our daemon with a few thousand IKE_SAs stays manageable: namespace r runs
# it as responder (userspace backend, PSK, any initiator identity), namespace
# g the handshake load generator (bench/handshake/ike_loadgen: the engine as
# initiator, one identity and CHILD_SA per SA). Once SCALE_N (default 3000)
# SAs are up, checked:
# - `ipsecctl stats` answers within 1 s and is a summary (counts, counters):
#   it carries no per-CHILD_SA array, so its cost does not grow with the SAs;
#   `stats --traffic` still lists every CHILD_SA's counters;
# - `list-sas` lists them all;
# - on SIGTERM the daemon sends its DELETEs (the generator is gone: no one
#   answers) and exits within 10 s.
# Bounded: the generator stops by itself (--timeout), every process started
# here is stopped by PID, the namespaces are removed on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
source "$root/tests/lib/netns.sh"
charon=${CHARON:-$root/build/charon/daemon/charon}
ipsecctl=${IPSECCTL:-$root/build/cli/ipsecctl/ipsecctl}
loadgen=${LOADGEN:-$root/build/bench/handshake/ike_loadgen}
N=${SCALE_N:-3000}

ns_available || skip_or_fail "the scale test needs root and network namespaces"
for b in "$charon" "$ipsecctl" "$loadgen"; do
  [[ -x $b ]] || { echo "FAIL: $b not built" >&2; exit 1; }
done

ns_workdir scale
psk=scale-test-psk-0123456789abcdef0123
rid=responder.scale.example
cat >"$work/swanctl.conf" <<CONF
connections {
  rw {
    version = 2
    local_addrs = 198.51.100.1
    proposals = aes128gcm16-prfsha256-x25519
    local {
      auth = psk
      id = $rid
    }
    remote {
      auth = psk
    }
    children {
      net {
        local_ts = 203.0.113.0/24
        remote_ts = 192.0.2.0/24
        esp_proposals = aes128gcm16
      }
    }
  }
}
secrets {
  ike-rw {
    id-r = $rid
    secret = 0s$(printf %s "$psk" | base64)
  }
}
CONF

ns_add r
ns_add g
ns_link r g 198.51.100.1/24 198.51.100.2/24
sock=$work/control.sock
ctl() { "$ipsecctl" --socket "$sock" "$@"; }
# Not in $( ): ns_spawn records the PID for the cleanup on exit.
ns_spawn r "$charon" --config "$work/swanctl.conf" --control-socket "$sock" \
  --pid-file "$work/charon.pid" --backend userspace --tun ipsec-s --no-ipv6 --log-level warning >/dev/null
rpid=${NS_PIDS[-1]}
wait_for 15 ctl version || { echo "FAIL: the daemon did not start" >&2; exit 1; }

t0=$SECONDS
res=$(ns_exec g "$loadgen" --local 198.51.100.2 --remote 198.51.100.1 --count "$N" --window 16 \
  --psk "$psk" --responder-id "$rid" --timeout $((60 + N / 20)) --label scale 2>&1) || true
echo "$res"
grep -q "established=$N " <<<"$res" || { echo "FAIL: not all $N SAs came up" >&2; exit 1; }
echo "$N SAs up in $((SECONDS - t0)) s"

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
t=$(date +%s%N)
stats=$(ctl --json stats)
stats_ms=$(ms "$t")
echo "stats: ${stats_ms} ms"
grep -q "\"ike_sas\": $N," <<<"$stats" || { echo "FAIL: stats does not count $N IKE_SAs" >&2; echo "$stats" | head -5 >&2; exit 1; }
grep -q "\"child_sas\": $N," <<<"$stats" || { echo "FAIL: stats does not count $N CHILD_SAs" >&2; exit 1; }
if grep -q child_sa_traffic <<<"$stats"; then echo "FAIL: stats carries the per-CHILD_SA traffic" >&2; exit 1; fi
((stats_ms < 1000)) || { echo "FAIL: stats took ${stats_ms} ms with $N SAs" >&2; exit 1; }
traffic=$(ctl --json stats --traffic | grep -c '"packets_out"' || true)
[[ $traffic == "$N" ]] || { echo "FAIL: stats --traffic lists $traffic CHILD_SAs, want $N" >&2; exit 1; }
t=$(date +%s%N)
listed=$(ctl --json list-sas | grep -c '"spi_i"' || true)
echo "list-sas: $(ms "$t") ms"
[[ $listed == "$N" ]] || { echo "FAIL: list-sas lists $listed IKE_SAs, want $N" >&2; exit 1; }

t=$(date +%s%N)
kill -TERM "$rpid"
for _ in $(seq 1 100); do kill -0 "$rpid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$rpid" 2>/dev/null; then
  echo "FAIL: the daemon did not exit within 10 s of SIGTERM with $N SAs" >&2
  exit 1
fi
echo "SIGTERM to exit: $(ms "$t") ms"
echo "PASS"
