/*
 * tests/unit/test_vpic.c - the two cascaded 8259A PICs (avic/vpic.c).
 *
 * Behaviour under test (Intel 8259A data sheet, 1988): the initialization
 * sequence ICW1-ICW4 ("Initialization Command Words (ICWs)": vector base,
 * single/cascade, ICW4 or not, what ICW1 resets), OCW1 (IMR), OCW2
 * (non-specific and specific EOI), OCW3 (IRR/ISR read select; "Reading the
 * 8259A Status"), edge inputs latched in IRR whether masked or not, level
 * mode, fully nested priority (IR0 highest, in-service levels inhibit the
 * same and lower), the INT output, the interrupt acknowledge with auto-EOI
 * and through the slave ("Cascade Mode"), and the default IR7 (spurious
 * IRQ 7 / 15).  A failure means a guest would lose an interrupt, take one
 * twice or with a wrong vector, be interrupted by a PIC it never
 * programmed, or hang on a level that never leaves service.
 */
#include <string.h>
#include "avic/vpic.h"

#include "tests/unit/unit.h"

#define MBASE   0x30            /* master vectors 0x30-0x37 */
#define SBASE   0x38            /* slave vectors 0x38-0x3f */

static void setup(struct vpic *p)
{
	memset(p, 0xcc, sizeof(*p));    /* reset must set every field */
	vpic_reset(p);
}

static void wr(struct vpic *p, u16 port, u8 val)
{
	CHECK_EQ(VPIC_OK, vpic_write(p, port, val));
}

static u8 rd(struct vpic *p, u16 port)
{
	u8 v = 0x5a;

	CHECK_EQ(VPIC_OK, vpic_read(p, port, &v));
	return v;
}

static u8 irr(struct vpic *p, u16 cmd)
{
	wr(p, cmd, VPIC_OCW3_READ_IRR);
	return rd(p, cmd);
}

static u8 isr(struct vpic *p, u16 cmd)
{
	wr(p, cmd, VPIC_OCW3_READ_ISR);
	return rd(p, cmd);
}

/* The PC's sequence: edge, cascade, ICW4; 8086 mode (plus aeoi). */
static void init_pair(struct vpic *p, u8 icw4_extra)
{
	wr(p, VPIC_MASTER_CMD, VPIC_ICW1 | VPIC_ICW1_IC4);
	wr(p, VPIC_MASTER_DATA, MBASE);
	wr(p, VPIC_MASTER_DATA, BIT(VPIC_CASCADE_IRQ));
	wr(p, VPIC_MASTER_DATA, VPIC_ICW4_UPM | icw4_extra);
	wr(p, VPIC_SLAVE_CMD, VPIC_ICW1 | VPIC_ICW1_IC4);
	wr(p, VPIC_SLAVE_DATA, SBASE);
	wr(p, VPIC_SLAVE_DATA, VPIC_CASCADE_IRQ);
	wr(p, VPIC_SLAVE_DATA, VPIC_ICW4_UPM | icw4_extra);
}

/* Programmed, and only the given inputs (IRQ numbers 0-15) unmasked. */
static void setup_pair(struct vpic *p, u16 unmasked, u8 icw4_extra)
{
	setup(p);
	init_pair(p, icw4_extra);
	wr(p, VPIC_MASTER_DATA, (u8)~unmasked);
	wr(p, VPIC_SLAVE_DATA, (u8)~(unmasked >> 8));
}

static void pulse(struct vpic *p, unsigned irq)
{
	CHECK_EQ(VPIC_OK, vpic_set_line(p, irq, true));
	CHECK_EQ(VPIC_OK, vpic_set_line(p, irq, false));
}

/* INT is high and the acknowledge gives vector. */
static void expect_ack(struct vpic *p, u8 vector)
{
	CHECK(vpic_intr(p));
	CHECK_EQ(vector, vpic_intack(p));
}

#define UNMASK(irq)     ((u16)BIT(irq))
#define CASCADE         UNMASK(VPIC_CASCADE_IRQ)

/* ---- reset and initialization ------------------------------------------------ */

TEST(vpic_reset_state)
{
	struct vpic p;

	setup(&p);
	CHECK_EQ(0xff, rd(&p, VPIC_MASTER_DATA));
	CHECK_EQ(0xff, rd(&p, VPIC_SLAVE_DATA));
	CHECK_EQ(0, rd(&p, VPIC_MASTER_CMD));           /* IRR selected, nothing pending */
	CHECK_EQ(0, isr(&p, VPIC_MASTER_CMD));
	CHECK_EQ(0, isr(&p, VPIC_SLAVE_CMD));
	CHECK_EQ(0, p.spurious);
	CHECK_EQ(0, p.unsupported);
	CHECK(!vpic_intr(&p));
}

