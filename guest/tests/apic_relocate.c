/*
 * guest/tests/apic_relocate.c - moving the xAPIC register page.
 *
 * Behaviour (APM Vol 2 §16.3.1 "Local APIC Enable": IA32_APIC_BASE bits
 * 51:12 hold the base of the APIC's 4 KiB register page, Fig. 16-2):
 *  - after a WRMSR IA32_APIC_BASE with a new base address (EN set, EXTD
 *    clear) the registers are at the new address, and they are the same
 *    APIC: ID, Version, and a TPR written before the move read the same;
 *  - the old page is then not the APIC: it does not return the APIC's ID
 *    and Version, and a TPR write there does not reach the APIC (what it
 *    reads instead is the platform's business: this hypervisor answers
 *    all ones, like unclaimed ports);
 *  - a TPR written through the new address is seen through the old one
 *    after the move back;
 *  - the base is per APIC: while vCPU 0's APIC is moved, the other vCPUs'
 *    APICs still answer at the default base, with their own IDs.
 * The new base, 0xFED00000, is between the IOAPIC and the default APIC
 * base, above guest RAM (checked), 4 KiB aligned.
 *
 * METRIC exits_per_op: exits per TPR read at the moved base.
 *
 * A failure means an APIC whose MMIO page is fixed at 0xFEE00000, a move
 * that resets or duplicates the APIC's state, an old page still served as
 * the APIC after the move, or one vCPU's base applied to another's APIC.
 */
#include "guest/lib/apic.h"

#define NEW_BASE        0xfed00000ULL

static u32 mmio_read(u64 base, u32 reg)
{
	return *(volatile u32 *)(uintptr_t)(base + reg);
}

static void mmio_write(u64 base, u32 reg, u32 val)
{
	*(volatile u32 *)(uintptr_t)(base + reg) = val;
}

static bool move_to(u64 base)
{
	u64 val = (apic_base_msr() & ~APIC_BASE_ADDR_MASK) | base;
	int vector = apic_base_write_safe(val);

	if (!report_vector(EXC_NONE, vector, "WRMSR IA32_APIC_BASE 0x%lx (base 0x%lx) is accepted",
			   (unsigned long)val, (unsigned long)base))
		return false;
	return report_eq(base, apic_base_addr(), "IA32_APIC_BASE reads the new base 0x%lx",
			 (unsigned long)base);
}

/* vCPU 0 moves its APIC and checks it; the others check theirs stayed. */
static void check_moved(u32 id, u32 version)
{
	struct exit_snapshot then, d;
	u32 old_id, old_version;

	report_eq(id, mmio_read(NEW_BASE, APIC_REG_ID), "moved: ID reads the same at the new base");
	report_eq(version, mmio_read(NEW_BASE, APIC_REG_VERSION),
		  "moved: Version reads the same at the new base");
	report_eq(0x20, mmio_read(NEW_BASE, APIC_REG_TPR),
		  "moved: TPR written before the move reads the same");
	mmio_write(NEW_BASE, APIC_REG_TPR, 0x30);
	report_eq(0x30, mmio_read(NEW_BASE, APIC_REG_TPR),
		  "moved: TPR written at the new base reads back");
	report_eq(3, read_cr8(), "moved: CR8 follows TPR written at the new base");
	report_eq(0x30, apic_read(APIC_REG_TPR), "moved: apic_read() follows IA32_APIC_BASE");

	old_id = mmio_read(HV_LAPIC_BASE, APIC_REG_ID);
	old_version = mmio_read(HV_LAPIC_BASE, APIC_REG_VERSION);
	report(old_id != id || old_version != version,
	       "moved: the old page is not the APIC (ID 0x%x, Version 0x%x read there)", old_id,
	       old_version);
	mmio_write(HV_LAPIC_BASE, APIC_REG_TPR, 0x40);
	report_eq(0x30, mmio_read(NEW_BASE, APIC_REG_TPR),
		  "moved: a TPR write at the old page does not reach the APIC");

	exit_snapshot_take(&then);
	for (int i = 0; i < 1000; i++)
		(void)mmio_read(NEW_BASE, APIC_REG_TPR);
	d = exits_since(&then);
	metric_exits("exits_per_op", d.total, exit_snapshot_avic(&d), 1000);
}

GUEST_TEST(apic_relocate)
{
	u32 me = this_vcpu(), id, version;
	bool moved = false;

	if (boot_info->ram_size > NEW_BASE) {
		report_skip("guest RAM (0x%lx bytes) reaches 0x%llx",
			    (unsigned long)boot_info->ram_size, NEW_BASE);
		return;
	}
	if (!report_eq(APIC_MODE_XAPIC, apic_mode(), "the APIC starts in xAPIC mode"))
		return;

	id = mmio_read(HV_LAPIC_BASE, APIC_REG_ID);
	version = mmio_read(HV_LAPIC_BASE, APIC_REG_VERSION);
	mmio_write(HV_LAPIC_BASE, APIC_REG_TPR, 0x20);

	if (me == 0) {
		moved = move_to(NEW_BASE);
		if (moved)
			check_moved(id, version);
	}
	if (!vcpu_barrier("moved"))
		return;
	if (me != 0) {
		report_eq((u64)me << 24, mmio_read(HV_LAPIC_BASE, APIC_REG_ID),
			  "vCPU 0 moved its APIC: this one still answers at 0x%x with its own ID",
			  HV_LAPIC_BASE);
		report_eq(0x20, mmio_read(HV_LAPIC_BASE, APIC_REG_TPR),
			  "vCPU 0 moved its APIC: this one's TPR is its own");
	}
	if (!vcpu_barrier("checked"))
		return;

	if (moved && move_to(HV_LAPIC_BASE))
		report_eq(0x30, mmio_read(HV_LAPIC_BASE, APIC_REG_TPR),
			  "moved back: TPR written at the other base");
	mmio_write(HV_LAPIC_BASE, APIC_REG_TPR, 0);
}
