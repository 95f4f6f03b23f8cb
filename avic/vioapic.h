/*
 * avic/vioapic.h - the virtual IOAPIC: pure register and routing logic.
 *
 * Each test VM has one IOAPIC at guest-physical VIOAPIC_BASE_GPA with 24
 * input pins, modelled on the Intel 82093AA I/O APIC datasheet (order number
 * 290566, cited as "82093AA §x.y"): an indirect register file reached through
 * IOREGSEL (+0x00) and IOWIN (+0x10), holding ID, VER, ARB and the 24-entry
 * redirection table.  A test device drives the pins (I/O port 0x2000 + n
 * sets the level of pin n); the local APICs send EOIs back for level vectors
 * (APM Vol 2 §16.6.3 "Accepting System and IPI Interrupts": "an EOI message
 * is sent to the I/O APIC if the associated TMR bit is set"; under AVIC
 * through the level-EOI exit, §15.29.3.1 "Virtual APIC Register Accesses").
 *
 * Nothing here touches hardware, hypervisor structures or locks: the caller
 * holds a VM-wide lock, decodes the guest access (offset from the base, size)
 * or the device write, calls in with a zeroed vioapic_out, and routes every
 * message in it to the matching local APICs (vapic_match_dest, vapic_accept
 * with .level as the TMR value).
 */
#ifndef AVIC_VIOAPIC_H
#define AVIC_VIOAPIC_H

#include "lib/types.h"

#define VIOAPIC_PINS            24
#define VIOAPIC_BASE_GPA        0xfec00000ULL
#define VIOAPIC_MMIO_SIZE       0x1000          /* the caller intercepts this page */

/* Direct (MMIO) registers, offsets from the base (82093AA §3.0, Table 1). */
#define VIOAPIC_IOREGSEL        0x00            /* R/W, bits 7:0 select the register */
#define VIOAPIC_IOWIN           0x10            /* R/W, the selected register */
#define VIOAPIC_EOIR            0x40            /* version 0x20 only: NOT offered (vioapic.c) */
#define VIOAPIC_IOREGSEL_MASK   GENMASK(7, 0)

/* Indirect registers, selected by IOREGSEL (82093AA §3.2, Table 2). */
#define VIOAPIC_REG_ID          0x00            /* bits 27:24 R/W */
#define VIOAPIC_REG_VER         0x01            /* RO */
#define VIOAPIC_REG_ARB         0x02            /* RO, bits 27:24 */
#define VIOAPIC_REG_REDTBL      0x10            /* 0x10 + 2n low, 0x11 + 2n high */
#define VIOAPIC_REG_REDTBL_LO(n) (VIOAPIC_REG_REDTBL + 2 * (n))
#define VIOAPIC_REG_REDTBL_HI(n) (VIOAPIC_REG_REDTBL + 2 * (n) + 1)
#define VIOAPIC_REG_REDTBL_END  (VIOAPIC_REG_REDTBL + 2 * VIOAPIC_PINS)   /* exclusive */

#define VIOAPIC_ID_SHIFT        24
#define VIOAPIC_ID_MASK         0xfu            /* 4-bit ID (82093AA §3.2.1) */
#define VIOAPIC_VERSION         0x11            /* 82093AA; no EOI register */
#define VIOAPIC_VER_MRE_SHIFT   16              /* maximum redirection entry */
#define VIOAPIC_VER_VALUE       (VIOAPIC_VERSION | ((VIOAPIC_PINS - 1) << VIOAPIC_VER_MRE_SHIFT))

/* Redirection table entry, 64 bits (82093AA §3.2.4 "IOREDTBL"). */
#define VIOAPIC_RTE_VECTOR      GENMASK(7, 0)
#define VIOAPIC_RTE_DELMOD      GENMASK(10, 8)
#define VIOAPIC_RTE_DELMOD_SHIFT 8
#define VIOAPIC_RTE_DESTMOD     BIT(11)         /* 1 = logical */
#define VIOAPIC_RTE_DELIVS      BIT(12)         /* delivery status, RO */
#define VIOAPIC_RTE_INTPOL      BIT(13)         /* 1 = active low */
#define VIOAPIC_RTE_REMOTE_IRR  BIT(14)         /* RO */
#define VIOAPIC_RTE_TRIGGER     BIT(15)         /* 1 = level */
#define VIOAPIC_RTE_MASK        BIT(16)
#define VIOAPIC_RTE_DEST        GENMASK(63, 56)
#define VIOAPIC_RTE_DEST_SHIFT  56
/* What a guest write can change; 55:17 are reserved and read as 0. */
#define VIOAPIC_RTE_WRITABLE    (VIOAPIC_RTE_VECTOR | VIOAPIC_RTE_DELMOD | \
				 VIOAPIC_RTE_DESTMOD | VIOAPIC_RTE_INTPOL | \
				 VIOAPIC_RTE_TRIGGER | VIOAPIC_RTE_MASK | VIOAPIC_RTE_DEST)
