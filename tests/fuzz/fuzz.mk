# tests/fuzz/fuzz.mk - libFuzzer targets, included by the top Makefile.
#
#   make fuzz-build                 every $(BUILD)/fuzz/fuzz_<target>
#   make fuzz [FUZZ_SECONDS=600]    a long run of fuzz_vapic; corpus in $(BUILD)/fuzz/corpus
#   make fuzz-long [SECONDS=600] [RUNS=10000000]
#                                   every target until RUNS executions or SECONDS, whichever
#                                   comes first, one after another, on one core;
#                                   corpora kept in $(BUILD)/fuzz/long/<target>
#   make fuzz-check                 the short bounded pass of make check (tests/check.sh --fuzz)
#   make fuzz-repro FUZZ_INPUT=f    replay one fuzz_vapic input, printing every operation
#   make fuzz-mutants               plant each bug of tests/fuzz/mutants.txt, expect the pass to catch it
#
# Needs clang with its libFuzzer runtime: Debian packages 'clang' and
# 'libclang-rt-dev' (Debian 12 without it: 'libclang-rt-14-dev'; only a
# Recommends of clang; tools/deps.sh --list names the one of this release).  Under
# `make check` a missing clang is not a build error: the build says so and
# tests/check.sh reports "FAIL: fuzz: ..." with the reason, so the other
# checks still run.  See tests/fuzz/README.md.

FUZZ_CC      := clang
FUZZ_DIR     := $(BUILD)/fuzz
# One target per tests/fuzz/fuzz_<name>.c; each includes the .c files it tests.
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_TARGETS))
FUZZ_BIN     := $(FUZZ_DIR)/fuzz_vapic
FUZZ_SECONDS ?= 600
SECONDS      ?= 600
RUNS         ?= 10000000
FUZZ_ARGS    ?=

# Flags with a reason:
#   -fsanitize=fuzzer        libFuzzer's main and coverage-guided mutation
#   -fsanitize=address,undefined -fno-sanitize-recover=all
#                            a memory error or UB in the code under test is a crash libFuzzer saves
#   -DLIB_HOSTED             lib/string.h: memset and friends come from the C library
#   -O1 -g -fno-omit-frame-pointer   speed, with readable stack traces
#   $(FUZZ_MUT)              -Ibuild/fuzz/mut/NAME before -I.: a mutated copy of a file
#                            under test (make fuzz-mutants); empty otherwise
FUZZ_CFLAGS = -std=gnu11 -O1 -g -Wall -Wextra -Werror $(FUZZ_MUT) -I. -DLIB_HOSTED \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -MMD -MP

# The libFuzzer runtime where clang finds it (-print-file-name prints the bare
# name when it is absent): libclang_rt.fuzzer-x86_64.a in lib/linux (Debian 12
# and 13), or libclang_rt.fuzzer.a in a per-target folder.  The package of
# this release:
FUZZ_RT_PKG = $$(./tools/deps.sh --list | grep '^libclang-rt')
FUZZ_HAVE_RT = for n in libclang_rt.fuzzer-x86_64.a libclang_rt.fuzzer.a; do \
		f=$$($(FUZZ_CC) -print-file-name=$$n 2>/dev/null); \
		case $$f in /*) [ ! -e "$$f" ] || exit 0 ;; esac; \
	done; exit 1
FUZZ_TOOLCHECK = \
	if ! command -v $(FUZZ_CC) >/dev/null 2>&1; then \
		echo "fuzz: '$(FUZZ_CC)' not found: install the Debian packages 'clang' and '$(FUZZ_RT_PKG)'" >&2; \
		false; \
	elif ! ( $(FUZZ_HAVE_RT) ); then \
		echo "fuzz: $(FUZZ_CC) has no libFuzzer runtime (libclang_rt.fuzzer*.a): install the Debian package '$(FUZZ_RT_PKG)'" >&2; \
		false; \
	fi

# Under `make check` only: a missing toolchain leaves the binary unbuilt and check.sh reports it.
FUZZ_SOFT := $(filter check,$(MAKECMDGOALS))

.PHONY: fuzz fuzz-build fuzz-check fuzz-repro fuzz-long fuzz-mutants
fuzz-build: $(FUZZ_BINS)

# One translation unit each: fuzz_<name>.c includes the .c files under test
# (like tests/unit/test_vapic.c), so that a mutated copy found first on the
# include path replaces one of them.
$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c
	@mkdir -p $(dir $@)
	@$(FUZZ_TOOLCHECK) || { $(if $(FUZZ_SOFT),echo "fuzz: $@ not built; tests/check.sh will report FAIL: fuzz" >&2; exit 0,exit 1); }; \
	echo "$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $<"; \
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $<

# -max_len: a program of ~150 operations is enough to reach any state.
fuzz: $(FUZZ_BIN)
	@mkdir -p $(FUZZ_DIR)/corpus
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=1024 -timeout=10 \
		-artifact_prefix=$(FUZZ_DIR)/ -print_final_stats=1 $(FUZZ_ARGS) \
		$(FUZZ_DIR)/corpus tests/fuzz/corpus/vapic

fuzz-long: $(FUZZ_BINS)
	SECONDS_EACH=$(SECONDS) LONG_RUNS=$(RUNS) ./tests/fuzz/run.sh long $(FUZZ_TARGETS)

fuzz-check: $(FUZZ_BINS)
	./tests/check.sh --fuzz

fuzz-mutants: $(FUZZ_BINS)
	./tests/fuzz/mutants.sh

fuzz-repro: $(FUZZ_BIN)
	@test -n "$(FUZZ_INPUT)" || { echo "usage: make fuzz-repro FUZZ_INPUT=build/fuzz/crash-..." >&2; exit 2; }
	FUZZ_VAPIC_TRACE=1 $(FUZZ_BIN) $(FUZZ_INPUT)

-include $(FUZZ_BINS:=.d)