TEST(vpic_unprogrammed_never_interrupts)
{
	struct vpic p;

	setup(&p);
	for (unsigned irq = 0; irq < VPIC_IRQS; irq++)
		if (irq != VPIC_CASCADE_IRQ)
			CHECK_EQ(VPIC_OK, vpic_set_line(&p, irq, true));
	CHECK(!vpic_intr(&p));
	/* The edges are latched all the same (IRR is not affected by IMR). */
	CHECK_EQ(0xfb, irr(&p, VPIC_MASTER_CMD));
	CHECK_EQ(0xff, irr(&p, VPIC_SLAVE_CMD));
}

TEST(vpic_init_sequence_sets_base_and_clears_imr)
{
	struct vpic p;

	setup(&p);
	wr(&p, VPIC_MASTER_CMD, VPIC_ICW1 | VPIC_ICW1_IC4);
	CHECK_EQ(0, rd(&p, VPIC_MASTER_DATA));          /* ICW1 clears IMR */
	wr(&p, VPIC_MASTER_DATA, 0x20 | 0x05);          /* ICW2: T2-T0 do not count in 8086 mode */
	wr(&p, VPIC_MASTER_DATA, BIT(2));               /* ICW3 */
	wr(&p, VPIC_MASTER_DATA, VPIC_ICW4_UPM);        /* ICW4 */
	CHECK_EQ(0, p.chip[0].init_next);
	CHECK_EQ(0x25, p.chip[0].icw2);
	CHECK_EQ(BIT(2), p.chip[0].icw3);
	CHECK_EQ(0, p.unsupported);
	/* Now the data port is OCW1. */
	wr(&p, VPIC_MASTER_DATA, 0xf7);
	CHECK_EQ(0xf7, rd(&p, VPIC_MASTER_DATA));
	CHECK_EQ(0x25, p.chip[0].icw2);
	pulse(&p, 3);
	expect_ack(&p, 0x23);
	CHECK(!vpic_intr(&p));
}

TEST(vpic_icw1_single_skips_icw3_and_no_icw4)
{
	struct vpic p;

	setup(&p);
	/* Single, ICW4: ICW2 then ICW4. */
	wr(&p, VPIC_MASTER_CMD, VPIC_ICW1 | VPIC_ICW1_SNGL | VPIC_ICW1_IC4);
	wr(&p, VPIC_MASTER_DATA, 0x40);
	CHECK_EQ(4, p.chip[0].init_next);
	wr(&p, VPIC_MASTER_DATA, VPIC_ICW4_UPM | VPIC_ICW4_AEOI);
	CHECK_EQ(0, p.chip[0].init_next);
	CHECK_EQ(VPIC_ICW4_UPM | VPIC_ICW4_AEOI, p.chip[0].icw4);
	CHECK_EQ(BIT(2), p.chip[0].icw3);               /* not written */
	/* Single: IR2 is an input of its own, no slave is asked. */
	wr(&p, VPIC_MASTER_DATA, 0xfb);
	wr(&p, VPIC_SLAVE_DATA, 0xfe);
	CHECK_EQ(VPIC_OK, vpic_set_line(&p, 8, true));
	expect_ack(&p, 0x42);

	/* Single, no ICW4: one data write ends the sequence, ICW4 functions zeroed. */
	wr(&p, VPIC_MASTER_CMD, VPIC_ICW1 | VPIC_ICW1_SNGL);
	CHECK_EQ(0, p.chip[0].icw4);
	wr(&p, VPIC_MASTER_DATA, 0x48);
	CHECK_EQ(0, p.chip[0].init_next);
	CHECK_EQ(1, p.unsupported);                     /* the MCS-80/85 mode it selects */
	wr(&p, VPIC_MASTER_DATA, 0x12);                 /* OCW1 already */
	CHECK_EQ(0x12, rd(&p, VPIC_MASTER_DATA));
	CHECK_EQ(0x48, p.chip[0].icw2);
}

