/*
 * avic/avic_hw.h - the AVIC and x2AVIC hardware formats, encoded and decoded
 * in one place.
 *
 * The hypervisor (real AVIC on Zen), the software model of AVIC ("avic-emu")
 * and the unit tests all build and read these structures through this file,
 * so the three agree on every bit.  Pure: no hardware access, no allocation,
 * no hypervisor state.  The only side-effecting helpers write into memory the
 * caller hands in (a physical-table entry, an MSR permission map, a buffer).
 *
 * Sources: APM Vol 2 §15.29 "Advanced Virtual Interrupt Controller", each
 * structure below naming its subsection, and Appendix B "Layout of VMCB".
 * Where the APM disagrees with itself or with Linux, the comment says which
 * reading is implemented and why.
 */
#ifndef AVIC_AVIC_HW_H
#define AVIC_AVIC_HW_H

#include "lib/types.h"

/*
 * Which AVIC flavour a VMCB runs, for the limits that depend on it
 * (MAX_INDEX, physical table size).  XAVIC = int_ctl bit 31 only;
 * X2AVIC = bits 31 and 30 (CPUID 8000_000A EDX[18]); X2AVIC_EXT = x2AVIC on
 * a CPU with CPUID 8000_000A ECX[6] (4K vCPU IDs).  APM Vol 2 §15.29.4.1
 * "VMCB Virtual Interrupt Control Word", §15.29.4.3 "Physical Address
 * Pointer Restrictions", §15.29.5.2 "Physical APIC ID Table".
 */
enum avic_hw_mode {
	AVIC_HW_XAVIC,
	AVIC_HW_X2AVIC,
	AVIC_HW_X2AVIC_EXT,
};

/*
 * All AVIC pointers are host (or, for V_APIC_BAR, guest) physical addresses
 * of 4 KiB-aligned pages in bits 51:12; bits 11:0 and 63:52 must be zero
 * (APM Vol 2 §15.29.4.3 "Physical Address Pointer Restrictions").  The
 * VMRUN check is against the CPU's implemented physical-address width, which
 * may be below 52: that check belongs to svm/vmcb_check.c, which knows
 * MAXPHYADDR; the helpers here enforce only the format.
 */
#define AVIC_PAGE_ADDR_MASK     GENMASK(51, 12)

/* ---- 1. Physical APIC ID table ---- */

/*
 * APM Vol 2 §15.29.5.2 "Physical APIC ID Table", Fig. 15-17, Table 15-23.
 * One u64 per guest physical APIC ID:
 *   63     V        valid: the entry holds a backing-page pointer
 *   62     IR       IsRunning: the vCPU is assigned to a physical core
 *   61:52  reserved, SBZ
 *   51:12  backing page HPA bits 51:12
 *   11:0   host physical APIC ID of that core (doorbell target; valid if IR=1)
 *
 * Host ID width: implemented as 12 bits (11:0), as in Table 15-23 of APM
 * revs 3.44 and 3.45 and Linux's AVIC_PHYSICAL_ID_ENTRY_HOST_PHYSICAL_ID_MASK.
 * Older APM revisions and Xen define only 7:0 with 11:8 reserved (an open
 * point: docs/AVIC-MODEL.md "Where to look first on a real CPU").  The
 * width does not depend on xAVIC vs x2AVIC: it is about the *host's* APIC
 * IDs.  A host ID above 0xff is only possible on an
 * x2APIC host, whose CPUs have the wider field; above 0xfff AVIC cannot be
 * used at all, and the encoders refuse it.
 */
#define AVIC_PHYSICAL_ID_ENTRY_HOST_PHYSICAL_ID_MASK    GENMASK(11, 0)
#define AVIC_PHYSICAL_ID_ENTRY_BACKING_PAGE_MASK        GENMASK(51, 12)
#define AVIC_PHYSICAL_ID_ENTRY_RESERVED_MASK            GENMASK(61, 52)
#define AVIC_PHYSICAL_ID_ENTRY_IS_RUNNING_MASK          BIT(62)
#define AVIC_PHYSICAL_ID_ENTRY_VALID_MASK               BIT(63)

