#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Debian's own kernel, unmodified, for the VM: fetch the pinned binary
# package without installing it, unpack it under build/debian-linux, index
# its modules, and make the initramfs it needs to reach run-vm's root file
# system (its virtio-9p stack is modular).  Then its headers, for the
# out-of-tree modules built against it (the nested guest's dmatest.ko),
# fetched and unpacked the same way under build/debian-headers: installed,
# the headers package would pull the image package in and dpkg would run
# its initramfs triggers, minutes on a fresh machine for nothing we use.
# Idempotent: nothing is done when the trees match the pinned versions.
#
#   debian-linux.sh [PACKAGE=VERSION]
#
# Default: $DEBIAN_LINUX_PKG=$DEBIAN_LINUX_PKG_VERSION from the environment
# (the Makefile exports them) or from versions.mk; the headers packages
# are $DEBIAN_HEADERS_PKGS at the same version.
#
# Produces, under build/debian-linux:
#   boot/vmlinuz-RELEASE      the kernel (run-vm --kernel)
#   lib/modules/RELEASE/      its modules with modules.dep (run-vm --modules
#                             build/debian-linux)
#   initrd.img                busybox, the 9p modules, initramfs-init
#                             (run-vm --initrd)
#   vmlinuz                   a link to the kernel
#
# and under build/debian-headers, the headers packages' files at their
# paths (usr/src/linux-headers-RELEASE is the directory to build modules
# against: make -C ... M=DIR), their links resolving inside it.
#
# Environment: TOP, BUILD.
set -euo pipefail

TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
DL=$BUILD/debian-dl
DEST=$BUILD/debian-linux
HDEST=$BUILD/debian-headers

# shellcheck source=lib.sh
. "$TOP/tools/build/lib.sh"

# pin NAME: NAME's value in versions.mk, its continuation lines joined
pin() {
	sed -n -e ':a' -e '/\\$/{N;s/\\\n[[:space:]]*/ /;ba' -e '}' \
		-e "s/^$1[[:space:]]*:=[[:space:]]*//p" "$TOP/versions.mk"
}
spec=${1:-${DEBIAN_LINUX_PKG:-$(pin DEBIAN_LINUX_PKG)}=${DEBIAN_LINUX_PKG_VERSION:-$(pin DEBIAN_LINUX_PKG_VERSION)}}
pkg=${spec%%=*}
version=${spec#*=}
[ -n "$pkg" ] && [ -n "$version" ] && [ "$pkg" != "$spec" ] ||
	die "usage: debian-linux.sh PACKAGE=VERSION (or DEBIAN_LINUX_PKG and _VERSION set)"
headers_pkgs=${DEBIAN_HEADERS_PKGS:-$(pin DEBIAN_HEADERS_PKGS)}
[ -n "$headers_pkgs" ] || die "DEBIAN_HEADERS_PKGS is not set in versions.mk"

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

# fetch PACKAGE VERSION: the package's .deb in $DL, downloaded if it is
# not there; prints its path.
fetch() {
	local pkg=$1 version=$2 deb

	# apt-get download names the file PACKAGE_VERSION_ARCH.deb, with the
	# version's epoch colon escaped; fetch into a directory of its own.
	mkdir -p "$DL"
	deb=$(find "$DL" -maxdepth 1 -name "${pkg}_*.deb" -print -quit)
	if [ -z "$deb" ] || [ "$(dpkg-deb -f "$deb" Version)" != "$version" ]; then
		rm -f "$DL/${pkg}"_*.deb
		echo "debian-linux.sh: downloading $pkg=$version" >&2
		# _apt cannot write into a root-owned build directory: apt
		# warns that it downloads unsandboxed, which is what we ask for.
		(cd "$DL" && apt-get download -q "$pkg=$version" 2>&1 |
		 grep -v 'unsandboxed' >&2) || true
		deb=$(find "$DL" -maxdepth 1 -name "${pkg}_*.deb" -print -quit)
		[ -n "$deb" ] ||
			die "cannot download $pkg=$version: is it still in the archive (apt-get update)?"
	fi
	[ "$(dpkg-deb -f "$deb" Package)" = "$pkg" ] &&
		[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] ||
		die "$deb is not $pkg $version"
	echo "$deb"
}

# The headers: the packages unpacked in one root, where the links between
# them (linux-headers-RELEASE/scripts -> ../../lib/linux-kbuild-X/scripts)
# resolve as they do in /.
headers() {
	local hstamp p deb mk n

	hstamp=$(for p in $headers_pkgs; do echo "$p=$version"; done)
	if [ -f "$HDEST/.stamp" ] && [ "$(cat "$HDEST/.stamp")" = "$hstamp" ]; then
		echo "debian-linux.sh: headers $version are ready in $HDEST"
		return 0
	fi
	rm -rf "$HDEST.new"
	mkdir -p "$HDEST.new"
	for p in $headers_pkgs; do
		deb=$(fetch "$p" "$version")
		echo "debian-linux.sh: unpacking $(basename "$deb")"
		dpkg-deb -x "$deb" "$HDEST.new"
	done
	# The -amd64 tree's Makefile includes the -common one by its absolute
	# path in /usr/src: make it the unpacked one.
	n=0
	for mk in "$HDEST.new"/usr/src/linux-headers-*/Makefile; do
		grep -q '^include /usr/src/' "$mk" || continue
		sed -i "s|^include /usr/src/|include $HDEST/usr/src/|" "$mk"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || die "no headers Makefile including /usr/src/...: the packages changed?"
	# Nothing may lead out of the unpacked root, to what this machine
	# has installed or not: absolute links (lib/modules/RELEASE/build)
	# become relative ones to the same path in the root.
	find "$HDEST.new" -lname '/*' -print0 | while IFS= read -r -d '' p; do
		ln -sfn "$(realpath -m --relative-to="$(dirname "$p")" \
			"$HDEST.new$(readlink "$p")")" "$p"
	done
	p=$(cd "$HDEST.new" && find . -xtype l | head -5)
	[ -z "$p" ] || die "dangling links in the unpacked headers: $p"
	p=$(grep -lE '(^|[[:space:]=])/usr/(src|lib)/' "$HDEST.new/usr/src"/linux-headers-*/Makefile \
		"$HDEST.new/usr/src"/linux-headers-*/.kernelvariables 2>/dev/null || true)
	[ -z "$p" ] || die "paths into / left in $p"
	rm -rf "$HDEST"
	mv "$HDEST.new" "$HDEST"
	echo "$hstamp" >"$HDEST/.stamp"
	echo "debian-linux.sh: headers $version ready in $HDEST"
}

[ -x "$BUSYBOX" ] || die "$BUSYBOX missing: run 'make deps' (busybox-static)"
if [ -f "$DEST/.stamp" ] && [ "$(cat "$DEST/.stamp")" = "$(stamp)" ]; then
	echo "debian-linux.sh: $pkg $version is ready in $DEST"
	headers
	exit 0
fi

deb=$(fetch "$pkg" "$version")
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
headers
