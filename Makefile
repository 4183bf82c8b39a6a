# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# xdplb: make · make test · make bench · make demo · make format · make man · make install ·
# make uninstall · make deb · make clean
#
# Out-of-tree: everything generated (BPF objects, skeletons, binaries, man
# pages, packages) goes to $(O). V=1 shows the commands.

O ?= build
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
DOCDIR ?= $(PREFIX)/share/doc/xdplb
MANDIR ?= $(PREFIX)/share/man
# systemd reads /usr/local/lib/systemd/system too; Debian 12 packages use /lib
UNITDIR ?= $(PREFIX)/lib/systemd/system
CC ?= gcc
CLANG ?= clang
BPFTOOL ?= $(or $(shell command -v bpftool 2>/dev/null),/usr/sbin/bpftool)
PKG_CONFIG ?= pkg-config

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY:
.SUFFIXES:
.DEFAULT_GOAL := all

ARCH_INC := -idirafter /usr/include/$(shell $(CC) -dumpmachine)
WARN := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wstrict-prototypes -Wformat=2 \
	-Wno-format-nonliteral -Wmissing-prototypes
CFLAGS ?= -O2 -g
# SANITIZE=1: the loader and its tests with ASan and UBSan, every report
# fatal (make test-asan builds that in $(ASAN_O) and runs the tests on it)
# (clang: its -fsanitize=undefined includes float-cast-overflow, the UB of
# a negative or huge double cast to an integer, which gcc's leaves out, and
# its UBSan honours log_path, which tools/test-asan collects reports with)
ifeq ($(SANITIZE),1)
CC := clang-14
CFLAGS += -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
BASE_CFLAGS := $(CPPFLAGS) $(CFLAGS) $(WARN) -std=gnu11 -D_FILE_OFFSET_BITS=64 -Ibpf
# The loader's layers (docs/architecture.md): each sees only the headers of
# the layers below it, so a pure-core file that reached for the kernel
# layer would not compile.
CORE_INC := -Iloader/core
KERNEL_INC := $(CORE_INC) -Iloader/kernel -I$(O)
CLI_INC := $(KERNEL_INC) -Iloader/cli
XCFLAGS := $(BASE_CFLAGS) $(CLI_INC)
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -Wall -Wextra -Wno-unused-parameter \
	-Wno-address-of-packed-member $(ARCH_INC) -Ibpf

# A missing library names its Debian package.
define need_pkg
$(if $(shell $(PKG_CONFIG) --exists $(1) 2>/dev/null && echo ok),,\
	$(error $(1) not found: install the Debian package $(2) (tools/install-deps installs everything)))
endef
# (demo installs what is missing first, then builds)
ifeq ($(filter clean format help demo uninstall deb,$(MAKECMDGOALS)),)
$(call need_pkg,libbpf,libbpf-dev)
$(call need_pkg,libcjson,libcjson-dev)
$(call need_pkg,libelf,libelf-dev)
$(call need_pkg,zlib,zlib1g-dev)
$(call need_pkg,libmicrohttpd,libmicrohttpd-dev)
$(call need_pkg,libsystemd,libsystemd-dev)
$(if $(wildcard $(BPFTOOL)),,$(error bpftool not found: install the Debian package bpftool))
$(if $(shell command -v $(CLANG)),,$(error clang not found: install the Debian package clang))
endif

LIBBPF_LIBS := $(shell $(PKG_CONFIG) --libs libbpf 2>/dev/null)
CJSON_LIBS := $(shell $(PKG_CONFIG) --libs libcjson 2>/dev/null)
MHD_LIBS := $(shell $(PKG_CONFIG) --libs libmicrohttpd 2>/dev/null)
SYSTEMD_LIBS := $(shell $(PKG_CONFIG) --libs libsystemd 2>/dev/null)

