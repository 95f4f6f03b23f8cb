/*
 * avic/vioapic.c - the virtual IOAPIC: the IOREGSEL/IOWIN register protocol,
 * the redirection table, and when a pin sends an interrupt message.  Pure:
 * the state is struct vioapic; no I/O, no hypervisor structures, no locking
 * (see vioapic.h).
 *
 * Hardware: Intel 82093AA I/O APIC datasheet (290566), §3.0 "Register
 * Description", §3.1 "Memory Mapped Registers for Accessing IOAPIC
 * Registers", §3.2 "IOAPIC Registers" (§3.2.1 IOAPICID, §3.2.2 IOAPICVER,
 * §3.2.3 IOAPICARB, §3.2.4 IOREDTBL).  The local-APIC side (TMR, EOI
 * broadcast) is APM Vol 2 §16.6.3 "Accepting System and IPI Interrupts" and,
 * under AVIC, §15.29.3.1 "Virtual APIC Register Accesses" (EOI: a level EOI
 * exits to the VMM).
 *
 * The rules, in one place:
 *
 *  - Asserted = the pin's electrical level XOR the entry's polarity bit
 *    (INTPOL, 1 = active low).  The device sets levels; reset leaves all
 *    pins low, so an active-low pin reads asserted until the device drives
 *    it high.
 *  - Edge entries send one message on each rising edge of the asserted
 *    signal seen by vioapic_set_line, and nothing else.  A masked entry
 *    drops the edge: "Edge-sensitive interrupts signaled on a masked
 *    interrupt pin are ignored (i.e., not delivered or held pending)"
 *    (§3.2.4, bit 16).  Programming the entry (unmask, polarity, trigger)
 *    never makes an edge.
 *  - Level entries send while asserted, unmasked and Remote IRR clear; the
 *    message sets Remote IRR; the EOI for the entry's vector clears it and,
 *    if the pin is still asserted (and unmasked), sends again at once.  This
 *    is checked after every event that can change one of the conditions:
 *    a line change, a write to the entry, an EOI.
 *  - Only Fixed and Lowest Priority honour bit 15.  SMI, NMI, INIT and
 *    ExtINT are sent as edge: the datasheet says these modes require edge
 *    trigger (§3.2.4, bits 10:8), and none of them is EOI'd through TMR, so
 *    treating them as level would leave Remote IRR stuck forever.
 */
#include "avic/vioapic.h"
#include "lib/string.h"

_Static_assert(VIOAPIC_PINS <= 32, "line is a u32 bitmap");
_Static_assert(VIOAPIC_VER_VALUE == 0x00170011, "82093AA §3.2.2 default 00170011h");
_Static_assert(VIOAPIC_REG_REDTBL_END == 0x40, "82093AA §3.2.4: IOREDTBL23 is 3E-3Fh");

void vioapic_reset(struct vioapic *io)
{
	unsigned pin;

	memset(io, 0, sizeof(*io));
	/* §3.2.4 default xxx1 xxxx xxxx xxxxh: only the mask bit is defined; we clear the rest. */
	for (pin = 0; pin < VIOAPIC_PINS; pin++)
		io->redir[pin] = VIOAPIC_RTE_RESET;
}

static u8 vioapic_rte_delmod(u64 rte)
{
	return (rte & VIOAPIC_RTE_DELMOD) >> VIOAPIC_RTE_DELMOD_SHIFT;
}

/* The trigger mode the entry actually uses (see the rules above). */
static bool vioapic_rte_level(u64 rte)
{
	u8 dm = vioapic_rte_delmod(rte);

	return (rte & VIOAPIC_RTE_TRIGGER) &&
	       (dm == VIOAPIC_DM_FIXED || dm == VIOAPIC_DM_LOWEST);
}

