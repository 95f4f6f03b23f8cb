/*
 * tests/unit/test_vioapic.c - the virtual IOAPIC (avic/vioapic.c).
 *
 * Behaviour under test: the Intel 82093AA I/O APIC register file (datasheet
 * 290566 §3.1 IOREGSEL/IOWIN, §3.2.1-3.2.3 ID/VER/ARB, §3.2.4 the
 * redirection table and its RO bits) and when a pin sends a message: edge
 * entries on a rising edge of the polarity-adjusted line, level entries while
 * asserted with Remote IRR clear, Remote IRR cleared by the local APIC's EOI
 * broadcast and the line re-sampled then (APM Vol 2 §16.6.3 "Accepting System and IPI
 * Interrupts": the EOI message for a TMR-set vector), masking,
 * and the accesses that hit no register.  A failure means a guest would lose
 * an interrupt, get one twice, hang on a stuck Remote IRR, or see registers
 * that differ from the datasheet.
 */
#include <string.h>
#include "avic/vioapic.h"

#include "tests/unit/unit.h"

#define LO(n)   VIOAPIC_REG_REDTBL_LO(n)
#define HI(n)   VIOAPIC_REG_REDTBL_HI(n)
#define MASKED  ((u32)VIOAPIC_RTE_MASK)
#define LEVEL   ((u32)VIOAPIC_RTE_TRIGGER)
#define ALOW    ((u32)VIOAPIC_RTE_INTPOL)
#define LOGICAL ((u32)VIOAPIC_RTE_DESTMOD)
#define RIRR    ((u32)VIOAPIC_RTE_REMOTE_IRR)
#define DM(m)   ((u32)(m) << VIOAPIC_RTE_DELMOD_SHIFT)

static void setup(struct vioapic *io)
{
	memset(io, 0xcc, sizeof(*io));  /* reset must set every field */
	vioapic_reset(io);
}

static void clear(struct vioapic_out *out)
{
	memset(out, 0xee, sizeof(*out));
	out->n = 0;
}

/* Indirect register access the way a guest does it: IOREGSEL, then IOWIN. */
static void reg_wr(struct vioapic *io, u32 index, u32 val, struct vioapic_out *out)
{
	CHECK_EQ(VIOAPIC_OK, vioapic_mmio_write(io, VIOAPIC_IOREGSEL, 4, index, out));
	CHECK_EQ(VIOAPIC_OK, vioapic_mmio_write(io, VIOAPIC_IOWIN, 4, val, out));
}

static u32 reg_rd(struct vioapic *io, u32 index)
{
	u32 v = 0xdeadbeef;

	CHECK_EQ(VIOAPIC_OK, vioapic_mmio_write(io, VIOAPIC_IOREGSEL, 4, index, NULL));
	CHECK_EQ(VIOAPIC_OK, vioapic_mmio_read(io, VIOAPIC_IOWIN, 4, &v));
	return v;
}

/* Program an entry (destination first, then the low half, as OSes do); expect no message. */
static void program(struct vioapic *io, unsigned pin, u32 lo, u8 dest)
{
	struct vioapic_out out;

	clear(&out);
	reg_wr(io, HI(pin), (u32)dest << 24, &out);
	reg_wr(io, LO(pin), lo, &out);
	CHECK_EQ(0, out.n);
}

static void line(struct vioapic *io, unsigned pin, bool high, struct vioapic_out *out)
{
	clear(out);
	CHECK_EQ(VIOAPIC_OK, vioapic_set_line(io, pin, high, out));
}

static void eoi(struct vioapic *io, u8 vector, struct vioapic_out *out)
{
	clear(out);
	vioapic_eoi(io, vector, out);
}

/* Exactly one message, from pin, with vector and trigger. */
static void expect_one(const struct vioapic_out *out, unsigned pin, u8 vector, bool level)
{
	CHECK_EQ(1, out->n);
	CHECK_EQ(pin, out->irq[0].pin);
	CHECK_EQ(vector, out->irq[0].vector);
	CHECK_EQ(level, out->irq[0].level);
}

static bool remote_irr(struct vioapic *io, unsigned pin)
{
	return reg_rd(io, LO(pin)) & RIRR;
}

/* ---- registers ------------------------------------------------------------- */

