#!/usr/bin/env bash
# check-layers: berth's layer rules (ARCHITECTURE.md), checked over the
# #include lines of src/ and, when the objects are built, over the symbols
# they define and use (nm), so a call made without an include is caught too.
#
#   foundations  util/ model/ net/ ns/ docker/    include nothing above them
#   observe      cgroup/ metrics/ core/ disk/ services/ procs/ logs/ zabbix/
#                export/ web/                     never include agent/, release/, cmd/
#   agent/       wires the jobs and routes        never includes cmd/
#   release/     acts; reads monitoring data only through metrics/store.h,
#                metrics/query.h and docker/
#   cmd/         presents (src/main.c counts as cmd/): no walk, route or schema
#   and no include circle between folders.
#
# Every violation is printed as file:line: rule: what; the exit status is 1
# when there is any, 0 otherwise. Usage: scripts/check-layers.sh [SRC_DIR]
# (default src; BUILD=dir for the objects, default build).
#
# To tighten after a merge: remove lines from TODO_EDGES and TODO_CMD below
# (each names the change that removes it), or remove folders from a row of
# ALLOWED. Cheap: grep and awk over about 150 files, nm over the objects.
set -u
cd "$(dirname "$0")/.." || exit 2
SRC=${1:-src}
BUILD=${BUILD:-build}

# Folder -> the folders it may include (besides itself): the final layout.
# A folder missing here may include nothing but itself and is reported.
# web/ sits above core/ and logs/: the dashboard's frame thread reads the
# engine's store and counters, and its log route reads through logs/lview.
ALLOWED='
util:
model:    util
net:      util model ns
ns:       util model net
docker:   util model net
cgroup:   util model
metrics:  util model
procs:    util model
services: util model net ns procs
disk:     util model net ns docker metrics
core:     util model net ns docker cgroup metrics procs services disk
logs:     util model net ns docker
zabbix:   util model net
export:   util model net docker cgroup metrics disk procs services logs zabbix
web:      util model net docker cgroup metrics core disk procs services logs zabbix export
agent:    util model net ns docker cgroup metrics core disk services procs logs zabbix export web release
release:  util model net ns docker metrics
cmd:      util model net ns docker cgroup metrics core disk services procs logs zabbix export web agent release
'
# release/ may include these files of observe folders, and no others.
RELEASE_READS='metrics/store.h metrics/query.h'

# Edges that break the final layout today, each removed by a change of the
# same step (issue 10). TODO: delete the line when that change has landed.
TODO_EDGES='
'
# cmd/ files that still hold a walk, a route table or a JSON schema, with
# the rule: TODO: delete the line when the change named has landed.
TODO_CMD='
'

# cmd/ files that hold a schema of their own, needed today (not TODO): the
# only renderer of that document, so there is no second copy to remove.
ALLOW_CMD='
src/cmd/ps.c:schema        berth ps --processes --json rows: the only renderer of that document
src/cmd/services.c:schema  berth services --json flattens the agent JSON per row (adds container, id)
'
export ALLOWED RELEASE_READS TODO_EDGES

nviol=0
count() { # text: prints it, counts its lines as violations
	[ -n "$1" ] || return 0
	echo "$1"
	nviol=$((nviol + $(wc -l <<<"$1")))
}

# ---- 1. include edges ----------------------------------------------------------
# lines: FROM TO FILE LINE HEADER; a file's folder is the first component of
# its path under $SRC, and src/main.c counts as cmd/
edges=$(grep -rnE --include='*.[ch]' '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"/]+/' "$SRC" |
	sort -t: -k1,1 -k2,2n |
	awk -v src="$SRC" '{
		i = index($0, ":"); file = substr($0, 1, i - 1); rest = substr($0, i + 1)
		i = index(rest, ":"); line = substr(rest, 1, i - 1); rest = substr(rest, i + 1)
		match(rest, /"[^"]*"/); hdr = substr(rest, RSTART + 1, RLENGTH - 2)
		p = substr(file, length(src) + 2)
		from = index(p, "/") ? substr(p, 1, index(p, "/") - 1) : "cmd"
		print from, substr(hdr, 1, index(hdr, "/") - 1), file, line, hdr
	}')

