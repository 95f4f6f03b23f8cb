/*
 * tests/unit/test_guest_walk.c - software walk of guest page tables.
 *
 * APM Vol 2 §5.2-5.3 (table formats), §5.6 (protection checks), §8.4.2
 * (#PF error code).  Page tables are built in a fake guest RAM buffer for
 * each paging mode.  A failure means the hypervisor would fetch the wrong
 * instruction bytes (and emulate the wrong instruction), or inject a #PF
 * with an error code real hardware would not give.
 */
#include <string.h>

#include "tests/unit/unit.h"
#include "svm/guest_walk.h"
#include "lib/x86.h"

#define RAM_SIZE        0x800000        /* 8 MiB of fake guest RAM */
static u8 ram[RAM_SIZE];

static int ram_read(void *ctx, u64 gpa, void *buf, unsigned len)
{
	(void)ctx;
	if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		return -1;
	memcpy(buf, ram + gpa, len);
	return 0;
}

static void put32(u64 gpa, u32 v) { memcpy(ram + gpa, &v, 4); }
static void put64(u64 gpa, u64 v) { memcpy(ram + gpa, &v, 8); }

#define P   BIT(0)
#define RW  BIT(1)
#define US  BIT(2)
#define PS  BIT(7)
#define NX  BIT(63)
#define CR0_PGWP (CR0_PE | CR0_PG | CR0_WP)
#define CR4_PSE  BIT(4)
#define CR4_SMEP BIT(20)

/* Returns the walk result; *out is the GPA or the error code. */
static int walk(const struct guest_paging *p, u64 gva, unsigned access, u64 *out)
{
	u64 gpa = 0xdeadbeef;
	u32 err = 0xdeadbeef;
	int r = guest_walk(p, gva, access, ram_read, NULL, &gpa, &err);

	*out = r == 0 ? gpa : r == -1 ? err : 0;
	return r;
}

/* Checks report the caller's line: these are called from many places. */
static void expect_gpa_at(int line, const struct guest_paging *p, u64 gva, unsigned access, u64 gpa)
{
	u64 out = 0;

	unit_check_eq(0, (u64)(s64)walk(p, gva, access, &out), "walk result", __FILE__, line);
	unit_check_eq(gpa, out, "gpa", __FILE__, line);
}

static void expect_pf_at(int line, const struct guest_paging *p, u64 gva, unsigned access, u32 err)
{
	u64 out = 0;

	unit_check_eq((u64)-1, (u64)(s64)walk(p, gva, access, &out), "walk result", __FILE__, line);
	unit_check_eq(err, out, "#PF error code", __FILE__, line);
}

#define expect_gpa(...) expect_gpa_at(__LINE__, __VA_ARGS__)
#define expect_pf(...)  expect_pf_at(__LINE__, __VA_ARGS__)

TEST(guest_walk_paging_off)
{
	struct guest_paging p = { .cr0 = CR0_PE, .efer = EFER_SVME };

	expect_gpa(&p, 0x12345678, 0, 0x12345678);
	expect_gpa(&p, 0x100001000ULL, GW_WRITE, 0x1000);     /* truncated to 32 bits */
	p.cr0 = 0;
	expect_gpa(&p, 0xffff0, GW_FETCH, 0xffff0);
}

/* 32-bit two-level: CR3 -> PD at 0x1000, PT at 0x2000. */
static void build_32(void)
{
	memset(ram, 0, 0x10000);
	put32(0x1000 + 0 * 4, 0x2000 | P | RW | US);             /* PDE 0: table */
	put32(0x2000 + 5 * 4, 0x300000 | P | RW | US);           /* 0x5000 -> 0x300000 */
	put32(0x2000 + 6 * 4, 0x301000 | P | US);                /* read-only */
	put32(0x2000 + 7 * 4, 0x302000 | P | RW);                /* supervisor */
	put32(0x1000 + 1 * 4, 0x00400000 | P | RW | PS);         /* 4 MiB at 4 MiB */
	put32(0x1000 + 2 * 4, 0x00c00000 | (0x3 << 13) | P | PS); /* PSE-36: PA 0x3_00c0_0000 */
	put32(0x1000 + 4 * 4, 0x2000 | P | RW | US | PS);        /* PS, used only without PSE */
}

