/*
 * hv/uart.c - a polled 16550 (see hv/uart.h).
 *
 * Registers (PC16550D data sheet, "Register Description"): 0 THR/DLL
 * (RBR when read), 1 IER/DLM, 2 FCR, 3 LCR (bit 7 DLAB), 4 MCR, 5 LSR (bit 0
 * DR, 5 THRE, 6 TEMT).  The divisor is 115200 / baud for the PC's 1.8432 MHz
 * clock.  The transmit wait is bounded, so a UART that is not there (reads as 0xFF, or never
 * shows THRE) costs time but never hangs the machine.
 */
#include "hv/uart.h"
#include "lib/x86.h"

#define UART_THR 0
#define UART_RBR 0
#define UART_DLL 0
#define UART_IER 1
#define UART_DLM 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5

#define LCR_8N1   0x03
#define LCR_DLAB  BIT(7)
#define FCR_FIFO_ON_CLEAR 0x07  /* enable, clear receive and transmit FIFOs */
#define MCR_DTR_RTS 0x03
#define LSR_DR    BIT(0)        /* a received byte waits in RBR */
#define LSR_THRE  BIT(5)
#define LSR_TEMT  BIT(6)        /* transmitter and FIFO empty */

#define UART_CLOCK_DIV_BASE 115200

static struct uart cur;
static bool programmed;

void uart_select(const struct uart *u)
{
	cur = u ? *u : (struct uart){ .space = UART_NONE };
	programmed = false;
}

const struct uart *uart_selected(void)
{
	return &cur;
}

static u8 reg_read(unsigned r)
{
	if (cur.space == UART_IO)
		return inb((u16)(cur.base + r));
	if (cur.access == 4)
		return (u8)*(volatile u32 *)(uintptr_t)(cur.base + (u64)r * cur.stride);
	return *(volatile u8 *)(uintptr_t)(cur.base + (u64)r * cur.stride);
}

static void reg_write(unsigned r, u8 v)
{
	if (cur.space == UART_IO)
		outb((u16)(cur.base + r), v);
	else if (cur.access == 4)
		*(volatile u32 *)(uintptr_t)(cur.base + (u64)r * cur.stride) = v;
	else
		*(volatile u8 *)(uintptr_t)(cur.base + (u64)r * cur.stride) = v;
}

void uart_init(void)
{
	/* Once: clearing the FIFOs again would drop bytes still being sent. */
	if (cur.space == UART_NONE || programmed)
		return;
	programmed = true;
	/* What the firmware sent last is still going out: let it, the FIFO is cleared below. */
	for (unsigned spin = 0; spin < 1000000; spin++)
		if (reg_read(UART_LSR) & LSR_TEMT)
			break;
	reg_write(UART_IER, 0);         /* polled: no interrupts */
	if (cur.baud) {
		u32 div = UART_CLOCK_DIV_BASE / cur.baud;

		reg_write(UART_LCR, LCR_DLAB);
		reg_write(UART_DLL, (u8)div);
		reg_write(UART_DLM, (u8)(div >> 8));
		reg_write(UART_LCR, LCR_8N1);
		reg_write(UART_FCR, FCR_FIFO_ON_CLEAR);
		reg_write(UART_MCR, MCR_DTR_RTS);
	}
}

bool uart_answers(void)
{
	return cur.space != UART_NONE && reg_read(UART_LSR) != 0xff;
}

void uart_write(const char *s, size_t n)
{
	if (cur.space == UART_NONE)
		return;
	for (size_t i = 0; i < n; i++) {
		for (unsigned spin = 0; spin < 100000; spin++)
			if (reg_read(UART_LSR) & LSR_THRE)
				break;
		reg_write(UART_THR, (u8)s[i]);
	}
}

bool uart_read_byte(u8 *c)
{
	u8 lsr;

	if (cur.space == UART_NONE)
		return false;
	lsr = reg_read(UART_LSR);
	/* 0xFF: nothing there (every bit set, data ready included). */
	if (lsr == 0xff || !(lsr & LSR_DR))
		return false;
	*c = reg_read(UART_RBR);
	return true;
}
