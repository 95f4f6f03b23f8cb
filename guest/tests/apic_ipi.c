/*
 * guest/tests/apic_ipi.c - fixed IPIs from one vCPU to another.
 *
 * Behaviour (APM Vol 2 §16.5 "Interprocessor Interrupts (IPI)", §16.6.1
 * "Receiving System and IPI Interrupts" (physical destination), §16.6.3
 * "Accepting System and IPI Interrupts" and §16.6.4 "Selecting and
 * Handling Interrupts" (IRR, ISR, TMR, PPR, EOI), §16.4.6 "APIC Error
 * Interrupts"), in xAPIC and x2APIC mode,
 * vCPU 0 sending to vCPU 1, every other vCPU a bystander:
 *  - a fixed, edge IPI with a physical destination reaches a receiver that
 *    spins with IF=1, exactly once, and no other vCPU (the sender
 *    included); in the handler its vector is in ISR, not in IRR, not in
 *    TMR (edge), and PPR holds its class; after the EOI its ISR bit is clear;
 *  - the sender's ICR reads back what was written and its delivery status
 *    (bit 12) reads idle: x2APIC has no such bit (§16.13 "x2APIC Interrupt
 *    Command Register (ICR) Operations") and a software APIC delivers at
 *    once (§16.5, DS);
 *  - a receiver halted with "sti; hlt" is woken by the IPI, which it then
 *    takes exactly once;
 *  - an IPI to an APIC ID no vCPU has arrives nowhere.  ESR: §16.4.6
 *    defines AMD's bit 2 (SAE) as "a message sent by the local APIC was
 *    not accepted by any other APIC",
 *    so in xAPIC mode the sender must see SAE after the next ESR write (on
 *    Intel this bit exists only on P6/Pentium, which is why it is called
 *    model specific; AMD keeps it).  For x2APIC mode the APM says no more
 *    than that, so there only "no other error bit" is checked.  The
 *    x2APIC destination is 0x101: an APIC that compared only 8 bits would
 *    deliver it to vCPU 1.
 * Cost: 200 IPIs, each sent after the receiver's main loop has seen the
 * previous one: the sender takes one exit per ICR access (x2APIC 1 WRMSR,
 * xAPIC ICR high + ICR low), the receiver one per EOI and no VINTR exit
 * (it spins with IF=1, so the vector is injected on the VMRUN that follows
 * the kick); the halted receiver takes one HLT exit and no VINTR exit.
 *
 * METRIC exits_per_op: exits of sender and receiver together per IPI
 * (x2APIC), xapic_exits_per_op the same in xAPIC mode.
 *
 * A failure means a lost, duplicated or misrouted IPI (an 8-bit compare
 * of an x2APIC destination, a broadcast where a unicast was meant), IRR/
 * ISR/TMR bookkeeping that differs from the architecture, a halted vCPU
 * that is not woken, a missing send accept error, or extra exits on the
 * delivery path.
 */
#include "guest/tests/apic_smp.h"

#define SENDER          0
#define RECEIVER        1

#define VEC_BASE        0x50
#define VEC_RUN         0x50    /* to the spinning receiver */
#define VEC_HALT        0x51    /* to the halted receiver */
#define VEC_NOBODY      0x52    /* to an APIC ID no vCPU has */
#define VEC_WAKE        0x53    /* wakes the halted receiver if VEC_HALT got lost */
#define VEC_MEASURE     0x54
#define NR_VEC          5

#define XAPIC_NOBODY    0xfeu
#define X2APIC_NOBODY   (0x100u | RECEIVER)

#define METRIC_OPS      200

/* Deliveries per vCPU and vector, counted by the handler; read by every vCPU. */
static u32 got[SMP_MAX_VCPUS][NR_VEC];

/* What the receiver saw in its VEC_RUN handler. */
struct seen {
	bool isr, irr, tmr, isr_after_eoi;
	u32 ppr;
};
static struct seen seen[SMP_MAX_VCPUS];

/* The receiver's main loop publishes what it has taken (the measurement's ack). */
static u32 ack;
static u32 measure_done;
static struct exit_snapshot receiver_exits;
static u32 halting;

static void on_ipi(struct ex_regs *regs)
{
	u8 v = (u8)regs->vector;
	u32 me = this_vcpu();

	if (v == VEC_RUN && !smp_load(&got[me][v - VEC_BASE])) {
		seen[me].isr = apic_isr(v);
		seen[me].irr = apic_irr(v);
		seen[me].tmr = apic_tmr(v);
		seen[me].ppr = apic_read(APIC_REG_PPR);
		apic_eoi();
		seen[me].isr_after_eoi = apic_isr(v);
	} else {
		apic_eoi();
	}
	/* Last: whoever waits for the count finds the observations written. */
	smp_inc(&got[me][v - VEC_BASE]);
}

