/*
 * avic/vapic.c - the software virtual local APIC: register semantics,
 * priorities, acceptance/EOI, ICR decoding, destination matching, APIC_BASE
 * transitions and timer arithmetic.  Pure: state is struct vapic and its
 * backing page; no I/O, no hypervisor structures (see vapic.h).
 *
 * Architecture: APM Vol 2 Chapter 16 "Advanced Programmable Interrupt
 * Controller (APIC)", each function naming its section; page layout: APM
 * Vol 2 §15.29.3 "AVIC Backing Page" and §15.29.3.1 "Virtual APIC Register
 * Accesses".  Behaviour where the APM is silent follows KVM lapic.c and
 * bhyve vlapic.c (read, not copied).
 */
#include "avic/vapic.h"
#include "lib/string.h"

static bool vapic_vec_test(const struct vapic *a, u32 base, u8 vector)
{
	return vapic_page_vec_test(a->page, base, vector);
}

static void vapic_vec_set(struct vapic *a, u32 base, u8 vector)
{
	vapic_page_vec_set(a->page, base, vector);
}

static void vapic_vec_clear(struct vapic *a, u32 base, u8 vector)
{
	vapic_page_vec_clear(a->page, base, vector);
}

static int vapic_vec_highest(const struct vapic *a, u32 base)
{
	u32 any = 0;
	int i;

	/* Mostly empty (IRR on most entries): one pass of loads and ORs says so. */
	for (i = 0; i < 8; i++)
		any |= vapic_get_reg(a, base + (u32)i * 0x10);
	if (!any)
		return -1;
	for (i = 7; i >= 0; i--) {
		u32 w = vapic_get_reg(a, base + (u32)i * 0x10);

		if (w)
			return i * 32 + 31 - __builtin_clz(w);
	}
	return -1;
}

int vapic_highest_irr(const struct vapic *a)
{
	return vapic_vec_highest(a, VAPIC_REG_IRR);
}

int vapic_highest_isr(const struct vapic *a)
{
	return vapic_vec_highest(a, VAPIC_REG_ISR);
}

bool vapic_sw_enabled(const struct vapic *a)
{
	return vapic_get_reg(a, VAPIC_REG_SVR) & VAPIC_SVR_ASE;
}

/*
 * APM Vol 2 §16.6.4 "Selecting and Handling Interrupts" (Fig. 16-27, PPR):
 * with ISRV the highest in-service vector (0 if none), PPR = TPR if
 * TPR[7:4] >= ISRV[7:4], else ISRV[7:4] with a zero sub-class.
 */
u32 vapic_ppr(const struct vapic *a)
{
	u32 tpr = vapic_get_reg(a, VAPIC_REG_TPR) & 0xff;
	int isr = vapic_highest_isr(a);
	u32 isrv = isr < 0 ? 0 : (u32)isr;

	if ((tpr & 0xf0) >= (isrv & 0xf0))
		return tpr;
	return isrv & 0xf0;
}

/*
 * AMD's arbitration priority (APM Vol 2 §16.6.2 "Lowest Priority Messages
 * and Arbitration", Fig. 16-22): the highest of the TPR class, the highest
 * ISR class and the highest IRR class; the sub-class is TPR[3:0] when that
 * class is the TPR's, else 0.
 */
u32 vapic_apr(const struct vapic *a)
{
	u32 tpr = vapic_get_reg(a, VAPIC_REG_TPR) & 0xff;
	int isr = vapic_highest_isr(a), irr = vapic_highest_irr(a);
	u32 cls = tpr >> 4;

	if (isr >= 0 && ((u32)isr >> 4) > cls)
		cls = (u32)isr >> 4;
	if (irr >= 0 && ((u32)irr >> 4) > cls)
		cls = (u32)irr >> 4;
	return (cls << 4) | (cls == (tpr >> 4) ? (tpr & 0xf) : 0);
}

/*
 * The backing page keeps a current PPR, as AVIC does (APM Vol 2 §15.29.3.1
 * "Virtual APIC Register Accesses", PPR).
 */
static void vapic_update_ppr(struct vapic *a)
{
	vapic_set_reg(a, VAPIC_REG_PPR, vapic_ppr(a));
}

/* TPR written other than through the register (CR8, V_TPR): PPR follows. */
void vapic_set_tpr(struct vapic *a, u32 tpr)
{
	vapic_set_reg(a, VAPIC_REG_TPR, tpr & 0xff);
	vapic_update_ppr(a);
}

/*
 * Accumulate errors; they become visible on the next ESR write (APM Vol 2
 * §16.4.6 "APIC Error Interrupts", Fig. 16-16; bhyve's esr_pending).  A new
 * error with LVT Error unmasked raises the error interrupt locally; if that
 * vector is itself illegal it only adds RIV (no recursion).
 */
