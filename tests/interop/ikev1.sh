#!/usr/bin/env bash
# IKEv1 (RFC 2409) interop cells: our daemon in namespace o (198.51.100.1,
# protecting 192.0.2.0/24, 192.0.2.1 on lo) against Debian's strongSwan charon
# with kernel-libipsec in namespace s (198.51.100.2, 203.0.113.0/24,
# 203.0.113.1 on lo). Both ends use userspace ESP in UDP on 4500 (this kernel
# has no ESP; kernel-libipsec in strongSwan 5.9.8 always encapsulates).
#
#   ikev1.sh main-psk        Main Mode PSK, Quick Mode without PFS: we initiate,
#                            terminate (the peer sees our DELETE), then strongSwan
#                            initiates; ping through the tunnel both times
#   ikev1.sh qm-pfs          Quick Mode with PFS (a DH group in esp_proposals);
#                            strongSwan forces a phase-2 rekey (swanctl --rekey
#                            --child), then we do; new SPIs, traffic continues
#   ikev1.sh main-cert       Main Mode with ECDSA certificates, both directions
#   ikev1.sh aggressive-psk  strongSwan initiates Aggressive Mode PSK: refused by
#                            our responder without `aggressive = yes`, accepted
#                            after a reload with it; then we initiate it (our
#                            INITIAL-CONTACT follows AM3 in an Informational)
#   ikev1.sh nat             strongSwan behind a NAT namespace (nft masquerade)
#                            initiates Main Mode; floats to 4500, ESP in UDP;
#                            our connection has version = 0 (answers either)
#   ikev1.sh dpd             DELETE both ways (terminate on one side clears the
#                            other), then kill -9 strongSwan: DPD clears its SA
#   ikev1.sh xauth           strongSwan as an XAuth + Mode Config client of our
#                            gateway (remote-xauth / local-xauth, pool address, DNS)
#   ikev1.sh cert-xauth      the same with RSA certificates instead of the PSK
#                            ("certificate + XAuth", XAUTHInitRSA 65005)
#   ikev1.sh xauth-client    our daemon as the PSK + XAuth + Mode Config client of
#                            a strongSwan gateway: a wrong XAuth password fails
#                            cleanly, then the right one gets the pool address
#   ikev1.sh push            as xauth, with Mode Config push (`pull = no` on both
#                            sides): our gateway sends SET, strongSwan ACKs; the
#                            pool's split network (subnet) reaches it as
#                            INTERNAL_IP4_SUBNET (strongSwan logs and ignores it)
#
# IKEV1_O=strongswan runs a second strongSwan in namespace o instead of our
# daemon, with the very same swanctl.conf: the strongSwan-side configurations
# are proven strongSwan against strongSwan. Exit 77 = skipped (not root / no
# strongSwan) unless CI=true.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$root/tests/lib/netns.sh"
source "$root/tests/lib/pki.sh"
source "$here/strongswan.sh"

cell=${1:?cell}
o_kind=${IKEV1_O:-ours}
charon=${CHARON:-$root/build/charon/daemon/charon}
ipsecctl=${IPSECCTL:-$root/build/cli/ipsecctl/ipsecctl}

ns_available || skip_or_fail "interop needs root and network namespaces"
[[ -x $SS_CHARON ]] || skip_or_fail "strongSwan's charon is not installed ($SS_CHARON)"
[[ $o_kind == strongswan || -x $charon ]] || { echo "FAIL: $charon not built" >&2; exit 1; }
[[ $cell != nat ]] || command -v nft >/dev/null || skip_or_fail "nft (nftables) is not installed"

ns_workdir v1
_v1_cleanup() {
  local rc=$? f
  set +e
  if ((rc != 0)); then
    for f in "$work/o/charon.log" "$work/s/charon.log"; do
      [[ -f $f ]] && { echo "---- $f" >&2; tail -n 60 "$f" >&2; }
    done
  fi
  # IKEV1_LOGS=DIR keeps both daemons' logs (for a pass too).
  if [[ -n ${IKEV1_LOGS:-} ]]; then
    mkdir -p "$IKEV1_LOGS"
    cp -L "$work/o/charon.log" "$IKEV1_LOGS/o.log" 2>/dev/null
    cp "$work/s/charon.log" "$IKEV1_LOGS/s.log" 2>/dev/null
  fi
  (exit $rc)
  _ns_workdir_cleanup
}
trap _v1_cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
started=$SECONDS

