/*
 * guest/tests/apic_bcast.c - IPIs to several vCPUs at once: destination
 * shorthands and broadcast destinations.
 *
 * Behaviour (APM Vol 2 §16.5 "Interprocessor Interrupts (IPI)" (destination
 * shorthand, Table 16-4), §16.6.1 "Receiving System and IPI Interrupts",
 * §16.13 "x2APIC Interrupt Command Register (ICR) Operations" (broadcast
 * FFFF_FFFFh), §16.14 "Logical Destination Register"), in xAPIC and
 * x2APIC mode.  Every vCPU below 16 sends one fixed IPI per case at the
 * same time, each with its own vector (so that no two of them can merge in
 * one IRR bit), every vCPU counts per vector what it got, and the counts
 * must be exact:
 *  - shorthand "self": each sender gets its own vector, nobody else does;
 *  - shorthand "all including self": every vCPU gets every sender's vector;
 *  - shorthand "all excluding self": every vCPU gets every other sender's
 *    vector and not its own;
 *  - physical destination 0xFF (xAPIC) / 0xFFFFFFFF (x2APIC): broadcast,
 *    the sender included;
 *  - logical destination 0xFF (xAPIC, flat model, every LDR 0, so only the
 *    broadcast rule can match: "a destination of 0xFF is accepted by
 *    everyone in both logical models") / 0xFFFFFFFF (x2APIC): broadcast.
 * Cost: vCPU 0 sends 100 "all excluding self" broadcasts, each after every
 * receiver's main loop has taken the previous one: the sender takes one
 * exit per ICR access, each receiver one per EOI and no VINTR exit.
 *
 * METRIC exits_per_op: exits of the sender and all receivers per broadcast
 * (x2APIC), xapic_exits_per_op in xAPIC mode.
 *
 * A failure means a shorthand routed like another (self missing from
 * "all including", present in "all excluding"), a broadcast value not
 * recognised (0xFF taken as an ID, or the 8-bit value used in x2APIC
 * mode), a lost or duplicated copy, or extra exits on the delivery path.
 */
#include "guest/tests/apic_smp.h"

#define MAX_SENDERS     16      /* one vector per sender in each case's block of 16 */
#define METRIC_OPS      100
#define VEC_MEASURE     0xe0

enum bcast_case {
	CASE_SELF,
	CASE_ALL_INCL,
	CASE_ALL_EXCL,
	CASE_PHYS_BCAST,
	CASE_LOGICAL_BCAST,
	NR_CASES
};

static const char *const case_name[NR_CASES] = {
	[CASE_SELF] = "shorthand self",
	[CASE_ALL_INCL] = "shorthand all including self",
	[CASE_ALL_EXCL] = "shorthand all excluding self",
	[CASE_PHYS_BCAST] = "physical broadcast destination",
	[CASE_LOGICAL_BCAST] = "logical broadcast destination",
};

/* Case c, sender s: vector 0x40 + 0x20 * c + s (classes 4-0xd, all deliverable at TPR 0). */
static u8 case_vector(enum bcast_case c, u32 sender)
{
	return (u8)(0x40 + 0x20 * c + sender);
}

static u32 got[SMP_MAX_VCPUS][NR_CASES][MAX_SENDERS];
static u32 got_measure[SMP_MAX_VCPUS];
static u32 ack[SMP_MAX_VCPUS];
static u32 measure_done;
static struct exit_snapshot measure_exits[SMP_MAX_VCPUS];

static u32 nr_senders(void)
{
	return MIN(nr_vcpus(), MAX_SENDERS);
}

static void on_ipi(struct ex_regs *regs)
{
	u8 v = (u8)regs->vector;
	u32 me = this_vcpu();

	apic_eoi();
	if (v == VEC_MEASURE)
		smp_inc(&got_measure[me]);
	else
		smp_inc(&got[me][(v - 0x40) / 0x20][(v - 0x40) % 0x20]);
}

static void set_handlers(irq_handler_fn fn)
{
	for (u32 c = 0; c < NR_CASES; c++)
		for (u32 s = 0; s < MAX_SENDERS; s++)
			irq_set_handler(case_vector(c, s), fn);
	irq_set_handler(VEC_MEASURE, fn);
}

/* How many copies of sender s's vector target t must get (the architecture, not the model). */
static u32 expected(enum bcast_case c, u32 s, u32 t)
{
	switch (c) {
	case CASE_SELF:
		return s == t;
	case CASE_ALL_EXCL:
		return s != t;
	default:
		return 1;
	}
}

static void send(enum bcast_case c, u8 vector)
{
	bool x2 = apic_mode() == APIC_MODE_X2APIC;
	u32 bcast = x2 ? X2APIC_DEST_BROADCAST : XAPIC_DEST_BROADCAST;

	switch (c) {
	case CASE_SELF:
		apic_icr_write(0, APIC_ICR_SH_SELF | APIC_ICR_DM_FIXED | vector);
		break;
	case CASE_ALL_INCL:
		apic_icr_write(0, APIC_ICR_SH_ALL | APIC_ICR_DM_FIXED | vector);
		break;
	case CASE_ALL_EXCL:
		apic_icr_write(0, APIC_ICR_SH_OTHERS | APIC_ICR_DM_FIXED | vector);
		break;
	case CASE_PHYS_BCAST:
		apic_icr_write(bcast, APIC_ICR_DM_FIXED | vector);
		break;
	default:
		apic_icr_write(bcast, APIC_ICR_DEST_LOGICAL | APIC_ICR_DM_FIXED | vector);
		break;
	}
}