TEST(vpic_icw1_drops_requests_and_needs_a_new_edge)
{
	struct vpic p;

	setup_pair(&p, UNMASK(4), 0);
	CHECK_EQ(VPIC_OK, vpic_set_line(&p, 4, true));
	CHECK_EQ(VPIC_OK, vpic_set_line(&p, 5, true));
	pulse(&p, 6);
	CHECK(vpic_intr(&p));
	CHECK_EQ(MBASE + 4, vpic_intack(&p));
	CHECK_EQ(BIT(4), isr(&p, VPIC_MASTER_CMD));     /* leaves ISR selected */
	init_pair(&p, 0);
	/* "Status Read is set to IRR"; requests, ISR dropped; IMR cleared. */
	CHECK_EQ(0, rd(&p, VPIC_MASTER_CMD));
	CHECK_EQ(0, isr(&p, VPIC_MASTER_CMD));
	CHECK_EQ(0, rd(&p, VPIC_MASTER_DATA));
	CHECK(!vpic_intr(&p));
	/* Inputs 4 and 5 are still high: no edge until they fall and rise. */
	CHECK_EQ(VPIC_OK, vpic_set_line(&p, 5, true));
	CHECK(!vpic_intr(&p));
	CHECK_EQ(VPIC_OK, vpic_set_line(&p, 5, false));
	CHECK_EQ(VPIC_OK, vpic_set_line(&p, 5, true));
	expect_ack(&p, MBASE + 5);
}

TEST(vpic_bad_arguments)
{
	struct vpic p;
	u8 v = 0;

	setup(&p);
	CHECK(vpic_is_port(0x20) && vpic_is_port(0x21) && vpic_is_port(0xa0) && vpic_is_port(0xa1));
	CHECK(!vpic_is_port(0x22) && !vpic_is_port(0xa2) && !vpic_is_port(0x1f) && !vpic_is_port(0x4d0));
	CHECK_EQ(-VPIC_EINVAL, vpic_write(&p, 0x22, 0));
	CHECK_EQ(-VPIC_EINVAL, vpic_read(&p, 0x80, &v));
	CHECK_EQ(-VPIC_EINVAL, vpic_read(&p, 0x20, NULL));
	CHECK_EQ(-VPIC_EINVAL, vpic_set_line(&p, 16, true));
	CHECK_EQ(-VPIC_EINVAL, vpic_set_line(NULL, 3, true));
	/* IR2 is the cascade: no device line reaches it. */
	init_pair(&p, 0);
	CHECK_EQ(VPIC_NOT_CONNECTED, vpic_set_line(&p, 2, true));
	CHECK_EQ(0, irr(&p, VPIC_MASTER_CMD));
	CHECK(!vpic_intr(&p));
}

/* ---- masking, priority, EOI ------------------------------------------------------ */

TEST(vpic_masked_edge_is_latched_and_delivered_at_unmask)
{
	struct vpic p;

	setup_pair(&p, 0, 0);
	pulse(&p, 3);
	CHECK(!vpic_intr(&p));
	CHECK_EQ(BIT(3), irr(&p, VPIC_MASTER_CMD));
	wr(&p, VPIC_MASTER_DATA, (u8)~BIT(3));
	expect_ack(&p, MBASE + 3);
	CHECK_EQ(0, irr(&p, VPIC_MASTER_CMD));
	CHECK_EQ(BIT(3), isr(&p, VPIC_MASTER_CMD));
	wr(&p, VPIC_MASTER_CMD, VPIC_OCW2_NONSPEC_EOI);
	CHECK_EQ(0, isr(&p, VPIC_MASTER_CMD));
	CHECK(!vpic_intr(&p));                          /* once */
}

TEST(vpic_edge_once_per_rising_edge)
{
	struct vpic p;

	setup_pair(&p, UNMASK(1), 0);
	CHECK_EQ(VPIC_OK, vpic_set_line(&p, 1, true));
	expect_ack(&p, MBASE + 1);
	wr(&p, VPIC_MASTER_CMD, VPIC_OCW2_NONSPEC_EOI);
	/* Held high: no second request; high again without a fall: nothing. */
	CHECK(!vpic_intr(&p));
	CHECK_EQ(VPIC_OK, vpic_set_line(&p, 1, true));
	CHECK(!vpic_intr(&p));
	/* Two pulses before the acknowledge are one request. */
	CHECK_EQ(VPIC_OK, vpic_set_line(&p, 1, false));
	pulse(&p, 1);
	pulse(&p, 1);
	expect_ack(&p, MBASE + 1);
	wr(&p, VPIC_MASTER_CMD, VPIC_OCW2_NONSPEC_EOI);
	CHECK(!vpic_intr(&p));
}

