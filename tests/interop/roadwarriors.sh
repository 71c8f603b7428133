#!/usr/bin/env bash
# Our daemon as a roadwarrior gateway for three strongSwan clients (each its
# own charon with kernel-libipsec, tests/interop/strongswan.sh).
#
#      c1 10.77.1.2 ─┐                                    ┌─ h 192.0.2.10 (LAN)
#                    n (NAT, nft masquerade) 198.51.100.2 ─ g 198.51.100.1
#      c2 10.77.2.2 ─┘                                    │  192.0.2.1
#      c3 203.0.113.2 (direct) ─────────────── 203.0.113.1 ┘
#
# g: pool rw = 10.3.0.0/28 (dns 192.0.2.53) for connection rw (our identity
# gw.rw.example), pool tiny = one address for connection tiny (identity
# tiny-gw.rw.example, chosen by the IDr the client sends); peer identities
# *.rw.example and *.tiny.example; local_ts 192.0.2.0/24; dpd_delay 2s.
# c1 and c2 share the NAT's public address and differ by port.
#
#   roadwarriors.sh main     distinct virtual IPs, DNS attribute, ping to h from
#                            each; terminate returns the lease, reconnect gets
#                            the same address; an exhausted pool gives
#                            INTERNAL_ADDRESS_FAILURE
#   roadwarriors.sh dpd      kill -9 one client: DPD clears its SA and lease
#   roadwarriors.sh unique P unique = P (no|never|replace|keep) with c1 and c2
#                            using one identity (no: also a second IKE_SA of
#                            c2 without INITIAL_CONTACT, which stays)
# Exit 77 = skipped (not root / no strongSwan) unless CI=true.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$root/tests/lib/netns.sh"
source "$here/strongswan.sh"
mode=${1:-main} unique=${2:-replace}
charon=${CHARON:-$root/build/charon/daemon/charon}
ipsecctl=${IPSECCTL:-$root/build/cli/ipsecctl/ipsecctl}

ns_available || skip_or_fail "the roadwarrior test needs root and network namespaces"
[[ -x $SS_CHARON ]] || skip_or_fail "strongSwan's charon is not installed ($SS_CHARON)"
command -v nft >/dev/null || skip_or_fail "nft (nftables) is not installed"
[[ -x $charon ]] || { echo "FAIL: $charon not built" >&2; exit 1; }

ns_workdir rw
_rw_cleanup() {
  local rc=$? c
  set +e
  if ((rc != 0)); then
    for c in c1 c2 c3; do [[ -f $work/$c/charon.log ]] && { echo "---- $c" >&2; tail -n 30 "$work/$c/charon.log" >&2; }; done
  fi
  (exit $rc)
  _ns_workdir_cleanup
}
trap _rw_cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

psk=$(openssl rand -base64 24)
gw_id=gw.rw.example
declare -A id=([c1]=c1.rw.example [c2]=c2.rw.example [c3]=c3.rw.example)
declare -A gw_addr=([c1]=198.51.100.1 [c2]=198.51.100.1 [c3]=203.0.113.1)
if [[ $mode == unique ]]; then id[c2]=${id[c1]}; fi
ike=aes128gcm16-prfsha256-x25519 esp=aes128gcm16

# The gateway.
mkdir -p "$work/g"
gw_conn() {  # NAME POOL LOCAL_ID CHILD REMOTE_ID
  cat <<CONF
  $1 {
    proposals = $ike
    pools = $2
    dpd_delay = 2s
    unique = $unique
    local {
      auth = psk
      id = $3
    }
    remote {
      auth = psk
      id = $5
    }
    children {
      $4 {
        local_ts = 192.0.2.0/24
        esp_proposals = $esp
      }
    }
  }
CONF
}
cat >"$work/g/swanctl.conf" <<CONF
connections {
$(gw_conn rw rw $gw_id net '*.rw.example')
$(gw_conn tiny tiny tiny-$gw_id tnet '*.tiny.example')
}
pools {
  rw {
    addrs = 10.3.0.0/28
    dns = 192.0.2.53
  }
  tiny {
    addrs = 10.3.1.5/32
  }
}
secrets {
  ike-rw {
    id-gw = $gw_id
    id-tgw = tiny-$gw_id
    id-c1 = c1.rw.example
    id-c2 = c2.rw.example
    id-c3 = c3.rw.example
    id-t2 = c2.tiny.example
    id-t3 = c3.tiny.example
    secret = 0s$psk
  }
}
CONF

