#!/usr/bin/env bash
# The daemon drops every capability but CAP_NET_ADMIN after start-up, in
# every thread (the userspace data path's workers start after the drop), and
# still does its job: namespaces o (198.51.100.1, protects 192.0.2.1) and s
# (198.51.100.2, protects 203.0.113.1), our daemon in each with the
# userspace backend. Checked: CapEff/CapPrm/CapBnd = cap_net_admin,
# CapInh/CapAmb empty and NoNewPrivs in /proc/PID/task/*/status; the tunnel
# comes up and passes traffic; a SIGHUP reload adding a connection applies;
# the tunnel survives it; terminate removes SAs and routes; SIGTERM removes
# the TUN device and the routing rule. A control daemon with --keep-caps
# shows the full set (so the check reads what it claims to), and a daemon
# started as nobody with ambient capabilities binds port 500 and keeps only
# CAP_NET_ADMIN too.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
source "$root/tests/lib/netns.sh"
source "$root/tests/lib/swanctl.sh"
charon=${CHARON:-$root/build/charon/daemon/charon}
ipsecctl=${IPSECCTL:-$root/build/cli/ipsecctl/ipsecctl}

ns_available || skip_or_fail "the capability test needs root and network namespaces"
[[ -x $charon ]] || { echo "FAIL: $charon not built" >&2; exit 1; }
grep -q '^CapBnd:' /proc/self/status || skip_or_fail "no capability fields in /proc/PID/status"

ns_workdir caps

net_admin=0000000000001000  # 1 << CAP_NET_ADMIN (12)

