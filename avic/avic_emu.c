/*
 * avic/avic_emu.c - the software model of AVIC / x2AVIC (see avic_emu.h).
 *
 * What the CPU does with one guest APIC access under AVIC, in order:
 *   x2AVIC: 1. the MSRPM intercept (a normal MSR exit, AVIC plays no part);
 *           2. the x2APIC architectural checks (#GP in the guest);
 *           3. Table 15-22.
 *   xAVIC:  Table 15-22 only.
 * (APM Vol 2 §15.29.10 "x2AVIC": "x2APIC MSR intercept checks and access
 * checks have higher priority than AVIC access permission checks".)  Table
 * 15-22 itself - which access is allowed, trapped or faulted - is avic_hw's
 * avic_access_kind(), the one copy
 * in the tree; this file adds, as the table avic_emu_regs[] below, what each
 * accelerated write does and which x2APIC MSR accesses the architecture
 * rejects.  Accelerated actions (APM Vol 2 §15.29.3.1 "Virtual APIC Register
 * Accesses"):
 *   TPR       store, PPR follows (§15.29.3.1, TPR and PPR);
 *   EOI       highest ISR vector: edge -> cleared, no exit; level -> 0x402
 *             (§15.29.3.1, EOI; §15.29.9.2 "AVIC Access to Un-accelerated
 *             vAPIC register");
 *   ICRL      the IPI algorithm of §15.29.6.1 "Interprocessor Interrupts"
 *             through the physical/logical tables, IsRunning and the
 *             doorbell, or 0x401 (§15.29.9.1 "AVIC IPI Delivery Not
 *             Completed");
 *   SELF_IPI  x2AVIC: the vector into the own IRR (§15.29.10: "SELF_IPI MSR
 *             (83Fh) acceleration is handled the same way as ICR MSR
 *             acceleration").
 * APIC semantics on a page (PPR, EOI) are avic/vapic.c's, called on the
 * backing page; the decisions and the table walks are here.
 */
#include "avic/avic_emu.h"
#include "avic/avic_hw.h"
#include "avic/vapic.h"
#include "svm/msrpm.h"
#include "svm/vmcb.h"

/* Backing pages are read and written with vapic.h's vapic_page_*(). */

/* ---- Quirks (avic_emu.h; docs/AVIC-MODEL.md) ---- */

static const char *const avic_emu_quirk_names[AVIC_EMU_QUIRK_COUNT] = {
	[AVIC_EMU_Q_ICR_BUSY] = "icr_busy",
	[AVIC_EMU_Q_NOT_RUNNING] = "not_running",
	[AVIC_EMU_Q_DOORBELL_LATE] = "doorbell_late",
	[AVIC_EMU_Q_ISRUNNING_LATE] = "isrunning_late",
	[AVIC_EMU_Q_EOI_ISR_CLEARED] = "eoi_isr_cleared",
	[AVIC_EMU_Q_EXITINFO_RSVD] = "exitinfo_reserved",
	[AVIC_EMU_Q_UNKNOWN_CAUSE] = "unknown_cause",
	[AVIC_EMU_Q_EOI_VECTOR] = "eoi_vector",
	[AVIC_EMU_Q_ACCEL_EXIT] = "accel_exit",
};

/* Every how many occasions each quirk is played: often enough that a default run meets each. */
static const u8 avic_emu_quirk_period[AVIC_EMU_QUIRK_COUNT] = {
	[AVIC_EMU_Q_ICR_BUSY] = 1,
	[AVIC_EMU_Q_NOT_RUNNING] = 16,
	[AVIC_EMU_Q_DOORBELL_LATE] = 32,
	[AVIC_EMU_Q_ISRUNNING_LATE] = 1,
	[AVIC_EMU_Q_EOI_ISR_CLEARED] = 2,
	[AVIC_EMU_Q_EXITINFO_RSVD] = 1,
	[AVIC_EMU_Q_UNKNOWN_CAUSE] = 16,
	[AVIC_EMU_Q_EOI_VECTOR] = 2,
	[AVIC_EMU_Q_ACCEL_EXIT] = 2,
};

const char *avic_emu_quirk_name(unsigned q)
{
	return q < AVIC_EMU_QUIRK_COUNT ? avic_emu_quirk_names[q] : "unknown";
}

bool avic_emu_quirk_now(struct avic_emu_quirk_state *qs, unsigned q)
{
	if (!qs || q >= AVIC_EMU_QUIRK_COUNT)
		return false;
	return __atomic_fetch_add(&qs->occasions[q], 1, __ATOMIC_RELAXED) % avic_emu_quirk_period[q] == 0;
}

/* The quirk is on for this context and this is one of its occasions to play. */
static bool quirk(const struct avic_emu_ctx *c, unsigned q)
{
	return (c->quirks & BIT(q)) && avic_emu_quirk_now(c->qs, q);
}

static void quirk_played(const struct avic_emu_ctx *c, unsigned q)
{
	__atomic_fetch_add(&c->qs->played[q], 1, __ATOMIC_RELAXED);
}

/* ---- The register table: what an accelerated access does, x2APIC checks ---- */

enum avic_emu_action {
	AVIC_EMU_STORE,         /* "allowed": the page takes the value, nothing else */
	AVIC_EMU_TPR,           /* accelerated TPR write */
	AVIC_EMU_EOI,           /* accelerated EOI (edge) / trap (level) */
	AVIC_EMU_ICR,           /* accelerated IPI, or 0x401 */
	AVIC_EMU_SELF_IPI,      /* x2AVIC SELF_IPI; a plain offset under xAVIC */
};

#define AVIC_EMU_X2_READ        BIT(0)  /* RDMSR exists in x2APIC mode */
#define AVIC_EMU_X2_WRITE       BIT(1)  /* WRMSR exists in x2APIC mode */

