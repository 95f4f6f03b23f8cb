/*
 * guest/tests/apic_smp.h - small helpers shared by the multi-vCPU APIC
 * tests (apic_ipi, apic_bcast, apic_logical, apic_lowest, apic_nmi,
 * apic_ioapic, apic_initsipi, apic_storm).
 *
 * Every vCPU of a test runs the same function; these tests give the vCPUs
 * roles (sender, receiver, bystander) and meet in shared memory.  Counters
 * that another vCPU reads are written with atomics and read with acquire
 * loads (APM Vol 2 §7.1 "Memory-Access Ordering"): a receiver counts in its
 * handler, the sender waits for the count.
 *
 * The local APIC ID of vCPU i is i (lib/hv_abi.h "Platform"), in both
 * modes: a physical destination is the vCPU index.
 */
#ifndef GUEST_TESTS_APIC_SMP_H
#define GUEST_TESTS_APIC_SMP_H

#include "guest/lib/apic.h"

/* Per-vCPU tables of these tests are sized for this many vCPUs (run.sh allows 64). */
#define SMP_MAX_VCPUS           64

/*
 * Time for a wrong extra delivery to show after the expected ones have
 * arrived: 5M TSC ticks, about 2 ms at the 2.5 GHz of the QEMU machine,
 * in which the hypervisor handles hundreds of exits.
 */
#define SMP_SETTLE_TICKS        5000000ULL

/* IF=1 for SMP_SETTLE_TICKS, so that anything pending or on its way is taken; then IF=0. */
static inline void smp_settle(void)
{
	sti();
	tsc_delay(SMP_SETTLE_TICKS);
	cli();
}

/*
 * Waits on another vCPU are bounded by this vCPU's own spins, never by the
 * TSC.  Under QEMU TCG the TSC runs in wall time, and with more vCPUs than
 * host cores a vCPU can go without a time slice for long: a wait bounded
 * by the TSC then fails because the other vCPU was not scheduled, not
 * because it did anything wrong.  A spin bound counts the waiter's own
 * running time, which the host's scheduler hands out as fairly as the
 * other vCPU's.  SMP_SPINS_MS is about a millisecond of spinning at full
 * speed under TCG (WAIT_LONG, about a second, / 1024); the bounds are
 * generous on purpose, as a hang is what they are for.  The value is
 * cond's last value; a wait that ended counts as progress (guest.h).
 */
#define SMP_SPINS_MS            (WAIT_LONG >> 10)
#define smp_wait_ms(cond, ms)   wait_for(cond, (u64)(ms) * SMP_SPINS_MS)

/*
 * A millisecond of TSC, roughly (the QEMU machine's TSC runs at about
 * 2.5 GHz): only for delays of this vCPU's own, never as a bound on
 * another vCPU.
 */
#define SMP_TSC_MS              2500000ULL

/*
 * Waits until vCPU t is halted in the hypervisor (HLT; HC_VCPU_STATE):
 * the progress condition for "the IPI must find it halted", which no delay
 * can guarantee.  false if it never got there within the bound.
 */
static inline bool smp_wait_halted(u32 t)
{
	return wait_for(hc_vcpu_state(t) & HV_VCPU_HALTED, WAIT_LONG >> 4);
}

static inline u32 smp_load(const u32 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void smp_store(u32 *p, u32 v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline u32 smp_inc(u32 *p)
{
	return __atomic_add_fetch(p, 1, __ATOMIC_ACQ_REL);
}

/*
 * true when the VM has at least min vCPUs (and no more than the tables
 * hold); otherwise every vCPU reports SKIP with the reason.  hv/tests.def
 * has the same minimum, so the hypervisor skips the test before it starts
 * in a run with fewer CPUs; this covers a VM built with fewer vCPUs anyway.
 */
static inline bool smp_need_vcpus(u32 min)
{
	u32 n = nr_vcpus();

	if (n < min) {
		report_skip("needs at least %u vCPUs, this VM has %u", min, n);
		return false;
	}
	if (n > SMP_MAX_VCPUS) {
		report_skip("the test's tables hold %u vCPUs, this VM has %u", SMP_MAX_VCPUS, n);
		return false;
	}
	return true;
}

/* APIC register accesses one apic_icr_write() makes: ICR high + ICR low, or one WRMSR. */
static inline u32 smp_icr_accesses(void)
{
	return apic_mode() == APIC_MODE_X2APIC ? 1 : 2;
}

/* Exits that are APIC accesses in this mode: WRMSR/RDMSR, or NPF on the xAPIC page. */
static inline u64 smp_apic_exits(const struct exit_snapshot *d)
{
	return apic_mode() == APIC_MODE_X2APIC ? d->msr : d->npf;
}

/* A fixed, edge IPI with a physical destination (APM Vol 2 §16.5 "Interprocessor Interrupts (IPI)"). */
static inline void smp_ipi_fixed(u32 dest, u8 vector)
{
	apic_icr_write(dest, APIC_ICR_DM_FIXED | vector);
}

#endif
