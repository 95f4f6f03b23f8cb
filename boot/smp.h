/* boot/smp.h - starting the application processors ourselves (INIT-SIPI-SIPI). */
#ifndef BOOT_SMP_H
#define BOOT_SMP_H

#include "lib/types.h"
#include "hv/acpi.h"

/*
 * Parameter block at offset AP_TRAMPOLINE_PARAMS of the trampoline page
 * (boot/ap_trampoline.nasm); the trampoline takes the offsets from
 * build/gen/boot-offsets.inc (boot/asm-offsets.c).
 */
struct ap_trampoline_params {
	u64 cr3;
	u64 entry;
	u64 stack;
	u64 arg;
	volatile u64 started;
	u64 efer;
};
#define AP_TRAMPOLINE_PARAMS 0xf00

/*
 * What the trampoline's code assumes besides the offsets: the block is
 * 8-byte aligned and inside the one page the BSP copies, the struct fits
 * the 64 bytes the trampoline reserves for it, and the fields it accesses
 * as 64-bit values are 8 bytes wide (cr3 and efer it reads as their low 32
 * bits: CR3 is below 4 GiB, smp_start_aps checks it; LME and NXE are low bits).
 */
_Static_assert(AP_TRAMPOLINE_PARAMS % 8 == 0, "trampoline parameter block alignment");
_Static_assert(AP_TRAMPOLINE_PARAMS + 64 <= 4096, "trampoline parameter block outside its page");
_Static_assert(sizeof(struct ap_trampoline_params) <= 64, "trampoline reserves 64 bytes of parameters");
_Static_assert(sizeof(((struct ap_trampoline_params *)0)->entry) == 8 &&
	       sizeof(((struct ap_trampoline_params *)0)->stack) == 8 &&
	       sizeof(((struct ap_trampoline_params *)0)->arg) == 8 &&
	       sizeof(((struct ap_trampoline_params *)0)->started) == 8,
	       "trampoline reads entry/stack/arg and writes started as 64-bit values");

/*
 * Starts every CPU of cpus[] other than the BSP; fills percpu_array[1..]
 * in order and returns the number of CPUs online (BSP included).
 */
u32 smp_start_aps(const struct acpi_cpu *cpus, int n, u32 bsp_apic_id, u64 trampoline_pa,
		  u64 cr3, u32 max_cpus);

#endif
