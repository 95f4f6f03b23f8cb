/*
 * guest/tests/apic_lowest.c - lowest-priority delivery.
 *
 * Behaviour (APM Vol 2 §16.5 "Interprocessor Interrupts (IPI)" (message
 * type 001), §16.6.2 "Lowest Priority Messages and Arbitration", §16.4.7
 * "Spurious Interrupts" (SVR bit 9), §16.13 "x2APIC Interrupt Command
 * Register (ICR) Operations"), with a logical flat destination that names
 * every vCPU below 8 (AMD supports lowest priority neither with physical
 * destinations nor in the cluster model, §16.6.1 "Receiving System and
 * IPI Interrupts"):
 *  - xAPIC: a lowest-priority IPI reaches exactly one vCPU of the
 *    destination set, and it is the one with the lowest arbitration
 *    priority: in turn each vCPU keeps TPR 0x10 while all others raise TPR
 *    to 0x80, and only that vCPU may get it (the vector, class 0xE, is
 *    above every TPR, so a wrong choice is delivered and counted, not held);
 *  - APR is AMD's arbitration priority: with nothing in ISR or IRR it reads
 *    as TPR (§16.6.2);
 *  - with equal priorities it still reaches exactly one vCPU (which one is
 *    the implementation's choice);
 *  - focus processor (§16.6.2, SVR bit 9 clear): a vCPU that has
 *    the vector in service already is the focus and wins even though its
 *    APR (the in-service class) is the highest; with SVR bit 9 set on
 *    every vCPU (focus checking disabled) a vCPU with a lower APR wins;
 *  - x2APIC: message type 001 is reserved (§16.13: encodings 1, 3 and 7),
 *    so WRMSR ICR raises #GP and nothing is delivered anywhere.
 * Cost: the sender takes one exit per ICR access per lowest-priority IPI.
 *
 * The receiver is chosen when the IPI is sent (the hypervisor arbitrates
 * on the targets' TPR, ISR and IRR as they are then), so no verdict
 * depends on how fast the vCPUs run.  Every wait on another vCPU has a
 * progress condition (copies counted, the focus vCPU in its handler, its
 * release) and is bounded by the waiter's own spins; the SMP_SETTLE_TICKS
 * delays after the expected copies arrived are only time for a wrong extra
 * copy to show, which a slow host can make weaker, never wrong.
 *
 * METRIC xapic_exits_per_op: sender exits per lowest-priority IPI;
 * exits_per_op: exits per refused WRMSR ICR in x2APIC mode (there is no
 * lowest-priority IPI to count there).
 *
 * A failure means lowest priority delivered like fixed (to every vCPU of
 * the set), arbitration that ignores TPR, no focus processor, APR computed
 * differently, or a lowest-priority IPI accepted in x2APIC mode.
 */
#include "guest/tests/apic_smp.h"

#define VEC_BASE        0xe0    /* class 0xE: above every TPR used here */
#define MAX_CASES       12
#define MAX_SET         8       /* flat model: one LDR bit per vCPU */

/* Cases: 0..set-1 "vCPU i is lowest", then these. */
#define CASE_TIE        8
#define CASE_FOCUS      9
#define CASE_NO_FOCUS   10
#define CASE_X2APIC     11

static u32 got[SMP_MAX_VCPUS][MAX_CASES];
static u64 sender_exits[SMP_MAX_VCPUS], sender_avic[SMP_MAX_VCPUS], sends[SMP_MAX_VCPUS];

/* Focus cases: the focus vCPU's first handler holds the vector in service until released. */
static u32 focus_vcpu, in_service, release;

static u32 set_size(void)
{
	return MIN(nr_vcpus(), MAX_SET);
}

static u32 set_mask(void)
{
	return (1u << set_size()) - 1;
}

static void on_ipi(struct ex_regs *regs)
{
	u32 me = this_vcpu(), c = (u8)regs->vector - VEC_BASE;

	if ((c == CASE_FOCUS || c == CASE_NO_FOCUS) && me == smp_load(&focus_vcpu) &&
	    !smp_load(&in_service)) {
		/* Holds the vector in service until vcpu0 has sent the lowest-priority copy. */
		smp_store(&in_service, 1);
		wait_for(smp_load(&release), WAIT_LONG);
	}
	apic_eoi();
	smp_inc(&got[me][c]);
}

