/*
 * guest/tests/apic_initsipi.c - INIT and STARTUP IPIs bring up another vCPU.
 *
 * Behaviour (APM Vol 2 §16.5 "Interprocessor Interrupts (IPI)" (message
 * types 101 INIT and 110 Startup; in the INIT state only a STARTUP is
 * taken), §16.10 "x2APIC Initialization" (INIT resets the APIC registers
 * but not IA32_APIC_BASE.EN/EXTD), §14.1.3 "Processor Initialization State"
 * (real mode, RFLAGS 2, CR0.PE/PG clear); lib/hv_abi.h
 * "Entry"): vcpu0 sends, vcpu1 is the target, other vCPUs are bystanders.
 *  - a STARTUP to a vCPU that was not sent INIT (it runs its test code) is
 *    ignored: the code at the vector's page does not run and the vCPU goes
 *    on (xAPIC and x2APIC);
 *  - INIT stops the target (the hypervisor has it wait for a STARTUP,
 *    HC_VCPU_STATE, and its heartbeat counter stands still) and runs
 *    nothing yet; a STARTUP with vector 7 then starts it in real mode at
 *    0x7000: CS = 0x0700, IP = 0, RFLAGS = 0x2, CR0.PE = CR0.PG = 0, the
 *    CPUID initial APIC ID 1, IA32_APIC_BASE still enabled in xAPIC mode at
 *    0xFEE00000 (sender in xAPIC mode);
 *  - a second STARTUP after that one is ignored (the target no longer
 *    waits for one): the code runs once;
 *  - the target, moved to x2APIC mode and TPR 0x20 by its first
 *    trampoline run and halted, is sent INIT and at once a single STARTUP
 *    with vector 6 (no delay, sender in x2APIC mode): it starts at 0x6000,
 *    IA32_APIC_BASE still has EXTD (INIT keeps the mode), its x2APIC ID is
 *    1, and INIT reset TPR to 0 and SVR to 0xFF;
 *  - INIT and STARTUP for vcpu1 leave the bystanders running with their
 *    APIC untouched (TPR kept).
 * The trampoline is 16-bit code that this test copies to the page of each
 * vector (below 1 MiB, away from the image at 0x100000 and the boot info at
 * 0x9000).  It records what it finds (CS, IP, RFLAGS, CR0, CPUID, APIC
 * base, and in x2APIC mode ID/TPR/SVR through RDMSR), counts its run, and
 * reports one result itself through VMMCALL HC_REPORT (which works in real
 * mode: 0F 01 D9), with a message the sender left in the page, so that
 * its vCPU has a check of its own.  Its last run ends its vCPU with OUT
 * HV_PORT_TEST_END, 0 (a started vCPU that never ends would keep the test
 * running until the watchdog); the others halt with IF=0 until the next
 * INIT.  The page of the STARTUP that must be ignored holds a trampoline
 * that reports FAIL and ends its vCPU.
 * Cost: the sender takes one exit per ICR access for each INIT/STARTUP.
 *
 * Waits on another vCPU have a progress condition of their own (the
 * heartbeat moved, the trampoline ran, HC_VCPU_STATE says the target waits
 * for a STARTUP, a flag the sender sets) and are bounded by the waiter's
 * own spins, never by the TSC (it runs in wall time under QEMU TCG, whether
 * the other vCPU gets a host CPU or not).  The hypervisor decides about a
 * STARTUP when it is sent (lapic_deliver_one: taken only while the target
 * waits for one), so the delays after an ignored STARTUP are only time for
 * a wrong start to show, which a slow host can make weaker, never wrong.
 *
 * METRIC exits_per_op: sender exits per INIT or STARTUP IPI (x2APIC),
 * xapic_exits_per_op in xAPIC mode.
 *
 * A failure means a STARTUP that is not tied to a preceding INIT, an INIT
 * that does not stop the target or resets the wrong vCPU, a start at the
 * wrong address or in the wrong mode, a STARTUP lost when it follows the
 * INIT closely, or registers INIT should reset (or keep) that it did not.
 */
#include "guest/tests/apic_smp.h"

#define SENDER          0
#define TARGET          1

/* Startup vectors: page = vector << 12. */
#define VEC_IGNORED     0x05    /* must never run */
#define VEC_FIRST       0x07
#define VEC_SECOND      0x06

/* Commands for the trampoline (TD_CMD). */
#define CMD_X2APIC      BIT(0)  /* after recording: enter x2APIC mode, TPR = 0x20 */
#define CMD_END         BIT(1)  /* after reporting: OUT HV_PORT_TEST_END, 0 */