TEST(vpic_fixed_priority_and_nesting)
{
	struct vpic p;

	setup_pair(&p, UNMASK(1) | UNMASK(3) | UNMASK(5), 0);
	pulse(&p, 5);
	pulse(&p, 3);
	expect_ack(&p, MBASE + 3);                      /* IR3 before IR5 */
	/* IR3 in service: IR5 (lower) and IR3 again (same) are inhibited. */
	CHECK(!vpic_intr(&p));
	pulse(&p, 3);
	CHECK(!vpic_intr(&p));
	/* IR1 (higher) nests. */
	pulse(&p, 1);
	expect_ack(&p, MBASE + 1);
	CHECK_EQ(BIT(1) | BIT(3), isr(&p, VPIC_MASTER_CMD));
	CHECK(!vpic_intr(&p));
	/* Non-specific EOI clears the highest in service (IR1): IR3 still blocks. */
	wr(&p, VPIC_MASTER_CMD, VPIC_OCW2_NONSPEC_EOI);
	CHECK_EQ(BIT(3), isr(&p, VPIC_MASTER_CMD));
	CHECK(!vpic_intr(&p));
	wr(&p, VPIC_MASTER_CMD, VPIC_OCW2_NONSPEC_EOI);
	expect_ack(&p, MBASE + 3);                      /* the second IR3 edge */
	wr(&p, VPIC_MASTER_CMD, VPIC_OCW2_NONSPEC_EOI);
	expect_ack(&p, MBASE + 5);
	wr(&p, VPIC_MASTER_CMD, VPIC_OCW2_NONSPEC_EOI);
	CHECK(!vpic_intr(&p));
	CHECK_EQ(0, p.spurious);
}

TEST(vpic_masking_a_higher_input_does_not_block_lower_ones)
{
	struct vpic p;

	setup_pair(&p, UNMASK(6), 0);
	pulse(&p, 0);
	pulse(&p, 6);
	expect_ack(&p, MBASE + 6);
	CHECK_EQ(BIT(0), irr(&p, VPIC_MASTER_CMD));
	/* Unmasked now, IR0 is higher than the IR6 in service: it nests. */
	wr(&p, VPIC_MASTER_DATA, (u8)~(BIT(0) | BIT(6)));
	expect_ack(&p, MBASE + 0);
}

TEST(vpic_specific_eoi)
{
	struct vpic p;

	setup_pair(&p, UNMASK(4) | UNMASK(6), 0);
	pulse(&p, 6);
	expect_ack(&p, MBASE + 6);
	pulse(&p, 4);
	expect_ack(&p, MBASE + 4);
	/* Specific EOI of the lower level leaves the higher one in service. */
	wr(&p, VPIC_MASTER_CMD, VPIC_OCW2_SPEC_EOI | 6);
	CHECK_EQ(BIT(4), isr(&p, VPIC_MASTER_CMD));
	/* A specific EOI for a level not in service changes nothing. */
	wr(&p, VPIC_MASTER_CMD, VPIC_OCW2_SPEC_EOI | 7);
	CHECK_EQ(BIT(4), isr(&p, VPIC_MASTER_CMD));
	wr(&p, VPIC_MASTER_CMD, VPIC_OCW2_SPEC_EOI | 4);
	CHECK_EQ(0, isr(&p, VPIC_MASTER_CMD));
	/* Non-specific EOI with nothing in service: nothing. */
	wr(&p, VPIC_MASTER_CMD, VPIC_OCW2_NONSPEC_EOI);
	CHECK_EQ(0, isr(&p, VPIC_MASTER_CMD));
	CHECK_EQ(0, p.unsupported);
}

TEST(vpic_ocw2_unsupported_commands)
{
	struct vpic p;

	setup_pair(&p, UNMASK(3) | UNMASK(5), 0);
	pulse(&p, 3);
	expect_ack(&p, MBASE + 3);
	/* No operation (010). */
	wr(&p, VPIC_MASTER_CMD, 0x40);
	CHECK_EQ(BIT(3), isr(&p, VPIC_MASTER_CMD));
	CHECK_EQ(0, p.unsupported);
	/* Rotate on non-specific EOI: the EOI happens, the rotation does not. */
	wr(&p, VPIC_MASTER_CMD, 0xa0);
	CHECK_EQ(0, isr(&p, VPIC_MASTER_CMD));
	CHECK_EQ(1, p.unsupported);
	/* Set priority (110): ignored; IR3 still beats IR5. */
	wr(&p, VPIC_MASTER_CMD, 0xc0 | 1);
	pulse(&p, 5);
	pulse(&p, 3);
	expect_ack(&p, MBASE + 3);
	CHECK_EQ(2, p.unsupported);
	/* Rotate on specific EOI: the specific EOI. */
	wr(&p, VPIC_MASTER_CMD, 0xe0 | 3);
	CHECK_EQ(0, isr(&p, VPIC_MASTER_CMD));
	CHECK_EQ(3, p.unsupported);
	expect_ack(&p, MBASE + 5);
}

