/*
 * hv/vcpu.c - the run loop of one vCPU, and the helpers exit handlers use:
 * skipping the exiting instruction, injecting exceptions, stopping the
 * vCPU, the per-vCPU console and result reports.
 */
#include <stdarg.h>
#include "hv/hv.h"
#include "hv/console.h"
#include "hv/host_apic.h"
#include "hv/vapic_door.h"
#include "hv/percpu.h"
#include "hv/multiboot.h"
#include "hv/bench.h"
#include "svm/insn.h"
#include "svm/guest_walk.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/x86.h"

void vcpu_stop(struct vcpu *vcpu, u32 kind, const char *fmt, ...)
{
	va_list ap;

	if (vcpu->end != END_NONE)
		return;
	vcpu->end = END_STOPPED;
	vcpu->stop_kind = kind;
	va_start(ap, fmt);
	vsnprintf(vcpu->stop_why, sizeof(vcpu->stop_why), fmt, ap);
	va_end(ap);
}

void vcpu_inject_exception(struct vcpu *vcpu, u8 vector, bool has_error, u32 error)
{
	u64 ev = vector | SVM_EVTINJ_TYPE_EXEPT | SVM_EVTINJ_VALID;

	if (has_error)
		ev |= SVM_EVTINJ_VALID_ERR | ((u64)error << SVM_EVTINJ_ERR_SHIFT);
	vcpu->vmcb->control.event_inj = ev;
}

static struct guest_paging vcpu_paging(struct vcpu *vcpu)
{
	struct vmcb_save *s = &vcpu->vmcb->save;

	return (struct guest_paging){ .cr0 = s->cr0, .cr3 = s->cr3, .cr4 = s->cr4, .efer = s->efer };
}

/*
 * The host address of the guest page holding linear address la, for an
 * instruction fetch: from vcpu->fetch_tlb when one entry's walk still
 * holds, else from a new walk into an entry.  NULL when the page faults or is not
 * guest RAM (the caller then takes the slow path and its answer).  The
 * check costs one load per paging level instead of a walk and a copy per
 * level; guests change their page tables without an exit (no CR3 or
 * INVLPG intercept), which is why every entry is compared, not only CR3.
 * Guest RAM stays where it is for the VM's life and struct vcpu is zeroed
 * with its VM (hv/vm.c), so the entries' host addresses stay valid.
 */
static const u8 *fetch_page(struct vcpu *vcpu, const struct guest_paging *pg, u64 la)
{
	struct vm *vm = vcpu->vm;
	u64 page = la & ~(u64)(PAGE_SIZE - 1), gpa;
	struct fetch_tlb_entry *c;
	u32 err;
	unsigned i, k;

	/* The last entry used first: most exits come from the page the last one did. */
	for (k = 0; k < VCPU_FETCH_TLB_SIZE; k++) {
		c = &vcpu->fetch_tlb[(vcpu->fetch_tlb_last + k) % VCPU_FETCH_TLB_SIZE];
		if (!c->valid || c->page != page || c->cr3 != pg->cr3 || c->cr0 != pg->cr0 ||
		    c->cr4 != pg->cr4 || c->efer != pg->efer)
			continue;
		if (c->walk.entry_size == 8) {
			for (i = 0; i < c->walk.n; i++)
				if (*(const volatile u64 *)c->entry[i] != c->walk.val[i])
					break;
		} else {
			for (i = 0; i < c->walk.n; i++)
				if (*(const volatile u32 *)c->entry[i] != c->walk.val[i])
					break;
		}
		if (i == c->walk.n) {
			vcpu->fetch_tlb_last = (vcpu->fetch_tlb_last + k) % VCPU_FETCH_TLB_SIZE;
			return vm->ram + c->page_gpa;
		}
		c->valid = false;       /* an entry changed: walk again, into this slot */
		goto fill;
	}
	c = &vcpu->fetch_tlb[vcpu->fetch_tlb_next++ % VCPU_FETCH_TLB_SIZE];
	c->valid = false;
fill:
	if (guest_walk_traced(pg, page, 0, vm_read_gpa, vm, &gpa, &err, &c->walk) ||
	    !vm_gpa_ptr(vm, gpa, PAGE_SIZE))
		return NULL;
	/* Every entry was read from guest RAM (vm_read_gpa), so each has a place there. */
	for (i = 0; i < c->walk.n; i++)
		if (!(c->entry[i] = vm_gpa_ptr(vm, c->walk.gpa[i], c->walk.entry_size)))
			return NULL;
	c->cr0 = pg->cr0;
	c->cr3 = pg->cr3;
	c->cr4 = pg->cr4;
	c->efer = pg->efer;
	c->page = page;
	c->page_gpa = gpa;
	c->valid = true;
	vcpu->fetch_tlb_last = (u32)(c - vcpu->fetch_tlb);
	return vm->ram + gpa;
}

