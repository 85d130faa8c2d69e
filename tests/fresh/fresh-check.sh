#!/bin/bash
# fresh-check.sh: the README's two commands on a new Debian 12 machine.
#
# Builds a minimal Debian 12 (bookworm) root with debootstrap, copies the
# repository's HEAD into it (git archive: commit first), and runs there, as
# root in a chroot with a clean environment:
#
#   apt-get install make      the one thing the README assumes
#   make run                  in the background until ticd answers /healthz
#   make check
#
# timing each step, then writes the figures into docs/PERFORMANCE.md between
# <!-- fresh-check --> and <!-- /fresh-check -->.  Every wait is bounded;
# any failure stops the run with status 1 and names the step and its log.
# The mounts (proc, sys, dev) are undone and the root removed on exit, also
# on failure or interruption (FRESH_KEEP=1 keeps the root for a look).
#
# Run as root on a Debian host: make fresh-check.  Variables:
#   FRESH_DIR      where the root and the logs go (default /var/tmp)
#   FRESH_MIRROR   the Debian mirror (default: the host's apt sources, else
#                  http://deb.debian.org/debian)
#   FRESH_PORT     the port make run listens on (default: a free one)
#   FRESH_KEEP     1 keeps the root afterwards
#   FRESH_RECORD   0 leaves docs/PERFORMANCE.md as it is
set -euo pipefail
trap 'printf "fresh-check: FAILED at line %s: %s\n" "$LINENO" "$BASH_COMMAND" >&2' ERR

REPO=$(cd "$(dirname "$0")/../.." && pwd)
SUITE=bookworm
VARIANT=minbase
PERF=$REPO/docs/PERFORMANCE.md
PYTHON=/usr/bin/python3

# Bounds, in seconds.
T_DEBOOTSTRAP=1800
T_PREREQ=900
T_RUN=3600		# make run's first start installs every package
T_STOP=30
T_CHECK=7200

