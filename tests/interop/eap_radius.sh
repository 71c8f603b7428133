#!/usr/bin/env bash
# interop.eap-radius: a strongSwan roadwarrior (namespace c, 198.51.100.2,
# eap-mschapv2, virtual IP requested) -> our gateway (namespace o,
# 198.51.100.1, certificate, remote auth = eap-radius, protecting
# 192.0.2.0/24) -> FreeRADIUS (namespace r, 203.0.113.2).
#
# Passes when: the tunnel comes up and ping crosses it; the client's
# virtual IP is FreeRADIUS's Framed-IP-Address; an accounting Start arrives
# and, after the client terminates, a Stop; a wrong password fails cleanly
# (Access-Reject); with FreeRADIUS stopped the client fails cleanly and our
# log says "RADIUS server(s) not responding". Interim-Updates carry the
# traffic. Exit 77 = skipped.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$root/tests/lib/netns.sh"
source "$root/tests/lib/pki.sh"
source "$root/tests/lib/freeradius.sh"
source "$here/strongswan.sh"

charon=${CHARON:-$root/build/charon/daemon/charon}
ipsecctl=${IPSECCTL:-$root/build/cli/ipsecctl/ipsecctl}

ns_available || skip_or_fail "interop needs root and network namespaces"
[[ -x $SS_CHARON ]] || skip_or_fail "strongSwan's charon is not installed ($SS_CHARON)"
[[ -e /usr/lib/ipsec/plugins/libstrongswan-eap-mschapv2.so ]] ||
  skip_or_fail "strongSwan's eap-mschapv2 plugin is not installed (libcharon-extauth-plugins)"
command -v freeradius >/dev/null || skip_or_fail "freeradius is not installed (scripts/setup-deps.sh)"
[[ -x $charon ]] || { echo "FAIL: $charon not built" >&2; exit 1; }

ns_workdir eaprad
show_logs() {
  local rc=$?
  if ((rc != 0)); then
    for f in "$work"/charon-*.log; do echo "---- $f" >&2; tail -n 40 "$f" >&2; done
    echo "---- strongSwan log" >&2
    tail -n 60 "$work/c/charon.log" >&2 2>/dev/null || true
    for f in "$work"/freeradius-*.log; do echo "---- $f" >&2; grep -E "Sent|Received|ERROR|WARNING|Login" "$f" | tail -n 40 >&2; done
  fi
  _ns_workdir_cleanup
}
trap show_logs EXIT

gw_id=gw.interop.example
secret=$(openssl rand -hex 12)
mkdir -p "$work/o" "$work/c/swanctl/x509ca"
pki_ca "$work/pki" ecdsa
pki_cert "$work/pki" ecdsa gw "$gw_id"
pki_install "$work/pki" gw "$work/o"
cp "$work/pki/ca.pem" "$work/c/swanctl/x509ca/ca.pem"

cat >"$work/o/swanctl.conf" <<CONF
connections {
  rw {
    version = 2
    local_addrs = 198.51.100.1
    proposals = aes128gcm16-prfsha256-x25519
    pools = rw
    local {
      auth = pubkey
      certs = gw.pem
      id = $gw_id
    }
    remote {
      auth = eap-radius
      eap_id = %any
    }
    children {
      net {
        local_ts = 192.0.2.0/24
        esp_proposals = aes128gcm16
      }
    }
  }
}
pools {
  rw {
    addrs = 10.3.0.64/27
  }
}
radius {
  accounting = yes
  interim_interval = 2s
  retransmit_timeout = 1s
  retransmit_tries = 2
  servers {
    fr {
      address = 203.0.113.2
      secret = $secret
    }
  }
}
CONF