TEST(guest_walk_32bit)
{
	struct guest_paging p = { .cr0 = CR0_PGWP, .cr3 = 0x1000, .efer = EFER_SVME };

	build_32();
	expect_gpa(&p, 0x5123, 0, 0x300123);
	expect_gpa(&p, 0x5123, GW_WRITE | GW_USER, 0x300123);
	expect_gpa(&p, 0x100005123ULL, 0, 0x300123);          /* 32-bit linear addresses */
	expect_gpa(&p, 0x6fff, GW_USER, 0x301fff);
	expect_gpa(&p, 0x7000, GW_WRITE, 0x302000);

	/* Without CR4.PSE the PS bit is ignored: PDE 4 points at the PT. */
	expect_gpa(&p, 0x01005000, 0, 0x300000);
	expect_pf(&p, 0x00412345, 0, 0);                        /* PDE 1 as a table: PT entries empty */

	p.cr4 = CR4_PSE;
	expect_gpa(&p, 0x00412345, GW_WRITE, 0x00412345);
	expect_gpa(&p, 0x008abcde, 0, 0x300cabcdeULL);
	expect_pf(&p, 0x00412345, GW_USER, PF_ERR_P | PF_ERR_U);    /* 4 MiB page is supervisor */
	expect_pf(&p, 0x008abcde, GW_WRITE, PF_ERR_P | PF_ERR_W);  /* read-only, WP=1 */
	put32(0x1000 + 1 * 4, 0x00400000 | BIT(21) | P | RW | PS);
	expect_pf(&p, 0x00412345, 0, PF_ERR_P | PF_ERR_RSV);
	/* No NX in 32-bit paging: fetches never report I/D. */
	expect_pf(&p, 0x00c00000, GW_FETCH, 0);
}

TEST(guest_walk_32bit_faults)
{
	struct guest_paging p = { .cr0 = CR0_PGWP, .cr3 = 0x1000, .efer = EFER_SVME };

	build_32();
	/* Not present: P=0 in the error code, W/U as accessed. */
	expect_pf(&p, 0x00c00000, 0, 0);
	expect_pf(&p, 0x00c00000, GW_WRITE, PF_ERR_W);
	expect_pf(&p, 0x00c00000, GW_WRITE | GW_USER, PF_ERR_W | PF_ERR_U);
	expect_pf(&p, 0x8000, GW_USER, PF_ERR_U);               /* PTE 8 empty */

	/* Write protection: supervisor writes pass read-only pages only with WP=0. */
	expect_pf(&p, 0x6000, GW_WRITE, PF_ERR_P | PF_ERR_W);
	expect_pf(&p, 0x6000, GW_WRITE | GW_USER, PF_ERR_P | PF_ERR_W | PF_ERR_U);
	p.cr0 &= ~CR0_WP;
	expect_gpa(&p, 0x6000, GW_WRITE, 0x301000);
	expect_pf(&p, 0x6000, GW_WRITE | GW_USER, PF_ERR_P | PF_ERR_W | PF_ERR_U);

	/* User access to a supervisor page. */
	expect_pf(&p, 0x7000, GW_USER, PF_ERR_P | PF_ERR_U);
	/* A supervisor-only PDE protects the whole table below it. */
	put32(0x1000, 0x2000 | P | RW);
	expect_pf(&p, 0x5000, GW_USER, PF_ERR_P | PF_ERR_U);
	expect_gpa(&p, 0x5000, 0, 0x300000);
}

/* PAE: CR3 -> PDPT at 0x1020 (32-byte aligned), PD at 0x2000, PT at 0x3000. */
static void build_pae(void)
{
	memset(ram, 0, 0x10000);
	put64(0x1020 + 0 * 8, 0x2000 | P);
	put64(0x1020 + 3 * 8, 0x4000 | P);
	put64(0x2000 + 0 * 8, 0x3000 | P | RW | US);
	put64(0x2000 + 1 * 8, 0x600000 | P | RW | US | PS);      /* 2 MiB at 2 MiB -> 6 MiB */
	put64(0x3000 + 1 * 8, 0x500000 | P | RW | US);
	put64(0x3000 + 2 * 8, 0x501000 | P | RW | US | NX);
	put64(0x4000 + 511 * 8, 0x5000 | P | RW);                 /* 0xffe00000: table */
	put64(0x5000 + 511 * 8, 0x7ff000 | P | RW);               /* 0xfffff000 */
}

