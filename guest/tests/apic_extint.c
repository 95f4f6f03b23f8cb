/*
 * guest/tests/apic_extint.c - ExtINT: the 8259A pair on LINT0, and the AVIC
 * interrupt-window inhibit (IRQWIN) it causes.
 *
 * Behaviour (the platform of lib/hv_abi.h: two cascaded 8259A PICs, master
 * at 0x20/0x21, slave at 0xA0/0xA1 on the master's IR2, every input masked
 * at reset, input n driven by line n < 16 of the interrupt test device
 * (OUT 1 then 0: one edge); the master's INT on LINT0 of every local APIC).
 * Intel 8259A data sheet (1988), "Initialization Command Words", "Operation
 * Command Words", "End of Interrupt", "Reading the 8259A Status", "Cascade
 * Mode"; APM Vol 2 §16.4 "Local Interrupts" (LINT0 message type 111b
 * ExtINT, Fig. 16-7); §16.6.3 "Accepting System and IPI Interrupts" (ExtINT
 * goes straight to the core, past IRR/ISR); AVIC cannot deliver an ExtINT
 * (V_IRQ is ignored, §15.29.8.3 "Additional VMRUN Handling"), so the
 * hypervisor turns AVIC off while one waits and back on after (inhibit
 * IRQWIN, docs/ARCHITECTURE.md "AVIC (apic=avic and apic=avic-emu)").  In
 * xAPIC and x2APIC mode, on vcpu0:
 *  - at reset (checked once) both IMRs read 0xff, and edges on lines 3 and
 *    10 with LINT0 in ExtINT mode deliver nothing;
 *  - ICW1-ICW4 (master base 0x30, slave base 0x38, slave on IR2): ICW1
 *    clears IMR and drops the edges latched before it; OCW1 reads back;
 *  - an edge on line 3 with IF=1 is delivered once as vector 0x33 with IF=1
 *    in the interrupted code; in its handler the APIC's ISR and IRR are
 *    empty and the master's ISR (OCW3 read) has bit 3, until the PIC EOI
 *    (OCW2 0x20);
 *  - an edge with IF=0 waits in the master's IRR and arrives after STI;
 *  - masked in the IMR: an edge delivers nothing and is latched in IRR; at
 *    the unmask it is delivered once;
 *  - LINT0 masked: nothing; unmasked again: the waiting request arrives;
 *  - line 10 arrives as 0x3a, in service on the slave (bit 2) and on the
 *    master (IR2); with the EOI to only one of the two chips the next IRQ 10
 *    waits, the other EOI lets it through (both orders);
 *  - AVIC comes back: right after an ExtINT, self-IPIs with their EOIs take
 *    no more exits (of those AVIC hardware takes) than before the first
 *    ExtINT - none under AVIC, where IRQWIN still set would cost two each;
 *  - with 2 vCPUs, vcpu1 halted with LINT0 in ExtINT mode too: of 20 edges
 *    each is taken once, by one vCPU; those that come while vcpu0 has IF=0
 *    wake vcpu1; no spurious vector (0x37, 0x3f);
 *  - two requests for the window, one withdrawn: an edge while vcpu0 and
 *    vcpu1 both have IF=0 makes both ask for IRQWIN; vcpu1 masks its LINT0
 *    (its request ends); while vcpu0 still waits, its TPR writes take an
 *    exit each (the inhibit holds); once vcpu0 took the ExtINT they take
 *    no more exits than before the first ExtINT (none under AVIC);
 *  - vCPUs whose LINT0 is masked receive no ExtINT.
 * At the end LINT0 is back at its reset value (masked), the PIC masked.
 * Which vCPU takes an ExtINT depends only on which of them can (LINT0 and
 * IF), not on their speed: the odd shared edges come while vcpu0 has IF=0.
 * Waits on another vCPU are for a flag it sets (stage) or its count,
 * bounded by the waiter's own spins; the smp_settle() and SMP_SETTLE_TICKS
 * delays are only time for a wrong extra delivery to show.
 *
 * A failure means a wrong ICW/OCW decode, a lost, duplicated or spurious
 * ExtINT, a wrong vector, an ExtINT that went through the APIC's IRR/ISR or
 * was injected with IF=0, a mask ignored, a wrong cascade EOI rule, a
 * request taken by two vCPUs, AVIC left off after the ExtINT, or one
 * vCPU's withdrawn request clearing the inhibit another vCPU still needs.
 */
