/*
 * tests/unit/test_vapic.c - the software virtual local APIC (avic/vapic.c).
 *
 * Behaviour under test: APM Vol 2 Chapter 16 "Advanced Programmable Interrupt
 * Controller (APIC)": reset values (Table
 * 16-2), x2APIC MSR access rules (Table 16-6, §16.11-16.15), IRR/ISR/TMR, PPR
 * and EOI (§16.6.3-16.6.4), ESR (§16.4.6), ICR (§16.5, §16.13), destination
 * matching (§16.6.1, §16.14), IA32_APIC_BASE transitions (§16.3.1, §16.9) and
 * the timer divide/count arithmetic (§16.4.1), on a page in the AVIC backing
 * page layout (§15.29.3 "AVIC Backing Page").  A failure means a guest would see
 * an APIC that differs from the architecture (wrong #GP, lost or misrouted
 * interrupt, wrong priority).
 */
#include <string.h>
#include "avic/vapic.h"

#include "tests/unit/unit.h"

#define GP      (-VAPIC_GP)
#define BASE    VAPIC_BASE_DEFAULT
#define AE      VAPIC_BASE_AE
#define EXTD    VAPIC_BASE_EXTD
#define BSC     VAPIC_BASE_BSC
#define MAXPHY  48

static u8 page_a[PAGE_SIZE] __aligned(4096);
static u8 page_b[PAGE_SIZE] __aligned(4096);

static void setup(struct vapic *a, u8 *page, u32 id, bool bsp)
{
	memset(a, 0xcc, sizeof(*a));
	memset(page, 0xa5, PAGE_SIZE);   /* reset must clear everything */
	a->page = page;
	vapic_reset(a, id, bsp);
}

static void mmio_wr(struct vapic *a, u32 off, u32 val, struct vapic_effect *eff)
{
	CHECK_EQ(0, vapic_mmio_write(a, off, val, eff));
}

static u32 mmio_rd(struct vapic *a, u32 off)
{
	u32 v = 0xdeadbeef;

	CHECK_EQ(0, vapic_mmio_read(a, off, &v));
	return v;
}

static void sw_enable(struct vapic *a)
{
	struct vapic_effect eff;

	if (a->x2apic)
		CHECK_EQ(0, vapic_x2apic_msr_write(a, VAPIC_MSR_SVR, 0x1ff, &eff));
	else
		mmio_wr(a, VAPIC_REG_SVR, 0x1ff, &eff);
	CHECK_EQ(VAPIC_EFFECT_SVR_CHANGED, eff.kind);
}

static void to_x2apic(struct vapic *a)
{
	CHECK_EQ(0, vapic_set_apic_base(a, BASE | AE | EXTD, MAXPHY));
	CHECK(a->x2apic);
}

/* A ready, software-enabled APIC in xAPIC or x2APIC mode. */
static void setup_on(struct vapic *a, u8 *page, u32 id, bool x2)
{
	setup(a, page, id, false);
	if (x2)
		to_x2apic(a);
	sw_enable(a);
}

/* ---- reset ----------------------------------------------------------------- */

TEST(vapic_reset_values)
{
	static const struct { u32 off, val; } regs[] = {
		{ VAPIC_REG_ID, 0x03000000 },
		{ VAPIC_REG_VERSION, 0x00050010 }, /* 6 LVTs, bit 31 clear */
		{ VAPIC_REG_TPR, 0 }, { VAPIC_REG_PPR, 0 }, { VAPIC_REG_LDR, 0 },
		{ VAPIC_REG_DFR, 0xffffffff }, { VAPIC_REG_SVR, 0xff },
		{ VAPIC_REG_ESR, 0 }, { VAPIC_REG_ICR_LO, 0 }, { VAPIC_REG_ICR_HI, 0 },
		{ VAPIC_REG_LVT_TIMER, 0x10000 }, { VAPIC_REG_LVT_THERMAL, 0x10000 },
		{ VAPIC_REG_LVT_PMC, 0x10000 }, { VAPIC_REG_LVT_LINT0, 0x10000 },
		{ VAPIC_REG_LVT_LINT1, 0x10000 }, { VAPIC_REG_LVT_ERROR, 0x10000 },
		{ VAPIC_REG_TMICT, 0 }, { VAPIC_REG_TMCCT, 0 }, { VAPIC_REG_TDCR, 0 },
	};
	struct vapic a;
	unsigned i;
	u32 off;

	setup(&a, page_a, 3, true);
	for (i = 0; i < ARRAY_SIZE(regs); i++) {
		CHECK_EQ(regs[i].val, vapic_get_reg(&a, regs[i].off));
		CHECK_EQ(regs[i].val, mmio_rd(&a, regs[i].off));
	}
	for (off = VAPIC_REG_ISR; off < VAPIC_REG_IRR + 0x80; off += 0x10)
		CHECK_EQ(0, vapic_get_reg(&a, off));
	CHECK_EQ(0, vapic_get_reg(&a, 0x800 - 4));  /* the whole page is cleared */
	CHECK_EQ(BASE | AE | BSC, a.apic_base);
	CHECK(a.enabled);
	CHECK(!a.x2apic);
	CHECK(!vapic_sw_enabled(&a));
	setup(&a, page_a, 0x1f2, false);
	CHECK_EQ(BASE | AE, a.apic_base);
	CHECK_EQ(0xf2000000, vapic_get_reg(&a, VAPIC_REG_ID));
}

TEST(vapic_init_signal_keeps_mode)
{
	struct vapic a;

	setup_on(&a, page_a, 0x21, true);
	CHECK(vapic_accept(&a, 0x40, false));
	vapic_init_signal(&a);
	CHECK(a.x2apic && a.enabled);
	CHECK_EQ(0x21, vapic_get_reg(&a, VAPIC_REG_ID));
	CHECK_EQ(0x20002, vapic_get_reg(&a, VAPIC_REG_LDR));
	CHECK_EQ(0xff, vapic_get_reg(&a, VAPIC_REG_SVR));
	CHECK_EQ(-1, vapic_highest_irr(&a));
}

