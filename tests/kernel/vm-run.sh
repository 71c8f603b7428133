#!/usr/bin/env bash
# Runs a guest script inside a stock Debian kernel under qemu (the project's
# generic kernel-test VM; usage in tests/kernel/README.md).
#
#   tests/kernel/vm-run.sh [options] GUEST_SCRIPT [ARGS...]
#     --share-root      mount the host's / read-only at /host (9p) and run the
#                       script there with bash (chroot /host): host binaries
#                       and tools work unchanged
#     --rw DIR          share host DIR read-write at the same path (needs
#                       --share-root); for results and logs
#     --timeout N       seconds before the VM is killed (default 300): rc 124
#     --env K=V         environment for the guest script (repeatable)
#     --add FILE        copy FILE into the guest's /payload/ (repeatable)
#     --log FILE        also write the console output to FILE
#     --mem MB          guest RAM (default 512)
#     --append ARGS     extra kernel command line
#   Exit status: the guest script's; 124 timeout; 125 the VM died without a
#   result; 126 the VM could not be prepared.
# Environment: IKE_KERNEL_CACHE (default /var/tmp/ike-kernel-cache),
# IKE_VM_ACCEL=tcg|kvm to force the accelerator, IKE_VM_CPU (TCG cpu model).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
share_root=0
rw=
timeout=300
envs=()
adds=()
log=
mem=512
append=
while (($#)); do
  case "$1" in
    --share-root) share_root=1 ;;
    --rw) rw=$(realpath "$2"); shift ;;
    --timeout) timeout=$2; shift ;;
    --env) envs+=("$2"); shift ;;
    --add) adds+=("$2"); shift ;;
    --log) log=$2; shift ;;
    --mem) mem=$2; shift ;;
    --append) append=$2; shift ;;
    --) shift; break ;;
    -*) echo "vm-run: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
  shift
done
script=${1:?usage: vm-run.sh [options] GUEST_SCRIPT [ARGS...]}
shift
[[ -n $rw && $share_root == 0 ]] && { echo "vm-run: --rw needs --share-root" >&2; exit 2; }
t0=$(date +%s.%N)

kdir=$("$here/kernel-fetch.sh") || { echo "vm-run: kernel not available" >&2; exit 126; }
base=$("$here/mkinitrd.sh" "$kdir") || { echo "vm-run: initramfs not available" >&2; exit 126; }
work=$(mktemp -d /var/tmp/ike-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Per-run payload: a second cpio appended to the cached base initramfs.
mkdir -p "$work/root/payload"
cp "$script" "$work/root/payload/test.sh"
for f in "${adds[@]}"; do cp "$f" "$work/root/payload/"; done
{
  for kv in "${envs[@]}"; do
    printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"
  done
} >"$work/root/payload/env"
printf '%q ' "$@" >"$work/root/payload/args"
project_root=$(cd "$here/../.." && pwd -P)
printf 'IKE_VM_SHARE_ROOT=%s\nIKE_VM_RW=%q\nIKE_VM_KEEP=%q\n' "$share_root" "$rw" "$project_root" \
  >"$work/root/payload/vm.conf"
(cd "$work/root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/payload.cpio.gz"
cat "$base" "$work/payload.cpio.gz" >"$work/initrd"

accel=(-accel tcg -cpu "${IKE_VM_CPU:-qemu64}")
why="no vmx/svm"
if [[ ${IKE_VM_ACCEL:-} == kvm ]] ||
   [[ -z ${IKE_VM_ACCEL:-} && -w /dev/kvm ]] && grep -qE '\b(vmx|svm)\b' /proc/cpuinfo &&
   ! grep -q '^kvm_pvm ' /proc/modules; then
  accel=(-accel kvm -cpu host)
  why="vmx/svm"
fi
[[ ${IKE_VM_ACCEL:-} == tcg ]] && { accel=(-accel tcg -cpu "${IKE_VM_CPU:-qemu64}"); why="forced"; }

kernel=$kdir/vmlinux
[[ -f $kernel ]] || kernel=$kdir/vmlinuz
qemu=(qemu-system-x86_64 -nodefaults -no-user-config -display none -no-reboot
  -M pc -m "$mem" -smp 1 "${accel[@]}"
  -serial stdio -kernel "$kernel" -initrd "$work/initrd"
  -append "console=ttyS0 quiet panic=-1 mitigations=off $append"
  -device virtio-rng-pci)
if ((share_root)); then
  qemu+=(-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap")
  [[ -n $rw ]] && qemu+=(-virtfs "local,path=$rw,mount_tag=rwshare,security_model=none,multidevs=remap")
fi
console=$work/console.log
t1=$(date +%s.%N)
set +e
timeout -k 5 "$timeout" "${qemu[@]}" </dev/null 2>&1 | tee "$console"
qrc=${PIPESTATUS[0]}
set -e
t2=$(date +%s.%N)
[[ -n $log ]] && cp "$console" "$log"
rc=$(tr -d '\r' <"$console" | grep -a -o 'IKE-VM-RC=[0-9]*' | tail -1 | cut -d= -f2)
if [[ $qrc == 124 || $qrc == 137 ]]; then
  rc=124
elif [[ -z $rc ]]; then
  rc=125
fi
printf 'vm-run: accel=%s (%s) rc=%s prep=%.1fs qemu=%.1fs wall=%.1fs\n' "${accel[1]}" "$why" "$rc" \
  "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" "$(echo "$t2 - $t0" | bc)" >&2
exit "$rc"