void vapic_set_error(struct vapic *a, u32 esr_bits)
{
	u32 fresh = esr_bits & ~a->esr_pending;
	u32 lvt = vapic_get_reg(a, VAPIC_REG_LVT_ERROR);

	a->esr_pending |= esr_bits;
	if (!fresh || (lvt & VAPIC_LVT_M))
		return;
	if ((lvt & VAPIC_LVT_VECTOR) < 16)
		a->esr_pending |= VAPIC_ESR_RIV;
	else
		vapic_accept(a, lvt & VAPIC_LVT_VECTOR, false);
}

/*
 * Accept a Fixed or lowest-priority message (APM Vol 2 §16.6.3 "Accepting
 * System and IPI Interrupts").  Not accepted while the APIC is disabled or
 * software-disabled (SVR.ASE = 0; §16.3.1 "Local APIC Enable").  Vectors
 * 0-15 set RIV (§16.4.6 "APIC Error Interrupts") and are dropped.
 * A request for a vector already in IRR merges with it; TMR follows the
 * trigger mode of the latest request.
 */
bool vapic_accept(struct vapic *a, u8 vector, bool level)
{
	if (!a->enabled || !vapic_sw_enabled(a))
		return false;
	if (vector < 16) {
		vapic_set_error(a, VAPIC_ESR_RIV);
		return false;
	}
	if (level)
		vapic_vec_set(a, VAPIC_REG_TMR, vector);
	else
		vapic_vec_clear(a, VAPIC_REG_TMR, vector);
	vapic_vec_set(a, VAPIC_REG_IRR, vector);
	return true;
}

/*
 * The highest IRR vector whose class is above the PPR class, or -1 (APM Vol 2
 * §16.6.4 "Selecting and Handling Interrupts").
 */
int vapic_pending_vector(const struct vapic *a)
{
	return vapic_pending_vector_of(a, vapic_highest_irr(a));
}

/* Interrupt acknowledge (injection): IRR -> ISR, recompute PPR. */
void vapic_ack(struct vapic *a, u8 vector)
{
	vapic_vec_clear(a, VAPIC_REG_IRR, vector);
	vapic_vec_set(a, VAPIC_REG_ISR, vector);
	vapic_update_ppr(a);
}

/*
 * The acknowledge undone (ISR -> IRR, recompute PPR), for an injection the
 * CPU did not take after all (hv/lapic_inject.c, V_IRQ).  A request of the same
 * vector that came in meanwhile merges with it, as it would have in IRR.
 */
void vapic_unack(struct vapic *a, u8 vector)
{
	vapic_vec_clear(a, VAPIC_REG_ISR, vector);
	vapic_vec_set(a, VAPIC_REG_IRR, vector);
	vapic_update_ppr(a);
}

/*
 * EOI (APM Vol 2 §16.6.4 "Selecting and Handling Interrupts"): clear the
 * highest ISR bit and recompute PPR.  Returns the vector, with *level = its
 * TMR bit (the caller then broadcasts an EOI to the IOAPIC, §16.6.3
 * "Accepting System and IPI Interrupts"), or -1 when nothing is in service.
 */
int vapic_eoi(struct vapic *a, bool *level)
{
	int v = vapic_highest_isr(a);

	if (level)
		*level = false;
	if (v < 0)
		return -1;
	vapic_vec_clear(a, VAPIC_REG_ISR, (u8)v);
	if (level)
		*level = vapic_vec_test(a, VAPIC_REG_TMR, (u8)v);
	vapic_update_ppr(a);
	return v;
}

/*
 * x2APIC logical ID (APM Vol 2 §16.14 "Logical Destination Register"):
 * cluster = ID[19:4] in bits 31:16, one-hot ID[3:0] in bits 15:0.
 */
u32 vapic_x2apic_ldr(u32 x2apic_id)
{
	return ((x2apic_id >> 4) << 16) | (1u << (x2apic_id & 0xf));
}

/*
 * Register values after RESET or INIT (APM Vol 2 §16.3.2 "APIC Registers",
 * Table 16-2), which the VMM, not AVIC, writes into a backing page (§15.29.3
 * "AVIC Backing Page").
 */
