/*
 * guest/tests/apic_storm.c - many vCPUs sending many IPIs at once.
 *
 * Behaviour (APM Vol 2 §16.5 "Interprocessor Interrupts (IPI)", §16.6.3
 * "Accepting System and IPI Interrupts" (one IRR bit per vector: a second
 * request of a vector that is still pending merges with it), §16.6.4
 * "Selecting and Handling Interrupts" (EOI)), in xAPIC and x2APIC mode:
 * the vCPUs (at least 4; the first
 * 16 if there are more) send each other 100,000 fixed IPIs per mode, each
 * sender its share, round robin over the other senders and over 8 vectors
 * of its own (vector 0x40 + 8 * sender + k), so the receiver knows who
 * sent what.  Under QEMU TCG on 2 host cores 4 vCPUs take 9-17 s per mode
 * (6,000-11,000 IPIs/s), and up to a minute when other QEMUs share the
 * cores: each sender steps its progress counter every PROGRESS_SENDS IPIs
 * acknowledged (guest.h progress()), so the watchdog sees a slow storm
 * as one that moves, not as a hang.
 * Merging in IRR is ruled out by the protocol, not tolerated: a sender
 * sends vector k to a target again only when the target's handler has
 * counted the previous one (a per sender/target/vector ack), so every IPI
 * must arrive exactly once:
 *  - at the end, for every receiver, sender and vector, received == sent;
 *    a receiver that counts more than was sent at any time is a duplicate;
 *  - every vCPU took one exit per APIC access (ICR writes and EOIs) plus
 *    VINTR windows (an IPI that arrives while the handler runs with IF=0
 *    waits for one) and nothing else.
 * vCPUs beyond the senders must receive nothing.
 * Nothing here depends on the relative speed of the vCPUs: a sender waits
 * for its targets' acks (their handlers' counts), and every wait on another
 * vCPU - a stall, the last acks, the other senders' end - is bounded by the
 * waiter's own spins, never by the TSC (it runs in wall time under QEMU
 * TCG, whether the other vCPU gets a host CPU or not).
 *
 * METRIC exits_per_op: exits of all vCPUs per IPI (x2APIC),
 * xapic_exits_per_op; vintr_per_op / xapic_vintr_per_op: the VINTR exits
 * among them; tsc_per_op / xapic_tsc_per_op: TSC ticks of vcpu0 from the
 * first send to the last ack, per IPI (throughput).
 *
 * A failure means an IPI lost or delivered twice under load (a race
 * between a sender setting IRR and a receiver entering or leaving its
 * guest, a lost kick), or extra exits on the delivery path.
 */
#include "guest/tests/apic_smp.h"

#define TOTAL_IPIS      100000u
#define MAX_SENDERS     16
#define NR_VEC          8       /* vectors per sender */
#define VEC_BASE        0x40
#define MIN_VCPUS       4

/* sent[s][t][k]: written by sender s only; recv[t][s][k]: by receiver t's handler only. */
static u32 sent[MAX_SENDERS][MAX_SENDERS][NR_VEC];
static u32 recv[MAX_SENDERS][MAX_SENDERS][NR_VEC];
static u32 stray[SMP_MAX_VCPUS];        /* IPIs at vCPUs beyond the senders */
static u32 finished;
static struct exit_snapshot storm_exits[SMP_MAX_VCPUS];
static u32 nr_sent[SMP_MAX_VCPUS], nr_recv[SMP_MAX_VCPUS];
static u32 nr_sending[MAX_SENDERS];     /* sends so far, by sender, while the storm runs */
static bool duplicate[SMP_MAX_VCPUS];
static u32 storm_redelivered[SMP_MAX_VCPUS];

static u32 senders(void)
{
	return MIN(nr_vcpus(), MAX_SENDERS);
}

static void on_ipi(struct ex_regs *regs)
{
	u32 me = this_vcpu(), v = (u8)regs->vector - VEC_BASE;

	apic_eoi();
	if (me >= senders()) {
		smp_inc(&stray[me]);
		return;
	}
	/* After the EOI: the sender may send this vector again as soon as it sees the count. */
	smp_store(&recv[me][v / NR_VEC][v % NR_VEC], recv[me][v / NR_VEC][v % NR_VEC] + 1);
}

static void set_handlers(irq_handler_fn fn)
{
	for (u32 v = 0; v < MAX_SENDERS * NR_VEC; v++)
		irq_set_handler(VEC_BASE + v, fn);
}

