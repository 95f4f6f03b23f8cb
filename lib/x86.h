/*
 * lib/x86.h - single x86 instructions as static inline C (no assembly files
 * for one instruction).  Used by the hypervisor and the guests.
 */
#ifndef LIB_X86_H
#define LIB_X86_H

#include "lib/types.h"

struct cpuid_regs {
	u32 eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid_count(u32 leaf, u32 subleaf)
{
	struct cpuid_regs r;

	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

static inline struct cpuid_regs cpuid(u32 leaf)
{
	return cpuid_count(leaf, 0);
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 val)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((u32)val), "d"((u32)(val >> 32))
			 : "memory");
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

static inline void outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

static inline void outw(u16 port, u16 v)
{
	__asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}

static inline void outl(u16 port, u32 v)
{
	__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u16 inw(u16 port)
{
	u16 v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u32 inl(u16 port)
{
	u32 v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static inline void cli(void)
{
	__asm__ volatile("cli" ::: "memory");
}

static inline void sti(void)
{
	__asm__ volatile("sti" ::: "memory");
}

/* sti; hlt: the STI shadow guarantees HLT runs before a pending interrupt is taken. */
static inline void safe_halt(void)
{
	__asm__ volatile("sti; hlt" ::: "memory");
}

static inline u64 read_cr0(void) { u64 v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline u64 read_cr2(void) { u64 v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline u64 read_cr3(void) { u64 v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline u64 read_cr4(void) { u64 v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(u64 v) { __asm__ volatile("mov %0, %%cr0" ::"r"(v) : "memory"); }
static inline void write_cr3(u64 v) { __asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
static inline void write_cr4(u64 v) { __asm__ volatile("mov %0, %%cr4" ::"r"(v) : "memory"); }

static inline u64 read_rflags(void)
{
	u64 v;

	__asm__ volatile("pushfq; popq %0" : "=r"(v));
	return v;
}

/* APM Vol 2 §4.8.4 "Gate Descriptors": a 16-byte long-mode IDT gate. */
struct idt_gate {
	u16 offset_lo;
	u16 selector;
	u8 ist;
	u8 type_attr;
	u16 offset_mid;
	u32 offset_hi;
	u32 reserved;
} __packed;
_Static_assert(sizeof(struct idt_gate) == 16, "long-mode IDT gates are 16 bytes");

/* "#GP", "#PF", ... for exception vectors 0-31 (lib/x86.c); "vector N" when reserved. */
const char *x86_exception_name(unsigned int vector);

/* Architectural MSRs used by more than one part. */
#define MSR_IA32_TSC            0x00000010
#define MSR_IA32_APIC_BASE      0x0000001b
#define MSR_IA32_MTRRCAP        0x000000fe
#define MSR_IA32_SYSENTER_CS    0x00000174
#define MSR_IA32_SYSENTER_ESP   0x00000175
#define MSR_IA32_SYSENTER_EIP   0x00000176
#define MSR_IA32_MCG_CAP        0x00000179
#define MSR_IA32_MCG_STATUS     0x0000017a
#define MSR_IA32_PAT            0x00000277
#define MSR_IA32_MTRR_DEF_TYPE  0x000002ff
#define MSR_IA32_TSC_DEADLINE   0x000006e0
#define MSR_EFER                0xc0000080
#define MSR_STAR                0xc0000081
#define MSR_LSTAR               0xc0000082
#define MSR_CSTAR               0xc0000083
#define MSR_SFMASK              0xc0000084
#define MSR_FS_BASE             0xc0000100
#define MSR_GS_BASE             0xc0000101
#define MSR_KERNEL_GS_BASE      0xc0000102
#define MSR_TSC_AUX             0xc0000103
#define MSR_VM_CR               0xc0010114
#define MSR_VM_HSAVE_PA         0xc0010117

#define EFER_SCE                BIT(0)
#define EFER_LME                BIT(8)
#define EFER_LMA                BIT(10)
#define EFER_NXE                BIT(11)
#define EFER_SVME               BIT(12)
#define EFER_LMSLE              BIT(13)
#define EFER_FFXSR              BIT(14)
#define EFER_TCE                BIT(15)

#define VM_CR_LOCK              BIT(3)
#define VM_CR_SVMDIS            BIT(4)

#define APIC_BASE_BSP           BIT(8)
#define APIC_BASE_EXTD          BIT(10)
#define APIC_BASE_ENABLE        BIT(11)

#define CR0_PE                  BIT(0)
#define CR0_MP                  BIT(1)
#define CR0_EM                  BIT(2)
#define CR0_TS                  BIT(3)
#define CR0_ET                  BIT(4)
#define CR0_NE                  BIT(5)
#define CR0_WP                  BIT(16)
#define CR0_NW                  BIT(29)
#define CR0_CD                  BIT(30)
#define CR0_PG                  BIT(31)
#define CR4_PAE                 BIT(5)
#define CR4_PGE                 BIT(7)
#define CR4_OSFXSR              BIT(9)
#define CR4_OSXMMEXCPT          BIT(10)
#define CR4_OSXSAVE             BIT(18)

/* DR6 (APM Vol 2 §13.1.1.3 "Debug-Status Register (DR6)"). */
#define DR6_BS                  BIT(14) /* single step */

#define RFLAGS_TF               BIT(8)
#define RFLAGS_IF               BIT(9)
#define RFLAGS_RF               BIT(16)

/* Exception vectors. */
#define X86_DE 0
#define X86_DB 1
#define X86_NMI 2
#define X86_BP 3
#define X86_UD 6
#define X86_NM 7
#define X86_DF 8
#define X86_TS 10
#define X86_NP 11
#define X86_SS 12
#define X86_GP 13
#define X86_PF 14
#define X86_MC 18

#endif
