/*
 * tests/fuzz/fuzz_guest_walk.c - libFuzzer target for the guest page walk
 * (svm/guest_walk.c).
 *
 * Random page tables in a fake guest RAM of FZ_PAGES pages (on the heap,
 * exactly that size), every paging mode: off, 32-bit (with and without
 * CR4.PSE), legacy PAE, long mode 4- and 5-level.  A reference walk written
 * here from APM Vol 2 §5 "Page Translation and Protection" (§5.2 legacy
 * 32-bit, §5.3 PAE, §5.4 long mode, §5.6 "Page-Protection Checks") and
 * §8.4.2 (the #PF error code) is compared with guest_walk():
 *   - every read of guest memory is one the reference makes too, in the
 *     same order, aligned, of the entry size; a read outside guest RAM is
 *     answered -1 by the callback and must end the walk with -2;
 *   - same result (0 / -1 / -2), same GPA, same #PF error code;
 *   - guest_read_virt_access over any length: the bytes of the reference
 *     translation page by page, or the first fault with its error code and
 *     faulting address.
 * Inputs the model leaves out, by choice: SMEP with 32-bit paging (whether
 * it applies there, and I/D there, is not settled here), reserved bits
 * 62:52 of legacy PAE entries and bit 63 of a PAE PDPTE (checked by the CPU
 * when CR3 is loaded, not by a walk): the input never sets them.
 *
 * Input format: byte 0 mode (% 6: off, 32, 32+PSE, PAE, long-4, long-5);
 * byte 1 controls (bit 0 CR0.WP, 1 EFER.NXE, 2 CR4.SMEP, 3 write, 4 user,
 * 5 fetch); bytes 2-3 CR3 (page % FZ_PAGES, PAE 32-byte slot); bytes 4-11
 * the GVA; byte 12 read length - 1 for guest_read_virt_access; then per
 * level from the top one flag byte (bit 0: point the entry's address into
 * guest RAM) and 8 bytes of entry, written where the reference walk reads
 * it; then (u16 offset, u8 value) pairs scribbled over the RAM.
 */
#include "svm/guest_walk.c"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_NAME "fuzz_guest_walk"
#include "tests/fuzz/ref_x86.h"
#include "tests/fuzz/fz_in.h"

#define FZ_PAGES        16
#define FZ_RAM          (FZ_PAGES * PAGE_SIZE)
#define MAX_READS       16

static u8 *fz_ram;
static u64 fz_reads[MAX_READS];
static unsigned fz_nreads, fz_read_len[MAX_READS];
static bool fz_walking;         /* reads are page-table reads (recorded) */

static int ram_read(void *ctx, u64 gpa, void *buf, unsigned len)
{
	FZ_CHECK(ctx == &fz_ram, "read callback context");
	FZ_CHECK(len >= 1 && len <= PAGE_SIZE, "read of %u bytes", len);
	if (fz_walking) {
		FZ_CHECK(fz_nreads < MAX_READS, "more than %u page-table reads", MAX_READS);
		fz_read_len[fz_nreads] = len;
		fz_reads[fz_nreads++] = gpa;
	}
	if (gpa >= FZ_RAM || len > FZ_RAM - gpa)
		return -1;
	memcpy(buf, fz_ram + gpa, len);
	return 0;
}

/* --- the reference walk --------------------------------------------------- */

struct ref_level {
	unsigned shift, bits;   /* VA bits this level indexes */
	bool perms;             /* R/W, U/S, NX count (not a legacy PAE PDPTE) */
	bool large_ok;          /* PS=1 maps a page here */
	u64 rsvd;               /* reserved bits whatever PS says */
	u64 rsvd_large;         /* reserved bits of a large page */
};

#define M(hi, lo)       ((~0ull >> (63 - (hi))) & ~((1ull << (lo)) - 1))

