/*
 * tests/unit/test_npt.c - nested page table builder.
 *
 * APM Vol 2 §15.25 "Nested Paging": long-mode 4-level tables from GPA to
 * HPA.  Every entry must carry P and U/S (nested walks are user accesses),
 * leaves carry R/W only when writable, NX never (host EFER.NXE may be off).
 * The isolation test is the one that matters most: a failure there means a
 * guest could reach memory the hypervisor owns.
 */
#include <stdlib.h>
#include <string.h>

#include "tests/unit/unit.h"
#include "svm/npt.h"

#define POOL_MAX 64

/* Page allocator for the tests: aligned_alloc'd, freed by pool_free. */
struct pool {
	void *pages[POOL_MAX];
	unsigned n;
	unsigned limit;         /* fail after this many pages */
};

static void *pool_alloc(void *ctx)
{
	struct pool *p = ctx;
	void *page;

	if (p->n >= p->limit || p->n >= POOL_MAX)
		return NULL;
	page = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	if (!page)
		return NULL;
	memset(page, 0, PAGE_SIZE);
	p->pages[p->n++] = page;
	return page;
}

static void pool_free(struct pool *p)
{
	while (p->n)
		free(p->pages[--p->n]);
}

static bool pool_owns(const struct pool *p, u64 pa)
{
	unsigned i;

	for (i = 0; i < p->n; i++)
		if (pa >= (u64)(uintptr_t)p->pages[i] && pa < (u64)(uintptr_t)p->pages[i] + PAGE_SIZE)
			return true;
	return false;
}

static struct pool pool;

static void setup(struct npt *n, unsigned limit)
{
	pool_free(&pool);
	pool.limit = limit;
	CHECK_EQ(0, npt_init(n, pool_alloc, &pool));
}

TEST(npt_init_root)
{
	struct npt n;

	setup(&n, POOL_MAX);
	CHECK_EQ(1, n.table_pages);
	CHECK_EQ((u64)(uintptr_t)n.pml4, npt_root(&n));
	CHECK_EQ(0, npt_root(&n) & 0xfff);
	CHECK(!npt_translate(&n, 0, NULL, NULL));

	pool_free(&pool);
	pool.limit = 0;
	CHECK_EQ(-1, npt_init(&n, pool_alloc, &pool));
	pool_free(&pool);
}

TEST(npt_map_translate)
{
	struct npt n;
	u64 hpa = 0, fl = 0;

	setup(&n, POOL_MAX);
	CHECK_EQ(0, npt_map(&n, 0, 0x40000000, 0x200000, NPT_WRITE | NPT_EXEC));
	CHECK_EQ(4, n.table_pages);             /* PML4, PDPT, PD, PT */

	CHECK(npt_translate(&n, 0x1234, &hpa, &fl));
	CHECK_EQ(0x40001234, hpa);
	CHECK_EQ(NPT_PTE_P | NPT_PTE_RW | NPT_PTE_US, fl);
	CHECK(npt_translate(&n, 0x1fffff, &hpa, NULL));
	CHECK_EQ(0x401fffff, hpa);
	CHECK(npt_translate(&n, 0, &hpa, NULL));
	CHECK_EQ(0x40000000, hpa);

	/* Unmapped GPAs fail. */
	CHECK(!npt_translate(&n, 0x200000, &hpa, NULL));
	CHECK(!npt_translate(&n, 0x40000000, &hpa, NULL));
	CHECK(!npt_translate(&n, 0xfee00000, &hpa, NULL));
	CHECK(!npt_translate(&n, BIT(48), &hpa, NULL));
	pool_free(&pool);
}

/* Every non-leaf entry on the way is P|RW|US; NX is never set. */
TEST(npt_entry_bits)
{
	struct npt n;
	u64 *pdpt, *pd, *pt, fl = 0;

	setup(&n, POOL_MAX);
	CHECK_EQ(0, npt_map(&n, 0x12345000, 0x9000, 0x1000, 0));  /* read-only, no exec asked */
	pdpt = (u64 *)(uintptr_t)(n.pml4[0] & NPT_PTE_ADDR_MASK);
	CHECK_EQ(NPT_PTE_P | NPT_PTE_RW | NPT_PTE_US, n.pml4[0] & ~NPT_PTE_ADDR_MASK);
	CHECK_EQ(NPT_PTE_P | NPT_PTE_RW | NPT_PTE_US, pdpt[0] & ~NPT_PTE_ADDR_MASK);
	pd = (u64 *)(uintptr_t)(pdpt[0] & NPT_PTE_ADDR_MASK);
	CHECK_EQ(NPT_PTE_P | NPT_PTE_RW | NPT_PTE_US, pd[0x91] & ~NPT_PTE_ADDR_MASK);
	pt = (u64 *)(uintptr_t)(pd[0x91] & NPT_PTE_ADDR_MASK);
	CHECK_EQ(0x9000 | NPT_PTE_P | NPT_PTE_US, pt[0x145]);
	CHECK(npt_translate(&n, 0x12345678, NULL, &fl));
	CHECK_EQ(NPT_PTE_P | NPT_PTE_US, fl);
	CHECK_EQ(0, fl & NPT_PTE_NX);
	CHECK_EQ(0, fl & NPT_PTE_RW);
	pool_free(&pool);
}