static u32 quota(u32 s)
{
	return TOTAL_IPIS / senders() + (s < TOTAL_IPIS % senders());
}

/*
 * No ack for this long, in the waiting sender's own spins (smp_wait_ms),
 * is a stall: an IPI lost or counted twice.  Far above the longest wait
 * seen under TCG with 4 vCPUs on 2 host cores.
 */
#define STALL_MS        20000

/* A sender steps its progress counter every this many IPIs sent, each after the ack of the one before. */
#define PROGRESS_SENDS  256

/* The first slot of this sender whose IPI its target has not counted (exactly), or false. */
static bool first_unacked(u32 me, u32 *t_out, u32 *k_out)
{
	for (u32 t = 0; t < senders(); t++)
		for (u32 k = 0; k < NR_VEC; k++)
			if (t != me && smp_load(&recv[t][me][k]) != sent[me][t][k]) {
				*t_out = t;
				*k_out = k;
				return true;
			}
	return false;
}

static bool all_acked(u32 me)
{
	u32 t, k;

	return !first_unacked(me, &t, &k);
}

/* Says which IPI a stalled sender waits for: lost (received < sent) or twice (received > sent). */
static void report_stall(const char *m, u32 me)
{
	u32 t, k;

	if (first_unacked(me, &t, &k))
		report_fail("%s: stalled on its IPI to vcpu%u vector 0x%x: sent %u, received %u "
			    "(interrupts delivered with IF=0 so far: %u here)", m, t, VEC_BASE + me * NR_VEC + k,
			    sent[me][t][k], smp_load(&recv[t][me][k]), irq_if_off());
}

/*
 * Sends this vCPU's share; false after a stall (nothing acked for STALL_MS
 * of this vCPU's spins).  The count of sends is published (nr_sending) for
 * the vCPUs that wait for the storm to end.
 */
static bool storm_send(u32 me)
{
	u32 p = senders(), done = 0, pos = 0;
	u64 idle = 0;

	while (done < quota(me)) {
		u32 slot = pos++ % ((p - 1) * NR_VEC);
		u32 t = slot % (p - 1), k = slot / (p - 1);
		u32 r, *snt;

		t += t >= me;           /* the others, round robin */
		snt = &sent[me][t][k];
		r = smp_load(&recv[t][me][k]);
		if (r > *snt)
			duplicate[me] = true;
		if (r != *snt) {
			/* Still on its way: try the next slot. */
			if (++idle > STALL_MS * SMP_SPINS_MS) {
				nr_sent[me] = done;
				return false;
			}
			cpu_relax();
			continue;
		}
		idle = 0;
		*snt = r + 1;
		smp_ipi_fixed(t, (u8)(VEC_BASE + me * NR_VEC + k));
		smp_store(&nr_sending[me], ++done);
		/* A step: the loop ends with the quota, or at a stall, so it never steps for ever. */
		if (done % PROGRESS_SENDS == 0)
			progress();
	}
	nr_sent[me] = done;
	return true;
}

/* All sends so far, by every sender. */
static u32 storm_sends(void)
{
	u32 sum = 0;

	for (u32 s = 0; s < senders(); s++)
		sum += smp_load(&nr_sending[s]);
	return sum;
}

/*
 * Until every sender is done, for as long as the storm moves: false only
 * when no sender sent anything for STALL_MS of this vCPU's spins.  A fixed
 * bound would say how long the storm may take, which depends on how many
 * vCPUs share how many host CPUs.
 */
static bool wait_storm_end(u32 p)
{
	u32 seen;

	do {
		seen = storm_sends();
		if (smp_wait_ms(smp_load(&finished) == p || storm_sends() != seen, STALL_MS) &&
		    smp_load(&finished) == p)
			return true;
	} while (storm_sends() != seen);
	return smp_load(&finished) == p;
}

