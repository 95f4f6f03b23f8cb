/*
 * avic/vapic.h - the software virtual local APIC: pure register logic.
 *
 * The state lives in one 4 KiB page laid out like the AVIC "vAPIC backing
 * page" (APM Vol 2 §15.29.3 "AVIC Backing Page", §15.29.10 "x2AVIC"): page
 * offset X holds the register at xAPIC MMIO offset X, x2APIC MSR m lives at
 * (m - 0x800) << 4, and the 64-bit x2APIC ICR is split into 0x300 (bits
 * 31:0) and 0x310 (bits 63:32), so the AVIC backends hand the same page to
 * the hardware (hv/avic.c) or to its model (avic/avic_emu.c).
 *
 * Nothing here touches hardware or hypervisor structures: callers decode the
 * guest access (MMIO offset, MSR number), call in, and act on the returned
 * vapic_effect (send an IPI, broadcast an EOI to the IOAPIC, re-arm the timer).
 * After any successful write the caller re-evaluates vapic_pending_vector().
 *
 * The architecture is APM Vol 2 Chapter 16 "Advanced Programmable Interrupt
 * Controller (APIC)"; each definition below names its section.
 */
#ifndef AVIC_VAPIC_H
#define AVIC_VAPIC_H

#include "lib/types.h"

/*
 * Register offsets in the xAPIC page / backing page (APM Vol 2 §16.3.2 "APIC
 * Registers", Table 16-2; x2APIC MSRs: §16.11.1 "x2APIC Register Address
 * Space", Table 16-6).
 */
#define VAPIC_REG_ID            0x020
#define VAPIC_REG_VERSION       0x030
#define VAPIC_REG_TPR           0x080
#define VAPIC_REG_APR           0x090
#define VAPIC_REG_PPR           0x0a0
#define VAPIC_REG_EOI           0x0b0
#define VAPIC_REG_RRD           0x0c0   /* Remote Read Data, AMD, xAPIC only */
#define VAPIC_REG_LDR           0x0d0
#define VAPIC_REG_DFR           0x0e0   /* xAPIC only */
#define VAPIC_REG_SVR           0x0f0
#define VAPIC_REG_ISR           0x100   /* 8 x 32 bits, 16-byte stride */
#define VAPIC_REG_TMR           0x180
#define VAPIC_REG_IRR           0x200
#define VAPIC_REG_ESR           0x280
#define VAPIC_REG_ICR_LO        0x300
#define VAPIC_REG_ICR_HI        0x310   /* xAPIC; x2APIC bits 63:32 in the backing page */
#define VAPIC_REG_LVT_TIMER     0x320
#define VAPIC_REG_LVT_THERMAL   0x330
#define VAPIC_REG_LVT_PMC       0x340
#define VAPIC_REG_LVT_LINT0     0x350
#define VAPIC_REG_LVT_LINT1     0x360
#define VAPIC_REG_LVT_ERROR     0x370
#define VAPIC_REG_TMICT         0x380   /* Timer Initial Count */
#define VAPIC_REG_TMCCT         0x390   /* Timer Current Count */
#define VAPIC_REG_TDCR          0x3e0   /* Timer Divide Configuration */
#define VAPIC_REG_SELF_IPI      0x3f0   /* x2APIC only (MSR 0x83F) */

#define VAPIC_LVT_COUNT         6       /* timer, thermal, PMC, LINT0, LINT1, error */

/* x2APIC MSRs: 0x800 + (offset >> 4) (APM Vol 2 §16.11.1 "x2APIC Register Address Space"). */
#define VAPIC_X2APIC_MSR_BASE   0x800
#define VAPIC_X2APIC_MSR_LAST   0x8ff
#define VAPIC_X2APIC_MSR(off)   (VAPIC_X2APIC_MSR_BASE + ((off) >> 4))
#define VAPIC_X2APIC_MSR_OFFSET(msr) (((u32)(msr) - VAPIC_X2APIC_MSR_BASE) << 4)
#define VAPIC_MSR_ID            0x802
#define VAPIC_MSR_VERSION       0x803
#define VAPIC_MSR_TPR           0x808
#define VAPIC_MSR_APR           0x809
#define VAPIC_MSR_PPR           0x80a
#define VAPIC_MSR_EOI           0x80b
#define VAPIC_MSR_LDR           0x80d
#define VAPIC_MSR_SVR           0x80f
#define VAPIC_MSR_ISR0          0x810
#define VAPIC_MSR_TMR0          0x818
#define VAPIC_MSR_IRR0          0x820
#define VAPIC_MSR_ESR           0x828
#define VAPIC_MSR_ICR           0x830
#define VAPIC_MSR_LVT_TIMER     0x832
#define VAPIC_MSR_LVT_ERROR     0x837
#define VAPIC_MSR_TMICT         0x838
#define VAPIC_MSR_TMCCT         0x839
#define VAPIC_MSR_TDCR          0x83e
#define VAPIC_MSR_SELF_IPI      0x83f

