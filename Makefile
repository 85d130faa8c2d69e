# ticd: one flat GNU Makefile (STYLE.md).  The folder is the architecture:
# each *_SRCS line below is one folder, and nothing recurses into folders.
#
#   make            build ticd's tools into $(BUILD)/bin, data into
#                   $(BUILD)/share/ticd (where the binaries find it)
#   make deps       install the Debian packages that are missing
#   make run        deps, build, then ticd in the foreground with the demo
#   make check      deps, build, every test; then all again under ASan+UBSan
#   make bench      the benchmarks (writes docs/PERFORMANCE.md)
#   make bench-large  the same growth figures up to 100,000 centres (minutes)
#   make fuzz       every libFuzzer target, FUZZ_SECONDS (default 600) in all
#   make valgrind   the unit tests and an end-to-end session under valgrind
#   make faults     the fault suite (tests/faults); make soak SOAK_MINUTES=30
#   make install    PREFIX=/usr/local DESTDIR=
#   make install-check   install into a scratch DESTDIR and check it
#   make fresh-check     make run and make check on a new Debian 12 root

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
SBINDIR	?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
UNITDIR	?= $(PREFIX)/lib/systemd/system
MANDIR	?= $(PREFIX)/share/man
DOCDIR	?= $(PREFIX)/share/doc/ticd
PORT	?= 8470
DATADIR	?= $(PREFIX)/share/ticd
BUILD	?= build
SANITIZE ?=
PYTHON	?= /usr/bin/python3
BENCH_RUNS ?= 5
BENCH_API_RUNS ?= 3
BENCH_LARGE_RUNS ?= 3
# ticd -V and ticctl --version print it, with the commit when built from git.
VERSION	= 0.9.1

PKGS	= jansson inih sqlite3 libical
TEST_PKGS = cmocka

# Debian packages the build, the tests and `make run` need.
DEBS	= gcc make pkg-config libjansson-dev libinih-dev libcmocka-dev libsqlite3-dev \
	  libevent-dev libsystemd-dev libssl-dev libcurl4-openssl-dev \
	  python3 python3-pytest python3-pytest-xdist faketime curl wrk util-linux \
	  libical-dev python3-icalendar nodejs $(NPM_DEB) \
	  libgmime-3.0-dev python3-aiosmtpd openssl nginx-light \
	  clang libclang-rt-14-dev valgrind sqlite3 systemd iproute2 \
	  mandoc man-db procps
# npm, unless a node that bundles it (NodeSource's, which conflicts with
# Debian's npm package) is installed already.
NPM_DEB	:= $(if $(shell command -v npm 2>/dev/null),,npm)

CC	?= cc
CFLAGS	?= -O2 -g
WARNINGS = -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
	  -Wmissing-prototypes -Wformat=2 -Wundef -Wvla -Wwrite-strings \
	  -Wimplicit-fallthrough -Wmissing-declarations -Wold-style-definition
ALL_CPPFLAGS = -std=c11 -D_GNU_SOURCE -I. -DDATADIR='"$(DATADIR)"' -MMD -MP \
	  $(shell pkg-config --cflags $(PKGS) $(DAEMON_PKGS) $(CTL_PKGS) \
	    $(NOTIFY_PKGS) 2>/dev/null) \
	  $(CPPFLAGS)
# -pthread: notify/'s mail thread (mailer.c).
ALL_CFLAGS = $(WARNINGS) -pthread $(CFLAGS)
LIBS	= $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LDFLAGS += -pthread
ifneq ($(SANITIZE),)
ALL_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all \
	  -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

COMMON_SRCS	= common/xmalloc.c common/ini.c common/strmap.c common/jsontext.c \
		  common/evbase.c
SCHED_SRCS	= scheduler/date.c scheduler/workcal.c scheduler/rules.c \
		  scheduler/event.c scheduler/journal.c scheduler/plan.c \
		  scheduler/explain.c scheduler/remind.c
CONF_SRCS	= conf/files.c conf/config.c conf/journal.c
STORE_SRCS	= store/db.c
CAL_SRCS	= calendar/feed.c calendar/text.c
NOTIFY_SRCS	= notify/render.c notify/mail.c notify/retry.c notify/outbox.c \
		  notify/curlev.c notify/worker.c notify/smtp.c notify/mailer.c \
		  notify/deliver.c \
		  notify/notice.c \
		  notify/sign.c notify/webhook.c notify/robot.c notify/pace.c \
		  notify/target.c notify/post.c notify/hook.c
