/*
 * tests/unit/test_verdict.c - tools/verdict_lib.c, the parser that turns a
 * run's serial log into run.sh's verdict.  A failure here means run.sh can
 * call a broken run green (or a good one red): every rule of the results
 * contract (tools/verdict.h) has a case.
 */
#include <string.h>
#include "tools/verdict.h"
#include "tests/unit/unit.h"

/* What OVMF really writes before the application starts (escapes, CR LF). */
#define OVMF_NOISE                                                                              \
	"\x1b[2J\x1b[01;01H\x1b[=3h\x1b[2J\x1b[01;01H\x1b[2J\x1b[01;01H\x1b[=3h\x1b[2J\x1b[01;01H" \
	"BdsDxe: failed to load Boot0001 \"UEFI QEMU DVD-ROM QM00005 \" from PciRoot(0x0): Not Found\r\n" \
	"BdsDxe: loading Boot0002 \"UEFI QEMU HARDDISK QM00001 \" from PciRoot(0x0)\r\n"        \
	"BdsDxe: starting Boot0002 \"UEFI QEMU HARDDISK QM00001 \" from PciRoot(0x0)\r\n"

static struct verdict_result parse(const char *log)
{
	struct verdict_result r;
	CHECK(verdict_parse(log, strlen(log), &r));
	return r;
}

static bool has_note(const struct verdict_result *r, const char *part)
{
	for (unsigned i = 0; i < r->nr_notes; i++)
		if (strstr(r->notes[i], part))
			return true;
	return false;
}

TEST(verdict_clean_success_with_ovmf_noise)
{
	struct verdict_result r = parse(OVMF_NOISE
		"\x1b[0m\x1b[37m\x1b[40m[cpu0] INFO svm: SVM revision 1, 16 ASIDs\n"
		"PASS: cpuid: hypervisor bit set\n"
		"[guest cpuid/0] hello\n"
		"EXITS: cpuid: cpuid=3 vmmcall=5\n"
		"METRIC: roundtrip_insns 95\n"
		"PASS: smp: vcpu 0\n"
		"SKIP: smp2: needs 2 vCPUs\n"
		"SUMMARY: 3 tests, 0 unexpected failures, 1 skipped\n"
		"Test result: SUCCESS\n");

	CHECK_EQ(VERDICT_SUCCESS, r.verdict);
	CHECK_EQ(2, r.pass);
	CHECK_EQ(0, r.fail);
	CHECK_EQ(1, r.skip);
	CHECK_EQ(1, r.exits);
	CHECK_EQ(1, r.metrics);
	CHECK_EQ(3, r.tests_seen);
	CHECK(r.summary_ok);
	CHECK_EQ(3, r.sum_tests);
	CHECK_EQ(1, r.sum_skip);
	CHECK_EQ(1, r.finals);
	CHECK_STR_EQ("", r.reason);
	CHECK_EQ(0, r.nr_notes);
	CHECK_EQ(0, verdict_exit_code(r.verdict));
}

TEST(verdict_escape_right_before_the_keyword)
{
	/* OVMF's last sequence can stick to the first hypervisor line. */
	struct verdict_result r = parse("\x1b[01;01HPASS: a: x\n\x1b(B\x1b]0;title\x07PASS: b: y\n"
					"SUMMARY: 2 tests, 0 unexpected failures, 0 skipped\n"
					"\x1b[0mTest result: SUCCESS\x1b[0m\r\n");
	CHECK_EQ(VERDICT_SUCCESS, r.verdict);
	CHECK_EQ(2, r.pass);
}

TEST(verdict_fail_lines)
{
	struct verdict_result r = parse("PASS: cpuid: ok\n"
					"FAIL: msr: EFER hides SVME (expected 0x0, got 0x1000)\n"
					"FAIL: msr: second (expected 1, got 2)\n"
					"SUMMARY: 2 tests, 1 unexpected failure, 0 skipped\n"
					"Test result: FAILURE\n");
	CHECK_EQ(VERDICT_FAILURE, r.verdict);
	CHECK_EQ(1, r.pass);
	CHECK_EQ(2, r.fail);
	CHECK_EQ(1, r.sum_fail);
	CHECK_EQ(0, r.nr_notes);
	CHECK_EQ(1, verdict_exit_code(r.verdict));
}

