#!/usr/bin/env bash
# One interop scenario between our daemon (namespace o, 198.51.100.1,
# protecting 192.0.2.0/24) and strongSwan's charon with kernel-libipsec
# (namespace s, 198.51.100.2, protecting 203.0.113.0/24).
#
#   run.sh AUTH INITIATOR IKE_PROPOSALS ESP_PROPOSALS [ACTION]
#     AUTH: psk | ecdsa | rsa      INITIATOR: ours | strongswan
#     ACTION: none | rekey-child-ours | rekey-child-strongswan |
#             rekey-ike-ours | rekey-ike-strongswan | dpd
# Passes when both sides show the SAs established and ping crosses the
# tunnel (and, for an action, when its effect is seen and traffic still
# flows). Exit 77 = skipped (not root / no strongSwan) unless CI=true.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$root/tests/lib/netns.sh"
source "$root/tests/lib/pki.sh"
source "$here/strongswan.sh"

auth=$1 initiator=$2 ike=$3 esp=$4 action=${5:-none}
charon=${CHARON:-$root/build/charon/daemon/charon}
ipsecctl=${IPSECCTL:-$root/build/cli/ipsecctl/ipsecctl}

ns_available || skip_or_fail "interop needs root and network namespaces"
[[ -x $SS_CHARON ]] || skip_or_fail "strongSwan's charon is not installed ($SS_CHARON)"
[[ -x $charon ]] || { echo "FAIL: $charon not built" >&2; exit 1; }

work=$(mktemp -d /tmp/ike-interop.XXXXXX)
export NS_PREFIX=iop$$ NS_LOGDIR=$work
cleanup() {
  local rc=$?
  if ((rc != 0)); then
    echo "---- our daemon log" >&2; tail -n 80 "$work"/charon-o-*.log >&2 2>/dev/null || true
    echo "---- strongSwan log" >&2; tail -n 80 "$work/s/charon.log" >&2 2>/dev/null || true
  fi
  ns_cleanup
  rm -rf "$work"
}
trap cleanup EXIT

ours_id=ours.interop.example
ss_id=strongswan.interop.example
mkdir -p "$work/o" "$work/s"

auth_block() {  # our/their side config for swanctl.conf (same syntax on both)
  local me=$1 peer=$2 cert=$3
  if [[ $auth == psk ]]; then
    printf '    local {\n      auth = psk\n      id = %s\n    }\n    remote {\n      auth = psk\n      id = %s\n    }\n' "$me" "$peer"
  else
    printf '    local {\n      auth = pubkey\n      certs = %s.pem\n      id = %s\n    }\n    remote {\n      auth = pubkey\n      id = %s\n    }\n' "$cert" "$me" "$peer"
  fi
}

write_swanctl() {  # FILE LOCAL REMOTE LOCAL_TS REMOTE_TS ME PEER CERT START
  local start=none
  [[ $9 == yes ]] && start=none
  cat >"$1" <<CONF
connections {
  iop {
    version = 2
    local_addrs = $2
    remote_addrs = $3
    proposals = $ike
    dpd_delay = $([[ $action == dpd ]] && echo 2s || echo 0s)
    rekey_time = 4h
$(auth_block "$6" "$7" "$8")
    children {
      net {
        local_ts = $4
        remote_ts = $5
        esp_proposals = $esp
        rekey_time = 1h
        start_action = $start
        dpd_action = clear
      }
    }
  }
}
secrets {
  ike-iop {
    id-o = $ours_id
    id-s = $ss_id
    secret = 0s$psk
  }
}
CONF
}

psk=$(openssl rand -base64 24)
if [[ $auth != psk ]]; then
  pki_ca "$work/pki" "$auth"
  pki_cert "$work/pki" "$auth" ours "$ours_id"
  pki_cert "$work/pki" "$auth" strongswan "$ss_id"
  pki_install "$work/pki" ours "$work/o"
  pki_install "$work/pki" strongswan "$work/s/swanctl"