#include "guest/tests/apic_smp.h"

/* 8259A ports and commands (data sheet "Programming the 8259A"). */
#define PIC_M_CMD               0x20
#define PIC_M_DATA              0x21
#define PIC_S_CMD               0xa0
#define PIC_S_DATA              0xa1
#define ICW1_EDGE_CASCADE_ICW4  0x11    /* D4: ICW1; IC4: an ICW4 follows */
#define ICW3_MASTER_IR2         BIT(2)  /* the slave is on IR2 */
#define ICW3_SLAVE_ID           2
#define ICW4_8086               0x01
#define OCW2_EOI                0x20    /* non-specific EOI */
#define OCW3_READ_IRR           0x0a
#define OCW3_READ_ISR           0x0b

#define MASTER_BASE             0x30
#define SLAVE_BASE              0x38
#define NR_PIC_VECTORS          16      /* 0x30-0x3f */
#define IRQ_M                   3
#define IRQ_S                   10
#define IRQ_CASCADE             2
#define VEC_M                   (MASTER_BASE + IRQ_M)           /* 0x33 */
#define VEC_S                   (SLAVE_BASE + IRQ_S - 8)        /* 0x3a */
#define VEC_SPURIOUS_M          (MASTER_BASE + 7)
#define VEC_SPURIOUS_S          (SLAVE_BASE + 7)
#define IMR_M                   ((u8)~(BIT(IRQ_M) | BIT(IRQ_CASCADE)))
#define IMR_S                   ((u8)~BIT(IRQ_S - 8))

#define LINT0_EXTINT            APIC_LVT_DM_EXTINT
#define LINT0_RESET             APIC_LVT_MASKED

#define VEC_SELF                0x61
#define VEC_WAKE                0x62
#define METRIC_OPS              100
#define SHARED_EDGES            20
#define TPR_WRITES              20
#define REMOTE                  1

/* The PIC EOIs an ExtINT handler sends. */
enum pic_eoi {
	EOI_NONE,               /* none: the test sends them */
	EOI_MASTER,             /* master only (a master input) */
};

/* What the last ExtINT handler saw, per vCPU. */
struct seen {
	int apic_isr, apic_irr;         /* highest vector set, -1 none */
	u8 pic_isr_m, pic_isr_s;
	bool if_was_set;                /* IF in the interrupted code */
};

enum stage {
	STAGE_START,
	STAGE_SOLO_DONE,                /* vcpu0's single-vCPU checks are over */
	STAGE_SHARED_READY,             /* vcpu1 has LINT0 in ExtINT mode */
	STAGE_SHARED_DONE,
	STAGE_HELD_PULSED,              /* both vCPUs wait for a window with IF=0 */
	STAGE_HELD_WITHDRAWN,           /* vcpu1 masked its LINT0: only vcpu0 still asks */
	STAGE_HELD_DONE,
};

static u32 got[SMP_MAX_VCPUS][NR_PIC_VECTORS];
static struct seen seen[SMP_MAX_VCPUS];
static enum pic_eoi policy[SMP_MAX_VCPUS];
static u32 stage;
static bool reset_checked;
static u64 tpr_exits_before;            /* vcpu0, this mode, before its first ExtINT */

/* ---- the PIC ------------------------------------------------------------------ */

static u8 pic_irr(u16 cmd)
{
	outb(cmd, OCW3_READ_IRR);
	return inb(cmd);
}

static u8 pic_isr(u16 cmd)
{
	outb(cmd, OCW3_READ_ISR);
	return inb(cmd);
}

static void pic_eoi(u16 cmd)
{
	outb(cmd, OCW2_EOI);
}

static void pic_init(void)
{
	outb(PIC_M_CMD, ICW1_EDGE_CASCADE_ICW4);
	outb(PIC_M_DATA, MASTER_BASE);
	outb(PIC_M_DATA, ICW3_MASTER_IR2);
	outb(PIC_M_DATA, ICW4_8086);
	outb(PIC_S_CMD, ICW1_EDGE_CASCADE_ICW4);
	outb(PIC_S_DATA, SLAVE_BASE);
	outb(PIC_S_DATA, ICW3_SLAVE_ID);
	outb(PIC_S_DATA, ICW4_8086);
}

static void pic_mask_all(void)
{
	outb(PIC_M_DATA, 0xff);
	outb(PIC_S_DATA, 0xff);
}

