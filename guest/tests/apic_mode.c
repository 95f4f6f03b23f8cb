/*
 * guest/tests/apic_mode.c - IA32_APIC_BASE: the APIC's modes and the
 * transitions between them.
 *
 * Behaviour (APM Vol 2 §16.3.1 "Local APIC Enable", §16.9 "Detecting and
 * Enabling x2APIC Mode" (Table 16-5, Fig. 16-32), §16.10 "x2APIC
 * Initialization"; APM Vol 3 Appendix E.3.2 for CPUID):
 *  - at reset IA32_APIC_BASE = 0xFEE00000 | EN, with BSC (bit 8) set on the
 *    boot processor (vCPU 0) only (lib/hv_abi.h "Platform" picks the
 *    enabled xAPIC reset state, as KVM does, where §16.10 has RESET
 *    leave the APIC disabled: avic/vapic.c vapic_reset());
 *  - CPUID 1 ECX[21] (x2APIC) is set; CPUID 1 EDX[9] (APIC) is set while
 *    EN is set and clear while it is not;
 *  - legal: xAPIC -> x2APIC, x2APIC -> disabled, disabled -> xAPIC,
 *    xAPIC -> disabled; a WRMSR of the current value;
 *  - #GP, IA32_APIC_BASE unchanged: x2APIC -> xAPIC directly, disabled ->
 *    x2APIC directly, EXTD without EN from any mode, a reserved bit (7:0,
 *    9, MAXPHYADDR-63);
 *  - entering x2APIC keeps the ID (now 32 bits), TPR and SVR, and replaces
 *    LDR by the derived logical ID (APM Vol 2 §16.9.1 "Enabling x2APIC
 *    Mode", §16.14 "Logical Destination Register");
 *  - x2APIC -> disabled -> xAPIC keeps the ID; the MSR interface raises
 *    #GP outside x2APIC mode; the re-enabled APIC takes and delivers a
 *    self-IPI.
 *  - the MMIO page is not the APIC in x2APIC mode (APM Vol 2 §16.11
 *    "Accessing x2APIC Register": the registers are MSRs only) nor while
 *    the APIC is disabled (the processor then behaves as one without an
 *    APIC, APM Vol 2 §16.3.1 "Local APIC Enable"): it does not return the
 *    APIC's Version, and in x2APIC mode a TPR write there does not reach
 *    the APIC.  What the page reads instead is the platform's business and
 *    is not asserted (this hypervisor answers all ones, like unclaimed
 *    ports).
 * Whether other registers survive a disable is not architectural ("not
 * preserved": may or may not be reset), so only the ID, which is
 * preserved, is checked.  Relocation of the base is apic_relocate.
 *
 * METRIC exits_per_op: exits per WRMSR IA32_APIC_BASE (mode changes).
 *
 * A failure means an illegal mode reached (the model would then serve MSRs
 * and MMIO in a state the architecture forbids), a legal transition
 * refused, CPUID not following EN, or state lost or kept against the
 * x2APIC entry rules.
 */
#include "guest/lib/apic.h"

#define VEC_ALIVE       0x51

static bool cpuid_apic(void)
{
	return (cpuid(1).edx & CPUID_1_EDX_APIC) != 0;
}

static u64 base_with(u64 mode_bits)
{
	return (apic_base_msr() & ~(APIC_BASE_ENABLE | APIC_BASE_EXTD)) | mode_bits;
}

/*
 * WRMSR IA32_APIC_BASE with mode bits; expect the vector and the mode
 * after.  Returns true when both are as expected.
 */
static bool transition(const char *what, u64 mode_bits, int expect_vector, enum apic_mode expect_mode)
{
	u64 before = apic_base_msr(), val = base_with(mode_bits);
	int vector = apic_base_write_safe(val);

	if (!report_vector(expect_vector, vector, "%s: WRMSR IA32_APIC_BASE 0x%lx %s", what,
			   (unsigned long)val,
			   expect_vector == EXC_NONE ? "is accepted" : "raises #GP"))
		return false;
	if (expect_vector != EXC_NONE)
		return report_eq(before, apic_base_msr(), "%s: IA32_APIC_BASE unchanged", what);
	return report_eq(expect_mode, apic_mode(), "%s: now in %s mode (IA32_APIC_BASE 0x%lx)", what,
			 apic_mode_name(expect_mode), (unsigned long)apic_base_msr());
}

