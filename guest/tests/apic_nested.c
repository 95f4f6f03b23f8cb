/*
 * guest/tests/apic_nested.c - nested interrupts, EOI and the order of
 * delivery.
 *
 * Behaviour (APM Vol 2 §16.6.3 "Accepting System and IPI Interrupts",
 * §16.6.4 "Selecting and Handling Interrupts" (PPR, EOI)):
 *  - while a vector is in service, PPR holds its class: a vector of a
 *    higher class interrupts its handler (once that handler sets IF), a
 *    vector of the same or a lower class waits in IRR, even a higher
 *    vector of the same class;
 *  - EOI clears the highest in-service vector only: with two in service,
 *    the inner handler's EOI leaves the outer one's ISR bit set;
 *  - after the outer EOI the waiting vectors are delivered, highest first;
 *  - several vectors made pending with IF clear are delivered highest
 *    first when IF is set (classes, and within a class the higher vector),
 *    each once.
 *
 * METRIC exits_per_op: exits per delivered interrupt in the nesting
 * scenario (sends, EOIs, ISR reads included; x2APIC), xapic_exits_per_op.
 *
 * Each vCPU of the VM runs this on its own APIC, at once; no vCPU waits for
 * another.  The self-IPIs are in IRR when the ICR write returns, so the
 * waits end on this vCPU's own progress (bounded by its spins) and the
 * delays are only time for a wrong delivery to show.
 *
 * A failure means the model injects without checking PPR (nesting where
 * the architecture blocks, or a same-class vector breaking in), an EOI
 * that clears the wrong ISR bit or all of them, or a selection that is not
 * "highest vector first".
 */
#include "guest/lib/apic.h"

#define VEC_OUTER       0x40    /* class 4 */
#define VEC_INNER       0x80    /* class 8: interrupts VEC_OUTER's handler */
#define VEC_SAME        0x4f    /* class 4, above VEC_OUTER: must wait */
#define VEC_LOWER       0x30    /* class 3: must wait */

struct nest {
	bool inner_ran_nested;          /* VEC_INNER's handler ran inside VEC_OUTER's */
	bool isr_both_in_inner;         /* ISR had VEC_OUTER and VEC_INNER in the inner handler */
	bool outer_isr_after_inner_eoi; /* ISR VEC_OUTER still set after the inner EOI */
	bool inner_isr_after_inner_eoi; /* ISR VEC_INNER still set after the inner EOI (wrong) */
	u32 same_before_eoi;            /* deliveries of VEC_SAME before the outer EOI */
	u32 lower_before_eoi;
	bool same_pending, lower_pending;
	u32 ppr_in_outer;
};

static struct nest nest[GUEST_MAX_VCPUS];

static void on_inner(struct ex_regs *regs)
{
	struct nest *n = &nest[this_vcpu()];

	(void)regs;
	n->inner_ran_nested = irq_depth() == 2;
	n->isr_both_in_inner = apic_isr(VEC_OUTER) && apic_isr(VEC_INNER);
	apic_eoi();
	n->outer_isr_after_inner_eoi = apic_isr(VEC_OUTER);
	n->inner_isr_after_inner_eoi = apic_isr(VEC_INNER);
}

static void on_outer(struct ex_regs *regs)
{
	struct nest *n = &nest[this_vcpu()];

	(void)regs;
	n->ppr_in_outer = apic_read(APIC_REG_PPR);
	sti();
	/* Higher class: taken right here, inside this handler. */
	apic_self_ipi(VEC_INNER);
	wait_for(irq_count(VEC_INNER) == 1, WAIT_SHORT);
	/* Same class (even a higher vector) and lower class: must wait. */
	apic_self_ipi(VEC_SAME);
	apic_self_ipi(VEC_LOWER);
	tsc_delay(1000000);             /* time for a wrong delivery to show (each one is in IRR at once) */
	n->same_before_eoi = irq_count(VEC_SAME);
	n->lower_before_eoi = irq_count(VEC_LOWER);
	n->same_pending = apic_irr(VEC_SAME);
	n->lower_pending = apic_irr(VEC_LOWER);
	cli();
	apic_eoi();
	/* IF set again: the two waiting ones come in here, nested at depth 2. */
	sti();
	wait_for(irq_count(VEC_SAME) == 1 && irq_count(VEC_LOWER) == 1, WAIT_SHORT);
	cli();
}

static void on_plain(struct ex_regs *regs)
{
	(void)regs;
	apic_eoi();
}