count "$(awk '
	BEGIN {
		n = split(ENVIRON["ALLOWED"], rows, "\n")
		for (i = 1; i <= n; i++) {
			if (!index(rows[i], ":")) continue
			f = substr(rows[i], 1, index(rows[i], ":") - 1); known[f] = 1
			m = split(substr(rows[i], index(rows[i], ":") + 1), to, " ")
			for (j = 1; j <= m; j++) ok[f, to[j]] = 1
		}
		n = split(ENVIRON["TODO_EDGES"], rows, "\n")
		for (i = 1; i <= n; i++) if (split(rows[i], w, " ") && index(w[1], "->")) todo[w[1]] = 1
		n = split(ENVIRON["RELEASE_READS"], w, " ")
		for (i = 1; i <= n; i++) reads[w[i]] = 1
	}
	$1 == $2 || ok[$1, $2] || todo[$1 "->" $2] { next }
	$1 == "release" && ($5 in reads) { next }
	{
		if ($1 ~ /^(util|model|net|ns|docker)$/) rule = "a foundation includes nothing above it"
		else if ($1 == "release") rule = "release/ reads observe data only through " ENVIRON["RELEASE_READS"] " and docker/"
		else if ($2 ~ /^(agent|release|cmd)$/) rule = "observe code never includes agent/, release/ or cmd/"
		else if (!known[$1]) rule = "a folder the layout does not know (add a row to ALLOWED)"
		else rule = "not an edge of the layout"
		print $3 ":" $4 ": layers: " $1 "/ -> " $2 "/ (" $5 "): " rule
	}' <<<"$edges")"

# ---- 2. cmd/ holds no walk, route or schema ---------------------------------------
# walk:   directory traversal (dirent.h, fts.h, ftw.h, opendir, readdir, nftw...)
# route:  a request path compared with a literal ("/api/..."): a route table
# schema: JSON objects built field by field (json_object_set*, json_pack)
cmd_files=$(find "$SRC/cmd" -name '*.c' 2>/dev/null | sort)
[ -f "$SRC/main.c" ] && cmd_files="$cmd_files $SRC/main.c"
check_cmd() { # rule regex what
	local rule=$1 re=$2 what=$3 f hit
	for f in $cmd_files; do
		grep -q "^$f:$rule " <<<"$TODO_CMD$ALLOW_CMD" && continue
		grep -nE "$re" "$f" | while IFS=: read -r line _; do
			echo "$f:$line"
		done | while read -r hit; do
			printf '%s: cmd: %s (%s)\n' "$hit" "$rule" "$what"
		done
	done
}
cmd_out=$(
	check_cmd walk '#[[:space:]]*include[[:space:]]*<(dirent|fts|ftw)\.h>|\<(opendir|fdopendir|readdir|readdir_r|scandir|nftw|ftw|fts_open|getdents|getdents64)[[:space:]]*\(' \
		"a directory walk belongs in the library"
	check_cmd route '\<strn?cmp[[:space:]]*\([^,]+,[[:space:]]*"/' \
		"routes belong in agent/routes.c"
	check_cmd schema '\<(json_object_set|json_object_set_new|json_object_set_nocheck|json_object_set_new_nocheck|json_pack)[[:space:]]*\(' \
		"JSON documents are rendered in export/"
)
count "$cmd_out"

