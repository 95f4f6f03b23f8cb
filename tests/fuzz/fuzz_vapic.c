/*
 * tests/fuzz/fuzz_vapic.c - libFuzzer target for the software virtual local
 * APIC register logic (avic/vapic.c).
 *
 * Behaviour under test: APM Vol 2 Chapter 16 "Advanced Programmable Interrupt
 * Controller (APIC)", on the 4 KiB page in the AVIC backing-page layout (APM
 * Vol 2 §15.29.3 "AVIC Backing Page").  The input is a program: a sequence of guest
 * and hypervisor operations on two vAPICs (MMIO, x2APIC MSRs, IA32_APIC_BASE,
 * accept, pending -> ack the way the hypervisor injects, EOI through the
 * register, INIT, RESET, timer arithmetic, ICR decode and destination
 * matching, IPIs routed between the two).  After every operation:
 *   - the new state is compared, word by word over the whole page, with an
 *     expected state this file derives from the architecture (struct model);
 *   - global invariants that do not depend on the model are checked
 *     (check_state: PPR rule, pending vector rule, no vector 0-15 in
 *     IRR/ISR/TMR, read-only and reserved bits, mode consistency, ...).
 * A broken expectation prints what and where, then __builtin_trap(), which
 * libFuzzer reports as a crash and saves as build/fuzz/crash-<sha1>.
 * FUZZ_VAPIC_TRACE=1 prints every operation (make fuzz-repro FUZZ_INPUT=...).
 *
 * Where vapic.c documents a choice the APM leaves open (KVM's RESET state,
 * readable APR in x2APIC, RO LVT status bits ignored by WRMSR, ESR errors
 * raise the error interrupt only when new, timer mode 11b taken as
 * TSC-deadline, CR8 writes reaching a disabled APIC's TPR), the model follows
 * that choice; everything else comes from APM Vol 2 chapter 16 (and
 * §15.29.10 "x2AVIC" for the x2APIC ICR), not from vapic.c.
 *
 * Input format (little endian; a short input reads zeros past its end):
 *   byte 0, 1    APIC IDs of vAPIC 0 and 1 (made distinct)
 *   then ops     one byte each: bit 7 = which vAPIC, bits 6:0 % OP_COUNT =
 *                the operation (enum fz_op), followed by its operands.
 *
 * Single translation unit on purpose (the unit tests link avic/vapic.c
 * instead): the implementation is included so that its static helpers need
 * no export, and a mutated copy can take its place (tests/fuzz/README.md).
 */
#include "avic/vapic.c"
#include "tests/fuzz/fz_in.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The checker's own page-wide loops are not instrumented for coverage: their
 * comparisons would cost most of the time and add no useful feedback.
 */
#define FZ_NOCOV        __attribute__((no_sanitize("coverage")))

#define NV              2       /* vAPICs */
#define MAX_OPS         4096    /* per input; libFuzzer's -max_len bounds it anyway */

/* Architectural constants, spelled out here rather than taken from vapic.h masks. */
#define R_ID            0x020
#define R_VERSION       0x030
#define R_TPR           0x080
#define R_APR           0x090
#define R_PPR           0x0a0
#define R_EOI           0x0b0
#define R_RRD           0x0c0
#define R_LDR           0x0d0
#define R_DFR           0x0e0
#define R_SVR           0x0f0
#define R_ISR           0x100
#define R_TMR           0x180
#define R_IRR           0x200
#define R_ESR           0x280
#define R_ICR_LO        0x300
#define R_ICR_HI        0x310
#define R_LVT_TIMER     0x320
#define R_LVT_ERROR     0x370
#define R_TMICT         0x380
#define R_TMCCT         0x390
#define R_TDCR          0x3e0

#define SVR_ASE         0x100u
#define LVT_M           0x10000u
#define LVT_TMM         (1u << 17)      /* timer: periodic */
#define LVT_TSCDL       (1u << 18)      /* timer: TSC-deadline (Intel/KVM, when advertised) */
#define ESR_SIV         0x20u
#define ESR_RIV         0x40u
#define ESR_IRA         0x80u
#define ESR_AMD_BITS    0xecu           /* SAE, RAE, SIV, RIV, IRA (APM Vol 2 Figure 16-16) */
/*
 * Version: 0x80nn0010 with nn = 6 LVTs - 1 and bit 31 clear (no extended
 * space; APM Vol 2 §16.3.4 "APIC Version Register").
 */
#define VERSION_VALUE   0x00050010u
/*
 * ICR low as it reads back: DS (12) reads 0, bit 13 reserved, RRS 00, 31:20
 * reserved (APM Vol 2 Figure 16-18).
 */
#define ICR_LO_READABLE 0x000ccfffu
/* x2APIC ICR: bits 31:20, 17:16, 13, 12 MBZ (APM Vol 2 §16.13, Figure 16-34). */
#define X2_ICR_MBZ      0xfff33000u

#define AB_BSC          (1ull << 8)
#define AB_EXTD         (1ull << 10)
#define AB_AE           (1ull << 11)
#define AB_DEFAULT      0xfee00000ull

/* Append only: the seeds in tests/fuzz/corpus/ depend on the numbering. */
enum fz_op {
	OP_MMIO_READ,
	OP_MMIO_WRITE,
	OP_MSR_READ,
	OP_MSR_WRITE,
	OP_APIC_BASE,
	OP_ACCEPT,
	OP_ACK,
	OP_EOI,
	OP_INIT,
	OP_RESET,
	OP_TIMER,
	OP_ICR_MATCH,
	/* Short cuts through the register interface, so that deep states come quickly. */
	OP_SW_ENABLE,
	OP_TO_X2APIC,
	OP_TPR,
	OP_LVT_ERROR,
	OP_SEND_IPI,
	OP_SET_TPR,
	OP_REG_READ,
	OP_REG_WRITE,
	OP_COUNT
};

static const char *const fz_op_names[OP_COUNT] = {
	"mmio_read", "mmio_write", "msr_read", "msr_write", "apic_base", "accept",
	"ack", "eoi", "init", "reset", "timer", "icr_match", "sw_enable",
	"to_x2apic", "tpr", "lvt_error", "send_ipi", "set_tpr", "reg_read", "reg_write",
};

static struct vapic fz_v[NV];
static u8 *fz_page[NV];
static bool fz_bsp[NV];
static bool fz_x2sup[NV];
static bool fz_tscdl[NV];
static unsigned fz_opno;
static int fz_opkind = -1;
static bool fz_trace;

/* ---- failure reporting ------------------------------------------------------ */

static void __attribute__((noreturn, format(printf, 2, 3)))
fz_fail(int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_vapic: op #%u (%s): invariant broken (fuzz_vapic.c:%d): ",
		fz_opno, fz_opkind >= 0 ? fz_op_names[fz_opkind] : "setup", line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	__builtin_trap();
}

#define FZ_CHECK(cond, ...) do { if (!(cond)) fz_fail(__LINE__, __VA_ARGS__); } while (0)
#define FZ_TRACE(...) do { if (fz_trace) fprintf(stderr, __VA_ARGS__); } while (0)

/* ---- input ---------------------------------------------------------------- */


/* A value whose width the input picks: small values pass the x2APIC reserved-bit checks. */
static u64 in_value(struct fz_in *in, u8 sel)
{
	switch (sel & 3) {
	case 0: return in_u8(in);
	case 1: return in_u16(in);
	case 2: return in_u32(in);
	default: return in_u64(in);
	}
}

/* ---- page helpers (independent of vapic.c's) ------------------------------ */

FZ_NOCOV static u32 rd(const u8 *page, u32 off)
{
	u32 v;

	memcpy(&v, page + off, 4);
	return v;
}

FZ_NOCOV static void wr(u8 *page, u32 off, u32 v)
{
	memcpy(page + off, &v, 4);
}

/* 256-bit registers: vector v is bit v % 32 of the word at base + (v / 32) * 16. */
FZ_NOCOV static bool vbit(const u8 *page, u32 base, unsigned v)
{
	return (rd(page, base + (v / 32) * 16) >> (v % 32)) & 1;
}

FZ_NOCOV static void vset(u8 *page, u32 base, unsigned v, bool on)
{
	u32 off = base + (v / 32) * 16, w = rd(page, off);

	w = on ? (w | (1u << (v % 32))) : (w & ~(1u << (v % 32)));
	wr(page, off, w);
}