/* One edge on a line of the interrupt test device (and so on the PIC input). */
static void pulse(u32 irq)
{
	outb((u16)(HV_PORT_IRQ_LINE + irq), 1);
	outb((u16)(HV_PORT_IRQ_LINE + irq), 0);
}

/* ---- handlers and counts -------------------------------------------------------- */

static void on_extint(struct ex_regs *regs)
{
	u32 me = this_vcpu();
	u8 v = (u8)regs->vector;

	seen[me] = (struct seen){
		.apic_isr = apic_highest_isr(), .apic_irr = apic_highest_irr(),
		.pic_isr_m = pic_isr(PIC_M_CMD), .pic_isr_s = pic_isr(PIC_S_CMD),
		.if_was_set = regs->rflags & RFLAGS_IF,
	};
	if (policy[me] == EOI_MASTER)
		pic_eoi(PIC_M_CMD);
	smp_inc(&got[me][v - MASTER_BASE]);
}

static void on_apic(struct ex_regs *regs)
{
	(void)regs;
	apic_eoi();
}

static void set_handlers(bool on)
{
	for (u32 v = MASTER_BASE; v < MASTER_BASE + NR_PIC_VECTORS; v++)
		irq_set_handler((u8)v, on ? on_extint : NULL);
	irq_set_handler(VEC_SELF, on ? on_apic : NULL);
	irq_set_handler(VEC_WAKE, on ? on_apic : NULL);
}

static u32 count_on(u32 vcpu, u8 vector)
{
	return smp_load(&got[vcpu][vector - MASTER_BASE]);
}

static u32 count(u8 vector)
{
	return count_on(this_vcpu(), vector);
}

static u32 total_on(u32 vcpu)
{
	u32 sum = 0;

	for (u32 i = 0; i < NR_PIC_VECTORS; i++)
		sum += smp_load(&got[vcpu][i]);
	return sum;
}

/* IF=1 until vector's count reaches n (bounded), then settle. */
static void wait_count(u8 vector, u32 n)
{
	sti();
	wait_for(count(vector) >= n, WAIT_LONG);
	smp_settle();
}

/*
 * Self-IPIs, each EOIed by its handler: the exits AVIC hardware would
 * take for them (all exits without AVIC).  Under AVIC none: the ICR or
 * SELF_IPI write and the EOI are accelerated (README "Exits per operation").
 */
static u64 selfipi_exits(const char *m, const char *when)
{
	struct exit_snapshot then, d;
	u32 before = irq_count(VEC_SELF);

	sti_nop();
	exit_snapshot_take(&then);
	for (u32 i = 0; i < METRIC_OPS; i++)
		apic_self_ipi(VEC_SELF);
	d = exits_since(&then);
	cli();
	report_eq(METRIC_OPS, irq_count(VEC_SELF) - before, "%s: %s: %u self-IPIs, each delivered once", m, when,
		  METRIC_OPS);
	return exit_snapshot_avic(&d);
}

/*
 * TPR writes with IF unchanged: the exits AVIC hardware would take for
 * them.  Under AVIC none (TPR is accelerated in both modes, APM Vol 2
 * §15.29.3.1 "Virtual APIC Register Accesses", Table 15-22, and the x2AVIC
 * MSRPM passes 0x808 through); one each without AVIC, and so while an
 * inhibit is set.
 */
static u64 tpr_exits(void)
{
	struct exit_snapshot then, d;

	exit_snapshot_take(&then);
	for (u32 i = 0; i < TPR_WRITES; i++)
		apic_write(APIC_REG_TPR, (i & 1) ? 0x10 : 0);
	d = exits_since(&then);
	apic_write(APIC_REG_TPR, 0);
	return exit_snapshot_avic(&d);
}

/* ---- checks on vcpu0 ---------------------------------------------------------------- */

static void check_reset(const char *m)
{
	report_eq(0xff, inb(PIC_M_DATA), "%s: reset: master IMR 0xff (every input masked)", m);
	report_eq(0xff, inb(PIC_S_DATA), "%s: reset: slave IMR 0xff", m);
	apic_write(APIC_REG_LVT_LINT0, LINT0_EXTINT);
	sti();
	pulse(IRQ_M);
	pulse(IRQ_S);
	smp_settle();
	apic_write(APIC_REG_LVT_LINT0, LINT0_RESET);
	report_eq(0, total_on(0), "%s: reset: edges on lines 3 and 10 with LINT0 in ExtINT mode deliver nothing", m);
}

