/*
 * guest/tests/cpuid.c - CPUID as the hypervisor filters it.
 *
 * Behaviour: CPUID always exits to the hypervisor (APM Vol 2 §15.9
 * "Instruction Intercepts"), which reports a hypervisor: leaf 1 ECX[31] set,
 * leaves 0x40000000 (highest leaf, signature HV_CPUID_SIGNATURE) and
 * 0x40000001 (HV_ABI_VERSION); and hides what a guest must not use: SVM
 * (0x80000001 ECX[2] clear, leaf 0x8000000A all zero, per APM Vol 2 §15.4
 * "Enabling SVM" SVM is detected through these; also SKINIT, 0x80000001
 * ECX[12], which makes STGI and SKINIT legal without EFER.SVME) and
 * MONITOR/MWAIT (leaf 1 ECX[3]).  Leaf 1 EBX[31:24], the initial APIC ID, is the vCPU index.
 *
 * A failure means the guest sees the host's raw CPUID (no filtering, or the
 * wrong leaf patched), a different hypervisor ABI, or vCPUs that all claim
 * the same APIC ID.
 */
#include "guest/lib/guest.h"

GUEST_TEST(cpuid)
{
	struct cpuid_regs r, leaf1 = cpuid(1);
	char sig[13];
	u32 max_ext;

	report(leaf1.ecx & CPUID_1_ECX_HYPERVISOR,
	       "leaf 1 ECX[31] (hypervisor present) is set (ECX 0x%x)", leaf1.ecx);
	report(!(leaf1.ecx & CPUID_1_ECX_MONITOR),
	       "leaf 1 ECX[3] (MONITOR/MWAIT) is clear (ECX 0x%x)", leaf1.ecx);
	report_eq(this_vcpu(), leaf1.ebx >> 24,
		  "leaf 1 EBX[31:24] (initial APIC ID) is the vCPU index");

	r = cpuid(HV_CPUID_LEAF_BASE);
	report(r.eax >= HV_CPUID_LEAF_MAX,
	       "leaf 0x40000000 EAX (highest hypervisor leaf) 0x%x >= 0x%x",
	       r.eax, HV_CPUID_LEAF_MAX);
	memcpy(sig + 0, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	sig[12] = 0;
	for (int i = 0; i < 12; i++)
		if (sig[i] < 0x20 || sig[i] > 0x7e)
			sig[i] = '.';
	report(!memcmp(&r.ebx, HV_CPUID_SIGNATURE + 0, 4) &&
	       !memcmp(&r.ecx, HV_CPUID_SIGNATURE + 4, 4) &&
	       !memcmp(&r.edx, HV_CPUID_SIGNATURE + 8, 4),
	       "leaf 0x40000000 signature '%s' is '%s'", sig, HV_CPUID_SIGNATURE);

	r = cpuid(HV_CPUID_LEAF_MAX);
	report_eq(HV_ABI_VERSION, r.eax, "leaf 0x40000001 EAX is the ABI version");

	max_ext = cpuid(0x80000000).eax;
	if (max_ext < 0x80000001) {
		report_skip("no leaf 0x80000001 (highest extended leaf 0x%x)", max_ext);
	} else {
		r = cpuid(0x80000001);
		report(!(r.ecx & CPUID_80000001_ECX_SVM),
		       "leaf 0x80000001 ECX[2] (SVM) is clear (ECX 0x%x)", r.ecx);
		/* With SKINIT offered, STGI and SKINIT would be legal (svm_insn.c). */
		report(!(r.ecx & CPUID_80000001_ECX_SKINIT),
		       "leaf 0x80000001 ECX[12] (SKINIT/STGI) is clear (ECX 0x%x)", r.ecx);
	}

	/* Whatever the highest extended leaf says: the hypervisor answers zeros. */
	r = cpuid(0x8000000a);
	report(!r.eax && !r.ebx && !r.ecx && !r.edx,
	       "leaf 0x8000000A (SVM features) is all zero (0x%x 0x%x 0x%x 0x%x)",
	       r.eax, r.ebx, r.ecx, r.edx);
}