/* ---- x2APIC MSR access rules ------------------------------------------------ */

enum { R = 1, W = 2 };

static int x2apic_msr_access(u32 msr)
{
	if (msr >= 0x810 && msr <= 0x827)
		return R;                       /* ISR, TMR, IRR */
	if (msr >= 0x832 && msr <= 0x837)
		return R | W;                   /* LVTs */
	switch (msr) {
	case 0x802: case 0x803: case 0x809: case 0x80a: case 0x80d: case 0x839:
		return R;
	case 0x808: case 0x80f: case 0x828: case 0x830: case 0x838: case 0x83e:
		return R | W;
	case 0x80b: case 0x83f:
		return W;
	default:
		return 0;                       /* 0x80c RRD, 0x80e DFR, 0x831, 0x82f, 0x840+ ... */
	}
}

TEST(vapic_x2apic_msr_legality_table)
{
	struct vapic a;
	struct vapic_effect eff;
	u32 msr;
	u64 v;

	for (msr = 0x800; msr <= 0x8ff; msr++) {
		int acc = x2apic_msr_access(msr);

		setup_on(&a, page_a, 1, true);
		CHECK_EQ((acc & R) ? 0 : GP, vapic_x2apic_msr_read(&a, msr, &v));
		/* 0 is a legal value for every writable register. */
		CHECK_EQ((acc & W) ? 0 : GP, vapic_x2apic_msr_write(&a, msr, 0, &eff));
	}
	CHECK_EQ(GP, vapic_x2apic_msr_read(&a, 0x7ff, &v));
	CHECK_EQ(GP, vapic_x2apic_msr_write(&a, 0x900, 0, &eff));
}

TEST(vapic_x2apic_msr_gp_outside_x2apic_mode)
{
	struct vapic a;
	struct vapic_effect eff;
	u32 msr;
	u64 v;

	setup_on(&a, page_a, 1, false);
	for (msr = 0x800; msr <= 0x8ff; msr++) {
		CHECK_EQ(GP, vapic_x2apic_msr_read(&a, msr, &v));
		CHECK_EQ(GP, vapic_x2apic_msr_write(&a, msr, 0, &eff));
	}
	CHECK_EQ(0, vapic_set_apic_base(&a, BASE, MAXPHY));   /* disabled */
	CHECK_EQ(GP, vapic_x2apic_msr_read(&a, VAPIC_MSR_VERSION, &v));
	CHECK_EQ(GP, vapic_x2apic_msr_write(&a, VAPIC_MSR_TPR, 0, &eff));
}

TEST(vapic_x2apic_reserved_bits)
{
	static const struct { u32 msr; u64 val; int rc; } cases[] = {
		{ VAPIC_MSR_EOI, 1, GP },
		{ VAPIC_MSR_ESR, 1, GP },
		{ VAPIC_MSR_SELF_IPI, 0x100, GP },
		{ VAPIC_MSR_SELF_IPI, 0x30, 0 },
		{ VAPIC_MSR_TPR, 0xff, 0 },
		{ VAPIC_MSR_TPR, 0x100, GP },
		{ VAPIC_MSR_TPR, 1ULL << 32, GP },
		{ VAPIC_MSR_SVR, 0x3ff, 0 },
		{ VAPIC_MSR_SVR, 0x1000, GP },
		{ VAPIC_MSR_TDCR, 0xb, 0 },
		{ VAPIC_MSR_TDCR, 0x4, GP },
		{ VAPIC_MSR_TMICT, 0xffffffff, 0 },
		{ VAPIC_MSR_TMICT, 1ULL << 40, GP },
		{ VAPIC_MSR_LVT_TIMER, 0x300ff, 0 },
		{ VAPIC_MSR_LVT_TIMER, BIT(18), GP },    /* TSC-deadline: reserved on AMD */
		{ VAPIC_MSR_LVT_TIMER, BIT(8), GP },     /* no message type on LVTT */
		{ VAPIC_MSR_LVT_ERROR, BIT(8), GP },
		{ VAPIC_MSR_LVT_ERROR, BIT(17), GP },
		{ 0x835 /* LINT0 */, 0x1a700, 0 },      /* ExtINT, level, polarity, masked */
		{ 0x834 /* PMC */, BIT(15), GP },
		{ VAPIC_MSR_ICR, 0x0000000500004030ULL, 0 },
		{ VAPIC_MSR_ICR, BIT(12) | 0x30, GP },
		{ VAPIC_MSR_ICR, BIT(13) | 0x30, GP },
		{ VAPIC_MSR_ICR, BIT(16) | 0x30, GP },
		{ VAPIC_MSR_ICR, BIT(20) | 0x30, GP },
		{ VAPIC_MSR_ICR, (1 << 8) | 0x30, GP },  /* lowest priority */
		{ VAPIC_MSR_ICR, (3 << 8), GP },         /* remote read */
		{ VAPIC_MSR_ICR, (7 << 8), GP },         /* ExtINT */
		{ VAPIC_MSR_ICR, (4 << 8), 0 },          /* NMI */
	};
	struct vapic a;
	struct vapic_effect eff;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		setup_on(&a, page_a, 1, true);
		CHECK_EQ(cases[i].rc, vapic_x2apic_msr_write(&a, cases[i].msr, cases[i].val, &eff));
	}
}

/* ---- xAPIC MMIO rules ------------------------------------------------------- */