/* ---- status reads --------------------------------------------------------------- */

TEST(vpic_ocw3_read_select_is_remembered)
{
	struct vpic p;

	setup_pair(&p, UNMASK(5), 0);
	pulse(&p, 5);
	pulse(&p, 7);                                   /* masked: in IRR, not acknowledged */
	CHECK_EQ(BIT(5) | BIT(7), irr(&p, VPIC_MASTER_CMD));
	CHECK_EQ(MBASE + 5, vpic_intack(&p));
	/* Still IRR selected: a second read without OCW3. */
	CHECK_EQ(BIT(7), rd(&p, VPIC_MASTER_CMD));
	wr(&p, VPIC_MASTER_CMD, VPIC_OCW3_READ_ISR);
	CHECK_EQ(BIT(5), rd(&p, VPIC_MASTER_CMD));
	CHECK_EQ(BIT(5), rd(&p, VPIC_MASTER_CMD));
	/* OCW3 with RR = 0 keeps the selection. */
	wr(&p, VPIC_MASTER_CMD, VPIC_OCW3);
	CHECK_EQ(BIT(5), rd(&p, VPIC_MASTER_CMD));
	/* The data port is IMR whatever OCW3 selected. */
	CHECK_EQ((u8)~BIT(5), rd(&p, VPIC_MASTER_DATA));
	/* Each chip keeps its own selection. */
	CHECK_EQ(0, rd(&p, VPIC_SLAVE_CMD));
	CHECK_EQ(0, p.unsupported);
	/* Poll and special mask mode are counted, not modelled. */
	wr(&p, VPIC_MASTER_CMD, VPIC_OCW3 | VPIC_OCW3_P);
	wr(&p, VPIC_MASTER_CMD, VPIC_OCW3 | VPIC_OCW3_ESMM | VPIC_OCW3_SMM);
	wr(&p, VPIC_MASTER_CMD, VPIC_OCW3 | VPIC_OCW3_ESMM);    /* reset SMM: what we do anyway */
	CHECK_EQ(2, p.unsupported);
	CHECK_EQ(BIT(5), rd(&p, VPIC_MASTER_CMD));
}

/* ---- auto-EOI, level mode --------------------------------------------------------- */

TEST(vpic_auto_eoi)
{
	struct vpic p;

	setup_pair(&p, UNMASK(3) | UNMASK(4), VPIC_ICW4_AEOI);
	pulse(&p, 4);
	pulse(&p, 3);
	expect_ack(&p, MBASE + 3);
	CHECK_EQ(0, isr(&p, VPIC_MASTER_CMD));          /* never in service */
	/* So the lower request is deliverable at once, without an EOI. */
	expect_ack(&p, MBASE + 4);
	CHECK(!vpic_intr(&p));
	pulse(&p, 3);
	expect_ack(&p, MBASE + 3);
}

TEST(vpic_level_mode)
{
	struct vpic p;

	setup(&p);
	wr(&p, VPIC_MASTER_CMD, VPIC_ICW1 | VPIC_ICW1_LTIM | VPIC_ICW1_SNGL | VPIC_ICW1_IC4);
	wr(&p, VPIC_MASTER_DATA, MBASE);
	wr(&p, VPIC_MASTER_DATA, VPIC_ICW4_UPM);
	wr(&p, VPIC_MASTER_DATA, (u8)~BIT(3));
	/* A pulse that is over is no request; a held level is. */
	pulse(&p, 3);
	CHECK(!vpic_intr(&p));
	CHECK_EQ(VPIC_OK, vpic_set_line(&p, 3, true));
	expect_ack(&p, MBASE + 3);
	/* Still high at the EOI: requested again. */
	wr(&p, VPIC_MASTER_CMD, VPIC_OCW2_NONSPEC_EOI);
	expect_ack(&p, MBASE + 3);
	/* Low before the EOI: nothing more. */
	CHECK_EQ(VPIC_OK, vpic_set_line(&p, 3, false));
	wr(&p, VPIC_MASTER_CMD, VPIC_OCW2_NONSPEC_EOI);
	CHECK(!vpic_intr(&p));
}