say() { printf 'fresh-check: %s\n' "$*"; }
die() { printf 'fresh-check: FAILED: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot, mount)"
for t in debootstrap chroot mount umount curl git timeout setsid; do
	command -v $t >/dev/null || die "$t is missing (apt-get install debootstrap curl git)"
done

# The mirror the host's apt uses: a deb822 URIs: line or a one-line entry
# naming .../debian (not -security).
host_mirror() {
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
	    /etc/apt/sources.list.d/*.sources 2>/dev/null |
	    sed -n -e 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)\/*$/\1/p' \
		-e 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\/debian\)\/*[[:space:]].*/\2/p' |
	    head -n 1 || true
}
MIRROR=${FRESH_MIRROR:-$(host_mirror)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY=${MIRROR%/debian}/debian-security

if [ -n "${FRESH_PORT:-}" ]; then
	PORT=$FRESH_PORT
else
	PORT=$($PYTHON -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi

COMMIT=$(git -C "$REPO" rev-parse --short HEAD)
if [ -n "$(git -C "$REPO" status --porcelain --untracked-files=no)" ]; then
	say "note: uncommitted changes are not copied (git archive of $COMMIT)"
fi

mkdir -p "${FRESH_DIR:-/var/tmp}"
WORK=$(mktemp -d "${FRESH_DIR:-/var/tmp}/ticd-fresh.XXXXXX")
ROOT=$WORK/root
SRC=/root/ticd
RUN_PID=

mounts_under() {
	awk -v r="$ROOT" '$2 == r || index($2, r "/") == 1 { print $2 }' \
	    /proc/mounts | sort -r
}

# Whether any process of a group this script started is still there.
group_alive() { kill -0 -- -"$1" 2>/dev/null; }

# Stops a process group this script started: SIGTERM, then SIGKILL.
stop_group() {
	local i
	group_alive "$1" || return 0
	kill -TERM -- -"$1" 2>/dev/null
	for i in $(seq 1 $T_STOP); do
		group_alive "$1" || return 0
		sleep 1
	done
	kill -KILL -- -"$1" 2>/dev/null
}

# Processes still running inside the root (a test's stray daemon) were
# started by this script too; they would keep /dev busy.
stop_rooted() {
	local p pids=
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$ROOT" ] &&
		    pids="$pids ${p#/proc/}"
	done
	[ -n "$pids" ] || return 0
	say "stopping processes left in the root:$pids"
	kill -KILL $pids 2>/dev/null
	sleep 1
}

cleanup() {
	local rc=$? m left i
	set +e
	[ -n "$RUN_PID" ] && stop_group "$RUN_PID"
	stop_rooted
	# Deepest first; a lazy unmount only when a plain one fails.
	for i in 1 2 3; do
		for m in $(mounts_under); do
			umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
		done
		[ -z "$(mounts_under)" ] && break
		sleep 1
	done
	left=$(mounts_under)
	if [ -n "$left" ]; then
		printf 'fresh-check: still mounted, %s left in place:\n%s\n' \
		    "$WORK" "$left" >&2
		[ $rc = 0 ] && rc=1
	elif [ "${FRESH_KEEP:-0}" = 1 ]; then
		say "kept $ROOT (logs in $WORK)"
	else
		rm -rf --one-file-system "$ROOT"
		say "logs in $WORK"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

now() { date +%s.%N; }
elapsed() { $PYTHON -c "import sys; print('%.0f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }

# Runs a command in the root as a fresh root login would: a clean
# environment, the repository as the working directory.
in_root() {
	chroot "$ROOT" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
	    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	    /bin/bash -c "cd $SRC && $1"
}

say "work directory $WORK, mirror $MIRROR, commit $COMMIT"

# 1. The root.
say "debootstrap --variant=$VARIANT $SUITE (log: $WORK/debootstrap.log)"
t0=$(now)
timeout $T_DEBOOTSTRAP debootstrap --variant=$VARIANT $SUITE "$ROOT" \
    "$MIRROR" > "$WORK/debootstrap.log" 2>&1 ||
    die "debootstrap (see $WORK/debootstrap.log)"
t1=$(now)
S_DEBOOTSTRAP=$(elapsed "$t0" "$t1")
say "debootstrap: ${S_DEBOOTSTRAP} s"

cat > "$ROOT/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY $SUITE-security main
EOF
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# Certificate authorities the host's administrator added (a network that
# inspects TLS, as this one does for the npm registry) belong to the
# network, not to the machine: the root trusts them too, from when the
# ca-certificates package is installed.
LOCAL_CAS=0
for ca in /usr/local/share/ca-certificates/*.crt; do
	[ -f "$ca" ] || continue
	mkdir -p "$ROOT/usr/local/share/ca-certificates"
	cp "$ca" "$ROOT/usr/local/share/ca-certificates/"
	LOCAL_CAS=$((LOCAL_CAS + 1))
done
[ $LOCAL_CAS = 0 ] || say "copied the host's $LOCAL_CAS local CA certificate(s) in"
mount -t proc proc "$ROOT/proc"
mount --rbind /sys "$ROOT/sys" && mount --make-rslave "$ROOT/sys"
mount --rbind /dev "$ROOT/dev" && mount --make-rslave "$ROOT/dev"
mkdir -p "$ROOT$SRC"
git -C "$REPO" archive --format=tar HEAD | tar -x -C "$ROOT$SRC"

# 2. What the README takes for granted: make.
say "apt-get update, apt-get install make (log: $WORK/prereq.log)"
t0=$(now)
timeout $T_PREREQ chroot "$ROOT" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    /bin/sh -c 'apt-get update -q && apt-get install -y -q make' \
    > "$WORK/prereq.log" 2>&1 || die "installing make (see $WORK/prereq.log)"
t1=$(now)
S_PREREQ=$(elapsed "$t0" "$t1")
PKGS_BEFORE=$(chroot "$ROOT" dpkg-query -W -f '${db:Status-Abbrev}\n' | grep -c '^ii')
say "prerequisites: ${S_PREREQ} s ($PKGS_BEFORE packages installed)"

# 3. make run, in the background, until /healthz answers.
say "make run PORT=$PORT until /healthz answers (log: $WORK/run.log)"
t0=$(now)
export ROOT SRC
export -f in_root
setsid bash -c "in_root 'exec make run PORT=$PORT'" > "$WORK/run.log" 2>&1 \
    < /dev/null &
RUN_PID=$!
deadline=$(( $(date +%s) + T_RUN ))
health=
while :; do
	if health=$(curl -fsS --noproxy '*' --max-time 2 \
	    "http://127.0.0.1:$PORT/healthz" 2>/dev/null); then
		break
	fi
	kill -0 "$RUN_PID" 2>/dev/null ||
	    die "make run exited before ticd answered (see $WORK/run.log)"
	[ "$(date +%s)" -lt $deadline ] ||
	    die "no /healthz within $T_RUN s (see $WORK/run.log)"
	sleep 1
done
t1=$(now)
S_RUN=$(elapsed "$t0" "$t1")
PKGS_AFTER=$(chroot "$ROOT" dpkg-query -W -f '${db:Status-Abbrev}\n' | grep -c '^ii')
say "make run -> /healthz: ${S_RUN} s: $health"
case $health in
*'"status":"ok"'*) ;;
*) die "/healthz answered $health" ;;
esac
EVENTS=$(printf '%s' "$health" | sed -n 's/.*"events":\([0-9]*\).*/\1/p')
[ "${EVENTS:-0}" -gt 0 ] || die "the demo journal was not loaded: $health"
# The README's next step: the printed token reaches the API.
token=$(cat "$ROOT$SRC/var/token")
code=$(curl -sS --noproxy '*' --max-time 10 -o /dev/null -w '%{http_code}' \
    -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$PORT/api/v1/obligations?state=overdue")
[ "$code" = 200 ] || die "GET /api/v1/obligations with var/token: $code"
# SIGTERM to the group: make and ticd alike, as Ctrl-C would.  The shell
# leading the group ends first; ticd, which flushes its replies, last.
kill -TERM -- -"$RUN_PID"
for i in $(seq 1 $T_STOP); do
	group_alive "$RUN_PID" || break
	sleep 1
done
group_alive "$RUN_PID" && die "make run did not stop within $T_STOP s of SIGTERM"
wait "$RUN_PID" || true
RUN_PID=
grep -q 'stopped' "$WORK/run.log" || die "ticd did not log a clean stop (see $WORK/run.log)"

# 4. make check.
say "make check (log: $WORK/check.log)"
t0=$(now)
setsid bash -c "in_root 'make check'" > "$WORK/check.log" 2>&1 < /dev/null &
RUN_PID=$!
deadline=$(( $(date +%s) + T_CHECK ))
while kill -0 "$RUN_PID" 2>/dev/null && [ "$(date +%s)" -lt $deadline ]; do
	sleep 2
done
kill -0 "$RUN_PID" 2>/dev/null && die "make check still running after $T_CHECK s (see $WORK/check.log)"
rc=0; wait "$RUN_PID" || rc=$?
RUN_PID=
[ $rc = 0 ] || die "make check exited $rc (see $WORK/check.log; its end:)
$(tail -n 30 "$WORK/check.log")"
t1=$(now)
S_CHECK=$(elapsed "$t0" "$t1")
say "make check: ${S_CHECK} s"

# What the test runners said, in order: the plain build, then ASan.
SUMMARY=$(grep -E '^[0-9]+ (passed|failed)|^\[  (PASSED|FAILED)  \]|[0-9]+ passed' \
    "$WORK/check.log" | sed 's/^/    /')

[ "${FRESH_RECORD:-1}" = 0 ] && { say "FRESH_RECORD=0: docs/PERFORMANCE.md left alone"; exit 0; }

CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
SECTION=$WORK/section.md
cat > "$SECTION" <<EOF
<!-- fresh-check -->
## A fresh Debian 12 machine (\`make fresh-check\`)

Measured $(date -u '+%Y-%m-%d %H:%M') UTC, commit $COMMIT, by \`make fresh-check\`
(\`tests/fresh/fresh-check.sh\`), on a host with $(nproc) logical CPUs ($CPU),
$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) of memory, $(uname -sr), shared with other work
(load average $(cut -d' ' -f1-3 /proc/loadavg) when it ended): wall-clock times, each step once.

The root is \`debootstrap --variant=$VARIANT $SUITE ROOT $MIRROR\` ($PKGS_BEFORE packages once
\`make\` is in); the repository's HEAD goes in by \`git archive\`; each command runs
as root in a chroot with a clean environment (\`HOME=/root LANG=C.UTF-8\`), in the
README's order, \`/proc\`, \`/sys\` and \`/dev\` mounted; the host's $LOCAL_CAS local CA
certificate(s) (\`/usr/local/share/ca-certificates\`: this network inspects TLS) are copied in.

| step | command | time |
|---|---|---:|
| the root | \`debootstrap --variant=$VARIANT $SUITE\` | $S_DEBOOTSTRAP s |
| what the README assumes | \`apt-get update && apt-get install make\` | $S_PREREQ s |
| first start | \`make run PORT=$PORT\` until \`/healthz\` answers 200 (installs $((PKGS_AFTER - PKGS_BEFORE)) Debian packages, builds, loads the demo journal: $EVENTS events; then the printed token reads \`/api/v1/obligations\` and ticd stops cleanly on SIGTERM) | $S_RUN s |
| every test | \`make check\` (unit, golden, feeds, end-to-end, install; then all again under ASan + UBSan) | $S_CHECK s |

The test runners' summaries in \`make check\`, plain build first:

\`\`\`
$SUMMARY
\`\`\`
<!-- /fresh-check -->
EOF
$PYTHON - "$PERF" "$SECTION" <<'EOF'
import re, sys
perf, section = sys.argv[1], open(sys.argv[2], encoding="utf-8").read()
try:
    text = open(perf, encoding="utf-8").read()
except FileNotFoundError:
    text = "# Performance\n"
pat = re.compile(r"<!-- fresh-check -->.*?<!-- /fresh-check -->\n?", re.S)
if pat.search(text):
    text = pat.sub(lambda m: section, text, count=1)
else:
    text = text.rstrip("\n") + "\n\n" + section
open(perf, "w", encoding="utf-8").write(text)
EOF
say "wrote the fresh-check section of docs/PERFORMANCE.md"
