/*
 * guest/tests/apic_avic.c - the guest actions that make a hypervisor turn
 * AVIC off for the whole VM, and the APIC behaving architecturally before,
 * during and after them.
 *
 * AVIC hardware looks up IPI targets in a physical APIC ID table indexed by
 * APIC ID and a logical table indexed by logical ID (APM Vol 2 §15.29.5.2
 * "Physical APIC ID Table", §15.29.5.3 "Logical APIC ID Table"), so a guest
 * that changes its xAPIC ID or gives two vCPUs one logical ID is something
 * the hardware cannot follow: the hypervisor inhibits AVIC for the VM
 * (APIC_ID_MODIFIED, LOGICAL_ID_ALIASED: docs/ARCHITECTURE.md "AVIC
 * (apic=avic and apic=avic-emu)") until the guest undoes it.  Whatever the
 * backend, the guest must see only the APIC architecture (APM Vol 2 §16.3.3
 * "Local APIC ID", §16.5 "Interprocessor Interrupts (IPI)", §16.6.1
 * "Receiving System and IPI Interrupts", §16.4.6 "APIC Error Interrupts").
 * In xAPIC mode, vCPU 0 sending, vCPU 1 receiving, every other vCPU a
 * bystander that must count nothing:
 *  - APIC ID change: a fixed IPI to ID 1 reaches vCPU 1 once; vCPU 1 writes
 *    ID 0x0E and reads it back; an IPI to 0x0E then reaches vCPU 1 once,
 *    an IPI to ID 1 nobody, with "send accept error" (ESR bit 2) at the
 *    sender; vCPU 1 writes ID 1 back and an IPI to 1 reaches it once again;
 *  - logical ID aliasing, flat model: vCPUs 0 and 1 both hold LDR 0x01; a
 *    fixed logical IPI to 0x01 (no shorthand) reaches both once, the
 *    sender included; then vCPU 1 moves to LDR 0x02: destination 0x02
 *    reaches only vCPU 1, 0x01 only vCPU 0;
 *  - flat and cluster models at once (LOGICAL_MODEL_MIXED): vCPU 0 flat at
 *    0x01, vCPU 1 cluster at 0x12 (cluster 1, member bit 1): destination
 *    0x20 reaches nobody (send accept error), 0x12 only vCPU 1; both flat
 *    again, 0x02 reaches only vCPU 1;
 *  - the Remote Read register (0xC0) is read-only: a write to it leaves it
 *    unchanged (under AVIC the write is a trap, APM Vol 2 §15.29.3.1
 *    "Virtual APIC Register Accesses", Table 15-22: it lands in the backing
 *    page and the hypervisor has to undo it);
 *  - an ICR write with the read-only delivery status (bit 12) set is an
 *    ordinary fixed IPI: it arrives once, and ICR then reads back the
 *    destination and command with bit 12 clear (idle, §16.5, DS);
 *  - in xAPIC and x2APIC mode: 50 fixed IPIs to vCPU 1 halted in
 *    "sti; hlt", sent one at a time, each after vCPU 1 took the previous
 *    one: each arrives exactly once, and each return from HLT took exactly
 *    one IPI (nothing else may end a HLT in this VM); the sender's ICR
 *    then reads bit 12 clear (xAPIC: idle; x2APIC: reserved, reads 0):
 *    under AVIC such an IPI is an incomplete-IPI exit (target not
 *    running, APM Vol 2 §15.29.9.1 "AVIC IPI Delivery Not Completed"), after
 *    which the CPU may leave bit 12 set in either mode for the hypervisor
 *    to clear (docs/AVIC-MODEL.md, quirk icr_busy; avic_emu_quirks=on plays
 *    it).
 * Every message reads the same in every backend: no exit counts in them.
 * Each check undoes what it changed (ID, LDR, DFR, IF, in-service vectors).
 *
 * METRIC halted_ipi_exits_per_op: exits of sender and receiver together per
 * IPI to the halted vCPU (x2APIC), xapic_halted_ipi_exits_per_op in xAPIC
 * mode; under AVIC also the avic_ figures (guest/lib/apic.h).
 *
 * A failure means an IPI routed by a stale APIC ID or logical table (the
 * inhibit not taken, or not undone), lost or duplicated while AVIC was
 * switched off or on, a read-only register changed by a write, a delivery
 * status that stays busy, or a halted vCPU woken wrongly.
 */
