/*
 * guest/tests/apic_selfipi.c - interrupts a vCPU sends to itself.
 *
 * Behaviour (APM Vol 2 §16.5 "Interprocessor Interrupts (IPI)" (destination
 * shorthand "self"), §16.6.3 "Accepting System and IPI Interrupts" and
 * §16.6.4 "Selecting and Handling Interrupts" (IRR, ISR, EOI), §16.3.1
 * "Local APIC Enable" (software-disabled APIC), §16.4.6 "APIC Error
 * Interrupts", §16.15 "Self_IPI Register"):
 *  - a fixed, edge self-IPI is delivered once: the handler runs exactly
 *    once, with the vector's ISR bit set and its IRR and TMR bits clear
 *    while it runs; after the EOI the ISR bit is clear;
 *  - it goes through ICR with the "self" shorthand (xAPIC and x2APIC),
 *    through ICR with the vCPU's own APIC ID as physical destination, and
 *    in x2APIC mode through the SELF_IPI MSR;
 *  - with IF clear the vector waits in IRR (not yet in ISR) and is taken
 *    at STI;
 *  - a software-disabled APIC (SVR bit 8 clear) does not accept it;
 *  - vectors 0-15 are illegal: the IPI is not delivered (no IRR bit, no
 *    interrupt) and ESR reports it (bit 5 send illegal vector or bit 6
 *    receive illegal vector) after the next ESR write; a further ESR write
 *    clears it again; an illegal SELF_IPI right after a legal ICR
 *    self-IPI sends nothing (ICR is not the SELF_IPI register).
 * Cost, for a software APIC that intercepts every access: 1000 self-IPIs
 * with IF set, each EOIed by its handler, take one intercepted exit per
 * APIC register access and nothing else: in x2APIC mode 2 MSR exits per
 * IPI (ICR or SELF_IPI write, EOI write), in xAPIC mode 2 NPF exits, and
 * no VINTR exit (IF is set, so the vector is injected at the VMRUN that
 * follows the ICR write).  Checked as "at most one exit per access, all of
 * them APIC accesses": an AVIC backend takes fewer.
 *
 * Each vCPU of the VM runs this on its own APIC, at once; no vCPU waits for
 * another, and the exit counts are per vCPU (a host interrupt's exit is
 * not in them), so the load of the others changes nothing.  A self-IPI is
 * in IRR when the write that sends it returns: the waits end on this
 * vCPU's own progress, and the delays are only time for a wrong delivery
 * to show.
 *
 * METRIC exits_per_op (x2APIC ICR self-IPI + EOI), xapic_exits_per_op,
 * self_ipi_msr_exits_per_op (x2APIC SELF_IPI + EOI).
 *
 * A failure means a lost or duplicated interrupt, IRR/ISR bookkeeping that
 * differs from the architecture, an illegal vector delivered or not
 * reported, or extra exits on the delivery path (typically a VINTR window
 * where a direct injection was possible).
 */
#include "guest/lib/apic.h"

#define VEC_SELF        0x61
#define VEC_MEASURE     0x62
#define METRIC_OPS      1000

/* What the handler saw, per vCPU. */
struct seen {
	bool isr, irr, tmr;
};
static struct seen seen[GUEST_MAX_VCPUS];

static void on_self(struct ex_regs *regs)
{
	u8 v = (u8)regs->vector;

	seen[this_vcpu()] = (struct seen){ .isr = apic_isr(v), .irr = apic_irr(v), .tmr = apic_tmr(v) };
	apic_eoi();
}

static void on_measure(struct ex_regs *regs)
{
	(void)regs;
	apic_eoi();
}

enum path { PATH_ICR_SELF, PATH_ICR_ID, PATH_SELF_IPI_MSR };

static const char *const path_name[] = {
	[PATH_ICR_SELF] = "ICR shorthand self",
	[PATH_ICR_ID] = "ICR to own APIC ID",
	[PATH_SELF_IPI_MSR] = "SELF_IPI MSR",
};

static void send(enum path p, u8 vector)
{
	switch (p) {
	case PATH_ICR_SELF:
		apic_icr_self_ipi(vector);
		break;
	case PATH_ICR_ID:
		apic_icr_write(apic_id(), APIC_ICR_DM_FIXED | vector);
		break;
	case PATH_SELF_IPI_MSR:
		wrmsr(X2APIC_MSR_SELF_IPI, vector);
		break;
	}
}