/*
 * IA32_APIC_BASE, MSR 0x1B (APM Vol 2 §16.3.1 "Local APIC Enable", Fig. 16-2;
 * EXTD: §16.9 "Detecting and Enabling x2APIC Mode", Fig. 16-31).
 */
#define VAPIC_BASE_BSC          BIT(8)  /* boot strap CPU core, read-only */
#define VAPIC_BASE_EXTD         BIT(10) /* x2APIC mode */
#define VAPIC_BASE_AE           BIT(11) /* APIC enable */
#define VAPIC_BASE_ABA          GENMASK(51, 12)
#define VAPIC_BASE_DEFAULT      0xfee00000ULL

/* Version register, AMD layout (APM Vol 2 §16.3.4 "APIC Version Register", Fig. 16-4). */
#define VAPIC_VERSION_VER       0x10
#define VAPIC_VERSION_MAX_LVT_SHIFT 16
#define VAPIC_VERSION_EXT_APIC_SPACE BIT(31)

/* Spurious-Interrupt Vector Register (APM Vol 2 §16.4.7 "Spurious Interrupts", Fig. 16-17). */
#define VAPIC_SVR_VECTOR        GENMASK(7, 0)
#define VAPIC_SVR_ASE           BIT(8)  /* APIC software enable */
#define VAPIC_SVR_FDIS          BIT(9)  /* focus CPU core checking disable */

/* DFR model, bits 31:28 (APM Vol 2 §16.6.1 "Receiving System and IPI Interrupts", Fig. 16-21). */
#define VAPIC_DFR_MODEL_SHIFT   28
#define VAPIC_DFR_MODEL_FLAT    0xf
#define VAPIC_DFR_MODEL_CLUSTER 0x0

/* Error Status Register bits (APM Vol 2 §16.4.6 "APIC Error Interrupts", Fig. 16-16). */
#define VAPIC_ESR_SAE           BIT(2)  /* send accept error */
#define VAPIC_ESR_RAE           BIT(3)  /* receive accept error */
#define VAPIC_ESR_SIV           BIT(5)  /* send illegal vector */
#define VAPIC_ESR_RIV           BIT(6)  /* receive illegal vector */
#define VAPIC_ESR_IRA           BIT(7)  /* illegal register address */

/* LVT fields (APM Vol 2 §16.4 "Local Interrupts", Fig. 16-7). */
#define VAPIC_LVT_VECTOR        GENMASK(7, 0)
#define VAPIC_LVT_MT            GENMASK(10, 8)  /* message type */
#define VAPIC_LVT_DS            BIT(12)         /* delivery status, RO */
#define VAPIC_LVT_PIN_POLARITY  BIT(13)         /* LINT only (Intel/KVM) */
#define VAPIC_LVT_REMOTE_IRR    BIT(14)         /* LINT only, RO */
#define VAPIC_LVT_TGM           BIT(15)         /* LINT only: 1 = level */
#define VAPIC_LVT_M             BIT(16)         /* mask */
#define VAPIC_LVT_TMM           BIT(17)         /* timer only: 1 = periodic */
#define VAPIC_LVT_TSC_DEADLINE  BIT(18)         /* timer only: 18:17 = 10b TSC-deadline (Intel/KVM) */
#define VAPIC_LVT_RESET         VAPIC_LVT_M

/* ICR fields (APM Vol 2 §16.5 "Interprocessor Interrupts (IPI)", Fig. 16-18). */
#define VAPIC_ICR_VECTOR        GENMASK(7, 0)
#define VAPIC_ICR_MT            GENMASK(10, 8)
#define VAPIC_ICR_MT_SHIFT      8
#define VAPIC_ICR_DM            BIT(11)         /* destination mode: 1 = logical */
#define VAPIC_ICR_DS            BIT(12)         /* delivery status, RO */
#define VAPIC_ICR_L             BIT(14)         /* level: 1 = assert */
#define VAPIC_ICR_TGM           BIT(15)         /* trigger mode: 1 = level */
#define VAPIC_ICR_RRS           GENMASK(17, 16) /* remote read status, RO */
#define VAPIC_ICR_DSH           GENMASK(19, 18) /* destination shorthand */
#define VAPIC_ICR_DSH_SHIFT     18
#define VAPIC_ICR_XAPIC_DEST_SHIFT 24           /* in ICR_HI */
/*
 * x2APIC: bits 31:20, 17:16, 13 and 12 must be zero (APM Vol 2 §16.13 "x2APIC
 * Interrupt Command Register (ICR) Operations", Fig. 16-34).
 */
