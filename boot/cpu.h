/*
 * boot/cpu.h - the hypervisor's own CPU tables: GDT, TSS, IDT and the
 * identity-mapped page tables every CPU runs on after ExitBootServices.
 */
#ifndef BOOT_CPU_H
#define BOOT_CPU_H

#include "lib/types.h"
#include "hv/percpu.h"

#define HOST_CS   0x08
#define HOST_DS   0x10
#define HOST_TSS  0x18

/* Page tables mapping [0, top) 1:1. Returns CR3 or 0. */
u64 host_page_tables_build(u64 top, bool page1gb, void *(*alloc_page)(void));
void cpu_setup_tables(struct percpu *pc, u64 cr3);   /* GDT/TSS/IDT/CR3/GS on this CPU */
void idt_build(void);                                /* once, shared by all CPUs */

/* boot/isr.asm */
extern const u64 isr_stub_table[256];
void cpu_reload_segments(u16 cs, u16 ds);
void cpu_switch_stack(u64 rsp, void (*fn)(void *), void *arg) __noreturn;

#endif