/* Reads up to len instruction bytes at CS:RIP; returns how many (0 on failure). */
int vcpu_fetch_insn(struct vcpu *vcpu, u8 *buf, unsigned len)
{
	struct vmcb_save *s = &vcpu->vmcb->save;
	struct guest_paging pg = vcpu_paging(vcpu);
	u64 rip = vcpu_long_mode(vcpu) ? s->rip : (u32)(s->cs.base + s->rip);
	unsigned off = (unsigned)(rip & (PAGE_SIZE - 1));
	const u8 *src;

	/*
	 * The bytes on RIP's page, then the next page's if the instruction
	 * may cross (walked anew); an unreadable second page only shortens
	 * the result, so an instruction at the end of RAM still decodes.
	 */
	unsigned first = (unsigned)MIN((u64)len, PAGE_SIZE - off);

	src = fetch_page(vcpu, &pg, rip);
	if (src) {
		src += off;
		if (first >= 8 && first <= 16) {
			/* Two overlapping 8-byte copies: no call, no loop. */
			__builtin_memcpy(buf, src, 8);
			__builtin_memcpy(buf + first - 8, src + first - 8, 8);
		} else {
			memcpy(buf, src, first);
		}
	} else if (guest_read_virt(&pg, rip, buf, first, vm_read_gpa, vcpu->vm)) {
		return 0;
	}
	if (first < len && guest_read_virt(&pg, rip + first, buf + first, len - first, vm_read_gpa, vcpu->vm))
		return (int)first;
	return (int)len;
}

/*
 * Next RIP: the CPU's nRIP where it has NRIPS (APM Vol 2 §15.7.1 "State
 * Saved on Exit"); otherwise
 * the length of the instruction at RIP, decoded and checked against the
 * exit (QEMU TCG has no NRIPS).  A mismatch stops the guest rather than
 * skipping a wrong number of bytes.
 */
int vcpu_skip_insn(struct vcpu *vcpu)
{
	struct vmcb *v = vcpu->vmcb;
	u8 bytes[15];
	int n, len;

	if (svm_has(CPUID_8000000A_EDX_NRIPS) && v->control.next_rip) {
		v->save.rip = v->control.next_rip;
		goto done;
	}
	n = vcpu_fetch_insn(vcpu, bytes, sizeof(bytes));
	len = insn_length_for_exit(bytes, (unsigned)n, v->control.exit_code, vcpu_long_mode(vcpu));
	if (len <= 0) {
		vcpu_stop(vcpu, STOP_BAD_INSN, "cannot decode the instruction at RIP 0x%llx for exit %s",
			  (unsigned long long)v->save.rip, svm_exit_name(v->control.exit_code));
		return -1;
	}
	v->save.rip += (u64)len;
	if (!vcpu_long_mode(vcpu))
		v->save.rip = (u32)v->save.rip;
done:
	/* Completing an instruction ends an STI / MOV SS interrupt shadow. */
	v->control.int_state &= ~SVM_INTERRUPT_SHADOW;
	return 0;
}

void vcpu_console_flush(struct vcpu *vcpu)
{
	if (!vcpu->con.len)
		return;
	hv_printf("[guest %s/%u] %.*s\n", vcpu->vm->test->name, vcpu->index,
		  (int)vcpu->con.len, vcpu->con.line);
	vcpu->con.len = 0;
	vcpu->con.lines++;
}

void vcpu_console_putc(struct vcpu *vcpu, char c)
{
	if (c == '\n') {
		vcpu_console_flush(vcpu);
		return;
	}
	if (c == '\r')
		return;
	/* Non-printable bytes are shown as '.', so a guest cannot send escapes. */
	if ((u8)c < 0x20 || (u8)c > 0x7e)
		c = '.';
	vcpu->con.line[vcpu->con.len++] = c;
	if (vcpu->con.len == sizeof(vcpu->con.line))
		vcpu_console_flush(vcpu);
}

void vcpu_report(struct vcpu *vcpu, int status, const char *msg)
{
	static const char *const tags[] = { "PASS", "FAIL", "SKIP" };

	vcpu_console_flush(vcpu);
	if (status == HV_REPORT_PASS)
		vcpu->passes++;
	else if (status == HV_REPORT_FAIL)
		vcpu->fails++;
	else
		vcpu->skips++;
	hv_printf("%s: %s: %s\n", tags[status], vcpu->vm->test->name, msg);
}