ours_id=ours.v1.example ss_id=strongswan.v1.example
ike=aes256-sha256-modp2048,aes128-sha1-modp2048
esp=aes128-sha256
auth=psk aggr_s=no aggr_o=no o_version=1
o_addr=198.51.100.1 s_addr=198.51.100.2 s_remote=198.51.100.1
case $cell in
  main-psk) ;;
  qm-pfs) esp=aes128-sha256-modp2048 ;;
  main-cert) auth=pubkey ;;
  aggressive-psk) aggr_s=yes ;;
  nat) s_addr=10.77.0.2 o_version=0 ;;  # also: version = 0 answers IKEv1
  dpd) ;;
  xauth|push) ;;
  cert-xauth) auth=pubkey ;;
  xauth-client) ;;
  *) fail "unknown cell $cell" ;;
esac
psk=$(openssl rand -base64 24)
xauth_user=alice xauth_pw=$(openssl rand -hex 12)
pki_kind=ecdsa
# strongSwan 5.9 signs XAUTHInitRSA (65005) with an RSA key only: it has no
# "ECDSA + XAuth" method, so certificate + XAuth interop is RSA.
[[ $cell == cert-xauth ]] && pki_kind=rsa

# swanctl.conf for one side (the same syntax for our daemon and strongSwan).
#   side_conf ME PEER MY_ADDR PEER_ADDRS MY_TS PEER_TS AGGRESSIVE ROLE
# ROLE: plain | gateway (pool, remote-xauth) | client (vips, local-xauth)
side_conf() {
  local me=$1 peer=$2 role=$8 rounds extra=
  if [[ $auth == psk ]]; then
    rounds=$(printf '    local {\n      auth = psk\n      id = %s\n    }\n    remote {\n      auth = psk\n      id = %s\n    }' "$me" "$peer")
  else
    rounds=$(printf '    local {\n      auth = pubkey\n      certs = %s.pem\n      id = %s\n    }\n    remote {\n      auth = pubkey\n      id = %s\n    }' "${me%%.*}" "$me" "$peer")
  fi
  local pull=
  [[ $cell == push ]] && pull=$'\n    pull = no'
  case $role in
    gateway)
      extra="pools = rw$pull"
      rounds+=$'\n    remote-xauth {\n      auth = xauth\n    }' ;;
    client)
      extra="vips = 0.0.0.0$pull"
      rounds+=$'\n    local-xauth {\n      auth = xauth\n      xauth_id = '"$xauth_user"$'\n    }' ;;
  esac
  cat <<CONF
connections {
  iop {
    version = $([[ $me == "$ours_id" ]] && echo "$o_version" || echo 1)
    aggressive = $7
    local_addrs = $3
    remote_addrs = $4
    proposals = $ike
    send_cert = always
    dpd_delay = $([[ $cell == dpd ]] && echo 2s || echo 0s)
    dpd_timeout = 6s
    rekey_time = $([[ $me == "$ss_id" ]] && echo 4h || echo 8h)
    $extra
$rounds
    children {
      net {
        local_ts = $5
        remote_ts = $6
        esp_proposals = $esp
        rekey_time = $([[ $me == "$ss_id" ]] && echo 1h || echo 2h)
        start_action = none
        dpd_action = clear
      }
    }
  }
}
pools {
  rw {
    addrs = 10.3.7.0/28
    dns = 192.0.2.53
    subnet = 192.0.2.0/24
  }
}
secrets {
  ike-iop {
    id-o = $ours_id
    id-s = $ss_id
    secret = 0s$psk
  }
  xauth-$xauth_user {
    id = $xauth_user
    secret = "${side_xauth_pw:-$xauth_pw}"
  }
}
CONF
}

