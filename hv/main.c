/*
 * hv/main.c - the test plan on the bootstrap CPU, the work loop of the
 * other CPUs, the results contract and the end of the machine.
 *
 * Results contract (what run.sh parses; README "Results"):
 *   PASS: <test>: <msg> / FAIL: <test>: <msg> / SKIP: <test>: <reason>
 *   EXITS: <test>: <reason>=<n> ...
 *   SUMMARY: <N> tests, <F> unexpected failures, <S> skipped
 *   Test result: SUCCESS|FAILURE|SKIP|ERROR     (exactly once, last)
 */
#include "hv/hv.h"
#include "hv/console.h"
#include "hv/host_apic.h"
#include "hv/mem.h"
#include "hv/multiboot.h"
#include "hv/percpu.h"
#include "hv/platform.h"
#include "hv/screen.h"
#include "avic/avic_hw.h"
#include "hv/avic.h"
#include "svm/msrpm.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/x86.h"

struct hv_config hv_cfg;
u64 hv_image_base, hv_image_size;
u64 hv_entry_tsc;
void (*hv_platform_reset)(bool poweroff);
void (*hv_platform_save)(void);

/* Debug-exit values; QEMU exits with (v << 1) | 1. */
#define DEBUG_EXIT_PORT 0xf4
static const struct { const char *verdict; u32 code; } verdict_codes[] = {
	{ "SUCCESS", 0x10 }, { "FAILURE", 0x11 }, { "SKIP", 0x12 }, { "ERROR", 0x13 },
};

static volatile u32 ending;

/*
 * The plan when HV.CFG names a Multiboot kernel (guest=, docs/multiboot.md):
 * this one VM with all the run's vCPUs instead of hv/tests.def.
 */
static const struct hv_test guest_test = {
	.name = "guest", .min_vcpus = 1, .what = "a Multiboot kernel from the ESP",
};

/*
 * screen_hold=on (run.sh --screenshot): keep the verdict screen until the
 * host has taken its picture.  The line below tells the host that the
 * screen is drawn; it answers with one byte on the serial console.  The
 * wait is bounded (60 s), so a host that never answers only delays the end.
 */
static void screen_hold(bool drawn)
{
	console_drain_input();
	hv_printf("[cpu%u] INFO screen: %s; waiting up to 60 s for a byte on the serial console (screen_hold=on)\n",
		  this_cpu_index(), drawn ? "verdict screen drawn" : "no verdict screen (screen off)");
	if (console_wait_byte(rdtsc() + us_to_tsc(60ULL * 1000 * 1000)))
		hv_printf("[cpu%u] INFO screen: the host answered; ending\n", this_cpu_index());
	else
		hv_printf("[cpu%u] INFO screen: no byte on the serial console within 60 s; ending anyway\n", this_cpu_index());
}

void hv_end_machine(const char *verdict)
{
	u32 code = 0x13;
	bool drawn;

	if (__atomic_exchange_n(&ending, 1, __ATOMIC_SEQ_CST)) {
		cli();
		for (;;)
			__asm__ volatile("hlt");
	}
	hv_printf("Test result: %s\n", verdict);
	drawn = console_verdict_screen();
	if (hv_cfg.screen_hold)
		screen_hold(drawn);
	for (unsigned i = 0; i < ARRAY_SIZE(verdict_codes); i++)
		if (!strcmp(verdict, verdict_codes[i].verdict))
			code = verdict_codes[i].code;
	/* end=save: QEMU's debug-exit would end the machine before the results are kept. */
	if (hv_cfg.end == CFG_END_SAVE && hv_platform_save)
		hv_platform_save();     /* returns only when the reset failed */
	if (hv_cfg.debug_exit)
		outl(DEBUG_EXIT_PORT, code);
	if (hv_cfg.end != CFG_END_HALT && hv_platform_reset)
		hv_platform_reset(hv_cfg.end == CFG_END_POWEROFF);
	hv_printf("[cpu%u] INFO end: halted; the machine can be switched off\n", this_cpu_index());
	cli();
	for (;;)
		__asm__ volatile("hlt");
}