bool vioapic_pin_asserted(const struct vioapic *io, unsigned pin)
{
	bool high, active_low;

	if (pin >= VIOAPIC_PINS)
		return false;
	high = io->line & (1u << pin);
	active_low = io->redir[pin] & VIOAPIC_RTE_INTPOL;
	return high != active_low;
}

/*
 * Emit pin's message into out.  Delivery is instantaneous here, so Delivery
 * Status (bit 12, "Pending ... held up due to the APIC bus being busy") is
 * never set.  Remote IRR is set when the message is sent: the datasheet sets
 * it when "local APIC(s) accept the level interrupt" (§3.2.4, bit 14), but
 * acceptance is the caller's business, and an entry whose message nobody
 * accepts (no matching or software-disabled APIC, vector < 16) would
 * otherwise be re-sent in a loop.  The guest recovers such an entry as on
 * hardware, by switching it to edge and back (see vioapic_write_rte).
 *
 * Not sent, on purpose: delivery modes 3 and 6, "Reserved" in §3.2.4 (3 is
 * AMD's remote read and 6 the SIPI in the local APIC ICR; neither has a
 * meaning coming from an IOAPIC).  Counted, like a full or missing out.
 */
static void vioapic_send(struct vioapic *io, unsigned pin, struct vioapic_out *out)
{
	u64 rte = io->redir[pin];
	u8 dm = vioapic_rte_delmod(rte);
	struct vioapic_irq *irq;

	if (dm == 3 || dm == 6) {
		io->drops_reserved_mode++;
		return;
	}
	if (!out || out->n >= VIOAPIC_PINS) {
		io->drops_out_full++;
		return;
	}
	irq = &out->irq[out->n++];
	irq->vector = rte & VIOAPIC_RTE_VECTOR;
	irq->delivery_mode = dm;
	irq->logical = rte & VIOAPIC_RTE_DESTMOD;
	irq->level = vioapic_rte_level(rte);
	/*
	 * DISCREPANCY: §3.2.4 bits 63:56 says physical mode uses only bits
	 * 59:56 (the 4-bit APIC IDs of the APIC serial bus).  The vCPUs have
	 * 8-bit xAPIC IDs, so the whole byte is passed, as later IOAPICs do.
	 */
	irq->dest = rte >> VIOAPIC_RTE_DEST_SHIFT;
	irq->pin = pin;
	if (irq->level)
		io->redir[pin] |= VIOAPIC_RTE_REMOTE_IRR;
}

/* Level entries: send if asserted, unmasked and Remote IRR clear. */
static void vioapic_service_level(struct vioapic *io, unsigned pin, struct vioapic_out *out)
{
	u64 rte = io->redir[pin];

	if (!vioapic_rte_level(rte) || (rte & (VIOAPIC_RTE_MASK | VIOAPIC_RTE_REMOTE_IRR)))
		return;
	if (vioapic_pin_asserted(io, pin))
		vioapic_send(io, pin, out);
}

int vioapic_set_line(struct vioapic *io, unsigned pin, bool high, struct vioapic_out *out)
{
	bool was;

	if (pin >= VIOAPIC_PINS)
		return -VIOAPIC_EINVAL;
	was = vioapic_pin_asserted(io, pin);
	if (high)
		io->line |= 1u << pin;
	else
		io->line &= ~(1u << pin);

	if (vioapic_rte_level(io->redir[pin]))
		vioapic_service_level(io, pin, out);
	else if (!was && vioapic_pin_asserted(io, pin) &&
		 !(io->redir[pin] & VIOAPIC_RTE_MASK))
		vioapic_send(io, pin, out);
	/*
	 * A level pin going deasserted keeps Remote IRR: only the EOI clears
	 * it, and that EOI then finds the line low and sends nothing.
	 */
	return VIOAPIC_OK;
}