static void vapic_reset_regs(struct vapic *a)
{
	u32 off;

	memset(a->page, 0, PAGE_SIZE);
	if (a->x2apic) {
		vapic_set_reg(a, VAPIC_REG_ID, a->apic_id);
		vapic_set_reg(a, VAPIC_REG_LDR, vapic_x2apic_ldr(a->apic_id));
	} else {
		vapic_set_reg(a, VAPIC_REG_ID, (a->apic_id & 0xff) << 24);
	}
	/*
	 * AMD layout 0x80nn0010 but with bit 31 clear: no extended register
	 * space (0x400+ not implemented, on purpose; APM Vol 2 §16.3.4 "APIC
	 * Version Register", EAS), as KVM reports (kvm_apic_set_version()).
	 */
	vapic_set_reg(a, VAPIC_REG_VERSION, VAPIC_VERSION_VER |
		      ((VAPIC_LVT_COUNT - 1) << VAPIC_VERSION_MAX_LVT_SHIFT));
	vapic_set_reg(a, VAPIC_REG_DFR, 0xffffffffu);
	vapic_set_reg(a, VAPIC_REG_SVR, 0xff);
	for (off = VAPIC_REG_LVT_TIMER; off <= VAPIC_REG_LVT_ERROR; off += 0x10)
		vapic_set_reg(a, off, VAPIC_LVT_RESET);
	a->esr_pending = 0;
}

/*
 * RESET.  Not the APM's reset, on purpose: APM Vol 2 §16.10 "x2APIC
 * Initialization" says a RESET leaves the APIC disabled; we follow KVM
 * (kvm_lapic_reset(): APIC_BASE = 0xFEE00000 | AE | BSC, xAPIC mode)
 * because guests run without firmware.  x2APIC is advertised by default.
 */
void vapic_reset(struct vapic *a, u32 apic_id, bool bsp)
{
	a->apic_id = apic_id;
	a->x2apic = false;
	a->enabled = true;
	a->x2apic_supported = true;
	a->tsc_deadline_supported = false;      /* the hypervisor opts in */
	a->apic_base = VAPIC_BASE_DEFAULT | VAPIC_BASE_AE | (bsp ? VAPIC_BASE_BSC : 0);
	vapic_reset_regs(a);
}

/*
 * INIT: registers back to reset values, AE/EXTD unchanged (APM Vol 2 §16.10
 * "x2APIC Initialization").
 */
void vapic_init_signal(struct vapic *a)
{
	vapic_reset_regs(a);
}

/*
 * WRMSR IA32_APIC_BASE (APM Vol 2 §16.3.1 "Local APIC Enable", Fig. 16-2;
 * §16.9 "Detecting and Enabling x2APIC Mode", Table 16-5, Fig. 16-32;
 * §16.9.1 "Enabling x2APIC Mode").  #GP for reserved bits (7:0, 9, bits at
 * and above MAXPHYADDR), EXTD without x2APIC support, EXTD=1 with AE=0,
 * x2APIC -> xAPIC and disabled -> x2APIC.  BSC is read-only.
 */
int vapic_set_apic_base(struct vapic *a, u64 new_base, u32 maxphyaddr)
{
	u64 reserved = GENMASK(7, 0) | BIT(9);
	bool en = new_base & VAPIC_BASE_AE, extd = new_base & VAPIC_BASE_EXTD;

	if (maxphyaddr > 52)
		maxphyaddr = 52;
	reserved |= GENMASK(63, maxphyaddr);
	if (new_base & reserved)
		return -VAPIC_GP;
	if (extd && (!a->x2apic_supported || !en))
		return -VAPIC_GP;
	if (a->x2apic && en && !extd)
		return -VAPIC_GP;       /* x2APIC -> xAPIC must pass through disabled */
	if (!a->enabled && extd)
		return -VAPIC_GP;       /* disabled -> x2APIC must pass through xAPIC */

	new_base = (new_base & ~VAPIC_BASE_BSC) | (a->apic_base & VAPIC_BASE_BSC);
	if (a->enabled && !en) {
		/*
		 * Disabling: state goes back to reset values (the ID included,
		 * which also covers KVM restoring the xAPIC ID on re-enable).
		 */
		a->enabled = false;
		a->x2apic = false;
		vapic_reset_regs(a);
	} else if (!a->enabled && en) {
		a->enabled = true;
	}
	if (extd && !a->x2apic) {
		/* APM §16.9.1: the ID becomes the 32-bit x2APIC ID, LDR is derived, ICR high not kept. */
		a->x2apic = true;
		vapic_set_reg(a, VAPIC_REG_ID, a->apic_id);
		vapic_set_reg(a, VAPIC_REG_LDR, vapic_x2apic_ldr(a->apic_id));
		vapic_set_reg(a, VAPIC_REG_ICR_HI, 0);
	}
	a->apic_base = new_base;
	return 0;
}

/*
 * ICR decoding (APM Vol 2 §16.5 "Interprocessor Interrupts (IPI)", Fig. 16-18;
 * §16.13 "x2APIC Interrupt Command Register (ICR) Operations", Fig. 16-34).
 */