static void check_reset(void)
{
	u64 base = apic_base_msr();
	u64 expect = HV_LAPIC_BASE | APIC_BASE_ENABLE | (this_vcpu() == 0 ? APIC_BASE_BSP : 0);

	report_eq(expect, base, "reset: IA32_APIC_BASE = 0x%x | EN%s", HV_LAPIC_BASE,
		  this_vcpu() == 0 ? " | BSC (vCPU 0 is the boot processor)" : "");
	report(cpuid(1).ecx & CPUID_1_ECX_X2APIC, "CPUID 1 ECX[21] (x2APIC) is set");
	report(cpuid_apic(), "reset: CPUID 1 EDX[9] (APIC) is set while EN is set");
}

/* The MSR interface answers only in x2APIC mode (APM Vol 2 §16.11 "Accessing x2APIC Register"). */
static void check_msr_interface(const char *what, bool x2apic)
{
	u64 val = 0;
	int vector = rdmsr_safe(X2APIC_MSR(APIC_REG_ID), &val);

	if (x2apic) {
		if (report_vector(EXC_NONE, vector, "%s: RDMSR 0x802 (ID) works", what))
			report_eq(this_vcpu(), val, "%s: x2APIC ID is the vCPU index", what);
	} else {
		report_vector(X86_GP, vector, "%s: RDMSR 0x802 (ID) raises #GP", what);
		report_vector(X86_GP, wrmsr_safe(X2APIC_MSR(APIC_REG_TPR), 0),
			      "%s: WRMSR 0x808 (TPR) raises #GP", what);
	}
}

/* The xAPIC page while it should not be decoded. */
static void check_mmio_not_decoded(const char *what, u32 version)
{
	volatile u32 *page = (volatile u32 *)(uintptr_t)HV_LAPIC_BASE;
	u32 v = page[APIC_REG_VERSION / 4];

	report(v != version,
	       "%s: the MMIO page is not the APIC (Version 0x%x read there, the APIC's is 0x%x)", what,
	       v, version);
	if (apic_mode() != APIC_MODE_X2APIC)
		return;
	apic_write(APIC_REG_TPR, 0x10);
	page[APIC_REG_TPR / 4] = 0x70;
	report_eq(0x10, apic_read(APIC_REG_TPR),
		  "%s: a TPR write to the MMIO page does not reach the APIC", what);
	apic_write(APIC_REG_TPR, 0);
}

static void on_alive(struct ex_regs *regs)
{
	(void)regs;
	apic_eoi();
}

/* The APIC, back in xAPIC mode after being disabled, is an APIC again. */
static void check_alive(const char *what)
{
	u32 id = apic_read(APIC_REG_ID);

	report_eq((u64)this_vcpu() << 24, id, "%s: ID is still the vCPU index", what);
	apic_quiesce();
	irq_reset();
	irq_set_handler(VEC_ALIVE, on_alive);
	apic_self_ipi(VEC_ALIVE);
	sti_nop();
	report(wait_for(irq_count(VEC_ALIVE) == 1, WAIT_SHORT),
	       "%s: a self-IPI is delivered (%u times)", what, irq_count(VEC_ALIVE));
	cli();
	report_irq_unexpected(what);
	irq_set_handler(VEC_ALIVE, NULL);
}

/* The APIC Version as read at reset: the same on every vCPU. */
static u32 version;

static void check_x2apic_entry(void)
{
	const char *what = "xapic -> x2apic";
	u32 id = this_vcpu();

	apic_sw_enable();
	apic_write(APIC_REG_SVR, APIC_SVR_ENABLE | 0xef);
	apic_write(APIC_REG_TPR, 0x30);
	apic_write(APIC_REG_LDR, 0x5a000000);
	if (!transition(what, APIC_BASE_ENABLE | APIC_BASE_EXTD, EXC_NONE, APIC_MODE_X2APIC))
		return;
	check_msr_interface(what, true);
	report(cpuid_apic(), "%s: CPUID 1 EDX[9] stays set", what);
	report_eq(0x30, apic_read(APIC_REG_TPR), "%s: TPR kept", what);
	report_eq(APIC_SVR_ENABLE | 0xef, apic_read(APIC_REG_SVR), "%s: SVR kept", what);
	report_eq(((id >> 4) << 16) | (1u << (id & 15)), apic_read(APIC_REG_LDR),
		  "%s: LDR replaced by the derived logical ID", what);
	apic_write(APIC_REG_TPR, 0);
	check_mmio_not_decoded(what, version);
}

