/*
 * avic/avic_emu.h - a software model of the AVIC / x2AVIC hardware
 * ("avic-emu"), for machines without AVIC (QEMU TCG).
 *
 * In the avic-emu mode every guest APIC access is intercepted (an unmapped
 * APIC page for xAPIC MMIO, the MSRPM for x2APIC MSRs) and handed to this
 * model, which does what the CPU would have done with it under AVIC:
 *   - an access the hardware accelerates acts on the vAPIC backing page (and,
 *     for an IPI, on the target backing pages, IsRunning and the doorbell)
 *     and the guest just continues;
 *   - any other access yields the #VMEXIT the hardware would take (0x401
 *     AVIC_INCOMPLETE_IPI or 0x402 AVIC_NOACCEL, with EXITINFO1/2), which the
 *     caller passes to its real AVIC exit handlers;
 *   - an x2APIC MSR access the x2APIC architecture rejects raises #GP(0).
 * Sources: APM Vol 2 §15.29 "Advanced Virtual Interrupt Controller" and, for
 * x2APIC, §16.11 "Accessing x2APIC Register" to §16.15 "Self_IPI Register";
 * docs/AVIC-MODEL.md lists every behaviour of the model with its section.
 *
 * The model reads the hardware structures only - the physical APIC ID table
 * (V, IsRunning, host APIC ID, backing page address), the logical APIC ID
 * table, the backing pages - never the hypervisor's own bookkeeping, so a
 * wrong table entry behaves here as it would on a Zen CPU.  Formats come
 * from avic/avic_hw.h, APIC register semantics from avic/vapic.h.
 *
 * Pure and reentrant: it touches only the memory the context points at, with
 * atomic IRR updates and table reads, so several CPUs may run it at once on
 * the same VM, as several cores run AVIC.  It counts nothing (the caller does).
 */
#ifndef AVIC_AVIC_EMU_H
#define AVIC_AVIC_EMU_H

#include "lib/types.h"

/* What the hardware would report in the VMCB (EXITCODE, EXITINFO1, EXITINFO2). */
struct avic_emu_exit {
	u64 code;               /* SVM_EXIT_AVIC_INCOMPLETE_IPI or SVM_EXIT_AVIC_UNACCELERATED_ACCESS */
	u64 info1;
	u64 info2;
};

/*
 * avic_emu_quirks=on|all (HV.CFG): behaviours the APM allows or leaves
 * open, played deterministically (every Nth occasion, so that a run reaches
 * each one): two reported from real CPUs (ICR_BUSY, ISRUNNING_LATE), two
 * races the APM allows (NOT_RUNNING, DOORBELL_LATE) and one reading of an
 * undocumented point (EOI_ISR_CLEARED); docs/AVIC-MODEL.md gives the source
 * of each.  "all" adds four departures from the APM's encodings that no
 * one has reported, for the handlers' leniency.
 */
enum avic_emu_quirk {
	AVIC_EMU_Q_ICR_BUSY,            /* ICR BUSY (bit 12) left set after a 0x401, both APIC modes */
	AVIC_EMU_Q_NOT_RUNNING,         /* 0x401 "not running" for a target that was running (and rung) */
	AVIC_EMU_Q_DOORBELL_LATE,       /* the doorbell reaches the target after it left guest mode */
	AVIC_EMU_Q_ISRUNNING_LATE,      /* family 17h: a sender misses an IsRunning clear (erratum 1235) */
	AVIC_EMU_Q_EOI_ISR_CLEARED,     /* the level EOI exit comes with ISR already cleared (open point) */
	AVIC_EMU_Q_REPORTED,            /* --- the above: reported; below: off-spec, "all" only --- */
	AVIC_EMU_Q_EXITINFO_RSVD = AVIC_EMU_Q_REPORTED, /* reserved EXITINFO bits set (0x401 31:12, 0x402 3:0) */
	AVIC_EMU_Q_UNKNOWN_CAUSE,       /* an unaccelerated IPI reported with a cause above 5 */
	AVIC_EMU_Q_EOI_VECTOR,          /* a level EOI exit whose EXITINFO2 is not the in-service vector */
	AVIC_EMU_Q_ACCEL_EXIT,          /* a 0x402 fault for a Version read, which Table 15-22 accelerates */
	AVIC_EMU_QUIRK_COUNT,
};

#define AVIC_EMU_QUIRKS_REPORTED        (BIT(AVIC_EMU_Q_REPORTED) - 1)
#define AVIC_EMU_QUIRKS_ALL             (BIT(AVIC_EMU_QUIRK_COUNT) - 1)

/* The quirk's name in "AVIC coverage: quirks:" ("icr_busy", ...). */
const char *avic_emu_quirk_name(unsigned q);

/*
 * What the quirks share between the vCPUs of one VM (the caller owns it):
 * the "every Nth" counters, what was played, and the late view of
 * IsRunning that a family-17h core keeps.
 */
struct avic_emu_quirk_state {
	u32 occasions[AVIC_EMU_QUIRK_COUNT];    /* chances so far, for "every Nth" */
	u64 played[AVIC_EMU_QUIRK_COUNT];       /* times the quirk changed what the model did */
	u64 late_lookups;                       /* ISRUNNING_LATE: IsRunning reads through the late view */
	u64 late_running[(0xfffu + 1) / 64];    /* IsRunning = 1 seen, its clear not yet */
};

/*
 * Every how many occasions a quirk is played (1 = always), and whether it
 * is this time.  Atomic: several CPUs run the model at once.
 */
bool avic_emu_quirk_now(struct avic_emu_quirk_state *qs, unsigned q);

