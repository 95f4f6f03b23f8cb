/*
 * guest/tests/apic_timer.c - the local APIC timer: one-shot, periodic and
 * TSC-deadline modes.
 *
 * Behaviour (APM Vol 2 §16.4.1 "APIC Timer Interrupt", Table 16-3 "Divide
 * Values"; §16.4 "Local Interrupts" (LVT, Fig. 16-7); TSC-deadline mode is
 * Intel's (Intel SDM Vol 3 §11.5.4.1 "TSC-Deadline Mode"), offered here by
 * CPUID 1 ECX[24] per lib/hv_abi.h "Platform", with KVM's semantics):
 *  - TDCR keeps the divide value written (bits 3, 1:0) and the count rate
 *    follows it (divide by 2, 16, 128 against divide by 1);
 *  - a non-zero TMICT write loads TMCCT, which counts down, never above
 *    TMICT; one-shot: one interrupt when it reaches 0, where it stays;
 *    periodic: an interrupt every TMICT ticks; TMICT = 0 stops the timer
 *    (TMCCT reads 0, no interrupt); a one-shot count that reached 0 stays
 *    at 0 when the LVT is switched to periodic mode (only a TMICT write
 *    starts a count), and sends nothing;
 *  - a masked LVT timer counts down but sends nothing, and unmasking it
 *    after the count ended sends nothing either;
 *  - the timer interrupt wakes a vCPU halted with STI; HLT;
 *  - TSC-deadline mode (LVT bits 18:17 = 10b): a write of IA32_TSC_DEADLINE
 *    (MSR 0x6E0) arms the timer for when the TSC reaches the value; the
 *    interrupt comes no earlier, the MSR then reads 0; a value in the past
 *    fires at once; 0 disarms; TMICT writes are ignored (TMCCT reads 0);
 *    leaving the mode disarms; outside the mode a write is ignored and the
 *    MSR reads 0.
 * The timer's input clock is not architectural, so the test measures it
 * against the TSC first and works in TSC ticks.  Times are only bounded
 * from below where the architecture forbids early interrupts (n periodic
 * interrupts need n periods; a deadline interrupt never comes before the
 * deadline); from above only by generous limits (QEMU TCG is slow and
 * irregular, and the host may deschedule a vCPU for milliseconds at any
 * point): the test asserts ordering and counts, not latencies, and where a
 * check needs "not yet expired" it arms for ~1000 periods and checks how
 * much time really passed before it asserts (a TSC deadline that must not
 * expire is hours away).  A
 * timer that never fires would leave "STI; HLT" waiting; the hypervisor's
 * watchdog ends that, as the last resort.
 * Every vCPU of the VM runs these checks at once, each on its own timer;
 * no vCPU waits for another.  With many vCPUs on few host CPUs the host
 * can hold a vCPU, or be late with the host timer interrupt, for longer
 * than a budget in TSC ticks (wall time): a wait for the vCPU's own
 * interrupt then goes on for a bounded number of looks, each after an exit
 * (timer_wait), and the delays before "nothing more came" checks are only
 * time for a wrong interrupt to show.
 *
 * METRIC exits_per_op: exits per periodic timer interrupt, EOI included
 * (x2APIC), xapic_exits_per_op.
 *
 * A failure means a timer that fires early, late beyond reason, twice in
 * one-shot mode or not at all; a divider ignored; a mask ignored; TMCCT
 * that does not follow the architecture; or a TSC-deadline MSR that does
 * not arm, disarm or read back as specified.
 */
#include "guest/lib/apic.h"

#define VEC_TIMER       0xd1
#define MAX_STAMPS      16

/* Target length of one timer period, in TSC ticks (ms on TCG). */
#define PERIOD_TSC      (1ULL << 22)
/* Upper bound for anything to happen: 100 periods. */
#define BUDGET(p)       (100 * (p))
/*
 * "Not before the test is over": a TSC deadline 2^24 periods away, hours.
 * Not a few seconds: the host can hold a vCPU that long (a report waits for
 * the console with 32 vCPUs printing), and a "far" deadline that expires in
 * between leaves its interrupt in IRR for the next check to take.
 */
#define FAR             (1ULL << 24)

struct stamps {
	u32 n;
	u64 tsc[MAX_STAMPS];
};

static struct stamps stamps[GUEST_MAX_VCPUS];