struct avic_phys_entry {
	u64 backing_page;       /* HPA of the backing page, 4 KiB aligned, < 2^52 */
	u32 host_apic_id;       /* 0..0xfff */
	bool is_running;
	bool valid;
};

/* False (and *raw untouched) if a field does not fit its bits. */
bool avic_phys_entry_encode(const struct avic_phys_entry *e, u64 *raw);
/* Always fills *e; false if the SBZ bits 61:52 are set. */
bool avic_phys_entry_decode(u64 raw, struct avic_phys_entry *e);

/*
 * Sets IsRunning and the host APIC ID of a live table entry, leaving V and
 * the backing pointer alone.  The CPU (and the IOMMU) read the entry
 * concurrently, so it is one atomic read-modify-write of the whole u64, never
 * a torn pair of 32-bit stores.  The update is sequentially consistent (a
 * locked instruction on x86): the halt protocol (docs/ARCHITECTURE.md "AVIC
 * (apic=avic and apic=avic-emu)", IsRunning) needs a full barrier between
 * clearing IsRunning and re-checking the IRR, and this provides it.  When
 * descheduling (running=false) pass the core the vCPU last ran on: KVM
 * (__avic_vcpu_put) keeps the last host ID so a stray doorbell goes
 * somewhere related.  False, and nothing written, if host_apic_id > 0xfff.
 */
bool avic_phys_set_running(u64 *entry, bool running, u32 host_apic_id);

/*
 * Table size and MAX_INDEX (VMCB 0x0F8 bits 11:0: the last entry the CPU may
 * look at), APM Vol 2 §15.29.4.3 "Physical Address Pointer Restrictions" and
 * §15.29.5.2 "Physical APIC ID Table":
 *   xAVIC       VMRUN accepts MAX_INDEX <= 255, but ID 0xff is the xAPIC
 *               broadcast, so the highest usable APIC ID is 0xfe; the table
 *               is the lower 2 KiB of one page (upper 2 KiB SBZ).
 *   x2AVIC      MAX_INDEX <= 511: one full page of 512 entries.
 *   x2AVIC_EXT  MAX_INDEX <= 4095: MAX_INDEX[11:9] + 1 contiguous pages (<= 8).
 * A larger MAX_INDEX makes VMRUN fail with VMEXIT_INVALID.  The names of the
 * arch maxima are Linux's, so a search finds both.
 */
#define AVIC_PHYSICAL_MAX_INDEX_MASK    GENMASK(11, 0)
#define AVIC_MAX_PHYSICAL_ID            0xfeu   /* xAVIC: 0xff = broadcast */
#define X2AVIC_MAX_PHYSICAL_ID          0x1ffu
#define X2AVIC_4K_MAX_PHYSICAL_ID       0xfffu
#define AVIC_XAVIC_VMRUN_MAX_INDEX      0xffu   /* the VMRUN check, not a usable ID */
#define AVIC_PHYS_ENTRIES_PER_PAGE      512u
#define AVIC_PHYS_MAX_PAGES             8u

/* Highest guest APIC ID the mode can put in the table (0xfe, 0x1ff, 0xfff). */
u32 avic_phys_max_apic_id(enum avic_hw_mode mode);
/* Highest MAX_INDEX that passes the VMRUN check (0xff, 0x1ff, 0xfff). */
u32 avic_phys_vmrun_max_index(enum avic_hw_mode mode);
/*
 * MAX_INDEX for a VM whose highest guest APIC ID is highest_id: the ID itself
 * (MAX_INDEX is the index of the last entry, APM Vol 2 §15.29.4.2 "AVIC
 * VMCB Fields", and a broadcast visits every entry, §15.29.6.1
 * "Interprocessor Interrupts" step 4, so a small one keeps broadcasts
 * cheap).  False if the ID does not fit the mode (KVM's PHYSICAL_ID_TOO_BIG
 * inhibit).
 */