#include "guest/tests/apic_smp.h"

#define SENDER          0
#define RECEIVER        1

/*
 * The xAPIC ID vCPU 1 moves to.  Below 16: an AMD APIC may compare only 4
 * ID bits unless the extended APIC ID is enabled (APM Vol 2 §16.3.3 "Local
 * APIC ID", §16.3.6 "Extended APIC Control Register", XAIDN); not 0xF, the
 * broadcast of such APICs; above every vCPU's
 * own ID (its index), so that it is an ID nobody has.  Runs with more vCPUs
 * than that skip the ID check.
 */
#define MOVED_ID        0x0eu

/* Flat model (DFR bits 31:28 = 0xF, the reset value) and two logical IDs. */
#define DFR_FLAT        0xffffffffu
#define LOGICAL_A       0x01u
#define LOGICAL_B       0x02u
/* Cluster model (DFR bits 31:28 = 0x0): cluster 1, member bit 1. */
#define DFR_CLUSTER     0x0fffffffu
#define CLUSTER_ID      0x12u

#define HALT_IPIS       50

/* One vector per IPI of the test, so that a late or stray copy is counted where it belongs. */
#define VEC_BASE        0x60
enum {
	V_ID_BEFORE,    /* to ID 1, before the change */
	V_ID_MOVED,     /* to the new ID */
	V_ID_OLD,       /* to the old ID while nobody has it */
	V_ID_AFTER,     /* to ID 1, after it is back */
	V_ALIAS,        /* logical 0x01 while vCPUs 0 and 1 both hold it */
	V_LOGICAL_B,    /* logical 0x02 once they differ */
	V_LOGICAL_A,    /* logical 0x01 once they differ */
	V_MIXED_NONE,   /* flat vCPU 0, cluster vCPU 1: logical 0x20, nobody's */
	V_MIXED_CLUSTER, /* the same: logical 0x12, vCPU 1's cluster ID */
	V_MIXED_AFTER,  /* both flat again: logical 0x02 */
	V_BUSY,         /* ICR written with bit 12 set */
	V_HALT,         /* to the halted receiver */
	V_WAKE,         /* wakes the receiver if the sender gave up */
	NR_VEC
};
#define VEC(i)          ((u8)(VEC_BASE + (i)))

/* Deliveries per vCPU and vector, counted by the handler; read by every vCPU. */
static u32 got[SMP_MAX_VCPUS][NR_VEC];

/* Halted check: the receiver's main loop acks what it has taken; what it measured. */
static u32 ack;
static u32 halt_done;
static u32 halt_wakeups;
static struct exit_snapshot receiver_exits;

static void on_ipi(struct ex_regs *regs)
{
	apic_eoi();
	/* After the EOI: whoever waits for the count may send the next one. */
	smp_inc(&got[this_vcpu()][(u8)regs->vector - VEC_BASE]);
}

static void set_handlers(irq_handler_fn fn)
{
	for (u32 i = 0; i < NR_VEC; i++)
		irq_set_handler(VEC(i), fn);
}

/* What arrived here of vector i: taken, or still waiting in IRR (late; IF=0 now). */
static u32 arrived(u32 i)
{
	return smp_load(&got[this_vcpu()][i]) + apic_irr(VEC(i));
}

/*
 * One IPI from vCPU 0 (dest and ICR low without the vector), counted on
 * every vCPU: it must arrive exactly once where rcv has the vCPU's bit and
 * nowhere else.  The sender sends with IF=0 (a copy to itself waits in IRR
 * until its STI), waits for every receiver's count, then SMP_SETTLE_TICKS
 * for a wrong extra copy to show; the others wait in the barrier with IF=1.
 * The sender's ESR must then be esr_want exactly: 0 when someone accepted
 * the IPI, send accept error when nobody did (APM Vol 2 §16.4.6 "APIC Error
 * Interrupts", SAE; apic_ipi).
 * false when a barrier broke.
 */