TEST(vioapic_reset_state)
{
	struct vioapic io;
	unsigned pin;

	setup(&io);
	CHECK_EQ(0, io.id);
	CHECK_EQ(0, io.line);
	CHECK_EQ(0, io.ioregsel);
	CHECK_EQ(0, io.drops_reserved_mode);
	CHECK_EQ(0, io.drops_out_full);
	for (pin = 0; pin < VIOAPIC_PINS; pin++) {
		CHECK_EQ(0x00010000, reg_rd(&io, LO(pin)));
		CHECK_EQ(0, reg_rd(&io, HI(pin)));
		CHECK_EQ(VIOAPIC_RTE_MASK, io.redir[pin]);
	}
	CHECK_EQ(0, reg_rd(&io, VIOAPIC_REG_ID));
	CHECK_EQ(0, reg_rd(&io, VIOAPIC_REG_ARB));
}

TEST(vioapic_version_register)
{
	struct vioapic io;

	setup(&io);
	/* 82093AA §3.2.2: version 11h, maximum redirection entry 17h (23). */
	CHECK_EQ(0x00170011, reg_rd(&io, VIOAPIC_REG_VER));
	reg_wr(&io, VIOAPIC_REG_VER, 0xffffffff, NULL);       /* RO, still OK */
	CHECK_EQ(0x00170011, reg_rd(&io, VIOAPIC_REG_VER));
}

TEST(vioapic_id_and_arb_registers)
{
	struct vioapic io;

	setup(&io);
	reg_wr(&io, VIOAPIC_REG_ID, 0xffffffff, NULL);        /* only 27:24 stick */
	CHECK_EQ(0x0f000000, reg_rd(&io, VIOAPIC_REG_ID));
	CHECK_EQ(0xf, io.id);
	CHECK_EQ(0x0f000000, reg_rd(&io, VIOAPIC_REG_ARB));   /* loaded from ID */
	reg_wr(&io, VIOAPIC_REG_ID, 0x02000000, NULL);
	CHECK_EQ(0x02000000, reg_rd(&io, VIOAPIC_REG_ID));
	CHECK_EQ(0x02000000, reg_rd(&io, VIOAPIC_REG_ARB));
	reg_wr(&io, VIOAPIC_REG_ARB, 0x05000000, NULL);       /* RO */
	CHECK_EQ(0x02000000, reg_rd(&io, VIOAPIC_REG_ARB));
	CHECK_EQ(0x02000000, reg_rd(&io, VIOAPIC_REG_ID));
}

TEST(vioapic_ioregsel_iowin_protocol)
{
	struct vioapic io;
	u32 v = 0;

	setup(&io);
	/* IOREGSEL keeps bits 7:0 only (§3.1.1: 31:8 reserved). */
	CHECK_EQ(VIOAPIC_OK, vioapic_mmio_write(&io, VIOAPIC_IOREGSEL, 4, 0xabcd0113, NULL));
	CHECK_EQ(VIOAPIC_OK, vioapic_mmio_read(&io, VIOAPIC_IOREGSEL, 4, &v));
	CHECK_EQ(0x13, v);
	/* IOWIN reaches the selected register: 0x13 = pin 1, high half. */
	CHECK_EQ(VIOAPIC_OK, vioapic_mmio_write(&io, VIOAPIC_IOWIN, 4, 0x5a000000, NULL));
	CHECK_EQ(0x5a00000000010000ULL, io.redir[1]);
	CHECK_EQ(VIOAPIC_RTE_MASK, io.redir[0]);
	CHECK_EQ(VIOAPIC_OK, vioapic_mmio_read(&io, VIOAPIC_IOWIN, 4, &v));
	CHECK_EQ(0x5a000000, v);
	/* IOREGSEL is not changed by IOWIN accesses; reselecting switches registers. */
	CHECK_EQ(0x13, io.ioregsel);
	CHECK_EQ(VIOAPIC_OK, vioapic_mmio_write(&io, VIOAPIC_IOREGSEL, 4, VIOAPIC_REG_VER, NULL));
	CHECK_EQ(VIOAPIC_OK, vioapic_mmio_read(&io, VIOAPIC_IOWIN, 4, &v));
	CHECK_EQ(0x00170011, v);
	/* The last entry, 3E-3Fh (§3.2.4). */
	reg_wr(&io, 0x3f, 0xc3000000, NULL);
	reg_wr(&io, 0x3e, 0x00010031, NULL);
	CHECK_EQ(0xc300000000010031ULL, io.redir[23]);
}