struct avic_emu_reg {
	u16 offset;             /* first register; bits 3:0 zero */
	u16 count;              /* registers in the row, 16-byte stride */
	u8 action;              /* enum avic_emu_action, for an accelerated write */
	u8 x2;                  /* AVIC_EMU_X2_* */
	u32 x2_write_ok;        /* bits 31:0 a WRMSR may set; others #GP (63:32 too, but ICR) */
};

#define LVT_RW_TIMER    (VAPIC_LVT_VECTOR | VAPIC_LVT_DS | VAPIC_LVT_M | VAPIC_LVT_TMM)
#define LVT_RW_MT       (VAPIC_LVT_VECTOR | VAPIC_LVT_MT | VAPIC_LVT_DS | VAPIC_LVT_M)
#define LVT_RW_LINT     (LVT_RW_MT | VAPIC_LVT_PIN_POLARITY | VAPIC_LVT_REMOTE_IRR | VAPIC_LVT_TGM)
#define LVT_RW_ERROR    (VAPIC_LVT_VECTOR | VAPIC_LVT_DS | VAPIC_LVT_M)
#define R_      AVIC_EMU_X2_READ
#define W_      AVIC_EMU_X2_WRITE

/*
 * APM Vol 2 Table 15-22 "Guest vAPIC Register Access Behavior" (§15.29.3.1
 * "Virtual APIC Register Accesses"), one line per row, the table's row as
 * the comment:
 *   offset  x2APIC MSR  register    read / write under AVIC
 * and, as data, what this model does beyond avic_access_kind():
 *   - action: the accelerated effect of a write the table allows;
 *   - x2 / x2_write_ok: the x2APIC architecture (APM Vol 2 §16.11
 *     "Accessing x2APIC Register" to §16.15 "Self_IPI Register", Table 16-6
 *     "x2APIC Register"), checked BEFORE the table: an MSR that does
 *     not exist, a read of a write-only or a write of a read-only register,
 *     or a reserved bit set, is #GP(0).  Writable bits as avic/vapic.c's
 *     x2APIC model (the LVT status bits are tolerated, not faulted, so that
 *     a read-modify-write works: UNVERIFIED, vapic.c's choice).
 * Rows not listed here are plain offsets: STORE under xAVIC, #GP under
 * x2AVIC (no x2APIC register).  The xAPIC-only rows (RRD, DFR, ICRH) have
 * no x2APIC MSR (§16.11.1 "x2APIC Register Address Space": the ICR halves
 * merge at 0x830, DFR and RRR are not supported); nor has the extended
 * space (0x400-0x530) here, which Table 16-6 lists but this APIC does not
 * implement (Version bit 31 clear, avic/vapic.c).
 */
