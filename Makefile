# SPDX-License-Identifier: ISC
#
# The only build file.  Run ./build.sh once on a fresh machine (packages and
# vendor sources); after that:
#
#   make               static, stripped musl binary ./ghrctl
#   make test          unit + integration tests, last line "N passed, N failed"
#   make test SAN=1    the same against an ASan+UBSan glibc build (build/san)
#   make test VALGRIND=1  integration runs under valgrind (glibc build/dev)
#   make fuzz [FUZZ_SECONDS=60]   libFuzzer on every target (clang), with
#                  coverage feedback; corpora grow in tests/fuzz/out
#   make fuzz-ci [FUZZ_CI_BUDGET=180]  every target from its seed corpus,
#                  the budget shared among them; fails on a crash, leak
#                  or timeout; prints coverage (cov/ft) per target
#   make lint          banned calls, headers alone, mandoc -Tlint, shellcheck
#   make mutate [M="pat ..."]  plant each bug of tests/mutants/ in a scratch
#                      copy, one at a time; its narrow tests, then the whole
#                      suite (build/dev) must fail; table in tests/MUTANTS.md
#   make mutate-check  every mutant still applies (patch --dry-run; CI)
#   make bench         bench/report
#   make install [PREFIX=/usr/local] [DESTDIR=]
#
# The builds live in their own object directories: build/rel (musl, -Os),
# build/dev (gcc, glibc, -O0 -g: unit tests, valgrind), build/san (clang,
# glibc, ASan+UBSan), build/tsan and build/fuzz (clang, libFuzzer coverage
# instrumentation plus ASan+UBSan; the fuzz targets in build/fuzz/bin).
# Sources in src/ are all compiled; main.c only goes into the program,
# everything else also into the unit tests and tools.

VERSION		= 0.1.0
PREFIX		?= /usr/local
FUZZ_SECONDS	?= 30
FUZZ_CI_BUDGET	?= 180
FUZZ_JOBS	?= 2

BEARSSL_DIR	= vendor/bearssl
CJSON_DIR	= vendor/cjson
BEARSSL_VERSION	= $(shell awk '$$1 == "bearssl" { print $$2 }' vendor/deps.lock)
# The commit the binary was built from ("unknown" outside a git checkout);
# build/commit changes only when the commit does, and main.o depends on it.
GIT_COMMIT	:= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BUILD_DATE	:= $(shell date -u -d @$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || date +%s)} +%Y-%m-%d 2>/dev/null)

