# SPDX-License-Identifier: GPL-2.0
#
# idxd-vdev: the one entry point.  "make run" and "make check" build what is
# missing first; see README.md.

include versions.mk

TOP := $(CURDIR)
BUILD := $(TOP)/build
export TOP BUILD LINUX_TARBALL LINUX_TREE_NAME QEMU_PKG_VERSION \
	QEMU_VMM_PKG_VERSION MESON_BPO_VERSION \
	DEBIAN_LINUX_PKG DEBIAN_LINUX_PKG_VERSION DEBIAN_HEADERS_PKGS

# The distribution's tools first (its python3 has the modules the kernel's
# scripts import), whatever else the calling environment put ahead of them.
export PATH := /usr/sbin:/usr/bin:/sbin:/bin:$(PATH)

VM := tools/testing/vm

.PHONY: all deps linux qemu qemu10 selftests build run check bench soak checkpatch series series-build series-selftest kunit-config \
	clean distclean help

all: build

help:
	@echo "make deps       install build and test dependencies from Debian, and"
	@echo "                fetch Debian's own kernel and its headers, unpacked"
	@echo "make build      kernel, modules, kselftests and both QEMUs under build/"
	@echo "make run        boot the emulated host and show it"
	@echo "make check      static checks, then every test; ends with 'N passed, N failed'"
	@echo "make bench      MSI-X growth: vfio-pci's cost per vector and interrupts lost,"
	@echo "                dynamic vs NORESIZE-style, on Debian's kernel and ours;"
	@echo "                a vdev's, as QEMU 7.2 and QEMU 10.0 grow it; a vdev's"
	@echo "                commands under another's DRAIN storm; IMS-backed vs"
	@echo "                MSI-X wakeup latency; IMS and vdevs at scale"
	@echo "make soak       the vdev fuzzer for DURATION seconds (default 3600) in one"
	@echo "                boot, a fresh seed per run; prints every seed"
	@echo "make series     the kernel work as four patch sets to mail, with cover"
	@echo "                letters, in build/series/"
	@echo "make series-build  build every patch of the sets in turn (bisectability)"
	@echo "make series-selftest  series-build fails on a scratch series of broken patches"
	@echo "make clean      remove build outputs, keep downloads and source trees"
	@echo "make distclean  remove build/"

# (Its seconds printed, as make check prints those of its own steps)
deps:
	@start=$$(date +%s) && \
	tools/build/deps.sh "$(LINUX_PKG)=$(LINUX_PKG_VERSION)" && \
	tools/build/debian-linux.sh "$(DEBIAN_LINUX_PKG)=$(DEBIAN_LINUX_PKG_VERSION)" && \
	echo "deps: $$(($$(date +%s) - start)) s"

linux: deps
	tools/build/linux.sh prepare
	tools/build/linux.sh build

selftests: linux
	tools/build/linux.sh selftests

qemu: deps
	tools/build/qemu.sh rig build

qemu10: deps
	tools/build/qemu.sh vmm build

build: linux selftests qemu qemu10

run: build
	$(VM)/demo

check: deps
	$(VM)/check

# The kernels to measure on (both by default: debian, ours) and options of
# the program (e.g. BENCH_ARGS="-g 16,64 -l 64"): tools/testing/vm/bench.
BENCH_KERNELS ?=
BENCH_ARGS ?=

bench: build
	$(VM)/bench $(BENCH_KERNELS) -- $(BENCH_ARGS)

# The idxd vdev fuzzer, run after run with fresh seeds for DURATION seconds
# in one boot: tools/testing/vm/soak.
DURATION ?= 3600

soak: build
	$(VM)/soak $(DURATION)

checkpatch: deps
	tools/build/linux.sh prepare
	$(VM)/check --static-only

series: deps
	tools/build/series.sh write

series-build: series
	tools/build/series.sh build

series-selftest: series
	tools/build/series.sh selftest

clean:
	rm -rf $(BUILD)/linux-obj $(BUILD)/linux-modules $(BUILD)/kselftest \
		$(BUILD)/qemu-obj $(BUILD)/qemu $(BUILD)/qemu10-obj $(BUILD)/qemu10 \
		$(BUILD)/bzImage $(BUILD)/vm

distclean:
	rm -rf $(BUILD)
