# timesync-monitor -- plain GNU make + pkg-config.
#
#   make            build the plugins (build/)
#   make check      install missing packages, build, run every test (ends "N passed, N failed")
#   make demo       install missing packages, build, show the plugins and the agent at work
#   make bench      benchmarks side by side with their peers (bench/RESULTS.md)
#   make fuzz       long fuzz runs: 10^7 executions of every parser's target (FUZZ_RUNS=)
#   make install    PREFIX=/usr/local DESTDIR= : plugins, agent, MIB, man pages, contrib/
#   make clean

PREFIX     ?= /usr/local
DESTDIR    ?=
BUILD      ?= build
PKG_CONFIG ?= pkg-config
VERSION    := 1.0.0

PLUGINDIR  := $(PREFIX)/lib/nagios/plugins
MANDIR     := $(PREFIX)/share/man
MIBDIR     := $(PREFIX)/share/snmp/mibs
DATADIR    := $(PREFIX)/share/timesync-monitor

# Recursively expanded on purpose: the dependency step may install pkg-config itself.
JANSSON_CFLAGS = $(shell $(PKG_CONFIG) --cflags jansson)
JANSSON_LIBS   = $(shell $(PKG_CONFIG) --libs jansson)
VSPHERE_CFLAGS = $(shell $(PKG_CONFIG) --cflags libcurl libxml-2.0)
VSPHERE_LIBS   = $(shell $(PKG_CONFIG) --libs libcurl libxml-2.0)
SNMP_CFLAGS    = $(shell $(PKG_CONFIG) --cflags netsnmp-agent)
SNMP_LIBS      = $(shell $(PKG_CONFIG) --libs netsnmp-agent)
CMOCKA_CFLAGS  = $(shell $(PKG_CONFIG) --cflags cmocka)
CMOCKA_LIBS    = $(shell $(PKG_CONFIG) --libs cmocka)

CFLAGS   ?= -O2 -g
WARNINGS := -std=c11 -Wall -Wextra -Werror
CPPFLAGS += -D_GNU_SOURCE -DTSYNC_VERSION='"$(VERSION)"' -Icommon
ALL_CFLAGS = $(WARNINGS) $(CFLAGS) $(SANFLAGS) $(JANSSON_CFLAGS) $(VSPHERE_CFLAGS)

