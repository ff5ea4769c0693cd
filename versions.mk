# SPDX-License-Identifier: GPL-2.0
#
# Every pinned input of the build, in one place.  Bump a version here and
# "make" re-extracts and rebuilds what depends on it.

# Debian bookworm(-security) package linux-source-6.12
LINUX_PKG_VERSION := 6.12.117-1~deb12u1
LINUX_PKG := linux-source-6.12
LINUX_TARBALL := /usr/src/linux-source-6.12.tar.xz
LINUX_TREE_NAME := linux-source-6.12

# Debian bookworm source package qemu
QEMU_PKG_VERSION := 1:7.2+dfsg-7+deb12u18

# Debian bookworm(-security) binary package of the same kernel, used
# unmodified (no build) to check that the vfio-pci behaviour our tests
# expect is upstream's: tools/build/debian-linux.sh, tools/testing/vm/vfio-compat
DEBIAN_LINUX_PKG := linux-image-6.12.117+deb12-amd64-unsigned
DEBIAN_LINUX_PKG_VERSION := 6.12.117-1~deb12u1

# Its headers, the same version: the nested guest's dmatest module, which
# Debian does not build (CONFIG_DMATEST is not set), is built against them
# from the pinned source (tools/testing/vm/nested-initramfs).  Fetched and
# unpacked under build/debian-headers by tools/build/debian-linux.sh, not
# installed (installing the first pulls the image package in, and dpkg's
# initramfs triggers): the headers, the tree they include, and kbuild's
# scripts that both link to
DEBIAN_HEADERS_PKGS := linux-headers-6.12.117+deb12-amd64 \
	linux-headers-6.12.117+deb12-common linux-kbuild-6.12.117+deb12

# Debian trixie(-security) source package qemu: the VMM in the emulated
# host (vfio-pci with dynamic MSI-X and the iommufd backend), built by
# tools/build/qemu.sh vmm on bookworm
QEMU_VMM_PKG_VERSION := 1:10.0.13+ds-0+deb13u1

# Debian bookworm-backports binary package meson: QEMU 10.0 needs meson
# >= 1.5 (bookworm has 1.0); unpacked for that build only, not installed
MESON_BPO_VERSION := 1.7.0-1~bpo12+1
