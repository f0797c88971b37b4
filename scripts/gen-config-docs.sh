#!/bin/sh
# gen-config-docs.sh [BERTH] [DOC]: regenerates the option tables of
# docs/config.md from the options tables (util/opt.h), between the lines
#   <!-- BEGIN generated: berth agent --help-config=markdown:GROUP -->
#   <!-- END generated -->
# Everything outside the marked regions (the prose) is kept. tests/unit/
# test_opt.c fails when the committed file differs from what this writes.
set -eu
berth=${1:-build/berth}
doc=${2:-docs/config.md}
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.g"' EXIT
: >"$tmp"
inside=0
while IFS= read -r line || [ -n "$line" ]; do
	case $line in
	'<!-- BEGIN generated: berth agent --help-config=markdown:'*' -->')
		printf '%s\n' "$line" >>"$tmp"
		group=${line#*markdown:}
		group=${group% -->}
		"$berth" agent --help-config=markdown:"$group" >"$tmp.g"
		cat "$tmp.g" >>"$tmp"
		inside=1
		continue
		;;
	'<!-- END generated -->')
		inside=0
		;;
	esac
	[ "$inside" = 1 ] || printf '%s\n' "$line" >>"$tmp"
done <"$doc"
cat "$tmp" >"$doc"
