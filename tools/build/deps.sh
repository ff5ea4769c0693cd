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
	libfdt-dev libcap-ng-dev libattr1-dev zlib1g-dev
	qemu-system-data seabios
	accel-config mdevctl pciutils procps util-linux coreutils
	# The initramfs that boots Debian's kernel (debian-linux.sh).
	busybox-static
	# Backtraces of a QEMU that crashed in a test (run-vm).
	gdb
)

src_list=/etc/apt/sources.list.d/idxd-vdev-src.sources

write_src_list() {
	# The qemu source package is fetched with "apt-get source", which
	# needs deb-src entries that a stock bookworm image does not have.
	$SUDO tee "$src_list" >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
}

need_update=
if [ ! -f "$src_list" ] || ! grep -q '^Types: deb-src' "$src_list"; then
	write_src_list
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
