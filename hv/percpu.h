/*
 * hv/percpu.h - per physical CPU state.  GS base points at the CPU's
 * struct percpu (VMSAVE/VMLOAD of the host state keep it across VMRUN).
 */
#ifndef HV_PERCPU_H
#define HV_PERCPU_H

#include "lib/types.h"

#define HV_MAX_CPUS     256
#define HV_STACK_SIZE   (64 * 1024)
#define HV_IST_SIZE     (8 * 1024)

struct vcpu;

struct tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __packed;
_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS is 104 bytes");

struct percpu {
	struct percpu *self;            /* +0: read through %gs:0 */
	u32 index;                      /* 0 = bootstrap CPU */
	u32 apic_id;
	u64 stack_top;
	u64 ist_top[3];                 /* #DF, NMI, #MC stacks (TSS IST1-3) */
	u64 hsave_pa;                   /* VM_HSAVE_PA page */
	u64 host_save_pa;               /* VMSAVE area for the host's FS/GS/TR/... */
	u64 gdt[8] __aligned(16);
	struct tss64 tss __aligned(16);
	volatile u32 online;            /* set by the CPU once it runs our code */
	volatile u32 svm_ready;
	volatile u32 apic_mode_bad;     /* an AP that cannot enter the BSP's APIC mode */
	volatile u32 apic_id_seen;      /* an AP's own reading of its APIC ID, once started */
	struct vcpu *volatile work;     /* the vCPU to run next (set by the BSP) */
	volatile u64 timer_ticks;
	u64 timer_next;                 /* TSC at which the host timer fires next */
	volatile u64 spurious_irqs;
	/* run.sh --bench: HC_BENCH_STEP exits left in the bare resume loop, and whose (hv/bench.h) */
	u32 bench_steps;
	struct vcpu *bench_vcpu;
};

extern struct percpu *percpu_array;     /* [nr_cpus] */
extern u32 nr_cpus;

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;

	__asm__ volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}

/* Safe before GS is set up (returns 0). */
u32 this_cpu_index(void);

/* Ends the machine after a panic (all CPUs stop; QEMU exits with ERROR). */
__noreturn void hv_machine_panic_end(void);

#endif
