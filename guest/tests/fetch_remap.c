/*
 * guest/tests/fetch_remap.c - the hypervisor reads the instruction the
 * guest ran, after the guest changed its page tables without an exit.
 *
 * Behaviour: without NRIPS the hypervisor finds the next RIP by decoding
 * the bytes at CS:RIP through the guest's page tables (APM Vol 2 §15.7.1
 * "State Saved on Exit": nRIP only with NRIPS), and keeps the translation
 * of recently fetched pages (hv/vcpu.c, fetch_page).  The guest changes its
 * tables with no exit at all (no CR3 or INVLPG intercept), so a kept
 * translation is good only while every paging-structure entry of its walk
 * is unchanged (APM Vol 2 §5.3 "Long-Mode Page Translation").  Here one
 * virtual address runs CPUID from code pages of different lengths: the
 * leaf PTE switched to another page, the PD entry switched to another page
 * table, and the bytes rewritten under the same mapping.  Each CPUID (an
 * exit) is followed by "mov eax, imm32; ret": the value says which code
 * ran, and a wrong instruction length lands in the middle of it.
 *
 * A failure means the hypervisor skipped a guest instruction by the length
 * of stale bytes: the guest resumes mid-instruction (or is stopped for an
 * instruction that cannot cause the exit).
 */
#include "guest/lib/guest.h"

#define PTE_P           BIT(0)
#define PTE_W           BIT(1)
#define PTE_ADDR        GENMASK(51, 12)

/* PML4 slot 2: 1 TiB, far from the boot identity map (slot 0). */
#define WIN_SLOT        2
#define WIN_VA          ((u64)WIN_SLOT << 39)
#define CODE_OFF        0x40

static u64 pdpt[512] __aligned(4096);
static u64 pd[512] __aligned(4096);
static u64 pt_a[512] __aligned(4096), pt_b[512] __aligned(4096);
static u8 page_a[4096] __aligned(4096), page_b[4096] __aligned(4096);

static u64 entry(const void *table)
{
	return (u64)(uintptr_t)table | PTE_P | PTE_W;
}

/* prefixes x 0x3E (DS), CPUID, mov eax, val; ret */
static void put_code(u8 *page, unsigned prefixes, u32 val)
{
	u8 *p = page + CODE_OFF;

	while (prefixes--)
		*p++ = 0x3e;
	*p++ = 0x0f;
	*p++ = 0xa2;
	*p++ = 0xb8;
	memcpy(p, &val, 4);
	p += 4;
	*p = 0xc3;
}

/* CPUID clobbers EBX, ECX, EDX (and EAX, which the code then sets). */
static u32 run_window(void)
{
	u64 target = WIN_VA + CODE_OFF, ret;

	__asm__ volatile("xor %%eax, %%eax\n\tcall *%1"
			 : "=a"(ret) : "r"(target) : "rbx", "rcx", "rdx", "memory");
	return (u32)ret;
}

static void flush(void)
{
	__asm__ volatile("invlpg (%0)" ::"r"(WIN_VA) : "memory");
}

GUEST_TEST(fetch_remap)
{
	u64 *pml4 = (u64 *)(uintptr_t)(read_cr3() & PTE_ADDR);

	if (pml4[WIN_SLOT] & PTE_P) {
		report_skip("PML4 slot %u is in use (0x%llx)", WIN_SLOT, (unsigned long long)pml4[WIN_SLOT]);
		return;
	}
	put_code(page_a, 0, 0xa);
	put_code(page_b, 5, 0xb);
	pt_a[0] = entry(page_a);
	pt_b[0] = entry(page_b);
	pd[0] = entry(pt_a);
	pdpt[0] = entry(pd);
	pml4[WIN_SLOT] = entry(pdpt);
	flush();

	report_eq(0xa, run_window(), "page A (CPUID, 2 bytes) runs at the window");
	report_eq(0xa, run_window(), "page A again (the kept translation)");

	pt_a[0] = entry(page_b);        /* the leaf PTE now maps page B */
	flush();
	report_eq(0xb, run_window(), "leaf PTE switched: page B (5 prefixes, CPUID: 7 bytes) runs");

	pt_a[0] = entry(page_a);
	flush();
	report_eq(0xa, run_window(), "leaf PTE switched back: page A runs");

	pd[0] = entry(pt_b);            /* the PD entry now points to the other page table */
	flush();
	report_eq(0xb, run_window(), "PD entry switched to another page table: page B runs");

	put_code(page_b, 1, 0xc);       /* same mapping, new bytes: 3E 0F A2 */
	report_eq(0xc, run_window(), "code rewritten under the same mapping: the new bytes run");

	pml4[WIN_SLOT] = 0;
	flush();
}