static bool all_arrived(enum bcast_case c, u32 me)
{
	for (u32 s = 0; s < nr_senders(); s++)
		if (smp_load(&got[me][c][s]) < expected(c, s, me))
			return false;
	return true;
}

static void check_case(const char *m, enum bcast_case c)
{
	u32 me = this_vcpu(), bad = 0, first_bad = 0;

	if (!vcpu_barrier("case: start"))
		return;
	sti();
	if (me < nr_senders())
		send(c, case_vector(c, me));
	wait_for(all_arrived(c, me), WAIT_LONG);
	tsc_delay(SMP_SETTLE_TICKS);
	if (!vcpu_barrier("case: sent"))
		return;
	cli();

	for (u32 s = 0; s < MAX_SENDERS; s++) {
		u32 want = s < nr_senders() ? expected(c, s, me) : 0;

		if (smp_load(&got[me][c][s]) != want && !bad++)
			first_bad = s;
	}
	if (bad)
		report_fail("%s: %s: %u sender(s) with a wrong count here, first vcpu%u's vector 0x%x "
			    "(expected %u, got %u)", m, case_name[c], bad, first_bad,
			    case_vector(c, first_bad),
			    first_bad < nr_senders() ? expected(c, first_bad, me) : 0,
			    smp_load(&got[me][c][first_bad]));
	else
		report_pass("%s: %s: exactly the expected copies from each of the %u senders arrived here",
			    m, case_name[c], nr_senders());
}

static void measure(const char *m)
{
	u32 me = this_vcpu(), n = nr_vcpus();
	struct exit_snapshot then, d;
	u64 want;

	smp_store(&measure_done, 0);
	smp_store(&ack[me], 0);
	exit_snapshot_take(&then);
	/* Receivers: IF=1 before the sender may start, so that nothing waits for a window. */
	if (me)
		sti();
	if (!vcpu_barrier("measure: start"))
		return;
	if (me) {
		/* Acks from the main loop, after the handler's IRET: the next IPI finds IF=1. */
		while (!smp_load(&measure_done)) {
			u32 k = smp_load(&got_measure[me]);

			if (k != smp_load(&ack[me]))
				smp_store(&ack[me], k);
			cpu_relax();
		}
		cli();
		measure_exits[me] = exits_since(&then);
	} else {
		u32 i;

		for (i = 0; i < METRIC_OPS; i++) {
			bool ok = true;

			send(CASE_ALL_EXCL, VEC_MEASURE);
			for (u32 t = 1; t < n && ok; t++)
				ok = wait_for(smp_load(&ack[t]) == i + 1, WAIT_LONG);
			if (!ok)
				break;
		}
		measure_exits[me] = exits_since(&then);
		smp_store(&measure_done, 1);
		report_eq(METRIC_OPS, i, "%s: %u broadcasts (all excluding self), each taken by all %u others",
			  m, METRIC_OPS, n - 1);
	}
	if (!vcpu_barrier("measure: end"))
		return;

	d = measure_exits[me];
	want = me ? METRIC_OPS : (u64)METRIC_OPS * smp_icr_accesses();

	report(d.total == want && d.total == smp_apic_exits(&d),
	       "%s: %s: one exit per APIC access (%lu), nothing else (%lu exits: msr %lu npf %lu vintr %lu hlt %lu)",
	       m, me ? "receiver (EOI)" : "sender (ICR)", (unsigned long)want, (unsigned long)d.total,
	       (unsigned long)d.msr, (unsigned long)d.npf, (unsigned long)d.vintr, (unsigned long)d.hlt);
	if (me == 0) {
		u64 total = 0, avic = 0;

		for (u32 t = 0; t < n; t++) {
			total += measure_exits[t].total;
			avic += exit_snapshot_avic(&measure_exits[t]);
		}
		apic_metric_exits("exits_per_op", total, avic, METRIC_OPS);
	}
}

static void check_mode(void)
{
	const char *m = apic_mode_name(apic_mode());
	u32 me = this_vcpu();

	memset(got[me], 0, sizeof(got[me]));
	got_measure[me] = 0;
	if (apic_mode() == APIC_MODE_XAPIC) {
		/* Flat model, no logical ID: only the broadcast rule can match a logical 0xFF. */
		apic_write(APIC_REG_DFR, 0xffffffff);
		apic_write(APIC_REG_LDR, 0);
	}
	set_handlers(on_ipi);

	for (u32 c = 0; c < NR_CASES; c++)
		check_case(m, c);
	measure(m);

	vcpu_barrier("mode: end");
	report_irq_unexpected(m);
}

GUEST_TEST(apic_bcast)
{
	if (!smp_need_vcpus(2))
		return;
	apic_for_each_mode(check_mode);
	set_handlers(NULL);
}
