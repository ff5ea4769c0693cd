#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare and build the test kernel out of tree.
#
#   linux.sh prepare   extract the pinned linux-source-6.12, apply
#                      patches/linux/series with quilt, overlay the
#                      project's new files as symlinks
#   linux.sh config    merge the fragments in tools/testing/vm/config/ on
#                      top of allnoconfig and verify every requested value
#   linux.sh build     bzImage and modules, installed under build/
#   linux.sh selftests build the project's kselftests
#
# Environment: TOP (project root), BUILD (build directory), LINUX_TARBALL,
# LINUX_TREE_NAME, JOBS.
set -euo pipefail

TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
JOBS=${JOBS:-$(nproc)}
SRC=$BUILD/$LINUX_TREE_NAME
OBJ=$BUILD/linux-obj
MODDIR=$BUILD/linux-modules
KSFT=$BUILD/kselftest
CONFIGS=$TOP/tools/testing/vm/config

# Project directories that hold new kernel files at their kernel paths.
OVERLAY_DIRS="arch Documentation drivers include kernel lib samples virt tools/testing/selftests"

export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
export CCACHE_BASEDIR=$BUILD
# LOCALVERSION is set so that the git repository above adds no "+".
KMAKE=(make -C "$SRC" O="$OBJ" ARCH=x86_64 -j"$JOBS" CC="ccache gcc" HOSTCC="ccache gcc" LOCALVERSION=)

# shellcheck source=lib.sh
. "$TOP/tools/build/lib.sh"

extract_and_patch() {
	[ -f "$LINUX_TARBALL" ] || die "$LINUX_TARBALL missing: run 'make deps'"
	[ -d "$SRC" ] && refuse_unrefreshed "$SRC"
	echo "linux.sh: extracting $(basename "$LINUX_TARBALL")"
	rm -rf "$SRC.new"
	mkdir -p "$SRC.new"
	# tar keeps the archive's mtimes, so after a re-extraction only the
	# files the series touches are newer than the objects built from them.
	tar -C "$SRC.new" --strip-components=1 -xf "$LINUX_TARBALL"
	# checkpatch validates SPDX tags with scripts/spdxcheck.py, which
	# reads the license list from git: commit LICENSES/ and nothing else.
	git -C "$SRC.new" init -q
	git -C "$SRC.new" add -f LICENSES
	git -C "$SRC.new" -c user.name=idxd-vdev -c user.email=idxd-vdev@localhost \
		commit -q -m "LICENSES for scripts/spdxcheck.py"
	apply_series "$SRC.new" "$TOP/patches/linux"
	rm -rf "$SRC"
	mv "$SRC.new" "$SRC"
}

prepare() {
	local want have=
	want="$LINUX_TARBALL $(stat -c %s "$LINUX_TARBALL") $(series_hash "$TOP/patches/linux")"
	[ -f "$BUILD/.linux-src.stamp" ] && have=$(cat "$BUILD/.linux-src.stamp")
	if [ ! -d "$SRC" ] || [ "$want" != "$have" ]; then
		extract_and_patch
		echo "$want" > "$BUILD/.linux-src.stamp"
	fi
	# shellcheck disable=SC2086
	overlay "$SRC" "$TOP" $OVERLAY_DIRS
}

config() {
	local frags=("$CONFIGS"/*.config) line opt want got bad=0
	mkdir -p "$OBJ"
	"$SRC/scripts/kconfig/merge_config.sh" -n -m -O "$OBJ" "${frags[@]}" >/dev/null
	# merge_config.sh -m only writes the merged list; expand it from allnoconfig.
	"${KMAKE[@]}" -s KCONFIG_ALLCONFIG="$OBJ/.config" allnoconfig
	# Every value a fragment asks for must survive Kconfig's dependencies.
	for f in "${frags[@]}"; do
		while IFS= read -r line; do
			case "$line" in
			CONFIG_*=*) opt=${line%%=*}; want=$line ;;
			"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *}; want=$line ;;
			*) continue ;;
			esac
			got=$(grep -E "^($opt=|# $opt is not set)" "$OBJ/.config" || true)
			if [ "$got" != "$want" ] && ! { [ -z "$got" ] && [ "${want#\# }" != "$want" ]; }; then
				echo "linux.sh: $(basename "$f"): asked for '$want', got '${got:-<absent>}'" >&2
				bad=1
			fi
		done < "$f"
	done
	[ "$bad" = 0 ] || die "kernel config does not match its fragments (missing dependency?)"
	cat "${frags[@]}" | sha256sum | cut -d' ' -f1 > "$OBJ/.fragments.stamp"
}

config_is_current() {
	[ -f "$OBJ/.config" ] && [ -f "$OBJ/.fragments.stamp" ] &&
		[ "$(cat "$CONFIGS"/*.config | sha256sum | cut -d' ' -f1)" = "$(cat "$OBJ/.fragments.stamp")" ]
}

build() {
	config_is_current || config
	"${KMAKE[@]}" olddefconfig >/dev/null
	"${KMAKE[@]}" bzImage modules
	rm -rf "$MODDIR"
	"${KMAKE[@]}" -s INSTALL_MOD_PATH="$MODDIR" INSTALL_MOD_STRIP=1 modules_install
	cp "$OBJ/arch/x86/boot/bzImage" "$BUILD/bzImage"
}

# The project's kselftests are the selftests directories it adds: those
# whose Makefile includes lib.mk (a test module's Kbuild Makefile does not).
selftest_targets() {
	[ -d "$TOP/tools/testing/selftests" ] || return 0
	(cd "$TOP/tools/testing/selftests" &&
	 find . -name Makefile -exec grep -l 'lib\.mk' {} + |
	 sed -e 's|^\./||' -e 's|/Makefile$||' | sort)
}

selftests() {
	local targets
	targets=$(selftest_targets | tr '\n' ' ')
	[ -n "$targets" ] || die "no kselftests in tools/testing/selftests"
	# Build every test program afresh: they are small, and a stale one
	# would test old code.
	rm -rf "$KSFT" "$OBJ/kselftest"
	# Test modules (TEST_GEN_MODS_DIR) build against this kernel: KDIR.
	make -C "$SRC/tools/testing/selftests" -s O="$OBJ" KDIR="$OBJ" \
		KHDR_INCLUDES="-isystem $OBJ/usr/include" \
		TARGETS="$targets" INSTALL_PATH="$KSFT" install
	# A test module is built in its source directory (Kbuild has no
	# separate output directory for external modules before 6.13), and
	# its .ko is installed above: keep the objects out of the tree, which
	# the series check compares with the mailed patch sets.
	find "$SRC/tools/testing/selftests" -type f \( -name '*.o' -o -name '*.ko' \
		-o -name '*.mod' -o -name '*.mod.c' -o -name '.*.cmd' \
		-o -name modules.order -o -name Module.symvers \) -delete
}

case "${1:-}" in
prepare) prepare ;;
config) prepare; config ;;
build) build ;;
selftests) "${KMAKE[@]}" -s headers_install >/dev/null; selftests ;;
*) die "usage: linux.sh prepare|config|build|selftests" ;;
esac