/* The trampoline's data, at these offsets in its page (the asm uses the numbers). */
#define TD_CS           0x800
#define TD_FLAGS        0x804
#define TD_CR0          0x808
#define TD_CPUID_ID     0x80c
#define TD_BASE_LO      0x810
#define TD_BASE_HI      0x814
#define TD_X2ID         0x818
#define TD_TPR          0x81c
#define TD_SVR          0x820
#define TD_IP           0x824
#define TD_CMD          0x828
#define TD_KIND         0x82c
#define TD_MSG          0x830
#define TD_RUNS         0x834
#define TD_REPORTED     0x838
#define TD_TEXT         0x900
#define TD_STACK_TOP    0x1000

struct tramp_data {
	u32 cs, flags, cr0, cpuid_id, base_lo, base_hi, x2id, tpr, svr, ip;
	u32 cmd, kind, msg, runs, reported;
};
_Static_assert(offsetof(struct tramp_data, cs) == TD_CS - TD_CS, "TD_CS");
_Static_assert(offsetof(struct tramp_data, ip) == TD_IP - TD_CS, "TD_IP");
_Static_assert(offsetof(struct tramp_data, cmd) == TD_CMD - TD_CS, "TD_CMD");
_Static_assert(offsetof(struct tramp_data, msg) == TD_MSG - TD_CS, "TD_MSG");
_Static_assert(offsetof(struct tramp_data, reported) == TD_REPORTED - TD_CS, "TD_REPORTED");
_Static_assert(TD_TEXT + HV_REPORT_MSG_MAX + 1 <= TD_STACK_TOP - 0x40, "message and stack share the page");

#define STR_(x)         #x
#define STR(x)          STR_(x)

extern const char initsipi_tramp[], initsipi_tramp_ip[], initsipi_tramp_end[];

/*
 * Real-mode code: entered at CS:IP = (vector << 8):0 with the registers
 * of the processor initialization state; CS is the page, so DS = SS = CS
 * make every TD_ offset address this page.  Stores go in program order
 * (x86 TSO) and the run count is bumped after the records, so a sender that
 * sees TD_RUNS change sees what was recorded.
 */
__asm__(".pushsection .rodata.initsipi, \"a\"\n"
	".code16\n"
	".globl initsipi_tramp, initsipi_tramp_ip, initsipi_tramp_end\n"
	"initsipi_tramp:\n"
	"	mov %cs, %ax\n"
	"	mov %ax, %ds\n"
	"	mov %ax, %ss\n"
	"	mov $" STR(TD_STACK_TOP) ", %sp\n"
	"	pushfl\n"
	"	popl %eax\n"
	"	mov %eax, " STR(TD_FLAGS) "\n"
	"	cli\n"
	"	mov %cs, %ax\n"
	"	movzwl %ax, %eax\n"
	"	mov %eax, " STR(TD_CS) "\n"
	"	call 9f\n"
	"initsipi_tramp_ip:\n"
	"9:	pop %ax\n"
	"	movzwl %ax, %eax\n"
	"	mov %eax, " STR(TD_IP) "\n"
	"	mov %cr0, %eax\n"
	"	mov %eax, " STR(TD_CR0) "\n"
	"	mov $1, %eax\n"
	"	cpuid\n"
	"	shr $24, %ebx\n"
	"	mov %ebx, " STR(TD_CPUID_ID) "\n"
	"	mov $0x1b, %ecx\n"
	"	rdmsr\n"
	"	mov %eax, " STR(TD_BASE_LO) "\n"
	"	mov %edx, " STR(TD_BASE_HI) "\n"
	"	test $0x400, %eax\n"                    /* EXTD: x2APIC mode */
	"	jz 1f\n"
	"	mov $0x802, %ecx\n"
	"	rdmsr\n"
	"	mov %eax, " STR(TD_X2ID) "\n"
	"	mov $0x808, %ecx\n"
	"	rdmsr\n"
	"	mov %eax, " STR(TD_TPR) "\n"
	"	mov $0x80f, %ecx\n"
	"	rdmsr\n"
	"	mov %eax, " STR(TD_SVR) "\n"
	"1:	testl $1, " STR(TD_CMD) "\n"            /* CMD_X2APIC */
	"	jz 2f\n"
	"	mov $0x1b, %ecx\n"
	"	rdmsr\n"
	"	or $0x400, %eax\n"
	"	wrmsr\n"
	"	mov $0x808, %ecx\n"
	"	mov $0x20, %eax\n"
	"	xor %edx, %edx\n"
	"	wrmsr\n"
	"2:	lock incl " STR(TD_RUNS) "\n"
	"	mov $" STR(HC_REPORT) ", %eax\n"
	"	mov " STR(TD_KIND) ", %ebx\n"
	"	mov " STR(TD_MSG) ", %ecx\n"
	"	.byte 0x0f, 0x01, 0xd9\n"               /* VMMCALL */
	"	lock incl " STR(TD_REPORTED) "\n"
	"	testl $2, " STR(TD_CMD) "\n"            /* CMD_END */
	"	jz 3f\n"
	"	mov $" STR(HV_PORT_TEST_END) ", %dx\n"
	"	xor %eax, %eax\n"
	"	out %eax, %dx\n"
	"3:	cli\n"
	"	hlt\n"
	"	jmp 3b\n"
	"initsipi_tramp_end:\n"
	".code64\n"
	".popsection\n");

