/*
 * tests/fuzz/fuzz_irqchip.c - libFuzzer target for the virtual IOAPIC
 * (avic/vioapic.c) and the two cascaded 8259A PICs (avic/vpic.c).
 *
 * The input is a program of register accesses (MMIO IOREGSEL/IOWIN of any
 * offset and size, direct register index accesses, PIC port reads and
 * writes of any value: ICWs, OCWs), interrupt lines toggling on both, EOI
 * broadcasts, INTA cycles and resets.  After every operation:
 *
 * IOAPIC (82093AA datasheet §3.2.4 "IOREDTBL"):
 *   - Remote IRR only in entries that are level (trigger bit with Fixed or
 *     Lowest Priority, the rule of vioapic.c's header), never for edge;
 *   - every message sent comes from an unmasked, asserted entry, carries
 *     that entry's vector, delivery mode, destination mode, trigger and
 *     destination, never a reserved delivery mode (3, 6); a level message
 *     leaves Remote IRR set; an edge message only for the pin a line
 *     change just raised (at most one per change); an EOI re-sends only
 *     entries with the EOI'd vector;
 *   - no level entry is left asserted, unmasked, with Remote IRR clear
 *     (it would have had to send);
 *   - Delivery Status and the reserved bits 55:17 read 0; the writable bits
 *     hold what the guest last wrote (a shadow copy here); VER reads
 *     00170011h, ID and ARB the 4-bit ID.
 * 8259A (Intel 8259A data sheet, "Fully Nested Mode", "Interrupt
 * Sequence", "Cascade Mode", "End of Interrupt"):
 *   - vpic_intr() is what a priority resolver written here says: an
 *     unmasked request above every in-service level on the master;
 *   - the master's IR2 input is the slave's INT;
 *   - INTA returns the vector the state says (ICW2 | level, the slave's
 *     when the master acknowledges its cascade input, default IR7 when no
 *     request is left, 0xFF when no slave has that ID), moves exactly that
 *     request to ISR (none in AEOI), and never a masked one;
 *   - IMR reads back what OCW1 wrote; a non-specific EOI clears exactly the
 *     highest in-service level, a specific one the named level.
 *
 * Input format: a sequence of operations, one byte each (low 4 bits: the
 * operation, enum op below) followed by its operands; a short input reads
 * zeros past its end.
 */
#include "avic/vioapic.c"
#include "avic/vpic.c"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_NAME "fuzz_irqchip"
#include "tests/fuzz/ref_x86.h"
#include "tests/fuzz/fz_in.h"

#define RTE_WR  ((0xffull << 56) | (0x1ffffull & ~0x5000ull))      /* 63:56, 16:0 without 12 and 14 */

static struct vioapic fz_io;
static u64 fz_shadow[VIOAPIC_PINS];     /* writable bits last written */
static u32 fz_id;
static struct vpic fz_pic;
static u8 fz_imr[2];
static bool fz_imr_known[2];


/* --- IOAPIC --------------------------------------------------------------- */

static bool ref_level(u64 rte)
{
	unsigned dm = (rte >> 8) & 7;

	return (rte & BIT(15)) && (dm == 0 || dm == 1);
}

static bool ref_asserted(unsigned pin)
{
	return !!(fz_io.line & BIT(pin)) != !!(fz_io.redir[pin] & BIT(13));
}

enum io_why { IO_REG, IO_LINE, IO_EOI };

