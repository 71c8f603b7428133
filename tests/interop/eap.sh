#!/usr/bin/env bash
# interop.eap-*: roadwarriors authenticated by EAP on our gateway
# (namespace o, 198.51.100.1, ECDSA certificate, remote auth = eap-mschapv2
# or eap-tls with eap_id = %any, a pool with DNS, protecting 192.0.2.0/24).
#
#   eap.sh windows   strongSwan configured as a Windows client does it:
#                    EAP-MSCHAPv2, its IP address as IKE identity, the user
#                    name asked by EAP-Identity, aes256-sha256 / aes256-sha1
#                    with MODP-1024 only, ESP without PFS; then a wrong
#                    password is refused cleanly
#   eap.sh ours      our own daemon as the EAP-MSCHAPv2 client: it gets and
#                    installs a virtual IP from the gateway
#   eap.sh tls       strongSwan with a client certificate inside EAP-TLS;
#                    then a certificate from an unknown CA is refused
#
# Passes when the tunnel comes up, the client has the pool's address and
# DNS server, and ping crosses the tunnel from the virtual IP. Exit 77 =
# skipped (not root / strongSwan or its eap-mschapv2 plugin missing).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$root/tests/lib/netns.sh"
source "$root/tests/lib/pki.sh"
source "$here/strongswan.sh"

client_kind=${1:-windows}
charon=${CHARON:-$root/build/charon/daemon/charon}
ipsecctl=${IPSECCTL:-$root/build/cli/ipsecctl/ipsecctl}

ns_available || skip_or_fail "interop needs root and network namespaces"
if [[ $client_kind != ours ]]; then
  [[ -x $SS_CHARON ]] || skip_or_fail "strongSwan's charon is not installed ($SS_CHARON)"
  [[ -e /usr/lib/ipsec/plugins/libstrongswan-eap-mschapv2.so ]] ||
    skip_or_fail "strongSwan's eap-mschapv2 plugin is not installed (libcharon-extauth-plugins)"
  [[ -e /usr/lib/ipsec/plugins/libstrongswan-eap-tls.so ]] ||
    skip_or_fail "strongSwan's eap-tls plugin is not installed (libcharon-extra-plugins)"
fi
gw_method=eap-mschapv2
[[ $client_kind == tls ]] && gw_method=eap-tls
[[ -x $charon ]] || { echo "FAIL: $charon not built" >&2; exit 1; }

ns_workdir eapms
show_logs() {
  local rc=$?
  if ((rc != 0)); then
    echo "---- our gateway log" >&2; tail -n 60 "$work"/charon-o-*.log >&2 2>/dev/null || true
    echo "---- client log" >&2; tail -n 60 "$work/c/charon.log" "$work"/charon-c-*.log >&2 2>/dev/null || true
  fi
  _ns_workdir_cleanup
}
trap show_logs EXIT

gw_id=gw.interop.example
mkdir -p "$work/o" "$work/c/swanctl/x509ca"
pki_ca "$work/pki" ecdsa
pki_cert "$work/pki" ecdsa gw "$gw_id"
pki_install "$work/pki" gw "$work/o"

cat >"$work/o/swanctl.conf" <<CONF
connections {
  rw {
    version = 2
    local_addrs = 198.51.100.1
    # What Windows offers, accepted because it is configured here.
    proposals = aes256-sha256-modp1024, aes256-sha1-modp1024, aes128gcm16-prfsha256-x25519
    pools = rw
    local {
      auth = pubkey
      certs = gw.pem
      id = $gw_id
    }
    remote {
      auth = $gw_method
      eap_id = %any
    }
    children {
      net {
        local_ts = 192.0.2.0/24
        # PFS when the client wants it, and the no-PFS alternative Windows uses.
        esp_proposals = aes256-sha256-modp2048, aes256-sha1, aes128gcm16
      }
    }
  }
}
pools {
  rw {
    addrs = 10.3.0.16/28
    dns = 192.0.2.53
  }
}
secrets {
  eap-alice {
    id = alice
    secret = "Alice's p4ssword"
  }
  eap-bob {
    id = bob
    secret = bobpass
  }
}
CONF

ns_add c
ns_add o
ns_link c o 198.51.100.2/24 198.51.100.1/24
ns_exec o ip addr add 192.0.2.1/32 dev lo

ours() { "$ipsecctl" --socket "$work/o/control.sock" "$@"; }
ns_spawn o "$charon" --config "$work/o/swanctl.conf" --control-socket "$work/o/control.sock" \
  --pid-file "$work/o/charon.pid" --backend userspace --tun ipsec-o --log-level info,ike=debug \
  --retransmit-timeout 1 --retransmit-base 1.5 --retransmit-tries 3 >/dev/null