/*
 * The watchdog tells a hang from slowness by progress, not by time alone.
 * A vCPU is stopped when its VM has made no progress for a whole window
 * (the test's timeout, else HV.CFG test_timeout): no vCPU of it stepped
 * its counter in the progress page (lib/hv_abi.h), reported a result or
 * ended.  A VM that keeps stepping is slow, not hung - many vCPUs on few
 * host CPUs under QEMU TCG, where the TSC runs in wall time whether a
 * vCPU's thread gets the host CPU or not - and runs on, up to a hard limit
 * of HV_WATCHDOG_CAP windows, so that a guest stepping forever still ends.
 * A limit the guest announced (HC_EXPECT_STOP) holds as it was announced.
 *
 * A Multiboot kernel (docs/multiboot.md) has no progress page: there a
 * line it prints on COM1 is a step, and unless HV.CFG sets test_timeout
 * the window is MB_WATCHDOG_MS (hv/multiboot.h), long enough for a test
 * kernel's silent minute in a timer test.
 *
 * The run loop pays one RDTSC compare per exit; the VM's progress is read
 * only every eighth of a window, so a hang is stopped between one window
 * and nine eighths of one after the last progress.
 */
u64 vm_watchdog_window(const struct vm *vm)
{
	u32 ms = vm->test->timeout_ms ? vm->test->timeout_ms : hv_cfg.test_timeout_ms;

	if (hv_mb_guest.kernel && !hv_cfg.test_timeout_given)
		ms = MB_WATCHDOG_MS;

	return us_to_tsc((u64)ms * 1000);
}

u64 vm_progress(struct vm *vm)
{
	u64 sum = vm->vcpus_done;

	for (u32 i = 0; i < vm->nr_vcpus; i++) {
		const struct vcpu *v = &vm->vcpus[i];

		sum += v->passes + v->fails + v->skips;
		if (vm->progress && i < HV_PROGRESS_SLOTS)
			sum += vm->progress->steps[i];
		else if (!vm->progress)
			sum += v->con.lines;    /* a Multiboot kernel: its console lines */
	}
	return sum;
}

static void vcpu_watchdog_start(struct vcpu *vcpu, u64 now)
{
	vcpu->wd.start_tsc = now;
	vcpu->wd.window = vm_watchdog_window(vcpu->vm);
	vcpu->wd.limit_tsc = now + vcpu->wd.window * HV_WATCHDOG_CAP;
	vcpu->wd.announced = false;
	vcpu->wd.progress_tsc = now;
	vcpu->wd.seen = vm_progress(vcpu->vm);
	vcpu->wd.check_tsc = now + vcpu->wd.window / 8;
}

void vcpu_watchdog_announce(struct vcpu *vcpu, u64 ms)
{
	u64 now = rdtsc(), limit = now + us_to_tsc(MIN(ms, 3600000ULL) * 1000);

	vcpu->wd.limit_tsc = MIN(limit, vcpu->wd.limit_tsc);
	vcpu->wd.announced = true;
	vcpu->wd.check_tsc = MIN(vcpu->wd.check_tsc, vcpu->wd.limit_tsc);
}

void vcpu_watchdog_resume(struct vcpu *vcpu, u64 waited)
{
	u64 now = rdtsc();

	vcpu->wd.limit_tsc += waited;
	vcpu->wd.progress_tsc = now;
	vcpu->wd.check_tsc = MIN(now + vcpu->wd.window / 8, vcpu->wd.limit_tsc);
}

bool vcpu_watchdog_expired(struct vcpu *vcpu)
{
	u64 now = rdtsc(), seen;
	unsigned long long ran_ms;

	if (now < vcpu->wd.check_tsc)
		return false;
	/* A vCPU waiting for a SIPI has not started: its watchdog does not run. */
	if (vcpu->mp.state == VCPU_MP_WAIT_SIPI)
		return false;
	ran_ms = tsc_to_us(now - vcpu->wd.start_tsc) / 1000;
	if (now >= vcpu->wd.limit_tsc) {
		if (vcpu->wd.announced)
			vcpu_stop(vcpu, HV_STOP_WATCHDOG, "watchdog: the limit the guest announced has passed "
				  "(running %llu ms, RIP 0x%llx)", ran_ms, (unsigned long long)vcpu->vmcb->save.rip);
		else
			vcpu_stop(vcpu, HV_STOP_WATCHDOG, "watchdog: still running after %llu ms, the hard limit of "
				  "%u windows of %llu ms, although the VM made progress (RIP 0x%llx)", ran_ms,
				  HV_WATCHDOG_CAP, (unsigned long long)tsc_to_us(vcpu->wd.window) / 1000,
				  (unsigned long long)vcpu->vmcb->save.rip);
		return true;
	}
	seen = vm_progress(vcpu->vm);
	if (seen != vcpu->wd.seen) {
		vcpu->wd.seen = seen;
		vcpu->wd.progress_tsc = now;
	} else if (now - vcpu->wd.progress_tsc >= vcpu->wd.window) {
		vcpu_stop(vcpu, HV_STOP_WATCHDOG, "watchdog: no progress in the VM for %llu ms (running %llu ms, "
			  "RIP 0x%llx)", (unsigned long long)tsc_to_us(now - vcpu->wd.progress_tsc) / 1000, ran_ms,
			  (unsigned long long)vcpu->vmcb->save.rip);
		return true;
	}
	vcpu->wd.check_tsc = MIN(now + vcpu->wd.window / 8, vcpu->wd.limit_tsc);
	return false;
}