mkdir -p "$work/o/swanctl" "$work/s/swanctl"
o_conf=$work/o/swanctl.conf
[[ $o_kind == strongswan ]] && o_conf=$work/o/swanctl/swanctl.conf
write_o_conf() {  # AGGRESSIVE
  if [[ $cell == xauth || $cell == cert-xauth || $cell == push ]]; then
    side_conf $ours_id $ss_id $o_addr %any 192.0.2.0/24 dynamic "$1" gateway >"$o_conf"
  elif [[ $cell == xauth-client ]]; then
    side_conf $ours_id $ss_id $o_addr $s_addr dynamic 203.0.113.0/24 "$1" client >"$o_conf"
  elif [[ $cell == nat ]]; then
    side_conf $ours_id $ss_id $o_addr %any 192.0.2.0/24 203.0.113.0/24 "$1" plain >"$o_conf"
  else
    side_conf $ours_id $ss_id $o_addr $s_addr 192.0.2.0/24 203.0.113.0/24 "$1" plain >"$o_conf"
  fi
}
write_o_conf $aggr_o
if [[ $cell == xauth || $cell == cert-xauth || $cell == push ]]; then
  side_conf $ss_id $ours_id $s_addr $s_remote dynamic 192.0.2.0/24 $aggr_s client >"$work/s/swanctl/swanctl.conf"
elif [[ $cell == xauth-client ]]; then
  side_conf $ss_id $ours_id $s_addr $s_remote 203.0.113.0/24 dynamic $aggr_s gateway >"$work/s/swanctl/swanctl.conf"
else
  side_conf $ss_id $ours_id $s_addr $s_remote 203.0.113.0/24 192.0.2.0/24 $aggr_s plain >"$work/s/swanctl/swanctl.conf"
fi
if [[ $auth == pubkey ]]; then
  pki_ca "$work/pki" $pki_kind
  pki_cert "$work/pki" $pki_kind ours $ours_id
  pki_cert "$work/pki" $pki_kind strongswan $ss_id
  pki_install "$work/pki" ours "$(dirname "$o_conf")"
  pki_install "$work/pki" strongswan "$work/s/swanctl"
fi

# The network.
ns_add o
ns_add s
ns_exec o ip addr add 192.0.2.1/32 dev lo
ns_exec s ip addr add 203.0.113.1/32 dev lo
if [[ $cell == nat ]]; then
  ns_add n
  ns_link o n 198.51.100.1/24 198.51.100.2/24
  ns_link n s 10.77.0.1/24 10.77.0.2/24
  ns_exec s ip route add default via 10.77.0.1
  ns_exec n nft -f - <<'NFT'
table ip nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "v-n-o" masquerade
  }
}
NFT
else
  ns_link o s 198.51.100.1/24 198.51.100.2/24
fi

# Side o: our daemon or (IKEV1_O=strongswan) a second strongSwan.
export SS_EXTRA_PLUGINS="xauth-generic resolve"
export SS_CHARON_EXTRA="i_dont_care_about_security_and_use_aggressive_mode_psk = yes"
[[ $cell == xauth || $cell == cert-xauth || $cell == xauth-client || $cell == push ]] && export SS_INSTALL_VIP=yes
if [[ $o_kind == ours ]]; then
  ours() { "$ipsecctl" --socket "$work/o/control.sock" "$@"; }
  ns_spawn o "$charon" --config "$o_conf" --control-socket "$work/o/control.sock" \
    --pid-file "$work/o/charon.pid" --backend userspace --tun ipsec-o --log-level info,ike=debug \
    --retransmit-timeout 1 --retransmit-base 1.5 --retransmit-tries 3 \
    --keepalive-interval "$([[ $cell == nat ]] && echo 1 || echo 20)" >/dev/null
  wait_for 10 ours version || fail "our daemon did not start"
  ln -sf "$(ls "$work"/charon-o-*.log)" "$work/o/charon.log"
  o_initiate() { ours initiate --child net --timeout 30; }
  o_up() { ours --json list-sas | grep -q '"state": "INSTALLED"'; }
  o_down() { ! ours --json list-sas | grep -Eq '"state": "(INSTALLED|ESTABLISHED)"'; }
  o_list() { ours list-sas; }
  o_spis() { ours --json list-sas | grep -o '"spi_in": "[0-9a-f]*"' | sort | tr '\n' ' '; }
  o_terminate() { ours terminate --ike iop --timeout 15; }
  o_rekey_child() { ours rekey --child net; }
  o_reload() { ours load; }
else
  ss_start o "$work/o"
  o_initiate() { ss_swanctl "$work/o" --initiate --child net --timeout 30; }
  o_up() { ss_swanctl "$work/o" --list-sas | grep -q INSTALLED; }
  o_down() { ! ss_swanctl "$work/o" --list-sas | grep -Eq 'INSTALLED|ESTABLISHED'; }
  o_list() { ss_swanctl "$work/o" --list-sas; }
  o_spis() { ss_swanctl "$work/o" --list-sas | grep -o ' in  [0-9a-f]*' | sort | tr '\n' ' '; }
  o_terminate() { ss_swanctl "$work/o" --terminate --ike iop --timeout 15; }
  o_rekey_child() { ss_swanctl "$work/o" --rekey --child net; }
  o_reload() { ss_swanctl "$work/o" --load-all; }
