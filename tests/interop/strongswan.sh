# Runs strongSwan's charon (Debian packages) as a test peer inside one of
# the test's namespaces, with kernel-libipsec (this kernel has no ESP) and a
# private /run, config, vici socket and log under its own directory. Sourced
# after tests/lib/netns.sh. SS_EXTRA_PLUGINS adds plugins to the load list
# (e.g. resolve: DNS servers from the gateway go to DIR/resolv.conf);
# SS_CHARON_EXTRA adds a line to the charon section.
#   ss_start NS DIR       start charon in namespace NS; DIR holds swanctl.conf
#   ss_swanctl DIR ARGS   run swanctl against that instance
#   ss_stop DIR           SIGTERM our charon (by the PID we recorded)

SS_CHARON=${SS_CHARON:-/usr/lib/ipsec/charon}

ss_write_conf() {  # DIR
  local w=$1 d  # d is local: bash scoping would hand it to the caller's d
  mkdir -p "$w/run" "$w/swanctl"
  for d in x509 x509ca x509ocsp x509aa x509ac x509crl pubkey private rsa ecdsa bliss pkcs8 pkcs12; do
    mkdir -p "$w/swanctl/$d"
  done
  cat >"$w/strongswan.conf" <<CONF
charon {
    load_modular = no
    load = random nonce drbg aes sha1 sha2 md5 hmac kdf gcm openssl x509 revocation constraints pubkey pkcs1 pkcs7 pkcs8 pkcs12 pem kernel-libipsec kernel-netlink socket-default vici updown ${SS_EXTRA_PLUGINS:-}
    port = 500
    port_nat_t = 4500
    install_routes = yes
    routing_table = 220
    routing_table_prio = 220
    install_virtual_ip = ${SS_INSTALL_VIP:-no}
    ${SS_CHARON_EXTRA:-}
    retransmit_tries = 3
    retransmit_timeout = 2.0
    filelog {
        charonlog {
            path = $w/charon.log
            time_format = %H:%M:%S
            ike_name = yes
            append = no
            flush_line = yes
            default = 1
            ike = 2
            cfg = 2
            knl = 2
            enc = 1
        }
        stderr {
            default = -1
        }
    }
    syslog {
        daemon {
            default = -1
        }
    }
    plugins {
        vici {
            socket = unix://$w/charon.vici
        }
        resolve {
            file = $w/resolv.conf
        }
    }
}
swanctl {
    plugins {
        vici {
            socket = unix://$w/charon.vici
        }
    }
}
CONF
}

ss_start() {  # NS DIR
  local ns w=$2
  ns=$(ns_name "$1")
  ss_write_conf "$w"
  rm -f "$w/charon.vici"  # a killed instance leaves its socket behind
  ip netns exec "$ns" unshare --mount --propagation private \
    sh -c 'mount --bind "$1/run" /run && exec env STRONGSWAN_CONF="$1/strongswan.conf" "$2"' \
    sh "$w" "$SS_CHARON" >"$w/charon.stdout" 2>&1 </dev/null &
  local pid=$!
  NS_PIDS+=("$pid")
  echo "$pid" >"$w/charon.pid"
  wait_for 15 test -S "$w/charon.vici" || { echo "strongSwan did not start:" >&2; cat "$w/charon.stdout" >&2; return 1; }
  ss_swanctl "$w" --load-all --noprompt >"$w/load.log" 2>&1 || { cat "$w/load.log" >&2; return 1; }
}

ss_swanctl() {  # DIR ARGS...
  local w=$1
  shift
  STRONGSWAN_CONF=$w/strongswan.conf SWANCTL_DIR=$w/swanctl swanctl "$@" --uri "unix://$w/charon.vici"
}

ss_stop() {  # DIR
  local pid
  pid=$(cat "$1/charon.pid" 2>/dev/null) || return 0
  ns_stop_pid "$pid"
}

ss_kill() {  # DIR: a crash, no DELETE sent (for DPD tests)
  local pid
  pid=$(cat "$1/charon.pid" 2>/dev/null) || return 0
  kill -KILL "$pid" 2>/dev/null || true
}
