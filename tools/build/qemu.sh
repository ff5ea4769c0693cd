#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the rig's QEMU from Debian's qemu source package.
#
#   qemu.sh prepare   fetch the pinned source package, unpack it with
#                     Debian's patches, apply patches/qemu/series with
#                     quilt and overlay tools/qemu/ as symlinks
#   qemu.sh build     configure (x86_64-softmmu, TCG, only what the rig
#                     uses), build the emulator and install it under
#                     build/qemu
#
# Environment: TOP, BUILD, QEMU_PKG_VERSION.
set -euo pipefail

TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
DL=$BUILD/qemu-dl
SRC=$BUILD/qemu-src
OBJ=$BUILD/qemu-obj
PREFIX=$BUILD/qemu

# shellcheck source=lib.sh
. "$TOP/tools/build/lib.sh"

[ -n "${QEMU_PKG_VERSION:-}" ] || die "QEMU_PKG_VERSION is not set"
upstream=${QEMU_PKG_VERSION#*:}
DSC=$DL/qemu_$upstream.dsc

# The features and devices the rig uses; everything else stays off.  The
# device list is tools/qemu/configs/devices/x86_64-softmmu/idxd-vdev.mak.
CONFIGURE_ARGS=(
	--target-list=x86_64-softmmu
	--without-default-features
	--without-default-devices
	--with-devices-x86_64=idxd-vdev
	--enable-tcg
	--enable-fdt=system
	--enable-virtfs
	--enable-attr
	--enable-cap-ng
	--disable-install-blobs
	--disable-docs
	--disable-user
	--disable-werror
)

fetch() {
	[ -f "$DSC" ] && return 0
	mkdir -p "$DL"
	# The download warns that it runs unsandboxed when run as root.
	(cd "$DL" && apt-get source -q --download-only "qemu=$QEMU_PKG_VERSION") ||
		die "cannot fetch qemu=$QEMU_PKG_VERSION source: run 'make deps'"
}

prepare() {
	local want have=
	fetch
	want="$(basename "$DSC") $(series_hash "$TOP/patches/qemu")"
	[ -f "$BUILD/.qemu-src.stamp" ] && have=$(cat "$BUILD/.qemu-src.stamp")
	if [ ! -d "$SRC" ] || [ "$want" != "$have" ]; then
		[ -d "$SRC" ] && refuse_unrefreshed "$SRC"
		echo "qemu.sh: unpacking $(basename "$DSC")"
		rm -rf "$SRC.new"
		dpkg-source -q -x "$DSC" "$SRC.new" >/dev/null
		# Debian's own series stays applied; forget its quilt state
		# so that quilt in this tree works on patches/qemu only.
		rm -rf "$SRC.new/.pc"
		apply_series "$SRC.new" "$TOP/patches/qemu"
		rm -rf "$SRC"
		mv "$SRC.new" "$SRC"
		echo "$want" > "$BUILD/.qemu-src.stamp"
	fi
	overlay "$SRC" "$TOP/tools/qemu" .
}

build() {
	local args
	prepare
	args=$(printf '%s\n' "${CONFIGURE_ARGS[@]}" "--prefix=$PREFIX" | sha256sum)
	if [ ! -f "$OBJ/build.ninja" ] || [ "$args" != "$(cat "$OBJ/.configure.stamp" 2>/dev/null)" ]; then
		rm -rf "$OBJ"
		mkdir -p "$OBJ"
		(cd "$OBJ" && "$SRC/configure" --cc="ccache gcc" --host-cc="ccache gcc" \
			"${CONFIGURE_ARGS[@]}" --prefix="$PREFIX") ||
			die "configure failed"
		echo "$args" > "$OBJ/.configure.stamp"
	fi
	# Only the emulator: "ninja install" would build every test as well.
	# Firmware comes from Debian's seabios and qemu-system-data (run-vm -L).
	ninja -C "$OBJ" qemu-system-x86_64
	install -D -m 755 "$OBJ/qemu-system-x86_64" "$PREFIX/bin/qemu-system-x86_64"
}

case "${1:-}" in
prepare) prepare ;;
build) build ;;
*) die "usage: qemu.sh prepare|build" ;;
esac