static void check_reserved_bits(const char *what)
{
	u32 maxphy = cpuid(0x80000000).eax >= 0x80000008 ? cpuid(0x80000008).eax & 0xff : 36;
	unsigned int bits[] = { 0, 7, 9, 63, maxphy };
	u64 before = apic_base_msr();

	for (size_t i = 0; i < ARRAY_SIZE(bits); i++) {
		if (bits[i] >= 64)
			continue;
		report_vector(X86_GP, apic_base_write_safe(before | BIT(bits[i])),
			      "%s: WRMSR IA32_APIC_BASE with reserved bit %u%s raises #GP", what,
			      bits[i], bits[i] == maxphy ? " (MAXPHYADDR)" : "");
	}
	report_eq(before, apic_base_msr(), "%s: IA32_APIC_BASE unchanged", what);
}

#define METRIC_CYCLES   100

/* op = one WRMSR IA32_APIC_BASE: xAPIC -> x2APIC -> disabled -> xAPIC. */
static void measure(void)
{
	u64 base = base_with(0);
	struct exit_snapshot then, d;

	if (!apic_x2apic_supported())
		return;
	exit_snapshot_take(&then);
	for (int i = 0; i < METRIC_CYCLES; i++) {
		wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_ENABLE | APIC_BASE_EXTD);
		wrmsr(MSR_IA32_APIC_BASE, base);
		wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_ENABLE);
	}
	d = exits_since(&then);
	apic_mode_refresh();
	metric_exits("exits_per_op", d.total, exit_snapshot_avic(&d), 3 * METRIC_CYCLES);
}

GUEST_TEST(apic_mode)
{
	check_reset();
	if (!report_eq(APIC_MODE_XAPIC, apic_mode(), "reset: xAPIC mode"))
		return;
	version = apic_read(APIC_REG_VERSION);

	transition("xapic -> xapic", APIC_BASE_ENABLE, EXC_NONE, APIC_MODE_XAPIC);
	transition("xapic -> EXTD without EN", APIC_BASE_EXTD, X86_GP, APIC_MODE_XAPIC);
	check_reserved_bits("xapic");

	if (!apic_x2apic_supported()) {
		report_skip("x2APIC transitions: CPUID 1 ECX[21] is clear");
	} else {
		check_x2apic_entry();
		transition("x2apic -> x2apic", APIC_BASE_ENABLE | APIC_BASE_EXTD, EXC_NONE,
			   APIC_MODE_X2APIC);
		transition("x2apic -> xapic directly", APIC_BASE_ENABLE, X86_GP, APIC_MODE_X2APIC);
		transition("x2apic -> EXTD without EN", APIC_BASE_EXTD, X86_GP, APIC_MODE_X2APIC);
		check_reserved_bits("x2apic");
		check_msr_interface("x2apic after the refused writes", true);

		if (transition("x2apic -> disabled", 0, EXC_NONE, APIC_MODE_DISABLED)) {
			report(!cpuid_apic(), "x2apic -> disabled: CPUID 1 EDX[9] is clear");
			check_msr_interface("x2apic -> disabled", false);
			check_mmio_not_decoded("x2apic -> disabled", version);
			transition("disabled -> x2apic directly", APIC_BASE_ENABLE | APIC_BASE_EXTD,
				   X86_GP, APIC_MODE_DISABLED);
			transition("disabled -> EXTD without EN", APIC_BASE_EXTD, X86_GP,
				   APIC_MODE_DISABLED);
			check_reserved_bits("disabled");
		}
		if (transition("disabled -> xapic", APIC_BASE_ENABLE, EXC_NONE, APIC_MODE_XAPIC)) {
			report(cpuid_apic(), "disabled -> xapic: CPUID 1 EDX[9] is set again");
			check_msr_interface("x2apic -> disabled -> xapic", false);
			check_alive("x2apic -> disabled -> xapic");
		}
	}

	apic_set_mode(APIC_MODE_XAPIC);
	if (transition("xapic -> disabled", 0, EXC_NONE, APIC_MODE_DISABLED)) {
		report(!cpuid_apic(), "xapic -> disabled: CPUID 1 EDX[9] is clear");
		check_msr_interface("xapic -> disabled", false);
		check_mmio_not_decoded("xapic -> disabled", version);
	}
	if (transition("disabled -> xapic", APIC_BASE_ENABLE, EXC_NONE, APIC_MODE_XAPIC)) {
		report(cpuid_apic(), "xapic -> disabled -> xapic: CPUID 1 EDX[9] is set again");
		check_alive("xapic -> disabled -> xapic");
	}

	measure();
	apic_set_mode(APIC_MODE_XAPIC);
	apic_quiesce();
}