/* Indexed by level, 0 = the PTE. */
static const struct ref_level ref_long[5] = {
	{ 12, 9, true, false, 0, 0 },
	{ 21, 9, true, true, 0, M(20, 13) },            /* PDE: 2 MiB */
	{ 30, 9, true, true, 0, M(29, 13) },            /* PDPE: 1 GiB */
	{ 39, 9, true, false, BIT(7), 0 },              /* PML4E: PS MBZ */
	{ 48, 9, true, false, BIT(7), 0 },              /* PML5E: PS MBZ */
};
static const struct ref_level ref_pae[3] = {
	{ 12, 9, true, false, 0, 0 },
	{ 21, 9, true, true, 0, M(20, 13) },
	{ 30, 2, false, false, M(2, 1) | M(8, 5), 0 },  /* PDPTE: 4 entries, no permissions */
};
static const struct ref_level ref_32[2] = {
	{ 12, 10, true, false, 0, 0 },
	{ 22, 10, true, true, 0, BIT(21) },             /* 4 MiB PDE, PSE-36: 20:13 -> 39:32 */
};

struct ref_mode {
	const struct ref_level *lv;
	int levels;
	unsigned esize;
	bool nxe, smep, pse, is32;
	u64 table;
};

static int ref_paging(const struct guest_paging *p, struct ref_mode *m)
{
	bool lma = p->efer & EFER_LMA;

	memset(m, 0, sizeof(*m));
	if (!(p->cr0 & CR0_PG))
		return 0;
	if (lma) {
		m->lv = ref_long;
		m->levels = (p->cr4 & BIT(12)) ? 5 : 4;
		m->esize = 8;
		m->table = p->cr3 & M(51, 12);
	} else if (p->cr4 & BIT(5)) {
		m->lv = ref_pae;
		m->levels = 3;
		m->esize = 8;
		m->table = p->cr3 & M(31, 5);
	} else {
		m->lv = ref_32;
		m->levels = 2;
		m->esize = 4;
		m->table = p->cr3 & M(31, 12);
		m->is32 = true;
		m->pse = p->cr4 & BIT(4);
	}
	m->nxe = !m->is32 && (p->efer & EFER_NXE);
	m->smep = !m->is32 && (p->cr4 & BIT(20));
	return 1;
}

/* Entry address for level lv of va; the entry read through ram (or -1 when outside). */
static u64 ref_entry_addr(const struct ref_mode *m, u64 table, u64 va, int lv)
{
	const struct ref_level *l = &m->lv[lv];

	return table + ((va >> l->shift) & ((1ull << l->bits) - 1)) * m->esize;
}

static int ref_read_entry(const struct ref_mode *m, u64 ea, u64 *e, u64 *reads, unsigned *n)
{
	reads[(*n)++] = ea;
	*e = 0;
	if (ea >= FZ_RAM || m->esize > FZ_RAM - ea)
		return -1;
	memcpy(e, fz_ram + ea, m->esize);
	return 0;
}