#define VAPIC_X2APIC_ICR_RESERVED (GENMASK(31, 20) | VAPIC_ICR_RRS | BIT(13) | VAPIC_ICR_DS)

/* ICR message types (delivery modes). */
#define VAPIC_MT_FIXED          0
#define VAPIC_MT_LOWEST         1
#define VAPIC_MT_SMI            2
#define VAPIC_MT_REMOTE_READ    3       /* AMD, xAPIC only */
#define VAPIC_MT_NMI            4
#define VAPIC_MT_INIT           5
#define VAPIC_MT_STARTUP        6
#define VAPIC_MT_EXTINT         7

/* Destination shorthands. */
#define VAPIC_DSH_NONE          0
#define VAPIC_DSH_SELF          1
#define VAPIC_DSH_ALL_INCL_SELF 2
#define VAPIC_DSH_ALL_EXCL_SELF 3

#define VAPIC_XAPIC_BROADCAST   0xffu
#define VAPIC_X2APIC_BROADCAST  0xffffffffu

/* Return codes: 0, or -VAPIC_GP when the access raises #GP(0). */
#define VAPIC_GP                13
/* vapic_mmio_*: the page is not decoded (APIC disabled or in x2APIC mode). */
#define VAPIC_NOT_DECODED       1

struct vapic {
	u8 *page;               /* 4 KiB backing page, 16-byte aligned at least */
	u32 apic_id;            /* initial APIC ID = x2APIC ID; identifies the vCPU */
	u64 apic_base;          /* IA32_APIC_BASE as the guest sees it */
	bool x2apic;            /* APIC_BASE.EXTD (with AE) */
	bool enabled;           /* APIC_BASE.AE */
	bool x2apic_supported;  /* CPUID 1 ECX[21] advertised; else EXTD=1 -> #GP */
	bool tsc_deadline_supported; /* CPUID 1 ECX[24] advertised: LVT timer bit 18 writable */
	u32 esr_pending;        /* errors accumulated since the last ESR write */
};

/* A decoded ICR (or SELF_IPI) write. */
struct vapic_icr {
	u8 vector;
	u8 delivery_mode;       /* VAPIC_MT_* */
	bool logical;           /* destination mode */
	bool level_assert;      /* ICR bit 14 */
	bool trigger_level;     /* ICR bit 15 */
	u8 shorthand;           /* VAPIC_DSH_* */
	u32 dest;               /* xAPIC: 8 bits, x2APIC: 32 bits */
	bool x2apic;            /* format: decides the broadcast value */
};

enum vapic_effect_kind {
	VAPIC_EFFECT_NONE,
	VAPIC_EFFECT_EOI,         /* eoi_vector left service; eoi_level: TMR was set */
	VAPIC_EFFECT_ICR,         /* icr: an IPI to route with vapic_match_dest */
	VAPIC_EFFECT_SELF_IPI,    /* already in our own IRR (vector) */
	VAPIC_EFFECT_TIMER,       /* LVT timer, TMICT or TDCR changed */
	VAPIC_EFFECT_LDR_CHANGED, /* LDR or DFR changed: logical routing */
	VAPIC_EFFECT_SVR_CHANGED,
	VAPIC_EFFECT_ID_CHANGED,
};

struct vapic_effect {
	enum vapic_effect_kind kind;
	u8 eoi_vector;
	bool eoi_level;
	u8 self_ipi_vector;
	struct vapic_icr icr;
};

/*
 * Raw register access to a backing page (offset 4-byte aligned), also for
 * pages that are not one's own (AVIC's IPI path writes the target's IRR).
 * The page is a u8 buffer; registers go through an alias-safe u32.
 */
typedef u32 __attribute__((may_alias)) vapic_reg32;

static inline u32 vapic_page_get(const u8 *page, u32 offset)
{
	return *(const vapic_reg32 *)(page + offset);
}

static inline void vapic_page_set(u8 *page, u32 offset, u32 val)
{
	*(vapic_reg32 *)(page + offset) = val;
}

/*
 * ISR, TMR, IRR: 256 bits as 8 x 32-bit registers at a 16-byte stride (APM
 * Vol 2 §16.6.3 "Accepting System and IPI Interrupts", Figs. 16-23..16-25).
 */
static inline u32 vapic_vec_off(u32 base, u8 vector)
{
	return base + (u32)(vector >> 5) * 0x10;
}

static inline bool vapic_page_vec_test(const u8 *page, u32 base, u8 vector)
{
	return vapic_page_get(page, vapic_vec_off(base, vector)) & (1u << (vector & 31));
}