/* ---- cascade -------------------------------------------------------------------------- */

TEST(vpic_slave_interrupt_through_the_cascade)
{
	struct vpic p;

	setup_pair(&p, CASCADE | UNMASK(10), 0);
	pulse(&p, 10);
	CHECK_EQ(BIT(2), irr(&p, VPIC_SLAVE_CMD));
	CHECK_EQ(BIT(2), irr(&p, VPIC_MASTER_CMD));     /* the slave's INT on IR2 */
	expect_ack(&p, SBASE + 2);
	CHECK_EQ(BIT(2), isr(&p, VPIC_MASTER_CMD));
	CHECK_EQ(BIT(2), isr(&p, VPIC_SLAVE_CMD));
	CHECK_EQ(0, irr(&p, VPIC_MASTER_CMD));
	CHECK_EQ(0, irr(&p, VPIC_SLAVE_CMD));
	CHECK(!vpic_intr(&p));
}

TEST(vpic_slave_needs_both_eois)
{
	struct vpic p;

	setup_pair(&p, CASCADE | UNMASK(10), 0);
	pulse(&p, 10);
	expect_ack(&p, SBASE + 2);

	/* Master EOI only: the slave's ISR still inhibits IRQ 10. */
	wr(&p, VPIC_MASTER_CMD, VPIC_OCW2_NONSPEC_EOI);
	pulse(&p, 10);
	CHECK(!vpic_intr(&p));
	CHECK_EQ(BIT(2), irr(&p, VPIC_SLAVE_CMD));
	wr(&p, VPIC_SLAVE_CMD, VPIC_OCW2_NONSPEC_EOI);
	expect_ack(&p, SBASE + 2);

	/* Slave EOI only: the master's IR2 in service inhibits the cascade. */
	wr(&p, VPIC_SLAVE_CMD, VPIC_OCW2_NONSPEC_EOI);
	pulse(&p, 10);
	CHECK(!vpic_intr(&p));
	wr(&p, VPIC_MASTER_CMD, VPIC_OCW2_NONSPEC_EOI);
	expect_ack(&p, SBASE + 2);
	wr(&p, VPIC_SLAVE_CMD, VPIC_OCW2_NONSPEC_EOI);
	wr(&p, VPIC_MASTER_CMD, VPIC_OCW2_NONSPEC_EOI);
	CHECK_EQ(0, isr(&p, VPIC_MASTER_CMD));
	CHECK_EQ(0, isr(&p, VPIC_SLAVE_CMD));
	CHECK(!vpic_intr(&p));
	CHECK_EQ(0, p.spurious);
}

TEST(vpic_cascade_masked_on_the_master)
{
	struct vpic p;

	setup_pair(&p, UNMASK(10), 0);                  /* IR2 masked on the master */
	pulse(&p, 10);
	CHECK(!vpic_intr(&p));
	CHECK_EQ(BIT(2), irr(&p, VPIC_MASTER_CMD));
	wr(&p, VPIC_MASTER_DATA, (u8)~BIT(2));
	expect_ack(&p, SBASE + 2);
}

TEST(vpic_slave_priority_and_master_inputs)
{
	struct vpic p;

	setup_pair(&p, CASCADE | UNMASK(1) | UNMASK(3) | UNMASK(9) | UNMASK(12), 0);
	pulse(&p, 12);
	pulse(&p, 9);
	pulse(&p, 3);
	/* IR2 (the slave) is above IR3; within the slave IRQ 9 above 12. */
	expect_ack(&p, SBASE + 1);
	/* Master IR2 in service now: IR3 waits, IR1 nests. */
	CHECK(!vpic_intr(&p));
	pulse(&p, 1);
	expect_ack(&p, MBASE + 1);
	wr(&p, VPIC_MASTER_CMD, VPIC_OCW2_NONSPEC_EOI);         /* IR1 */
	CHECK(!vpic_intr(&p));
	wr(&p, VPIC_SLAVE_CMD, VPIC_OCW2_NONSPEC_EOI);          /* IRQ 9 */
	wr(&p, VPIC_MASTER_CMD, VPIC_OCW2_NONSPEC_EOI);         /* IR2 */
	expect_ack(&p, SBASE + 4);                              /* IRQ 12 */
	wr(&p, VPIC_SLAVE_CMD, VPIC_OCW2_NONSPEC_EOI);
	wr(&p, VPIC_MASTER_CMD, VPIC_OCW2_NONSPEC_EOI);
	expect_ack(&p, MBASE + 3);
	wr(&p, VPIC_MASTER_CMD, VPIC_OCW2_NONSPEC_EOI);
	CHECK(!vpic_intr(&p));
}