static void check_init(const char *m)
{
	pic_init();
	report(inb(PIC_M_DATA) == 0 && inb(PIC_S_DATA) == 0,
	       "%s: after ICW1-ICW4 both IMRs are 0 (ICW1 clears the IMR)", m);
	report(pic_irr(PIC_M_CMD) == 0 && pic_irr(PIC_S_CMD) == 0 && pic_isr(PIC_M_CMD) == 0 &&
	       pic_isr(PIC_S_CMD) == 0, "%s: after ICW1-ICW4 IRR and ISR are empty (earlier edges dropped)", m);
	outb(PIC_M_DATA, IMR_M);
	outb(PIC_S_DATA, IMR_S);
	report(inb(PIC_M_DATA) == IMR_M && inb(PIC_S_DATA) == IMR_S,
	       "%s: OCW1 reads back (master 0x%x, slave 0x%x)", m, IMR_M, IMR_S);
	apic_write(APIC_REG_LVT_LINT0, LINT0_EXTINT);
	report_eq(LINT0_EXTINT, apic_read(APIC_REG_LVT_LINT0), "%s: LVT LINT0 reads back ExtINT, unmasked", m);
}

static void check_delivery(const char *m)
{
	policy[0] = EOI_NONE;
	sti();
	pulse(IRQ_M);
	wait_for(count(VEC_M) >= 1, WAIT_LONG);
	smp_settle();
	report(count(VEC_M) == 1 && total_on(0) == 1,
	       "%s: an edge on line 3 with IF=1: delivered once, as vector 0x%x (master base 0x%x + 3); %u in all", m,
	       VEC_M, MASTER_BASE, total_on(0));
	report(seen[0].if_was_set, "%s: IF was set in the interrupted code", m);
	report(seen[0].apic_isr < 0 && seen[0].apic_irr < 0,
	       "%s: in the handler the APIC's ISR and IRR are empty (highest ISR %d, IRR %d)", m, seen[0].apic_isr,
	       seen[0].apic_irr);
	report(seen[0].pic_isr_m == BIT(IRQ_M) && seen[0].pic_isr_s == 0,
	       "%s: in the handler the master's ISR is 0x08 (0x%x), the slave's 0 (0x%x)", m, seen[0].pic_isr_m,
	       seen[0].pic_isr_s);
	report(pic_isr(PIC_M_CMD) == BIT(IRQ_M) && !(pic_irr(PIC_M_CMD) & BIT(IRQ_M)),
	       "%s: after the handler, before the PIC EOI: ISR bit 3 still set, IRR bit 3 clear", m);
	pic_eoi(PIC_M_CMD);
	report_eq(0, pic_isr(PIC_M_CMD), "%s: the PIC EOI (OCW2 0x20) clears the master's ISR", m);
	smp_settle();
	report_eq(1, total_on(0), "%s: nothing more is delivered after the EOI", m);
}

static void check_window(const char *m)
{
	u32 n = count(VEC_M);

	policy[0] = EOI_MASTER;
	cli();
	pulse(IRQ_M);
	tsc_delay(SMP_SETTLE_TICKS);            /* time for a wrong delivery (with IF=0) to show */
	report(count(VEC_M) == n && (pic_irr(PIC_M_CMD) & BIT(IRQ_M)),
	       "%s: an edge with IF=0: not delivered, the request waits in the master's IRR", m);
	wait_count(VEC_M, n + 1);
	report_eq(n + 1, count(VEC_M), "%s: delivered once after STI", m);
	report(seen[0].if_was_set, "%s: with IF set in the interrupted code", m);
	report_eq(0, pic_isr(PIC_M_CMD), "%s: EOIed in the handler: the master's ISR is clear", m);
}

static void check_imr(const char *m)
{
	u32 n = count(VEC_M);

	policy[0] = EOI_MASTER;
	outb(PIC_M_DATA, IMR_M | BIT(IRQ_M));
	sti();
	pulse(IRQ_M);
	smp_settle();
	report(count(VEC_M) == n && (pic_irr(PIC_M_CMD) & BIT(IRQ_M)),
	       "%s: IMR bit 3 set: an edge delivers nothing and is latched in IRR", m);
	outb(PIC_M_DATA, IMR_M);
	wait_count(VEC_M, n + 1);
	report_eq(n + 1, count(VEC_M), "%s: unmasked in the IMR: the latched edge is delivered once", m);
}

