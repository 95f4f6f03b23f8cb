/*
 * guest/lib/apic.h - the guest's driver for its own local APIC, in xAPIC
 * (MMIO) or x2APIC (MSR) mode, for the APIC conformance tests.
 *
 * The guest sees only the architecture: APM Vol 2 Chapter 16 "Advanced
 * Programmable Interrupt Controller (APIC)", each definition below naming
 * its section.  Nothing here is shared with the hypervisor's APIC model
 * (avic/, hv/), so the tests' expectations are written independently of it.
 *
 * Registers are named by their xAPIC offset everywhere (APIC_REG_*).  In
 * x2APIC mode the same call uses MSR 0x800 + offset / 16 (APM Vol 2
 * §16.11.1 "x2APIC Register Address Space"), so one test body runs in both
 * modes; apic_for_each_mode() runs it twice.  The mode is runtime state of
 * this vCPU, cached from IA32_APIC_BASE so that an access costs exactly the
 * one intercepted access under test: change the mode only through
 * apic_set_mode() or apic_base_write_safe(), which keep the cache right.
 *
 * Plain accessors (apic_read(), apic_write(), ...) expect no exception; the
 * _safe ones run the access under catch_exception() and return the vector
 * it raised, or EXC_NONE.
 */
#ifndef GUEST_LIB_APIC_H
#define GUEST_LIB_APIC_H

#include "guest/lib/guest.h"
#include "guest/lib/irq.h"

/*
 * Register offsets in the xAPIC page (APM Vol 2 §16.3.2 Table 16-2 "APIC
 * Registers").
 */
#define APIC_REG_ID             0x020
#define APIC_REG_VERSION        0x030
#define APIC_REG_TPR            0x080
#define APIC_REG_APR            0x090   /* arbitration priority */
#define APIC_REG_PPR            0x0a0   /* processor priority */
#define APIC_REG_EOI            0x0b0
#define APIC_REG_RRD            0x0c0   /* remote read data, xAPIC only */
#define APIC_REG_LDR            0x0d0   /* logical destination */
#define APIC_REG_DFR            0x0e0   /* destination format, xAPIC only */
#define APIC_REG_SVR            0x0f0   /* spurious-interrupt vector */
#define APIC_REG_ISR            0x100   /* 8 x 32 bits at a 16-byte stride */
#define APIC_REG_TMR            0x180
#define APIC_REG_IRR            0x200
#define APIC_REG_ESR            0x280
#define APIC_REG_ICR_LO         0x300
#define APIC_REG_ICR_HI         0x310   /* xAPIC only */
#define APIC_REG_LVT_TIMER      0x320
#define APIC_REG_LVT_THERMAL    0x330
#define APIC_REG_LVT_PMC        0x340
#define APIC_REG_LVT_LINT0      0x350
#define APIC_REG_LVT_LINT1      0x360
#define APIC_REG_LVT_ERROR      0x370
#define APIC_REG_TMICT          0x380   /* timer initial count */
#define APIC_REG_TMCCT          0x390   /* timer current count, read-only */
#define APIC_REG_TDCR           0x3e0   /* timer divide configuration */
#define APIC_REG_SELF_IPI       0x3f0   /* x2APIC only (MSR 0x83F), write-only */
#define APIC_REG_EXT_FEATURE    0x400   /* AMD extended space, if VERSION.EAS */

#define APIC_NR_LVT             6       /* timer, thermal, PMC, LINT0, LINT1, error */

/* x2APIC MSRs (APM Vol 2 §16.11.1; Table 16-6). */
#define X2APIC_MSR_BASE         0x800
#define X2APIC_MSR_LAST         0x8ff
#define X2APIC_MSR(reg)         (X2APIC_MSR_BASE + ((reg) >> 4))
#define X2APIC_MSR_ICR          0x830   /* 64 bits: destination in 63:32 */
#define X2APIC_MSR_SELF_IPI     0x83f

/* IA32_APIC_BASE (MSR 0x1B; APM Vol 2 §16.3.1 "Local APIC Enable", Fig. 16-2); more in lib/x86.h. */
#define APIC_BASE_ADDR_MASK     GENMASK(51, 12)
#define APIC_BASE_RESERVED_LOW  (GENMASK(7, 0) | BIT(9))