wait_for 10 ours version || { echo "FAIL: our gateway did not start" >&2; exit 1; }
our_log() { cat "$work"/charon-o-*.log; }
gw_established() { ours --json list-sas | grep -q '"state": "INSTALLED"'; }
gw_empty() { ours --json list-sas | grep -q '"ike_sas": \[\]'; }

if [[ $client_kind == windows ]]; then
  cp "$work/pki/ca.pem" "$work/c/swanctl/x509ca/ca.pem"
  write_client() {  # PASSWORD
    cat >"$work/c/swanctl/swanctl.conf" <<CONF
connections {
  rw {
    version = 2
    local_addrs = 198.51.100.2
    remote_addrs = 198.51.100.1
    vips = 0.0.0.0
    proposals = aes256-sha256-modp1024, aes256-sha1-modp1024
    local {
      auth = eap-mschapv2
      id = 198.51.100.2
      eap_id = alice
    }
    remote {
      auth = pubkey
      id = $gw_id
    }
    children {
      net {
        remote_ts = 192.0.2.0/24
        esp_proposals = aes256-sha1
      }
    }
  }
}
secrets {
  eap-alice {
    id = alice
    secret = "$1"
  }
}
CONF
  }
  write_client "Alice's p4ssword"
  export SS_INSTALL_VIP=yes SS_EXTRA_PLUGINS="eap-mschapv2 eap-identity resolve"
  ss_start c "$work/c"
  client() { ss_swanctl "$work/c" "$@"; }
  echo "== Windows-like strongSwan client, EAP-MSCHAPv2"
  client --initiate --child net --timeout 30
  up() { gw_established && client --list-sas | grep -q INSTALLED; }
  wait_for 15 up || { echo "FAIL: SAs not established" >&2; ours list-sas >&2; client --list-sas >&2; exit 1; }
  ours list-sas
  client --list-sas
  client --list-sas | grep -q "MODP_1024" || { echo "FAIL: not the Windows proposal" >&2; exit 1; }
  client --list-sas | grep -Eq "ESP:AES_CBC-256/HMAC_SHA1_96($|[^/])" || { echo "FAIL: ESP without PFS not chosen" >&2; exit 1; }
  vip=$(ours --json list-sas | tr -d ' \n' | sed -n 's/.*"remote_vips":\["\([0-9.]*\)"\].*/\1/p')
  [[ $vip == 10.3.0.1[6-9] || $vip == 10.3.0.2* || $vip == 10.3.0.3[01] ]] ||
    { echo "FAIL: no virtual IP from the pool ($vip)" >&2; ours --json list-sas >&2; exit 1; }
  ns_exec c ip -4 addr show | grep -q "$vip" || { echo "FAIL: client did not install $vip" >&2; exit 1; }
  grep -q "installing DNS server 192.0.2.53" "$work/c/charon.log" || { echo "FAIL: the DNS attribute did not arrive" >&2; exit 1; }
  ns_exec c ping -c 3 -i 0.2 -W 2 -I "$vip" 192.0.2.1 || { echo "FAIL: no traffic through the tunnel" >&2; exit 1; }
  ours list-pools | grep -q alice || { echo "FAIL: the lease is not held for the EAP identity" >&2; ours list-pools >&2; exit 1; }
  client --terminate --ike rw --timeout 15
  wait_for 10 gw_empty || { echo "FAIL: our SA stayed after the client's Delete" >&2; exit 1; }

  echo "== a wrong password"
  write_client "not the password"
  client --load-creds --noprompt >/dev/null
  if client --initiate --child net --timeout 30 >"$work/wrong.log" 2>&1; then
    echo "FAIL: a wrong password was accepted" >&2; exit 1
  fi
  wait_for 10 gw_empty || { echo "FAIL: an SA stayed after the failure" >&2; ours list-sas >&2; exit 1; }
  our_log | grep -q "EAP authentication of 'alice'" ||
    { echo "FAIL: no clear failure line in our log" >&2; our_log | tail -n 20 >&2; exit 1; }
  ours --json stats >/dev/null
  echo "PASS: interop.eap-mschapv2 (windows)"
  exit 0
fi

if [[ $client_kind == tls ]]; then
  cp "$work/pki/ca.pem" "$work/c/swanctl/x509ca/ca.pem"
  pki_cert "$work/pki" ecdsa carol carol.interop.example
  pki_install "$work/pki" carol "$work/c/swanctl"
  cat >"$work/c/swanctl/swanctl.conf" <<CONF