TEST(vioapic_ioregsel_byte_access)
{
	struct vioapic io;
	u32 v = 0xdeadbeef;

	setup(&io);
	/* §3.0: "a byte memory write ... loads the IOREGSEL Register". */
	CHECK_EQ(VIOAPIC_OK, vioapic_mmio_write(&io, VIOAPIC_IOREGSEL, 1, 0x101, NULL));
	CHECK_EQ(VIOAPIC_REG_VER, io.ioregsel);
	CHECK_EQ(VIOAPIC_OK, vioapic_mmio_read(&io, VIOAPIC_IOREGSEL, 1, &v));
	CHECK_EQ(VIOAPIC_REG_VER, v);
	CHECK_EQ(VIOAPIC_OK, vioapic_mmio_read(&io, VIOAPIC_IOWIN, 4, &v));
	CHECK_EQ(0x00170011, v);
}

TEST(vioapic_redir_writable_and_reserved_bits)
{
	struct vioapic io;

	setup(&io);
	reg_wr(&io, LO(5), 0xffffffff, NULL);
	/* 7:0, 10:8, 11, 13, 15, 16 stick; 12 and 14 are RO (0); 31:17 reserved. */
	CHECK_EQ(0x0001afff, reg_rd(&io, LO(5)));
	reg_wr(&io, HI(5), 0xffffffff, NULL);
	CHECK_EQ(0xff000000, reg_rd(&io, HI(5)));     /* 55:32 reserved */
	CHECK_EQ(0xff0000000001afffULL, io.redir[5]);
	reg_wr(&io, LO(5), 0, NULL);
	CHECK_EQ(0, reg_rd(&io, LO(5)));
	CHECK_EQ(0xff000000, reg_rd(&io, HI(5)));     /* halves are independent */
	reg_wr(&io, HI(5), 0, NULL);
	CHECK_EQ(0, io.redir[5]);
	CHECK_EQ(VIOAPIC_RTE_MASK, io.redir[4]);
	CHECK_EQ(VIOAPIC_RTE_MASK, io.redir[6]);
}

TEST(vioapic_ro_bits_ignore_writes)
{
	struct vioapic io;
	struct vioapic_out out;

	setup(&io);
	program(&io, 2, LEVEL | 0x40, 0);
	line(&io, 2, true, &out);
	expect_one(&out, 2, 0x40, true);
	CHECK_EQ(LEVEL | RIRR | 0x40, reg_rd(&io, LO(2)));
	/* Writing 0 to Remote IRR and 1 to Delivery Status changes neither. */
	clear(&out);
	reg_wr(&io, LO(2), LEVEL | VIOAPIC_RTE_DELIVS | 0x40, &out);
	CHECK_EQ(0, out.n);
	CHECK_EQ(LEVEL | RIRR | 0x40, reg_rd(&io, LO(2)));
	/* Nor does a write of the high half. */
	reg_wr(&io, HI(2), 0x07000000, &out);
	CHECK_EQ(0, out.n);
	CHECK(remote_irr(&io, 2));
	/* Setting Remote IRR by a write does not work either. */
	reg_wr(&io, LO(3), LEVEL | RIRR | VIOAPIC_RTE_DELIVS | MASKED | 0x41, &out);
	CHECK_EQ(LEVEL | MASKED | 0x41, reg_rd(&io, LO(3)));
}

TEST(vioapic_unknown_register_index)
{
	static const u32 idx[] = { 0x03, 0x04, 0x0f, 0x40, 0x41, 0x80, 0xfe, 0xff };
	struct vioapic io, before;
	struct vioapic_out out;
	unsigned i;
	u32 v;

	setup(&io);
	program(&io, 0, 0x30, 1);
	for (i = 0; i < ARRAY_SIZE(idx); i++) {
		CHECK_EQ(VIOAPIC_OK, vioapic_mmio_write(&io, VIOAPIC_IOREGSEL, 4, idx[i], NULL));
		v = 0xdeadbeef;
		CHECK_EQ(VIOAPIC_NO_REGISTER, vioapic_mmio_read(&io, VIOAPIC_IOWIN, 4, &v));
		CHECK_EQ(0, v);
		before = io;
		clear(&out);
		CHECK_EQ(VIOAPIC_NO_REGISTER,
			 vioapic_mmio_write(&io, VIOAPIC_IOWIN, 4, 0xffffffff, &out));
		CHECK_EQ(0, out.n);
		CHECK(memcmp(&before, &io, sizeof(io)) == 0);
	}
}