void hv_machine_panic_end(void)
{
	hv_end_machine("ERROR");
}

static bool test_selected(const struct hv_test *t)
{
	const char *p = hv_cfg.tests;
	char pat[CFG_TESTS_MAX];

	if (!*p)
		return t->flags & T_DEFAULT;
	while (*p) {
		size_t n = 0;

		while (p[n] && p[n] != ',')
			n++;
		memcpy(pat, p, n);
		pat[n] = 0;
		if (n && glob_match(pat, t->name))
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}

static u32 run_cpus(void)
{
	return hv_cfg.cpus && hv_cfg.cpus < nr_cpus ? hv_cfg.cpus : nr_cpus;
}

static const char *stop_kind_name(u32 kind)
{
	switch (kind) {
	case HV_STOP_NPF: return "NPF";
	case HV_STOP_SHUTDOWN: return "SHUTDOWN";
	case HV_STOP_WATCHDOG: return "watchdog";
	case STOP_INVALID: return "VMEXIT_INVALID";
	case STOP_UNHANDLED: return "unhandled exit";
	case STOP_BAD_INSN: return "undecodable instruction";
	case STOP_ABORT: return "VM abort";
	case STOP_MC: return "machine check";
	case STOP_UNSUPPORTED: return "unsupported operation";
	case STOP_HV_BUG: return "HYPERVISOR BUG";
	default: return "none";
	}
}

static bool stop_as_expected(const struct vcpu *v)
{
	if (v->end != END_STOPPED || v->expect_kind == HV_STOP_NONE || v->stop_kind != v->expect_kind)
		return false;
	if (v->stop_kind == HV_STOP_NPF)
		return ALIGN_DOWN(v->stop_gpa, PAGE_SIZE) == ALIGN_DOWN(v->expect_arg, PAGE_SIZE);
	return true;
}

/* Kicks the CPUs of the VM's other vCPUs (only halted ones if halted_only) to look at the VM's flags. */
static void kick_others(const struct vm *vm, u32 self, bool halted_only)
{
	for (u32 i = 0; i < vm->nr_vcpus; i++)
		if (i != self && (!halted_only || vm->vcpus[i].halted))
			host_apic_send_ipi(percpu_array[vm->vcpus[i].cpu].apic_id, HOST_VEC_KICK);
}

/* After vcpu_run: an unexpected stop ends the VM for every vCPU. */
static void vcpu_finished(struct vcpu *v)
{
	struct vm *vm = v->vm;

	if (v->end == END_STOPPED && !stop_as_expected(v) && v->stop_kind != STOP_ABORT) {
		vm->abort = 1;
		kick_others(vm, v->index, false);
	}
	/* vCPUs still waiting for a SIPI have nothing left to wait for. */
	if (v->index == 0) {
		vm->primary_done = 1;
		kick_others(vm, 0, true);
	}
	/* A Multiboot kernel ends with its vCPU 0 (as a PC at the debug-exit port): its APs stop too. */
	if (v->index == 0 && vm->test == &guest_test && !vm->abort) {
		vm->abort = 1;
		kick_others(vm, 0, false);
	}
	__atomic_add_fetch(&vm->vcpus_done, 1, __ATOMIC_SEQ_CST);
	if (this_cpu()->index != 0)
		host_apic_send_ipi(percpu_array[0].apic_id, HOST_VEC_KICK);
}

void hv_ap_loop(void)
{
	struct percpu *pc = this_cpu();

	for (;;) {
		struct vcpu *w;

		cli();
		w = pc->work;
		if (!w) {
			safe_halt();
			continue;
		}
		sti();
		vcpu_run(w);
		pc->work = NULL;
		vcpu_finished(w);
	}
}

/*
 * Intercepted APIC register accesses (local APIC and IOAPIC) and how many
 * of them the hypervisor refused (#GP, a dropped write, an undecoded page).
 */
static void print_apic_counts(const struct vm *vm)
{
	u64 all = 0, refused = 0;

	for (u32 c = 0; c < vm->nr_vcpus; c++) {
		all += vm->vcpus[c].apic_accesses;
		refused += vm->vcpus[c].apic_bad_accesses;
	}
	if (all)
		hv_printf("APIC: %s: accesses=%llu refused=%llu\n", vm->test->name,
			  (unsigned long long)all, (unsigned long long)refused);
}

static void print_exits(const struct vm *vm)
{
	char line[900];
	int n = snprintf(line, sizeof(line), "EXITS: %s:", vm->test->name);

	for (int i = 0; i < SVM_EXIT_INDEX_MAX && n < (int)sizeof(line) - 40; i++) {
		u64 sum = 0;

		for (u32 c = 0; c < vm->nr_vcpus; c++)
			sum += vm->vcpus[c].exits[i];
		if (sum)
			n += snprintf(line + n, sizeof(line) - n, " %s=%llu",
				      svm_exit_name(svm_exit_code_of_index(i)), (unsigned long long)sum);
	}
	hv_printf("%s\n", line);
	print_apic_counts(vm);
	avic_print_vm(vm);
}

struct plan_totals {
	u32 tests, failed, skipped;
	bool stop_run;
};

static void test_fail(const struct hv_test *t, u32 *fails, const char *fmt, ...) __printf(3, 4);
static void test_fail(const struct hv_test *t, u32 *fails, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hv_printf("FAIL: %s: %s\n", t->name, msg);
	(*fails)++;
}

/*
 * A Multiboot kernel has no hypercall to report with: its result is what
 * vCPU 0 writes to the debug-exit port 0xF4 (0 = success).  Its own lines
 * on COM1 are console output ("[guest guest/0] ..."), never results.  APs
 * end with vCPU 0: parked while waiting for a STARTUP, or stopped (abort).
 */
static void guest_result(const struct vcpu *v, u32 *passes, u32 *fails)
{
	const char *file = hv_mb_guest.name;

	if (v->index == 0) {
		if (v->end == END_DONE && !v->end_status) {
			hv_printf("PASS: guest: %s: exited with status 0\n", file);
			(*passes)++;
		} else if (v->end == END_DONE) {
			test_fail(&guest_test, fails, "%s: exited with status %u (expected 0, got %u)",
				  file, v->end_status, v->end_status);
		} else {
			test_fail(&guest_test, fails, "%s: vcpu0 stopped: %s", file, v->stop_why);
		}
	} else if (v->end == END_DONE && v->end_status) {
		test_fail(&guest_test, fails, "%s: vcpu%u exited with status %u (expected 0, got %u)",
			  file, v->index, v->end_status, v->end_status);
	} else if (v->end == END_STOPPED && v->stop_kind != STOP_ABORT) {
		test_fail(&guest_test, fails, "%s: vcpu%u stopped: %s", file, v->index, v->stop_why);
	}
}

/* The APs' vCPUs handed to their CPUs with a kick; the BSP runs vCPU 0. */
static void run_vcpus(struct vm *vm, u32 nr)
{
	for (u32 i = 1; i < nr; i++) {
		percpu_array[i].work = &vm->vcpus[i];
		host_apic_send_ipi(percpu_array[i].apic_id, HOST_VEC_KICK);
	}
	vcpu_run(&vm->vcpus[0]);
	vcpu_finished(&vm->vcpus[0]);
}

static void wait_for_vcpus(struct vm *vm, u32 nr, u64 start)
{
	u64 wait_until, hard_until, window, slack, seen;

	/*
	 * Every vCPU has its own watchdog; this is only a backstop for a CPU
	 * that never comes back from its guest.  It waits as the watchdog
	 * does, while the VM makes progress, and 5 s past the watchdog's
	 * window and hard limit.
	 */
	window = vm_watchdog_window(vm);
	slack = us_to_tsc(5000 * 1000);
	seen = vm_progress(vm);
	wait_until = rdtsc() + window + slack;
	hard_until = start + window * HV_WATCHDOG_CAP + slack;
	while (vm->vcpus_done < nr && rdtsc() < MIN(wait_until, hard_until)) {
		u64 now = vm_progress(vm);

		if (now != seen) {
			seen = now;
			wait_until = rdtsc() + window + slack;
		}
		cli();
		if (vm->vcpus_done < nr)
			safe_halt();
		sti();
	}
}

/* A vCPU of a built-in test that ended through the end port (END_DONE). */
static void judge_done(const struct hv_test *t, const struct vcpu *v, u32 i, u32 *fails)
{
	if (v->end_status == HV_END_CRASH)
		test_fail(t, fails, "vcpu%u: guest ended after an unexpected exception", i);
	else if (v->end_status)
		test_fail(t, fails, "vcpu%u: guest ended with status 0x%x (expected 0x0, got 0x%x)",
			  i, v->end_status, v->end_status);
	if (v->expect_kind != HV_STOP_NONE)
		test_fail(t, fails, "vcpu%u: the announced stop (%s) did not happen",
			  i, stop_kind_name(v->expect_kind));
	if (v->mp.parked)
		hv_info("test", "%s: vcpu%u waited for a STARTUP IPI until vcpu0 ended",
			t->name, i);
	else if (!v->passes && !v->fails && !v->skips)
		test_fail(t, fails, "vcpu%u: guest ended without reporting any check", i);
}

/* How vCPU i ended, as PASS/FAIL lines beyond the guest's own. */
static void judge_vcpu(const struct hv_test *t, const struct vcpu *v, u32 i, u32 *passes, u32 *fails,
		       struct plan_totals *tot)
{
	if (v->end == END_NONE) {
		/*
		 * Its CPU is still inside (or stuck around) the guest and
		 * still uses this VM's memory: nothing can safely run after
		 * this, so the run ends here.
		 */
		test_fail(t, fails, "vcpu%u: CPU %u did not return from its guest within 5 s of "
			  "the watchdog's limit; the run stops here", i, v->cpu);
		tot->stop_run = true;
		return;
	}
	if (t == &guest_test) {
		guest_result(v, passes, fails);
		return;
	}
	if (v->end == END_DONE) {
		judge_done(t, v, i, fails);
	} else if (stop_as_expected(v)) {
		hv_printf("PASS: %s: vcpu%u: stopped as expected: %s\n", t->name, i, v->stop_why);
		(*passes)++;
	} else if (v->end == END_STOPPED) {
		if (v->expect_kind)
			test_fail(t, fails, "vcpu%u: stopped: %s (expected %s, got %s)", i,
				  v->stop_why, stop_kind_name(v->expect_kind),
				  stop_kind_name(v->stop_kind));
		else
			test_fail(t, fails, "vcpu%u: stopped: %s", i, v->stop_why);
	}
}

static void run_test(const struct hv_test *t, struct plan_totals *tot)
{
	u32 cpus = run_cpus(), nr, fails = 0, passes = 0, skips = 0;
	u64 mark, start = rdtsc();
	struct vm *vm;

	tot->tests++;
	if (t->min_vcpus > cpus) {
		hv_printf("SKIP: %s: needs %u vCPUs, this run has %u CPU%s\n", t->name,
			  t->min_vcpus, cpus, cpus == 1 ? "" : "s");
		tot->skipped++;
		return;
	}
	nr = (t->flags & T_ONE_VCPU) ? 1 : cpus;
	hv_info("test", "%s: %s (%u vCPU%s)", t->name, t->what, nr, nr == 1 ? "" : "s");

	mark = pool_mark();
	vm = vm_create(t, nr);
	if (!vm) {
		test_fail(t, &fails, "could not build the VM (see the log above)");
		tot->failed++;
		pool_release(mark);
		return;
	}
	run_vcpus(vm, nr);
	wait_for_vcpus(vm, nr, start);

	for (u32 i = 0; i < nr; i++) {
		struct vcpu *v = &vm->vcpus[i];

		passes += v->passes;
		fails += v->fails;
		skips += v->skips;
		judge_vcpu(t, v, i, &passes, &fails, tot);
	}
	print_exits(vm);
	/* Wall time of the test, vCPU 0's start to the last vCPU's end (more vCPUs than host CPUs: slower). */
	hv_printf("METRIC: %s.time_ms %llu\n", t->name, (unsigned long long)(tsc_to_us(rdtsc() - start) / 1000));
	if (fails)
		tot->failed++;
	else if (!passes && skips)
		tot->skipped++;
	if (!tot->stop_run)
		pool_release(mark);
}

/*
 * The x2AVIC MSR permission policy (avic/avic_hw.c; docs/ARCHITECTURE.md
 * "AVIC (apic=avic and apic=avic-emu)"), printed as one line and
 * checked by reading the bits back from a map built with it, both with
 * x2AVIC active (the policy) and inactive (every x2APIC MSR intercepted).
 * A mismatch would open host APIC MSRs to a guest or leave TSC-deadline
 * writes to fault: the run stops.
 */
static void x2avic_msrpm_selfcheck(void)
{
	char line[400], why[160];
	u64 mark = pool_mark();
	u8 *map = pool_alloc_pages(MSRPM_SIZE / PAGE_SIZE);
	int bad = 0;

	if (!map) {
		hv_err("avic", "out of memory for the MSRPM self-check");
		hv_end_machine("ERROR");
	}
	avic_x2_msrpm_policy_line(line, sizeof(line));
	hv_printf("%s\n", line);
	for (int active = 1; active >= 0 && !bad; active--) {
		msrpm_init(map);
		avic_x2_msrpm_apply(map, active);
		bad = avic_x2_msrpm_check(map, active, why, sizeof(why));
	}
	pool_release(mark);
	if (bad) {
		hv_err("avic", "x2avic msrpm self-check FAILED: %d bits differ from the policy; first: %s", bad, why);
		hv_printf("SUMMARY: 0 tests, 0 unexpected failures, 0 skipped\n");
		hv_end_machine("ERROR");
	}
	hv_info("avic", "x2avic msrpm self-check: the map matches the policy (x2AVIC active and inactive)");
}

void hv_main(void)
{
	struct plan_totals tot = { 0 };
	u32 selected = 0;
	const char *verdict;

	for (unsigned i = 0; i < hv_tests_count && !hv_mb_guest.kernel; i++)
		selected += test_selected(&hv_tests[i]);
	if (hv_mb_guest.kernel)
		selected = 1;
	if (!selected) {
		hv_err("plan", "no test matches tests=%s", hv_cfg.tests);
		hv_printf("SUMMARY: 0 tests, 0 unexpected failures, 0 skipped\n");
		hv_end_machine("ERROR");
	}
	x2avic_msrpm_selfcheck();
	hv_info("plan", "%u test%s on %u CPU%s", selected, selected == 1 ? "" : "s",
		run_cpus(), run_cpus() == 1 ? "" : "s");
	/* The hypervisor's own set-up cost, from efi_main to the first VMRUN (all CPUs started). */
	hv_printf("METRIC: boot.setup_ms %llu\n",
		  (unsigned long long)(tsc_to_us(rdtsc() - hv_entry_tsc) / 1000));

	if (hv_mb_guest.kernel)
		run_test(&guest_test, &tot);
	for (unsigned i = 0; i < hv_tests_count && !tot.stop_run && !hv_mb_guest.kernel; i++)
		if (test_selected(&hv_tests[i]))
			run_test(&hv_tests[i], &tot);

	avic_print_coverage();
	/* What the screen console cost this CPU and the others (under the console lock). */
	if (screen_active())
		hv_printf("METRIC: screen.draw_ms %llu\n", (unsigned long long)(tsc_to_us(screen_draw_tsc()) / 1000));
	hv_printf("SUMMARY: %u tests, %u unexpected failures, %u skipped\n",
		  tot.tests, tot.failed, tot.skipped);
	if (tot.failed)
		verdict = "FAILURE";
	else if (tot.skipped == tot.tests)
		verdict = "SKIP";
	else
		verdict = "SUCCESS";
	hv_end_machine(verdict);
}
