#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel work as patch sets to mail, and their check.
#
#   series.sh write   build/series/NAME/: a git format-patch set with its
#                     cover letter for each series of patches/linux/mail,
#                     each patch of the quilt series with the new files
#                     that arrive with it
#   series.sh check   the mail map names every patch and new file once, in
#                     the quilt order; the sets apply with git am, in order,
#                     onto a git repository of the pinned base and give the
#                     tree the build uses; checkpatch --strict is clean on
#                     every mailed patch.  Prints "PASS: series: ..." and
#                     "FAIL: series: ..." lines, exits non-zero on a failure.
#   series.sh check --sources
#                     also, from the same checkpatch runs, the lines make
#                     check prints for the quilt patches and the new kernel
#                     files ("PASS: checkpatch: patches/linux/NAME",
#                     "PASS: checkpatch: PATH"): each mailed patch's
#                     messages told by where they are, a new file's diff or
#                     the rest, the quilt patch's.  Checkpatch runs once
#                     over the content.
#   series.sh build   after write: every patch of the four sets, applied in
#                     order, builds the whole kernel, vmlinux and modules,
#                     with the test kernel's configuration (a fresh copy
#                     and olddefconfig at each), without a warning
#                     (bisectability; too long for make check).  Same
#                     output as check.
#   series.sh selftest  build fails on a scratch series with broken
#                     patches: one PASS or FAIL line (make check).
#
# The base repository (build/series-base.git) is made once from
# LINUX_TARBALL.  Environment: TOP, BUILD, LINUX_TARBALL, LINUX_TREE_NAME.
set -euo pipefail

TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
SRC=$BUILD/$LINUX_TREE_NAME
PATCHES=$TOP/patches/linux
MAIL=$PATCHES/mail
OUT=$BUILD/series
BASE=$BUILD/series-base.git
OVERLAY_DIRS="arch Documentation drivers include kernel lib samples virt tools/testing/selftests"
AUTHOR="idxd-vdev developers"
EMAIL=idxd-vdev@localhost

# shellcheck source=lib.sh
. "$TOP/tools/build/lib.sh"

export GIT_AUTHOR_NAME=$AUTHOR GIT_AUTHOR_EMAIL=$EMAIL
export GIT_COMMITTER_NAME=$AUTHOR GIT_COMMITTER_EMAIL=$EMAIL
# The same mails for the same tree: dated by the project's last commit
GIT_AUTHOR_DATE=$(git -C "$TOP" log -1 --format=%cD 2>/dev/null || date -R)
export GIT_AUTHOR_DATE GIT_COMMITTER_DATE=$GIT_AUTHOR_DATE

# The mail map as "series NAME", "patch FILE" and "file PATH" lines
mail_entries() {
	sed -e 's/#.*//' "$MAIL" | awk '
		/^series[ \t]/ { print "series " $2; next }
		/^[^ \t]/ { print "patch " $1; for (i = 2; i <= NF; i++) print "file " $i; next }
		{ for (i = 1; i <= NF; i++) print "file " $i }'
}

# The base: the pinned tarball, one commit
base_repo() {
	local tmp=$BUILD/series-base.tmp stamp

	stamp="$LINUX_TARBALL $(stat -c %s "$LINUX_TARBALL")"
	if [ -d "$BASE" ] && [ "$(cat "$BASE/stamp" 2>/dev/null)" = "$stamp" ]; then
		return 0
	fi
	echo "series.sh: a git repository of $(basename "$LINUX_TARBALL")"
	rm -rf "$tmp" "$BASE"
	mkdir -p "$tmp"
	tar -C "$tmp" --strip-components=1 -xf "$LINUX_TARBALL"
	git -C "$tmp" init -q
	git -C "$tmp" add -A -f
	git -C "$tmp" commit -q -m "$LINUX_TREE_NAME (Debian's $(basename "$LINUX_TARBALL"))"
	git clone -q --bare "$tmp" "$BASE"
	echo "$stamp" >"$BASE/stamp"
	rm -rf "$tmp"
}