static void vapic_icr_decode_lo(u32 lo, struct vapic_icr *icr)
{
	icr->vector = lo & VAPIC_ICR_VECTOR;
	icr->delivery_mode = (lo & VAPIC_ICR_MT) >> VAPIC_ICR_MT_SHIFT;
	icr->logical = lo & VAPIC_ICR_DM;
	icr->level_assert = lo & VAPIC_ICR_L;
	icr->trigger_level = lo & VAPIC_ICR_TGM;
	icr->shorthand = (lo & VAPIC_ICR_DSH) >> VAPIC_ICR_DSH_SHIFT;
}

void vapic_icr_decode_xapic(u32 icr_lo, u32 icr_hi, struct vapic_icr *icr)
{
	vapic_icr_decode_lo(icr_lo, icr);
	icr->dest = icr_hi >> VAPIC_ICR_XAPIC_DEST_SHIFT;
	icr->x2apic = false;
}

void vapic_icr_decode_x2apic(u64 icr64, struct vapic_icr *icr)
{
	vapic_icr_decode_lo((u32)icr64, icr);
	icr->dest = (u32)(icr64 >> 32);
	icr->x2apic = true;
}

/*
 * Turn a decoded ICR into an effect.  Fixed / lowest priority with a vector
 * below 16: ESR SIV on the sender, nothing sent (APM Vol 2 §16.4.6 "APIC
 * Error Interrupts"; as bhyve).  Remote read and ExtINT are not supported:
 * nothing sent, and the remote read status stays 00 "invalid" (§16.5
 * "Interprocessor Interrupts (IPI)", RRS).  INIT level de-assert is not a
 * combination of Table 16-4 "Valid ICR Field Combinations"; it is a no-op,
 * as in KVM's __apic_accept_irq().
 */
void vapic_send_icr(struct vapic *a, const struct vapic_icr *icr, struct vapic_effect *eff)
{
	switch (icr->delivery_mode) {
	case VAPIC_MT_FIXED:
	case VAPIC_MT_LOWEST:
		if (icr->vector < 16) {
			vapic_set_error(a, VAPIC_ESR_SIV);
			return;
		}
		break;
	case VAPIC_MT_REMOTE_READ:
	case VAPIC_MT_EXTINT:
		return;
	case VAPIC_MT_INIT:
		if (icr->trigger_level && !icr->level_assert)
			return;
		break;
	default:
		break;
	}
	eff->kind = VAPIC_EFFECT_ICR;
	eff->icr = *icr;
}

/* Writable bits of each LVT (APM Vol 2 §16.4 "Local Interrupts", Fig. 16-7; status bits are RO). */
static u32 vapic_lvt_writable(const struct vapic *a, u32 off)
{
	switch (off) {
	case VAPIC_REG_LVT_TIMER:
		/*
		 * Bit 18 (TSC-deadline mode, Intel/KVM) exists only when the
		 * hypervisor advertises it (Intel SDM Vol 3 §11.5.4.1
		 * "TSC-Deadline Mode"); AMD's APIC marks it reserved (APM Vol 2
		 * §16.4 "Local Interrupts", Fig. 16-7).
		 */
		return VAPIC_LVT_VECTOR | VAPIC_LVT_M | VAPIC_LVT_TMM |
		       (a->tsc_deadline_supported ? VAPIC_LVT_TSC_DEADLINE : 0);
	case VAPIC_REG_LVT_THERMAL:
	case VAPIC_REG_LVT_PMC:
		return VAPIC_LVT_VECTOR | VAPIC_LVT_MT | VAPIC_LVT_M;
	case VAPIC_REG_LVT_LINT0:
	case VAPIC_REG_LVT_LINT1:
		return VAPIC_LVT_VECTOR | VAPIC_LVT_MT | VAPIC_LVT_PIN_POLARITY |
		       VAPIC_LVT_TGM | VAPIC_LVT_M;
	default: /* LVT Error */
		return VAPIC_LVT_VECTOR | VAPIC_LVT_M;
	}
}

static bool vapic_is_lvt(u32 off)
{
	return off >= VAPIC_REG_LVT_TIMER && off <= VAPIC_REG_LVT_ERROR;
}

static bool vapic_is_vec_reg(u32 off)
{
	return off >= VAPIC_REG_ISR && off < VAPIC_REG_IRR + 0x80;
}