fi
write_swanctl "$work/o/swanctl.conf" 198.51.100.1 198.51.100.2 192.0.2.0/24 203.0.113.0/24 "$ours_id" "$ss_id" ours no
mkdir -p "$work/s/swanctl"
write_swanctl "$work/s/swanctl/swanctl.conf" 198.51.100.2 198.51.100.1 203.0.113.0/24 192.0.2.0/24 "$ss_id" "$ours_id" strongswan no

ns_add o
ns_add s
ns_link o s 198.51.100.1/24 198.51.100.2/24
ns_exec o ip addr add 192.0.2.1/32 dev lo
ns_exec s ip addr add 203.0.113.1/32 dev lo

ours() { "$ipsecctl" --socket "$work/o/control.sock" "$@"; }
ns_spawn o "$charon" --config "$work/o/swanctl.conf" --control-socket "$work/o/control.sock" \
  --pid-file "$work/o/charon.pid" --backend userspace --tun ipsec-o --log-level info,ike=debug >/dev/null
wait_for 10 ours version || { echo "FAIL: our daemon did not start" >&2; exit 1; }
ss_start s "$work/s"

echo "== $auth, $initiator initiates, IKE $ike, ESP $esp, action $action"
if [[ $initiator == ours ]]; then
  ours initiate --child net --timeout 30
else
  ss_swanctl "$work/s" --initiate --child net --timeout 30
fi

established() {
  ours --json list-sas | grep -q '"state": "ESTABLISHED"' &&
    ss_swanctl "$work/s" --list-sas | grep -q ESTABLISHED &&
    ss_swanctl "$work/s" --list-sas | grep -q INSTALLED
}
wait_for 15 established || { echo "FAIL: SAs not established on both sides" >&2; ours list-sas >&2; ss_swanctl "$work/s" --list-sas >&2; exit 1; }
ours list-sas
ss_swanctl "$work/s" --list-sas

ping_through() { ns_exec o ping -c 3 -i 0.2 -W 2 -I 192.0.2.1 203.0.113.1; }
ping_through || { echo "FAIL: no traffic through the tunnel" >&2; exit 1; }

spis_ours() { ours --json list-sas | grep -o '"spi_in": "[0-9a-f]*"' | sort | tr '\n' ' '; }
ike_spi_ours() { ours --json list-sas | grep -o '"spi_i": "[0-9a-f]*"' | sort | tr '\n' ' '; }

case $action in
  none) ;;
  rekey-child-ours|rekey-child-strongswan)
    before=$(spis_ours)
    if [[ $action == rekey-child-ours ]]; then ours rekey --child net; else ss_swanctl "$work/s" --rekey --child net; fi
    wait_for 15 bash -c "[[ \"\$($(declare -f ours spis_ours); spis_ours)\" != \"$before\" ]]" ||
      { echo "FAIL: CHILD_SA SPI did not change after rekey" >&2; exit 1; }
    sleep 1
    ping_through ;;
  rekey-ike-ours|rekey-ike-strongswan)
    before=$(ike_spi_ours)
    if [[ $action == rekey-ike-ours ]]; then ours rekey --ike iop; else ss_swanctl "$work/s" --rekey --ike iop; fi
    wait_for 15 bash -c "[[ \"\$($(declare -f ours ike_spi_ours); ike_spi_ours)\" != \"$before\" ]]" ||
      { echo "FAIL: IKE_SA SPI did not change after rekey" >&2; exit 1; }
    ours list-sas
    ping_through ;;
  dpd)
    ss_kill "$work/s"
    # dpd_delay 2s, then our retransmissions give up: the SA must be cleared.
    wait_for 60 bash -c "! $(declare -f ours); ! ours --json list-sas | grep -q ESTABLISHED" ||
      { echo "FAIL: dead peer not detected" >&2; exit 1; }
    echo "dead peer detected, SA cleared" ;;
  *) echo "unknown action $action" >&2; exit 2 ;;
esac
echo "PASS: $auth $initiator $ike $esp $action"