/* Version register (APM Vol 2 §16.3.4 "APIC Version Register", Fig. 16-4): AMD layout. */
#define APIC_VERSION_VER        GENMASK(7, 0)
#define APIC_VERSION_MAX_LVT    GENMASK(23, 16) /* LVT entries - 1 */
#define APIC_VERSION_EAS        BIT(31)         /* extended register space present */

/* SVR (APM Vol 2 §16.4.7 "Spurious Interrupts", Fig. 16-17). */
#define APIC_SVR_VECTOR         GENMASK(7, 0)
#define APIC_SVR_ENABLE         BIT(8)          /* APIC software enable */
#define APIC_SVR_FOCUS_DISABLE  BIT(9)

/* LVT entries (APM Vol 2 §16.4 "Local Interrupts", Fig. 16-7). */
#define APIC_LVT_VECTOR         GENMASK(7, 0)
#define APIC_LVT_DM_FIXED       (0u << 8)
#define APIC_LVT_DM_SMI         (2u << 8)
#define APIC_LVT_DM_NMI         (4u << 8)
#define APIC_LVT_DM_EXTINT      (7u << 8)
#define APIC_LVT_DELIVERY_STATUS BIT(12)
#define APIC_LVT_REMOTE_IRR     BIT(14)
#define APIC_LVT_LEVEL          BIT(15)
#define APIC_LVT_MASKED         BIT(16)
#define APIC_LVT_TIMER_MODE     GENMASK(18, 17)
#define APIC_LVT_TIMER_ONESHOT  (0u << 17)
#define APIC_LVT_TIMER_PERIODIC (1u << 17)
#define APIC_LVT_TIMER_TSC_DEADLINE (2u << 17)

/*
 * TDCR (APM Vol 2 §16.4.1 "APIC Timer Interrupt", Table 16-3): divide
 * value from bits 3 and 1:0.  apic_tdcr_divisor() decodes.
 */
#define APIC_TDCR_DIV_2         0x0
#define APIC_TDCR_DIV_4         0x1
#define APIC_TDCR_DIV_8         0x2
#define APIC_TDCR_DIV_16        0x3
#define APIC_TDCR_DIV_32        0x8
#define APIC_TDCR_DIV_64        0x9
#define APIC_TDCR_DIV_128       0xa
#define APIC_TDCR_DIV_1         0xb

/*
 * ICR (APM Vol 2 §16.5 "Interprocessor Interrupts (IPI)", Fig. 16-18; x2APIC:
 * §16.13 "x2APIC Interrupt Command Register (ICR) Operations", Fig. 16-34).
 */
#define APIC_ICR_VECTOR         GENMASK(7, 0)
#define APIC_ICR_DM_FIXED       (0u << 8)
#define APIC_ICR_DM_LOWEST      (1u << 8)
#define APIC_ICR_DM_SMI         (2u << 8)
#define APIC_ICR_DM_REMOTE_READ (3u << 8)
#define APIC_ICR_DM_NMI         (4u << 8)
#define APIC_ICR_DM_INIT        (5u << 8)
#define APIC_ICR_DM_STARTUP     (6u << 8)
#define APIC_ICR_DM_EXTINT      (7u << 8)
#define APIC_ICR_DM_MASK        GENMASK(10, 8)
#define APIC_ICR_DEST_LOGICAL   BIT(11)
#define APIC_ICR_BUSY           BIT(12)         /* delivery status, read-only */
#define APIC_ICR_LEVEL_ASSERT   BIT(14)
#define APIC_ICR_TRIGGER_LEVEL  BIT(15)
#define APIC_ICR_RRS            GENMASK(17, 16) /* remote read status */
#define APIC_ICR_SH_NONE        (0u << 18)
#define APIC_ICR_SH_SELF        (1u << 18)
#define APIC_ICR_SH_ALL         (2u << 18)
#define APIC_ICR_SH_OTHERS      (3u << 18)
#define APIC_ICR_SH_MASK        GENMASK(19, 18)
#define XAPIC_DEST_BROADCAST    0xffu
#define X2APIC_DEST_BROADCAST   0xffffffffu