FZ_NOCOV static int ref_highest(const u8 *page, u32 base)
{
	int w, b;
	u32 x;

	for (w = 7; w >= 0; w--) {
		x = rd(page, base + (u32)w * 16);
		for (b = 31; x && b >= 0; b--)
			if ((x >> b) & 1)
				return w * 32 + b;
	}
	return -1;
}

/*
 * APM Vol 2 §16.6.4 "Selecting and Handling Interrupts": ISRV = the highest
 * in-service vector or 0; PPR = TPR when TPR[7:4] >= ISRV[7:4], else
 * ISRV[7:4] with sub-class 0.
 */
FZ_NOCOV static u32 ref_ppr(const u8 *page)
{
	u32 tpr = rd(page, R_TPR) & 0xff;
	int isr = ref_highest(page, R_ISR);
	u32 isrv = isr < 0 ? 0 : (u32)isr;

	if ((tpr >> 4) >= (isrv >> 4))
		return tpr;
	return isrv & 0xf0;
}

/* APM Vol 2 §16.14 "Logical Destination Register": ID[19:4] in 31:16, 1 << ID[3:0]. */
static u32 ref_x2apic_ldr(u32 id)
{
	return (((id >> 4) & 0xffff) << 16) | (1u << (id & 0xf));
}

/*
 * Writable (stored) bits of each LVT, APM Vol 2 §16.4 "Local Interrupts"
 * figures; timer bit 18 only when TSC-deadline mode is advertised (Intel SDM
 * Vol 3 §11.5.4.1 "TSC-Deadline Mode").
 */
static u32 ref_lvt_bits(u32 off, bool tscdl)
{
	switch (off) {
	case 0x320: return 0xff | LVT_M | LVT_TMM | (tscdl ? LVT_TSCDL : 0); /* vector, M, mode */
	case 0x330:
	case 0x340: return 0xff | 0x700 | LVT_M;                    /* + message type */
	case 0x350:
	case 0x360: return 0xff | 0x700 | (1u << 13) | (1u << 15) | LVT_M; /* + polarity, TGM */
	default:    return 0xff | LVT_M;                            /* LVT error */
	}
}

static bool is_lvt(u32 off)
{
	return off >= R_LVT_TIMER && off <= R_LVT_ERROR && !(off & 0xf);
}

/* Registers the page may hold a non-zero value in; every other word stays 0. */
static bool ref_stored_slow(u32 off)
{
	if (off & 0xf)
		return false;
	if (off >= R_ISR && off <= R_IRR + 0x70)
		return true;
	if (is_lvt(off))
		return true;
	switch (off) {
	case R_ID: case R_VERSION: case R_TPR: case R_PPR: case R_LDR: case R_DFR:
	case R_SVR: case R_ESR: case R_ICR_LO: case R_ICR_HI: case R_TMICT:
	case R_TMCCT: case R_TDCR:
		return true;
	default:
		return false;
	}
}

static bool fz_stored[PAGE_SIZE / 4];
static u32 fz_stray_mask[PAGE_SIZE / 4];        /* ~0 where no register is */

FZ_NOCOV static bool ref_stored(u32 off)
{
	return fz_stored[off / 4];
}

/* Page after RESET/INIT (APM Vol 2 §16.3.2 "APIC Registers", Table 16-2). */
FZ_NOCOV static void ref_reset_page(u8 *page, u32 apic_id, bool x2)
{
	u32 off;

	memset(page, 0, PAGE_SIZE);
	wr(page, R_ID, x2 ? apic_id : (apic_id & 0xff) << 24);
	if (x2)
		wr(page, R_LDR, ref_x2apic_ldr(apic_id));
	wr(page, R_VERSION, VERSION_VALUE);
	wr(page, R_DFR, 0xffffffff);
	wr(page, R_SVR, 0xff);
	for (off = R_LVT_TIMER; off <= R_LVT_ERROR; off += 0x10)
		wr(page, off, LVT_M);
}

/* xAPIC MMIO readable registers (APM Vol 2 §16.3.2, Table 16-2). */
static bool ref_xapic_readable(u32 off)
{
	if ((off >= R_ISR && off <= R_IRR + 0x70) || is_lvt(off))
		return true;
	switch (off) {
	case R_ID: case R_VERSION: case R_TPR: case R_APR: case R_PPR: case R_RRD:
	case R_LDR: case R_DFR: case R_SVR: case R_ESR: case R_ICR_LO: case R_ICR_HI:
	case R_TMICT: case R_TMCCT: case R_TDCR:
		return true;
	default:
		return false;
	}
}

/*
 * x2APIC RDMSR without #GP (APM Vol 2 §16.11.1 "x2APIC Register Address
 * Space", Table 16-6; 0x809 per vapic.c's choice).
 */
static bool ref_x2apic_readable(u32 msr)
{
	if ((msr >= 0x810 && msr <= 0x827) || (msr >= 0x832 && msr <= 0x837))
		return true;
	switch (msr) {
	case 0x802: case 0x803: case 0x808: case 0x809: case 0x80a: case 0x80d:
	case 0x80f: case 0x828: case 0x830: case 0x838: case 0x839: case 0x83e:
		return true;
	default:
		return false;
	}
}

/*
 * x2APIC WRMSR #GP (APM Vol 2 §16.11 "Accessing x2APIC Register", §16.11.3
 * "Reserved Bit Checking in x2APIC Mode", §16.13 "x2APIC Interrupt Command
 * Register (ICR) Operations"): not writable, bits 63:32 set
 * outside the ICR, reserved bits, non-zero EOI/ESR, reserved ICR message
 * types.  LVT status bits (DS; Remote IRR of LINT0/1) are accepted and
 * dropped: vapic.c's documented choice.
 */
static bool ref_x2apic_write_gp(u32 msr, u64 val, bool tscdl)
{
	u32 lo = (u32)val, ok, mt;

	if (msr != 0x830 && (val >> 32))
		return true;
	if (msr >= 0x832 && msr <= 0x837) {
		u32 off = (msr - 0x800) << 4;

		ok = ref_lvt_bits(off, tscdl) | (1u << 12);
		if (off == 0x350 || off == 0x360)
			ok |= 1u << 14;
		return lo & ~ok;
	}
	switch (msr) {
	case 0x808: return lo & ~0xffu;                 /* TPR */
	case 0x80b: return lo != 0;                     /* EOI */
	case 0x80f: return lo & ~0x3ffu;                /* SVR: vector, ASE, focus disable */
	case 0x828: return lo != 0;                     /* ESR */
	case 0x830:
		mt = (lo >> 8) & 7;
		return (lo & X2_ICR_MBZ) || mt == 1 || mt == 3 || mt == 7;
	case 0x838: return false;                       /* TMICT */
	case 0x83e: return lo & ~0xbu;                  /* TDCR: bit 2 MBZ */
	case 0x83f: return lo & ~0xffu;                 /* SELF_IPI */
	default:    return true;                        /* read-only or absent */
	}
}

/* ---- the expected state ---------------------------------------------------- */

struct model {
	struct vapic v;
	u8 page[PAGE_SIZE];
	struct vapic_effect eff;
	int eff_alt;            /* another acceptable effect kind, or -1 */
};

FZ_NOCOV static void model_from(struct model *m, const struct vapic *a)
{
	m->v = *a;
	memcpy(m->page, a->page, PAGE_SIZE);
	memset(&m->eff, 0, sizeof(m->eff));
	m->eff.kind = VAPIC_EFFECT_NONE;
	m->eff_alt = -1;
}

static bool m_sw_enabled(const struct model *m)
{
	return rd(m->page, R_SVR) & SVR_ASE;
}

static bool m_accept(struct model *m, unsigned vec, bool level);

/*
 * Errors accumulate; a new one with LVT Error unmasked raises the error
 * interrupt, and an illegal error vector only adds RIV (APM Vol 2 §16.4.6
 * "APIC Error Interrupts").
 */
static void m_error(struct model *m, u32 bits)
{
	u32 fresh = bits & ~m->v.esr_pending, lvt = rd(m->page, R_LVT_ERROR);

	m->v.esr_pending |= bits;
	if (!fresh || (lvt & LVT_M))
		return;
	if ((lvt & 0xff) < 16)
		m->v.esr_pending |= ESR_RIV;
	else
		m_accept(m, lvt & 0xff, false);
}