TEST(guest_walk_pae)
{
	struct guest_paging p = { .cr0 = CR0_PGWP, .cr3 = 0x1020, .cr4 = CR4_PAE,
				  .efer = EFER_SVME | EFER_NXE };

	build_pae();
	expect_gpa(&p, 0x1abc, GW_WRITE | GW_USER, 0x500abc);
	expect_gpa(&p, 0x2abc, 0, 0x501abc);
	expect_gpa(&p, 0x2abcde, GW_FETCH, 0x6abcde);
	expect_gpa(&p, 0xfffff123, 0, 0x7ff123);
	expect_gpa(&p, 0x100001abcULL, 0, 0x500abc);           /* 32-bit linear */

	/* NX with EFER.NXE: fetch faults with I/D. */
	expect_pf(&p, 0x2000, GW_FETCH, PF_ERR_P | PF_ERR_ID);
	expect_pf(&p, 0x2000, GW_FETCH | GW_USER, PF_ERR_P | PF_ERR_ID | PF_ERR_U);
	/* Not present, with fetch reporting I/D (NXE on). */
	expect_pf(&p, 0x3000, GW_FETCH, PF_ERR_ID);
	expect_pf(&p, 0x40000000, 0, 0);                        /* PDPTE 1 not present */
	/* Without NXE the NX bit is reserved. */
	p.efer &= ~EFER_NXE;
	expect_pf(&p, 0x2000, 0, PF_ERR_P | PF_ERR_RSV);
	expect_pf(&p, 0x2000, GW_FETCH, PF_ERR_P | PF_ERR_RSV);
	expect_pf(&p, 0x3000, GW_FETCH, 0);                     /* no I/D without NXE */
	p.efer |= EFER_NXE;

	/* A reserved bit in a PAE PDPTE (bit 1, no R/W there). */
	put64(0x1020, 0x2000 | P | RW);
	expect_pf(&p, 0x1000, 0, PF_ERR_P | PF_ERR_RSV);
	put64(0x1020, 0x2000 | P);

	/* Reserved low bits of a 2 MiB page. */
	put64(0x2000 + 8, 0x600000 | BIT(13) | P | RW | US | PS);
	expect_pf(&p, 0x200000, GW_WRITE, PF_ERR_P | PF_ERR_RSV | PF_ERR_W);
	/* Supervisor page, user access. */
	expect_pf(&p, 0xfffff000, GW_USER, PF_ERR_P | PF_ERR_U);
}

/* Long mode: PML4 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000. */
static void build_long(void)
{
	memset(ram, 0, 0x10000);
	/* gva 0xffff800000201000: PML4 256, PDPT 0, PD 1, PT 1. */
	put64(0x1000 + 256 * 8, 0x2000 | P | RW | US);
	put64(0x2000 + 0 * 8, 0x3000 | P | RW | US);
	put64(0x3000 + 1 * 8, 0x4000 | P | RW | US);
	put64(0x4000 + 1 * 8, 0x123000 | P | RW | US);
	put64(0x4000 + 2 * 8, 0x124000 | P | US | NX);
	put64(0x4000 + 3 * 8, 0x125000 | P | RW);
	put64(0x3000 + 2 * 8, 0x400000 | P | RW | US | PS);          /* 2 MiB */
	put64(0x2000 + 1 * 8, 0x80000000 | P | RW | US | PS);        /* 1 GiB */
	put64(0x2000 + 2 * 8, 0x80000000 | BIT(20) | P | RW | PS);   /* 1 GiB, reserved bit */
	/* gva 0x0000_0080_0000_0000 (PML4 1): a PML4E with PS is reserved. */
	put64(0x1000 + 1 * 8, 0x2000 | P | RW | US | PS);
	/* gva 0x0000_0100_0000_0000 (PML4 2): a supervisor PML4E. */
	put64(0x1000 + 2 * 8, 0x2000 | P | RW);
}

#define LM_BASE 0xffff800000000000ULL

