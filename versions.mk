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