TEST(vioapic_bad_mmio_offsets)
{
	static const u32 offs[] = { 0x01, 0x02, 0x04, 0x08, 0x0c, 0x11, 0x14, 0x18, 0x20,
				    VIOAPIC_EOIR, 0x100, 0xffc, 0x1000, 0xfffffff0 };
	struct vioapic io, before;
	struct vioapic_out out;
	unsigned i;
	u32 v;

	setup(&io);
	program(&io, 0, 0x30, 1);
	CHECK_EQ(VIOAPIC_OK, vioapic_mmio_write(&io, VIOAPIC_IOREGSEL, 4, LO(0), NULL));
	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		v = 0xdeadbeef;
		CHECK_EQ(VIOAPIC_NOT_DECODED, vioapic_mmio_read(&io, offs[i], 4, &v));
		CHECK_EQ(0, v);
		before = io;
		clear(&out);
		CHECK_EQ(VIOAPIC_NOT_DECODED, vioapic_mmio_write(&io, offs[i], 4, 0xffffffff, &out));
		CHECK_EQ(0, out.n);
		CHECK(memcmp(&before, &io, sizeof(io)) == 0);
	}
	CHECK_EQ(0x30, reg_rd(&io, LO(0)));
}

TEST(vioapic_bad_mmio_sizes)
{
	static const struct { u32 off; unsigned size; } acc[] = {
		{ VIOAPIC_IOREGSEL, 0 }, { VIOAPIC_IOREGSEL, 2 }, { VIOAPIC_IOREGSEL, 3 },
		{ VIOAPIC_IOREGSEL, 8 }, { VIOAPIC_IOWIN, 0 }, { VIOAPIC_IOWIN, 1 },
		{ VIOAPIC_IOWIN, 2 }, { VIOAPIC_IOWIN, 8 }, { VIOAPIC_IOWIN, 16 },
	};
	struct vioapic io, before;
	struct vioapic_out out;
	unsigned i;
	u32 v;

	setup(&io);
	program(&io, 0, 0x30, 1);
	CHECK_EQ(VIOAPIC_OK, vioapic_mmio_write(&io, VIOAPIC_IOREGSEL, 4, LO(0), NULL));
	for (i = 0; i < ARRAY_SIZE(acc); i++) {
		v = 0xdeadbeef;
		CHECK_EQ(VIOAPIC_NOT_DECODED, vioapic_mmio_read(&io, acc[i].off, acc[i].size, &v));
		CHECK_EQ(0, v);
		before = io;
		clear(&out);
		CHECK_EQ(VIOAPIC_NOT_DECODED,
			 vioapic_mmio_write(&io, acc[i].off, acc[i].size, 0xffffffff, &out));
		CHECK_EQ(0, out.n);
		CHECK(memcmp(&before, &io, sizeof(io)) == 0);
	}
	CHECK_EQ(-VIOAPIC_EINVAL, vioapic_mmio_read(&io, VIOAPIC_IOWIN, 4, NULL));
	CHECK_EQ(-VIOAPIC_EINVAL, vioapic_reg_read(&io, VIOAPIC_REG_VER, NULL));
}

TEST(vioapic_eoi_register_not_offered)
{
	struct vioapic io;
	struct vioapic_out out;

	setup(&io);
	program(&io, 9, LEVEL | 0x59, 0);
	line(&io, 9, true, &out);
	expect_one(&out, 9, 0x59, true);
	/* Version 0x11: a write of the vector to +0x40 is not an EOI. */
	clear(&out);
	CHECK_EQ(VIOAPIC_NOT_DECODED, vioapic_mmio_write(&io, VIOAPIC_EOIR, 4, 0x59, &out));
	CHECK_EQ(0, out.n);
	CHECK(remote_irr(&io, 9));
	eoi(&io, 0x59, &out);           /* the local APIC broadcast is */
	expect_one(&out, 9, 0x59, true);
}

/* ---- edge-triggered pins --------------------------------------------------- */

