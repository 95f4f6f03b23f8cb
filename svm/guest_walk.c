/*
 * svm/guest_walk.c - software walk of the guest's page tables.
 *
 * APM Vol 2 §5.2 "Legacy-Mode Page Translation" (32-bit and PAE),
 * §5.3 "Long-Mode Page Translation", §5.6 "Page-Protection Checks" and
 * §8.4.2 "Page-Fault Error Code".  One loop serves every format: a format
 * is the number of levels, the entry size and the address shift of each
 * level.
 */
#include "svm/guest_walk.h"
#include "lib/x86.h"

#define PTE_P           BIT(0)
#define PTE_RW          BIT(1)
#define PTE_US          BIT(2)
#define PTE_PS          BIT(7)
#define PTE_NX          BIT(63)
#define PTE_ADDR_PAE    GENMASK(51, 12)
#define PTE_ADDR_32     GENMASK(31, 12)

#define CR4_PSE         BIT(4)
#define CR4_LA57        BIT(12)
#define CR4_SMEP        BIT(20)

/* Legacy PAE PDPTE: bits 2:1 and 8:5 are reserved (no R/W, U/S, PS there). */
#define PDPTE_PAE_RSVD  (GENMASK(2, 1) | GENMASK(8, 5))
/* A 32-bit 4 MiB PDE: bit 21 is reserved (bits 20:13 are PSE-36 address bits). */
#define PDE4M_RSVD      BIT(21)

enum walk_mode { WALK_32, WALK_PAE, WALK_LONG };

struct walk_fmt {
	enum walk_mode mode;
	int levels;             /* top level is levels-1, leaf PTE is level 0 */
	unsigned entry_size;    /* 4 or 8 */
	unsigned index_bits;    /* 10 (32-bit) or 9 */
};

static unsigned level_shift(const struct walk_fmt *f, int level)
{
	return PAGE_SHIFT + f->index_bits * (unsigned)level;
}

static unsigned level_index(const struct walk_fmt *f, u64 va, int level)
{
	unsigned bits = f->index_bits;

	if (f->mode == WALK_PAE && level == 2)
		bits = 2;       /* the PDPT has 4 entries: VA bits 31:30 */
	return (unsigned)(va >> level_shift(f, level)) & ((1u << bits) - 1);
}

/* Whether an entry with PS=1 at this level maps a page. */
static bool large_allowed(const struct walk_fmt *f, const struct guest_paging *p, int level)
{
	switch (f->mode) {
	case WALK_32:
		return level == 1 && (p->cr4 & CR4_PSE);
	case WALK_PAE:
		return level == 1;
	case WALK_LONG:
		return level == 1 || level == 2;
	}
	return false;
}

/* Reserved bits of an entry at a level; a set one faults with RSV. */
static bool entry_reserved(const struct walk_fmt *f, bool nxe, u64 e, int level, bool large)
{
	if (f->mode == WALK_32)
		return large && (e & PDE4M_RSVD);
	if (!nxe && (e & PTE_NX))
		return true;
	if (f->mode == WALK_PAE && level == 2)
		return (e & PDPTE_PAE_RSVD) != 0;
	if (f->mode == WALK_LONG && level >= 3 && (e & PTE_PS))
		return true;    /* PS is MBZ in PML4E (and PML5E) */
	if (large)          /* bits 12 (PAT) .. 20 or 29 are address or reserved */
		return (e & GENMASK(level_shift(f, level) - 1, 13)) != 0;
	return false;
}

int guest_walk_traced(const struct guest_paging *p, u64 gva, unsigned access,
		      gpa_read_fn read, void *ctx, u64 *gpa, u32 *pf_error,
		      struct guest_walk_trace *trace)
{
	bool lm = (p->efer & EFER_LME) && (p->cr0 & CR0_PG);
	bool user = access & GW_USER, write = access & GW_WRITE, fetch = access & GW_FETCH;
	struct walk_fmt f;
	bool nxe, smep, rw_all = true, us_all = true, nx_any = false;
	u32 err;
	u64 table, e = 0, page_base = 0;
	unsigned page_shift = PAGE_SHIFT;
	int level;

