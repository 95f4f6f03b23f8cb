/*
 * tests/unit/test_verdict.c - tools/verdict_lib.c, the parser that turns a
 * run's serial log into run.sh's verdict.  A failure here means run.sh can
 * call a broken run green (or a good one red): every rule of the results
 * contract (tools/verdict.h) has a case.
 */
#include <stdlib.h>
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

/* --- JUnit XML (verdict_junit) ---------------------------------------------- */

static char *junit_of(const char *log, const struct verdict_junit_opts *o)
{
	size_t len = 0;
	char *x = verdict_junit(log, strlen(log), o, &len);

	CHECK(x != NULL);
	CHECK_EQ(strlen(x), len);
	return x;
}

static unsigned count_of(const char *s, const char *part)
{
	unsigned n = 0;

	for (const char *q = s; (q = strstr(q, part)) != NULL; q += strlen(part))
		n++;
	return n;
}

/* Every byte is one XML 1.0 allows where it stands: no C0 control but TAB and LF, no ESC, no CR. */
static bool xml_bytes_ok(const char *x)
{
	for (const unsigned char *u = (const unsigned char *)x; *u; u++)
		if (*u < 0x20 && *u != '\n' && *u != '\t')
			return false;
	return true;
}

/*
 * The element <tag ...> at or after the first 'from' in x, from its start tag
 * to its end tag (exclusive), or to its "/>" when it is empty.
 */
static const char *element(const char *x, const char *from, const char *tag, char *out, size_t size)
{
	const char *s = strstr(x, from), *e;
	size_t n = strlen(tag);

	CHECK(s != NULL);
	for (;;) {
		s = strchr(s, '<');
		CHECK(s != NULL);
		if (strncmp(s + 1, tag, n) == 0 && (s[1 + n] == ' ' || s[1 + n] == '>'))
			break;
		s++;
	}
	e = strchr(s, '>');
	CHECK(e != NULL);
	if (e[-1] == '/') {
		e--;
	} else {
		for (e = s; (e = strstr(e, "</")) != NULL; e += 2)
			if (strncmp(e + 2, tag, n) == 0 && e[2 + n] == '>')
				break;
		CHECK(e != NULL);
	}
	CHECK((size_t)(e - s) < size);
	memcpy(out, s, (size_t)(e - s));
	out[e - s] = '\0';
	return out;
}

#define PLAN_LOG                                                                                  \
	OVMF_NOISE                                                                                \
	"\x1b[0m[cpu0] INFO plan: 3 tests on 1 CPU\r\n"                                            \
	"[cpu0] INFO test: cpuid: CPUID is filtered (1 vCPU)\r\n"                                 \
	"PASS: cpuid: leaf 1 ok\r\n"                                                               \
	"PASS: cpuid: leaf 2 ok\r\n"                                                               \
	"EXITS: cpuid: cpuid=6\r\n"                                                                \
	"METRIC: cpuid.time_ms 1234\r\n"                                                          \
	"[cpu0] INFO test: fail_on_purpose: reports a FAIL on purpose (1 vCPU)\r\n"               \
	"[guest fail_on_purpose/0] deliberate\r\n"                                                 \
	"FAIL: fail_on_purpose: 1 + 1 (expected 0x3, got 0x2)\r\n"                                 \
	"FAIL: fail_on_purpose: again <&> (expected \"a\", got 'b')\r\n"                           \
	"EXITS: fail_on_purpose: ioio=127\r\n"                                                     \
	"APIC: fail_on_purpose: accesses=3 refused=0\r\n"                                          \
	"SKIP: apic_storm: needs 4 vCPUs, this run has 1 CPU\r\n"

