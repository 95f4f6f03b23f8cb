/*
 * svm/guest_walk.h - translate a guest-virtual address with the guest's own
 * page tables, as the CPU would (APM Vol 2 §5 "Page Translation and
 * Protection").
 *
 * Needed because the hypervisor fetches guest instruction bytes itself:
 * without decode assists (QEMU TCG has none) an exit gives only RIP, a
 * guest-virtual address.  The walk reads the guest's tables through a
 * callback that takes guest-physical addresses, so it works the same with
 * or without nested paging.  Accessed/dirty bits are never written: the
 * hypervisor only looks, the guest's own re-execution sets them.
 */
#ifndef SVM_GUEST_WALK_H
#define SVM_GUEST_WALK_H

#include "lib/types.h"

/* Reads len bytes of guest-physical memory: 0, or -1 if gpa is not guest RAM. */
typedef int (*gpa_read_fn)(void *ctx, u64 gpa, void *buf, unsigned len);

/* The guest's paging controls, e.g. from the VMCB save area. */
struct guest_paging {
	u64 cr0, cr3, cr4, efer;
};

/* Access kinds; the values are the #PF error-code bits (APM Vol 2 §8.4.2). */
#define GW_WRITE                BIT(1)
#define GW_USER                 BIT(2)  /* CPL 3 */
#define GW_FETCH                BIT(4)

/* #PF error code bits returned in *pf_error. */
#define PF_ERR_P                BIT(0)  /* 1: protection violation; 0: not present */
#define PF_ERR_W                BIT(1)
#define PF_ERR_U                BIT(2)
#define PF_ERR_RSV              BIT(3)
#define PF_ERR_ID               BIT(4)  /* fetch, reported only with EFER.NXE or CR4.SMEP */

/*
 * Translates gva for an access of kind access (GW_* flags, 0 = supervisor
 * read).  Returns 0 with *gpa set; -1 with the #PF error code the access
 * would raise in *pf_error; -2 if a page-table read hit a GPA that is not
 * guest RAM.
 *
 * Modes: paging off (gpa = gva, truncated to 32 bits), 32-bit 2-level
 * (4 MiB pages with CR4.PSE, PSE-36 address bits), PAE 3-level (2 MiB
 * pages), long mode 4-level (2 MiB and 1 GiB pages; 5-level with CR4.LA57).
 * Checked: P, R/W (supervisor writes only with CR0.WP), U/S, NX (EFER.NXE),
 * SMEP, and a minimal set of reserved bits (NX without NXE, PS in a PML4E,
 * PAE PDPTE reserved bits, the low reserved bits of large pages).  Not
 * checked: SMAP (needs RFLAGS.AC), protection keys, address bits above the
 * guest's physical width, canonical form of gva (that is a #GP, not a #PF).
 */
int guest_walk(const struct guest_paging *p, u64 gva, unsigned access,
	       gpa_read_fn read, void *ctx, u64 *gpa, u32 *pf_error);

/*
 * The paging-structure entries one walk read, in order, with the values it
 * read.  A walk's answer is a function of the paging controls and of these
 * values only (nothing is written: Accessed and Dirty bits are not set), so
 * a later walk of the same address under the same controls that would read
 * the same values gives the same answer: a cache of the translation may be
 * used as long as every entry here still holds its value.
 */
#define GUEST_WALK_MAX_LEVELS   5
struct guest_walk_trace {
	unsigned n;                     /* entries read */
	unsigned entry_size;            /* 4 (32-bit paging) or 8 */
	u64 gpa[GUEST_WALK_MAX_LEVELS];
	u64 val[GUEST_WALK_MAX_LEVELS];
};

/* guest_walk that also fills *trace (when not NULL) with the entries it read. */
int guest_walk_traced(const struct guest_paging *p, u64 gva, unsigned access,
		      gpa_read_fn read, void *ctx, u64 *gpa, u32 *pf_error,
		      struct guest_walk_trace *trace);

/*
 * Reads len bytes at gva, page by page (a read may cross into a page that
 * maps elsewhere or not at all), as supervisor data reads.  Returns 0, -1
 * for a page fault, -2 for non-RAM; see guest_read_virt_access for the
 * fault details.
 */
int guest_read_virt(const struct guest_paging *p, u64 gva, void *buf, unsigned len,
		    gpa_read_fn read, void *ctx);

/*
 * The same with an access kind (e.g. GW_FETCH | GW_USER for an instruction
 * fetch at CPL 3).  On -1, *pf_error and *fault_gva (the first address of
 * the access inside the page that faulted: what CR2 would hold) are set
 * when not NULL.
 */
int guest_read_virt_access(const struct guest_paging *p, u64 gva, void *buf, unsigned len,
			   unsigned access, gpa_read_fn read, void *ctx,
			   u32 *pf_error, u64 *fault_gva);

#endif