TEST(vapic_xapic_mmio_rules)
{
	struct vapic a;
	struct vapic_effect eff;
	u32 v;

	setup_on(&a, page_a, 2, false);
	vapic_set_reg(&a, 0x040, 0x1234);               /* an unknown offset */
	CHECK_EQ(0, mmio_rd(&a, 0x040));
	mmio_wr(&a, 0x040, 0x5678, &eff);
	CHECK_EQ(0x1234, vapic_get_reg(&a, 0x040));
	CHECK_EQ(VAPIC_EFFECT_NONE, eff.kind);
	/* Both accesses to 0x040 set IRA (APM §16.4.6); it shows after an ESR write. */
	mmio_wr(&a, VAPIC_REG_ESR, 0, &eff);
	CHECK_EQ(VAPIC_ESR_IRA, mmio_rd(&a, VAPIC_REG_ESR));
	mmio_wr(&a, VAPIC_REG_ESR, 0, &eff);
	CHECK_EQ(0, mmio_rd(&a, VAPIC_REG_ESR));
	CHECK_EQ(0, mmio_rd(&a, VAPIC_REG_ID + 4));      /* inside a register, not at its start */
	mmio_wr(&a, VAPIC_REG_ESR, 0, &eff);
	CHECK_EQ(0, mmio_rd(&a, VAPIC_REG_ESR));         /* ... is no IRA */
	CHECK_EQ(0, mmio_rd(&a, 0x400));                 /* no extended space */
	CHECK_EQ(0, mmio_rd(&a, VAPIC_REG_SELF_IPI));
	CHECK_EQ(0, mmio_rd(&a, VAPIC_REG_EOI));         /* write-only, but a register: no IRA */
	mmio_wr(&a, VAPIC_REG_ESR, 0, &eff);
	CHECK_EQ(VAPIC_ESR_IRA, mmio_rd(&a, VAPIC_REG_ESR));
	mmio_wr(&a, VAPIC_REG_VERSION, 0, &eff);        /* read-only: ignored */
	CHECK_EQ(0x00050010, mmio_rd(&a, VAPIC_REG_VERSION));
	mmio_wr(&a, VAPIC_REG_DFR, 0, &eff);
	CHECK_EQ(0x0fffffff, mmio_rd(&a, VAPIC_REG_DFR));
	CHECK_EQ(VAPIC_EFFECT_LDR_CHANGED, eff.kind);
	mmio_wr(&a, VAPIC_REG_LDR, 0x12345678, &eff);
	CHECK_EQ(0x12000000, mmio_rd(&a, VAPIC_REG_LDR));
	CHECK_EQ(VAPIC_EFFECT_LDR_CHANGED, eff.kind);
	mmio_wr(&a, VAPIC_REG_ID, 0x07ffffff, &eff);
	CHECK_EQ(0x07000000, mmio_rd(&a, VAPIC_REG_ID));
	CHECK_EQ(VAPIC_EFFECT_ID_CHANGED, eff.kind);
	mmio_wr(&a, VAPIC_REG_TDCR, 0xf, &eff);
	CHECK_EQ(0xb, mmio_rd(&a, VAPIC_REG_TDCR));
	CHECK_EQ(VAPIC_EFFECT_TIMER, eff.kind);
	mmio_wr(&a, VAPIC_REG_TPR, 0x1ff, &eff);
	CHECK_EQ(0xff, mmio_rd(&a, VAPIC_REG_TPR));
	mmio_wr(&a, VAPIC_REG_LVT_TIMER, 0xffffffff, &eff);
	CHECK_EQ(0x300ff, mmio_rd(&a, VAPIC_REG_LVT_TIMER));
	CHECK_EQ(VAPIC_EFFECT_TIMER, eff.kind);
	mmio_wr(&a, VAPIC_REG_ICR_LO, 0xffffffff & ~(7u << 8), &eff);  /* fixed, vector 0xff */
	CHECK_EQ(0, mmio_rd(&a, VAPIC_REG_ICR_LO) & (VAPIC_ICR_DS | VAPIC_ICR_RRS));
	/* Not decoded in x2APIC mode. */
	to_x2apic(&a);
	CHECK_EQ(-VAPIC_NOT_DECODED, vapic_mmio_read(&a, VAPIC_REG_VERSION, &v));
	CHECK_EQ(0, v);
	CHECK_EQ(-VAPIC_NOT_DECODED, vapic_mmio_write(&a, VAPIC_REG_TPR, 0x20, &eff));
}

TEST(vapic_sw_disabled_keeps_lvt_masked)
{
	struct vapic a;
	struct vapic_effect eff;

	setup(&a, page_a, 0, false);             /* SVR = 0xff: software-disabled */
	mmio_wr(&a, VAPIC_REG_LVT_LINT0, 0x700, &eff);
	CHECK_EQ(0x10700, mmio_rd(&a, VAPIC_REG_LVT_LINT0));
	CHECK(!vapic_accept(&a, 0x40, false));
	CHECK_EQ(-1, vapic_highest_irr(&a));
	sw_enable(&a);
	mmio_wr(&a, VAPIC_REG_LVT_LINT0, 0x700, &eff);
	CHECK_EQ(0x700, mmio_rd(&a, VAPIC_REG_LVT_LINT0));
	mmio_wr(&a, VAPIC_REG_SVR, 0xff, &eff);  /* ASE 1 -> 0 masks every LVT */
	CHECK_EQ(0x10700, mmio_rd(&a, VAPIC_REG_LVT_LINT0));
}

/* ---- IRR / ISR / EOI / PPR -------------------------------------------------- */

TEST(vapic_eoi_nothing_in_service_ignored)
{
	struct vapic a;
	struct vapic_effect eff;
	bool level = true;

	setup_on(&a, page_a, 0, false);
	CHECK(vapic_accept(&a, 0x40, true));     /* pending but not in service */
	mmio_wr(&a, VAPIC_REG_EOI, 0, &eff);
	CHECK_EQ(VAPIC_EFFECT_NONE, eff.kind);
	CHECK_EQ(0x40, vapic_highest_irr(&a));
	CHECK_EQ(-1, vapic_eoi(&a, &level));
	CHECK(!level);
	setup_on(&a, page_a, 0, true);
	CHECK_EQ(0, vapic_x2apic_msr_write(&a, VAPIC_MSR_EOI, 0, &eff));
	CHECK_EQ(VAPIC_EFFECT_NONE, eff.kind);
}