static bool ipi_step(const char *what, u32 dest, u32 low, u32 i, u64 rcv, u32 esr_want)
{
	u32 me = this_vcpu(), want = (rcv >> me) & 1;

	if (!vcpu_barrier("step: start"))
		return false;
	if (me == SENDER) {
		u32 esr;

		cli();
		apic_esr();
		apic_icr_write(dest, low | VEC(i));
		sti();
		for (u32 v = 0; v < nr_vcpus(); v++)
			if ((rcv >> v) & 1)
				wait_for(smp_load(&got[v][i]) >= 1, WAIT_LONG);
		tsc_delay(SMP_SETTLE_TICKS);
		esr = apic_esr();
		report_eq(esr_want, esr, "xapic: %s: sender's ESR %s", what,
			  esr_want ? "holds send accept error (bit 2) and nothing else" : "holds no error");
	} else {
		sti();
	}
	if (!vcpu_barrier("step: sent"))
		return false;
	cli();
	report_eq(want, arrived(i), "xapic: %s: %s", what,
		  want ? "arrived here exactly once" : "did not arrive here");
	return true;
}

/*
 * Back to the state every check starts from, whatever the last one left:
 * IF off, nothing in service, the vCPU's own ID, LDR 0, the flat model.
 * Each register is written only if it differs, so that a check that ended
 * cleanly causes no AVIC table update here.
 */
static void cleanup(void)
{
	u32 me = this_vcpu();

	apic_quiesce();
	if (apic_read(APIC_REG_ID) != me << 24)
		apic_write(APIC_REG_ID, me << 24);
	if (apic_read(APIC_REG_LDR) != 0)
		apic_write(APIC_REG_LDR, 0);
	if (apic_read(APIC_REG_DFR) != DFR_FLAT)
		apic_write(APIC_REG_DFR, DFR_FLAT);
}

/* Check 1: APIC_ID_MODIFIED. */
static void check_apic_id(void)
{
	u32 me = this_vcpu();

	if (nr_vcpus() > MOVED_ID) {
		report_skip("xapic: APIC ID change: needs a free 4-bit xAPIC ID, this VM has %u vCPUs",
			    nr_vcpus());
		return;
	}
	if (!ipi_step("before the ID change: fixed IPI to ID 1", RECEIVER, APIC_ICR_DM_FIXED, V_ID_BEFORE,
		      BIT(RECEIVER), 0))
		return;
	if (me == RECEIVER) {
		apic_write(APIC_REG_ID, MOVED_ID << 24);
		report_eq(MOVED_ID << 24, apic_read(APIC_REG_ID),
			  "xapic: vcpu1 wrote APIC ID 0x0e: ID reads back 0x0e000000");
	}
	if (!ipi_step("vcpu1 at ID 0x0e: fixed IPI to ID 0x0e", MOVED_ID, APIC_ICR_DM_FIXED, V_ID_MOVED,
		      BIT(RECEIVER), 0))
		return;
	if (!ipi_step("vcpu1 at ID 0x0e: fixed IPI to ID 1 (nobody's)", RECEIVER, APIC_ICR_DM_FIXED, V_ID_OLD,
		      0, APIC_ESR_SAE))
		return;
	if (me == RECEIVER) {
		apic_write(APIC_REG_ID, RECEIVER << 24);
		report_eq(RECEIVER << 24, apic_read(APIC_REG_ID),
			  "xapic: vcpu1 wrote APIC ID 1 back: ID reads back 0x01000000");
	}
	ipi_step("vcpu1 back at ID 1: fixed IPI to ID 1", RECEIVER, APIC_ICR_DM_FIXED, V_ID_AFTER,
		 BIT(RECEIVER), 0);
}

/* Check 2: LOGICAL_ID_ALIASED, flat model. */
static void check_logical_alias(void)
{
	u32 me = this_vcpu();
	u32 ldr = me == SENDER || me == RECEIVER ? LOGICAL_A << 24 : 0;
	u32 low = APIC_ICR_DEST_LOGICAL | APIC_ICR_DM_FIXED;

	apic_write(APIC_REG_DFR, DFR_FLAT);
	apic_write(APIC_REG_LDR, ldr);
	report_eq(ldr, apic_read(APIC_REG_LDR), "xapic: flat model: LDR reads back the logical ID written");
	if (!ipi_step("vcpu0 and vcpu1 both at logical ID 0x01: logical IPI to 0x01", LOGICAL_A, low, V_ALIAS,
		      BIT(SENDER) | BIT(RECEIVER), 0))
		return;
	if (me == RECEIVER) {
		apic_write(APIC_REG_LDR, LOGICAL_B << 24);
		report_eq(LOGICAL_B << 24, apic_read(APIC_REG_LDR),
			  "xapic: vcpu1 moved to logical ID 0x02: LDR reads back 0x02000000");
	}
	if (!ipi_step("vcpu0 at 0x01, vcpu1 at 0x02: logical IPI to 0x02", LOGICAL_B, low, V_LOGICAL_B,
		      BIT(RECEIVER), 0))
		return;
	ipi_step("vcpu0 at 0x01, vcpu1 at 0x02: logical IPI to 0x01", LOGICAL_A, low, V_LOGICAL_A,
		 BIT(SENDER), 0);
}

