/*
 * tests/unit/test_avic_hw.c - the AVIC / x2AVIC hardware formats (avic/avic_hw.c).
 *
 * Behaviour under test (APM Vol 2): the physical APIC ID table entry
 * (§15.29.5.2 "Physical APIC ID Table"), the logical APIC ID table entry and
 * its flat/cluster index (§15.29.5.3 "Logical APIC ID Table"), the VMCB
 * pointer fields and MAX_INDEX limits (§15.29.4.2 "AVIC VMCB Fields",
 * §15.29.4.3 "Physical Address Pointer Restrictions"), the doorbell
 * (§15.29.8.2 "Doorbell Mechanism"), EXITINFO1/2 of #VMEXIT 0x401 and 0x402
 * (§15.29.9.1 "AVIC IPI Delivery Not Completed", §15.29.9.2 "AVIC Access to
 * Un-accelerated vAPIC register"), the Table 15-22 access classification
 * (§15.29.3.1 "Virtual APIC Register Accesses") and the x2AVIC MSRPM policy
 * (§15.29.10 "x2AVIC").  Expected values are written out from the APM's
 * figures and tables, not computed with the code under test.
 * A failure means the hypervisor, the AVIC model and the CPU would disagree
 * on a bit: a lost doorbell, a wrong IPI target, a VMRUN that fails, a
 * trap handled as a fault (RIP advanced twice), or an x2APIC MSR reaching
 * the host's APIC.
 */
#include "avic/avic_hw.h"
#include "avic/vapic.h"
#include "svm/msrpm.h"

#include "tests/unit/unit.h"
#include "lib/string.h"

static u8 map[MSRPM_SIZE];

/* ---- 1. physical APIC ID table ---- */

TEST(avic_hw_phys_entry_bits)
{
	struct avic_phys_entry e = {
		.backing_page = 0x12345678000ULL, .host_apic_id = 0xabc,
		.is_running = true, .valid = true,
	};
	u64 raw = 0;

	/* Fig. 15-17: V 63, IR 62, 61:52 SBZ, backing 51:12, host ID 11:0. */
	CHECK_EQ(0x8000000000000000ULL, AVIC_PHYSICAL_ID_ENTRY_VALID_MASK);
	CHECK_EQ(0x4000000000000000ULL, AVIC_PHYSICAL_ID_ENTRY_IS_RUNNING_MASK);
	CHECK_EQ(0x3ff0000000000000ULL, AVIC_PHYSICAL_ID_ENTRY_RESERVED_MASK);
	CHECK_EQ(0x000ffffffffff000ULL, AVIC_PHYSICAL_ID_ENTRY_BACKING_PAGE_MASK);
	CHECK_EQ(0xfffULL, AVIC_PHYSICAL_ID_ENTRY_HOST_PHYSICAL_ID_MASK);

	CHECK(avic_phys_entry_encode(&e, &raw));
	CHECK_EQ(0xc000012345678abcULL, raw);
	e.is_running = false;
	CHECK(avic_phys_entry_encode(&e, &raw));
	CHECK_EQ(0x8000012345678abcULL, raw);
	e.valid = false;
	e.host_apic_id = 0;
	e.backing_page = 0x000ffffffffff000ULL;     /* the highest page below 2^52 */
	CHECK(avic_phys_entry_encode(&e, &raw));
	CHECK_EQ(0x000ffffffffff000ULL, raw);
}

TEST(avic_hw_phys_entry_roundtrip)
{
	static const u64 raws[] = {
		0, 0x8000000000001000ULL, 0xc000000000002007ULL, 0x4000000000000fffULL,
		0x800ffffffffff0ffULL, 0xc00abcdef0123456ULL,
	};
	struct avic_phys_entry e, f;
	size_t i;
	u64 back;

	for (i = 0; i < ARRAY_SIZE(raws); i++) {
		CHECK(avic_phys_entry_decode(raws[i], &e));
		CHECK(avic_phys_entry_encode(&e, &back));
		CHECK_EQ(raws[i], back);
		CHECK(avic_phys_entry_decode(back, &f));
		CHECK_EQ(e.backing_page, f.backing_page);  /* fields: the struct has padding */
		CHECK_EQ(e.host_apic_id, f.host_apic_id);
		CHECK_EQ(e.is_running, f.is_running);
		CHECK_EQ(e.valid, f.valid);
	}
	CHECK(avic_phys_entry_decode(0xc00abcdef0123456ULL, &e));
	CHECK_EQ(0xabcdef0123000ULL, e.backing_page);
	CHECK_EQ(0x456, e.host_apic_id);
	CHECK(e.valid && e.is_running);
}

TEST(avic_hw_phys_entry_rejects)
{
	struct avic_phys_entry e = { .backing_page = 0x5000, .host_apic_id = 1, .valid = true };
	u64 raw = 0x1234;

	e.backing_page = 0x5800;                /* not 4 KiB aligned */
	CHECK(!avic_phys_entry_encode(&e, &raw));
	e.backing_page = 1ULL << 52;            /* beyond 51:12 */
	CHECK(!avic_phys_entry_encode(&e, &raw));
	e.backing_page = 0x5000;
	e.host_apic_id = 0x1000;                /* 13 bits */
	CHECK(!avic_phys_entry_encode(&e, &raw));
	CHECK_EQ(0x1234, raw);                  /* untouched */
	/* SBZ bits 61:52 are reported, the fields still decoded. */
	CHECK(!avic_phys_entry_decode(0x8010000000005001ULL, &e));
	CHECK_EQ(0x5000, e.backing_page);
	CHECK(!avic_phys_entry_decode(BIT(61), &e));
}

