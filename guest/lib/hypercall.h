/*
 * guest/lib/hypercall.h - VMMCALL wrappers for the hypercalls of
 * lib/hv_abi.h: RAX = number, arguments in RBX, RCX, RDX, result in RAX
 * (and RBX/RCX/RDX where the ABI says so).  Pointers are passed as
 * guest-physical addresses, which equal virtual ones in the test guests.
 */
#ifndef GUEST_LIB_HYPERCALL_H
#define GUEST_LIB_HYPERCALL_H

#include "lib/types.h"
#include "lib/hv_abi.h"

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

#endif