static const struct avic_emu_reg avic_emu_regs[] = {
	/*
	 * 0x020 0x802 APIC ID: allowed | trap.  The APM disagrees with
	 * itself: §16.12 "x2APIC_ID" makes WRMSR 0x802 #GP and §15.29.10
	 * "x2AVIC" puts that check first, so x2AVIC: #GP (docs/AVIC-MODEL.md).
	 * xAVIC: the trap.
	 */
	{ 0x020, 1, AVIC_EMU_STORE,    R_,      0 },
	/* 0x030 0x803 Version: allowed | fault.  RO in x2APIC: write #GP. */
	{ 0x030, 1, AVIC_EMU_STORE,    R_,      0 },
	/* 0x080 0x808 TPR: allowed | accelerated (§15.29.3.1 "Virtual APIC Register Accesses", TPR). */
	{ 0x080, 1, AVIC_EMU_TPR,      R_ | W_, 0xff },
	/*
	 * 0x090 0x809 APR: fault | fault.  RO in APM Table 16-6 "x2APIC
	 * Register" (as vapic.c; KVM gives #GP instead), so RDMSR reaches the
	 * table and faults.
	 */
	{ 0x090, 1, AVIC_EMU_STORE,    R_,      0 },
	/* 0x0A0 0x80A PPR: allowed | fault. */
	{ 0x0a0, 1, AVIC_EMU_STORE,    R_,      0 },
	/*
	 * 0x0B0 0x80B EOI: allowed | accelerated for edge, #VMEXIT (trap) when
	 * the highest ISR vector is level.  x2APIC: write-only, only 0 may be
	 * written; the read is #GP (Table 16-6) although Table 15-22 says
	 * "allowed": the APM disagrees with itself, and the x2APIC check
	 * comes first (§15.29.10 "x2AVIC"; docs/AVIC-MODEL.md).
	 */
	{ 0x0b0, 1, AVIC_EMU_EOI,      W_,      0 },
	/* 0x0C0 -     RRD: allowed | trap.  No x2APIC register. */
	{ 0x0c0, 1, AVIC_EMU_STORE,    0,       0 },
	/* 0x0D0 0x80D LDR: allowed | trap.  RO in x2APIC. */
	{ 0x0d0, 1, AVIC_EMU_STORE,    R_,      0 },
	/* 0x0E0 -     DFR: allowed | trap.  No x2APIC register. */
	{ 0x0e0, 1, AVIC_EMU_STORE,    0,       0 },
	/* 0x0F0 0x80F SVR: allowed | trap. */
	{ 0x0f0, 1, AVIC_EMU_STORE,    R_ | W_, VAPIC_SVR_VECTOR | VAPIC_SVR_ASE | VAPIC_SVR_FDIS },
	/* 0x100-0x170 0x810-0x817 ISR: allowed | fault. */
	{ 0x100, 8, AVIC_EMU_STORE,    R_,      0 },
	/* 0x180-0x1F0 0x818-0x81F TMR: allowed | fault. */
	{ 0x180, 8, AVIC_EMU_STORE,    R_,      0 },
	/* 0x200-0x270 0x820-0x827 IRR: allowed | fault. */
	{ 0x200, 8, AVIC_EMU_STORE,    R_,      0 },
	/* 0x280 0x828 ESR: allowed | trap.  x2APIC: only 0 may be written. */
	{ 0x280, 1, AVIC_EMU_STORE,    R_ | W_, 0 },
	/*
	 * 0x300 0x830 ICRL / x2APIC ICR: allowed | accelerated, or trap for
	 * functions the hardware does not handle (Table 15-22; §15.29.10
	 * "x2AVIC" for the 64-bit x2APIC ICR).  x2APIC reserved bits 31:20,
	 * 17:16, 13, 12; message types 001/011/111 #GP (§16.13 "x2APIC
	 * Interrupt Command Register (ICR) Operations").
	 */
	{ 0x300, 1, AVIC_EMU_ICR,      R_ | W_, (u32)~VAPIC_X2APIC_ICR_RESERVED },
	/* 0x310 -     ICRH: allowed (xAVIC) | allowed, no side effect.  0x831 does not exist. */
	{ 0x310, 1, AVIC_EMU_STORE,    0,       0 },
	/*
	 * 0x320 0x832 LVT Timer: allowed | trap.  Bit 18 (TSC-deadline) is
	 * reserved on AMD (§16.4 "Local Interrupts", Fig. 16-7).
	 */
	{ 0x320, 1, AVIC_EMU_STORE,    R_ | W_, LVT_RW_TIMER },
	/* 0x330 0x833 LVT Thermal: allowed | trap. */
	{ 0x330, 1, AVIC_EMU_STORE,    R_ | W_, LVT_RW_MT },
	/* 0x340 0x834 LVT PerfCounter: allowed | trap. */
	{ 0x340, 1, AVIC_EMU_STORE,    R_ | W_, LVT_RW_MT },
	/* 0x350 0x835 LVT LINT0: allowed | trap. */
	{ 0x350, 1, AVIC_EMU_STORE,    R_ | W_, LVT_RW_LINT },
	/* 0x360 0x836 LVT LINT1: allowed | trap. */
	{ 0x360, 1, AVIC_EMU_STORE,    R_ | W_, LVT_RW_LINT },
	/* 0x370 0x837 LVT Error: allowed | trap. */
	{ 0x370, 1, AVIC_EMU_STORE,    R_ | W_, LVT_RW_ERROR },
	/* 0x380 0x838 Timer Initial Count: allowed | trap. */
	{ 0x380, 1, AVIC_EMU_STORE,    R_ | W_, 0xffffffffu },
	/* 0x390 0x839 Timer Current Count: fault | fault.  RO in x2APIC. */
	{ 0x390, 1, AVIC_EMU_STORE,    R_,      0 },
	/* 0x3E0 0x83E Timer Divide Config: allowed | trap.  Bits 3, 1:0. */
	{ 0x3e0, 1, AVIC_EMU_STORE,    R_ | W_, 0xbu },
	/*
	 * 0x3F0 0x83F SELF_IPI: - | allowed/accelerated (x2AVIC).  Write-only
	 * (read #GP), vector in 7:0.  Under xAVIC a plain offset.
	 */
	{ 0x3f0, 1, AVIC_EMU_SELF_IPI, W_,      0xffu },
	/*
	 * 0x400 0x840 Ext APIC Feature, 0x410 Ext APIC Control, 0x420 SEOI,
	 * 0x480-0x4F0 IER: fault | fault; 0x500-0x530 Extended LVT: allowed |
	 * trap with CPUID 8000_000A EDX[27], else fault | fault; 0x540-0xFFF
	 * reserved: fault | fault.  Not listed: no x2APIC registers (#GP), and
	 * an allowed xAVIC access is a plain store.
	 */
};

#undef R_
#undef W_

/* The row covering an offset (bits 3:0 ignored), NULL for a plain offset. */
static const struct avic_emu_reg *avic_emu_reg_lookup(u32 offset)
{
	size_t i;

	offset &= ~0xfu;
	for (i = 0; i < ARRAY_SIZE(avic_emu_regs); i++) {
		const struct avic_emu_reg *r = &avic_emu_regs[i];

		if (offset >= r->offset && offset < r->offset + 16u * r->count)
			return r;
	}
	return NULL;
}

bool avic_emu_reg_info(u32 offset, bool *accel_action, bool *x2apic)
{
	const struct avic_emu_reg *r = avic_emu_reg_lookup(offset);

	if (!r)
		return false;
	*accel_action = r->action != AVIC_EMU_STORE;
	*x2apic = r->x2 != 0;
	return true;
}

/* ---- Exits ---- */

/*
 * #VMEXIT 0x402 AVIC_NOACCEL (APM Vol 2 §15.29.9.2 "AVIC Access to
 * Un-accelerated vAPIC register", Tables 15-28/15-29):
 * EXITINFO1 = offset[11:4] | write << 32, EXITINFO2 = the EOI vector or 0
 * (undefined for anything but an EOI).
 */
static enum avic_emu_result avic_emu_noaccel(const struct avic_emu_ctx *c, struct avic_emu_exit *exit,
					     u32 offset, bool write, u8 vector)
{
	struct avic_noaccel n = {
		.offset = offset & AVIC_UNACCEL_ACCESS_OFFSET_MASK,
		.write = write,
		.vector = vector,
	};

	exit->code = SVM_EXIT_AVIC_UNACCELERATED_ACCESS;
	avic_noaccel_encode(&n, &exit->info1, &exit->info2);
	/* Off-spec quirk: a bit outside 32 and 11:4 (Table 15-28 leaves 3:0 zero). */
	if (quirk(c, AVIC_EMU_Q_EXITINFO_RSVD)) {
		exit->info1 |= BIT(3);
		quirk_played(c, AVIC_EMU_Q_EXITINFO_RSVD);
	}
	return AVIC_EMU_EXIT;
}

