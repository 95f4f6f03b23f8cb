# tests/fuzz/fuzz.mk - libFuzzer targets, included by the top Makefile.
#
#   make fuzz-build                 $(BUILD)/fuzz/fuzz_vapic
#   make fuzz [FUZZ_SECONDS=600]    a long run; the corpus grows in $(BUILD)/fuzz/corpus
#   make fuzz-check                 the short bounded pass of make check (tests/check.sh --fuzz)
#   make fuzz-repro FUZZ_INPUT=f    replay one input, printing every operation
#
# Needs clang with its libFuzzer runtime: Debian packages 'clang' and
# 'libclang-rt-dev' (Debian 12 without it: 'libclang-rt-14-dev'; only a
# Recommends of clang; tools/deps.sh --list names the one of this release).  Under
# `make check` a missing clang is not a build error: the build says so and
# tests/check.sh reports "FAIL: fuzz: ..." with the reason, so the other
# checks still run.  See tests/fuzz/README.md.

FUZZ_CC      := clang
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_BIN     := $(FUZZ_DIR)/fuzz_vapic
FUZZ_SECONDS ?= 600
FUZZ_ARGS    ?=

# Flags with a reason:
#   -fsanitize=fuzzer        libFuzzer's main and coverage-guided mutation
#   -fsanitize=address,undefined -fno-sanitize-recover=all
#                            a memory error or UB in vapic.c is a crash libFuzzer saves
#   -DLIB_HOSTED             lib/string.h: memset and friends come from the C library
#   -O1 -g -fno-omit-frame-pointer   speed, with readable stack traces
FUZZ_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -I. -DLIB_HOSTED \
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

.PHONY: fuzz fuzz-build fuzz-check fuzz-repro
fuzz-build: $(FUZZ_BIN)

# One translation unit: fuzz_vapic.c includes avic/vapic.c.
$(FUZZ_BIN): tests/fuzz/fuzz_vapic.c
	@mkdir -p $(dir $@)
	@$(FUZZ_TOOLCHECK) || { $(if $(FUZZ_SOFT),echo "fuzz: $@ not built; tests/check.sh will report FAIL: fuzz" >&2; exit 0,exit 1); }; \
	echo "$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $<"; \
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $<

# -max_len: a program of ~150 operations is enough to reach any state.
fuzz: $(FUZZ_BIN)
	@mkdir -p $(FUZZ_DIR)/corpus
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=1024 -timeout=10 \
		-artifact_prefix=$(FUZZ_DIR)/ -print_final_stats=1 $(FUZZ_ARGS) \
		$(FUZZ_DIR)/corpus tests/fuzz/corpus

fuzz-check: $(FUZZ_BIN)
	./tests/check.sh --fuzz

fuzz-repro: $(FUZZ_BIN)
	@test -n "$(FUZZ_INPUT)" || { echo "usage: make fuzz-repro FUZZ_INPUT=build/fuzz/crash-..." >&2; exit 2; }
	FUZZ_VAPIC_TRACE=1 $(FUZZ_BIN) $(FUZZ_INPUT)

-include $(FUZZ_BIN).d