static void check_nesting(const char *m)
{
	struct nest *n = &nest[this_vcpu()];
	struct exit_snapshot then, d;

	*n = (struct nest){ 0 };
	irq_reset();
	irq_set_handler(VEC_OUTER, on_outer);
	irq_set_handler(VEC_INNER, on_inner);
	irq_set_handler(VEC_SAME, on_plain);
	irq_set_handler(VEC_LOWER, on_plain);

	exit_snapshot_take(&then);
	apic_self_ipi(VEC_OUTER);
	sti_nop();
	wait_for(irq_count(VEC_OUTER) == 1 && irq_count(VEC_LOWER) == 1, WAIT_SHORT);
	cli();
	d = exits_since(&then);

	if (!report_eq(1, irq_count(VEC_OUTER), "%s: outer vector 0x%x delivered once", m, VEC_OUTER))
		goto out;
	report_eq(VEC_OUTER, n->ppr_in_outer, "%s: PPR in the outer handler is its class", m);
	report_eq(1, irq_count(VEC_INNER), "%s: higher class 0x%x delivered once", m, VEC_INNER);
	report(n->inner_ran_nested, "%s: higher class 0x%x interrupted the outer handler", m,
	       VEC_INNER);
	report(n->isr_both_in_inner, "%s: ISR has 0x%x and 0x%x in the inner handler", m, VEC_OUTER,
	       VEC_INNER);
	report(n->outer_isr_after_inner_eoi && !n->inner_isr_after_inner_eoi,
	       "%s: EOI in the inner handler clears 0x%x only, 0x%x stays in service", m, VEC_INNER,
	       VEC_OUTER);
	report(n->same_before_eoi == 0 && n->same_pending,
	       "%s: same class, higher vector 0x%x waits in IRR until the EOI (%u deliveries before)",
	       m, VEC_SAME, n->same_before_eoi);
	report(n->lower_before_eoi == 0 && n->lower_pending,
	       "%s: lower class 0x%x waits in IRR until the EOI (%u deliveries before)", m, VEC_LOWER,
	       n->lower_before_eoi);
	report(irq_count(VEC_SAME) == 1 && irq_count(VEC_LOWER) == 1,
	       "%s: after the outer EOI both were delivered once (%u, %u)", m, irq_count(VEC_SAME),
	       irq_count(VEC_LOWER));
	report(irq_log_len() == 4 && irq_log(0).vector == VEC_OUTER && irq_log(1).vector == VEC_INNER &&
	       irq_log(2).vector == VEC_SAME && irq_log(3).vector == VEC_LOWER,
	       "%s: order 0x40, 0x80, 0x4f, 0x30 (got %u: 0x%x 0x%x 0x%x 0x%x)", m, irq_log_len(),
	       irq_log(0).vector, irq_log(1).vector, irq_log(2).vector, irq_log(3).vector);
	report(apic_highest_isr() < 0 && apic_highest_irr() < 0, "%s: ISR and IRR empty at the end", m);
	apic_metric_exits("exits_per_op", d.total, exit_snapshot_avic(&d), 4);
out:
	report_irq_unexpected(m);
	irq_set_handler(VEC_OUTER, NULL);
	irq_set_handler(VEC_INNER, NULL);
	irq_set_handler(VEC_SAME, NULL);
	irq_set_handler(VEC_LOWER, NULL);
}

/* Pending with IF clear, released together: highest vector first. */
static void check_order(const char *m)
{
	static const u8 sent[] = { 0x35, 0x90, 0x62, 0xa0, 0x61, 0x6f, 0x21, 0xfe };
	static const u8 expect[] = { 0xfe, 0xa0, 0x90, 0x6f, 0x62, 0x61, 0x35, 0x21 };
	u32 ok = 0, len;

	irq_reset();
	for (size_t i = 0; i < ARRAY_SIZE(sent); i++) {
		irq_set_handler(sent[i], on_plain);
		apic_self_ipi(sent[i]);
	}
	report_eq(0xfe, apic_highest_irr(),
		  "%s: %zu vectors pending with IF clear, highest in IRR 0xfe", m, ARRAY_SIZE(sent));
	sti_nop();
	wait_for(irq_log_len() >= ARRAY_SIZE(sent), WAIT_SHORT);
	tsc_delay(1000000);             /* time for a wrong extra delivery to show */
	cli();
	len = irq_log_len();
	for (size_t i = 0; i < ARRAY_SIZE(expect) && i < len; i++)
		ok += irq_log(i).vector == expect[i] && irq_log(i).depth == 1;
	if (!report(len == ARRAY_SIZE(expect) && ok == ARRAY_SIZE(expect),
		    "%s: delivered highest first, one at a time, each once (%u deliveries, %u in place)",
		    m, len, ok))
		for (u32 i = 0; i < len && i < IRQ_LOG_SIZE; i++)
			printf("%s: delivery %u: vector 0x%x depth %u\n", m, i, irq_log(i).vector,
			       irq_log(i).depth);
	for (size_t i = 0; i < ARRAY_SIZE(sent); i++)
		irq_set_handler(sent[i], NULL);
	report_irq_unexpected(m);
}

static void check_mode(void)
{
	const char *m = apic_mode_name(apic_mode());

	check_nesting(m);
	check_order(m);
}

GUEST_TEST(apic_nested)
{
	apic_for_each_mode(check_mode);
}