/*
 * #VMEXIT 0x401 AVIC_INCOMPLETE_IPI (APM Vol 2 §15.29.9.1 "AVIC IPI Delivery
 * Not Completed", Tables 15-25..27): EXITINFO1 = ICRH:ICRL, EXITINFO2 =
 * cause << 32 | index.
 * The index field is 12 bits; an x2APIC target ID above 0xfff is reported
 * truncated (what the CPU reports there is not documented).
 */
static enum avic_emu_result avic_emu_incomplete(const struct avic_emu_ctx *c, struct avic_emu_exit *exit,
						u32 icrl, u32 icrh, u32 cause, u32 index)
{
	struct avic_incomplete_ipi i = {
		.icr_low = icrl,
		.icr_high = icrh,
		.cause = cause,
		.index = index & AVIC_INCOMPLETE_IPI_INDEX_MASK,
	};

	exit->code = SVM_EXIT_AVIC_INCOMPLETE_IPI;
	avic_incomplete_ipi_encode(&i, &exit->info1, &exit->info2);
	/* Off-spec quirk: a bit of the reserved EXITINFO2[31:12] (Table 15-26). */
	if (quirk(c, AVIC_EMU_Q_EXITINFO_RSVD)) {
		exit->info2 |= BIT(20);
		quirk_played(c, AVIC_EMU_Q_EXITINFO_RSVD);
	}
	return AVIC_EMU_EXIT;
}

/*
 * ---- EOI (APM Vol 2 §15.29.3.1 "Virtual APIC Register Accesses", EOI;
 * §15.29.9.2 "AVIC Access to Un-accelerated vAPIC register") ----
 */

static enum avic_emu_result avic_emu_eoi(const struct avic_emu_ctx *c, u8 *page,
					 struct avic_emu_exit *exit)
{
	struct vapic v = { .page = page };
	int vec = vapic_highest_isr(&v);

	/* Nothing in service: nothing to end, no exit. */
	if (vec < 0)
		return AVIC_EMU_ACCELERATED;
	/* TMR = 0 (edge): the CPU clears the ISR bit and recomputes PPR itself. */
	if (!vapic_page_vec_test(page, VAPIC_REG_TMR, (u8)vec)) {
		vapic_eoi(&v, NULL);
		return AVIC_EMU_ACCELERATED;
	}
	/*
	 * TMR = 1 (level): #VMEXIT(AVIC_NOACCEL), offset 0xB0, write, vector =
	 * the highest in-service vector.  Trap-like: Table 15-22 says "trap",
	 * the §15.29.9.2 prose says "fault"; the table is implemented, as in
	 * avic_hw and KVM (docs/AVIC-MODEL.md, "Level EOI").  Whether ISR is
	 * still set is not documented: see level_eoi_clears_isr.  Quirk
	 * EOI_ISR_CLEARED plays the other reading at every other level EOI,
	 * so that one run meets both.  Never together with EOI_VECTOR: a CPU
	 * that both ended the vector and misnamed it would leave no handler a
	 * way to find it.
	 */
	if (c->level_eoi_clears_isr) {
		vapic_eoi(&v, NULL);
	} else if (quirk(c, AVIC_EMU_Q_EOI_ISR_CLEARED)) {
		vapic_eoi(&v, NULL);
		quirk_played(c, AVIC_EMU_Q_EOI_ISR_CLEARED);
	} else if (quirk(c, AVIC_EMU_Q_EOI_VECTOR)) {
		/* Off-spec quirk: EXITINFO2 names a vector that is not in service. */
		u32 other = (u32)vec;

		do
			other = (other + 0x11) & 0xff;
		while (other == (u32)vec || vapic_page_vec_test(page, VAPIC_REG_ISR, (u8)other));
		quirk_played(c, AVIC_EMU_Q_EOI_VECTOR);
		vec = (int)other;
	}
	return avic_emu_noaccel(c, exit, VAPIC_REG_EOI, true, (u8)vec);
}

/*
 * ---- IPIs (APM Vol 2 §15.29.3.1 "Virtual APIC Register Accesses", ICRL;
 * §15.29.6.1 "Interprocessor Interrupts"; §15.29.9.1 "AVIC IPI Delivery Not
 * Completed") ----
 */

/*
 * One IPI, walked twice over the same targets: first to validate every
 * target (a failure exits with ID 2 or 3 and nothing delivered), then to
 * deliver.  Whether the CPU delivers to some targets before it finds an
 * invalid one is not documented (UNVERIFIED); delivering nothing keeps the
 * handler's "emulate the whole IPI from EXITINFO1" (ID 0/2,
 * docs/ARCHITECTURE.md "AVIC (apic=avic and apic=avic-emu)") exact, and
 * setting an IRR bit twice would be harmless anyway.
 */
struct avic_emu_ipi {
	const struct avic_emu_ctx *c;
	u8 vector;
	bool deliver;                   /* second walk */
	u32 fail_cause, fail_index;     /* first walk: why it stopped */
	bool not_running;               /* second walk: a target had IsRunning = 0 */
	u32 not_running_index;          /* the first such target's index */
	bool delivered;                 /* second walk: an IRR bit was set in some target's page */
	u32 delivered_index;            /* the first such target's index */
	u64 seen[(X2AVIC_4K_MAX_PHYSICAL_ID + 1) / 64]; /* delivered physical IDs */
};

static bool avic_emu_ipi_fail(struct avic_emu_ipi *p, u32 cause, u32 index)
{
	/*
	 * The second walk sees a failure only if the tables changed since the
	 * first (another core tearing a vCPU down): skip that target.
	 */
	if (p->deliver)
		return true;
	p->fail_cause = cause;
	p->fail_index = index;
	return false;
}

/*
 * One target by guest physical APIC ID, through the physical APIC ID table
 * (APM Vol 2 §15.29.5.2 "Physical APIC ID Table", Table 15-23).  `index`
 * is what an exit reports for it (the logical table index for a logical
 * destination, Table 15-27), `directed` false for a broadcast or
 * shorthand, which skips V=0 entries silently (§15.29.6.1 "Interprocessor
 * Interrupts" step 4).  False stops the walk.
 */
