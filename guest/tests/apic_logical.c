/*
 * guest/tests/apic_logical.c - logical destinations: xAPIC flat and
 * cluster models, x2APIC cluster.
 *
 * Behaviour (APM Vol 2 §16.6.1 "Receiving System and IPI Interrupts"
 * (logical destination, DFR/LDR, flat and cluster models), §16.14 "Logical
 * Destination Register" (x2APIC cluster)):
 *  - xAPIC flat model (DFR bits 31:28 = 0xF): each vCPU below 8 puts one
 *    bit in LDR[31:24]; an IPI reaches every vCPU whose logical ID shares
 *    a bit with the 8-bit destination: a one-bit destination exactly one
 *    vCPU, a multi-bit destination several, a destination whose bits no
 *    vCPU holds (or 0) nobody;
 *  - xAPIC cluster model (DFR bits 31:28 = 0x0): LDR[31:28] is the cluster,
 *    LDR[27:24] a one-hot member bit; a destination matches when its bits
 *    7:4 equal the cluster and its bits 3:0 share a bit with the member
 *    bits: vCPUs alternate between clusters 1 and 2, so a destination of
 *    cluster 1 never reaches a vCPU of cluster 2, a cluster nobody has
 *    reaches nobody;
 *  - x2APIC: LDR is read-only and derived from the ID, cluster ID[19:4] in
 *    bits 31:16 and 1 << ID[3:0] in bits 15:0; a destination matches when
 *    bits 31:16 equal the cluster and bits 15:0 share a bit with the
 *    member bits (cluster 1 reaches vcpu16 when there is one, else nobody).
 * The expected receivers are computed here from those rules and the LDRs
 * the test wrote (or read, in x2APIC mode); each case uses its own vector
 * and is sent by a different vCPU in turn; every vCPU counts what it got
 * and the counts must be exact.  In xAPIC mode every vCPU's DFR and LDR are
 * set before any IPI is sent.  The destinations match when the IPI is sent,
 * so no count depends on how fast the vCPUs run: a receiver waits for its
 * own expected copy (bounded by its spins), and the SMP_SETTLE_TICKS delay
 * after it is only time for a wrong extra copy to show.
 * Cost: the sender takes one exit per ICR access for each logical IPI.
 *
 * METRIC exits_per_op: sender exits per logical IPI (x2APIC),
 * xapic_exits_per_op in xAPIC mode.
 *
 * A failure means a logical destination matched like a physical one, the
 * flat and cluster models confused (DFR ignored), the x2APIC LDR not
 * derived from the ID or a cluster compare of the wrong width.
 */
#include "guest/tests/apic_smp.h"

#define VEC_BASE        0x40
#define MAX_CASES       12

enum model { MODEL_FLAT, MODEL_CLUSTER, MODEL_X2APIC, NR_MODELS };

static const char *const model_name[NR_MODELS] = {
	[MODEL_FLAT] = "flat model",
	[MODEL_CLUSTER] = "cluster model",
	[MODEL_X2APIC] = "x2APIC cluster",
};

/* Destinations per model; cases are numbered in this order, one vector each. */
static const u32 dests[NR_MODELS][MAX_CASES] = {
	[MODEL_FLAT] = { 0x01, 0x02, 0x03, 0x06, 0x0f, 0x80, 0x00 },
	[MODEL_CLUSTER] = { 0x11, 0x21, 0x13, 0x23, 0x1f, 0x22, 0x31, 0x10 },
	[MODEL_X2APIC] = { 0x00000001, 0x00000002, 0x00000003, 0x0000000c, 0x0000ffff,
			   0x00010001, 0x00000000 },
};
static const u32 nr_dests[NR_MODELS] = { 7, 8, 7 };

/* LDR of every vCPU, as written (xAPIC) or read (x2APIC); read by the others. */
static u32 ldr_of[SMP_MAX_VCPUS];
static u32 got[SMP_MAX_VCPUS][MAX_CASES];

static void on_ipi(struct ex_regs *regs)
{
	apic_eoi();
	smp_inc(&got[this_vcpu()][(u8)regs->vector - VEC_BASE]);
}

static void set_handlers(irq_handler_fn fn)
{
	for (u32 c = 0; c < MAX_CASES; c++)
		irq_set_handler(VEC_BASE + c, fn);
}

/* The test's own logical IDs: flat one bit per vCPU below 8, cluster 1 + (i & 1), member i >> 1. */
static u32 xapic_ldr(enum model mdl, u32 vcpu)
{
	if (vcpu >= 8)
		return 0;
	if (mdl == MODEL_FLAT)
		return (1u << vcpu) << 24;
	return (((1 + (vcpu & 1)) << 4) | (1u << (vcpu >> 1))) << 24;
}