/*
 * The EOI broadcast a local APIC sends when it EOIs a vector whose TMR bit
 * is set (APM Vol 2 §16.6.3 "Accepting System and IPI Interrupts": "an EOI
 * message is sent to the I/O APIC if the associated TMR bit is set"; under
 * AVIC the level EOI exits "to allow the VMM to emulate the level-triggered
 * behavior", §15.29.3.1 "Virtual APIC Register Accesses", and the exit
 * handler forwards it here: docs/ARCHITECTURE.md "AVIC (apic=avic and
 * apic=avic-emu)").  Every entry with that vector and Remote IRR set is
 * cleared (§3.2.4 bit 14: "set to 0 when an EOI message with a matching
 * interrupt vector is received"), masked ones included: the mask does not
 * stop the EOI, it only stops the re-delivery.  An entry whose vector the
 * guest changed while Remote IRR was set no longer matches and stays stuck,
 * as on hardware.
 */
void vioapic_eoi(struct vioapic *io, u8 vector, struct vioapic_out *out)
{
	unsigned pin;

	for (pin = 0; pin < VIOAPIC_PINS; pin++) {
		u64 rte = io->redir[pin];

		if (!(rte & VIOAPIC_RTE_REMOTE_IRR) || (rte & VIOAPIC_RTE_VECTOR) != vector)
			continue;
		io->redir[pin] = rte & ~VIOAPIC_RTE_REMOTE_IRR;
		vioapic_service_level(io, pin, out);
	}
}

/*
 * A guest write to one half of an entry.  Writable: vector, delivery mode,
 * destination mode, polarity, trigger, mask, destination.  Delivery Status
 * and Remote IRR are RO ("writes to this bit ... do not effect this bit",
 * §3.2.4 bit 12); reserved bits 55:17 are not stored and read as 0.
 *
 * Remote IRR "is undefined for edge triggered interrupts" (§3.2.4 bit 14).
 * We clear it whenever the entry becomes edge: Linux relies on that to
 * unstick a level entry on IOAPICs without an EOI register (version < 0x20):
 * it masks the entry, sets it to edge, then back to level and unmasks
 * (arch/x86/kernel/apic/io_apic.c, the mask+edge / unmask+level sequence
 * credited to Manfred Spraul).
 *
 * After the write, a level entry that is now asserted, unmasked and not
 * waiting for an EOI sends (an unmask, a polarity flip, edge->level, a
 * delivery-mode change to Fixed).  An edge entry never sends here: an edge
 * that arrived while masked is lost.
 */
static void vioapic_write_rte(struct vioapic *io, unsigned pin, bool high_half, u32 val,
			      struct vioapic_out *out)
{
	u64 rte = io->redir[pin];
	u64 keep, set;

	if (high_half) {
		keep = (u64)0xffffffffu;
		set = (u64)val << 32;
	} else {
		keep = ~(u64)0xffffffffu | VIOAPIC_RTE_REMOTE_IRR;
		set = val;
	}
	rte = (rte & keep) | (set & VIOAPIC_RTE_WRITABLE & ~keep);
	if (!vioapic_rte_level(rte))
		rte &= ~VIOAPIC_RTE_REMOTE_IRR;
	io->redir[pin] = rte;
	vioapic_service_level(io, pin, out);
}

/*
 * IOAPICARB (§3.2.3) holds the APIC-bus arbitration priority; it "is loaded
 * when the IOAPIC ID Register is written" and then rotates with bus traffic.
 * There is no APIC bus here, so it always reads as the ID.
 */
int vioapic_reg_read(const struct vioapic *io, u32 index, u32 *val)
{
	if (!val)
		return -VIOAPIC_EINVAL;
	*val = 0;
	if (index >= VIOAPIC_REG_REDTBL && index < VIOAPIC_REG_REDTBL_END) {
		u64 rte = io->redir[(index - VIOAPIC_REG_REDTBL) / 2];

		*val = (index & 1) ? (u32)(rte >> 32) : (u32)rte;
		return VIOAPIC_OK;
	}
	switch (index) {
	case VIOAPIC_REG_ID:
	case VIOAPIC_REG_ARB:
		*val = (io->id & VIOAPIC_ID_MASK) << VIOAPIC_ID_SHIFT;
		return VIOAPIC_OK;
	case VIOAPIC_REG_VER:
		*val = VIOAPIC_VER_VALUE;
		return VIOAPIC_OK;
	}
	return VIOAPIC_NO_REGISTER;
}