# The clients: connection rw (and tiny, with a *.tiny.example identity).
ss_client_conn() {  # NAME MY_ID GW CHILD GW_ID [DPD_DELAY]
  cat <<CONF
  $1 {
    version = 2
    remote_addrs = $3
    proposals = $ike
    vips = 0.0.0.0
    dpd_delay = ${6:-0s}
    local {
      auth = psk
      id = $2
    }
    remote {
      auth = psk
      id = $5
    }
    children {
      $4 {
        remote_ts = 192.0.2.0/24
        esp_proposals = $esp
        start_action = none
      }
    }
  }
CONF
}
for c in c1 c2 c3; do
  mkdir -p "$work/$c/swanctl"
  cat >"$work/$c/swanctl/swanctl.conf" <<CONF
connections {
$(ss_client_conn rw "${id[$c]}" "${gw_addr[$c]}" net $gw_id)
$(ss_client_conn tiny "$c.tiny.example" "${gw_addr[$c]}" tnet tiny-$gw_id)
$(ss_client_conn rw2 "${id[$c]}" "${gw_addr[$c]}" net2 $gw_id 1h)
}
secrets {
  ike-rw {
    id-1 = ${id[$c]}
    id-2 = $gw_id
    id-3 = $c.tiny.example
    id-4 = tiny-$gw_id
    secret = 0s$psk
  }
}
CONF
done

ns_add g
ns_add h
ns_add n
for c in c1 c2 c3; do ns_add $c; done
# A hardened gateway: strict reverse-path filtering.
ns_exec g sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1
ns_link g h 192.0.2.1/24 192.0.2.10/24
ns_exec h ip route add default via 192.0.2.1
ns_link g n 198.51.100.1/24 198.51.100.2/24
ns_link g c3 203.0.113.1/24 203.0.113.2/24
ns_link n c1 10.77.1.1/24 10.77.1.2/24
ns_link n c2 10.77.2.1/24 10.77.2.2/24
ns_exec c1 ip route add default via 10.77.1.1
ns_exec c2 ip route add default via 10.77.2.1
ns_exec n nft -f - <<'NFT'
table ip nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "v-n-g" masquerade
  }
}
NFT

ns_spawn g "$charon" --config "$work/g/swanctl.conf" --control-socket "$work/g/control.sock" \
  --pid-file "$work/g/charon.pid" --backend userspace --tun ipsec-g --log-level info,ike=debug \
  --retransmit-timeout 1 --retransmit-base 1.5 --retransmit-tries 2 >/dev/null
gw() { "$ipsecctl" --socket "$work/g/control.sock" "$@"; }
wait_for 10 gw version || fail "our gateway did not start"
export SS_INSTALL_VIP=yes SS_EXTRA_PLUGINS=resolve
for c in c1 c2 c3; do ss_start $c "$work/$c"; done

ike_count() { gw --json list-sas | grep -c '"state": "ESTABLISHED"' || true; }
vip_of() {  # CLIENT: the virtual IP strongSwan shows for its rw IKE_SA
  ss_swanctl "$work/$1" --list-sas --ike "${2:-rw}" | grep -o '\[10\.3\.[01]\.[0-9]*\]' | head -1 | tr -d '[]'
}
lease_status() {  # ADDRESS -> online|offline|none
  gw --json list-pools | tr -d ' \n' | grep -o "{\"address\":\"$1\"[^}]*}" | grep -o '"status":"[a-z]*"' |
    cut -d'"' -f4 || echo none
}
connect() { ss_swanctl "$work/$1" --initiate --ike "${2:-rw}" --child "${3:-net}" --timeout 20 >"$work/$1/initiate.log" 2>&1; }

