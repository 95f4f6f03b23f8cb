/*
 * guest/tests/apic_tpr.c - task priority: TPR, PPR and CR8.
 *
 * Behaviour (APM Vol 2 §16.6.4 "Selecting and Handling Interrupts": TPR,
 * PPR and CR8, Figs. 16-26 and 16-27; §16.6.3 "Accepting System and IPI
 * Interrupts"):
 *  - a fixed interrupt is delivered only when its priority class (vector
 *    bits 7:4) is above the PPR class; one at or below the TPR class stays
 *    pending in IRR (not in ISR), and is delivered as soon as TPR is
 *    lowered below its class, the highest pending vector first;
 *  - PPR = TPR when TPR[7:4] >= the class of the highest in-service vector
 *    (ISRV), else ISRV & 0xF0; read-only, sub-class included in the first
 *    case;
 *  - CR8 is TPR[7:4]: MOV to CR8 sets TPR to CR8 << 4 (sub-class 0), a TPR
 *    write shows in CR8 (sub-class dropped);
 *  - lowering the priority through CR8 delivers a pending interrupt at the
 *    next instruction boundary, without waiting for anything else.
 * "At once" is checked as: before the next instruction that could give the
 * hypervisor an exit (no exit happens between the write and the check,
 * except the write's own).  For a TPR write through MMIO/MSR the check
 * allows a short spin with no exits (an APIC write need not be serializing:
 * APM Vol 2 §16.11.2 "WRMSR / RDMSR serialization for x2APIC Register"),
 * which is still far shorter than a host timer tick.
 *
 * METRIC exits_per_op: exits per TPR write (x2APIC), xapic_exits_per_op;
 * cr8_exits_per_op: per MOV to CR8.
 *
 * A failure means interrupts delivered through a TPR that should block
 * them, a pending interrupt that waits for an unrelated exit after the
 * priority drops, a PPR computed from the wrong terms, or CR8 and TPR that
 * drift apart (typically V_TPR not synchronised with the APIC's TPR).
 */
#include "guest/lib/apic.h"

#define VEC_C4          0x45    /* class 4 */
#define VEC_C5          0x50    /* class 5, lowest vector of it */
#define VEC_C6          0x61    /* class 6 */
#define VEC_C9          0x92    /* class 9 */
#define INSTANT         2000    /* PAUSE iterations: "at once", no exits */

static void on_eoi(struct ex_regs *regs)
{
	(void)regs;
	apic_eoi();
}

/* PPR seen inside the class-9 handler, per vCPU. */
static u32 ppr_in_handler[GUEST_MAX_VCPUS];
static u32 tpr_for_handler[GUEST_MAX_VCPUS];

static void on_c9_ppr(struct ex_regs *regs)
{
	u32 me = this_vcpu();

	(void)regs;
	apic_write(APIC_REG_TPR, tpr_for_handler[me]);
	ppr_in_handler[me] = apic_read(APIC_REG_PPR);
	apic_write(APIC_REG_TPR, 0);
	apic_eoi();
}

static void set_handlers(irq_handler_fn fn)
{
	static const u8 vectors[] = { VEC_C4, VEC_C5, VEC_C6, VEC_C9 };

	for (size_t i = 0; i < ARRAY_SIZE(vectors); i++)
		irq_set_handler(vectors[i], fn);
}

static void check_masking(const char *m)
{
	irq_reset();
	set_handlers(on_eoi);

	apic_write(APIC_REG_TPR, 0x5f);
	sti_nop();
	apic_self_ipi(VEC_C4);
	apic_self_ipi(VEC_C5);
	apic_self_ipi(VEC_C6);
	report(wait_for(irq_count(VEC_C6) == 1, WAIT_SHORT), "%s: TPR 0x5f: class 6 vector delivered",
	       m);
	tsc_delay(1000000);
	report(irq_count(VEC_C4) == 0 && irq_count(VEC_C5) == 0,
	       "%s: TPR 0x5f: classes 4 and 5 not delivered (%u, %u)", m, irq_count(VEC_C4),
	       irq_count(VEC_C5));
	report(apic_irr(VEC_C4) && apic_irr(VEC_C5) && !apic_isr(VEC_C4) && !apic_isr(VEC_C5),
	       "%s: TPR 0x5f: classes 4 and 5 pending in IRR, not in ISR", m);
	report_eq(0x5f, apic_read(APIC_REG_PPR), "%s: PPR = TPR with nothing in service", m);

	/* 0x50 is in class 5: TPR class 5 still blocks it. */
	apic_write(APIC_REG_TPR, 0x50);
	tsc_delay(1000000);
	report_eq(0, irq_count(VEC_C5), "%s: TPR 0x50: vector 0x50 (class = TPR class) still blocked",
		  m);

	apic_write(APIC_REG_TPR, 0x40);
	report(wait_for(irq_count(VEC_C5) == 1, INSTANT),
	       "%s: TPR lowered to 0x40: class 5 delivered at once", m);
	report_eq(0, irq_count(VEC_C4), "%s: TPR 0x40: class 4 still blocked", m);

	apic_write(APIC_REG_TPR, 0);
	report(wait_for(irq_count(VEC_C4) == 1, INSTANT),
	       "%s: TPR lowered to 0: class 4 delivered at once", m);
	cli();

	report(irq_log_len() == 3 && irq_log(0).vector == VEC_C6 && irq_log(1).vector == VEC_C5 &&
		       irq_log(2).vector == VEC_C4,
	       "%s: delivery order 0x61, 0x50, 0x45 (got %u: 0x%x 0x%x 0x%x)", m, irq_log_len(),
	       irq_log(0).vector, irq_log(1).vector, irq_log(2).vector);
	report(apic_highest_irr() < 0 && apic_highest_isr() < 0, "%s: IRR and ISR empty at the end", m);

	/* Several pending below TPR: lowering it releases the highest first. */
	irq_reset();
	apic_write(APIC_REG_TPR, 0xf0);
	apic_self_ipi(VEC_C4);
	apic_self_ipi(VEC_C9);
	apic_self_ipi(VEC_C6);
	sti_nop();
	tsc_delay(1000000);
	report_eq(0, irq_log_len(), "%s: TPR 0xf0 blocks every class", m);
	apic_write(APIC_REG_TPR, 0);
	wait_for(irq_log_len() == 3, WAIT_SHORT);
	cli();
	report(irq_log_len() == 3 && irq_log(0).vector == VEC_C9 && irq_log(1).vector == VEC_C6 &&
		       irq_log(2).vector == VEC_C4,
	       "%s: TPR 0xf0 -> 0: released highest first (got %u: 0x%x 0x%x 0x%x)", m, irq_log_len(),
	       irq_log(0).vector, irq_log(1).vector, irq_log(2).vector);
	report_irq_unexpected(m);
	set_handlers(NULL);
}