fi
ss_start s "$work/s"
s_initiate() { ss_swanctl "$work/s" --initiate --child net --timeout 30; }
s_up() { ss_swanctl "$work/s" --list-sas | grep -q INSTALLED; }
s_down() { ! ss_swanctl "$work/s" --list-sas | grep -Eq 'INSTALLED|ESTABLISHED'; }
s_list() { ss_swanctl "$work/s" --list-sas; }

both_up() { o_up && s_up; }
both_down() { o_down && s_down; }
wait_up() {
  wait_for 15 both_up || { o_list >&2; s_list >&2; fail "SAs not established on both sides ($1)"; }
  o_list
  s_list
}
ping_both() {  # ping through the tunnel from each side
  ns_exec o ping -c 3 -i 0.2 -W 2 -I 192.0.2.1 "${1:-203.0.113.1}" >/dev/null || fail "no traffic o -> s ($2)"
  ns_exec s ping -c 3 -i 0.2 -W 2 -I "${1:-203.0.113.1}" 192.0.2.1 >/dev/null || fail "no traffic s -> o ($2)"
  echo "traffic crosses both ways ($2)"
}

echo "== IKEv1 cell $cell, side o: $o_kind"
case $cell in
  main-psk|main-cert)
    o_initiate || fail "our initiate failed"
    wait_up "we initiated"
    ping_both 203.0.113.1 "we initiated"
    if [[ $o_kind == ours ]]; then
      # list-sas: an IKEv1 SA whose SPIs are the cookies strongSwan shows.
      cookies=$(s_list | grep -o '[0-9a-f]\{16\}_i\*\? [0-9a-f]\{16\}_r' | head -1 | tr -d '*')
      json=$(ours --json list-sas | tr -d ' \n')
      grep -q '"version":1' <<<"$json" || fail "list-sas does not say IKEv1"
      grep -q "\"spi_i\":\"${cookies%%_i*}\"" <<<"$json" || fail "our spi_i is not strongSwan's CKY-I (${cookies%%_i*})"
      grep -q "\"spi_r\":\"$(sed 's/.* //; s/_r//' <<<"$cookies")\"" <<<"$json" || fail "our spi_r is not strongSwan's CKY-R"
      echo "list-sas: IKEv1 SA with cookies $cookies"
    fi
    o_terminate
    wait_for 10 both_down || { o_list >&2; s_list >&2; fail "SAs left after terminate"; }
    s_initiate || fail "strongSwan's initiate failed"
    wait_up "strongSwan initiated"
    ping_both 203.0.113.1 "strongSwan initiated" ;;
  qm-pfs)
    o_initiate || fail "our initiate failed"
    wait_up "Quick Mode with PFS"
    ping_both 203.0.113.1 "Quick Mode with PFS"
    before=$(o_spis)
    ss_swanctl "$work/s" --rekey --child net
    spis_changed() { [[ $(o_spis) != "$before" ]]; }
    wait_for 15 spis_changed || { o_list >&2; fail "our CHILD_SA SPIs did not change after strongSwan's rekey"; }
    sleep 1
    o_list
    ping_both 203.0.113.1 "after strongSwan's phase-2 rekey"
    before=$(o_spis)
    o_rekey_child
    wait_for 15 spis_changed || { o_list >&2; fail "our CHILD_SA SPIs did not change after our rekey"; }
    sleep 1
    ping_both 203.0.113.1 "after our phase-2 rekey"
    if [[ $o_kind == ours ]]; then
      # Closing the CHILD_SA alone (a Quick Mode SA DELETE) keeps the ISAKMP
      # SA; initiating the connection by name brings the child back.
      ours terminate --child net --timeout 15
      s_child_gone() { ! s_up && ss_swanctl "$work/s" --list-sas | grep -q ESTABLISHED; }
      wait_for 10 s_child_gone || { s_list >&2; fail "strongSwan kept the CHILD_SA (or lost the IKE_SA)"; }
      ours initiate --ike iop --timeout 30 || fail "initiate --ike on the established ISAKMP SA failed"
      wait_up "the child again"
      n=$(ours --json list-sas | grep -c "\"spi_i\"" || true)
      ((n == 1)) || { ours --json list-sas >&2; fail "$n ISAKMP SAs instead of one"; }
      ping_both 203.0.113.1 "after terminate --child and initiate --ike"
    fi ;;
  aggressive-psk)
    # Our responder refuses Aggressive Mode unless the connection allows it.
    if s_initiate >"$work/refused.log" 2>&1; then fail "Aggressive Mode accepted without aggressive = yes"; fi
    both_down || fail "an SA was left by the refused Aggressive Mode"
    grep -E '\[(IKE|ENC)\].*(NOTIFY|N\(|failed|refus)' "$work/refused.log" | head -3 || true
    echo "Aggressive Mode refused without aggressive = yes"
    write_o_conf yes
    o_reload
    s_initiate || fail "strongSwan's Aggressive Mode initiate failed after aggressive = yes"
    wait_up "Aggressive Mode"
    ping_both 203.0.113.1 "Aggressive Mode"
    # Now we initiate Aggressive Mode: AM3 goes in the clear, so our
    # INITIAL-CONTACT follows in a protected Informational exchange.
    o_terminate
    wait_for 10 both_down || { o_list >&2; s_list >&2; fail "SAs left after terminate"; }
    o_initiate || fail "our Aggressive Mode initiate failed"
    wait_up "we initiated Aggressive Mode"
    ping_both 203.0.113.1 "we initiated Aggressive Mode"
    if [[ $o_kind == ours ]]; then
      grep -q 'parsed INFORMATIONAL_V1 request [0-9]* \[ HASH N(INITIAL_CONTACT) \]' "$work/s/charon.log" ||
        fail "strongSwan did not get our INITIAL-CONTACT Informational"
    fi ;;
  nat)
    s_initiate || fail "strongSwan's initiate through the NAT failed"
    wait_up "behind a NAT"
    ss_swanctl "$work/s" --list-sas | grep -q 'TUNNEL-in-UDP' || fail "strongSwan does not use ESP in UDP"
    grep -q 'local host is behind NAT' "$work/s/charon.log" || fail "strongSwan did not detect its NAT"
    o_list | grep -q "198.51.100.2\[4500\]" || fail "our side did not float to port 4500"
    ping_both 203.0.113.1 "behind a NAT"
    if [[ $o_kind == ours ]]; then
      # NAT-T keepalives (RFC 3948) for the ISAKMP SA, every second here.
      sleep 2
      kas=$(ours --json stats | tr -d ' \n' | grep -o '"natt_keepalives_sent":[0-9]*' | cut -d: -f2)
      ((${kas:-0} > 0)) || { ours --json stats >&2; fail "no NAT-T keepalives sent for the IKEv1 SA"; }
      echo "$kas NAT-T keepalives sent for the IKEv1 SA"
    fi ;;
  dpd)
    o_initiate || fail "our initiate failed"
    wait_up "first"
    ss_swanctl "$work/s" --terminate --ike iop --timeout 15
    wait_for 10 o_down || { o_list >&2; fail "we kept the SAs after strongSwan's DELETE"; }
    echo "strongSwan's DELETE cleared our SAs"
    o_initiate || fail "our initiate failed (second)"
    wait_up "second"
    o_terminate
    wait_for 10 s_down || { s_list >&2; fail "strongSwan kept the SAs after our DELETE"; }
    echo "our DELETE cleared strongSwan's SAs"
    o_initiate || fail "our initiate failed (third)"
    wait_up "third"
    # Both sides probe every 2 s (dpd_timeout 6 s): after 9 s of answered
    # R-U-THEREs both SAs are still up.
    sleep 9
    both_up || { o_list >&2; s_list >&2; fail "an SA went down while both peers answer DPD"; }
    grep -q 'parsed INFORMATIONAL_V1 .*N(DPD_ACK)' "$work/s/charon.log" || fail "we did not answer strongSwan's DPD"
    ping_both 203.0.113.1 "after 9 s of DPD both ways"
    ss_kill "$work/s"
    wait_for 40 o_down || { o_list >&2; fail "DPD did not clear the dead peer's SAs"; }
    echo "DPD cleared the dead peer's SAs" ;;
  xauth|cert-xauth|push)
    s_initiate || fail "strongSwan's XAuth initiate failed"
    wait_up "XAuth + Mode Config"
    vip=$(ss_swanctl "$work/s" --list-sas | grep -o '\[10\.3\.7\.[0-9]*\]' | head -1 | tr -d '[]')
    [[ $vip == 10.3.7.1 ]] || fail "no pool address for the client (got '$vip')"
    grep -q 192.0.2.53 "$work/s/resolv.conf" 2>/dev/null || fail "the client got no DNS server"
    ns_exec s ping -c 3 -i 0.2 -W 2 -I "$vip" 192.0.2.1 >/dev/null || fail "no traffic from the pool address"
    ns_exec o ping -c 3 -i 0.2 -W 2 -I 192.0.2.1 "$vip" >/dev/null || fail "no traffic to the pool address"
    if [[ $o_kind == ours ]]; then
      ours --json list-sas | tr -d ' \n' | grep -q "\"remote_vips\":\[\"$vip\"\]" ||
        { ours --json list-sas >&2; fail "list-sas does not show the client's $vip"; }
    fi
    if [[ $cell == cert-xauth ]]; then
      grep -q "authentication of '$ours_id' with RSA.* successful" "$work/s/charon.log" ||
        fail "strongSwan did not authenticate us with an RSA signature"
    fi
    # The split network (INTERNAL_IP4_SUBNET): strongSwan as an IKEv1 client
    # has no handler for it and says so (it keeps its configured remote_ts).
    grep -q 'handling INTERNAL_IP4_SUBNET attribute failed' "$work/s/charon.log" ||
      fail "strongSwan got no INTERNAL_IP4_SUBNET (pool subnet) from the gateway"
    if [[ $cell == push ]]; then
      # The gateway's SET (CPS) and strongSwan's ACK (CPA) carried it.
      grep -Eq 'parsed TRANSACTION .*CPS\(ADDR' "$work/s/charon.log" ||
        fail "strongSwan did not receive a Mode Config SET"
      grep -Eq 'generating TRANSACTION .*CPA' "$work/s/charon.log" ||
        fail "strongSwan did not ACK the Mode Config SET"
      ! grep -q 'CPRQ(ADDR' "$work/s/charon.log" || fail "strongSwan pulled although pull = no"
    fi
    echo "XAuth user $xauth_user got $vip ($cell) and DNS 192.0.2.53; traffic crosses" ;;
  xauth-client)
    # A wrong password: strongSwan's SET says FAILED, we give up cleanly.
    side_xauth_pw=wrong-$xauth_pw write_o_conf no
    o_reload
    if o_initiate >"$work/wrong.log" 2>&1; then fail "initiate succeeded with a wrong XAuth password"; fi
    wait_for 10 both_down || { o_list >&2; s_list >&2; fail "SAs left after the failed XAuth"; }
    if [[ $o_kind == ours ]]; then
      ours version >/dev/null || fail "our daemon died after the failed XAuth"
      grep -q 'XAuth: the gateway rejected our credentials' "$work/o/charon.log" ||
        fail "no clear log line for the rejected XAuth password"
      grep -m1 'XAuth: the gateway rejected' "$work/o/charon.log"
    fi
    # The right password.
    write_o_conf no
    o_reload
    o_initiate || fail "our XAuth initiate failed"
    wait_up "our XAuth + Mode Config client"
    if [[ $o_kind == ours ]]; then
      vip=$(ours --json list-sas | tr -d ' \n' | sed -n 's/.*"local_vips":\["\([0-9.]*\)"\].*/\1/p')
    else
      vip=$(o_list | grep -o '\[10\.3\.7\.[0-9]*\]' | head -1 | tr -d '[]')
    fi
    [[ $vip == 10.3.7.1 ]] || { o_list >&2; fail "we got no pool address from strongSwan (got '$vip')"; }
    ss_swanctl "$work/s" --list-sas | grep -q "10.3.7.1" || fail "strongSwan does not show our $vip"
    ns_exec o ping -c 3 -i 0.2 -W 2 -I "$vip" 203.0.113.1 >/dev/null || fail "no traffic from our pool address"
    ns_exec s ping -c 3 -i 0.2 -W 2 -I 203.0.113.1 "$vip" >/dev/null || fail "no traffic to our pool address"
    echo "our XAuth client $xauth_user got $vip from strongSwan; traffic crosses" ;;
esac
echo "PASS: ikev1 $cell (side o: $o_kind) in $((SECONDS - started)) s"
