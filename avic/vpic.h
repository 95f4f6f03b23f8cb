/*
 * avic/vpic.h - two cascaded 8259A programmable interrupt controllers (the
 * PC's legacy "PIC" pair): pure register and priority logic.
 *
 * Modelled on the Intel 8259A data sheet ("8259A Programmable Interrupt
 * Controller (8259A/8259A-2)", 1988), cited by its section names.  The
 * master answers at ports 0x20/0x21, the slave at 0xA0/0xA1, and the
 * slave's INT output drives the master's IR2 ("Cascade Mode").  The
 * platform wires the master's INT output to LINT0 of every local APIC; a
 * CPU whose LINT0 is in ExtINT mode takes the interrupt with an INTA cycle
 * that hands it the vector (APM Vol 2 §16.4 "Local Interrupts", Fig. 16-7,
 * message type 111b; §16.6.3 "Accepting System and IPI Interrupts": ExtINT
 * goes straight to the core).  AVIC cannot deliver it (its IRR path knows
 * Fixed only, and V_IRQ is ignored, §15.29.8.3 "Additional VMRUN
 * Handling"): docs/ARCHITECTURE.md "AVIC (apic=avic and apic=avic-emu)",
 * inhibit IRQWIN.
 *
 * Nothing here touches hardware, hypervisor structures or locks: the caller
 * holds a VM-wide lock around every call, decodes the port access, drives
 * the inputs (vpic_set_line), looks at the INT output (vpic_intr) and runs
 * the acknowledge (vpic_intack) when a CPU takes the interrupt.
 */
#ifndef AVIC_VPIC_H
#define AVIC_VPIC_H

#include "lib/types.h"

/* Ports ("Programming the 8259A": A0 selects the command or the data port). */
#define VPIC_MASTER_CMD         0x20
#define VPIC_MASTER_DATA        0x21
#define VPIC_SLAVE_CMD          0xa0
#define VPIC_SLAVE_DATA         0xa1

#define VPIC_IRQS               16      /* master IR0-7 = IRQ 0-7, slave IR0-7 = IRQ 8-15 */
#define VPIC_CASCADE_IRQ        2       /* the master input the slave's INT drives */
#define VPIC_SPURIOUS_IRQ       7       /* "default IR7": an INTA that found no request */

/* ICW1: A0 = 0, D4 = 1 ("Initialization Command Words (ICWs)"). */
#define VPIC_ICW1               BIT(4)
#define VPIC_ICW1_IC4           BIT(0)  /* ICW4 follows */
#define VPIC_ICW1_SNGL          BIT(1)  /* single 8259A: no ICW3 */
#define VPIC_ICW1_ADI           BIT(2)  /* call address interval (MCS-80/85 only) */
#define VPIC_ICW1_LTIM          BIT(3)  /* level triggered mode */
/* ICW2: T7-T3, the vector bits of the 8086 mode. */
#define VPIC_ICW2_BASE          GENMASK(7, 3)
/* ICW3: master, one bit per input with a slave; slave, its ID in bits 2:0. */
#define VPIC_ICW3_SLAVE_ID      GENMASK(2, 0)
/* ICW4. */
#define VPIC_ICW4_UPM           BIT(0)  /* 1: 8086/8088 mode */
#define VPIC_ICW4_AEOI          BIT(1)  /* automatic end of interrupt */
#define VPIC_ICW4_MS            BIT(2)  /* buffered mode: master */
#define VPIC_ICW4_BUF           BIT(3)  /* buffered mode */
#define VPIC_ICW4_SFNM          BIT(4)  /* special fully nested mode */

/* OCW2: A0 = 0, D4 = 0, D3 = 0 ("Operation Command Words (OCWs)"). */
#define VPIC_OCW2_LEVEL         GENMASK(2, 0)   /* L2-L0 */
#define VPIC_OCW2_EOI           BIT(5)
#define VPIC_OCW2_SL            BIT(6)
#define VPIC_OCW2_R             BIT(7)
#define VPIC_OCW2_CMD(v)        (((v) >> 5) & 7)        /* R, SL, EOI */
#define VPIC_OCW2_NONSPEC_EOI   0x20    /* 001 */
#define VPIC_OCW2_SPEC_EOI      0x60    /* 011, plus the level */
/* OCW3: A0 = 0, D4 = 0, D3 = 1. */
#define VPIC_OCW3               BIT(3)
#define VPIC_OCW3_RIS           BIT(0)  /* with RR: 1 = ISR, 0 = IRR */
#define VPIC_OCW3_RR            BIT(1)  /* read register command */
#define VPIC_OCW3_P             BIT(2)  /* poll command */
#define VPIC_OCW3_SMM           BIT(5)  /* special mask mode */
#define VPIC_OCW3_ESMM          BIT(6)  /* enable SMM (set or reset it) */
#define VPIC_OCW3_READ_IRR      (VPIC_OCW3 | VPIC_OCW3_RR)
#define VPIC_OCW3_READ_ISR      (VPIC_OCW3 | VPIC_OCW3_RR | VPIC_OCW3_RIS)

/*
 * Return codes.  Positive: a legal call that had no effect, for the
 * caller's statistics.  Negative: an argument the caller must not pass.
 */
#define VPIC_OK                 0
#define VPIC_NOT_CONNECTED      1       /* vpic_set_line for IRQ 2: that input is the cascade */
#define VPIC_EINVAL             22      /* returned negated: not a PIC port, IRQ >= 16, NULL */

/* One 8259A. */
struct vpic_chip {
	u8 irr;                 /* interrupt request register (edge mode: latched requests) */
	u8 isr;                 /* in-service register */
	u8 imr;                 /* interrupt mask register (OCW1) */
	u8 lines;               /* the IR inputs' levels as last driven */
	u8 icw1, icw2, icw3, icw4;
	u8 init_next;           /* 2, 3 or 4: the ICW the next data-port write is; 0: initialized */
	bool read_isr;          /* OCW3 read register select: ISR (else IRR) on the command port */
};

struct vpic {
	struct vpic_chip chip[2];       /* [0] master, [1] slave */
	/* For the caller's statistics. */
	u32 spurious;           /* INTAs answered with a default IR7 */
	u32 unsupported;        /* commands accepted but not modelled (see vpic.c) */
};

/* Power-up: every input masked (IMR 0xff), nothing pending, PC wiring (slave on IR2, ID 2). */
void vpic_reset(struct vpic *p);

/* Whether port is one of the four PIC ports. */
bool vpic_is_port(u16 port);

/* A byte IN or OUT at one of the four ports. */
int vpic_read(struct vpic *p, u16 port, u8 *val);
int vpic_write(struct vpic *p, u16 port, u8 val);

/* A device drives input irq (0-15) high or low. */
int vpic_set_line(struct vpic *p, unsigned irq, bool high);

/* The master's INT output: a request the CPU should acknowledge. */
bool vpic_intr(const struct vpic *p);

/*
 * The interrupt acknowledge (both INTA pulses of the 8086 mode): the vector
 * of the highest-priority request, moved from IRR to ISR, through the slave
 * when it is on a cascade input; a default IR7 vector when nothing is
 * pending.
 */
u8 vpic_intack(struct vpic *p);

#endif