static void set_handlers(irq_handler_fn fn)
{
	for (u32 c = 0; c < MAX_CASES; c++)
		irq_set_handler(VEC_BASE + c, fn);
}

static u32 total(u32 c)
{
	u32 sum = 0;

	for (u32 i = 0; i < nr_vcpus(); i++)
		sum += smp_load(&got[i][c]);
	return sum;
}

/* "vcpu1:1 vcpu3:1": who got case c's vector. */
static void who(u32 c, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = 0;
	for (u32 i = 0; i < nr_vcpus() && len < size; i++)
		if (got[i][c])
			len += (size_t)snprintf(buf + len, size - len, " vcpu%u:%u", i, got[i][c]);
	if (!len)
		snprintf(buf, size, " nobody");
}

/* Lowest priority, logical flat, to every vCPU of the set; sender's exits counted. */
static int send_lowest(u32 c)
{
	struct exit_snapshot then, d;
	u32 me = this_vcpu();
	int vector;

	exit_snapshot_take(&then);
	vector = apic_icr_write_safe(set_mask(), APIC_ICR_DEST_LOGICAL | APIC_ICR_DM_LOWEST | (VEC_BASE + c));
	d = exits_since(&then);
	sender_exits[me] += d.total;
	sender_avic[me] += exit_snapshot_avic(&d);
	sends[me]++;
	return vector;
}

/*
 * One case: every vCPU sets its TPR, the sender sends, every vCPU waits
 * with IF=1 until the expected number of copies has arrived somewhere.
 */
static bool run_case(u32 c, u32 sender, u32 tpr, u32 copies)
{
	u32 me = this_vcpu();

	if (!vcpu_barrier("case: start"))
		return false;
	apic_write(APIC_REG_TPR, tpr);
	if (!vcpu_barrier("case: tpr set"))
		return false;
	/* The sender's own copy, if it gets one, waits in IRR until sti(). */
	if (me == sender)
		send_lowest(c);
	sti();
	wait_for(total(c) >= copies, WAIT_LONG);
	tsc_delay(SMP_SETTLE_TICKS);            /* time for a wrong extra copy to show */
	if (!vcpu_barrier("case: sent"))
		return false;
	cli();
	apic_write(APIC_REG_TPR, 0);
	return true;
}

static void check_lowest_wins(const char *m)
{
	u32 me = this_vcpu(), n = nr_vcpus();
	char buf[120];

	for (u32 t = 0; t < set_size(); t++) {
		u32 tpr = me == t ? 0x10 : 0x80;

		if (t == 0 && me < set_size()) {
			apic_write(APIC_REG_TPR, tpr);
			report_eq(tpr, apic_read(APIC_REG_APR), "%s: APR reads TPR 0x%x (nothing in ISR or IRR)", m, tpr);
			apic_write(APIC_REG_TPR, 0);
		}
		if (!run_case(t, (t + 1) % n, tpr, 1))
			return;
		if (me != 0)
			continue;
		who(t, buf, sizeof(buf));
		report(total(t) == 1 && got[t][t] == 1,
		       "%s: lowest priority to vCPUs 0-%u, vcpu%u at TPR 0x10, the others at 0x80: "
		       "only vcpu%u gets it (got:%s)", m, set_size() - 1, t, t, buf);
	}
}

static void check_tie(const char *m)
{
	char buf[120];

	if (!run_case(CASE_TIE, 0, 0, 1))
		return;
	if (this_vcpu() != 0)
		return;
	who(CASE_TIE, buf, sizeof(buf));
	report_eq(1, total(CASE_TIE), "%s: lowest priority, all at TPR 0: exactly one vCPU gets it (got:%s)",
		  m, buf);
}

/*
 * Focus: vcpu1 is in the handler of the vector (fixed IPI, not EOIed yet)
 * when vcpu0 sends the same vector with lowest priority.  focus_off sets
 * SVR bit 9 on every vCPU first.
 */