/*
 * APM Vol 2 §16.3.1 "Local APIC Enable", §16.4 "Local Interrupts": not
 * accepted when disabled or software-disabled; 0-15 -> RIV.
 */
static bool m_accept(struct model *m, unsigned vec, bool level)
{
	if (!m->v.enabled || !m_sw_enabled(m))
		return false;
	if (vec < 16) {
		m_error(m, ESR_RIV);
		return false;
	}
	vset(m->page, R_TMR, vec, level);
	vset(m->page, R_IRR, vec, true);
	return true;
}

/*
 * EOI clears exactly the highest ISR bit and reports its TMR bit (APM Vol 2
 * §16.6.4 "Selecting and Handling Interrupts").
 */
static void m_eoi(struct model *m)
{
	int v = ref_highest(m->page, R_ISR);

	if (v < 0)
		return;
	vset(m->page, R_ISR, (unsigned)v, false);
	m->eff.kind = VAPIC_EFFECT_EOI;
	m->eff.eoi_vector = (u8)v;
	m->eff.eoi_level = vbit(m->page, R_TMR, (unsigned)v);
}

/* Independent ICR field decode (APM Vol 2 §16.5 Fig. 16-18, §16.13 Fig. 16-34). */
static void ref_icr_decode(u32 lo, u32 dest, bool x2, struct vapic_icr *icr)
{
	icr->vector = lo & 0xff;
	icr->delivery_mode = (lo >> 8) & 7;
	icr->logical = (lo >> 11) & 1;
	icr->level_assert = (lo >> 14) & 1;
	icr->trigger_level = (lo >> 15) & 1;
	icr->shorthand = (lo >> 18) & 3;
	icr->dest = dest;
	icr->x2apic = x2;
}

/*
 * Writing ICR low sends (APM Vol 2 §16.5 "Interprocessor Interrupts (IPI)",
 * §16.4.6 "APIC Error Interrupts" for SIV): Fixed/lowest with a
 * vector below 16 -> SIV, nothing sent; remote read and ExtINT are not
 * supported; INIT level de-assert is a no-op.
 */
static void m_send(struct model *m, u32 lo, u32 dest, bool x2)
{
	u32 vec = lo & 0xff, mt = (lo >> 8) & 7;

	if ((mt == 0 || mt == 1) && vec < 16) {
		m_error(m, ESR_SIV);
		return;
	}
	if (mt == 3 || mt == 7)
		return;
	if (mt == 5 && (lo & (1u << 15)) && !(lo & (1u << 14)))
		return;
	m->eff.kind = VAPIC_EFFECT_ICR;
	ref_icr_decode(lo, dest, x2, &m->eff.icr);
}

/* A guest write that got past the access checks, both interfaces. */
static void m_write_reg(struct model *m, u32 off, u32 val)
{
	u32 o;

	if (is_lvt(off)) {
		/* Software-disabled: LVT masks stay set (APM Vol 2 §16.4.7 "Spurious Interrupts"). */
		u32 old = rd(m->page, off);

		val = (val & ref_lvt_bits(off, m->v.tsc_deadline_supported)) |
		      (m_sw_enabled(m) ? 0 : LVT_M);
		wr(m->page, off, val);
		if (off != R_LVT_TIMER)
			return;
		/*
		 * Switching into or out of TSC-deadline mode cancels the timer
		 * and clears TMICT (Intel SDM Vol 3 §11.5.4.1 "TSC-Deadline Mode").
		 * Mode 11b is reserved; like
		 * vapic.c, bit 18 alone is taken as "TSC-deadline".
		 */
		if ((old ^ val) & LVT_TSCDL) {
			wr(m->page, R_TMICT, 0);
			wr(m->page, R_TMCCT, 0);
		}
		m->eff.kind = VAPIC_EFFECT_TIMER;
		return;
	}
	switch (off) {
	case R_ID:
		wr(m->page, off, val & 0xff000000);
		m->eff.kind = VAPIC_EFFECT_ID_CHANGED;
		break;
	case R_TPR:
		wr(m->page, off, val & 0xff);
		break;
	case R_EOI:
		m_eoi(m);
		break;
	case R_LDR:
		wr(m->page, off, val & 0xff000000);
		m->eff.kind = VAPIC_EFFECT_LDR_CHANGED;
		break;
	case R_DFR:
		wr(m->page, off, val | 0x0fffffff);
		m->eff.kind = VAPIC_EFFECT_LDR_CHANGED;
		break;
	case R_SVR:
		wr(m->page, off, val & 0x3ff);
		if (!(val & SVR_ASE))
			for (o = R_LVT_TIMER; o <= R_LVT_ERROR; o += 0x10)
				wr(m->page, o, rd(m->page, o) | LVT_M);
		m->eff.kind = VAPIC_EFFECT_SVR_CHANGED;
		break;
	case R_ESR:
		wr(m->page, off, m->v.esr_pending);
		m->v.esr_pending = 0;
		break;
	case R_ICR_LO:
		wr(m->page, off, val & ICR_LO_READABLE);
		if (m->v.x2apic)
			m_send(m, val, rd(m->page, R_ICR_HI), true);
		else
			m_send(m, val, rd(m->page, R_ICR_HI) >> 24, false);
		break;
	case R_ICR_HI:
		wr(m->page, off, val & 0xff000000);
		break;
	case R_TMICT:
		/* In TSC-deadline mode TMICT writes are ignored (Intel SDM Vol 3 §11.5.4.1). */
		if (rd(m->page, R_LVT_TIMER) & LVT_TSCDL) {
			m->eff_alt = VAPIC_EFFECT_TIMER;        /* harmless either way */
			break;
		}
		wr(m->page, R_TMICT, val);
		wr(m->page, R_TMCCT, val);
		m->eff.kind = VAPIC_EFFECT_TIMER;
		break;
	case R_TDCR:
		wr(m->page, off, val & 0xb);
		m->eff.kind = VAPIC_EFFECT_TIMER;
		break;
	default:
		break;          /* read-only or absent: ignored */
	}
}

static void check_icr_eq(const struct vapic_icr *e, const struct vapic_icr *g, const char *what)
{
	FZ_CHECK(e->vector == g->vector && e->delivery_mode == g->delivery_mode &&
		 e->logical == g->logical && e->level_assert == g->level_assert &&
		 e->trigger_level == g->trigger_level && e->shorthand == g->shorthand &&
		 e->dest == g->dest && e->x2apic == g->x2apic,
		 "%s: expected vec 0x%x mt %u log %d L %d tgm %d dsh %u dest 0x%x x2 %d, "
		 "got vec 0x%x mt %u log %d L %d tgm %d dsh %u dest 0x%x x2 %d", what,
		 e->vector, e->delivery_mode, e->logical, e->level_assert, e->trigger_level,
		 e->shorthand, e->dest, e->x2apic,
		 g->vector, g->delivery_mode, g->logical, g->level_assert, g->trigger_level,
		 g->shorthand, g->dest, g->x2apic);
}

