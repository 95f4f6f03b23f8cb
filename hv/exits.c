/*
 * hv/exits.c - one handler per #VMEXIT code, through one table.
 *
 * A handler gets the vCPU and returns EXIT_RESUME or EXIT_STOP.  Guest
 * misbehaviour gets the architectural answer (#GP, #UD, all-ones reads)
 * and the guest goes on; what cannot be answered stops this guest only.
 * Exit codes: APM Vol 2 Appendix C "SVM Intercept Exit Codes"; EXITINFO as
 * described with each intercept (e.g. §15.10.2 "IN and OUT Behavior",
 * §15.11 "MSR Intercepts").
 */
#include "hv/hv.h"
#include "hv/console.h"
#include "hv/host_apic.h"
#include "hv/lapic.h"
#include "hv/avic.h"
#include "hv/vapic_door.h"
#include "hv/percpu.h"
#include "hv/bench.h"
#include "svm/vmcb_check.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/x86.h"
#include "lib/cpuid.h"

static struct vmcb_control *ctl(struct vcpu *vcpu) { return &vcpu->vmcb->control; }
static struct vmcb_save *save(struct vcpu *vcpu) { return &vcpu->vmcb->save; }

static enum exit_action skip(struct vcpu *vcpu)
{
	return vcpu_skip_insn(vcpu) ? EXIT_STOP : EXIT_RESUME;
}

static enum exit_action inject_ud(struct vcpu *vcpu)
{
	vcpu_inject_exception(vcpu, X86_UD, false, 0);
	return EXIT_RESUME;
}

static enum exit_action inject_gp(struct vcpu *vcpu)
{
	vcpu_inject_exception(vcpu, X86_GP, true, 0);
	return EXIT_RESUME;
}

/* ---- CPUID (filtered) --------------------------------------------------- */

static enum exit_action handle_cpuid(struct vcpu *vcpu)
{
	u32 leaf = (u32)save(vcpu)->rax, sub = (u32)vcpu->regs.rcx;
	struct cpuid_regs r = { 0 };

	if ((leaf & 0xf0000000) == 0x40000000) {
		/* Our own leaves; whatever a hypervisor below us says is hidden. */
		if (leaf == HV_CPUID_LEAF_BASE) {
			r.eax = HV_CPUID_LEAF_MAX;
			memcpy(&r.ebx, HV_CPUID_SIGNATURE, 4);
			memcpy(&r.ecx, HV_CPUID_SIGNATURE + 4, 4);
			memcpy(&r.edx, HV_CPUID_SIGNATURE + 8, 4);
		} else if (leaf == HV_CPUID_LEAF_MAX) {
			r.eax = HV_ABI_VERSION;
		}
	} else {
		r = cpuid_count(leaf, sub);
	}

