/*
 * tests/fuzz/fuzz_avic.c - libFuzzer target for the software model of AVIC /
 * x2AVIC (avic/avic_emu.c) and the AVIC format encoders and decoders
 * (avic/avic_hw.c).
 *
 * The input builds a small VM: 1-8 vCPUs, each xAVIC or x2AVIC, a physical
 * APIC ID table of up to 4096 entries (valid, invalid, pointing at a
 * vCPU's page, at no page, with SBZ bits, out of MAX_INDEX), a logical APIC
 * ID table, IsRunning bits and host APIC IDs, backing-page contents, the
 * MSRPM the x2AVIC vCPUs run with.  Then a sequence of guest accesses: xAPIC
 * MMIO of any offset, RDMSR/WRMSR of 0x7c0-0x9bf (0x800-0x8ff and around
 * it), ICR writes with any fields, EOIs, SELF_IPI, TPR; and hypervisor
 * steps between them (IsRunning changes, a register set on a page).
 *
 * Memory: every backing page, the physical table and the logical table lie
 * in memory of their own between PROT_NONE guard pages; the physical table
 * ends exactly at entry MAX_INDEX, so a read of entry MAX_INDEX + 1 faults.
 * page_of() (how the model turns a table entry's address into a page)
 * aborts for an address that is not a decoded 4 KiB pointer.  A fault on a
 * guard page is reported as the model touching memory it was not given.
 *
 * Before each access a reference written here from APM Vol 2 §15.29 and
 * §16.11-16.15 (Table 15-22, Tables 15-23..15-27, Table 16-6) computes the
 * expected outcome on a copy of all memory; then the model runs on the real
 * memory, and (each failure names its invariant):
 *   - outcome: exactly one of accelerated, 0x401, 0x402, #GP, intercepted,
 *     the reference's; the exit record is written only for an exit, a read
 *     value only for an accelerated read;
 *   - 0x401: cause and index as the reference's IPI walk says (invalid
 *     type 0, not running 1 with the first such target, invalid target 2,
 *     invalid backing page 3, vector 4), EXITINFO1 = ICRH:ICRL; decoded by
 *     avic_incomplete_ipi_decode() back to the same fields and re-encoded
 *     to the same bits;
 *   - 0x402: offset, direction, EOI vector; trap or fault (whether the
 *     page took the write) as the independent Table 15-22 below says, and
 *     avic_noaccel_decode()'s kind the same; encode/decode round trip;
 *   - #GP exactly for the x2APIC accesses Table 16-6 rejects (as the model
 *     claims them: avic_emu.c's documented choices for APR and the LVT
 *     status bits), and avic_emu_x2_allowed() agrees;
 *   - memory: every byte of every page and table equals the reference's
 *     copy: an accelerated access changes only the accessing vCPU's page,
 *     or for an IPI the targets' IRR; a fault changes nothing;
 *   - doorbells: exactly the running targets' host IDs, never the sender's
 *     own core, each a valid avic_doorbell_value();
 *   - formats: every physical entry and logical entry built decodes and
 *     re-encodes to itself; the VMCB physical-table field round-trips;
 *     avic_phys_set_running() changes only IsRunning and the host ID.
 * Quirks are off (they are the model departing from the APM on purpose).
 *
 * Input format (a short input reads zeros past its end): see fz_vm_build()
 * and fz_step(); FUZZ_AVIC_TRACE=1 prints every access and its outcome.
 */
#include "avic/avic_hw.c"
#include "avic/avic_emu.c"
#include "avic/vapic.c"
#include "svm/msrpm.c"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define FZ_NAME "fuzz_avic"
#include "tests/fuzz/ref_x86.h"
#include "tests/fuzz/fz_in.h"

#define FZ_NVCPU        8
#define FZ_NPAGES       10              /* 8 vCPU backing pages and 2 pages of no vCPU */
#define FZ_HPA(i)       (0x00000abc00000000ull + (u64)(i) * 0x3000u)
#define FZ_HPA_NONE     (FZ_HPA(0) + 0x1000u)   /* a page-aligned address with no page */
#define FZ_PHYS_PAGES   8u

/* ---- memory: each region between PROT_NONE guards ---- */

static u8 *fz_page[FZ_NPAGES];          /* backing pages */
static u8 *fz_phys_end;                 /* end of the 8 physical-table pages */
static u64 *fz_phys;                    /* entry 0; entry max_index is the last before the guard */
static u32 *fz_log;                     /* logical table, one page */
static u8 *fz_region;
static size_t fz_region_len;

/* The reference's copies. */
static u8 fz_exp_page[FZ_NPAGES][PAGE_SIZE];
static u8 fz_msrpm[MSRPM_SIZE];

static bool fz_trace;

static void fz_segv(int sig, siginfo_t *si, void *uc)
{
	u8 *a = si->si_addr;

	(void)sig;
	(void)uc;
	if (a >= fz_region && a < fz_region + fz_region_len)
		fprintf(stderr, FZ_NAME ": memory: the model touched %p, a guard page outside the pages it was given\n",
			(void *)a);
	else
		fprintf(stderr, FZ_NAME ": memory: fault at %p\n", (void *)a);
	abort();
}

