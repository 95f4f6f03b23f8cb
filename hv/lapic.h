/*
 * hv/lapic.h - the software backend of the virtual local APIC: it connects
 * the register logic of avic/vapic.c to the vCPUs (exits, injection,
 * IPIs between CPUs, HLT, the timer, INIT/SIPI) and routes interrupts from
 * the virtual IOAPIC and, as ExtINT through LINT0, from the virtual 8259A
 * pair.  See docs/ARCHITECTURE.md "Interrupt flow".
 */
#ifndef HV_LAPIC_H
#define HV_LAPIC_H

#include "hv/hv.h"
#include "avic/vioapic.h"

/* Set-up */
void lapic_vm_init(struct vm *vm);
void lapic_vcpu_init(struct vcpu *vcpu);

/* Exits (return: 0, or -VAPIC_GP for #GP) */
int lapic_rdmsr(struct vcpu *vcpu, u32 msr, u64 *val);
int lapic_wrmsr(struct vcpu *vcpu, u32 msr, u64 val);
bool lapic_msr_is_ours(u32 msr);
enum exit_action lapic_handle_npf(struct vcpu *vcpu, u64 gpa, bool *handled);
enum exit_action lapic_handle_cr8_write(struct vcpu *vcpu);
enum exit_action lapic_handle_vintr(struct vcpu *vcpu);
enum exit_action lapic_handle_iret(struct vcpu *vcpu);
enum exit_action lapic_handle_db(struct vcpu *vcpu);
enum exit_action lapic_handle_hlt(struct vcpu *vcpu);
bool lapic_io_port_is_ours(u16 port);          /* the interrupt test device, the 8259A pair */
bool lapic_io_port(struct vcpu *vcpu, u16 port, bool in, u32 *val);

/*
 * The run loop (through the front door, hv/vapic_door.c): INIT/SIPI
 * handling (may sleep), then before VMRUN (GIF=0), after the exit.
 * lapic_before_entry: extint = lapic_extint_waiting(), hw = the CPU
 * delivers from the page this VMRUN (AVIC); returns true when the ExtINT
 * it waited for went to another vCPU.
 */
bool lapic_init_sipi(struct vcpu *vcpu);        /* false: the vCPU has ended */
bool lapic_extint_waiting(struct vcpu *vcpu);   /* an ExtINT waits: the PIC's INT high, LINT0 takes it */
bool lapic_before_entry(struct vcpu *vcpu, bool extint, bool hw);
void lapic_after_exit(struct vcpu *vcpu);

/*
 * What the backend above the soft APIC does for it, per VM (vm->lapic_ops;
 * NULL in the soft mode: a kick, nothing).  hv/avic.c installs its own.
 */
struct lapic_ops {
	void (*notify)(struct vcpu *target);            /* an IRR bit was set in target's page */
	void (*block)(struct vcpu *vcpu, bool blocked);  /* the vCPU sleeps (HLT, wait-for-SIPI) / wakes */
};

/*
 * Register effects the backend above follows (ID, LDR, DFR, SVR, the APIC
 * base and mode, INIT): a write sets them, this takes them (true: some
 * changed since the last take).  Only the vCPU itself changes them.
 */
bool lapic_take_changes(struct vcpu *vcpu);

/*
 * Delivery of one interrupt message, a decoded ICR write or an IOAPIC
 * message in the same struct vapic_icr; the source is NULL for the IOAPIC.
 */
void lapic_send(struct vm *vm, struct vcpu *source, const struct vapic_icr *msg);

/* For the AVIC backend (hv/avic*.c), which uses the soft APIC as a library. */
void lapic_kick(struct vcpu *target);           /* make target exit / wake: a host IPI */
/* Each vCPU of the VM that pick(t, ctx) chooses gets kick(t) (lapic_kick, or the backend's notify). */
void lapic_kick_each(struct vm *vm, bool (*pick)(const struct vcpu *t, const void *ctx), const void *ctx,
		     void (*kick)(struct vcpu *t));
int lapic_mmio_access(void *ctx, u64 gpa, unsigned size, bool write, u64 *val);  /* an mmio_fn; ctx = vcpu */
void lapic_send_icr(struct vcpu *vcpu, u32 lo, u32 hi, bool x2apic);
void lapic_xapic_write(struct vcpu *vcpu, u32 offset, u32 val);
void lapic_ioapic_eoi(struct vm *vm, u8 vector);  /* the EOI broadcast to the IOAPIC */
/* The level vector was accepted and not yet EOIed (level_vectors). */
bool lapic_level_accepted(const struct vcpu *vcpu, u8 vector);
/* A level EOI the CPU completed itself (ISR already clear): only the IOAPIC's part is left. */
void lapic_level_eoi_done(struct vcpu *vcpu, u8 vector);
/* One log line of its interrupt state; the backend's mode and physical table entry in it. */
void lapic_dump(struct vcpu *vcpu, u8 backend_mode, u64 backend_entry);

#endif
