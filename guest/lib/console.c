/*
 * guest/lib/console.c - printf() to COM1 with port I/O, as a guest OS would
 * drive a 16550: wait for THRE in the line status register, then write the
 * byte to the transmit holding register.
 */
#include <stdarg.h>
#include "guest/lib/guest.h"

/*
 * The hypervisor's UART always reports THRE; the bound only keeps a broken
 * emulation from hanging the guest here instead of failing visibly.
 */
#define THRE_POLL_MAX   100000

void serial_putc(char c)
{
	for (int i = 0; i < THRE_POLL_MAX; i++) {
		if (inb(COM1_LSR) & UART_LSR_THRE)
			break;
		cpu_relax();
	}
	outb(COM1_THR, (u8)c);
}

void serial_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

int printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	serial_puts(buf);
	return n;
}
