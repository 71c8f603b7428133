#!/usr/bin/env bash
# Builds the Debian package from this tree, out of tree:
#   scripts/package.sh [OUTDIR]          (default: build-pkg/)
# The sources (git ls-files: tracked and untracked-but-not-ignored files, as
# they are in the work tree) are copied to OUTDIR/src/ikedaemon-VERSION, with
# packaging/debian as its debian/; dpkg-buildpackage builds the binary
# packages there and they land in OUTDIR (ikedaemon_VERSION_ARCH.deb and its
# ikedaemon-dbgsym), followed by a lintian run over them.
# The CMake build directory (OUTDIR/src/.../debian/build) is kept between runs,
# so a rebuild compiles only what changed; IKE_PKG_FRESH=1 starts over.
# Environment: IKE_JOBS (default 2), IKE_PKG_LINTIAN=0 skips lintian,
# IKE_PKG_REV=REV builds a committed revision (git archive REV) instead of the
# work tree.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-build-pkg}")
jobs=${IKE_JOBS:-2}

for tool in dpkg-buildpackage dh pandoc; do
  command -v "$tool" >/dev/null || {
    echo "package.sh: $tool missing; run scripts/setup-deps.sh" >&2
    exit 1
  }
done

stage=$out/stage
rm -rf "$stage"
mkdir -p "$stage"
if [[ -n ${IKE_PKG_REV:-} ]]; then
  git archive --format=tar "$IKE_PKG_REV" | tar -C "$stage" -xf -
elif git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard |
    tar --null --files-from=- --ignore-failed-read -cf - 2>/dev/null | tar -C "$stage" -xf -
else
  tar --exclude='./build' --exclude='./build-*' --exclude='./.git' -cf - . | tar -C "$stage" -xf -
fi
version=$(dpkg-parsechangelog -l "$stage/packaging/debian/changelog" -S Version)
src=$out/src/ikedaemon-$version
[[ ${IKE_PKG_FRESH:-0} == 1 ]] && rm -rf "$out/src"
mkdir -p "$src/debian"
# Only files whose content changed are copied, with a fresh mtime, so the kept
# build directory rebuilds exactly what changed (an edit older than an object
# file is still seen); files gone from the tree are removed.
(cd "$stage" && find . ! -type d -print0) | while IFS= read -r -d '' f; do
  if ! cmp -s "$stage/$f" "$src/$f"; then
    mkdir -p "$(dirname "$src/$f")"
    rm -f "$src/$f"
    cp -P "$stage/$f" "$src/$f"
  fi
done
(cd "$src" && find . ! -type d ! -path './debian/*' -print0) | while IFS= read -r -d '' f; do
  [[ -e $stage/$f || -L $stage/$f ]] || rm -f "$src/$f"
done
find "$src/debian" -mindepth 1 -maxdepth 1 ! -name build -exec rm -rf {} +
cp -a "$stage/packaging/debian/." "$src/debian/"
rm -rf "$stage"

rm -f "$out"/ikedaemon*_"$version"_*.{deb,buildinfo,changes}
(
  cd "$src"
  DEB_BUILD_OPTIONS="parallel=$jobs ${DEB_BUILD_OPTIONS:-}" \
    nice dpkg-buildpackage --build=binary --no-sign --no-pre-clean
)
mv "$out"/src/ikedaemon*_"$version"_*.{deb,buildinfo,changes} "$out"/
ls "$out"/ikedaemon_"$version"_*.deb >/dev/null

if [[ ${IKE_PKG_LINTIAN:-1} == 1 ]] && command -v lintian >/dev/null; then
  echo "== lintian"
  # Errors and warnings fail; the intended ones are overridden, with reasons, in
  # packaging/debian/ikedaemon.lintian-overrides.
  lintian --fail-on error,warning --display-info "$out"/ikedaemon_"$version"_*.changes
fi
echo "== packages in $out:"
ls -1 "$out"/ikedaemon*_"$version"_*.deb