DAEMON_SRCS	= daemon/ticd.c daemon/log.c daemon/load.c daemon/state.c \
		  daemon/auth.c \
		  daemon/http.c daemon/api.c daemon/recipients.c daemon/remind.c \
		  daemon/feeds.c \
		  daemon/feedtok.c daemon/feedrev.c daemon/cond.c
CTL_SRCS	= ctl/ticctl.c ctl/plan.c ctl/table.c ctl/feed.c ctl/client.c \
		  ctl/remote.c ctl/reminders.c ctl/deliveries.c
UNIT_TESTS	= date workcal event journal rules plan property store config \
		  calendar remind render mail cond feedrev strmap webhook plancentre \
		  log

LIB_SRCS = $(COMMON_SRCS) $(SCHED_SRCS) $(CONF_SRCS) $(STORE_SRCS) \
	   $(CAL_SRCS) $(NOTIFY_SRCS)
LIB_OBJS = $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
CTL_OBJS = $(CTL_SRCS:%.c=$(BUILD)/obj/%.o)
DAEMON_OBJS = $(DAEMON_SRCS:%.c=$(BUILD)/obj/%.o)
DAEMON_PKGS = libevent libsystemd libcrypto
CTL_PKGS = libcurl
# notify/: GMime builds the mail, libcurl sends it on libevent's loop,
# libcrypto signs webhooks.
NOTIFY_PKGS = gmime-3.0 libcurl libevent libcrypto
TEST_BINS = $(UNIT_TESTS:%=$(BUILD)/tests/test_%)
DATA	= $(BUILD)/share/ticd/cn-holidays.tsv $(BUILD)/share/ticd/rules.ini

.PHONY: all deps run check test unit golden feeds e2e bench bench-large install \
	uninstall clean fuzz fuzz-build fuzz-smoke valgrind faults soak security \
	man install-check fresh-check
.DEFAULT_GOAL := all

all: $(BUILD)/bin/ticctl $(BUILD)/bin/ticd $(DATA)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

# Written again only when it changes, so a new commit rebuilds the two
# files that print it and nothing else.
$(BUILD)/version.h: FORCE
	@mkdir -p $(@D)
	@c=$$(git -c safe.directory='$(CURDIR)' describe --always --dirty \
	    --abbrev=7 2>/dev/null || \
	    echo "not from git"); \
	printf '#define TICD_VERSION "%s (%s)"\n' '$(VERSION)' "$$c" > $@.tmp; \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(BUILD)/obj/daemon/ticd.o $(BUILD)/obj/ctl/ticctl.o: $(BUILD)/version.h
$(BUILD)/obj/daemon/ticd.o $(BUILD)/obj/ctl/ticctl.o: \
    ALL_CPPFLAGS += -I$(BUILD)

$(BUILD)/libticd.a: $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/bin/ticctl: $(CTL_OBJS) $(BUILD)/libticd.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) \
	    $(shell pkg-config --libs $(CTL_PKGS) 2>/dev/null)

$(BUILD)/bin/ticd: $(DAEMON_OBJS) $(BUILD)/libticd.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) \
	    $(shell pkg-config --libs $(DAEMON_PKGS) $(NOTIFY_PKGS) 2>/dev/null)

$(BUILD)/share/ticd/%: conf/%
	@mkdir -p $(@D)
	cp $< $@

$(BUILD)/tests/test_%: tests/unit/test_%.c tests/unit/testutil.h \
    $(BUILD)/libticd.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(filter %.o,$^) \
	    $(BUILD)/libticd.a $(LIBS) \
	    $(shell pkg-config --libs $(TEST_PKGS) $(NOTIFY_PKGS)) $(LDFLAGS)

# The daemon's pure parts are tested with their own objects linked in.
$(BUILD)/tests/test_cond: $(BUILD)/obj/daemon/cond.o
$(BUILD)/tests/test_feedrev: $(BUILD)/obj/daemon/feedrev.o
$(BUILD)/tests/test_log: $(BUILD)/obj/daemon/log.o

# Installs only what is missing, so a second run asks apt nothing.
deps:
	@missing=""; for p in $(DEBS); do \
	    dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	    echo "installing Debian packages:$$missing"; \
	    sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	    $$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive \
	    $$sudo apt-get install -y -q --no-install-recommends $$missing; \
	fi