bool avic_phys_max_index(u32 highest_id, enum avic_hw_mode mode, u32 *max_index);
/* Contiguous 4 KiB pages the CPU may read for this MAX_INDEX: MAX_INDEX[11:9] + 1. */
u32 avic_phys_table_pages(u32 max_index);

/* ---- 2. Logical APIC ID table (xAVIC only) ---- */

/*
 * APM Vol 2 §15.29.5.3 "Logical APIC ID Table", Table 15-24.
 * One u32 per logical ID, one 4 KiB page per VM:
 *   31     V        valid
 *   30:8   reserved, SBZ
 *   7:0    guest physical APIC ID that owns the logical ID
 * x2AVIC does not use the table (the CPU derives x2APIC logical IDs from
 * x2APIC IDs, see avic_x2apic_logical_id()).
 */
#define AVIC_LOGICAL_ID_ENTRY_GUEST_PHYSICAL_ID_MASK    GENMASK(7, 0)
#define AVIC_LOGICAL_ID_ENTRY_RESERVED_MASK             GENMASK(30, 8)
#define AVIC_LOGICAL_ID_ENTRY_VALID_MASK                BIT(31)

#define AVIC_LOGICAL_TABLE_ENTRIES      1024u   /* 4 KiB / 4 */
#define AVIC_LOGICAL_FLAT_ENTRIES       8u      /* bytes 0-31 */
#define AVIC_LOGICAL_CLUSTER_ENTRIES    60u     /* 15 clusters x 4, bytes 0-239 */

u32 avic_log_entry_encode(u8 guest_phys_id, bool valid);
/* Always fills the outputs; false if the SBZ bits 30:8 are set. */
bool avic_log_entry_decode(u32 raw, u8 *guest_phys_id, bool *valid);

/*
 * Table index (entry number; byte offset = 4 * index) of an 8-bit logical
 * ID (APM Vol 2 §15.29.5.3 "Logical APIC ID Table", Figs. 15-20, 15-21):
 *   flat     (DFR[31:28] = 0xF): ID = 1 << i, i = 0..7          -> index i
 *   cluster  (DFR[31:28] = 0x0): ID[7:4] = cluster c (0..14),
 *            ID[3:0] = 1 << j, j = 0..3                        -> index 4c + j
 * -1 when the ID names no single entry: zero, more than one bit set, or
 * cluster 15 (reserved; 0xff is the cluster-mode broadcast).  Such an LDR is
 * not entered in the table (KVM does the same); IPIs to it then exit
 * with "invalid target" and are emulated.  Two vCPUs whose LDRs map to the
 * same index are a different problem - logical ID aliasing, for which KVM
 * and hv/avic.c inhibit AVIC (LOGICAL_ID_ALIASED, docs/ARCHITECTURE.md
 * "AVIC (apic=avic and apic=avic-emu)") - and the caller detects that by
 * comparing indexes.
 */
int avic_logical_index_flat(u8 logical_id);
int avic_logical_index_cluster(u8 logical_id);
/* From the guest's DFR and LDR registers (logical ID = LDR[31:24]); -1 also for a DFR model other than 0xF/0x0. */
int avic_logical_index(u32 dfr, u32 ldr);

/*
 * x2APIC logical ID the hardware derives: (ID[19:4] << 16) | (1 << ID[3:0])
 * (APM Vol 2 §15.29.5.3 "Logical APIC ID Table", §16.14 "Logical
 * Destination Register").
 */
u32 avic_x2apic_logical_id(u32 x2apic_id);

/* ---- 3. VMCB pointer fields ---- */

