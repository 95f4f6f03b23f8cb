/*
 * hv/lapic_irqchip.c - the VM's interrupt controllers around the local
 * APICs: the virtual IOAPIC (avic/vioapic.c; its page, its messages into
 * lapic_send, the EOI broadcast), the 8259A pair (avic/vpic.c) as the
 * ExtINT source on every vCPU's LINT0, and the interrupt test device whose
 * lines drive both.  Locks: vm->ioapic_lock and vm->pic_lock, never held
 * together nor with a vCPU's apic_lock.
 */
#include "hv/lapic_internal.h"

/* ---- the IOAPIC --------------------------------------------------------------- */

static void ioapic_flush(struct vm *vm, const struct vioapic_out *out)
{
	for (unsigned i = 0; i < out->n; i++) {
		const struct vioapic_irq *q = &out->irq[i];
		struct vapic_icr m = {
			.vector = q->vector, .delivery_mode = q->delivery_mode,
			.logical = q->logical, .trigger_level = q->level, .dest = q->dest,
		};

		lapic_send(vm, NULL, &m);
	}
}

void lapic_ioapic_eoi(struct vm *vm, u8 vector)
{
	struct vioapic_out out = { 0 };

	spin_lock(&vm->ioapic_lock);
	vioapic_eoi(&vm->ioapic, vector, &out);
	spin_unlock(&vm->ioapic_lock);
	ioapic_flush(vm, &out);
}

/* ---- the 8259A pair: ExtINT through LINT0 ---------------------------------------- */

/*
 * Whether the vCPU takes the PIC's INT: its APIC enabled and software-
 * enabled (a software-disabled APIC accepts no ExtINT: APM Vol 2 §16.4.7
 * "Spurious Interrupts"), LVT LINT0 unmasked with message type 111b ExtINT
 * (APM Vol 2 §16.4.2 "Local Interrupts LINT0 and LINT1").  Read without
 * apic_lock: only the vCPU itself writes its LVT and its APIC base, and
 * that write exits (an intercept, or AVIC's trap for LINT0: APM Vol 2
 * §15.29.3.1 "Virtual APIC Register Accesses", Table 15-22), so the vCPU looks
 * again before its next entry.
 *
 * Not modelled, on purpose: with its APIC disabled a PC processor takes
 * the PIC on its LINT0 pin as plain INTR (the pin's name outside APIC
 * mode; UNVERIFIED for AMD).  Here a vCPU without an enabled APIC gets no
 * PIC interrupt; every vCPU starts with its APIC enabled.
 */
static bool lapic_lint0_extint(const struct vcpu *v)
{
	const struct vapic *a = &v->apic;
	u32 lvt;

	if (!a->enabled || !vapic_sw_enabled(a))
		return false;
	lvt = vapic_get_reg(a, VAPIC_REG_LVT_LINT0);
	return !(lvt & VAPIC_LVT_M) && ((lvt & VAPIC_LVT_MT) >> 8) == VAPIC_MT_EXTINT;
}

static bool lapic_pic_intr(struct vm *vm)
{
	bool intr;

	spin_lock(&vm->pic_lock);
	intr = vpic_intr(&vm->pic);
	spin_unlock(&vm->pic_lock);
	return intr;
}

/* An ExtINT waits for this vCPU: the PIC's INT is high and LINT0 takes it. */
bool lapic_extint_waiting(struct vcpu *vcpu)
{
	return lapic_lint0_extint(vcpu) && lapic_pic_intr(vcpu->vm);
}

/*
 * INT rose: every vCPU that takes it looks (lapic_kick leaves out our own
 * CPU, whose vCPU looks before its next entry anyway).  A vCPU that unmasks
 * LINT0 later exits for that write and finds INT high by itself.
 */
static bool lapic_pick_lint0_extint(const struct vcpu *t, const void *ctx)
{
	(void)ctx;
	return lapic_lint0_extint(t);
}

static void lapic_pic_notify(struct vm *vm)
{
	lapic_kick_each(vm, lapic_pick_lint0_extint, NULL, lapic_kick);
}