TEST(avic_hw_phys_set_running)
{
	u64 entry = 0x8000000012345003ULL;     /* V, backing 0x12345000, last host 3 */

	CHECK(avic_phys_set_running(&entry, true, 7));
	CHECK_EQ(0xc000000012345007ULL, entry);
	/* Descheduled: IR cleared, last host ID kept, V and backing untouched. */
	CHECK(avic_phys_set_running(&entry, false, 7));
	CHECK_EQ(0x8000000012345007ULL, entry);
	CHECK(avic_phys_set_running(&entry, true, 0xfff));
	CHECK_EQ(0xc000000012345fffULL, entry);
	CHECK(avic_phys_set_running(&entry, true, 0x12));
	CHECK_EQ(0xc000000012345012ULL, entry); /* old ID bits cleared, not ORed */
	CHECK(!avic_phys_set_running(&entry, false, 0x1000));
	CHECK_EQ(0xc000000012345012ULL, entry);
	/* An invalid entry stays invalid: the helper never sets V. */
	entry = 0;
	CHECK(avic_phys_set_running(&entry, true, 1));
	CHECK_EQ(0x4000000000000001ULL, entry);
}

TEST(avic_hw_phys_max_index)
{
	u32 mi = 0x777;

	/*
	 * Usable IDs 0xfe, 0x1ff, 0xfff; VMRUN limits 255, 511, 4095 (APM Vol 2
	 * §15.29.4.3 "Physical Address Pointer Restrictions", §15.29.5.2: ID FFh
	 * is the broadcast).
	 */
	CHECK_EQ(0xfe, avic_phys_max_apic_id(AVIC_HW_XAVIC));
	CHECK_EQ(0x1ff, avic_phys_max_apic_id(AVIC_HW_X2AVIC));
	CHECK_EQ(0xfff, avic_phys_max_apic_id(AVIC_HW_X2AVIC_EXT));
	CHECK_EQ(255, avic_phys_vmrun_max_index(AVIC_HW_XAVIC));
	CHECK_EQ(511, avic_phys_vmrun_max_index(AVIC_HW_X2AVIC));
	CHECK_EQ(4095, avic_phys_vmrun_max_index(AVIC_HW_X2AVIC_EXT));

	CHECK(avic_phys_max_index(3, AVIC_HW_XAVIC, &mi));
	CHECK_EQ(3, mi);
	CHECK(avic_phys_max_index(0xfe, AVIC_HW_XAVIC, &mi));
	CHECK_EQ(0xfe, mi);
	CHECK(!avic_phys_max_index(0xff, AVIC_HW_XAVIC, &mi));  /* broadcast ID */
	CHECK_EQ(0xfe, mi);
	CHECK(avic_phys_max_index(0x1ff, AVIC_HW_X2AVIC, &mi));
	CHECK(!avic_phys_max_index(0x200, AVIC_HW_X2AVIC, &mi));
	CHECK(avic_phys_max_index(0x200, AVIC_HW_X2AVIC_EXT, &mi));
	CHECK(!avic_phys_max_index(0x1000, AVIC_HW_X2AVIC_EXT, &mi));

	/* §15.29.5.2: MAX_INDEX[11:9] + 1 pages. */
	CHECK_EQ(1, avic_phys_table_pages(0));
	CHECK_EQ(1, avic_phys_table_pages(0xfe));
	CHECK_EQ(1, avic_phys_table_pages(0x1ff));
	CHECK_EQ(2, avic_phys_table_pages(0x200));
	CHECK_EQ(5, avic_phys_table_pages(0x9ff));
	CHECK_EQ(8, avic_phys_table_pages(0xfff));
	CHECK_EQ(512, AVIC_PHYS_ENTRIES_PER_PAGE);
}

/* ---- 2. logical APIC ID table ---- */

TEST(avic_hw_log_entry)
{
	u8 id = 0xee;
	bool v = false;

	/* Table 15-24: V 31, 30:8 SBZ, guest physical APIC ID 7:0. */
	CHECK_EQ(0x80000000u, AVIC_LOGICAL_ID_ENTRY_VALID_MASK);
	CHECK_EQ(0x7fffff00u, AVIC_LOGICAL_ID_ENTRY_RESERVED_MASK);
	CHECK_EQ(0x80000005u, avic_log_entry_encode(5, true));
	CHECK_EQ(0x000000feu, avic_log_entry_encode(0xfe, false));
	CHECK(avic_log_entry_decode(0x80000005u, &id, &v));
	CHECK_EQ(5, id);
	CHECK(v);
	CHECK(avic_log_entry_decode(avic_log_entry_encode(0xfe, false), &id, &v));
	CHECK_EQ(0xfe, id);
	CHECK(!v);
	CHECK(!avic_log_entry_decode(0x80000105u, &id, &v));   /* SBZ bit 8 */
	CHECK_EQ(5, id);
}