static void check_lint0_masked(const char *m)
{
	u32 n = count(VEC_M);

	policy[0] = EOI_MASTER;
	apic_write(APIC_REG_LVT_LINT0, LINT0_EXTINT | APIC_LVT_MASKED);
	sti();
	pulse(IRQ_M);
	smp_settle();
	report(count(VEC_M) == n && (pic_irr(PIC_M_CMD) & BIT(IRQ_M)),
	       "%s: LINT0 masked: an edge delivers nothing (the request waits at the PIC)", m);
	apic_write(APIC_REG_LVT_LINT0, LINT0_EXTINT);
	wait_count(VEC_M, n + 1);
	report_eq(n + 1, count(VEC_M), "%s: LINT0 unmasked again: the waiting request is delivered once", m);
}

static void check_slave(const char *m)
{
	policy[0] = EOI_NONE;
	sti();
	pulse(IRQ_S);
	wait_count(VEC_S, 1);
	report_eq(1, count(VEC_S), "%s: an edge on line 10: delivered once, as vector 0x%x (slave base 0x%x + 2)", m,
		  VEC_S, SLAVE_BASE);
	report(seen[0].pic_isr_m == BIT(IRQ_CASCADE) && seen[0].pic_isr_s == BIT(IRQ_S - 8),
	       "%s: in the handler IRQ 10 is in service on the slave (0x%x) and on the master's IR2 (0x%x)", m,
	       seen[0].pic_isr_s, seen[0].pic_isr_m);
	report(seen[0].apic_isr < 0 && seen[0].apic_irr < 0, "%s: slave: the APIC's ISR and IRR are empty", m);

	/* EOI to the master only: the slave's ISR holds the next one back. */
	pic_eoi(PIC_M_CMD);
	sti();
	pulse(IRQ_S);
	smp_settle();
	report_eq(1, count(VEC_S), "%s: EOI to the master only: the next IRQ 10 waits", m);
	pic_eoi(PIC_S_CMD);
	wait_count(VEC_S, 2);
	report_eq(2, count(VEC_S), "%s: then the EOI to the slave: it is delivered", m);

	/* EOI to the slave only: the master's IR2 in service holds it back. */
	pic_eoi(PIC_S_CMD);
	sti();
	pulse(IRQ_S);
	smp_settle();
	report_eq(2, count(VEC_S), "%s: EOI to the slave only: the next IRQ 10 waits", m);
	pic_eoi(PIC_M_CMD);
	wait_count(VEC_S, 3);
	report_eq(3, count(VEC_S), "%s: then the EOI to the master: it is delivered", m);
	pic_eoi(PIC_S_CMD);
	pic_eoi(PIC_M_CMD);
	report(pic_isr(PIC_M_CMD) == 0 && pic_isr(PIC_S_CMD) == 0, "%s: both ISRs clear after the two EOIs", m);
}

/*
 * IRQWIN: the ExtINT turned AVIC off for the VM (hv/avic.c, avic_irqwin_request); the first
 * entry after it was taken turns it back on.  Measured against the same
 * self-IPIs before the first ExtINT, so that a VM without AVIC, or one
 * that another reason keeps off, compares like with like.
 */
static void check_avic_back(const char *m, u64 before)
{
	u32 n = count(VEC_M);
	u64 after;

	policy[0] = EOI_MASTER;
	sti();
	pulse(IRQ_M);
	wait_for(count(VEC_M) > n, WAIT_LONG);
	cli();
	report_eq(n + 1, count(VEC_M), "%s: one more ExtINT, EOIed in its handler", m);
	after = selfipi_exits(m, "right after it");
	report(after <= before,
	       "%s: right after an ExtINT, %u self-IPIs + EOIs take no more exits AVIC hardware takes than before "
	       "the first ExtINT (%lu, before %lu)", m, METRIC_OPS, (unsigned long)after, (unsigned long)before);
}

static void restore(const char *m)
{
	pic_mask_all();
	apic_write(APIC_REG_LVT_LINT0, LINT0_RESET);
	report(apic_read(APIC_REG_LVT_LINT0) == LINT0_RESET && inb(PIC_M_DATA) == 0xff && inb(PIC_S_DATA) == 0xff,
	       "%s: LINT0 back at its reset value 0x%x, the PIC masked", m, (u32)LINT0_RESET);
}

