/*
 * guest/lib/hypercall.h - VMMCALL wrappers for the hypercalls of
 * lib/hv_abi.h: RAX = number, arguments in RBX, RCX, RDX, result in RAX
 * (and RBX/RCX/RDX where the ABI says so).  Pointers are passed as
 * guest-physical addresses, which equal virtual ones in the test guests.
 */
#ifndef GUEST_LIB_HYPERCALL_H
#define GUEST_LIB_HYPERCALL_H

#include <stdarg.h>
#include "lib/types.h"
#include "lib/hv_abi.h"
#include "lib/printf.h"

struct hc_regs {
	u64 rax, rbx, rcx, rdx;
};

/* All four registers in and out. */
static inline void vmmcall_regs(struct hc_regs *r)
{
	__asm__ volatile("vmmcall"
			 : "+a"(r->rax), "+b"(r->rbx), "+c"(r->rcx), "+d"(r->rdx)
			 :
			 : "memory");
}

/* Raw hypercall: returns RAX. */
static inline u64 vmmcall(u64 nr, u64 a1, u64 a2, u64 a3)
{
	struct hc_regs r = { .rax = nr, .rbx = a1, .rcx = a2, .rdx = a3 };

	vmmcall_regs(&r);
	return r.rax;
}

struct hc_info {
	u64 vcpu;       /* RAX: this vCPU's index */
	u64 nr_vcpus;   /* RBX */
	u64 apic_id;    /* RCX: the physical CPU's APIC ID */
	u64 pcpu;       /* RDX: the physical CPU's index */
};

static inline struct hc_info hc_get_info(void)
{
	struct hc_regs r = { .rax = HC_GET_INFO };

	vmmcall_regs(&r);
	return (struct hc_info){ r.rax, r.rbx, r.rcx, r.rdx };
}

/* Exits with this exit code on this vCPU so far; HC_EXIT_COUNT_ALL: all exits. */
static inline u64 hc_exit_count(u64 exit_code)
{
	return vmmcall(HC_EXIT_COUNT, exit_code, 0, 0);
}

/* Announces the vCPU's next stop (HV_STOP_*); see hv_abi.h. */
/* Where vCPU index is now: HV_VCPU_* flags (lib/hv_abi.h), or HV_EINVAL. */
static inline u64 hc_vcpu_state(u32 index)
{
	return vmmcall(HC_VCPU_STATE, index, 0, 0);
}

static inline u64 hc_expect_stop(u64 kind, u64 arg)
{
	return vmmcall(HC_EXPECT_STOP, kind, arg, 0);
}

static inline u64 hc_report(u64 kind, const char *msg)
{
	return vmmcall(HC_REPORT, kind, (u64)(uintptr_t)msg, 0);
}

static inline u64 hc_puts(const char *s)
{
	return vmmcall(HC_PUTS, 0, (u64)(uintptr_t)s, 0);
}

/*
 * A measurement for the results: hc_metric("exits_per_op %u", n) makes the
 * hypervisor print "METRIC: <test>.exits_per_op <n>".  The text is
 * "<name> <value>", the name without the test's name and without spaces.
 * Returns the hypercall's result (0, or HV_ENOSYS/HV_EINVAL).
 */
static inline __printf(1, 2) u64 hc_metric(const char *fmt, ...)
{
	char msg[HV_REPORT_MSG_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return vmmcall(HC_METRIC, 0, (u64)(uintptr_t)msg, 0);
}

/*
 * Exit accounting.  SVM exit codes (APM Vol 2 Appendix C "SVM Intercept
 * Exit Codes"); guest.h has the others.
 */
#define SVM_EXIT_INTR           0x060   /* a host interrupt: not caused by the guest */
#define SVM_EXIT_VINTR          0x064   /* a virtual interrupt window opened */
#define SVM_EXIT_HLT            0x078
#define SVM_EXIT_MSR            0x07c   /* RDMSR/WRMSR: x2APIC registers, IA32_APIC_BASE */
#define SVM_EXIT_NPF            0x400   /* nested page fault: xAPIC MMIO */
#define SVM_EXIT_VMMCALL        0x081   /* hypercalls, including the counting itself */

/*
 * What this vCPU's exits were at one instant, for exits_since().  "total"
 * is all exits minus INTR (host timer ticks, which come whatever the guest
 * does) minus VMMCALL (the hypercalls that read these counters), i.e. the
 * exits the guest code under test caused.  "emu" is the part of "total"
 * that only the AVIC model takes (HC_EXIT_COUNT_EMU_ONLY, lib/hv_abi.h;
 * 0 unless apic=avic-emu): see exit_snapshot_avic().
 */
struct exit_snapshot {
	u64 msr;
	u64 npf;
	u64 vintr;
	u64 hlt;
	u64 emu;
	u64 total;
};

/*
 * The per-code counters (and the emulation-only count, which never holds
 * INTR or VMMCALL exits) are read first: nothing but VMMCALL and INTR exits
 * can happen while these hypercalls run.  Then all exits, bracketed by two
 * reads of INTR, retried until no host interrupt came in between, so that
 * "all" and "INTR" are from one instant.  The VMMCALL count at that
 * instant is the one read just before plus the read of "all" itself (the
 * hypervisor counts an exit before it handles it).
 */
static inline void exit_snapshot_take(struct exit_snapshot *s)
{
	u64 intr, intr_after, vmmcall_before, all;
	unsigned int tries = 0;

	s->msr = hc_exit_count(SVM_EXIT_MSR);
	s->npf = hc_exit_count(SVM_EXIT_NPF);
	s->vintr = hc_exit_count(SVM_EXIT_VINTR);
	s->hlt = hc_exit_count(SVM_EXIT_HLT);
	s->emu = hc_exit_count(HC_EXIT_COUNT_EMU_ONLY);
	do {
		intr = hc_exit_count(SVM_EXIT_INTR);
		vmmcall_before = hc_exit_count(SVM_EXIT_VMMCALL);
		all = hc_exit_count(~0ULL);
		intr_after = hc_exit_count(SVM_EXIT_INTR);
	} while (intr != intr_after && ++tries < 16);
	s->total = all - intr - (vmmcall_before + 1);
}

/* The exits of each kind since *then (taken with exit_snapshot_take()). */
static inline struct exit_snapshot exits_since(const struct exit_snapshot *then)
{
	struct exit_snapshot now;

	exit_snapshot_take(&now);
	return (struct exit_snapshot){
		.msr = now.msr - then->msr,
		.npf = now.npf - then->npf,
		.vintr = now.vintr - then->vintr,
		.hlt = now.hlt - then->hlt,
		.emu = now.emu - then->emu,
		.total = now.total - then->total,
	};
}

/*
 * The exits of d (an exits_since() delta) that AVIC hardware takes too:
 * all of them but those the AVIC model takes only because it is a model
 * (an access the hardware would accelerate, APM Vol 2 §15.29.3.1 "Virtual
 * APIC Register Accesses"; an interrupt window the
 * hardware would not open).  This is the figure to judge a design for
 * AVIC hardware by, which the model cannot show directly.  Equal to d->total in the other modes, where
 * the emulation-only count stays 0.
 */
static inline u64 exit_snapshot_avic(const struct exit_snapshot *d)
{
	return d->total - d->emu;
}

#endif