/*
 * Check 2b: LOGICAL_MODEL_MIXED.  vCPU 0 flat at 0x01, vCPU 1 cluster at
 * 0x12: each APIC matches a logical destination by its own DFR (APM Vol 2
 * §16.6.1).  Destination 0x20 is flat bit 5, which nobody holds, and for
 * vCPU 1 cluster 2, not its own: nobody.  One logical table indexed by one
 * model cannot hold both (flat bit 5 and cluster 1 member 1 are the same
 * entry, Table 15-24), so the hypervisor must not leave it to AVIC.
 */
static void check_logical_mixed(void)
{
	u32 me = this_vcpu();
	u32 low = APIC_ICR_DEST_LOGICAL | APIC_ICR_DM_FIXED;

	if (me == SENDER)
		apic_write(APIC_REG_LDR, LOGICAL_A << 24);
	if (me == RECEIVER) {
		apic_write(APIC_REG_DFR, DFR_CLUSTER);
		apic_write(APIC_REG_LDR, CLUSTER_ID << 24);
		report_eq(DFR_CLUSTER, apic_read(APIC_REG_DFR), "xapic: vcpu1 in the cluster model: DFR reads back");
	}
	if (!ipi_step("vcpu0 flat at 0x01, vcpu1 cluster at 0x12: logical IPI to 0x20 (nobody's)", 0x20, low,
		      V_MIXED_NONE, 0, APIC_ESR_SAE))
		return;
	if (!ipi_step("vcpu0 flat at 0x01, vcpu1 cluster at 0x12: logical IPI to 0x12", CLUSTER_ID, low,
		      V_MIXED_CLUSTER, BIT(RECEIVER), 0))
		return;
	if (me == RECEIVER) {
		apic_write(APIC_REG_DFR, DFR_FLAT);
		apic_write(APIC_REG_LDR, LOGICAL_B << 24);
	}
	ipi_step("both flat again, vcpu1 at 0x02: logical IPI to 0x02", LOGICAL_B, low, V_MIXED_AFTER,
		 BIT(RECEIVER), 0);
}

/*
 * Check 3: RRD is read-only (APM Vol 2 §16.5 "Interprocessor Interrupts
 * (IPI)", Fig. 16-19); every vCPU on its own APIC.
 */
static void check_rrd(void)
{
	u32 before = apic_read(APIC_REG_RRD);

	apic_write(APIC_REG_RRD, ~before);
	report_eq(before, apic_read(APIC_REG_RRD),
		  "xapic: Remote Read register (0xC0) is read-only: a write of its complement leaves it unchanged");
}

/* Check 5: ICR bit 12 is read-only: written as 1 it changes nothing. */
static void check_icr_busy(void)
{
	u32 low = APIC_ICR_BUSY | APIC_ICR_DM_FIXED;

	if (!ipi_step("ICR low written with bit 12 (delivery status) set: fixed IPI to ID 1", RECEIVER, low,
		      V_BUSY, BIT(RECEIVER), 0))
		return;
	if (this_vcpu() == SENDER) {
		u64 icr = apic_icr_read();

		report_eq(0, icr & APIC_ICR_BUSY, "xapic: after that IPI arrived, ICR bit 12 reads 0 (idle)");
		report_eq(((u64)RECEIVER << 56) | APIC_ICR_DM_FIXED | VEC(V_BUSY), icr,
			  "xapic: ICR high:low read back destination and command, bit 12 clear");
	}
}