/*
 * APM Vol 2 §15.29.4.2 "AVIC VMCB Fields", §15.29.4.3 "Physical Address
 * Pointer Restrictions", Appendix B Table B-1 "VMCB Layout, Control Area".
 * Each returns false (and leaves *field alone) for an address with bits set
 * outside 51:12, i.e. not 4 KiB aligned or beyond the 52-bit format.
 *   0x098 AVIC_APIC_BAR: guest physical base of the APIC MMIO page (normally
 *         0xFEE0_0000); not used in x2AVIC mode.
 *   0x0E0 AVIC_BACKING_PAGE: HPA of this vCPU's backing page.
 *   0x0F0 AVIC_LOGICAL_TABLE: HPA of the logical table; not used in x2AVIC mode.
 *   0x0F8 AVIC_PHYSICAL_TABLE: HPA of the physical table | MAX_INDEX in 11:0;
 *         also false if max_index exceeds avic_phys_vmrun_max_index(mode).
 * After writing any of them, clear VMCB clean bit 11 (AVIC; APM Vol 2
 * §15.15.3 "VMCB Clean Field").
 */
bool avic_vmcb_apic_bar(u64 gpa, u64 *field);
bool avic_vmcb_backing_page(u64 hpa, u64 *field);
bool avic_vmcb_logical_table(u64 hpa, u64 *field);
bool avic_vmcb_physical_table(u64 hpa, u32 max_index, enum avic_hw_mode mode, u64 *field);
/* Splits 0x0F8; false if bits 63:52 are set. */
bool avic_vmcb_physical_table_decode(u64 field, u64 *hpa, u32 *max_index);

/* ---- 4. Doorbell (APM Vol 2 §15.29.8.2 "Doorbell Mechanism", Fig. 15-22) ---- */

/*
 * Write-only MSR; WRMSR with the target core's host physical APIC ID makes a
 * core in guest mode re-evaluate its vCPU's backing page.  ID width: the APM
 * figure shows 7:0 (63:8 MBZ), Linux uses 11:0 and writes the full ID
 * (an open point: docs/AVIC-MODEL.md "Where to look first on a real CPU").
 * Implemented: 11:0, the same width as the physical-table host ID field,
 * because a doorbell must reach every core an entry can name; an ID above
 * 0xff only occurs on x2APIC hosts.
 */
#define MSR_AMD64_SVM_AVIC_DOORBELL     0xc001011bu
#define AVIC_DOORBELL_PHYSICAL_ID_MASK  GENMASK(11, 0)

/* The WRMSR value for a host APIC ID; false above 0xfff. */
bool avic_doorbell_value(u32 host_apic_id, u64 *val);

/* ---- 5a. Table 15-22: guest register accesses under AVIC ---- */

/*
 * APM Vol 2 §15.29.3.1 "Virtual APIC Register Accesses", Table 15-22 "Guest
 * vAPIC Register Access Behavior".
 * What the CPU does with one guest access (the same table for xAVIC MMIO and
 * x2AVIC MSRs):
 *   AVIC_ACCEL  "allowed": served from the backing page without an exit,
 *               possibly with an accelerated action (TPR, EOI, ICR);
 *   AVIC_TRAP   the write lands in the backing page, then #VMEXIT 0x402 with
 *               RIP past the instruction;
 *   AVIC_FAULT  #VMEXIT 0x402 before the access, nothing written, RIP at it.
 */
enum avic_access_kind {
	AVIC_ACCEL,
	AVIC_TRAP,
	AVIC_FAULT,
};

/* Row flags. */
#define AVIC_ACC_WRITE_TRAP_IF_LEVEL    BIT(0)  /* EOI: accelerated for edge, trap if highest ISR has TMR=1 */
#define AVIC_ACC_WRITE_TRAP_IF_UNHANDLED BIT(1) /* ICRL: accelerated, trap for functions the CPU does not do */
#define AVIC_ACC_EXTLVT                 BIT(2)  /* kinds apply only with CPUID 8000_000A EDX[27], else fault/fault */
#define AVIC_ACC_X2APIC_ONLY            BIT(3)  /* SELF_IPI: no xAPIC register */

struct avic_reg_access {
	u16 offset;             /* backing-page offset of the first register */
	u16 count;              /* registers in the row, 16-byte stride */
	u16 x2apic_msr;         /* MSR of the first register; 0 = none in x2APIC mode */
	const char *name;
	u8 read;                /* enum avic_access_kind */
	u8 write;               /* enum avic_access_kind */
	u8 flags;               /* AVIC_ACC_* */
};