# ---- 3. no include circle between folders ----------------------------------------
# Strongly connected components of the folder graph (transitive closure on
# ~20 nodes); every component of two or more folders is a circle, reported
# with the includes that make it.
cycles=$(awk '
	NF >= 5 && $1 != $2 { e[$1 SUBSEP $2] = 1; if (!(($1, $2) in at)) at[$1, $2] = $3 ":" $4 " (" $5 ")"; n[$1] = 1; n[$2] = 1 }
	END {
		for (a in n) for (b in n) r[a, b] = ((a, b) in e)
		for (k in n) for (a in n) if (r[a, k]) for (b in n) if (r[k, b]) r[a, b] = 1
		for (a in n) for (b in n) if (a < b && r[a, b] && r[b, a])
			for (x in e) { split(x, p, SUBSEP)
				if ((p[1] == a || p[1] == b || (r[a, p[1]] && r[p[1], a])) && r[p[2], p[1]] && !seen[x]++)
					print at[p[1], p[2]] ": circle: " p[1] "/ -> " p[2] "/ is in a circle (" p[2] "/ reaches " p[1] "/)" }
	}' <<<"$edges" | sort -u)
count "$cycles"

# ---- 4. symbols (nm): no call up the layers without an include -----------------------
# A function of a lower layer that uses a symbol defined by a higher one
# (observe or a foundation calling agent/, release/ or cmd/; a foundation
# calling observe code). Needs the objects: skipped when not built.
if [ -d "$BUILD/$SRC" ] && command -v nm >/dev/null; then
	# only objects of sources that exist (a removed file leaves a stale .o)
	objs=$(find "$BUILD/$SRC" -name '*.o' | sort | while read -r o; do
		c=${o#"$BUILD"/}
		[ -f "${c%.o}.c" ] && echo "$o"
	done)
	nm_out=$({
		# "obj: addr T sym" and "obj:  U sym" for every object at once
		# shellcheck disable=SC2086 # one word per object
		nm -A -g --defined-only $objs 2>/dev/null | awk '{ print "D", $1, $NF }'
		# shellcheck disable=SC2086
		nm -A -u $objs 2>/dev/null | awk '{ print "U", $1, $NF }'
	} | awk -v build="$BUILD/" -v src="$SRC" '
		{ f = $2; sub(/:.*$/, "", f); sub("^" build, "", f); sub(/\.o$/, ".c", f)
		  p = substr(f, length(src) + 2); fo = index(p, "/") ? substr(p, 1, index(p, "/") - 1) : "cmd"
		  $0 = $1 " " fo " " f " " $3 }
		function rank(x) {
			if (x ~ /^(util|model|net|ns|docker)$/) return 0
			if (x == "agent") return 2
			if (x == "release") return 2
			if (x == "cmd") return 3
			return 1
		}
		$1 == "D" { def[$4] = $2; deffile[$4] = $3; next }
		{ use[++nu] = $0 }
		END {
			for (i = 1; i <= nu; i++) {
				split(use[i], u, " ")
				if (!(u[4] in def)) continue
				to = def[u[4]]
				if (to == u[2]) continue
				if (rank(to) > rank(u[2]) || (u[2] != "agent" && u[2] != "cmd" && to == "release") || (u[2] == "release" && to == "agent"))
					print u[3] ": symbols: " u[2] "/ uses " u[4] " of " deffile[u[4]] " (a call up the layers)"
			}
		}' | sort -u)
	# give each the line of the first use in the source
	nm_out=$(while read -r f rest; do
		[ -n "$f" ] || continue
		f=${f%:}
		sym=$(awk '{ print $3 }' <<<"$rest")
		line=$(grep -nw -m1 -- "$sym" "$f" 2>/dev/null | cut -d: -f1)
		echo "$f:${line:-1}: $rest"
	done <<<"$nm_out")
	count "$nm_out"
fi

nfiles=$(find "$SRC" -name '*.[ch]' | wc -l)
nedges=$(awk 'NF >= 5 && $1 != $2 { print $1 "->" $2 }' <<<"$edges" | sort -u | wc -l)
if [ "$nviol" -gt 0 ]; then
	echo "check-layers: $nviol violation(s) in $nfiles files ($nedges folder edges)" >&2
	exit 1
fi
echo "check-layers: ok ($nfiles files, $nedges folder edges, $(grep -c -- '->' <<<"$TODO_EDGES") edges and $(grep -c ':' <<<"$TODO_CMD") cmd exceptions allowed until their change lands)"