/* PPR with a vector in service (APM Vol 2 §16.6.4 "Selecting and Handling Interrupts", Fig. 16-27). */
static void check_ppr(const char *m)
{
	static const struct {
		u32 tpr, ppr;
		const char *why;
	} cases[] = {
		{ 0x00, 0x90, "TPR 0x00 below ISRV class 9: ISRV & 0xf0" },
		{ 0x85, 0x90, "TPR 0x85 below ISRV class 9: ISRV & 0xf0" },
		{ 0x93, 0x93, "TPR 0x93, class = ISRV class: TPR" },
		{ 0xa7, 0xa7, "TPR 0xa7 above ISRV class: TPR" },
	};

	irq_set_handler(VEC_C9, on_c9_ppr);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		irq_reset();
		tpr_for_handler[this_vcpu()] = cases[i].tpr;
		ppr_in_handler[this_vcpu()] = ~0u;
		apic_self_ipi(VEC_C9);
		sti_nop();
		wait_for(irq_count(VEC_C9) == 1, WAIT_SHORT);
		cli();
		report_eq(cases[i].ppr, ppr_in_handler[this_vcpu()], "%s: in service 0x%x, %s", m,
			  VEC_C9, cases[i].why);
	}
	report_eq(0, apic_read(APIC_REG_PPR), "%s: PPR 0 after the EOI with TPR 0", m);
	irq_set_handler(VEC_C9, NULL);
}

static void check_cr8(const char *m)
{
	write_cr8(5);
	report_eq(0x50, apic_read(APIC_REG_TPR), "%s: MOV CR8, 5: TPR 0x50", m);
	report_eq(5, read_cr8(), "%s: MOV CR8, 5: CR8 reads 5", m);
	apic_write(APIC_REG_TPR, 0x7a);
	report_eq(7, read_cr8(), "%s: TPR 0x7a: CR8 reads 7", m);
	report_eq(0x7a, apic_read(APIC_REG_PPR), "%s: TPR 0x7a: PPR 0x7a", m);
	write_cr8(read_cr8());
	report_eq(0x70, apic_read(APIC_REG_TPR), "%s: MOV CR8, 7 after TPR 0x7a: sub-class cleared", m);
	write_cr8(15);
	report_eq(0xf0, apic_read(APIC_REG_TPR), "%s: MOV CR8, 15: TPR 0xf0", m);
	write_cr8(0);
	report_eq(0, apic_read(APIC_REG_TPR), "%s: MOV CR8, 0: TPR 0", m);
	report_eq(0, read_cr8(), "%s: MOV CR8, 0: CR8 reads 0", m);
}

/* Lowering CR8 delivers a pending vector before the next instruction. */
static void check_cr8_unblocks(const char *m)
{
	u32 before, after;

	irq_reset();
	irq_set_handler(VEC_C6, on_eoi);
	write_cr8(6);
	sti_nop();
	apic_self_ipi(VEC_C6);
	tsc_delay(1000000);
	before = irq_count(VEC_C6);
	report(before == 0 && apic_irr(VEC_C6), "%s: CR8 6: class 6 vector pending, not delivered", m);
	/* No instruction between the MOV and the load that could exit. */
	write_cr8(5);
	after = irq_count(VEC_C6);
	cli();
	report_eq(1, after, "%s: MOV CR8, 5 delivers the pending class 6 vector at once", m);
	write_cr8(0);
	report_irq_unexpected(m);
	irq_set_handler(VEC_C6, NULL);
}

#define METRIC_OPS      1000

static void measure(void)
{
	struct exit_snapshot then, d;

	exit_snapshot_take(&then);
	for (int i = 0; i < METRIC_OPS; i++)
		apic_write(APIC_REG_TPR, (u32)(i & 1) << 4);
	d = exits_since(&then);
	apic_metric_exits("exits_per_op", d.total, exit_snapshot_avic(&d), METRIC_OPS);

	if (apic_mode() != APIC_MODE_X2APIC)
		return;
	exit_snapshot_take(&then);
	for (int i = 0; i < METRIC_OPS; i++)
		write_cr8((u64)i & 1);
	d = exits_since(&then);
	metric_exits("cr8_exits_per_op", d.total, exit_snapshot_avic(&d), METRIC_OPS);
	write_cr8(0);
}

static void check_mode(void)
{
	const char *m = apic_mode_name(apic_mode());

	check_masking(m);
	check_ppr(m);
	check_cr8(m);
	check_cr8_unblocks(m);
	measure();
}

GUEST_TEST(apic_tpr)
{
	apic_for_each_mode(check_mode);
}
