/*
 * avic/avic_hw.c - encoders and decoders for the AVIC / x2AVIC hardware
 * formats (see avic_hw.h for the bit layouts and the sources).
 *
 * Every function here is a pure function of its arguments, except
 * avic_phys_set_running() (one atomic update of a live table entry) and the
 * MSRPM helpers (they write the map they are given), so the same code runs
 * in the hypervisor, in the AVIC software model and in the host unit tests.
 */
#include "avic/avic_hw.h"
#include "avic/vapic.h"
#include "svm/msrpm.h"
#include "lib/printf.h"

/* ---- shared helpers ---- */

static bool avic_page_addr_ok(u64 addr)
{
	return (addr & ~AVIC_PAGE_ADDR_MASK) == 0;
}

/* ---- 1. Physical APIC ID table ---- */

bool avic_phys_entry_encode(const struct avic_phys_entry *e, u64 *raw)
{
	u64 v;

	if (!avic_page_addr_ok(e->backing_page) ||
	    e->host_apic_id > AVIC_PHYSICAL_ID_ENTRY_HOST_PHYSICAL_ID_MASK)
		return false;
	v = e->backing_page | e->host_apic_id;
	if (e->is_running)
		v |= AVIC_PHYSICAL_ID_ENTRY_IS_RUNNING_MASK;
	if (e->valid)
		v |= AVIC_PHYSICAL_ID_ENTRY_VALID_MASK;
	*raw = v;
	return true;
}

bool avic_phys_entry_decode(u64 raw, struct avic_phys_entry *e)
{
	e->backing_page = raw & AVIC_PHYSICAL_ID_ENTRY_BACKING_PAGE_MASK;
	e->host_apic_id = (u32)(raw & AVIC_PHYSICAL_ID_ENTRY_HOST_PHYSICAL_ID_MASK);
	e->is_running = !!(raw & AVIC_PHYSICAL_ID_ENTRY_IS_RUNNING_MASK);
	e->valid = !!(raw & AVIC_PHYSICAL_ID_ENTRY_VALID_MASK);
	return (raw & AVIC_PHYSICAL_ID_ENTRY_RESERVED_MASK) == 0;
}