# worktree DIR: a checkout of the base.  One left by an earlier run is
# reset to it, which rewrites only the files that differ: a new checkout
# of the whole tree took half a minute or more, twice per check.
worktree() {
	local stamp=$1/.git/series-base.stamp

	if [ -d "$1/.git" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$(cat "$BASE/stamp")" ]; then
		git -C "$1" am --abort >/dev/null 2>&1 || true
		# On a branch, which a clone of it (series-build) checks out
		git -C "$1" checkout -q -f -B series "$(git -C "$BASE" rev-parse HEAD)" &&
			git -C "$1" clean -q -f -f -d -x && return 0
	fi
	rm -rf "$1"
	git clone -q --shared "$BASE" "$1"
	cp "$BASE/stamp" "$stamp"
}

# commit_msg PATCH: the patch's header as a commit message
commit_msg() {
	awk '
		/^---$/ || /^--- a\// || /^diff / || /^Index: / { exit }
		/^From: / && !body { next }
		/^Subject: / && !body { print substr($0, 10); print ""; body = 1; skip = 1; next }
		skip && /^$/ { skip = 0; next }
		{ skip = 0; print }' "$1"
}

write() {
	local tree=$BUILD/series-work kind arg series= start= name
	local -a files=()

	base_repo
	worktree "$tree"
	rm -rf "$OUT"
	mkdir -p "$OUT"

	# Commit the patch read last, with its new files
	flush() {
		[ -n "${patch:-}" ] || return 0
		if grep -q '^--- ' "$PATCHES/$patch"; then
			(cd "$tree" && patch -p1 -s --no-backup-if-mismatch <"$PATCHES/$patch") ||
				die "$patch does not apply in the mail order"
		fi
		for f in "${files[@]}"; do
			[ -f "$TOP/$f" ] || die "$patch: $f is not a file of the project"
			mkdir -p "$tree/$(dirname "$f")"
			cp -p "$TOP/$f" "$tree/$f"
		done
		git -C "$tree" add -A -f
		commit_msg "$PATCHES/$patch" | git -C "$tree" commit -q --allow-empty -F -
		patch= files=()
	}
	# Format the series read last, with its cover letter
	finish() {
		flush
		[ -n "$series" ] || return 0
		local cover=$PATCHES/mail.d/$series.cover letter
		[ -f "$cover" ] || die "no cover letter $cover"
		git -C "$tree" format-patch -q --cover-letter --no-signature \
			-o "$OUT/$series" "$start..HEAD"
		letter=$OUT/$series/0000-cover-letter.patch
		python3 - "$letter" "$cover" <<'EOF'
import sys
letter, cover = sys.argv[1], sys.argv[2]
subject, _, blurb = open(cover).read().partition('\n')
text = open(letter).read()
text = text.replace('*** SUBJECT HERE ***', subject.strip())
text = text.replace('*** BLURB HERE ***', blurb.strip('\n'))
open(letter, 'w').write(text)
EOF
		echo "series.sh: $OUT/$series: $(($(ls "$OUT/$series" | wc -l) - 1)) patches"
	}

	patch=
	while read -r kind arg; do
		case $kind in
		series) finish; series=$arg; start=$(git -C "$tree" rev-parse HEAD) ;;
		patch) flush; patch=$arg ;;
		file) files+=("$arg") ;;
		esac
	done < <(mail_entries)
	finish
}

pass() { echo "PASS: series: $*"; }
fail() { echo "FAIL: series: $*"; failed=1; }

# New kernel files whose own checkpatch line make check prints: the same
# list as tools/testing/vm/check's kernel_files()
kernel_files() {
	(cd "$TOP" && git ls-files --cached --others --exclude-standard -- \
		'arch/*' 'drivers/*' 'include/*' 'kernel/*' 'lib/*' 'samples/*' 'virt/*' \
		'tools/testing/selftests/*' | grep -E '\.[ch]$|(^|/)(Kconfig|Makefile)$')
}