static void set_handlers(irq_handler_fn fn)
{
	for (u8 v = VEC_BASE; v < VEC_BASE + NR_VEC; v++)
		irq_set_handler(v, fn);
}

/* Each vCPU: what it got of vector, against what it should have. */
static void check_count(const char *m, u8 vector, u32 expected, const char *what)
{
	u32 me = this_vcpu();

	report_eq(expected, smp_load(&got[me][vector - VEC_BASE]), "%s: %s: %s", m, what,
		  expected ? "arrived here exactly once" : "did not arrive here");
}

static void check_running(const char *m)
{
	u32 me = this_vcpu();

	if (!vcpu_barrier("running: start"))
		return;
	sti();
	if (me == SENDER) {
		u32 low = APIC_ICR_DM_FIXED | VEC_RUN;
		u64 icr;
		bool idle;

		smp_ipi_fixed(RECEIVER, VEC_RUN);
		icr = apic_icr_read();
		idle = apic_icr_wait_idle(WAIT_SHORT);
		if (apic_mode() == APIC_MODE_X2APIC)
			report_eq(((u64)RECEIVER << 32) | low, icr, "%s: sender: ICR reads back destination and command", m);
		else
			report_eq(((u64)RECEIVER << 56) | low, icr & ~(u64)APIC_ICR_BUSY,
				  "%s: sender: ICR high:low read back destination and command", m);
		report(idle && !(apic_icr_read() & APIC_ICR_BUSY),
		       "%s: sender: ICR delivery status (bit 12) reads idle after the send (ICR 0x%lx)", m,
		       (unsigned long)icr);
		report(wait_for(smp_load(&got[RECEIVER][VEC_RUN - VEC_BASE]) >= 1, WAIT_LONG),
		       "%s: fixed IPI to vcpu%u (spinning, IF=1) arrives", m, RECEIVER);
		tsc_delay(SMP_SETTLE_TICKS);
	}
	if (!vcpu_barrier("running: sent"))
		return;
	cli();
	check_count(m, VEC_RUN, me == RECEIVER, "fixed IPI, physical destination vcpu1, receiver spinning");
	if (me == RECEIVER && smp_load(&got[me][VEC_RUN - VEC_BASE])) {
		struct seen s = seen[me];

		report(s.isr && !s.irr, "%s: in the handler: vector in ISR (%u), not in IRR (%u)", m, s.isr, s.irr);
		report(!s.tmr, "%s: in the handler: TMR bit clear (edge IPI)", m);
		report_eq(VEC_RUN & 0xf0, s.ppr, "%s: in the handler: PPR is the vector's class (TPR 0)", m);
		report(!s.isr_after_eoi, "%s: after the EOI the ISR bit is clear", m);
	}
}

static void check_halted(const char *m)
{
	u32 me = this_vcpu();
	struct exit_snapshot then, d;

	smp_store(&halting, 0);
	if (!vcpu_barrier("halted: start"))
		return;
	if (me == RECEIVER) {
		exit_snapshot_take(&then);
		smp_store(&halting, 1);
		/* sti; hlt: an IPI that is already pending wakes the HLT at once (its STI shadow). */
		cli();
		while (!smp_load(&got[me][VEC_HALT - VEC_BASE]) && !smp_load(&got[me][VEC_WAKE - VEC_BASE])) {
			safe_halt();
			cli();
		}
		d = exits_since(&then);
		report(d.hlt >= 1, "%s: receiver halted (%lu HLT exits)", m, (unsigned long)d.hlt);
		report_eq(0, d.vintr, "%s: halted receiver: no VINTR exit (injected on the VMRUN that ends the HLT)", m);
	} else {
		sti();
	}
	if (me == SENDER) {
		bool ok;

		wait_for(smp_load(&halting), WAIT_LONG);
		/* The IPI must find vcpu1 in its HLT: wait until the hypervisor has it halted. */
		report(smp_wait_halted(RECEIVER), "%s: vcpu%u is halted in sti; hlt before the IPI is sent", m, RECEIVER);
		smp_ipi_fixed(RECEIVER, VEC_HALT);
		ok = wait_for(smp_load(&got[RECEIVER][VEC_HALT - VEC_BASE]) >= 1, WAIT_LONG);
		report(ok, "%s: fixed IPI to vcpu%u halted in sti; hlt wakes it", m, RECEIVER);
		if (!ok)
			smp_ipi_fixed(RECEIVER, VEC_WAKE);
		tsc_delay(SMP_SETTLE_TICKS);
	}
	if (!vcpu_barrier("halted: sent"))
		return;
	cli();
	check_count(m, VEC_HALT, me == RECEIVER, "fixed IPI to the halted vcpu1");
}

