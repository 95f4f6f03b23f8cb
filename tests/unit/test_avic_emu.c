/*
 * tests/unit/test_avic_emu.c - the software model of AVIC / x2AVIC
 * (avic/avic_emu.c).
 *
 * Behaviour under test: what the CPU does with a guest APIC access under
 * AVIC, per APM Vol 2 §15.29 "Advanced Virtual Interrupt Controller": Table
 * 15-22 for every row, read and write (§15.29.3.1 "Virtual APIC Register
 * Accesses"); the accelerated TPR write and PPR, EOI of edge and level
 * vectors (the same section, and §15.29.9.2 "AVIC Access to Un-accelerated
 * vAPIC register"); IPIs through ICR with the physical and logical APIC ID
 * tables, IsRunning and the doorbell (§15.29.5 "AVIC Memory Data
 * Structures" to §15.29.8 "New Processor Mechanisms"); EXITINFO1/2 of exits
 * 0x401 and 0x402 for each cause (§15.29.9 "AVIC Exit Codes"); x2AVIC MSR
 * accesses, the MSRPM gate and the #GP rules (§15.29.10 "x2AVIC",
 * §16.11-16.15 of chapter 16); and the
 * quirks of avic_emu_quirks=on|all (avic_emu.h: every Nth occasion, what
 * each one plays, what counts as played).  Each
 * TEST names the APM table row or rule it checks.  EXITINFO values are
 * written out as literal bits from the APM's tables 15-25 to 15-29.
 *
 * A failure means the avic-emu hypervisor mode would behave differently from
 * AVIC silicon: an IPI lost or sent to the wrong vCPU, a doorbell missing or
 * rung for the sender, an exit with the wrong cause or index (the handler
 * then emulates the wrong thing), a trap taken as a fault, or a #GP that the
 * hardware would not raise (or the reverse).
 */
#include "avic/avic_emu.h"
#include "avic/avic_hw.h"
#include "avic/vapic.h"
#include "svm/msrpm.h"
#include "svm/vmcb.h"

#include "tests/unit/unit.h"
#include "lib/string.h"

/* ---- A small VM: 8 vCPUs, guest physical APIC ID i = backing page i ---- */

#define NVCPU           8
#define HPA_BASE        0x7f000000ULL
#define HPA(i)          (HPA_BASE + (u64)(i) * PAGE_SIZE)
#define HPA_BAD         0x12340000ULL   /* no backing page there */
#define HOST(i)         (0x20u + (i))   /* host APIC ID of the core running vCPU i */
#define SELF            0               /* the accessing vCPU */

static u8 pages[NVCPU][PAGE_SIZE] __aligned(4096);
static u64 phys_table[X2AVIC_MAX_PHYSICAL_ID + 1] __aligned(4096);
static u32 log_table[AVIC_LOGICAL_TABLE_ENTRIES] __aligned(4096);
static u8 shadow_msrpm[MSRPM_SIZE];

static u32 bells[64];
static int nbells;
static int bad_page_lookups;

static struct avic_emu_ctx ctx;
static struct avic_emu_exit ex;

static u8 *test_page_of(void *opaque, u64 hpa)
{
	CHECK(opaque == &ctx);
	if (hpa >= HPA(0) && hpa < HPA(NVCPU) && !(hpa & (PAGE_SIZE - 1)))
		return pages[(hpa - HPA_BASE) / PAGE_SIZE];
	bad_page_lookups++;
	return NULL;
}

static void test_doorbell(void *opaque, u32 host_apic_id)
{
	CHECK(opaque == &ctx);
	CHECK(nbells < (int)ARRAY_SIZE(bells));
	bells[nbells++] = host_apic_id;
}

static u32 rd(int cpu, u32 off)
{
	u32 v;

	memcpy(&v, pages[cpu] + off, 4);
	return v;
}

static void wr(int cpu, u32 off, u32 v)
{
	memcpy(pages[cpu] + off, &v, 4);
}

static bool vec_test(int cpu, u32 base, u8 vec)
{
	return rd(cpu, base + (vec >> 5) * 0x10) & (1u << (vec & 31));
}

static void vec_set(int cpu, u32 base, u8 vec)
{
	wr(cpu, base + (vec >> 5) * 0x10, rd(cpu, base + (vec >> 5) * 0x10) | (1u << (vec & 31)));
}

static bool irr(int cpu, u8 vec)
{
	return vec_test(cpu, VAPIC_REG_IRR, vec);
}

/* Number of IRR bits set in a page. */
static int irr_count(int cpu)
{
	int n = 0;
	u32 i;

	for (i = 0; i < 8; i++)
		n += __builtin_popcount(rd(cpu, VAPIC_REG_IRR + i * 0x10));
	return n;
}

static void set_entry(u32 id, u64 hpa, u32 host, bool valid, bool running)
{
	struct avic_phys_entry e = {
		.backing_page = hpa, .host_apic_id = host, .valid = valid, .is_running = running,
	};

	CHECK(avic_phys_entry_encode(&e, &phys_table[id]));
}

/* vCPU i: valid, its own page, running (or not) on core HOST(i). */
static void vcpu(u32 i, bool running)
{
	set_entry(i, HPA(i), HOST(i), true, running);
}

/* A fresh VM: every vCPU valid and running, xAPIC flat logical mode, nothing logged. */
static void setup(bool x2avic)
{
	u32 i;

	memset(pages, 0, sizeof(pages));
	memset(phys_table, 0, sizeof(phys_table));
	memset(log_table, 0, sizeof(log_table));
	memset(&ex, 0xcc, sizeof(ex));
	nbells = 0;
	bad_page_lookups = 0;
	ctx = (struct avic_emu_ctx){
		.phys_table = phys_table,
		.max_phys_index = NVCPU - 1,
		.log_table = log_table,
		.x2avic = x2avic,
		.self_host_apic_id = HOST(SELF),
		.doorbell = test_doorbell,
		.opaque = &ctx,
		.page_of = test_page_of,
	};
	for (i = 0; i < NVCPU; i++) {
		vcpu(i, true);
		wr(i, VAPIC_REG_DFR, 0xffffffff);       /* flat */
	}
}

static enum avic_emu_result mmio_rd(u32 off, u32 *val)
{
	return avic_emu_mmio(&ctx, pages[SELF], SELF, off, false, val, &ex);
}

static enum avic_emu_result mmio_wr(u32 off, u32 val)
{
	return avic_emu_mmio(&ctx, pages[SELF], SELF, off, true, &val, &ex);
}

static enum avic_emu_result msr_rd(u32 msr, u64 *val)
{
	return avic_emu_msr(&ctx, pages[SELF], SELF, msr, false, val, &ex);
}

static enum avic_emu_result msr_wr(u32 msr, u64 val)
{
	return avic_emu_msr(&ctx, pages[SELF], SELF, msr, true, &val, &ex);
}

/* xAVIC IPI: ICRH (destination in 31:24), then ICRL, as a guest does. */
static enum avic_emu_result send_xapic(u32 icrl, u8 dest)
{
	CHECK_EQ(AVIC_EMU_ACCELERATED, mmio_wr(VAPIC_REG_ICR_HI, (u32)dest << 24));
	return mmio_wr(VAPIC_REG_ICR_LO, icrl);
}

static void check_0x401(u64 info1, u64 info2)
{
	CHECK_EQ(0x401, ex.code);
	CHECK_EQ(info1, ex.info1);
	CHECK_EQ(info2, ex.info2);
}

static void check_0x402(u64 info1, u64 info2)
{
	CHECK_EQ(0x402, ex.code);
	CHECK_EQ(info1, ex.info1);
	CHECK_EQ(info2, ex.info2);
}

/* ICRL fields (APM Vol 2 §16.5 "Interprocessor Interrupts (IPI)", Figure 16-18). */
#define FIXED           0x000u
#define LOWEST          0x100u
#define SMI             0x200u
#define NMI             0x400u
#define INIT            0x500u
#define STARTUP         0x600u
#define EXTINT          0x700u
#define LOGICAL         0x800u
#define LEVEL_TRIG      0x8000u
#define ASSERT          0x4000u
#define SH_SELF         0x40000u
#define SH_ALL          0x80000u
#define SH_OTHERS       0xc0000u

/* ---- Table 15-22, xAVIC (APM Vol 2 §15.29.3.1) ---- */

enum { A = AVIC_EMU_ACCELERATED, X = AVIC_EMU_EXIT };
enum { ALLOW, TRAP, FAULT, SPECIAL };

struct row {
	u32 offset;
	u8 read, write;         /* ALLOW / TRAP / FAULT; SPECIAL: own TEST */
};