/* Checks after an IOAPIC operation; raised_pin: the pin a line change raised, or -1. */
static void io_check(const struct vioapic_out *out, enum io_why why, int raised_pin, u8 eoi_vec)
{
	unsigned pin, k, edges = 0;

	FZ_CHECK(out->n <= VIOAPIC_PINS, "%u messages", out->n);
	for (k = 0; k < out->n; k++) {
		const struct vioapic_irq *m = &out->irq[k];
		u64 rte;

		FZ_CHECK(m->pin < VIOAPIC_PINS, "message from pin %u", m->pin);
		rte = fz_io.redir[m->pin];
		FZ_CHECK(!(rte & BIT(16)), "pin %u sent while masked (rte 0x%llx)", m->pin,
			 (unsigned long long)rte);
		FZ_CHECK(ref_asserted(m->pin), "pin %u sent while not asserted", m->pin);
		FZ_CHECK(m->vector == (u8)rte && m->delivery_mode == ((rte >> 8) & 7) &&
			 m->logical == !!(rte & BIT(11)) && m->level == ref_level(rte) &&
			 m->dest == (u8)(rte >> 56), "pin %u message differs from rte 0x%llx", m->pin,
			 (unsigned long long)rte);
		FZ_CHECK(m->delivery_mode != 3 && m->delivery_mode != 6, "reserved delivery mode %u sent",
			 m->delivery_mode);
		if (m->level) {
			FZ_CHECK(rte & BIT(14), "level message from pin %u without Remote IRR", m->pin);
		} else {
			edges++;
			FZ_CHECK(why == IO_LINE && (int)m->pin == raised_pin,
				 "edge message from pin %u without a rising edge on it", m->pin);
		}
		if (why == IO_EOI)
			FZ_CHECK(m->vector == eoi_vec, "EOI of 0x%x re-sent vector 0x%x", eoi_vec, m->vector);
	}
	FZ_CHECK(edges <= 1, "%u edge messages for one event", edges);
	for (pin = 0; pin < VIOAPIC_PINS; pin++) {
		u64 rte = fz_io.redir[pin];

		FZ_CHECK(!(rte & BIT(14)) || ref_level(rte), "Remote IRR in edge entry %u (0x%llx)", pin,
			 (unsigned long long)rte);
		FZ_CHECK(!(rte & BIT(12)) && !(rte & GENMASK(55, 17)),
			 "pin %u: delivery status or reserved bits set (0x%llx)", pin, (unsigned long long)rte);
		FZ_CHECK((rte & RTE_WR) == fz_shadow[pin], "pin %u: 0x%llx, written 0x%llx", pin,
			 (unsigned long long)rte, (unsigned long long)fz_shadow[pin]);
		FZ_CHECK(!ref_level(rte) || (rte & (BIT(16) | BIT(14))) || !ref_asserted(pin),
			 "level pin %u asserted, unmasked, Remote IRR clear: not sent", pin);
	}
}

static void io_reg_write(u32 index, u32 val, bool mmio, unsigned size, u32 off)
{
	struct vioapic_out out = { 0 };
	int r;

	if (mmio) {
		r = vioapic_mmio_write(&fz_io, off, size, val, &out);
		if (r != VIOAPIC_OK || off != VIOAPIC_IOWIN) {
			FZ_CHECK(r == VIOAPIC_OK || r == VIOAPIC_NOT_DECODED || r == VIOAPIC_NO_REGISTER,
				 "mmio write: %d", r);
			FZ_CHECK(out.n == 0, "a refused or IOREGSEL write sent %u messages", out.n);
			if (r == VIOAPIC_OK && off == VIOAPIC_IOREGSEL)
				FZ_CHECK(fz_io.ioregsel == (val & 0xff), "IOREGSEL 0x%x after writing 0x%x",
					 fz_io.ioregsel, val);
			io_check(&out, IO_REG, -1, 0);
			return;
		}
		index = fz_io.ioregsel;
	} else {
		r = vioapic_reg_write(&fz_io, index, val, &out);
	}
	if (index >= 0x10 && index < 0x40) {
		unsigned pin = (index - 0x10) / 2;

		FZ_CHECK(r == VIOAPIC_OK, "RTE write: %d", r);
		if (index & 1)
			fz_shadow[pin] = (fz_shadow[pin] & 0xffffffffull) | ((u64)val << 32 & RTE_WR);
		else
			fz_shadow[pin] = (fz_shadow[pin] & ~0xffffffffull) | (val & RTE_WR);
	} else if (index == 0) {
		fz_id = (val >> 24) & 0xf;
	}
	io_check(&out, IO_REG, -1, 0);
}