TEST(vioapic_edge_fires_on_rising_edge_only)
{
	struct vioapic io;
	struct vioapic_out out;

	setup(&io);
	program(&io, 4, 0x34, 0);
	line(&io, 4, true, &out);
	expect_one(&out, 4, 0x34, false);
	CHECK(!remote_irr(&io, 4));     /* edge never sets Remote IRR */
	line(&io, 4, true, &out);       /* still high: no edge */
	CHECK_EQ(0, out.n);
	line(&io, 4, false, &out);      /* falling edge */
	CHECK_EQ(0, out.n);
	line(&io, 4, false, &out);
	CHECK_EQ(0, out.n);
	line(&io, 4, true, &out);
	expect_one(&out, 4, 0x34, false);
	eoi(&io, 0x34, &out);           /* an EOI means nothing to an edge entry */
	CHECK_EQ(0, out.n);
}

TEST(vioapic_message_fields)
{
	struct vioapic io;
	struct vioapic_out out;

	setup(&io);
	program(&io, 7, LOGICAL | DM(VIOAPIC_DM_LOWEST) | 0xa7, 0x0c);
	line(&io, 7, true, &out);
	CHECK_EQ(1, out.n);
	CHECK_EQ(0xa7, out.irq[0].vector);
	CHECK_EQ(VIOAPIC_DM_LOWEST, out.irq[0].delivery_mode);
	CHECK(out.irq[0].logical);
	CHECK(!out.irq[0].level);
	CHECK_EQ(0x0c, out.irq[0].dest);
	CHECK_EQ(7, out.irq[0].pin);
	/* Physical, fixed, level; all 8 destination bits are passed. */
	program(&io, 8, LEVEL | 0xb8, 0xf3);
	line(&io, 8, true, &out);
	CHECK_EQ(1, out.n);
	CHECK_EQ(0xb8, out.irq[0].vector);
	CHECK_EQ(VIOAPIC_DM_FIXED, out.irq[0].delivery_mode);
	CHECK(!out.irq[0].logical);
	CHECK(out.irq[0].level);
	CHECK_EQ(0xf3, out.irq[0].dest);
	CHECK_EQ(8, out.irq[0].pin);
}

TEST(vioapic_every_pin_routes_to_its_entry)
{
	struct vioapic io;
	struct vioapic_out out;
	unsigned pin;

	setup(&io);
	for (pin = 0; pin < VIOAPIC_PINS; pin++)
		program(&io, pin, 0x20 + pin, (u8)pin);
	for (pin = 0; pin < VIOAPIC_PINS; pin++) {
		line(&io, pin, true, &out);
		expect_one(&out, pin, 0x20 + pin, false);
		CHECK_EQ(pin, out.irq[0].dest);
		CHECK_EQ((1ULL << (pin + 1)) - 1, io.line);
	}
}

TEST(vioapic_edge_masked_is_lost)
{
	struct vioapic io;
	struct vioapic_out out;

	setup(&io);
	program(&io, 3, MASKED | 0x33, 0);
	line(&io, 3, true, &out);
	CHECK_EQ(0, out.n);
	/* Unmasking while the line is still high does not replay the edge. */
	clear(&out);
	reg_wr(&io, LO(3), 0x33, &out);
	CHECK_EQ(0, out.n);
	line(&io, 3, false, &out);
	CHECK_EQ(0, out.n);
	line(&io, 3, true, &out);
	expect_one(&out, 3, 0x33, false);
	/* Masked again: a full pulse is dropped, not held pending. */
	reg_wr(&io, LO(3), MASKED | 0x33, &out);
	line(&io, 3, false, &out);
	line(&io, 3, true, &out);
	CHECK_EQ(0, out.n);
	reg_wr(&io, LO(3), 0x33, &out);
	CHECK_EQ(0, out.n);
}

TEST(vioapic_edge_active_low)
{
	struct vioapic io;
	struct vioapic_out out;

	setup(&io);
	/* The pin is low after reset, i.e. already asserted for active low: no edge. */
	program(&io, 6, ALOW | 0x36, 0);
	CHECK(vioapic_pin_asserted(&io, 6));
	line(&io, 6, true, &out);       /* deassert */
	CHECK_EQ(0, out.n);
	CHECK(!vioapic_pin_asserted(&io, 6));
	line(&io, 6, false, &out);      /* falling pin = rising assertion */
	expect_one(&out, 6, 0x36, false);
	line(&io, 6, false, &out);
	CHECK_EQ(0, out.n);
}

