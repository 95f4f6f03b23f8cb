/*
 * guest/lib/report.c - PASS/FAIL/SKIP through HC_REPORT.
 */
#include <stdarg.h>
#include "guest/lib/guest.h"

/* Formats "[vcpuN: ]<fmt><suffix>" and hands it to the hypervisor. */
static void report_va(u64 kind, const char *suffix, const char *fmt, va_list ap)
{
	char msg[HV_REPORT_MSG_MAX];
	size_t n = 0;
	u64 ret;

	if (nr_vcpus() > 1)
		n = (size_t)snprintf(msg, sizeof(msg), "vcpu%u: ", this_vcpu());
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	if (suffix) {
		n = strlen(msg);
		snprintf(msg + n, sizeof(msg) - n, "%s", suffix);
	}
	ret = hc_report(kind, msg);
	/* Not a test result of its own: the runner sees the report missing. */
	if ((s64)ret < 0)
		printf("HC_REPORT failed with %ld for: %s\n", (long)ret, msg);
}

bool report(bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_va(ok ? HV_REPORT_PASS : HV_REPORT_FAIL, NULL, fmt, ap);
	va_end(ap);
	return ok;
}

void report_pass(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_va(HV_REPORT_PASS, NULL, fmt, ap);
	va_end(ap);
}

void report_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_va(HV_REPORT_FAIL, NULL, fmt, ap);
	va_end(ap);
}

void report_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_va(HV_REPORT_SKIP, NULL, fmt, ap);
	va_end(ap);
}

bool report_eq(u64 expected, u64 got, const char *fmt, ...)
{
	bool ok = got == expected;
	char suffix[64];
	va_list ap;

	snprintf(suffix, sizeof(suffix), " (expected 0x%lx, got 0x%lx)",
		 (unsigned long)expected, (unsigned long)got);
	va_start(ap, fmt);
	report_va(ok ? HV_REPORT_PASS : HV_REPORT_FAIL, ok ? NULL : suffix, fmt, ap);
	va_end(ap);
	return ok;
}

static void describe_vector(char *buf, size_t size, int vector, bool with_details)
{
	const struct exception_info *ex = last_exception();

	if (vector == EXC_NONE)
		snprintf(buf, size, "none");
	else if (with_details)
		snprintf(buf, size, "%s error code 0x%lx at RIP 0x%lx",
			 exception_name(vector), (unsigned long)ex->error_code,
			 (unsigned long)ex->rip);
	else
		snprintf(buf, size, "%s", exception_name(vector));
}

bool report_vector(int expected, int got, const char *fmt, ...)
{
	bool ok = got == expected;
	char want[16], have[80], suffix[112];
	va_list ap;

	describe_vector(want, sizeof(want), expected, false);
	describe_vector(have, sizeof(have), got, true);
	snprintf(suffix, sizeof(suffix), " (expected %s, got %s)", want, have);
	va_start(ap, fmt);
	report_va(ok ? HV_REPORT_PASS : HV_REPORT_FAIL, ok ? NULL : suffix, fmt, ap);
	va_end(ap);
	return ok;
}