static void check_delivery(const char *m, enum path p)
{
	const char *how = path_name[p];
	u32 n;

	irq_reset();
	irq_set_handler(VEC_SELF, on_self);
	seen[this_vcpu()] = (struct seen){ 0 };

	/* IF clear: accepted into IRR, not in service yet. */
	send(p, VEC_SELF);
	wait_for(apic_irr(VEC_SELF), 1000);
	report(apic_irr(VEC_SELF) && !apic_isr(VEC_SELF),
	       "%s: %s, IF clear: vector pending in IRR, not in ISR", m, how);
	report_eq(0, irq_count(VEC_SELF), "%s: %s, IF clear: not delivered", m, how);

	sti_nop();
	wait_for(irq_count(VEC_SELF) >= 1, WAIT_SHORT);
	/* Time for a wrong second delivery to show. */
	tsc_delay(1000000);
	cli();
	n = irq_count(VEC_SELF);
	report_eq(1, n, "%s: %s: handler ran exactly once after STI", m, how);
	if (n) {
		struct seen s = seen[this_vcpu()];

		report(s.isr, "%s: %s: ISR bit set in the handler", m, how);
		report(!s.irr, "%s: %s: IRR bit clear in the handler", m, how);
		report(!s.tmr, "%s: %s: TMR bit clear in the handler (edge)", m, how);
	}
	report(!apic_isr(VEC_SELF) && !apic_irr(VEC_SELF), "%s: %s: ISR and IRR clear after the EOI", m,
	       how);
	report_irq_unexpected(m);
	irq_set_handler(VEC_SELF, NULL);
}

/* Fixed interrupts are not accepted by a software-disabled APIC (APM Vol 2 §16.3.1 "Local APIC Enable"). */
static void check_sw_disabled(const char *m)
{
	irq_reset();
	irq_set_handler(VEC_SELF, on_self);
	apic_sw_disable();
	apic_self_ipi(VEC_SELF);
	report(!apic_irr(VEC_SELF), "%s: software-disabled APIC: self-IPI not accepted into IRR", m);
	apic_sw_enable();
	sti_nop();
	tsc_delay(1000000);             /* time for a wrong delivery to show */
	cli();
	report_eq(0, irq_count(VEC_SELF),
		  "%s: software-disabled APIC: nothing delivered after re-enabling", m);
	report_irq_unexpected(m);
	irq_set_handler(VEC_SELF, NULL);
}

struct illegal_send {
	enum path path;
	u8 vector;
};

static void do_illegal_send(void *arg)
{
	struct illegal_send *s = arg;

	send(s->path, s->vector);
	/* Delivered anyway?  Then it is taken here, as exception s->vector. */
	sti_nop();
	tsc_delay(1000000);
	cli();
}

/*
 * Vectors 0-15: nothing delivered, ESR reports it.  A delivery would enter
 * the exception stub of that vector, so it runs under catch_exception():
 * vectors 5 and 15 push no error code, so the frame is sound either way.
 */
static void check_illegal(const char *m, enum path p)
{
	static const u8 vectors[] = { 5, 15 };

	for (size_t i = 0; i < ARRAY_SIZE(vectors); i++) {
		struct illegal_send s = { .path = p, .vector = vectors[i] };
		u32 esr;
		int got;

		report_eq(0, apic_esr(), "%s: %s vector %u: ESR 0 before", m, path_name[p], vectors[i]);
		got = catch_exception(do_illegal_send, &s);
		report_vector(EXC_NONE, got, "%s: %s vector %u (illegal): not delivered", m,
			      path_name[p], vectors[i]);
		report(!apic_irr(vectors[i]) && !apic_isr(vectors[i]),
		       "%s: %s vector %u: not in IRR or ISR", m, path_name[p], vectors[i]);
		esr = apic_esr();
		report((esr & (APIC_ESR_SIV | APIC_ESR_RIV)) && !(esr & ~(APIC_ESR_SIV | APIC_ESR_RIV)),
		       "%s: %s vector %u: ESR reports an illegal vector (bit 5 or 6, nothing else; ESR 0x%x)",
		       m, path_name[p], vectors[i], esr);
		report_eq(0, apic_esr(), "%s: %s vector %u: ESR clear after the next write", m,
			  path_name[p], vectors[i]);
	}
}

