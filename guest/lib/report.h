/*
 * guest/lib/report.h - test results, in the kvm-unit-tests vocabulary.
 *
 * Every call is one HC_REPORT hypercall; the hypervisor prints
 * "PASS: <test>: <msg>" itself, so a message never repeats the test name.
 * With more than one vCPU the message is prefixed "vcpuN: ".  Messages are
 * cut to HV_REPORT_MSG_MAX - 1 characters (plus the NUL).
 */
#ifndef GUEST_LIB_REPORT_H
#define GUEST_LIB_REPORT_H

#include "lib/types.h"

/* PASS when ok, FAIL otherwise; returns ok. */
bool report(bool ok, const char *fmt, ...) __printf(2, 3);
void report_pass(const char *fmt, ...) __printf(1, 2);
void report_fail(const char *fmt, ...) __printf(1, 2);
void report_skip(const char *fmt, ...) __printf(1, 2);

/* PASS when got == expected, else FAIL "<msg> (expected 0x.., got 0x..)". */
bool report_eq(u64 expected, u64 got, const char *fmt, ...) __printf(3, 4);

/*
 * For the vector returned by catch_exception(): PASS when got == expected,
 * else FAIL "<msg> (expected #UD, got #GP error code 0x0 at RIP 0x..)" or
 * "(expected #UD, got none)".  expected may be EXC_NONE.
 */
bool report_vector(int expected, int got, const char *fmt, ...) __printf(3, 4);

#endif