TEST(vioapic_edge_polarity_change_is_not_an_edge)
{
	struct vioapic io;
	struct vioapic_out out;

	setup(&io);
	program(&io, 10, 0x3a, 0);
	line(&io, 10, false, &out);
	/* Pin low: switching to active low asserts the input, but sends nothing. */
	clear(&out);
	reg_wr(&io, LO(10), ALOW | 0x3a, &out);
	CHECK_EQ(0, out.n);
	CHECK(vioapic_pin_asserted(&io, 10));
	/* The next change of the pin is judged with the new polarity. */
	line(&io, 10, true, &out);
	CHECK_EQ(0, out.n);
	line(&io, 10, false, &out);
	expect_one(&out, 10, 0x3a, false);
	clear(&out);
	reg_wr(&io, LO(10), 0x3a, &out);        /* back to active high: deasserted */
	CHECK_EQ(0, out.n);
	line(&io, 10, true, &out);
	expect_one(&out, 10, 0x3a, false);
}

/* ---- level-triggered pins -------------------------------------------------- */

TEST(vioapic_level_redelivered_after_eoi_while_asserted)
{
	struct vioapic io;
	struct vioapic_out out;

	setup(&io);
	program(&io, 11, LEVEL | 0x4b, 1);
	line(&io, 11, true, &out);
	expect_one(&out, 11, 0x4b, true);
	CHECK(remote_irr(&io, 11));
	line(&io, 11, true, &out);      /* still asserted, waiting for the EOI */
	CHECK_EQ(0, out.n);
	eoi(&io, 0x4c, &out);           /* another vector: no effect */
	CHECK_EQ(0, out.n);
	CHECK(remote_irr(&io, 11));
	eoi(&io, 0x4b, &out);           /* still asserted: sent again at once */
	expect_one(&out, 11, 0x4b, true);
	CHECK(remote_irr(&io, 11));
	eoi(&io, 0x4b, &out);
	expect_one(&out, 11, 0x4b, true);
}

TEST(vioapic_level_no_redelivery_after_deassert)
{
	struct vioapic io;
	struct vioapic_out out;

	setup(&io);
	program(&io, 12, LEVEL | 0x4c, 0);
	line(&io, 12, true, &out);
	expect_one(&out, 12, 0x4c, true);
	line(&io, 12, false, &out);
	CHECK_EQ(0, out.n);
	CHECK(remote_irr(&io, 12));     /* only the EOI clears it */
	eoi(&io, 0x4c, &out);
	CHECK_EQ(0, out.n);
	CHECK(!remote_irr(&io, 12));
	eoi(&io, 0x4c, &out);           /* a stray EOI: nothing */
	CHECK_EQ(0, out.n);
	line(&io, 12, true, &out);      /* a new assertion is delivered */
	expect_one(&out, 12, 0x4c, true);
}

TEST(vioapic_level_reasserted_before_eoi)
{
	struct vioapic io;
	struct vioapic_out out;

	setup(&io);
	program(&io, 13, LEVEL | 0x4d, 0);
	line(&io, 13, true, &out);
	expect_one(&out, 13, 0x4d, true);
	line(&io, 13, false, &out);
	line(&io, 13, true, &out);      /* Remote IRR still set: held */
	CHECK_EQ(0, out.n);
	eoi(&io, 0x4d, &out);
	expect_one(&out, 13, 0x4d, true);
}

TEST(vioapic_level_masked_then_unmasked)
{
	struct vioapic io;
	struct vioapic_out out;

	setup(&io);
	program(&io, 14, MASKED | LEVEL | 0x4e, 0);
	line(&io, 14, true, &out);
	CHECK_EQ(0, out.n);
	CHECK(!remote_irr(&io, 14));
	/* Unmasked while asserted: delivered by the write. */
	clear(&out);
	reg_wr(&io, LO(14), LEVEL | 0x4e, &out);
	expect_one(&out, 14, 0x4e, true);
	/* Masked while waiting: the EOI still clears Remote IRR, nothing is sent. */
	clear(&out);
	reg_wr(&io, LO(14), MASKED | LEVEL | 0x4e, &out);
	CHECK_EQ(0, out.n);
	CHECK(remote_irr(&io, 14));
	eoi(&io, 0x4e, &out);
	CHECK_EQ(0, out.n);
	CHECK(!remote_irr(&io, 14));
	clear(&out);
	reg_wr(&io, LO(14), LEVEL | 0x4e, &out);
	expect_one(&out, 14, 0x4e, true);
	/* Unmasking after the line dropped sends nothing. */
	reg_wr(&io, LO(14), MASKED | LEVEL | 0x4e, &out);
	eoi(&io, 0x4e, &out);
	line(&io, 14, false, &out);
	clear(&out);
	reg_wr(&io, LO(14), LEVEL | 0x4e, &out);
	CHECK_EQ(0, out.n);
}