/*
 * Does dest reach a vCPU with this LDR (APM Vol 2 §16.6.1, §16.14)?
 * Broadcasts are apic_bcast's.
 */
static bool matches(enum model mdl, u32 dest, u32 ldr)
{
	switch (mdl) {
	case MODEL_FLAT:
		return (dest & (ldr >> 24)) != 0;
	case MODEL_CLUSTER:
		return (dest >> 4) == (ldr >> 28) && (dest & (ldr >> 24) & 0xf);
	default:
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	}
}

/* Exits of this vCPU's sends, and how many it sent: per vCPU. */
static u64 sender_exits[SMP_MAX_VCPUS], sender_avic[SMP_MAX_VCPUS], sends[SMP_MAX_VCPUS];

static void check_model(const char *m, enum model mdl)
{
	u32 me = this_vcpu(), n = nr_vcpus(), bad = 0;
	char first[120] = "";

	memset(got[me], 0, sizeof(got[me]));
	if (mdl == MODEL_X2APIC) {
		u32 ldr = apic_read(APIC_REG_LDR);

		report_eq(((me >> 4) << 16) | (1u << (me & 15)), ldr,
			  "%s: LDR is derived from the ID: cluster ID[19:4], bit ID[3:0]", m);
		ldr_of[me] = ldr;
	} else {
		apic_write(APIC_REG_DFR, mdl == MODEL_FLAT ? 0xffffffff : 0x0fffffff);
		apic_write(APIC_REG_LDR, xapic_ldr(mdl, me));
		ldr_of[me] = apic_read(APIC_REG_LDR);
		report_eq(xapic_ldr(mdl, me), ldr_of[me], "%s: %s: LDR holds the logical ID written", m,
			  model_name[mdl]);
	}

	for (u32 c = 0; c < nr_dests[mdl]; c++) {
		u32 dest = dests[mdl][c], sender = c % n, want;

		if (!vcpu_barrier("case: start"))
			return;
		want = matches(mdl, dest, ldr_of[me]);
		if (me == sender) {
			struct exit_snapshot then, d;

			/* IF=0 across the send: an IPI to itself waits in IRR, out of the count. */
			cli();
			exit_snapshot_take(&then);
			apic_icr_write(dest, APIC_ICR_DEST_LOGICAL | APIC_ICR_DM_FIXED | (VEC_BASE + c));
			d = exits_since(&then);
			sender_exits[me] += d.total;
			sender_avic[me] += exit_snapshot_avic(&d);
			sends[me]++;
			if (d.total != smp_icr_accesses() || d.total != smp_apic_exits(&d))
				report_fail("%s: %s: sending to 0x%x took %lu exits (expected %u APIC accesses)",
					    m, model_name[mdl], dest, (unsigned long)d.total, smp_icr_accesses());
		}
		sti();
		wait_for(smp_load(&got[me][c]) >= want, WAIT_LONG);
		tsc_delay(SMP_SETTLE_TICKS);    /* time for a wrong extra copy to show */
		if (!vcpu_barrier("case: sent"))
			return;
		cli();
		if (smp_load(&got[me][c]) != want && !bad++)
			snprintf(first, sizeof(first), "destination 0x%x from vcpu%u (expected %u, got %u)",
				 dest, sender, want, smp_load(&got[me][c]));
	}
	if (bad)
		report_fail("%s: %s (LDR 0x%08x): %u of %u destinations counted wrong here, first %s",
			    m, model_name[mdl], ldr_of[me], bad, nr_dests[mdl], first);
	else
		report_pass("%s: %s (LDR 0x%08x): each of %u logical destinations arrived here exactly "
			    "when it matches", m, model_name[mdl], ldr_of[me], nr_dests[mdl]);
}

static void check_mode(void)
{
	const char *m = apic_mode_name(apic_mode());
	u32 me = this_vcpu();

	set_handlers(on_ipi);
	sender_exits[me] = sender_avic[me] = sends[me] = 0;
	if (apic_mode() == APIC_MODE_X2APIC) {
		check_model(m, MODEL_X2APIC);
	} else {
		check_model(m, MODEL_FLAT);
		check_model(m, MODEL_CLUSTER);
		apic_write(APIC_REG_DFR, 0xffffffff);
		apic_write(APIC_REG_LDR, 0);
	}
	/* vCPU 0 sends every n-th case; its own figure is the metric. */
	apic_metric_exits("exits_per_op", sender_exits[me], sender_avic[me], sends[me]);
	vcpu_barrier("mode: end");
	report_irq_unexpected(m);
}

GUEST_TEST(apic_logical)
{
	if (!smp_need_vcpus(2))
		return;
	apic_for_each_mode(check_mode);
	set_handlers(NULL);
}