/* The vAPIC must now be exactly what the model says (PPR kept current in the page, §2.3). */
FZ_NOCOV static void check_model(struct model *m, const struct vapic *a, const struct vapic_effect *eff)
{
	u32 off;

	wr(m->page, R_PPR, ref_ppr(m->page));
	if (memcmp(m->page, a->page, PAGE_SIZE))
		for (off = 0; off < PAGE_SIZE; off += 4)
			FZ_CHECK(rd(m->page, off) == rd(a->page, off),
				 "vAPIC %u page[0x%03x]: expected 0x%08x, got 0x%08x",
				 a->apic_id, off, rd(m->page, off), rd(a->page, off));
	FZ_CHECK(a->page == m->v.page, "page pointer changed");
	FZ_CHECK(a->apic_id == m->v.apic_id, "apic_id: expected 0x%x, got 0x%x",
		 m->v.apic_id, a->apic_id);
	FZ_CHECK(a->apic_base == m->v.apic_base, "apic_base: expected 0x%llx, got 0x%llx",
		 (unsigned long long)m->v.apic_base, (unsigned long long)a->apic_base);
	FZ_CHECK(a->x2apic == m->v.x2apic && a->enabled == m->v.enabled &&
		 a->x2apic_supported == m->v.x2apic_supported &&
		 a->tsc_deadline_supported == m->v.tsc_deadline_supported,
		 "mode: expected x2apic %d enabled %d x2/tscdl supported %d %d, got %d %d %d %d",
		 m->v.x2apic, m->v.enabled, m->v.x2apic_supported, m->v.tsc_deadline_supported,
		 a->x2apic, a->enabled, a->x2apic_supported, a->tsc_deadline_supported);
	FZ_CHECK(a->esr_pending == m->v.esr_pending, "esr_pending: expected 0x%x, got 0x%x",
		 m->v.esr_pending, a->esr_pending);
	if (!eff)
		return;
	FZ_CHECK(eff->kind == m->eff.kind || (int)eff->kind == m->eff_alt,
		 "effect: expected kind %d, got %d", m->eff.kind, eff->kind);
	switch (eff->kind) {
	case VAPIC_EFFECT_EOI:
		FZ_CHECK(eff->eoi_vector == m->eff.eoi_vector && eff->eoi_level == m->eff.eoi_level,
			 "EOI effect: expected vector 0x%x level %d, got 0x%x %d",
			 m->eff.eoi_vector, m->eff.eoi_level, eff->eoi_vector, eff->eoi_level);
		break;
	case VAPIC_EFFECT_SELF_IPI:
		FZ_CHECK(eff->self_ipi_vector == m->eff.self_ipi_vector,
			 "SELF_IPI effect: expected 0x%x, got 0x%x",
			 m->eff.self_ipi_vector, eff->self_ipi_vector);
		break;
	case VAPIC_EFFECT_ICR:
		check_icr_eq(&m->eff.icr, &eff->icr, "ICR effect");
		break;
	default:
		break;
	}
}

/* ---- invariants that hold after any operation --------------------------------- */

/*
 * Bits set where no register is.  The hot loop of the checker: left out of
 * ASan too (it reads one whole, valid page; the bytes were checked when the
 * page was allocated).
 */
FZ_NOCOV __attribute__((no_sanitize("address")))
static u32 fz_stray_bits(const u8 *page)
{
	const u32 *w = (const u32 *)page;
	u32 stray = 0;
	unsigned k;

	for (k = 0; k < PAGE_SIZE / 4; k++)
		stray |= w[k] & fz_stray_mask[k];
	return stray;
}

FZ_NOCOV static void check_state(unsigned i)
{
	const struct vapic *a = &fz_v[i];
	const u8 *p = a->page;
	u32 ppr = ref_ppr(p), tpr = rd(p, R_TPR), svr = rd(p, R_SVR), off, w;
	int hirr = ref_highest(p, R_IRR), hisr = ref_highest(p, R_ISR), pend;
	u64 base = a->apic_base;
	u32 cls;

	/* IA32_APIC_BASE and the mode flags agree (APM Vol 2 §16.9, Table 16-5). */
	FZ_CHECK(a->page == fz_page[i], "vAPIC %u: page pointer changed", i);
	FZ_CHECK(a->enabled == !!(base & AB_AE) && a->x2apic == !!(base & AB_EXTD),
		 "vAPIC %u: flags enabled %d x2apic %d vs APIC_BASE 0x%llx", i,
		 a->enabled, a->x2apic, (unsigned long long)base);
	FZ_CHECK(!a->x2apic || a->enabled, "vAPIC %u: x2APIC while disabled", i);
	FZ_CHECK(!!(base & AB_BSC) == fz_bsp[i], "vAPIC %u: BSC changed: 0x%llx", i,
		 (unsigned long long)base);
	FZ_CHECK(!(base & (0xffull | (1ull << 9) | (~0ull << 52))),
		 "vAPIC %u: APIC_BASE reserved bits set: 0x%llx", i, (unsigned long long)base);
	FZ_CHECK(a->x2apic_supported == fz_x2sup[i] && a->tsc_deadline_supported == fz_tscdl[i],
		 "vAPIC %u: x2apic_supported/tsc_deadline_supported changed", i);

	/*
	 * PPR: the APM rule (Vol 2 §16.6.4 "Selecting and Handling Interrupts"),
	 * through the function and in the page.
	 */
	FZ_CHECK(vapic_ppr(a) == ppr, "vAPIC %u: vapic_ppr 0x%x, APM rule gives 0x%x "
		 "(TPR 0x%x, highest ISR %d)", i, vapic_ppr(a), ppr, tpr, hisr);
	FZ_CHECK(rd(p, R_PPR) == ppr, "vAPIC %u: page PPR 0x%x, APM rule gives 0x%x "
		 "(TPR 0x%x, highest ISR %d)", i, rd(p, R_PPR), ppr, tpr, hisr);
	FZ_CHECK(vapic_highest_irr(a) == hirr && vapic_highest_isr(a) == hisr,
		 "vAPIC %u: highest IRR/ISR %d/%d, expected %d/%d", i,
		 vapic_highest_irr(a), vapic_highest_isr(a), hirr, hisr);

	/*
	 * The vector to inject: the highest IRR if its class is above PPR's (APM
	 * Vol 2 §16.6.4 "Selecting and Handling Interrupts").
	 */
	pend = vapic_pending_vector(a);
	if (a->enabled && hirr >= 0 && ((u32)hirr >> 4) > (ppr >> 4))
		FZ_CHECK(pend == hirr, "vAPIC %u: pending %d, expected %d (PPR 0x%x)", i,
			 pend, hirr, ppr);
	else
		FZ_CHECK(pend == -1, "vAPIC %u: pending %d, expected none (enabled %d, "
			 "highest IRR %d, PPR 0x%x)", i, pend, a->enabled, hirr, ppr);

	/*
	 * Vectors 0-15 never get into IRR, ISR or TMR (APM Vol 2 §16.6.3 "Accepting
	 * System and IPI Interrupts"; RIV instead).
	 */
	FZ_CHECK(!(rd(p, R_IRR) & 0xffff) && !(rd(p, R_ISR) & 0xffff) && !(rd(p, R_TMR) & 0xffff),
		 "vAPIC %u: vector 0-15 in IRR/ISR/TMR: 0x%x/0x%x/0x%x", i,
		 rd(p, R_IRR), rd(p, R_ISR), rd(p, R_TMR));
	/*
	 * Only a vector of a class above PPR's is acknowledged, so in-service
	 * vectors nest by strictly increasing class: never two in one class.
	 */
	for (cls = 0; cls < 16; cls++) {
		w = (rd(p, R_ISR + (cls / 2) * 16) >> ((cls & 1) * 16)) & 0xffff;
		FZ_CHECK(!(w & (w - 1)), "vAPIC %u: two ISR vectors in class %u: 0x%04x", i, cls, w);
	}

	/* Read-only values and bits that read as 0 (APM Vol 2 §16.3-16.5 register figures). */
	FZ_CHECK(rd(p, R_VERSION) == VERSION_VALUE, "vAPIC %u: version 0x%x", i, rd(p, R_VERSION));
	FZ_CHECK(tpr <= 0xff && !(svr & ~0x3ffu) && !(rd(p, R_TDCR) & ~0xbu) &&
		 !(rd(p, R_ICR_LO) & ~ICR_LO_READABLE),
		 "vAPIC %u: reserved bits: TPR 0x%x SVR 0x%x TDCR 0x%x ICR 0x%x", i,
		 tpr, svr, rd(p, R_TDCR), rd(p, R_ICR_LO));
	FZ_CHECK(!(rd(p, R_ESR) & ~ESR_AMD_BITS) && !(a->esr_pending & ~ESR_AMD_BITS),
		 "vAPIC %u: ESR 0x%x / pending 0x%x outside the AMD bits", i,
		 rd(p, R_ESR), a->esr_pending);
	for (off = R_LVT_TIMER; off <= R_LVT_ERROR; off += 0x10) {
		w = rd(p, off);
		FZ_CHECK(!(w & ~ref_lvt_bits(off, fz_tscdl[i])),
			 "vAPIC %u: LVT 0x%x = 0x%x has RO/reserved bits", i, off, w);
		FZ_CHECK((svr & SVR_ASE) || (w & LVT_M),
			 "vAPIC %u: software-disabled but LVT 0x%x = 0x%x unmasked", i, off, w);
	}
	if (a->x2apic) {
		FZ_CHECK(rd(p, R_ID) == a->apic_id && rd(p, R_LDR) == ref_x2apic_ldr(a->apic_id),
			 "vAPIC %u: x2APIC ID 0x%x LDR 0x%x, expected 0x%x 0x%x", i,
			 rd(p, R_ID), rd(p, R_LDR), a->apic_id, ref_x2apic_ldr(a->apic_id));
	} else {
		FZ_CHECK(!(rd(p, R_ID) & 0xffffff) && !(rd(p, R_LDR) & 0xffffff) &&
			 (rd(p, R_DFR) & 0x0fffffff) == 0x0fffffff && !(rd(p, R_ICR_HI) & 0xffffff),
			 "vAPIC %u: xAPIC ID 0x%x LDR 0x%x DFR 0x%x ICR_HI 0x%x", i,
			 rd(p, R_ID), rd(p, R_LDR), rd(p, R_DFR), rd(p, R_ICR_HI));
	}
	if (!a->enabled) {
		/*
		 * Disabled: nothing but RESET values, apart from TPR (and so
		 * PPR), which CR8 and V_TPR still write (vapic_set_tpr).
		 */
		static u8 reset_page[PAGE_SIZE];

		ref_reset_page(reset_page, a->apic_id, false);
		wr(reset_page, R_TPR, tpr);
		wr(reset_page, R_PPR, ppr);
		for (off = 0; off < PAGE_SIZE; off += 4)
			FZ_CHECK(rd(p, off) == rd(reset_page, off),
				 "vAPIC %u disabled: page[0x%03x] 0x%x, reset value 0x%x", i,
				 off, rd(p, off), rd(reset_page, off));
		FZ_CHECK(!a->esr_pending, "vAPIC %u disabled with pending errors 0x%x", i,
			 a->esr_pending);
	}

	/* The current count never exceeds the initial count (APM Vol 2 §16.4.1 "APIC Timer Interrupt"). */
	FZ_CHECK(rd(p, R_TMCCT) <= rd(p, R_TMICT), "vAPIC %u: TMCCT 0x%x > TMICT 0x%x", i,
		 rd(p, R_TMCCT), rd(p, R_TMICT));
	/* TSC-deadline mode: TMICT writes are ignored and TMCCT reads 0 (Intel SDM Vol 3 §11.5.4.1). */
	FZ_CHECK(!(rd(p, R_LVT_TIMER) & LVT_TSCDL) || (!rd(p, R_TMICT) && !rd(p, R_TMCCT)),
		 "vAPIC %u: TSC-deadline mode (LVTT 0x%x) with TMICT 0x%x TMCCT 0x%x", i,
		 rd(p, R_LVT_TIMER), rd(p, R_TMICT), rd(p, R_TMCCT));

}