#define VIOAPIC_RTE_RESET       VIOAPIC_RTE_MASK

/* Delivery modes: the same encoding as the local APIC ICR (VAPIC_MT_*). */
#define VIOAPIC_DM_FIXED        0
#define VIOAPIC_DM_LOWEST       1
#define VIOAPIC_DM_SMI          2
#define VIOAPIC_DM_NMI          4
#define VIOAPIC_DM_INIT         5
#define VIOAPIC_DM_EXTINT       7
/* 3 and 6 are reserved: such an entry sends nothing (vioapic.c). */

/*
 * Return codes.  Positive: a guest access that hit no register; the
 * architectural answer was given (reads 0, writes ignored) and the caller
 * counts it.  Negative: an argument the caller must not pass.
 */
#define VIOAPIC_OK              0
#define VIOAPIC_NOT_DECODED     1       /* MMIO size/offset other than 32-bit at 0x00 or 0x10 */
#define VIOAPIC_NO_REGISTER     2       /* IOWIN access while IOREGSEL selects no register */
#define VIOAPIC_EINVAL          22      /* returned negated: pin out of range, NULL pointer */

/* One interrupt message to deliver to local APICs. */
struct vioapic_irq {
	u8 vector;
	u8 delivery_mode;       /* 0 fixed, 1 lowest priority, 2 SMI, 4 NMI, 5 INIT, 7 ExtINT (APIC ICR encoding) */
	bool logical;           /* destination mode */
	bool level;             /* trigger mode: the receiving APIC sets TMR for it */
	u8 dest;                /* bits 63:56 */
	u8 pin;
};

/*
 * The messages one call produced, in pin order.  Each call sends at most one
 * message per pin, so VIOAPIC_PINS entries always suffice when the caller
 * zeroes n before the call.
 */
struct vioapic_out {
	unsigned n;
	struct vioapic_irq irq[VIOAPIC_PINS];
};

struct vioapic {
	u32 id;                 /* the 4-bit IOAPIC ID (ID register bits 27:24) */
	u32 ioregsel;           /* bits 7:0 as last written */
	u64 redir[VIOAPIC_PINS];
	u32 line;               /* pin levels as set by the device: bit n = 1 means pin n is high */
	/* Messages not sent, for the caller's statistics. */
	u32 drops_reserved_mode; /* the entry's delivery mode is 3 or 6 */
	u32 drops_out_full;     /* out was NULL or full (a caller bug) */
};

void vioapic_reset(struct vioapic *io);                 /* all masked, ID 0, all pins low */

/* Guest MMIO: offset from VIOAPIC_BASE_GPA, size in bytes. */
int vioapic_mmio_read(struct vioapic *io, u32 offset, unsigned size, u32 *val);
int vioapic_mmio_write(struct vioapic *io, u32 offset, unsigned size, u32 val,
		       struct vioapic_out *out);

/* The indirect registers by index (what IOWIN reaches; also for save/restore and tests). */
int vioapic_reg_read(const struct vioapic *io, u32 index, u32 *val);
int vioapic_reg_write(struct vioapic *io, u32 index, u32 val, struct vioapic_out *out);

/* The device drives pin n to the electrical level high (true) or low (false). */
int vioapic_set_line(struct vioapic *io, unsigned pin, bool high, struct vioapic_out *out);

/* A local APIC EOI'd a level-triggered vector (its TMR bit was set). */
void vioapic_eoi(struct vioapic *io, u8 vector, struct vioapic_out *out);

/* Whether pin n's interrupt is asserted now: its level XOR the entry's polarity. */
bool vioapic_pin_asserted(const struct vioapic *io, unsigned pin);

#endif
