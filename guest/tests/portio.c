/*
 * guest/tests/portio.c - port I/O under the IOIO intercept.
 *
 * Behaviour: every IN/OUT exits (APM Vol 2 §15.10 "IOIO Intercepts"); the
 * hypervisor emulates COM1 (a 16550 at 0x3F8-0x3FF: the scratch register
 * keeps what was written, the line status register always has THRE and
 * TEMT set) and answers a port nobody claims like an empty ISA bus: reads
 * return all ones at the access size, writes are dropped.  Each access
 * counts as exactly one SVM_EXIT_IOIO exit in HC_EXIT_COUNT.
 *
 * A failure means a wrong decode of the IOIO exit information (port, size,
 * direction), a read that left RAX unchanged or half-written, a register
 * that lost its value, or I/O that was not intercepted (or counted twice).
 */
#include "guest/lib/guest.h"

/* Claimed by nothing in the hypervisor, and by no legacy PC device. */
#define UNCLAIMED_PORT  0x1230

static void check_scratch(void)
{
	static const u8 values[] = { 0x00, 0x5a, 0xa5, 0xff, 0x01, 0x80 };
	u8 got;

	for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
		outb(COM1_SCR, values[i]);
		got = inb(COM1_SCR);
		if (got != values[i]) {
			report_eq(values[i], got, "COM1 scratch register 0x%x reads back", COM1_SCR);
			return;
		}
	}
	report_pass("COM1 scratch register 0x%x reads back %zu values", COM1_SCR,
		    ARRAY_SIZE(values));
}

static void check_unclaimed(void)
{
	u32 b, w, l;

	report_eq(0xff, inb(UNCLAIMED_PORT), "inb from unclaimed port 0x%x", UNCLAIMED_PORT);
	report_eq(0xffff, inw(UNCLAIMED_PORT), "inw from unclaimed port 0x%x", UNCLAIMED_PORT);
	report_eq(0xffffffff, inl(UNCLAIMED_PORT), "inl from unclaimed port 0x%x", UNCLAIMED_PORT);

	outb(UNCLAIMED_PORT, 0x12);
	outw(UNCLAIMED_PORT, 0x3456);
	outl(UNCLAIMED_PORT, 0x789abcde);
	b = inb(UNCLAIMED_PORT);
	w = inw(UNCLAIMED_PORT);
	l = inl(UNCLAIMED_PORT);
	report(b == 0xff && w == 0xffff && l == 0xffffffff,
	       "writes to unclaimed port 0x%x are ignored (then read 0x%x 0x%x 0x%x)",
	       UNCLAIMED_PORT, b, w, l);
}

/*
 * Exactly IOIO_ACCESSES port accesses between the two counter reads, and
 * nothing else that does I/O (no printf: it polls and writes COM1).
 */
#define IOIO_ACCESSES   7

static void check_exit_count(void)
{
	u64 before, after;

	before = hc_exit_count(SVM_EXIT_IOIO);
	(void)inb(UNCLAIMED_PORT);              /* 1 */
	(void)inw(UNCLAIMED_PORT);              /* 2 */
	(void)inl(UNCLAIMED_PORT);              /* 3 */
	outb(UNCLAIMED_PORT, 0);                /* 4 */
	outb(COM1_SCR, 0x42);                   /* 5 */
	(void)inb(COM1_SCR);                    /* 6 */
	(void)inb(COM1_LSR);                    /* 7 */
	after = hc_exit_count(SVM_EXIT_IOIO);

	report_eq(before + IOIO_ACCESSES, after,
		  "IOIO exit count grows by %u for %u port accesses (before 0x%lx)",
		  IOIO_ACCESSES, IOIO_ACCESSES, (unsigned long)before);
}

GUEST_TEST(portio)
{
	u8 lsr;

	check_scratch();

	lsr = inb(COM1_LSR);
	report((lsr & (UART_LSR_THRE | UART_LSR_TEMT)) == (UART_LSR_THRE | UART_LSR_TEMT),
	       "COM1 LSR 0x%02x has THRE and TEMT set", lsr);

	check_unclaimed();
	check_exit_count();
}
