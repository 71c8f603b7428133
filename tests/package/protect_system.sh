#!/usr/bin/env bash
# Runs a command the way ProtectSystem=strict (plus ProtectHome=yes) would:
# every mount read-only but the API file systems (/dev, /proc, /sys) and the
# given writable paths (the unit's RuntimeDirectory= and ReadWritePaths=).
#   unshare --mount --propagation private protect_system.sh RW_PATH... -- COMMAND...
# Run it in a mount namespace of its own (unshare -m): nothing changes outside.
set -euo pipefail
rw=()
while [[ $# -gt 0 && $1 != -- ]]; do
  rw+=("$(realpath -m "$1")")
  shift
done
[[ ${1:-} == -- ]] || { echo "usage: protect_system.sh RW_PATH... -- COMMAND..." >&2; exit 2; }
shift
# Writable paths become mount points of their own, so they can stay writable.
for path in "${rw[@]}"; do mount --bind "$path" "$path"; done
# Deepest mount points first; octal escapes (\040) are decoded by printf %b.
while read -r mp; do
  mp=$(printf '%b' "$mp")
  case $mp in /dev | /dev/* | /proc | /proc/* | /sys | /sys/*) continue ;; esac
  keep=0
  for path in "${rw[@]}"; do [[ $mp == "$path" ]] && keep=1; done
  ((keep)) && continue
  mount -o remount,bind,ro "$mp"
done < <(awk '{ print $5 }' /proc/self/mountinfo | sort -u -r)
# ProtectHome=yes: the home directories are empty and inaccessible.
for home in /home /root /run/user; do
  [[ -d $home ]] && mount -t tmpfs -o ro,mode=000 tmpfs "$home"
done
if touch /etc/.protect-system-probe 2>/dev/null; then
  rm -f /etc/.protect-system-probe
  echo "protect_system.sh: /etc is still writable" >&2
  exit 1
fi
exec "$@"