/* The row covering a backing-page offset (bits 3:0 ignored), NULL if none. */
const struct avic_reg_access *avic_reg_access_lookup(u32 offset);
/* The rows in ascending offset order, for reports and probes. */
const struct avic_reg_access *avic_reg_access_table(size_t *count);

/*
 * Kind of a read or write of a register in the normal case: the conditional
 * EOI/ICRL traps report AVIC_ACCEL; offsets in no row are "allowed" (APM
 * Vol 2 §15.29.3.1 "Virtual APIC Register Accesses": "Accesses to any other
 * register locations not explicitly defined in this table are allowed to
 * read and write the backing page") and report AVIC_ACCEL; offsets >= 0x1000
 * are not in the page and report AVIC_FAULT.  extlvt = CPUID 8000_000A
 * EDX[27].
 */
enum avic_access_kind avic_access_kind(u32 offset, bool write, bool extlvt);

/*
 * The kind to assume once #VMEXIT 0x402 has been taken for this access:
 * AVIC_TRAP or AVIC_FAULT.  Differs from avic_access_kind() for the
 * conditional traps (EOI, ICRL writes: trap).  AVIC_ACCEL means the table
 * says the CPU should not have exited at all - report it, do not guess.
 */
enum avic_access_kind avic_noaccel_kind(u32 offset, bool write, bool extlvt);

/*
 * For a 0x402 that the table cannot explain (avic_noaccel_kind() says
 * AVIC_ACCEL): AVIC_TRAP for a write to a register whose writes can trap
 * (the table's trap rows and the conditional EOI/ICRL traps), AVIC_FAULT
 * for everything else - KVM's rule (is_avic_unaccelerated_access_trap()).
 */
enum avic_access_kind avic_noaccel_kind_fallback(u32 offset, bool write);

/* The x2APIC MSR range and its backing-page offsets: VAPIC_X2APIC_MSR_* in avic/vapic.h. */

/* ---- 5b. #VMEXIT 0x401 AVIC_INCOMPLETE_IPI ---- */

/*
 * APM Vol 2 §15.29.9.1 "AVIC IPI Delivery Not Completed", Tables 15-25..15-27:
 *   EXITINFO1  63:32 ICRH, 31:0 ICRL as written (x2APIC: ICRH = 32-bit destination)
 *   EXITINFO2  63:32 failure ID, 31:12 reserved, 11:0 index (IDs 1-3 only)
 * The exit is trap-like: the ICR write is done and RIP is past it.
 */
#define AVIC_INCOMPLETE_IPI_ID_SHIFT    32
#define AVIC_INCOMPLETE_IPI_INDEX_MASK  GENMASK(11, 0)
#define AVIC_INCOMPLETE_IPI_RSVD_MASK   GENMASK(31, 12)

enum avic_ipi_failure {
	AVIC_IPI_FAILURE_INVALID_INT_TYPE       = 0, /* level, or type/destination not accelerated */
	AVIC_IPI_FAILURE_TARGET_NOT_RUNNING     = 1, /* IsRunning=0 for a target; IRR already set */
	AVIC_IPI_FAILURE_INVALID_TARGET         = 2, /* target not in the tables (V=0, ...) */
	AVIC_IPI_FAILURE_INVALID_BACKING_PAGE   = 3, /* bad backing pointer in a physical entry */
	AVIC_IPI_FAILURE_INVALID_IPI_VECTOR     = 4, /* vector < 16 */
	AVIC_IPI_FAILURE_UNACCELERATED_IPI      = 5, /* Secure AVIC only: shorthand other than self */
};
#define AVIC_IPI_FAILURE_COUNT  6

struct avic_incomplete_ipi {
	u32 icr_low;
	u32 icr_high;
	u32 cause;              /* enum avic_ipi_failure, or what the CPU reported */
	u32 index;              /* physical/logical table index; 0 unless cause has one */
};