/* APM Vol 2 Table 15-22 (§15.29.3.1), written out here, not taken from avic_hw. */
static const struct row table_15_22[] = {
	{ 0x020, ALLOW, TRAP },         /* APIC ID */
	{ 0x030, ALLOW, FAULT },        /* Version */
	{ 0x080, ALLOW, SPECIAL },      /* TPR: accelerated (avic_emu_tpr_*) */
	{ 0x090, FAULT, FAULT },        /* APR */
	{ 0x0a0, ALLOW, FAULT },        /* PPR */
	{ 0x0b0, ALLOW, SPECIAL },      /* EOI (avic_emu_eoi_*) */
	{ 0x0c0, ALLOW, TRAP },         /* RRD */
	{ 0x0d0, ALLOW, TRAP },         /* LDR */
	{ 0x0e0, ALLOW, TRAP },         /* DFR */
	{ 0x0f0, ALLOW, TRAP },         /* SVR */
	{ 0x100, ALLOW, FAULT }, { 0x110, ALLOW, FAULT }, { 0x120, ALLOW, FAULT },
	{ 0x130, ALLOW, FAULT }, { 0x140, ALLOW, FAULT }, { 0x150, ALLOW, FAULT },
	{ 0x160, ALLOW, FAULT }, { 0x170, ALLOW, FAULT },       /* ISR */
	{ 0x180, ALLOW, FAULT }, { 0x190, ALLOW, FAULT }, { 0x1a0, ALLOW, FAULT },
	{ 0x1b0, ALLOW, FAULT }, { 0x1c0, ALLOW, FAULT }, { 0x1d0, ALLOW, FAULT },
	{ 0x1e0, ALLOW, FAULT }, { 0x1f0, ALLOW, FAULT },       /* TMR */
	{ 0x200, ALLOW, FAULT }, { 0x210, ALLOW, FAULT }, { 0x220, ALLOW, FAULT },
	{ 0x230, ALLOW, FAULT }, { 0x240, ALLOW, FAULT }, { 0x250, ALLOW, FAULT },
	{ 0x260, ALLOW, FAULT }, { 0x270, ALLOW, FAULT },       /* IRR */
	{ 0x280, ALLOW, TRAP },         /* ESR */
	{ 0x300, ALLOW, SPECIAL },      /* ICRL: accelerated (IPI tests) */
	{ 0x310, ALLOW, ALLOW },        /* ICRH: no side effect */
	{ 0x320, ALLOW, TRAP },         /* LVT Timer */
	{ 0x330, ALLOW, TRAP },         /* LVT Thermal */
	{ 0x340, ALLOW, TRAP },         /* LVT PerfCounter */
	{ 0x350, ALLOW, TRAP },         /* LVT LINT0 */
	{ 0x360, ALLOW, TRAP },         /* LVT LINT1 */
	{ 0x370, ALLOW, TRAP },         /* LVT Error */
	{ 0x380, ALLOW, TRAP },         /* Timer Initial Count */
	{ 0x390, FAULT, FAULT },        /* Timer Current Count: not accelerated */
	{ 0x3e0, ALLOW, TRAP },         /* Timer Divide Config */
	{ 0x3f0, ALLOW, ALLOW },        /* SELF_IPI: no xAPIC register, a plain offset */
	{ 0x400, FAULT, FAULT },        /* Extended APIC Feature */
	{ 0x410, FAULT, FAULT },        /* Extended APIC Control */
	{ 0x420, FAULT, FAULT },        /* SEOI */
	{ 0x480, FAULT, FAULT }, { 0x4f0, FAULT, FAULT },       /* IER */
	{ 0x500, FAULT, FAULT }, { 0x530, FAULT, FAULT },       /* Ext LVT, EDX[27]=0 */
	{ 0x540, FAULT, FAULT }, { 0x800, FAULT, FAULT }, { 0xff0, FAULT, FAULT }, /* reserved */
	/* Notes: offsets in no row are allowed both ways, no exit. */
	{ 0x000, ALLOW, ALLOW }, { 0x010, ALLOW, ALLOW }, { 0x040, ALLOW, ALLOW },
	{ 0x070, ALLOW, ALLOW }, { 0x2f0, ALLOW, ALLOW }, { 0x3a0, ALLOW, ALLOW },
	{ 0x3d0, ALLOW, ALLOW }, { 0x430, ALLOW, ALLOW }, { 0x470, ALLOW, ALLOW },
};

/* Fills SELF's page with a value per offset so that a read shows where it came from. */
static void fill_pattern(void)
{
	u32 off;

	for (off = 0; off < PAGE_SIZE; off += 4)
		wr(SELF, off, 0x5a000000u | off);
	/* EOI/TPR/IRR side effects are not under test here: keep ISR/TMR clear. */
	for (off = VAPIC_REG_ISR; off < VAPIC_REG_IRR; off += 4)
		wr(SELF, off, 0);
}

TEST(avic_emu_table_15_22_reads)
{
	size_t i;
	u32 v;

	setup(false);
	fill_pattern();
	for (i = 0; i < ARRAY_SIZE(table_15_22); i++) {
		const struct row *r = &table_15_22[i];

		memset(&ex, 0xcc, sizeof(ex));
		v = 0xdeadbeef;
		if (r->read == ALLOW) {
			/* "allowed": the backing page's value, no exit. */
			CHECK_EQ(A, mmio_rd(r->offset, &v));
			CHECK_EQ(rd(SELF, r->offset), v);
		} else {
			/* Fault: 0x402, EXITINFO1 = offset, bit 32 clear (read), nothing read. */
			CHECK_EQ(X, mmio_rd(r->offset, &v));
			check_0x402(r->offset, 0);
			CHECK_EQ(0xdeadbeef, v);
		}
	}
}

TEST(avic_emu_table_15_22_writes)
{
	static u8 snap[PAGE_SIZE];
	size_t i;

	setup(false);
	for (i = 0; i < ARRAY_SIZE(table_15_22); i++) {
		const struct row *r = &table_15_22[i];
		u32 before;

		if (r->write == SPECIAL)
			continue;
		fill_pattern();
		memcpy(snap, pages[SELF], PAGE_SIZE);
		before = rd(SELF, r->offset);
		memset(&ex, 0xcc, sizeof(ex));
		switch (r->write) {
		case ALLOW:
			CHECK_EQ(A, mmio_wr(r->offset, 0x1234567));
			CHECK_EQ(0x1234567, rd(SELF, r->offset));
			break;
		case TRAP:
			/* Trap: the page holds the write, then 0x402 with bit 32 set. */
			CHECK_EQ(X, mmio_wr(r->offset, 0x1234567));
			check_0x402(0x100000000ULL | r->offset, 0);
			CHECK_EQ(0x1234567, rd(SELF, r->offset));
			break;
		default:
			/* Fault: 0x402 before the write, the page unchanged. */
			CHECK_EQ(X, mmio_wr(r->offset, 0x1234567));
			check_0x402(0x100000000ULL | r->offset, 0);
			CHECK_EQ(before, rd(SELF, r->offset));
			break;
		}
		/* Nothing else in the page moved (no IRR, PPR, ... side effect). */
		CHECK_EQ(0, memcmp(snap, pages[SELF], r->offset));
		CHECK_EQ(0, memcmp(snap + r->offset + 4, pages[SELF] + r->offset + 4,
				   PAGE_SIZE - r->offset - 4));
		CHECK_EQ(0, nbells);
	}
}

/* Table 15-22 rows 0x500-0x530: allowed/trap only with CPUID 8000_000A EDX[27]. */
TEST(avic_emu_extended_lvt_with_edx27)
{
	u32 v = 0;

	setup(false);
	ctx.ext_lvt = true;
	wr(SELF, 0x510, 0x10000);
	CHECK_EQ(A, mmio_rd(0x510, &v));
	CHECK_EQ(0x10000, v);
	CHECK_EQ(X, mmio_wr(0x530, 0xfe));
	check_0x402(0x100000530ULL, 0);
	CHECK_EQ(0xfe, rd(SELF, 0x530));
	/* The other extended registers stay fault (IER). */
	CHECK_EQ(X, mmio_rd(0x480, &v));
	check_0x402(0x480, 0);
}

/*
 * The model's action table agrees with avic_hw's copy of Table 15-22 (and
 * the #GP rules of APM Vol 2 §16.11 "Accessing x2APIC Register").
 */
TEST(avic_emu_action_table_matches_avic_hw)
{
	u32 off;

	bool accel, x2;

	for (off = 0; off < PAGE_SIZE; off += 16) {
		const struct avic_reg_access *hw = avic_reg_access_lookup(off);

		if (!avic_emu_reg_info(off, &accel, &x2)) {
			/* Plain offsets: no accelerated action, no x2APIC register. */
			continue;
		}
		CHECK(hw != NULL);
		/* An accelerated action only where the table lets the write through. */
		if (accel)
			CHECK_EQ(AVIC_ACCEL, avic_access_kind(off, true, false));
		/* An x2APIC register only where Table 15-22 names an MSR, and the same one. */
		if (x2) {
			CHECK(hw->x2apic_msr != 0);
			CHECK_EQ(0x800 + (off >> 4), hw->x2apic_msr + ((off - hw->offset) >> 4));
		}
	}
	/* The three xAPIC-only registers and the absent 0x831 (ICRH): rows, but no x2APIC register. */
	static const u32 xapic_only[] = { 0x0c0, 0x0e0, 0x310 };
	for (size_t i = 0; i < ARRAY_SIZE(xapic_only); i++) {
		CHECK(avic_emu_reg_info(xapic_only[i], &accel, &x2));
		CHECK(!x2);
	}
}

/* Bytes +4..+15 of a register are undefined (APM Vol 2 §15.29.3.1): no TPR action, no exit. */
TEST(avic_emu_sub_register_offset)
{
	u32 v = 0;

	setup(false);
	CHECK_EQ(A, mmio_wr(0x084, 0xff));
	CHECK_EQ(0xff, rd(SELF, 0x084));
	CHECK_EQ(0, rd(SELF, VAPIC_REG_TPR));
	/* A fault row faults at any byte, reported with offset[11:4]. */
	CHECK_EQ(X, mmio_rd(0x394, &v));
	check_0x402(0x390, 0);
	/* Not a 32-bit register access: not the model's. */
	CHECK_EQ(AVIC_EMU_INTERCEPTED, mmio_rd(0x082, &v));
}

/*
 * xAVIC is off in x2AVIC mode: the APIC GPA is plain memory (APM Vol 2
 * §15.29.10 "x2AVIC": V_APIC_BAR is not used).
 */
TEST(avic_emu_mmio_in_x2avic_mode)
{
	u32 v = 0;

	setup(true);
	CHECK_EQ(AVIC_EMU_INTERCEPTED, mmio_rd(VAPIC_REG_TPR, &v));
	CHECK_EQ(AVIC_EMU_INTERCEPTED, mmio_wr(VAPIC_REG_EOI, 0));
	CHECK_STR_EQ("intercepted", avic_emu_result_name(AVIC_EMU_INTERCEPTED));
	CHECK_STR_EQ("#GP", avic_emu_result_name(AVIC_EMU_GP));
}

