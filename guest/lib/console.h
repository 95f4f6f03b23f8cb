/*
 * guest/lib/console.h - output to the emulated COM1.  The hypervisor
 * line-buffers COM1 per vCPU and prefixes each line itself, so a guest
 * just prints; lines should end with '\n'.
 */
#ifndef GUEST_LIB_CONSOLE_H
#define GUEST_LIB_CONSOLE_H

#include "lib/types.h"

#define COM1_BASE       0x3f8
#define COM1_THR        (COM1_BASE + 0)  /* transmit holding register (write) */
#define COM1_LSR        (COM1_BASE + 5)  /* line status register */
#define COM1_SCR        (COM1_BASE + 7)  /* scratch register */
#define UART_LSR_THRE   BIT(5)           /* transmit holding register empty */
#define UART_LSR_TEMT   BIT(6)           /* transmitter empty */

void serial_putc(char c);
void serial_puts(const char *s);
/* Formats with lib/printf.c; output longer than 255 characters is cut. */
int printf(const char *fmt, ...) __printf(1, 2);

#endif