/* Manual's name of a cause ("IPI target not running"), "unknown" outside 0-5. */
const char *avic_ipi_failure_name(u32 cause);
/* Whether EXITINFO2[11:0] carries an index for this cause (IDs 1-3, Table 15-27). */
bool avic_ipi_failure_has_index(u32 cause);
/* Always fills *out; false if reserved bits 31:12 are set or the cause is unknown. */
bool avic_incomplete_ipi_decode(u64 exitinfo1, u64 exitinfo2, struct avic_incomplete_ipi *out);
/* For the emulation: false (outputs untouched) for an unknown cause or an index > 0xfff. */
bool avic_incomplete_ipi_encode(const struct avic_incomplete_ipi *in, u64 *exitinfo1, u64 *exitinfo2);

/* ---- 5c. #VMEXIT 0x402 AVIC_NOACCEL ---- */

/*
 * APM Vol 2 §15.29.9.2 "AVIC Access to Un-accelerated vAPIC register",
 * Tables 15-28/15-29:
 *   EXITINFO1  32 write (1) / read (0); 11:4 register offset[11:4]; rest 0
 *   EXITINFO2  7:0 vector: for an EOI write the highest in-service vector,
 *              otherwise undefined (Linux masks 31:0; only 7:0 is a vector)
 * In x2AVIC mode the offset is (MSR - 0x800) << 4.
 */
#define AVIC_UNACCEL_ACCESS_OFFSET_MASK GENMASK(11, 4)
#define AVIC_UNACCEL_ACCESS_WRITE_MASK  BIT(32)
#define AVIC_UNACCEL_ACCESS_VECTOR_MASK GENMASK(7, 0)

struct avic_noaccel {
	u32 offset;             /* 0x000-0xff0 */
	bool write;
	u8 vector;
	u8 kind;                /* decode: avic_noaccel_kind(); encode ignores it */
};

/* Always fills *out; false if EXITINFO1 has bits set outside 32 and 11:4. */
bool avic_noaccel_decode(u64 exitinfo1, u64 exitinfo2, bool extlvt, struct avic_noaccel *out);
/* False (outputs untouched) if offset has bits outside 11:4. */
bool avic_noaccel_encode(const struct avic_noaccel *in, u64 *exitinfo1, u64 *exitinfo2);

/* ---- 6. x2AVIC MSR permission policy (APM Vol 2 §15.29.10 "x2AVIC", §15.11 "MSR Intercepts") ---- */

/*
 * Whether the policy passes an x2APIC MSR access through when x2AVIC is
 * active (false = intercept).  Reads: 0x802 0x803 0x808 0x80a 0x80d 0x80f
 * 0x810-0x827 0x828 0x830 0x832-0x838 0x83e; writes: 0x808 0x80b 0x830 0x83f.
 */
bool avic_x2_msr_passthrough(u32 msr, bool write);

/*
 * Writes the policy for MSRs 0x800-0x8ff into an MSRPM (svm/msrpm.h).
 * x2avic_active=false intercepts all of them both ways: a passed-through
 * x2APIC MSR without x2AVIC reaches the host's own x2APIC (CVE-2023-5090),
 * so call this with false every time int_ctl bit 30 is cleared.
 */
void avic_x2_msrpm_apply(u8 *msrpm, bool x2avic_active);

/*
 * Reads the 512 bits back and compares them with the policy.  Returns the
 * number of differing bits (0 = equal) and describes the first one in why
 * (may be NULL), e.g. "msr 0x832 write: passed through, policy intercepts".
 */
int avic_x2_msrpm_check(const u8 *msrpm, bool x2avic_active, char *why, size_t len);

/*
 * The policy as one line, generated from the same table:
 *   x2avic msrpm: read-passthrough 0x802 ... 0x83e ; write-passthrough 0x808 0x80b 0x830 0x83f
 * Each table row is written as "0xfirst" or "0xfirst-0xlast" (the issue text
 * writes the policy with ranges: 0x810-0x827, 0x832-0x838), lower-case hex.
 * Returns the length the full line needs, like snprintf.
 */
int avic_x2_msrpm_policy_line(char *buf, size_t len);

#endif