/* ESR (APM Vol 2 §16.4.6 "APIC Error Interrupts", Fig. 16-16), AMD names. */
#define APIC_ESR_SAE            BIT(2)  /* send accept error */
#define APIC_ESR_RAE            BIT(3)  /* receive accept error */
#define APIC_ESR_SIV            BIT(5)  /* sent an illegal vector */
#define APIC_ESR_RIV            BIT(6)  /* received an illegal vector */
#define APIC_ESR_IRA            BIT(7)  /* illegal register address */

/* Vectors 0-15 are illegal for the APIC; priority class = vector >> 4. */
#define APIC_FIRST_LEGAL_VECTOR 16
#define APIC_SPURIOUS_VECTOR    0xff    /* what apic_sw_enable() puts in SVR */

enum apic_mode {
	APIC_MODE_DISABLED,     /* EN = 0, EXTD = 0 */
	APIC_MODE_XAPIC,        /* EN = 1, EXTD = 0: MMIO at the APIC base */
	APIC_MODE_X2APIC,       /* EN = 1, EXTD = 1: MSRs 0x800-0x8FF */
	APIC_MODE_INVALID,      /* EN = 0, EXTD = 1: unreachable, WRMSR raises #GP */
};

/* CPUID bits the platform promises (lib/hv_abi.h "Platform"). */
bool apic_x2apic_supported(void);
bool apic_tsc_deadline_supported(void);

/* This vCPU's mode, from the cache (no exit). */
enum apic_mode apic_mode(void);
/* "disabled", "xapic", "x2apic", "invalid": also the report prefix. */
const char *apic_mode_name(enum apic_mode mode);
/* The cached IA32_APIC_BASE and the xAPIC base address it holds. */
u64 apic_base_msr(void);
u64 apic_base_addr(void);
/* Re-reads IA32_APIC_BASE (one RDMSR) into the cache. */
enum apic_mode apic_mode_refresh(void);

/*
 * WRMSR IA32_APIC_BASE, val; returns the vector it raised or EXC_NONE, and
 * refreshes the cache either way.  For the tests of the MSR itself.
 */
int apic_base_write_safe(u64 val);

/*
 * Moves this APIC to mode by the legal steps only (APM Vol 2 §16.9
 * "Detecting and Enabling x2APIC Mode", Fig. 16-32 "APIC State Transitions"):
 * xAPIC -> x2APIC directly, x2APIC -> xAPIC through disabled, disabled ->
 * x2APIC through xAPIC.  The base address is kept.  Returns EXC_NONE, the
 * vector of the first WRMSR that failed, or APIC_MODE_NOT_TAKEN when the
 * WRMSRs were accepted but IA32_APIC_BASE did not follow (the cache then
 * holds where it got to).  Registers are not reinitialised: leaving x2APIC loses them
 * (APM Vol 2 §16.9.1 "Enabling x2APIC Mode", "Leaving x2APIC mode"), the
 * tests set what they need.
 */
#define APIC_MODE_NOT_TAKEN     (-2)
int apic_set_mode(enum apic_mode mode);

/* Register access by xAPIC offset; in x2APIC mode bits 31:0 of the MSR. */
u32 apic_read(u32 reg);
void apic_write(u32 reg, u32 val);
/* The full 64-bit MSR in x2APIC mode; 32-bit MMIO (val's low half) in xAPIC mode. */
int apic_read_safe(u32 reg, u64 *val);
int apic_write_safe(u32 reg, u64 val);

/*
 * ICR.  apic_icr_write() sends: xAPIC writes the destination to ICR_HI
 * (bits 31:24) and then ICR_LO, the write that sends; x2APIC writes
 * (dest << 32) | low to MSR 0x830 at once.  It does not wait for the
 * delivery status: use apic_icr_wait_idle() where a test wants to.
 * apic_icr_read() gives ICR_HI:ICR_LO, or MSR 0x830.
 */
void apic_icr_write(u32 dest, u32 low);
int apic_icr_write_safe(u32 dest, u32 low);
u64 apic_icr_read(void);
bool apic_icr_wait_idle(u64 spins);

/* EOI: a write of 0 (x2APIC: a non-zero value raises #GP). */
void apic_eoi(void);