TEST(avic_hw_logical_index_flat)
{
	/* Flat: logical ID 1 << i -> entry i (byte 4 * i), 8 entries. */
	CHECK_EQ(0, avic_logical_index_flat(0x01));
	CHECK_EQ(1, avic_logical_index_flat(0x02));
	CHECK_EQ(4, avic_logical_index_flat(0x10));
	CHECK_EQ(7, avic_logical_index_flat(0x80));
	CHECK_EQ(-1, avic_logical_index_flat(0x00));   /* no bit */
	CHECK_EQ(-1, avic_logical_index_flat(0x03));   /* two bits */
	CHECK_EQ(-1, avic_logical_index_flat(0xff));   /* broadcast */
	CHECK_EQ(8, AVIC_LOGICAL_FLAT_ENTRIES);
}

TEST(avic_hw_logical_index_cluster)
{
	/* Cluster: ID[7:4] = c (0..14), ID[3:0] = 1 << j -> entry 4c + j (byte 16c + 4j). */
	CHECK_EQ(0, avic_logical_index_cluster(0x01));
	CHECK_EQ(3, avic_logical_index_cluster(0x08));
	CHECK_EQ(5, avic_logical_index_cluster(0x12));
	CHECK_EQ(10, avic_logical_index_cluster(0x24));
	CHECK_EQ(59, avic_logical_index_cluster(0xe8));    /* last: byte 236 */
	CHECK_EQ(-1, avic_logical_index_cluster(0xf1));    /* cluster 15 reserved */
	CHECK_EQ(-1, avic_logical_index_cluster(0xff));    /* broadcast */
	CHECK_EQ(-1, avic_logical_index_cluster(0x13));    /* two bits */
	CHECK_EQ(-1, avic_logical_index_cluster(0x30));    /* no bit */
	CHECK_EQ(60, AVIC_LOGICAL_CLUSTER_ENTRIES);
}

TEST(avic_hw_logical_index_dfr_ldr)
{
	const u32 flat = 0xffffffffu, cluster = 0x0fffffffu;

	CHECK_EQ(2, avic_logical_index(flat, 0x04000000u));
	CHECK_EQ(7, avic_logical_index(flat, 0x80000000u));
	CHECK_EQ(-1, avic_logical_index(flat, 0x00000000u));   /* LDR 0: not entered */
	CHECK_EQ(-1, avic_logical_index(flat, 0x06000000u));
	CHECK_EQ(2, avic_logical_index(flat, 0x04ffffffu));    /* LDR 23:0 ignored */
	CHECK_EQ(10, avic_logical_index(cluster, 0x24000000u));
	CHECK_EQ(-1, avic_logical_index(cluster, 0x26000000u));
	CHECK_EQ(-1, avic_logical_index(0x5fffffffu, 0x01000000u)); /* undefined model */
	/*
	 * Aliasing: the same logical ID in flat and in cluster mode (0x01) lands
	 * on one entry, and so do two vCPUs with equal LDRs: the caller sees
	 * equal indexes and has to inhibit (KVM's LOGICAL_ID_ALIASED).
	 */
	CHECK_EQ(avic_logical_index(flat, 0x01000000u), avic_logical_index(cluster, 0x01000000u));
	/* Same ID, different meaning: 0x12 is no flat ID but cluster 1 bit 1. */
	CHECK_EQ(-1, avic_logical_index(flat, 0x12000000u));
	CHECK_EQ(5, avic_logical_index(cluster, 0x12000000u));
}

TEST(avic_hw_x2apic_logical_id)
{
	/* (ID[19:4] << 16) | (1 << ID[3:0]) */
	CHECK_EQ(0x00000001u, avic_x2apic_logical_id(0));
	CHECK_EQ(0x00008000u, avic_x2apic_logical_id(0xf));
	CHECK_EQ(0x00020020u, avic_x2apic_logical_id(0x25));
	CHECK_EQ(0xffff0002u, avic_x2apic_logical_id(0xffff1));
}

/* ---- 3. VMCB fields ---- */

TEST(avic_hw_vmcb_pointers)
{
	u64 f = 0x55;

	CHECK(avic_vmcb_apic_bar(0xfee00000ULL, &f));
	CHECK_EQ(0xfee00000ULL, f);
	CHECK(!avic_vmcb_apic_bar(0xfee00800ULL, &f));
	CHECK(!avic_vmcb_apic_bar(1ULL << 52, &f));
	CHECK_EQ(0xfee00000ULL, f);
	CHECK(avic_vmcb_backing_page(0x000ffffffffff000ULL, &f));
	CHECK_EQ(0x000ffffffffff000ULL, f);
	CHECK(!avic_vmcb_backing_page(0x1001, &f));
	CHECK(avic_vmcb_logical_table(0x7000, &f));
	CHECK_EQ(0x7000, f);
	CHECK(!avic_vmcb_logical_table(0x7000 | BIT(63), &f));
}

