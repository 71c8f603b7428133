#!/usr/bin/env bash
# ctest entry of daemon_pair_vm: two of our daemons with the netlink backend
# and real kernel ESP, inside the stock Debian kernel under qemu (one boot
# runs every cell of guest/daemon-pair-test.sh). Certificates and
# configurations are made here on the host; the guest only runs the daemons.
# Skips (exit 77) with a reason when not root or qemu/busybox-static are
# missing, and fails instead when CI=true.
#   run-daemon-pair.sh CHARON IPSECCTL
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
charon=$(realpath "${1:?usage: run-daemon-pair.sh CHARON IPSECCTL}")
ipsecctl=$(realpath "${2:?usage: run-daemon-pair.sh CHARON IPSECCTL}")
skip() {
  if [[ ${CI:-} == true ]]; then
    echo "FAIL (CI=true, cannot skip): $*" >&2
    exit 1
  fi
  echo "SKIP: $*" >&2
  exit 77
}
[[ $(id -u) -eq 0 ]] || skip "needs root (9p host share, network namespaces in the guest)"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86 not installed (scripts/setup-deps.sh)"
command -v busybox >/dev/null || skip "busybox-static not installed (scripts/setup-deps.sh)"
command -v cpio >/dev/null || skip "cpio not installed (scripts/setup-deps.sh)"
[[ -x $charon && -x $ipsecctl ]] || { echo "FAIL: $charon or $ipsecctl is not built" >&2; exit 1; }
source "$root/tests/lib/pki.sh"

out=$(mktemp -d /var/tmp/ike-daemon-pair.XXXXXX)
trap 'rm -rf "$out"' EXIT

# write_conf FILE LOCAL REMOTE LOCAL_TS REMOTE_TS ME PEER AUTH IKE ESP ENCAP PSK START_ACTION
write_conf() {
  local auth_local auth_remote
  if [[ $8 == psk ]]; then
    auth_local="auth = psk"
    auth_remote="auth = psk"
  else
    auth_local="auth = pubkey
      certs = ${6%%.*}.pem"  # a.pem / b.pem (pki_install's names)
    auth_remote="auth = pubkey"
  fi
  cat >"$1" <<CONF
connections {
  pair {
    version = 2
    local_addrs = $2
    remote_addrs = $3
    proposals = $9
    encap = ${11}
    dpd_delay = 0s
    local {
      $auth_local
      id = $6
    }
    remote {
      $auth_remote
      id = $7
    }
    children {
      net {
        local_ts = $4
        remote_ts = $5
        esp_proposals = ${10}
        start_action = ${13}
      }
    }
  }
}
secrets {
  ike-pair {
    id-a = $6
    id-b = $7
    secret = 0s${12}
  }
}
CONF
}

# Cells: NAME AUTH IKE ESP ENCAP START (a's start_action; trap: the
# kernel's ACQUIRE brings the tunnel up). The guest runs them in this order.
cells=(
  "psk psk aes128gcm16-prfsha256-x25519 aes128gcm16 no none"
  "ecdsa ecdsa aes256-sha384-ecp256 aes128-sha256 no none"
  "natt-gcm psk aes256gcm16-prfsha384-ecp384 aes256gcm16 yes none"
  "trap psk aes128gcm16-prfsha256-x25519 aes128gcm16 no trap"
)
[[ -n ${IKE_DAEMON_PAIR_CELLS:-} ]] && read -ra only <<<"$IKE_DAEMON_PAIR_CELLS"
names=()
for cell in "${cells[@]}"; do
  read -r name auth ike esp encap start_action <<<"$cell"
  if [[ -n ${only[*]:-} && " ${only[*]} " != *" $name "* ]]; then continue; fi
  names+=("$name")
  psk=$(openssl rand -base64 24)
  for side in a b; do mkdir -p "$out/$name/$side"; done
  if [[ $auth != psk ]]; then
    pki_ca "$out/$name/pki" "$auth"
    pki_cert "$out/$name/pki" "$auth" a a.pair.example
    pki_cert "$out/$name/pki" "$auth" b b.pair.example
    pki_install "$out/$name/pki" a "$out/$name/a"
    pki_install "$out/$name/pki" b "$out/$name/b"
    rm -rf "$out/$name/pki"
  fi
  write_conf "$out/$name/a/swanctl.conf" 198.51.100.1 198.51.100.2 192.0.2.1/32 203.0.113.1/32 \
    a.pair.example b.pair.example "$auth" "$ike" "$esp" "$encap" "$psk" "$start_action"
  write_conf "$out/$name/b/swanctl.conf" 198.51.100.2 198.51.100.1 203.0.113.1/32 192.0.2.1/32 \
    b.pair.example a.pair.example "$auth" "$ike" "$esp" "$encap" "$psk" none
  echo "$name $esp $encap $start_action" >>"$out/cells"
done

envs=(--env CHARON="$charon" --env IPSECCTL="$ipsecctl" --env RESULTS="$out")
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
  [[ -n ${!v:-} ]] && envs+=(--env "$v=${!v}")
done
start=$(date +%s.%N)
"$here/vm-run.sh" --share-root --rw "$out" --timeout "${IKE_KERNEL_TEST_TIMEOUT:-500}" \
  "${envs[@]}" "$here/guest/daemon-pair-test.sh"
rc=$?
printf 'daemon pair VM wall time: %.1f s (rc=%d, cells: %s)\n' "$(echo "$(date +%s.%N) - $start" | bc)" "$rc" \
  "${names[*]}"
if ((rc == 126)); then
  skip "the Debian kernel could not be fetched or prepared (apt-get download linux-image-*)"
fi
if ((rc != 0)); then
  for f in "$out"/*/*.log; do
    [[ -f $f ]] || continue
    echo "---- $f (last 60 lines)" >&2
    tail -n 60 "$f" >&2
  done
fi
exit "$rc"