static void io_reg_read(u32 index, bool mmio, unsigned size, u32 off)
{
	u32 v = 0xdeadbeef, exp;
	int r;

	if (mmio) {
		r = vioapic_mmio_read(&fz_io, off, size, &v);
		if (r != VIOAPIC_OK || off != VIOAPIC_IOWIN) {
			if (r == VIOAPIC_OK)
				FZ_CHECK(v == fz_io.ioregsel && v <= 0xff, "IOREGSEL read 0x%x", v);
			return;
		}
		index = fz_io.ioregsel;
	} else {
		r = vioapic_reg_read(&fz_io, index, &v);
	}
	if (index >= 0x10 && index < 0x40) {
		u64 rte = fz_io.redir[(index - 0x10) / 2];

		exp = (index & 1) ? (u32)(rte >> 32) : (u32)rte;
	} else if (index == 0 || index == 2) {
		exp = fz_id << 24;
	} else if (index == 1) {
		exp = 0x00170011;
	} else {
		FZ_CHECK(r == VIOAPIC_NO_REGISTER && v == 0, "read of no register 0x%x: %d 0x%x", index, r, v);
		return;
	}
	FZ_CHECK(r == VIOAPIC_OK && v == exp, "register 0x%x read 0x%x (%d), expected 0x%x", index, v, r, exp);
}

/* --- 8259A ---------------------------------------------------------------- */

/* The priority resolver, fully nested: -1 or the level to acknowledge. */
static int ref_pic_pending(const struct vpic_chip *c)
{
	u8 req = ((c->icw1 & BIT(3)) ? c->lines : c->irr) & ~c->imr;
	int lv;

	for (lv = 0; lv < 8; lv++) {
		if (c->isr & BIT(lv))
			return -1;      /* this and every lower priority inhibited */
		if (req & BIT(lv))
			return lv;
	}
	return -1;
}

static void pic_check(void)
{
	unsigned i;

	FZ_CHECK(vpic_intr(&fz_pic) == (ref_pic_pending(&fz_pic.chip[0]) >= 0),
		 "INT %d, resolver says %d", vpic_intr(&fz_pic), ref_pic_pending(&fz_pic.chip[0]));
	FZ_CHECK(!!(fz_pic.chip[0].lines & BIT(2)) == (ref_pic_pending(&fz_pic.chip[1]) >= 0),
		 "master IR2 %d, slave INT %d", !!(fz_pic.chip[0].lines & BIT(2)),
		 ref_pic_pending(&fz_pic.chip[1]) >= 0);
	for (i = 0; i < 2; i++) {
		u8 v = 0;

		FZ_CHECK(vpic_read(&fz_pic, i ? VPIC_SLAVE_DATA : VPIC_MASTER_DATA, &v) == VPIC_OK,
			 "IMR read");
		FZ_CHECK(!fz_imr_known[i] || v == fz_imr[i], "chip %u IMR 0x%x, written 0x%x", i, v, fz_imr[i]);
	}
}