TEST(avic_hw_vmcb_physical_table)
{
	u64 f = 0, hpa = 0;
	u32 mi = 0;

	CHECK_EQ(0xfffULL, AVIC_PHYSICAL_MAX_INDEX_MASK);
	CHECK(avic_vmcb_physical_table(0x1234000, 0x1ff, AVIC_HW_X2AVIC, &f));
	CHECK_EQ(0x12341ffULL, f);
	CHECK(avic_vmcb_physical_table(0x1234000, 0xff, AVIC_HW_XAVIC, &f));  /* VMRUN accepts 255 */
	CHECK_EQ(0x12340ffULL, f);
	CHECK(!avic_vmcb_physical_table(0x1234000, 0x100, AVIC_HW_XAVIC, &f));
	CHECK(!avic_vmcb_physical_table(0x1234000, 0x200, AVIC_HW_X2AVIC, &f));
	CHECK(avic_vmcb_physical_table(0x1234000, 0xfff, AVIC_HW_X2AVIC_EXT, &f));
	CHECK_EQ(0x1234fffULL, f);
	CHECK(!avic_vmcb_physical_table(0x1234800, 1, AVIC_HW_XAVIC, &f));
	CHECK_EQ(0x1234fffULL, f);

	CHECK(avic_vmcb_physical_table_decode(0x12341ffULL, &hpa, &mi));
	CHECK_EQ(0x1234000, hpa);
	CHECK_EQ(0x1ff, mi);
	CHECK(!avic_vmcb_physical_table_decode(BIT(52) | 0x5000 | 3, &hpa, &mi));
	CHECK_EQ(0x5000, hpa);
	CHECK_EQ(3, mi);
}

/* ---- 4. doorbell ---- */

TEST(avic_hw_doorbell)
{
	u64 v = 0x99;

	CHECK_EQ(0xc001011bu, MSR_AMD64_SVM_AVIC_DOORBELL);
	CHECK(avic_doorbell_value(0, &v));
	CHECK_EQ(0, v);
	CHECK(avic_doorbell_value(0x25, &v));
	CHECK_EQ(0x25, v);
	CHECK(avic_doorbell_value(0xfff, &v));
	CHECK_EQ(0xfff, v);
	CHECK(!avic_doorbell_value(0x1000, &v));
	CHECK_EQ(0xfff, v);
}

/* ---- 5a. Table 15-22 ---- */

#define A AVIC_ACCEL
#define T AVIC_TRAP
#define F AVIC_FAULT

static void check_kind_at(int line, u32 off, int rd, int wr, bool extlvt)
{
	unit_check_eq((u64)rd, avic_access_kind(off, false, extlvt), "read kind", __FILE__, line);
	unit_check_eq((u64)wr, avic_access_kind(off, true, extlvt), "write kind", __FILE__, line);
}
#define check_kind(off, rd, wr) check_kind_at(__LINE__, off, rd, wr, false)

TEST(avic_hw_table_15_22)
{
	/* Values from APM Vol 2 §15.29.3.1, Table 15-22, row by row. */
	check_kind(0x020, A, T);        /* APIC ID */
	check_kind(0x030, A, F);        /* Version */
	check_kind(0x080, A, A);        /* TPR: accelerated */
	check_kind(0x090, F, F);        /* APR */
	check_kind(0x0a0, A, F);        /* PPR */
	check_kind(0x0b0, A, A);        /* EOI: edge accelerated */
	check_kind(0x0c0, A, T);        /* RRD */
	check_kind(0x0d0, A, T);        /* LDR */
	check_kind(0x0e0, A, T);        /* DFR */
	check_kind(0x0f0, A, T);        /* SVR */
	check_kind(0x100, A, F);        /* ISR0 */
	check_kind(0x170, A, F);        /* ISR7 */
	check_kind(0x1a0, A, F);        /* TMR2 */
	check_kind(0x270, A, F);        /* IRR7 */
	check_kind(0x280, A, T);        /* ESR */
	check_kind(0x300, A, A);        /* ICRL: accelerated */
	check_kind(0x310, A, A);        /* ICRH */
	check_kind(0x320, A, T);        /* LVT Timer */
	check_kind(0x370, A, T);        /* LVT Error */
	check_kind(0x380, A, T);        /* TMICT */
	check_kind(0x390, F, F);        /* TMCCT */
	check_kind(0x3e0, A, T);        /* TDCR */
	check_kind(0x3f0, A, A);        /* SELF_IPI */
	check_kind(0x400, F, F);        /* Extended APIC Feature */
	check_kind(0x410, F, F);        /* Extended APIC Control */
	check_kind(0x420, F, F);        /* SEOI */
	check_kind(0x480, F, F);        /* IER0 */
	check_kind(0x4f0, F, F);        /* IER7 */
	check_kind(0x540, F, F);        /* reserved */
	check_kind(0xff0, F, F);
	/* Extended LVT: CPUID 8000_000A EDX[27] decides. */
	check_kind(0x500, F, F);
	check_kind(0x530, F, F);
	check_kind_at(__LINE__, 0x500, A, T, true);
	check_kind_at(__LINE__, 0x530, A, T, true);
	check_kind_at(__LINE__, 0x540, F, F, true);
	/* Offsets in no row are allowed both ways. */
	check_kind(0x000, A, A);
	check_kind(0x040, A, A);
	check_kind(0x2f0, A, A);
	check_kind(0x3a0, A, A);
	check_kind(0x430, A, A);
	/* Bytes inside a register follow the register; outside the page faults. */
	check_kind(0x394, F, F);
	check_kind(0x0d8, A, T);
	check_kind(0x1000, F, F);
}