static bool avic_emu_ipi_target(struct avic_emu_ipi *p, u32 phys_id, u32 index, bool directed)
{
	const struct avic_emu_ctx *c = p->c;
	struct avic_phys_entry e;
	bool sbz_ok;
	u8 *target;

	if (phys_id > MIN(c->max_phys_index, X2AVIC_4K_MAX_PHYSICAL_ID))
		return directed ? avic_emu_ipi_fail(p, AVIC_IPI_FAILURE_INVALID_TARGET, index) : true;
	sbz_ok = avic_phys_entry_decode(__atomic_load_n(&c->phys_table[phys_id], __ATOMIC_ACQUIRE), &e);
	if (!e.valid)
		return directed ? avic_emu_ipi_fail(p, AVIC_IPI_FAILURE_INVALID_TARGET, index) : true;
	/*
	 * Bits 61:52 are SBZ next to the pointer: the model takes them as an
	 * illegal backing-page pointer (UNVERIFIED; it makes an encoding bug
	 * visible as ID 3 rather than a silently ignored bit).
	 */
	target = sbz_ok ? c->page_of(c->opaque, e.backing_page) : NULL;
	if (!target)
		return avic_emu_ipi_fail(p, AVIC_IPI_FAILURE_INVALID_BACKING_PAGE, index);
	if (!p->deliver)
		return true;

	/* A logical destination may name one vCPU through two entries: once. */
	if (p->seen[phys_id / 64] & BIT(phys_id % 64))
		return true;
	p->seen[phys_id / 64] |= BIT(phys_id % 64);

	/*
	 * Step 5 of §15.29.6.1 "Interprocessor Interrupts": IRR first (a full
	 * barrier), then IsRunning read again, so that a target clearing
	 * IsRunning before it halts (clear, barrier, re-check IRR:
	 * docs/ARCHITECTURE.md "AVIC (apic=avic and apic=avic-emu)",
	 * IsRunning) either sees our IRR bit or is seen as not running.  Only
	 * IRR is set: the hardware does not touch TMR for an IPI (step 5 names
	 * the IRR bit only).
	 */
	vapic_page_vec_set(target, VAPIC_REG_IRR, p->vector);
	if (!p->delivered) {
		p->delivered = true;
		p->delivered_index = index;
	}
	avic_phys_entry_decode(__atomic_load_n(&c->phys_table[phys_id], __ATOMIC_SEQ_CST), &e);
	/*
	 * Quirk ISRUNNING_LATE, erratum 1235's window (family 17h): a core
	 * that has seen IsRunning = 1 misses the next clear once, and takes
	 * the target for running on the host core the entry last named.
	 */
	if ((c->quirks & BIT(AVIC_EMU_Q_ISRUNNING_LATE)) && c->qs) {
		u64 *late = &c->qs->late_running[phys_id / 64], bit = BIT(phys_id % 64);

		__atomic_fetch_add(&c->qs->late_lookups, 1, __ATOMIC_RELAXED);
		if (e.is_running) {
			__atomic_fetch_or(late, bit, __ATOMIC_RELAXED);
		} else if (__atomic_fetch_and(late, ~bit, __ATOMIC_RELAXED) & bit) {
			e.is_running = true;
			quirk_played(c, AVIC_EMU_Q_ISRUNNING_LATE);
		}
	}
	if (e.is_running) {
		/* A core does not ring its own doorbell: it re-evaluates anyway. */
		if (e.host_apic_id != c->self_host_apic_id)
			c->doorbell(c->opaque, e.host_apic_id);
	} else if (!p->not_running) {
		p->not_running = true;
		p->not_running_index = index;
	}
	return true;
}

/*
 * xAVIC logical destination through the logical APIC ID table (APM Vol 2
 * §15.29.5.3 "Logical APIC ID Table", Table 15-24): V=0 (or SBZ bits 30:8
 * set, the model's choice) is an invalid target, reported by logical index.
 */
static bool avic_emu_ipi_logical(struct avic_emu_ipi *p, u32 log_index)
{
	u8 phys_id;
	bool valid, sbz_ok;

	sbz_ok = avic_log_entry_decode(__atomic_load_n(&p->c->log_table[log_index], __ATOMIC_ACQUIRE),
				       &phys_id, &valid);
	if (!valid || !sbz_ok)
		return avic_emu_ipi_fail(p, AVIC_IPI_FAILURE_INVALID_TARGET, log_index);
	return avic_emu_ipi_target(p, phys_id, log_index, true);
}

/*
 * Flat (DFR[31:28] = 0xF): bit i of the 8-bit destination is entry i.
 * Cluster (0x0): bits 7:4 cluster c, bit j of 3:0 is entry 4c + j; cluster
 * 15 is reserved (0xFF, the broadcast, never gets here): invalid target.
 * Which DFR decides is not documented (§15.29.5.3 only says the entries
 * depend on the guest's logical addressing mode; docs/AVIC-MODEL.md): the
 * sender's, from its backing page.  Any other DFR model: not accelerated,
 * ID 0.
 */
static bool avic_emu_ipi_xapic_logical(struct avic_emu_ipi *p, u8 dest, u32 dfr)
{
	u32 i, cluster = dest >> 4;

	switch (dfr >> VAPIC_DFR_MODEL_SHIFT) {
	case VAPIC_DFR_MODEL_FLAT:
		for (i = 0; i < AVIC_LOGICAL_FLAT_ENTRIES; i++)
			if ((dest & BIT(i)) && !avic_emu_ipi_logical(p, i))
				return false;
		return true;
	case VAPIC_DFR_MODEL_CLUSTER:
		for (i = 0; i < 4; i++) {
			if (!(dest & BIT(i)))
				continue;
			if (cluster == 0xf) {
				if (!avic_emu_ipi_fail(p, AVIC_IPI_FAILURE_INVALID_TARGET, cluster * 4 + i))
					return false;
				continue;
			}
			if (!avic_emu_ipi_logical(p, cluster * 4 + i))
				return false;
		}
		return true;
	default:
		return avic_emu_ipi_fail(p, AVIC_IPI_FAILURE_INVALID_INT_TYPE, 0);
	}
}

