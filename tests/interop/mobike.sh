#!/usr/bin/env bash
# MOBIKE (RFC 4555) with strongSwan as the roadwarrior: our daemon is the
# gateway (namespace o, IKE at 198.51.100.1, protecting 192.0.2.0/26), the
# strongSwan client (namespace c, inner address 192.0.2.129) reaches it over
# a link where it first has 203.0.113.2 and then "changes networks" to
# 203.0.113.66 (new address and route, the old address deleted).
# strongSwan's kernel-netlink notices and sends UPDATE_SA_ADDRESSES.
# Passes when traffic crosses the tunnel again after the move with the SAME
# IKE_SA (IKE SPIs unchanged on both sides, no second IKE_SA), our gateway
# shows the new peer address and moved its CHILD_SA's SAs (MigrateSa, no
# rekey by us). strongSwan's kernel-libipsec cannot update SAs in place, so
# strongSwan itself rekeys its CHILD_SA right after the update; that rekey
# (initiated by the peer) is expected and checked for.
# Exit 77 = skipped (not root / no strongSwan) unless CI=true.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$root/tests/lib/netns.sh"
source "$here/strongswan.sh"
charon=${CHARON:-$root/build/charon/daemon/charon}
ipsecctl=${IPSECCTL:-$root/build/cli/ipsecctl/ipsecctl}

ns_available || skip_or_fail "the MOBIKE interop test needs root and network namespaces"
[[ -x $SS_CHARON ]] || skip_or_fail "strongSwan's charon is not installed ($SS_CHARON)"
[[ -x $charon ]] || { echo "FAIL: $charon not built" >&2; exit 1; }

ns_workdir mobike
mkdir -p "$work/o" "$work/s/swanctl"
psk=$(openssl rand -base64 24)

conf() {  # FILE LOCAL_ADDRS REMOTE_ADDRS LOCAL_TS REMOTE_TS ME PEER START
  cat >"$1" <<CONF
connections {
  rw {
    version = 2
    local_addrs = $2
    remote_addrs = $3
    proposals = aes128gcm16-prfsha256-x25519
    mobike = yes
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
        esp_proposals = aes128gcm16
        start_action = $8
      }
    }
  }
}
secrets {
  ike-rw {
    id-1 = $6
    id-2 = $7
    secret = 0s$psk
  }
}
CONF
}
conf "$work/o/swanctl.conf" 198.51.100.1 %any 192.0.2.0/26 192.0.2.128/26 gw.mobike.example rw.mobike.example none
# The client names no local address: it uses whatever the routes give it.
conf "$work/s/swanctl/swanctl.conf" %any 198.51.100.1 192.0.2.128/26 192.0.2.0/26 rw.mobike.example gw.mobike.example none

ns_add o
ns_add c
# One link, two client networks on it: 203.0.113.0/26 ("Wi-Fi") and
# 203.0.113.64/26 ("LTE"); the gateway has an address in both.
ns_link o c 203.0.113.1/26 203.0.113.2/26
ns_exec o ip addr add 203.0.113.65/26 dev v-o-c
ns_exec o ip addr add 198.51.100.1/32 dev lo
ns_exec o ip addr add 192.0.2.1/32 dev lo
ns_exec c ip addr add 192.0.2.129/32 dev lo
ns_exec c ip route add 198.51.100.1/32 via 203.0.113.1

ns_spawn o "$charon" --config "$work/o/swanctl.conf" --control-socket "$work/o/control.sock" \
  --pid-file "$work/o/charon.pid" --backend userspace --tun ipsec-o --log-level info,ike=debug,kernel=debug \
  --retransmit-timeout 1 --retransmit-base 1.5 --retransmit-tries 3 >/dev/null
ours() { "$ipsecctl" --socket "$work/o/control.sock" "$@"; }
wait_for 10 ours version || { echo "FAIL: our daemon did not start" >&2; exit 1; }
ss_start c "$work/s"
theirs() { ss_swanctl "$work/s" "$@"; }