TEST(avic_hw_table_15_22_rows)
{
	size_t n, i;
	const struct avic_reg_access *t = avic_reg_access_table(&n);
	const struct avic_reg_access *r;

	CHECK_EQ(32, n);        /* Table 15-22 has 32 rows */
	for (i = 0; i < n; i++) {
		CHECK(t[i].count >= 1);
		CHECK((t[i].offset & 0xf) == 0);
		CHECK(t[i].offset + 16u * t[i].count <= 0x1000);
		if (i)
			CHECK(t[i].offset >= t[i - 1].offset + 16u * t[i - 1].count);
		/* MSR column = 0x800 + offset >> 4 wherever there is one. */
		if (t[i].x2apic_msr)
			CHECK_EQ(0x800u + (t[i].offset >> 4), t[i].x2apic_msr);
	}
	r = avic_reg_access_lookup(0x3f4);
	CHECK(r && r->offset == 0x3f0 && (r->flags & AVIC_ACC_X2APIC_ONLY));
	CHECK_STR_EQ("SELF_IPI", r->name);
	r = avic_reg_access_lookup(0x1c0);
	CHECK(r && r->offset == 0x180 && r->count == 8 && r->x2apic_msr == 0x818);
	CHECK(avic_reg_access_lookup(0x0e0)->x2apic_msr == 0);  /* DFR: xAPIC only */
	CHECK(avic_reg_access_lookup(0x050) == NULL);
	CHECK(avic_reg_access_lookup(0x1000) == NULL);
	CHECK_EQ(0x320, VAPIC_X2APIC_MSR_OFFSET(0x832));
}

/*
 * APM Vol 2 §15.29.3.1, Table 15-22, and §15.29.9.2 "AVIC Access to
 * Un-accelerated vAPIC register": the NOACCEL trap offsets are exactly ID, EOI, RRD, LDR,
 * DFR, SVR, ESR, ICR, the six LVTs, TMICT and TDCR, all writes; every other
 * NOACCEL exit is a fault.  Checked over the whole page, written out here
 * independently of the row table.
 */
TEST(avic_hw_noaccel_trap_offsets)
{
	static const u16 traps[] = {
		0x020, 0x0b0, 0x0c0, 0x0d0, 0x0e0, 0x0f0, 0x280, 0x300,
		0x320, 0x330, 0x340, 0x350, 0x360, 0x370, 0x380, 0x3e0,
	};
	u32 off;
	size_t i;

	for (off = 0; off < 0x1000; off += 16) {
		bool trap = false;

		for (i = 0; i < ARRAY_SIZE(traps); i++)
			trap |= traps[i] == off;
		if (trap)
			CHECK_EQ(AVIC_TRAP, avic_noaccel_kind(off, true, false));
		else
			CHECK(avic_noaccel_kind(off, true, false) != AVIC_TRAP);
		CHECK(avic_noaccel_kind(off, false, false) != AVIC_TRAP);
	}
	/* EOI and ICRL: accelerated normally, a trap once the exit happened. */
	CHECK_EQ(AVIC_ACCEL, avic_access_kind(0x0b0, true, false));
	CHECK_EQ(AVIC_TRAP, avic_noaccel_kind(0x0b0, true, false));
	CHECK_EQ(AVIC_ACCEL, avic_access_kind(0x300, true, false));
	CHECK_EQ(AVIC_TRAP, avic_noaccel_kind(0x300, true, false));
	/* TPR never exits: an exit there is reported as ACCEL, i.e. unexpected. */
	CHECK_EQ(AVIC_ACCEL, avic_noaccel_kind(0x080, true, false));
	/* Extended LVT write: trap with EDX[27], fault without. */
	CHECK_EQ(AVIC_TRAP, avic_noaccel_kind(0x510, true, true));
	CHECK_EQ(AVIC_FAULT, avic_noaccel_kind(0x510, true, false));
}

/*
 * A 0x402 the table cannot explain (silicon that differs from Table 15-22):
 * writes to a register whose writes can trap are emulated as traps (the
 * write already landed in the page), everything else as a fault, so the
 * guest gets an answer instead of the run stopping.
 */
TEST(avic_hw_noaccel_fallback)
{
	/* Accelerated by the table, yet exited: EOI/ICRL writes trap, the rest fault. */
	CHECK_EQ(AVIC_TRAP, avic_noaccel_kind_fallback(0x0b0, true));
	CHECK_EQ(AVIC_TRAP, avic_noaccel_kind_fallback(0x300, true));
	CHECK_EQ(AVIC_FAULT, avic_noaccel_kind_fallback(0x080, true));  /* TPR write */
	CHECK_EQ(AVIC_FAULT, avic_noaccel_kind_fallback(0x030, false)); /* Version read */
	CHECK_EQ(AVIC_FAULT, avic_noaccel_kind_fallback(0x100, false)); /* ISR read */
	/* Trap rows on a write trap, on a read fault. */
	CHECK_EQ(AVIC_TRAP, avic_noaccel_kind_fallback(0x0f0, true));   /* SVR */
	CHECK_EQ(AVIC_TRAP, avic_noaccel_kind_fallback(0x380, true));   /* TMICT */
	CHECK_EQ(AVIC_FAULT, avic_noaccel_kind_fallback(0x0f0, false));
	/* Offsets with no register at all. */
	CHECK_EQ(AVIC_FAULT, avic_noaccel_kind_fallback(0x040, true));
	CHECK_EQ(AVIC_FAULT, avic_noaccel_kind_fallback(0xff0, true));
}