TEST(vioapic_level_polarity)
{
	struct vioapic io;
	struct vioapic_out out;

	setup(&io);
	/* Active low, pin driven high first: idle. */
	program(&io, 15, MASKED | ALOW | LEVEL | 0x4f, 0);
	line(&io, 15, true, &out);
	clear(&out);
	reg_wr(&io, LO(15), ALOW | LEVEL | 0x4f, &out);
	CHECK_EQ(0, out.n);
	line(&io, 15, false, &out);     /* pulled low: asserted */
	expect_one(&out, 15, 0x4f, true);
	line(&io, 15, true, &out);
	eoi(&io, 0x4f, &out);
	CHECK_EQ(0, out.n);
	/* Flipping polarity so that the high pin counts as asserted delivers. */
	clear(&out);
	reg_wr(&io, LO(15), LEVEL | 0x4f, &out);
	expect_one(&out, 15, 0x4f, true);
	/* Flipping back deasserts it; the EOI then finds nothing to resend. */
	clear(&out);
	reg_wr(&io, LO(15), ALOW | LEVEL | 0x4f, &out);
	CHECK_EQ(0, out.n);
	CHECK(remote_irr(&io, 15));
	eoi(&io, 0x4f, &out);
	CHECK_EQ(0, out.n);
}

TEST(vioapic_level_to_edge_clears_remote_irr)
{
	struct vioapic io;
	struct vioapic_out out;

	setup(&io);
	program(&io, 16, LEVEL | 0x50, 0);
	line(&io, 16, true, &out);
	expect_one(&out, 16, 0x50, true);
	/* Linux's unstick sequence for version < 0x20: mask+edge, then unmask+level. */
	clear(&out);
	reg_wr(&io, LO(16), MASKED | 0x50, &out);
	CHECK_EQ(0, out.n);
	CHECK(!remote_irr(&io, 16));
	reg_wr(&io, LO(16), LEVEL | 0x50, &out);
	expect_one(&out, 16, 0x50, true);       /* still asserted */
	CHECK(remote_irr(&io, 16));
}

TEST(vioapic_edge_to_level_while_asserted)
{
	struct vioapic io;
	struct vioapic_out out;

	setup(&io);
	program(&io, 17, 0x51, 0);
	line(&io, 17, true, &out);
	expect_one(&out, 17, 0x51, false);
	clear(&out);
	reg_wr(&io, LO(17), LEVEL | 0x51, &out);
	expect_one(&out, 17, 0x51, true);
	/* Level -> edge while asserted: no message, Remote IRR gone. */
	clear(&out);
	reg_wr(&io, LO(17), 0x51, &out);
	CHECK_EQ(0, out.n);
	CHECK(!remote_irr(&io, 17));
	line(&io, 17, true, &out);
	CHECK_EQ(0, out.n);
}

TEST(vioapic_eoi_clears_every_pin_with_the_vector)
{
	struct vioapic io;
	struct vioapic_out out;

	setup(&io);
	program(&io, 18, LEVEL | 0x60, 0);
	program(&io, 20, LEVEL | 0x60, 0);
	program(&io, 19, LEVEL | 0x61, 0);
	line(&io, 18, true, &out);
	line(&io, 19, true, &out);
	line(&io, 20, true, &out);
	line(&io, 18, false, &out);
	eoi(&io, 0x60, &out);
	expect_one(&out, 20, 0x60, true);       /* 18 dropped its line */
	CHECK(!remote_irr(&io, 18));
	CHECK(remote_irr(&io, 19));             /* other vector untouched */
	CHECK(remote_irr(&io, 20));
}