#define VAPIC_SVR_WRITABLE      (VAPIC_SVR_VECTOR | VAPIC_SVR_ASE | VAPIC_SVR_FDIS)
#define VAPIC_TDCR_WRITABLE     0xbu    /* bits 3, 1:0; bit 2 MBZ (APM Vol 2 Fig. 16-11) */
#define VAPIC_ICR_LO_WRITABLE   (VAPIC_ICR_VECTOR | VAPIC_ICR_MT | VAPIC_ICR_DM | \
				 VAPIC_ICR_L | VAPIC_ICR_TGM | VAPIC_ICR_DSH)

/*
 * The write semantics shared by both interfaces, after the x2APIC checks.
 * Read-only and unknown offsets are ignored (the xAPIC answer; x2APIC has
 * already raised #GP for them).
 */
static void vapic_write_reg(struct vapic *a, u32 off, u32 val, struct vapic_effect *eff)
{
	struct vapic_icr icr;
	u32 old;
	int v;

	if (vapic_is_lvt(off)) {
		val &= vapic_lvt_writable(a, off);
		/*
		 * Software-disabled: LVT masks stay set (APM Vol 2 §16.3.1 "Local
		 * APIC Enable", §16.4.7 "Spurious Interrupts", ASE).
		 */
		if (!vapic_sw_enabled(a))
			val |= VAPIC_LVT_M;
		/*
		 * Entering or leaving TSC-deadline mode cancels the count (KVM's
		 * apic_update_lvtt(); the mode: Intel SDM Vol 3 §11.5.4.1
		 * "TSC-Deadline Mode").
		 */
		if (off == VAPIC_REG_LVT_TIMER &&
		    ((vapic_get_reg(a, off) ^ val) & VAPIC_LVT_TSC_DEADLINE)) {
			vapic_set_reg(a, VAPIC_REG_TMICT, 0);
			vapic_set_reg(a, VAPIC_REG_TMCCT, 0);
		}
		vapic_set_reg(a, off, val);
		if (off == VAPIC_REG_LVT_TIMER)
			eff->kind = VAPIC_EFFECT_TIMER;
		return;
	}

	switch (off) {
	case VAPIC_REG_ID:
		/*
		 * APM Vol 2 §16.3.3 "Local APIC ID": writable is "model
		 * dependent"; KVM lets the guest write it.
		 */
		vapic_set_reg(a, off, val & GENMASK(31, 24));
		eff->kind = VAPIC_EFFECT_ID_CHANGED;
		break;
	case VAPIC_REG_TPR:
		vapic_set_reg(a, off, val & 0xff);
		vapic_update_ppr(a);
		break;
	case VAPIC_REG_EOI:
		v = vapic_eoi(a, &eff->eoi_level);
		if (v >= 0) {
			eff->kind = VAPIC_EFFECT_EOI;
			eff->eoi_vector = (u8)v;
		}
		break;
	case VAPIC_REG_LDR:
		vapic_set_reg(a, off, val & GENMASK(31, 24));
		eff->kind = VAPIC_EFFECT_LDR_CHANGED;
		break;
	case VAPIC_REG_DFR:
		/* Bits 27:0 read as ones (APM Vol 2 §16.6.1 "Receiving System and IPI Interrupts", Fig. 16-21). */
		vapic_set_reg(a, off, val | GENMASK(27, 0));
		eff->kind = VAPIC_EFFECT_LDR_CHANGED;
		break;
	case VAPIC_REG_SVR:
		old = vapic_get_reg(a, off);
		val &= VAPIC_SVR_WRITABLE;
		vapic_set_reg(a, off, val);
		if ((old & VAPIC_SVR_ASE) && !(val & VAPIC_SVR_ASE)) {
			for (off = VAPIC_REG_LVT_TIMER; off <= VAPIC_REG_LVT_ERROR; off += 0x10)
				vapic_set_reg(a, off, vapic_get_reg(a, off) | VAPIC_LVT_M);
		}
		eff->kind = VAPIC_EFFECT_SVR_CHANGED;
		break;
	case VAPIC_REG_ESR:
		/* Latch then clear (APM Vol 2 §16.4.6 "APIC Error Interrupts"). */
		vapic_set_reg(a, off, a->esr_pending);
		a->esr_pending = 0;
		break;
	case VAPIC_REG_ICR_LO:
		/*
		 * Writing ICR low sends (APM Vol 2 §16.5 "Interprocessor Interrupts
		 * (IPI)"); BUSY (DS) always reads 0: an emulated send is done.
		 */
		vapic_set_reg(a, off, val & VAPIC_ICR_LO_WRITABLE);
		if (a->x2apic)
			vapic_icr_decode_x2apic(val | ((u64)vapic_get_reg(a, VAPIC_REG_ICR_HI) << 32), &icr);
		else
			vapic_icr_decode_xapic(val, vapic_get_reg(a, VAPIC_REG_ICR_HI), &icr);
		vapic_send_icr(a, &icr, eff);
		break;
	case VAPIC_REG_ICR_HI:
		vapic_set_reg(a, off, val & GENMASK(31, 24));
		break;
	case VAPIC_REG_TMICT:
		/* Ignored in TSC-deadline mode (Intel SDM Vol 3 §11.5.4.1 "TSC-Deadline Mode"). */
		if (vapic_get_reg(a, VAPIC_REG_LVT_TIMER) & VAPIC_LVT_TSC_DEADLINE)
			break;
		/* Loads TMCCT; the timer owner counts it down (APM Vol 2 §16.4.1 "APIC Timer Interrupt"). */
		vapic_set_reg(a, off, val);
		vapic_set_reg(a, VAPIC_REG_TMCCT, val);
		eff->kind = VAPIC_EFFECT_TIMER;
		break;
	case VAPIC_REG_TDCR:
		vapic_set_reg(a, off, val & VAPIC_TDCR_WRITABLE);
		eff->kind = VAPIC_EFFECT_TIMER;
		break;
	default:
		break;
	}
}

