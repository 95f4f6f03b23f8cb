/* boot/smp.h - starting the application processors ourselves (INIT-SIPI-SIPI). */
#ifndef BOOT_SMP_H
#define BOOT_SMP_H

#include "lib/types.h"
#include "boot/acpi.h"

/* Parameter block at offset 0xf00 of the trampoline page (boot/ap_trampoline.nasm). */
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
 * Starts every CPU of cpus[] other than the BSP; fills percpu_array[1..]
 * in order and returns the number of CPUs online (BSP included).
 */
u32 smp_start_aps(const struct acpi_cpu *cpus, int n, u32 bsp_apic_id, u64 trampoline_pa,
		  u64 cr3, u32 max_cpus);

#endif
