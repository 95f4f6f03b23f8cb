/*
 * guest/asm-offsets.c - constants and structure offsets for the guest's
 * assembly, generated from the C definitions so that no offset is written
 * by hand in a .asm file.  Compiled with -S only; guest.mk turns every
 * "@@OFFSET@@ NAME VALUE" line of the output into "%define NAME VALUE"
 * in $(BUILD)/guest/gen/asm-offsets.inc.
 */
#include "lib/hv_abi.h"
#include "guest/lib/guest.h"
#include "guest/lib/percpu.h"

#define DEFINE(sym, val) \
	__asm__ volatile("\n@@OFFSET@@ " #sym " %0" ::"i"((u64)(val)))
#define OFFSET(sym, type, member) DEFINE(sym, offsetof(struct type, member))

void asm_offsets(void);

void asm_offsets(void)
{
	DEFINE(HV_BOOT_MAGIC, HV_BOOT_MAGIC);
	DEFINE(HV_GUEST_HDR_MAGIC, HV_GUEST_HDR_MAGIC);
	DEFINE(HV_GUEST_LOAD_GPA, HV_GUEST_LOAD_GPA);
	DEFINE(HV_PORT_TEST_END, HV_PORT_TEST_END);
	DEFINE(GUEST_END_BAD_BOOT, GUEST_END_BAD_BOOT);
	DEFINE(GUEST_STACK_SIZE, GUEST_STACK_SIZE);
	DEFINE(GUEST_SEL_CODE64, GUEST_SEL_CODE64);
	DEFINE(GUEST_SEL_DATA, GUEST_SEL_DATA);

	/* Architectural bits, from lib/x86.h. */
	DEFINE(MSR_EFER, MSR_EFER);
	DEFINE(EFER_LME, EFER_LME);
	DEFINE(CR4_PAE, CR4_PAE);
	DEFINE(CR0_PE, CR0_PE);
	DEFINE(CR0_MP, CR0_MP);
	DEFINE(CR0_EM, CR0_EM);
	DEFINE(CR0_NE, CR0_NE);
	DEFINE(CR0_WP, CR0_WP);
	DEFINE(CR0_PG, CR0_PG);

	OFFSET(BOOT_INFO_RAM_SIZE, hv_boot_info, ram_size);

	/* entry.asm emits the header field by field, in this order. */
	OFFSET(HDR_MAGIC, hv_guest_header, magic);
	OFFSET(HDR_LOAD_GPA, hv_guest_header, load_gpa);
	OFFSET(HDR_ENTRY_GPA, hv_guest_header, entry_gpa);
	OFFSET(HDR_FILE_SIZE, hv_guest_header, file_size);
	OFFSET(HDR_MEM_SIZE, hv_guest_header, mem_size);
	DEFINE(HDR_SIZE, sizeof(struct hv_guest_header));

	/* isr.asm pushes the registers in the order of struct ex_regs. */
	DEFINE(NR_EXCEPTIONS, NR_EXCEPTIONS);
	DEFINE(EXC_NONE, EXC_NONE);
	OFFSET(EX_REGS_VECTOR, ex_regs, vector);
	OFFSET(EX_REGS_RIP, ex_regs, rip);
	DEFINE(EX_REGS_SIZE, sizeof(struct ex_regs));
	OFFSET(PERCPU_IRQ_ACTIVE, guest_percpu, irq_active);
}