TEST(verdict_missing_final_line_is_crash)
{
	struct verdict_result r = parse(OVMF_NOISE "PASS: cpuid: ok\nPASS: portio: o");
	CHECK_EQ(VERDICT_CRASH, r.verdict);
	CHECK_EQ(2, r.pass);            /* the cut last line still counts */
	CHECK_EQ(0, r.finals);
	CHECK(strstr(r.reason, "no 'Test result:' line") != NULL);
	CHECK_EQ(3, verdict_exit_code(r.verdict));

	r = parse("");
	CHECK_EQ(VERDICT_CRASH, r.verdict);
	CHECK_EQ(0, r.lines);
}

TEST(verdict_two_final_lines_is_error)
{
	struct verdict_result r = parse("PASS: a: ok\nSUMMARY: 1 tests, 0 unexpected failures, 0 skipped\n"
					"Test result: SUCCESS\nTest result: SUCCESS\n");
	CHECK_EQ(VERDICT_ERROR, r.verdict);
	CHECK_EQ(2, r.finals);
	CHECK(strstr(r.reason, "2 'Test result:' lines") != NULL);
	CHECK_EQ(5, verdict_exit_code(r.verdict));
}

TEST(verdict_success_contradicted_by_fail_line)
{
	struct verdict_result r = parse("PASS: a: ok\nFAIL: b: bad (expected 1, got 0)\n"
					"SUMMARY: 2 tests, 0 unexpected failures, 0 skipped\n"
					"Test result: SUCCESS\n");
	CHECK_EQ(VERDICT_FAILURE, r.verdict);
	CHECK_EQ(VERDICT_SUCCESS, r.final_value);
	CHECK(strstr(r.reason, "SUCCESS but there is 1 FAIL line") != NULL);
	CHECK(has_note(&r, "SUMMARY reports 0 unexpected failures"));
}

TEST(verdict_success_contradicted_by_summary)
{
	struct verdict_result r = parse("PASS: a: ok\nSUMMARY: 2 tests, 1 unexpected failures, 0 skipped\n"
					"Test result: SUCCESS\n");
	CHECK_EQ(VERDICT_FAILURE, r.verdict);
	CHECK(strstr(r.reason, "SUMMARY reports 1 unexpected failure") != NULL);
	CHECK(has_note(&r, "no FAIL line"));
}

TEST(verdict_all_skipped)
{
	struct verdict_result r = parse(OVMF_NOISE "SKIP: smp: needs 2 vCPUs, the run has 1\r\n"
					"SKIP: cpuid: no SVM\r\n"
					"SUMMARY: 2 tests, 0 unexpected failures, 2 skipped\r\n"
					"Test result: SKIP\r\n");
	CHECK_EQ(VERDICT_SKIP, r.verdict);
	CHECK_EQ(2, r.skip);
	CHECK_EQ(0, r.nr_notes);
	CHECK_EQ(77, verdict_exit_code(r.verdict));
}

TEST(verdict_error_final_line)
{
	struct verdict_result r = parse("[cpu0] ERROR svm: no nested paging (CPUID 0x8000000A EDX bit 0)\n"
					"SUMMARY: 0 tests, 0 unexpected failures, 0 skipped\nTest result: ERROR\n");
	CHECK_EQ(VERDICT_ERROR, r.verdict);
	CHECK_STR_EQ("", r.reason);
}

TEST(verdict_crlf_everywhere)
{
	struct verdict_result r = parse("PASS: a: one\r\nPASS: b: two\r\r\n"
					"SUMMARY: 2 tests, 0 unexpected failures, 0 skipped\r\n"
					"Test result: SUCCESS\r\n");
	CHECK_EQ(VERDICT_SUCCESS, r.verdict);
	CHECK_EQ(2, r.pass);
	CHECK_EQ(2, r.tests_seen);
	CHECK_EQ(0, r.nr_notes);
}