write_client() {  # PASSWORD
  cat >"$work/c/swanctl/swanctl.conf" <<CONF
connections {
  rw {
    version = 2
    local_addrs = 198.51.100.2
    remote_addrs = 198.51.100.1
    vips = 0.0.0.0
    proposals = aes128gcm16-prfsha256-x25519
    local {
      auth = eap-mschapv2
      id = alice
      eap_id = alice
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
secrets {
  eap-alice {
    id = alice
    secret = $1
  }
}
CONF
}
write_client alicepass

ns_add c
ns_add o
ns_add r
ns_link c o 198.51.100.2/24 198.51.100.1/24
ns_link o r 203.0.113.1/24 203.0.113.2/24
ns_exec o ip addr add 192.0.2.1/32 dev lo

fr_setup "$work/fr" 203.0.113.1 "$secret"
fr_add_user "$work/fr" alice alicepass 10.3.0.77
fr_pid=$(ns_spawn r freeradius -X -f -d "$work/fr/raddb")
wait_for 20 fr_listening r || { echo "FAIL: freeradius did not start" >&2; exit 1; }

ours() { "$ipsecctl" --socket "$work/o/control.sock" "$@"; }
ns_spawn o "$charon" --config "$work/o/swanctl.conf" --control-socket "$work/o/control.sock" \
  --pid-file "$work/o/charon.pid" --backend userspace --tun ipsec-o --log-level info,ike=debug \
  --retransmit-timeout 1 --retransmit-base 1.5 --retransmit-tries 3 >/dev/null
wait_for 10 ours version || { echo "FAIL: our daemon did not start" >&2; exit 1; }
our_log() { cat "$work"/charon-o-*.log; }

export SS_INSTALL_VIP=yes SS_EXTRA_PLUGINS="eap-mschapv2 eap-identity"
ss_start c "$work/c"
client() { ss_swanctl "$work/c" "$@"; }
detail() { fr_detail "$work/fr"; }

echo "== strongSwan eap-mschapv2 -> our gateway (eap-radius) -> FreeRADIUS"
client --initiate --child net --timeout 30
established() { ours --json list-sas | grep -q '"state": "INSTALLED"' && client --list-sas | grep -q INSTALLED; }
wait_for 15 established || { echo "FAIL: SAs not established" >&2; ours list-sas >&2; client --list-sas >&2; exit 1; }
ours list-sas
client --list-sas

# The virtual IP is FreeRADIUS's Framed-IP-Address, not the pool's first address.
ours --json list-sas | tr -d ' \n' | grep -q '"remote_vips":\["10.3.0.77"\]' ||
  { echo "FAIL: the gateway did not assign the Framed-IP-Address" >&2; ours --json list-sas >&2; exit 1; }
ns_exec c ip -4 addr show | grep -q 10.3.0.77 ||
  { echo "FAIL: the client did not install 10.3.0.77" >&2; ns_exec c ip -4 addr show >&2; exit 1; }
ns_exec c ping -c 3 -i 0.2 -W 2 -I 10.3.0.77 192.0.2.1 ||
  { echo "FAIL: no traffic through the tunnel" >&2; exit 1; }
our_log | grep -q "RADIUS Access-Accept" || { echo "FAIL: no Access-Accept in our log" >&2; exit 1; }

have_start() { detail | grep -q "Acct-Status-Type = Start"; }
wait_for 10 have_start || { echo "FAIL: no accounting Start" >&2; exit 1; }
detail | grep -q 'Framed-IP-Address = 10.3.0.77' || { echo "FAIL: Start without the Framed-IP-Address" >&2; detail >&2; exit 1; }
detail | grep -q 'User-Name = "alice"' || { echo "FAIL: Start without User-Name" >&2; detail >&2; exit 1; }
echo "accounting Start received"
# Interim-Update with the ping's packets (interim_interval = 2s).
have_interim() {
  detail | awk '/Acct-Status-Type = Interim-Update/{s=1} s && /Acct-Input-Packets = /{print $3; exit}' | grep -q '^[1-9]'
}
wait_for 8 have_interim || { echo "FAIL: no Interim-Update with the traffic" >&2; detail >&2; exit 1; }
echo "accounting Interim-Update received"

# An IKE_SA rekey continues the accounting session (no new Start, one Stop).
spi_ours() { ours --json list-sas | grep -o '"spi_i": "[0-9a-f]*"' | sort | tr '\n' ' '; }
before=$(spi_ours)
client --rekey --ike rw >/dev/null
spi_changed() { [[ $(spi_ours) != "$before" ]] && ours --json list-sas | grep -q '"state": "INSTALLED"'; }
wait_for 15 spi_changed || { echo "FAIL: the IKE_SA was not rekeyed" >&2; ours list-sas >&2; exit 1; }
echo "IKE_SA rekeyed"

client --terminate --ike rw --timeout 15
gone() { ours --json list-sas | grep -q '"ike_sas": \[\]'; }
wait_for 10 gone || { echo "FAIL: our SA stayed after the client's Delete" >&2; ours list-sas >&2; exit 1; }
have_stop() { detail | grep -q "Acct-Status-Type = Stop"; }
wait_for 10 have_stop || { echo "FAIL: no accounting Stop" >&2; detail >&2; exit 1; }
detail | grep -q "Acct-Session-Time = " || { echo "FAIL: Stop without Acct-Session-Time" >&2; exit 1; }
detail | awk '/Acct-Status-Type = Stop/{s=1} s && /Acct-Input-Packets = /{print $3; exit}' | grep -q '^[1-9]' ||
  { echo "FAIL: Stop without the ping's packets" >&2; detail >&2; exit 1; }
((n = $(detail | grep -c "Acct-Status-Type = Start"), n == 1)) || { echo "FAIL: $n accounting Starts" >&2; detail >&2; exit 1; }
session_ids=$(detail | grep -o 'Acct-Session-Id = "[^"]*"' | sort -u | wc -l)
((session_ids == 1)) || { echo "FAIL: $session_ids Acct-Session-Ids for one session" >&2; detail >&2; exit 1; }
echo "accounting Stop received"

# A wrong password: Access-Reject, the client fails cleanly, nothing stays.
write_client wrongpass
client --load-creds --noprompt >/dev/null 2>&1
if client --initiate --child net --timeout 30 >"$work/wrong.log" 2>&1; then
  echo "FAIL: a wrong password was accepted" >&2; exit 1
fi
wait_for 10 gone || { echo "FAIL: an SA stayed after the reject" >&2; ours list-sas >&2; exit 1; }
our_log | grep -q "Access-Reject" || { echo "FAIL: no Access-Reject in our log" >&2; exit 1; }
echo "wrong password rejected"

# FreeRADIUS down: the client fails cleanly and our log says why.
write_client alicepass
client --load-creds --noprompt >/dev/null 2>&1
ns_stop_pid "$fr_pid"
if client --initiate --child net --timeout 30 >"$work/down.log" 2>&1; then
  echo "FAIL: authenticated without a RADIUS server" >&2; exit 1
fi
wait_for 10 gone || { echo "FAIL: an SA stayed with the server down" >&2; ours list-sas >&2; exit 1; }
our_log | grep -q "RADIUS server(s) not responding" ||
  { echo "FAIL: no 'not responding' line in our log" >&2; our_log | tail -n 30 >&2; exit 1; }
ours --json stats | grep -q '"radius_unavailable": [1-9]' || { echo "FAIL: radius_unavailable not counted" >&2; exit 1; }
echo "RADIUS server down reported"
! our_log | grep -q "$secret" || { echo "FAIL: the RADIUS secret is in our log" >&2; exit 1; }
echo "PASS: interop.eap-radius"