	if (trace)
		trace->n = 0;
	if (!(p->cr0 & CR0_PG)) {
		*gpa = (p->efer & EFER_LMA) ? gva : (u32)gva;
		return 0;
	}
	if (lm) {
		f = (struct walk_fmt){ WALK_LONG, (p->cr4 & CR4_LA57) ? 5 : 4, 8, 9 };
		table = p->cr3 & PTE_ADDR_PAE;
	} else if (p->cr4 & CR4_PAE) {
		f = (struct walk_fmt){ WALK_PAE, 3, 8, 9 };
		table = p->cr3 & GENMASK(31, 5);
		gva = (u32)gva;
	} else {
		f = (struct walk_fmt){ WALK_32, 2, 4, 10 };
		table = p->cr3 & PTE_ADDR_32;
		gva = (u32)gva;
	}
	nxe = f.mode != WALK_32 && (p->efer & EFER_NXE);
	smep = f.mode != WALK_32 && (p->cr4 & CR4_SMEP);
	if (trace)
		trace->entry_size = f.entry_size;

	/* §8.4.2: I/D is reported only when NX or SMEP makes fetches special. */
	err = (write ? PF_ERR_W : 0) | (user ? PF_ERR_U : 0) |
	      (fetch && (nxe || smep) ? PF_ERR_ID : 0);

	for (level = f.levels - 1; level >= 0; level--) {
		u64 ea = table + (u64)level_index(&f, gva, level) * f.entry_size;
		bool large;

		if (f.entry_size == 4) {
			u32 e32;

			if (read(ctx, ea, &e32, 4))
				return -2;
			e = e32;
		} else if (read(ctx, ea, &e, 8)) {
			return -2;
		}
		if (trace) {
			trace->gpa[trace->n] = ea;
			trace->val[trace->n++] = e;
		}
		if (!(e & PTE_P)) {
			*pf_error = err;
			return -1;
		}
		large = level > 0 && (e & PTE_PS) && large_allowed(&f, p, level);
		if (entry_reserved(&f, nxe, e, level, large)) {
			*pf_error = err | PF_ERR_P | PF_ERR_RSV;
			return -1;
		}
		/* Legacy PAE PDPTEs carry no permissions. */
		if (!(f.mode == WALK_PAE && level == 2)) {
			rw_all &= !!(e & PTE_RW);
			us_all &= !!(e & PTE_US);
			nx_any |= nxe && (e & PTE_NX);
		}
		if (level == 0 || large) {
			page_shift = level_shift(&f, level);
			if (f.mode == WALK_32 && large)     /* PSE-36: PDE 20:13 -> PA 39:32 */
				page_base = (e & GENMASK(31, 22)) | (((e >> 13) & 0xff) << 32);
			else if (f.mode == WALK_32)
				page_base = e & PTE_ADDR_32;
			else
				page_base = e & PTE_ADDR_PAE & ~(BIT(page_shift) - 1);
			break;
		}
		table = e & (f.mode == WALK_32 ? PTE_ADDR_32 : PTE_ADDR_PAE);
	}

	/* §5.6 "Page-Protection Checks". */
	if ((user && !us_all) ||
	    (write && !rw_all && (user || (p->cr0 & CR0_WP))) ||
	    (fetch && nx_any) ||
	    (fetch && !user && smep && us_all)) {
		*pf_error = err | PF_ERR_P;
		return -1;
	}
	*gpa = page_base | (gva & (BIT(page_shift) - 1));
	return 0;
}

int guest_walk(const struct guest_paging *p, u64 gva, unsigned access,
	       gpa_read_fn read, void *ctx, u64 *gpa, u32 *pf_error)
{
	return guest_walk_traced(p, gva, access, read, ctx, gpa, pf_error, NULL);
}

int guest_read_virt_access(const struct guest_paging *p, u64 gva, void *buf, unsigned len,
			   unsigned access, gpa_read_fn read, void *ctx,
			   u32 *pf_error, u64 *fault_gva)
{
	u8 *out = buf;

	while (len) {
		unsigned chunk = (unsigned)MIN((u64)len, PAGE_SIZE - (gva & (PAGE_SIZE - 1)));
		u32 err = 0;
		u64 gpa;
		int r = guest_walk(p, gva, access, read, ctx, &gpa, &err);

		if (r == -1) {
			if (pf_error)
				*pf_error = err;
			if (fault_gva)
				*fault_gva = gva;
		}
		if (r)
			return r;
		if (read(ctx, gpa, out, chunk))
			return -2;
		out += chunk;
		gva += chunk;
		len -= chunk;
	}
	return 0;
}

int guest_read_virt(const struct guest_paging *p, u64 gva, void *buf, unsigned len,
		    gpa_read_fn read, void *ctx)
{
	return guest_read_virt_access(p, gva, buf, len, 0, read, ctx, NULL, NULL);
}