COMMON_SRC := $(sort $(wildcard common/*.c))
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
LIB        := $(BUILD)/libtsync.a
PLUGINS    := check_chrony check_w32time check_esxi_time
PLUGIN_BIN := $(PLUGINS:%=$(BUILD)/%)
AGENT_SRC  := $(sort $(wildcard snmp-subagent/*.c))
AGENT_OBJ  := $(AGENT_SRC:%.c=$(BUILD)/%.o)
AGENT_BIN  := $(BUILD)/timesync-agentx
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOLS_BIN  := $(BUILD)/tests/hostile_cmdmon $(BUILD)/tests/fake_w32time $(BUILD)/tests/sntp_many \
              $(BUILD)/tests/reaper
FUZZ_SRC   := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN   := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)

.PHONY: all check check-run demo bench install clean deps-check tests fuzz fuzz-build sanitize \
        cppcheck
# Keep the objects of chained rules (the fuzzers' core objects): no rebuild on every run.
.SECONDARY:
.DEFAULT_GOAL := all

all: $(PLUGIN_BIN) $(AGENT_BIN)

# The agent: the only binary that links net-snmp.
$(BUILD)/snmp-subagent/%.o: snmp-subagent/%.c $(wildcard snmp-subagent/*.h common/*.h) Makefile
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Isnmp-subagent $(ALL_CFLAGS) $(SNMP_CFLAGS) -c -o $@ $<

$(AGENT_BIN): $(AGENT_OBJ) $(LIB)
	$(CC) $(CFLAGS) $(SANFLAGS) -pthread -o $@ $^ $(SNMP_LIBS) $(VSPHERE_LIBS) $(JANSSON_LIBS) -lm

$(BUILD)/common/%.o: common/%.c $(wildcard common/*.h) Makefile
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(COMMON_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/plugins/%.o: plugins/%.c $(wildcard common/*.h) Makefile
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# Only check_esxi_time links libcurl and libxml2: the others start faster without them.
$(BUILD)/check_esxi_time: LIBS_EXTRA = $(VSPHERE_LIBS)
$(BUILD)/check_%: $(BUILD)/plugins/check_%.o $(LIB)
	$(CC) $(CFLAGS) $(SANFLAGS) -pthread -o $@ $^ $(LIBS_EXTRA) $(JANSSON_LIBS) -lm

$(BUILD)/tests/test_%: tests/unit/test_%.c $(LIB) $(wildcard tests/unit/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(ALL_CFLAGS) $(CMOCKA_CFLAGS) -pthread -o $@ $< $(LIB) \
	  $(CMOCKA_LIBS) $(VSPHERE_LIBS) $(JANSSON_LIBS) -lm

# Test responders: standalone, they share nothing with the code they test.
$(BUILD)/tests/%: tests/integration/%.c $(wildcard tests/integration/*.h)
	@mkdir -p $(@D)
	$(CC) -D_GNU_SOURCE $(WARNINGS) $(CFLAGS) $(SANFLAGS) -o $@ $< -lm

# A driver of the many-target NTP interface, for the 200-target test.
$(BUILD)/tests/sntp_many: tests/integration/sntp_many.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -pthread -o $@ $< $(LIB) $(JANSSON_LIBS) -lm

tests: $(PLUGIN_BIN) $(AGENT_BIN) $(UNIT_BIN) $(TOOLS_BIN)

# libFuzzer targets: clang only, ASan + UBSan; the core is compiled once for all of them.
FUZZ_FLAGS := -g -O1 -fsanitize=address,undefined
FUZZ_OBJ   := $(COMMON_SRC:%.c=$(BUILD)/fuzzobj/%.o)

$(BUILD)/fuzzobj/common/%.o: common/%.c $(wildcard common/*.h) Makefile
	@mkdir -p $(@D)
	clang $(CPPFLAGS) $(WARNINGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(JANSSON_CFLAGS) \
	  $(VSPHERE_CFLAGS) -c -o $@ $<

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ)
	@mkdir -p $(@D)
	clang $(CPPFLAGS) $(WARNINGS) $(FUZZ_FLAGS) -fsanitize=fuzzer $(JANSSON_CFLAGS) \
	  $(VSPHERE_CFLAGS) -pthread -o $@ $< $(FUZZ_OBJ) $(VSPHERE_LIBS) $(JANSSON_LIBS) -lm

fuzz-build: $(FUZZ_BIN)

# Long fuzz runs: FUZZ_RUNS executions (default 10^7) of every target on its seed
# corpus, one target per CPU; make check runs each only for seconds.
FUZZ_RUNS ?= 10000000
fuzz: fuzz-build
	tests/fuzz/run_long.sh $(FUZZ_RUNS)

# The same tests against an ASan + UBSan build in build-san/.
sanitize:
	$(MAKE) BUILD=build-san SANFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" tests

cppcheck:
	cppcheck --std=c11 --enable=warning,style,performance,portability --error-exitcode=1 \
	  --inline-suppr --suppress=missingIncludeSystem -q -D_GNU_SOURCE -Icommon \
	  -DTSYNC_VERSION='"$(VERSION)"' \
	  common plugins snmp-subagent tests/integration/*.c

# The builds run in parallel (one job per CPU), then tests/run.sh runs the suites in
# parallel.
check:
	tests/deps.sh check
	$(MAKE) -j$$(nproc) check-run

check-run: tests fuzz-build sanitize
	tests/run.sh

demo:
	tests/deps.sh check
	$(MAKE) all tests
	tests/demo.sh

bench:
	tests/deps.sh bench
	$(MAKE) all $(AGENT_BIN) $(BUILD)/tests/fake_w32time
	bench/bench_chrony.sh && bench/bench_w32time.sh && bench/bench_agentx.sh

SBINDIR    := $(PREFIX)/sbin

install: all
	install -d $(DESTDIR)$(PLUGINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 \
	  $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MIBDIR)
	install -m 0755 $(PLUGIN_BIN) $(DESTDIR)$(PLUGINDIR)/
	install -m 0644 $(PLUGINS:%=plugins/%.1) $(DESTDIR)$(MANDIR)/man1/
	install -m 0755 $(AGENT_BIN) $(DESTDIR)$(SBINDIR)/
	install -m 0644 mibs/TIMESYNC-MONITOR-MIB.txt $(DESTDIR)$(MIBDIR)/
	install -m 0644 snmp-subagent/timesync-agentx.8 $(DESTDIR)$(MANDIR)/man8/
	# contrib/: the monitoring-system integrations, as shipped (scripts stay executable)
	cd contrib && find . -type f | while read -r f; do \
	  m=0644; [ -x "$$f" ] && m=0755; \
	  install -D -m $$m "$$f" "$(DESTDIR)$(DATADIR)/$$f" || exit 1; done

clean:
	rm -rf $(BUILD)/common $(BUILD)/plugins $(BUILD)/tests $(BUILD)/fuzz $(BUILD)/fuzzobj \
	  $(BUILD)/snmp-subagent $(PLUGIN_BIN) $(AGENT_BIN) $(LIB) build-san
