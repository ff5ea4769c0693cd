#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install from Debian everything the build and the tests need.  Idempotent:
# a second run installs nothing and does not touch apt's lists unless a
# package is missing.
#
# Usage: deps.sh LINUX_PKG=VERSION [PKG=VERSION...]
set -euo pipefail

linux_pkg=$1
shift

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# Host tools for building the kernel, QEMU and the tests, and for running
# the VM and its tests (the VM's root file system is this machine's).
packages=(
	"$linux_pkg" "$@"
	bc bison flex build-essential ccache cpio git kmod libelf-dev libssl-dev
	perl python3 python3-ply python3-git quilt rsync sparse xz-utils
	dpkg-dev meson ninja-build pkg-config libglib2.0-dev libpixman-1-dev
	python3-venv
	libfdt-dev libcap-ng-dev libattr1-dev zlib1g-dev
	qemu-system-data seabios
	accel-config mdevctl pciutils procps util-linux coreutils
	# The initramfs that boots Debian's kernel (debian-linux.sh).
	busybox-static
	# Backtraces of a QEMU that crashed in a test (run-vm).
	gdb
	# Out-of-tree modules against Debian's kernel headers, which
	# debian-linux.sh unpacks rather than installs (no image package,
	# no initramfs triggers): what the headers packages depend on that
	# the list above lacks, gcc-12 being build-essential's gcc.  Debian's
	# kernel has BTF for modules, which kbuild makes with pahole.
	pahole
)

src_list=/etc/apt/sources.list.d/idxd-vdev-src.sources

# The qemu source packages are fetched with "apt-get source", which needs
# deb-src entries that a stock bookworm image does not have: bookworm's
# for the rig's QEMU 7.2, trixie's for the VMM's QEMU 10.0.  The VMM's
# build needs a newer meson than bookworm's, which qemu.sh fetches with
# "apt-get download" from bookworm-backports (never installed: backports
# stay at apt's priority 100, so this list upgrades nothing).
src_list_content() {
	local suites
	for suites in "bookworm bookworm-updates:debian" \
		"bookworm-security:debian-security" \
		"trixie trixie-updates:debian" "trixie-security:debian-security"; do
		printf 'Types: deb-src\nURIs: http://deb.debian.org/%s\n' "${suites#*:}"
		printf 'Suites: %s\nComponents: main\n' "${suites%:*}"
		printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n'
	done
	printf 'Types: deb\nURIs: http://deb.debian.org/debian\n'
	printf 'Suites: bookworm-backports\nComponents: main\n'
	printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
}

need_update=
if [ "$(cat "$src_list" 2>/dev/null)" != "$(src_list_content)" ]; then
	src_list_content | $SUDO tee "$src_list" >/dev/null
	need_update=1
fi

missing=()
for p in "${packages[@]}"; do
	name=${p%%=*}
	want=
	[[ $p == *=* ]] && want=${p#*=}
	have=$(dpkg-query -W -f='${db:Status-Status} ${Version}' "$name" 2>/dev/null) || have=
	if [ -n "$want" ]; then
		[ "$have" = "installed $want" ] || missing+=("$p")
	else
		[[ $have == "installed "* ]] || missing+=("$p")
	fi
done

# apt-get source needs the source index even when every binary is there.
if [ -z "$(apt-cache showsrc qemu 2>/dev/null)" ]; then
	need_update=1
fi

if [ ${#missing[@]} -eq 0 ] && [ -z "$need_update" ]; then
	echo "deps: everything installed"
	exit 0
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