TEST(verdict_junit_pass_fail_skip)
{
	static const char *const props[] = { "qemu.version=QEMU emulator version 7.2.19", "run.smp=1" };
	struct verdict_junit_opts o = {
		.classname = "avic-hv.soft", .run_verdict = VERDICT_NONE, .time_ms = 4077,
		.timestamp = "2026-12-06T20:56:31", .props = props, .nr_props = 2,
	};
	char *x = junit_of(PLAN_LOG "SUMMARY: 3 tests, 1 unexpected failures, 1 skipped\r\n"
			   "Test result: FAILURE\r\n", &o);
	char buf[2048];

	CHECK(strncmp(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"avic-hv\" tests=\"3\" "
		      "failures=\"1\" errors=\"0\" skipped=\"1\" time=\"4.077\" timestamp=\"2026-12-06T20:56:31\">\n", 140) == 0);
	CHECK_EQ(3, count_of(x, "<testcase "));
	CHECK_EQ(1, count_of(x, "<failure "));
	CHECK_EQ(1, count_of(x, "<skipped "));
	CHECK_EQ(0, count_of(x, "<error "));
	CHECK_EQ(3, count_of(x, "classname=\"avic-hv.soft\""));
	CHECK(strstr(x, "<property name=\"qemu.version\" value=\"QEMU emulator version 7.2.19\"/>") != NULL);
	CHECK(strstr(x, "<property name=\"run.smp\" value=\"1\"/>") != NULL);
	CHECK(strstr(x, "<property name=\"verdict\" value=\"FAILURE\"/>") != NULL);
	CHECK(strstr(x, "<property name=\"summary\" value=\"SUMMARY: 3 tests, 1 unexpected failures, 1 skipped\"/>") != NULL);
	CHECK(xml_bytes_ok(x));

	/* cpuid: its part of the log, nothing of the next test's. */
	element(x, "<testcase name=\"cpuid\"", "testcase", buf, sizeof(buf));
	CHECK(strstr(buf, "classname=\"avic-hv.soft\" time=\"1.234\" assertions=\"2\">") != NULL);
	CHECK(strstr(buf, "<system-out>[cpu0] INFO test: cpuid: CPUID is filtered (1 vCPU)\nPASS: cpuid: leaf 1 ok\n"
			  "PASS: cpuid: leaf 2 ok\nEXITS: cpuid: cpuid=6\nMETRIC: cpuid.time_ms 1234\n</system-out>") != NULL);
	CHECK(strstr(buf, "<failure") == NULL && strstr(buf, "<skipped") == NULL);

	/* fail_on_purpose: the first FAIL as message, all FAIL lines as text, escaped. */
	element(x, "<testcase name=\"fail_on_purpose\"", "failure", buf, sizeof(buf));
	CHECK_STR_EQ("<failure message=\"1 + 1 (expected 0x3, got 0x2)\" type=\"FAIL\">"
		     "FAIL: fail_on_purpose: 1 + 1 (expected 0x3, got 0x2)\n"
		     "FAIL: fail_on_purpose: again &lt;&amp;&gt; (expected &quot;a&quot;, got &apos;b&apos;)\n", buf);
	element(x, "<testcase name=\"fail_on_purpose\"", "system-out", buf, sizeof(buf));
	CHECK(strstr(buf, "[guest fail_on_purpose/0] deliberate\n") != NULL);
	CHECK(strstr(buf, "APIC: fail_on_purpose: accesses=3 refused=0\n") != NULL);   /* after EXITS, still its own */
	CHECK(strstr(buf, "SKIP:") == NULL);

	/* apic_storm never started: skipped, its SKIP line its whole part. */
	element(x, "<testcase name=\"apic_storm\"", "testcase", buf, sizeof(buf));
	CHECK(strstr(buf, " time=") == NULL);         /* no METRIC line: no time */
	element(x, "<testcase name=\"apic_storm\"", "skipped", buf, sizeof(buf));
	CHECK_STR_EQ("<skipped message=\"needs 4 vCPUs, this run has 1 CPU\">"
		     "SKIP: apic_storm: needs 4 vCPUs, this run has 1 CPU\n", buf);
	element(x, "<testcase name=\"apic_storm\"", "system-out", buf, sizeof(buf));
	CHECK_STR_EQ("<system-out>SKIP: apic_storm: needs 4 vCPUs, this run has 1 CPU\n", buf);

	/* The suite's own part: boot and the end of the plan, no escapes, no CR. */
	element(x, "</testcase>\n  <system-out>", "system-out", buf, sizeof(buf));
	CHECK(strstr(buf, "BdsDxe: failed to load Boot0001 &quot;UEFI QEMU DVD-ROM") == buf + strlen("<system-out>"));
	CHECK(strstr(buf, "[cpu0] INFO plan: 3 tests on 1 CPU\nSUMMARY:") != NULL);
	CHECK(strstr(buf, "Test result: FAILURE\n") != NULL);
	CHECK(strstr(buf, "INFO test:") == NULL);
	free(x);
}