static void check_mode(void)
{
	const char *m = apic_mode_name(apic_mode());
	u32 me = this_vcpu(), p = senders(), n = nr_vcpus();
	struct exit_snapshot then, d;
	u64 t0 = 0, t1 = 0, accesses;

	if (me < p) {
		memset(sent[me], 0, sizeof(sent[me]));
		memset(recv[me], 0, sizeof(recv[me]));
		smp_store(&nr_sending[me], 0);
	}
	stray[me] = 0;
	duplicate[me] = false;
	smp_store(&finished, 0);
	set_handlers(on_ipi);
	exit_snapshot_take(&then);
	sti();
	if (!vcpu_barrier("storm: start"))
		return;

	if (me < p) {
		t0 = rdtsc();
		if (storm_send(me))
			report_pass("%s: sent its share of %u IPIs (%u), round robin to %u vCPUs", m, TOTAL_IPIS,
				    quota(me), p - 1);
		else
			report_stall(m, me);
		if (smp_wait_ms(all_acked(me), STALL_MS))
			report_pass("%s: every IPI it sent was taken by its target", m);
		else
			report_stall(m, me);
		t1 = rdtsc();
		smp_inc(&finished);
	}
	/* Keep taking IPIs until every sender is done. */
	if (!wait_storm_end(p))
		report_fail("%s: the storm stopped moving: %u of %u senders done, %u IPIs sent", m,
			    smp_load(&finished), p, storm_sends());
	/*
	 * Every IPI sent has been counted by now (each sender waited for its
	 * acks): the delay is only time for a wrong extra delivery to show.
	 */
	tsc_delay(SMP_SETTLE_TICKS);
	cli();
	storm_exits[me] = exits_since(&then);
	storm_redelivered[me] = irq_redelivered();
	if (!vcpu_barrier("storm: end"))
		return;

	if (me >= p) {
		report_eq(0, stray[me], "%s: no IPI of the storm arrived here", m);
	} else {
		u32 bad = 0, got = 0;
		char first[96] = "";

		for (u32 s = 0; s < p; s++)
			for (u32 k = 0; k < NR_VEC; k++) {
				u32 r = recv[me][s][k], w = s == me ? 0 : sent[s][me][k];

				got += r;
				if (r != w && !bad++)
					snprintf(first, sizeof(first), "from vcpu%u vector 0x%x: sent %u, received %u",
						 s, VEC_BASE + s * NR_VEC + k, w, r);
			}
		nr_recv[me] = got;
		if (bad)
			report_fail("%s: received %u IPIs, %u sender/vector pairs wrong, first %s; "
				    "%u interrupts came with IF=0 (a double delivery)", m, got, bad, first, irq_if_off());
		else
			report_pass("%s: received %u IPIs, each exactly once (per sender and vector)", m, got);
		report(!duplicate[me], "%s: no IPI counted twice while the storm ran", m);

		d = storm_exits[me];
		accesses = (u64)nr_sent[me] * smp_icr_accesses() + got;
		report(smp_apic_exits(&d) == accesses && d.total == accesses + d.vintr,
		       "%s: one exit per APIC access (%lu: ICR for %u sends, EOI for %u receptions), VINTR windows "
		       "and nothing else (%lu exits: msr %lu npf %lu vintr %lu hlt %lu)", m,
		       (unsigned long)accesses, nr_sent[me], got, (unsigned long)d.total, (unsigned long)d.msr,
		       (unsigned long)d.npf, (unsigned long)d.vintr, (unsigned long)d.hlt);
	}
	if (!vcpu_barrier("storm: checked"))
		return;
	if (me == 0) {
		u64 all = 0, avic = 0, vintr = 0, received = 0, redelivered = 0;

		for (u32 i = 0; i < n; i++) {
			all += storm_exits[i].total;
			avic += exit_snapshot_avic(&storm_exits[i]);
			vintr += storm_exits[i].vintr;
		}
		for (u32 i = 0; i < p; i++)
			received += nr_recv[i];
		report_eq(TOTAL_IPIS, received, "%s: %u IPIs received in total", m, TOTAL_IPIS);
		for (u32 i = 0; i < n; i++)
			redelivered += storm_redelivered[i];
		if (redelivered)
			printf("%s: %lu interrupts delivered a second time into their entry stub, ignored "
			       "(QEMU TCG's VMRUN re-delivery, guest/lib/irq.h)\n", m, (unsigned long)redelivered);
		apic_metric_exits("exits_per_op", all, avic, TOTAL_IPIS);
		apic_metric_per_op("vintr_per_op", vintr, TOTAL_IPIS);
		apic_metric_per_op("tsc_per_op", t1 - t0, TOTAL_IPIS);
	}
	report_irq_unexpected(m);
}

GUEST_TEST(apic_storm)
{
	if (!smp_need_vcpus(MIN_VCPUS))
		return;
	apic_for_each_mode(check_mode);
	set_handlers(NULL);
}