TEST(guest_walk_long_mode)
{
	struct guest_paging p = { .cr0 = CR0_PGWP, .cr3 = 0x1000, .cr4 = CR4_PAE,
				  .efer = EFER_SVME | EFER_LME | EFER_LMA | EFER_NXE };

	build_long();
	expect_gpa(&p, LM_BASE + 0x201abc, GW_WRITE | GW_USER | GW_FETCH, 0x123abc);
	expect_gpa(&p, LM_BASE + 0x202abc, GW_USER, 0x124abc);
	expect_gpa(&p, LM_BASE + 0x4abcde, GW_WRITE, 0x4abcde);              /* 2 MiB page */
	expect_gpa(&p, LM_BASE + 0x40000000 + 0x12345678, 0, 0x92345678);    /* 1 GiB page */
	/* CR3 low bits (PCD, PWT) are not address bits. */
	p.cr3 = 0x1018;
	expect_gpa(&p, LM_BASE + 0x201abc, 0, 0x123abc);
	p.cr3 = 0x1000;

	expect_pf(&p, LM_BASE + 0x202000, GW_FETCH, PF_ERR_P | PF_ERR_ID);
	expect_pf(&p, LM_BASE + 0x202000, GW_WRITE, PF_ERR_P | PF_ERR_W);
	expect_pf(&p, LM_BASE + 0x203000, GW_USER, PF_ERR_P | PF_ERR_U);
	expect_pf(&p, LM_BASE + 0x205000, GW_WRITE, PF_ERR_W);                /* PTE 5 empty */
	expect_pf(&p, LM_BASE + 0x80000000 + 0x10, 0, PF_ERR_P | PF_ERR_RSV);
	expect_pf(&p, 0x0000008000000000ULL, 0, PF_ERR_P | PF_ERR_RSV);
	expect_pf(&p, 0x0000010000201000ULL, GW_USER, PF_ERR_P | PF_ERR_U);
	expect_pf(&p, 0x1000, GW_FETCH, PF_ERR_ID);                          /* PML4 0 empty */

	/* SMEP: supervisor fetch from a user page. */
	p.cr4 |= CR4_SMEP;
	expect_pf(&p, LM_BASE + 0x201000, GW_FETCH, PF_ERR_P | PF_ERR_ID);
	expect_gpa(&p, LM_BASE + 0x201000, GW_FETCH | GW_USER, 0x123000);
	expect_gpa(&p, LM_BASE + 0x203000, GW_FETCH, 0x125000);             /* supervisor page */

	/* LME with PG, LMA left clear in the copy: still long-mode tables. */
	p.cr4 &= ~CR4_SMEP;
	p.efer &= ~EFER_LMA;
	expect_gpa(&p, LM_BASE + 0x201abc, 0, 0x123abc);
}

/*
 * The trace of a walk (what hv/vcpu.c's fetch cache revalidates): every
 * entry read, in order, at its GPA with the value read; as many as the
 * walk used, fewer for large pages and for a walk that faults.
 */
static void expect_trace_at(int line, const struct guest_paging *p, u64 gva, int result,
			    unsigned n, const u64 *gpas)
{
	struct guest_walk_trace t;
	u64 gpa = 0;
	u32 err = 0;

	memset(&t, 0xa5, sizeof(t));
	unit_check_eq((u64)(s64)result, (u64)(s64)guest_walk_traced(p, gva, 0, ram_read, NULL, &gpa, &err, &t),
		      "walk result", __FILE__, line);
	unit_check_eq(n, t.n, "entries traced", __FILE__, line);
	for (unsigned i = 0; i < n && i < t.n; i++) {
		u64 v = 0;

		unit_check_eq(gpas[i], t.gpa[i], "entry gpa", __FILE__, line);
		memcpy(&v, ram + t.gpa[i], t.entry_size);
		unit_check_eq(v, t.val[i], "entry value", __FILE__, line);
	}
}
#define expect_trace(...) expect_trace_at(__LINE__, __VA_ARGS__)

