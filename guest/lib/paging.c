/*
 * guest/lib/paging.c - identity-mapped 2 MiB windows above the boot map.
 * Page-table format: APM Vol 2 §5.3 "Long-Mode Page Translation".
 */
#include "guest/lib/guest.h"

#define PTE_P           BIT(0)
#define PTE_W           BIT(1)
#define PTE_PS          BIT(7)
#define PTE_ADDR        GENMASK(51, 12)
#define PT_ENTRIES      512

/* Zero at start (.bss); each becomes a PDPT or a page directory on demand. */
#define SPARE_TABLES    4
static u64 spare_tables[SPARE_TABLES][PT_ENTRIES] __aligned(4096);
static unsigned int spare_used;
static u32 paging_lock;

static void lock(void)
{
	while (__atomic_exchange_n(&paging_lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
}

static void unlock(void)
{
	__atomic_store_n(&paging_lock, 0, __ATOMIC_RELEASE);
}

/* The table *entry points to, made from a spare page if it is not present. */
static u64 *next_table(u64 *entry)
{
	if (!(*entry & PTE_P)) {
		if (spare_used == SPARE_TABLES)
			return NULL;
		*entry = (u64)(uintptr_t)spare_tables[spare_used++] | PTE_P | PTE_W;
	}
	if (*entry & PTE_PS)
		return NULL;    /* a large page: not ours to split */
	return (u64 *)(uintptr_t)(*entry & PTE_ADDR);
}

static unsigned int phys_addr_bits(void)
{
	if (cpuid(0x80000000).eax < 0x80000008)
		return 36;
	return cpuid(0x80000008).eax & 0xff;
}

int guest_map_2m(u64 gpa)
{
	u64 page = ALIGN_DOWN(gpa, PAGE_SIZE_2M);
	u64 *pml4 = (u64 *)(uintptr_t)(read_cr3() & PTE_ADDR);
	u64 *pdpt, *pd = NULL;
	int ret = -1;

	if (gpa >= BIT(phys_addr_bits()) || gpa >= BIT(47))
		return -1;

	lock();
	pdpt = next_table(&pml4[(gpa >> 39) % PT_ENTRIES]);
	if (pdpt)
		pd = next_table(&pdpt[(gpa >> 30) % PT_ENTRIES]);
	if (pd) {
		u64 *pde = &pd[(gpa >> 21) % PT_ENTRIES];

		if (!(*pde & PTE_P))
			*pde = page | PTE_P | PTE_W | PTE_PS;
		/* Already mapped (by another vCPU, or the boot map): fine if identity. */
		if ((*pde & PTE_PS) && (*pde & PTE_ADDR) == page)
			ret = 0;
	}
	unlock();
	__asm__ volatile("invlpg (%0)" ::"r"(gpa) : "memory");
	return ret;
}