static void on_timer(struct ex_regs *regs)
{
	struct stamps *s = &stamps[this_vcpu()];
	u64 now = rdtsc();

	(void)regs;
	if (s->n < MAX_STAMPS)
		s->tsc[s->n] = now;
	s->n++;
	apic_eoi();
}

/*
 * Waits until cond (a count the timer handler keeps), for up to ticks of
 * TSC, then for up to TIMER_GRACE_LOOKS more looks, each after an exit
 * (a hypercall).  The TSC runs in wall time: a host that held this vCPU
 * past the budget, or that was late with the host timer interrupt which
 * makes a spinning guest exit (seen under QEMU TCG with 32 vCPUs on 2
 * cores: a one-shot of 4M ticks taken after 5G), must not fail the check.
 * The interrupt is due by then, and the hypervisor puts an expired timer
 * into IRR before every VMRUN (hv/lapic_timer.c lapic_timer_check), so an exit
 * is all it needs.  Hypercalls are not in the exit snapshots.
 */
#define TIMER_GRACE_LOOKS       (WAIT_SHORT >> 4)

/* Waits that went past their TSC budget, per vCPU: printed, for the log. */
static u32 late_waits[GUEST_MAX_VCPUS];

static inline bool timer_late(void)
{
	late_waits[this_vcpu()]++;
	return true;
}

static inline bool timer_exit(void)
{
	(void)hc_vcpu_state(this_vcpu());
	return true;
}

#define timer_wait(cond, ticks) \
	(wait_for_tsc(cond, ticks) || (timer_late() && wait_for(timer_exit() && (cond), TIMER_GRACE_LOOKS)))

static struct stamps *my_stamps(void)
{
	return &stamps[this_vcpu()];
}

static void reset_stamps(void)
{
	*my_stamps() = (struct stamps){ 0 };
	irq_reset();
}

/* Timer ticks (divide by 1) per TSC tick, as the fraction ticks / tsc. */
struct rate {
	u64 ticks, tsc;
};

/* TSC ticks for count timer ticks at divisor div. */
static u64 tsc_for(const struct rate *r, u64 count, u32 div)
{
	return count * div * r->tsc / r->ticks;
}

/* Timer ticks at divide-by-1 that last about tsc TSC ticks; at least 1000. */
static u32 count_for(const struct rate *r, u64 tsc)
{
	u64 c = tsc * r->ticks / r->tsc;

	return (u32)MIN(MAX(c, 1000), 0xffffffffULL);
}

static void timer_stop(void)
{
	apic_write(APIC_REG_TMICT, 0);
	apic_write(APIC_REG_LVT_TIMER, APIC_LVT_MASKED);
}

/*
 * TMCCT and the TSC at the time it was read: the read (an exit, normally)
 * is bracketed by two RDTSCs and retried while the bracket is wide (the
 * host took the CPU away in between); the TSC is the bracket's middle.
 */
static u32 tmcct_sample(u64 *tsc)
{
	u64 before, after = 0;
	u32 c = 0;

	for (int i = 0; i < 16; i++) {
		before = rdtsc();
		c = apic_read(APIC_REG_TMCCT);
		after = rdtsc();
		if (after - before < PERIOD_TSC / 16)
			break;
	}
	*tsc = before + (after - before) / 2;
	return c;
}

/*
 * Counts TMCCT down from 0xFFFFFFFF (masked, divide by 1) for at least
 * 2^16 ticks and PERIOD_TSC TSC ticks; checks it never goes up.
 */
static bool calibrate(const char *m, struct rate *r)
{
	u32 c0, c, prev;
	u64 t0, t;
	bool monotonic = true;
	u32 reads = 0;

	apic_write(APIC_REG_TDCR, APIC_TDCR_DIV_1);
	apic_write(APIC_REG_LVT_TIMER, APIC_LVT_MASKED | VEC_TIMER);
	apic_write(APIC_REG_TMICT, 0xffffffff);
	c0 = prev = tmcct_sample(&t0);
	do {
		c = apic_read(APIC_REG_TMCCT);
		t = rdtsc();
		monotonic &= c <= prev;
		prev = c;
	} while (++reads < 1000000 && (c0 - c < (1u << 16) || t - t0 < PERIOD_TSC));
	c = tmcct_sample(&t);
	monotonic &= c <= prev;
	timer_stop();

	report(monotonic, "%s: TMCCT never counts up (%u reads)", m, reads);
	if (!report(c < c0,
		    "%s: TMCCT counts down from TMICT 0xffffffff (0x%x to 0x%x in %lu TSC ticks)", m,
		    c0, c, (unsigned long)(t - t0)))
		return false;
	r->ticks = c0 - c;
	r->tsc = t - t0;
	printf("%s: APIC timer: %lu ticks in %lu TSC ticks\n", m, (unsigned long)r->ticks,
	       (unsigned long)r->tsc);
	return true;
}