/* ---- 5b. #VMEXIT 0x401 ---- */

TEST(avic_hw_incomplete_ipi_layout)
{
	struct avic_incomplete_ipi ii = { 0 };
	u64 i1 = 0, i2 = 0;

	/* EXITINFO1 = ICRH:ICRL; EXITINFO2 = ID in 63:32, index in 11:0. */
	CHECK(avic_incomplete_ipi_decode(0x03000000000040f1ULL, 0x00000001000001abULL, &ii));
	CHECK_EQ(0x000040f1, ii.icr_low);
	CHECK_EQ(0x03000000, ii.icr_high);
	CHECK_EQ(AVIC_IPI_FAILURE_TARGET_NOT_RUNNING, ii.cause);
	CHECK_EQ(1, ii.cause);
	CHECK_EQ(0x1ab, ii.index);
	CHECK_STR_EQ("IPI target not running", avic_ipi_failure_name(ii.cause));

	ii = (struct avic_incomplete_ipi){ .icr_low = 0x4823, .icr_high = 0xffffffffu,
					   .cause = 3, .index = 0xfff };
	CHECK(avic_incomplete_ipi_encode(&ii, &i1, &i2));
	CHECK_EQ(0xffffffff00004823ULL, i1);
	CHECK_EQ(0x0000000300000fffULL, i2);
}

TEST(avic_hw_incomplete_ipi_all_causes)
{
	static const char *const names[] = {
		"invalid interrupt type", "IPI target not running", "invalid IPI target",
		"invalid backing page pointer", "invalid IPI vector", "un-accelerated IPI",
	};
	static const bool has_index[] = { false, true, true, true, false, false };
	u32 c;

	CHECK_EQ(0, AVIC_IPI_FAILURE_INVALID_INT_TYPE);
	CHECK_EQ(2, AVIC_IPI_FAILURE_INVALID_TARGET);
	CHECK_EQ(3, AVIC_IPI_FAILURE_INVALID_BACKING_PAGE);
	CHECK_EQ(4, AVIC_IPI_FAILURE_INVALID_IPI_VECTOR);
	CHECK_EQ(5, AVIC_IPI_FAILURE_UNACCELERATED_IPI);
	for (c = 0; c < 6; c++) {
		struct avic_incomplete_ipi in = {
			.icr_low = 0x000c4000u | c, .icr_high = 0x12u << 24 | c,
			.cause = c, .index = has_index[c] ? 0x100u + c : 0,
		}, out;
		u64 i1, i2;

		CHECK_STR_EQ(names[c], avic_ipi_failure_name(c));
		CHECK_EQ(has_index[c], avic_ipi_failure_has_index(c));
		CHECK(avic_incomplete_ipi_encode(&in, &i1, &i2));
		CHECK_EQ((u64)c << 32 | in.index, i2);
		CHECK(avic_incomplete_ipi_decode(i1, i2, &out));
		CHECK(memcmp(&in, &out, sizeof(in)) == 0);
	}
}

TEST(avic_hw_incomplete_ipi_bad)
{
	struct avic_incomplete_ipi ii = { 0 };
	u64 i1 = 7, i2 = 7;

	/* Index bits are reserved for IDs 0, 4, 5: dropped, not passed on. */
	CHECK(avic_incomplete_ipi_decode(0, 0x0000000400000055ULL, &ii));
	CHECK_EQ(4, ii.cause);
	CHECK_EQ(0, ii.index);
	/* Reserved 31:12 and unknown IDs are reported. */
	CHECK(!avic_incomplete_ipi_decode(0, 0x0000000200001000ULL, &ii));
	CHECK_EQ(2, ii.cause);
	CHECK(!avic_incomplete_ipi_decode(0, 0x0000000600000000ULL, &ii));
	CHECK_STR_EQ("unknown", avic_ipi_failure_name(6));
	/* The encoder refuses what the hardware cannot report. */
	ii = (struct avic_incomplete_ipi){ .cause = 6 };
	CHECK(!avic_incomplete_ipi_encode(&ii, &i1, &i2));
	ii = (struct avic_incomplete_ipi){ .cause = 1, .index = 0x1000 };
	CHECK(!avic_incomplete_ipi_encode(&ii, &i1, &i2));
	CHECK_EQ(7, i1);
	CHECK_EQ(7, i2);
}

/* ---- 5c. #VMEXIT 0x402 ---- */

