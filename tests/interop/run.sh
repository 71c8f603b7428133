#!/usr/bin/env bash
# One scenario between our daemon (namespace o, 198.51.100.1, protecting
# 192.0.2.0/24) and a peer (namespace s, 198.51.100.2, protecting
# 203.0.113.0/24): strongSwan's charon with kernel-libipsec (PEER=strongswan,
# the default) or a second instance of our daemon (PEER=ours).
#
#   run.sh AUTH INITIATOR IKE_PROPOSALS ESP_PROPOSALS [ACTION]
#     AUTH: psk | ecdsa | rsa | ed25519    INITIATOR: ours | strongswan (= the peer)
#     ACTION: none | rekey-child-ours | rekey-child-strongswan |
#             rekey-ike-ours | rekey-ike-strongswan | dpd | dpd-trap | terminate |
#             bad-input (a rejected config, control garbage, an IKE flood) |
#             trap (start_action = trap: traffic brings the tunnel up) |
#             vip (we are a gateway with a pool; the peer initiates and gets a virtual IP)
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
peer=${PEER:-strongswan}
charon=${CHARON:-$root/build/charon/daemon/charon}
ipsecctl=${IPSECCTL:-$root/build/cli/ipsecctl/ipsecctl}

ns_available || skip_or_fail "interop needs root and network namespaces"
[[ $peer == ours || -x $SS_CHARON ]] || skip_or_fail "strongSwan's charon is not installed ($SS_CHARON)"
[[ -x $charon ]] || { echo "FAIL: $charon not built" >&2; exit 1; }