/* ---- TPR / PPR (APM Vol 2 §15.29.3.1, §15.21.2 "Virtualizing APIC.TPR") ---- */

TEST(avic_emu_tpr_write_accelerated_ppr_follows)
{
	u32 v = 0;

	setup(false);
	vec_set(SELF, VAPIC_REG_ISR, 0x61);
	CHECK_EQ(A, mmio_wr(VAPIC_REG_TPR, 0x45));
	CHECK_EQ(0x45, rd(SELF, VAPIC_REG_TPR));
	/* ISR class 6 above TPR class 4: PPR = 0x60. */
	CHECK_EQ(0x60, rd(SELF, VAPIC_REG_PPR));
	CHECK_EQ(A, mmio_wr(VAPIC_REG_TPR, 0x7a));
	CHECK_EQ(0x7a, rd(SELF, VAPIC_REG_PPR));
	/* PPR reads are allowed (the page), PPR writes fault without updating it. */
	CHECK_EQ(A, mmio_rd(VAPIC_REG_PPR, &v));
	CHECK_EQ(0x7a, v);
	CHECK_EQ(X, mmio_wr(VAPIC_REG_PPR, 0));
	check_0x402(0x1000000a0ULL, 0);
	CHECK_EQ(0x7a, rd(SELF, VAPIC_REG_PPR));
}

/* ---- EOI (APM Vol 2 §15.29.3.1, §15.29.9.2 "AVIC Access to Un-accelerated vAPIC register") ---- */

TEST(avic_emu_eoi_edge_no_exit)
{
	setup(false);
	vec_set(SELF, VAPIC_REG_ISR, 0x31);
	vec_set(SELF, VAPIC_REG_ISR, 0x62);
	vec_set(SELF, VAPIC_REG_TMR, 0x31);     /* the lower one is level: irrelevant */
	wr(SELF, VAPIC_REG_PPR, 0x60);
	CHECK_EQ(A, mmio_wr(VAPIC_REG_EOI, 0));
	/* The highest ISR bit (0x62, edge) is cleared, PPR recomputed. */
	CHECK(!vec_test(SELF, VAPIC_REG_ISR, 0x62));
	CHECK(vec_test(SELF, VAPIC_REG_ISR, 0x31));
	CHECK_EQ(0x30, rd(SELF, VAPIC_REG_PPR));
}

TEST(avic_emu_eoi_level_traps_isr_left)
{
	setup(false);
	vec_set(SELF, VAPIC_REG_ISR, 0x31);
	vec_set(SELF, VAPIC_REG_ISR, 0x62);
	vec_set(SELF, VAPIC_REG_TMR, 0x62);
	wr(SELF, VAPIC_REG_PPR, 0x60);
	CHECK_EQ(X, mmio_wr(VAPIC_REG_EOI, 0));
	/* 0x402: EXITINFO1 offset 0xB0 | write (bit 32); EXITINFO2[7:0] = the vector. */
	check_0x402(0x1000000b0ULL, 0x62);
	/* Default reading (KVM's): the handler ends the vector; ISR and PPR untouched. */
	CHECK(vec_test(SELF, VAPIC_REG_ISR, 0x62));
	CHECK_EQ(0x60, rd(SELF, VAPIC_REG_PPR));
}

TEST(avic_emu_eoi_level_traps_isr_cleared_option)
{
	setup(false);
	ctx.level_eoi_clears_isr = true;
	vec_set(SELF, VAPIC_REG_ISR, 0x31);
	vec_set(SELF, VAPIC_REG_ISR, 0x62);
	vec_set(SELF, VAPIC_REG_TMR, 0x62);
	wr(SELF, VAPIC_REG_PPR, 0x60);
	CHECK_EQ(X, mmio_wr(VAPIC_REG_EOI, 0));
	check_0x402(0x1000000b0ULL, 0x62);
	CHECK(!vec_test(SELF, VAPIC_REG_ISR, 0x62));
	CHECK(vec_test(SELF, VAPIC_REG_ISR, 0x31));
	CHECK_EQ(0x30, rd(SELF, VAPIC_REG_PPR));
}

TEST(avic_emu_eoi_nothing_in_service)
{
	setup(false);
	wr(SELF, VAPIC_REG_TPR, 0x20);
	wr(SELF, VAPIC_REG_PPR, 0x20);
	CHECK_EQ(A, mmio_wr(VAPIC_REG_EOI, 0));
	CHECK_EQ(0x20, rd(SELF, VAPIC_REG_PPR));
}

/* ---- IPIs through ICRL, xAVIC (APM Vol 2 §15.29.6.1 "Interprocessor Interrupts", §15.29.9.1) ---- */

/*
 * APM Vol 2 §15.29.6.1 "Interprocessor Interrupts" step 5: Valid + IsRunning ->
 * IRR in the target's page, one doorbell to its core.
 */
TEST(avic_emu_ipi_physical_running)
{
	setup(false);
	CHECK_EQ(A, send_xapic(FIXED | 0x45, 3));
	CHECK(irr(3, 0x45));
	CHECK_EQ(1, irr_count(3));
	CHECK_EQ(0, irr_count(SELF));
	CHECK_EQ(1, nbells);
	CHECK_EQ(HOST(3), bells[0]);
	/* The write completed to the page (ICRL, ICRH). */
	CHECK_EQ(0x45, rd(SELF, VAPIC_REG_ICR_LO));
	CHECK_EQ(0x03000000, rd(SELF, VAPIC_REG_ICR_HI));
}

/* ICRL bit 12 belongs to the CPU: a sent IPI leaves it idle, even when the guest wrote it set. */
TEST(avic_emu_icr_busy_bit)
{
	setup(false);
	CHECK_EQ(A, send_xapic(FIXED | VAPIC_ICR_DS | 0x45, 3));
	CHECK(irr(3, 0x45));
	CHECK_EQ(0x45, rd(SELF, VAPIC_REG_ICR_LO));
	/* ... and an incomplete IPI (NMI: ID 0) leaves it busy, the worst case of Table 15-27. */
	CHECK_EQ(X, send_xapic(0x400 | 0x45, 3));
	CHECK_EQ(0x400 | VAPIC_ICR_DS | 0x45, rd(SELF, VAPIC_REG_ICR_LO));
}

/* The model follows the table, not its own idea of the VM: pointer and host ID from the entry. */
TEST(avic_emu_ipi_uses_table_entry)
{
	setup(false);
	set_entry(2, HPA(5), 0x7ab, true, true);
	CHECK_EQ(A, send_xapic(FIXED | 0x50, 2));
	CHECK(irr(5, 0x50));
	CHECK(!irr(2, 0x50));
	CHECK_EQ(1, nbells);
	CHECK_EQ(0x7ab, bells[0]);
}

/* APM Vol 2 §15.29.6.1 step 6, Table 15-27 ID 1: IRR is set, then exit with the target's index. */
TEST(avic_emu_ipi_target_not_running)
{
	setup(false);
	vcpu(2, false);
	CHECK_EQ(X, send_xapic(FIXED | 0x45, 2));
	/* EXITINFO1 = ICRH:ICRL; EXITINFO2 = ID 1 << 32 | index 2. */
	check_0x401(0x0200000000000045ULL, 0x100000002ULL);
	CHECK(irr(2, 0x45));
	CHECK_EQ(0, nbells);
}

/* Table 15-27 ID 2: V=0 (or beyond MAX_INDEX) on a directed IPI; nothing delivered. */
TEST(avic_emu_ipi_invalid_target)
{
	setup(false);
	set_entry(4, HPA(4), HOST(4), false, true);
	CHECK_EQ(X, send_xapic(FIXED | 0x45, 4));
	check_0x401(0x0400000000000045ULL, 0x200000004ULL);
	CHECK_EQ(0, irr_count(4));
	CHECK_EQ(0, nbells);

	memset(&ex, 0xcc, sizeof(ex));
	CHECK_EQ(X, send_xapic(FIXED | 0x46, 9));      /* MAX_INDEX is 7 */
	check_0x401(0x0900000000000046ULL, 0x200000009ULL);
}

/* Table 15-27 ID 3: the backing-page pointer of a valid entry is bad. */
TEST(avic_emu_ipi_invalid_backing_page)
{
	setup(false);
	set_entry(5, HPA_BAD, HOST(5), true, true);
	CHECK_EQ(X, send_xapic(FIXED | 0x45, 5));
	check_0x401(0x0500000000000045ULL, 0x300000005ULL);
	CHECK_EQ(1, bad_page_lookups);
	CHECK_EQ(0, nbells);

	/* SBZ bits 61:52 set next to a good pointer: the model's ID 3 too. */
	setup(false);
	phys_table[6] |= BIT(52);
	CHECK_EQ(X, send_xapic(FIXED | 0x45, 6));
	check_0x401(0x0600000000000045ULL, 0x300000006ULL);
	CHECK_EQ(0, irr_count(6));
}

/*
 * Table 15-27 ID 0 (APM Vol 2 §15.29.3.1, ICRL): only Fixed + edge is
 * accelerated; the rest exits, nothing done.
 */
TEST(avic_emu_ipi_invalid_interrupt_type)
{
	static const u32 icrl[] = {
		LOWEST | 0x45, SMI, NMI | ASSERT, INIT | ASSERT, STARTUP | ASSERT | 0x9a,
		EXTINT, 0x300 | 0x45 /* remote read */, FIXED | LEVEL_TRIG | ASSERT | 0x45,
		NMI | SH_OTHERS, INIT | ASSERT | SH_ALL,
	};
	size_t i;

	setup(false);
	for (i = 0; i < ARRAY_SIZE(icrl); i++) {
		memset(&ex, 0xcc, sizeof(ex));
		CHECK_EQ(X, send_xapic(icrl[i], 1));
		check_0x401(0x0100000000000000ULL | icrl[i], 0);
		/* Trap-like: the ICRL write is in the page, BUSY left set (the model's worst case). */
		CHECK_EQ(icrl[i] | VAPIC_ICR_DS, rd(SELF, VAPIC_REG_ICR_LO));
		CHECK_EQ(0, irr_count(1));
		CHECK_EQ(0, nbells);
	}
}