/* VER and ARB are RO: the write is a defined access that changes nothing. */
int vioapic_reg_write(struct vioapic *io, u32 index, u32 val, struct vioapic_out *out)
{
	if (index >= VIOAPIC_REG_REDTBL && index < VIOAPIC_REG_REDTBL_END) {
		vioapic_write_rte(io, (index - VIOAPIC_REG_REDTBL) / 2, index & 1, val, out);
		return VIOAPIC_OK;
	}
	switch (index) {
	case VIOAPIC_REG_ID:
		io->id = (val >> VIOAPIC_ID_SHIFT) & VIOAPIC_ID_MASK;
		return VIOAPIC_OK;
	case VIOAPIC_REG_VER:
	case VIOAPIC_REG_ARB:
		return VIOAPIC_OK;
	}
	return VIOAPIC_NO_REGISTER;
}

/*
 * Which MMIO accesses are defined.  §3.0: "All APIC registers are accessed
 * using 32 bit loads and stores" and "The IOWIN Register must be accessed as
 * a Dword quantity", but also "a byte memory write ... loads the IOREGSEL
 * Register with an 8-bit value".  So: 32-bit accesses at IOREGSEL (0x00) and
 * IOWIN (0x10), plus 8-bit accesses at IOREGSEL (0x00) for that sentence.
 * Everything else - other sizes, unaligned or other offsets, and the
 * version-0x20 EOI register at 0x40 - reads 0, ignores the write and returns
 * VIOAPIC_NOT_DECODED for the caller to count.
 *
 * No EOI register, on purpose: the version stays 0x11 (the 82093AA, as the
 * reference platform), whose register file ends at IOWIN.  Guests then clear
 * Remote IRR the classic way, with the local APIC's EOI broadcast (APM Vol 2
 * §16.6.3 "Accepting System and IPI Interrupts"), which vioapic_eoi models;
 * an OS uses the directed-EOI register only when it has suppressed that
 * broadcast (SVR bit 12, Intel-only: AMD's SVR, Fig. 16-17 in §16.4.7
 * "Spurious Interrupts", has no such bit), which our local APIC does not
 * offer.
 */
static bool vioapic_decoded(u32 offset, unsigned size)
{
	if (size == 4)
		return offset == VIOAPIC_IOREGSEL || offset == VIOAPIC_IOWIN;
	return size == 1 && offset == VIOAPIC_IOREGSEL;
}

int vioapic_mmio_read(struct vioapic *io, u32 offset, unsigned size, u32 *val)
{
	if (!val)
		return -VIOAPIC_EINVAL;
	*val = 0;
	if (!vioapic_decoded(offset, size))
		return VIOAPIC_NOT_DECODED;
	if (offset == VIOAPIC_IOREGSEL) {
		/* Bits 31:8 are reserved (§3.1.1) and read as 0. */
		*val = io->ioregsel;
		return VIOAPIC_OK;
	}
	return vioapic_reg_read(io, io->ioregsel, val);
}

int vioapic_mmio_write(struct vioapic *io, u32 offset, unsigned size, u32 val,
		       struct vioapic_out *out)
{
	if (!vioapic_decoded(offset, size))
		return VIOAPIC_NOT_DECODED;
	if (offset == VIOAPIC_IOREGSEL) {
		io->ioregsel = val & VIOAPIC_IOREGSEL_MASK;
		return VIOAPIC_OK;
	}
	return vioapic_reg_write(io, io->ioregsel, val, out);
}
