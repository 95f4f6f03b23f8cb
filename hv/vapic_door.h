/*
 * hv/vapic_door.h - the one front door of the virtual local APIC: the
 * exits (hv/exits.c) and the run loop (hv/vcpu.c) call these, and they
 * pick the backend: the software APIC (hv/lapic.c) alone, or the AVIC
 * backend (hv/avic.c: apic=avic, apic=avic-emu) with the soft APIC as its
 * library.  Register effects the AVIC backend follows (ID, LDR, DFR, SVR,
 * the APIC base, INIT) come back from the soft APIC (lapic_take_changes)
 * and are forwarded here.  See docs/ARCHITECTURE.md "The front door".
 */
#ifndef HV_VAPIC_DOOR_H
#define HV_VAPIC_DOOR_H

#include "hv/hv.h"

/* Intercepts */
bool vapic_door_msr_is_ours(u32 msr);
enum exit_action vapic_door_msr(struct vcpu *vcpu, u32 msr, bool write);
/* NPF on an APIC or IOAPIC page; *handled = false: not ours. */
enum exit_action vapic_door_npf(struct vcpu *vcpu, u64 gpa, bool *handled);
enum exit_action vapic_door_cr8_write(struct vcpu *vcpu);
enum exit_action vapic_door_vintr(struct vcpu *vcpu);
enum exit_action vapic_door_avic_incomplete_ipi(struct vcpu *vcpu);    /* #VMEXIT 0x401 */
enum exit_action vapic_door_avic_noaccel(struct vcpu *vcpu);           /* #VMEXIT 0x402 */

/* The run loop */
void vapic_door_load(struct vcpu *vcpu);        /* the vCPU starts on this CPU */
void vapic_door_put(struct vcpu *vcpu);         /* ... and leaves it */
bool vapic_door_init_sipi(struct vcpu *vcpu);   /* may sleep; false: the vCPU has ended */
void vapic_door_before_entry(struct vcpu *vcpu);        /* GIF=0, in_guest set */
void vapic_door_after_exit(struct vcpu *vcpu);          /* before the exit's handler */
void vapic_door_dump(struct vcpu *vcpu);        /* one log line of its interrupt state */

#endif