/* Table 15-27 ID 4: vector < 16. */
TEST(avic_emu_ipi_invalid_vector)
{
	setup(false);
	CHECK_EQ(X, send_xapic(FIXED | 0x0f, 1));
	check_0x401(0x010000000000000fULL, 0x400000000ULL);
	CHECK_EQ(0, irr_count(1));
	memset(&ex, 0xcc, sizeof(ex));
	CHECK_EQ(X, send_xapic(FIXED | SH_SELF | 0x02, 0));
	check_0x401(0x40002ULL, 0x400000000ULL);
	CHECK_EQ(0, irr_count(SELF));
}

/* APM Vol 2 §15.29.6.1 step 1: shorthand Self -> own IRR, no table, no doorbell. */
TEST(avic_emu_ipi_self_shorthand)
{
	setup(false);
	set_entry(SELF, 0, 0, false, false);    /* not even looked at */
	CHECK_EQ(A, send_xapic(FIXED | SH_SELF | 0x77, 0));
	CHECK(irr(SELF, 0x77));
	CHECK_EQ(1, irr_count(SELF));
	CHECK_EQ(0, nbells);
}

/* A directed IPI to the own ID goes through the table; the core does not ring itself. */
TEST(avic_emu_ipi_self_directed_no_doorbell)
{
	setup(false);
	CHECK_EQ(A, send_xapic(FIXED | 0x78, SELF));
	CHECK(irr(SELF, 0x78));
	CHECK_EQ(0, nbells);
	/* Another vCPU whose entry names this core: not rung either. */
	set_entry(1, HPA(1), HOST(SELF), true, true);
	CHECK_EQ(A, send_xapic(FIXED | 0x79, 1));
	CHECK(irr(1, 0x79));
	CHECK_EQ(0, nbells);
}

/*
 * APM Vol 2 §15.29.6.1 "Interprocessor Interrupts" steps 2, 4-6:
 * all-including-self covers every entry to MAX_INDEX, skips
 * V=0 silently, rings each running remote target once, and reports the first
 * target that is not running (ID 1, physical index).
 */
TEST(avic_emu_ipi_all_including_self)
{
	int i;

	setup(false);
	vcpu(4, false);
	vcpu(6, false);
	set_entry(5, HPA(5), HOST(5), false, true);
	CHECK_EQ(X, send_xapic(FIXED | SH_ALL | 0x81, 0));
	check_0x401(0x80081ULL, 0x100000004ULL);
	for (i = 0; i < NVCPU; i++)
		CHECK_EQ(i != 5, irr(i, 0x81));
	/* Doorbells: 1, 2, 3, 7 - not self, not 4/6 (not running), not 5 (invalid). */
	CHECK_EQ(4, nbells);
	CHECK_EQ(HOST(1), bells[0]);
	CHECK_EQ(HOST(2), bells[1]);
	CHECK_EQ(HOST(3), bells[2]);
	CHECK_EQ(HOST(7), bells[3]);
}

TEST(avic_emu_ipi_all_excluding_self)
{
	int i;

	setup(false);
	CHECK_EQ(A, send_xapic(FIXED | SH_OTHERS | 0x82, 0));
	CHECK(!irr(SELF, 0x82));
	for (i = 1; i < NVCPU; i++)
		CHECK(irr(i, 0x82));
	CHECK_EQ(NVCPU - 1, nbells);
}

/* APM Vol 2 §15.29.6.1 step 2: destination 0xFF is the xAPIC broadcast, physical or logical. */
TEST(avic_emu_ipi_broadcast_0xff)
{
	int i;

	setup(false);
	CHECK_EQ(A, send_xapic(FIXED | 0x83, 0xff));
	for (i = 0; i < NVCPU; i++)
		CHECK(irr(i, 0x83));
	CHECK_EQ(NVCPU - 1, nbells);
	/* Logical 0xFF with an empty logical table: still everyone. */
	setup(false);
	CHECK_EQ(A, send_xapic(FIXED | LOGICAL | 0x84, 0xff));
	for (i = 0; i < NVCPU; i++)
		CHECK(irr(i, 0x84));
}

/* Table 15-27 ID 3 for a broadcast: physical index; and nothing is delivered. */
TEST(avic_emu_ipi_broadcast_bad_page)
{
	int i;

	setup(false);
	set_entry(6, HPA_BAD, HOST(6), true, true);
	CHECK_EQ(X, send_xapic(FIXED | SH_OTHERS | 0x85, 0));
	check_0x401(0xc0085ULL, 0x300000006ULL);
	for (i = 0; i < NVCPU; i++)
		CHECK(!irr(i, 0x85));
	CHECK_EQ(0, nbells);
}

/* ---- Logical destinations (APM Vol 2 §15.29.5.3 "Logical APIC ID Table") ---- */

static void log_entry(u32 index, u8 phys_id, bool valid)
{
	log_table[index] = avic_log_entry_encode(phys_id, valid);
}

TEST(avic_emu_ipi_logical_flat)
{
	setup(false);
	/* Table 15-24 by hand: V = bit 31, guest physical ID in 7:0. */
	log_table[0] = 0x80000001;      /* logical 0x01 -> vCPU 1 */
	log_table[2] = 0x80000003;      /* logical 0x04 -> vCPU 3 */
	CHECK_EQ(0x80000003, avic_log_entry_encode(3, true));
	CHECK_EQ(A, send_xapic(FIXED | LOGICAL | 0x91, 0x05));
	CHECK(irr(1, 0x91));
	CHECK(irr(3, 0x91));
	CHECK(!irr(2, 0x91));
	CHECK_EQ(2, nbells);
	CHECK_EQ(HOST(1), bells[0]);
	CHECK_EQ(HOST(3), bells[1]);
	/* Destination 0 names nobody. */
	nbells = 0;
	CHECK_EQ(A, send_xapic(FIXED | LOGICAL | 0x92, 0));
	CHECK_EQ(0, nbells);
}

/*
 * Every addressed entry must be valid (APM Vol 2 §15.29.6.1 step 3): ID 2 with
 * the logical index, nothing delivered.
 */
TEST(avic_emu_ipi_logical_invalid_entry)
{
	setup(false);
	log_entry(0, 1, true);
	log_entry(1, 2, false);
	CHECK_EQ(X, send_xapic(FIXED | LOGICAL | 0x93, 0x03));
	check_0x401(0x0300000000000893ULL, 0x200000001ULL);
	CHECK_EQ(0, irr_count(1));
	CHECK_EQ(0, nbells);
	/* Valid logical entry, physical entry V=0: ID 2, still the logical index. */
	set_entry(2, HPA(2), HOST(2), false, false);
	log_entry(7, 2, true);
	CHECK_EQ(X, send_xapic(FIXED | LOGICAL | 0x94, 0x80));
	check_0x401(0x8000000000000894ULL, 0x200000007ULL);
}

/* Cluster mode (DFR[31:28] = 0): entry 4c + j (Table 15-24). */
TEST(avic_emu_ipi_logical_cluster)
{
	setup(false);
	wr(SELF, VAPIC_REG_DFR, 0x0fffffff);
	log_entry(2 * 4 + 0, 4, true);          /* cluster 2, bit 0 -> vCPU 4 */
	log_entry(2 * 4 + 3, 6, true);          /* cluster 2, bit 3 -> vCPU 6 */
	log_entry(0, 1, true);                  /* would be flat 0x01: not addressed */
	CHECK_EQ(A, send_xapic(FIXED | LOGICAL | 0xa1, 0x29));
	CHECK(irr(4, 0xa1));
	CHECK(irr(6, 0xa1));
	CHECK(!irr(1, 0xa1));
	CHECK_EQ(2, nbells);
	/* Cluster 15 is reserved (not the broadcast 0xFF): invalid target. */
	CHECK_EQ(X, send_xapic(FIXED | LOGICAL | 0xa2, 0xf2));
	check_0x401(0xf2000000000008a2ULL, 0x20000003dULL);
}

/* Table 15-27 ID 1 and ID 3 for a logical destination report the logical index. */
TEST(avic_emu_ipi_logical_exit_index)
{
	setup(false);
	wr(SELF, VAPIC_REG_DFR, 0x0fffffff);
	vcpu(5, false);
	log_entry(4 * 1 + 2, 5, true);          /* cluster 1, bit 2 -> vCPU 5 (index 6) */
	CHECK_EQ(X, send_xapic(FIXED | LOGICAL | 0xa3, 0x14));
	check_0x401(0x14000000000008a3ULL, 0x100000006ULL);
	CHECK(irr(5, 0xa3));

	set_entry(5, HPA_BAD, HOST(5), true, true);
	CHECK_EQ(X, send_xapic(FIXED | LOGICAL | 0xa4, 0x14));
	check_0x401(0x14000000000008a4ULL, 0x300000006ULL);
}

/* Two logical IDs of one vCPU (aliasing): one IRR bit, one doorbell. */
TEST(avic_emu_ipi_logical_alias_once)
{
	setup(false);
	log_entry(1, 2, true);
	log_entry(3, 2, true);
	CHECK_EQ(A, send_xapic(FIXED | LOGICAL | 0xa5, 0x0a));
	CHECK(irr(2, 0xa5));
	CHECK_EQ(1, nbells);
	CHECK_EQ(HOST(2), bells[0]);
}

/* ICRH writes are allowed and have no side effect (APM Vol 2 §15.29.3.1). */
TEST(avic_emu_icrh_no_side_effect)
{
	setup(false);
	CHECK_EQ(A, mmio_wr(VAPIC_REG_ICR_HI, 0x01000000));
	CHECK_EQ(0x01000000, rd(SELF, VAPIC_REG_ICR_HI));
	CHECK_EQ(0, irr_count(1));
	CHECK_EQ(0, nbells);
}

