#!/bin/busybox sh
# /init of the test VM (see tests/kernel/README.md). Loads the IPsec modules,
# optionally mounts the host root (9p, read-only) at /host and a read-write
# host directory at the same path under /host, runs /payload/test.sh and
# prints IKE-VM-RC=<exit status> on the console before rebooting (qemu runs
# with -no-reboot, so that ends the VM).
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs shm /dev/shm
mount -t tmpfs run /run
echo "ike-vm: init at $(cut -d" " -f1 /proc/uptime)s"
echo /sbin/modprobe >/proc/sys/kernel/modprobe
for m in $(cat /etc/preload-modules); do modprobe $m 2>/dev/null; [ -n "$IKE_VM_TRACE_MODULES" ] && echo "ike-vm: $m $(cut -d" " -f1 /proc/uptime)"; done
ip link set lo up
echo "ike-vm: modules loaded at $(cut -d' ' -f1 /proc/uptime)s"

IKE_VM_SHARE_ROOT=0
IKE_VM_RW=
IKE_VM_KEEP=
[ -f /payload/vm.conf ] && . /payload/vm.conf
rc=125
if [ "$IKE_VM_SHARE_ROOT" = 1 ]; then
  if mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 hostroot /host; then
    mount --bind /proc /host/proc
    mount --bind /sys /host/sys
    mount --rbind /dev /host/dev
    mount --bind /run /host/run
    # The guest's scratch tmpfs hides the host's /tmp; the project tree,
    # which may live under /tmp (a CI checkout, say), stays visible at its
    # own path.
    keep=
    case "$IKE_VM_KEEP" in
      /tmp/?*) mkdir -p /keep && mount --bind "/host$IKE_VM_KEEP" /keep && keep=$IKE_VM_KEEP ;;
    esac
    mount -t tmpfs tmp /host/tmp
    if [ -n "$keep" ]; then
      mkdir -p "/host$keep" && mount --move /keep "/host$keep" ||
        echo "ike-vm: cannot keep $keep visible"
    fi
    if [ -n "$IKE_VM_RW" ]; then
      mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 rwshare "/host$IKE_VM_RW" ||
        echo "ike-vm: cannot mount the read-write share at $IKE_VM_RW"
    fi
    mkdir -p /host/tmp/ike-vm
    cp -a /payload/. /host/tmp/ike-vm/
    chroot /host /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      HOME=/root TERM=dumb IKE_VM=1 /bin/bash -c '. /tmp/ike-vm/env; cd /tmp/ike-vm; exec /bin/bash /tmp/ike-vm/test.sh "$@"' \
      test "$@" $(cat /payload/args 2>/dev/null)
    rc=$?
  else
    echo "ike-vm: cannot mount the host root over 9p"
  fi
else
  (. /payload/env; cd /payload; IKE_VM=1 sh /payload/test.sh $(cat /payload/args 2>/dev/null))
  rc=$?
fi
echo "IKE-VM-RC=$rc"
sync
reboot -f
