/*
 * boot/asm-offsets.c - offsets for the AP trampoline (boot/ap_trampoline.nasm),
 * generated from struct ap_trampoline_params in boot/smp.h.  Compiled with
 * -S only; the Makefile turns each marker into a NASM %define in
 * build/gen/boot-offsets.inc.  Never write these numbers by hand.
 *
 * A generator of its own, not part of svm/asm-offsets.c: the struct is
 * boot/'s, and nothing below boot/ includes boot/ headers (svm/ calls
 * nothing above it, docs/ARCHITECTURE.md).
 */
#include "boot/smp.h"
#include "lib/asm-offsets.h"

void boot_asm_offsets(void);
void boot_asm_offsets(void)
{
	CONSTANT(AP_TRAMPOLINE_PARAMS, AP_TRAMPOLINE_PARAMS);
	CONSTANT(AP_PARAMS_SIZE, sizeof(struct ap_trampoline_params));
	OFFSET(AP_PARAMS_CR3, struct ap_trampoline_params, cr3);
	OFFSET(AP_PARAMS_ENTRY, struct ap_trampoline_params, entry);
	OFFSET(AP_PARAMS_STACK, struct ap_trampoline_params, stack);
	OFFSET(AP_PARAMS_ARG, struct ap_trampoline_params, arg);
	OFFSET(AP_PARAMS_STARTED, struct ap_trampoline_params, started);
	OFFSET(AP_PARAMS_EFER, struct ap_trampoline_params, efer);
}
