/*
 * tests/unit/main.c - runs the registered unit tests.
 *
 * Usage: unit-tests [GLOB]   (GLOB matches "name" or "unit/name")
 * Exit status 1 if a test failed, or if GLOB matched no test (a typo in a
 * filter must not look like a green run).
 *
 * The framework itself formats with the C library: the unit build renames
 * the project's snprintf/vsnprintf (-Dsnprintf=hv_snprintf, see unit.mk)
 * so that tests exercise lib/printf.c; undo that here, before <stdio.h>.
 */
#undef snprintf
#undef vsnprintf
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/unit.h"
#include "lib/string.h"

static struct unit_test *head, **tail = &head;
static jmp_buf unit_jmp;
static char unit_msg[1024];

void unit_register(struct unit_test *t)
{
	t->next = NULL;
	*tail = t;
	tail = &t->next;
}

void unit_fail(const char *file, int line, const char *what, const char *detail)
{
	if (detail)
		snprintf(unit_msg, sizeof(unit_msg), "%s:%d: %s (%s)", file, line, what, detail);
	else
		snprintf(unit_msg, sizeof(unit_msg), "%s:%d: %s", file, line, what);
	longjmp(unit_jmp, 1);
}

void unit_check_eq(u64 expected, u64 actual, const char *what, const char *file, int line)
{
	char detail[96];

	if (expected == actual)
		return;
	snprintf(detail, sizeof(detail), "expected 0x%llx, got 0x%llx",
		 (unsigned long long)expected, (unsigned long long)actual);
	unit_fail(file, line, what, detail);
}

void unit_check_str_eq(const char *expected, const char *actual, const char *what,
		       const char *file, int line)
{
	char detail[512];

	if (expected && actual && !strcmp(expected, actual))
		return;
	if (!expected && !actual)
		return;
	snprintf(detail, sizeof(detail), "expected \"%s\", got \"%s\"",
		 expected ? expected : "(null)", actual ? actual : "(null)");
	unit_fail(file, line, what, detail);
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	/* static: these live across the longjmp out of a failed test */
	static unsigned passed, failed;
	static struct unit_test *t;

	setvbuf(stdout, NULL, _IOLBF, 0);  /* keep the lines before a sanitizer abort */
	for (t = head; t; t = t->next) {
		char full[256];

		snprintf(full, sizeof(full), "unit/%s", t->name);
		if (filter && !glob_match(filter, t->name) && !glob_match(filter, full))
			continue;
		if (setjmp(unit_jmp) == 0) {
			t->fn();
			printf("PASS: %s\n", full);
			passed++;
		} else {
			printf("FAIL: %s: %s\n", full, unit_msg);
			failed++;
		}
	}
	printf("%u passed, %u failed\n", passed, failed);
	if (filter && passed + failed == 0)
		fprintf(stderr, "no test matches '%s'\n", filter);
	return failed || passed + failed == 0 ? 1 : 0;
}