# ticd in the foreground on 127.0.0.1:$(PORT), its store under ./var, the
# demo journal loaded on first start, and a bureau token made once.
run: deps all
	@mkdir -p var
	@test -f var/ticd.conf || printf '[ticd]\nlisten = 127.0.0.1:$(PORT)\ndatabase = $(CURDIR)/var/ticd.db\nlog_level = info\n' > var/ticd.conf
	@test -s var/token || (umask 077; $(BUILD)/bin/ticd -c var/ticd.conf -T > var/token)
	@test -s var/feed || (umask 077; $(BUILD)/bin/ticd -c var/ticd.conf -F > var/feed)
	@echo
	@echo "  ticd: http://127.0.0.1:$(PORT)   (config var/ticd.conf, store var/ticd.db)"
	@echo "  API token (bureau, also in var/token): $$(cat var/token)"
	@echo "  the bureau's calendar feed (also in var/feed; subscribe to it, README): $$(cat var/feed)"
	@echo "  try:  export TICD_URL=http://127.0.0.1:$(PORT) TICD_TOKEN=\$$(cat var/token)"
	@echo "        curl -H \"Authorization: Bearer \$$TICD_TOKEN\" \$$TICD_URL/api/v1/obligations"
	@echo "        $(BUILD)/bin/ticctl obligations"
	@echo "  reminder mail (no SMTP configured): var/spool/*.eml; ticctl deliveries shows the outbox"
	@echo "  Ctrl-C stops it; 'rm -rf var' starts afresh."
	@echo
	exec $(BUILD)/bin/ticd -d -c var/ticd.conf -i conf/demo/journal.jsonl

unit: $(TEST_BINS)
	@set -e; for t in $(TEST_BINS); do \
	    TICD_DATADIR=$(CURDIR)/conf $$t; done

golden: all
	$(PYTHON) tests/golden/run.py --ticctl $(BUILD)/bin/ticctl

# Golden feeds, python3-icalendar and ical.js (npm, into tests/feeds).
feeds: all
	@test -f tests/feeds/node_modules/ical.js/package.json || \
	    npm install --prefix tests/feeds --no-package-lock --no-audit \
	    --no-fund --loglevel=error
	$(PYTHON) tests/feeds/run.py --ticctl $(BUILD)/bin/ticctl

# The end-to-end tests mostly wait (for timers, retries, receivers), so
# they run E2E_JOBS at a time (pytest-xdist): each test has its own ticd,
# directory and ports.  E2E_JOBS=0 runs them one after another.
E2E_JOBS ?= 3
e2e: all
	TICD_BIN=$(CURDIR)/$(BUILD)/bin/ticd TICCTL_BIN=$(CURDIR)/$(BUILD)/bin/ticctl \
	    ASAN_OPTIONS=verify_asan_link_order=0 \
	    $(PYTHON) -m pytest -q -p no:cacheprovider \
	    $(if $(filter-out 0,$(E2E_JOBS)),-n $(E2E_JOBS) --dist loadgroup) \
	    tests/e2e

# The fuzz targets are always built with ASan and UBSan, so the sanitized
# second pass of make check does not run them again.
test: unit golden feeds e2e security install-check \
    $(if $(SANITIZE),,fuzz-smoke)

check: deps
	$(MAKE) test
	$(MAKE) BUILD=build/asan SANITIZE=1 test

# Each script rewrites only its own section of docs/PERFORMANCE.md.
bench: deps all
	$(PYTHON) bench/plan.py --ticctl $(BUILD)/bin/ticctl --runs $(BENCH_RUNS)
	$(PYTHON) bench/api.py --ticd $(BUILD)/bin/ticd --runs $(BENCH_API_RUNS)
	$(PYTHON) bench/mail.py --ticd $(BUILD)/bin/ticd
	$(PYTHON) bench/webhooks.py --ticd $(BUILD)/bin/ticd
	$(PYTHON) bench/feeds.py --ticd $(BUILD)/bin/ticd

# 1,000, 10,000 and 100,000 centres: minutes, and several GB for the feed.
bench-large: deps all
	$(PYTHON) bench/plan.py --ticctl $(BUILD)/bin/ticctl \
	    --sizes 1000,10000,100000 --runs $(BENCH_LARGE_RUNS) --section plan-large
	$(PYTHON) bench/api.py --ticd $(BUILD)/bin/ticd --parts startup \
	    --startup-sizes 1000,10000,100000 --runs $(BENCH_LARGE_RUNS) \
	    --section startup-large

# ---- hardening (issue 7): fuzzing, valgrind, faults, security ----
#
# Fuzz targets: tests/fuzz/fuzz_NAME.c, seeds and regressions in
# tests/fuzz/NAME/ (replayed by every run), what a run finds in
# $(FUZZ_BUILD)/corpus/NAME.  The library and the daemon (less main) are
# built again with clang and the fuzzer's coverage.
FUZZ_TARGETS	= event config holidays rules http feed mail
FUZZ_SECONDS	?= 600
FUZZ_SMOKE_SECONDS ?= 4
FUZZ_BUILD	= build/fuzz
FUZZ_CC		?= clang
FUZZ_SAN	= -fsanitize=address,undefined -fno-sanitize-recover=all \
		  -fno-omit-frame-pointer
