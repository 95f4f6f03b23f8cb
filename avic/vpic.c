/*
 * avic/vpic.c - two cascaded 8259A PICs: the initialization sequence, the
 * operation commands, the priority resolver, the INT output and the
 * interrupt acknowledge.  Pure: the state is struct vpic; no I/O, no
 * hypervisor structures, no locking (see vpic.h).
 *
 * Hardware: Intel 8259A data sheet (1988), sections "Functional
 * Description" (IRR, ISR, IMR, priority resolver), "Interrupt Sequence"
 * (8086 mode), "Initialization Command Words (ICWs)", "Operation Command
 * Words (OCWs)", "Fully Nested Mode", "End of Interrupt (EOI)", "Automatic
 * End of Interrupt (AEOI) Mode", "Reading the 8259A Status", "Edge and
 * Level Triggered Modes" and "Cascade Mode".
 *
 * The rules, in one place:
 *
 *  - A rising edge on an input sets its IRR bit ("Interrupt Sequence",
 *    step 1), masked or not: "The IMR operates on the IRR" and the IRR is
 *    "not affected by IMR" ("Reading the 8259A Status"), so a request that
 *    came while masked is delivered once it is unmasked.  In level mode
 *    (ICW1 LTIM) the request is the input's level itself.
 *  - Fully nested priority, IR0 highest.  INT is high while an unmasked
 *    request has a higher priority than every in-service level: "While the
 *    IS bit is set, all further interrupts of the same or lower priority
 *    are inhibited" ("Fully Nested Mode").
 *  - INTA: the highest request goes IRR -> ISR (not into ISR in AEOI mode)
 *    and the vector is ICW2 T7-T3 | the level ("Interrupt Sequence
 *    Outputs", 8086 mode).  With no request left at that moment the chip
 *    answers "an interrupt level 7" without setting ISR: the default IR7
 *    ("Interrupt Sequence"; spurious IRQ 7, or 15 from the slave).
 *  - Non-specific EOI clears the highest in-service level, specific EOI
 *    the named one ("End of Interrupt (EOI)"); a slave's interrupt is in
 *    service on both chips, and "the EOI must be issued twice if in the
 *    Cascade mode, once for the master and once for the corresponding
 *    slave".
 *  - Cascade: the slave's INT drives the master's IR2 like any other
 *    input, and the master's INTA of a slave input (ICW3) lets the slave
 *    whose ID (its ICW3) matches give the vector ("Cascade Mode").  A
 *    master request latched from the slave whose slave request went away
 *    before the INTA (masked meanwhile) gets the slave's default IR7.
 *  - Reset (power-up) state: every input masked, so that a PIC nobody has
 *    programmed never interrupts.  The data sheet defines only what ICW1
 *    does, which is to clear IMR: an OS masks after initializing.
 *
 * Not implemented, on purpose (a PC OS that takes the PIC through LINT0
 * needs none of them; each is counted in vpic->unsupported where a guest
 * asks for it and otherwise behaves as stated):
 *  - Priority rotation (OCW2 R = 1, "Automatic Rotation", "Specific
 *    Rotation"): rotate-on-EOI commands do their EOI part only, set
 *    priority and rotate-in-AEOI are ignored: IR0 stays the highest.
 *  - Special mask mode and the poll command (OCW3 SMM, P): ignored; a
 *    status read after a poll command returns IRR or ISR as selected.
 *  - Special fully nested mode, buffered mode (ICW4 SFNM, BUF, M/S), the
 *    MCS-80/85 mode (ICW4 uPM = 0, ICW1 ADI, or no ICW4): INTA answers as
 *    in the 8086 mode whatever ICW4 says.
 *  - Edge mode: "the IR inputs must remain high until after the falling
 *    edge of the first INTA.  If the IR input goes low before this time a
 *    DEFAULT IR7 will occur" ("Edge and Level Triggered Modes").  Here a
 *    latched request stays latched when the input falls, so that a device
 *    may pulse its line (the test device does); PC emulators do the same.
 */
#include "avic/vpic.h"
#include "lib/string.h"

#define MASTER  0
#define SLAVE   1

/* A floating data bus: nobody answered the INTA (no slave with the ID). */
#define VPIC_NO_ANSWER  0xff

static bool chip_level_mode(const struct vpic_chip *c)
{
	return c->icw1 & VPIC_ICW1_LTIM;
}

/* The requests: latched edges, or the input levels in level mode. */
static u8 chip_irr(const struct vpic_chip *c)
{
	return chip_level_mode(c) ? c->lines : c->irr;
}