static u32 vapic_read_reg(const struct vapic *a, u32 off)
{
	switch (off) {
	case VAPIC_REG_PPR:
		return vapic_ppr(a);
	case VAPIC_REG_APR:
		return vapic_apr(a);
	default:
		return vapic_get_reg(a, off);
	}
}

static bool vapic_xapic_readable(u32 off)
{
	if (vapic_is_lvt(off) || vapic_is_vec_reg(off))
		return true;
	switch (off) {
	case VAPIC_REG_ID: case VAPIC_REG_VERSION: case VAPIC_REG_TPR:
	case VAPIC_REG_APR: case VAPIC_REG_PPR: case VAPIC_REG_RRD:
	case VAPIC_REG_LDR: case VAPIC_REG_DFR: case VAPIC_REG_SVR:
	case VAPIC_REG_ESR: case VAPIC_REG_ICR_LO: case VAPIC_REG_ICR_HI:
	case VAPIC_REG_TMICT: case VAPIC_REG_TMCCT: case VAPIC_REG_TDCR:
		return true;
	default:
		return false;
	}
}

/*
 * A register at this 16-byte-aligned offset: the readable ones and the
 * write-only EOI.  Anything else sets ESR IRA (see below) and is false.
 */
static bool vapic_xapic_exists(struct vapic *a, u32 offset)
{
	if (vapic_xapic_readable(offset) || offset == VAPIC_REG_EOI)
		return true;
	vapic_set_error(a, VAPIC_ESR_IRA);
	return false;
}

/*
 * xAPIC MMIO (APM Vol 2 §16.3.2 "APIC Registers": "naturally-aligned DWORD
 * size read and writes"; all other accesses are undefined).  Only
 * aligned 32-bit accesses at a register's start are meaningful; anything
 * else reads 0 and ignores writes.  A 16-byte-aligned offset with no
 * register (the gaps, the x2APIC-only SELF_IPI, the unimplemented extended
 * space: Version bit 31 = 0) also reads 0 and ignores writes, and sets ESR
 * "illegal register address" (APM Vol 2 §16.4.6 "APIC Error Interrupts",
 * IRA, bit 7).  KVM raises no IRA; AVIC hardware neither (such offsets are
 * simply allowed, §15.29.3.1 "Virtual APIC Register Accesses"), which the
 * AVIC backends have to reconcile.  Returns -VAPIC_NOT_DECODED when the
 * APIC is disabled or in x2APIC mode: the MMIO page is not decoded then
 * (§16.11 "Accessing x2APIC Register": "the legacy MMIO access to the APIC
 * register set is disabled").
 * TMCCT reads the page: the timer owner keeps it current.
 */
int vapic_mmio_read(struct vapic *a, u32 offset, u32 *val)
{
	*val = 0;
	if (!a->enabled || a->x2apic)
		return -VAPIC_NOT_DECODED;
	if (offset >= PAGE_SIZE || (offset & 0xf))
		return 0;
	if (!vapic_xapic_exists(a, offset))
		return 0;
	if (vapic_xapic_readable(offset))
		*val = vapic_read_reg(a, offset);
	return 0;
}

int vapic_mmio_write(struct vapic *a, u32 offset, u32 val, struct vapic_effect *eff)
{
	eff->kind = VAPIC_EFFECT_NONE;
	if (!a->enabled || a->x2apic)
		return -VAPIC_NOT_DECODED;
	if (offset >= PAGE_SIZE || (offset & 0xf))
		return 0;
	if (!vapic_xapic_exists(a, offset))
		return 0;
	vapic_write_reg(a, offset, val, eff);
	return 0;
}

