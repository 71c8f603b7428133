#!/usr/bin/env bash
# Client quirks a roadwarrior gateway must serve (ANCHOR_FEATURES 1.14),
# mimicked with a strongSwan client (kernel-libipsec) against our daemon as
# gateway: g (198.51.100.1, pool 10.3.5.0/28, LAN 192.0.2.0/24 on lo) and
# client c (198.51.100.2) asking for a virtual IP.
#
#   quirks.sh windows           IKE aes256-sha1-modp1024 / aes256-sha256-modp1024,
#                               ESP aes256-sha1 without PFS; the gateway offers
#                               esp_proposals = aes256-sha256-modp2048, aes256-sha1
#                               (PFS plus an explicit no-PFS alternative) and
#                               allows modp1024. Traffic flows; a client CHILD_SA
#                               rekey without PFS is accepted.
#   quirks.sh windows-no-modp1024  the same client, a gateway without modp1024:
#                               NO_PROPOSAL_CHOSEN on both sides.
#   quirks.sh apple             ESP proposals with and without PFS
#                               (aes256gcm16-ecp256, aes256gcm16), as iOS sends.
#   quirks.sh no-server-rekey   the gateway's child has rekey_time = 0 (Windows
#                               refuses server-initiated CHILD_SA rekeys); the
#                               client rekeys every few seconds: its rekeys work
#                               and the gateway never starts one.
# Exit 77 = skipped (not root / no strongSwan) unless CI=true.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$root/tests/lib/netns.sh"
source "$here/strongswan.sh"
mode=${1:?mode}
charon=${CHARON:-$root/build/charon/daemon/charon}
ipsecctl=${IPSECCTL:-$root/build/cli/ipsecctl/ipsecctl}

ns_available || skip_or_fail "the quirk cells need root and network namespaces"
[[ -x $SS_CHARON ]] || skip_or_fail "strongSwan's charon is not installed ($SS_CHARON)"
[[ -x $charon ]] || { echo "FAIL: $charon not built" >&2; exit 1; }
ns_workdir quirk
_q_cleanup() {
  local rc=$?
  set +e
  ((rc != 0)) && [[ -f $work/c/charon.log ]] && { echo "---- client" >&2; grep -v '\[CFG\]' "$work/c/charon.log" | tail -n 40 >&2; }
  (exit $rc)
  _ns_workdir_cleanup
}
trap _q_cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Per mode: gateway IKE/ESP proposals and child rekey_time; client IKE/ESP
# proposals and child rekey_time.
gw_ike=aes256-sha256-modp2048,aes256-sha1-modp1024 gw_esp=aes256-sha256-modp2048,aes256-sha1 gw_rekey=1h
c_ike=aes256-sha1-modp1024,aes256-sha256-modp1024 c_esp=aes256-sha1 c_rekey=1h
case $mode in
  windows) ;;
  windows-no-modp1024) gw_ike=aes256-sha256-modp2048,aes256-sha1-modp2048 ;;
  apple)
    gw_ike=aes256gcm16-prfsha256-ecp256 gw_esp=aes256gcm16-ecp256,aes256gcm16
    c_ike=aes256gcm16-prfsha256-ecp256 c_esp=aes256gcm16-ecp256,aes256gcm16 ;;
  no-server-rekey)
    gw_ike=aes128gcm16-prfsha256-x25519 gw_esp=aes128gcm16 gw_rekey=0
    c_ike=aes128gcm16-prfsha256-x25519 c_esp=aes128gcm16 c_rekey=6s ;;
  *) fail "unknown mode $mode" ;;
esac

psk=$(openssl rand -base64 24)
mkdir -p "$work/g" "$work/c/swanctl"
cat >"$work/g/swanctl.conf" <<CONF
connections {
  rw {
    proposals = $gw_ike
    pools = rw
    local {
      auth = psk
      id = gw.quirk.example
    }
    remote {
      auth = psk
      id = %any
    }
    children {
      net {
        local_ts = 192.0.2.0/24
        esp_proposals = $gw_esp
        rekey_time = $gw_rekey
      }
    }
  }
}
pools {
  rw {
    addrs = 10.3.5.0/28
  }
}
secrets {
  ike-rw {
    id-1 = gw.quirk.example
    id-2 = client.quirk.example
    secret = 0s$psk
  }
}
CONF
cat >"$work/c/swanctl/swanctl.conf" <<CONF
connections {
  rw {
    version = 2
    remote_addrs = 198.51.100.1
    proposals = $c_ike
    vips = 0.0.0.0
    local {
      auth = psk
      id = client.quirk.example
    }
    remote {
      auth = psk
      id = gw.quirk.example
    }
    children {
      net {
        remote_ts = 192.0.2.0/24
        esp_proposals = $c_esp
        rekey_time = $c_rekey
        start_action = none
      }
    }
  }
}
secrets {
  ike-rw {
    id-1 = client.quirk.example
    id-2 = gw.quirk.example
    secret = 0s$psk
  }
}
CONF