/* The level the chip would acknowledge now, or -1 (the priority resolver). */
static int chip_pending(const struct vpic_chip *c)
{
	u8 req = chip_irr(c) & ~c->imr;
	int irq;

	if (!req)
		return -1;
	irq = __builtin_ctz(req);
	/* In service at the same or a higher priority: inhibited ("Fully Nested Mode"). */
	if (c->isr && __builtin_ctz(c->isr) <= irq)
		return -1;
	return irq;
}

static void chip_input(struct vpic_chip *c, unsigned n, bool high)
{
	u8 bit = (u8)BIT(n);

	if (high && !(c->lines & bit) && !chip_level_mode(c))
		c->irr |= bit;
	if (high)
		c->lines |= bit;
	else
		c->lines &= (u8)~bit;
}

/* The slave's INT output on the master's IR2, after anything that may change it. */
static void cascade_update(struct vpic *p)
{
	chip_input(&p->chip[MASTER], VPIC_CASCADE_IRQ, chip_pending(&p->chip[SLAVE]) >= 0);
}

static u8 chip_vector(const struct vpic_chip *c, unsigned irq)
{
	return (u8)((c->icw2 & VPIC_ICW2_BASE) | irq);
}

/* IRR -> ISR for the acknowledged level ("Interrupt Sequence", steps 4-6). */
static void chip_ack(struct vpic_chip *c, unsigned irq)
{
	u8 bit = (u8)BIT(irq);

	if (!chip_level_mode(c))
		c->irr &= (u8)~bit;
	if (!(c->icw4 & VPIC_ICW4_AEOI))
		c->isr |= bit;
}

void vpic_reset(struct vpic *p)
{
	memset(p, 0, sizeof(*p));
	for (unsigned i = 0; i < 2; i++) {
		p->chip[i].imr = 0xff;
		p->chip[i].icw1 = VPIC_ICW1 | VPIC_ICW1_IC4;
		p->chip[i].icw4 = VPIC_ICW4_UPM;
	}
	/* The PC's wiring: the slave on the master's IR2, slave ID 2. */
	p->chip[MASTER].icw3 = BIT(VPIC_CASCADE_IRQ);
	p->chip[SLAVE].icw3 = VPIC_CASCADE_IRQ;
}

bool vpic_is_port(u16 port)
{
	return port == VPIC_MASTER_CMD || port == VPIC_MASTER_DATA ||
	       port == VPIC_SLAVE_CMD || port == VPIC_SLAVE_DATA;
}

static struct vpic_chip *port_chip(struct vpic *p, u16 port)
{
	return &p->chip[port == VPIC_SLAVE_CMD || port == VPIC_SLAVE_DATA ? SLAVE : MASTER];
}

int vpic_read(struct vpic *p, u16 port, u8 *val)
{
	struct vpic_chip *c;

	if (!p || !val || !vpic_is_port(port))
		return -VPIC_EINVAL;
	c = port_chip(p, port);
	/* "For reading the IMR, no OCW3 is needed ... whenever RD is active and A0 = 1." */
	if (port & 1)
		*val = c->imr;
	else
		*val = c->read_isr ? c->isr : chip_irr(c);
	return VPIC_OK;
}

/*
 * ICW1 starts the sequence; per the data sheet it resets the edge sense
 * circuit (an input must make a new low-to-high transition: latched
 * requests are dropped), clears IMR, clears special mask mode, selects IRR
 * for status reads, and zeroes the ICW4 functions when no ICW4 follows.
 * ISR is cleared too: the data sheet's list does not name it, but a stale
 * in-service level would inhibit itself and every lower one in the freshly
 * initialized chip until a stray EOI (UNVERIFIED on silicon).
 */
static void chip_icw1(struct vpic_chip *c, u8 val)
{
	c->icw1 = val;
	c->init_next = 2;
	c->irr = 0;
	c->isr = 0;
	c->imr = 0;
	c->read_isr = false;
	if (!(val & VPIC_ICW1_IC4))
		c->icw4 = 0;
}

/* ICW2-4 while initializing, OCW1 (IMR) otherwise. */
static void chip_data_write(struct vpic *p, struct vpic_chip *c, u8 val)
{
	switch (c->init_next) {
	case 2:
		c->icw2 = val;
		c->init_next = !(c->icw1 & VPIC_ICW1_SNGL) ? 3 : (c->icw1 & VPIC_ICW1_IC4) ? 4 : 0;
		break;
	case 3:
		c->icw3 = val;
		c->init_next = (c->icw1 & VPIC_ICW1_IC4) ? 4 : 0;
		break;
	case 4:
		c->icw4 = val;
		c->init_next = 0;
		break;
	default:
		c->imr = val;
		return;
	}
	if (!c->init_next && (!(c->icw4 & VPIC_ICW4_UPM) || (c->icw4 & VPIC_ICW4_SFNM)))
		p->unsupported++;
}