TEST(vapic_nested_isr_eoi_order)
{
	struct vapic a;
	struct vapic_effect eff;

	setup_on(&a, page_a, 0, false);
	CHECK(vapic_accept(&a, 0x31, false));
	CHECK_EQ(0x31, vapic_pending_vector(&a));
	vapic_ack(&a, 0x31);
	CHECK_EQ(0x30, vapic_get_reg(&a, VAPIC_REG_PPR));
	CHECK(vapic_accept(&a, 0x35, false));    /* same class: waits */
	CHECK_EQ(-1, vapic_pending_vector(&a));
	CHECK(vapic_accept(&a, 0x51, false));    /* higher class: nests */
	CHECK_EQ(0x51, vapic_pending_vector(&a));
	vapic_ack(&a, 0x51);
	CHECK_EQ(0x50, mmio_rd(&a, VAPIC_REG_PPR));
	CHECK_EQ(0x51, vapic_highest_isr(&a));
	mmio_wr(&a, VAPIC_REG_EOI, 0, &eff);
	CHECK_EQ(VAPIC_EFFECT_EOI, eff.kind);
	CHECK_EQ(0x51, eff.eoi_vector);
	CHECK(!eff.eoi_level);
	CHECK_EQ(0x30, mmio_rd(&a, VAPIC_REG_PPR));
	CHECK_EQ(-1, vapic_pending_vector(&a));  /* 0x35 still blocked by 0x31 */
	mmio_wr(&a, VAPIC_REG_EOI, 0, &eff);
	CHECK_EQ(0x31, eff.eoi_vector);
	CHECK_EQ(0, mmio_rd(&a, VAPIC_REG_PPR));
	CHECK_EQ(0x35, vapic_pending_vector(&a));
	CHECK_EQ(-1, vapic_highest_isr(&a));
}

/* An injection not taken (hv/lapic_inject.c's V_IRQ withdrawn): back to IRR, PPR as before. */
TEST(vapic_unack_restores_irr_and_ppr)
{
	struct vapic a;

	setup_on(&a, page_a, 0, false);
	CHECK(vapic_accept(&a, 0x31, false));
	vapic_ack(&a, 0x31);
	CHECK(vapic_accept(&a, 0x52, true));     /* level: TMR set */
	CHECK_EQ(0x52, vapic_pending_vector(&a));
	vapic_ack(&a, 0x52);
	CHECK_EQ(0x50, vapic_get_reg(&a, VAPIC_REG_PPR));
	vapic_unack(&a, 0x52);
	CHECK_EQ(0x31, vapic_highest_isr(&a));   /* the one below stays in service */
	CHECK_EQ(0x30, vapic_get_reg(&a, VAPIC_REG_PPR));
	CHECK_EQ(0x52, vapic_pending_vector(&a));
	CHECK(vapic_get_reg(&a, VAPIC_REG_TMR + 0x20) & BIT(0x52 & 31));
	/* A second request while it was in service merges with it once it is back in IRR. */
	vapic_ack(&a, 0x52);
	CHECK(vapic_accept(&a, 0x52, true));
	vapic_unack(&a, 0x52);
	CHECK_EQ(0x52, vapic_highest_irr(&a));
	vapic_ack(&a, 0x52);
	CHECK_EQ(-1, vapic_highest_irr(&a));
	vapic_unack(&a, 0x52);
	vapic_unack(&a, 0x31);
	CHECK_EQ(-1, vapic_highest_isr(&a));
	CHECK_EQ(0, vapic_get_reg(&a, VAPIC_REG_PPR));
	CHECK_EQ(0x52, vapic_pending_vector(&a));
}

TEST(vapic_eoi_reports_level_from_tmr)
{
	struct vapic a;
	struct vapic_effect eff;

	setup_on(&a, page_a, 0, true);
	CHECK(vapic_accept(&a, 0x62, true));
	CHECK(vapic_get_reg(&a, VAPIC_REG_TMR + 0x30) & BIT(2));
	vapic_ack(&a, 0x62);
	CHECK_EQ(0, vapic_x2apic_msr_write(&a, VAPIC_MSR_EOI, 0, &eff));
	CHECK_EQ(VAPIC_EFFECT_EOI, eff.kind);
	CHECK_EQ(0x62, eff.eoi_vector);
	CHECK(eff.eoi_level);
	CHECK(vapic_accept(&a, 0x62, false));    /* edge clears TMR */
	vapic_ack(&a, 0x62);
	CHECK_EQ(0, vapic_x2apic_msr_write(&a, VAPIC_MSR_EOI, 0, &eff));
	CHECK_EQ(VAPIC_EFFECT_EOI, eff.kind);
	CHECK(!eff.eoi_level);
}

TEST(vapic_ppr_table)
{
	static const struct { u32 tpr; int isr; u32 ppr; } cases[] = {
		{ 0x00, -1, 0x00 }, { 0x4a, -1, 0x4a }, { 0x00, 0x31, 0x30 },
		{ 0x3f, 0x31, 0x3f }, { 0x2f, 0x31, 0x30 }, { 0x50, 0x8f, 0x80 },
		{ 0xff, 0xfe, 0xff },
	};
	struct vapic a;
	struct vapic_effect eff;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		setup_on(&a, page_a, 0, false);
		if (cases[i].isr >= 0) {
			CHECK(vapic_accept(&a, (u8)cases[i].isr, false));
			vapic_ack(&a, (u8)cases[i].isr);
		}
		mmio_wr(&a, VAPIC_REG_TPR, cases[i].tpr, &eff);
		CHECK_EQ(cases[i].ppr, vapic_ppr(&a));
		CHECK_EQ(cases[i].ppr, mmio_rd(&a, VAPIC_REG_PPR));
	}
}

TEST(vapic_tpr_masks_pending)
{
	static const struct { u32 tpr; u8 irr; int pending; } cases[] = {
		{ 0x50, 0x45, -1 }, { 0x50, 0x5f, -1 }, { 0x5f, 0x5f, -1 },
		{ 0x50, 0x60, 0x60 }, { 0x00, 0x10, 0x10 }, { 0xf0, 0xff, -1 },
	};
	struct vapic a;
	struct vapic_effect eff;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		setup_on(&a, page_a, 0, true);
		CHECK_EQ(0, vapic_x2apic_msr_write(&a, VAPIC_MSR_TPR, cases[i].tpr, &eff));
		CHECK(vapic_accept(&a, cases[i].irr, false));
		CHECK_EQ(cases[i].pending, vapic_pending_vector(&a));
	}
	/* Lowering TPR releases it; a hardware-disabled APIC has nothing pending. */
	CHECK_EQ(0, vapic_x2apic_msr_write(&a, VAPIC_MSR_TPR, 0, &eff));
	CHECK_EQ(0xff, vapic_pending_vector(&a));
	CHECK_EQ(0xff, vapic_apr(&a) | 0xf);
}