/*
 * Nothing is stored outside the registers (AVIC reads this page, §2.3).
 * Checked at the end of each input only: check_model already compares every
 * word after every operation, and the model never writes outside a register.
 */
FZ_NOCOV static void check_no_stray(unsigned i)
{
	const u8 *p = fz_v[i].page;
	u32 off;

	if (fz_stray_bits(p))
		for (off = 0; off < PAGE_SIZE; off += 4)
			FZ_CHECK(ref_stored(off) || !rd(p, off),
				 "vAPIC %u: page[0x%03x] = 0x%x, not a register", i, off, rd(p, off));
}

/* ---- checked operations -------------------------------------------------------- */

static void route(unsigned src, const struct vapic_icr *icr);

/*
 * APR, AMD definition (APM Vol 2 §16.6.2 "Lowest Priority Messages and
 * Arbitration"): the class is the highest of the TPR,
 * ISR and IRR classes; the sub-class is 0 unless the class is the TPR's.
 */
FZ_NOCOV static void check_apr(unsigned i, u32 apr)
{
	const u8 *p = fz_v[i].page;
	u32 tpr = rd(p, R_TPR) & 0xff, cls = tpr >> 4;
	int isr = ref_highest(p, R_ISR), irr = ref_highest(p, R_IRR);

	if (isr >= 0 && ((u32)isr >> 4) > cls)
		cls = (u32)isr >> 4;
	if (irr >= 0 && ((u32)irr >> 4) > cls)
		cls = (u32)irr >> 4;
	FZ_CHECK(apr <= 0xff && (apr >> 4) == cls &&
		 ((apr & 0xf) == 0 || (cls == (tpr >> 4) && (apr & 0xf) == (tpr & 0xf))),
		 "vAPIC %u: APR 0x%x (TPR 0x%x, ISR %d, IRR %d)", i, apr, tpr, isr, irr);
}

/*
 * A 16-byte-aligned xAPIC offset with no register (gaps, SELF_IPI, the
 * extended space that Version bit 31 = 0 disowns) reads 0, ignores writes
 * and sets ESR IRA (APM Vol 2 §16.4.6 "APIC Error Interrupts"); EOI is a register,
 * write-only.  Unaligned offsets are merely undefined: no error.
 */
static bool ref_xapic_ira(u32 off)
{
	return off < PAGE_SIZE && !(off & 0xf) && !ref_xapic_readable(off) && off != R_EOI;
}

static void op_mmio_read(unsigned i, u32 off)
{
	struct vapic *a = &fz_v[i];
	struct model m;
	u32 val = 0xdeadbeef;
	int rc;

	model_from(&m, a);
	rc = vapic_mmio_read(a, off, &val);
	FZ_TRACE("  [%u] mmio_read 0x%x -> %d, 0x%x\n", i, off, rc, val);
	/* A read changes nothing, but for an illegal register address error. */
	if (m.v.enabled && !m.v.x2apic && ref_xapic_ira(off))
		m_error(&m, ESR_IRA);
	check_model(&m, a, NULL);
	if (!a->enabled || a->x2apic) {
		/* Disabled or x2APIC: the MMIO page is not decoded (APM Vol 2 §16.11 "Accessing x2APIC Register"). */
		FZ_CHECK(rc == -VAPIC_NOT_DECODED && val == 0,
			 "MMIO read 0x%x not decoded: rc %d val 0x%x", off, rc, val);
		return;
	}
	FZ_CHECK(rc == 0, "MMIO read 0x%x: rc %d", off, rc);
	if (off >= PAGE_SIZE || (off & 0xf) || !ref_xapic_readable(off))
		FZ_CHECK(val == 0, "MMIO read of non-register 0x%x: 0x%x", off, val);
	else if (off == R_PPR)
		FZ_CHECK(val == ref_ppr(a->page), "MMIO PPR 0x%x, expected 0x%x", val,
			 ref_ppr(a->page));
	else if (off == R_APR)
		check_apr(i, val);
	else
		FZ_CHECK(val == rd(a->page, off), "MMIO read 0x%x: 0x%x, page 0x%x", off, val,
			 rd(a->page, off));
}

static void op_mmio_write(unsigned i, u32 off, u32 val)
{
	struct vapic *a = &fz_v[i];
	struct vapic_effect eff;
	struct model m;
	int rc;

	model_from(&m, a);
	memset(&eff, 0xa5, sizeof(eff));
	rc = vapic_mmio_write(a, off, val, &eff);
	FZ_TRACE("  [%u] mmio_write 0x%x = 0x%x -> %d, effect %d\n", i, off, val, rc, eff.kind);
	if (!m.v.enabled || m.v.x2apic) {
		FZ_CHECK(rc == -VAPIC_NOT_DECODED, "MMIO write 0x%x not decoded: rc %d", off, rc);
	} else {
		FZ_CHECK(rc == 0, "MMIO write 0x%x: rc %d (MMIO never faults)", off, rc);
		/*
		 * Only aligned registers inside the page; SELF_IPI is x2APIC
		 * only (APM Vol 2 Table 16-6).
		 */
		if (ref_xapic_ira(off))
			m_error(&m, ESR_IRA);
		else if (off < PAGE_SIZE && !(off & 0xf))
			m_write_reg(&m, off, val);
	}
	check_model(&m, a, &eff);
	if (eff.kind == VAPIC_EFFECT_ICR)
		route(i, &eff.icr);
}