work=$(mktemp -d /tmp/ike-interop.XXXXXX)
export NS_PREFIX=iop$$ NS_LOGDIR=$work
cleanup() {
  local rc=$?
  if ((rc != 0)); then
    echo "---- our daemon log" >&2; tail -n 80 "$work"/charon-o-*.log >&2 2>/dev/null || true
    echo "---- peer log" >&2; tail -n 80 "$work/s/charon.log" "$work"/charon-s-*.log >&2 2>/dev/null || true
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

write_swanctl() {  # FILE LOCAL REMOTE LOCAL_TS REMOTE_TS ME PEER CERT START_ACTION DPD_ACTION EXTRA
  local start=$9
  cat >"$1" <<CONF
connections {
  iop {
    version = 2
    local_addrs = $2
    remote_addrs = $3
    proposals = $ike
    ${11:-}
    dpd_delay = $([[ $action == dpd* ]] && echo 2s || echo 0s)
    rekey_time = 4h
$(auth_block "$6" "$7" "$8")
    children {
      net {
        local_ts = $4
        remote_ts = $5
        esp_proposals = $esp
        rekey_time = 1h
        start_action = $start
        dpd_action = ${10:-clear}
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
${12:-}
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
if [[ $action == vip ]]; then
  export SS_INSTALL_VIP=yes  # a strongSwan client puts the address on an interface
  # Roadwarrior: we are the gateway with a pool; the peer asks for a
  # virtual IP, and its selector is that address.
  write_swanctl "$work/o/swanctl.conf" 198.51.100.1 198.51.100.2 192.0.2.0/24 dynamic "$ours_id" "$ss_id" ours none clear \
    "pools = rw" "pools { rw { addrs = 10.3.7.0/28
      dns = 192.0.2.53 } }"
  mkdir -p "$work/s/swanctl"
  write_swanctl "$work/s/swanctl/swanctl.conf" 198.51.100.2 198.51.100.1 dynamic 192.0.2.0/24 "$ss_id" "$ours_id" strongswan none clear \
    "vips = 0.0.0.0"
else
  write_swanctl "$work/o/swanctl.conf" 198.51.100.1 198.51.100.2 192.0.2.0/24 203.0.113.0/24 "$ours_id" "$ss_id" ours "$([[ $action == trap ]] && echo trap || echo none)" "$([[ $action == dpd-trap ]] && echo trap || echo clear)"
  mkdir -p "$work/s/swanctl"
  write_swanctl "$work/s/swanctl/swanctl.conf" 198.51.100.2 198.51.100.1 203.0.113.0/24 192.0.2.0/24 "$ss_id" "$ours_id" strongswan none
fi

ns_add o
ns_add s
ns_link o s 198.51.100.1/24 198.51.100.2/24
ns_exec o ip addr add 192.0.2.1/32 dev lo
ns_exec s ip addr add 203.0.113.1/32 dev lo

ours() { "$ipsecctl" --socket "$work/o/control.sock" "$@"; }
theirs_ctl() { "$ipsecctl" --socket "$work/s/control.sock" "$@"; }
start_ours() {  # NS DIR CONF
  ns_spawn "$1" "$charon" --config "$3" --control-socket "$2/control.sock" \
    --pid-file "$2/charon.pid" --backend userspace --tun "ipsec-$1" --log-level info,ike=debug \
    --retransmit-timeout 1 --retransmit-base 1.5 --retransmit-tries 3 >/dev/null
  wait_for 10 "$ipsecctl" --socket "$2/control.sock" version || { echo "FAIL: our daemon in $1 did not start" >&2; exit 1; }
}
start_ours o "$work/o" "$work/o/swanctl.conf"
if [[ $peer == ours ]]; then
  start_ours s "$work/s" "$work/s/swanctl/swanctl.conf"
  peer_initiate() { theirs_ctl initiate --child net --timeout 30; }
  peer_established() { theirs_ctl --json list-sas | grep -q '"state": "INSTALLED"'; }
  peer_list() { theirs_ctl list-sas; }
  peer_rekey_child() { theirs_ctl rekey --child net; }
  peer_rekey_ike() { theirs_ctl rekey --ike iop; }
  peer_kill() { kill -KILL "$(cat "$work/s/charon.pid")"; }
  peer_restart() { start_ours s "$work/s" "$work/s/swanctl/swanctl.conf"; }
else
  ss_start s "$work/s"
  peer_initiate() { ss_swanctl "$work/s" --initiate --child net --timeout 30; }
  peer_established() { ss_swanctl "$work/s" --list-sas | grep -q INSTALLED; }
  peer_list() { ss_swanctl "$work/s" --list-sas; }
  peer_rekey_child() { ss_swanctl "$work/s" --rekey --child net; }
  peer_rekey_ike() { ss_swanctl "$work/s" --rekey --ike iop; }
  peer_kill() { ss_kill "$work/s"; }
  peer_restart() { ss_start s "$work/s"; }
fi

echo "== $auth, $initiator initiates, IKE $ike, ESP $esp, action $action"
if [[ $action == trap ]]; then
  # start_action = trap: no initiate; our first packet raises an ACQUIRE.
  ns_exec o ping -c 1 -W 1 -I 192.0.2.1 203.0.113.1 >/dev/null 2>&1 || true
elif [[ $initiator == ours ]]; then
  ours initiate --child net --timeout 30
else
  peer_initiate
fi

established() {
  ours --json list-sas | grep -q '"state": "INSTALLED"' && peer_established
}
wait_for 15 established || { echo "FAIL: SAs not established on both sides" >&2; ours list-sas >&2; peer_list >&2; exit 1; }
ours list-sas
peer_list

if [[ $action == vip ]]; then
  ping_through() { ns_exec o ping -c 3 -i 0.2 -W 2 -I 192.0.2.1 10.3.7.1; }
else
  ping_through() { ns_exec o ping -c 3 -i 0.2 -W 2 -I 192.0.2.1 203.0.113.1; }
fi
ping_through || { echo "FAIL: no traffic through the tunnel" >&2; exit 1; }

spis_ours() { ours --json list-sas | grep -o '"spi_in": "[0-9a-f]*"' | sort | tr '\n' ' '; }
ike_spi_ours() { ours --json list-sas | grep -o '"spi_i": "[0-9a-f]*"' | sort | tr '\n' ' '; }

case $action in
  none|trap) ;;
  vip)
    # The peer got the first address of the pool; traffic from it crosses.
    ours --json list-sas | grep -q '"remote_vips": \[ *"10.3.7.1"' ||
      ours --json list-sas | tr -d ' \n' | grep -q '"remote_vips":\["10.3.7.1"\]' ||
      { echo "FAIL: no virtual IP leased to the peer" >&2; ours --json list-sas >&2; exit 1; }
    ours --json list-pools | tr -d ' \n' | grep -q '"online":1' ||
      { echo "FAIL: list-pools does not show the lease online" >&2; ours list-pools >&2; exit 1; }
    ours list-pools
    ns_exec s ip -4 addr show | grep -q 10.3.7.1 ||
      { echo "FAIL: the peer did not install its virtual IP" >&2; ns_exec s ip -4 addr show >&2; exit 1; }
    ns_exec s ping -c 3 -i 0.2 -W 2 -I 10.3.7.1 192.0.2.1 ||
      { echo "FAIL: no traffic from the virtual IP through the tunnel" >&2; exit 1; }
    echo "virtual IP 10.3.7.1 leased, installed by the peer, traffic crosses" ;;
  rekey-child-ours|rekey-child-strongswan)
    before=$(spis_ours)
    if [[ $action == rekey-child-ours ]]; then ours rekey --child net; else peer_rekey_child; fi
    spis_changed() { [[ $(spis_ours) != "$before" ]]; }
    wait_for 15 spis_changed ||
      { echo "FAIL: CHILD_SA SPI did not change after rekey" >&2; exit 1; }
    sleep 1
    ping_through ;;
  rekey-ike-ours|rekey-ike-strongswan)
    before=$(ike_spi_ours)
    if [[ $action == rekey-ike-ours ]]; then ours rekey --ike iop; else peer_rekey_ike; fi
    ike_spi_changed() { [[ $(ike_spi_ours) != "$before" ]]; }
    wait_for 15 ike_spi_changed ||
      { echo "FAIL: IKE_SA SPI did not change after rekey" >&2; exit 1; }
    ours list-sas
    ping_through ;;
  dpd)
    peer_kill
    # dpd_delay 2s, then our retransmissions give up: the SA must be cleared.
    ours_cleared() { ! ours --json list-sas | grep -q ESTABLISHED; }
    wait_for 60 ours_cleared ||
      { echo "FAIL: dead peer not detected" >&2; exit 1; }
    echo "dead peer detected, SA cleared" ;;
  dpd-trap)
    peer_kill
    # dpd_action = trap: the dead peer's SA goes, trap policies take its
    # place, and traffic brings the tunnel back once the peer is back.
    ours_cleared() { ! ours --json list-sas | grep -q ESTABLISHED; }
    wait_for 60 ours_cleared || { echo "FAIL: dead peer not detected" >&2; exit 1; }
    peer_restart
    ns_exec o ping -c 1 -W 1 -I 192.0.2.1 203.0.113.1 >/dev/null 2>&1 || true
    wait_for 15 established ||
      { echo "FAIL: traffic did not bring the tunnel back (dpd_action = trap)" >&2; ours list-sas >&2; exit 1; }
    ping_through
    echo "dead peer cleared, trap policies brought the tunnel back on traffic" ;;
  bad-input)
    abuse=${ABUSE_TOOL:?ABUSE_TOOL must name the abuse_tool binary}
    # A configuration with errors is rejected with file:line messages, by
    # 'load' and by SIGHUP, and the running configuration and tunnel stay.
    cat >>"$work/o/swanctl.conf" <<'BROKEN'