static void check_tdcr(const char *m, const struct rate *r)
{
	static const u32 codes[] = {
		APIC_TDCR_DIV_1, APIC_TDCR_DIV_2, APIC_TDCR_DIV_4, APIC_TDCR_DIV_8,
		APIC_TDCR_DIV_16, APIC_TDCR_DIV_32, APIC_TDCR_DIV_64, APIC_TDCR_DIV_128,
	};
	static const u32 measured[] = { APIC_TDCR_DIV_2, APIC_TDCR_DIV_16, APIC_TDCR_DIV_128 };
	u32 bad = 0;

	for (size_t i = 0; i < ARRAY_SIZE(codes); i++) {
		apic_write(APIC_REG_TDCR, codes[i]);
		bad += apic_read(APIC_REG_TDCR) != codes[i];
	}
	report_eq(0, bad, "%s: TDCR reads back each of the 8 divide values", m);

	/* The count rate follows the divider: within a factor of 2 of 1/div. */
	for (size_t i = 0; i < ARRAY_SIZE(measured); i++) {
		u32 div = apic_tdcr_divisor(measured[i]), c0, c1;
		u64 t0, t1, expect;

		apic_write(APIC_REG_TDCR, measured[i]);
		apic_write(APIC_REG_LVT_TIMER, APIC_LVT_MASKED | VEC_TIMER);
		apic_write(APIC_REG_TMICT, 0xffffffff);
		c0 = tmcct_sample(&t0);
		tsc_delay(2 * PERIOD_TSC);
		c1 = tmcct_sample(&t1);
		timer_stop();
		expect = (t1 - t0) * r->ticks / r->tsc / div;
		report(c0 - c1 >= expect / 2 && c0 - c1 <= expect * 2,
		       "%s: divide by %u: TMCCT went down by %u, 1/%u of the divide-by-1 rate is %lu",
		       m, div, c0 - c1, div, (unsigned long)expect);
	}
	apic_write(APIC_REG_TDCR, APIC_TDCR_DIV_1);
}

static void check_oneshot(const char *m, const struct rate *r)
{
	u32 count = count_for(r, PERIOD_TSC);
	u64 period = tsc_for(r, count, 1), armed;
	struct stamps *s = my_stamps();
	u32 tmcct;

	reset_stamps();
	apic_write(APIC_REG_TDCR, APIC_TDCR_DIV_1);
	apic_write(APIC_REG_LVT_TIMER, APIC_LVT_TIMER_ONESHOT | VEC_TIMER);
	armed = rdtsc();
	apic_write(APIC_REG_TMICT, count);
	tmcct = apic_read(APIC_REG_TMCCT);
	report(tmcct <= count, "%s: one-shot: TMCCT 0x%x <= TMICT 0x%x", m, tmcct, count);
	sti_nop();
	if (!report(timer_wait(s->n >= 1, BUDGET(period)), "%s: one-shot: fires", m)) {
		cli();
		timer_stop();
		return;
	}
	tsc_delay(3 * period);
	cli();
	report_eq(1, s->n, "%s: one-shot: exactly one interrupt in 4 periods", m);
	report(s->tsc[0] - armed >= period / 2,
	       "%s: one-shot: not early (%lu TSC ticks for a %lu-tick period)", m,
	       (unsigned long)(s->tsc[0] - armed), (unsigned long)period);
	report_eq(0, apic_read(APIC_REG_TMCCT), "%s: one-shot: TMCCT stays at 0", m);
	report_eq(count, apic_read(APIC_REG_TMICT), "%s: one-shot: TMICT keeps its value", m);
	report(!apic_isr(VEC_TIMER) && !apic_irr(VEC_TIMER),
	       "%s: one-shot: ISR and IRR clear after the EOI", m);

	/*
	 * The count is at 0: switching the LVT to periodic mode does not
	 * restart it; only a TMICT write does (APM Vol 2 §16.4.1 "APIC Timer
	 * Interrupt").
	 */
	apic_write(APIC_REG_LVT_TIMER, APIC_LVT_TIMER_PERIODIC | VEC_TIMER);
	report_eq(0, apic_read(APIC_REG_TMCCT), "%s: one-shot ended, then periodic mode: TMCCT stays 0", m);
	sti_nop();
	tsc_delay(3 * period);
	cli();
	report_eq(1, s->n, "%s: one-shot ended, then periodic mode: no interrupt in 3 periods", m);
	report_eq(0, apic_read(APIC_REG_TMCCT), "%s: one-shot ended, then periodic mode: TMCCT still 0", m);
	timer_stop();
}

