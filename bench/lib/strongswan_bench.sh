# strongSwan as the benchmark's peer. Sourced after tests/lib/netns.sh and
# tests/interop/strongswan.sh: the interop harness's instance setup (own
# namespace, private /run, kernel-libipsec), tuned for a fair race:
#  - the openssl plugin is loaded first, so strongSwan's IKE and libipsec ESP
#    crypto run on OpenSSL (AES-NI, the same library as ours) and not on its
#    portable aes/gcm plugins;
#  - X25519 and ChaCha20-Poly1305 come from the openssl plugin as well (the
#    curve25519/chapoly plugins are in libstrongswan-extra-plugins, not installed);
#  - logging at level 0 to a file without per-line flushing;
#  - no per-peer-IP half-open block (block_threshold) and no COOKIE
#    challenge (cookie_threshold, cookie_threshold_ip, default 3 per IP) at
#    the load generator's window: ours has no per-IP limit and challenges
#    only above 10 half-open SAs, which a window of 8 never reaches. (With
#    strongSwan's cookies on, our initiator's retried IKE_SA_INIT lacks the
#    NAT-D notifies, so kernel-libipsec refuses the CHILD_SA: an interop bug
#    of the engine this benchmark found; see bench/README.md.)
#   ss_bench_start NS DIR [CPU_LIST]   start it (DIR/swanctl/swanctl.conf must exist); sets SS_PID

ss_bench_conf() {  # DIR   (BENCH_SS_VERBOSE=1 keeps the interop harness's log levels)
  local w=$1
  local quiet=(-e 's/^            default = 1$/            default = 0/' -e 's/^            ike = 2$/            ike = 0/'
               -e 's/^            cfg = 2$/            cfg = 0/' -e 's/^            knl = 2$/            knl = 0/'
               -e 's/^            enc = 1$/            enc = 0/' -e 's/flush_line = yes/flush_line = no/')
  [[ -n ${BENCH_SS_VERBOSE:-} ]] && quiet=()
  ss_write_conf "$w"
  sed -i -e 's/^    load = .*/    load = random nonce openssl drbg aes sha1 sha2 md5 hmac kdf gcm x509 revocation constraints pubkey pkcs1 pkcs7 pkcs8 pkcs12 pem kernel-libipsec kernel-netlink socket-default vici/' \
    -e 's/^    retransmit_tries = 3/    retransmit_tries = 3\n    block_threshold = 100000\n    cookie_threshold = 100000\n    cookie_threshold_ip = 100000/' "${quiet[@]}" "$w/strongswan.conf"
}

ss_bench_start() {  # NS DIR [CPU_LIST]
  local ns w=$2 pin=()
  ns=$(ns_name "$1")
  [[ -n ${3:-} ]] && pin=(taskset -c "$3")
  local conf_backup
  conf_backup=$(cat "$w/swanctl/swanctl.conf")
  ss_bench_conf "$w"
  printf '%s\n' "$conf_backup" >"$w/swanctl/swanctl.conf"
  rm -f "$w/charon.vici"
  ip netns exec "$ns" "${pin[@]}" unshare --mount --propagation private \
    sh -c 'mount --bind "$1/run" /run && exec env STRONGSWAN_CONF="$1/strongswan.conf" "$2"' \
    sh "$w" "$SS_CHARON" >"$w/charon.stdout" 2>&1 </dev/null &
  SS_PID=$!
  NS_PIDS+=("$SS_PID")
  echo "$SS_PID" >"$w/charon.pid"
  wait_for 15 test -S "$w/charon.vici" || { echo "strongSwan did not start:" >&2; cat "$w/charon.stdout" >&2; return 1; }
  ss_swanctl "$w" --load-all --noprompt >"$w/load.log" 2>&1 || { cat "$w/load.log" >&2; return 1; }
}

bench_machine() {
  echo "# CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), nproc $(nproc); kernel $(uname -r); $(openssl version)"
  echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg) (the machine may be shared)"
}
