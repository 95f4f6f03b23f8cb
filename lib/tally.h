/*
 * lib/tally.h - the run's results as the console printed them, for the
 * verdict screen: PASS/FAIL/SKIP lines counted (the rule of run.sh's
 * verdict tool: the word at the start of a line), the names of the tests
 * with FAIL lines, the SUMMARY line and the final "Test result:" word.
 * The hypervisor feeds it every console line (hv/screen.c); the host tool
 * tools/screencheck.c feeds it the serial log, so both draw the same screen.
 * Freestanding, no allocation.
 */
#ifndef LIB_TALLY_H
#define LIB_TALLY_H

#include "lib/types.h"

#define TALLY_FAILED_MAX 24             /* distinct failed test names kept */
#define TALLY_NAME_LEN   40
#define TALLY_LINE_MAX   160            /* longer lines are cut (the words that count come first) */

struct tally {
	u32 pass, fail, skip;           /* PASS:/FAIL:/SKIP: lines */
	u32 nr_failed;                  /* names in failed[] */
	bool failed_more;               /* more failed tests than failed[] holds */
	char failed[TALLY_FAILED_MAX][TALLY_NAME_LEN];
	char summary[TALLY_LINE_MAX];   /* the last SUMMARY line, without "SUMMARY: " */
	char verdict[16];               /* the first "Test result:" word, "" before it */
	char line[TALLY_LINE_MAX];      /* the line being assembled */
	size_t len;
};

void tally_init(struct tally *t);
/* Bytes of console output; '\n' ends a line, '\r' is dropped. */
void tally_feed(struct tally *t, const char *s, size_t n);
/* One whole line (no '\n'). */
void tally_line(struct tally *t, const char *s, size_t n);

#endif