TEST(vapic_apr)
{
	struct vapic a;
	struct vapic_effect eff;

	setup_on(&a, page_a, 0, false);
	mmio_wr(&a, VAPIC_REG_TPR, 0x4c, &eff);
	CHECK_EQ(0x4c, mmio_rd(&a, VAPIC_REG_APR));
	CHECK(vapic_accept(&a, 0x71, false));
	CHECK_EQ(0x70, mmio_rd(&a, VAPIC_REG_APR));
}

/* ---- ESR and illegal vectors ------------------------------------------------ */

TEST(vapic_illegal_vectors_set_esr)
{
	struct vapic a;
	struct vapic_effect eff;
	u8 v;

	for (v = 0; v < 16; v++) {
		setup_on(&a, page_a, 0, false);
		CHECK(!vapic_accept(&a, v, false));
		CHECK_EQ(-1, vapic_highest_irr(&a));
		CHECK_EQ(0, mmio_rd(&a, VAPIC_REG_ESR));  /* not visible before the latch */
		mmio_wr(&a, VAPIC_REG_ESR, 0, &eff);
		CHECK_EQ(VAPIC_ESR_RIV, mmio_rd(&a, VAPIC_REG_ESR));
		mmio_wr(&a, VAPIC_REG_ESR, 0, &eff);      /* latch clears the accumulator */
		CHECK_EQ(0, mmio_rd(&a, VAPIC_REG_ESR));
		/* Sending Fixed with an illegal vector: SIV, nothing sent. */
		mmio_wr(&a, VAPIC_REG_ICR_LO, v, &eff);
		CHECK_EQ(VAPIC_EFFECT_NONE, eff.kind);
		/* Lowest priority too. */
		mmio_wr(&a, VAPIC_REG_ICR_LO, (1 << 8) | v, &eff);
		CHECK_EQ(VAPIC_EFFECT_NONE, eff.kind);
		mmio_wr(&a, VAPIC_REG_ESR, 0, &eff);
		CHECK_EQ(VAPIC_ESR_SIV, mmio_rd(&a, VAPIC_REG_ESR));
	}
	/* NMI ignores the vector: sent. */
	mmio_wr(&a, VAPIC_REG_ICR_LO, 4 << 8, &eff);
	CHECK_EQ(VAPIC_EFFECT_ICR, eff.kind);
	/* x2APIC SELF_IPI with vector < 16: SIV, not in IRR. */
	setup_on(&a, page_a, 0, true);
	CHECK_EQ(0, vapic_x2apic_msr_write(&a, VAPIC_MSR_SELF_IPI, 0x0f, &eff));
	CHECK_EQ(VAPIC_EFFECT_NONE, eff.kind);
	CHECK_EQ(-1, vapic_highest_irr(&a));
	CHECK_EQ(0, vapic_x2apic_msr_write(&a, VAPIC_MSR_ESR, 0, &eff));
	CHECK_EQ(VAPIC_ESR_SIV, vapic_get_reg(&a, VAPIC_REG_ESR));
}

TEST(vapic_error_lvt_raises_interrupt)
{
	struct vapic a;
	struct vapic_effect eff;

	setup_on(&a, page_a, 0, false);
	mmio_wr(&a, VAPIC_REG_LVT_ERROR, 0xe3, &eff);
	CHECK(!vapic_accept(&a, 3, false));
	CHECK_EQ(0xe3, vapic_highest_irr(&a));
	/* An illegal error vector only adds RIV (no recursion). */
	setup_on(&a, page_a, 0, false);
	mmio_wr(&a, VAPIC_REG_LVT_ERROR, 0x05, &eff);
	mmio_wr(&a, VAPIC_REG_ICR_LO, 0x05, &eff);
	CHECK_EQ(-1, vapic_highest_irr(&a));
	mmio_wr(&a, VAPIC_REG_ESR, 0, &eff);
	CHECK_EQ(VAPIC_ESR_SIV | VAPIC_ESR_RIV, mmio_rd(&a, VAPIC_REG_ESR));
}

/* ---- ICR ------------------------------------------------------------------- */

TEST(vapic_icr_decode)
{
	static const struct {
		bool x2; u64 raw; u32 hi;
		u8 vector, mt; bool logical, assert, level; u8 sh; u32 dest;
	} cases[] = {
		{ false, 0x000040fd, 0x05000000, 0xfd, 0, false, true, false, 0, 0x05 },
		{ false, 0x00000c31, 0xff000000, 0x31, 4, true, false, false, 0, 0xff },
		{ false, 0x0000c500, 0x0a00ffff, 0x00, 5, false, true, true, 0, 0x0a },
		{ false, 0x000c0608, 0, 0x08, 6, false, false, false, 3, 0 },
		{ false, 0x00040141, 0, 0x41, 1, false, false, false, 1, 0 },
		{ true, 0x1234567800084f20ULL, 0, 0x20, 7, true, true, false, 2, 0x12345678 },
		{ true, 0xffffffff00000400ULL, 0, 0x00, 4, false, false, false, 0, 0xffffffff },
	};
	struct vapic_icr icr;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(&icr, 0xcc, sizeof(icr));
		if (cases[i].x2)
			vapic_icr_decode_x2apic(cases[i].raw, &icr);
		else
			vapic_icr_decode_xapic((u32)cases[i].raw, cases[i].hi, &icr);
		CHECK_EQ(cases[i].vector, icr.vector);
		CHECK_EQ(cases[i].mt, icr.delivery_mode);
		CHECK_EQ(cases[i].logical, icr.logical);
		CHECK_EQ(cases[i].assert, icr.level_assert);
		CHECK_EQ(cases[i].level, icr.trigger_level);
		CHECK_EQ(cases[i].sh, icr.shorthand);
		CHECK_EQ(cases[i].dest, icr.dest);
		CHECK_EQ(cases[i].x2, icr.x2apic);
	}
}