/* Everyone else: IF=1 until vcpu0 says stage s, LINT0 masked. */
static void bystand(enum stage s)
{
	sti();
	wait_for(smp_load(&stage) >= s, WAIT_LONG * 8);
	cli();
}

/* ---- two vCPUs in ExtINT mode ------------------------------------------------------- */

/*
 * vcpu0 makes the edges; vcpu1 halts with LINT0 in ExtINT mode.  Odd
 * edges come while vcpu0 has IF=0: only vcpu1 can take those (a halted
 * vCPU woken by the PIC), and meanwhile both want the window.
 */
static void shared_sender(const char *m)
{
	u32 base = count_on(0, VEC_M), taken, i;

	if (!wait_for(smp_load(&stage) == STAGE_SHARED_READY, WAIT_LONG * 4)) {
		report_fail("%s: vcpu%u never got ready", m, REMOTE);
		smp_store(&stage, STAGE_SHARED_DONE);
		return;
	}
	for (i = 0; i < SHARED_EDGES; i++) {
		if (i & 1)
			cli();
		else
			sti();
		pulse(IRQ_M);
		if (!wait_for(count_on(0, VEC_M) + count_on(REMOTE, VEC_M) >= base + i + 1, WAIT_LONG))
			break;
		cli();
	}
	smp_settle();
	smp_store(&stage, STAGE_SHARED_DONE);
	smp_ipi_fixed(REMOTE, VEC_WAKE);        /* ends vcpu1's HLT */
	taken = count_on(0, VEC_M) - base + count_on(REMOTE, VEC_M);
	report(i == SHARED_EDGES && taken == SHARED_EDGES,
	       "%s: two vCPUs with LINT0 in ExtINT mode: each of %u edges taken once (vcpu0 %u, vcpu%u %u)", m,
	       SHARED_EDGES, count_on(0, VEC_M) - base, REMOTE, count_on(REMOTE, VEC_M));
	report(!count(VEC_SPURIOUS_M) && !count(VEC_SPURIOUS_S), "%s: no spurious vector on vcpu0 (0x%x, 0x%x)", m,
	       VEC_SPURIOUS_M, VEC_SPURIOUS_S);
}

static void shared_receiver(const char *m)
{
	apic_write(APIC_REG_LVT_LINT0, LINT0_EXTINT);
	smp_store(&stage, STAGE_SHARED_READY);
	/* cli before the look, "sti; hlt" after it: an interrupt in between still ends the HLT. */
	for (;;) {
		cli();
		if (smp_load(&stage) == STAGE_SHARED_DONE)
			break;
		safe_halt();
	}
	apic_write(APIC_REG_LVT_LINT0, LINT0_RESET);
	/* The wake-up IPI, if it has not ended a HLT already. */
	sti();
	wait_for(irq_count(VEC_WAKE) >= 1, WAIT_LONG);
	cli();
	report(count(VEC_M) >= SHARED_EDGES / 2 && !count(VEC_SPURIOUS_M) && !count(VEC_SPURIOUS_S),
	       "%s: halted with LINT0 in ExtINT mode: woken for the %u edges vcpu0 could not take (took %u), "
	       "no spurious vector", m, SHARED_EDGES / 2, count(VEC_M));
}

/*
 * Two requests for the interrupt window, one withdrawn (issue 4 item 6):
 * vcpu0 and vcpu1 both have LINT0 in ExtINT mode and IF=0 when an edge
 * comes, so both ask for IRQWIN; vcpu1 then masks its LINT0 and so gives
 * up its request.  vcpu0 still waits for its window: the inhibit must
 * stay set (a count, not a flag: vcpu1 must not clear vcpu0's request),
 * which shows as TPR writes that each take an exit.  Then vcpu0 sets IF,
 * takes the ExtINT, and its TPR writes cost what they did before the
 * first ExtINT.  Without AVIC every TPR write exits anyway, and the same
 * lines pass.
 */