bool avic_phys_set_running(u64 *entry, bool running, u32 host_apic_id)
{
	const u64 keep = ~(AVIC_PHYSICAL_ID_ENTRY_IS_RUNNING_MASK |
			   AVIC_PHYSICAL_ID_ENTRY_HOST_PHYSICAL_ID_MASK);
	u64 old, new;

	if (host_apic_id > AVIC_PHYSICAL_ID_ENTRY_HOST_PHYSICAL_ID_MASK)
		return false;
	/*
	 * A compare-exchange loop rather than a plain store of a value computed
	 * earlier: if anyone else changes V or the backing pointer meanwhile
	 * (vCPU teardown on another core), their bits survive.  Even when the
	 * value does not change, the locked CMPXCHG is the full barrier the
	 * caller relies on (avic_hw.h).
	 */
	old = __atomic_load_n(entry, __ATOMIC_RELAXED);
	do {
		new = (old & keep) | host_apic_id;
		if (running)
			new |= AVIC_PHYSICAL_ID_ENTRY_IS_RUNNING_MASK;
	} while (!__atomic_compare_exchange_n(entry, &old, new, false,
					      __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	return true;
}

u32 avic_phys_max_apic_id(enum avic_hw_mode mode)
{
	switch (mode) {
	case AVIC_HW_XAVIC:
		return AVIC_MAX_PHYSICAL_ID;
	case AVIC_HW_X2AVIC:
		return X2AVIC_MAX_PHYSICAL_ID;
	case AVIC_HW_X2AVIC_EXT:
		return X2AVIC_4K_MAX_PHYSICAL_ID;
	}
	return 0;
}

u32 avic_phys_vmrun_max_index(enum avic_hw_mode mode)
{
	/*
	 * Only xAVIC differs from the usable maximum: APM Vol 2 §15.29.4.3
	 * "Physical Address Pointer Restrictions" lets VMRUN accept 255
	 * although entry 255 is reserved for the broadcast ID (§15.29.5.2
	 * "Physical APIC ID Table").  Whether x2AVIC treats entry 255
	 * specially is not stated (docs/AVIC-MODEL.md, "Broadcast and
	 * shorthands"); nothing here assumes it does.
	 */
	if (mode == AVIC_HW_XAVIC)
		return AVIC_XAVIC_VMRUN_MAX_INDEX;
	return avic_phys_max_apic_id(mode);
}

bool avic_phys_max_index(u32 highest_id, enum avic_hw_mode mode, u32 *max_index)
{
	if (highest_id > avic_phys_max_apic_id(mode))
		return false;
	*max_index = highest_id;
	return true;
}

u32 avic_phys_table_pages(u32 max_index)
{
	/* §15.29.5.2: with x2AVIC_EXT the table spans MAX_INDEX[11:9] + 1 pages. */
	return ((max_index & AVIC_PHYSICAL_MAX_INDEX_MASK) >> 9) + 1;
}

/* ---- 2. Logical APIC ID table ---- */

u32 avic_log_entry_encode(u8 guest_phys_id, bool valid)
{
	return guest_phys_id | (valid ? (u32)AVIC_LOGICAL_ID_ENTRY_VALID_MASK : 0);
}

bool avic_log_entry_decode(u32 raw, u8 *guest_phys_id, bool *valid)
{
	*guest_phys_id = (u8)(raw & AVIC_LOGICAL_ID_ENTRY_GUEST_PHYSICAL_ID_MASK);
	*valid = !!(raw & AVIC_LOGICAL_ID_ENTRY_VALID_MASK);
	return (raw & AVIC_LOGICAL_ID_ENTRY_RESERVED_MASK) == 0;
}

static bool avic_one_hot(u32 v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

int avic_logical_index_flat(u8 logical_id)
{
	if (!avic_one_hot(logical_id))
		return -1;
	return __builtin_ctz(logical_id);
}

int avic_logical_index_cluster(u8 logical_id)
{
	u32 cluster = logical_id >> 4;
	u32 bits = logical_id & 0xf;

	/* Table 15-24: clusters 0-14 only; cluster 15 is reserved. */
	if (cluster == 0xf || !avic_one_hot(bits))
		return -1;
	return (int)(cluster * 4 + (u32)__builtin_ctz(bits));
}

int avic_logical_index(u32 dfr, u32 ldr)
{
	u8 id = (u8)(ldr >> 24);

	switch (dfr >> VAPIC_DFR_MODEL_SHIFT) {
	case VAPIC_DFR_MODEL_FLAT:
		return avic_logical_index_flat(id);
	case VAPIC_DFR_MODEL_CLUSTER:
		return avic_logical_index_cluster(id);
	}
	return -1;      /* a DFR model the architecture does not define */
}

u32 avic_x2apic_logical_id(u32 x2apic_id)
{
	return ((x2apic_id >> 4) << 16) | (1u << (x2apic_id & 0xf));
}

/* ---- 3. VMCB pointer fields ---- */

bool avic_vmcb_apic_bar(u64 gpa, u64 *field)
{
	if (!avic_page_addr_ok(gpa))
		return false;
	*field = gpa;
	return true;
}

bool avic_vmcb_backing_page(u64 hpa, u64 *field)
{
	return avic_vmcb_apic_bar(hpa, field);  /* same format: bits 51:12 */
}

bool avic_vmcb_logical_table(u64 hpa, u64 *field)
{
	return avic_vmcb_apic_bar(hpa, field);
}

bool avic_vmcb_physical_table(u64 hpa, u32 max_index, enum avic_hw_mode mode, u64 *field)
{
	if (!avic_page_addr_ok(hpa) || max_index > avic_phys_vmrun_max_index(mode))
		return false;
	*field = hpa | max_index;
	return true;
}

bool avic_vmcb_physical_table_decode(u64 field, u64 *hpa, u32 *max_index)
{
	*hpa = field & AVIC_PAGE_ADDR_MASK;
	*max_index = (u32)(field & AVIC_PHYSICAL_MAX_INDEX_MASK);
	return (field & GENMASK(63, 52)) == 0;
}

/* ---- 4. Doorbell ---- */

bool avic_doorbell_value(u32 host_apic_id, u64 *val)
{
	if (host_apic_id > AVIC_DOORBELL_PHYSICAL_ID_MASK)
		return false;
	*val = host_apic_id;
	return true;
}

/* ---- 5a. Table 15-22 ---- */

#define R_(k)   AVIC_##k
#define ROW(off, n, msr, nm, rd, wr, fl) \
	{ (off), (n), (msr), (nm), R_(rd), R_(wr), (fl) }

/*
 * APM Vol 2 Table 15-22 "Guest vAPIC Register Access Behavior" (§15.29.3.1
 * "Virtual APIC Register Accesses"), one row per row of that table in rev
 * 3.44, in offset order.  "allowed" and "accelerated" are both ACCEL (no
 * exit).  Notes [n] give the table's footnotes and where the APM disagrees
 * with itself.  Rev 3.45 lists eight extended LVTs (0x500-0x570, MSRs
 * 0x850-0x857) and the reserved range from 0x580; the rows below keep rev
 * 3.44's four.
 */
static const struct avic_reg_access avic_reg_table[] = {
	/*
	 * [1] 0x802 write: Table 15-22 says trap, APM §16.12 says WRMSR 0x802
	 * raises #GP, and §15.29.10 puts x2APIC checks before AVIC's: expect
	 * #GP under x2AVIC.  The x2AVIC MSRPM policy intercepts it anyway.
	 */
	ROW(0x020, 1, 0x802, "APIC ID",         ACCEL, TRAP,  0),
	ROW(0x030, 1, 0x803, "Version",         ACCEL, FAULT, 0),
	ROW(0x080, 1, 0x808, "TPR",             ACCEL, ACCEL, 0),
	ROW(0x090, 1, 0x809, "APR",             FAULT, FAULT, 0),
	ROW(0x0a0, 1, 0x80a, "PPR",             ACCEL, FAULT, 0),
	/*
	 * [2] EOI read: Table 15-22 says allowed (backing-page bytes), but EOI
	 * is write-only in x2APIC (Table 16-6); the MSRPM policy intercepts
	 * RDMSR 0x80B.
	 * [3] EOI write: accelerated for an edge vector; when the highest ISR
	 * vector is level (TMR=1) Table 15-22 says "#VMEXIT (trap)" while the
	 * prose of §15.29.9.2 "AVIC Access to Un-accelerated vAPIC register"
	 * calls it a fault ("This fault is also generated if an EOI is
	 * attempted when the highest priority in-service interrupt is set for
	 * level-triggered mode").
	 * Implemented as a trap, as KVM does and as exercised on hardware.
	 */
	ROW(0x0b0, 1, 0x80b, "EOI",             ACCEL, ACCEL, AVIC_ACC_WRITE_TRAP_IF_LEVEL),
	ROW(0x0c0, 1, 0,     "RRD",             ACCEL, TRAP,  0),       /* xAPIC only */
	ROW(0x0d0, 1, 0x80d, "LDR",             ACCEL, TRAP,  0),
	ROW(0x0e0, 1, 0,     "DFR",             ACCEL, TRAP,  0),       /* xAPIC only */
	ROW(0x0f0, 1, 0x80f, "SVR",             ACCEL, TRAP,  0),
	ROW(0x100, 8, 0x810, "ISR",             ACCEL, FAULT, 0),
	ROW(0x180, 8, 0x818, "TMR",             ACCEL, FAULT, 0),
	ROW(0x200, 8, 0x820, "IRR",             ACCEL, FAULT, 0),
	ROW(0x280, 1, 0x828, "ESR",             ACCEL, TRAP,  0),
	/*
	 * [4] ICRL / x2APIC ICR write: accelerated, or trap for functions the
	 * hardware does not handle.  Which ICR values take this trap instead
	 * of INCOMPLETE_IPI ID 0 is not documented (docs/AVIC-MODEL.md, "ICR
	 * write, any other type or level trigger").
	 */
	ROW(0x300, 1, 0x830, "ICR low",         ACCEL, ACCEL, AVIC_ACC_WRITE_TRAP_IF_UNHANDLED),
	/* [5] ICRH: xAVIC only (x2APIC bits 63:32 of 0x830 land here); no side effect. */
	ROW(0x310, 1, 0,     "ICR high",        ACCEL, ACCEL, 0),
	ROW(0x320, 1, 0x832, "LVT Timer",       ACCEL, TRAP,  0),
	ROW(0x330, 1, 0x833, "LVT Thermal",     ACCEL, TRAP,  0),
	ROW(0x340, 1, 0x834, "LVT PerfCounter", ACCEL, TRAP,  0),
	ROW(0x350, 1, 0x835, "LVT LINT0",       ACCEL, TRAP,  0),
	ROW(0x360, 1, 0x836, "LVT LINT1",       ACCEL, TRAP,  0),
	ROW(0x370, 1, 0x837, "LVT Error",       ACCEL, TRAP,  0),
	ROW(0x380, 1, 0x838, "Timer Initial Count", ACCEL, TRAP, 0),
	ROW(0x390, 1, 0x839, "Timer Current Count", FAULT, FAULT, 0),
	ROW(0x3e0, 1, 0x83e, "Timer Divide Config", ACCEL, TRAP, 0),
	/*
	 * [6] SELF_IPI: x2APIC only; the write is accelerated under x2AVIC.
	 * Table 15-22 gives no read behaviour (only "Write: Allowed
	 * (x2AVIC)"); as a backing-page offset 0x3F0 is in no other row, and
	 * such offsets are allowed (note [8]), so the read is ACCEL here.  RDMSR
	 * 0x83F is #GP architecturally and intercepted by the MSRPM policy.
	 */
	ROW(0x3f0, 1, 0x83f, "SELF_IPI",        ACCEL, ACCEL, AVIC_ACC_X2APIC_ONLY),
	ROW(0x400, 1, 0x840, "Extended APIC Feature", FAULT, FAULT, 0),
	ROW(0x410, 1, 0x841, "Extended APIC Control", FAULT, FAULT, 0),
	ROW(0x420, 1, 0x842, "SEOI",            FAULT, FAULT, 0),
	ROW(0x480, 8, 0x848, "IER",             FAULT, FAULT, 0),
	/* [7] Extended LVT: allowed/trap with CPUID 8000_000A EDX[27], else fault/fault. */
	ROW(0x500, 4, 0x850, "Extended LVT",    ACCEL, TRAP,  AVIC_ACC_EXTLVT),
	ROW(0x540, (0x1000 - 0x540) / 16, 0x854, "reserved", FAULT, FAULT, 0),
	/*
	 * [8] Offsets in no row (0x000, 0x010, 0x040-0x070, 0x2f0, 0x3a0-0x3d0,
	 * 0x430-0x470) are allowed both ways, with no exit and no ESR error;
	 * their backing-page bytes mean nothing (§15.29.3.1: "Accesses to any
	 * other register locations not explicitly defined in this table are
	 * allowed to read and write the backing page"; §15.29.8.1 "Special
	 * Trap/Fault Handling for vAPIC Accesses").
	 * [9] Registers are 32 bits at a 16-byte stride; bytes +4..+15 of a
	 * register give undefined results.  The lookup ignores offset bits 3:0.
	 */
};

#undef ROW
#undef R_

const struct avic_reg_access *avic_reg_access_table(size_t *count)
{
	*count = ARRAY_SIZE(avic_reg_table);
	return avic_reg_table;
}

/*
 * The row of each 16-byte register slot of the page, as its index + 1 (0:
 * in no row), so that a lookup on every emulated access is one load instead
 * of a search of the rows.  Built from the table on the first lookup; two
 * CPUs that build it at once store the same values (relaxed atomics), and
 * the flag publishes it.
 */
_Static_assert(ARRAY_SIZE(avic_reg_table) < 255, "row numbers fit in a byte");
static u8 avic_reg_slot_row[0x1000 / 16];
static u32 avic_reg_slot_ready;

static void avic_reg_slots_build(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(avic_reg_table); i++) {
		const struct avic_reg_access *r = &avic_reg_table[i];

		for (u32 k = 0; k < r->count && (r->offset >> 4) + k < ARRAY_SIZE(avic_reg_slot_row); k++)
			if (!__atomic_load_n(&avic_reg_slot_row[(r->offset >> 4) + k], __ATOMIC_RELAXED))
				__atomic_store_n(&avic_reg_slot_row[(r->offset >> 4) + k], (u8)(i + 1), __ATOMIC_RELAXED);
	}
	__atomic_store_n(&avic_reg_slot_ready, 1, __ATOMIC_RELEASE);
}

const struct avic_reg_access *avic_reg_access_lookup(u32 offset)
{
	u8 row;

	if (offset >= 0x1000)
		return NULL;
	if (!__atomic_load_n(&avic_reg_slot_ready, __ATOMIC_ACQUIRE))
		avic_reg_slots_build();
	row = __atomic_load_n(&avic_reg_slot_row[offset >> 4], __ATOMIC_RELAXED);
	return row ? &avic_reg_table[row - 1] : NULL;
}

enum avic_access_kind avic_access_kind(u32 offset, bool write, bool extlvt)
{
	const struct avic_reg_access *r;

	if (offset >= 0x1000)
		return AVIC_FAULT;
	r = avic_reg_access_lookup(offset);
	if (!r)
		return AVIC_ACCEL;
	if ((r->flags & AVIC_ACC_EXTLVT) && !extlvt)
		return AVIC_FAULT;
	return (enum avic_access_kind)(write ? r->write : r->read);
}

enum avic_access_kind avic_noaccel_kind(u32 offset, bool write, bool extlvt)
{
	enum avic_access_kind k = avic_access_kind(offset, write, extlvt);
	const struct avic_reg_access *r = avic_reg_access_lookup(offset);

	if (k == AVIC_ACCEL && write && r &&
	    (r->flags & (AVIC_ACC_WRITE_TRAP_IF_LEVEL | AVIC_ACC_WRITE_TRAP_IF_UNHANDLED)))
		return AVIC_TRAP;
	return k;
}

enum avic_access_kind avic_noaccel_kind_fallback(u32 offset, bool write)
{
	const struct avic_reg_access *r = avic_reg_access_lookup(offset);

	if (write && r && (r->write == AVIC_TRAP ||
			   (r->flags & (AVIC_ACC_WRITE_TRAP_IF_LEVEL | AVIC_ACC_WRITE_TRAP_IF_UNHANDLED))))
		return AVIC_TRAP;
	return AVIC_FAULT;
}

/* ---- 5b. #VMEXIT 0x401 AVIC_INCOMPLETE_IPI ---- */

static const char *const avic_ipi_failure_names[AVIC_IPI_FAILURE_COUNT] = {
	[AVIC_IPI_FAILURE_INVALID_INT_TYPE]     = "invalid interrupt type",
	[AVIC_IPI_FAILURE_TARGET_NOT_RUNNING]   = "IPI target not running",
	[AVIC_IPI_FAILURE_INVALID_TARGET]       = "invalid IPI target",
	[AVIC_IPI_FAILURE_INVALID_BACKING_PAGE] = "invalid backing page pointer",
	[AVIC_IPI_FAILURE_INVALID_IPI_VECTOR]   = "invalid IPI vector",
	[AVIC_IPI_FAILURE_UNACCELERATED_IPI]    = "un-accelerated IPI",
};

const char *avic_ipi_failure_name(u32 cause)
{
	if (cause >= AVIC_IPI_FAILURE_COUNT)
		return "unknown";
	return avic_ipi_failure_names[cause];
}

bool avic_ipi_failure_has_index(u32 cause)
{
	return cause == AVIC_IPI_FAILURE_TARGET_NOT_RUNNING ||
	       cause == AVIC_IPI_FAILURE_INVALID_TARGET ||
	       cause == AVIC_IPI_FAILURE_INVALID_BACKING_PAGE;
}

bool avic_incomplete_ipi_decode(u64 exitinfo1, u64 exitinfo2, struct avic_incomplete_ipi *out)
{
	out->icr_low = (u32)exitinfo1;
	out->icr_high = (u32)(exitinfo1 >> 32);
	out->cause = (u32)(exitinfo2 >> AVIC_INCOMPLETE_IPI_ID_SHIFT);
	/* Table 15-27: bits 11:0 are reserved for IDs 0, 4, 5: do not pass them on. */
	out->index = avic_ipi_failure_has_index(out->cause) ?
		     (u32)(exitinfo2 & AVIC_INCOMPLETE_IPI_INDEX_MASK) : 0;
	return (exitinfo2 & AVIC_INCOMPLETE_IPI_RSVD_MASK) == 0 &&
	       out->cause < AVIC_IPI_FAILURE_COUNT;
}

bool avic_incomplete_ipi_encode(const struct avic_incomplete_ipi *in, u64 *exitinfo1, u64 *exitinfo2)
{
	u64 info2;

	if (in->cause >= AVIC_IPI_FAILURE_COUNT || in->index > AVIC_INCOMPLETE_IPI_INDEX_MASK)
		return false;
	info2 = (u64)in->cause << AVIC_INCOMPLETE_IPI_ID_SHIFT;
	if (avic_ipi_failure_has_index(in->cause))
		info2 |= in->index;
	*exitinfo1 = ((u64)in->icr_high << 32) | in->icr_low;
	*exitinfo2 = info2;
	return true;
}

/* ---- 5c. #VMEXIT 0x402 AVIC_NOACCEL ---- */

bool avic_noaccel_decode(u64 exitinfo1, u64 exitinfo2, bool extlvt, struct avic_noaccel *out)
{
	out->offset = (u32)(exitinfo1 & AVIC_UNACCEL_ACCESS_OFFSET_MASK);
	out->write = !!(exitinfo1 & AVIC_UNACCEL_ACCESS_WRITE_MASK);
	out->vector = (u8)(exitinfo2 & AVIC_UNACCEL_ACCESS_VECTOR_MASK);
	out->kind = (u8)avic_noaccel_kind(out->offset, out->write, extlvt);
	return (exitinfo1 & ~(AVIC_UNACCEL_ACCESS_OFFSET_MASK | AVIC_UNACCEL_ACCESS_WRITE_MASK)) == 0;
}

bool avic_noaccel_encode(const struct avic_noaccel *in, u64 *exitinfo1, u64 *exitinfo2)
{
	if (in->offset & ~(u32)AVIC_UNACCEL_ACCESS_OFFSET_MASK)
		return false;
	*exitinfo1 = in->offset | (in->write ? AVIC_UNACCEL_ACCESS_WRITE_MASK : 0);
	*exitinfo2 = in->vector;
	return true;
}

/* ---- 6. x2AVIC MSR permission policy ---- */

/*
 * The one table behind avic_x2_msr_passthrough(), _apply(), _check() and
 * _policy_line() (KVM's current policy, avic_set_x2apic_msr_interception()).
 * MSRs 0x800-0x8ff in no row are intercepted both ways.  Why:
 *  - reads pass for the registers an x2APIC guest may read and the backing
 *    page holds: ID, Version, TPR, PPR, LDR, SVR, ISR/TMR/IRR, ESR, ICR, the
 *    LVTs, TMICT, TDCR.  Not TMCCT (0x839): the timer is emulated, the page
 *    has no live count and Table 15-22 makes the read fault, which costs an
 *    instruction decode where an MSR exit does not.  Not EOI/SELF_IPI: they
 *    are write-only.  Not APR: not valid in x2APIC mode.
 *  - writes pass only for the four registers the hardware accelerates: TPR,
 *    EOI, ICR, SELF_IPI.  Everything else (ID, LDR, SVR, ESR, TMICT, TDCR,
 *    the LVTs) is emulated through the MSR exit; LVTT in particular would
 *    #GP in the guest instead of exiting for a TSC-deadline value (bit 18 is
 *    reserved on AMD, APM Vol 2 §16.4 "Local Interrupts" Fig. 16-7, and
 *    §15.29.10 "x2AVIC" puts the x2APIC access checks before AVIC's).
 * Rows are ascending and disjoint; each row is printed as one item of the
 * policy line, so the grouping here is the grouping of the issue text.
 */
struct avic_x2_msr_row {
	u16 first;
	u16 last;
	bool read_pass;
	bool write_pass;
};

static const struct avic_x2_msr_row avic_x2_policy[] = {
	{ 0x802, 0x802, true,  false },  /* ID */
	{ 0x803, 0x803, true,  false },  /* Version */
	{ 0x808, 0x808, true,  true  },  /* TPR: accelerated */
	{ 0x80a, 0x80a, true,  false },  /* PPR */
	{ 0x80b, 0x80b, false, true  },  /* EOI: accelerated, write-only */
	{ 0x80d, 0x80d, true,  false },  /* LDR */
	{ 0x80f, 0x80f, true,  false },  /* SVR */
	{ 0x810, 0x827, true,  false },  /* ISR0-7, TMR0-7, IRR0-7 */
	{ 0x828, 0x828, true,  false },  /* ESR */
	{ 0x830, 0x830, true,  true  },  /* ICR (64-bit): accelerated */
	{ 0x832, 0x838, true,  false },  /* LVT Timer..LVT Error, TMICT */
	{ 0x83e, 0x83e, true,  false },  /* TDCR */
	{ 0x83f, 0x83f, false, true  },  /* SELF_IPI: accelerated, write-only */
};

bool avic_x2_msr_passthrough(u32 msr, bool write)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(avic_x2_policy); i++) {
		const struct avic_x2_msr_row *r = &avic_x2_policy[i];

		if (msr >= r->first && msr <= r->last)
			return write ? r->write_pass : r->read_pass;
	}
	return false;
}