/*
 * x2APIC readability (APM Vol 2 Table 16-6 "x2APIC Register", §16.11.1
 * "x2APIC Register Address Space"): no RRD, DFR, ICR high (0x831) or
 * extended space; EOI and SELF_IPI are write-only.  KVM disagrees on APR:
 * 0x809 is readable here, as the APM lists it RO; KVM gives #GP.
 */
static bool vapic_x2apic_readable(u32 off)
{
	/* The xAPIC set less the registers x2APIC mode does not have. */
	return vapic_xapic_readable(off) && off != VAPIC_REG_RRD && off != VAPIC_REG_DFR && off != VAPIC_REG_ICR_HI;
}

int vapic_x2apic_msr_read(struct vapic *a, u32 msr, u64 *val)
{
	u32 off = VAPIC_X2APIC_MSR_OFFSET(msr);

	*val = 0;
	if (!a->enabled || !a->x2apic)
		return -VAPIC_GP;
	if (msr < VAPIC_X2APIC_MSR_BASE || msr > VAPIC_X2APIC_MSR_LAST ||
	    !vapic_x2apic_readable(off))
		return -VAPIC_GP;
	if (off == VAPIC_REG_ICR_LO)
		*val = vapic_get_reg(a, VAPIC_REG_ICR_LO) |
		       ((u64)vapic_get_reg(a, VAPIC_REG_ICR_HI) << 32);
	else
		*val = vapic_read_reg(a, off);
	return 0;
}

/*
 * Reserved bits of a writable x2APIC register (WRMSR #GP; APM Vol 2 §16.11.3
 * "Reserved Bit Checking in x2APIC Mode"), or ~0 when the register is not
 * writable at all.
 * Bits 63:32 are reserved everywhere but in the ICR; the caller checks them.
 * UNVERIFIED choice: the RO status bits of the LVTs (12, and Remote IRR 14 of
 * LINT0/1) are ignored rather than faulted, so that a read-modify-write works.
 */
static u32 vapic_x2apic_reserved(const struct vapic *a, u32 off)
{
	if (vapic_is_lvt(off)) {
		u32 ok = vapic_lvt_writable(a, off) | VAPIC_LVT_DS;

		if (off == VAPIC_REG_LVT_LINT0 || off == VAPIC_REG_LVT_LINT1)
			ok |= VAPIC_LVT_REMOTE_IRR;
		return ~ok;
	}
	switch (off) {
	case VAPIC_REG_TPR:
		return ~0xffu;
	case VAPIC_REG_EOI:
	case VAPIC_REG_ESR:
		return ~0u;             /* only 0 may be written */
	case VAPIC_REG_SVR:
		return ~(u32)VAPIC_SVR_WRITABLE;
	case VAPIC_REG_ICR_LO:
		return VAPIC_X2APIC_ICR_RESERVED;
	case VAPIC_REG_TMICT:
		return 0;
	case VAPIC_REG_TDCR:
		return ~VAPIC_TDCR_WRITABLE;
	case VAPIC_REG_SELF_IPI:
		return ~0xffu;
	default:
		return ~0u;             /* read-only or absent: any write faults */
	}
}

static bool vapic_x2apic_writable(u32 off)
{
	switch (off) {
	case VAPIC_REG_TPR: case VAPIC_REG_EOI: case VAPIC_REG_SVR:
	case VAPIC_REG_ESR: case VAPIC_REG_ICR_LO: case VAPIC_REG_TMICT:
	case VAPIC_REG_TDCR: case VAPIC_REG_SELF_IPI:
		return true;
	default:
		return vapic_is_lvt(off);
	}
}