TEST(verdict_junit_escapes_everything_xml_cannot_hold)
{
	/* ESC sequences, CR, BEL, NUL-free controls, DEL, bad UTF-8, a surrogate, U+FFFE; good UTF-8 stays. */
	static const char log[] =
		"[cpu0] INFO test: cpuid: x (1 vCPU)\n"
		"PASS: cpuid: a\x1b[31mred\x1b[0m\x07 bell\x01\x08\x0b\x0c\x1f tab\there\r\n"
		"PASS: cpuid: bytes \xff\xfe \xc0\xaf \xed\xa0\x80 \xef\xbf\xbe \xc3 end\n"
		"PASS: cpuid: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \x7f ]]> done\n"
		"FAIL: cpuid: msg with \"quotes\" & <tags>\ttab (expected 1, got 2)\n"
		"EXITS: cpuid: cpuid=1\n"
		"SUMMARY: 1 tests, 1 unexpected failures, 0 skipped\nTest result: FAILURE\n";
	static const char *const props[] = { "odd=<\"&'>\x01\tend" };
	struct verdict_junit_opts o = { .run_verdict = VERDICT_NONE, .suite = "s&<", .props = props, .nr_props = 1 };
	char *x = junit_of(log, &o);

	CHECK(xml_bytes_ok(x));
	CHECK(strstr(x, "<testsuite name=\"s&amp;&lt;\"") != NULL);
	CHECK(strstr(x, "<property name=\"odd\" value=\"&lt;&quot;&amp;&apos;&gt;\xef\xbf\xbd&#9;end\"/>") != NULL);
	/* Escape sequences removed, BEL and other controls replaced, TAB kept in text. */
	CHECK(strstr(x, "PASS: cpuid: ared\xef\xbf\xbd bell\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
			" tab\there\n") != NULL);
	/* Each byte of a bad sequence is one U+FFFD. */
	CHECK(strstr(x, "bytes \xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd "
			"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd end\n") != NULL);
	CHECK(strstr(x, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \x7f ]]&gt; done\n") != NULL);
	/* In an attribute, TAB is a reference (attribute values are normalised). */
	CHECK(strstr(x, "<failure message=\"msg with &quot;quotes&quot; &amp; &lt;tags&gt;&#9;tab (expected 1, got 2)\"")
	      != NULL);
	CHECK(strstr(x, "\x1b") == NULL && strstr(x, "\r") == NULL);
	free(x);
}

TEST(verdict_junit_crash_inside_a_test)
{
	/* The run stops in apic_ipi: no EXITS line, no SUMMARY, no final line. */
	char *x = junit_of(OVMF_NOISE "[cpu0] INFO test: cpuid: c (2 vCPUs)\nPASS: cpuid: ok\nEXITS: cpuid: x=1\n"
			   "[cpu0] INFO test: apic_ipi: fixed IPIs (2 vCPUs)\nPASS: apic_ipi: one\n"
			   "FAIL: apic_ipi: two (expected 1, got 0)\n[guest apic_ipi/1] waiting for", NULL);
	char buf[2048];

	CHECK(xml_bytes_ok(x));
	CHECK(strstr(x, "tests=\"2\" failures=\"0\" errors=\"1\" skipped=\"0\"") != NULL);
	CHECK_EQ(1, count_of(x, "<error "));
	CHECK_EQ(0, count_of(x, "<failure "));
	CHECK(strstr(x, "<property name=\"verdict\" value=\"CRASH\"/>") != NULL);
	CHECK(strstr(x, "name=\"run\"") == NULL);
	element(x, "<testcase name=\"apic_ipi\"", "error", buf, sizeof(buf));
	CHECK(strstr(buf, "message=\"CRASH: no &apos;Test result:&apos; line: the run ended early\" type=\"CRASH\">") != NULL);
	CHECK(strstr(buf, "while this test was running") != NULL);
	CHECK(strstr(buf, "Last line on the serial console: [guest apic_ipi/1] waiting for\n") != NULL);
	CHECK(strstr(buf, "FAIL: apic_ipi: two (expected 1, got 0)\n") != NULL);    /* its FAIL lines too */
	element(x, "<testcase name=\"apic_ipi\"", "system-out", buf, sizeof(buf));
	CHECK(strstr(buf, "[guest apic_ipi/1] waiting for\n") != NULL);             /* the cut last line */
	free(x);
}