connections {
  broken {
    proposals = aes257-sha256-modp2048
    bogus_key = 1
BROKEN
    if out=$(ours load 2>&1); then echo "FAIL: a broken configuration was accepted" >&2; exit 1; fi
    echo "$out"
    grep -q 'swanctl.conf:[0-9]' <<<"$out" || { echo "FAIL: no file:line in the rejection" >&2; exit 1; }
    kill -HUP "$(cat "$work/o/charon.pid")"
    sleep 0.5
    ours --json stats | grep -q '"config_reloads_rejected": [1-9]' || { echo "FAIL: SIGHUP reload not rejected" >&2; exit 1; }
    established && ping_through || { echo "FAIL: the tunnel did not survive a rejected reload" >&2; exit 1; }
    # Garbage on the control socket gets error replies; the daemon stays.
    "$abuse" control-garbage "$work/o/control.sock"
    ours version
    # A bounded flood of malformed IKE datagrams on both ports.
    ns_exec s "$abuse" ike-flood 198.51.100.1 500 20000 1
    ns_exec s "$abuse" ike-flood 198.51.100.1 4500 20000 2
    sleep 1
    ours stats | grep -E 'ike_dropped_(malformed|unknown_spi|missing_sk)' || true
    ours --json stats | grep -Eq '"ike_dropped_(malformed|unknown_spi)": [1-9]' ||
      { echo "FAIL: the flood was not counted" >&2; exit 1; }
    established || { echo "FAIL: the flood tore the tunnel down" >&2; exit 1; }
    ping_through
    echo "bad input rejected and counted; the tunnel stayed up" ;;
  terminate)
    ours terminate --ike iop --timeout 15
    ours --json list-sas | grep -q '"ike_sas": \[\]' || { echo "FAIL: SAs left after terminate" >&2; ours list-sas >&2; exit 1; }
    [[ -z $(ns_exec o ip route show table 220) ]] || { echo "FAIL: routes left in table 220" >&2; exit 1; }
    if [[ $peer == ours ]]; then
      peer_cleared() { theirs_ctl --json list-sas | grep -q '"ike_sas": \[\]'; }
      wait_for 10 peer_cleared ||
        { echo "FAIL: the peer kept its SAs after our Delete" >&2; exit 1; }
      [[ -z $(ns_exec s ip route show table 220) ]] || { echo "FAIL: routes left in the peer's table 220" >&2; exit 1; }
    else
      ss_cleared() { ! ss_swanctl "$work/s" --list-sas | grep -q ESTABLISHED; }
      wait_for 10 ss_cleared ||
        { echo "FAIL: strongSwan kept its SA after our Delete" >&2; exit 1; }
    fi
    if ns_exec o ping -c 1 -W 1 -I 192.0.2.1 203.0.113.1 >/dev/null 2>&1; then
      echo "FAIL: traffic still crosses after terminate" >&2; exit 1
    fi
    # Stopping the daemon removes its TUN device and routing rule too.
    ns_stop_pid "$(cat "$work/o/charon.pid")"
    ! ns_exec o ip link show ipsec-o >/dev/null 2>&1 || { echo "FAIL: TUN device left behind" >&2; exit 1; }
    echo "terminated: no SA, route or TUN device left" ;;
  *) echo "unknown action $action" >&2; exit 2 ;;
esac
echo "PASS: $auth $initiator $ike $esp $action"