# loader/core: pure logic, no BPF, no syscall but reading a file; the unit
# tests link only this (and the renderers). loader/kernel: everything that
# talks to the kernel. loader/cli: main, the commands, every renderer.
CORE_SRCS := $(wildcard loader/core/*.c)
KERNEL_SRCS := $(wildcard loader/kernel/*.c)
RENDER_SRCS := $(wildcard loader/cli/render_*.c)
CLI_SRCS := $(filter-out $(RENDER_SRCS),$(wildcard loader/cli/*.c))
CORE_OBJS := $(CORE_SRCS:%.c=$(O)/%.o)
KERNEL_OBJS := $(KERNEL_SRCS:%.c=$(O)/%.o)
RENDER_OBJS := $(RENDER_SRCS:%.c=$(O)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(O)/%.o)
SKELS := $(O)/xdplb.skel.h $(O)/decap.skel.h $(O)/hc.skel.h
BPF_HDRS := $(wildcard bpf/*.h)
CORE_HDRS := $(wildcard loader/core/*.h)
KERNEL_HDRS := $(CORE_HDRS) $(wildcard loader/kernel/*.h)
LOADER_HDRS := $(KERNEL_HDRS) $(wildcard loader/cli/*.h)

all: $(O)/xdplb

$(O) $(O)/loader/core $(O)/loader/kernel $(O)/loader/cli $(O)/tests $(O)/tools:
	$(Q)mkdir -p $@

$(O)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(O)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(O)/%.skel.h: $(O)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

$(O)/loader/core/%.o: loader/core/%.c $(CORE_HDRS) $(BPF_HDRS) | $(O)/loader/core
	$(call msg,CC,$@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CORE_INC) -c $< -o $@

$(O)/loader/kernel/%.o: loader/kernel/%.c $(KERNEL_HDRS) $(BPF_HDRS) $(SKELS) | $(O)/loader/kernel
	$(call msg,CC,$@)
	$(Q)$(CC) $(BASE_CFLAGS) $(KERNEL_INC) -c $< -o $@

$(O)/loader/cli/%.o: loader/cli/%.c $(LOADER_HDRS) $(BPF_HDRS) $(SKELS) | $(O)/loader/cli
	$(call msg,CC,$@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CLI_INC) -c $< -o $@

$(O)/libxdplb_core.a: $(CORE_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(O)/libxdplb.a: $(KERNEL_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(O)/libxdplb_render.a: $(RENDER_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(O)/xdplb: $(CLI_OBJS) $(O)/libxdplb_render.a $(O)/libxdplb.a $(O)/libxdplb_core.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(XCFLAGS) $^ $(LIBBPF_LIBS) $(CJSON_LIBS) $(MHD_LIBS) $(SYSTEMD_LIBS) -lelf -lz -lm -lpthread \
		$(LDFLAGS) -o $@

# ---------------------------------------------------------------- tests
CRITERION_LIBS := $(shell $(PKG_CONFIG) --libs criterion 2>/dev/null)
TEST_CFLAGS := -Wno-missing-field-initializers
ifeq ($(SANITIZE),1)
# Criterion's eq(u8[N], ...) expands to pointer arithmetic on NULL in the
# test's own file; the code under test (the .a files) keeps every check
TEST_CFLAGS += -fno-sanitize=pointer-overflow
endif
UNIT_SRCS := $(wildcard tests/unit/*.c)
BPFTEST_SRCS := $(wildcard tests/bpf/*.c)

$(O)/tests/unit: $(UNIT_SRCS) $(O)/libxdplb_render.a $(O)/libxdplb_core.a $(LOADER_HDRS) \
		$(BPF_HDRS) | $(O)/tests
	$(call need_pkg,criterion,libcriterion-dev)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(XCFLAGS) $(TEST_CFLAGS) -Itests -DXDPLB_SRCDIR=\"$(CURDIR)\" $(UNIT_SRCS) \
		$(O)/libxdplb_render.a $(O)/libxdplb_core.a $(CRITERION_LIBS) \
		$(CJSON_LIBS) -lz -lm -o $@

$(O)/tests/bpf: $(BPFTEST_SRCS) $(wildcard tests/bpf/*.h) $(O)/libxdplb_render.a $(O)/libxdplb.a \
		$(O)/libxdplb_core.a $(SKELS) | $(O)/tests
	$(call need_pkg,criterion,libcriterion-dev)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(XCFLAGS) $(TEST_CFLAGS) -Itests $(BPFTEST_SRCS) $(O)/libxdplb_render.a \
		$(O)/libxdplb.a $(O)/libxdplb_core.a \
		$(CRITERION_LIBS) $(LIBBPF_LIBS) $(CJSON_LIBS) -lelf -lz -lm -lpthread -o $@

TEST_BINS := $(O)/tests/unit $(O)/tests/bpf

# Needs root (BPF, namespaces). Ends with Criterion's summary line.
test: all $(TEST_BINS) $(O)/xdplb-bench $(O)/xdplb-pktgen $(O)/xdplb-probe
	$(Q)tests/run $(O)

# The unit tests, the kernel-layer tests and the CLI e2e tests once more,
# with the loader built with -fsanitize=address,undefined in $(ASAN_O):
# any report fails (tools/test-asan). Needs root, like make test.
ASAN_O ?= build-asan
test-asan:
	$(Q)$(MAKE) --no-print-directory O=$(ASAN_O) SANITIZE=1 $(ASAN_O)/xdplb \
		$(ASAN_O)/tests/unit $(ASAN_O)/tests/bpf
	$(Q)tools/test-asan $(ASAN_O)

# ---------------------------------------------------------------- fuzz
# libFuzzer targets (clang, -fsanitize=fuzzer,address,undefined), each run
# for FUZZ_SECONDS from its committed seed corpus (tests/fuzz/corpus/T);
# a crash, a leak or a sanitizer report fails. Pure code only: no root.
FUZZ_CC ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -std=gnu11 -D_FILE_OFFSET_BITS=64 -Ibpf $(CORE_INC)
# the pure core, instrumented for coverage once, linked into every target
FUZZ_CORE_OBJS := $(CORE_SRCS:loader/core/%.c=$(O)/fuzz/core/%.o)

# libFuzzer is clang's runtime, a Debian package of its own
$(O)/fuzz/core:
	$(Q)echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' | \
		$(FUZZ_CC) -x c -fsanitize=fuzzer,address,undefined - -o /dev/null 2>/dev/null || \
		{ echo "$(FUZZ_CC) cannot build a libFuzzer target: install the Debian packages clang-14 and libclang-rt-14-dev (tools/install-deps installs everything)" >&2; exit 1; }
	$(Q)mkdir -p $@

$(O)/fuzz/core/%.o: loader/core/%.c $(CORE_HDRS) $(BPF_HDRS) | $(O)/fuzz/core
	$(call msg,FUZZCC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(O)/fuzz/%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_CORE_OBJS)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_CORE_OBJS) $(CJSON_LIBS) -lz -lm -o $@

fuzz: $(FUZZ_TARGETS:%=$(O)/fuzz/%)
	$(Q)tools/fuzz $(O) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# ---------------------------------------------------------------- bench
BENCH_SRCS := $(wildcard bench/*.c)
BENCH_TOOL_SRCS := $(filter-out bench/pktgen.c bench/probe.c,$(BENCH_SRCS))

$(O)/xdplb-bench: $(BENCH_TOOL_SRCS) bench/bench.h bench/rig.h tests/bpf/pkt.c $(O)/libxdplb.a \
		$(O)/libxdplb_core.a $(SKELS) $(O)/bench.skel.h
	$(call msg,LINK,$@)
	$(Q)$(CC) $(XCFLAGS) $(TEST_CFLAGS) -Ibench $(BENCH_TOOL_SRCS) tests/bpf/pkt.c \
		$(O)/libxdplb.a $(O)/libxdplb_core.a $(LIBBPF_LIBS) $(CJSON_LIBS) -lelf -lz -lm -o $@

$(O)/xdplb-pktgen: bench/pktgen.c | $(O)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(XCFLAGS) $< -o $@

# The health-check engine's driver: tests/e2e/test_probe.sh, tools/probe-bench.
$(O)/xdplb-probe: bench/probe.c $(O)/libxdplb.a $(O)/libxdplb_core.a $(KERNEL_HDRS) | $(O)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(XCFLAGS) $< $(O)/libxdplb.a $(O)/libxdplb_core.a $(LIBBPF_LIBS) -lelf -lz -lm \
		-o $@

# Needs root. Prints one table; bench/results/latest.json keeps the figures.
# make bench BASELINE=REV also compares the data path with REV's.
bench: all $(O)/xdplb-bench $(O)/xdplb-pktgen $(O)/xdplb-probe
	$(Q)tools/bench $(O) $(if $(BASELINE),--baseline $(BASELINE))

# ---------------------------------------------------------------- the rest

demo:
	$(Q)tools/demo $(O)

# docs/cli.md's command reference, from the option tables
docs: $(O)/xdplb
	$(Q)tools/cli-doc $(O)/xdplb

format:
	$(Q)clang-format -i bpf/*.c bpf/*.h loader/*/*.c loader/*/*.h tests/*/*.c $(wildcard tests/*/*.h)

# The man pages, in scdoc, from the option tables and docs/config.md
MANS := $(O)/man/xdplb.8 $(O)/man/xdplb.json.5
man: $(MANS)

$(O)/man/stamp: $(O)/xdplb tools/man-page $(wildcard docs/man/*.scd.in) docs/config.md
	$(call msg,GEN,$(O)/man/*.scd)
	$(Q)tools/man-page $(O)/xdplb $(O)/man && touch $@

$(MANS): $(O)/man/%: $(O)/man/stamp
	$(call msg,SCDOC,$@)
	$(Q)$(if $(shell command -v scdoc),,$(error scdoc not found: install the Debian package scdoc))
	$(Q)scdoc <$(O)/man/$*.scd >$@

# The units name the binary and the docs by their installed paths: the
# files in contrib/systemd say /usr/local, the installed ones $(PREFIX).
UNITS := xdplb@.service xdplb-serve.service xdplb-audit@.service xdplb-audit@.timer
UNIT_SED := -e 's|/usr/local/sbin/|$(SBINDIR)/|g' -e 's|/usr/local/share/doc/xdplb/|$(DOCDIR)/|g'
DOC_DIRS := prometheus grafana examples
DOC_FILES := README.md $(notdir $(wildcard docs/*.md)) \
	$(patsubst docs/%,%,$(wildcard docs/prometheus/*.yml docs/grafana/*.json)) \
	$(wildcard examples/*.json)

install: all man
	install -D -m 0755 $(O)/xdplb $(DESTDIR)$(SBINDIR)/xdplb
	install -d $(DESTDIR)$(UNITDIR)
	for u in $(UNITS); do \
		sed $(UNIT_SED) contrib/systemd/$$u >$(DESTDIR)$(UNITDIR)/$$u.tmp && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u.tmp && \
		mv $(DESTDIR)$(UNITDIR)/$$u.tmp $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -D -m 0644 $(O)/man/xdplb.8 $(DESTDIR)$(MANDIR)/man8/xdplb.8
	install -D -m 0644 $(O)/man/xdplb.json.5 $(DESTDIR)$(MANDIR)/man5/xdplb.json.5
	install -d $(addprefix $(DESTDIR)$(DOCDIR)/,$(DOC_DIRS))
	install -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 docs/prometheus/*.yml $(DESTDIR)$(DOCDIR)/prometheus/
	install -m 0644 docs/grafana/*.json $(DESTDIR)$(DOCDIR)/grafana/
	install -m 0644 examples/*.json $(DESTDIR)$(DOCDIR)/examples/

# Removes the files install put there (by name: DOCDIR may be shared), and
# the doc directories it leaves empty; never /etc/xdplb, /var/lib/xdplb or
# the pins.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/xdplb $(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS)) \
		$(DESTDIR)$(MANDIR)/man8/xdplb.8 $(DESTDIR)$(MANDIR)/man5/xdplb.json.5
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/,$(DOC_FILES))
	-rmdir $(addprefix $(DESTDIR)$(DOCDIR)/,$(DOC_DIRS)) $(DESTDIR)$(DOCDIR) 2>/dev/null

# A Debian package (debian/), built in a copy of the tree under $(O)/deb so
# that the worktree stays clean: $(O)/deb/xdplb_VERSION_ARCH.deb.
# DEB_JOBS: parallel jobs of the build (default 2).
DEB_JOBS ?= 2
deb:
	$(Q)tools/build-deb $(O) $(DEB_JOBS)

clean:
	$(Q)rm -rf $(O) $(ASAN_O)

help:
	@echo "make [O=build] [V=1]   build $(O)/xdplb"
	@echo "make test              unit + BPF + e2e tests (root)"
	@echo "make test-asan         unit, BPF and CLI e2e tests on an ASan+UBSan build (root)"
	@echo "make fuzz [FUZZ_SECONDS=60]  the libFuzzer targets, each for FUZZ_SECONDS"
	@echo "make bench | demo | docs | format | install | clean"

.PHONY: all test test-asan fuzz bench demo docs format install clean help