static int ref_walk(const struct guest_paging *p, u64 va, unsigned acc, u64 *gpa, u32 *err,
		    u64 *reads, unsigned *nreads)
{
	bool w = acc & GW_WRITE, u = acc & GW_USER, x = acc & GW_FETCH;
	bool rw = true, us = true, nx = false;
	struct ref_mode m;
	u64 table, e = 0, base = 0, off_mask = 0;
	u32 ec;
	int lv;

	*nreads = 0;
	if (!ref_paging(p, &m)) {
		*gpa = (u32)va;
		return 0;
	}
	if (!(p->efer & EFER_LMA))
		va = (u32)va;
	ec = (w ? 2 : 0) | (u ? 4 : 0) | (x && (m.nxe || m.smep) ? 16 : 0);
	table = m.table;
	for (lv = m.levels - 1; lv >= 0; lv--) {
		const struct ref_level *l = &m.lv[lv];
		bool large;

		if (ref_read_entry(&m, ref_entry_addr(&m, table, va, lv), &e, reads, nreads))
			return -2;
		if (!(e & 1)) {
			*err = ec;
			return -1;
		}
		large = l->large_ok && (e & BIT(7)) && (!m.is32 || m.pse);
		if ((e & l->rsvd) || (large && (e & l->rsvd_large)) ||
		    (!m.is32 && !m.nxe && (e & BIT(63)))) {
			*err = ec | 1 | 8;
			return -1;
		}
		if (l->perms) {
			rw &= (e >> 1) & 1;
			us &= (e >> 2) & 1;
			nx |= m.nxe && (e >> 63);
		}
		if (lv == 0 || large) {
			off_mask = (1ull << l->shift) - 1;
			if (m.is32 && large)
				base = (e & M(31, 22)) | (((e >> 13) & 0xff) << 32);
			else if (m.is32)
				base = e & M(31, 12);
			else
				base = e & M(51, l->shift);
			break;
		}
		table = e & (m.is32 ? M(31, 12) : M(51, 12));
	}
	if ((u && !us) || (w && !rw && (u || (p->cr0 & CR0_WP))) || (x && nx) || (x && !u && m.smep && us)) {
		*err = ec | 1;
		return -1;
	}
	*gpa = base | (va & off_mask);
	return 0;
}

/* --- the input ------------------------------------------------------------ */