check() {
	local sources=${1:-} tree=$BUILD/series-check cpdir=$BUILD/series-checkpatch
	local mailed quilted news p f out d n key= q origin msg set='' i=0
	local -A quilt_of=() news_of=() msgs=() seen=()
	failed=0

	# The map: the quilt order, every new file once
	mailed=$(mail_entries | sed -n 's/^patch //p')
	quilted=$(sed -e 's/#.*//' "$PATCHES/series" | awk 'NF { print $1 }')
	if [ "$mailed" = "$quilted" ]; then
		pass "the mail map names every patch of the quilt series, in its order"
	else
		fail "the mail map's patches differ from the quilt series:"
		# (diff's status 1 would end the script: pipefail, set -e)
		{ diff <(echo "$quilted") <(echo "$mailed") || true; } | sed 's/^/  /'
	fi
	# shellcheck disable=SC2086
	news=$(cd "$TOP" && git ls-files --cached --others --exclude-standard -- $OVERLAY_DIRS | sort)
	if [ "$(mail_entries | sed -n 's/^file //p' | sort)" = "$news" ]; then
		pass "the mail map names every new file once"
	else
		fail "the mail map's new files differ from the project's:"
		{ diff <(echo "$news") <(mail_entries | sed -n 's/^file //p' | sort) || true; } |
			sed 's/^/  /'
	fi

	if ! (write >/dev/null); then
		fail "the patch sets cannot be written"
		[ -z "$sources" ] || source_results "$quilted"
		return "$failed"
	fi

	# git am, in order, onto the base
	base_repo
	worktree "$tree"
	for d in "$OUT"/*/; do
		n=$(basename "$d")
		mapfile -t mails < <(ls "$d"0*.patch | grep -v '/0000-cover-letter\.patch$')
		if git -C "$tree" am -q "${mails[@]}"; then
			pass "$n applies with git am (${#mails[@]} patches)"
		else
			git -C "$tree" am --abort 2>/dev/null || true
			fail "$n does not apply with git am"
		fi
	done
	# The build tree's new files are links into the project: diff follows them
	out=$(diff -rq -x .git -x .pc -x patches "$tree" "$SRC" 2>&1 || true)
	if [ -z "$out" ]; then
		pass "the applied series give the tree the build uses"
	else
		fail "the applied series differ from the tree the build uses:"
		echo "$out" | head -20 | sed 's/^/  /'
	fi

	# Which quilt patch and new files each mailed patch (SET/NNNN) carries
	while read -r d f; do
		case $d in
		series) set=$f i=0 ;;
		patch)
			i=$((i + 1))
			key=$set/$(printf %04d "$i")
			quilt_of[$key]=$f ;;
		file) news_of[$key]+=" $f" ;;
		esac
	done < <(mail_entries)

	# checkpatch on every mailed patch, run where the project's include/
	# is (checkpatch learns the CamelCase names headers define from
	# include/*.h, as in the project's top directory) but not its other
	# new files: in patch mode checkpatch also learns the names a changed
	# file defines from the file at its path, which for a new file would
	# hide its CamelCase that "checkpatch -f" reports.
	rm -rf "$cpdir"
	mkdir -p "$cpdir"
	ln -s "$TOP/.git" "$cpdir/.git"
	ln -s "$TOP/include" "$cpdir/include"
	for p in "$OUT"/*/0*.patch; do
		case $p in */0000-cover-letter.patch) continue ;; esac
		# No upstream history in the base: Fixes: commits are not looked up
		out=$(cd "$cpdir" && perl "$SRC/scripts/checkpatch.pl" --strict --no-summary \
			--terse --show-types --root="$SRC" --ignore UNKNOWN_COMMIT_ID "$p" 2>&1 |
			maintained "$tree" "$p" || true)
		if [ -z "$out" ]; then
			pass "checkpatch: ${p#"$OUT"/}"
		else
			fail "checkpatch: ${p#"$OUT"/}"
			echo "$out" | sed 's/^/  /'
		fi
		# Its messages to the quilt patch or the new file they are about
		key=${p#"$OUT"/}
		f=${key##*/}
		key=${key%"$f"}${f:0:4}
		q=${quilt_of[$key]:-}
		[ -n "$q" ] || continue
		seen[$q]=1
		for f in ${news_of[$key]:-}; do
			seen[$f]=1
		done
		[ -n "$out" ] || continue
		while IFS=$'\t' read -r origin msg; do
			[ "$origin" = - ] && origin=$q
			msgs[$origin]+="$msg"$'\n'
		# shellcheck disable=SC2086
		done < <(echo "$out" | attribute "$p" ${news_of[$key]:-})
	done
	[ -z "$sources" ] || source_results "$quilted"
	return "$failed"
}

# source_results QUILTED: the checkpatch line of every quilt patch named
# in QUILTED and of every new kernel file, from the messages the mailed
# patches had about each (check's msgs and seen); one that no mailed patch
# carries fails.
source_results() {
	local q f

	for q in $1; do
		source_result "checkpatch: patches/linux/$q" "$q"
	done
	for f in $(kernel_files); do
		source_result "checkpatch: $f" "$f"
	done
}

# source_result LABEL KEY
source_result() {
	if [ -z "${seen[$2]:-}" ]; then
		echo "FAIL: $1 (in no mailed patch)"
		failed=1
	elif [ -z "${msgs[$2]:-}" ]; then
		echo "PASS: $1"
	else
		echo "FAIL: $1"
		printf '%s' "${msgs[$2]}" | sed 's/^/  /'
		failed=1
	fi
}

# attribute MAIL NEWFILE...: checkpatch's messages on MAIL (stdin, --terse:
# "MAIL:LINE: ...") as "ORIGIN<tab>MESSAGE" lines.  ORIGIN is the NEWFILE
# in whose diff the message's line is, the message then given at that
# file's line (one hunk from line 1: the file's line is the diff's line
# less the hunk header's); otherwise "-", the quilt patch's: its message,
# its hunks of base files and what checkpatch says of the whole patch
# (a missing Signed-off-by, reported at the last line).
attribute() {
	local mail=$1
	shift
	awk -v mail="$mail" -v news="$*" '
	BEGIN {
		n = split(news, a, " ")
		for (i = 1; i <= n; i++)
			isnew[a[i]] = 1
		while ((getline l < mail) > 0) {
			nr++
			if (l ~ /^diff --git a\//) {
				f = l
				sub(/.* b\//, "", f)
				start[++ns] = nr
				name[ns] = f
			} else if (l ~ /^@@ / && ns && !hunk[ns]) {
				hunk[ns] = nr
			}
		}
		last = nr
		prefix = mail ":"
	}
	{
		if (index($0, prefix) == 1 &&
		    match(substr($0, length(prefix) + 1), /^[0-9]+: /)) {
			ln = substr($0, length(prefix) + 1, RLENGTH - 2) + 0
			rest = substr($0, length(prefix) + RLENGTH + 1)
			s = 0
			for (i = 1; i <= ns; i++)
				if (start[i] <= ln)
					s = i
			if (s && isnew[name[s]] && ln < last) {
				print name[s] "\t" name[s] ":" (ln > hunk[s] ? ln - hunk[s] : 0) ": " rest
				next
			}
		}
		print "-\t" $0
	}'
}

# maintained TREE PATCH: checkpatch's output on stdin, less its question
# whether MAINTAINERS needs updating (FILE_PATH_CHANGES) when every file
# PATCH adds has a maintainer in the applied tree TREE.
maintained() {
	local tree=$1 patch=$2 line f
	while IFS= read -r line; do
		case $line in
		*FILE_PATH_CHANGES*)
			for f in $(awk '/^--- \/dev\/null/ { getline; sub(/^\+\+\+ b\//, ""); print }' "$patch"); do
				(cd "$tree" && ./scripts/get_maintainer.pl --no-git --no-git-fallback \
					--no-rolestats --no-l --no-r -f "$f" 2>/dev/null) | grep -q '@' ||
					echo "$line ($f has no maintainer)"
			done ;;
		*) echo "$line" ;;
		esac
	done
}

