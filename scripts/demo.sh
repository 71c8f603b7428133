#!/usr/bin/env bash
# The demo: two hosts in network namespaces, each running the daemon, bring up
# an IKEv2 tunnel (PSK, AES-GCM) between their protected networks, pass
# traffic through it, show the SAs, then remove everything.
#
#   host a: outer 198.51.100.1, protects 192.0.2.0/24 (192.0.2.1 on lo)
#   host b: outer 198.51.100.2, protects 203.0.113.0/24 (203.0.113.1 on lo)
#
# Run as root on Debian 12. DEMO_BACKEND=netlink|userspace|auto (default auto:
# the kernel's ESP when it has it, the daemon's userspace ESP otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
[[ ${DEMO_SKIP_SETUP:-0} == 1 ]] || scripts/setup-deps.sh
[[ ${DEMO_SKIP_BUILD:-0} == 1 ]] || scripts/build.sh release >/dev/null
charon=${CHARON:-$root/build/charon/daemon/charon}
ipsecctl=${IPSECCTL:-$root/build/cli/ipsecctl/ipsecctl}

work=$(mktemp -d /tmp/ikedemo.XXXXXX)
export NS_PREFIX=ikedemo$$ NS_LOGDIR=$work
source tests/lib/netns.sh
source tests/lib/swanctl.sh
on_exit() {
  local rc=$?
  if ((rc != 0)); then
    for f in "$work"/charon-*.log; do echo "---- $f" >&2; tail -n 40 "$f" >&2; done
  fi
  ns_cleanup
  rm -rf "$work"
}
trap on_exit EXIT

psk=$(openssl rand -base64 24)  # made for this run, never stored in the repository
mkdir -p "$work/a" "$work/b"
swanctl_psk_conf "$work/a/swanctl.conf" demo 198.51.100.1 198.51.100.2 192.0.2.0/24 203.0.113.0/24 \
  a.example.org b.example.org "$psk"
swanctl_psk_conf "$work/b/swanctl.conf" demo 198.51.100.2 198.51.100.1 203.0.113.0/24 192.0.2.0/24 \
  b.example.org a.example.org "$psk"

echo "== two hosts: namespaces $(ns_name a) and $(ns_name b), joined by a veth pair"
ns_add a
ns_add b
ns_link a b 198.51.100.1/24 198.51.100.2/24
ns_exec a ip addr add 192.0.2.1/32 dev lo
ns_exec b ip addr add 203.0.113.1/32 dev lo

backend=${DEMO_BACKEND:-auto}
for h in a b; do
  ns_spawn $h "$charon" --config "$work/$h/swanctl.conf" --control-socket "$work/$h/control.sock" \
    --pid-file "$work/$h/charon.pid" --backend "$backend" --tun "ipsec-$h" --log-level info >/dev/null
done
for h in a b; do
  wait_for 10 "$ipsecctl" --socket "$work/$h/control.sock" version ||
    { echo "daemon $h did not start:"; cat "$work"/charon-$h-*.log; exit 1; }
done
echo "== daemons up: $("$ipsecctl" --socket "$work/a/control.sock" version)"

echo "== ipsecctl initiate --child net (on a)"
"$ipsecctl" --socket "$work/a/control.sock" initiate --child net --timeout 20

echo "== ping 203.0.113.1 from 192.0.2.1 through the tunnel"
ns_exec a ping -c 4 -i 0.2 -W 2 -I 192.0.2.1 203.0.113.1

echo "== ipsecctl list-sas (on a)"
"$ipsecctl" --socket "$work/a/control.sock" list-sas
echo "== ipsecctl list-sas (on b)"
"$ipsecctl" --socket "$work/b/control.sock" list-sas

echo "== ipsecctl terminate --ike demo (on a)"
"$ipsecctl" --socket "$work/a/control.sock" terminate --ike demo --timeout 10
"$ipsecctl" --socket "$work/b/control.sock" list-sas
echo "== done: removing the namespaces and daemons"