static void op_msr_read(unsigned i, u32 msr)
{
	struct vapic *a = &fz_v[i];
	struct model m;
	u64 val = 0xdeadbeefdeadbeefull, exp;
	u32 off = (msr - 0x800) << 4;
	int rc;

	model_from(&m, a);
	rc = vapic_x2apic_msr_read(a, msr, &val);
	FZ_TRACE("  [%u] rdmsr 0x%x -> %d, 0x%llx\n", i, msr, rc, (unsigned long long)val);
	check_model(&m, a, NULL);
	if (!a->enabled || !a->x2apic || msr < 0x800 || msr > 0x8ff || !ref_x2apic_readable(msr)) {
		FZ_CHECK(rc == -VAPIC_GP && val == 0, "RDMSR 0x%x: expected #GP, got rc %d val 0x%llx "
			 "(x2apic %d)", msr, rc, (unsigned long long)val, a->x2apic);
		return;
	}
	FZ_CHECK(rc == 0, "RDMSR 0x%x: rc %d", msr, rc);
	if (msr == 0x809) {
		FZ_CHECK(!(val >> 32), "RDMSR APR 0x%llx", (unsigned long long)val);
		check_apr(i, (u32)val);
		return;
	}
	if (msr == 0x830)
		exp = rd(a->page, R_ICR_LO) | ((u64)rd(a->page, R_ICR_HI) << 32);
	else if (msr == 0x80a)
		exp = ref_ppr(a->page);
	else
		exp = rd(a->page, off);
	FZ_CHECK(val == exp, "RDMSR 0x%x: 0x%llx, expected 0x%llx", msr,
		 (unsigned long long)val, (unsigned long long)exp);
}

static void op_msr_write(unsigned i, u32 msr, u64 val)
{
	struct vapic *a = &fz_v[i];
	struct vapic_effect eff;
	struct model m;
	bool gp;
	int rc;

	model_from(&m, a);
	memset(&eff, 0xa5, sizeof(eff));
	rc = vapic_x2apic_msr_write(a, msr, val, &eff);
	FZ_TRACE("  [%u] wrmsr 0x%x = 0x%llx -> %d, effect %d\n", i, msr,
		 (unsigned long long)val, rc, eff.kind);
	gp = !m.v.enabled || !m.v.x2apic || msr < 0x800 || msr > 0x8ff ||
	     ref_x2apic_write_gp(msr, val, m.v.tsc_deadline_supported);
	/* Either #GP and no change at all, or success with the register's effect. */
	FZ_CHECK(rc == (gp ? -VAPIC_GP : 0), "WRMSR 0x%x = 0x%llx: rc %d, expected %s (x2apic %d)",
		 msr, (unsigned long long)val, rc, gp ? "#GP" : "success", m.v.x2apic);
	if (!gp) {
		u32 lo = (u32)val, vec = lo & 0xff;

		switch (msr) {
		case 0x830:
			/*
			 * One WRMSR sends; the page keeps 31:0 at 0x300, 63:32
			 * at 0x310 (APM Vol 2 §15.29.10 "x2AVIC").
			 */
			wr(m.page, R_ICR_HI, (u32)(val >> 32));
			m_write_reg(&m, R_ICR_LO, lo);
			break;
		case 0x83f:
			/*
			 * SELF_IPI: Fixed, edge, to self; in IRR when WRMSR
			 * completes (APM Vol 2 §16.15).
			 */
			if (vec < 16) {
				m_error(&m, ESR_SIV);
			} else if (m_accept(&m, vec, false)) {
				m.eff.kind = VAPIC_EFFECT_SELF_IPI;
				m.eff.self_ipi_vector = (u8)vec;
			}
			break;
		default:
			m_write_reg(&m, (msr - 0x800) << 4, lo);
			break;
		}
	}
	check_model(&m, a, &eff);
	if (eff.kind == VAPIC_EFFECT_ICR)
		route(i, &eff.icr);
}

/*
 * IA32_APIC_BASE (APM Vol 2 §16.3.1 "Local APIC Enable", §16.9 "Detecting and
 * Enabling x2APIC Mode"): #GP for reserved bits (7:0, 9, at and
 * above MAXPHYADDR), AE=0 with EXTD=1, EXTD without x2APIC support,
 * x2APIC -> xAPIC and disabled -> x2APIC.  BSC is read-only.  Disabling
 * resets the registers; entering x2APIC turns the ID into the x2APIC ID,
 * derives LDR and drops ICR high; nothing else changes.
 */
static void op_apic_base(unsigned i, u64 val, u32 maxphy)
{
	struct vapic *a = &fz_v[i];
	struct model m;
	u32 mp = maxphy > 52 ? 52 : maxphy;
	u64 reserved = 0xffull | (1ull << 9) | (~0ull << mp);
	bool ae = val & AB_AE, extd = val & AB_EXTD, gp;
	int rc;

	model_from(&m, a);
	rc = vapic_set_apic_base(a, val, maxphy);
	FZ_TRACE("  [%u] apic_base 0x%llx (maxphyaddr %u) -> %d\n", i,
		 (unsigned long long)val, maxphy, rc);
	gp = (val & reserved) || (extd && !ae) || (extd && !m.v.x2apic_supported) ||
	     (m.v.x2apic && ae && !extd) || (!m.v.enabled && ae && extd);
	FZ_CHECK(rc == (gp ? -VAPIC_GP : 0), "APIC_BASE 0x%llx from 0x%llx: rc %d, expected %s",
		 (unsigned long long)val, (unsigned long long)m.v.apic_base, rc,
		 gp ? "#GP" : "success");
	if (!gp) {
		m.v.apic_base = (val & ~AB_BSC) | (m.v.apic_base & AB_BSC);
		if (m.v.enabled && !ae) {
			ref_reset_page(m.page, m.v.apic_id, false);
			m.v.esr_pending = 0;
		} else if (!m.v.x2apic && extd) {
			wr(m.page, R_ID, m.v.apic_id);
			wr(m.page, R_LDR, ref_x2apic_ldr(m.v.apic_id));
			wr(m.page, R_ICR_HI, 0);
		}
		m.v.enabled = ae;
		m.v.x2apic = extd;
	}
	check_model(&m, a, NULL);
}

static bool op_accept(unsigned i, u8 vec, bool level)
{
	struct vapic *a = &fz_v[i];
	struct model m;
	bool ok, exp;

	model_from(&m, a);
	ok = vapic_accept(a, vec, level);
	FZ_TRACE("  [%u] accept 0x%x %s -> %d\n", i, vec, level ? "level" : "edge", ok);
	exp = m_accept(&m, vec, level);
	FZ_CHECK(ok == exp, "accept 0x%x: returned %d, expected %d (enabled %d, SVR 0x%x)",
		 vec, ok, exp, m.v.enabled, rd(m.page, R_SVR));
	check_model(&m, a, NULL);
	if (ok)
		FZ_CHECK(vbit(a->page, R_IRR, vec) && vbit(a->page, R_TMR, vec) == level,
			 "accepted 0x%x is not in IRR with TMR %d", vec, level);
	return ok;
}

/*
 * The hypervisor's injection: only a vector vapic_pending_vector() returned
 * (APM Vol 2 §16.6.4 "Selecting and Handling Interrupts").
 */
static void op_ack(unsigned i)
{
	struct vapic *a = &fz_v[i];
	struct model m;
	int v = vapic_pending_vector(a);

	FZ_TRACE("  [%u] ack: pending %d\n", i, v);
	if (v < 0)
		return;
	model_from(&m, a);
	vapic_ack(a, (u8)v);
	vset(m.page, R_IRR, (unsigned)v, false);
	vset(m.page, R_ISR, (unsigned)v, true);
	check_model(&m, a, NULL);
	FZ_CHECK(vbit(a->page, R_ISR, (unsigned)v) && !vbit(a->page, R_IRR, (unsigned)v),
		 "after ack 0x%x: ISR %d IRR %d", v, vbit(a->page, R_ISR, (unsigned)v),
		 vbit(a->page, R_IRR, (unsigned)v));
	FZ_CHECK((ref_ppr(a->page) >> 4) >= ((u32)v >> 4),
		 "after ack 0x%x: PPR 0x%x below its class", v, ref_ppr(a->page));
}

/* EOI through the register the guest uses in its mode (value 0: legal in both). */
static void op_eoi(unsigned i)
{
	if (fz_v[i].x2apic)
		op_msr_write(i, 0x80b, 0);
	else
		op_mmio_write(i, R_EOI, 0);
}

static void op_init(unsigned i)
{
	struct vapic *a = &fz_v[i];
	struct model m;

	FZ_TRACE("  [%u] INIT\n", i);
	model_from(&m, a);
	vapic_init_signal(a);
	/* INIT: registers to reset values, AE/EXTD unchanged (APM Vol 2 §16.10 "x2APIC Initialization"). */
	ref_reset_page(m.page, m.v.apic_id, m.v.x2apic);
	m.v.esr_pending = 0;
	check_model(&m, a, NULL);
}