static void fz_map(void)
{
	/* [G] page [G] page ... [G] 8 phys pages [G] log page [G] */
	size_t pages = 1 + 2 * FZ_NPAGES + FZ_PHYS_PAGES + 1 + 1 + 1, i;
	u8 *p;
	struct sigaction sa;

	fz_region_len = pages * PAGE_SIZE;
	fz_region = mmap(NULL, fz_region_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fz_region == MAP_FAILED)
		abort();
	p = fz_region + PAGE_SIZE;
	for (i = 0; i < FZ_NPAGES; i++, p += 2 * PAGE_SIZE) {
		mprotect(p, PAGE_SIZE, PROT_READ | PROT_WRITE);
		fz_page[i] = p;
	}
	mprotect(p, FZ_PHYS_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE);
	fz_phys_end = p + FZ_PHYS_PAGES * PAGE_SIZE;
	p = fz_phys_end + PAGE_SIZE;
	mprotect(p, PAGE_SIZE, PROT_READ | PROT_WRITE);
	fz_log = (u32 *)p;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fz_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/* ---- the VM ---- */

struct fz_vcpu {
	u32 id;                 /* guest physical APIC ID */
	u32 host;               /* host APIC ID of its core */
	bool x2;                /* runs x2AVIC */
};

static struct {
	u32 n;
	struct fz_vcpu v[FZ_NVCPU];
	u32 max_index;          /* the VM's MAX_INDEX (x2AVIC flavour) */
	enum avic_hw_mode flavour;
	bool ext_lvt, level_clears;
	int msrpm_mode;         /* 0 NULL (the policy), 1 all passed, 2 from the input */
} vm;


/* MAX_INDEX a vCPU's VMCB carries: xAVIC's VMRUN check allows <= 0xff. */
static u32 fz_max(const struct fz_vcpu *v)
{
	return v->x2 ? vm.max_index : MIN(vm.max_index, 0xffu);
}

/* ---- independent tables ---- */

enum { K_ACCEL, K_TRAP, K_FAULT };

/*
 * APM Vol 2 Table 15-22 "Virtual APIC Register Accesses" (§15.29.3.1),
 * read / write, for the normal case (EOI and ICRL writes accelerated);
 * offsets in no row are allowed.  Written out here, not taken from avic_hw.
 */
static int ref_kind(u32 off, bool write, bool extlvt)
{
	u32 r = off & 0xff0;

	if (off >= 0x1000)
		return K_FAULT;
	switch (r) {
	case 0x020: case 0x0c0: case 0x0d0: case 0x0e0: case 0x0f0: case 0x280:
	case 0x320: case 0x330: case 0x340: case 0x350: case 0x360: case 0x370:
	case 0x380: case 0x3e0:
		return write ? K_TRAP : K_ACCEL;                /* allowed | trap */
	case 0x030: case 0x0a0:
		return write ? K_FAULT : K_ACCEL;               /* allowed | fault */
	case 0x090: case 0x390: case 0x400: case 0x410: case 0x420:
		return K_FAULT;                                 /* fault | fault */
	default:
		break;
	}
	if (r >= 0x100 && r <= 0x270)                           /* ISR, TMR, IRR */
		return write ? K_FAULT : K_ACCEL;
	if (r >= 0x480 && r <= 0x4f0)                           /* IER */
		return K_FAULT;
	if (r >= 0x500 && r <= 0x530)                           /* extended LVT */
		return !extlvt ? K_FAULT : write ? K_TRAP : K_ACCEL;
	if (r >= 0x540)                                         /* reserved */
		return K_FAULT;
	return K_ACCEL;         /* TPR, EOI, ICRL, ICRH, SELF_IPI, no row */
}

/*
 * APM Vol 2 Table 16-6 "x2APIC Register" (§16.11-16.15): which MSRs exist,
 * read-only / write-only, and the bits a WRMSR may set (others and 63:32
 * #GP, but for ICR).  As avic_emu.c documents its choices: APR readable,
 * LVT delivery status and remote IRR tolerated.
 */
struct ref_x2 {
	u16 msr, last;
	bool rd, wr;
	u32 wmask;
};

static const struct ref_x2 ref_x2_regs[] = {
	{ 0x802, 0x802, true,  false, 0 },              /* APIC ID */
	{ 0x803, 0x803, true,  false, 0 },              /* Version */
	{ 0x808, 0x808, true,  true,  0xff },           /* TPR */
	{ 0x809, 0x809, true,  false, 0 },              /* APR */
	{ 0x80a, 0x80a, true,  false, 0 },              /* PPR */
	{ 0x80b, 0x80b, false, true,  0 },              /* EOI: only 0 */
	{ 0x80d, 0x80d, true,  false, 0 },              /* LDR */
	{ 0x80f, 0x80f, true,  true,  0x3ff },          /* SVR: vector, ASE, FCC disable */
	{ 0x810, 0x827, true,  false, 0 },              /* ISR, TMR, IRR */
	{ 0x828, 0x828, true,  true,  0 },              /* ESR: only 0 */
	{ 0x830, 0x830, true,  true,  0x000ccfff },     /* ICR: not 31:20, 17:16, 13, 12 */
	{ 0x832, 0x832, true,  true,  0x000310ff },     /* LVT Timer: vector, DS, M, periodic */
	{ 0x833, 0x834, true,  true,  0x000117ff },     /* LVT Thermal, PerfCounter: + MT */
	{ 0x835, 0x836, true,  true,  0x0001f7ff },     /* LINT0/1: + polarity, RIRR, TGM */
	{ 0x837, 0x837, true,  true,  0x000110ff },     /* LVT Error */
	{ 0x838, 0x838, true,  true,  0xffffffffu },    /* TMICT */
	{ 0x839, 0x839, true,  false, 0 },              /* TMCCT */
	{ 0x83e, 0x83e, true,  true,  0xb },            /* TDCR */
	{ 0x83f, 0x83f, false, true,  0xff },           /* SELF_IPI */
};

static bool ref_x2_gp(u32 msr, bool write, u64 val)
{
	size_t i;
	u32 mt;

	for (i = 0; i < ARRAY_SIZE(ref_x2_regs); i++) {
		const struct ref_x2 *r = &ref_x2_regs[i];

		if (msr < r->msr || msr > r->last)
			continue;
		if (!write)
			return !r->rd;
		if (!r->wr || ((u32)val & ~r->wmask))
			return true;
		if (msr != 0x830)
			return (val >> 32) != 0;
		mt = ((u32)val >> 8) & 7;               /* lowest, remote read, ExtINT */
		return mt == 1 || mt == 3 || mt == 7;
	}
	return true;
}

/* The x2AVIC MSRPM policy of avic_hw.h, written out. */
static bool ref_policy_pass(u32 msr, bool write)
{
	if (write)
		return msr == 0x808 || msr == 0x80b || msr == 0x830 || msr == 0x83f;
	return msr == 0x802 || msr == 0x803 || msr == 0x808 || msr == 0x80a || msr == 0x80d ||
	       msr == 0x80f || (msr >= 0x810 && msr <= 0x828) || msr == 0x830 ||
	       (msr >= 0x832 && msr <= 0x838) || msr == 0x83e;
}

/* APM Vol 2 §15.11: MSRs 0-0x1FFF at map offset 0, two bits each (read, write). */
static bool ref_intercepted(u32 msr, bool write)
{
	switch (vm.msrpm_mode) {
	case 0:
		return !ref_policy_pass(msr, write);
	case 1:
		return false;
	default:
		return (fz_msrpm[msr / 4] >> ((msr % 4) * 2 + write)) & 1;
	}
}

/* ---- page helpers on the reference's copies ---- */

static u32 pg_get(const u8 *p, u32 off)
{
	u32 v;

	memcpy(&v, p + off, 4);
	return v;
}

static void pg_set(u8 *p, u32 off, u32 v)
{
	memcpy(p + off, &v, 4);
}

static int pg_highest(const u8 *p, u32 base)
{
	int i;

	for (i = 255; i >= 0; i--)
		if (pg_get(p, base + (u32)(i >> 5) * 16) & (1u << (i & 31)))
			return i;
	return -1;
}

static void pg_vec(u8 *p, u32 base, u8 vec, bool set)
{
	u32 off = base + (u32)(vec >> 5) * 16, v = pg_get(p, off);

	pg_set(p, off, set ? v | (1u << (vec & 31)) : v & ~(1u << (vec & 31)));
}

/* APM Vol 2 §16.6.4 "Selecting and Handling Interrupts": PPR from TPR and the highest ISR class. */
static void pg_ppr(u8 *p)
{
	u32 tpr = pg_get(p, 0x80) & 0xff;
	int isr = pg_highest(p, 0x100);
	u32 isrv = isr < 0 ? 0 : (u32)isr;

	pg_set(p, 0xa0, (tpr & 0xf0) >= (isrv & 0xf0) ? tpr : isrv & 0xf0);
}

static int page_index(u64 hpa)
{
	int i;

	for (i = 0; i < FZ_NPAGES; i++)
		if (hpa == FZ_HPA(i))
			return i;
	return -1;
}

/* ---- the model's callbacks ---- */

static struct avic_emu_ctx fz_ctx;
static u32 fz_bells[64];
static unsigned fz_nbells;

static u8 *fz_page_of(void *opaque, u64 hpa)
{
	int i;

	FZ_CHECK(opaque == &fz_ctx, "page_of: wrong opaque");
	FZ_CHECK(!(hpa & ~AVIC_PAGE_ADDR_MASK), "page_of: 0x%llx is not a 4 KiB pointer of bits 51:12",
		 (unsigned long long)hpa);
	i = page_index(hpa);
	return i < 0 ? NULL : fz_page[i];
}

static void fz_doorbell(void *opaque, u32 host)
{
	u64 v;

	FZ_CHECK(opaque == &fz_ctx, "doorbell: wrong opaque");
	FZ_CHECK(host != fz_ctx.self_host_apic_id, "doorbell: the sender rang its own core 0x%x", host);
	FZ_CHECK(avic_doorbell_value(host, &v) && v == host, "doorbell: host ID 0x%x has no doorbell value", host);
	FZ_CHECK(fz_nbells < ARRAY_SIZE(fz_bells), "doorbell: more than %zu rings for one access",
		 ARRAY_SIZE(fz_bells));
	fz_bells[fz_nbells++] = host;
}

/* ---- the reference ---- */

enum { R_ACCEL = AVIC_EMU_ACCELERATED, R_EXIT = AVIC_EMU_EXIT, R_GP = AVIC_EMU_GP,
       R_INTERCEPTED = AVIC_EMU_INTERCEPTED };

struct ref {
	int result;
	u64 code, info1, info2;
	int kind;               /* 0x402: K_TRAP or K_FAULT */
	bool read;              /* an accelerated read: val */
	u64 val;
	u32 bells[64];
	unsigned nbells;
};

static void ref_402(struct ref *r, u32 off, bool write, u8 vec, int kind)
{
	r->result = R_EXIT;
	r->code = 0x402;
	r->info1 = (off & 0xff0) | (write ? BIT(32) : 0);
	r->info2 = vec;
	r->kind = kind;
}

static void ref_401(struct ref *r, u32 icrl, u32 icrh, u32 cause, u32 index)
{
	r->result = R_EXIT;
	r->code = 0x401;
	r->info1 = ((u64)icrh << 32) | icrl;
	/* Table 15-27: an index for causes 1-3 only, 12 bits. */
	r->info2 = ((u64)cause << 32) | (cause >= 1 && cause <= 3 ? (index & 0xfff) : 0);
}

/* One step of an IPI walk: a target, or a failure found in the logical table. */
struct ipi_step {
	u32 phys, index;
	bool directed;
	int fail;               /* -1, or the cause */
};

static struct ipi_step fz_steps[4200];

static unsigned ref_steps_logical(unsigned n, u32 log_index)
{
	u32 e = fz_log[log_index];

	/* Table 15-24: V = 0 (or, the model's choice, SBZ 30:8 set): invalid target. */
	if (!(e & BIT(31)) || (e & GENMASK(30, 8)))
		fz_steps[n++] = (struct ipi_step){ .index = log_index, .fail = 2 };
	else
		fz_steps[n++] = (struct ipi_step){ .phys = e & 0xff, .index = log_index, .directed = true, .fail = -1 };
	return n;
}

/* APM Vol 2 §15.29.6.1 and Tables 15-23/15-24: the destinations, in walk order. */
static unsigned ref_steps(const struct fz_vcpu *s, const u8 *sp, u32 icrl, u32 dest)
{
	u32 sh = (icrl >> 18) & 3, i, max = fz_max(s), dfr;
	unsigned n = 0;

	if (sh != 0 || dest == (s->x2 ? 0xffffffffu : 0xffu)) {
		for (i = 0; i <= max; i++) {
			if (!s->x2 && i == 0xff)
				continue;               /* xAVIC: the broadcast ID */
			if (sh == 3 && i == s->id)
				continue;
			fz_steps[n++] = (struct ipi_step){ .phys = i, .index = i, .fail = -1 };
		}
		return n;
	}
	if (!(icrl & BIT(11))) {
		fz_steps[n++] = (struct ipi_step){ .phys = dest, .index = dest, .directed = true, .fail = -1 };
		return n;
	}
	if (s->x2) {
		/* §16.14: cluster 31:16, bitmap 15:0; ID = cluster << 4 | bit. */
		for (i = 0; i < 16; i++)
			if (dest & BIT(i))
				fz_steps[n++] = (struct ipi_step){ .phys = ((dest >> 16) << 4) | i,
								   .index = ((dest >> 16) << 4) | i,
								   .directed = true, .fail = -1 };
		return n;
	}
	dfr = pg_get(sp, 0xe0) >> 28;
	if (dfr == 0xf) {
		for (i = 0; i < 8; i++)
			if (dest & BIT(i))
				n = ref_steps_logical(n, i);
	} else if (dfr == 0) {
		for (i = 0; i < 4; i++) {
			if (!(dest & BIT(i)))
				continue;
			if ((dest >> 4) == 0xf)
				fz_steps[n++] = (struct ipi_step){ .index = 60 + i, .fail = 2 };
			else
				n = ref_steps_logical(n, (dest >> 4) * 4 + i);
		}
	} else {
		fz_steps[n++] = (struct ipi_step){ .fail = 0 };
	}
	return n;
}

/* Whether the entry of a target is usable: 0 skip, 1 ok (*page set), else -cause. */
static int ref_target(const struct fz_vcpu *s, const struct ipi_step *t, int *page)
{
	u64 e;

	if (t->phys > fz_max(s))
		return t->directed ? -2 : 0;
	e = fz_phys[t->phys];
	if (!(e & BIT(63)))
		return t->directed ? -2 : 0;
	*page = (e & GENMASK(61, 52)) ? -1 : page_index(e & GENMASK(51, 12));
	return *page < 0 ? -3 : 1;
}

static void ref_icr(struct ref *r, const struct fz_vcpu *s, u8 *sp, u32 icrl, u32 icrh)
{
	u32 vec = icrl & 0xff, mt = (icrl >> 8) & 7;
	u32 dest = s->x2 ? icrh : icrh >> 24;
	unsigned n, k;
	static u64 seen[4096 / 64];
	bool nr = false;
	u32 nr_index = 0;

	if (mt != 0 || (icrl & BIT(15))) {
		ref_401(r, icrl, icrh, 0, 0);   /* not Fixed, or level */
	} else if (vec < 16) {
		ref_401(r, icrl, icrh, 4, 0);
	} else if (((icrl >> 18) & 3) == 1) {
		pg_vec(sp, 0x200, (u8)vec, true);
		r->result = R_ACCEL;
	} else {
		n = ref_steps(s, sp, icrl, dest);
		r->result = R_ACCEL;
		for (k = 0; k < n && r->result == R_ACCEL; k++) {
			int pg, t;

			if (fz_steps[k].fail >= 0) {
				ref_401(r, icrl, icrh, (u32)fz_steps[k].fail, fz_steps[k].index);
				break;
			}
			t = ref_target(s, &fz_steps[k], &pg);
			if (t < 0)
				ref_401(r, icrl, icrh, (u32)-t, fz_steps[k].index);
		}
		if (r->result == R_ACCEL) {
			memset(seen, 0, sizeof(seen));
			for (k = 0; k < n; k++) {
				int pg;
				u64 e;

				if (ref_target(s, &fz_steps[k], &pg) != 1)
					continue;
				if (seen[fz_steps[k].phys / 64] & BIT(fz_steps[k].phys % 64))
					continue;
				seen[fz_steps[k].phys / 64] |= BIT(fz_steps[k].phys % 64);
				pg_vec(fz_exp_page[pg], 0x200, (u8)vec, true);
				e = fz_phys[fz_steps[k].phys];
				if (e & BIT(62)) {
					if ((e & 0xfff) != s->host && r->nbells < ARRAY_SIZE(r->bells))
						r->bells[r->nbells++] = (u32)(e & 0xfff);
				} else if (!nr) {
					nr = true;
					nr_index = fz_steps[k].index;
				}
			}
			if (nr)
				ref_401(r, icrl, icrh, 1, nr_index);
		}
	}
	/* ICRL delivery status (xAPIC): idle after a sent IPI, busy after a 0x401 (the model's choice). */
	if (!s->x2)
		pg_set(sp, 0x300, r->result == R_ACCEL ? icrl & ~BIT(12) : icrl | BIT(12));
}

static void ref_eoi(struct ref *r, u8 *sp)
{
	int v = pg_highest(sp, 0x100);

	r->result = R_ACCEL;
	if (v < 0)
		return;
	if (!(pg_get(sp, 0x180 + (u32)(v >> 5) * 16) & (1u << (v & 31)))) {
		pg_vec(sp, 0x100, (u8)v, false);        /* edge: ended, no exit */
		pg_ppr(sp);
		return;
	}
	/* Level: 0x402 trap at 0xB0 with the in-service vector (ISR kept, or cleared if so modelled). */
	if (vm.level_clears) {
		pg_vec(sp, 0x100, (u8)v, false);
		pg_ppr(sp);
	}
	ref_402(r, 0xb0, true, (u8)v, K_TRAP);
}

static void ref_mmio(struct ref *r, const struct fz_vcpu *s, u8 *sp, u32 off, bool write, u32 val)
{
	int k;

	if (s->x2 || off >= PAGE_SIZE || (off & 3)) {
		r->result = R_INTERCEPTED;
		return;
	}
	k = ref_kind(off, write, vm.ext_lvt);
	if (!write) {
		if (k != K_ACCEL) {
			ref_402(r, off, false, 0, K_FAULT);
			return;
		}
		r->result = R_ACCEL;
		r->read = true;
		r->val = pg_get(sp, off);
		return;
	}
	if (k == K_FAULT) {
		ref_402(r, off, true, 0, K_FAULT);
		return;
	}
	pg_set(sp, off, val);
	if (k == K_TRAP) {
		ref_402(r, off, true, 0, K_TRAP);
		return;
	}
	r->result = R_ACCEL;
	if (off == 0x80) {
		pg_set(sp, 0x80, val & 0xff);
		pg_ppr(sp);
	} else if (off == 0xb0) {
		ref_eoi(r, sp);
	} else if (off == 0x300) {
		ref_icr(r, s, sp, val, pg_get(sp, 0x310));
	}
}

static void ref_msr(struct ref *r, const struct fz_vcpu *s, u8 *sp, u32 msr, bool write, u64 val)
{
	u32 off;
	int k;

	if (!s->x2 || msr < 0x800 || msr > 0x8ff || ref_intercepted(msr, write)) {
		r->result = R_INTERCEPTED;
		return;
	}
	if (ref_x2_gp(msr, write, val)) {
		r->result = R_GP;
		return;
	}
	off = (msr - 0x800) << 4;
	k = ref_kind(off, write, vm.ext_lvt);
	if (!write) {
		if (k != K_ACCEL) {
			ref_402(r, off, false, 0, K_FAULT);
			return;
		}
		r->result = R_ACCEL;
		r->read = true;
		r->val = pg_get(sp, off);
		if (msr == 0x830)
			r->val |= (u64)pg_get(sp, 0x310) << 32;
		return;
	}
	if (k == K_FAULT) {
		ref_402(r, off, true, 0, K_FAULT);
		return;
	}
	if (k == K_TRAP) {
		pg_set(sp, off, (u32)val);
		ref_402(r, off, true, 0, K_TRAP);
		return;
	}
	r->result = R_ACCEL;
	switch (msr) {
	case 0x808:
		pg_set(sp, 0x80, (u32)val & 0xff);
		pg_ppr(sp);
		break;
	case 0x80b:
		pg_set(sp, 0xb0, 0);
		ref_eoi(r, sp);
		break;
	case 0x830:
		pg_set(sp, 0x310, (u32)(val >> 32));
		pg_set(sp, 0x300, (u32)val);
		ref_icr(r, s, sp, (u32)val, (u32)(val >> 32));
		break;
	case 0x83f:
		/* "The same way as ICR": Self, Fixed, edge; a vector < 16 is cause 4 (the model's choice). */
		pg_set(sp, 0x3f0, (u32)val);
		if ((u8)val < 16)
			ref_401(r, (1u << 18) | (u8)val, 0, 4, 0);
		else
			pg_vec(sp, 0x200, (u8)val, true);
		break;
	default:
		pg_set(sp, off, (u32)val);
		break;
	}
}

/* ---- one access: reference, model, invariants ---- */

static const char *const fz_res_name[] = { "accelerated", "exit", "#GP", "intercepted" };

static void fz_compare_memory(const char *what)
{
	int i;
	u32 off;

	for (i = 0; i < FZ_NPAGES; i++) {
		if (!memcmp(fz_page[i], fz_exp_page[i], PAGE_SIZE))
			continue;
		for (off = 0; off < PAGE_SIZE && fz_page[i][off] == fz_exp_page[i][off]; off++)
			;
		off &= ~3u;
		FZ_CHECK(0, "memory: after %s, page %d offset 0x%03x is 0x%08x, expected 0x%08x", what, i, off,
			 pg_get(fz_page[i], off), pg_get(fz_exp_page[i], off));
	}
}

/* The hypervisor changed a page: the reference's copy follows. */
static void fz_sync(void)
{
	int i;

	for (i = 0; i < FZ_NPAGES; i++)
		memcpy(fz_exp_page[i], fz_page[i], PAGE_SIZE);
}

static int cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

static void fz_access(unsigned s, bool msr, u32 where, bool write, u64 value)
{
	const struct fz_vcpu *v = &vm.v[s];
	struct avic_emu_exit ex, canary;
	struct ref r = { .result = -1 };
	enum avic_emu_result res;
	u64 val64 = write ? value : 0xa5a5a5a5a5a5a5a5ull;
	u32 val32 = write ? (u32)value : 0xa5a5a5a5u;
	char what[96];
	int k;

	/* fz_exp_page equals the pages here: after the last access's check, or fz_sync(). */
	if (msr)
		ref_msr(&r, v, fz_exp_page[s], where, write, value);
	else
		ref_mmio(&r, v, fz_exp_page[s], where, write, (u32)value);

	fz_ctx.x2avic = v->x2;
	fz_ctx.max_phys_index = fz_max(v);
	fz_ctx.self_host_apic_id = v->host;
	memset(&ex, 0x5c, sizeof(ex));
	canary = ex;
	fz_nbells = 0;
	if (msr)
		res = avic_emu_msr(&fz_ctx, fz_page[s], v->id, where, write, &val64, &ex);
	else
		res = avic_emu_mmio(&fz_ctx, fz_page[s], v->id, where, write, &val32, &ex);

	snprintf(what, sizeof(what), "vCPU %u (%s, ID 0x%x) %s %s 0x%x value 0x%llx", s, v->x2 ? "x2AVIC" : "xAVIC",
		 v->id, msr ? (write ? "WRMSR" : "RDMSR") : (write ? "MMIO write" : "MMIO read"), msr ? "" : "offset",
		 where, (unsigned long long)value);
	if (fz_trace)
		fprintf(stderr, "%s: %s (expected %s) code 0x%llx info1 0x%llx info2 0x%llx\n", what,
			(unsigned)res < 4 ? fz_res_name[res] : "?", fz_res_name[r.result],
			(unsigned long long)ex.code, (unsigned long long)ex.info1, (unsigned long long)ex.info2);

	/* Exactly one outcome, the reference's. */
	FZ_CHECK((unsigned)res < 4, "outcome: %s: result %d is none of the four", what, (int)res);
	FZ_CHECK((int)res == r.result, "outcome: %s: %s, expected %s%s", what, fz_res_name[res],
		 fz_res_name[r.result], r.result == R_EXIT ? (r.code == 0x401 ? " 0x401" : " 0x402") : "");
	if (res != AVIC_EMU_EXIT)
		FZ_CHECK(!memcmp(&ex, &canary, sizeof(ex)), "outcome: %s: %s but the exit record was written",
			 what, fz_res_name[res]);
	if (write)
		FZ_CHECK(msr ? val64 == value : val32 == (u32)value, "outcome: %s: the written value was changed", what);
	else if (r.read)
		FZ_CHECK(msr ? val64 == r.val : val32 == (u32)r.val, "outcome: %s: read 0x%llx, the page holds 0x%llx",
			 what, msr ? (unsigned long long)val64 : (unsigned long long)val32, (unsigned long long)r.val);
	else
		FZ_CHECK(msr ? val64 == 0xa5a5a5a5a5a5a5a5ull : val32 == 0xa5a5a5a5u,
			 "outcome: %s: %s, yet a read value was returned", what, fz_res_name[res]);

	if (res == AVIC_EMU_EXIT) {
		FZ_CHECK(ex.code == r.code, "exit: %s: code 0x%llx, expected 0x%llx", what,
			 (unsigned long long)ex.code, (unsigned long long)r.code);
		FZ_CHECK(ex.info1 == r.info1 && ex.info2 == r.info2,
			 "exit: %s: 0x%llx EXITINFO1 0x%llx EXITINFO2 0x%llx, expected 0x%llx 0x%llx", what,
			 (unsigned long long)ex.code, (unsigned long long)ex.info1, (unsigned long long)ex.info2,
			 (unsigned long long)r.info1, (unsigned long long)r.info2);
		if (ex.code == 0x401) {
			struct avic_incomplete_ipi d;
			u64 e1, e2;

			FZ_CHECK(avic_incomplete_ipi_decode(ex.info1, ex.info2, &d), "0x401 decode: %s: refused", what);
			FZ_CHECK(d.icr_low == (u32)r.info1 && d.icr_high == (u32)(r.info1 >> 32) &&
				 d.cause == (u32)(r.info2 >> 32) && d.index == (u32)(r.info2 & 0xfff),
				 "0x401 decode: %s: icr 0x%x:0x%x cause %u index 0x%x", what, d.icr_high, d.icr_low,
				 d.cause, d.index);
			FZ_CHECK(avic_incomplete_ipi_encode(&d, &e1, &e2) && e1 == ex.info1 && e2 == ex.info2,
				 "0x401 encode: %s: the decoded fields do not encode back", what);
		} else {
			struct avic_noaccel d;
			u64 e1, e2;

			FZ_CHECK(avic_noaccel_decode(ex.info1, ex.info2, vm.ext_lvt, &d), "0x402 decode: %s: refused", what);
			k = d.kind == AVIC_TRAP ? K_TRAP : d.kind == AVIC_FAULT ? K_FAULT : K_ACCEL;
			FZ_CHECK(k == r.kind, "0x402 kind: %s: avic_hw says %s, Table 15-22 %s", what,
				 k == K_TRAP ? "trap" : k == K_FAULT ? "fault" : "accelerated",
				 r.kind == K_TRAP ? "trap" : "fault");
			FZ_CHECK(d.offset == (u32)(r.info1 & 0xff0) && d.write == !!(r.info1 >> 32) &&
				 d.vector == (u8)r.info2, "0x402 decode: %s: offset 0x%x write %d vector 0x%x", what,
				 d.offset, d.write, d.vector);
			FZ_CHECK(avic_noaccel_encode(&d, &e1, &e2) && e1 == ex.info1 && e2 == ex.info2,
				 "0x402 encode: %s: the decoded fields do not encode back", what);
		}
	}
	if (msr && where >= 0x800 && where <= 0x8ff)
		FZ_CHECK(avic_emu_x2_allowed(where, write, write ? value : 0) == !ref_x2_gp(where, write, value),
			 "#GP: %s: avic_emu_x2_allowed() says %s, Table 16-6 %s", what,
			 avic_emu_x2_allowed(where, write, write ? value : 0) ? "allowed" : "#GP",
			 ref_x2_gp(where, write, value) ? "#GP" : "allowed");

	if (msr && where >= 0x800 && where <= 0x8ff)
		FZ_CHECK(avic_x2_msr_passthrough(where, write) == ref_policy_pass(where, write),
			 "policy: %s: avic_x2_msr_passthrough() says %d, avic_hw.h's list %d", what,
			 avic_x2_msr_passthrough(where, write), ref_policy_pass(where, write));
	if (!(where & ~0xff0u) || (msr && where >= 0x800 && where <= 0x8ff)) {
		/* A 0x402 the table cannot explain: trap for a write of a register whose writes trap. */
		u32 off = msr ? ((where - 0x800) << 4) : where;
		int fb = write && (ref_kind(off, true, true) == K_TRAP || off == 0xb0 || off == 0x300) ? K_TRAP : K_FAULT;
		enum avic_access_kind got = avic_noaccel_kind_fallback(off, write);

		FZ_CHECK((got == AVIC_TRAP ? K_TRAP : got == AVIC_FAULT ? K_FAULT : K_ACCEL) == fb,
			 "0x402 fallback: offset 0x%x %s: avic_hw says %d", off, write ? "write" : "read", (int)got);
	}

	/* Doorbells: exactly the running targets on other cores. */
	qsort(fz_bells, fz_nbells, sizeof(u32), cmp_u32);
	qsort(r.bells, r.nbells, sizeof(u32), cmp_u32);
	FZ_CHECK(fz_nbells == r.nbells && !memcmp(fz_bells, r.bells, fz_nbells * sizeof(u32)),
		 "doorbell: %s: %u rings (first 0x%x), expected %u (first 0x%x)", what, fz_nbells,
		 fz_nbells ? fz_bells[0] : 0, r.nbells, r.nbells ? r.bells[0] : 0);

	fz_compare_memory(what);
}

/* ---- the other formats of avic_hw, against the APM's definitions ---- */

/* Table 15-24: the logical table index of a DFR/LDR pair, or -1. */
static int ref_log_index(u32 dfr, u32 ldr)
{
	u32 id = ldr >> 24, c = id >> 4, b = id & 0xf;

	if ((dfr >> 28) == 0xf)
		return id && !(id & (id - 1)) ? __builtin_ctz(id) : -1;
	if ((dfr >> 28) == 0)
		return c != 0xf && b && !(b & (b - 1)) ? (int)(c * 4 + (u32)__builtin_ctz(b)) : -1;
	return -1;
}

static void fz_check_formats(u64 raw, u32 dfr, u32 ldr, u32 id)
{
	u64 field;
	bool ok = !(raw & ~GENMASK(51, 12));
	u32 mi;

	/* §15.29.4.3: a VMCB page pointer has bits 51:12 only. */
	FZ_CHECK(avic_vmcb_backing_page(raw, &field) == ok && (!ok || field == raw),
		 "vmcb 0x0E0: 0x%llx accepted %d", (unsigned long long)raw, !ok);
	FZ_CHECK(avic_vmcb_logical_table(raw, &field) == ok && avic_vmcb_apic_bar(raw, &field) == ok,
		 "vmcb 0x0F0/0x098: 0x%llx accepted %d", (unsigned long long)raw, !ok);
	FZ_CHECK(avic_logical_index(dfr, ldr) == ref_log_index(dfr, ldr),
		 "logical index: DFR 0x%x LDR 0x%x gives %d, Table 15-24 %d", dfr, ldr,
		 avic_logical_index(dfr, ldr), ref_log_index(dfr, ldr));
	/* §16.14: x2APIC logical ID = ID[19:4] << 16 | 1 << ID[3:0]. */
	FZ_CHECK(avic_x2apic_logical_id(id) == (((id >> 4) << 16) | (1u << (id & 0xf))),
		 "x2APIC logical ID of 0x%x: 0x%x", id, avic_x2apic_logical_id(id));
	mi = 0x5a5a;
	FZ_CHECK(avic_phys_max_index(id & 0xfff, vm.flavour, &mi) ==
		 ((id & 0xfff) <= (vm.flavour == AVIC_HW_X2AVIC ? 0x1ffu : 0xfffu)),
		 "MAX_INDEX for ID 0x%x refused or accepted wrongly", id & 0xfff);
	FZ_CHECK(avic_phys_max_index(id & 0xff, AVIC_HW_XAVIC, &mi) == ((id & 0xff) <= 0xfe),
		 "xAVIC MAX_INDEX for ID 0x%x refused or accepted wrongly", id & 0xff);
}

/* ---- building the VM ---- */

/* A physical entry from the input: which page, V, IR, host ID, or raw bits. */
static u64 fz_entry(struct fz_in *in)
{
	u8 f = in_u8(in);
	u16 host = in_u16(in) & 0xfff;
	struct avic_phys_entry e = { .host_apic_id = host, .valid = f & 1, .is_running = f & 2 };
	u64 raw = 0, hpa;
	struct avic_phys_entry d;

	switch ((f >> 2) & 3) {
	case 0: hpa = FZ_HPA((f >> 4) % FZ_NPAGES); break;
	case 1: hpa = FZ_HPA_NONE; break;
	case 2: hpa = (in_u64(in) & GENMASK(51, 12)); break;
	default:
		/* Raw bits (SBZ 61:52 possibly set). */
		raw = in_u64(in);
		d.valid = false;
		avic_phys_entry_decode(raw, &d);
		if (!(raw & GENMASK(61, 52))) {
			u64 back;

			FZ_CHECK(avic_phys_entry_encode(&d, &back) && back == raw,
				 "phys entry: 0x%llx decodes and encodes to 0x%llx", (unsigned long long)raw,
				 (unsigned long long)back);
		}
		return raw;
	}
	e.backing_page = hpa;
	FZ_CHECK(avic_phys_entry_encode(&e, &raw), "phys entry: encode refused hpa 0x%llx host 0x%x",
		 (unsigned long long)hpa, host);
	FZ_CHECK(avic_phys_entry_decode(raw, &d) && d.backing_page == e.backing_page &&
		 d.host_apic_id == e.host_apic_id && d.valid == e.valid && d.is_running == e.is_running,
		 "phys entry: 0x%llx does not decode to what was encoded", (unsigned long long)raw);
	FZ_CHECK((raw >> 63) == e.valid && ((raw >> 62) & 1) == e.is_running && (raw & 0xfff) == host &&
		 (raw & GENMASK(51, 12)) == hpa && !(raw & GENMASK(61, 52)),
		 "phys entry: 0x%llx is not Table 15-23's layout", (unsigned long long)raw);
	return raw;
}

static void fz_set_phys(u32 index, u64 raw)
{
	if (index <= vm.max_index)
		fz_phys[index] = raw;
}

/*
 * Header: flags (7:6 MSRPM mode, 5 level EOI clears ISR, 4 extended LVTs,
 * 3 x2AVIC with 4K IDs, 2:0 vCPUs - 1), the x2AVIC bitmap, MAX_INDEX (u16),
 * then per vCPU: APIC ID (u16: bit 15 set, ID = bits 11:0, else the vCPU's
 * number), host ID (u16), a byte (0: not running, 5: cluster DFR, 7: entry
 * flags of fz_entry() in 3:0 instead of a valid own-page entry), then
 * patches (a count byte each): phys-table entries,
 * logical entries, page registers; per vCPU an address (u64) and ID bits (u32)
 * for the format checks; for MSRPM mode 2, 64 bytes of map.
 */
static void fz_vm_build(struct fz_in *in)
{
	u8 f = in_u8(in), x2 = in_u8(in), n, b;
	u32 i, vmax, id;
	u64 field, hpa;
	unsigned k;

	vm.n = (f & 7) + 1;
	vm.flavour = (f & 8) ? AVIC_HW_X2AVIC_EXT : AVIC_HW_X2AVIC;
	vm.ext_lvt = f & 0x10;
	vm.level_clears = f & 0x20;
	vm.msrpm_mode = f >> 6;
	if (vm.msrpm_mode == 3)
		vm.msrpm_mode = 1;
	vmax = avic_phys_vmrun_max_index(vm.flavour);
	vm.max_index = in_u16(in) % (vmax + 1);
	if (vm.max_index < vm.n - 1 && vm.max_index < 16)
		vm.max_index = vm.n - 1;
	/* The VMCB field round-trips, and the table fits the pages MAX_INDEX says. */
	FZ_CHECK(avic_vmcb_physical_table(0x7f000000, vm.max_index, vm.flavour, &field) &&
		 avic_vmcb_physical_table_decode(field, &hpa, &i) && hpa == 0x7f000000 && i == vm.max_index,
		 "vmcb 0x0F8: MAX_INDEX 0x%x does not round-trip", vm.max_index);
	FZ_CHECK(avic_phys_table_pages(vm.max_index) <= FZ_PHYS_PAGES &&
		 avic_phys_table_pages(vm.max_index) * 512 > vm.max_index,
		 "phys table: %u pages for MAX_INDEX 0x%x", avic_phys_table_pages(vm.max_index), vm.max_index);
	fz_phys = (u64 *)fz_phys_end - (vm.max_index + 1);
	memset(fz_phys, 0, (vm.max_index + 1) * 8);
	memset(fz_log, 0, PAGE_SIZE);
	for (k = 0; k < FZ_NPAGES; k++)
		memset(fz_page[k], 0, PAGE_SIZE);

	for (k = 0; k < vm.n; k++) {
		struct fz_vcpu *v = &vm.v[k];
		u64 raw;

		v->x2 = x2 & BIT(k);
		id = in_u16(in);
		/* Mostly the index, sometimes any 12-bit ID (beyond MAX_INDEX too). */
		v->id = (id & 0x8000) ? (id & 0xfff) : k;
		if (!v->x2)
			v->id &= 0xff;
		v->host = in_u16(in) & 0xfff;
		b = in_u8(in);
		if (b & 0x80) {
			struct fz_in one = { (const u8[]){ (u8)((b & 0x0f) | ((u8)k << 4)), (u8)v->host,
							   (u8)(v->host >> 8) }, 3 };

			raw = fz_entry(&one);   /* flags from b, its own page */
		} else {
			struct avic_phys_entry e = { .backing_page = FZ_HPA(k), .host_apic_id = v->host,
						     .valid = true, .is_running = !(b & 1) };

			FZ_CHECK(avic_phys_entry_encode(&e, &raw), "phys entry: encode refused");
		}
		fz_set_phys(v->id, raw);
		/* xAPIC logical ID: flat entry k, or cluster entry. */
		/* Logical ID: flat bit k, or cluster k / 4 bit k % 4: entry k either way (Table 15-24). */
		if (!v->x2)
			fz_log[k] = avic_log_entry_encode((u8)v->id, true);
		pg_set(fz_page[k], 0xe0, (b & 0x20) ? 0x0fffffff : 0xffffffff);
		pg_set(fz_page[k], 0x20, v->id << 24);
	}
	/* Physical-table patches. */
	n = in_u8(in) & 15;
	for (k = 0; k < n; k++) {
		u16 idx = in_u16(in) & 0xfff;

		fz_set_phys(idx, fz_entry(in));
	}
	/* Logical-table patches: index (< 64), raw or encoded. */
	n = in_u8(in) & 15;
	for (k = 0; k < n; k++) {
		u8 idx = in_u8(in) & 63, fl = in_u8(in);
		u32 raw;
		u8 gid;
		bool valid;

		if (fl & 1) {
			raw = in_u32(in);
		} else {
			raw = avic_log_entry_encode(in_u8(in), fl & 2);
		}
		if (avic_log_entry_decode(raw, &gid, &valid)) {
			FZ_CHECK(avic_log_entry_encode(gid, valid) == raw,
				 "log entry: 0x%x decodes to %u/%d and encodes differently", raw, gid, valid);
		}
		FZ_CHECK(gid == (raw & 0xff) && valid == !!(raw & BIT(31)), "log entry: 0x%x decodes to %u/%d",
			 raw, gid, valid);
		fz_log[idx] = raw;
	}
	/* Page patches: page, offset (4-aligned), value; bits of ISR/TMR/IRR come this way. */
	n = in_u8(in) & 31;
	for (k = 0; k < n; k++) {
		u8 pg = in_u8(in) % FZ_NPAGES;
		u16 off = in_u16(in) & 0xffc;

		pg_set(fz_page[pg], off, in_u32(in));
	}
	for (k = 0; k < vm.n; k++)
		fz_check_formats(in_u64(in), pg_get(fz_page[k], 0xe0), pg_get(fz_page[k], 0xd0), vm.v[k].id | in_u32(in));
	if (vm.msrpm_mode == 2) {
		memset(fz_msrpm, 0xff, sizeof(fz_msrpm));
		for (k = 0; k < 64; k++)
			fz_msrpm[0x800 / 4 + k] = in_u8(in);
	}
	fz_ctx = (struct avic_emu_ctx){
		.phys_table = fz_phys,
		.log_table = fz_log,
		.doorbell = fz_doorbell,
		.opaque = &fz_ctx,
		.page_of = fz_page_of,
		.x2avic_msrpm = vm.msrpm_mode ? fz_msrpm : NULL,
		.ext_lvt = vm.ext_lvt,
		.level_eoi_clears_isr = vm.level_clears,
	};
	if (vm.msrpm_mode == 1)
		memset(fz_msrpm, 0, sizeof(fz_msrpm));
	fz_sync();
}

/*
 * Operations: a byte (2:0 the kind, 7:3 its flags), the vCPU (byte % n),
 * then operands.
 */
enum {
	OP_MMIO,        /* offset u16 (any), value u32; flag 3: write */
	OP_MSR,         /* MSR (flags 5:4: 0x800 + byte, 0x7c0 + byte, 0x8c0 + byte, u32), value u64; flag 3: write */
	OP_ICR,         /* ICRL u32, destination u32: xAVIC ICRH then ICRL, x2AVIC WRMSR 0x830 */
	OP_EOI,         /* flag 3: first put a vector (byte) in service, flag 4 with TMR (level) */
	OP_SELF_IPI,    /* vector byte: WRMSR 0x83F, or the xAPIC page's 0x3F0 */
	OP_RUNNING,     /* the hypervisor: avic_phys_set_running(entry u16, flag 3, host u16) */
	OP_PAGE,        /* the hypervisor: page register offset u16, value u32 */
	OP_TPR,         /* TPR value byte, through the register */
};

static void fz_step(struct fz_in *in)
{
	u8 op = in_u8(in);
	unsigned s = in_u8(in) % vm.n;
	const struct fz_vcpu *v = &vm.v[s];
	bool fl3 = op & 8;

	switch (op & 7) {
	case OP_MMIO: {
		u16 off = in_u16(in);

		fz_access(s, false, (op & 0x10) ? off : off & 0xffc, fl3, in_u32(in));
		break;
	}
	case OP_MSR: {
		u32 msr;

		switch ((op >> 4) & 3) {
		case 0: msr = 0x800 + in_u8(in); break;
		case 1: msr = 0x7c0 + in_u8(in); break;
		case 2: msr = 0x8c0 + in_u8(in); break;
		default: msr = in_u32(in); break;
		}
		fz_access(s, true, msr, fl3, fl3 ? in_u64(in) : 0);
		break;
	}
	case OP_ICR: {
		u32 lo = in_u32(in), dest = in_u32(in);

		if (v->x2) {
			fz_access(s, true, 0x830, true, ((u64)dest << 32) | lo);
		} else {
			fz_access(s, false, 0x310, true, dest << 24);
			fz_access(s, false, 0x300, true, lo);
		}
		break;
	}
	case OP_EOI:
		if (fl3) {
			u8 vec = in_u8(in);

			pg_vec(fz_page[s], 0x100, vec, true);
			pg_vec(fz_page[s], 0x180, vec, op & 0x10);
			memcpy(fz_exp_page[s], fz_page[s], PAGE_SIZE);
		}
		if (v->x2)
			fz_access(s, true, 0x80b, true, 0);
		else
			fz_access(s, false, 0xb0, true, 0);
		break;
	case OP_SELF_IPI: {
		u8 vec = in_u8(in);

		if (v->x2)
			fz_access(s, true, 0x83f, true, vec);
		else
			fz_access(s, false, 0x3f0, true, vec);
		break;
	}
	case OP_RUNNING: {
		u32 idx = in_u16(in) % (vm.max_index + 1), host = in_u16(in) & 0xfff;
		u64 before = fz_phys[idx], after;

		FZ_CHECK(avic_phys_set_running(&fz_phys[idx], fl3, host), "set_running: refused host 0x%x", host);
		after = fz_phys[idx];
		FZ_CHECK((after & ~(BIT(62) | 0xfffull)) == (before & ~(BIT(62) | 0xfffull)) &&
			 !!(after & BIT(62)) == fl3 && (after & 0xfff) == host,
			 "set_running: entry 0x%llx became 0x%llx (running %d, host 0x%x)",
			 (unsigned long long)before, (unsigned long long)after, fl3, host);
		break;
	}
	case OP_PAGE: {
		u16 off = in_u16(in) & 0xffc;

		pg_set(fz_page[s], off, in_u32(in));
		memcpy(fz_exp_page[s], fz_page[s], PAGE_SIZE);
		break;
	}
	default:
		if (v->x2)
			fz_access(s, true, 0x808, true, in_u8(in));
		else
			fz_access(s, false, 0x80, true, in_u8(in));
		break;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_trace = getenv("FUZZ_AVIC_TRACE") && *getenv("FUZZ_AVIC_TRACE") != '0';
	fz_map();
	return 0;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fz_in in = { data, size };
	unsigned ops = 0;

	fz_vm_build(&in);
	while (in.n && ops++ < 256)
		fz_step(&in);
	return 0;
}
