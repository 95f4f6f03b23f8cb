/*
 * hv/irq.h - the host's interrupt and exception entry, as hv/irq.c sees it:
 * the frame the stubs of boot/isr.asm build (GPR order from lib/x86.inc).
 */
#ifndef HV_IRQ_H
#define HV_IRQ_H

#include "lib/types.h"

/* What an interrupt stub pushes; boot/isr.asm builds it, hv/irq.c reads it. */
struct irq_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error_code;
	u64 rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct irq_frame) == 22 * 8, "boot/isr.asm pushes 15 GPRs, vector, error code, 5 CPU words");

void hv_irq_dispatch(struct irq_frame *f);      /* called by every stub of boot/isr.asm */

#endif