	switch (leaf) {
	case 1:
		r.ecx |= CPUID_1_ECX_HYPERVISOR;
		r.ecx &= ~(CPUID_1_ECX_MONITOR |        /* intercepted, #UD */
			   CPUID_1_ECX_VMX);
		r.ecx |= CPUID_1_ECX_X2APIC |           /* the virtual APIC has it (hv/lapic.c) */
			 CPUID_1_ECX_TSC_DEADLINE;      /* MSR 0x6E0 */
		r.ecx &= ~CPUID_1_ECX_OSXSAVE;          /* follows the guest's CR4 */
		if (save(vcpu)->cr4 & CR4_OSXSAVE)
			r.ecx |= CPUID_1_ECX_OSXSAVE;
		r.edx &= ~(CPUID_1_EDX_APIC |           /* follows IA32_APIC_BASE.AE below */
			   CPUID_1_EDX_MTRR);           /* the MSRs are not emulated */
		/* APM Vol 2 §16.3.1: CPUID 1 EDX[9] reads 0 while the APIC is disabled. */
		if (vcpu->apic.enabled)
			r.edx |= CPUID_1_EDX_APIC;
		r.ebx = (r.ebx & 0x00ffffff) | (vcpu->apic.apic_id << 24);
		break;
	case 5:                                 /* MONITOR/MWAIT leaf */
	case 6:                                 /* power management: nothing to offer */
		r = (struct cpuid_regs){ 0 };
		break;
	case 0xb:
		r.edx = vcpu->apic.apic_id;     /* x2APIC ID */
		break;
	case 0x80000001:
		/*
		 * Bit 13 is WDT, not MWAITX (bit 29, not filtered: MONITORX and
		 * MWAITX exit as MONITOR and MWAIT, and get #UD).  Kept as it was.
		 */
		r.ecx &= ~(CPUID_80000001_ECX_SVM |     /* nested SVM is not offered */
			   CPUID_80000001_ECX_SKINIT |  /* SKINIT/STGI without SVME: we inject #UD for them */
			   CPUID_80000001_ECX_WDT);
		break;
	case 0x8000000a:                        /* SVM features: none */
		r = (struct cpuid_regs){ 0 };
		break;
	case 0x8000001e:
		r.eax = vcpu->index;            /* extended APIC ID */
		break;
	}
	save(vcpu)->rax = r.eax;
	vcpu->regs.rbx = r.ebx;
	vcpu->regs.rcx = r.ecx;
	vcpu->regs.rdx = r.edx;
	return skip(vcpu);
}

/* ---- MSRs ----------------------------------------------------------------- */

/*
 * Emulated MSRs (everything else gets #GP, APM Vol 2 §15.11):
 *   EFER      SVME is hidden: reads clear it, writes that set it or any
 *             reserved bit #GP; the VMCB copy always keeps SVME=1 (§1.4).
 *   PAT       the guest PAT (G_PAT), with the architectural type check.
 *   TSC       reads RDTSC + TSC_OFFSET; writes set TSC_OFFSET.
 * FS/GS/KernelGS base, STAR/LSTAR/CSTAR/SFMASK, SYSENTER_*: not intercepted
 * at all (hv/vm.c passthrough_msrs).
 */
#define MSR_AMD_PERF_FIRST 0xc0010000u
#define MSR_AMD_PERF_LAST  0xc0010007u
#define EFER_GUEST_BITS (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | EFER_FFXSR)