TEST(vpic_cascade_auto_eoi_keeps_the_next_slave_request)
{
	struct vpic p;

	setup_pair(&p, CASCADE | UNMASK(9) | UNMASK(11), VPIC_ICW4_AEOI);
	pulse(&p, 11);
	pulse(&p, 9);
	expect_ack(&p, SBASE + 1);
	/* Nothing in service anywhere, and the slave still requests IRQ 11. */
	expect_ack(&p, SBASE + 3);
	CHECK(!vpic_intr(&p));
	CHECK_EQ(0, isr(&p, VPIC_MASTER_CMD));
	CHECK_EQ(0, isr(&p, VPIC_SLAVE_CMD));
}

/*
 * From fuzz_irqchip, crash-irqchip-706329d9 (minimised).  The guest names a
 * slave on master IR0 as well (ICW3 0x47) and gives the slave ID 0, so an
 * INTA of IR0 lets the slave answer: its IR1 goes in service and its INT
 * falls.  The master's IR2 is wired to that INT whatever ICW3 says ("Cascade
 * Mode": ICW3 only selects who answers on CAS2-0), so IR2 falls at once; it
 * stayed high until the next port write or line change.
 */
TEST(vpic_slave_answering_another_master_input_still_drives_ir2)
{
	struct vpic p;

	setup(&p);
	wr(&p, VPIC_MASTER_CMD, VPIC_ICW1 | VPIC_ICW1_LTIM | VPIC_ICW1_IC4);
	wr(&p, VPIC_MASTER_DATA, MBASE);
	wr(&p, VPIC_MASTER_DATA, BIT(0) | BIT(1) | BIT(2) | BIT(6));
	wr(&p, VPIC_SLAVE_CMD, VPIC_ICW1 | VPIC_ICW1_LTIM);
	wr(&p, VPIC_SLAVE_DATA, SBASE);
	wr(&p, VPIC_SLAVE_DATA, 0);                     /* slave ID 0 */
	CHECK_EQ(VPIC_OK, vpic_set_line(&p, 9, true));
	CHECK_EQ(VPIC_OK, vpic_set_line(&p, 0, true));
	/* IR0 is the highest; ICW3 says it has a slave, and the slave with ID 0 answers. */
	expect_ack(&p, SBASE + 1);
	/* The slave's IR1 in service: its INT is low, and so is the master's IR2 input. */
	CHECK_EQ(0, p.chip[0].lines & BIT(2));
	CHECK_EQ(BIT(0), irr(&p, VPIC_MASTER_CMD));
	CHECK_EQ(BIT(0), isr(&p, VPIC_MASTER_CMD));
	CHECK_EQ(BIT(1), isr(&p, VPIC_SLAVE_CMD));
}

/*
 * The same in edge mode, where the stale IR2 lost an interrupt: the slave's
 * next request (IRQ 8, above the in-service IRQ 9) is a rising edge of its
 * INT, which the master must latch on IR2.
 */
TEST(vpic_slave_answering_another_master_input_next_request_reaches_ir2)
{
	struct vpic p;

	setup(&p);
	wr(&p, VPIC_SLAVE_CMD, VPIC_ICW1 | VPIC_ICW1_IC4);
	wr(&p, VPIC_SLAVE_DATA, SBASE);
	wr(&p, VPIC_SLAVE_DATA, 0);                     /* slave ID 0 */
	wr(&p, VPIC_SLAVE_DATA, VPIC_ICW4_UPM);
	CHECK_EQ(VPIC_OK, vpic_set_line(&p, 9, true));
	/* ICW1 drops the IR2 edge latched so far: IR2 is high with no request. */
	wr(&p, VPIC_MASTER_CMD, VPIC_ICW1 | VPIC_ICW1_IC4);
	wr(&p, VPIC_MASTER_DATA, MBASE);
	wr(&p, VPIC_MASTER_DATA, BIT(0) | BIT(2));
	wr(&p, VPIC_MASTER_DATA, VPIC_ICW4_UPM | VPIC_ICW4_AEOI);
	pulse(&p, 0);
	expect_ack(&p, SBASE + 1);
	CHECK(!vpic_intr(&p));
	CHECK_EQ(VPIC_OK, vpic_set_line(&p, 8, true));
	CHECK(vpic_intr(&p));
	CHECK_EQ(BIT(2), irr(&p, VPIC_MASTER_CMD));
}

