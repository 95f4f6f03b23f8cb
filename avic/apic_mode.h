/*
 * avic/apic_mode.h - which virtual-APIC backend the run uses, and why.
 *
 *   soft      every APIC access intercepted and emulated (hv/lapic.c)
 *   avic      the CPU's AVIC (and x2AVIC for x2APIC guests) accelerates the
 *             page; the remaining exits go to the AVIC handlers
 *   avic-emu  everything intercepted, then a model of AVIC hardware
 *             (avic/avic_emu.c) decides as the CPU would, so that the AVIC
 *             handlers run on machines without AVIC (QEMU TCG, CI)
 *
 * apic=auto picks avic where CPUID 0x8000000A EDX[13] says AVIC is there,
 * soft otherwise (APM Vol 2 §15.29.7 "AVIC CPUID Feature Flags"; when the
 * AVIC backend then turns AVIC off for a VM: docs/ARCHITECTURE.md "AVIC
 * (apic=avic and apic=avic-emu)", inhibits).
 */
#ifndef AVIC_APIC_MODE_H
#define AVIC_APIC_MODE_H

#include "svm/svm.h"

/* apic=: which backend is asked for (apic_mode_choose decides what auto means). */
enum apic_request { APIC_REQ_AUTO, APIC_REQ_SOFT, APIC_REQ_AVIC, APIC_REQ_AVIC_EMU };
/* avic_emu_quirks=: which of the model's quirks are asked for. */
enum { APIC_REQ_QUIRKS_OFF, APIC_REQ_QUIRKS_ON, APIC_REQ_QUIRKS_ALL };

enum apic_backend { APIC_BACKEND_SOFT, APIC_BACKEND_AVIC, APIC_BACKEND_AVIC_EMU };

struct apic_mode_choice {
	enum apic_backend backend;
	const char *name;               /* "software", "AVIC", "AVIC+x2AVIC", "AVIC emulation" */
	bool x2avic;                    /* x2APIC guests are accelerated (hardware or model) */
	bool x2avic_ext;                /* ECX[6]: up to 4096 physical IDs */
	bool ipi_virt;                  /* IsRunning may be trusted for IPIs (not erratum 1235) */
	bool host_ids_wide;             /* a host APIC ID does not fit the table's 12-bit field: kicks only */
	bool linux_default;             /* AVIC backend: Linux KVM would enable AVIC here by default */
	u32 emu_quirks;                 /* avic-emu: BIT(enum avic_emu_quirk) the model plays */
	bool emu_fam17;                 /* quirks on a family 17h CPU: every other VM plays erratum 1235 */
	bool error;                     /* the request cannot be met: the run stops with ERROR */
	char reason[480];
};

/* Decides from the CPU's features and apic= / avic_force=. */
void apic_mode_choose(const struct svm_caps *caps, enum apic_request req, bool force,
		      struct apic_mode_choice *out);

/*
 * After the choice, with every host CPU's APIC ID known: an ID above the
 * physical APIC ID table's host-ID field (11:0) cannot be named in an entry
 * or a doorbell, so IsRunning is never set and targets are woken by kicks.
 */
void apic_mode_host_ids(u32 max_host_apic_id, struct apic_mode_choice *out);

/*
 * x2avic=off: AVIC for xAPIC guests only; a guest in x2APIC mode then
 * inhibits AVIC for its VM (X2APIC_WITHOUT_X2AVIC, docs/ARCHITECTURE.md
 * "AVIC (apic=avic and apic=avic-emu)").  KVM offers "hybrid AVIC" instead
 * (AVIC on, every x2APIC MSR intercepted); this tool takes the inhibit.
 */
void apic_mode_x2avic_off(struct apic_mode_choice *out);

/*
 * avic_emu_quirks=on|all (APIC_REQ_QUIRKS_*) for the model: which quirks it
 * plays.  On a family-17h/Hygon-18h CPU profile the erratum 1235 gate
 * applies as it would on such a CPU (IsRunning never set) and the model
 * plays IsRunning seen late; elsewhere that quirk is left out.
 */
void apic_mode_emu_quirks(const struct svm_caps *caps, u8 cfg_quirks, struct apic_mode_choice *out);

/* Whether the CPU is AMD Zen 4 or later (family 19h models 10h-1Fh, 60h-7Fh, A0h-AFh, or family 1Ah+). */
bool apic_mode_zen4_or_later(const struct svm_caps *caps);

extern struct apic_mode_choice apic_choice;     /* the run's choice (made by boot/efi_main.c) */

#endif