_Static_assert(CMD_X2APIC == 1 && CMD_END == 2, "the trampoline tests these bits");

static u32 heartbeat, target_ready, bystanders_go;
static u64 send_exits[2], send_avic[2], send_ops[2];  /* [0] xAPIC, [1] x2APIC */

static u8 *page_of(u8 vector)
{
	return (u8 *)(uintptr_t)((u32)vector << 12);
}

static volatile struct tramp_data *data_of(u8 vector)
{
	return (volatile struct tramp_data *)(page_of(vector) + TD_CS);
}

/* Copies the trampoline to the vector's page and leaves it its command and message. */
static void tramp_prepare(u8 vector, u32 cmd, u32 kind, const char *msg)
{
	u8 *page = page_of(vector);
	volatile struct tramp_data *d = data_of(vector);

	memset(page, 0, PAGE_SIZE);
	memcpy(page, initsipi_tramp, (size_t)(initsipi_tramp_end - initsipi_tramp));
	snprintf((char *)page + TD_TEXT, HV_REPORT_MSG_MAX + 1, "%s", msg);
	d->cmd = cmd;
	d->kind = kind;
	d->msg = (u32)(uintptr_t)(page + TD_TEXT);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static u32 tramp_runs(u8 vector)
{
	return __atomic_load_n(&data_of(vector)->runs, __ATOMIC_ACQUIRE);
}

/* INIT (edge, assert) or STARTUP through ICR; the sender's exits are counted. */
static void send(u32 low)
{
	bool x2 = apic_mode() == APIC_MODE_X2APIC;
	struct exit_snapshot then, d;

	exit_snapshot_take(&then);
	apic_icr_write(TARGET, low);
	d = exits_since(&then);
	send_exits[x2] += d.total;
	send_avic[x2] += exit_snapshot_avic(&d);
	send_ops[x2]++;
	if (d.total != smp_icr_accesses() || d.total != smp_apic_exits(&d))
		report_fail("%s: sending ICR 0x%x took %lu exits (expected %u APIC accesses)",
			    apic_mode_name(apic_mode()), low, (unsigned long)d.total, smp_icr_accesses());
}

static void send_init(void)
{
	send(APIC_ICR_DM_INIT | APIC_ICR_LEVEL_ASSERT);
}

static void send_startup(u8 vector)
{
	send(APIC_ICR_DM_STARTUP | vector);
}

/* true if the heartbeat moves within 100 ms of this vCPU's spins. */
static bool heartbeat_moves(void)
{
	u32 h = smp_load(&heartbeat);

	return smp_wait_ms(smp_load(&heartbeat) != h, 100);
}

/* ---- STARTUP without INIT ---------------------------------------------------------- */

static u32 spin_stop;

static void check_no_init(void)
{
	const char *m = apic_mode_name(apic_mode());
	u32 me = this_vcpu();

	smp_store(&spin_stop, 0);
	if (!vcpu_barrier("no init: start"))
		return;
	if (me == TARGET) {
		u32 i = 0;

		/* Until the sender is done: bounded by this vCPU's spins (10 s at full speed). */
		for (u64 spins = 0; !smp_load(&spin_stop) && spins < 10000 * SMP_SPINS_MS; spins++) {
			smp_store(&heartbeat, ++i);
			cpu_relax();
		}
		report(smp_load(&spin_stop), "%s: STARTUP without INIT: this vCPU kept running its code", m);
	} else if (me == SENDER) {
		report(heartbeat_moves(), "%s: vcpu%u runs its test code (heartbeat moves)", m, TARGET);
		send_startup(VEC_IGNORED);
		/*
		 * Ignored at the send already; the delay is time for a wrong start
		 * to show (that trampoline reports FAIL by itself in any case).
		 */
		tsc_delay(5 * SMP_SETTLE_TICKS);
		report_eq(0, tramp_runs(VEC_IGNORED),
			  "%s: STARTUP (vector 0x%02x) to vcpu%u that was not sent INIT: ignored, the page's code did not run",
			  m, VEC_IGNORED, TARGET);
		report(heartbeat_moves(), "%s: STARTUP without INIT: vcpu%u goes on with its code", m, TARGET);
		smp_store(&spin_stop, 1);
	}
	vcpu_barrier("no init: end");
}

/* ---- INIT, STARTUP ------------------------------------------------------------------ */

static void check_first(void)
{
	volatile struct tramp_data *d = data_of(VEC_FIRST);
	const char *m = "xapic";
	bool waiting;
	u32 beat;

	tramp_prepare(VEC_FIRST, CMD_X2APIC, HV_REPORT_PASS,
		      "vcpu1: xapic: INIT, STARTUP vector 0x07: the trampoline ran in real mode at 0x7000 "
		      "and reports from there");
	smp_wait_ms(smp_load(&target_ready), 2000);
	report(heartbeat_moves(), "%s: vcpu%u spins in its test code before INIT", m, TARGET);

	send_init();
	/*
	 * Stopped: the target waits for a STARTUP in the hypervisor
	 * (HC_VCPU_STATE, one hypercall per look, so fewer looks than spins),
	 * and from then on its heartbeat stands still.  Not "the heartbeat
	 * went quiet for a while": a vCPU the host does not schedule looks
	 * the same, and only a long wait that must time out could tell.
	 */
	waiting = wait_for(hc_vcpu_state(TARGET) & HV_VCPU_WAIT_SIPI, WAIT_LONG >> 4);
	beat = smp_load(&heartbeat);
	tsc_delay(5 * SMP_SETTLE_TICKS);        /* time for a wrong beat to show */
	report(waiting, "%s: INIT stops vcpu%u: it waits for a STARTUP (HC_VCPU_STATE)", m, TARGET);
	report_eq(beat, smp_load(&heartbeat), "%s: INIT stops vcpu%u: its heartbeat stands still", m, TARGET);
	report_eq(0, tramp_runs(VEC_FIRST), "%s: after INIT alone nothing runs at the STARTUP page", m);

	tsc_delay(5 * SMP_SETTLE_TICKS);        /* the customary pause between INIT and STARTUP */
	send_startup(VEC_FIRST);
	if (!report(smp_wait_ms(tramp_runs(VEC_FIRST) >= 1 && d->reported >= 1, 2000),
		    "%s: STARTUP vector 0x%02x after INIT starts vcpu%u (the trampoline ran and reported)",
		    m, VEC_FIRST, TARGET))
		return;
	report_eq(VEC_FIRST << 8, d->cs, "%s: started with CS = vector << 8", m);
	report_eq((u32)(initsipi_tramp_ip - initsipi_tramp), d->ip,
		  "%s: started at IP 0 (the return address of its first call is where IP 0 puts it)", m);
	report_eq(0x2, d->flags, "%s: started with RFLAGS 0x2", m);
	report(!(d->cr0 & (CR0_PE | CR0_PG)), "%s: started in real mode: CR0.PE and CR0.PG clear (CR0 0x%x)", m, d->cr0);
	report_eq(TARGET, d->cpuid_id, "%s: CPUID 1 EBX[31:24] (initial APIC ID) is %u", m, TARGET);
	report_eq(HV_LAPIC_BASE | APIC_BASE_ENABLE, d->base_lo & (APIC_BASE_ADDR_MASK | APIC_BASE_ENABLE | APIC_BASE_EXTD),
		  "%s: IA32_APIC_BASE after INIT: still enabled, xAPIC mode, at 0x%x", m, HV_LAPIC_BASE);

	/*
	 * The target now halts in the trampoline: a second STARTUP must not
	 * restart it.  It is ignored at the send (the target no longer
	 * waits for one); the delay is time for a wrong second run to show.
	 */
	send_startup(VEC_FIRST);
	tsc_delay(5 * SMP_SETTLE_TICKS);
	report_eq(1, tramp_runs(VEC_FIRST), "%s: a second STARTUP (the target no longer waits for one) is ignored", m);
}

static void check_second(void)
{
	volatile struct tramp_data *d = data_of(VEC_SECOND);
	const char *m = "x2apic";
	bool ok;

	if (!tramp_runs(VEC_FIRST) || !(data_of(VEC_FIRST)->base_lo & APIC_BASE_ENABLE)) {
		report_skip("%s: INIT + one STARTUP: the first start did not happen", m);
		return;
	}
	if (apic_set_mode(APIC_MODE_X2APIC) != EXC_NONE) {
		report_fail("%s: the sender cannot enter x2APIC mode", m);
		return;
	}
	tramp_prepare(VEC_SECOND, CMD_END, HV_REPORT_PASS,
		      "vcpu1: x2apic: INIT and at once STARTUP vector 0x06: the trampoline ran in real mode at "
		      "0x6000 and reports from there");
	send_init();
	send_startup(VEC_SECOND);
	ok = smp_wait_ms(tramp_runs(VEC_SECOND) >= 1, 2000);
	report(ok, "%s: INIT and right after it one STARTUP vector 0x%02x (no delay) start vcpu%u", m, VEC_SECOND,
	       TARGET);
	if (!ok) {
		/* Diagnosis: would the customary second STARTUP have done it? */
		send_startup(VEC_SECOND);
		ok = smp_wait_ms(tramp_runs(VEC_SECOND) >= 1, 2000);
		printf("%s: diagnosis: a second STARTUP %s vcpu%u\n", m, ok ? "then started" : "did not start either",
		       TARGET);
		if (!ok)
			return;
	}
	report_eq(VEC_SECOND << 8, d->cs, "%s: started with CS = vector << 8", m);
	report_eq(APIC_BASE_ENABLE | APIC_BASE_EXTD, d->base_lo & (APIC_BASE_ENABLE | APIC_BASE_EXTD),
		  "%s: INIT keeps IA32_APIC_BASE EN and EXTD (x2APIC mode)", m);
	report_eq(TARGET, d->x2id, "%s: x2APIC ID after INIT is %u", m, TARGET);
	report_eq(0, d->tpr, "%s: INIT reset TPR (0x20 before) to 0", m);
	report_eq(0xff, d->svr, "%s: INIT reset SVR to 0xff", m);
	smp_wait_ms(d->reported >= 1, 2000);
}

static void bystander(void)
{
	apic_write(APIC_REG_TPR, 0x10);
	/* Until the sender is done: 20 s of this vCPU's spins at full speed, far more than the sender needs. */
	smp_wait_ms(smp_load(&bystanders_go), 20000);
	report_eq(0x10, apic_read(APIC_REG_TPR), "INIT/STARTUP for vcpu%u: this vCPU kept running, its TPR kept",
		  TARGET);
	apic_write(APIC_REG_TPR, 0);
}

GUEST_TEST(apic_initsipi)
{
	u32 me = this_vcpu();

	if (!smp_need_vcpus(2))
		return;
	if (me == SENDER) {
		tramp_prepare(VEC_IGNORED, CMD_END, HV_REPORT_FAIL,
			      "vcpu1: a STARTUP without a preceding INIT started the trampoline at 0x5000 "
			      "(it must be ignored)");
		memset(page_of(VEC_FIRST), 0, PAGE_SIZE);
		memset(page_of(VEC_SECOND), 0, PAGE_SIZE);
	}
	if (!vcpu_barrier("pages ready"))
		return;
	apic_for_each_mode(check_no_init);
	if (tramp_runs(VEC_IGNORED))
		return;         /* vcpu1 is gone: it ran the trampoline and ended */

	/* Both in xAPIC mode again (apic_for_each_mode ends there). */
	if (me == TARGET) {
		cli();
		smp_store(&target_ready, 1);
		/*
		 * Until INIT takes this vCPU away, bounded by its own spins (20 s at
		 * full speed), not the TSC: returning means INIT never came.
		 */
		for (u64 spins = 0; spins < 20000 * SMP_SPINS_MS; spins++) {
			smp_store(&heartbeat, (u32)spins + 1);
			cpu_relax();
		}
		report_fail("xapic: vcpu%u was never stopped by INIT", TARGET);
		return;
	}
	if (me != SENDER) {
		bystander();
		return;
	}
	check_first();
	check_second();
	smp_store(&bystanders_go, 1);
	apic_metric_exits_in(APIC_MODE_XAPIC, "exits_per_op", send_exits[0], send_avic[0], send_ops[0]);
	apic_metric_exits_in(APIC_MODE_X2APIC, "exits_per_op", send_exits[1], send_avic[1], send_ops[1]);
	apic_set_mode(APIC_MODE_XAPIC);
}
