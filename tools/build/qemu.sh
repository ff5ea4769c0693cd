#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build a QEMU of the rig from a Debian qemu source package.
#
#   qemu.sh [rig|vmm] prepare   fetch the pinned source package, unpack it
#                               with Debian's patches, apply our quilt
#                               series and overlay our new files as symlinks
#   qemu.sh [rig|vmm] build     configure (x86_64-softmmu, TCG, only what
#                               is used), build the emulator and install it
#
# rig (the default): bookworm's QEMU 7.2, the emulated host's machine with
#     the Intel DSA model and per-PASID intel-iommu (patches/qemu,
#     tools/qemu), installed under build/qemu.  It is also a VMM in the
#     emulated host.
# vmm: trixie's QEMU 10.0, only a VMM in the emulated host: vfio-pci with
#     the legacy container and iommufd backends, MOVDIR64B
#     (patches/qemu10, tools/qemu10), installed under build/qemu10.  Its
#     build needs meson >= 1.5: bookworm-backports' meson, unpacked under
#     build/qemu10-dl/meson (not installed; the rig's QEMU keeps
#     bookworm's meson).
#
# Environment: TOP, BUILD, QEMU_PKG_VERSION; for vmm QEMU_VMM_PKG_VERSION
# and MESON_BPO_VERSION.
set -euo pipefail

TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}

# shellcheck source=lib.sh
. "$TOP/tools/build/lib.sh"

flavour=rig
case "${1:-}" in
rig|vmm) flavour=$1; shift ;;
esac

# The features and devices every build uses; everything else stays off.
CONFIGURE_ARGS=(
	--target-list=x86_64-softmmu
	--without-default-features
	--without-default-devices
	--enable-tcg
	--disable-install-blobs
	--disable-docs
	--disable-user
	--disable-werror
)
MESON=

if [ "$flavour" = rig ]; then
	[ -n "${QEMU_PKG_VERSION:-}" ] || die "QEMU_PKG_VERSION is not set"
	pkg_version=$QEMU_PKG_VERSION
	name=qemu
	# Devices: tools/qemu/configs/devices/x86_64-softmmu/idxd-vdev.mak.
	CONFIGURE_ARGS+=(
		--with-devices-x86_64=idxd-vdev
		--enable-fdt=system
		--enable-virtfs
		--enable-attr
		--enable-cap-ng
	)
else
	[ -n "${QEMU_VMM_PKG_VERSION:-}" ] || die "QEMU_VMM_PKG_VERSION is not set"
	[ -n "${MESON_BPO_VERSION:-}" ] || die "MESON_BPO_VERSION is not set"
	pkg_version=$QEMU_VMM_PKG_VERSION
	name=qemu10
	# Devices: tools/qemu10/configs/devices/x86_64-softmmu/idxd-vmm.mak.
	CONFIGURE_ARGS+=(--with-devices-x86_64=idxd-vmm)
fi
DL=$BUILD/$name-dl
SRC=$BUILD/$name-src
OBJ=$BUILD/$name-obj
PREFIX=$BUILD/$name
PATCHES=$TOP/patches/$name
OVERLAY=$TOP/tools/$name
upstream=${pkg_version#*:}
DSC=$DL/qemu_$upstream.dsc

fetch() {
	[ -f "$DSC" ] && return 0
	mkdir -p "$DL"
	# The download warns that it runs unsandboxed when run as root.
	(cd "$DL" && apt-get source -q --download-only "qemu=$pkg_version") ||
		die "cannot fetch qemu=$pkg_version source: run 'make deps'"
}

# fetch_meson: bookworm-backports' meson, unpacked, for the vmm build.
fetch_meson() {
	local deb=$DL/meson_${MESON_BPO_VERSION}_all.deb

	if [ ! -f "$deb" ]; then
		(cd "$DL" && apt-get download -q "meson=$MESON_BPO_VERSION") ||
			die "cannot fetch meson=$MESON_BPO_VERSION: run 'make deps'"
	fi
	if [ ! -x "$DL/meson/usr/bin/meson" ]; then
		rm -rf "$DL/meson"
		dpkg-deb -x "$deb" "$DL/meson"
	fi
	MESON=$MESON_BPO_VERSION
	# QEMU's configure finds meson as a Python package (mkvenv makes
	# pyvenv/bin/meson from it); ninja's reconfigure runs need it too.
	PYTHONPATH=$DL/meson/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}
	export PYTHONPATH
}

prepare() {
	local want have=
	fetch
	want="$(basename "$DSC") $(series_hash "$PATCHES")"
	[ -f "$BUILD/.$name-src.stamp" ] && have=$(cat "$BUILD/.$name-src.stamp")
	if [ ! -d "$SRC" ] || [ "$want" != "$have" ]; then
		[ -d "$SRC" ] && refuse_unrefreshed "$SRC"
		echo "qemu.sh: unpacking $(basename "$DSC")"
		rm -rf "$SRC.new"
		dpkg-source -q -x "$DSC" "$SRC.new" >/dev/null
		# Debian's own series stays applied; forget its quilt state
		# so that quilt in this tree works on our series only.
		rm -rf "$SRC.new/.pc"
		apply_series "$SRC.new" "$PATCHES"
		rm -rf "$SRC"
		mv "$SRC.new" "$SRC"
		echo "$want" > "$BUILD/.$name-src.stamp"
	fi
	overlay "$SRC" "$OVERLAY" .
}

build() {
	local args
	prepare
	[ "$flavour" = vmm ] && fetch_meson
	args=$(printf '%s\n' "${CONFIGURE_ARGS[@]}" "--prefix=$PREFIX" "$MESON" | sha256sum)
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
*) die "usage: qemu.sh [rig|vmm] prepare|build" ;;
esac