connections {
  rw {
    version = 2
    local_addrs = 198.51.100.2
    remote_addrs = 198.51.100.1
    vips = 0.0.0.0
    proposals = aes128gcm16-prfsha256-x25519
    local {
      auth = eap-tls
      certs = carol.pem
      id = carol.interop.example
      eap_id = carol.interop.example
    }
    remote {
      auth = pubkey
      id = $gw_id
    }
    children {
      net {
        remote_ts = 192.0.2.0/24
        esp_proposals = aes128gcm16
      }
    }
  }
}
CONF
  export SS_INSTALL_VIP=yes SS_EXTRA_PLUGINS="eap-tls eap-identity resolve"
  ss_start c "$work/c"
  client() { ss_swanctl "$work/c" "$@"; }
  echo "== strongSwan client, EAP-TLS"
  client --initiate --child net --timeout 30
  up() { gw_established && client --list-sas | grep -q INSTALLED; }
  wait_for 15 up || { echo "FAIL: SAs not established" >&2; ours list-sas >&2; client --list-sas >&2; exit 1; }
  ours list-sas
  client --list-sas
  vip=$(ours --json list-sas | tr -d ' \n' | sed -n 's/.*"remote_vips":\["\([0-9.]*\)"\].*/\1/p')
  [[ -n $vip ]] || { echo "FAIL: no virtual IP" >&2; exit 1; }
  ns_exec c ping -c 3 -i 0.2 -W 2 -I "$vip" 192.0.2.1 || { echo "FAIL: no traffic through the tunnel" >&2; exit 1; }
  ours list-pools | grep -q carol.interop.example || { echo "FAIL: lease not held for the EAP identity" >&2; exit 1; }
  client --terminate --ike rw --timeout 15
  wait_for 10 gw_empty || { echo "FAIL: our SA stayed after the client's Delete" >&2; exit 1; }

  echo "== a client certificate from an unknown CA"
  pki_ca "$work/pki2" ecdsa
  pki_cert "$work/pki2" ecdsa carol carol.interop.example
  cp "$work/pki2/carol.pem" "$work/c/swanctl/x509/carol.pem"
  cp "$work/pki2/carol.key" "$work/c/swanctl/private/carol.key"
  client --load-all --noprompt >/dev/null 2>&1 || true
  if client --initiate --child net --timeout 30 >"$work/wrong.log" 2>&1; then
    echo "FAIL: a certificate from an unknown CA was accepted" >&2; exit 1
  fi
  wait_for 10 gw_empty || { echo "FAIL: an SA stayed after the failure" >&2; ours list-sas >&2; exit 1; }
  our_log | grep -q "EAP-TLS" || { echo "FAIL: no EAP-TLS failure line in our log" >&2; our_log | tail -n 20 >&2; exit 1; }
  echo "PASS: interop.eap-tls"
  exit 0
fi

echo "== our daemon as the EAP-MSCHAPv2 client"
cat >"$work/c/swanctl.conf" <<CONF
connections {
  gw {
    version = 2
    local_addrs = 198.51.100.2
    remote_addrs = 198.51.100.1
    vips = 0.0.0.0
    proposals = aes128gcm16-prfsha256-x25519
    local {
      auth = eap-mschapv2
      id = bob@roadwarrior.example
      eap_id = bob
    }
    remote {
      auth = pubkey
      id = $gw_id
    }
    children {
      net {
        local_ts = 0.0.0.0/0
        remote_ts = 192.0.2.0/24
        esp_proposals = aes128gcm16
      }
    }
  }
}
secrets {
  eap-bob {
    id = bob
    secret = bobpass
  }
}
CONF
mkdir -p "$work/c/x509ca"
cp "$work/pki/ca.pem" "$work/c/x509ca/ca.pem"
client() { "$ipsecctl" --socket "$work/c/control.sock" "$@"; }
ns_spawn c "$charon" --config "$work/c/swanctl.conf" --control-socket "$work/c/control.sock" \
  --pid-file "$work/c/charon.pid" --backend userspace --tun ipsec-c --log-level info,ike=debug >/dev/null
wait_for 10 client version || { echo "FAIL: our client did not start" >&2; exit 1; }
client initiate --ike gw
up() { gw_established && client --json list-sas | grep -q '"state": "INSTALLED"'; }
wait_for 15 up || { echo "FAIL: SAs not established" >&2; ours list-sas >&2; client list-sas >&2; exit 1; }
client list-sas
vip=$(client --json list-sas | tr -d ' \n' | sed -n 's/.*"local_vips":\["\([0-9.]*\)"\].*/\1/p')
[[ -n $vip ]] || { echo "FAIL: our client got no virtual IP" >&2; client --json list-sas >&2; exit 1; }
ns_exec c ip -4 addr show dev ipsec-c | grep -q "$vip" || { echo "FAIL: $vip not on the TUN device" >&2; exit 1; }
ns_exec c ping -c 3 -i 0.2 -W 2 -I "$vip" 192.0.2.1 || { echo "FAIL: no traffic through the tunnel" >&2; exit 1; }
ours list-pools | grep -q bob || { echo "FAIL: the lease is not held for bob" >&2; ours list-pools >&2; exit 1; }
echo "PASS: interop.eap-mschapv2 (ours)"
