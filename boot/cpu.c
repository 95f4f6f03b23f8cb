/*
 * boot/cpu.c - GDT, TSS, IDT and page tables of the hypervisor.
 *
 * After ExitBootServices nothing of the firmware's may be relied on, so each
 * CPU switches to tables we own: a per-CPU GDT with a 64-bit TSS (IST stacks
 * for #DF, NMI and #MC), one shared IDT whose 256 gates point at
 * boot/isr.asm, and one set of identity-mapped page tables.
 */
#include "boot/cpu.h"
#include "hv/console.h"
#include "lib/string.h"
#include "lib/x86.h"

struct desc_ptr {
	u16 limit;
	u64 base;
} __packed;

static struct idt_gate idt[256] __aligned(16);

#define IST_DF  1
#define IST_NMI 2
#define IST_MC  3

void idt_build(void)
{
	for (int v = 0; v < 256; v++) {
		u64 off = isr_stub_table[v];
		struct idt_gate *g = &idt[v];

		g->offset_lo = (u16)off;
		g->selector = HOST_CS;
		g->ist = v == X86_DF ? IST_DF : v == X86_NMI ? IST_NMI : v == X86_MC ? IST_MC : 0;
		g->type_attr = 0x8e;            /* present, DPL 0, 64-bit interrupt gate */
		g->offset_mid = (u16)(off >> 16);
		g->offset_hi = (u32)(off >> 32);
		g->reserved = 0;
	}
}

/*
 * Identity map [0, top) with 2 MiB pages (1 GiB pages above 4 GiB when the
 * CPU has them): RAM, the firmware's runtime
 * regions (ResetSystem is called at the end) and MMIO (local APIC, flash).
 * Memory types come from the firmware's MTRRs; PAT stays at its default.
 */
u64 host_page_tables_build(u64 top, bool page1gb, void *(*alloc_page)(void))
{
	u64 *pml4 = alloc_page();
	u64 nr_gib = ALIGN_UP(top, 1ULL << 30) >> 30;

	if (!pml4)
		return 0;
	for (u64 gib = 0; gib < nr_gib; gib++) {
		u64 pml4_i = gib >> 9, pdpt_i = gib & 511;
		u64 *pdpt, *pd;

		if (!(pml4[pml4_i] & 1)) {
			pdpt = alloc_page();
			if (!pdpt)
				return 0;
			pml4[pml4_i] = (u64)(uintptr_t)pdpt | 0x3;  /* P | RW */
		}
		pdpt = (u64 *)(uintptr_t)(pml4[pml4_i] & GENMASK(51, 12));
		/* Above 4 GiB only RAM and 64-bit BARs: 1 GiB pages keep the tables small. */
		if (page1gb && gib >= 4) {
			pdpt[pdpt_i] = (gib << 30) | 0x83;      /* P | RW | PS */
			continue;
		}
		pd = alloc_page();
		if (!pd)
			return 0;
		for (u64 i = 0; i < 512; i++)
			pd[i] = ((gib << 30) | (i << 21)) | 0x83;  /* P | RW | PS */
		pdpt[pdpt_i] = (u64)(uintptr_t)pd | 0x3;
	}
	return (u64)(uintptr_t)pml4;
}

static void gdt_build(struct percpu *pc)
{
	u64 tss = (u64)(uintptr_t)&pc->tss;
	u32 limit = sizeof(pc->tss) - 1;

	memset(&pc->tss, 0, sizeof(pc->tss));
	pc->tss.iomap_base = sizeof(pc->tss);     /* no I/O bitmap */
	for (int i = 0; i < 3; i++)
		pc->tss.ist[i] = pc->ist_top[i];
	pc->gdt[0] = 0;
	pc->gdt[1] = 0x00af9b000000ffffULL;       /* 0x08: 64-bit code, DPL 0 */
	pc->gdt[2] = 0x00cf93000000ffffULL;       /* 0x10: data, DPL 0 */
	/* 0x18: 64-bit available TSS, 16 bytes (APM Vol 2 §4.8.3). */
	pc->gdt[3] = (limit & 0xffff) | ((tss & 0xffffff) << 16) | (0x89ULL << 40) |
		     ((u64)(limit >> 16) << 48) | (((tss >> 24) & 0xff) << 56);
	pc->gdt[4] = tss >> 32;
}

void cpu_setup_tables(struct percpu *pc, u64 cr3)
{
	struct desc_ptr gdtr = { sizeof(pc->gdt) - 1, (u64)(uintptr_t)pc->gdt };
	struct desc_ptr idtr = { sizeof(idt) - 1, (u64)(uintptr_t)idt };

	HV_CHECK(pc->index < HV_MAX_CPUS);
	gdt_build(pc);
	write_cr3(cr3);
	__asm__ volatile("lgdt %0" ::"m"(gdtr));
	cpu_reload_segments(HOST_CS, HOST_DS);
	__asm__ volatile("ltr %w0" ::"r"(HOST_TSS));
	__asm__ volatile("lidt %0" ::"m"(idtr));
	__asm__ volatile("lldt %w0" ::"r"(0));
	wrmsr(MSR_GS_BASE, (u64)(uintptr_t)pc);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	write_cr0(read_cr0() | CR0_WP | CR0_NE | CR0_MP);
}
