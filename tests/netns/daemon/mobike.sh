#!/usr/bin/env bash
# MOBIKE (RFC 4555) between two of our daemons: the client (namespace c)
# reaches the gateway (namespace o, IKE at 198.51.100.1, protecting
# 192.0.2.0/26) first from 203.0.113.2, then "changes networks" to
# 203.0.113.66 (new address and route, the old address deleted). The
# client's address monitor (rtnetlink) notices, looks up the new source
# address towards the gateway and sends UPDATE_SA_ADDRESSES; both sides
# move their SAs without a rekey. Then it moves again, behind a NAT (router
# r masquerades 192.0.2.192/26): the gateway detects the NAT from the
# update's NAT-D notifies and both sides switch to ESP-in-UDP. Passes when
# traffic crosses the tunnel after each move with the same IKE and CHILD_SA
# SPIs on both sides.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
source "$root/tests/lib/netns.sh"
source "$root/tests/lib/swanctl.sh"
charon=${CHARON:-$root/build/charon/daemon/charon}
ipsecctl=${IPSECCTL:-$root/build/cli/ipsecctl/ipsecctl}

ns_available || skip_or_fail "the MOBIKE test needs root and network namespaces"
[[ -x $charon ]] || { echo "FAIL: $charon not built" >&2; exit 1; }
command -v nft >/dev/null || skip_or_fail "nft (nftables) is not installed"

ns_workdir mobike
psk=$(openssl rand -base64 24)
mkdir -p "$work/o" "$work/c"
swanctl_psk_conf "$work/o/swanctl.conf" rw 198.51.100.1 %any 192.0.2.0/26 192.0.2.128/26 \
  gw.mobike.example rw.mobike.example "$psk"
# The client names no local address: the route towards the gateway picks it.
swanctl_psk_conf "$work/c/swanctl.conf" rw %any 198.51.100.1 192.0.2.128/26 192.0.2.0/26 \
  rw.mobike.example gw.mobike.example "$psk"

ns_add o
ns_add c
ns_add r
# One link, two client networks on it: 203.0.113.0/26 and 203.0.113.64/26.
ns_link o c 203.0.113.1/26 203.0.113.2/26
ns_exec o ip addr add 203.0.113.65/26 dev v-o-c
ns_exec o ip addr add 198.51.100.1/32 dev lo
ns_exec o ip addr add 192.0.2.1/32 dev lo
ns_exec c ip addr add 192.0.2.129/32 dev lo
ns_exec c ip route add 198.51.100.1/32 via 203.0.113.1
# The third network, behind a NAT: c 192.0.2.194 -- r -- o (198.51.100.130).
ns_link c r 192.0.2.194/26 192.0.2.193/26
ns_link r o 198.51.100.129/26 198.51.100.130/26
ns_exec r ip route add 198.51.100.1/32 via 198.51.100.130
ns_exec r nft -f - <<'NFT'
table ip nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "v-r-o" masquerade
  }
}
NFT

for h in o c; do
  ns_spawn $h "$charon" --config "$work/$h/swanctl.conf" --control-socket "$work/$h/control.sock" \
    --pid-file "$work/$h/charon.pid" --backend userspace --tun "ipsec-$h" \
    --log-level info,ike=debug,kernel=debug --retransmit-timeout 1 --retransmit-base 1.5 >/dev/null
done
ctl() { local h=$1; shift; "$ipsecctl" --socket "$work/$h/control.sock" "$@"; }
wait_for 10 ctl o version
wait_for 10 ctl c version

ctl c initiate --child net --timeout 30
ctl c list-sas
ping_through() { ns_exec c ping -c 3 -i 0.2 -W 2 -I 192.0.2.129 192.0.2.1; }
ping_through || { echo "FAIL: no traffic through the tunnel before the move" >&2; exit 1; }
spis() { ctl "$1" --json list-sas | grep -oE '"spi_(i|r|in|out)": "[0-9a-f]+"' | sort | tr '\n' ' '; }
ctl o --json list-sas | grep -q '"mobike": true' || { echo "FAIL: MOBIKE not negotiated" >&2; exit 1; }
ctl c --json list-sas | tr -d ' \n' | grep -q '"local":{"host":"203.0.113.2"' ||
  { echo "FAIL: the client did not pick its source address by route" >&2; ctl c list-sas >&2; exit 1; }
before_o=$(spis o)
before_c=$(spis c)
echo "before: gateway [$before_o] client [$before_c]"

# The client changes networks.
ns_exec c ip addr add 203.0.113.66/26 dev v-c-o
ns_exec c ip route replace 198.51.100.1/32 via 203.0.113.65 src 203.0.113.66
ns_exec c ip addr del 203.0.113.2/26 dev v-c-o

moved() { ctl o --json list-sas | tr -d ' \n' | grep -q '"remote":{"host":"203.0.113.66"'; }
wait_for 20 moved || { echo "FAIL: the gateway did not follow the client" >&2; ctl o list-sas >&2; ctl c list-sas >&2; exit 1; }
ctl c --json list-sas | tr -d ' \n' | grep -q '"local":{"host":"203.0.113.66"' ||
  { echo "FAIL: the client does not use its new address" >&2; ctl c list-sas >&2; exit 1; }
ctl o list-sas
ping_through || { echo "FAIL: no traffic through the tunnel after the move" >&2; exit 1; }
after_o=$(spis o)
after_c=$(spis c)
echo "after: gateway [$after_o] client [$after_c]"
[[ $after_o == "$before_o" && $after_c == "$before_c" ]] ||
  { echo "FAIL: SPIs changed (a rekey or a new IKE_SA instead of a move)" >&2; exit 1; }
grep -q "moving the IKE_SA (MOBIKE)" "$work"/charon-c-*.log || { echo "FAIL: no MOBIKE move logged by the client" >&2; exit 1; }
! grep -q "moving SA .* failed" "$work"/charon-*.log || { echo "FAIL: moving an SA failed" >&2; exit 1; }

# Behind the NAT now.
ns_exec c ip route replace 198.51.100.1/32 via 192.0.2.193 src 192.0.2.194
ns_exec c ip addr del 203.0.113.66/26 dev v-c-o
natted() {
  ctl o --json list-sas | tr -d ' \n' | grep -q '"remote":{"host":"198.51.100.129"' &&
    ctl o --json list-sas | grep -q '"encap": true' && ctl c --json list-sas | grep -q '"encap": true'
}
wait_for 20 natted || { echo "FAIL: no move behind the NAT with UDP encapsulation" >&2; ctl o --json list-sas >&2; ctl c --json list-sas >&2; exit 1; }
ctl o --json list-sas | grep -q '"nat_detected": true' || { echo "FAIL: the gateway did not detect the NAT" >&2; exit 1; }
ctl o list-sas
ping_through || { echo "FAIL: no traffic through the tunnel behind the NAT" >&2; exit 1; }
[[ $(spis o) == "$before_o" && $(spis c) == "$before_c" ]] ||
  { echo "FAIL: SPIs changed on the move behind the NAT" >&2; exit 1; }
! grep -q "moving SA .* failed" "$work"/charon-*.log || { echo "FAIL: moving an SA failed" >&2; exit 1; }
echo "PASS: MOBIKE moves 203.0.113.2 -> 203.0.113.66 -> behind a NAT (ESP-in-UDP), same IKE_SA and CHILD_SA on both sides, traffic flows"