/*
 * Atomic and sequentially consistent: under AVIC other cores (the CPU's IPI
 * acceleration, its model, the IOMMU) set IRR bits in the same word without
 * any lock of ours (APM Vol 2 §15.29.6.1 "Interprocessor Interrupts",
 * §15.29.6.2 "Device Interrupts": "atomically set"), so a plain RMW could
 * lose one; the RMW is also the full barrier between an IRR update and the
 * IsRunning check that follows it (§15.29.6.1 step 5; docs/ARCHITECTURE.md
 * "AVIC (apic=avic and apic=avic-emu)", IsRunning).
 */
static inline void vapic_page_vec_set(u8 *page, u32 base, u8 vector)
{
	__atomic_fetch_or((vapic_reg32 *)(page + vapic_vec_off(base, vector)), 1u << (vector & 31),
			  __ATOMIC_SEQ_CST);
}

static inline void vapic_page_vec_clear(u8 *page, u32 base, u8 vector)
{
	__atomic_fetch_and((vapic_reg32 *)(page + vapic_vec_off(base, vector)), ~(1u << (vector & 31)),
			   __ATOMIC_SEQ_CST);
}

/* The same on a vCPU's own page (inline: the entry path reads several per exit). */
static inline u32 vapic_get_reg(const struct vapic *a, u32 offset)
{
	return vapic_page_get(a->page, offset);
}

static inline void vapic_set_reg(struct vapic *a, u32 offset, u32 val)
{
	vapic_page_set(a->page, offset, val);
}

/* State */
void vapic_reset(struct vapic *a, u32 apic_id, bool bsp);
void vapic_init_signal(struct vapic *a);
int vapic_set_apic_base(struct vapic *a, u64 new_base, u32 maxphyaddr);

/* Register accesses by the guest */
int vapic_mmio_read(struct vapic *a, u32 offset, u32 *val);
int vapic_mmio_write(struct vapic *a, u32 offset, u32 val, struct vapic_effect *eff);
int vapic_x2apic_msr_read(struct vapic *a, u32 msr, u64 *val);
int vapic_x2apic_msr_write(struct vapic *a, u32 msr, u64 val, struct vapic_effect *eff);

/* Priorities, acceptance, delivery, EOI */
u32 vapic_ppr(const struct vapic *a);
void vapic_set_tpr(struct vapic *a, u32 tpr);
u32 vapic_apr(const struct vapic *a);
int vapic_highest_irr(const struct vapic *a);
int vapic_highest_isr(const struct vapic *a);
bool vapic_accept(struct vapic *a, u8 vector, bool level);
int vapic_pending_vector(const struct vapic *a);

/*
 * The same for an IRR scan the caller already has (irr: vapic_highest_irr,
 * -1 if empty): the vector the APIC would deliver, if its class is above
 * PPR's (APM Vol 2 §16.6.4 "Selecting and Handling Interrupts").  Inline:
 * the entry path asks on every VMRUN, mostly with an empty IRR.
 */
static inline int vapic_pending_vector_of(const struct vapic *a, int irr)
{
	if (irr < 0 || !a->enabled || ((u32)irr & 0xf0) <= (vapic_ppr(a) & 0xf0))
		return -1;
	return irr;
}
void vapic_ack(struct vapic *a, u8 vector);
void vapic_unack(struct vapic *a, u8 vector);  /* vapic_ack undone: not taken */
int vapic_eoi(struct vapic *a, bool *level);
void vapic_set_error(struct vapic *a, u32 esr_bits);
bool vapic_sw_enabled(const struct vapic *a);

/* ICR */
void vapic_icr_decode_xapic(u32 icr_lo, u32 icr_hi, struct vapic_icr *icr);
void vapic_icr_decode_x2apic(u64 icr64, struct vapic_icr *icr);
/*
 * What sending this ICR does, as an ICR write would but without storing it:
 * ESR SIV for an illegal vector, nothing for remote read / ExtINT / INIT
 * de-assert, else eff = VAPIC_EFFECT_ICR.  For the AVIC exits, where the
 * page already holds the write (or never held it: SELF_IPI).
 */
void vapic_send_icr(struct vapic *a, const struct vapic_icr *icr, struct vapic_effect *eff);

/* Destinations */
u32 vapic_x2apic_ldr(u32 x2apic_id);
bool vapic_match_dest(const struct vapic *target, const struct vapic_icr *icr,
		      u32 source_apic_id);

/* Timer arithmetic */
u32 vapic_timer_divisor(u32 tdcr);
u32 vapic_tmcct(u32 tmict, u32 divisor, u64 elapsed_bus_ticks, bool periodic);

#endif