/*
 * All destinations of one IPI (steps 2-4 of APM Vol 2 §15.29.6.1
 * "Interprocessor Interrupts"), shorthand Self excluded.
 */
static bool avic_emu_ipi_walk(struct avic_emu_ipi *p, const struct vapic_icr *icr, u32 self_id,
			      u32 dfr)
{
	const struct avic_emu_ctx *c = p->c;
	u32 bcast = icr->x2apic ? VAPIC_X2APIC_BROADCAST : VAPIC_XAPIC_BROADCAST;
	u32 i, max = MIN(c->max_phys_index, X2AVIC_4K_MAX_PHYSICAL_ID);

	/*
	 * All-including-self, all-excluding-self, or the broadcast ID: every
	 * entry up to MAX_INDEX, V=0 skipped.  xAVIC entry 255 is reserved
	 * (0xFF is the broadcast ID).  x2APIC: only 0xFFFFFFFF is the broadcast,
	 * entry 255 an ordinary one (not documented; as KVM, docs/AVIC-MODEL.md).
	 */
	if (icr->shorthand != VAPIC_DSH_NONE || icr->dest == bcast) {
		for (i = 0; i <= max; i++) {
			if (!c->x2avic && i == VAPIC_XAPIC_BROADCAST)
				continue;
			if (icr->shorthand == VAPIC_DSH_ALL_EXCL_SELF && i == self_id)
				continue;
			if (!avic_emu_ipi_target(p, i, i, false))
				return false;
		}
		return true;
	}
	if (!icr->logical)
		return avic_emu_ipi_target(p, icr->dest, icr->dest, true);
	if (!icr->x2apic)
		return avic_emu_ipi_xapic_logical(p, (u8)icr->dest, dfr);
	/*
	 * x2AVIC has no logical table: destination = cluster 31:16, bitmap
	 * 15:0, and the CPU derives each target's x2APIC ID as cluster << 4 |
	 * bit (APM Vol 2 §15.29.5.3 "Logical APIC ID Table", §16.14 "Logical
	 * Destination Register").  Exits report the physical index.
	 */
	for (i = 0; i < 16; i++) {
		u32 id = ((icr->dest >> 16) << 4) | i;

		if ((icr->dest & BIT(i)) && !avic_emu_ipi_target(p, id, id, true))
			return false;
	}
	return true;
}

/*
 * An ICRL write (xAVIC) or ICR write (x2AVIC) that the page already holds.
 * Accelerated: Fixed, edge, vector >= 16, any destination form (APM Vol 2
 * §15.29.3.1 "Virtual APIC Register Accesses", ICRL; Table 15-27).
 * Everything else is 0x401 ID 0 with nothing done - lowest priority
 * included (§15.29.3.1 names only Fixed).  Which ICR values the CPU sends
 * to the 0x402 trap on 0x300 instead is not documented (docs/AVIC-MODEL.md):
 * the model never does, every unhandled type is ID 0.
 */
static enum avic_emu_result avic_emu_icr(const struct avic_emu_ctx *c, u8 *page, u32 self_id,
					 u32 icrl, u32 icrh, struct avic_emu_exit *exit)
{
	struct avic_emu_ipi p = { .c = c };
	struct vapic_icr icr;
	u32 dfr = vapic_page_get(page, VAPIC_REG_DFR);
	enum avic_emu_result r;

	if (c->x2avic)
		vapic_icr_decode_x2apic(icrl | ((u64)icrh << 32), &icr);
	else
		vapic_icr_decode_xapic(icrl, icrh, &icr);
	if (icr.delivery_mode != VAPIC_MT_FIXED || icr.trigger_level)
		r = avic_emu_incomplete(c, exit, icrl, icrh, AVIC_IPI_FAILURE_INVALID_INT_TYPE, 0);
	else if (icr.vector < 16)
		r = avic_emu_incomplete(c, exit, icrl, icrh, AVIC_IPI_FAILURE_INVALID_IPI_VECTOR, 0);
	else if (icr.shorthand == VAPIC_DSH_SELF) {
		/* Step 1: Self sets the own IRR without looking at the tables. */
		vapic_page_vec_set(page, VAPIC_REG_IRR, icr.vector);
		r = AVIC_EMU_ACCELERATED;
	} else if (quirk(c, AVIC_EMU_Q_UNKNOWN_CAUSE)) {
		/* Off-spec quirk: nothing done, a cause the APM does not define (6). */
		exit->code = SVM_EXIT_AVIC_INCOMPLETE_IPI;
		exit->info1 = ((u64)icrh << 32) | icrl;
		exit->info2 = (u64)AVIC_IPI_FAILURE_COUNT << AVIC_INCOMPLETE_IPI_ID_SHIFT;
		quirk_played(c, AVIC_EMU_Q_UNKNOWN_CAUSE);
		r = AVIC_EMU_EXIT;
	} else {
		p.vector = icr.vector;
		if (!avic_emu_ipi_walk(&p, &icr, self_id, dfr)) {
			r = avic_emu_incomplete(c, exit, icrl, icrh, p.fail_cause, p.fail_index);
		} else {
			p.deliver = true;
			avic_emu_ipi_walk(&p, &icr, self_id, dfr);
			/* Step 6: IRR bits are set; the hypervisor only has to wake the target. */
			r = p.not_running ? avic_emu_incomplete(c, exit, icrl, icrh, AVIC_IPI_FAILURE_TARGET_NOT_RUNNING,
								p.not_running_index)
					  : AVIC_EMU_ACCELERATED;
			/*
			 * Quirk NOT_RUNNING: "not running" although every target
			 * ran and was rung; the IRR bits are set all the same.
			 */
			if (r == AVIC_EMU_ACCELERATED && p.delivered && quirk(c, AVIC_EMU_Q_NOT_RUNNING)) {
				r = avic_emu_incomplete(c, exit, icrl, icrh, AVIC_IPI_FAILURE_TARGET_NOT_RUNNING,
							p.delivered_index);
				quirk_played(c, AVIC_EMU_Q_NOT_RUNNING);
			}
		}
	}
	/*
	 * ICRL bit 12, delivery status (xAPIC only; reserved in x2APIC): the
	 * CPU owns it.  A sent IPI leaves it idle; after an incomplete IPI the
	 * CPU "may sometimes" leave it busy (KVM's comment in
	 * avic_incomplete_ipi_interception(); docs/AVIC-MODEL.md, icr_busy).
	 * The model takes the worst case and leaves it set on every 0x401, so
	 * the handler's clearing runs on every incomplete IPI (UNVERIFIED how
	 * often the silicon does it).
	 */
	if (!c->x2avic)
		vapic_page_set(page, VAPIC_REG_ICR_LO, r == AVIC_EMU_ACCELERATED ? icrl & ~VAPIC_ICR_DS
										   : icrl | VAPIC_ICR_DS);
	/*
	 * Quirk ICR_BUSY: BUSY left set in the x2APIC mode too, where bit 12
	 * is reserved, and reported in EXITINFO1 (KVM tests it there).
	 */
	if (r == AVIC_EMU_EXIT && exit->code == SVM_EXIT_AVIC_INCOMPLETE_IPI && quirk(c, AVIC_EMU_Q_ICR_BUSY)) {
		vapic_page_set(page, VAPIC_REG_ICR_LO, icrl | VAPIC_ICR_DS);
		exit->info1 |= VAPIC_ICR_DS;
		quirk_played(c, AVIC_EMU_Q_ICR_BUSY);
	}
	return r;
}