static void check_periodic(const char *m, const struct rate *r)
{
	const u32 want = 5;
	u32 count = count_for(r, PERIOD_TSC), n, n0, n1, above = 0;
	u64 period = tsc_for(r, count, 1), armed;
	bool pending;
	struct stamps *s = my_stamps();
	struct exit_snapshot then, d;

	reset_stamps();
	apic_write(APIC_REG_TDCR, APIC_TDCR_DIV_1);
	apic_write(APIC_REG_LVT_TIMER, APIC_LVT_TIMER_PERIODIC | VEC_TIMER);
	armed = rdtsc();
	apic_write(APIC_REG_TMICT, count);
	sti_nop();
	/* TMCCT reloads: never above TMICT while it runs. */
	for (int i = 0; i < 20; i++)
		above += apic_read(APIC_REG_TMCCT) > count;
	/*
	 * From here on only the timer's own exits: interrupts and their EOIs.
	 * IF is clear around the snapshots, so that no interrupt is counted
	 * without its EOI.
	 */
	cli();
	n0 = s->n;
	exit_snapshot_take(&then);
	sti_nop();
	(void)timer_wait(s->n >= want, BUDGET(period) * want);
	cli();
	d = exits_since(&then);
	n1 = s->n;
	apic_write(APIC_REG_TMICT, 0);
	/* One that expired before the stop may be waiting in IRR: it is due. */
	n = s->n;
	pending = apic_irr(VEC_TIMER);

	report_eq(0, above, "%s: periodic: TMCCT never above TMICT", m);
	if (!report(n >= want, "%s: periodic: %u interrupts (want %u)", m, n, want))
		goto out;
	report(s->tsc[want - 1] - armed >= want * period / 2,
	       "%s: periodic: %u interrupts took at least %u periods / 2 (%lu TSC ticks, period %lu)",
	       m, want, want, (unsigned long)(s->tsc[want - 1] - armed), (unsigned long)period);
	apic_metric_exits("exits_per_op", d.total, exit_snapshot_avic(&d), n1 - n0);

	/* Stopped by TMICT = 0. */
	sti_nop();
	tsc_delay(3 * period);
	cli();
	report_eq(n + pending, s->n, "%s: periodic: no interrupt after TMICT = 0%s", m,
		  pending ? " (but the one pending at the stop)" : "");
	report_eq(0, apic_read(APIC_REG_TMCCT), "%s: periodic: TMCCT 0 after TMICT = 0", m);
out:
	timer_stop();
}

static void check_masked(const char *m, const struct rate *r)
{
	u32 count = count_for(r, PERIOD_TSC);
	u64 period = tsc_for(r, count, 1);
	struct stamps *s = my_stamps();

	reset_stamps();
	apic_write(APIC_REG_LVT_TIMER, APIC_LVT_MASKED | APIC_LVT_TIMER_ONESHOT | VEC_TIMER);
	apic_write(APIC_REG_TMICT, count);
	sti_nop();
	/* TMCCT is computed at each read: one look after the budget is enough (see timer_wait). */
	report(wait_for_tsc(apic_read(APIC_REG_TMCCT) == 0, BUDGET(period)) || apic_read(APIC_REG_TMCCT) == 0,
	       "%s: masked: TMCCT still counts to 0", m);
	tsc_delay(period);
	report_eq(0, s->n, "%s: masked: no interrupt", m);
	cli();
	report(!apic_irr(VEC_TIMER), "%s: masked: vector not in IRR", m);
	apic_write(APIC_REG_LVT_TIMER, APIC_LVT_TIMER_ONESHOT | VEC_TIMER);
	sti_nop();
	tsc_delay(period);
	cli();
	report_eq(0, s->n, "%s: masked: unmasking after the count ended sends nothing", m);
	timer_stop();
}