static void chip_ocw2(struct vpic *p, struct vpic_chip *c, u8 val)
{
	switch (VPIC_OCW2_CMD(val)) {
	case 5:                 /* rotate on non-specific EOI: the EOI, without the rotation */
		p->unsupported++;
		/* fall through */
	case 1:                 /* non-specific EOI: the highest in-service level */
		c->isr &= (u8)(c->isr - 1);
		break;
	case 7:                 /* rotate on specific EOI: the EOI, without the rotation */
		p->unsupported++;
		/* fall through */
	case 3:                 /* specific EOI */
		c->isr &= (u8)~BIT(val & VPIC_OCW2_LEVEL);
		break;
	case 2:                 /* no operation */
		break;
	default:                /* 0, 4: rotate in AEOI mode clear/set; 6: set priority */
		p->unsupported++;
		break;
	}
}

static void chip_ocw3(struct vpic *p, struct vpic_chip *c, u8 val)
{
	/* RR = 0 leaves the selection: "the 8259A 'remembers' whether the IRR or ISR ..." */
	if (val & VPIC_OCW3_RR)
		c->read_isr = val & VPIC_OCW3_RIS;
	if ((val & VPIC_OCW3_P) || ((val & VPIC_OCW3_ESMM) && (val & VPIC_OCW3_SMM)))
		p->unsupported++;
}

int vpic_write(struct vpic *p, u16 port, u8 val)
{
	struct vpic_chip *c;

	if (!p || !vpic_is_port(port))
		return -VPIC_EINVAL;
	c = port_chip(p, port);
	if (port & 1)
		chip_data_write(p, c, val);
	else if (val & VPIC_ICW1)
		chip_icw1(c, val);
	else if (val & VPIC_OCW3)
		chip_ocw3(p, c, val);
	else
		chip_ocw2(p, c, val);
	cascade_update(p);
	return VPIC_OK;
}

int vpic_set_line(struct vpic *p, unsigned irq, bool high)
{
	if (!p || irq >= VPIC_IRQS)
		return -VPIC_EINVAL;
	/* On a PC AT the master's IR2 carries the slave; no device reaches it. */
	if (irq == VPIC_CASCADE_IRQ)
		return VPIC_NOT_CONNECTED;
	chip_input(&p->chip[irq >> 3], irq & 7, high);
	cascade_update(p);
	return VPIC_OK;
}

bool vpic_intr(const struct vpic *p)
{
	return chip_pending(&p->chip[MASTER]) >= 0;
}

u8 vpic_intack(struct vpic *p)
{
	struct vpic_chip *m = &p->chip[MASTER], *s = &p->chip[SLAVE];
	int irq = chip_pending(m), sirq;
	u8 vec;

	if (irq < 0) {
		p->spurious++;
		return chip_vector(m, VPIC_SPURIOUS_IRQ);
	}
	chip_ack(m, (unsigned)irq);
	if ((m->icw1 & VPIC_ICW1_SNGL) || !(m->icw3 & BIT(irq)))
		return chip_vector(m, (unsigned)irq);

	/* A slave input: the slave with that ID puts the vector on the bus ("Cascade Mode"). */
	if ((s->icw1 & VPIC_ICW1_SNGL) || (s->icw3 & VPIC_ICW3_SLAVE_ID) != (unsigned)irq) {
		vec = VPIC_NO_ANSWER;
	} else {
		sirq = chip_pending(s);
		if (sirq < 0) {
			p->spurious++;
			vec = chip_vector(s, VPIC_SPURIOUS_IRQ);
		} else {
			chip_ack(s, (unsigned)sirq);
			vec = chip_vector(s, (unsigned)sirq);
		}
	}
	/*
	 * The acknowledge took the slave's request: one it still has (a lower
	 * one in auto-EOI mode) is a new request to the master, as if its INT
	 * had dropped for the acknowledge and risen again.  Whichever master
	 * input ICW3 named, the slave's INT is wired to IR2 ("Cascade Mode":
	 * ICW3 only selects who answers on CAS2-0), so IR2 follows it now too;
	 * left high, a slave whose INT fell would lose its next rising edge.
	 */
	if (irq == VPIC_CASCADE_IRQ)
		chip_input(m, VPIC_CASCADE_IRQ, false);
	cascade_update(p);
	return vec;
}