theirs --initiate --child net --timeout 30
established() {
  ours --json list-sas | grep -q '"state": "INSTALLED"' && theirs --list-sas | grep -q INSTALLED
}
wait_for 15 established || { echo "FAIL: SAs not established" >&2; ours list-sas >&2; theirs --list-sas >&2; exit 1; }
ours list-sas
theirs --list-sas
ping_through() { ns_exec c ping -c 3 -i 0.2 -W 2 -I 192.0.2.129 192.0.2.1; }
ping_through || { echo "FAIL: no traffic through the tunnel before the move" >&2; exit 1; }

# IKE SPIs as both sides show them (ours: spi_i/spi_r; strongSwan:
# "rw: #1, ESTABLISHED, IKEv2, <spi_i>_i* <spi_r>_r").
spis_ours() { ours --json list-sas | grep -oE '"spi_(i|r)": "[0-9a-f]+"' | sort | tr '\n' ' '; }
spis_theirs() { theirs --list-sas | grep -oE '[0-9a-f]{16}_[ir]' | sort | tr '\n' ' '; }
child_in_ours() { ours --json list-sas | grep -oE '"spi_in": "[0-9a-f]+"' | grep -oE '[0-9a-f]{8}' | head -1; }
ike_sas_ours() { ours --json list-sas | grep -c '"spi_i"'; }
before_ours=$(spis_ours)
before_theirs=$(spis_theirs)
child_before=$(child_in_ours)
echo "before the move: ours [$before_ours] theirs [$before_theirs]"
[[ -n $before_theirs ]] || { echo "FAIL: could not read strongSwan's SPIs" >&2; exit 1; }

# The client changes networks: a new address and route, the old address gone.
ns_exec c ip addr add 203.0.113.66/26 dev v-c-o
ns_exec c ip route replace 198.51.100.1/32 via 203.0.113.65 src 203.0.113.66
ns_exec c ip addr del 203.0.113.2/26 dev v-c-o

moved() { ours --json list-sas | tr -d ' \n' | grep -q '"remote":{"host":"203.0.113.66"'; }
wait_for 30 moved || {
  echo "FAIL: the gateway did not follow the client to 203.0.113.66" >&2
  ours list-sas >&2; theirs --list-sas >&2; exit 1
}
ours list-sas
theirs --list-sas
ping_through || { echo "FAIL: no traffic through the tunnel after the move" >&2; exit 1; }

after_ours=$(spis_ours)
after_theirs=$(spis_theirs)
echo "after the move: ours [$after_ours] theirs [$after_theirs]"
[[ $after_ours == "$before_ours" ]] || { echo "FAIL: our IKE SPIs changed (a new IKE_SA)" >&2; exit 1; }
[[ $after_theirs == "$before_theirs" ]] || { echo "FAIL: strongSwan's IKE SPIs changed" >&2; exit 1; }
# Our gateway moved the CHILD_SA's inbound SA (same SPI) to the new peer.
grep -q "moved SA $child_before to 203.0.113.66 -> 198.51.100.1" "$work"/charon-o-*.log ||
  { echo "FAIL: our gateway did not move SA $child_before" >&2; grep -i "SA " "$work"/charon-o-*.log >&2; exit 1; }
! grep -q "moving SA .* failed" "$work"/charon-o-*.log || { echo "FAIL: moving an SA failed" >&2; exit 1; }
[[ $(ike_sas_ours) == 1 ]] || { echo "FAIL: more than one IKE_SA on the gateway" >&2; exit 1; }
[[ $(theirs --list-sas | grep -c ESTABLISHED) == 1 ]] || { echo "FAIL: strongSwan has more than one IKE_SA" >&2; exit 1; }
theirs --list-sas | grep -q '203.0.113.66' || { echo "FAIL: strongSwan does not show its new address" >&2; exit 1; }
echo "PASS: MOBIKE move 203.0.113.2 -> 203.0.113.66: same IKE_SA, our SAs moved, traffic flows"