FUZZ_CFLAGS	= $(WARNINGS) -g -O1 $(FUZZ_SAN)
FUZZ_SRCS	= $(LIB_SRCS) $(filter-out daemon/ticd.c,$(DAEMON_SRCS))
FUZZ_OBJS	= $(FUZZ_SRCS:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_BINS	= $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_LIBS	= $(LIBS) $(shell pkg-config --libs $(DAEMON_PKGS) $(NOTIFY_PKGS) \
		  2>/dev/null)

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(ALL_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link \
	    -c $< -o $@

$(FUZZ_BUILD)/libfuzz.a: $(FUZZ_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h tests/fuzz/hostile.h \
    $(FUZZ_BUILD)/libfuzz.a
	$(FUZZ_CC) $(ALL_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
	    $(FUZZ_BUILD)/libfuzz.a $(FUZZ_LIBS)

fuzz-build: $(FUZZ_BINS)

# Each target for FUZZ_SECONDS / the number of targets, one after another
# (one core); a crash stops make with the input in $(FUZZ_BUILD)/.
fuzz: deps fuzz-build
	$(PYTHON) tests/fuzz/run.py --build $(FUZZ_BUILD) \
	    --seconds $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build
	$(PYTHON) tests/fuzz/run.py --build $(FUZZ_BUILD) --smoke \
	    --seconds $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

VALGRIND_OPTS = --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite --show-leak-kinds=definite \
	--track-origins=yes --quiet
valgrind: deps
	$(MAKE) BUILD=build/valgrind CFLAGS='-O0 -g' all $(UNIT_TESTS:%=build/valgrind/tests/test_%)
	@set -e; for t in $(UNIT_TESTS); do echo "valgrind test_$$t"; \
	    TICD_DATADIR=$(CURDIR)/conf valgrind $(VALGRIND_OPTS) \
	    build/valgrind/tests/test_$$t >/dev/null; done
	VALGRIND='valgrind $(VALGRIND_OPTS)' \
	    $(PYTHON) tests/faults/valgrind_session.py --ticd build/valgrind/bin/ticd

FAULTS	?=
faults: deps all
	TICD_BIN=$(CURDIR)/$(BUILD)/bin/ticd ASAN_OPTIONS=verify_asan_link_order=0 \
	    $(PYTHON) -m pytest -q -rs -s -p no:cacheprovider tests/faults $(if $(FAULTS),-k '$(FAULTS)')

SOAK_MINUTES ?= 30
soak: deps all
	$(PYTHON) tests/faults/soak.py --ticd $(BUILD)/bin/ticd \
	    --minutes $(SOAK_MINUTES)

# Secrets in logs, header injection, loopback by default, the unit's
# exposure (tests/security).
security: all
	TICD_BIN=$(CURDIR)/$(BUILD)/bin/ticd TICCTL_BIN=$(CURDIR)/$(BUILD)/bin/ticctl \
	    ASAN_OPTIONS=verify_asan_link_order=0 \
	    $(PYTHON) -m pytest -q -p no:cacheprovider tests/security

# The man pages and the unit are written for PREFIX=/usr/local and the
# configuration in /etc/ticd; this rewrites their paths for the install.
SUBST	= sed -e 's|/usr/local/share/ticd|$(DATADIR)|g' \
	      -e 's|/usr/local/share/doc/ticd|$(DOCDIR)|g' \
	      -e 's|/usr/local/sbin/|$(SBINDIR)/|g' \
	      -e 's|/usr/local/bin/|$(BINDIR)/|g' \
	      -e 's|/usr/local/lib/systemd/system|$(UNITDIR)|g'
MANS	= $(BUILD)/man/ticctl.1 $(BUILD)/man/ticd.conf.5 $(BUILD)/man/ticd.8
# Installed as the tree they are in here, so that their links hold.
DOCS	= README.md docs/api.md docs/operations.md docs/rules.md \
	  docs/reminders.md docs/webhooks.md docs/PERFORMANCE.md \
	  docs/RELIABILITY.md conf/HOLIDAYS.md notify/README.md \
	  calendar/README.md

man: $(MANS)

# Rewritten on every run: the paths depend on the make command's variables.
$(BUILD)/man/%: man/% FORCE
	@mkdir -p $(@D)
	$(SUBST) $< > $@

# ticd.conf(5) lists the keys of the ticd it is built with (ticd -K).
$(BUILD)/man/ticd.conf.5: man/ticd.conf.5 $(BUILD)/bin/ticd FORCE
	@mkdir -p $(@D)
	$(BUILD)/bin/ticd -K > $@.keys
	$(SUBST) -e '/@KEYS@/{r $@.keys' -e 'd;}' $< > $@
	@rm -f $@.keys

$(BUILD)/ticd.service: conf/systemd/ticd.service FORCE
	@mkdir -p $(@D)
	$(SUBST) -e 's| /etc/ticd/| $(SYSCONFDIR)/ticd/|g' $< > $@

FORCE:

install: all man $(BUILD)/ticd.service
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(DATADIR) \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/ticd \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR)
	install -m 755 $(BUILD)/bin/ticctl $(DESTDIR)$(BINDIR)/ticctl
	install -m 755 $(BUILD)/bin/ticd $(DESTDIR)$(SBINDIR)/ticd
	install -m 644 conf/cn-holidays.tsv conf/rules.ini $(DESTDIR)$(DATADIR)/
	install -m 644 $(BUILD)/ticd.service $(DESTDIR)$(UNITDIR)/ticd.service
	install -m 644 $(BUILD)/man/ticctl.1 $(DESTDIR)$(MANDIR)/man1/ticctl.1
	install -m 644 $(BUILD)/man/ticd.conf.5 \
	    $(DESTDIR)$(MANDIR)/man5/ticd.conf.5
	install -m 644 $(BUILD)/man/ticd.8 $(DESTDIR)$(MANDIR)/man8/ticd.8
	@# 0.9.1 and older installed them flat, where they would stay stale.
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/,$(filter-out README.md, \
	    $(notdir $(DOCS))))
	for f in $(DOCS); do \
	    install -D -m 644 $$f $(DESTDIR)$(DOCDIR)/$$f || exit 1; done
	@# An administrator's configuration is never overwritten.
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/ticd/ticd.conf ]; then \
	    echo "kept $(DESTDIR)$(SYSCONFDIR)/ticd/ticd.conf (the example" \
		"is in $(DESTDIR)$(DOCDIR)/ticd.conf.example)"; \
	else \
	    echo "install -m 644 conf/ticd.conf" \
		"$(DESTDIR)$(SYSCONFDIR)/ticd/ticd.conf"; \
	    install -m 644 conf/ticd.conf \
		$(DESTDIR)$(SYSCONFDIR)/ticd/ticd.conf; \
	fi
	install -m 644 conf/ticd.conf $(DESTDIR)$(DOCDIR)/ticd.conf.example

# The configuration and the store (/var/lib/ticd) stay.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ticctl $(DESTDIR)$(SBINDIR)/ticd
	rm -f $(DESTDIR)$(DATADIR)/cn-holidays.tsv $(DESTDIR)$(DATADIR)/rules.ini
	rm -f $(DESTDIR)$(UNITDIR)/ticd.service
	rm -f $(DESTDIR)$(MANDIR)/man1/ticctl.1 \
	    $(DESTDIR)$(MANDIR)/man5/ticd.conf.5 $(DESTDIR)$(MANDIR)/man8/ticd.8
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/,$(DOCS) $(filter-out \
	    README.md,$(notdir $(DOCS)))) $(DESTDIR)$(DOCDIR)/ticd.conf.example
	-rmdir $(addprefix $(DESTDIR)$(DOCDIR)/,$(filter-out ./, \
	    $(sort $(dir $(DOCS))))) $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/ticd/ticd.conf ]; then \
	    echo "kept $(DESTDIR)$(SYSCONFDIR)/ticd/ticd.conf and the store" \
		"(ticd.conf's database, /var/lib/ticd by default)"; fi

# make install into a scratch DESTDIR, twice (the default PREFIX and a
# Debian-like /usr), and check the tree, the man pages, the unit and that
# the installed ticd and ticctl find the installed data; then uninstall.
install-check: all
	MAKE="$(MAKE)" BUILD="$(BUILD)" \
	    $(PYTHON) -m pytest -q -p no:cacheprovider tests/install

# The README's make run and make check on a new Debian 12 root made with
# debootstrap (as root; an hour or more); records the times in
# docs/PERFORMANCE.md.  tests/fresh/fresh-check.sh says how.
fresh-check:
	@command -v debootstrap >/dev/null || { \
	    sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	    $$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive \
	    $$sudo apt-get install -y -q --no-install-recommends debootstrap; }
	bash tests/fresh/fresh-check.sh

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj $(FUZZ_BUILD) -name "*.d" 2>/dev/null)
