/*
 * tests/unit/test_results.c - hv/results.c, the compact results that
 * end=save keeps in UEFI variables.  A failure means RESULTS.TXT on the
 * stick lacks a line the user needs (a FAIL, the verdict), holds noise, or
 * asks the firmware for more variable space than it has.
 */
#include <string.h>
#include "hv/results.h"
#include "lib/printf.h"
#include "tests/unit/unit.h"

static char text[64 * 1024];

static void feed(struct results *r, const char *s)
{
	results_feed(r, s, strlen(s));
}

TEST(results_keeps_the_compact_lines)
{
	struct results r;

	results_start(&r, text, sizeof(text));
	feed(&r, "[cpu0] INFO boot: config: tests=(default)\n");
	feed(&r, "== capability report ==\nCPU: AuthenticAMD family 0x17\nhost APIC: xAPIC mode\n");
	feed(&r, "== end of capability report ==\n[cpu0] INFO boot: calling ExitBootServices\n");
	feed(&r, "PASS: cpuid: vcpu0: fine\nFAIL: msr: vcpu1: expected 0x1, got 0x0\r\n");
	/* A line printed in two pieces is one line. */
	feed(&r, "SKIP: smp: needs 2 vCPUs");
	feed(&r, ", this run has 1 CPU\nEXITS: cpuid: cpuid=3\nMETRIC: cpuid.time_ms 12\n");
	feed(&r, "AVIC coverage: 0x401 causes: 1 2\nAVIC probe: xapic 0x80 TPR: read accel, write accel\n");
	feed(&r, "[cpu1] ERROR vcpu: something broke\n[cpu0] WARN acpi: meh\n");
	feed(&r, "SUMMARY: 3 tests, 1 unexpected failures, 1 skipped\nTest result: FAILURE\n");
	results_finish(&r);
	feed(&r, "FAIL: late: after the end\n");
	text[r.len] = 0;
	CHECK_STR_EQ("== capability report ==\nCPU: AuthenticAMD family 0x17\nhost APIC: xAPIC mode\n"
		     "== end of capability report ==\n"
		     "FAIL: msr: vcpu1: expected 0x1, got 0x0\n"
		     "SKIP: smp: needs 2 vCPUs, this run has 1 CPU\n"
		     "METRIC: cpuid.time_ms 12\n"
		     "AVIC coverage: 0x401 causes: 1 2\nAVIC probe: xapic 0x80 TPR: read accel, write accel\n"
		     "[cpu1] ERROR vcpu: something broke\n"
		     "SUMMARY: 3 tests, 1 unexpected failures, 1 skipped\nTest result: FAILURE\n", text);
	CHECK_EQ(0, r.cut_lines);
}

/* Too many lines: the end of the FAIL lines is cut, said so before SUMMARY, and the verdict stays. */
TEST(results_cuts_but_keeps_the_verdict)
{
	struct results r;
	char line[80];
	u32 cap = 4 * RESULTS_TAIL_RESERVE;

	results_start(&r, text, cap);
	for (int i = 0; i < 500; i++) {
		snprintf(line, sizeof(line), "FAIL: t%03d: vcpu0: expected 0x1, got 0x2\n", i);
		feed(&r, line);
	}
	feed(&r, "SUMMARY: 500 tests, 500 unexpected failures, 0 skipped\nTest result: FAILURE\n");
	results_finish(&r);
	text[r.len] = 0;
	CHECK(r.len <= cap);
	CHECK(r.cut_lines > 0);
	CHECK(strstr(text, "FAIL: t000: ") != NULL);
	CHECK(strstr(text, "FAIL: t499: ") == NULL);
	CHECK(strstr(text, "lines (") != NULL && strstr(text, "left out") < strstr(text, "SUMMARY: 500"));
	CHECK(r.len > 25 && !strcmp(text + r.len - 21, "Test result: FAILURE\n"));
}

TEST(results_plan_fits_the_store)
{
	u32 chunk = 0, cap = 0;

	/* OVMF-like: 33 KiB variables, 200 KiB free. */
	CHECK_EQ(0, results_plan(0x8400, 200 * 1024, &chunk, &cap));
	CHECK_EQ(RESULTS_CHUNK_MAX, chunk);
	CHECK_EQ(RESULTS_TEXT_MAX, cap);
	/* Small variables, little room: chunk follows the variable size, the text what is free. */
	CHECK_EQ(0, results_plan(1024, RESULTS_STORE_KEEP + 10 * 1024, &chunk, &cap));
	CHECK_EQ(1024 - RESULTS_VAR_OVERHEAD, chunk);
	CHECK_EQ(10 * 1024 / 1024 * (1024 - RESULTS_VAR_OVERHEAD), cap);
	CHECK((u64)cap / chunk * 1024 <= 10 * 1024);
	/* Not enough: refused. */
	CHECK_EQ((u64)-1, results_plan(0x8400, RESULTS_STORE_KEEP + 1024, &chunk, &cap));
	CHECK_EQ((u64)-1, results_plan(RESULTS_VAR_OVERHEAD, 1 << 20, &chunk, &cap));
	CHECK_EQ((u64)-1, results_plan(0x8400, 100, &chunk, &cap));
}