/*
 * RESET; apic_id stays distinct from the other vAPIC's (the vCPU identity).
 * x2sup, tscdl: what this VM's CPUID advertises (CPUID 1 ECX[21], ECX[24]).
 */
static void op_reset(unsigned i, u32 id, bool bsp, bool x2sup, bool tscdl)
{
	struct vapic *a = &fz_v[i];
	struct model m;

	if (id == fz_v[i ^ 1].apic_id)
		id ^= 1;
	FZ_TRACE("  [%u] RESET id 0x%x bsp %d x2apic %d tsc-deadline %d supported\n", i, id,
		 bsp, x2sup, tscdl);
	memset(a->page, 0x5a, PAGE_SIZE);       /* RESET must clear all of it */
	model_from(&m, a);
	vapic_reset(a, id, bsp);
	/* KVM's RESET state: xAPIC, enabled (APM Vol 2 §16.10 "x2APIC Initialization": disabled). */
	m.v.apic_id = id;
	m.v.apic_base = AB_DEFAULT | AB_AE | (bsp ? AB_BSC : 0);
	m.v.enabled = true;
	m.v.x2apic = false;
	m.v.x2apic_supported = true;
	m.v.tsc_deadline_supported = false;
	m.v.esr_pending = 0;
	ref_reset_page(m.page, id, false);
	check_model(&m, a, NULL);
	a->x2apic_supported = x2sup;
	a->tsc_deadline_supported = tscdl;
	fz_bsp[i] = bsp;
	fz_x2sup[i] = x2sup;
	fz_tscdl[i] = tscdl;
}

/*
 * TPR set by the hypervisor (CR8 write, V_TPR sync): PPR follows (APM Vol 2
 * §16.6.4 "Selecting and Handling Interrupts").
 */
static void op_set_tpr(unsigned i, u32 tpr)
{
	struct vapic *a = &fz_v[i];
	struct model m;

	FZ_TRACE("  [%u] set_tpr 0x%x\n", i, tpr);
	model_from(&m, a);
	vapic_set_tpr(a, tpr);
	wr(m.page, R_TPR, tpr & 0xff);
	check_model(&m, a, NULL);
}

/*
 * Timer arithmetic (APM Vol 2 §16.4.1 "APIC Timer Interrupt"), then play the timer
 * owner: store the current count for elapsed ticks into the page.
 */
static void op_timer(unsigned i, u32 tmict, u8 tdcr, u64 elapsed, u64 delta, bool periodic)
{
	static const u32 div_table[8] = { 2, 4, 8, 16, 32, 64, 128, 1 };
	struct vapic *a = &fz_v[i];
	u32 div = vapic_timer_divisor(tdcr), c, c2, exp;
	u64 ticks;

	FZ_TRACE("  [%u] timer tmict 0x%x tdcr 0x%x elapsed 0x%llx +0x%llx %s\n", i, tmict, tdcr,
		 (unsigned long long)elapsed, (unsigned long long)delta,
		 periodic ? "periodic" : "one-shot");
	FZ_CHECK(div == div_table[(tdcr & 3) | ((tdcr >> 1) & 4)], "divisor(0x%x) = %u", tdcr, div);
	FZ_CHECK(vapic_tmcct(tmict, 0, elapsed, periodic) == 0, "divisor 0 must read 0");
	c = vapic_tmcct(tmict, div, elapsed, periodic);
	ticks = elapsed / div;
	FZ_CHECK(c <= tmict, "TMCCT %u > TMICT %u", c, tmict);
	if (!tmict)
		exp = 0;
	else if (!periodic)
		exp = ticks >= tmict ? 0 : (u32)(tmict - ticks);
	else
		exp = tmict - (u32)(ticks % tmict);     /* reloads on reaching 0 */
	FZ_CHECK(c == exp, "TMCCT(%u, /%u, %llu, %d) = %u, expected %u", tmict, div,
		 (unsigned long long)elapsed, periodic, c, exp);
	FZ_CHECK(!tmict || !periodic || c >= 1, "periodic TMCCT 0");
	if (!periodic && elapsed + delta >= elapsed) {
		c2 = vapic_tmcct(tmict, div, elapsed + delta, false);
		FZ_CHECK(c2 <= c, "one-shot count went up: %u then %u", c, c2);
	}

	/* The owner keeps TMCCT current from the programmed registers. */
	vapic_set_reg(a, R_TMCCT, vapic_tmcct(rd(a->page, R_TMICT),
					      vapic_timer_divisor(rd(a->page, R_TDCR)), elapsed,
					      rd(a->page, R_LVT_TIMER) & LVT_TMM));
}

/*
 * Destination matching by the rules of APM Vol 2 §16.6.1 "Receiving System
 * and IPI Interrupts" and §16.14 "Logical Destination Register": 1 match,
 * 0 no match, -1 not defined here (mixed xAPIC/x2APIC formats, a DFR model
 * that is neither flat nor cluster).
 */
static int ref_match(const struct vapic *t, const struct vapic_icr *icr, u32 src_id)
{
	u32 bcast = icr->x2apic ? 0xffffffffu : 0xffu, d8, l8, model;

	switch (icr->shorthand) {
	case 1: return t->apic_id == src_id;
	case 2: return 1;
	case 3: return t->apic_id != src_id;
	default: break;
	}
	if (icr->dest == bcast)
		return 1;
	if (icr->x2apic != t->x2apic)
		return -1;
	if (t->x2apic) {
		u32 ldr = ref_x2apic_ldr(t->apic_id);

		if (!icr->logical)
			return icr->dest == t->apic_id;
		return (icr->dest >> 16) == (ldr >> 16) && (icr->dest & ldr & 0xffff);
	}
	if (!icr->logical)
		return icr->dest == rd(t->page, R_ID) >> 24;
	d8 = icr->dest & 0xff;
	l8 = rd(t->page, R_LDR) >> 24;
	model = rd(t->page, R_DFR) >> 28;
	if (model == 0xf)
		return (d8 & l8) != 0;
	if (model == 0)
		return (d8 >> 4) == (l8 >> 4) && (d8 & l8 & 0xf);
	return -1;
}

static bool checked_match(unsigned t, const struct vapic_icr *icr, u32 src_id)
{
	bool got = vapic_match_dest(&fz_v[t], icr, src_id);
	int exp = ref_match(&fz_v[t], icr, src_id);

	FZ_CHECK(exp < 0 || got == (bool)exp,
		 "match_dest(target %u id 0x%x x2 %d, dest 0x%x log %d dsh %u fmt-x2 %d, src 0x%x) "
		 "= %d, expected %d", t, fz_v[t].apic_id, fz_v[t].x2apic, icr->dest, icr->logical,
		 icr->shorthand, icr->x2apic, src_id, got, exp);
	return got;
}

/*
 * Deliver an IPI the way the hypervisor would: Fixed to every matching
 * vAPIC, lowest priority to one of them (any choice is allowed, APM Vol 2 §16.6.2), INIT
 * as the INIT signal; SMI/NMI/SIPI bypass the APIC registers.
 */
static void route(unsigned src, const struct vapic_icr *icr)
{
	u32 src_id = fz_v[src].apic_id;
	bool lowest_done = false;
	unsigned t;

	FZ_TRACE("  [%u] route vec 0x%x mt %u dsh %u dest 0x%x\n", src, icr->vector,
		 icr->delivery_mode, icr->shorthand, icr->dest);
	for (t = 0; t < NV; t++) {
		if (!checked_match(t, icr, src_id))
			continue;
		switch (icr->delivery_mode) {
		case VAPIC_MT_LOWEST:
			if (lowest_done)
				break;
			lowest_done = true;
			/* fall through */
		case VAPIC_MT_FIXED:
			op_accept(t, icr->vector, icr->trigger_level);
			break;
		case VAPIC_MT_INIT:
			op_init(t);
			break;
		default:
			break;
		}
	}
}

