/*
 * tools/verdict.h - the results parser for a hypervisor run's serial log (host tool).
 *
 * The hypervisor's results contract on COM1 (see run.sh --help):
 *   PASS: <test>: <msg>          one line per check, at the start of a line
 *   FAIL: <test>: <msg> (expected X, got Y)
 *   SKIP: <test>: <reason>
 *   EXITS: <test>: ...  /  METRIC: <name> <value>      (counted, not judged)
 *   SUMMARY: <N> tests, <F> unexpected failures, <S> skipped
 *   Test result: SUCCESS|FAILURE|SKIP|ERROR            exactly once, last
 * OVMF writes to the same line before: ANSI escapes, CR LF.  Both are removed
 * before matching.
 *
 * The rules (the runner never trusts a SUCCESS that the lines contradict):
 *   no final line                           -> CRASH
 *   more than one final line                -> ERROR (the contract is broken)
 *   a final line with an unknown word       -> ERROR
 *   SUCCESS or SKIP, but FAIL lines or a
 *     SUMMARY with failures                 -> FAILURE
 *   otherwise                               -> what the final line says
 * SUMMARY counts that disagree with the lines are reported as notes.
 *
 * Pure logic, no I/O: feed it bytes in any chunks, then finish.
 *
 * verdict_junit() turns the same log into JUnit XML, one <testcase> per test
 * of the plan that ran.  A test's part of the log starts at the hypervisor's
 *   [cpuN] INFO test: <test>: <what it checks> (<n> vCPUs)
 * (hv/main.c, run_test) and ends where the next one starts or the plan ends
 * (the first "AVIC coverage:", "SUMMARY:" or "Test result:" line); a test
 * skipped for want of vCPUs has no such line, only its SKIP line.  Lines
 * before the first test and after the plan are the suite's <system-out>.
 * A testcase's time is its "METRIC: <test>.time_ms <ms>" line, if any.
 */
#ifndef TOOLS_VERDICT_H
#define TOOLS_VERDICT_H

#include <stddef.h>
#include <stdbool.h>

enum verdict {
	VERDICT_SUCCESS,
	VERDICT_FAILURE,
	VERDICT_SKIP,
	VERDICT_ERROR,
	VERDICT_CRASH,          /* no final line: the run ended early */
	VERDICT_TIMEOUT,        /* never produced by the parser; run.sh's */
	VERDICT_NONE,           /* only as "no final line seen" in final_value */
};

/* run.sh's exit codes. */
#define VERDICT_EXIT_SUCCESS  0
#define VERDICT_EXIT_FAILURE  1
#define VERDICT_EXIT_USAGE    2
#define VERDICT_EXIT_CRASH    3
#define VERDICT_EXIT_TIMEOUT  4
#define VERDICT_EXIT_ERROR    5
#define VERDICT_EXIT_SKIP     77

#define VERDICT_LINE_MAX   1024   /* longer lines are cut (still one line) */
#define VERDICT_NOTES_MAX  8
#define VERDICT_NOTE_LEN   160
#define VERDICT_NAMES_MAX  128    /* distinct test names remembered */
#define VERDICT_NAME_LEN   48

struct verdict_result {
	enum verdict verdict;
	unsigned pass, fail, skip;      /* PASS:/FAIL:/SKIP: lines */
	unsigned exits, metrics;        /* EXITS:/METRIC: lines */
	unsigned lines;                 /* all lines */
	unsigned tests_seen;            /* distinct <test> names in PASS/FAIL/SKIP lines */

	unsigned summaries;             /* SUMMARY: lines */
	bool summary_ok;                /* the last one parsed */
	unsigned sum_tests, sum_fail, sum_skip;

	unsigned finals;                /* "Test result:" lines */
	enum verdict final_value;       /* of the first one; VERDICT_NONE if none */
	unsigned lines_after_final;     /* contract lines (PASS/FAIL/SKIP/SUMMARY) after it */

	char reason[VERDICT_NOTE_LEN];  /* why the verdict differs from the final line, or "" */
	unsigned nr_notes;
	char notes[VERDICT_NOTES_MAX][VERDICT_NOTE_LEN];  /* inconsistencies worth a warning */
};

/* Line splitter and ANSI-escape state, plus the partial result. */
struct verdict_parser {
	struct verdict_result r;
	char line[VERDICT_LINE_MAX];
	size_t len;
	bool truncated;
	int esc;                        /* escape-sequence state (verdict_lib.c) */
	unsigned nr_names;
	char names[VERDICT_NAMES_MAX][VERDICT_NAME_LEN];
};

void verdict_init(struct verdict_parser *p);
void verdict_feed(struct verdict_parser *p, const char *buf, size_t len);
/* Ends the last line and applies the rules; p->r is then complete. */
void verdict_finish(struct verdict_parser *p);
/* All in one (the parser is large: allocates it). Returns false if out of memory. */
bool verdict_parse(const char *buf, size_t len, struct verdict_result *out);

const char *verdict_name(enum verdict v);
int verdict_exit_code(enum verdict v);
/* "SUCCESS" -> VERDICT_SUCCESS ...; VERDICT_NONE for anything else. */
enum verdict verdict_from_name(const char *s);
/*
 * JUnit XML.  The testsuite's tests/failures/errors/skipped count testcases:
 * a testcase has <failure> when it has FAIL lines (all of them in the
 * element), <skipped> when it has SKIP lines and neither PASS nor FAIL lines
 * (as SUMMARY counts it), <error> when the run ended CRASH, TIMEOUT or ERROR
 * while it was running (no EXITS line yet).  Such a run that ended outside a
 * test, or a FAILURE that no testcase shows, adds a testcase "run" with the
 * <error> (or <failure>), so the file always shows how the run ended.  Text
 * is XML-escaped; ANSI escapes and CR are removed, other characters that XML
 * 1.0 does not allow (controls, bytes that are not UTF-8) become U+FFFD.
 */
struct verdict_junit_opts {
	const char *suite;              /* testsuite name; NULL: "avic-hv" */
	const char *classname;          /* of every testcase; NULL: "avic-hv" */
	enum verdict run_verdict;       /* how the run ended (run.sh's); VERDICT_NONE: the log's verdict */
	const char *reason;             /* why, or NULL: the parser's reason */
	unsigned long long time_ms;     /* the run's wall time */
	const char *timestamp;          /* ISO 8601, or NULL */
	const char *const *props;       /* "name=value" <property> entries, first in <properties> */
	unsigned nr_props;
};

/* The XML (malloc'ed, NUL-terminated, *out_len bytes); NULL when out of memory. */
char *verdict_junit(const char *log, size_t len, const struct verdict_junit_opts *o, size_t *out_len);
/* Any verdict's name ("CRASH", "TIMEOUT" too) -> the verdict; VERDICT_NONE for anything else. */
enum verdict verdict_from_any_name(const char *s);

/* Removes ANSI escape sequences and \r from s in place (a whole string); returns the new length. */
size_t verdict_strip(char *s);

#endif