int vapic_x2apic_msr_write(struct vapic *a, u32 msr, u64 val, struct vapic_effect *eff)
{
	u32 off = VAPIC_X2APIC_MSR_OFFSET(msr), mt;
	struct vapic_icr icr;

	eff->kind = VAPIC_EFFECT_NONE;
	if (!a->enabled || !a->x2apic)
		return -VAPIC_GP;
	if (msr < VAPIC_X2APIC_MSR_BASE || msr > VAPIC_X2APIC_MSR_LAST ||
	    !vapic_x2apic_writable(off))
		return -VAPIC_GP;
	if (off != VAPIC_REG_ICR_LO && (val >> 32))
		return -VAPIC_GP;
	if ((u32)val & vapic_x2apic_reserved(a, off))
		return -VAPIC_GP;

	switch (off) {
	case VAPIC_REG_ICR_LO:
		/*
		 * Message types 001, 011, 111 are reserved in x2APIC mode (APM Vol 2
		 * §16.13 "x2APIC Interrupt Command Register (ICR) Operations").
		 */
		mt = ((u32)val & VAPIC_ICR_MT) >> VAPIC_ICR_MT_SHIFT;
		if (mt == VAPIC_MT_LOWEST || mt == VAPIC_MT_REMOTE_READ || mt == VAPIC_MT_EXTINT)
			return -VAPIC_GP;
		/* Backing-page split: 31:0 at 0x300, 63:32 at 0x310 (APM Vol 2 §15.29.10 "x2AVIC"). */
		vapic_set_reg(a, VAPIC_REG_ICR_HI, (u32)(val >> 32));
		vapic_write_reg(a, VAPIC_REG_ICR_LO, (u32)val, eff);
		return 0;
	case VAPIC_REG_SELF_IPI:
		/*
		 * APM Vol 2 §16.15 "Self_IPI Register": a Fixed, edge IPI to self; when
		 * WRMSR completes the vector is in IRR, TMR clear.  Done here.
		 */
		icr = (struct vapic_icr){ .vector = (u8)val, .delivery_mode = VAPIC_MT_FIXED,
					  .shorthand = VAPIC_DSH_SELF, .dest = a->apic_id,
					  .x2apic = true };
		if (icr.vector < 16) {
			vapic_set_error(a, VAPIC_ESR_SIV);
			return 0;
		}
		if (vapic_accept(a, icr.vector, false)) {
			eff->kind = VAPIC_EFFECT_SELF_IPI;
			eff->self_ipi_vector = icr.vector;
		}
		return 0;
	default:
		vapic_write_reg(a, off, (u32)val, eff);
		return 0;
	}
}

/*
 * Destination matching (APM Vol 2 §16.6.1 "Receiving System and IPI
 * Interrupts", §16.14 "Logical Destination Register").  Pure addressing:
 * whether the target is enabled and accepts the message is vapic_accept's
 * business.  Shorthands compare the vCPU identity (apic_id) with
 * source_apic_id.  The broadcast value follows the ICR's format (sender's
 * mode); only 0xFFFFFFFF is the x2APIC broadcast (§16.13 "x2APIC Interrupt
 * Command Register (ICR) Operations"), as in KVM, so a logical destination
 * with cluster 0xFFFF is an ordinary cluster.
 */
bool vapic_match_dest(const struct vapic *target, const struct vapic_icr *icr,
		      u32 source_apic_id)
{
	u32 id = vapic_get_reg(target, VAPIC_REG_ID);
	u32 ldr = vapic_get_reg(target, VAPIC_REG_LDR);
	u32 bcast = icr->x2apic ? VAPIC_X2APIC_BROADCAST : VAPIC_XAPIC_BROADCAST;
	u32 dest = icr->dest, model;

	switch (icr->shorthand) {
	case VAPIC_DSH_SELF:
		return target->apic_id == source_apic_id;
	case VAPIC_DSH_ALL_INCL_SELF:
		return true;
	case VAPIC_DSH_ALL_EXCL_SELF:
		return target->apic_id != source_apic_id;
	default:
		break;
	}
	if (dest == bcast)
		return true;
	if (!icr->logical)
		return dest == (target->x2apic ? id : id >> 24);
	if (target->x2apic)
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	dest &= 0xff;
	ldr >>= 24;
	model = vapic_get_reg(target, VAPIC_REG_DFR) >> VAPIC_DFR_MODEL_SHIFT;
	if (model == VAPIC_DFR_MODEL_FLAT)
		return dest & ldr;
	if (model == VAPIC_DFR_MODEL_CLUSTER)
		return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf);
	return false;
}

/*
 * TDCR: bits 3 and 1:0 form a 3-bit value n; divide by 2^(n+1), with 111b
 * meaning 1 (APM Vol 2 §16.4.1 "APIC Timer Interrupt", Table 16-3 "Divide
 * Values").
 */
u32 vapic_timer_divisor(u32 tdcr)
{
	u32 n = (tdcr & 3) | ((tdcr & 8) >> 1);

	return 1u << ((n + 1) & 7);
}

/*
 * TMCCT after elapsed_bus_ticks of the APIC bus clock since TMICT was
 * written.  One-shot: counts down to 0 and stays there; periodic: reloads
 * from TMICT each time it reaches 0.  TMICT = 0 means stopped.
 */
u32 vapic_tmcct(u32 tmict, u32 divisor, u64 elapsed_bus_ticks, bool periodic)
{
	u64 ticks;

	if (!tmict || !divisor)
		return 0;
	ticks = elapsed_bus_ticks / divisor;
	if (!periodic)
		return ticks >= tmict ? 0 : tmict - (u32)ticks;
	return tmict - (u32)(ticks % tmict);
}