TEST(npt_unmap)
{
	struct npt n;
	u64 hpa = 0;
	unsigned pages;

	setup(&n, POOL_MAX);
	CHECK_EQ(0, npt_map(&n, 0x100000, 0x800000, 0x10000, NPT_WRITE));
	pages = n.table_pages;
	CHECK_EQ(0, npt_unmap(&n, 0x104000, 0x2000));
	CHECK(npt_translate(&n, 0x103fff, &hpa, NULL));
	CHECK_EQ(0x803fff, hpa);
	CHECK(!npt_translate(&n, 0x104000, &hpa, NULL));
	CHECK(!npt_translate(&n, 0x105fff, &hpa, NULL));
	CHECK(npt_translate(&n, 0x106000, &hpa, NULL));
	CHECK_EQ(0x806000, hpa);
	/* Unmapping where no table exists allocates nothing and succeeds. */
	CHECK_EQ(0, npt_unmap(&n, 0x7fff0000000, 0x400000));
	CHECK_EQ(pages, n.table_pages);
	CHECK_EQ(-1, npt_unmap(&n, 0x104001, 0x1000));
	CHECK_EQ(-1, npt_unmap(&n, BIT(48) - 0x1000, 0x2000));
	pool_free(&pool);
}

TEST(npt_bad_arguments)
{
	struct npt n;

	setup(&n, POOL_MAX);
	CHECK_EQ(-1, npt_map(&n, 0x1001, 0, 0x1000, 0));
	CHECK_EQ(-1, npt_map(&n, 0x1000, 0x800, 0x1000, 0));
	CHECK_EQ(-1, npt_map(&n, 0x1000, 0, 0x1800, 0));
	CHECK_EQ(-1, npt_map(&n, BIT(48), 0, 0x1000, 0));
	CHECK_EQ(-1, npt_map(&n, BIT(48) - 0x1000, 0, 0x2000, 0));
	CHECK_EQ(-1, npt_map(&n, 0, BIT(52), 0x1000, 0));
	CHECK_EQ(-1, npt_map(&n, 0, 0, 0x1000, BIT(5)));
	CHECK_EQ(1, n.table_pages);             /* nothing was built */
	CHECK_EQ(0, npt_map(&n, BIT(48) - 0x1000, 0, 0x1000, 0));  /* the last page is fine */
	CHECK(npt_translate(&n, BIT(48) - 1, NULL, NULL));
	CHECK_EQ(0, npt_map(&n, 0, 0, 0, 0));   /* empty range */
	pool_free(&pool);
}

TEST(npt_alloc_failure)
{
	struct npt n;

	setup(&n, 3);                           /* root + 2: the PT cannot be allocated */
	CHECK_EQ(-1, npt_map(&n, 0, 0, 0x1000, NPT_WRITE));
	CHECK(!npt_translate(&n, 0, NULL, NULL));
	CHECK_EQ(3, n.table_pages);
	pool_free(&pool);
}

/* A range across a 1 GiB boundary needs a second PD and PT. */
TEST(npt_cross_boundaries)
{
	struct npt n;
	u64 hpa = 0;

	setup(&n, POOL_MAX);
	CHECK_EQ(0, npt_map(&n, 0x3ffff000, 0x5000000, 0x2000, NPT_WRITE));
	CHECK_EQ(6, n.table_pages);             /* PML4, PDPT, 2x PD, 2x PT */
	CHECK(npt_translate(&n, 0x3ffff010, &hpa, NULL));
	CHECK_EQ(0x5000010, hpa);
	CHECK(npt_translate(&n, 0x40000010, &hpa, NULL));
	CHECK_EQ(0x5001010, hpa);
	/* Remapping replaces the leaf, builds no table. */
	CHECK_EQ(0, npt_map(&n, 0x40000000, 0x7000000, 0x1000, 0));
	CHECK(npt_translate(&n, 0x40000010, &hpa, NULL));
	CHECK_EQ(0x7000010, hpa);
	CHECK_EQ(6, n.table_pages);
	pool_free(&pool);
}