/* ---- x2AVIC (APM Vol 2 §15.29.10 "x2AVIC", §16.11-16.15) ---- */

/*
 * APM Vol 2 §15.29.10 "x2AVIC": one WRMSR 0x830 stores 31:0 at 0x300 and 63:32
 * at 0x310, then sends.
 */
TEST(avic_emu_x2_icr_physical)
{
	u64 v = 0;

	setup(true);
	CHECK_EQ(A, msr_wr(0x830, 0x0000000300000045ULL));
	CHECK_EQ(0x45, rd(SELF, 0x300));
	CHECK_EQ(3, rd(SELF, 0x310));
	CHECK(irr(3, 0x45));
	CHECK_EQ(1, nbells);
	CHECK_EQ(HOST(3), bells[0]);
	/* RDMSR 0x830 (passed through by the policy) reads both halves back. */
	CHECK_EQ(A, msr_rd(0x830, &v));
	CHECK_EQ(0x0000000300000045ULL, v);
}

/* APM Vol 2 §15.29.9.1, Table 15-25: EXITINFO1[63:32] is the 32-bit destination. */
TEST(avic_emu_x2_icr_exits)
{
	setup(true);
	vcpu(2, false);
	CHECK_EQ(X, msr_wr(0x830, 0x0000000200000046ULL));
	check_0x401(0x0000000200000046ULL, 0x100000002ULL);
	CHECK(irr(2, 0x46));
	/* Beyond MAX_INDEX: invalid target, physical index. */
	CHECK_EQ(X, msr_wr(0x830, 0x0000010100000047ULL));
	check_0x401(0x0000010100000047ULL, 0x200000101ULL);
	/* NMI: invalid interrupt type. */
	CHECK_EQ(X, msr_wr(0x830, 0x0000000100000400ULL));
	check_0x401(0x0000000100000400ULL, 0);
}

/*
 * x2AVIC IDs above 0xFE are ordinary; only 0xFFFFFFFF is the broadcast (APM
 * Vol 2 §16.13 "x2APIC Interrupt Command Register (ICR) Operations"; the APM
 * does not say whether entry 255 is special under x2AVIC).
 */
TEST(avic_emu_x2_ids_and_broadcast)
{
	int i;

	setup(true);
	ctx.max_phys_index = X2AVIC_MAX_PHYSICAL_ID;
	set_entry(0x1a5, HPA(5), 0x9a5, true, true);
	CHECK_EQ(A, msr_wr(0x830, 0x000001a500000048ULL));
	CHECK(irr(5, 0x48));
	CHECK_EQ(0x9a5, bells[0]);
	/* Entry 0xFF is empty: a directed IPI, ID 2 with index 0xff. */
	CHECK_EQ(X, msr_wr(0x830, 0x000000ff00000049ULL));
	check_0x401(0x000000ff00000049ULL, 0x2000000ffULL);
	/* The broadcast reaches every valid entry, including 0x1a5. */
	setup(true);
	ctx.max_phys_index = X2AVIC_MAX_PHYSICAL_ID;
	set_entry(0x1a5, HPA(5), 0x9a5, true, true);
	vcpu(5, false);
	CHECK_EQ(X, msr_wr(0x830, 0xffffffff0000004aULL));
	/* Entry 5 is not running: ID 1, index 5.  Page 5 is also entry 0x1a5's: set either way. */
	check_0x401(0xffffffff0000004aULL, 0x100000005ULL);
	for (i = 0; i < NVCPU; i++)
		CHECK(irr(i, 0x4a));
	/* Doorbells: 1-4, 6, 7 and 0x1a5's core; not self, not the stopped entry 5. */
	CHECK_EQ(NVCPU - 2 + 1, nbells);
	CHECK_EQ(0x9a5, bells[nbells - 1]);
	/* Entry 0xFF is not reserved in x2AVIC: a broadcast reaches it (xAVIC skips it). */
	setup(true);
	ctx.max_phys_index = X2AVIC_MAX_PHYSICAL_ID;
	set_entry(0xff, HPA(6), 0x9ff, true, true);
	CHECK_EQ(A, msr_wr(0x830, 0xffffffff000c004bULL & ~0xc0000ULL));
	CHECK_EQ(NVCPU, nbells);
	CHECK_EQ(0x9ff, bells[nbells - 1]);
	setup(false);
	ctx.max_phys_index = AVIC_XAVIC_VMRUN_MAX_INDEX;
	set_entry(0xff, HPA(6), 0x9ff, true, true);
	CHECK_EQ(A, send_xapic(FIXED | SH_OTHERS | 0x4c, 0));
	CHECK_EQ(NVCPU - 1, nbells);
	CHECK(bells[nbells - 1] != 0x9ff);
}

/*
 * APM Vol 2 §15.29.5.3: x2APIC logical = cluster 31:16, bitmap 15:0; target ID
 * = cluster << 4 | bit.
 */
TEST(avic_emu_x2_icr_logical)
{
	setup(true);
	ctx.max_phys_index = X2AVIC_MAX_PHYSICAL_ID;
	set_entry(0x12, HPA(2), HOST(2), true, true);
	set_entry(0x15, HPA(5), HOST(5), true, true);
	/* The logical table is not used in x2AVIC mode: a garbage table changes nothing. */
	memset(log_table, 0xff, sizeof(log_table));
	CHECK_EQ(A, msr_wr(0x830, 0x0001002400000851ULL));
	CHECK(irr(2, 0x51));
	CHECK(irr(5, 0x51));
	CHECK_EQ(2, nbells);
	/* Cluster 1, bit 3 -> ID 0x13: no entry, ID 2 with the physical index. */
	CHECK_EQ(X, msr_wr(0x830, 0x0001000800000852ULL));
	check_0x401(0x0001000800000852ULL, 0x200000013ULL);
}

/* APM Vol 2 §15.29.10 "x2AVIC": SELF_IPI 0x83F is accelerated like a self IPI. */
TEST(avic_emu_x2_self_ipi)
{
	setup(true);
	CHECK_EQ(A, msr_wr(0x83f, 0x66));
	CHECK(irr(SELF, 0x66));
	CHECK_EQ(0, nbells);
	/* Bits 63:8 are reserved: #GP, nothing set. */
	CHECK_EQ(AVIC_EMU_GP, msr_wr(0x83f, 0x167));
	CHECK_EQ(AVIC_EMU_GP, msr_wr(0x83f, 0x100000067ULL));
	CHECK(!irr(SELF, 0x67));
	/* Vector < 16: the ICR's ID 4 (the model's choice, UNVERIFIED). */
	CHECK_EQ(X, msr_wr(0x83f, 0x05));
	check_0x401(0x40005ULL, 0x400000000ULL);
	CHECK_EQ(1, irr_count(SELF));
}

/* APM Vol 2 Table 15-22, §16.11.3: TPR 0x808 accelerated; bits 63:8 reserved -> #GP. */
TEST(avic_emu_x2_tpr)
{
	u64 v = 0;

	setup(true);
	vec_set(SELF, VAPIC_REG_ISR, 0x52);
	CHECK_EQ(A, msr_wr(0x808, 0x30));
	CHECK_EQ(0x30, rd(SELF, VAPIC_REG_TPR));
	CHECK_EQ(0x50, rd(SELF, VAPIC_REG_PPR));
	CHECK_EQ(AVIC_EMU_GP, msr_wr(0x808, 0x130));
	CHECK_EQ(AVIC_EMU_GP, msr_wr(0x808, 0x1000000030ULL));
	CHECK_EQ(0x30, rd(SELF, VAPIC_REG_TPR));
	CHECK_EQ(A, msr_rd(0x808, &v));
	CHECK_EQ(0x30, v);
}

/*
 * APM Vol 2 Table 15-22, Table 16-6: EOI 0x80B: only 0 may be written; edge
 * accelerated, level traps.
 */
TEST(avic_emu_x2_eoi)
{
	setup(true);
	vec_set(SELF, VAPIC_REG_ISR, 0x40);
	vec_set(SELF, VAPIC_REG_ISR, 0x90);
	vec_set(SELF, VAPIC_REG_TMR, 0x90);
	CHECK_EQ(AVIC_EMU_GP, msr_wr(0x80b, 1));
	CHECK(vec_test(SELF, VAPIC_REG_ISR, 0x90));
	CHECK_EQ(X, msr_wr(0x80b, 0));
	/* x2AVIC reports the MMIO-equivalent offset (0x80B - 0x800) << 4 = 0xB0. */
	check_0x402(0x1000000b0ULL, 0x90);
	/* The handler ends 0x90; the next EOI ends the edge vector 0x40. */
	wr(SELF, VAPIC_REG_ISR + 0x40, 0);
	CHECK_EQ(A, msr_wr(0x80b, 0));
	CHECK(!vec_test(SELF, VAPIC_REG_ISR, 0x40));
}

/*
 * APM Vol 2 §16.13: x2APIC ICR reserved bits and reserved message types are
 * #GP; nothing stored or sent.
 */
TEST(avic_emu_x2_icr_gp)
{
	static const u64 bad[] = {
		0x0000000100100045ULL,  /* bit 20 */
		0x0000000180000045ULL,  /* bit 31 */
		0x0000000100010045ULL,  /* bit 16 (remote read status) */
		0x0000000100002045ULL,  /* bit 13 */
		0x0000000100001045ULL,  /* bit 12 (BUSY, MBZ on AMD) */
		0x0000000100000145ULL,  /* lowest priority */
		0x0000000100000345ULL,  /* remote read */
		0x0000000100000745ULL,  /* ExtINT */
	};
	size_t i;

	setup(true);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		CHECK_EQ(AVIC_EMU_GP, msr_wr(0x830, bad[i]));
		CHECK_EQ(0, rd(SELF, 0x300));
		CHECK_EQ(0, rd(SELF, 0x310));
	}
	CHECK_EQ(0, irr_count(1));
	CHECK_EQ(0, nbells);
}

