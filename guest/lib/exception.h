/*
 * guest/lib/exception.h - the guest's IDT and exception catching.
 *
 * All 32 exception vectors go to guest/isr.asm stubs and then to
 * guest_exception().  A test runs code that should fault through
 * catch_exception(): the exception is recorded and catch_exception()
 * returns its vector.  Any other exception is unexpected: it is printed
 * and reported as FAIL, and the vCPU ends.
 *
 * Vectors 32-255 (external interrupts) have their own stubs, which call
 * guest_irq() in guest/lib/irq.c; see guest/lib/irq.h.
 */
#ifndef GUEST_LIB_EXCEPTION_H
#define GUEST_LIB_EXCEPTION_H

#include "lib/types.h"

#define EXC_NONE        (-1)    /* catch_exception(): fn returned normally */
#define NR_EXCEPTIONS   32
#define NR_VECTORS      256     /* IDT entries; guest/isr.asm has its own copy */

/*
 * The stack of guest/isr.asm's common path: the GPRs it pushes (rax first,
 * so r15 is lowest), vector and error code (a 0 pushed by the stub when the
 * CPU pushes none), then the frame the CPU pushes in 64-bit mode
 * (APM Vol 2 §8.9.3 "Interrupt Stack Frame").
 */
struct ex_regs {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector;
	u64 error_code;
	u64 rip, cs, rflags, rsp, ss;
};

struct exception_info {
	int vector;             /* EXC_NONE when none was caught */
	u64 error_code;         /* 0 for vectors without one */
	u64 rip;                /* RIP in the frame: the faulting instruction, or the next one for traps (#BP) */
	u64 cs;                 /* CS in the frame */
	u64 cr2;                /* CR2 for #PF, else 0 */
};

/*
 * Builds the shared IDT, 256 interrupt gates (first vCPU only), and loads
 * it on this vCPU.
 */
void exceptions_init(void);

/*
 * Runs fn(arg) and returns the vector of the first exception it raises,
 * with its details in last_exception(), or EXC_NONE when fn returns.  Across
 * an exception fn is abandoned, like longjmp(): callee-saved registers are
 * restored, anything fn had not written yet stays unwritten.  Nests.
 */
int catch_exception(void (*fn)(void *), void *arg);
const struct exception_info *last_exception(void);

/* "#GP" etc.; "vector 0x15" style for the unnamed ones. */
const char *exception_name(int vector);

/* RDMSR/WRMSR that return the vector they raised, or EXC_NONE. */
int rdmsr_safe(u32 msr, u64 *val);
int wrmsr_safe(u32 msr, u64 val);

/* For the stubs in guest/isr.asm. */
void guest_exception(struct ex_regs *regs);
extern const u64 guest_exception_stubs[NR_EXCEPTIONS];
void guest_irq(struct ex_regs *regs);
extern const u64 guest_irq_stubs[NR_VECTORS - NR_EXCEPTIONS];
int guest_catch_call(void (*fn)(void *), void *arg, u64 *rsp_slot);
extern char guest_catch_landing[];

#endif