TEST(avic_hw_noaccel_decode)
{
	struct avic_noaccel na;

	/* Level EOI: write bit 32, offset 0xb0, EXITINFO2[7:0] = vector. */
	CHECK(avic_noaccel_decode(0x1000000b0ULL, 0x31, false, &na));
	CHECK_EQ(0x0b0, na.offset);
	CHECK(na.write);
	CHECK_EQ(0x31, na.vector);
	CHECK_EQ(AVIC_TRAP, na.kind);
	/* TMCCT read: fault. */
	CHECK(avic_noaccel_decode(0x390, 0, false, &na));
	CHECK_EQ(0x390, na.offset);
	CHECK(!na.write);
	CHECK_EQ(AVIC_FAULT, na.kind);
	/* LVT Timer write (x2AVIC offset of MSR 0x832): trap. */
	CHECK(avic_noaccel_decode(0x100000320ULL, 0xdeadbe00ULL, false, &na));
	CHECK_EQ(AVIC_TRAP, na.kind);
	CHECK_EQ(0, na.vector);         /* only bits 7:0 */
	/* APR read, Version write, IRR write: fault. */
	CHECK(avic_noaccel_decode(0x090, 0, false, &na));
	CHECK_EQ(AVIC_FAULT, na.kind);
	CHECK(avic_noaccel_decode(0x100000030ULL, 0, false, &na));
	CHECK_EQ(AVIC_FAULT, na.kind);
	CHECK(avic_noaccel_decode(0x100000210ULL, 0, false, &na));
	CHECK_EQ(AVIC_FAULT, na.kind);
	/* Reserved EXITINFO1 bits are reported; the fields still decode. */
	CHECK(!avic_noaccel_decode(0x1000000b8ULL, 0, false, &na));
	CHECK_EQ(0x0b0, na.offset);
	CHECK(!avic_noaccel_decode(0x200000080ULL, 0, false, &na));
	CHECK(!na.write);
	CHECK(!avic_noaccel_decode(0x1080, 0, false, &na));
}

TEST(avic_hw_noaccel_roundtrip)
{
	static const u16 offs[] = { 0x020, 0x0b0, 0x0d0, 0x280, 0x300, 0x390, 0x3e0, 0x530, 0xff0 };
	size_t i;
	int w;

	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		for (w = 0; w < 2; w++) {
			struct avic_noaccel in = { .offset = offs[i], .write = w, .vector = (u8)(0x20 + i) };
			struct avic_noaccel out;
			u64 i1, i2;

			CHECK(avic_noaccel_encode(&in, &i1, &i2));
			CHECK_EQ((u64)offs[i] | (w ? 0x100000000ULL : 0), i1);
			CHECK_EQ(0x20 + i, i2);
			CHECK(avic_noaccel_decode(i1, i2, true, &out));
			CHECK_EQ(in.offset, out.offset);
			CHECK_EQ(in.write, out.write);
			CHECK_EQ(in.vector, out.vector);
			CHECK_EQ(avic_noaccel_kind(offs[i], w, true), out.kind);
		}
	}
	{
		struct avic_noaccel bad = { .offset = 0xb4 };
		u64 i1 = 1, i2 = 1;

		CHECK(!avic_noaccel_encode(&bad, &i1, &i2));
		bad.offset = 0x1000;
		CHECK(!avic_noaccel_encode(&bad, &i1, &i2));
		CHECK_EQ(1, i1);
	}
}

/* ---- 6. x2AVIC MSRPM policy ---- */

/* The x2AVIC MSR policy (avic/avic_hw.c), written out MSR by MSR. */
static bool expect_read_pass(u32 m)
{
	return m == 0x802 || m == 0x803 || m == 0x808 || m == 0x80a || m == 0x80d ||
	       m == 0x80f || (m >= 0x810 && m <= 0x827) || m == 0x828 || m == 0x830 ||
	       (m >= 0x832 && m <= 0x838) || m == 0x83e;
}

static bool expect_write_pass(u32 m)
{
	return m == 0x808 || m == 0x80b || m == 0x830 || m == 0x83f;
}

TEST(avic_hw_x2_policy_table)
{
	u32 m, reads = 0, writes = 0;

	for (m = 0x7f0; m <= 0x90f; m++) {
		CHECK_EQ(expect_read_pass(m), avic_x2_msr_passthrough(m, false));
		CHECK_EQ(expect_write_pass(m), avic_x2_msr_passthrough(m, true));
		reads += avic_x2_msr_passthrough(m, false);
		writes += avic_x2_msr_passthrough(m, true);
	}
	CHECK_EQ(40, reads);
	CHECK_EQ(4, writes);
	CHECK(!avic_x2_msr_passthrough(0x839, false));   /* TMCCT */
	CHECK(!avic_x2_msr_passthrough(0x80b, false));   /* EOI read */
	CHECK(!avic_x2_msr_passthrough(0x832, true));    /* LVTT write */
}