/* APM Vol 2 §15.29.10 "x2AVIC": what the x2AVIC MSRPM intercepts never reaches AVIC. */
TEST(avic_emu_x2_intercepted_by_msrpm)
{
	static const u32 rd_intercepted[] = { 0x800, 0x809, 0x80b, 0x80c, 0x80e, 0x831, 0x839, 0x83f, 0x840 };
	static const u32 wr_intercepted[] = { 0x802, 0x80d, 0x80f, 0x828, 0x832, 0x837, 0x838, 0x83e };
	u64 v = 0;
	size_t i;

	setup(true);
	for (i = 0; i < ARRAY_SIZE(rd_intercepted); i++)
		CHECK_EQ(AVIC_EMU_INTERCEPTED, msr_rd(rd_intercepted[i], &v));
	for (i = 0; i < ARRAY_SIZE(wr_intercepted); i++)
		CHECK_EQ(AVIC_EMU_INTERCEPTED, msr_wr(wr_intercepted[i], 0));
	/* Outside 0x800-0x8FF, and every x2APIC MSR without x2AVIC (CVE-2023-5090). */
	CHECK_EQ(AVIC_EMU_INTERCEPTED, msr_rd(0x1b, &v));
	setup(false);
	CHECK_EQ(AVIC_EMU_INTERCEPTED, msr_wr(0x830, 0x0000000100000045ULL));
	CHECK_EQ(AVIC_EMU_INTERCEPTED, msr_rd(0x808, &v));
	CHECK_EQ(0, irr_count(1));
}

/* The passed-through reads come from the backing page (ID: the full 32-bit x2APIC ID). */
TEST(avic_emu_x2_reads_from_page)
{
	static const u32 msrs[] = { 0x802, 0x803, 0x808, 0x80a, 0x80d, 0x80f, 0x810, 0x817, 0x818,
				    0x827, 0x828, 0x832, 0x837, 0x838, 0x83e };
	u64 v;
	size_t i;

	setup(true);
	for (i = 0; i < ARRAY_SIZE(msrs); i++) {
		u32 off = (msrs[i] - 0x800) << 4;

		wr(SELF, off, 0xa5000000u | msrs[i]);
		v = 0;
		CHECK_EQ(A, msr_rd(msrs[i], &v));
		CHECK_EQ(0xa5000000u | msrs[i], v);
	}
}

/*
 * APM Vol 2 §15.29.10 order with an MSRPM that passes more than the policy: the x2APIC checks
 * (#GP) come first, then Table 15-22 (trap/fault with the MMIO-equivalent
 * offset).  This is how a too-permissive MSRPM shows up, e.g. LVTT.
 */
TEST(avic_emu_x2_permissive_msrpm)
{
	u64 v = 0;

	setup(true);
	msrpm_init(shadow_msrpm);
	avic_x2_msrpm_apply(shadow_msrpm, true);
	ctx.x2avic_msrpm = shadow_msrpm;
	/* With the policy's own map, the policy's answer. */
	CHECK_EQ(AVIC_EMU_INTERCEPTED, msr_wr(0x832, 0x40));
	/* Now pass everything through. */
	memset(shadow_msrpm, 0, sizeof(shadow_msrpm));
	/* LVTT with TSC-deadline bits 18:17 = 10b: bit 18 reserved on AMD -> #GP. */
	CHECK_EQ(AVIC_EMU_GP, msr_wr(0x832, 0x40040));
	/* A valid LVTT write traps: in the page, 0x402 offset 0x320 | write. */
	CHECK_EQ(X, msr_wr(0x832, 0x20040));
	check_0x402(0x100000320ULL, 0);
	CHECK_EQ(0x20040, rd(SELF, 0x320));
	/* ID write: #GP (APM Vol 2 §16.12 wins over Table 15-22's "trap" row). */
	CHECK_EQ(AVIC_EMU_GP, msr_wr(0x802, 0));
	/* EOI read: #GP (write-only, Table 16-6), not the "allowed" of Table 15-22. */
	CHECK_EQ(AVIC_EMU_GP, msr_rd(0x80b, &v));
	/* Not x2APIC registers: RRD, DFR, ICR2, the extended space. */
	CHECK_EQ(AVIC_EMU_GP, msr_rd(0x80c, &v));
	CHECK_EQ(AVIC_EMU_GP, msr_rd(0x80e, &v));
	CHECK_EQ(AVIC_EMU_GP, msr_wr(0x831, 0));
	CHECK_EQ(AVIC_EMU_GP, msr_rd(0x850, &v));
	/* Read-only registers: #GP on write. */
	CHECK_EQ(AVIC_EMU_GP, msr_wr(0x80d, 0));
	CHECK_EQ(AVIC_EMU_GP, msr_wr(0x820, 0));
	/* ESR: non-zero #GP; zero traps. */
	CHECK_EQ(AVIC_EMU_GP, msr_wr(0x828, 1));
	CHECK_EQ(X, msr_wr(0x828, 0));
	check_0x402(0x100000280ULL, 0);
	/* TMCCT and APR reads: Table 15-22 fault rows, read (bit 32 clear). */
	CHECK_EQ(X, msr_rd(0x839, &v));
	check_0x402(0x390, 0);
	CHECK_EQ(X, msr_rd(0x809, &v));
	check_0x402(0x090, 0);
	/* SELF_IPI read: #GP (write-only). */
	CHECK_EQ(AVIC_EMU_GP, msr_rd(0x83f, &v));
}

/*
 * Exit encodings checked against avic_hw's encoders too (one format, APM Vol 2
 * §15.29.9 "AVIC Exit Codes").
 */
TEST(avic_emu_exit_encoding_agrees_with_avic_hw)
{
	struct avic_incomplete_ipi ipi;
	struct avic_noaccel na;

	setup(false);
	vcpu(3, false);
	CHECK_EQ(X, send_xapic(FIXED | 0x45, 3));
	CHECK(avic_incomplete_ipi_decode(ex.info1, ex.info2, &ipi));
	CHECK_EQ(AVIC_IPI_FAILURE_TARGET_NOT_RUNNING, ipi.cause);
	CHECK_EQ(3, ipi.index);
	CHECK_EQ(0x45, ipi.icr_low);
	CHECK_EQ(0x03000000, ipi.icr_high);

	CHECK_EQ(X, mmio_wr(VAPIC_REG_LVT_LINT0, 0x700));
	CHECK(avic_noaccel_decode(ex.info1, ex.info2, false, &na));
	CHECK_EQ(0x350, na.offset);
	CHECK(na.write);
	CHECK_EQ(AVIC_TRAP, na.kind);
}

/* The probe's expectation (hv/avic_probe.c probe_expected) is the model's own x2APIC #GP rule. */
static const u8 open_msrpm[0x2000];

TEST(avic_emu_x2_allowed_matches_the_model)
{
	CHECK(!avic_emu_x2_allowed(0x7ff, false, 0));           /* not an x2APIC MSR */
	CHECK(!avic_emu_x2_allowed(0x900, false, 0));
	CHECK(avic_emu_x2_allowed(0x802, false, 0));            /* ID: read-only */
	CHECK(!avic_emu_x2_allowed(0x802, true, 0));
	CHECK(!avic_emu_x2_allowed(0x80b, false, 0));           /* EOI: write-only, 0 only */
	CHECK(avic_emu_x2_allowed(0x80b, true, 0));
	CHECK(!avic_emu_x2_allowed(0x80b, true, 1));
	CHECK(avic_emu_x2_allowed(0x830, true, 0x40000 | 0xf0)); /* ICR: self, fixed */
	CHECK(!avic_emu_x2_allowed(0x830, true, 0x100 | 0xf0)); /* lowest priority: reserved */
	CHECK(!avic_emu_x2_allowed(0x831, false, 0));           /* no ICR high in x2APIC */
	CHECK(!avic_emu_x2_allowed(0x83f, false, 0));           /* SELF_IPI: write-only */
	CHECK(avic_emu_x2_allowed(0x83f, true, 0xf0));
	for (u32 msr = 0x800; msr <= 0x8ff; msr++) {
		u64 v = 0;
		bool w = msr & 1;
		struct avic_emu_exit e;
		enum avic_emu_result r;

		setup(true);
		vcpu(0, true);
		ctx.x2avic_msrpm = open_msrpm;  /* the probe's VM: nothing intercepted */
		r = avic_emu_msr(&ctx, pages[0], 0, msr, w, &v, &e);
		CHECK_EQ(r == AVIC_EMU_GP, !avic_emu_x2_allowed(msr, w, 0));
	}
}

/*
 * ---- Quirks (avic_emu_quirks=on|all; avic/avic_emu.h) ----
 *
 * Each quirk is played on every Nth "occasion" (a chance to play it),
 * counted per quirk in the VM's shared state, and counted as played only
 * when it changed what the model did.  A failure means a quirks run does
 * not play what it claims (the handlers' leniency then goes untested), or
 * plays something else than the quirk's description in avic_emu.h.
 */

static struct avic_emu_quirk_state qs;

/* setup() plus the quirks in `mask`, with fresh shared state. */
static void setup_quirks(bool x2avic, u32 mask)
{
	setup(x2avic);
	memset(&qs, 0, sizeof(qs));
	ctx.quirks = mask;
	ctx.qs = &qs;
}

/*
 * The periods the model chose (avic_emu.c), written out here so that a
 * change is deliberate: 1 = every occasion.  A quirk of period N plays on
 * occasions 0, N, 2N, ... of its own counter, the same in every run.
 */
