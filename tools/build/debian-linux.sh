#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Debian's own kernel, unmodified, for the VM: fetch the pinned binary
# package without installing it, unpack it under build/debian-linux, index
# its modules, and make the initramfs it needs to reach run-vm's root file
# system (its virtio-9p stack is modular).  Idempotent: nothing is done
# when the tree matches the pinned version.
#
#   debian-linux.sh [PACKAGE=VERSION]
#
# Default: $DEBIAN_LINUX_PKG=$DEBIAN_LINUX_PKG_VERSION from the environment
# (the Makefile exports them) or from versions.mk.
#
# Produces, under build/debian-linux:
#   boot/vmlinuz-RELEASE      the kernel (run-vm --kernel)
#   lib/modules/RELEASE/      its modules with modules.dep (run-vm --modules
#                             build/debian-linux)
#   initrd.img                busybox, the 9p modules, initramfs-init
#                             (run-vm --initrd)
#   vmlinuz                   a link to the kernel
#
# Environment: TOP, BUILD.
set -euo pipefail

TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
DL=$BUILD/debian-dl
DEST=$BUILD/debian-linux

# shellcheck source=lib.sh
. "$TOP/tools/build/lib.sh"

pin() {
	sed -n "s/^$1[[:space:]]*:=[[:space:]]*//p" "$TOP/versions.mk"
}
spec=${1:-${DEBIAN_LINUX_PKG:-$(pin DEBIAN_LINUX_PKG)}=${DEBIAN_LINUX_PKG_VERSION:-$(pin DEBIAN_LINUX_PKG_VERSION)}}
pkg=${spec%%=*}
version=${spec#*=}
[ -n "$pkg" ] && [ -n "$version" ] && [ "$pkg" != "$spec" ] ||
	die "usage: debian-linux.sh PACKAGE=VERSION (or DEBIAN_LINUX_PKG and _VERSION set)"

# The modules the initramfs loads, with their dependencies, to mount a 9p
# root over virtio (virtio-pci itself is built in).
ROOT_MODULES="9pnet_virtio 9p"
BUSYBOX=/bin/busybox
INIT=$TOP/tools/testing/vm/initramfs-init

stamp() {
	{
		echo "$pkg=$version"
		echo "$ROOT_MODULES"
		sha256sum "$INIT" "$BUSYBOX" | cut -d' ' -f1
	} | sha256sum | cut -d' ' -f1
}

[ -x "$BUSYBOX" ] || die "$BUSYBOX missing: run 'make deps' (busybox-static)"
if [ -f "$DEST/.stamp" ] && [ "$(cat "$DEST/.stamp")" = "$(stamp)" ]; then
	echo "debian-linux.sh: $pkg $version is ready in $DEST"
	exit 0
fi

# apt-get download names the file PACKAGE_VERSION_ARCH.deb, with the
# version's epoch colon escaped; fetch into a directory of its own.
mkdir -p "$DL"
deb=$(find "$DL" -maxdepth 1 -name "${pkg}_*.deb" -print -quit)
if [ -z "$deb" ] || [ "$(dpkg-deb -f "$deb" Version)" != "$version" ]; then
	rm -f "$DL/${pkg}"_*.deb
	echo "debian-linux.sh: downloading $pkg=$version"
	# _apt cannot write into a root-owned build directory: apt warns
	# that it downloads unsandboxed, which is what we ask for.
	(cd "$DL" && apt-get download -q "$pkg=$version" 2>&1 | grep -v 'unsandboxed') ||
		true
	deb=$(find "$DL" -maxdepth 1 -name "${pkg}_*.deb" -print -quit)
	[ -n "$deb" ] || die "cannot download $pkg=$version: is it still in the archive (apt-get update)?"
fi
[ "$(dpkg-deb -f "$deb" Package)" = "$pkg" ] &&
	[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] ||
	die "$deb is not $pkg $version"

echo "debian-linux.sh: unpacking $(basename "$deb")"
rm -rf "$DEST.new"
mkdir -p "$DEST.new"
dpkg-deb -x "$deb" "$DEST.new"
mods=("$DEST.new"/lib/modules/*)
[ ${#mods[@]} = 1 ] && [ -d "${mods[0]}" ] || die "$deb: expected one lib/modules/RELEASE"
release=$(basename "${mods[0]}")
[ -f "$DEST.new/boot/vmlinuz-$release" ] || die "$deb: no boot/vmlinuz-$release"
ln -s "boot/vmlinuz-$release" "$DEST.new/vmlinuz"

# The package's postinst would run depmod: modprobe needs modules.dep.
depmod -b "$DEST.new" "$release"

# The initramfs: busybox, the root file system's modules decompressed
# (busybox insmod takes plain ELF), and our /init.
stage=$DEST.new/initramfs
mkdir -p "$stage/bin" "$stage/lib/modules" "$stage/dev" "$stage/proc" \
	"$stage/sys" "$stage/newroot"
cp "$BUSYBOX" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
install -m 755 "$INIT" "$stage/init"
: >"$stage/lib/modules/order"
# shellcheck disable=SC2086
for m in $ROOT_MODULES; do
	modprobe -d "$DEST.new" -S "$release" --show-depends "$m" ||
		die "$m: not a module of $release"
done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r ko; do
	name=$(basename "$ko")
	name=${name%.xz}
	name=${name%.zst}
	name=${name%.gz}
	case "$ko" in
	*.xz) xz -dc "$ko" ;;
	*.zst) zstd -dc "$ko" ;;
	*.gz) gzip -dc "$ko" ;;
	*) cat "$ko" ;;
	esac >"$stage/lib/modules/$name"
	echo "$name" >>"$stage/lib/modules/order"
done
[ -s "$stage/lib/modules/order" ] || die "no modules for the initramfs"
(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) | gzip -9 >"$DEST.new/initrd.img"
initmods=$(tr '\n' ' ' <"$stage/lib/modules/order")
rm -rf "$stage"

rm -rf "$DEST"
mv "$DEST.new" "$DEST"
stamp >"$DEST/.stamp"
echo "debian-linux.sh: $release ready in $DEST (initramfs: $initmods)"
