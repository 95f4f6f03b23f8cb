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
 * soft otherwise (reference 2.1, 2.14 and Appendix B).
 */
#ifndef AVIC_APIC_MODE_H
#define AVIC_APIC_MODE_H

#include "svm/svm.h"
#include "boot/config.h"

enum apic_backend { APIC_BACKEND_SOFT, APIC_BACKEND_AVIC, APIC_BACKEND_AVIC_EMU };

struct apic_mode_choice {
	enum apic_backend backend;
	const char *name;               /* "software", "AVIC", "AVIC+x2AVIC", "AVIC emulation" */
	bool x2avic;                    /* x2APIC guests are accelerated (hardware or model) */
	bool x2avic_ext;                /* ECX[6]: up to 4096 physical IDs */
	bool ipi_virt;                  /* IsRunning may be trusted for IPIs (not erratum 1235) */
	bool error;                     /* the request cannot be met: the run stops with ERROR */
	char reason[200];
};

/* Decides from the CPU's features and apic= / avic_force=. */
void apic_mode_choose(const struct svm_caps *caps, enum cfg_apic req, bool force,
		      struct apic_mode_choice *out);

extern struct apic_mode_choice apic_choice;     /* the run's choice (boot/efi_main.c) */

#endif