static void check_nobody(const char *m)
{
	bool x2 = apic_mode() == APIC_MODE_X2APIC;
	u32 dest = x2 ? X2APIC_NOBODY : XAPIC_NOBODY;
	u32 me = this_vcpu();

	if (!vcpu_barrier("nobody: start"))
		return;
	sti();
	if (me == SENDER) {
		u32 esr;

		apic_esr();
		smp_ipi_fixed(dest, VEC_NOBODY);
		tsc_delay(SMP_SETTLE_TICKS);
		esr = apic_esr();
		if (!x2)
			report(esr & APIC_ESR_SAE,
			       "%s: IPI to APIC ID 0x%x (no such APIC): ESR bit 2 send accept error (ESR 0x%x)",
			       m, dest, esr);
		report_eq(0, esr & ~APIC_ESR_SAE,
			  "%s: IPI to APIC ID 0x%x (no such APIC): no ESR bit but send accept error", m, dest);
	}
	if (!vcpu_barrier("nobody: sent"))
		return;
	cli();
	report(!smp_load(&got[me][VEC_NOBODY - VEC_BASE]) && !apic_irr(VEC_NOBODY),
	       "%s: IPI to APIC ID 0x%x (no such APIC) did not arrive here", m, dest);
}

static void measure(const char *m)
{
	u32 me = this_vcpu();
	struct exit_snapshot then, d = { 0 };

	smp_store(&ack, 0);
	smp_store(&measure_done, 0);
	exit_snapshot_take(&then);
	/* IF=1 before the sender may start, so that no IPI has to wait for a window. */
	sti();
	if (!vcpu_barrier("measure: start"))
		return;
	if (me == RECEIVER) {
		/* The ack comes from here, after the handler's IRET: the next IPI finds IF=1. */
		while (!smp_load(&measure_done)) {
			u32 n = smp_load(&got[me][VEC_MEASURE - VEC_BASE]);

			if (n != smp_load(&ack))
				smp_store(&ack, n);
			cpu_relax();
		}
		receiver_exits = exits_since(&then);
	} else if (me == SENDER) {
		u32 i;

		for (i = 0; i < METRIC_OPS; i++) {
			smp_ipi_fixed(RECEIVER, VEC_MEASURE);
			if (!wait_for(smp_load(&ack) == i + 1, WAIT_LONG))
				break;
		}
		d = exits_since(&then);
		smp_store(&measure_done, 1);
		report_eq(METRIC_OPS, i, "%s: %u IPIs one after the other, each acknowledged", m, METRIC_OPS);
		report(d.total == (u64)METRIC_OPS * smp_icr_accesses() && d.total == smp_apic_exits(&d),
		       "%s: sender: one exit per ICR access (%u per IPI), nothing else "
		       "(%lu exits: msr %lu npf %lu vintr %lu hlt %lu)", m, smp_icr_accesses(),
		       (unsigned long)d.total, (unsigned long)d.msr, (unsigned long)d.npf,
		       (unsigned long)d.vintr, (unsigned long)d.hlt);
	}
	if (!vcpu_barrier("measure: end"))
		return;
	cli();
	if (me == RECEIVER) {
		d = receiver_exits;
		report(d.total == METRIC_OPS && d.total == smp_apic_exits(&d),
		       "%s: receiver: one exit per IPI (its EOI), nothing else "
		       "(%lu exits: msr %lu npf %lu vintr %lu hlt %lu)", m,
		       (unsigned long)d.total, (unsigned long)d.msr, (unsigned long)d.npf,
		       (unsigned long)d.vintr, (unsigned long)d.hlt);
		report_eq(0, d.vintr, "%s: receiver spinning with IF=1: no VINTR exit", m);
	}
	if (me == SENDER)
		apic_metric_exits("exits_per_op", d.total + receiver_exits.total,
				  exit_snapshot_avic(&d) + exit_snapshot_avic(&receiver_exits), METRIC_OPS);
}

static void check_mode(void)
{
	const char *m = apic_mode_name(apic_mode());
	u32 me = this_vcpu();

	memset(got[me], 0, sizeof(got[me]));
	seen[me] = (struct seen){ 0 };
	set_handlers(on_ipi);

	check_running(m);
	check_halted(m);
	check_nobody(m);
	measure(m);

	vcpu_barrier("mode: end");
	report_irq_unexpected(m);
}

GUEST_TEST(apic_ipi)
{
	if (!smp_need_vcpus(2))
		return;
	apic_for_each_mode(check_mode);
	set_handlers(NULL);
}