static void held_sender(const char *m)
{
	u32 n = count(VEC_M);
	u64 held, after;

	policy[0] = EOI_MASTER;
	cli();
	pulse(IRQ_M);           /* this OUT's exit: vcpu0 asks on its way back in */
	smp_store(&stage, STAGE_HELD_PULSED);
	if (!wait_for(smp_load(&stage) == STAGE_HELD_WITHDRAWN, WAIT_LONG * 4)) {
		report_fail("%s: vcpu%u never withdrew its request", m, REMOTE);
		sti();
		smp_store(&stage, STAGE_HELD_DONE);
		return;
	}
	held = tpr_exits();
	report(held >= TPR_WRITES && count(VEC_M) == n,
	       "%s: two vCPUs asked for the ExtINT's window and one withdrew: while vcpu0 still waits (IF=0), "
	       "%u TPR writes take an exit each, as without AVIC (%lu exits; the ExtINT not taken: %u)", m,
	       TPR_WRITES, (unsigned long)held, count(VEC_M) - n);
	wait_count(VEC_M, n + 1);
	cli();
	report_eq(n + 1, count(VEC_M), "%s: with IF set vcpu0 takes the waiting ExtINT, once", m);
	after = tpr_exits();
	report(after <= tpr_exits_before,
	       "%s: after it, %u TPR writes take no more exits than before the first ExtINT (%lu, before %lu)", m,
	       TPR_WRITES, (unsigned long)after, (unsigned long)tpr_exits_before);
	smp_store(&stage, STAGE_HELD_DONE);
}

static void held_receiver(const char *m)
{
	u32 n = count(VEC_M);

	cli();
	apic_write(APIC_REG_LVT_LINT0, LINT0_EXTINT);
	if (!wait_for(smp_load(&stage) >= STAGE_HELD_PULSED, WAIT_LONG * 4)) {
		report_fail("%s: vcpu0 never made the edge", m);
		apic_write(APIC_REG_LVT_LINT0, LINT0_RESET);
		return;
	}
	(void)hc_get_info();            /* a hypercall, so an exit: vcpu1 asks on its way back in */
	apic_write(APIC_REG_LVT_LINT0, LINT0_RESET);
	(void)hc_get_info();            /* and one after the mask: the request is withdrawn */
	smp_store(&stage, STAGE_HELD_WITHDRAWN);
	bystand(STAGE_HELD_DONE);
	report_eq(n, count(VEC_M), "%s: vcpu%u, which masked LINT0 before setting IF, took no ExtINT", m, REMOTE);
}

/* ---- per mode ---------------------------------------------------------------------- */

static void solo(const char *m)
{
	u64 before;

	if (!reset_checked) {
		check_reset(m);
		reset_checked = true;
	}
	before = selfipi_exits(m, "before the first ExtINT");
	tpr_exits_before = tpr_exits();
	check_init(m);
	check_delivery(m);
	check_window(m);
	check_imr(m);
	check_lint0_masked(m);
	check_slave(m);
	check_avic_back(m, before);
}

static void check_mode(void)
{
	const char *m = apic_mode_name(apic_mode());
	u32 me = this_vcpu();

	memset(got[me], 0, sizeof(got[me]));
	policy[me] = EOI_NONE;
	set_handlers(true);
	smp_store(&stage, STAGE_START);
	if (!vcpu_barrier("mode: start"))
		return;

	if (me == 0) {
		solo(m);
		smp_store(&stage, STAGE_SOLO_DONE);
	} else {
		bystand(STAGE_SOLO_DONE);
	}
	if (!vcpu_barrier("mode: solo done"))
		return;
	if (me != 0)
		report_eq(0, total_on(me), "%s: LINT0 masked on this vCPU: no ExtINT arrived", m);

	if (nr_vcpus() > 1) {
		policy[me] = EOI_MASTER;
		if (me == 0)
			shared_sender(m);
		else if (me == REMOTE)
			shared_receiver(m);
		else
			bystand(STAGE_SHARED_DONE);
		if (!vcpu_barrier("mode: shared done"))
			return;
		if (me == 0)
			held_sender(m);
		else if (me == REMOTE)
			held_receiver(m);
		else
			bystand(STAGE_HELD_DONE);
	} else {
		report_skip("%s: two vCPUs in ExtINT mode: needs 2 vCPUs, this VM has 1", m);
	}
	if (!vcpu_barrier("mode: held done"))
		return;
	if (me == 0)
		restore(m);
	else if (me != REMOTE)
		report_eq(0, total_on(me), "%s: still no ExtINT arrived at this vCPU", m);
	report_irq_unexpected(m);
}

GUEST_TEST(apic_extint)
{
	if (nr_vcpus() > SMP_MAX_VCPUS) {
		report_skip("the test's tables hold %u vCPUs, this VM has %u", SMP_MAX_VCPUS, nr_vcpus());
		return;
	}
	apic_for_each_mode(check_mode);
	set_handlers(false);
}
