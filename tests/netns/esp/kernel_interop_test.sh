#!/usr/bin/env bash
# ctest entry: packet-level interop of our userspace ESP with Linux kernel
# ESP inside the qemu VM of tests/kernel (vm-run.sh). Skips (77) with a
# reason when not root or qemu/busybox are missing; fails under CI=true.
#   kernel_interop_test.sh IKE_ESP_STATIC ESP_XFER
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
vm=$here/../../kernel/vm-run.sh
tool=$(realpath "${1:?usage: kernel_interop_test.sh IKE_ESP_STATIC ESP_XFER}")
xfer=$(realpath "${2:?}")
skip() {
  if [[ ${CI:-} == true ]]; then echo "FAIL (CI=true, cannot skip): $*" >&2; exit 1; fi
  echo "SKIP: $*" >&2
  exit 77
}
[[ $(id -u) -eq 0 ]] || skip "needs root (9p host share, namespaces in the guest)"
[[ -x $vm ]] || skip "tests/kernel/vm-run.sh not present"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86 not installed (scripts/setup-deps.sh)"
command -v busybox >/dev/null || skip "busybox-static not installed (scripts/setup-deps.sh)"
out=$(mktemp -d /var/tmp/ike-esp-interop.XXXXXX)
trap 'rm -rf "$out"' EXIT
"$vm" --share-root --rw "$out" --timeout "${IKE_ESP_INTEROP_TIMEOUT:-1500}" \
  --env TOOL="$tool" --env XFER="$xfer" --env RESULTS="$out" \
  ${ESP_INTEROP_QUICK:+--env ESP_INTEROP_QUICK=1} ${ESP_INTEROP_TRACE:+--env ESP_INTEROP_TRACE=1} \
  ${ESP_INTEROP_CASES:+--env "ESP_INTEROP_CASES=$ESP_INTEROP_CASES"} \
  "$here/kernel_interop_guest.sh"
rc=$?
((rc == 126)) && skip "the Debian kernel could not be fetched or prepared"
exit "$rc"
