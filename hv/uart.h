/*
 * hv/uart.h - the serial console's UART: a 16550-compatible port at an I/O
 * port base or in MMIO (console=, boot/efi_main.c chooses it), polled.
 * Kept apart from hv/console.c, which decides where each line goes.
 */
#ifndef HV_UART_H
#define HV_UART_H

#include "lib/types.h"

enum uart_space { UART_NONE, UART_IO, UART_MMIO };

struct uart {
	enum uart_space space;
	u64 base;               /* I/O port or physical (identity-mapped) address of register 0 */
	u8 stride;              /* bytes from one register to the next: 1, or 4 for 32-bit registers */
	u8 access;              /* MMIO access width in bytes: 1 or 4 */
	u32 baud;               /* set 8N1 at this rate; 0 = keep the line settings found */
};

/* Makes u the console UART (NULL or UART_NONE: no serial output). */
void uart_select(const struct uart *u);
const struct uart *uart_selected(void);
/* Programs the selected UART once: no interrupts; with a baud rate also 8N1, FIFOs on, DTR and RTS. */
void uart_init(void);
/* True when something answers at the selected UART (its line status register does not read 0xFF). */
bool uart_answers(void);
/* Raw output of n bytes to the selected UART; every byte waits a bounded time for the transmitter. */
void uart_write(const char *s, size_t n);
/* One received byte, if the selected UART has one (LSR bit 0, data ready); never waits. */
bool uart_read_byte(u8 *c);

#endif