if [[ $mode == unique ]]; then
  # c1 and c2 present one identity; the second arrives through the same NAT.
  connect c1 || fail "c1 did not connect"
  first=$(gw --json list-sas | grep -o '"port": [0-9]*' | head -1)
  connect c2 || true
  sleep 3  # a replace or an INITIAL_CONTACT deletes the older SA, a keep deletes the newcomer
  n=$(ike_count)
  gw list-sas
  c1_up=$(ss_swanctl "$work/c1" --list-sas | grep -c ESTABLISHED || true)
  c2_up=$(ss_swanctl "$work/c2" --list-sas | grep -c ESTABLISHED || true)
  echo "unique = $unique: gateway IKE_SAs $n, c1 up $c1_up, c2 up $c2_up"
  case $unique in
    never) ((n == 2 && c1_up == 1 && c2_up == 1)) || fail "unique = never: both should coexist" ;;
    no)
      # strongSwan sends INITIAL_CONTACT on its first IKE_SA: the old one goes.
      grep -q INITIAL_CONTACT "$work"/charon-g-*.log || fail "no INITIAL_CONTACT seen from strongSwan"
      ((n == 1 && c2_up == 1)) || fail "unique = no with INITIAL_CONTACT: the older SA should be replaced"
      # A second IKE_SA with the same identities from c2's charon (another
      # connection, differing in dpd_delay so that strongSwan does not reuse
      # the first IKE_SA) goes without INITIAL_CONTACT: both stay.
      connect c2 rw2 net2 || fail "c2's second connection did not come up"
      sleep 2
      n=$(ike_count)
      auths=$(grep -c "generating IKE_AUTH request" "$work/c2/charon.log" || true)
      contacts=$(grep "generating IKE_AUTH request" "$work/c2/charon.log" | grep -c INIT_CONTACT || true)
      echo "without INITIAL_CONTACT: gateway IKE_SAs $n (IKE_AUTH requests $auths, with INITIAL_CONTACT $contacts)"
      ((auths == 2 && contacts == 1)) || fail "expected the second IKE_AUTH without INITIAL_CONTACT"
      ((n == 2)) || fail "unique = no without INITIAL_CONTACT: both IKE_SAs should stay" ;;
    replace) ((n == 1 && c2_up == 1)) || fail "unique = replace: only the newer SA should stay" ;;
    keep) ((n == 1 && c1_up == 1 && c2_up == 0)) || fail "unique = keep: the newcomer should be refused" ;;
    *) fail "unknown unique policy $unique" ;;
  esac
  # The SAs the gateway kept carry traffic (a replacing SA with the same
  # virtual IP shares the policies of the one it replaced). Leases are per
  # identity, so with never both clients hold the same address (as with
  # strongSwan) and only the newer one's traffic has a way back.
  case $unique in keep) pingers=c1 ;; *) pingers=c2 ;; esac
  for c in $pingers; do
    ns_exec $c ping -c 2 -i 0.2 -W 2 -I "$(vip_of $c)" 192.0.2.10 >/dev/null || fail "$c cannot reach the LAN host"
  done
  echo "PASS: unique = $unique"
  exit 0
fi

for c in c1 c2 c3; do connect $c || { cat "$work/$c/initiate.log" >&2; fail "$c did not connect"; }; done
wait_for 10 test "$(ike_count)" -eq 3 || fail "the gateway does not show three IKE_SAs"
gw list-sas
declare -A vip
for c in c1 c2 c3; do
  vip[$c]=$(vip_of $c)
  [[ ${vip[$c]} == 10.3.0.* ]] || fail "$c got no virtual IP from the pool"
  gw --json list-sas | tr -d ' \n' | grep -q "\"remote_vips\":\[\"${vip[$c]}\"\]" ||
    fail "our list-sas does not show ${vip[$c]}"