void avic_x2_msrpm_apply(u8 *msrpm, bool x2avic_active)
{
	u32 msr;

	for (msr = VAPIC_X2APIC_MSR_BASE; msr <= VAPIC_X2APIC_MSR_LAST; msr++) {
		bool rd = x2avic_active && avic_x2_msr_passthrough(msr, false);
		bool wr = x2avic_active && avic_x2_msr_passthrough(msr, true);

		msrpm_set(msrpm, msr, !rd, !wr);
	}
}

int avic_x2_msrpm_check(const u8 *msrpm, bool x2avic_active, char *why, size_t len)
{
	int diffs = 0;
	u32 msr;
	int w;

	if (why && len)
		why[0] = 0;
	for (msr = VAPIC_X2APIC_MSR_BASE; msr <= VAPIC_X2APIC_MSR_LAST; msr++) {
		for (w = 0; w < 2; w++) {
			bool want = !(x2avic_active && avic_x2_msr_passthrough(msr, w));
			bool have = msrpm_intercepted(msrpm, msr, w);

			if (want == have)
				continue;
			if (diffs++ == 0 && why && len)
				snprintf(why, len, "msr 0x%x %s: %s, policy %s (x2avic %s)",
					 msr, w ? "write" : "read",
					 have ? "intercepted" : "passed through",
					 want ? "intercepts" : "passes through",
					 x2avic_active ? "active" : "inactive");
		}
	}
	return diffs;
}

/* Appends at *pos like snprintf, and counts what would have been written. */
static __printf(4, 5) void avic_line_add(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	if (*pos < len)
		n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
	else
		n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*pos += (size_t)n;
}

static void avic_line_list(char *buf, size_t len, size_t *pos, bool write)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(avic_x2_policy); i++) {
		const struct avic_x2_msr_row *r = &avic_x2_policy[i];

		if (!(write ? r->write_pass : r->read_pass))
			continue;
		if (r->first == r->last)
			avic_line_add(buf, len, pos, " 0x%x", (unsigned)r->first);
		else
			avic_line_add(buf, len, pos, " 0x%x-0x%x", (unsigned)r->first, (unsigned)r->last);
	}
}

int avic_x2_msrpm_policy_line(char *buf, size_t len)
{
	size_t pos = 0;

	if (!buf)
		len = 0;
	if (len)
		buf[0] = 0;
	avic_line_add(buf, len, &pos, "x2avic msrpm: read-passthrough");
	avic_line_list(buf, len, &pos, false);
	avic_line_add(buf, len, &pos, " ; write-passthrough");
	avic_line_list(buf, len, &pos, true);
	return (int)pos;
}