static void pic_intack(void)
{
	struct vpic before = fz_pic;
	struct vpic_chip *m = &before.chip[0], *s = &before.chip[1];
	int mi = ref_pic_pending(m), si = -2;
	u8 exp, got;

	if (mi < 0) {
		exp = (m->icw2 & 0xf8) | 7;
	} else if ((m->icw1 & BIT(1)) || !(m->icw3 & BIT(mi))) {
		exp = (m->icw2 & 0xf8) | mi;
	} else if ((s->icw1 & BIT(1)) || (s->icw3 & 7) != mi) {
		exp = 0xff;
	} else {
		si = ref_pic_pending(s);
		exp = (s->icw2 & 0xf8) | (si < 0 ? 7 : si);
	}
	got = vpic_intack(&fz_pic);
	FZ_CHECK(got == exp, "INTA 0x%02x, expected 0x%02x (master level %d, slave level %d)", got, exp, mi, si);
	if (mi >= 0) {
		FZ_CHECK(!(m->imr & BIT(mi)), "acknowledged masked level %d", mi);
		FZ_CHECK(fz_pic.chip[0].isr == (m->isr | ((m->icw4 & BIT(1)) ? 0 : BIT(mi))),
			 "master ISR 0x%x after INTA of %d (was 0x%x)", fz_pic.chip[0].isr, mi, m->isr);
	} else {
		FZ_CHECK(!memcmp(fz_pic.chip, before.chip, sizeof(before.chip)), "default IR7 changed state");
	}
	if (si >= 0)
		FZ_CHECK(fz_pic.chip[1].isr == (s->isr | ((s->icw4 & BIT(1)) ? 0 : BIT(si))),
			 "slave ISR 0x%x after INTA of %d (was 0x%x)", fz_pic.chip[1].isr, si, s->isr);
	else
		FZ_CHECK(fz_pic.chip[1].isr == s->isr, "slave ISR changed without its INTA");
}

static void pic_write(unsigned chip, bool data, u8 val)
{
	struct vpic_chip b = fz_pic.chip[chip];
	u16 port = chip ? (data ? VPIC_SLAVE_DATA : VPIC_SLAVE_CMD) : (data ? VPIC_MASTER_DATA : VPIC_MASTER_CMD);

	FZ_CHECK(vpic_write(&fz_pic, port, val) == VPIC_OK, "port write");
	if (data && !b.init_next) {
		fz_imr[chip] = val;
		fz_imr_known[chip] = true;
	} else if (!data && (val & BIT(4))) {
		fz_imr[chip] = 0;       /* ICW1 clears IMR */
		fz_imr_known[chip] = true;
	} else if (!data && !(val & BIT(3))) {
		unsigned cmd = val >> 5;
		u8 isr = b.isr;

		if (cmd == 1 || cmd == 5)
			isr &= (u8)(isr - 1);   /* the lowest set bit is the highest priority */
		else if (cmd == 3 || cmd == 7)
			isr &= (u8)~BIT(val & 7);
		FZ_CHECK(fz_pic.chip[chip].isr == isr, "OCW2 0x%02x: ISR 0x%x -> 0x%x, expected 0x%x",
			 val, b.isr, fz_pic.chip[chip].isr, isr);
	}
}

/* --- the program ---------------------------------------------------------- */

enum op {
	OP_IO_MMIO_WRITE, OP_IO_MMIO_READ, OP_IO_REG_WRITE, OP_IO_REG_READ, OP_IO_LINE,
	OP_IO_EOI, OP_IO_RTE, OP_PIC_WRITE, OP_PIC_READ, OP_PIC_LINE, OP_PIC_INTA, OP_PIC_INIT,
	OP_IO_RESET, OP_PIC_RESET, OP_COUNT
};