static bool pat_valid(u64 pat)
{
	for (int i = 0; i < 8; i++) {
		u8 t = (u8)(pat >> (i * 8));

		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

static enum exit_action handle_msr(struct vcpu *vcpu)
{
	bool write = ctl(vcpu)->exit_info_1 == 1;
	u32 msr = (u32)vcpu->regs.rcx;
	struct vmcb_save *s = save(vcpu);
	u64 val = vcpu_edx_eax(vcpu);

	if (vapic_door_msr_is_ours(msr))
		return vapic_door_msr(vcpu, msr, write);
	/*
	 * AMD legacy performance counters (PerfEvtSel0-3, PerfCtr0-3): a PC
	 * kernel probes them; they read 0 and writes are dropped (no counting).
	 */
	if (msr >= MSR_AMD_PERF_FIRST && msr <= MSR_AMD_PERF_LAST) {
		if (write)
			return skip(vcpu);
		val = 0;
		goto read_done;
	}

	switch (msr) {
	case MSR_EFER:
		if (!write) {
			val = s->efer & ~EFER_SVME;
			break;
		}
		if (val & ~EFER_GUEST_BITS)
			return inject_gp(vcpu);
		/* LME cannot change while paging is on (APM Vol 2 §14.6.1). */
		if ((s->cr0 & CR0_PG) && ((val ^ s->efer) & EFER_LME))
			return inject_gp(vcpu);
		s->efer = (val & ~EFER_LMA) | (s->efer & EFER_LMA) | EFER_SVME;
		return skip(vcpu);
	case MSR_IA32_PAT:
		if (!write) {
			val = s->g_pat;
			break;
		}
		if (!pat_valid(val))
			return inject_gp(vcpu);
		s->g_pat = val;
		return skip(vcpu);
	case MSR_IA32_TSC:
		if (!write) {
			val = rdtsc() + ctl(vcpu)->tsc_offset;
			break;
		}
		ctl(vcpu)->tsc_offset = val - rdtsc();
		return skip(vcpu);
	default:
		return inject_gp(vcpu);
	}
read_done:
	vcpu_set_edx_eax(vcpu, val);
	return skip(vcpu);
}

/* ---- port I/O ----------------------------------------------------------- */

/*
 * COM1 (0x3F8-0x3FF): a 16550 good enough for polled output.  THR bytes go
 * to the vCPU's line buffer; LSR always says "transmitter empty"; the
 * scratch register holds what was written.  Port 0xF4 ends the vCPU.
 * Unclaimed ports read as all ones and ignore writes, as on a PC.
 */
static u32 com1_in(struct vcpu *vcpu, u16 reg)
{
	switch (reg) {
	case 1: return vcpu->com1.lcr & 0x80 ? 0 : vcpu->com1.ier;
	case 2: return 0x01;                    /* IIR: no interrupt pending */
	case 3: return vcpu->com1.lcr;
	case 4: return vcpu->com1.mcr;
	case 5: return 0x60;                    /* LSR: THRE | TEMT */
	case 6: return 0xb0;                    /* MSR: DCD | DSR | CTS */
	case 7: return vcpu->com1.scratch;
	default: return 0;                      /* RBR: no input */
	}
}

static void com1_out(struct vcpu *vcpu, u16 reg, u8 v)
{
	switch (reg) {
	case 0:
		if (!(vcpu->com1.lcr & 0x80))
			vcpu_console_putc(vcpu, (char)v);
		break;
	case 1: if (!(vcpu->com1.lcr & 0x80)) vcpu->com1.ier = v & 0x0f; break;
	case 3: vcpu->com1.lcr = v; break;
	case 4: vcpu->com1.mcr = v & 0x1f; break;
	case 7: vcpu->com1.scratch = v; break;
	}
}

static enum exit_action handle_ioio(struct vcpu *vcpu)
{
	u64 info = ctl(vcpu)->exit_info_1;
	u16 port = (u16)((info & SVM_IOIO_PORT_MASK) >> SVM_IOIO_PORT_SHIFT);
	unsigned size = (info & SVM_IOIO_SZ8) ? 1 : (info & SVM_IOIO_SZ16) ? 2 : 4;
	bool in = info & SVM_IOIO_TYPE_IN;
	struct vmcb_save *s = save(vcpu);
	u32 mask = size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;

	if (info & SVM_IOIO_STR) {
		vcpu_stop(vcpu, STOP_UNSUPPORTED, "string I/O (INS/OUTS) on port 0x%x is not emulated", port);
		return EXIT_STOP;
	}
	if (lapic_io_port_is_ours(port)) {
		u32 v = (u32)s->rax & mask;

		lapic_io_port(vcpu, port, in, &v);
		if (in)
			s->rax = (s->rax & ~(u64)mask) | (v & mask);
	} else if (in) {
		u32 v = 0;

		for (unsigned i = 0; i < size; i++) {
			u16 p = (u16)(port + i);
			u32 b = (p >= HV_PORT_COM1 && p < HV_PORT_COM1 + 8) ? com1_in(vcpu, p - HV_PORT_COM1) : 0xff;

			v |= (b & 0xff) << (i * 8);
		}
		s->rax = (s->rax & ~(u64)mask) | (v & mask);
	} else {
		u32 v = (u32)s->rax & mask;

		if (port == HV_PORT_TEST_END) {
			vcpu->end = END_DONE;
			vcpu->end_status = v;
			s->rip = ctl(vcpu)->exit_info_2;
			return EXIT_STOP;
		}
		for (unsigned i = 0; i < size; i++) {
			u16 p = (u16)(port + i);

			if (p >= HV_PORT_COM1 && p < HV_PORT_COM1 + 8)
				com1_out(vcpu, p - HV_PORT_COM1, (u8)(v >> (i * 8)));
		}
	}
	/* EXITINFO2 holds the next RIP for IOIO even without NRIPS (§1.15). */
	s->rip = ctl(vcpu)->exit_info_2;
	ctl(vcpu)->int_state &= ~SVM_INTERRUPT_SHADOW;
	return EXIT_RESUME;
}

/* ---- hypercalls ----------------------------------------------------------- */

static enum exit_action handle_vmmcall(struct vcpu *vcpu)
{
	struct vmcb_save *s = save(vcpu);
	u64 nr = s->rax, a1 = vcpu->regs.rbx, a2 = vcpu->regs.rcx;
	u64 ret = 0;

	switch (nr) {
	case HC_REPORT:
	case HC_METRIC:
	case HC_PUTS: {
		char msg[HV_REPORT_MSG_MAX + 1];
		unsigned n = 0;
		u64 gpa = a2;           /* RCX for both calls */

		if (nr == HC_REPORT && a1 > HV_REPORT_SKIP) {
			ret = HV_EINVAL;
			break;
		}
		for (; n < HV_REPORT_MSG_MAX; n++) {
			u8 *p = vm_gpa_ptr(vcpu->vm, gpa + n, 1);

			if (!p) {
				n = ~0u;
				break;
			}
			msg[n] = (char)*p;
			if (!*p)
				break;
		}
		if (n == ~0u) {
			ret = HV_EINVAL;
			break;
		}
		msg[MIN(n, HV_REPORT_MSG_MAX)] = 0;
		for (unsigned i = 0; msg[i]; i++)
			if ((u8)msg[i] < 0x20 || (u8)msg[i] > 0x7e)
				msg[i] = '.';
		if (nr == HC_REPORT) {
			vcpu_report(vcpu, (int)a1, msg);
		} else if (nr == HC_METRIC) {
			vcpu_console_flush(vcpu);
			hv_printf("METRIC: %s.%s\n", vcpu->vm->test->name, msg);
		} else {
			for (unsigned i = 0; msg[i]; i++)
				vcpu_console_putc(vcpu, msg[i]);
		}
		break;
	}
	case HC_GET_INFO:
		ret = vcpu->index;
		vcpu->regs.rbx = vcpu->vm->nr_vcpus;
		vcpu->regs.rcx = this_cpu()->apic_id;
		vcpu->regs.rdx = this_cpu()->index;
		break;
	case HC_EXIT_COUNT:
		if (a1 == ~0ULL)
			ret = vcpu->exits_total;
		else if (a1 == HC_EXIT_COUNT_EMU_ONLY)
			ret = vcpu->avic.emu_only;
		else
			ret = vcpu->exits[svm_exit_index(a1)];
		break;
	case HC_AVIC_PROBE:
		ret = avic_probe_hypercall(vcpu, a1, a2, vcpu->regs.rdx, &vcpu->regs.rbx, &vcpu->regs.rcx);
		break;
	case HC_EXPECT_STOP:
		if (a1 != HV_STOP_NPF && a1 != HV_STOP_SHUTDOWN && a1 != HV_STOP_WATCHDOG) {
			ret = HV_EINVAL;
			break;
		}
		vcpu->expect_kind = (u32)a1;
		vcpu->expect_arg = a2;
		if (a1 == HV_STOP_WATCHDOG)
			vcpu_watchdog_announce(vcpu, a2);
		break;
	case HC_VCPU_STATE: {
		const struct vcpu *t;

		if (a1 >= vcpu->vm->nr_vcpus) {
			ret = HV_EINVAL;
			break;
		}
		t = &vcpu->vm->vcpus[a1];
		/* lapic_block sleeps for a SIPI too: halted there is not HLT. */
		ret = (t->mp.state == VCPU_MP_WAIT_SIPI ? HV_VCPU_WAIT_SIPI : t->halted ? HV_VCPU_HALTED : 0) |
		      (t->end != END_NONE ? HV_VCPU_ENDED : 0);
		break;
	}
	case HC_BENCH_WORLD_SWITCH:     /* run.sh --bench only: hv/bench.h */
		ret = bench_world_switch_arm(vcpu, a1);
		break;
	default:
		ret = HV_ENOSYS;
		break;
	}
	s->rax = ret;
	return skip(vcpu);
}

/* ---- the rest ----------------------------------------------------------------- */

static enum exit_action handle_intr(struct vcpu *vcpu)
{
	/* The host interrupt is taken right after STGI in the run loop. */
	(void)vcpu;
	return EXIT_RESUME;
}

static enum exit_action handle_shutdown(struct vcpu *vcpu)
{
	vcpu_stop(vcpu, HV_STOP_SHUTDOWN, "triple fault (SHUTDOWN) at RIP 0x%llx",
		  (unsigned long long)save(vcpu)->rip);
	return EXIT_STOP;
}

static enum exit_action handle_npf(struct vcpu *vcpu)
{
	u64 gpa = ctl(vcpu)->exit_info_2, err = ctl(vcpu)->exit_info_1;
	bool handled;
	enum exit_action act;

	/* Emulated MMIO (local APIC, IOAPIC); a fetch from there is not an access we emulate. */
	if (!(err & SVM_NPF_FETCH)) {
		act = vapic_door_npf(vcpu, gpa, &handled);
		if (handled)
			return act;
	}
	vcpu->stop_gpa = gpa;
	vcpu_stop(vcpu, HV_STOP_NPF, "%s of GPA 0x%llx outside the guest's memory (RIP 0x%llx, error 0x%llx)",
		  (err & SVM_NPF_FETCH) ? "fetch" : (err & SVM_NPF_WRITE) ? "write" : "read",
		  (unsigned long long)gpa, (unsigned long long)save(vcpu)->rip,
		  (unsigned long long)err);
	return EXIT_STOP;
}

static enum exit_action handle_mc(struct vcpu *vcpu)
{
	vcpu_stop(vcpu, STOP_MC, "machine check while the guest ran (RIP 0x%llx)",
		  (unsigned long long)save(vcpu)->rip);
	return EXIT_STOP;
}

static enum exit_action handle_task_switch(struct vcpu *vcpu)
{
	vcpu_stop(vcpu, STOP_UNSUPPORTED, "hardware task switch is not emulated");
	return EXIT_STOP;
}

static enum exit_action handle_ignore(struct vcpu *vcpu)
{
	/* SMI, INIT, NMI, FERR_FREEZE: host events; nothing for the guest. */
	(void)vcpu;
	return EXIT_RESUME;
}

static void print_problem(void *ctx, const char *field, const char *problem)
{
	hv_printf("[cpu%u] ERROR vmrun:   %s: %s\n", this_cpu_index(), field, problem);
	(*(unsigned *)ctx)++;
}

static void print_line(void *ctx, const char *line)
{
	(void)ctx;
	hv_printf("[cpu%u] ERROR vmcb:   %s\n", this_cpu_index(), line);
}

static enum exit_action handle_invalid(struct vcpu *vcpu)
{
	unsigned n = 0;

	vcpu_console_flush(vcpu);
	hv_err("vmrun", "VMEXIT_INVALID for %s/%u: the guest state breaks these consistency checks:",
	       vcpu->vm->test->name, vcpu->index);
	vmcb_check_state(vcpu->vmcb, svm_caps.max_phys_bits, print_problem, &n);
	if (!n)
		hv_err("vmrun", "  (none of the checks we know of; see APM Vol 2 §15.5.1)");
	vcpu_stop(vcpu, STOP_INVALID, "VMRUN failed with VMEXIT_INVALID (%u problem%s found)", n, n == 1 ? "" : "s");
	return EXIT_STOP;
}

enum exit_action handle_exit(struct vcpu *vcpu)
{
	u64 code = ctl(vcpu)->exit_code;
	exit_handler_fn fn;

	if ((u32)code == 0xffffffffu)       /* QEMU 7.2 writes -1 as 0x00000000ffffffff */
		return handle_invalid(vcpu);
	fn = exit_handlers[svm_exit_index(code)];
	if (fn)
		return fn(vcpu);

	vcpu_console_flush(vcpu);
	hv_err("exit", "no handler for exit 0x%llx (%s) of %s/%u; VMCB:",
	       (unsigned long long)code, svm_exit_name(code), vcpu->vm->test->name, vcpu->index);
	vmcb_dump(vcpu->vmcb, print_line, NULL);
	vcpu_stop(vcpu, STOP_UNHANDLED, "unhandled exit 0x%llx (%s) at RIP 0x%llx",
		  (unsigned long long)code, svm_exit_name(code), (unsigned long long)save(vcpu)->rip);
	return EXIT_STOP;
}

/* svm_exit_index() maps 0x400.. to 0x100.. (svm/exit_names.h). */
#define SVM_EXIT_INDEX_HIGH(code) (0x100 + ((code) - 0x400))
#define H(code) [code]
const exit_handler_fn exit_handlers[SVM_EXIT_INDEX_MAX] = {
	H(SVM_EXIT_EXCP_BASE + X86_MC) = handle_mc,
	H(SVM_EXIT_EXCP_BASE + X86_DB) = lapic_handle_db,
	H(SVM_EXIT_INTR) = handle_intr,
	H(SVM_EXIT_NMI) = handle_ignore,
	H(SVM_EXIT_SMI) = handle_ignore,
	H(SVM_EXIT_INIT) = handle_ignore,
	H(SVM_EXIT_CPUID) = handle_cpuid,
	H(SVM_EXIT_HLT) = lapic_handle_hlt,
	H(SVM_EXIT_VINTR) = vapic_door_vintr,
	H(SVM_EXIT_IRET) = lapic_handle_iret,
	H(SVM_EXIT_WRITE_CR0 + 8) = vapic_door_cr8_write,
	H(SVM_EXIT_INVLPGA) = inject_ud,
	H(SVM_EXIT_IOIO) = handle_ioio,
	H(SVM_EXIT_MSR) = handle_msr,
	H(SVM_EXIT_TASK_SWITCH) = handle_task_switch,
	H(SVM_EXIT_FERR_FREEZE) = handle_ignore,
	H(SVM_EXIT_SHUTDOWN) = handle_shutdown,
	H(SVM_EXIT_VMRUN) = inject_ud,
	H(SVM_EXIT_VMMCALL) = handle_vmmcall,
	H(SVM_EXIT_VMLOAD) = inject_ud,
	H(SVM_EXIT_VMSAVE) = inject_ud,
	H(SVM_EXIT_STGI) = inject_ud,
	H(SVM_EXIT_CLGI) = inject_ud,
	H(SVM_EXIT_SKINIT) = inject_ud,
	H(SVM_EXIT_MONITOR) = inject_ud,
	H(SVM_EXIT_MWAIT) = inject_ud,
	H(SVM_EXIT_MWAIT_COND) = inject_ud,
	H(SVM_EXIT_RDPRU) = inject_ud,
	[SVM_EXIT_INDEX_HIGH(SVM_EXIT_NPF)] = handle_npf,
	[SVM_EXIT_INDEX_HIGH(SVM_EXIT_AVIC_INCOMPLETE_IPI)] = vapic_door_avic_incomplete_ipi,
	[SVM_EXIT_INDEX_HIGH(SVM_EXIT_AVIC_UNACCELERATED_ACCESS)] = vapic_door_avic_noaccel,
};