# check_caps PID EXPECT_EFF_PRM_BND: every thread of PID.
check_caps() {
  local pid=$1 want=$2 threads=0 f field value
  for f in /proc/"$pid"/task/*/status; do
    threads=$((threads + 1))
    for field in CapEff CapPrm CapBnd; do
      value=$(awk -v k="$field:" '$1 == k { print $2 }' "$f")
      [[ $value == "$want" ]] || { echo "FAIL: $f: $field $value, want $want" >&2; return 1; }
    done
    for field in CapInh CapAmb; do
      value=$(awk -v k="$field:" '$1 == k { print $2 }' "$f")
      [[ $value == 0000000000000000 ]] || { echo "FAIL: $f: $field $value, want none" >&2; return 1; }
    done
    value=$(awk '$1 == "NoNewPrivs:" { print $2 }' "$f")
    [[ $value == 1 ]] || { echo "FAIL: $f: NoNewPrivs $value" >&2; return 1; }
  done
  echo "pid $pid: $threads thread(s), CapEff/CapPrm/CapBnd $want, no inheritable/ambient, NoNewPrivs"
  CHECKED_THREADS=$threads
}

psk=$(openssl rand -base64 24)
mkdir -p "$work/o" "$work/s" "$work/k"
swanctl_psk_conf "$work/o/swanctl.conf" caps 198.51.100.1 198.51.100.2 192.0.2.1/32 203.0.113.1/32 \
  o.caps.example s.caps.example "$psk"
swanctl_psk_conf "$work/s/swanctl.conf" caps 198.51.100.2 198.51.100.1 203.0.113.1/32 192.0.2.1/32 \
  s.caps.example o.caps.example "$psk"

ns_add o
ns_add s
ns_add k
ns_link o s 198.51.100.1/24 198.51.100.2/24
ns_exec o ip addr add 192.0.2.1/32 dev lo
ns_exec s ip addr add 203.0.113.1/32 dev lo

ctl() { local h=$1; shift; "$ipsecctl" --socket "$work/$h/control.sock" "$@"; }
for h in o s; do
  ns_spawn $h "$charon" --config "$work/$h/swanctl.conf" --control-socket "$work/$h/control.sock" \
    --pid-file "$work/$h/charon.pid" --backend userspace --tun "ipsec-$h" --log-level info >/dev/null
done
wait_for 10 ctl o version
wait_for 10 ctl s version
pid_o=$(cat "$work/o/charon.pid")
pid_s=$(cat "$work/s/charon.pid")

# The control: the same daemon with --keep-caps keeps root's full set.
ns_spawn k "$charon" --control-socket "$work/k/control.sock" --pid-file "$work/k/charon.pid" \
  --backend userspace --tun ipsec-k --keep-caps --log-level info >/dev/null
wait_for 10 ctl k version
full=$(awk '$1 == "CapEff:" { print $2 }' /proc/self/status)
kept=$(awk '$1 == "CapEff:" { print $2 }' /proc/"$(cat "$work/k/charon.pid")"/status)
[[ $kept == "$full" && $full != "$net_admin" ]] ||
  { echo "FAIL: the --keep-caps control has CapEff $kept, the test shell $full" >&2; exit 1; }
echo "control: --keep-caps keeps CapEff $kept"
ns_stop_pid "$(cat "$work/k/charon.pid")"

# Not root: a service user with ambient CAP_NET_ADMIN, CAP_NET_BIND_SERVICE
# and CAP_NET_RAW (as a systemd unit would give). It binds port 500, then
# keeps CAP_NET_ADMIN only; without CAP_SETPCAP the bounding set stays.
if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
  chmod 711 "$work"
  mkdir -p "$work/n"
  chmod 777 "$work/n"
  ns_spawn k setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
    --inh-caps=+net_admin,+net_bind_service,+net_raw --ambient-caps=+net_admin,+net_bind_service,+net_raw \
    "$charon" --control-socket "$work/n/control.sock" --pid-file "$work/n/charon.pid" --backend netlink \
    --log-level info >/dev/null
  wait_for 10 ctl n version || { echo "FAIL: the non-root daemon did not start" >&2; cat "$work"/setpriv-k-*.log >&2; exit 1; }
  st=/proc/$(cat "$work/n/charon.pid")/status
  got=$(awk '$1 ~ /^(Uid|CapEff|CapPrm|CapInh|CapAmb|NoNewPrivs):$/ { printf "%s %s ", $1, $2 }' "$st")
  want="Uid: 65534 CapInh: 0000000000000000 CapPrm: $net_admin CapEff: $net_admin CapAmb: 0000000000000000 NoNewPrivs: 1 "
  [[ $got == "$want" ]] || { echo "FAIL: non-root daemon: $got, want $want" >&2; exit 1; }
  grep -q 'bounding set unchanged (no CAP_SETPCAP)' "$work"/setpriv-k-*.log ||
    { echo "FAIL: the non-root daemon did not say why its bounding set stays" >&2; exit 1; }
  echo "non-root with ambient capabilities: $got"
  ns_stop_pid "$(cat "$work/n/charon.pid")"
fi

for pid in "$pid_o" "$pid_s"; do
  check_caps "$pid" "$net_admin"
  # The data plane's worker threads exist and were checked too.
  ((CHECKED_THREADS >= 2)) || { echo "FAIL: pid $pid has $CHECKED_THREADS thread(s): no data-plane workers?" >&2; exit 1; }
done
grep -h 'capabilities: kept' "$work"/charon-o-*.log "$work"/charon-s-*.log

ctl o initiate --child net --timeout 30
established() { ctl o --json list-sas | grep -q '"state": "INSTALLED"' && ctl s --json list-sas | grep -q '"state": "INSTALLED"'; }
wait_for 15 established || { echo "FAIL: not established on both sides" >&2; exit 1; }
ping_through() { ns_exec o ping -c 3 -i 0.2 -W 2 -I 192.0.2.1 203.0.113.1; }
ping_through

# SIGHUP reload with dropped capabilities: a new connection is applied.
cat >>"$work/o/swanctl.conf" <<'CONF'
connections {
  extra {
    local_addrs = 198.51.100.1
    remote_addrs = 198.51.100.3
    proposals = aes128gcm16-prfsha256-x25519
    local {
      auth = psk
    }
    remote {
      auth = psk
    }
    children {
      extra {
        local_ts = 192.0.2.1/32
        remote_ts = 203.0.113.9/32
        esp_proposals = aes128gcm16
      }
    }
  }
}
CONF
kill -HUP "$pid_o"
reloaded() { ctl o list-conns | grep -q extra; }
wait_for 10 reloaded || { echo "FAIL: SIGHUP reload not applied with dropped capabilities" >&2; ctl o list-conns >&2; exit 1; }
echo "SIGHUP reload applied (connection 'extra' loaded)"
established && ping_through || { echo "FAIL: the tunnel did not survive the reload" >&2; exit 1; }
check_caps "$pid_o" "$net_admin"

ctl o terminate --ike caps --timeout 15
ctl o --json list-sas | grep -q '"ike_sas": \[\]' || { echo "FAIL: SAs left after terminate" >&2; exit 1; }
peer_cleared() { ctl s --json list-sas | grep -q '"ike_sas": \[\]'; }
wait_for 10 peer_cleared || { echo "FAIL: the peer kept its SAs" >&2; exit 1; }
for h in o s; do
  [[ -z $(ns_exec $h ip route show table 220) ]] || { echo "FAIL: routes left in $h's table 220" >&2; exit 1; }
done
for h in o s; do
  ns_stop_pid "$(cat "$work/$h/charon.pid")"
  ! ns_exec $h ip link show "ipsec-$h" >/dev/null 2>&1 || { echo "FAIL: TUN device left in $h" >&2; exit 1; }
  ! ns_exec $h ip rule show | grep -q 'lookup 220' || { echo "FAIL: routing rule left in $h" >&2; exit 1; }
done
grep -q 'stopped' "$work"/charon-o-*.log || { echo "FAIL: daemon o did not stop cleanly" >&2; exit 1; }
echo "PASS: only cap_net_admin in every thread; tunnel, reload, terminate and stop work"
