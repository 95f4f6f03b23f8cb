/*
 * svm/npt.c - nested page table builder.
 *
 * APM Vol 2 §15.25 "Nested Paging": with NP_ENABLE the guest-physical address
 * of every guest access (including the guest's own page-table reads) goes
 * through a second, host-owned set of page tables rooted at N_CR3, in the
 * ordinary long-mode format (APM Vol 2 §5.3 "Long-Mode Page Translation").
 *
 * Entry bits, and why:
 *   - P on every entry of a mapping.
 *   - U/S=1 on every entry: the nested walk treats guest accesses as user
 *     accesses (APM Vol 2 §15.25.5 "Nested Table Walk"), so a supervisor-only
 *     nested entry faults every access (QEMU TCG does the same).
 *   - R/W=1 on every non-leaf entry (the effective right is the AND of all
 *     levels, so only the leaf decides); on the leaf only with NPT_WRITE.
 *   - NX is never set, on purpose: NX is a reserved bit unless the *host*
 *     EFER.NXE=1 when VMRUN walks these tables, and a reserved bit turns
 *     every access through the entry into a #NPF with RSV set.  The UEFI
 *     firmware that starts us may or may not have turned NXE on, so
 *     NPT_EXEC is accepted and ignored: guest pages are always executable.
 *
 * Only 4 KiB leaves are created (translation follows 2 MiB/1 GiB leaves
 * should one ever exist).  Memory is never returned: a VM's tables live as
 * long as the VM and its allocator owns their pages.
 */
#include "svm/npt.h"

#define NPT_LEVELS              4
#define NPT_ENTRIES             512
#define NPT_TABLE_FLAGS         (NPT_PTE_P | NPT_PTE_RW | NPT_PTE_US)

static inline u64 *table_ptr(u64 entry)
{
	return (u64 *)(uintptr_t)(entry & NPT_PTE_ADDR_MASK);
}

static inline u64 table_pa(const void *table)
{
	return (u64)(uintptr_t)table;
}

/* Index of gpa in the table of level 4 (PML4) .. 1 (PT). */
static inline unsigned level_index(u64 gpa, int level)
{
	return (unsigned)(gpa >> (PAGE_SHIFT + 9 * (level - 1))) & (NPT_ENTRIES - 1);
}

static u64 *alloc_table(struct npt *npt)
{
	void *page = npt->alloc(npt->ctx);

	if (!page || (table_pa(page) & (PAGE_SIZE - 1)) ||
	    (table_pa(page) & ~NPT_PTE_ADDR_MASK & ~(PAGE_SIZE - 1)))
		return NULL;  /* a leaked bad page is better than a corrupt table */
	npt->table_pages++;
	return page;
}

int npt_init(struct npt *npt, npt_alloc_fn alloc, void *ctx)
{
	npt->pml4 = NULL;
	npt->alloc = alloc;
	npt->ctx = ctx;
	npt->table_pages = 0;
	if (!alloc)
		return -1;
	npt->pml4 = alloc_table(npt);
	return npt->pml4 ? 0 : -1;
}

/*
 * The page table (level 1) that holds gpa's leaf entry, or NULL.  Missing
 * tables are created when create is set.  A large leaf on the way is
 * replaced by an empty table only when create is set (the rest of that large
 * page becomes unmapped); this module never makes large leaves, so one can
 * only come from a caller that wrote entries by other means.
 */
static u64 *leaf_table(struct npt *npt, u64 gpa, bool create)
{
	u64 *table = npt->pml4;
	int level;

	for (level = NPT_LEVELS; level > 1; level--) {
		u64 *e = &table[level_index(gpa, level)];

		if (!(*e & NPT_PTE_P) || (*e & NPT_PTE_PS)) {
			u64 *next;

			if (!create)
				return NULL;
			next = alloc_table(npt);
			if (!next)
				return NULL;
			*e = table_pa(next) | NPT_TABLE_FLAGS;
		}
		table = table_ptr(*e);
	}
	return table;
}

static bool range_ok(u64 gpa, u64 size)
{
	if ((gpa | size) & (PAGE_SIZE - 1))
		return false;
	return gpa < BIT(NPT_GPA_BITS) && size <= BIT(NPT_GPA_BITS) - gpa;
}

int npt_map(struct npt *npt, u64 gpa, u64 hpa, u64 size, u64 flags)
{
	u64 leaf_flags = NPT_PTE_P | NPT_PTE_US;

	if (!npt->pml4 || !range_ok(gpa, size) || (hpa & (PAGE_SIZE - 1)))
		return -1;
	if (hpa >= BIT(NPT_HPA_BITS) || size > BIT(NPT_HPA_BITS) - hpa)
		return -1;
	if (flags & ~(NPT_WRITE | NPT_EXEC))
		return -1;
	if (flags & NPT_WRITE)
		leaf_flags |= NPT_PTE_RW;

	while (size) {
		u64 *pt = leaf_table(npt, gpa, true);
		unsigned i;

		if (!pt)
			return -1;
		/* Fill the rest of this page table without walking again. */
		for (i = level_index(gpa, 1); i < NPT_ENTRIES && size; i++) {
			pt[i] = hpa | leaf_flags;
			gpa += PAGE_SIZE;
			hpa += PAGE_SIZE;
			size -= PAGE_SIZE;
		}
	}
	return 0;
}

int npt_unmap(struct npt *npt, u64 gpa, u64 size)
{
	if (!npt->pml4 || !range_ok(gpa, size))
		return -1;
	while (size) {
		u64 *pt = leaf_table(npt, gpa, false);
		unsigned i = level_index(gpa, 1);

		if (!pt) {
			/* No table here: skip to the next 2 MiB boundary. */
			u64 step = (u64)(NPT_ENTRIES - i) * PAGE_SIZE;

			if (step > size)
				step = size;
			gpa += step;
			size -= step;
			continue;
		}
		for (; i < NPT_ENTRIES && size; i++) {
			pt[i] = 0;
			gpa += PAGE_SIZE;
			size -= PAGE_SIZE;
		}
	}
	return 0;
}

bool npt_translate(const struct npt *npt, u64 gpa, u64 *hpa, u64 *pte_flags)
{
	const u64 *table = npt->pml4;
	int level;

	if (!table || gpa >= BIT(NPT_GPA_BITS))
		return false;
	for (level = NPT_LEVELS; level >= 1; level--) {
		u64 e = table[level_index(gpa, level)];
		u64 span = BIT(PAGE_SHIFT + 9 * (level - 1));

		if (!(e & NPT_PTE_P))
			return false;
		/* PS is a leaf at the PDPT (1 GiB) and PD (2 MiB) levels only. */
		if (level == 1 || ((level == 2 || level == 3) && (e & NPT_PTE_PS))) {
			u64 base = e & NPT_PTE_ADDR_MASK & ~(span - 1);

			if (hpa)
				*hpa = base | (gpa & (span - 1));
			if (pte_flags)
				*pte_flags = e & ~NPT_PTE_ADDR_MASK;
			return true;
		}
		table = table_ptr(e);
	}
	return false;
}

u64 npt_root(const struct npt *npt)
{
	return table_pa(npt->pml4);
}