/* Check 4 and the METRIC, in each mode (apic_for_each_mode). */
static void check_halted(void)
{
	const char *m = apic_mode_name(apic_mode());
	u32 me = this_vcpu(), i = 0;
	struct exit_snapshot then, d = { 0 };

	smp_store(&got[me][V_HALT], 0);
	smp_store(&got[me][V_WAKE], 0);
	if (me == SENDER) {
		smp_store(&ack, 0);
		smp_store(&halt_done, 0);
	}
	if (!vcpu_barrier("halted: start"))
		return;
	exit_snapshot_take(&then);
	if (me == RECEIVER) {
		u32 wakeups = 0;

		/*
		 * IF=0 but in "sti; hlt": an IPI that arrives before the HLT
		 * waits in IRR and ends the HLT at once (its STI shadow), so
		 * each pass takes exactly one IPI.  The ack comes after the
		 * CLI: the next IPI cannot slip in behind this one.
		 */
		cli();
		while (smp_load(&got[me][V_HALT]) < HALT_IPIS && !smp_load(&halt_done)) {
			safe_halt();
			cli();
			wakeups++;
			smp_store(&ack, smp_load(&got[me][V_HALT]));
		}
		receiver_exits = exits_since(&then);
		smp_store(&halt_wakeups, wakeups);
	} else if (me == SENDER) {
		for (i = 0; i < HALT_IPIS; i++) {
			/*
			 * The IPI is to wake vCPU 1: wait until the hypervisor has it
			 * halted again after its ack (HC_VCPU_STATE; no exit counted).
			 */
			if (!smp_wait_halted(RECEIVER))
				report_fail("%s: vcpu1 did not halt again after its ack of IPI %u", m, i);
			smp_ipi_fixed(RECEIVER, VEC(V_HALT));
			if (!wait_for(smp_load(&ack) >= i + 1, WAIT_LONG))
				break;
		}
		d = exits_since(&then);
		/*
		 * After the exits are counted: the ICR read may be an exit of
		 * its own.  In x2APIC mode bit 12 is reserved and reads 0 (APM
		 * Vol 2 §16.13 "x2APIC"): under AVIC each of these IPIs exits
		 * "target not running", after which the CPU may leave BUSY set
		 * in the backing page in either mode, for the hypervisor to clear.
		 */
		report_eq(0, apic_icr_read() & APIC_ICR_BUSY,
			  "%s: after the last IPI to the halted vcpu1 arrived, ICR bit 12 reads 0 (%s)", m,
			  apic_mode() == APIC_MODE_XAPIC ? "idle" : "reserved");
		smp_store(&halt_done, 1);
		if (i < HALT_IPIS)
			smp_ipi_fixed(RECEIVER, VEC(V_WAKE));   /* out of its last HLT */
		report_eq(HALT_IPIS, i, "%s: %u fixed IPIs to vcpu1 halted in sti; hlt, one at a time: "
			  "each acknowledged after its wake-up", m, HALT_IPIS);
	} else {
		sti();
	}
	if (!vcpu_barrier("halted: end"))
		return;
	cli();
	report_eq(me == RECEIVER ? HALT_IPIS : 0, arrived(V_HALT), "%s: fixed IPIs to the halted vcpu1: %s", m,
		  me == RECEIVER ? "each arrived here exactly once" : "none arrived here");
	if (me == RECEIVER) {
		report_eq(HALT_IPIS, smp_load(&halt_wakeups),
			  "%s: vcpu1 woke from HLT once per IPI (nothing else ends its HLT)", m);
		report(receiver_exits.hlt >= 1, "%s: vcpu1 really halted (HLT exits seen)", m);
	}
	if (me == SENDER && i == HALT_IPIS)
		apic_metric_exits("halted_ipi_exits_per_op", d.total + receiver_exits.total,
				  exit_snapshot_avic(&d) + exit_snapshot_avic(&receiver_exits), HALT_IPIS);
	vcpu_barrier("halted: reported");
	report_irq_unexpected(m);
}

GUEST_TEST(apic_avic)
{
	u32 me = this_vcpu();
	int vector;

	if (!smp_need_vcpus(2))
		return;
	vector = apic_set_mode(APIC_MODE_XAPIC);
	if (vector != EXC_NONE) {
		report_fail("xapic: cannot enter the mode (IA32_APIC_BASE now 0x%lx)",
			    (unsigned long)apic_base_msr());
		return;
	}
	memset(got[me], 0, sizeof(got[me]));
	set_handlers(on_ipi);
	cleanup();
	irq_reset();

	check_apic_id();
	cleanup();
	check_logical_alias();
	cleanup();
	check_logical_mixed();
	cleanup();
	check_rrd();
	check_icr_busy();
	cleanup();
	vcpu_barrier("xapic: end");
	report_irq_unexpected("xapic");

	apic_for_each_mode(check_halted);
	cleanup();
	set_handlers(NULL);
}