/*
 * Off-spec quirk ACCEL_EXIT: a read of the Version register (0x30), which
 * Table 15-22 accelerates, taken as a fault-like 0x402 instead.  Version
 * because no test counts the exits of its reads: a TPR write, the first
 * choice, changed exit counts the tests measure.
 */
static bool accel_exit(const struct avic_emu_ctx *c, u32 reg)
{
	if (reg != VAPIC_REG_VERSION || !quirk(c, AVIC_EMU_Q_ACCEL_EXIT))
		return false;
	quirk_played(c, AVIC_EMU_Q_ACCEL_EXIT);
	return true;
}

/* ---- xAVIC: the APIC MMIO page ---- */

enum avic_emu_result avic_emu_mmio(const struct avic_emu_ctx *c, u8 *page, u32 self_id, u32 offset,
				   bool write, u32 *val, struct avic_emu_exit *exit)
{
	const struct avic_emu_reg *r;
	enum avic_access_kind kind;
	u32 reg = offset & ~0xfu;
	u8 action;

	/* x2AVIC: V_APIC_BAR is not used (§15.29.10 "x2AVIC"), the APIC GPA is plain memory. */
	if (c->x2avic || offset >= PAGE_SIZE || (offset & 3))
		return AVIC_EMU_INTERCEPTED;
	kind = avic_access_kind(offset, write, c->ext_lvt);
	if (!write) {
		/* Allowed reads return the backing page, whatever it holds. */
		if (kind != AVIC_ACCEL || accel_exit(c, reg))
			return avic_emu_noaccel(c, exit, reg, false, 0);
		*val = vapic_page_get(page, offset);
		return AVIC_EMU_ACCELERATED;
	}
	if (kind == AVIC_FAULT)
		return avic_emu_noaccel(c, exit, reg, true, 0);
	if (kind == AVIC_TRAP) {
		vapic_page_set(page, offset, *val);
		return avic_emu_noaccel(c, exit, reg, true, 0);
	}
	/*
	 * Bytes +4..+15 of a register give "undefined results" (§15.29.3.1
	 * "Virtual APIC Register Accesses"): the model stores there and
	 * triggers nothing.
	 */
	r = avic_emu_reg_lookup(offset);
	action = (r && offset == r->offset) ? r->action : AVIC_EMU_STORE;
	switch (action) {
	case AVIC_EMU_TPR: {
		struct vapic v = { .page = page };

		/* Bits 31:8 are reserved and kept 0 (vapic.c; UNVERIFIED for the CPU). */
		vapic_set_tpr(&v, *val);
		return AVIC_EMU_ACCELERATED;
	}
	case AVIC_EMU_EOI:
		vapic_page_set(page, offset, *val);
		return avic_emu_eoi(c, page, exit);
	case AVIC_EMU_ICR:
		/*
		 * ICRL starts the IPI with the ICRH already in the page
		 * (§15.29.3.1 "Virtual APIC Register Accesses", ICRL).
		 */
		vapic_page_set(page, offset, *val);
		return avic_emu_icr(c, page, self_id, *val, vapic_page_get(page, VAPIC_REG_ICR_HI), exit);
	default:
		/* ICRH, SELF_IPI (no xAPIC register), unlisted offsets. */
		vapic_page_set(page, offset, *val);
		return AVIC_EMU_ACCELERATED;
	}
}

/* ---- x2AVIC: the x2APIC MSRs ---- */

static bool avic_emu_msr_intercepted(const struct avic_emu_ctx *c, u32 msr, bool write)
{
	if (c->x2avic_msrpm)
		return msrpm_intercepted(c->x2avic_msrpm, msr, write);
	return !avic_x2_msr_passthrough(msr, write);
}

/*
 * APM Vol 2 §16.11 "Accessing x2APIC Register" to §16.15 "Self_IPI
 * Register": true if the access raises #GP(0).
 */