/* The hardware structures the model reads, and how it reaches them. */
struct avic_emu_ctx {
	/* Physical APIC ID table (VMCB 0x0F8): entry i = guest physical APIC ID i. */
	u64 *phys_table;
	u32 max_phys_index;     /* VMCB 0x0F8 bits 11:0: the last entry the CPU looks at */
	/* Logical APIC ID table (VMCB 0x0F0, 1024 entries); xAVIC only. */
	u32 *log_table;
	bool x2avic;            /* int_ctl bit 30: this vCPU runs x2AVIC (guest in x2APIC mode) */
	u32 self_host_apic_id;  /* host APIC ID of the physical CPU the accessing vCPU runs on */
	/*
	 * The doorbell: the model "writes" MSR 0xC001011B with a host APIC ID;
	 * the callback kicks that CPU.  Never called with self_host_apic_id (a
	 * core does not ring itself), at most once per target and IPI.
	 */
	void (*doorbell)(void *opaque, u32 host_apic_id);
	void *opaque;
	/*
	 * A pointer to the 4 KiB backing page at host physical address hpa
	 * (taken from a table entry), or NULL if no backing page may live there:
	 * the model then reports "invalid backing page" as the CPU would.
	 */
	u8 *(*page_of)(void *opaque, u64 hpa);
	/*
	 * Optional.  The MSRPM the real `avic` backend would run this vCPU with
	 * (avic_x2_msrpm_apply(map, true)); an x2APIC MSR access it intercepts
	 * never reaches AVIC.  NULL: use avic_x2_msr_passthrough(), the policy.
	 */
	const u8 *x2avic_msrpm;
	/* CPUID 8000_000A EDX[27]: Table 15-22 accelerates the extended LVTs. */
	bool ext_lvt;
	/*
	 * Which reading of the level-triggered EOI exit to model (APM Vol 2
	 * §15.29.9.2 "AVIC Access to Un-accelerated vAPIC register" does not
	 * say whether the CPU has cleared the ISR bit when it takes the exit;
	 * docs/AVIC-MODEL.md, quirk eoi_isr_cleared).  false (default): ISR
	 * left set, as KVM's handler assumes; true: cleared, PPR updated.  An
	 * exit handler must give the same result under both.
	 */
	bool level_eoi_clears_isr;
	/* BIT(enum avic_emu_quirk) to play, and their shared state (NULL if none). */
	u32 quirks;
	struct avic_emu_quirk_state *qs;
};

enum avic_emu_result {
	AVIC_EMU_ACCELERATED,   /* done on the page(s), no exit: the guest just continues */
	AVIC_EMU_EXIT,          /* *exit holds what the hardware would report; for a
				   trap-like access the page already holds the write */
	AVIC_EMU_GP,            /* the hardware raises #GP(0) in the guest (x2AVIC rules) */
	/*
	 * The access never reaches AVIC, nothing was done: an x2APIC MSR the
	 * x2AVIC MSRPM intercepts (a normal #VMEXIT(MSR), 0x07C), an MSR outside
	 * 0x800-0x8FF, an x2APIC MSR while x2AVIC is off, the xAPIC page while
	 * x2AVIC is on (plain memory then), or an MMIO access that is not an
	 * aligned 32-bit register access.  The caller handles it exactly as the
	 * `avic` backend handles those exits.
	 */
	AVIC_EMU_INTERCEPTED,
};

/*
 * A guest access to the xAPIC page (offset in the page, a 4-byte aligned
 * 32-bit access) by the vCPU whose backing page is `page` and whose guest
 * physical APIC ID is `self_id`.  Reads fill *val; writes take *val.
 * After AVIC_EMU_ACCELERATED the caller re-evaluates the page for a
 * deliverable interrupt, as the CPU does after any change of TPR, ISR or IRR,
 * and keeps V_TPR equal to TPR[7:4] (APM Vol 2 §15.29.3.1 "Virtual APIC
 * Register Accesses", TPR: the CPU copies the upper 4 bits to V_TPR).
 */
enum avic_emu_result avic_emu_mmio(const struct avic_emu_ctx *c, u8 *page, u32 self_id, u32 offset,
				   bool write, u32 *val, struct avic_emu_exit *exit);

/* The same for RDMSR/WRMSR of an x2APIC MSR (0x800-0x8FF) under x2AVIC. */
enum avic_emu_result avic_emu_msr(const struct avic_emu_ctx *c, u8 *page, u32 self_id, u32 msr,
				  bool write, u64 *val, struct avic_emu_exit *exit);

/*
 * The x2APIC architecture's verdict on one MSR access, before AVIC looks at
 * it (APM Vol 2 §16.11 "Accessing x2APIC Register" to §16.15 "Self_IPI
 * Register", Table 16-6 "x2APIC Register"): false = #GP(0) (no such
 * register, a read of a write-only or a write of a read-only one, reserved
 * bits or message types in the value).  The probe's expectation.
 */
bool avic_emu_x2_allowed(u32 msr, bool write, u64 val);

/*
 * What the model's register table says of a backing-page offset (bits 3:0
 * ignored), for checking it against avic_hw's Table 15-22: false for a plain
 * offset (no row); else *accel_action = an accelerated write does more than
 * store (TPR, EOI, ICR, SELF_IPI) and *x2apic = the row is an x2APIC register.
 */
bool avic_emu_reg_info(u32 offset, bool *accel_action, bool *x2apic);

/* The result's name, for logs ("accelerated", "exit", "#GP", "intercepted"). */
const char *avic_emu_result_name(enum avic_emu_result r);

#endif