TEST(verdict_keywords_only_at_line_start)
{
	struct verdict_result r = parse("[guest cpuid/0] PASS: cpuid: from the guest console\n"
					"[cpu1] INFO hv: FAIL: not a result\n"
					" PASS: indented\n"
					"xTest result: FAILURE\n"
					"pass: lower case\n"
					"PASS: a: real\n"
					"SUMMARY: 1 tests, 0 unexpected failures, 0 skipped\n"
					"Test result: SUCCESS\n");
	CHECK_EQ(VERDICT_SUCCESS, r.verdict);
	CHECK_EQ(1, r.pass);
	CHECK_EQ(0, r.fail);
	CHECK_EQ(1, r.finals);
}

TEST(verdict_unknown_final_word_is_error)
{
	struct verdict_result r = parse("PASS: a: ok\nTest result: MAYBE\n");
	CHECK_EQ(VERDICT_ERROR, r.verdict);
	CHECK(has_note(&r, "unknown final line"));
	CHECK(has_note(&r, "no SUMMARY"));
}

TEST(verdict_summary_inconsistencies_are_noted)
{
	struct verdict_result r = parse("PASS: a: ok\nPASS: b: ok\nPASS: c: ok\n"
					"SUMMARY: 2 tests, 0 unexpected failures, 1 skipped\n"
					"Test result: SUCCESS\nPASS: d: late\n");
	CHECK_EQ(VERDICT_SUCCESS, r.verdict);          /* notes alone do not change it */
	CHECK(has_note(&r, "no SKIP line"));
	CHECK(has_note(&r, "distinct tests"));
	CHECK(has_note(&r, "after the final line"));

	r = parse("PASS: a: ok\nSUMMARY: all good\nTest result: SUCCESS\n");
	CHECK(!r.summary_ok);
	CHECK(has_note(&r, "SUMMARY line not understood"));
	CHECK_EQ(VERDICT_SUCCESS, r.verdict);
}

TEST(verdict_fed_in_pieces)
{
	/* The same bytes in 1-byte chunks, cutting escapes and CR LF apart. */
	static const char log[] = OVMF_NOISE "\x1b[0mPASS: a: ok\r\nFAIL: b: x (expected 1, got 2)\r\n"
				  "SUMMARY: 2 tests, 1 unexpected failures, 0 skipped\r\nTest result: FAILURE\r\n";
	static struct verdict_parser p;

	verdict_init(&p);
	for (size_t i = 0; i < sizeof(log) - 1; i++)
		verdict_feed(&p, &log[i], 1);
	verdict_finish(&p);
	CHECK_EQ(VERDICT_FAILURE, p.r.verdict);
	CHECK_EQ(1, p.r.pass);
	CHECK_EQ(1, p.r.fail);
	CHECK_EQ(0, p.r.nr_notes);
}

TEST(verdict_long_line_and_binary_noise)
{
	static char log[8192];
	size_t n = 0;

	memcpy(log, "PASS: a: ", 9);
	n = 9;
	memset(log + n, 'x', 3000);     /* longer than VERDICT_LINE_MAX */
	n += 3000;
	static const char tail[] = "\n\0\xff\x01" "garbage\nSUMMARY: 1 tests, 0 unexpected failures, 0 skipped\n"
				   "Test result: SUCCESS\n";
	memcpy(log + n, tail, sizeof(tail) - 1);
	n += sizeof(tail) - 1;

	struct verdict_result r;
	CHECK(verdict_parse(log, n, &r));
	CHECK_EQ(VERDICT_SUCCESS, r.verdict);
	CHECK_EQ(1, r.pass);
}

TEST(verdict_strip_and_names)
{
	char s[] = "\x1b[2J\x1b[01;01HBdsDxe: x\r\n\x1b[=3hPASS: a\r\n";
	CHECK_EQ(strlen("BdsDxe: x\nPASS: a\n"), verdict_strip(s));
	CHECK_STR_EQ("BdsDxe: x\nPASS: a\n", s);

	CHECK_EQ(VERDICT_SUCCESS, verdict_from_name("SUCCESS"));
	CHECK_EQ(VERDICT_ERROR, verdict_from_name("ERROR"));
	CHECK_EQ(VERDICT_NONE, verdict_from_name("CRASH"));    /* never printed by the hypervisor */
	CHECK_EQ(VERDICT_NONE, verdict_from_name("success"));
	CHECK_STR_EQ("TIMEOUT", verdict_name(VERDICT_TIMEOUT));
	CHECK_EQ(4, verdict_exit_code(VERDICT_TIMEOUT));
}
