# SPDX-License-Identifier: GPL-2.0
#
# Helpers shared by linux.sh and qemu.sh: a base tree is a pinned upstream
# source with a quilt series applied and the project's new files overlaid
# as symlinks, so that edits made in the tree land in the project.

die() { echo "$(basename "$0"): $*" >&2; exit 1; }

# series_hash PATCHDIR: identifies a patch series by its contents.
series_hash() {
	local dir=$1 p
	{
		cat "$dir/series"
		sed -e 's/#.*//' "$dir/series" | while read -r p _; do
			[ -n "$p" ] && cat "$dir/$p"
		done
	} | sha256sum | cut -d' ' -f1
}

# refuse_unrefreshed TREE: a tree about to be replaced must not hold quilt
# work that is not in a patch yet.
refuse_unrefreshed() {
	local tree=$1

	[ -d "$tree/.pc" ] || return 0
	if [ -n "$(cd "$tree" && quilt diff -z 2>/dev/null)" ]; then
		die "$tree has changes not refreshed into a patch: run 'quilt refresh' there first"
	fi
}

# apply_series TREE PATCHDIR: link the series into TREE and push it.
apply_series() {
	local tree=$1 dir=$2

	ln -sfn "$dir" "$tree/patches"
	if sed -e 's/#.*//' "$dir/series" | grep -q '[^[:space:]]'; then
		(cd "$tree" && quilt push -a -q) ||
			die "a patch in $dir does not apply"
	fi
}

# overlay TREE PROJECTDIR DIRS...: link every file under PROJECTDIR/DIR
# into TREE at the same relative path.  A base file is never shadowed: it
# must be changed with a patch.
overlay() {
	local tree=$1 root=$2 d f rel dst
	shift 2

	# Drop links to project files that no longer exist.
	find "$tree" -xtype l -lname "$root/*" -delete
	for d in "$@"; do
		[ -d "$root/$d" ] || continue
		while IFS= read -r -d '' f; do
			rel=${f#"$root"/}
			dst=$tree/$rel
			if [ -L "$dst" ]; then
				[ "$(readlink "$dst")" = "$f" ] && continue
				rm -f "$dst"
			elif [ -e "$dst" ]; then
				die "$rel exists in the base tree: change it with a patch, not a copy"
			fi
			mkdir -p "$(dirname "$dst")"
			ln -s "$f" "$dst"
		done < <(find "$root/$d" -type f ! -name '*~' -print0)
	done
}
