#!/usr/bin/env bash
# Fetches the stock Debian kernel (linux-image-amd64's current ABI) into a
# cache outside the source tree and prepares it for qemu: the package is
# downloaded with `apt-get download` and unpacked (never installed on the
# host), modules.dep is made with busybox depmod, and the ELF vmlinux is
# pulled out of the bzImage for the faster PVH boot.
#
#   tests/kernel/kernel-fetch.sh        prints the prepared kernel directory
#
# Cache: $IKE_KERNEL_CACHE (default /var/tmp/ike-kernel-cache)/<kernel ABI>/
#   vmlinuz, vmlinux (if extractable), root/lib/modules/<KVER>/, kver
set -euo pipefail
cache=${IKE_KERNEL_CACHE:-/var/tmp/ike-kernel-cache}
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

resolve_package() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    awk '/Depends: linux-image-[0-9]/ {print $2; exit}'
}
pkg=$(resolve_package || true)
if [[ -z $pkg ]]; then
  # No package lists yet (fresh machine): refresh them once.
  apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
  pkg=$(resolve_package || true)
fi
if [[ -z $pkg ]]; then
  echo "kernel-fetch: cannot resolve linux-image-amd64's kernel package (apt-cache depends)" >&2
  exit 1
fi
kver=${pkg#linux-image-}
dir=$cache/$kver
if [[ -f $dir/.ready ]]; then
  echo "$dir"
  exit 0
fi
# Stale package lists name an ABI the mirror no longer has: refresh once.
if ! ls "$cache/download/${pkg}_"*.deb >/dev/null 2>&1 &&
   ! apt-get download --print-uris "$pkg" >/dev/null 2>&1; then
  apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
  pkg=$(resolve_package || true)
  [[ -n $pkg ]] || { echo "kernel-fetch: linux-image-amd64 unresolvable after apt-get update" >&2; exit 1; }
  kver=${pkg#linux-image-}
  dir=$cache/$kver
  if [[ -f $dir/.ready ]]; then
    echo "$dir"
    exit 0
  fi
fi

echo "kernel-fetch: preparing $pkg in $dir" >&2
rm -rf "$dir"
mkdir -p "$dir/root" "$cache/download"
chmod 777 "$cache/download"  # apt's _apt sandbox user writes here
deb=$(ls "$cache/download/${pkg}_"*.deb 2>/dev/null | head -1 || true)
if [[ -z $deb ]]; then
  (cd "$cache/download" && apt-get -o DPkg::Lock::Timeout=600 download "$pkg" >&2)
  deb=$(ls "$cache/download/${pkg}_"*.deb | head -1)
fi
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir/root" ./boot ./lib/modules
cp "$dir/root/boot/vmlinuz-$kver" "$dir/vmlinuz"
busybox depmod -b "$dir/root" "$kver"

# The ELF vmlinux inside the bzImage (xz-compressed): PVH boot saves ~4 s per
# boot under TCG. Without it vm-run.sh boots the bzImage.
for off in $(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$dir/vmlinuz" | cut -d: -f1); do
  if tail -c +"$((off + 1))" "$dir/vmlinuz" | xz -dc 2>/dev/null >"$dir/vmlinux.tmp" ||
     [[ -s $dir/vmlinux.tmp ]]; then
    if [[ $(head -c 4 "$dir/vmlinux.tmp" | od -An -tx1 | tr -d ' ') == 7f454c46 ]]; then
      mv "$dir/vmlinux.tmp" "$dir/vmlinux"
      break
    fi
  fi
done
rm -f "$dir/vmlinux.tmp"
rm -rf "$dir/root/boot"
echo "$kver" >"$dir/kver"
touch "$dir/.ready"
# Older kernels' packages vanish from the mirror: keep only this one.
find "$cache/download" -name 'linux-image-*.deb' ! -name "${pkg}_*" -delete 2>/dev/null || true
echo "$dir"
