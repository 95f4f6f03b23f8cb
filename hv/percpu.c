/* hv/percpu.c - the per-CPU array (see hv/percpu.h); boot/efi_main.c fills it. */
#include "hv/percpu.h"
#include "lib/x86.h"

struct percpu *percpu_array;
u32 nr_cpus = 1;

u32 this_cpu_index(void)
{
	/* GS base is 0 until cpu_setup_tables() (UEFI leaves it 0). */
	return rdmsr(MSR_GS_BASE) ? this_cpu()->index : 0;
}