TEST(vapic_icr_write_effects)
{
	struct vapic a;
	struct vapic_effect eff;
	u64 v;

	setup_on(&a, page_a, 0, false);
	mmio_wr(&a, VAPIC_REG_ICR_HI, 0x03ffffff, &eff);  /* high alone sends nothing */
	CHECK_EQ(VAPIC_EFFECT_NONE, eff.kind);
	CHECK_EQ(0x03000000, mmio_rd(&a, VAPIC_REG_ICR_HI));
	mmio_wr(&a, VAPIC_REG_ICR_LO, 0x4041, &eff);
	CHECK_EQ(VAPIC_EFFECT_ICR, eff.kind);
	CHECK_EQ(0x41, eff.icr.vector);
	CHECK_EQ(3, eff.icr.dest);
	CHECK(!eff.icr.x2apic);
	mmio_wr(&a, VAPIC_REG_ICR_LO, 0x8500, &eff);       /* INIT level de-assert: no-op */
	CHECK_EQ(VAPIC_EFFECT_NONE, eff.kind);
	mmio_wr(&a, VAPIC_REG_ICR_LO, 0xc500, &eff);       /* INIT level assert */
	CHECK_EQ(VAPIC_EFFECT_ICR, eff.kind);
	CHECK_EQ(VAPIC_MT_INIT, eff.icr.delivery_mode);
	mmio_wr(&a, VAPIC_REG_ICR_LO, 0x0300, &eff);       /* remote read: unsupported */
	CHECK_EQ(VAPIC_EFFECT_NONE, eff.kind);
	mmio_wr(&a, VAPIC_REG_ICR_LO, 0x0608, &eff);       /* SIPI vector 8 */
	CHECK_EQ(VAPIC_EFFECT_ICR, eff.kind);
	CHECK_EQ(8, eff.icr.vector);

	to_x2apic(&a);
	CHECK_EQ(0, vapic_get_reg(&a, VAPIC_REG_ICR_HI));  /* ICR high not kept */
	CHECK_EQ(0, vapic_x2apic_msr_write(&a, VAPIC_MSR_ICR, 0x0000012300000852ULL, &eff));
	CHECK_EQ(VAPIC_EFFECT_ICR, eff.kind);
	CHECK_EQ(0x52, eff.icr.vector);
	CHECK(eff.icr.logical);
	CHECK_EQ(0x123, eff.icr.dest);
	CHECK(eff.icr.x2apic);
	CHECK_EQ(0x852, vapic_get_reg(&a, VAPIC_REG_ICR_LO));
	CHECK_EQ(0x123, vapic_get_reg(&a, VAPIC_REG_ICR_HI));
	CHECK_EQ(0, vapic_x2apic_msr_read(&a, VAPIC_MSR_ICR, &v));
	CHECK_EQ(0x0000012300000852ULL, v);
}

TEST(vapic_x2apic_self_ipi)
{
	struct vapic a;
	struct vapic_effect eff;

	setup_on(&a, page_a, 7, true);
	CHECK(vapic_accept(&a, 0x45, true));     /* TMR set by an earlier level request */
	CHECK_EQ(0, vapic_x2apic_msr_write(&a, VAPIC_MSR_SELF_IPI, 0x45, &eff));
	CHECK_EQ(VAPIC_EFFECT_SELF_IPI, eff.kind);
	CHECK_EQ(0x45, eff.self_ipi_vector);
	CHECK_EQ(0x45, vapic_highest_irr(&a));
	CHECK(!(vapic_get_reg(&a, VAPIC_REG_TMR + 0x20) & BIT(0x45 - 0x40)));
	CHECK_EQ(0, vapic_x2apic_msr_write(&a, VAPIC_MSR_SELF_IPI, 0xe1, &eff));
	CHECK_EQ(0xe1, vapic_pending_vector(&a));
}

/* ---- destination matching --------------------------------------------------- */

static struct vapic_icr icr_of(bool x2, bool logical, u8 sh, u32 dest)
{
	return (struct vapic_icr){ .vector = 0x40, .logical = logical, .shorthand = sh,
				   .dest = dest, .x2apic = x2 };
}

TEST(vapic_x2apic_ldr_derivation)
{
	static const struct { u32 id, ldr; } cases[] = {
		{ 0, 0x00000001 }, { 0xf, 0x00008000 }, { 0x11, 0x00010002 },
		{ 0x12345, 0x12340020 }, { 0xfffff, 0xffff8000 },
	};
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		CHECK_EQ(cases[i].ldr, vapic_x2apic_ldr(cases[i].id));
}

TEST(vapic_match_physical)
{
	static const struct { bool tx2; u32 id; bool ix2; u32 dest; bool match; } cases[] = {
		{ false, 5, false, 5, true },
		{ false, 5, false, 6, false },
		{ false, 5, false, 0xff, true },        /* xAPIC broadcast */
		{ true, 0x123, true, 0x123, true },
		{ true, 0x123, true, 0x23, false },
		{ true, 0x123, true, 0xffffffff, true }, /* x2APIC broadcast */
		{ true, 0x1ff, true, 0xff, false },     /* 0xFF is not a broadcast in x2APIC */
		{ true, 0xff, true, 0xff, true },
	};
	struct vapic t;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vapic_icr icr = icr_of(cases[i].ix2, false, VAPIC_DSH_NONE, cases[i].dest);

		setup_on(&t, page_a, cases[i].id, cases[i].tx2);
		CHECK_EQ(cases[i].match, vapic_match_dest(&t, &icr, 0x999));
	}
}

