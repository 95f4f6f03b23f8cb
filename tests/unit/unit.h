/*
 * tests/unit/unit.h - a tiny host unit-test framework.
 *
 *   TEST(name) { CHECK(x); CHECK_EQ(expected, actual); CHECK_STR_EQ("a", s); }
 *
 * Each TEST registers itself at start-up (a constructor), main.c runs them
 * in registration order (file by file, top to bottom) and prints
 *   PASS: unit/<name>
 *   FAIL: unit/<name>: <file>:<line>: <what> (expected X, got Y)
 * and last "<N> passed, <F> failed".  The first failed check ends its test
 * (longjmp), so checks may sit in helper functions and a failed check never
 * runs into the code it guarded.  argv[1], if given, is a glob on the names.
 */
#ifndef TESTS_UNIT_UNIT_H
#define TESTS_UNIT_UNIT_H

#include "lib/types.h"

struct unit_test {
	const char *name;
	void (*fn)(void);
	struct unit_test *next;
};

void unit_register(struct unit_test *t);
__noreturn void unit_fail(const char *file, int line, const char *what, const char *detail);
void unit_check_eq(u64 expected, u64 actual, const char *what, const char *file, int line);
void unit_check_str_eq(const char *expected, const char *actual, const char *what,
		       const char *file, int line);

#define TEST(tname)                                                             \
	static void unit_fn_##tname(void);                                      \
	static struct unit_test unit_t_##tname = { #tname, unit_fn_##tname, NULL }; \
	__attribute__((constructor)) static void unit_reg_##tname(void)         \
	{                                                                       \
		unit_register(&unit_t_##tname);                                 \
	}                                                                       \
	static void unit_fn_##tname(void)

#define CHECK(cond)                                                             \
	do {                                                                    \
		if (!(cond))                                                    \
			unit_fail(__FILE__, __LINE__, #cond, NULL);             \
	} while (0)

/* Compares as u64 and prints both in hex on failure. */
#define CHECK_EQ(expected, actual) \
	unit_check_eq((u64)(expected), (u64)(actual), #actual, __FILE__, __LINE__)

/* Compares NUL-terminated strings (NULL allowed) and prints both on failure. */
#define CHECK_STR_EQ(expected, actual) \
	unit_check_str_eq((expected), (actual), #actual, __FILE__, __LINE__)

#endif