TEST(guest_walk_trace)
{
	struct guest_paging p = { .cr0 = CR0_PGWP, .cr3 = 0x1000, .cr4 = CR4_PAE,
				  .efer = EFER_SVME | EFER_LME | EFER_LMA | EFER_NXE };
	const u64 four[] = { 0x1000 + 256 * 8, 0x2000, 0x3000 + 8, 0x4000 + 8 };
	const u64 two_m[] = { 0x1000 + 256 * 8, 0x2000, 0x3000 + 2 * 8 };
	const u64 one_g[] = { 0x1000 + 256 * 8, 0x2000 + 8 };
	const u64 empty_pte[] = { 0x1000 + 256 * 8, 0x2000, 0x3000 + 8, 0x4000 + 5 * 8 };
	struct guest_paging off = { .cr0 = CR0_PE };
	struct guest_walk_trace t;
	u64 gpa;
	u32 err;

	build_long();
	expect_trace(&p, LM_BASE + 0x201abc, 0, 4, four);
	expect_trace(&p, LM_BASE + 0x4abcde, 0, 3, two_m);
	expect_trace(&p, LM_BASE + 0x40000000 + 0x12345678, 0, 2, one_g);
	expect_trace(&p, LM_BASE + 0x205000, -1, 4, empty_pte);  /* the not-present PTE is read too */
	CHECK_EQ(0, guest_walk_traced(&off, 0x1234, 0, ram_read, NULL, &gpa, &err, &t));
	CHECK_EQ(0, t.n);                                        /* paging off reads nothing */
	CHECK_EQ(0, guest_walk_traced(&p, LM_BASE + 0x201000, 0, ram_read, NULL, &gpa, &err, &t));
	CHECK_EQ(8, t.entry_size);
}

/* A page-table read outside guest RAM is -2, not a #PF. */
TEST(guest_walk_table_not_ram)
{
	struct guest_paging p = { .cr0 = CR0_PGWP, .cr3 = 0x1000, .cr4 = CR4_PAE,
				  .efer = EFER_SVME | EFER_LME | EFER_LMA };
	u64 gpa = 0;
	u32 err = 0;

	build_long();
	put64(0x3000 + 3 * 8, 0x10000000 | P | RW | US);                    /* PT beyond RAM */
	CHECK_EQ((u64)-2, (u64)(s64)guest_walk(&p, LM_BASE + 0x600000, 0, ram_read, NULL, &gpa, &err));
	p.cr3 = 0x40000000;
	CHECK_EQ((u64)-2, (u64)(s64)guest_walk(&p, 0, 0, ram_read, NULL, &gpa, &err));
}

TEST(guest_read_virt_cross_page)
{
	struct guest_paging p = { .cr0 = CR0_PGWP, .cr3 = 0x1000, .cr4 = CR4_PAE,
				  .efer = EFER_SVME | EFER_LME | EFER_LMA | EFER_NXE };
	u8 buf[8];
	u32 err = 0;
	u64 fault = 0;

	build_long();
	/* 0x...201ffc-0x...202003 spans PTE 1 (-> 0x123000) and PTE 2 (-> 0x124000). */
	memcpy(ram + 0x123ffc, "\x0f\x01\xd9\x90", 4);
	memcpy(ram + 0x124000, "\xf4\xeb\xfe\xcc", 4);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(0, guest_read_virt(&p, LM_BASE + 0x201ffc, buf, 8, ram_read, NULL));
	CHECK(!memcmp(buf, "\x0f\x01\xd9\x90\xf4\xeb\xfe\xcc", 8));

	/* Second page not executable: a fetch faults at its first byte. */
	CHECK_EQ((u64)-1, (u64)(s64)guest_read_virt_access(&p, LM_BASE + 0x201ffc, buf, 8, GW_FETCH,
							  ram_read, NULL, &err, &fault));
	CHECK_EQ(PF_ERR_P | PF_ERR_ID, err);
	CHECK_EQ(LM_BASE + 0x202000, fault);

	/* Next page not present. */
	CHECK_EQ((u64)-1, (u64)(s64)guest_read_virt_access(&p, LM_BASE + 0x203ffe, buf, 4, 0,
							  ram_read, NULL, &err, &fault));
	CHECK_EQ(0, err);
	CHECK_EQ(LM_BASE + 0x204000, fault);
	CHECK_EQ((u64)-1, (u64)(s64)guest_read_virt(&p, LM_BASE + 0x203ffe, buf, 4, ram_read, NULL));

	/* Mapped, but the data page is not RAM. */
	put64(0x4000 + 6 * 8, 0x7fff000 | P | RW);
	CHECK_EQ((u64)-2, (u64)(s64)guest_read_virt(&p, LM_BASE + 0x206000, buf, 4, ram_read, NULL));
}