static bool avic_emu_x2_gp(const struct avic_emu_reg *r, bool write, u64 val)
{
	u32 mt;

	if (!r)
		return true;                    /* no register at this MSR */
	if (!write)
		return !(r->x2 & AVIC_EMU_X2_READ);
	if (!(r->x2 & AVIC_EMU_X2_WRITE))
		return true;
	if (r->action != AVIC_EMU_ICR && (val >> 32))
		return true;                    /* 63:32 reserved but in the ICR */
	if ((u32)val & ~r->x2_write_ok)
		return true;
	if (r->action == AVIC_EMU_ICR) {
		/*
		 * Lowest priority, remote read and ExtINT are reserved in x2APIC
		 * mode (§16.13 "x2APIC Interrupt Command Register (ICR) Operations").
		 */
		mt = ((u32)val & VAPIC_ICR_MT) >> VAPIC_ICR_MT_SHIFT;
		return mt == VAPIC_MT_LOWEST || mt == VAPIC_MT_REMOTE_READ || mt == VAPIC_MT_EXTINT;
	}
	return false;
}

bool avic_emu_x2_allowed(u32 msr, bool write, u64 val)
{
	if (msr < VAPIC_X2APIC_MSR_BASE || msr > VAPIC_X2APIC_MSR_LAST)
		return false;
	return !avic_emu_x2_gp(avic_emu_reg_lookup(VAPIC_X2APIC_MSR_OFFSET(msr)), write, val);
}

enum avic_emu_result avic_emu_msr(const struct avic_emu_ctx *c, u8 *page, u32 self_id, u32 msr,
				  bool write, u64 *val, struct avic_emu_exit *exit)
{
	const struct avic_emu_reg *r;
	enum avic_access_kind kind;
	u32 off;

	/*
	 * Without x2AVIC the policy intercepts all of 0x800-0x8FF (a passed
	 * through MSR would reach the host's APIC, CVE-2023-5090).
	 */
	if (!c->x2avic || msr < VAPIC_X2APIC_MSR_BASE || msr > VAPIC_X2APIC_MSR_LAST)
		return AVIC_EMU_INTERCEPTED;
	/* 1. The MSRPM: an intercepted access is a normal MSR exit. */
	if (avic_emu_msr_intercepted(c, msr, write))
		return AVIC_EMU_INTERCEPTED;
	/* 2. The x2APIC architecture. */
	off = VAPIC_X2APIC_MSR_OFFSET(msr);
	r = avic_emu_reg_lookup(off);
	if (avic_emu_x2_gp(r, write, write ? *val : 0))
		return AVIC_EMU_GP;
	/* 3. Table 15-22, with the MMIO-equivalent offset. */
	kind = avic_access_kind(off, write, c->ext_lvt);
	if (!write) {
		if (kind != AVIC_ACCEL || accel_exit(c, off))
			return avic_emu_noaccel(c, exit, off, false, 0);
		*val = vapic_page_get(page, off);
		/* The 64-bit ICR is split: 31:0 at 0x300, 63:32 at 0x310 (§15.29.10 "x2AVIC"). */
		if (r->action == AVIC_EMU_ICR)
			*val |= (u64)vapic_page_get(page, VAPIC_REG_ICR_HI) << 32;
		return AVIC_EMU_ACCELERATED;
	}
	if (kind == AVIC_FAULT)
		return avic_emu_noaccel(c, exit, off, true, 0);
	if (kind == AVIC_TRAP) {
		vapic_page_set(page, off, (u32)*val);
		return avic_emu_noaccel(c, exit, off, true, 0);
	}
	switch (r->action) {
	case AVIC_EMU_TPR: {
		struct vapic v = { .page = page };

		vapic_set_tpr(&v, (u32)*val);
		return AVIC_EMU_ACCELERATED;
	}
	case AVIC_EMU_EOI:
		vapic_page_set(page, off, 0);
		return avic_emu_eoi(c, page, exit);
	case AVIC_EMU_ICR:
		/*
		 * One WRMSR stores both halves, then sends (§15.29.10 "x2AVIC",
		 * §16.13 "x2APIC Interrupt Command Register (ICR) Operations").
		 */
		vapic_page_set(page, VAPIC_REG_ICR_HI, (u32)(*val >> 32));
		vapic_page_set(page, VAPIC_REG_ICR_LO, (u32)*val);
		return avic_emu_icr(c, page, self_id, (u32)*val, (u32)(*val >> 32), exit);
	case AVIC_EMU_SELF_IPI:
		/*
		 * "The same way as ICR" (APM Vol 2 §15.29.10 "x2AVIC", §16.15
		 * "Self_IPI Register"): a Fixed, edge IPI to self, into the own
		 * IRR.  A vector below 16 is the ICR's ID 4, reported with the
		 * equivalent ICR
		 * (shorthand Self, Fixed, edge) as EXITINFO1: UNVERIFIED, the APM
		 * does not say what SELF_IPI does with an illegal vector.
		 */
		vapic_page_set(page, off, (u32)*val);
		if ((u8)*val < 16)
			return avic_emu_incomplete(c, exit,
						   ((u32)VAPIC_DSH_SELF << VAPIC_ICR_DSH_SHIFT) | (u8)*val,
						   0, AVIC_IPI_FAILURE_INVALID_IPI_VECTOR, 0);
		vapic_page_vec_set(page, VAPIC_REG_IRR, (u8)*val);
		return AVIC_EMU_ACCELERATED;
	default:
		vapic_page_set(page, off, (u32)*val);
		return AVIC_EMU_ACCELERATED;
	}
}

const char *avic_emu_result_name(enum avic_emu_result r)
{
	switch (r) {
	case AVIC_EMU_ACCELERATED:
		return "accelerated";
	case AVIC_EMU_EXIT:
		return "exit";
	case AVIC_EMU_GP:
		return "#GP";
	case AVIC_EMU_INTERCEPTED:
		return "intercepted";
	}
	return "unknown";
}