TEST(avic_emu_quirk_now_periods)
{
	static const u32 period[AVIC_EMU_QUIRK_COUNT] = {
		[AVIC_EMU_Q_ICR_BUSY] = 1,      [AVIC_EMU_Q_NOT_RUNNING] = 16,
		[AVIC_EMU_Q_DOORBELL_LATE] = 32, [AVIC_EMU_Q_ISRUNNING_LATE] = 1,
		[AVIC_EMU_Q_EOI_ISR_CLEARED] = 2,
		[AVIC_EMU_Q_EXITINFO_RSVD] = 1, [AVIC_EMU_Q_UNKNOWN_CAUSE] = 16,
		[AVIC_EMU_Q_EOI_VECTOR] = 2,    [AVIC_EMU_Q_ACCEL_EXIT] = 2,
	};
	struct avic_emu_quirk_state a, b;
	unsigned q, i;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	for (q = 0; q < AVIC_EMU_QUIRK_COUNT; q++) {
		for (i = 0; i < 3 * period[q] + 1; i++) {
			bool now = avic_emu_quirk_now(&a, q);

			CHECK_EQ(i % period[q] == 0, now);
			/* Deterministic: a second VM's state gives the same sequence. */
			CHECK_EQ(now, avic_emu_quirk_now(&b, q));
		}
		CHECK_EQ(3 * period[q] + 1, a.occasions[q]);
	}
	/* Each quirk has its own counter: the loop above left the others as it found them. */
	memset(&a, 0, sizeof(a));
	for (i = 0; i < 5; i++)
		avic_emu_quirk_now(&a, AVIC_EMU_Q_UNKNOWN_CAUSE);
	CHECK_EQ(5, a.occasions[AVIC_EMU_Q_UNKNOWN_CAUSE]);
	for (q = 0; q < AVIC_EMU_QUIRK_COUNT; q++)
		if (q != AVIC_EMU_Q_UNKNOWN_CAUSE)
			CHECK_EQ(0, a.occasions[q]);
	CHECK(avic_emu_quirk_now(&a, AVIC_EMU_Q_NOT_RUNNING));
	/* No state or no such quirk: never. */
	CHECK(!avic_emu_quirk_now(NULL, AVIC_EMU_Q_ICR_BUSY));
	CHECK(!avic_emu_quirk_now(&a, AVIC_EMU_QUIRK_COUNT));
	/* Played is the caller's count: asking does not play. */
	for (q = 0; q < AVIC_EMU_QUIRK_COUNT; q++)
		CHECK_EQ(0, a.played[q]);
	CHECK_STR_EQ("icr_busy", avic_emu_quirk_name(AVIC_EMU_Q_ICR_BUSY));
	CHECK_STR_EQ("accel_exit", avic_emu_quirk_name(AVIC_EMU_Q_ACCEL_EXIT));
	CHECK_STR_EQ("unknown", avic_emu_quirk_name(AVIC_EMU_QUIRK_COUNT));
}

/* A quirk that is off neither plays nor uses up occasions, whatever the state says. */
TEST(avic_emu_quirk_off_plays_nothing)
{
	unsigned q;

	setup_quirks(false, 0);
	vec_set(SELF, VAPIC_REG_ISR, 0x62);
	vec_set(SELF, VAPIC_REG_TMR, 0x62);
	CHECK_EQ(X, mmio_wr(VAPIC_REG_EOI, 0));
	check_0x402(0x1000000b0ULL, 0x62);
	vcpu(2, false);
	CHECK_EQ(X, send_xapic(FIXED | 0x45, 2));
	check_0x401(0x0200000000000045ULL, 0x100000002ULL);
	CHECK_EQ(A, send_xapic(FIXED | 0x46, 3));
	for (q = 0; q < AVIC_EMU_QUIRK_COUNT; q++) {
		CHECK_EQ(0, qs.occasions[q]);
		CHECK_EQ(0, qs.played[q]);
	}
}

/*
 * ICR_BUSY, x2AVIC: after an incomplete IPI the page's ICR keeps bit 12
 * (reserved in x2APIC mode) and EXITINFO1 shows it; a handler that
 * re-sends that value through the x2APIC rules must clear it first
 * (issue 11 departure 2).  A completed IPI is not an occasion.
 */
TEST(avic_emu_quirk_icr_busy_x2apic)
{
	setup_quirks(true, BIT(AVIC_EMU_Q_ICR_BUSY));
	CHECK_EQ(A, msr_wr(0x830, 0x0000000300000045ULL));
	CHECK_EQ(0x45, rd(SELF, VAPIC_REG_ICR_LO));
	CHECK_EQ(0, qs.occasions[AVIC_EMU_Q_ICR_BUSY]);
	vcpu(2, false);
	CHECK_EQ(X, msr_wr(0x830, 0x0000000200000046ULL));
	/* EXITINFO1 = the ICR with BUSY; EXITINFO2 = ID 1 (not running), index 2. */
	check_0x401(0x0000000200001046ULL, 0x100000002ULL);
	CHECK_EQ(0x1046, rd(SELF, VAPIC_REG_ICR_LO));
	CHECK_EQ(2, rd(SELF, VAPIC_REG_ICR_HI));
	CHECK(irr(2, 0x46));
	CHECK_EQ(1, qs.played[AVIC_EMU_Q_ICR_BUSY]);
	/* An INIT (ID 0, nothing done) is one too, the IPI that departure 2 lost. */
	CHECK_EQ(X, msr_wr(0x830, 0x0000000100004500ULL));
	check_0x401(0x0000000100005500ULL, 0);
	CHECK_EQ(0x5500, rd(SELF, VAPIC_REG_ICR_LO));
	CHECK_EQ(2, qs.played[AVIC_EMU_Q_ICR_BUSY]);
	/* Without the quirk x2APIC mode never shows bit 12. */
	setup(true);
	vcpu(2, false);
	CHECK_EQ(X, msr_wr(0x830, 0x0000000200000046ULL));
	check_0x401(0x0000000200000046ULL, 0x100000002ULL);
	CHECK_EQ(0x46, rd(SELF, VAPIC_REG_ICR_LO));
}

/* ICR_BUSY, xAVIC: the page is busy after every 0x401 anyway; the quirk adds it to EXITINFO1. */
TEST(avic_emu_quirk_icr_busy_xapic)
{
	setup_quirks(false, BIT(AVIC_EMU_Q_ICR_BUSY));
	vcpu(2, false);
	CHECK_EQ(X, send_xapic(FIXED | 0x45, 2));
	check_0x401(0x0200000000001045ULL, 0x100000002ULL);
	CHECK_EQ(VAPIC_ICR_DS | 0x45, rd(SELF, VAPIC_REG_ICR_LO));
	CHECK_EQ(1, qs.played[AVIC_EMU_Q_ICR_BUSY]);
}

/*
 * NOT_RUNNING (period 16): on its occasions a completed IPI to a running
 * target is reported as ID 1 "not running" with that target's index; the
 * IRR bit is set and the doorbell rung all the same.  Only completed IPIs
 * that delivered something are occasions.
 */
TEST(avic_emu_quirk_not_running_for_a_running_target)
{
	int i;

	setup_quirks(false, BIT(AVIC_EMU_Q_NOT_RUNNING));
	CHECK_EQ(X, send_xapic(FIXED | 0x45, 3));
	check_0x401(0x0300000000000045ULL, 0x100000003ULL);
	CHECK(irr(3, 0x45));
	CHECK_EQ(1, nbells);
	CHECK_EQ(HOST(3), bells[0]);
	CHECK_EQ(1, qs.played[AVIC_EMU_Q_NOT_RUNNING]);
	/* The next fifteen are accelerated, the seventeenth is reported again. */
	for (i = 0; i < 15; i++)
		CHECK_EQ(A, send_xapic(FIXED | (0x50 + i), 4));
	CHECK_EQ(1, qs.played[AVIC_EMU_Q_NOT_RUNNING]);
	/* Not occasions: an invalid target, an NMI, a self IPI. */
	set_entry(6, HPA(6), HOST(6), false, true);
	CHECK_EQ(X, send_xapic(FIXED | 0x45, 6));
	CHECK_EQ(X, send_xapic(NMI, 4));
	CHECK_EQ(A, mmio_wr(VAPIC_REG_ICR_LO, SH_SELF | 0x47));
	CHECK_EQ(16, qs.occasions[AVIC_EMU_Q_NOT_RUNNING]);
	CHECK_EQ(X, send_xapic(FIXED | 0x60, 5));
	check_0x401(0x0500000000000060ULL, 0x100000005ULL);
	CHECK(irr(5, 0x60));
	CHECK_EQ(2, qs.played[AVIC_EMU_Q_NOT_RUNNING]);
	CHECK_EQ(17, qs.occasions[AVIC_EMU_Q_NOT_RUNNING]);
}

/*
 * ISRUNNING_LATE (erratum 1235's window): once a sender has seen a
 * target's IsRunning = 1, it misses the next clear once: the IPI is taken
 * as accelerated and the doorbell goes to the core the entry last named.
 * The IPI after that sees the clear (ID 1).
 */
TEST(avic_emu_quirk_isrunning_late)
{
	setup_quirks(false, BIT(AVIC_EMU_Q_ISRUNNING_LATE));
	CHECK_EQ(A, send_xapic(FIXED | 0x45, 2));
	CHECK_EQ(0, qs.played[AVIC_EMU_Q_ISRUNNING_LATE]);
	vcpu(2, false);                 /* the target blocks */
	nbells = 0;
	CHECK_EQ(A, send_xapic(FIXED | 0x46, 2));
	CHECK(irr(2, 0x46));
	CHECK_EQ(1, nbells);
	CHECK_EQ(HOST(2), bells[0]);
	CHECK_EQ(1, qs.played[AVIC_EMU_Q_ISRUNNING_LATE]);
	/* Missed once only. */
	CHECK_EQ(X, send_xapic(FIXED | 0x47, 2));
	check_0x401(0x0200000000000047ULL, 0x100000002ULL);
	CHECK_EQ(1, qs.played[AVIC_EMU_Q_ISRUNNING_LATE]);
	/* A target never seen running is not missed. */
	vcpu(4, false);
	CHECK_EQ(X, send_xapic(FIXED | 0x48, 4));
	check_0x401(0x0400000000000048ULL, 0x100000004ULL);
	CHECK_EQ(1, qs.played[AVIC_EMU_Q_ISRUNNING_LATE]);
	/* Every IsRunning read of a delivered target went through the late view. */
	CHECK_EQ(4, qs.late_lookups);
	/* Without the quirk the first IPI after the clear exits. */
	setup(false);
	CHECK_EQ(A, send_xapic(FIXED | 0x45, 2));
	vcpu(2, false);
	CHECK_EQ(X, send_xapic(FIXED | 0x46, 2));
	check_0x401(0x0200000000000046ULL, 0x100000002ULL);
}