static void check_focus(const char *m, u32 c, bool focus_off)
{
	u32 me = this_vcpu(), f = 1, lowest_copies;
	bool held;
	char buf[120];

	smp_store(&in_service, 0);
	smp_store(&release, 0);
	smp_store(&focus_vcpu, f);
	if (focus_off)
		apic_write(APIC_REG_SVR, APIC_SVR_ENABLE | APIC_SVR_FOCUS_DISABLE | APIC_SPURIOUS_VECTOR);
	if (!vcpu_barrier("focus: start"))
		return;
	sti();
	if (me == 0) {
		smp_ipi_fixed(f, VEC_BASE + c);
		/*
		 * No report until the release: a report can wait long for the
		 * console, and vcpu1 holds the vector only for a bounded time.
		 */
		held = wait_for(smp_load(&in_service), WAIT_LONG);
		if (!held) {
			smp_store(&release, 1);
		} else {
			cli();
			send_lowest(c);
			sti();
			/*
			 * The winner was chosen at the send, while vcpu1 held the
			 * vector; the delay only lets a winner other than vcpu1 take
			 * it before the release, which no check depends on.
			 */
			tsc_delay(SMP_SETTLE_TICKS);
			smp_store(&release, 1);
		}
		report(held, "%s: focus: vcpu%u is in the handler of vector 0x%x", m, f, VEC_BASE + c);
		/* The fixed copy plus the lowest-priority one; then time for a wrong third to show. */
		wait_for(total(c) >= 2, WAIT_LONG);
		tsc_delay(SMP_SETTLE_TICKS);
	}
	if (!vcpu_barrier("focus: sent"))
		return;
	cli();
	if (focus_off)
		apic_sw_enable();
	if (me != 0)
		return;
	who(c, buf, sizeof(buf));
	lowest_copies = total(c) - 1;
	if (!focus_off)
		report(lowest_copies == 1 && got[f][c] == 2,
		       "%s: focus: vcpu%u has the vector in service (APR 0x%x class), focus checking on "
		       "(SVR bit 9 clear): it wins and gets the vector a second time (got:%s)",
		       m, f, (VEC_BASE + c) & 0xf0, buf);
	else
		report(lowest_copies == 1 && got[f][c] == 1,
		       "%s: focus checking off (SVR bit 9 set): a vCPU with a lower APR than vcpu%u "
		       "(vector in service) gets it (got:%s)", m, f, buf);
}

static void check_x2apic(const char *m)
{
	u32 me = this_vcpu();
	int vector = EXC_NONE;

	if (!vcpu_barrier("x2apic: start"))
		return;
	sti();
	if (me == 0) {
		vector = send_lowest(CASE_X2APIC);
		report_vector(X86_GP, vector,
			      "%s: WRMSR ICR with message type 001 (lowest priority, reserved in x2APIC mode)", m);
	}
	tsc_delay(SMP_SETTLE_TICKS);            /* refused at the WRMSR; time for a wrong delivery to show */
	if (!vcpu_barrier("x2apic: sent"))
		return;
	cli();
	report(!smp_load(&got[me][CASE_X2APIC]) && !apic_irr(VEC_BASE + CASE_X2APIC),
	       "%s: the refused lowest-priority IPI did not arrive here", m);
}

static void check_mode(void)
{
	const char *m = apic_mode_name(apic_mode());
	u32 me = this_vcpu();

	memset(got[me], 0, sizeof(got[me]));
	sender_exits[me] = sender_avic[me] = sends[me] = 0;
	set_handlers(on_ipi);
	if (apic_mode() == APIC_MODE_X2APIC) {
		check_x2apic(m);
		if (me == 0)
			report_eq(1, sender_exits[me], "%s: the refused WRMSR ICR took one exit", m);
		apic_metric_exits("exits_per_op", sender_exits[me], sender_avic[me], sends[me]);
	} else {
		apic_write(APIC_REG_DFR, 0xffffffff);
		apic_write(APIC_REG_LDR, me < MAX_SET ? (1u << me) << 24 : 0);
		check_lowest_wins(m);
		check_tie(m);
		check_focus(m, CASE_FOCUS, false);
		check_focus(m, CASE_NO_FOCUS, true);
		apic_write(APIC_REG_LDR, 0);
		apic_metric_exits("exits_per_op", sender_exits[me], sender_avic[me], sends[me]);
		if (me == 0 && sends[me])
			report_eq((u64)sends[me] * smp_icr_accesses(), sender_exits[me],
				  "%s: sender: one exit per ICR access for %lu lowest-priority IPIs", m,
				  (unsigned long)sends[me]);
	}
	vcpu_barrier("mode: end");
	report_irq_unexpected(m);
}

GUEST_TEST(apic_lowest)
{
	if (!smp_need_vcpus(2))
		return;
	apic_for_each_mode(check_mode);
	set_handlers(NULL);
}
