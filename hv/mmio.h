/*
 * hv/mmio.h - emulation of guest MMIO accesses to pages the nested page
 * table leaves unmapped (the local APIC, the IOAPIC), and of MOV to CR8.
 * QEMU TCG has no decode assists, so the instruction is fetched from the
 * guest and decoded by svm/insn_mmio.c.
 */
#ifndef HV_MMIO_H
#define HV_MMIO_H

#include "hv/hv.h"

/*
 * A device: returns 0, or -1 when the access cannot be answered (the guest
 * is stopped), or MMIO_NOT_DONE when the access did not take place and the
 * instruction must not complete (RIP and registers untouched): an AVIC
 * fault-like exit under avic-emu, which its handler then emulates.
 */
#define MMIO_NOT_DONE   1

/* Emulates the instruction at RIP that faulted on gpa, through fn; advances RIP. */
typedef int (*mmio_fn)(void *ctx, u64 gpa, unsigned size, bool write, u64 *val);
enum exit_action mmio_emulate(struct vcpu *vcpu, u64 gpa, mmio_fn fn, void *ctx);

/* MOV to CRn at RIP: the value written, and the instruction length. */
int mmio_decode_cr_write(struct vcpu *vcpu, unsigned cr, u64 *val, u8 *len);

/* RIP past an emulated instruction of len bytes; ends an interrupt shadow. */
void mmio_advance(struct vcpu *vcpu, unsigned len);

/* A guest GPR by its encoding number (0 = RAX .. 15 = R15). */
u64 *vcpu_gpr(struct vcpu *vcpu, unsigned reg);

#endif