ns_add g
ns_add c
ns_link g c 198.51.100.1/24 198.51.100.2/24
ns_exec g ip addr add 192.0.2.1/32 dev lo
ns_spawn g "$charon" --config "$work/g/swanctl.conf" --control-socket "$work/g/control.sock" \
  --pid-file "$work/g/charon.pid" --backend userspace --tun ipsec-g --log-level info,ike=debug >/dev/null
gw() { "$ipsecctl" --socket "$work/g/control.sock" "$@"; }
wait_for 10 gw version || fail "our gateway did not start"
SS_INSTALL_VIP=yes ss_start c "$work/c"
connect() { ss_swanctl "$work/c" --initiate --ike rw --child net --timeout 20 >"$work/c/initiate.log" 2>&1; }
vip() { ss_swanctl "$work/c" --list-sas --ike rw | grep -o '\[10\.3\.5\.[0-9]*\]' | head -1 | tr -d '[]'; }
ping_lan() { ns_exec c ping -c 2 -i 0.2 -W 2 -I "$(vip)" 192.0.2.1 >/dev/null; }
spi_in() { gw --json list-sas | grep -o '"spi_in": "[0-9a-f]*"' | sort | tr '\n' ' '; }

if [[ $mode == windows-no-modp1024 ]]; then
  if connect; then fail "a gateway without modp1024 accepted a modp1024-only client"; fi
  grep -q NO_PROPOSAL_CHOSEN "$work/c/initiate.log" "$work/c/charon.log" || fail "the client was not told NO_PROPOSAL_CHOSEN"
  grep -m1 NO_PROPOSAL_CHOSEN "$work/c/charon.log"
  grep -Eim1 "no acceptable .*proposal|NO_PROPOSAL_CHOSEN" "$work"/charon-g-*.log || fail "our gateway logged nothing about it"
  echo "PASS: modp1024 refused with NO_PROPOSAL_CHOSEN when not configured"
  exit 0
fi

connect || { cat "$work/c/initiate.log" >&2; fail "the client did not connect"; }
gw list-sas
ss_swanctl "$work/c" --list-sas
ping_lan || fail "no traffic from the virtual IP"
case $mode in
  windows)
    ss_swanctl "$work/c" --list-sas | grep -q "MODP_1024" || fail "the IKE_SA does not use MODP_1024"
    ss_swanctl "$work/c" --list-sas | grep -E "ESP:AES_CBC-256/HMAC_SHA1_96" | grep -vq "MODP" ||
      fail "the CHILD_SA is not aes256-sha1 without PFS"
    before=$(spi_in)
    ss_swanctl "$work/c" --rekey --child net >/dev/null
    changed() { [[ $(spi_in) != "$before" ]]; }
    wait_for 15 changed || fail "the client's rekey (no PFS) did not go through"
    sleep 1
    ping_lan || fail "no traffic after the rekey"
    echo "PASS: Windows-like client: modp1024 IKE, aes256-sha1 ESP without PFS, client rekey without PFS" ;;
  apple)
    before=$(spi_in)
    ss_swanctl "$work/c" --rekey --child net >/dev/null
    changed() { [[ $(spi_in) != "$before" ]]; }
    wait_for 15 changed || fail "the client's rekey did not go through"
    grep -q "CHILD_SA net{[0-9]*} established.*" "$work/c/charon.log"
    ss_swanctl "$work/c" --list-sas | grep -q "ECP_256" || fail "the rekeyed CHILD_SA did not use PFS (ecp256)"
    sleep 1
    ping_lan || fail "no traffic after the rekey"
    echo "PASS: Apple-like client: ESP proposals with and without PFS, rekey with PFS" ;;
  no-server-rekey)
    # Our child shows no rekey time (rekey_time = 0 is "never").
    gw list-sas | grep -E "^ +net:" -A1 | grep -q "rekey in [0-9]" && fail "the gateway scheduled a CHILD_SA rekey"
    gw list-sas | grep -E "^ +net:" -A1 | grep -q "no rekey" || fail "list-sas does not say 'no rekey'"
    first=$(spi_in)
    # The client rekeys at ~6 s (minus jitter): wait for two of its rekeys.
    changed_from() { [[ $(spi_in) != "$1" ]]; }
    wait_for 20 changed_from "$first" || fail "the client did not rekey"
    second=$(spi_in)
    wait_for 20 changed_from "$second" || fail "the client did not rekey a second time"
    n=$(grep -c "rekeying CHILD_SA\|CREATE_CHILD_SA request" "$work/c/charon.log" || true)
    grep -Eq "initiating CHILD_SA rekey|rekeying CHILD_SA" "$work"/charon-g-*.log &&
      fail "the gateway initiated a CHILD_SA rekey"
    grep -q "parsed CREATE_CHILD_SA request" "$work/c/charon.log" && fail "the client received a rekey request from the gateway"
    ping_lan || fail "no traffic after the client's rekeys"
    echo "PASS: gateway rekey_time = 0: no server-initiated rekey, the client's rekeys work ($n lines)" ;;
esac