SRCS		= $(sort $(wildcard src/*.c))
LIB_SRCS	= $(filter-out src/main.c,$(SRCS))
HDRS		= $(wildcard src/*.h)
UNIT_SRCS	= $(sort $(wildcard tests/unit/*.c))
TOOL_SRCS	= $(sort $(wildcard tests/tools/*.c))
FUZZ_SRCS	= $(sort $(wildcard tests/fuzz/fuzz_*.c))
BEARSSL_SRCS	= $(sort $(shell find $(BEARSSL_DIR)/src -name '*.c' 2>/dev/null))

WARN		= -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
		  -Wpointer-arith -Wsign-compare -Wformat=2 -Wno-format-nonliteral \
		  -Werror=format-security
ifeq ($(WERROR),1)
WARN		+= -Werror
endif
DEFS		= -D_GNU_SOURCE -DGHRCTL_VERSION='"$(VERSION)"' \
		  -DGHRCTL_BUILD_DATE='"$(BUILD_DATE)"' \
		  -DGHRCTL_COMMIT='"$(GIT_COMMIT)"' \
		  -DGHRCTL_BEARSSL_VERSION='"$(BEARSSL_VERSION)"'
INCS		= -Isrc -I$(BEARSSL_DIR)/inc -I$(CJSON_DIR)

# Per-build compiler and flags.  The release build carries no unwind tables
# (plain C, nothing unwinds; .eh_frame was 31 KB of the binary).  -pthread:
# a runner listing fetches its pages on a second thread (src/github.c).
#
# Hardening as Debian's hardening=+all (issue 13): a static PIE (ASLR for
# the program too), -fstack-protector-strong (musl provides the canary and
# __stack_chk_fail), full RELRO with BIND_NOW, -Werror=format-security (in
# WARN, every build).  -D_FORTIFY_SOURCE=2 is set but has no effect here:
# musl ships no fortified headers, so no call becomes a *_chk call (checked
# by tests/integ/t0030-hardening.sh).  musl-gcc's specs know no
# -static-pie, so the link names musl's rcrt1.o (the self-relocating start
# file) and asks ld for a static PIE without a dynamic linker.
MUSL_LIBDIR	:= $(shell sed -n 's|.*-specs "\(.*\)/musl-gcc.specs".*|\1|p' \
		  "$$(command -v musl-gcc)" 2>/dev/null)
GCC_CRTDIR	:= $(dir $(shell musl-gcc -print-libgcc-file-name 2>/dev/null))
rel_CC		= musl-gcc
rel_CFLAGS	= -Os -ffunction-sections -fdata-sections -flto \
		  -fno-asynchronous-unwind-tables -fno-unwind-tables \
		  -fPIE -fstack-protector-strong -D_FORTIFY_SOURCE=2
rel_LDFLAGS	= -pthread -nostartfiles \
		  -Wl,-static,-pie,--no-dynamic-linker,-z,text \
		  -Wl,-z,relro,-z,now -Wl,--gc-sections -s -Os -flto=2
rel_CRT0	= $(MUSL_LIBDIR)/rcrt1.o $(MUSL_LIBDIR)/crti.o \
		  $(GCC_CRTDIR)crtbeginS.o
rel_CRTN	= $(GCC_CRTDIR)crtendS.o $(MUSL_LIBDIR)/crtn.o
dev_CC		= gcc
dev_CFLAGS	= -O0 -g -DGHRCTL_PLAIN_MALLOC
dev_LDFLAGS	= -pthread
san_CC		= clang
san_CFLAGS	= -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
		  -fno-sanitize-recover=all -DBR_LE_UNALIGNED=0 -DBR_BE_UNALIGNED=0 \
		  -DGHRCTL_PLAIN_MALLOC
san_LDFLAGS	= -pthread -fsanitize=address,undefined
tsan_CC		= clang
tsan_CFLAGS	= -O1 -g -fsanitize=thread -DGHRCTL_PLAIN_MALLOC
tsan_LDFLAGS	= -pthread -fsanitize=thread
# Coverage for libFuzzer (-fsanitize=fuzzer-no-link) on every object of
# src/ and cJSON, so the fuzzer sees which edges an input reached; without
# it libFuzzer mutates blind.  BearSSL comes from build/san (ASan, no
# coverage): the targets fuzz our code, and it saves a second BearSSL build.
fuzz_CC		= clang
fuzz_CFLAGS	= -O1 -g -fno-omit-frame-pointer \
		  -fsanitize=fuzzer-no-link,address,undefined \
		  -fno-sanitize-recover=all -DBR_LE_UNALIGNED=0 -DBR_BE_UNALIGNED=0 \
		  -DGHRCTL_PLAIN_MALLOC
fuzz_LDFLAGS	= -pthread -fsanitize=fuzzer,address,undefined

.PHONY: all test unit integ fuzz fuzz-ci lint bench twin demo install clean distclean vendor-check \
    mutate mutate-check

# Keep intermediate objects: make must not delete one (tests/fuzz/replay.o)
# that a parallel job is about to link.
.PRECIOUS: build/rel/obj/tests/%.o build/dev/obj/tests/%.o \
    build/san/obj/tests/%.o build/tsan/obj/tests/%.o build/fuzz/obj/tests/%.o

all: ghrctl

vendor-check:
	@test -f $(BEARSSL_DIR)/inc/bearssl.h && test -f $(CJSON_DIR)/cJSON.c || \
	    { echo "make: vendor sources missing: run ./build.sh (or sh vendor/fetch.sh)" >&2; exit 1; }

build/commit: FORCE
	@mkdir -p build
	@echo '$(GIT_COMMIT)' | cmp -s - $@ || echo '$(GIT_COMMIT)' >$@

.PHONY: FORCE
FORCE:

# $(call BUILD,variant): objects, libraries, program, unit runner, tools.
define BUILD
build/$(1)/obj/src/%.o: src/%.c $(HDRS) | vendor-check
	@mkdir -p $$(dir $$@)
	@echo "  CC [$(1)] $$<"
	@$$($(1)_CC) -std=c11 $$(WARN) $$(DEFS) $$(INCS) $$($(1)_CFLAGS) -c $$< -o $$@

build/$(1)/obj/tests/%.o: tests/%.c $(HDRS) $(wildcard tests/unit/*.h) | vendor-check
	@mkdir -p $$(dir $$@)
	@echo "  CC [$(1)] $$<"
	@$$($(1)_CC) -std=c11 $$(WARN) $$(DEFS) $$(INCS) -Itests/unit $$($(1)_CFLAGS) -c $$< -o $$@

build/$(1)/obj/bearssl/%.o: $(BEARSSL_DIR)/src/%.c | vendor-check
	@mkdir -p $$(dir $$@)
	@$$($(1)_CC) -I$(BEARSSL_DIR)/inc -I$(BEARSSL_DIR)/src $$($(1)_CFLAGS) -c $$< -o $$@

build/$(1)/libbearssl.a: $(patsubst $(BEARSSL_DIR)/src/%.c,build/$(1)/obj/bearssl/%.o,$(BEARSSL_SRCS))
	@rm -f $$@
	@ar rcs $$@ $$^
	@echo "  AR $$@ ($$(words $$^) objects)"

build/$(1)/obj/cJSON.o: $(CJSON_DIR)/cJSON.c | vendor-check
	@mkdir -p $$(dir $$@)
	$$($(1)_CC) -std=c89 -DCJSON_NESTING_LIMIT=64 $$($(1)_CFLAGS) -c $$< -o $$@

build/$(1)/libghrctl.a: $(patsubst %.c,build/$(1)/obj/%.o,$(LIB_SRCS)) build/$(1)/obj/cJSON.o
	@rm -f $$@
	@ar rcs $$@ $$^

build/$(1)/obj/src/main.o: build/commit

build/$(1)/ghrctl: build/$(1)/obj/src/main.o build/$(1)/libghrctl.a build/$(1)/libbearssl.a
	$$($(1)_CC) $$($(1)_CFLAGS) $$($(1)_CRT0) $$^ $$($(1)_LDFLAGS) \
	    $$($(1)_CRTN) -o $$@

build/$(1)/unit: $(patsubst %.c,build/$(1)/obj/%.o,$(UNIT_SRCS)) build/$(1)/libghrctl.a build/$(1)/libbearssl.a
	$$($(1)_CC) $$($(1)_CFLAGS) $$($(1)_CRT0) $$^ $$($(1)_LDFLAGS) \
	    $$($(1)_CRTN) -o $$@

build/$(1)/tools/%: build/$(1)/obj/tests/tools/%.o build/$(1)/libghrctl.a build/$(1)/libbearssl.a
	@mkdir -p $$(dir $$@)
	$$($(1)_CC) $$($(1)_CFLAGS) $$($(1)_CRT0) $$^ $$($(1)_LDFLAGS) \
	    $$($(1)_CRTN) -o $$@

build/$(1)/fuzz-replay/%: build/$(1)/obj/tests/fuzz/%.o build/$(1)/obj/tests/fuzz/replay.o build/$(1)/libghrctl.a build/$(1)/libbearssl.a
	@mkdir -p $$(dir $$@)
	$$($(1)_CC) $$($(1)_CFLAGS) $$($(1)_CRT0) $$^ $$($(1)_LDFLAGS) \
	    $$($(1)_CRTN) -o $$@

$(1)-all: build/$(1)/ghrctl build/$(1)/unit \
    $(patsubst tests/tools/%.c,build/$(1)/tools/%,$(TOOL_SRCS)) \
    $(patsubst tests/fuzz/%.c,build/$(1)/fuzz-replay/%,$(FUZZ_SRCS))
.PHONY: $(1)-all
endef

$(eval $(call BUILD,rel))
$(eval $(call BUILD,dev))
$(eval $(call BUILD,san))
$(eval $(call BUILD,tsan))
$(eval $(call BUILD,fuzz))

ghrctl: build/rel/ghrctl
	cp build/rel/ghrctl $@

# Tests.  The program under test: the release binary, or the sanitizer
# (SAN=1: ASan+UBSan; TSAN=1: ThreadSanitizer, for the page fetcher
# thread) or glibc debug build.  Unit tests, tools and fuzz replays always use a glibc
# build (dev, or san with SAN=1).
ifeq ($(SAN),1)
TEST_VARIANT	= san
TEST_BIN	= build/san/ghrctl
else ifeq ($(TSAN),1)
TEST_VARIANT	= tsan
TEST_BIN	= build/tsan/ghrctl
else ifeq ($(VALGRIND),1)
TEST_VARIANT	= dev
TEST_BIN	= build/dev/ghrctl
else
TEST_VARIANT	= dev
TEST_BIN	= ghrctl
endif

test: $(TEST_BIN) $(TEST_VARIANT)-all
	@GHRCTL_BIN=$(CURDIR)/$(TEST_BIN) GHRCTL_BUILD=$(CURDIR)/build/$(TEST_VARIANT) \
	    TSAN_OPTIONS="halt_on_error=1 exitcode=99 $${TSAN_OPTIONS:-}" \
	    VALGRIND=$(VALGRIND) SAN=$(SAN) sh tests/run.sh $(T)

unit: $(TEST_VARIANT)-all
	@build/$(TEST_VARIANT)/unit $(T)

# libFuzzer targets: each target's object and the library instrumented for
# coverage (build/fuzz), linked with libFuzzer's main.  tests/fuzz/run.sh
# runs them FUZZ_JOBS at a time and reports cov/ft per target.
FUZZ_BINS	= $(patsubst tests/fuzz/%.c,build/fuzz/bin/%,$(FUZZ_SRCS))
build/fuzz/bin/%: build/fuzz/obj/tests/fuzz/%.o build/fuzz/libghrctl.a build/san/libbearssl.a
	@mkdir -p $(dir $@)
	$(fuzz_CC) $(fuzz_CFLAGS) $^ $(fuzz_LDFLAGS) -o $@

fuzz: $(FUZZ_BINS)
	@sh tests/fuzz/run.sh -s $(FUZZ_SECONDS) -j $(FUZZ_JOBS) \
	    -o tests/fuzz/out $(FUZZ_BINS)

fuzz-ci: $(FUZZ_BINS)
	@sh tests/fuzz/run.sh -b $(FUZZ_CI_BUDGET) -j $(FUZZ_JOBS) $(FUZZ_BINS)

# Mutation testing (tests/mutate.sh): sequential and niced, about 30 min.
mutate: vendor-check
	@nice -n 10 sh tests/mutate.sh "$(M)"

mutate-check:
	@sh tests/mutate.sh --check

lint: dev-all
	@sh tests/lint.sh

bench: ghrctl dev-all
	@sh bench/report

# The lifecycle twin (bench/twin): the standard scenarios at time scale 1,
# then their REST-polling baselines side by side, the table written into
# bench/RESULTS.md (19 minutes on two cores).
twin: ghrctl
	@TWIN_COMMAND="make twin" nice -n 10 sh bench/twin/twin --all --baselines \
	    --results bench/RESULTS.md --json bench/twin/last.json

# A scripted day in fast motion against the twin, in the terminal.
demo: ghrctl
	@sh bench/twin/twin --demo --time-scale 0.25

install: ghrctl
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/man/man5 \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	    $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	    $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 0755 ghrctl $(DESTDIR)$(PREFIX)/bin/ghrctl
	install -m 0644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 man/*.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 0644 completions/ghrctl.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/ghrctl
	install -m 0644 completions/_ghrctl $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_ghrctl
	install -m 0644 completions/ghrctl.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/ghrctl.fish

clean:
	rm -rf build ghrctl tests/fuzz/out

distclean: clean
	rm -rf vendor/bearssl vendor/cjson vendor/.apt vendor/.dl
