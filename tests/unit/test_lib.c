/*
 * tests/unit/test_lib.c - lib/printf.c (vsnprintf) and lib/string.c
 * (glob_match).
 *
 * Every result line, VMCB dump and log line goes through lib/printf.c; the
 * unit build renames it (hv_snprintf, see unit.mk) so this file tests the
 * project's printf, not the C library's.  glob_match picks the tests of a
 * run (tests= patterns) and the unit tests here.  A failure means garbled
 * or truncated output on the serial line, or the wrong tests run.
 */
#include "tests/unit/unit.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/x86.h"

static char buf[128];

#define FMT(expected, ...)                                                      \
	do {                                                                    \
		int n_ = snprintf(buf, sizeof(buf), __VA_ARGS__);               \
		CHECK_STR_EQ(expected, buf);                                    \
		CHECK_EQ(sizeof(expected) - 1, n_);                             \
	} while (0)

TEST(printf_integers)
{
	FMT("0", "%d", 0);
	FMT("-5", "%d", -5);
	FMT("2147483647 -2147483648", "%d %d", 2147483647, (int)-2147483647 - 1);
	FMT("4294967295", "%u", 4294967295u);
	FMT("ff", "%x", 255);
	FMT("FF", "%X", 255);
	FMT("deadbeef", "%x", 0xdeadbeefu);
	FMT("ffffffffffffffff", "%lx", ~0UL);
	FMT("123456789abcdef0", "%llx", 0x123456789abcdef0ULL);
	FMT("00000000deadbeef", "%016llx", 0xdeadbeefULL);
	FMT("-9223372036854775808", "%lld", (long long)(-9223372036854775807LL - 1));
	FMT("18446744073709551615", "%llu", ~0ULL);
	FMT("[   42]", "[%5d]", 42);
	FMT("[42   ]", "[%-5d]", 42);
	FMT("[00042]", "[%05d]", 42);
	FMT("[-0042]", "[%05d]", -42);
	FMT("0x1f", "%#x", 0x1f);
	FMT("0", "%#x", 0);
	FMT("+7", "%+d", 7);
	FMT("17", "%o", 15);
	FMT("0042", "%.4d", 42);
	FMT("42", "%zu", (size_t)42);
	FMT("255", "%hhu", 255);
}

TEST(printf_strings_chars_pointers)
{
	const char *volatile null_str = NULL;  /* hidden from -Wformat-overflow */

	FMT("hello", "%s", "hello");
	FMT("[abc       ]", "[%-10s]", "abc");
	FMT("[       abc]", "[%10s]", "abc");
	FMT("[ab]", "[%.2s]", "abc");
	FMT("(null)", "%s", null_str);
	FMT("x", "%c", 'x');
	FMT("[  x]", "[%3c]", 'x');
	FMT("[x  ]", "[%-3c]", 'x');
	FMT("100%", "100%%");
	FMT("0x1000", "%p", (void *)0x1000);
	FMT("0x0", "%p", (void *)0);    /* glibc would print "(nil)": this is ours */
	FMT("a=1 b=two c=0x3", "a=%d b=%s c=0x%x", 1, "two", 3);
	FMT("[ 5][5 ]", "[%*d][%-*d]", 2, 5, 2, 5);
}

TEST(printf_truncation)
{
	char small[8];
	int n;

	memset(small, 'X', sizeof(small));
	n = snprintf(small, 5, "hello world");
	CHECK_EQ(11, n);
	CHECK_STR_EQ("hell", small);
	CHECK_EQ('X', small[5]);                /* nothing written past size */

	memset(small, 'X', sizeof(small));
	n = snprintf(small, 1, "abc");
	CHECK_EQ(3, n);
	CHECK_EQ(0, small[0]);
	CHECK_EQ('X', small[1]);

	memset(small, 'X', sizeof(small));
	n = snprintf(small, 0, "abc%d", 12345);
	CHECK_EQ(8, n);
	CHECK_EQ('X', small[0]);                /* size 0: buffer untouched */

	n = snprintf(NULL, 0, "%016llx", 1ULL);
	CHECK_EQ(16, n);

	memset(small, 'X', sizeof(small));
	n = snprintf(small, sizeof(small), "%s", "1234567");
	CHECK_EQ(7, n);
	CHECK_STR_EQ("1234567", small);
	n = snprintf(small, sizeof(small), "%d", 12345678);
	CHECK_EQ(8, n);
	CHECK_STR_EQ("1234567", small);
}

TEST(glob_match_patterns)
{
	CHECK(glob_match("*", ""));
	CHECK(glob_match("*", "anything"));
	CHECK(glob_match("", ""));
	CHECK(!glob_match("", "a"));
	CHECK(glob_match("npt*", "npt_map_translate"));
	CHECK(!glob_match("npt*", "msrpm_npt"));
	CHECK(glob_match("*npt*", "msrpm_npt"));
	CHECK(glob_match("unit/*", "unit/cpuid"));
	CHECK(glob_match("?pu?d", "cpuid"));
	CHECK(!glob_match("?pu?d", "cpuidd"));
	CHECK(glob_match("a*b*c", "aXXbYYc"));
	CHECK(glob_match("a*b*c", "abc"));
	CHECK(!glob_match("a*b*c", "acb"));
	CHECK(glob_match("*smp", "smp"));
	CHECK(glob_match("a**b", "ab"));
	CHECK(!glob_match("abc", "ab"));
	CHECK(!glob_match("ab", "abc"));
	CHECK(glob_match("*.c", "x.c.c"));
}

/* lib/x86.c: AMD's vector names (APM Vol 2 Table 8-1), shared by host panics and guest reports. */
TEST(lib_x86_exception_name)
{
	CHECK_STR_EQ("#DE", x86_exception_name(0));
	CHECK_STR_EQ("#UD", x86_exception_name(6));
	CHECK_STR_EQ("vector 9", x86_exception_name(9));
	CHECK_STR_EQ("#GP", x86_exception_name(13));
	CHECK_STR_EQ("#PF", x86_exception_name(14));
	CHECK_STR_EQ("#XF", x86_exception_name(19));
	CHECK_STR_EQ("vector 20", x86_exception_name(20));
	CHECK_STR_EQ("#CP", x86_exception_name(21));
	CHECK_STR_EQ("#SX", x86_exception_name(30));
	CHECK_STR_EQ("vector 31", x86_exception_name(31));
	CHECK_STR_EQ("vector ?", x86_exception_name(32));
}