/*
 * Fixed, edge self-IPI of vector: x2APIC through the SELF_IPI MSR 0x83F
 * (APM Vol 2 §16.15 "Self_IPI Register"), xAPIC through ICR with the "self"
 * shorthand.
 */
void apic_self_ipi(u8 vector);
/*
 * The same through ICR with the "self" shorthand in both modes; in xAPIC
 * mode only ICR_LO is written (the destination does not matter).
 */
void apic_icr_self_ipi(u8 vector);

/* The APIC ID: xAPIC ID[31:24], or the 32-bit x2APIC ID. */
u32 apic_id(void);

/*
 * ESR after a write (APM Vol 2 §16.4.6 "APIC Error Interrupts": "Writes to
 * the register cause the internal error state to be recorded in the
 * register, clearing the original error"): the errors since the previous
 * apic_esr() or ESR write.
 */
u32 apic_esr(void);

/* One bit of ISR, IRR or TMR (256 bits each, 32 per register). */
bool apic_isr(u8 vector);
bool apic_irr(u8 vector);
bool apic_tmr(u8 vector);
/* The highest vector set in ISR (or IRR), -1 if none. */
int apic_highest_isr(void);
int apic_highest_irr(void);

/* SVR = APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR, or just the vector. */
void apic_sw_enable(void);
void apic_sw_disable(void);

/*
 * Back to a quiet state after a check, whatever it left behind: IF off,
 * TPR 0, all LVTs masked, timer stopped, every in-service vector EOIed,
 * ESR collection cleared, APIC software-enabled.  Pending IRR bits stay
 * (nothing but delivery clears them); a test that leaves some pending
 * sees them as unexpected interrupts at its next STI.
 */
void apic_quiesce(void);

/*
 * Runs fn() in xAPIC mode, then in x2APIC mode (a SKIP when CPUID does not
 * offer x2APIC), each after apic_set_mode() and apic_quiesce(), and leaves
 * this APIC in xAPIC mode.  fn() prefixes its messages with
 * apic_mode_name(apic_mode()) ("xapic: ...", "x2apic: ...").
 */
void apic_for_each_mode(void (*fn)(void));

/*
 * METRIC "<name> <total/ops>" with two decimals, from vCPU 0 only (the
 * others measure the same thing).  apic_metric_per_op() prefixes the name
 * with "xapic_" in xAPIC mode, so "exits_per_op" is the x2APIC figure and
 * "xapic_exits_per_op" the xAPIC one.
 */
void metric_per_op(const char *name, u64 total, u64 ops);
void apic_metric_per_op(const char *name, u64 total, u64 ops);

/* The virtual APIC runs on the AVIC backend, the CPU's or the model (HV_BOOT_F_AVIC). */
bool hv_avic_active(void);

/*
 * Exit metrics: exactly what metric_per_op(name, total, ops) prints, and
 * under the AVIC backend also "avic_<name>" with avic_total, the exits AVIC
 * hardware takes (the sum of exit_snapshot_avic() over the same deltas as
 * total).  apic_metric_exits() prefixes both with "xapic_" in xAPIC mode,
 * like apic_metric_per_op(): "exits_per_op" and "avic_exits_per_op" are
 * the x2APIC figures, "xapic_exits_per_op" and "xapic_avic_exits_per_op"
 * the xAPIC ones.  apic_metric_exits_in() names them for mode instead of
 * the current one, for a test that reports after leaving the mode.
 */
void metric_exits(const char *name, u64 total, u64 avic_total, u64 ops);
void apic_metric_exits(const char *name, u64 total, u64 avic_total, u64 ops);
void apic_metric_exits_in(enum apic_mode mode, const char *name, u64 total, u64 avic_total,
			  u64 ops);

/* 1, 2, 4, ... 128 for a TDCR value (bits 3 and 1:0). */
u32 apic_tdcr_divisor(u32 tdcr);

/* CR8 is the TPR's priority class (APM Vol 2 §16.6.4 "Selecting and Handling Interrupts", Fig. 16-26). */
static inline u64 read_cr8(void)
{
	u64 v;

	__asm__ volatile("mov %%cr8, %0" : "=r"(v));
	return v;
}

static inline void write_cr8(u64 v)
{
	__asm__ volatile("mov %0, %%cr8" ::"r"(v) : "memory");
}

#endif
