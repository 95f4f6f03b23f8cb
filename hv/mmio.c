/*
 * hv/mmio.c - emulating one MMIO instruction after a nested page fault.
 *
 * The NPF gives the guest-physical address only (EXITINFO2); without decode
 * assists (APM Vol 2 §15.8.4 "Nested and Intercepted #PF"; QEMU TCG has
 * none) the bytes at CS:RIP are read through
 * the guest's page tables and decoded: which register, which size, read or
 * write.  Only the MOV forms a guest uses on device registers are accepted
 * (svm/insn_mmio.c); anything else stops the guest with the bytes printed,
 * never a guess.
 */
#include "hv/mmio.h"
#include "svm/insn_mmio.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/x86.h"

u64 *vcpu_gpr(struct vcpu *vcpu, unsigned reg)
{
	struct guest_regs *r = &vcpu->regs;
	u64 *const map[16] = {
		&vcpu->vmcb->save.rax, &r->rcx, &r->rdx, &r->rbx,
		&vcpu->vmcb->save.rsp, &r->rbp, &r->rsi, &r->rdi,
		&r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15,
	};

	return map[reg & 15];
}

/* CS.D: 32-bit default operand size. */
static bool cs_d32(struct vcpu *vcpu)
{
	return vcpu->vmcb->save.cs.attrib & SEG_ATTR_DB;
}

void mmio_advance(struct vcpu *vcpu, unsigned len)
{
	struct vmcb_save *s = &vcpu->vmcb->save;

	s->rip += len;
	if (!vcpu_long_mode(vcpu))
		s->rip = cs_d32(vcpu) ? (u32)s->rip : (u16)s->rip;
	vcpu->vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW;
}

static void stop_bytes(struct vcpu *vcpu, const char *what, u64 gpa, const u8 *b, int n, const char *why)
{
	char hex[15 * 3 + 1] = "";

	for (int i = 0; i < n && i < 15; i++)
		snprintf(hex + i * 3, 4, "%02x ", b[i]);
	vcpu_stop(vcpu, STOP_UNSUPPORTED, "%s at GPA 0x%llx by RIP 0x%llx: %s (bytes %s)", what,
		  (unsigned long long)gpa, (unsigned long long)vcpu->vmcb->save.rip,
		  why ? why : "cannot read the instruction", hex);
}

enum exit_action mmio_emulate(struct vcpu *vcpu, u64 gpa, mmio_fn fn, void *ctx)
{
	struct mmio_insn mi;
	const char *why = NULL;
	u8 b[15];
	int n = vcpu_fetch_insn(vcpu, b, sizeof(b));
	u64 val = 0, *reg;
	int r;

	if (n <= 0 || insn_decode_mmio(b, (unsigned)n, vcpu_long_mode(vcpu), cs_d32(vcpu), &mi, &why)) {
		stop_bytes(vcpu, "MMIO access", gpa, b, n, why);
		return EXIT_STOP;
	}
	reg = vcpu_gpr(vcpu, mi.high_byte ? mi.reg - 4u : mi.reg);
	if (mi.write)
		val = mi.has_imm ? mi.imm : mmio_write_value(*reg, &mi);
	r = fn(ctx, gpa, mi.size, mi.write, &val);
	if (r < 0)
		goto bad;
	if (r == MMIO_NOT_DONE)
		return EXIT_RESUME;
	if (!mi.write)
		*reg = mmio_reg_after_read(*reg, &mi, val);
	mmio_advance(vcpu, mi.len);
	return EXIT_RESUME;
bad:
	stop_bytes(vcpu, "MMIO access the device cannot answer", gpa, b, n, NULL);
	return EXIT_STOP;
}

int mmio_decode_cr_write(struct vcpu *vcpu, unsigned cr, u64 *val, u8 *len)
{
	unsigned got_cr, gpr;
	bool to_cr;
	u8 b[15];
	int n = vcpu_fetch_insn(vcpu, b, sizeof(b));

	if (n <= 0 || insn_decode_mov_cr(b, (unsigned)n, vcpu_long_mode(vcpu), &got_cr, &gpr, &to_cr, len) ||
	    !to_cr || got_cr != cr) {
		stop_bytes(vcpu, "CR write", 0, b, n, "not a MOV to the intercepted control register");
		return -1;
	}
	*val = *vcpu_gpr(vcpu, gpr);
	if (!vcpu_long_mode(vcpu))
		*val = (u32)*val;
	return 0;
}