TEST(vapic_match_xapic_logical)
{
	static const struct { u32 dfr; u32 ldr; u32 dest; bool match; } cases[] = {
		{ 0xffffffff, 0x04000000, 0x04, true },  /* flat */
		{ 0xffffffff, 0x04000000, 0x0e, true },
		{ 0xffffffff, 0x04000000, 0xfb, false },
		{ 0xffffffff, 0x00000000, 0x7f, false },
		{ 0xffffffff, 0x04000000, 0xff, true },  /* broadcast */
		{ 0x0fffffff, 0x32000000, 0x32, true },  /* cluster 3, member bit 1 */
		{ 0x0fffffff, 0x32000000, 0x3b, true },
		{ 0x0fffffff, 0x32000000, 0x31, false },
		{ 0x0fffffff, 0x32000000, 0x22, false }, /* other cluster */
		{ 0x0fffffff, 0x32000000, 0xff, true },
		{ 0x5fffffff, 0x32000000, 0x32, false }, /* undefined model */
	};
	struct vapic t;
	struct vapic_effect eff;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vapic_icr icr = icr_of(false, true, VAPIC_DSH_NONE, cases[i].dest);

		setup_on(&t, page_a, 1, false);
		mmio_wr(&t, VAPIC_REG_DFR, cases[i].dfr, &eff);
		mmio_wr(&t, VAPIC_REG_LDR, cases[i].ldr, &eff);
		CHECK_EQ(cases[i].match, vapic_match_dest(&t, &icr, 0));
	}
}

TEST(vapic_match_x2apic_logical)
{
	static const struct { u32 id; u32 dest; bool match; } cases[] = {
		{ 0x11, 0x00010002, true },
		{ 0x11, 0x0001ffff, true },
		{ 0x11, 0x00010001, false },
		{ 0x11, 0x00020002, false },            /* other cluster */
		{ 0x11, 0xffffffff, true },             /* broadcast */
		{ 0x11, 0xffff0002, false },            /* cluster 0xFFFF is not a broadcast */
		{ 0x3, 0x00000008, true },
	};
	struct vapic t;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vapic_icr icr = icr_of(true, true, VAPIC_DSH_NONE, cases[i].dest);

		setup_on(&t, page_a, cases[i].id, true);
		CHECK_EQ(cases[i].match, vapic_match_dest(&t, &icr, 0));
	}
}

TEST(vapic_match_shorthands)
{
	static const struct { u8 sh; u32 src; bool match; } cases[] = {
		{ VAPIC_DSH_SELF, 4, true }, { VAPIC_DSH_SELF, 5, false },
		{ VAPIC_DSH_ALL_INCL_SELF, 4, true }, { VAPIC_DSH_ALL_INCL_SELF, 5, true },
		{ VAPIC_DSH_ALL_EXCL_SELF, 4, false }, { VAPIC_DSH_ALL_EXCL_SELF, 5, true },
	};
	struct vapic t, u;
	unsigned i;

	setup_on(&t, page_a, 4, false);
	setup_on(&u, page_b, 4, true);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		/* The destination field is ignored with a shorthand. */
		struct vapic_icr icr = icr_of(false, false, cases[i].sh, 9);
		struct vapic_icr icr2 = icr_of(true, true, cases[i].sh, 9);

		CHECK_EQ(cases[i].match, vapic_match_dest(&t, &icr, cases[i].src));
		CHECK_EQ(cases[i].match, vapic_match_dest(&u, &icr2, cases[i].src));
	}
}

/* ---- IA32_APIC_BASE ---------------------------------------------------------- */

enum mode { DIS, XAPIC, X2APIC };

static void put_mode(struct vapic *a, enum mode m)
{
	setup(a, page_a, 0x12, true);
	if (m == X2APIC)
		to_x2apic(a);
	else if (m == DIS)
		CHECK_EQ(0, vapic_set_apic_base(a, BASE, MAXPHY));
}

static enum mode get_mode(const struct vapic *a)
{
	return !a->enabled ? DIS : a->x2apic ? X2APIC : XAPIC;
}

TEST(vapic_apic_base_transitions)
{
	static const struct { enum mode from; u64 val; int rc; enum mode to; } cases[] = {
		{ XAPIC, BASE, 0, DIS },
		{ DIS, BASE | AE, 0, XAPIC },
		{ XAPIC, BASE | AE | EXTD, 0, X2APIC },
		{ X2APIC, BASE, 0, DIS },
		{ X2APIC, BASE | AE | EXTD, 0, X2APIC },
		{ X2APIC, BASE | AE, GP, X2APIC },              /* x2APIC -> xAPIC */
		{ DIS, BASE | AE | EXTD, GP, DIS },             /* disabled -> x2APIC */
		{ XAPIC, BASE | EXTD, GP, XAPIC },              /* EXTD=1, AE=0 */
		{ X2APIC, BASE | EXTD, GP, X2APIC },
		{ DIS, BASE | EXTD, GP, DIS },
		{ XAPIC, BASE | AE | 0x1, GP, XAPIC },          /* bits 7:0 */
		{ XAPIC, BASE | AE | BIT(9), GP, XAPIC },
		{ XAPIC, BASE | AE | BIT(48), GP, XAPIC },      /* above MAXPHYADDR */
		{ XAPIC, BIT(47) | AE, 0, XAPIC },
		{ XAPIC, BASE | AE | BIT(63), GP, XAPIC },
	};
	struct vapic a;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		u64 before;

		put_mode(&a, cases[i].from);
		before = a.apic_base;
		CHECK_EQ(cases[i].rc, vapic_set_apic_base(&a, cases[i].val, MAXPHY));
		CHECK_EQ(cases[i].to, get_mode(&a));
		/* BSC is read-only: the written 0 does not clear it. */
		CHECK_EQ(cases[i].rc ? before : (cases[i].val | BSC), a.apic_base);
	}
	/* No x2APIC in CPUID: EXTD faults. */
	put_mode(&a, XAPIC);
	a.x2apic_supported = false;
	CHECK_EQ(GP, vapic_set_apic_base(&a, BASE | AE | EXTD, MAXPHY));
	CHECK_EQ(XAPIC, get_mode(&a));
}