# build_steps SRC OBJ BASE CONFIG [REFOBJ]: check out every commit of the
# git tree SRC after BASE in turn and build, in OBJ, the whole tree with the
# configuration CONFIG: at each commit a fresh copy of CONFIG, olddefconfig,
# then vmlinux and the modules (with modpost).  A fresh copy, because
# olddefconfig drops the options whose Kconfig a later commit brings (their
# defaults are n): kept in one .config, the vdev driver, the KUnit tests and
# the sample would never be built.  A step fails on an error or a warning
# (the test kernel builds without one), when a C file it adds or changes
# and that REFOBJ (the test kernel's objects) has was not compiled, and,
# at the last commit, when the configuration is not CONFIG's.  The logs
# are OBJ/../build-N.log.
build_steps() {
	local src=$1 obj=$2 base=$3 config=$4 ref=${5:-} dir tip c subj log f p n=0 lost
	local -a kmake missing

	dir=$(dirname "$obj")
	mkdir -p "$obj"
	# The same layout as the build's tree, so that ccache finds its objects
	export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache} CCACHE_BASEDIR=$dir
	kmake=(make -C "$src" O="$obj" ARCH=x86_64 -j"$(nproc)" CC="ccache gcc"
	       HOSTCC="ccache gcc" LOCALVERSION=)
	tip=$(git -C "$src" rev-parse HEAD)
	for c in $(git -C "$src" rev-list --reverse "$base..$tip"); do
		n=$((n + 1))
		git -C "$src" checkout -q "$c"
		subj=$(git -C "$src" log -1 --format=%s "$c")
		log=$dir/build-$n.log
		cp "$config" "$obj/.config"
		# A C file this commit adds or changes must be compiled at it
		: >"$dir/build-start"
		if ! "${kmake[@]}" -s olddefconfig >"$log" 2>&1; then
			fail "build: $n $subj: olddefconfig"
			sed 's/^/  /' "$log" | head -5
			continue
		fi
		lost=$(LC_ALL=C comm -23 <(grep '^CONFIG_' "$config" | LC_ALL=C sort) \
				<(grep '^CONFIG_' "$obj/.config" | LC_ALL=C sort))
		echo "series.sh: the configuration's options absent or changed at this commit:" \
			"${lost:-none}" | tr '\n' ' ' >>"$log"
		echo >>"$log"
		if ! "${kmake[@]}" vmlinux modules >>"$log" 2>&1; then
			fail "build: $n $subj"
			grep -m5 -E 'error|Error' "$log" | sed 's/^/  /'
			continue
		fi
		if grep -qiE '(^|[^[:alnum:]_])warning:' "$log"; then
			fail "build: $n $subj: warnings"
			grep -m5 -iE '(^|[^[:alnum:]_])warning:' "$log" | sed 's/^/  /'
			continue
		fi
		missing=()
		if [ -n "$ref" ]; then
			while read -r f; do
				p=${f%.c}
				# An object, or a program of one file (samples)
				if [ -f "$ref/$p.o" ] && ! [ "$obj/$p.o" -nt "$dir/build-start" ]; then
					missing+=("$f")
				elif [ ! -f "$ref/$p.o" ] && [ -f "$ref/$p" ] &&
				     ! [ "$obj/$p" -nt "$dir/build-start" ]; then
					missing+=("$f")
				fi
			done < <(git -C "$src" diff --name-only --diff-filter=AM "$c^" "$c" -- '*.c' |
				grep -v '^tools/')
		fi
		if [ ${#missing[@]} -gt 0 ]; then
			fail "build: $n $subj: not compiled: ${missing[*]}"
		elif [ "$c" = "$tip" ] && [ -n "$lost" ]; then
			# shellcheck disable=SC2086
			fail "build: $n $subj: without the configuration's" $lost
		else
			pass "build: $n $subj"
		fi
	done
	[ "$n" -gt 0 ] || fail "build: no commit after $base"
}
# The sets' commits in turn, from the base: see build_steps
build() {
	local dir=$BUILD/series-build src base

	failed=0
	[ -f "$BUILD/linux-obj/.config" ] || die "no kernel configuration: run 'make linux'"
	[ -d "$BUILD/series-work/.git" ] || die "no series work tree: run 'series.sh write'"
	src=$dir/$LINUX_TREE_NAME
	rm -rf "$src"
	mkdir -p "$dir"
	git clone -q "$BUILD/series-work" "$src"
	# The test kernel's configuration as it is now: a build beside this
	# one may rewrite it
	cp "$BUILD/linux-obj/.config" "$dir/config"
	base=$(git -C "$src" rev-list --max-parents=0 HEAD)
	build_steps "$src" "$dir/linux-obj" "$base" "$dir/config" "$BUILD/linux-obj"
	return "$failed"
}

# selftest_commit TREE SUBJECT: commit everything in TREE
selftest_commit() {
	git -C "$1" add -A -f
	git -C "$1" commit -q -m "$2"
}

# selftest_module TREE BODY: drivers/misc/series_selftest.c with BODY as
# its init function's body
selftest_module() {
	printf '%s\n' '// SPDX-License-Identifier: GPL-2.0' \
		'#include <linux/init.h>' '#include <linux/module.h>' '' \
		'void series_selftest_undefined(void);' '' \
		'static int __init series_selftest_init(void)' '{' \
		"$2" '	return 0;' '}' 'module_init(series_selftest_init);' '' \
		'MODULE_LICENSE("GPL");' \
		'MODULE_DESCRIPTION("series.sh selftest: a patch that must not build");' \
		>"$1/drivers/misc/series_selftest.c"
}

# series.sh selftest: series-build fails on a patch that does not build.
# A scratch series on top of the sets' tree (build/series-work, which
# "write" makes): 1. a change that builds; 2. a module whose Kconfig
# arrives with it (default n, =m in the scratch configuration) with a
# warning; 3. the module calling a function nothing defines (modpost's
# error: no directory target sees it); 4. the module with an #error.
# build_steps must pass 1 and fail 2, 3 and 4, each for its reason (an
# olddefconfig in place at step 1 would drop the module and pass them
# all).  The scratch tree and its objects stay in build/series-selftest,
# at the build's layout, so the first run compiles from ccache and the
# next ones only the scratch module.  Prints one PASS or FAIL line.
selftest() {
	local dir=$BUILD/series-selftest src obj base out want got n log
	local -a expect

	failed=0
	[ -f "$BUILD/linux-obj/.config" ] || die "no kernel configuration: run 'make linux'"
	[ -d "$BUILD/series-work/.git" ] || write >/dev/null
	base_repo
	src=$dir/$LINUX_TREE_NAME
	obj=$dir/linux-obj
	mkdir -p "$dir"
	# Kept between runs: a checkout changes only what differs, so make
	# rebuilds only that
	if [ "$(cat "$dir/base.stamp" 2>/dev/null)" != "$(cat "$BASE/stamp")" ] ||
	   ! git -C "$src" rev-parse -q --verify HEAD >/dev/null 2>&1; then
		rm -rf "$src"
		git clone -q --shared "$BASE" "$src"
		cp "$BASE/stamp" "$dir/base.stamp"
	fi
	git -C "$src" fetch -q "$BUILD/series-work" HEAD
	git -C "$src" checkout -q -f --detach FETCH_HEAD
	git -C "$src" clean -q -f -d
	base=$(git -C "$src" rev-parse HEAD)

	echo "series.sh selftest: a change that builds" >"$src/series-selftest.txt"
	selftest_commit "$src" "series.sh selftest: a change that builds"
	printf '\nconfig SERIES_SELFTEST\n\ttristate "series.sh selftest module"\n' \
		>>"$src/drivers/misc/Kconfig"
	echo 'obj-$(CONFIG_SERIES_SELFTEST) += series_selftest.o' >>"$src/drivers/misc/Makefile"
	selftest_module "$src" '	int unused;'
	selftest_commit "$src" "series.sh selftest: a module with a warning"
	selftest_module "$src" '	series_selftest_undefined();'
	selftest_commit "$src" "series.sh selftest: a module with an undefined symbol"
	selftest_module "$src" '#error "series.sh selftest: a patch that does not build"'
	selftest_commit "$src" "series.sh selftest: a module with an error"
	{ cat "$BUILD/linux-obj/.config"; echo CONFIG_SERIES_SELFTEST=m; } >"$dir/config"

	out=$(failed=0
	      build_steps "$src" "$obj" "$base" "$dir/config"
	      echo "status $failed")
	# Each step's result line and what its log must say
	expect=("PASS: series: build: 1 " ""
		"FAIL: series: build: 2 .*: warnings" "series_selftest\.c.*warning: unused variable"
		"FAIL: series: build: 3 " "modpost: .*series_selftest_undefined.* undefined"
		"FAIL: series: build: 4 " "error: #error \"series\.sh selftest")
	got=
	for n in 1 2 3 4; do
		want=${expect[$(((n - 1) * 2))]}
		log=$dir/build-$n.log
		echo "$out" | grep -q "^$want" || got+=" step $n's result;"
		[ -z "${expect[$(((n - 1) * 2 + 1))]}" ] ||
			grep -qE "${expect[$(((n - 1) * 2 + 1))]}" "$log" 2>/dev/null ||
			got+=" step $n's log ($log);"
	done
	[ "$(echo "$out" | grep -c '^\(PASS\|FAIL\): ')" = 4 ] || got+=" the number of steps;"
	echo "$out" | grep -qx 'status 1' || got+=" the exit status;"
	if [ -z "$got" ]; then
		echo "PASS: series: series-build fails on a warning, a modpost error and a compile error"
	else
		echo "FAIL: series: series-build on a scratch series with broken patches: wrong$got"
		echo "$out" | sed 's/^/  /'
		return 1
	fi
}

case "${1:-}" in
write) write ;;
check)
	case "${2:-}" in
	"") check "" ;;
	--sources) check sources ;;
	*) die "usage: series.sh check [--sources]" ;;
	esac ;;
build) build ;;
selftest) selftest ;;
*) die "usage: series.sh write|check|build|selftest" ;;
esac