/*
 * x2APIC: a SELF_IPI with an illegal vector sends nothing else.  ICR still
 * holds the legal self-IPI sent just before; the SELF_IPI write does not
 * touch ICR (APM Vol 2 §16.15 "Self_IPI Register").  Under x2AVIC the
 * illegal SELF_IPI exits as an incomplete IPI "invalid vector" (APM Vol 2
 * §15.29.9.1 "AVIC IPI Delivery Not Completed", Table 15-27): a handler
 * that re-sent the ICR of the backing page would deliver the older IPI a
 * second time.
 */
static void check_illegal_after_icr(const char *m)
{
	u32 esr;

	irq_reset();
	irq_set_handler(VEC_SELF, on_self);
	sti_nop();
	send(PATH_ICR_SELF, VEC_SELF);
	wait_for(irq_count(VEC_SELF) >= 1, WAIT_SHORT);
	cli();
	report_eq(1, irq_count(VEC_SELF), "%s: ICR self-IPI before an illegal SELF_IPI: delivered once", m);
	sti_nop();
	wrmsr(X2APIC_MSR_SELF_IPI, 5);
	/* Time for a wrong delivery of the older ICR to show. */
	tsc_delay(1000000);
	cli();
	report_eq(1, irq_count(VEC_SELF), "%s: SELF_IPI vector 5 (illegal) after it: the ICR's older IPI not "
		  "sent again", m);
	esr = apic_esr();
	report((esr & (APIC_ESR_SIV | APIC_ESR_RIV)) && !(esr & ~(APIC_ESR_SIV | APIC_ESR_RIV)),
	       "%s: SELF_IPI vector 5 after an ICR self-IPI: ESR reports an illegal vector (ESR 0x%x)", m, esr);
	report_irq_unexpected(m);
	irq_set_handler(VEC_SELF, NULL);
}

/*
 * N self-IPIs with IF set; each is taken right after the write that sends
 * it and EOIed by its handler.
 */
static void measure(const char *m, enum path p, const char *metric)
{
	bool x2 = apic_mode() == APIC_MODE_X2APIC;
	struct exit_snapshot then, d;
	u64 accesses = 2 * METRIC_OPS, apic_exits;

	irq_reset();
	irq_set_handler(VEC_MEASURE, on_measure);
	sti_nop();
	exit_snapshot_take(&then);
	for (int i = 0; i < METRIC_OPS; i++)
		send(p, VEC_MEASURE);
	d = exits_since(&then);
	cli();

	report_eq(METRIC_OPS, irq_count(VEC_MEASURE), "%s: %s x%u: each delivered once", m,
		  path_name[p], METRIC_OPS);
	apic_exits = x2 ? d.msr : d.npf;
	report(d.total <= accesses && d.total == apic_exits,
	       "%s: %s + EOI x%u: at most one exit per APIC access, all of them %s exits "
	       "(%lu exits: msr %lu npf %lu vintr %lu hlt %lu)", m, path_name[p], METRIC_OPS,
	       x2 ? "MSR" : "NPF", (unsigned long)d.total, (unsigned long)d.msr, (unsigned long)d.npf,
	       (unsigned long)d.vintr, (unsigned long)d.hlt);
	report_eq(0, d.vintr, "%s: %s with IF set: no VINTR exit", m, path_name[p]);
	apic_metric_exits(metric, d.total, exit_snapshot_avic(&d), METRIC_OPS);
	report_irq_unexpected(m);
	irq_set_handler(VEC_MEASURE, NULL);
}

static void check_mode(void)
{
	const char *m = apic_mode_name(apic_mode());
	bool x2 = apic_mode() == APIC_MODE_X2APIC;

	check_delivery(m, PATH_ICR_SELF);
	check_delivery(m, PATH_ICR_ID);
	if (x2)
		check_delivery(m, PATH_SELF_IPI_MSR);
	check_sw_disabled(m);
	check_illegal(m, PATH_ICR_SELF);
	if (x2) {
		check_illegal(m, PATH_SELF_IPI_MSR);
		check_illegal_after_icr(m);
	}
	measure(m, PATH_ICR_SELF, "exits_per_op");
	if (x2)
		measure(m, PATH_SELF_IPI_MSR, "self_ipi_msr_exits_per_op");
}

GUEST_TEST(apic_selfipi)
{
	apic_for_each_mode(check_mode);
}