TEST(vapic_apic_base_state_changes)
{
	struct vapic a;
	struct vapic_effect eff;

	/* Entering x2APIC: 32-bit ID, derived LDR; other registers kept. */
	setup_on(&a, page_a, 0x12, false);
	mmio_wr(&a, VAPIC_REG_LDR, 0x80000000, &eff);
	mmio_wr(&a, VAPIC_REG_TPR, 0x20, &eff);
	mmio_wr(&a, VAPIC_REG_ID, 0x09000000, &eff);
	to_x2apic(&a);
	CHECK_EQ(0x12, vapic_get_reg(&a, VAPIC_REG_ID));
	CHECK_EQ(0x10004, vapic_get_reg(&a, VAPIC_REG_LDR));
	CHECK_EQ(0x20, vapic_get_reg(&a, VAPIC_REG_TPR));
	CHECK(vapic_sw_enabled(&a));
	/* Disabling resets the state; re-enabling gives xAPIC reset values. */
	CHECK(vapic_accept(&a, 0x50, false));
	CHECK_EQ(0, vapic_set_apic_base(&a, BASE, MAXPHY));
	CHECK(!vapic_accept(&a, 0x60, false));
	CHECK_EQ(-1, vapic_pending_vector(&a));
	CHECK_EQ(0, vapic_set_apic_base(&a, BASE | AE, MAXPHY));
	CHECK_EQ(0x12000000, mmio_rd(&a, VAPIC_REG_ID));
	CHECK_EQ(0, mmio_rd(&a, VAPIC_REG_LDR));
	CHECK_EQ(0, mmio_rd(&a, VAPIC_REG_TPR));
	CHECK_EQ(0xff, mmio_rd(&a, VAPIC_REG_SVR));
	CHECK_EQ(0x10000, mmio_rd(&a, VAPIC_REG_LVT_TIMER));
	CHECK_EQ(-1, vapic_highest_irr(&a));
}

/* ---- timer -------------------------------------------------------------------- */

TEST(vapic_timer_divisor_table)
{
	static const struct { u32 tdcr, div; } cases[] = {
		{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
		{ 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
		{ 0x4, 2 },     /* bit 2 is not part of the encoding */
	};
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		CHECK_EQ(cases[i].div, vapic_timer_divisor(cases[i].tdcr));
}

TEST(vapic_tmcct_table)
{
	static const struct { u32 tmict, div; u64 elapsed; bool periodic; u32 cct; } cases[] = {
		{ 1000, 1, 0, false, 1000 },
		{ 1000, 1, 1, false, 999 },
		{ 1000, 2, 1, false, 1000 },       /* one bus tick is half a count */
		{ 1000, 16, 1600, false, 900 },
		{ 1000, 1, 999, false, 1 },
		{ 1000, 1, 1000, false, 0 },
		{ 1000, 1, 123456, false, 0 },     /* one-shot stays at 0 */
		{ 1000, 1, 1000, true, 1000 },     /* periodic reloads */
		{ 1000, 1, 1001, true, 999 },
		{ 1000, 4, 4 * 2500, true, 500 },
		{ 0xffffffff, 128, 128ULL * 0xffffffff + 128, true, 0xfffffffe },
		{ 0, 1, 5, true, 0 },              /* stopped */
	};
	struct vapic a;
	struct vapic_effect eff;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		CHECK_EQ(cases[i].cct, vapic_tmcct(cases[i].tmict, cases[i].div,
						   cases[i].elapsed, cases[i].periodic));
	/* Writing TMICT loads TMCCT and reports the timer change; TMCCT is read-only. */
	setup_on(&a, page_a, 0, true);
	CHECK_EQ(0, vapic_x2apic_msr_write(&a, VAPIC_MSR_TMICT, 777, &eff));
	CHECK_EQ(VAPIC_EFFECT_TIMER, eff.kind);
	CHECK_EQ(777, vapic_get_reg(&a, VAPIC_REG_TMCCT));
	CHECK_EQ(GP, vapic_x2apic_msr_write(&a, VAPIC_MSR_TMCCT, 1, &eff));
	CHECK_EQ(0, vapic_x2apic_msr_write(&a, VAPIC_MSR_TDCR, 0xa, &eff));
	CHECK_EQ(VAPIC_EFFECT_TIMER, eff.kind);
	CHECK_EQ(128, vapic_timer_divisor(vapic_get_reg(&a, VAPIC_REG_TDCR)));
}

/*
 * TSC-deadline mode (Intel SDM Vol 3 §11.5.4.1 "TSC-Deadline Mode"; the APM
 * has no such mode): LVT timer bit 18 is writable only when
 * the hypervisor advertises CPUID 1 ECX[24]; entering or leaving the mode
 * cancels the count (TMICT and TMCCT read 0).
 */
TEST(vapic_lvt_timer_tsc_deadline_bit)
{
	struct vapic a;
	struct vapic_effect eff;

	setup_on(&a, page_a, 1, true);
	CHECK_EQ(-VAPIC_GP, vapic_x2apic_msr_write(&a, VAPIC_MSR_LVT_TIMER, BIT(18) | 0x40, &eff));
	a.tsc_deadline_supported = true;
	CHECK_EQ(0, vapic_x2apic_msr_write(&a, VAPIC_MSR_TMICT, 1000, &eff));
	CHECK_EQ(0, vapic_x2apic_msr_write(&a, VAPIC_MSR_LVT_TIMER, BIT(18) | 0x40, &eff));
	CHECK_EQ(VAPIC_EFFECT_TIMER, eff.kind);
	CHECK_EQ(BIT(18) | 0x40, vapic_get_reg(&a, VAPIC_REG_LVT_TIMER));
	CHECK_EQ(0, vapic_get_reg(&a, VAPIC_REG_TMICT));
	CHECK_EQ(0, vapic_x2apic_msr_write(&a, VAPIC_MSR_TMICT, 700, &eff));
	CHECK_EQ(0, vapic_get_reg(&a, VAPIC_REG_TMICT));  /* ignored in TSC-deadline mode */
	CHECK_EQ(0, vapic_x2apic_msr_write(&a, VAPIC_MSR_TMICT, 500, &eff));
	CHECK_EQ(0, vapic_x2apic_msr_write(&a, VAPIC_MSR_LVT_TIMER, 0x40, &eff));
	CHECK_EQ(0, vapic_get_reg(&a, VAPIC_REG_TMICT));
}
