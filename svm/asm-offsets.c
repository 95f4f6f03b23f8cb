/*
 * svm/asm-offsets.c - offsets for assembly, generated from the C structs.
 * Compiled with -S only; the Makefile turns each marker into a NASM %define
 * in build/gen/asm-offsets.inc.  Never write these numbers by hand.
 */
#include "svm/svm.h"
#include "svm/vmcb.h"
#include "lib/asm-offsets.h"

void asm_offsets(void);
void asm_offsets(void)
{
	OFFSET(GR_RBX, struct guest_regs, rbx);
	OFFSET(GR_RCX, struct guest_regs, rcx);
	OFFSET(GR_RDX, struct guest_regs, rdx);
	OFFSET(GR_RSI, struct guest_regs, rsi);
	OFFSET(GR_RDI, struct guest_regs, rdi);
	OFFSET(GR_RBP, struct guest_regs, rbp);
	OFFSET(GR_R8, struct guest_regs, r8);
	OFFSET(GR_R9, struct guest_regs, r9);
	OFFSET(GR_R10, struct guest_regs, r10);
	OFFSET(GR_R11, struct guest_regs, r11);
	OFFSET(GR_R12, struct guest_regs, r12);
	OFFSET(GR_R13, struct guest_regs, r13);
	OFFSET(GR_R14, struct guest_regs, r14);
	OFFSET(GR_R15, struct guest_regs, r15);
	CONSTANT(GUEST_REGS_SIZE, sizeof(struct guest_regs));
	OFFSET(VMCB_RAX, struct vmcb, save.rax);
	OFFSET(VMCB_EXIT_CODE, struct vmcb, control.exit_code);
}
