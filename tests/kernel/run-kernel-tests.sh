#!/usr/bin/env bash
# ctest entry for the kernel (qemu) suite: boots the stock Debian kernel and
# runs guest/xfrm-esp-test.sh with our xfrm_driver. Skips (exit 77) with a
# reason when not root or qemu/busybox-static are missing, and fails instead
# when CI=true.
#   run-kernel-tests.sh XFRM_DRIVER
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
driver=$(realpath "${1:?usage: run-kernel-tests.sh XFRM_DRIVER}")
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
[[ -x $driver ]] || { echo "FAIL: $driver is not built" >&2; exit 1; }
out=$(mktemp -d /var/tmp/ike-kernel-test.XXXXXX)
trap 'rm -rf "$out"' EXIT
envs=(--env DRIVER="$driver" --env RESULTS="$out")
# Sanitizer settings of an ASan build reach the driver inside the VM too.
for v in ASAN_OPTIONS UBSAN_OPTIONS IKE_KERNEL_QUICK IKE_INSTALL_RATE_COUNT; do
  [[ -n ${!v:-} ]] && envs+=(--env "$v=${!v}")
done
start=$(date +%s.%N)
"$here/vm-run.sh" --share-root --rw "$out" --timeout "${IKE_KERNEL_TEST_TIMEOUT:-400}" \
  "${envs[@]}" "$here/guest/xfrm-esp-test.sh"
rc=$?
printf 'kernel test wall time: %.1f s (rc=%d)\n' "$(echo "$(date +%s.%N) - $start" | bc)" "$rc"
if ((rc == 126)); then
  skip "the Debian kernel could not be fetched or prepared (apt-get download linux-image-*)"
fi
exit "$rc"