/* ICR decode (both formats) and destination matching with any ICR value. */
static void op_icr_match(unsigned src, u32 lo, u32 hi)
{
	struct vapic_icr got, exp;
	unsigned t;

	FZ_TRACE("  [%u] icr_match 0x%08x:%08x\n", src, hi, lo);
	vapic_icr_decode_xapic(lo, hi, &got);
	ref_icr_decode(lo, hi >> 24, false, &exp);
	check_icr_eq(&exp, &got, "xAPIC ICR decode");
	for (t = 0; t < NV; t++)
		checked_match(t, &got, fz_v[src].apic_id);
	vapic_icr_decode_x2apic(lo | ((u64)hi << 32), &got);
	ref_icr_decode(lo, hi, true, &exp);
	check_icr_eq(&exp, &got, "x2APIC ICR decode");
	for (t = 0; t < NV; t++)
		checked_match(t, &got, fz_v[src].apic_id);
}

/* A register access through the interface of the current mode. */
static void guest_write(unsigned i, u32 off, u32 val)
{
	if (fz_v[i].x2apic)
		op_msr_write(i, 0x800 + (off >> 4), val);
	else
		op_mmio_write(i, off, val);
}

static void guest_read(unsigned i, u32 off)
{
	if (fz_v[i].x2apic)
		op_msr_read(i, 0x800 + (off >> 4));
	else
		op_mmio_read(i, off);
}

/* The architectural registers, for the mode-independent register operations. */
static const u16 fz_regs[] = {
	R_ID, R_VERSION, R_TPR, R_APR, R_PPR, R_EOI, R_RRD, R_LDR, R_DFR, R_SVR,
	R_ISR, R_ISR + 0x70, R_TMR, R_TMR + 0x70, R_IRR, R_IRR + 0x70, R_ESR,
	R_ICR_LO, R_ICR_HI, 0x320, 0x330, 0x340, 0x350, 0x360, 0x370,
	R_TMICT, R_TMCCT, R_TDCR, 0x3f0,
};

/* MMIO offsets: registers, the extended space, anything 4-aligned, anything. */
static u32 in_mmio_offset(struct fz_in *in)
{
	u8 sel = in_u8(in);

	if (sel < 0x80)
		return (u32)(sel & 0x3f) << 4;
	if (sel < 0xc0)
		return 0x400 + ((u32)(sel & 0x3f) << 4);
	if (sel < 0xff)
		return in_u16(in) & ~3u;
	return in_u16(in);
}

static u32 in_msr(struct fz_in *in, u8 sel)
{
	if ((sel & 0xc0) == 0xc0)
		return in_u32(in);              /* outside 0x800-0x8ff now and then */
	return 0x800 + in_u8(in);
}

static u64 in_apic_base(struct fz_in *in, u8 sel)
{
	u64 addr;

	if (sel & 0x80)
		return in_u64(in);
	addr = (sel & 0x40) ? ((u64)in_u32(in) << 12) : AB_DEFAULT;
	return addr | ((sel & 1) ? AB_AE : 0) | ((sel & 2) ? AB_EXTD : 0) | ((sel & 4) ? AB_BSC : 0);
}

static void run_op(struct fz_in *in)
{
	u8 op = in_u8(in), sel;
	unsigned i = op >> 7;
	u32 off, val;

	fz_opkind = (op & 0x7f) % OP_COUNT;
	FZ_TRACE("op #%u %s on vAPIC %u\n", fz_opno, fz_op_names[fz_opkind], i);
	switch (fz_opkind) {
	case OP_MMIO_READ:
		op_mmio_read(i, in_mmio_offset(in));
		break;
	case OP_MMIO_WRITE:
		off = in_mmio_offset(in);
		op_mmio_write(i, off, in_u32(in));
		break;
	case OP_MSR_READ:
		op_msr_read(i, in_msr(in, in_u8(in)));
		break;
	case OP_MSR_WRITE: {
		u32 msr;

		sel = in_u8(in);
		msr = in_msr(in, sel);
		op_msr_write(i, msr, in_value(in, sel));
		break;
	}
	case OP_APIC_BASE: {
		u64 base;

		sel = in_u8(in);
		base = in_apic_base(in, sel);
		/* MAXPHYADDR: usually a real one (32-52), any value now and then. */
		off = in_u8(in);
		op_apic_base(i, base, (sel & 0x20) ? off : 32 + off % 21);
		break;
	}
	case OP_ACCEPT:
		val = in_u8(in);
		op_accept(i, (u8)val, in_u8(in) & 1);
		break;
	case OP_ACK:
		op_ack(i);
		break;
	case OP_EOI:
		op_eoi(i);
		break;
	case OP_INIT:
		op_init(i);
		break;
	case OP_RESET:
		sel = in_u8(in);
		op_reset(i, (sel & 4) ? in_u32(in) : in_u8(in), sel & 1, !(sel & 2), sel & 8);
		break;
	case OP_TIMER: {
		u32 tmict;
		u64 elapsed, delta;

		sel = in_u8(in);
		tmict = in_u32(in);
		elapsed = (sel & 0x10) ? in_u64(in) : in_u16(in);
		delta = in_u16(in);
		op_timer(i, tmict, sel & 0xf, elapsed, delta, sel & 0x20);
		break;
	}
	case OP_ICR_MATCH:
		val = in_u32(in);
		op_icr_match(i, val, in_u32(in));
		break;
	case OP_SW_ENABLE:
		guest_write(i, R_SVR, SVR_ASE | in_u8(in));
		break;
	case OP_TO_X2APIC:
		op_apic_base(i, AB_DEFAULT | AB_AE | AB_EXTD, 48);
		break;
	case OP_TPR:
		guest_write(i, R_TPR, in_u8(in));
		break;
	case OP_LVT_ERROR:
		guest_write(i, R_LVT_ERROR, in_u8(in));         /* unmasked, any vector */
		break;
	case OP_SEND_IPI: {
		/* A Fixed IPI by physical ID to the other vAPIC, or with the encoded shorthand. */
		u32 lo = in_u8(in) | ((u32)(in_u8(in) & 0xc) << 16), dest;

		dest = fz_v[i].x2apic ? fz_v[i ^ 1].apic_id : rd(fz_v[i ^ 1].page, R_ID) >> 24;
		if (fz_v[i].x2apic) {
			op_msr_write(i, 0x830, lo | ((u64)dest << 32));
		} else {
			op_mmio_write(i, R_ICR_HI, dest << 24);
			op_mmio_write(i, R_ICR_LO, lo);
		}
		break;
	}
	case OP_SET_TPR:
		op_set_tpr(i, in_value(in, in_u8(in)));
		break;
	case OP_REG_READ:
		guest_read(i, fz_regs[in_u8(in) % ARRAY_SIZE(fz_regs)]);
		break;
	case OP_REG_WRITE:
		sel = in_u8(in);
		off = fz_regs[sel % ARRAY_SIZE(fz_regs)];
		/* Bit 7: 32 random bits, else 8 random bits placed at bits 7:0 or 23:16. */
		if (sel & 0x80)
			val = in_u32(in);
		else
			val = (u32)in_u8(in) << ((sel & 0x40) ? 16 : 0);
		guest_write(i, off, val);
		break;
	default:
		break;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned i;

	(void)argc;
	(void)argv;
	for (i = 0; i < PAGE_SIZE / 4; i++) {
		fz_stored[i] = ref_stored_slow(i * 4);
		fz_stray_mask[i] = fz_stored[i] ? 0 : ~0u;
	}
	fz_trace = getenv("FUZZ_VAPIC_TRACE") && *getenv("FUZZ_VAPIC_TRACE") != '0';
	/* Exactly one page each on the heap: ASan catches any access past it. */
	for (i = 0; i < NV; i++) {
		fz_page[i] = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
		if (!fz_page[i])
			abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fz_in in = { data, size };
	u32 id0, id1;
	unsigned i;

	fz_opno = 0;
	fz_opkind = -1;
	id0 = in_u8(&in);
	id1 = in_u8(&in);
	if (id1 == id0)
		id1 ^= 1;
	for (i = 0; i < NV; i++) {
		fz_v[i].page = fz_page[i];
		fz_v[i].apic_id = i ? id1 : id0;        /* op_reset keeps them distinct */
	}
	op_reset(0, id0, true, true, true);
	op_reset(1, id1, false, true, false);
	check_state(0);
	check_state(1);
	while (in.n && fz_opno < MAX_OPS) {
		fz_opno++;
		run_op(&in);
		check_state(0);
		check_state(1);
	}
	check_no_stray(0);
	check_no_stray(1);
	return 0;
}