static void count_exit(struct vcpu *vcpu, u64 code)
{
	vcpu->exits[svm_exit_index(code)]++;
	vcpu->exits_total++;
}

void vcpu_run(struct vcpu *vcpu)
{
	struct percpu *pc = this_cpu();
	struct vmcb *v = vcpu->vmcb;
	u64 vmcb_pa = (u64)(uintptr_t)v;

	vcpu->cpu = pc->index;
	vcpu_watchdog_start(vcpu, rdtsc());
	/* A VMCB that ran elsewhere, or first runs here, has nothing clean (§1.10). */
	v->control.clean = 0;
	vapic_door_load(vcpu);

	while (vcpu->end == END_NONE) {
		u64 code;

		if (vcpu->vm->abort) {
			vcpu_stop(vcpu, STOP_ABORT, "another vCPU of this VM stopped unexpectedly");
			break;
		}
		if (vcpu_watchdog_expired(vcpu)) {
			/* An unexpected hang: show where each vCPU's interrupts are. */
			for (u32 i = 0; i < vcpu->vm->nr_vcpus && vcpu->expect_kind != HV_STOP_WATCHDOG; i++)
				vapic_door_dump(&vcpu->vm->vcpus[i]);
			break;
		}

		/* INIT / wait-for-SIPI: may sleep, so before CLGI. */
		if (vcpu->mp.pending_init || vcpu->mp.state == VCPU_MP_WAIT_SIPI) {
			if (!vapic_door_init_sipi(vcpu))
				break;
			if (vcpu->mp.state == VCPU_MP_WAIT_SIPI)
				continue;
		}

		clgi();
		/*
		 * in_guest before looking for interrupts to inject: a sender
		 * that sets IRR after our look sees in_guest and kicks, and the
		 * kick, held pending by GIF=0, makes VMRUN exit at once.
		 */
		__atomic_store_n(&vcpu->in_guest, 1, __ATOMIC_SEQ_CST);
		vapic_door_before_entry(vcpu);
		if (vcpu->end != END_NONE) {    /* a hypervisor bug seen on the way in (avic_hw_vmcb_check) */
			__atomic_store_n(&vcpu->in_guest, 0, __ATOMIC_RELEASE);
			stgi();
			break;
		}
		svm_vmrun(vmcb_pa, &vcpu->regs, pc->host_save_pa);
		while (bench_ws_again(vcpu, pc))         /* run.sh --bench only: hv/bench.h */
			svm_vmrun(vmcb_pa, &vcpu->regs, pc->host_save_pa);
		__atomic_store_n(&vcpu->in_guest, 0, __ATOMIC_RELEASE);
		stgi();         /* host IF=1: a pending host interrupt is taken here */

		v->control.tlb_control = TLB_CONTROL_DO_NOTHING;
		code = v->control.exit_code;
		count_exit(vcpu, code);

		/*
		 * An exit in the middle of delivering an event (EXITINTINFO.V,
		 * bit 31 only: QEMU leaves stale vectors) must be re-injected
		 * (APM Vol 2 §15.7.2 "Intercepts During IDT Interrupt Delivery").
		 * A handler may still replace it.
		 */
		if (v->control.exit_int_info & SVM_EVTINJ_VALID)
			v->control.event_inj = v->control.exit_int_info;
		vapic_door_after_exit(vcpu);

		if (handle_exit(vcpu) == EXIT_STOP)
			break;
		/*
		 * Clean bits (APM Vol 2 §15.15.2 "Guidelines for Clearing VMCB
		 * Clean Bits"): the groups nothing changes while
		 * the vCPU runs stay clean; intercepts, int_ctl, CRs, DRs,
		 * segments and CR2 are changed by exit handlers and the
		 * injection path, so they are always reloaded.  What does change
		 * one of the kept groups clears them all itself: the AVIC mode
		 * switch (N_CR3, the AVIC fields: avic_vmcb_mode) and a STARTUP
		 * (lapic_start_real_mode); moving to another CPU is the run
		 * loop's start above.  Without VmcbClean (QEMU TCG) all 0.
		 */
		v->control.clean = svm_has(CPUID_8000000A_EDX_VMCB_CLEAN) ? VMCB_CLEAN_IOPM | VMCB_CLEAN_ASID | VMCB_CLEAN_NP |
									     VMCB_CLEAN_LBR | VMCB_CLEAN_AVIC
								   : 0;
	}
	vapic_door_put(vcpu);
	vcpu_console_flush(vcpu);
}
