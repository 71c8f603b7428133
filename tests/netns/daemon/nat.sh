#!/usr/bin/env bash
# Our daemon behind a NAT: namespace o (198.51.100.1, protecting 192.0.2.0/26)
# reaches s (203.0.113.2, protecting 192.0.2.64/26) through r, which
# masquerades o's traffic with nftables. Expect: NAT detected, IKE floats to
# 4500, NAT-keepalives reach the peer, and traffic flows through the tunnel.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
source "$root/tests/lib/netns.sh"
source "$root/tests/lib/swanctl.sh"
charon=${CHARON:-$root/build/charon/daemon/charon}
ipsecctl=${IPSECCTL:-$root/build/cli/ipsecctl/ipsecctl}

ns_available || skip_or_fail "the NAT test needs root and network namespaces"
command -v nft >/dev/null || skip_or_fail "nft (nftables) is not installed"

ns_workdir nat

psk=$(openssl rand -base64 24)
mkdir -p "$work/o" "$work/s"
swanctl_psk_conf "$work/o/swanctl.conf" nat 198.51.100.1 203.0.113.2 192.0.2.0/26 192.0.2.64/26 \
  o.nat.example s.nat.example "$psk"
swanctl_psk_conf "$work/s/swanctl.conf" nat 203.0.113.2 %any 192.0.2.64/26 192.0.2.0/26 \
  s.nat.example o.nat.example "$psk"

ns_add o
ns_add r
ns_add s
ns_link o r 198.51.100.1/24 198.51.100.254/24
ns_link r s 203.0.113.254/24 203.0.113.2/24
ns_exec o ip route add default via 198.51.100.254
ns_exec o ip addr add 192.0.2.1/32 dev lo
ns_exec s ip addr add 192.0.2.65/32 dev lo
ns_exec r nft -f - <<'NFT'
table ip nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "v-r-s" masquerade
  }
}
NFT

for h in o s; do
  ns_spawn $h "$charon" --config "$work/$h/swanctl.conf" --control-socket "$work/$h/control.sock" \
    --pid-file "$work/$h/charon.pid" --backend userspace --tun "ipsec-$h" --keepalive-interval 1 \
    --log-level info,ike=debug >/dev/null
done
ctl() { local h=$1; shift; "$ipsecctl" --socket "$work/$h/control.sock" "$@"; }
wait_for 10 ctl o version
wait_for 10 ctl s version

ctl o initiate --child net --timeout 30
ctl o list-sas
ctl s list-sas
sas_o=$(ctl o --json list-sas)
grep -q '"nat_detected": true' <<<"$sas_o" || { echo "FAIL: NAT not detected by the initiator" >&2; exit 1; }
grep -A4 '"remote": {' <<<"$sas_o" | grep -q '"port": 4500' || { echo "FAIL: IKE did not float to port 4500" >&2; exit 1; }
grep -q '"encap": true' <<<"$sas_o" || { echo "FAIL: the CHILD_SA is not UDP-encapsulated" >&2; exit 1; }
# The responder sees the NAT's address, not ours.
ctl s --json list-sas | grep -q '"host": "203.0.113.254"' || { echo "FAIL: the responder does not see the NAT address" >&2; exit 1; }

ns_exec o ping -c 3 -i 0.2 -W 2 -I 192.0.2.1 192.0.2.65
ns_exec s ping -c 3 -i 0.2 -W 2 -I 192.0.2.65 192.0.2.1

keepalives() { ctl s --json stats | grep -Eq '"natt_keepalives": [1-9]'; }
wait_for 10 keepalives || { echo "FAIL: no NAT-keepalive reached the peer" >&2; ctl s stats >&2; exit 1; }
echo "PASS: NAT detected, floated to 4500, keepalives seen, traffic flows"