static void check_stop(const char *m, const struct rate *r)
{
	u32 count = count_for(r, PERIOD_TSC);
	u32 big = (u32)MIN(1000ULL * count, 0xf0000000ULL);
	u64 period = tsc_for(r, count, 1), armed, stopped;
	struct stamps *s = my_stamps();
	u32 tmcct;

	reset_stamps();
	apic_write(APIC_REG_LVT_TIMER, APIC_LVT_TIMER_ONESHOT | VEC_TIMER);
	armed = rdtsc();
	apic_write(APIC_REG_TMICT, big);
	sti_nop();
	tsc_delay(period);
	tmcct = apic_read(APIC_REG_TMCCT);
	apic_write(APIC_REG_TMICT, 0);
	stopped = rdtsc();
	if (stopped - armed >= tsc_for(r, big, 1) / 2) {
		cli();
		report_skip("%s: stop: the host held this vCPU for %lu TSC ticks, the timer may "
			    "have expired", m, (unsigned long)(stopped - armed));
		timer_stop();
		return;
	}
	report(tmcct > 0 && tmcct < big, "%s: stop: TMCCT 0x%x running below TMICT 0x%x", m, tmcct,
	       big);
	report_eq(0, apic_read(APIC_REG_TMCCT), "%s: stop: TMICT = 0: TMCCT reads 0", m);
	tsc_delay(25 * period);
	cli();
	report_eq(0, s->n, "%s: stop: no interrupt after TMICT = 0", m);
	timer_stop();
}

static void check_halt_wake(const char *m, const struct rate *r)
{
	u32 count = count_for(r, PERIOD_TSC);
	u64 period = tsc_for(r, count, 1), armed;
	struct stamps *s = my_stamps();

	reset_stamps();
	apic_write(APIC_REG_LVT_TIMER, APIC_LVT_TIMER_ONESHOT | VEC_TIMER);
	armed = rdtsc();
	apic_write(APIC_REG_TMICT, count);
	safe_halt();
	cli();
	report_eq(1, s->n, "%s: STI; HLT: the timer interrupt ends the halt", m);
	if (s->n)
		report(s->tsc[0] - armed >= period / 2, "%s: STI; HLT: woken by the timer, not early",
		       m);
	timer_stop();
}

/* ---- TSC-deadline mode ------------------------------------------------- */

static u64 deadline_read(void)
{
	return rdmsr(MSR_IA32_TSC_DEADLINE);
}

