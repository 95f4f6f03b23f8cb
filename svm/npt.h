/*
 * svm/npt.h - nested page tables (APM Vol 2 §15.25 "Nested Paging").
 *
 * The nested tables use the host's paging format at VMRUN time; the
 * hypervisor runs in long mode, so these are AMD64 4-level tables (PML4,
 * PDPT, PD, PT) mapping guest-physical to host-physical addresses, built here
 * with 4 KiB leaf pages only.  GPAs are limited to 48 bits (4 levels).
 *
 * The hypervisor runs identity-mapped, so a table's physical address is its
 * pointer value; the host unit tests rely on the same.
 */
#ifndef SVM_NPT_H
#define SVM_NPT_H

#include "lib/types.h"

/* Page-table entry bits (APM Vol 2 §5.4 "Page-Translation-Table Entry Fields"). */
#define NPT_PTE_P               BIT(0)
#define NPT_PTE_RW              BIT(1)
#define NPT_PTE_US              BIT(2)
#define NPT_PTE_PWT             BIT(3)
#define NPT_PTE_PCD             BIT(4)
#define NPT_PTE_A               BIT(5)
#define NPT_PTE_D               BIT(6)
#define NPT_PTE_PS              BIT(7)
#define NPT_PTE_G               BIT(8)
#define NPT_PTE_NX              BIT(63)
#define NPT_PTE_ADDR_MASK       GENMASK(51, 12)

#define NPT_GPA_BITS            48
#define NPT_HPA_BITS            52      /* architectural maximum */

/* npt_map flags.  Reads are always allowed for a mapped page. */
#define NPT_WRITE               BIT(0)
#define NPT_EXEC                BIT(1)  /* accepted, never enforced: see npt.c */

/* Returns one zeroed, 4 KiB-aligned 4 KiB page (identity-mapped), or NULL. */
typedef void *(*npt_alloc_fn)(void *ctx);

struct npt {
	u64 *pml4;                      /* root table; npt_root() is its address */
	npt_alloc_fn alloc;
	void *ctx;
	unsigned table_pages;           /* table pages allocated so far, root included */
};

/* Allocates the root table.  0, or -1 if the allocator fails or misaligns. */
int npt_init(struct npt *npt, npt_alloc_fn alloc, void *ctx);

/*
 * Maps [gpa, gpa+size) to [hpa, hpa+size) with 4 KiB pages, replacing any
 * earlier mapping of those pages.  gpa, hpa and size must be 4 KiB aligned,
 * gpa+size must stay below 2^48 and hpa+size below 2^52; flags is a set of
 * NPT_WRITE | NPT_EXEC.  Returns 0, or -1 for bad arguments (nothing mapped)
 * or an allocation failure (then a prefix of the range may be mapped).
 */
int npt_map(struct npt *npt, u64 gpa, u64 hpa, u64 size, u64 flags);

/*
 * Removes the 4 KiB mappings of [gpa, gpa+size); unmapped pages are skipped.
 * Table pages are kept.  Returns 0, or -1 for a misaligned or too large range.
 * The caller flushes the guest's TLB (TLB_CONTROL) before the next VMRUN.
 */
int npt_unmap(struct npt *npt, u64 gpa, u64 size);

/*
 * Walks the tables as the hardware would for gpa.  On success *hpa is the
 * host-physical address (page offset included) and *pte_flags the leaf
 * entry's bits without the address (NPT_PTE_*); either pointer may be NULL.
 */
bool npt_translate(const struct npt *npt, u64 gpa, u64 *hpa, u64 *pte_flags);

/* The value for the VMCB's N_CR3 (+0x0b0). */
u64 npt_root(const struct npt *npt);

#endif