TEST(verdict_junit_crash_or_error_outside_a_test)
{
	char buf[2048];
	/* Before any test: the boot ended. */
	char *x = junit_of("run.sh: QEMU: QEMU emulator version 7.2.22\n" OVMF_NOISE
			   "[cpu0] INFO boot: read \\EFI\\BOOT\\HV.CFG\n", NULL);

	CHECK(strstr(x, "tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\"") != NULL);
	element(x, "<testcase name=\"run\"", "error", buf, sizeof(buf));
	CHECK(strstr(buf, "type=\"CRASH\"") != NULL);
	CHECK(strstr(buf, "The run ended outside a test.") != NULL);
	CHECK(strstr(buf, "serial console: [cpu0] INFO boot: read \\EFI\\BOOT\\HV.CFG\n") != NULL);
	free(x);

	/* No console output at all: no "last line", run.sh's own lines are not one. */
	x = junit_of("run.sh: QEMU: QEMU emulator version 7.2.22\nrun.sh: command: qemu\n", NULL);
	element(x, "<testcase name=\"run\"", "error", buf, sizeof(buf));
	CHECK(strstr(buf, "Last line") == NULL);
	free(x);

	/* The hypervisor reports ERROR before the plan: the run testcase says why. */
	x = junit_of("[cpu0] ERROR plan: no test matches tests=zzz\n"
		     "SUMMARY: 0 tests, 0 unexpected failures, 0 skipped\nTest result: ERROR\n", NULL);
	CHECK(xml_bytes_ok(x));
	CHECK(strstr(x, "tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\"") != NULL);
	element(x, "<testcase name=\"run\"", "error", buf, sizeof(buf));
	CHECK(strstr(buf, "message=\"ERROR; last error: [cpu0] ERROR plan: no test matches tests=zzz\" type=\"ERROR\"") != NULL);
	free(x);

	/* A panic inside a test: that test has the error, with the panic line. */
	x = junit_of("[cpu0] INFO test: msr: m (1 vCPU)\nPASS: msr: a\n[cpu0] PANIC hv/exits.c:12: bad <state>\n"
		     "Test result: ERROR\n", NULL);
	CHECK(strstr(x, "tests=\"1\" failures=\"0\" errors=\"1\"") != NULL);
	element(x, "<testcase name=\"msr\"", "error", buf, sizeof(buf));
	CHECK(strstr(buf, "last error: [cpu0] PANIC hv/exits.c:12: bad &lt;state&gt;") != NULL);
	free(x);

	/* Between two tests (after EXITS): the run testcase, the finished test stays green. */
	x = junit_of("[cpu0] INFO test: msr: m (1 vCPU)\nPASS: msr: a\nEXITS: msr: msr=1\n", NULL);
	CHECK(strstr(x, "tests=\"2\" failures=\"0\" errors=\"1\"") != NULL);
	CHECK(strstr(x, "<testcase name=\"run\"") != NULL);
	element(x, "<testcase name=\"msr\"", "testcase", buf, sizeof(buf));
	CHECK(strstr(buf, "<error") == NULL);
	free(x);
}