/* Writes the entries the reference walk of gva reads, from the input. */
static void build_chain(const struct guest_paging *p, u64 va, bool pae, struct fz_in *in)
{
	struct ref_mode m;
	u64 table, e;
	int lv;

	if (!ref_paging(p, &m))
		return;
	if (!(p->efer & EFER_LMA))
		va = (u32)va;
	table = m.table;
	for (lv = m.levels - 1; lv >= 0; lv--) {
		u64 ea = ref_entry_addr(&m, table, va, lv);
		u8 flags = in_u8(in);

		e = in_u64(in);
		if (flags & 1)          /* the next table (or page) inside guest RAM */
			e = (e & ~(m.is32 ? M(31, 12) : M(51, 12))) | ((u64)(flags >> 4) << 12);
		if (pae)
			e &= lv == 2 ? ~M(63, 52) : ~M(62, 52);
		if (ea + m.esize <= FZ_RAM)
			memcpy(fz_ram + ea, &e, m.esize);
		table = e & (m.is32 ? M(31, 12) : M(51, 12));
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_ram = malloc(FZ_RAM);
	if (!fz_ram)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fz_in in = { data, size };
	struct guest_paging p = { 0 };
	u8 mode = in_u8(&in) % 6, ctl = in_u8(&in), c3a = in_u8(&in), c3b = in_u8(&in);
	u64 gva = in_u64(&in), gpa = 0, egpa = 0, reads[MAX_READS], fault = 0;
	unsigned len = in_u8(&in) + 1u, acc = 0, nreads = 0, i;
	u32 err = 0, eerr = 0;
	struct guest_walk_trace trace;
	int r, er;

	memset(fz_ram, 0, FZ_RAM);
	if (mode) {
		p.cr0 = CR0_PG | (ctl & 1 ? CR0_WP : 0);
		p.cr4 = (mode == 2 ? BIT(4) : 0) | (mode >= 3 ? BIT(5) : 0) | (mode == 5 ? BIT(12) : 0) |
			(mode >= 3 && (ctl & 4) ? BIT(20) : 0);
		p.efer = (ctl & 2 ? EFER_NXE : 0) | (mode >= 4 ? EFER_LME | EFER_LMA : 0);
	}
	p.cr3 = (u64)(c3a % FZ_PAGES) << 12 | (mode == 3 ? (c3b & 0x7f) << 5 : (c3b & 0x18));
	acc = (ctl & 8 ? GW_WRITE : 0) | (ctl & 16 ? GW_USER : 0) | (ctl & 32 ? GW_FETCH : 0);
	build_chain(&p, gva, mode == 3, &in);
	while (in.n >= 3) {
		u16 off = in_u8(&in) | (u16)in_u8(&in) << 8;
		u8 v = in_u8(&in);

		fz_ram[off % FZ_RAM] = v;
	}

	/* One walk. */
	fz_nreads = 0;
	fz_walking = true;
	r = guest_walk_traced(&p, gva, acc, ram_read, &fz_ram, &gpa, &err, &trace);
	fz_walking = false;
	er = ref_walk(&p, gva, acc, &egpa, &eerr, reads, &nreads);
	/*
	 * The trace (what hv/vcpu.c's fetch cache revalidates) is every entry
	 * the walk read from RAM, in order, with the value it read: a read that
	 * failed (-2) is the walk's last and is not in it.
	 */
	FZ_CHECK(trace.n == fz_nreads - (r == -2 ? 1u : 0u), "trace of %u entries for %u reads (result %d)",
		 trace.n, fz_nreads, r);
	for (i = 0; i < trace.n && i < fz_nreads; i++) {
		u64 v = 0;

		memcpy(&v, fz_ram + fz_reads[i], fz_read_len[i]);
		FZ_CHECK(trace.gpa[i] == fz_reads[i] && trace.val[i] == v && trace.entry_size == fz_read_len[i],
			 "trace entry %u: 0x%llx = 0x%llx (%u bytes), read 0x%llx = 0x%llx (%u bytes)", i,
			 (unsigned long long)trace.gpa[i], (unsigned long long)trace.val[i], trace.entry_size,
			 (unsigned long long)fz_reads[i], (unsigned long long)v, fz_read_len[i]);
	}
	FZ_CHECK(fz_nreads == nreads, "mode %u: %u page-table reads, reference %u", mode, fz_nreads, nreads);
	for (i = 0; i < nreads; i++)
		FZ_CHECK(fz_reads[i] == reads[i] && fz_read_len[i] == (mode <= 2 ? 4u : 8u),
			 "read %u at 0x%llx (%u bytes), reference 0x%llx", i,
			 (unsigned long long)fz_reads[i], fz_read_len[i], (unsigned long long)reads[i]);
	FZ_CHECK(r == er, "mode %u gva 0x%llx access 0x%x: result %d, reference %d (error 0x%x/0x%x)",
		 mode, (unsigned long long)gva, acc, r, er, err, eerr);
	if (r == 0)
		FZ_CHECK(gpa == egpa, "gpa 0x%llx, reference 0x%llx", (unsigned long long)gpa,
			 (unsigned long long)egpa);
	if (r == -1)
		FZ_CHECK(err == eerr, "mode %u access 0x%x: #PF error 0x%x, reference 0x%x", mode, acc, err, eerr);

	/* A read of len bytes, page by page. */
	{
		u8 *out = malloc(len);  /* exactly len: ASan catches a write past it */
		u64 va = gva;
		unsigned done = 0;

		if (!out)
			abort();
		err = 0;
		r = guest_read_virt_access(&p, gva, out, len, acc, ram_read, &fz_ram, &err, &fault);
		for (er = 0; done < len; ) {
			unsigned chunk = (unsigned)MIN((u64)(len - done), PAGE_SIZE - (va & (PAGE_SIZE - 1)));

			er = ref_walk(&p, va, acc, &egpa, &eerr, reads, &nreads);
			if (er)
				break;
			if (egpa >= FZ_RAM || chunk > FZ_RAM - egpa) {
				er = -2;
				break;
			}
			FZ_CHECK(r != 0 || !memcmp(out + done, fz_ram + egpa, chunk),
				 "read_virt bytes at offset %u differ", done);
			done += chunk;
			va += chunk;
		}
		FZ_CHECK(r == er, "read_virt of %u bytes at 0x%llx: %d, reference %d", len,
			 (unsigned long long)gva, r, er);
		if (r == -1)
			FZ_CHECK(err == eerr && fault == va, "read_virt fault 0x%x at 0x%llx, reference 0x%x at 0x%llx",
				 err, (unsigned long long)fault, eerr, (unsigned long long)va);
		free(out);
	}
	return 0;
}