/* ---- spurious ------------------------------------------------------------------------------ */

TEST(vpic_spurious_master_irq7)
{
	struct vpic p;

	setup_pair(&p, UNMASK(3), 0);
	CHECK(!vpic_intr(&p));
	CHECK_EQ(MBASE + 7, vpic_intack(&p));
	CHECK_EQ(0, isr(&p, VPIC_MASTER_CMD));          /* a default IR7 sets no ISR bit */
	CHECK_EQ(1, p.spurious);
	/* A request masked after it was raised: gone at the INTA. */
	pulse(&p, 3);
	wr(&p, VPIC_MASTER_DATA, 0xff);
	CHECK(!vpic_intr(&p));
	CHECK_EQ(MBASE + 7, vpic_intack(&p));
	CHECK_EQ(2, p.spurious);
	CHECK_EQ(BIT(3), irr(&p, VPIC_MASTER_CMD));     /* still latched for later */
}

TEST(vpic_spurious_slave_irq15)
{
	struct vpic p;

	setup_pair(&p, CASCADE | UNMASK(10), 0);
	pulse(&p, 10);
	CHECK(vpic_intr(&p));
	/* The slave's request goes away (masked) after the master latched IR2. */
	wr(&p, VPIC_SLAVE_DATA, 0xff);
	CHECK(vpic_intr(&p));
	CHECK_EQ(SBASE + 7, vpic_intack(&p));
	CHECK_EQ(1, p.spurious);
	/* The master did acknowledge its IR2 (it needs an EOI); the slave has nothing in service. */
	CHECK_EQ(BIT(2), isr(&p, VPIC_MASTER_CMD));
	CHECK_EQ(0, isr(&p, VPIC_SLAVE_CMD));
	CHECK(!vpic_intr(&p));
	wr(&p, VPIC_MASTER_CMD, VPIC_OCW2_NONSPEC_EOI);
	/* Unmasked again: the latched IRQ 10 comes through. */
	wr(&p, VPIC_SLAVE_DATA, (u8)~BIT(2));
	expect_ack(&p, SBASE + 2);
}

TEST(vpic_cascade_without_a_matching_slave)
{
	struct vpic p;

	setup(&p);
	init_pair(&p, 0);
	/* The slave says it is ID 5; the master has it on IR2. */
	wr(&p, VPIC_SLAVE_CMD, VPIC_ICW1 | VPIC_ICW1_IC4);
	wr(&p, VPIC_SLAVE_DATA, SBASE);
	wr(&p, VPIC_SLAVE_DATA, 5);
	wr(&p, VPIC_SLAVE_DATA, VPIC_ICW4_UPM);
	wr(&p, VPIC_MASTER_DATA, (u8)~BIT(2));
	wr(&p, VPIC_SLAVE_DATA, (u8)~BIT(0));
	pulse(&p, 8);
	/* Nobody drives the data bus; the slave's request stays. */
	expect_ack(&p, 0xff);
	CHECK_EQ(0, p.spurious);
	CHECK_EQ(BIT(0), irr(&p, VPIC_SLAVE_CMD));
	/* The master without a slave on IR2 (ICW3 0) answers IR2 itself. */
	wr(&p, VPIC_SLAVE_DATA, 0xff);                  /* the slave's INT low ... */
	wr(&p, VPIC_MASTER_CMD, VPIC_ICW1 | VPIC_ICW1_IC4);
	wr(&p, VPIC_MASTER_DATA, MBASE);
	wr(&p, VPIC_MASTER_DATA, 0);
	wr(&p, VPIC_MASTER_DATA, VPIC_ICW4_UPM);
	wr(&p, VPIC_MASTER_DATA, (u8)~BIT(2));
	CHECK(!vpic_intr(&p));
	wr(&p, VPIC_SLAVE_DATA, (u8)~BIT(0));           /* ... and high again: a new edge on IR2 */
	expect_ack(&p, MBASE + 2);
	CHECK_EQ(BIT(0), irr(&p, VPIC_SLAVE_CMD));
}