TEST(verdict_junit_run_verdict_from_the_caller)
{
	/* run.sh's TIMEOUT: the log itself only looks cut (CRASH). */
	struct verdict_junit_opts o = { .run_verdict = VERDICT_TIMEOUT, .reason = "QEMU was stopped after 600s (--timeout)" };
	char *x = junit_of("[cpu0] INFO test: apic_nmi: n (2 vCPUs)\nPASS: apic_nmi: a\n\n--- QEMU stderr ---\n"
			   "qemu-system-x86_64: terminating on signal 15 from pid 1 (timeout)\n", &o);
	char buf[2048];

	element(x, "<testcase name=\"apic_nmi\"", "error", buf, sizeof(buf));
	/* run.sh's block of QEMU's messages is not the serial console. */
	CHECK(strstr(buf, "Last line on the serial console: PASS: apic_nmi: a\n") != NULL);
	CHECK(strstr(buf, "message=\"TIMEOUT: QEMU was stopped after 600s (--timeout)\" type=\"TIMEOUT\"") != NULL);
	CHECK(strstr(x, "<property name=\"verdict.reason\" value=\"QEMU was stopped after 600s (--timeout)\"/>") != NULL);
	free(x);

	/* FAILURE that no test shows (QEMU's exit status disagreed with a green log): a failing run testcase. */
	o = (struct verdict_junit_opts){ .run_verdict = VERDICT_FAILURE, .reason = "debug-exit said FAILURE" };
	x = junit_of("[cpu0] INFO test: msr: m (1 vCPU)\nPASS: msr: a\nEXITS: msr: msr=1\n"
		     "SUMMARY: 1 tests, 0 unexpected failures, 0 skipped\nTest result: SUCCESS\n", &o);
	CHECK(strstr(x, "tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\"") != NULL);
	element(x, "<testcase name=\"run\"", "failure", buf, sizeof(buf));
	CHECK(strstr(buf, "message=\"FAILURE: debug-exit said FAILURE\" type=\"FAILURE\"") != NULL);
	free(x);

	/* SUCCESS: no extra testcase, and the log's own verdict when none is given. */
	x = junit_of("[cpu0] INFO test: msr: m (1 vCPU)\nPASS: msr: a\nEXITS: msr: msr=1\n"
		     "SUMMARY: 1 tests, 0 unexpected failures, 0 skipped\nTest result: SUCCESS\n", NULL);
	CHECK(strstr(x, "tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0.000\">") != NULL);
	CHECK(strstr(x, "<property name=\"verdict\" value=\"SUCCESS\"/>") != NULL);
	CHECK(strstr(x, "verdict.reason") == NULL);
	free(x);

	CHECK_EQ(VERDICT_TIMEOUT, verdict_from_any_name("TIMEOUT"));
	CHECK_EQ(VERDICT_CRASH, verdict_from_any_name("CRASH"));
	CHECK_EQ(VERDICT_NONE, verdict_from_any_name("NONE"));
	CHECK_EQ(VERDICT_NONE, verdict_from_any_name("timeout"));
}

TEST(verdict_junit_partial_skip_and_one_line_of_another_test)
{
	/* PASS and SKIP lines: the hypervisor counts it as run, not skipped. */
	char *x = junit_of("[cpu0] INFO test: apic_nmi: n (2 vCPUs)\nPASS: apic_nmi: a\n"
			   "SKIP: apic_nmi: STI shadow: QEMU 7.2 delivers inside it\n"
			   "[cpu0] INFO test: apic_nmi: vcpu1 waited for a STARTUP IPI until vcpu0 ended\n"
			   "EXITS: apic_nmi: nmi=2\n"
			   "SKIP: apic_storm: needs 4 vCPUs, this run has 2 CPUs\n"
			   "[cpu1] WARN lapic: between tests\n"
			   "SUMMARY: 2 tests, 0 unexpected failures, 1 skipped\nTest result: SUCCESS\n", NULL);
	char buf[2048];

	CHECK(strstr(x, "tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"1\"") != NULL);
	element(x, "<testcase name=\"apic_nmi\"", "testcase", buf, sizeof(buf));
	CHECK(strstr(buf, "<skipped") == NULL);
	CHECK(strstr(buf, "SKIP: apic_nmi: STI shadow") != NULL);           /* still in its system-out */
	CHECK(strstr(buf, "vcpu1 waited for a STARTUP IPI") != NULL);       /* same test, not a new one */
	CHECK_EQ(2, count_of(x, "<testcase "));
	/* After a never-started test's SKIP, lines belong to the suite again. */
	element(x, "</testcase>\n  <system-out>", "system-out", buf, sizeof(buf));
	CHECK(strstr(buf, "[cpu1] WARN lapic: between tests\n") != NULL);
	free(x);
}