/* Translation follows a 2 MiB leaf (PS) should one be written by hand. */
TEST(npt_translate_large_leaf)
{
	struct npt n;
	u64 *pdpt, *pd, hpa = 0;

	setup(&n, POOL_MAX);
	CHECK_EQ(0, npt_map(&n, 0, 0, 0x1000, 0));
	pdpt = (u64 *)(uintptr_t)(n.pml4[0] & NPT_PTE_ADDR_MASK);
	pd = (u64 *)(uintptr_t)(pdpt[0] & NPT_PTE_ADDR_MASK);
	pd[1] = 0x12400000 | NPT_PTE_P | NPT_PTE_US | NPT_PTE_PS;
	CHECK(npt_translate(&n, 0x2abcde, &hpa, NULL));
	CHECK_EQ(0x124abcde, hpa);
	pool_free(&pool);
}

struct leaf_walk {
	unsigned leaves;
	u64 min_gpa, max_gpa;
	bool bad;
};

/* Visits every present leaf in the whole tree. */
static void walk_all(const u64 *table, int level, u64 gpa_base, struct leaf_walk *w,
		     u64 guest_hpa, u64 guest_size, const struct pool *p)
{
	unsigned i;

	for (i = 0; i < 512; i++) {
		u64 e = table[i];
		u64 gpa = gpa_base | ((u64)i << (12 + 9 * (level - 1)));

		if (!(e & NPT_PTE_P))
			continue;
		if (level > 1) {
			CHECK(!(e & NPT_PTE_PS));
			CHECK(pool_owns(p, e & NPT_PTE_ADDR_MASK));
			walk_all((const u64 *)(uintptr_t)(e & NPT_PTE_ADDR_MASK), level - 1, gpa, w,
				 guest_hpa, guest_size, p);
			continue;
		}
		w->leaves++;
		w->min_gpa = MIN(w->min_gpa, gpa);
		w->max_gpa = MAX(w->max_gpa, gpa);
		if ((e & NPT_PTE_ADDR_MASK) < guest_hpa ||
		    (e & NPT_PTE_ADDR_MASK) >= guest_hpa + guest_size ||
		    pool_owns(p, e & NPT_PTE_ADDR_MASK))
			w->bad = true;
	}
}

/*
 * Isolation: map only the guest's RAM.  Nothing else translates: not the
 * hypervisor image, not the table pages themselves, no GPA outside the
 * guest range.
 */
TEST(npt_isolation)
{
	const u64 guest_hpa = 0x10000000, guest_size = 0x1000000;   /* 16 MiB */
	const u64 hv_hpa = 0x20000000, hv_size = 0x400000;
	struct leaf_walk w = { 0, ~0ULL, 0, false };
	struct npt n;
	u64 gpa, hpa;

	setup(&n, POOL_MAX);
	CHECK_EQ(0, npt_map(&n, 0, guest_hpa, guest_size, NPT_WRITE | NPT_EXEC));

	walk_all(n.pml4, 4, 0, &w, guest_hpa, guest_size, &pool);
	CHECK_EQ(guest_size / PAGE_SIZE, w.leaves);
	CHECK_EQ(0, w.min_gpa);
	CHECK_EQ(guest_size - PAGE_SIZE, w.max_gpa);
	CHECK(!w.bad);

	/* Sweep GPAs: inside the range map into the guest's HPA range only. */
	for (gpa = 0; gpa < 0x4000000; gpa += PAGE_SIZE) {
		bool ok = npt_translate(&n, gpa, &hpa, NULL);

		CHECK_EQ(gpa < guest_size, ok);
		if (ok) {
			CHECK_EQ(guest_hpa + gpa, hpa);
			CHECK(hpa < hv_hpa || hpa >= hv_hpa + hv_size);
		}
	}
	CHECK(!npt_translate(&n, hv_hpa, NULL, NULL));
	CHECK(!npt_translate(&n, npt_root(&n), NULL, NULL));
	CHECK(!npt_translate(&n, BIT(32), NULL, NULL));
	CHECK(!npt_translate(&n, BIT(47), NULL, NULL));
	CHECK(!npt_translate(&n, BIT(48) - PAGE_SIZE, NULL, NULL));
	pool_free(&pool);
}