/*
 * The INTA cycle of a vCPU that injects now: the vector comes from the PIC
 * at this moment, not from IRR (ExtINT bypasses IRR/ISR: APM Vol 2 §16.6.3
 * "Accepting System and IPI Interrupts").
 * Under pic_lock, so that a request goes to one vCPU only.  A vCPU that
 * finds INT low (another vCPU took the request since it looked) runs no
 * acknowledge and injects nothing, where a CPU already in its INTA cycle
 * would get the default IR7: here the look and the INTA are one step.
 * Returns the vector or -1; *more: INT is still high afterwards (auto-EOI
 * with a further request, or a higher one that came meanwhile).
 */
int lapic_pic_ack(struct vm *vm, bool *more)
{
	int vec = -1;

	spin_lock(&vm->pic_lock);
	if (vpic_intr(&vm->pic))
		vec = vpic_intack(&vm->pic);
	*more = vpic_intr(&vm->pic);
	spin_unlock(&vm->pic_lock);
	return vec;
}

/* What lapic_pic_op does to the 8259A pair. */
enum pic_op {
	PIC_PORT_IN,            /* where: port 0x20/0x21/0xA0/0xA1 */
	PIC_PORT_OUT,
	PIC_LINE,               /* where: input line; *val's low byte nonzero = high */
};

/*
 * One operation on the PIC under pic_lock, and if it raised INT, the vCPUs
 * that take it are told.  Ports are byte registers: a wider access reaches
 * the addressed port only (an OS uses INB/OUTB here).
 */
static void lapic_pic_op(struct vm *vm, enum pic_op op, unsigned where, u32 *val)
{
	bool rose;
	u8 b = 0;

	spin_lock(&vm->pic_lock);
	rose = !vpic_intr(&vm->pic);
	switch (op) {
	case PIC_PORT_IN:
		vpic_read(&vm->pic, (u16)where, &b);
		*val = b;
		break;
	case PIC_PORT_OUT:
		vpic_write(&vm->pic, (u16)where, (u8)*val);
		break;
	case PIC_LINE:
		vpic_set_line(&vm->pic, where, (*val & 0xff) != 0);    /* line 2 is the cascade: VPIC_NOT_CONNECTED */
		break;
	}
	rose = rose && vpic_intr(&vm->pic);
	spin_unlock(&vm->pic_lock);
	if (rose)
		lapic_pic_notify(vm);
}

bool lapic_io_port_is_ours(u16 port)
{
	return (port >= HV_PORT_IRQ_LINE && port < HV_PORT_IRQ_LINE + HV_IOAPIC_PINS) || vpic_is_port(port);
}

/*
 * The interrupt test device, ports HV_PORT_IRQ_LINE + n (lib/hv_abi.h): the
 * line drives IOAPIC pin n and, for n < 16, 8259A input n, as a PC's ISA
 * interrupt lines reach both.  And the 8259A pair's own ports.
 */
bool lapic_io_port(struct vcpu *vcpu, u16 port, bool in, u32 *val)
{
	struct vm *vm = vcpu->vm;
	struct vioapic_out out = { 0 };
	unsigned pin = port - HV_PORT_IRQ_LINE;
	bool high = (*val & 0xff) != 0;

	if (vpic_is_port(port)) {
		lapic_pic_op(vm, in ? PIC_PORT_IN : PIC_PORT_OUT, port, val);
		return true;
	}
	if (port < HV_PORT_IRQ_LINE || pin >= HV_IOAPIC_PINS)
		return false;
	spin_lock(&vm->ioapic_lock);
	if (in)
		*val = (vm->ioapic.line >> pin) & 1;
	else
		vioapic_set_line(&vm->ioapic, pin, high, &out);
	spin_unlock(&vm->ioapic_lock);
	ioapic_flush(vm, &out);
	if (!in && pin < VPIC_IRQS)
		lapic_pic_op(vm, PIC_LINE, pin, val);
	return true;
}

int lapic_ioapic_mmio(void *ctx, u64 gpa, unsigned size, bool write, u64 *val)
{
	struct vcpu *vcpu = ctx;
	struct vm *vm = vcpu->vm;
	struct vioapic_out out = { 0 };
	u32 off = (u32)(gpa - HV_IOAPIC_BASE), v32 = 0;

	vcpu->apic_accesses++;
	spin_lock(&vm->ioapic_lock);
	if (write) {
		vioapic_mmio_write(&vm->ioapic, off, size, (u32)*val, &out);
	} else {
		vioapic_mmio_read(&vm->ioapic, off, size, &v32);
		*val = v32;
	}
	spin_unlock(&vm->ioapic_lock);
	ioapic_flush(vm, &out);
	return 0;
}
