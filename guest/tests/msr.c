/*
 * guest/tests/msr.c - RDMSR/WRMSR under the MSR intercepts.
 *
 * Behaviour (APM Vol 2 §15.11 "MSR Intercepts"; the MSRs themselves in
 * APM Vol 2 §3.1.7 "Extended Feature Enable Register (EFER)" and §7.8
 * "Page-Attribute Table Mechanism"):
 *  - an MSR no CPU implements raises #GP on RDMSR and WRMSR, as on hardware;
 *  - EFER reads LME and LMA set (the guest is in long mode) and SVME clear
 *    (the hypervisor's own SVME is hidden); setting SVME (SVM is not
 *    offered) or a reserved bit raises #GP and leaves EFER unchanged, while
 *    writing back the value read (what every OS does) is accepted;
 *  - PAT takes valid values and reads them back, and rejects a reserved
 *    memory type with #GP;
 *  - TSC reads do not go backwards; FS base reads back what was written.
 * Left out on purpose: APIC MSRs (IA32_APIC_BASE and the x2APIC range are
 * tested by the apic_* tests, e.g. apic_mode.c and apic_regs.c), and the
 * #GP for a non-canonical FS base: FS base is passed through, so that would
 * test the CPU, and QEMU 7.2 TCG does not raise it.
 *
 * A failure means an MSR passed through that should be emulated (or the
 * reverse), the hypervisor's EFER.SVME leaking into the guest, a guest able
 * to clear the SVME bit VMRUN needs (which would make the next VMRUN fail),
 * or an emulated MSR that loses what was written.
 */
#include "guest/lib/guest.h"

static const u32 unknown_msrs[] = {
	0x40000999,     /* in the range software hypervisors use; not ours */
	0xc001ffff,     /* top of AMD's C001_xxxx range, unimplemented */
};

static void check_unknown(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(unknown_msrs); i++) {
		u32 msr = unknown_msrs[i];
		u64 val;

		report_vector(X86_GP, rdmsr_safe(msr, &val), "RDMSR 0x%x (unknown MSR) raises #GP", msr);
		report_vector(X86_GP, wrmsr_safe(msr, 0), "WRMSR 0x%x (unknown MSR) raises #GP", msr);
	}
}

/*
 * Reserved EFER bits that are reserved on every AMD CPU so far.  Not bit 20:
 * it is UAIEN (Upper Address Ignore) on Zen 4 and later.
 */
static const unsigned int efer_reserved_bits[] = { 9, 16, 63 };

static void check_efer(void)
{
	u64 efer = rdmsr(MSR_EFER), now;

	report((efer & (EFER_LME | EFER_LMA)) == (EFER_LME | EFER_LMA),
	       "EFER 0x%lx has LME and LMA set", (unsigned long)efer);
	report(!(efer & EFER_SVME), "EFER 0x%lx has SVME clear", (unsigned long)efer);

	report_vector(EXC_NONE, wrmsr_safe(MSR_EFER, efer),
		      "WRMSR EFER with the value read (0x%lx) is accepted", (unsigned long)efer);

	report_vector(X86_GP, wrmsr_safe(MSR_EFER, efer | EFER_SVME),
		      "WRMSR EFER with SVME set raises #GP");
	for (size_t i = 0; i < ARRAY_SIZE(efer_reserved_bits); i++)
		report_vector(X86_GP, wrmsr_safe(MSR_EFER, efer | BIT(efer_reserved_bits[i])),
			      "WRMSR EFER with reserved bit %u set raises #GP",
			      efer_reserved_bits[i]);
	now = rdmsr(MSR_EFER);
	report_eq(efer, now, "EFER unchanged after the refused writes");
}

/* EFER.NXE is a bit a guest may set: the write must take and read back. */
static void check_efer_nxe(void)
{
	u64 efer = rdmsr(MSR_EFER), now;

	if (cpuid(0x80000000).eax < 0x80000001 || !(cpuid(0x80000001).edx & CPUID_80000001_EDX_NX)) {
		report_skip("EFER.NXE: no NX in CPUID 0x80000001 EDX[20]");
		return;
	}
	if (wrmsr_safe(MSR_EFER, efer ^ EFER_NXE) != EXC_NONE) {
		report_fail("WRMSR EFER toggling NXE raised %s", exception_name(last_exception()->vector));
		return;
	}
	now = rdmsr(MSR_EFER);
	wrmsr(MSR_EFER, efer);
	report_eq(efer ^ EFER_NXE, now, "EFER reads back with NXE toggled");
	report_eq(efer, rdmsr(MSR_EFER), "EFER restored");
}

/*
 * PAT entry i is byte i; valid types are 0 UC, 1 WC, 4 WT, 5 WP, 6 WB, 7 UC-.
 * PA0 (the entry for PWT=PCD=PAT=0, which the guest's page tables use)
 * stays WB in every value written here.
 */
#define PAT_POWER_ON    0x0007040600070406ULL
#define PAT_OTHER       0x0001050700010406ULL
#define PAT_RESERVED    0x0007040600070206ULL   /* PA1 = 2: reserved type */

static void check_pat(void)
{
	u64 saved = rdmsr(MSR_IA32_PAT);
	static const u64 values[] = { PAT_OTHER, PAT_POWER_ON };

	for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
		int vector = wrmsr_safe(MSR_IA32_PAT, values[i]);

		if (vector != EXC_NONE)
			report_vector(EXC_NONE, vector, "WRMSR PAT 0x%016lx", (unsigned long)values[i]);
		else
			report_eq(values[i], rdmsr(MSR_IA32_PAT), "PAT reads back 0x%016lx",
				  (unsigned long)values[i]);
	}
	report_vector(X86_GP, wrmsr_safe(MSR_IA32_PAT, PAT_RESERVED),
		      "WRMSR PAT with a reserved memory type raises #GP");
	wrmsr(MSR_IA32_PAT, saved);
	report_eq(saved, rdmsr(MSR_IA32_PAT), "PAT restored");
}

static void check_tsc(void)
{
	u64 t1 = rdmsr(MSR_IA32_TSC);
	u64 t2 = rdmsr(MSR_IA32_TSC);

	report(t2 >= t1, "RDMSR TSC does not go backwards (0x%lx then 0x%lx)",
	       (unsigned long)t1, (unsigned long)t2);
}

static void check_fs_base(void)
{
	const u64 value = 0x00007f1234567000ULL;
	u64 saved = rdmsr(MSR_FS_BASE);

	wrmsr(MSR_FS_BASE, value);
	report_eq(value, rdmsr(MSR_FS_BASE), "FS base reads back");
	wrmsr(MSR_FS_BASE, saved);
}

GUEST_TEST(msr)
{
	check_unknown();
	check_efer();
	check_efer_nxe();
	check_pat();
	check_tsc();
	check_fs_base();
}