TEST(vioapic_eoi_many_pins_fit_in_out)
{
	struct vioapic io;
	struct vioapic_out out;
	unsigned pin;

	setup(&io);
	for (pin = 0; pin < VIOAPIC_PINS; pin++) {
		program(&io, pin, LEVEL | 0x70, 0);
		line(&io, pin, true, &out);
		expect_one(&out, pin, 0x70, true);
	}
	eoi(&io, 0x70, &out);
	CHECK_EQ(VIOAPIC_PINS, out.n);
	for (pin = 0; pin < VIOAPIC_PINS; pin++)
		CHECK_EQ(pin, out.irq[pin].pin);
	CHECK_EQ(0, io.drops_out_full);
}

/* ---- delivery modes, bad arguments ---------------------------------------- */

TEST(vioapic_non_fixed_modes_are_edge)
{
	static const u8 modes[] = { VIOAPIC_DM_SMI, VIOAPIC_DM_NMI, VIOAPIC_DM_INIT,
				    VIOAPIC_DM_EXTINT };
	struct vioapic io;
	struct vioapic_out out;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		setup(&io);
		/* Programmed level; sent as edge and never waits for an EOI. */
		program(&io, 1, LEVEL | DM(modes[i]), 0);
		line(&io, 1, true, &out);
		expect_one(&out, 1, 0, false);
		CHECK_EQ(modes[i], out.irq[0].delivery_mode);
		CHECK(!remote_irr(&io, 1));
		line(&io, 1, true, &out);
		CHECK_EQ(0, out.n);
		line(&io, 1, false, &out);
		line(&io, 1, true, &out);
		expect_one(&out, 1, 0, false);
	}
	/* A level Fixed entry switched to NMI loses its Remote IRR. */
	setup(&io);
	program(&io, 2, LEVEL | 0x40, 0);
	line(&io, 2, true, &out);
	expect_one(&out, 2, 0x40, true);
	reg_wr(&io, LO(2), LEVEL | DM(VIOAPIC_DM_NMI), &out);
	CHECK(!remote_irr(&io, 2));
}

TEST(vioapic_reserved_delivery_modes_send_nothing)
{
	struct vioapic io;
	struct vioapic_out out;

	setup(&io);
	program(&io, 0, DM(3) | 0x40, 0);
	program(&io, 1, LEVEL | DM(6) | 0x41, 0);
	line(&io, 0, true, &out);
	CHECK_EQ(0, out.n);
	line(&io, 1, true, &out);
	CHECK_EQ(0, out.n);
	CHECK(!remote_irr(&io, 1));
	CHECK_EQ(2, io.drops_reserved_mode);
	/* Reprogrammed to Fixed level while asserted: delivered. */
	clear(&out);
	reg_wr(&io, LO(1), LEVEL | 0x41, &out);
	expect_one(&out, 1, 0x41, true);
}

TEST(vioapic_out_of_range_pins)
{
	static const unsigned pins[] = { VIOAPIC_PINS, 31, 32, 33, 1000, ~0u };
	struct vioapic io;
	struct vioapic_out out;
	unsigned i;

	setup(&io);
	for (i = 0; i < VIOAPIC_PINS; i++)
		program(&io, i, 0x80, 0);
	for (i = 0; i < ARRAY_SIZE(pins); i++) {
		clear(&out);
		CHECK_EQ(-VIOAPIC_EINVAL, vioapic_set_line(&io, pins[i], true, &out));
		CHECK_EQ(0, out.n);
		CHECK_EQ(0, io.line);
		CHECK(!vioapic_pin_asserted(&io, pins[i]));
	}
	CHECK_EQ(VIOAPIC_OK, vioapic_set_line(&io, VIOAPIC_PINS - 1, true, &out));
	CHECK_EQ(1, out.n);
}

TEST(vioapic_full_out_is_counted_and_level_retried)
{
	struct vioapic io;
	struct vioapic_out out;

	setup(&io);
	program(&io, 5, LEVEL | 0x45, 0);
	clear(&out);
	out.n = VIOAPIC_PINS;           /* a caller that forgot to zero n */
	CHECK_EQ(VIOAPIC_OK, vioapic_set_line(&io, 5, true, &out));
	CHECK_EQ(VIOAPIC_PINS, out.n);
	CHECK_EQ(1, io.drops_out_full);
	CHECK(!remote_irr(&io, 5));     /* not sent, so not waiting for an EOI */
	CHECK_EQ(VIOAPIC_OK, vioapic_set_line(&io, 5, true, NULL));
	CHECK_EQ(2, io.drops_out_full);
	line(&io, 5, true, &out);       /* the next sample sends it */
	expect_one(&out, 5, 0x45, true);
}