static void io_line(unsigned pin, bool high)
{
	struct vioapic_out out = { 0 };
	bool was = ref_asserted(pin);

	FZ_CHECK(vioapic_set_line(&fz_io, pin, high, &out) == VIOAPIC_OK, "set_line");
	io_check(&out, IO_LINE, !was && ref_asserted(pin) ? (int)pin : -1, 0);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fz_in in = { data, size };
	unsigned ops = 0;

	vioapic_reset(&fz_io);
	memset(fz_shadow, 0, sizeof(fz_shadow));
	for (unsigned i = 0; i < VIOAPIC_PINS; i++)
		fz_shadow[i] = BIT(16);
	fz_id = 0;
	vpic_reset(&fz_pic);
	fz_imr[0] = fz_imr[1] = 0xff;
	fz_imr_known[0] = fz_imr_known[1] = true;
	while (in.n && ops++ < 2048) {
		u8 op = in_u8(&in), a = in_u8(&in);
		unsigned k = (op & 15) % OP_COUNT;

		switch (k) {
		case OP_IO_MMIO_WRITE: {
			static const u32 offs[] = { 0x00, 0x10, 0x04, 0x40, 0x11 };
			static const unsigned sizes[] = { 4, 4, 4, 1, 2, 8 };

			io_reg_write(0, in_u32(&in), true, sizes[(op >> 4) % 6], offs[a % 5]);
			break;
		}
		case OP_IO_MMIO_READ: {
			static const u32 offs[] = { 0x00, 0x10, 0x14, 0x20 };

			io_reg_read(0, true, (op & 0x10) ? 2 : 4, offs[a % 4]);
			break;
		}
		case OP_IO_REG_WRITE:
			io_reg_write(a, in_u32(&in), false, 4, 0);
			break;
		case OP_IO_REG_READ:
			io_reg_read(a, false, 4, 0);
			break;
		case OP_IO_LINE:
			io_line(a % VIOAPIC_PINS, op & 0x10);
			break;
		case OP_IO_EOI: {
			struct vioapic_out out = { 0 };
			u8 vec = (op & 0x10) ? (u8)fz_io.redir[a % VIOAPIC_PINS] : a;

			vioapic_eoi(&fz_io, vec, &out);
			io_check(&out, IO_EOI, -1, vec);
			break;
		}
		case OP_IO_RTE: {
			/* A whole entry in a form that reaches deep states sooner: vector, mode bits. */
			u32 lo = in_u8(&in) | (u32)(op & 0xf0) << 8 | (u32)(in_u8(&in) & 0x1f) << 8;

			io_reg_write(0x10 + 2 * (a % VIOAPIC_PINS), (lo & ~BIT(16)) | ((op & 0x80) ? BIT(16) : 0),
				     false, 4, 0);
			break;
		}
		case OP_PIC_WRITE:
			pic_write(a & 1, a & 2, in_u8(&in));
			break;
		case OP_PIC_READ: {
			u8 v = 0;
			u16 port = (a & 1) ? ((a & 2) ? VPIC_SLAVE_DATA : VPIC_SLAVE_CMD) :
				   ((a & 2) ? VPIC_MASTER_DATA : VPIC_MASTER_CMD);

			FZ_CHECK(vpic_read(&fz_pic, port, &v) == VPIC_OK, "port read");
			if (!(a & 2)) {
				const struct vpic_chip *c = &fz_pic.chip[a & 1];

				FZ_CHECK(v == (c->read_isr ? c->isr : (c->icw1 & BIT(3)) ? c->lines : c->irr),
					 "status read 0x%x", v);
			}
			break;
		}
		case OP_PIC_LINE:
			vpic_set_line(&fz_pic, a % VPIC_IRQS, op & 0x10);
			break;
		case OP_PIC_INTA:
			pic_intack();
			break;
		case OP_PIC_INIT: {
			/* The PC sequence: ICW1 (edge or level), ICW2, ICW3, ICW4 (8086, maybe AEOI), then OCW1. */
			unsigned c = a & 1;

			pic_write(c, false, 0x11 | (op & 0x10 ? 0x08 : 0));
			pic_write(c, true, (a & 0xf8));
			pic_write(c, true, c ? 2 : 4);
			pic_write(c, true, 0x01 | (op & 0x20 ? 0x02 : 0));
			pic_write(c, true, in_u8(&in));
			break;
		}
		case OP_IO_RESET:
			vioapic_reset(&fz_io);
			for (unsigned i = 0; i < VIOAPIC_PINS; i++)
				fz_shadow[i] = BIT(16);
			fz_id = 0;
			break;
		case OP_PIC_RESET:
			vpic_reset(&fz_pic);
			fz_imr[0] = fz_imr[1] = 0xff;
			break;
		default:
			break;
		}
		pic_check();
	}
	return 0;
}