static void check_tsc_deadline(const char *m, const struct rate *r)
{
	u64 period = tsc_for(r, count_for(r, PERIOD_TSC), 1), deadline;
	const u32 lvt = APIC_LVT_TIMER_TSC_DEADLINE | VEC_TIMER;
	struct stamps *s = my_stamps();

	if (!apic_tsc_deadline_supported()) {
		report_skip("%s: TSC-deadline: CPUID 1 ECX[24] clear", m);
		return;
	}

	/* Outside the mode: the MSR ignores writes and reads 0. */
	reset_stamps();
	apic_write(APIC_REG_LVT_TIMER, APIC_LVT_TIMER_ONESHOT | VEC_TIMER);
	wrmsr(MSR_IA32_TSC_DEADLINE, rdtsc() + period);
	report_eq(0, deadline_read(), "%s: one-shot mode: IA32_TSC_DEADLINE write ignored, reads 0", m);
	sti_nop();
	tsc_delay(2 * period);
	cli();
	report_eq(0, s->n, "%s: one-shot mode: IA32_TSC_DEADLINE write arms nothing", m);

	apic_write(APIC_REG_LVT_TIMER, lvt);
	report_eq(lvt, apic_read(APIC_REG_LVT_TIMER), "%s: LVT timer takes mode 10b (TSC-deadline)", m);
	report_eq(0, deadline_read(), "%s: TSC-deadline: IA32_TSC_DEADLINE 0 before arming", m);

	/* Armed (far away): the MSR reads the deadline. */
	deadline = rdtsc() + FAR * period;
	wrmsr(MSR_IA32_TSC_DEADLINE, deadline);
	report_eq(deadline, deadline_read(), "%s: TSC-deadline: armed, the MSR reads the deadline", m);

	/* Re-armed near: fires at the deadline, not before, once; then reads 0. */
	reset_stamps();
	deadline = rdtsc() + period;
	wrmsr(MSR_IA32_TSC_DEADLINE, deadline);
	sti_nop();
	if (report(timer_wait(s->n >= 1, BUDGET(period)), "%s: TSC-deadline: fires", m)) {
		tsc_delay(2 * period);
		report_eq(1, s->n, "%s: TSC-deadline: fires once", m);
		report(s->tsc[0] >= deadline,
		       "%s: TSC-deadline: not before the deadline (TSC 0x%lx, deadline 0x%lx)", m,
		       (unsigned long)s->tsc[0], (unsigned long)deadline);
		report_eq(0, deadline_read(), "%s: TSC-deadline: the MSR reads 0 after firing", m);
	}
	cli();

	/* In the past: at once. */
	reset_stamps();
	sti_nop();
	wrmsr(MSR_IA32_TSC_DEADLINE, 1);
	report(wait_for(s->n == 1, WAIT_SHORT),
	       "%s: TSC-deadline: a deadline in the past fires at once", m);
	cli();

	/* Disarmed by 0. */
	reset_stamps();
	wrmsr(MSR_IA32_TSC_DEADLINE, rdtsc() + FAR * period);
	wrmsr(MSR_IA32_TSC_DEADLINE, 0);
	report_eq(0, deadline_read(), "%s: TSC-deadline: writing 0: the MSR reads 0", m);
	sti_nop();
	tsc_delay(3 * period);
	cli();
	report_eq(0, s->n, "%s: TSC-deadline: writing 0 disarms", m);

	/* TMICT is ignored in this mode. */
	reset_stamps();
	apic_write(APIC_REG_TMICT, count_for(r, PERIOD_TSC));
	report_eq(0, apic_read(APIC_REG_TMICT), "%s: TSC-deadline: TMICT write ignored", m);
	report_eq(0, apic_read(APIC_REG_TMCCT), "%s: TSC-deadline: TMCCT reads 0", m);
	sti_nop();
	tsc_delay(3 * period);
	cli();
	report_eq(0, s->n, "%s: TSC-deadline: a TMICT write arms nothing", m);
	apic_write(APIC_REG_TMICT, 0);

	/* Leaving the mode disarms. */
	reset_stamps();
	wrmsr(MSR_IA32_TSC_DEADLINE, rdtsc() + FAR * period);
	apic_write(APIC_REG_LVT_TIMER, APIC_LVT_TIMER_ONESHOT | VEC_TIMER);
	report_eq(0, deadline_read(), "%s: TSC-deadline: leaving the mode clears the deadline", m);
	apic_write(APIC_REG_LVT_TIMER, lvt);
	report_eq(0, deadline_read(), "%s: TSC-deadline: back in the mode, still disarmed", m);
	sti_nop();
	tsc_delay(4 * period);
	cli();
	report_eq(0, s->n, "%s: TSC-deadline: leaving the mode disarms", m);
	timer_stop();
}

static void check_mode(void)
{
	const char *m = apic_mode_name(apic_mode());
	struct rate r;

	irq_set_handler(VEC_TIMER, on_timer);
	late_waits[this_vcpu()] = 0;
	if (calibrate(m, &r)) {
		check_tdcr(m, &r);
		check_oneshot(m, &r);
		check_periodic(m, &r);
		check_masked(m, &r);
		check_stop(m, &r);
		check_halt_wake(m, &r);
		check_tsc_deadline(m, &r);
	}
	if (late_waits[this_vcpu()])
		printf("%s: vcpu%u: %u timer waits went past their TSC budget (the host held this vCPU or was "
		       "late with its timer interrupt) and went on with an exit per look\n", m, this_vcpu(), late_waits[this_vcpu()]);
	report_irq_unexpected(m);
	timer_stop();
	irq_set_handler(VEC_TIMER, NULL);
}

GUEST_TEST(apic_timer)
{
	apic_for_each_mode(check_mode);
}
