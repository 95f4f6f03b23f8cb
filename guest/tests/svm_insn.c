/*
 * guest/tests/svm_insn.c - the SVM instructions are not available in a guest.
 *
 * Behaviour: the guest sees EFER.SVME = 0 and no SVM in CPUID, so per
 * APM Vol 2 §15.4 "Enabling SVM" VMRUN, VMLOAD, VMSAVE, CLGI and INVLPGA
 * raise #UD (and STGI and SKINIT too, since the SKINIT feature is not
 * offered either).  The hardware checks EFER.SVME of the host, not of the
 * guest, so it is the hypervisor that must intercept each of them
 * (APM Vol 2 §15.9 "Instruction Intercepts"; VMRUN must be intercepted
 * anyway, §15.5.1) and inject #UD, pointing at the instruction.
 *
 * A failure means an instruction that ran for real inside the guest
 * (nested SVM the hypervisor does not implement: a guest VMLOAD/VMSAVE/
 * CLGI would touch host state), an intercept whose handler skips the
 * instruction instead of injecting #UD, or #UD reported at the wrong RIP.
 */
#include "guest/lib/guest.h"

struct svm_probe {
	u64 rax;        /* in: RAX for the instruction */
	u64 insn_rip;   /* out: where the instruction is */
};

/* Encodings (APM Vol 3): 0F 01 D8..DF; NASM/GAS spellings vary, bytes do not. */
#define SVM_INSN_FN(fname, modrm)                                              \
	static void fname(void *arg)                                           \
	{                                                                      \
		struct svm_probe *p = arg;                                     \
		__asm__ volatile("lea 1f(%%rip), %%rdx\n\t"                    \
				 "mov %%rdx, %0\n"                             \
				 "1:\t.byte 0x0f, 0x01, " #modrm               \
				 : "=m"(p->insn_rip)                           \
				 : "a"(p->rax), "c"(0)                         \
				 : "rdx", "memory");                           \
	}

SVM_INSN_FN(do_vmrun, 0xd8)
SVM_INSN_FN(do_vmload, 0xda)
SVM_INSN_FN(do_vmsave, 0xdb)
SVM_INSN_FN(do_stgi, 0xdc)
SVM_INSN_FN(do_clgi, 0xdd)
SVM_INSN_FN(do_skinit, 0xde)
SVM_INSN_FN(do_invlpga, 0xdf)

static const struct {
	const char *name;
	void (*fn)(void *);
} svm_insns[] = {
	{ "VMRUN", do_vmrun },
	{ "VMLOAD", do_vmload },
	{ "VMSAVE", do_vmsave },
	{ "STGI", do_stgi },
	{ "CLGI", do_clgi },
	{ "SKINIT", do_skinit },
	{ "INVLPGA", do_invlpga },
};

/* A page-aligned guest buffer for RAX (a VMCB address, the SKINIT SLB, the INVLPGA address); never touched. */
static u8 fake_vmcb[4096] __aligned(4096);

GUEST_TEST(svm_insn)
{
	for (size_t i = 0; i < ARRAY_SIZE(svm_insns); i++) {
		struct svm_probe p = { .rax = (u64)(uintptr_t)fake_vmcb };
		int vector = catch_exception(svm_insns[i].fn, &p);
		const struct exception_info *ex = last_exception();

		if (vector == X86_UD && ex->rip != p.insn_rip)
			report_fail("%s raises #UD at RIP 0x%lx, not at the instruction 0x%lx",
				    svm_insns[i].name, (unsigned long)ex->rip,
				    (unsigned long)p.insn_rip);
		else
			report_vector(X86_UD, vector, "%s raises #UD", svm_insns[i].name);
	}
}