TEST(avic_hw_x2_msrpm_apply_active)
{
	char why[128];
	u32 m;

	msrpm_init(map);
	msrpm_set(map, 0x10, false, false);     /* an unrelated pass-through survives */
	avic_x2_msrpm_apply(map, true);
	CHECK_EQ(0, avic_x2_msrpm_check(map, true, why, sizeof(why)));
	CHECK_STR_EQ("", why);
	for (m = 0x800; m <= 0x8ff; m++) {
		CHECK_EQ(!expect_read_pass(m), msrpm_intercepted(map, m, false));
		CHECK_EQ(!expect_write_pass(m), msrpm_intercepted(map, m, true));
	}
	/*
	 * Bytes of the map (APM Vol 2 §15.11 "MSR Intercepts", Table 15-8:
	 * MSR 0x800 + 4k at byte 0x200 + k,
	 * read bit 2*(m%4), write bit above it; 1 = intercept):
	 *   0x200: 0x800 II, 0x801 II, 0x802 pI, 0x803 pI         -> 10101111b
	 *   0x202: 0x808 pp, 0x809 II, 0x80a pI, 0x80b Ip         -> 01101100b
	 *   0x20e: 0x838 pI, 0x839 II, 0x83a II, 0x83b II         -> 11111110b
	 *   0x20f: 0x83c II, 0x83d II, 0x83e pI, 0x83f Ip         -> 01101111b
	 */
	CHECK_EQ(0xaf, map[0x200]);
	CHECK_EQ(0x6c, map[0x202]);
	CHECK_EQ(0xfe, map[0x20e]);
	CHECK_EQ(0x6f, map[0x20f]);
	CHECK_EQ(0xff, map[0x1ff]);             /* 0x7fc-0x7ff untouched */
	CHECK_EQ(0xff, map[0x240]);             /* 0x900-0x903 untouched */
	CHECK(!msrpm_intercepted(map, 0x10, true));
}

TEST(avic_hw_x2_msrpm_apply_inactive)
{
	char why[128];
	u32 m;

	msrpm_init(map);
	avic_x2_msrpm_apply(map, true);
	avic_x2_msrpm_apply(map, false);       /* leaving x2AVIC: CVE-2023-5090 */
	CHECK_EQ(0, avic_x2_msrpm_check(map, false, why, sizeof(why)));
	for (m = 0x800; m <= 0x8ff; m++)
		CHECK(msrpm_intercepted(map, m, false) && msrpm_intercepted(map, m, true));
	/* Against the active policy every pass-through bit differs. */
	CHECK_EQ(44, avic_x2_msrpm_check(map, true, why, sizeof(why)));
	CHECK_STR_EQ("msr 0x802 read: intercepted, policy passes through (x2avic active)", why);
	/* And an active map checked against the inactive policy. */
	avic_x2_msrpm_apply(map, true);
	CHECK_EQ(44, avic_x2_msrpm_check(map, false, NULL, 0));
}

TEST(avic_hw_x2_msrpm_flipped_bit)
{
	char why[128];

	msrpm_init(map);
	avic_x2_msrpm_apply(map, true);
	map[0x20c] &= (u8)~BIT(1);             /* 0x830 read bit 0, write bit 1: still pass */
	CHECK_EQ(0, avic_x2_msrpm_check(map, true, why, sizeof(why)));
	map[0x20c] |= (u8)BIT(5);              /* 0x832 write bit = byte 0x20c bit 5 */
	CHECK_EQ(0, avic_x2_msrpm_check(map, true, why, sizeof(why)));  /* was already 1 */
	map[0x20c] &= (u8)~BIT(5);             /* LVTT write passed through */
	CHECK_EQ(1, avic_x2_msrpm_check(map, true, why, sizeof(why)));
	CHECK_STR_EQ("msr 0x832 write: passed through, policy intercepts (x2avic active)", why);
	map[0x20c] |= (u8)BIT(5);
	map[0x20e] &= (u8)~BIT(2);             /* TMCCT read passed through */
	CHECK_EQ(1, avic_x2_msrpm_check(map, true, why, sizeof(why)));
	CHECK_STR_EQ("msr 0x839 read: passed through, policy intercepts (x2avic active)", why);
	map[0x20e] |= (u8)BIT(2);
	map[0x202] |= (u8)BIT(1);              /* TPR write intercepted */
	map[0x20f] |= (u8)BIT(7);              /* and SELF_IPI write: two diffs, first named */
	CHECK_EQ(2, avic_x2_msrpm_check(map, true, why, sizeof(why)));
	CHECK_STR_EQ("msr 0x808 write: intercepted, policy passes through (x2avic active)", why);
	/* A short buffer is truncated, never overrun. */
	CHECK_EQ(2, avic_x2_msrpm_check(map, true, why, 9));
	CHECK_STR_EQ("msr 0x80", why);
}

TEST(avic_hw_x2_policy_line)
{
	static const char want[] =
		"x2avic msrpm: read-passthrough 0x802 0x803 0x808 0x80a 0x80d 0x80f "
		"0x810-0x827 0x828 0x830 0x832-0x838 0x83e ; "
		"write-passthrough 0x808 0x80b 0x830 0x83f";
	char line[256], small[20];

	memset(line, 'x', sizeof(line));
	CHECK_EQ(sizeof(want) - 1, avic_x2_msrpm_policy_line(line, sizeof(line)));
	CHECK_STR_EQ(want, line);
	memset(small, 'x', sizeof(small));
	CHECK_EQ(sizeof(want) - 1, avic_x2_msrpm_policy_line(small, sizeof(small)));
	CHECK_STR_EQ("x2avic msrpm: read-", small);
	CHECK_EQ(sizeof(want) - 1, avic_x2_msrpm_policy_line(NULL, 0));
}