done
echo "virtual IPs: c1 ${vip[c1]}, c2 ${vip[c2]}, c3 ${vip[c3]}"
[[ $(printf '%s\n' "${vip[@]}" | sort -u | wc -l) -eq 3 ]] || fail "the virtual IPs are not distinct"
# c1 and c2 share the NAT's address: two IKE_SAs from 198.51.100.2, different ports.
[[ $(gw --json list-sas | grep -c '"host": "198.51.100.2"') -ge 2 ]] || fail "two IKE_SAs from the NAT address expected"
for c in c1 c2 c3; do
  grep -q "installing DNS server 192.0.2.53" "$work/$c/charon.log" || fail "$c did not receive the DNS server"
  grep -q 192.0.2.53 "$work/$c/resolv.conf" || fail "$c did not write the DNS server to its resolv.conf"
done
echo "DNS server 192.0.2.53 installed by each client"

if [[ $mode == dpd ]]; then
  ss_kill "$work/c2"
  # dpd_delay 2s, then 2 retransmits (1s, 1.5s): the dead client's SA and lease go.
  gone() { [[ $(ike_count) -eq 2 && $(lease_status "${vip[c2]}") == offline ]]; }
  wait_for 30 gone || { gw list-sas >&2; gw list-pools >&2; fail "the dead client was not cleared"; }
  gw list-pools
  ns_exec c1 ping -c 2 -i 0.2 -W 2 -I "${vip[c1]}" 192.0.2.10 >/dev/null || fail "c1 lost its tunnel"
  echo "PASS: dead client detected by DPD, its SA removed and its lease ${vip[c2]} offline"
  exit 0
fi

for c in c1 c2 c3; do
  ns_exec $c ping -c 3 -i 0.2 -W 2 -I "${vip[$c]}" 192.0.2.10 >/dev/null || fail "$c cannot reach the LAN host"
done
echo "each client reaches 192.0.2.10 from its virtual IP"

# Terminate c1: its lease goes offline; reconnecting gets the same address.
ss_swanctl "$work/c1" --terminate --ike rw --timeout 10 >/dev/null
offline() { [[ $(lease_status "${vip[c1]}") == offline ]]; }
wait_for 10 offline || { gw list-pools >&2; fail "the lease of c1 is not offline after terminate"; }
gw list-pools
connect c1 || fail "c1 did not reconnect"
again=$(vip_of c1)
[[ $again == "${vip[c1]}" ]] || fail "c1 got $again after reconnecting, not ${vip[c1]}"
[[ $(lease_status "${vip[c1]}") == online ]] || fail "the lease of c1 is not online again"
ns_exec c1 ping -c 2 -i 0.2 -W 2 -I "$again" 192.0.2.10 >/dev/null || fail "c1 cannot reach the LAN after reconnecting"
echo "c1 reconnected with the same address $again"

# Pool tiny has one address: c3 takes it, c2 is refused.
connect c3 tiny tnet || fail "c3 did not get the tiny pool's address"
[[ $(vip_of c3 tiny) == 10.3.1.5 ]] || fail "c3 did not get 10.3.1.5"
if connect c2 tiny tnet; then fail "c2 connected although the tiny pool is exhausted"; fi
grep -q "INTERNAL_ADDRESS_FAILURE" "$work/c2/charon.log" || fail "c2 was not told INTERNAL_ADDRESS_FAILURE"
grep -m1 "INTERNAL_ADDRESS_FAILURE" "$work/c2/charon.log"
grep -Eim1 "pool.*(exhausted|full|no address)|no virtual IP|INTERNAL_ADDRESS_FAILURE" "$work"/charon-g-*.log ||
  fail "our gateway logged nothing about the exhausted pool"
echo "PASS: three roadwarriors (two behind one NAT), distinct virtual IPs, DNS, LAN reachable, lease reuse, pool exhaustion"