/* EXITINFO_RSVD: 0x402 with EXITINFO1 bit 3 (of 3:0, zero per Table 15-28), 0x401 with EXITINFO2 bit 20. */
TEST(avic_emu_quirk_exitinfo_reserved)
{
	setup_quirks(false, BIT(AVIC_EMU_Q_EXITINFO_RSVD));
	CHECK_EQ(X, mmio_wr(VAPIC_REG_LVT_LINT0, 0x700));
	check_0x402(0x100000358ULL, 0);
	set_entry(4, HPA(4), HOST(4), false, true);
	CHECK_EQ(X, send_xapic(FIXED | 0x45, 4));
	check_0x401(0x0400000000000045ULL, 0x200100004ULL);
	CHECK_EQ(2, qs.played[AVIC_EMU_Q_EXITINFO_RSVD]);
	/* Accelerated accesses are not touched. */
	CHECK_EQ(A, send_xapic(FIXED | 0x46, 3));
	CHECK_EQ(2, qs.played[AVIC_EMU_Q_EXITINFO_RSVD]);
}

/*
 * UNKNOWN_CAUSE (period 16): an IPI the model would accelerate is reported
 * with cause 6, which Table 15-27 does not define, and nothing is done.
 * Self IPIs and IPIs refused before the walk are not occasions.
 */
TEST(avic_emu_quirk_unknown_cause)
{
	int i;

	setup_quirks(false, BIT(AVIC_EMU_Q_UNKNOWN_CAUSE));
	CHECK_EQ(X, send_xapic(FIXED | 0x45, 3));
	check_0x401(0x0300000000000045ULL, 0x600000000ULL);
	CHECK_EQ(0, irr_count(3));
	CHECK_EQ(0, nbells);
	CHECK_EQ(1, qs.played[AVIC_EMU_Q_UNKNOWN_CAUSE]);
	CHECK_EQ(A, mmio_wr(VAPIC_REG_ICR_LO, SH_SELF | 0x47));
	CHECK_EQ(X, send_xapic(FIXED | 0x05, 3));       /* vector < 16: ID 4 */
	check_0x401(0x0300000000000005ULL, 0x400000000ULL);
	CHECK_EQ(1, qs.occasions[AVIC_EMU_Q_UNKNOWN_CAUSE]);
	for (i = 0; i < 15; i++)
		CHECK_EQ(A, send_xapic(FIXED | 0x50, 3));
	CHECK(irr(3, 0x50));
	CHECK_EQ(X, send_xapic(FIXED | 0x51, 3));
	check_0x401(0x0300000000000051ULL, 0x600000000ULL);
	CHECK(!irr(3, 0x51));
	CHECK_EQ(2, qs.played[AVIC_EMU_Q_UNKNOWN_CAUSE]);
}

/*
 * EOI_VECTOR (period 2): a level EOI exit whose EXITINFO2 names a vector
 * that is neither the highest in-service one nor in service at all
 * (issue 11 departure 4: the handler must EOI the highest ISR vector).
 */
TEST(avic_emu_quirk_eoi_vector)
{
	setup_quirks(false, BIT(AVIC_EMU_Q_EOI_VECTOR));
	/* Highest in service 0xff (level); the model's next candidates 0x10, 0x21 are in service too. */
	vec_set(SELF, VAPIC_REG_ISR, 0xff);
	vec_set(SELF, VAPIC_REG_TMR, 0xff);
	vec_set(SELF, VAPIC_REG_ISR, 0x10);
	vec_set(SELF, VAPIC_REG_ISR, 0x21);
	CHECK_EQ(X, mmio_wr(VAPIC_REG_EOI, 0));
	CHECK_EQ(0x402, ex.code);
	CHECK_EQ(0x1000000b0ULL, ex.info1);
	CHECK(ex.info2 <= 0xff);
	CHECK(ex.info2 != 0xff);
	CHECK(!vec_test(SELF, VAPIC_REG_ISR, (u8)ex.info2));
	CHECK_EQ(1, qs.played[AVIC_EMU_Q_EOI_VECTOR]);
	/* The page is as without the quirk: ISR left for the handler. */
	CHECK(vec_test(SELF, VAPIC_REG_ISR, 0xff));
	/* The second occasion is the truth. */
	CHECK_EQ(X, mmio_wr(VAPIC_REG_EOI, 0));
	check_0x402(0x1000000b0ULL, 0xff);
	CHECK_EQ(1, qs.played[AVIC_EMU_Q_EOI_VECTOR]);
	/* An edge EOI has no exit to lie in: not an occasion. */
	setup_quirks(false, BIT(AVIC_EMU_Q_EOI_VECTOR));
	vec_set(SELF, VAPIC_REG_ISR, 0x62);
	CHECK_EQ(A, mmio_wr(VAPIC_REG_EOI, 0));
	CHECK_EQ(0, qs.occasions[AVIC_EMU_Q_EOI_VECTOR]);
}

/*
 * EOI_ISR_CLEARED (period 2): the first level EOI exit comes with the ISR
 * bit already cleared (PPR recomputed), the second with it still set; the
 * exit names the ended vector both times.  With EOI_VECTOR on too, an
 * occasion that cleared ISR is never also misnamed.
 */
TEST(avic_emu_quirk_eoi_isr_cleared)
{
	setup_quirks(false, BIT(AVIC_EMU_Q_EOI_ISR_CLEARED) | BIT(AVIC_EMU_Q_EOI_VECTOR));
	vec_set(SELF, VAPIC_REG_ISR, 0x81);
	vec_set(SELF, VAPIC_REG_TMR, 0x81);
	vec_set(SELF, VAPIC_REG_ISR, 0x40);
	CHECK_EQ(X, mmio_wr(VAPIC_REG_EOI, 0));
	check_0x402(0x1000000b0ULL, 0x81);
	CHECK(!vec_test(SELF, VAPIC_REG_ISR, 0x81));
	CHECK(vec_test(SELF, VAPIC_REG_ISR, 0x40));
	CHECK_EQ(0x40, rd(SELF, VAPIC_REG_PPR));
	CHECK_EQ(1, qs.played[AVIC_EMU_Q_EOI_ISR_CLEARED]);
	CHECK_EQ(0, qs.occasions[AVIC_EMU_Q_EOI_VECTOR]);
	/* Second occasion: ISR left set; EOI_VECTOR gets its first occasion and plays. */
	vec_set(SELF, VAPIC_REG_ISR, 0x81);
	CHECK_EQ(X, mmio_wr(VAPIC_REG_EOI, 0));
	CHECK(vec_test(SELF, VAPIC_REG_ISR, 0x81));
	CHECK_EQ(1, qs.played[AVIC_EMU_Q_EOI_ISR_CLEARED]);
	CHECK_EQ(1, qs.played[AVIC_EMU_Q_EOI_VECTOR]);
	CHECK(ex.info2 != 0x81);
	/* Edge: no exit, not an occasion. */
	setup_quirks(false, BIT(AVIC_EMU_Q_EOI_ISR_CLEARED));
	vec_set(SELF, VAPIC_REG_ISR, 0x62);
	CHECK_EQ(A, mmio_wr(VAPIC_REG_EOI, 0));
	CHECK_EQ(0, qs.occasions[AVIC_EMU_Q_EOI_ISR_CLEARED]);
}

/*
 * ACCEL_EXIT (period 2): a Version read, which Table 15-22 allows, taken
 * as a fault-like 0x402 (read: EXITINFO1 bit 32 clear), through MMIO and
 * RDMSR 0x803.  Other allowed reads are not occasions.
 */
TEST(avic_emu_quirk_accel_exit)
{
	u32 v = 0;
	u64 v64 = 0;

	setup_quirks(false, BIT(AVIC_EMU_Q_ACCEL_EXIT));
	wr(SELF, VAPIC_REG_VERSION, 0x80050010);
	CHECK_EQ(A, mmio_rd(VAPIC_REG_TPR, &v));
	CHECK_EQ(0, qs.occasions[AVIC_EMU_Q_ACCEL_EXIT]);
	CHECK_EQ(X, mmio_rd(VAPIC_REG_VERSION, &v));
	check_0x402(0x030, 0);
	CHECK_EQ(1, qs.played[AVIC_EMU_Q_ACCEL_EXIT]);
	CHECK_EQ(A, mmio_rd(VAPIC_REG_VERSION, &v));
	CHECK_EQ(0x80050010, v);
	CHECK_EQ(1, qs.played[AVIC_EMU_Q_ACCEL_EXIT]);

	setup_quirks(true, BIT(AVIC_EMU_Q_ACCEL_EXIT));
	wr(SELF, VAPIC_REG_VERSION, 0x80050010);
	CHECK_EQ(X, msr_rd(0x803, &v64));
	check_0x402(0x030, 0);
	CHECK_EQ(A, msr_rd(0x803, &v64));
	CHECK_EQ(0x80050010, v64);
	CHECK_EQ(A, msr_rd(0x808, &v64));
	CHECK_EQ(2, qs.occasions[AVIC_EMU_Q_ACCEL_EXIT]);
	CHECK_EQ(1, qs.played[AVIC_EMU_Q_ACCEL_EXIT]);
}
