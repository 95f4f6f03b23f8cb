/*
 * guest/mbkernel/main.c - a small Multiboot (v1) test kernel: it checks what
 * the hypervisor's boot loader gave it (hv/multiboot.c) and the few PC
 * devices such kernels expect, and prints one line per check on COM1:
 *     PASS: <check>: <what>            FAIL: <check>: <what> (expected X, got Y)
 * It ends by writing its status to the debug-exit port 0xF4 (guest/mbkernel/
 * entry.asm): 0 when every check passed, otherwise the number of failed
 * checks, or 0x100 + vector after an unexpected exception.  The hypervisor
 * turns that into "PASS: guest: <file>: exited with status 0" or a FAIL.
 *
 * What it checks and what a failure means:
 *   magic, machine state   EAX = 0x2BADB002, CR0.PE = 1, CR0.PG = 0, EFLAGS.IF = 0
 *                          (Multiboot 0.6.96 §3.2): the vCPU entry state is wrong
 *   mbi flags, memory,     the MBI (§3.3): mem_lower/mem_upper present and
 *   memory map, placement  plausible, the MBI and what it points to above 1 MiB
 *                          and outside the kernel and the modules (page 0 and
 *                          low memory must stay free for an AP trampoline)
 *   cmdline, modules       the command line and the module list: alignment,
 *                          sizes, strings; with a manifest module (below) also
 *                          the exact command line and each module's size and
 *                          POSIX cksum, i.e. what run.sh --append/--module gave
 *   data, bss              initialized data loaded, BSS zeroed by the loader
 *   com1                   the UART's line-status register says "ready" (bit 5)
 *   pic                    8259 mask writes to 0x21/0xA1 are accepted
 *   perf msr               AMD performance-counter MSRs 0xC0010000-0xC0010007
 *                          read and write without #GP (Linux probes them)
 *   apic                   the BSP's local APIC through the xAPIC page: CPUID 1
 *                          EDX[9], IA32_APIC_BASE (enabled, xAPIC, BSP, 0xFEE00000),
 *                          ID 0, version 0x10-0x15; after the IPIs ESR 0 and the ICR
 *                          delivery status idle after each send
 *   smp                    with "cpus=N" on the command line: INIT/STARTUP to APIC
 *                          IDs 1..N-1 (start_aps()); each AP runs trampoline.asm
 *                          and checks in exactly once with its own APIC ID, a
 *                          STARTUP to a running AP changes nothing.  A missing,
 *                          doubled or wrong AP is a FAIL.  Without cpus=N, or
 *                          with cpus=1, no AP is started (an INFO line says so).
 *                          "smp_nodelay": one STARTUP right after INIT, no retry
 *   touch                  with "touch=M": RAM from 32 MiB to M MiB is there
 *                          (mem_upper covers it, a word every 64 KiB reads back)
 *   (no check)             "silent=MS": MS ms (at 5 GHz) without a line, then
 *                          "lines=N": N lines 1000 such ms apart - a long run
 *                          for the hypervisor's watchdog
 *
 * The manifest: module 0 may be a text file made by guest/mbkernel/mkmanifest.sh
 *     mbkernel-manifest 1
 *     cmdline <the exact command line>
 *     mem_upper <KiB>                  (optional)
 *     modules <count, the manifest included>
 *     module <index> <size> <POSIX cksum>      (one per other module)
 *     end
 * Without one, the command line and module contents are printed, not judged.
 *
 * Only the BSP prints: the APs share COM1 and report through memory.
 * Freestanding 32-bit code without libgcc, so no 64-bit division anywhere.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define MB_BOOTLOADER_MAGIC     0x2BADB002u
#define MBI_MEMORY              (1u << 0)
#define MBI_CMDLINE             (1u << 2)
#define MBI_MODS                (1u << 3)
#define MBI_MMAP                (1u << 6)
#define MBI_LOADER_NAME         (1u << 9)
#define MB_MMAP_AVAILABLE       1

#define CR0_PE                  (1u << 0)
#define CR0_PG                  (1u << 31)
#define EFLAGS_IF               (1u << 9)
#define EFLAGS_VM               (1u << 17)

#define COM1                    0x3f8
#define COM1_LSR_THRE           (1u << 5)       /* transmitter holding register empty */
#define PIC1_DATA               0x21
#define PIC2_DATA               0xa1
#define MSR_AMD_PERF_CTL0       0xc0010000u     /* PerfEvtSel0-3, then PerfCtr0-3 */
#define MSR_AMD_PERF_COUNT      8

#define LOW_END                 0x100000u
#define PAGE_SIZE               4096u
#define STR_MAX                 4096u

/* Multiboot §3.3, the fields used here. */
struct mb_info {
	u32 flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	u32 syms[4];
	u32 mmap_length, mmap_addr, drives_length, drives_addr, config_table;
	u32 boot_loader_name;
} __attribute__((packed));

struct mb_module {
	u32 mod_start, mod_end, string, reserved;
} __attribute__((packed));

struct mb_mmap_entry {
	u32 size;
	u64 base_addr, length;
	u32 type;
} __attribute__((packed));

/* entry.asm */
extern u32 boot_eax, boot_ebx, boot_eflags, boot_cr0;
extern const u32 exc_stub_table[32];
extern volatile u32 fault_fixup, fault_vector;
u32 msr_read_safe(u32 msr, u32 *lo, u32 *hi);
u32 msr_write_safe(u32 msr, u32 lo, u32 hi);
/* mbkernel.ld */
extern u8 __kernel_start[], __kernel_end[];

u32 mb_main(u32 magic, u32 mbi_addr);

/* ---- freestanding helpers (gcc may call these for struct copies) ---------------- */

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

void *memset(void *d, int c, size_t n)
{
	u8 *p = d;

	while (n--)
		*p++ = (u8)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	u8 *p = d;
	const u8 *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

static inline void outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* ---- COM1 and a small printf -------------------------------------------------- */

static u32 com1_timeouts;

static void com1_init(void)
{
	outb(COM1 + 1, 0x00);           /* IER: no interrupts */
	outb(COM1 + 3, 0x80);           /* LCR: DLAB, to set the divisor */
	outb(COM1 + 0, 0x01);           /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);           /* 8 data bits, no parity, 1 stop bit */
	outb(COM1 + 2, 0xc7);           /* FCR: FIFOs on and cleared */
	outb(COM1 + 4, 0x03);           /* MCR: DTR, RTS */
}

/* Polls LSR bit 5 as a driver for a real 16550 does; gives up after a while. */
static void com1_putc(char c)
{
	u32 n = 0;

	while (!(inb(COM1 + 5) & COM1_LSR_THRE))
		if (++n == 1000000) {
			com1_timeouts++;
			break;
		}
	outb(COM1, (u8)c);
}

static void put_str(const char *s)
{
	while (*s)
		com1_putc(*s++);
}

static void put_uint(u32 v, unsigned base, int width)
{
	char buf[12];
	int n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (width-- > n)
		com1_putc('0');
	while (n)
		com1_putc(buf[--n]);
}

/* %s %c %u %x, with a zero-padding width (%08x).  The hypervisor shows non-printables as '.'. */
static void kvprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		int width = 0;

		if (*fmt != '%') {
			com1_putc(*fmt);
			continue;
		}
		fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		switch (*fmt) {
		case 's':
			put_str(va_arg(ap, const char *));
			break;
		case 'c':
			com1_putc((char)va_arg(ap, int));
			break;
		case 'u':
			put_uint(va_arg(ap, u32), 10, width);
			break;
		case 'x':
			put_uint(va_arg(ap, u32), 16, width);
			break;
		default:
			com1_putc('%');
			com1_putc(*fmt);
			break;
		}
	}
}

static void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

/* ---- results ------------------------------------------------------------------------ */

static u32 nr_pass, nr_fail;

/* One line: "PASS: " or "FAIL: " and the message. */
static void report(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(bool ok, const char *fmt, ...)
{
	va_list ap;

	put_str(ok ? "PASS: " : "FAIL: ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	com1_putc('\n');
	if (ok)
		nr_pass++;
	else
		nr_fail++;
}

/* ---- exceptions ------------------------------------------------------------------------ */

struct exc_frame {
	u32 edi, esi, ebp, esp, ebx, edx, ecx, eax;     /* PUSHAD */
	u32 vector, error;                              /* the stub */
	u32 eip, cs, eflags;                            /* the CPU */
};

struct idt_gate {
	u16 offset_lo, selector;
	u8 zero, type;                  /* 0x8e: present, DPL 0, 32-bit interrupt gate */
	u16 offset_hi;
} __attribute__((packed));

static struct idt_gate idt[32];

void mb_exception(struct exc_frame *f);
void mb_exception(struct exc_frame *f)
{
	if (fault_fixup) {
		fault_vector = f->vector;
		f->eip = fault_fixup;
		fault_fixup = 0;
		return;
	}
	report(false, "exception: unexpected vector %u, error code 0x%x, at EIP 0x%x",
	       f->vector, f->error, f->eip);
	__asm__ volatile("outl %0, %1" : : "a"(0x100 + f->vector), "Nd"((u16)0xf4));
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void idt_load(void)
{
	struct __attribute__((packed)) { u16 limit; u32 base; } desc = {
		sizeof(idt) - 1, (u32)(uintptr_t)idt,
	};

	for (int v = 0; v < 32; v++)
		idt[v] = (struct idt_gate){
			.offset_lo = (u16)exc_stub_table[v], .selector = 0x08, .type = 0x8e,
			.offset_hi = (u16)(exc_stub_table[v] >> 16),
		};
	__asm__ volatile("lidt %0" : : "m"(desc));
}

/* ---- memory helpers ----------------------------------------------------------------------- */

static u32 mem_top;                     /* 1 MiB + mem_upper KiB, or 0 while unknown */

static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static bool starts_with(const char *s, const char *prefix, u32 n)
{
	for (u32 i = 0; prefix[i]; i++)
		if (i >= n || s[i] != prefix[i])
			return false;
	return true;
}

/* Length of the NUL-terminated string at addr, or ~0u if none within STR_MAX bytes. */
static u32 str_len(u32 addr)
{
	const char *s = (const char *)(uintptr_t)addr;

	for (u32 i = 0; i < STR_MAX; i++) {
		if (mem_top && addr + i >= mem_top)
			return ~0u;
		if (!s[i])
			return i;
	}
	return ~0u;
}

static bool overlaps(u32 a, u32 alen, u32 b, u32 blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/* POSIX cksum: CRC-32 (polynomial 0x04C11DB7, MSB first) over the data and its length. */
static u32 crc_byte(u32 crc, u8 b)
{
	crc ^= (u32)b << 24;
	for (int k = 0; k < 8; k++)
		crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04c11db7u : crc << 1;
	return crc;
}

static u32 posix_cksum(const u8 *p, u32 n)
{
	u32 crc = 0;

	for (u32 i = 0; i < n; i++)
		crc = crc_byte(crc, p[i]);
	for (u32 len = n; len; len >>= 8)
		crc = crc_byte(crc, (u8)len);
	return ~crc;
}

/* ---- the manifest ------------------------------------------------------------------------- */

#define MAX_MODS 16

struct manifest {
	bool present;
	u32 size;                       /* bytes up to and including "end\n" */
	const char *cmdline;            /* in a copy with NULs at line ends */
	bool has_mem_upper;
	u32 mem_upper;
	u32 modules;
	u32 nr_entries;
	struct { u32 index, size, cksum; } entry[MAX_MODS];
};

static char manifest_text[4096];

static bool parse_u32(const char **s, u32 *out)
{
	u32 v = 0;

	if (**s < '0' || **s > '9')
		return false;
	while (**s >= '0' && **s <= '9')
		v = v * 10 + (u32)(*(*s)++ - '0');
	while (**s == ' ')
		(*s)++;
	*out = v;
	return true;
}

/* Module 0 is a manifest when it starts with the tag line; returns false on a malformed one. */
static bool manifest_parse(const struct mb_module *m, struct manifest *mf)
{
	const char *src = (const char *)(uintptr_t)m->mod_start;
	u32 n = m->mod_end - m->mod_start;
	char *line;
	bool ended = false;

	mf->present = starts_with(src, "mbkernel-manifest 1\n", n);
	if (!mf->present)
		return true;
	if (n >= sizeof(manifest_text))
		return false;
	memcpy(manifest_text, src, n);
	manifest_text[n] = 0;
	line = manifest_text;
	while (*line && !ended) {
		char *nl = line;
		const char *p;

		while (*nl && *nl != '\n')
			nl++;
		if (!*nl)
			return false;           /* every line ends with '\n' */
		*nl = 0;
		if (starts_with(line, "cmdline ", STR_MAX)) {
			mf->cmdline = line + 8;
		} else if (str_eq(line, "cmdline")) {
			mf->cmdline = "";
		} else if (starts_with(line, "mem_upper ", STR_MAX)) {
			p = line + 10;
			if (!parse_u32(&p, &mf->mem_upper) || *p)
				return false;
			mf->has_mem_upper = true;
		} else if (starts_with(line, "modules ", STR_MAX)) {
			p = line + 8;
			if (!parse_u32(&p, &mf->modules) || *p)
				return false;
		} else if (starts_with(line, "module ", STR_MAX)) {
			p = line + 7;
			if (mf->nr_entries == MAX_MODS)
				return false;
			if (!parse_u32(&p, &mf->entry[mf->nr_entries].index) ||
			    !parse_u32(&p, &mf->entry[mf->nr_entries].size) ||
			    !parse_u32(&p, &mf->entry[mf->nr_entries].cksum) || *p)
				return false;
			mf->nr_entries++;
		} else if (str_eq(line, "end")) {
			ended = true;
		} else if (!starts_with(line, "mbkernel-manifest ", STR_MAX)) {
			return false;
		}
		line = nl + 1;
	}
	mf->size = (u32)(line - manifest_text);
	return ended && mf->cmdline && mf->modules;
}

/* ---- the checks ---------------------------------------------------------------------------- */

/* 1 MiB and up, inside reported memory, outside the kernel image and every module. */
static bool placed_well(const struct mb_info *mbi, u32 addr, u32 len, const char *what)
{
	u32 ks = (u32)(uintptr_t)__kernel_start, ke = (u32)(uintptr_t)__kernel_end;
	const struct mb_module *mods = (const void *)(uintptr_t)mbi->mods_addr;

	if (addr < LOW_END) {
		report(false, "placement: the %s at 0x%x is in low memory (expected >= 0x100000)", what, addr);
		return false;
	}
	if (mem_top && (addr >= mem_top || len > mem_top - addr)) {
		report(false, "placement: the %s [0x%x, +0x%x) is beyond the reported memory (top 0x%x)",
		       what, addr, len, mem_top);
		return false;
	}
	if (overlaps(addr, len, ks, ke - ks)) {
		report(false, "placement: the %s [0x%x, +0x%x) is inside the kernel [0x%x, 0x%x)",
		       what, addr, len, ks, ke);
		return false;
	}
	for (u32 i = 0; (mbi->flags & MBI_MODS) && i < mbi->mods_count && i < MAX_MODS; i++)
		if (overlaps(addr, len, mods[i].mod_start, mods[i].mod_end - mods[i].mod_start)) {
			report(false, "placement: the %s [0x%x, +0x%x) is inside module %u [0x%x, 0x%x)",
			       what, addr, len, i, mods[i].mod_start, mods[i].mod_end);
			return false;
		}
	return true;
}

static void check_memory(const struct mb_info *mbi, const struct manifest *mf, u32 highest)
{
	if (!(mbi->flags & MBI_MEMORY)) {
		report(false, "memory: MBI flags 0x%x lack bit 0 (mem_lower/mem_upper), which the header asked for",
		       mbi->flags);
		return;
	}
	report(mbi->mem_lower >= 1 && mbi->mem_lower <= 640,
	       "memory: mem_lower %u KiB (expected 1 to 640)", mbi->mem_lower);
	/* The kernel, its modules and the MBI must be in the memory it is told about. */
	report(mem_top >= highest && mbi->mem_upper <= 4u * 1024 * 1024 - 1024,
	       "memory: mem_upper %u KiB: memory up to 0x%x holds everything loaded (up to 0x%x)",
	       mbi->mem_upper, mem_top, highest);
	if (mf->has_mem_upper)
		report(mbi->mem_upper == mf->mem_upper, "memory: mem_upper is what the manifest says "
		       "(expected %u, got %u)", mf->mem_upper, mbi->mem_upper);
}

static void check_mmap(const struct mb_info *mbi)
{
	u32 off = 0, covered = 0, entries = 0;

	if (!(mbi->flags & MBI_MMAP)) {
		kprintf("INFO: mmap: not given (MBI flag 6 clear)\n");
		return;
	}
	if (!placed_well(mbi, mbi->mmap_addr, mbi->mmap_length, "memory map"))
		return;
	while (off + 4 <= mbi->mmap_length) {
		const struct mb_mmap_entry *e = (const void *)(uintptr_t)(mbi->mmap_addr + off);

		if (e->size < 20 || off + 4 + e->size > mbi->mmap_length) {
			report(false, "mmap: entry %u has size %u (expected >= 20, within %u bytes)",
			       entries, e->size, mbi->mmap_length);
			return;
		}
		kprintf("mmap: [0x%08x, +0x%08x) type %u\n", (u32)e->base_addr, (u32)e->length, e->type);
		if (e->type == MB_MMAP_AVAILABLE && e->base_addr <= LOW_END &&
		    e->base_addr + e->length >= mem_top)
			covered = 1;
		entries++;
		off += 4 + e->size;
	}
	report(covered, "mmap: %u entries; one available range covers [1 MiB, 0x%x)", entries, mem_top);
}

static void check_cmdline(const struct mb_info *mbi, const struct manifest *mf)
{
	const char *s = (const char *)(uintptr_t)mbi->cmdline;
	u32 n;

	if (!(mbi->flags & MBI_CMDLINE)) {
		report(false, "cmdline: MBI flags 0x%x lack bit 2", mbi->flags);
		return;
	}
	n = str_len(mbi->cmdline);
	if (n == ~0u) {
		report(false, "cmdline: no NUL within %u bytes of 0x%x", STR_MAX, mbi->cmdline);
		return;
	}
	if (!placed_well(mbi, mbi->cmdline, n + 1, "command line"))
		return;
	kprintf("cmdline: '%s' (%u bytes at 0x%x)\n", s, n, mbi->cmdline);
	if (mf->present)
		report(str_eq(s, mf->cmdline), "cmdline: equals what the manifest says (expected '%s', got '%s')",
		       mf->cmdline, s);
	else
		kprintf("INFO: cmdline: no manifest module: not compared\n");
}

static void check_modules(const struct mb_info *mbi, const struct manifest *mf)
{
	const struct mb_module *mods = (const void *)(uintptr_t)mbi->mods_addr;
	u32 ks = (u32)(uintptr_t)__kernel_start, ke = (u32)(uintptr_t)__kernel_end;
	bool ok = true;

	if (!(mbi->flags & MBI_MODS)) {
		report(false, "modules: MBI flags 0x%x lack bit 3", mbi->flags);
		return;
	}
	if (mbi->mods_count > MAX_MODS) {
		report(false, "modules: %u modules, this kernel looks at %u at most", mbi->mods_count, MAX_MODS);
		return;
	}
	if (mbi->mods_count &&
	    !placed_well(mbi, mbi->mods_addr, mbi->mods_count * (u32)sizeof(*mods), "module list"))
		return;
	for (u32 i = 0; i < mbi->mods_count; i++) {
		const struct mb_module *m = &mods[i];
		u32 n = str_len(m->string);

		if (n == ~0u) {
			report(false, "modules: module %u: its string has no NUL within %u bytes", i, STR_MAX);
			ok = false;
			continue;
		}
		kprintf("module %u: [0x%x, 0x%x) %u bytes, string '%s'\n", i, m->mod_start, m->mod_end,
			m->mod_end - m->mod_start, (const char *)(uintptr_t)m->string);
		if (!placed_well(mbi, m->string, n + 1, "module string"))
			ok = false;
		if (m->mod_start % PAGE_SIZE || m->mod_end < m->mod_start || m->mod_start < LOW_END ||
		    (mem_top && m->mod_end > mem_top) ||
		    overlaps(m->mod_start, m->mod_end - m->mod_start, ks, ke - ks)) {
			report(false, "modules: module %u [0x%x, 0x%x): expected page aligned, above 1 MiB, "
			       "within memory and outside the kernel", i, m->mod_start, m->mod_end);
			ok = false;
		}
		for (u32 j = 0; j < i; j++)
			if (overlaps(m->mod_start, m->mod_end - m->mod_start, mods[j].mod_start,
				     mods[j].mod_end - mods[j].mod_start)) {
				report(false, "modules: modules %u and %u overlap", j, i);
				ok = false;
			}
	}
	if (ok)
		report(true, "modules: %u module%s page aligned, above 1 MiB, apart from the kernel and each other",
		       mbi->mods_count, mbi->mods_count == 1 ? "" : "s");
	if (!ok || !mf->present) {
		if (!mf->present)
			kprintf("INFO: modules: no manifest module: contents not checked\n");
		return;
	}

	report(mods[0].mod_end - mods[0].mod_start == mf->size,
	       "manifest: module 0 is exactly the manifest (expected %u bytes, got %u)",
	       mf->size, mods[0].mod_end - mods[0].mod_start);
	report(mbi->mods_count == mf->modules, "manifest: module count (expected %u, got %u)",
	       mf->modules, mbi->mods_count);
	for (u32 k = 0; k < mf->nr_entries; k++) {
		u32 i = mf->entry[k].index, size, sum;

		if (i >= mbi->mods_count) {
			report(false, "manifest: module %u is listed but not given", i);
			continue;
		}
		size = mods[i].mod_end - mods[i].mod_start;
		sum = posix_cksum((const u8 *)(uintptr_t)mods[i].mod_start, size);
		report(size == mf->entry[k].size && sum == mf->entry[k].cksum,
		       "module %u: size and cksum (expected %u bytes, cksum %u; got %u bytes, cksum %u)",
		       i, mf->entry[k].size, mf->entry[k].cksum, size, sum);
	}
}

/* Initialized data is loaded from the file, BSS is zeroed (the file holds other bytes after .data). */
static volatile u32 data_probe = 0x600dda7a;
static volatile u8 bss_probe[4096];

static void check_image(void)
{
	u32 nonzero = 0;

	report(data_probe == 0x600dda7a, "data: initialized data loaded (expected 0x600dda7a, got 0x%x)",
	       data_probe);
	for (u32 i = 0; i < sizeof(bss_probe); i++)
		nonzero += bss_probe[i] != 0;
	report(!nonzero, "bss: zeroed by the loader (expected 0 non-zero bytes in %u, got %u)",
	       (u32)sizeof(bss_probe), nonzero);
}

/* A kernel masks the legacy PICs before it uses the local APIC. */
static void check_pic(void)
{
	u8 m1, m2;

	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
	m1 = inb(PIC1_DATA);
	m2 = inb(PIC2_DATA);
	report(m1 == 0xff && m2 == 0xff, "pic: 8259 mask writes to 0x21/0xa1 accepted, masks read back "
	       "(expected 0xff/0xff, got 0x%x/0x%x)", m1, m2);
}

/*
 * AMD's legacy performance counters (APM Vol 2 §13.2 "Performance
 * Counters"): PerfEvtSel0-3 at 0xC0010000-3, PerfCtr0-3 at 0xC0010004-7.
 * A kernel writes 0 to disable them; reading back 0 holds both for a real
 * (disabled) counter and for one that reads as zero.
 */
static void check_perf_msrs(void)
{
	for (u32 msr = MSR_AMD_PERF_CTL0; msr < MSR_AMD_PERF_CTL0 + MSR_AMD_PERF_COUNT; msr++) {
		u32 lo = 0xdead, hi = 0xdead, vr, vw, vr2;

		vr = msr_read_safe(msr, &lo, &hi);
		vw = msr_write_safe(msr, 0, 0);
		lo = hi = 0xdead;
		vr2 = msr_read_safe(msr, &lo, &hi);
		if (!vr && !vw && !vr2 && !lo && !hi)
			report(true, "perf msr 0x%x: read, write 0, read back 0, no fault", msr);
		else
			report(false, "perf msr 0x%x: read, write 0, read back 0 (expected no fault and 0, "
			       "got vectors %u/%u/%u and 0x%x:%08x)", msr, vr, vw, vr2, hi, lo);
	}
}

/* ---- the local APIC --------------------------------------------------------------------- */

/*
 * The BSP's and the APs' own local APIC through the xAPIC page only (no
 * x2APIC MSRs): APM Vol 2 §16.3 "Local APIC", offsets and reset values in
 * §16.3.2 "APIC Registers", Table 16-2.  The hypervisor emulates the page
 * by decoding the faulting instruction and accepts only MOVs (hv/mmio.c),
 * so every access is one explicit 32-bit MOV, never the TEST or OR with a
 * memory operand that the compiler might pick for a plain volatile access.
 */
#define MSR_IA32_APIC_BASE      0x1bu
#define APIC_BASE_BSC           (1u << 8)       /* this is the bootstrap processor */
#define APIC_BASE_EXTD          (1u << 10)      /* x2APIC mode */
#define APIC_BASE_AE            (1u << 11)      /* global enable */
#define APIC_BASE_ABA           0xfffff000u
#define XAPIC_BASE              0xfee00000u     /* the reset base (APM Vol 2 §16.3.1 "Local APIC Enable") */
#define CPUID1_EDX_APIC         (1u << 9)

#define APIC_ID                 0x020           /* xAPIC ID in bits 31:24 */
#define APIC_VERSION            0x030           /* bits 7:0: 0x10-0x15 for an integrated APIC */
#define APIC_SVR                0x0f0
#define APIC_ESR                0x280
#define APIC_ICR_LO             0x300           /* writing it sends */
#define APIC_ICR_HI             0x310           /* destination in bits 31:24 */

#define APIC_ESR_SEND_ACCEPT    (1u << 2)       /* no APIC accepted a sent IPI */
#define APIC_SVR_ENABLE         (1u << 8)
#define APIC_SPURIOUS_VECTOR    0xff
#define APIC_ICR_MT_INIT        (5u << 8)
#define APIC_ICR_MT_STARTUP     (6u << 8)
#define APIC_ICR_DS             (1u << 12)      /* delivery status: 1 = send pending */
#define APIC_ICR_ASSERT         (1u << 14)
#define APIC_ICR_LEVEL          (1u << 15)

static inline u32 apic_read(u32 off)
{
	u32 v;

	__asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(XAPIC_BASE + off) : "memory");
	return v;
}

static inline void apic_write(u32 off, u32 v)
{
	__asm__ volatile("movl %0, (%1)" : : "r"(v), "r"(XAPIC_BASE + off) : "memory");
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" : : : "memory");
}

/* A TSC interval as u32 for printing (no 64-bit division here): saturates. */
static u32 ticks32(u64 t)
{
	return t >> 32 ? ~0u : (u32)t;
}

/*
 * Delays.  Nothing tells this kernel the TSC rate (no PIT by design, no
 * ACPI, AMD's CPUID has no TSC leaf), so an interval is counted for the
 * fastest TSC it may meet, 5 GHz: "10 ms" is at least 10 ms and longer on
 * a slower TSC.  Every delay here is a minimum (INIT to STARTUP) or a
 * patience limit, where longer is harmless.
 */
#define TSC_MAX_KHZ             5000000u
#define MS_TICKS(ms)            ((u64)(ms) * TSC_MAX_KHZ)

static void tsc_delay(u64 ticks)
{
	u64 end = rdtsc() + ticks;

	while (rdtsc() < end)
		cpu_relax();
}

static u32 icr_sends, icr_busy;         /* IPIs sent; of those, still pending after the wait */

/*
 * Sends one IPI with a physical destination (APM Vol 2 §16.5
 * "Interprocessor Interrupts (IPI)"): ICR high first, the ICR low write
 * sends.  A kernel waits for the delivery status to read idle before it
 * uses the ICR again; ours should read idle at once
 * (this hypervisor's APIC completes an emulated send before the write
 * returns, and reads the delivery status as idle), so a send still pending
 * after 1 ms counts as a failure.
 */
static void apic_send_ipi(u32 apic_id, u32 icr_lo)
{
	u64 end;

	apic_write(APIC_ICR_HI, apic_id << 24);
	apic_write(APIC_ICR_LO, icr_lo);
	icr_sends++;
	end = rdtsc() + MS_TICKS(1);
	while (apic_read(APIC_ICR_LO) & APIC_ICR_DS)
		if (rdtsc() >= end) {
			icr_busy++;
			break;
		}
}

static inline void cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

/*
 * The BSP's local APIC, as a kernel finds it before it starts APs: CPUID
 * says there is one, IA32_APIC_BASE says enabled in xAPIC mode at the reset
 * base with the BSP flag, the ID register says 0 and the version register an
 * integrated APIC.  Then it software-enables the APIC (SVR bit 8; every LVT
 * stays masked, IF stays 0).  Returns whether the APIC can send IPIs.
 */
static bool check_apic(void)
{
	u32 a, b, c, d, lo = 0, hi = 0, vec, id, ver;
	bool ok;

	cpuid(1, &a, &b, &c, &d);
	vec = msr_read_safe(MSR_IA32_APIC_BASE, &lo, &hi);
	ok = (d & CPUID1_EDX_APIC) && !vec && !hi && (lo & APIC_BASE_ABA) == XAPIC_BASE &&
	     (lo & (APIC_BASE_AE | APIC_BASE_EXTD | APIC_BASE_BSC)) == (APIC_BASE_AE | APIC_BASE_BSC);
	report(ok, "apic: CPUID 1 EDX[9] set, IA32_APIC_BASE enabled, xAPIC mode, BSP, base 0x%x "
	       "(got EDX[9]=%u, fault vector %u, IA32_APIC_BASE 0x%x:%08x)",
	       XAPIC_BASE, (d & CPUID1_EDX_APIC) != 0, vec, hi, lo);
	if (!ok)
		return false;
	id = apic_read(APIC_ID) >> 24;
	report(id == 0, "apic: the BSP's APIC ID (0x%x bits 31:24) is 0 (got %u)", XAPIC_BASE + APIC_ID, id);
	ver = apic_read(APIC_VERSION);
	report((ver & 0xff) >= 0x10 && (ver & 0xff) <= 0x15,
	       "apic: version register 0x%08x: bits 7:0 name an integrated APIC (expected 0x10 to 0x15, got 0x%x)",
	       ver, ver & 0xff);
	apic_write(APIC_SVR, APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR);
	return true;
}

/* ---- the APs ------------------------------------------------------------------------------- */

/*
 * How many CPUs: this platform has no ACPI or MP tables, so the command line
 * says, "cpus=N" (the BSP included).  Probing APIC IDs until one does not
 * answer was the other way; it cannot tell a CPU that failed to start from
 * one that is not there, so a hypervisor that never starts APs would pass.
 * With the count given, a missing AP is a FAIL.
 *
 * The sequence per AP (APM Vol 2 §16.5 "Interprocessor Interrupts (IPI)";
 * the MP specification's timing):
 * INIT (level, assert), 10 ms, STARTUP with vector AP_TRAMPOLINE_PA >> 12,
 * then wait for the AP to check in; only if it has not, a second STARTUP
 * and a longer wait.  One AP at a time, so each check-in is known to come
 * from the AP just started.  After the last AP: one more STARTUP to every
 * AP, as the MP sequence's unconditional second STARTUP would reach a CPU
 * that is already running; it must be ignored (a STARTUP counts only in the
 * INIT state, §16.5: "In the INIT state, the target APIC is responsive only
 * to the STARTUP IPI"), which the final count checks: each AP checked in
 * exactly once, and entered the trampoline once.
 *
 * "smp_nodelay" on the command line sends INIT and one STARTUP right after
 * it, with no retry: kernels for current CPUs skip the 10 ms, so the
 * hypervisor must keep INIT and STARTUP in order however close they come.
 */
#define MAX_CPUS                64              /* run.sh --smp 1-64; xAPIC IDs 0-63 */
#define MAX_APS                 (MAX_CPUS - 1)
#define AP_TRAMPOLINE_PA        0x8000u         /* STARTUP vector 0x08; below 0xA0000, not page 0 */
#define AP_STACK_SIZE           4096u
#define AP_INIT_DELAY           MS_TICKS(10)
#define AP_FIRST_WAIT           MS_TICKS(200)   /* after a STARTUP that may be repeated, and the extra one */
#define AP_SECOND_WAIT          MS_TICKS(500)   /* after the last STARTUP for an AP */

/* What an AP writes about itself, at its arrival number. */
struct ap_record {
	u32 apic_id;            /* from its own xAPIC ID register */
	u32 apic_base;          /* IA32_APIC_BASE, low half: BSC must be clear */
	u32 present;            /* written last */
};

/* trampoline.asm */
extern const u8 ap_trampoline[], ap_trampoline_end[];
/* Shared with trampoline.asm: arrival numbers (LOCK XADD) and a stack per arrival. */
volatile u32 ap_tickets;
u32 ap_stack_top[MAX_APS];
const u32 ap_nr_stacks = MAX_APS;
void ap_main(u32 arrival) __attribute__((noreturn));

static u8 ap_stacks[MAX_APS][AP_STACK_SIZE] __attribute__((aligned(16)));
static volatile struct ap_record ap_rec[MAX_APS];
static volatile u32 ap_checkins_by_id[256];    /* by xAPIC ID, 8 bits */
static volatile u32 ap_checked_in;

static u32 popcount64(u64 v)
{
	u32 n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

static inline void locked_inc(volatile u32 *p)
{
	__asm__ volatile("lock addl $1, %0" : "+m"(*p) : : "memory");
}

/*
 * An AP, called by trampoline.asm on its own stack in 32-bit protected mode
 * (paging off, no IDT: a fault here shuts this vCPU down, which the
 * hypervisor reports as a FAIL of its own).  It records who it is and checks
 * in; it prints nothing, since COM1 is the BSP's, and halts for good.
 */
void ap_main(u32 arrival)
{
	u32 id = apic_read(APIC_ID) >> 24, lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_IA32_APIC_BASE));
	(void)hi;
	ap_rec[arrival].apic_id = id;
	ap_rec[arrival].apic_base = lo;
	ap_rec[arrival].present = 1;
	/* x86 stores are ordered: the record is visible before the count moves. */
	locked_inc(&ap_checkins_by_id[id & 0xff]);
	locked_inc(&ap_checked_in);
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* Waits up to ticks for ap_checked_in to move from before. */
static bool wait_checkin(u32 before, u64 ticks)
{
	u64 end = rdtsc() + ticks;

	do {
		if (ap_checked_in != before)
			return true;
		cpu_relax();
	} while (rdtsc() < end);
	return ap_checked_in != before;
}

/*
 * The first blank-separated word of the command line that starts with
 * prefix (the whole word when prefix ends in no '='): its start and length,
 * or NULL.
 */
static const char *cmdline_word(const struct mb_info *mbi, const char *prefix, u32 *len)
{
	u32 plen = 0;
	const char *s;

	while (prefix[plen])
		plen++;
	if (!(mbi->flags & MBI_CMDLINE) || str_len(mbi->cmdline) == ~0u)
		return NULL;
	for (s = (const char *)(uintptr_t)mbi->cmdline; *s; ) {
		const char *w = s;

		while (*s && *s != ' ')
			s++;
		*len = (u32)(s - w);
		if (starts_with(w, prefix, *len) && (prefix[plen - 1] == '=' || *len == plen))
			return w;
		while (*s == ' ')
			s++;
	}
	return NULL;
}

/* "cpus=N": N, 0 if absent, ~0u if malformed (the word is then copied to bad, for the report). */
static u32 cmdline_cpus(const struct mb_info *mbi, char *bad, u32 bad_size)
{
	u32 len, n = 0, i;
	const char *w = cmdline_word(mbi, "cpus=", &len), *d;

	bad[0] = 0;
	if (!w)
		return 0;
	for (d = w + 5; d < w + len && *d >= '0' && *d <= '9' && n <= MAX_CPUS; d++)
		n = n * 10 + (u32)(*d - '0');
	if (d == w + len && len > 5 && n >= 1 && n <= MAX_CPUS)
		return n;
	for (i = 0; i + 1 < bad_size && i < len; i++)
		bad[i] = w[i];
	bad[i] = 0;
	return ~0u;
}

/*
 * INIT, 10 ms, STARTUP (a second one only if needed) to APIC ID id, then
 * judges its check-in; with nodelay INIT and one STARTUP right after it,
 * and no second chance.  Returns whether an AP came up (whoever it was).
 */
static bool start_ap(u32 id, bool nodelay)
{
	u32 before = ap_checked_in, first = ap_tickets, startups = 0, found = 0;
	u32 max_startups = nodelay ? 1 : 2, got_id = ~0u, got_base = 0, esr;
	bool in = false;
	u64 t0, took;

	apic_send_ipi(id, APIC_ICR_MT_INIT | APIC_ICR_LEVEL | APIC_ICR_ASSERT);
	if (!nodelay)
		tsc_delay(AP_INIT_DELAY);
	t0 = rdtsc();
	while (!in && startups < max_startups) {
		apic_send_ipi(id, APIC_ICR_MT_STARTUP | (AP_TRAMPOLINE_PA >> 12));
		startups++;
		in = wait_checkin(before, startups < max_startups ? AP_FIRST_WAIT : AP_SECOND_WAIT);
	}
	took = rdtsc() - t0;
	if (!in) {
		/*
		 * ESR tells whether any APIC accepted the IPIs: "send accept error"
		 * (bit 2) when none has this ID.  Reading it here (a write
		 * latches, and clears what was pending) keeps the final ESR check
		 * about the APs that are there.
		 */
		apic_write(APIC_ESR, 0);
		esr = apic_read(APIC_ESR);
		report(false, "smp: AP %u: no check-in after INIT and %u STARTUP%s (waited %u TSC ticks, "
		       "ESR 0x%x%s; expected APIC ID %u to run the trampoline at 0x%x)", id, startups,
		       startups == 1 ? "" : "s", ticks32(took), esr,
		       esr & APIC_ESR_SEND_ACCEPT ? ": no APIC accepted them" : "", id, AP_TRAMPOLINE_PA);
		return false;
	}
	/* The arrivals since this AP's INIT: normally exactly one, this AP. */
	for (u32 t = first; t < ap_tickets && t < MAX_APS; t++)
		if (ap_rec[t].present) {
			found++;
			got_id = ap_rec[t].apic_id;
			got_base = ap_rec[t].apic_base;
		}
	report(found == 1 && got_id == id && !(got_base & APIC_BASE_BSC),
	       "smp: AP %u checked in after %u STARTUP%s and %u TSC ticks: as APIC ID %u, IA32_APIC_BASE 0x%x "
	       "(expected one check-in as APIC ID %u with the BSP flag clear; got %u check-in%s)",
	       id, startups, startups == 1 ? "" : "s", ticks32(took), got_id, got_base, id,
	       found, found == 1 ? "" : "s");
	return true;
}

static void start_aps(const struct mb_info *mbi, bool apic_ok)
{
	char bad[32];
	u32 cpus = cmdline_cpus(mbi, bad, sizeof(bad)), size = (u32)(ap_trampoline_end - ap_trampoline);
	u32 once = 0, esr, len;
	bool nodelay = cmdline_word(mbi, "smp_nodelay", &len) != NULL;
	u64 running = 0;                        /* bit id: an AP came up for APIC ID id */

	if (!cpus) {
		kprintf("INFO: smp: no cpus=N on the command line: the BSP alone, no AP started\n");
		return;
	}
	if (cpus == ~0u) {
		report(false, "smp: command line word '%s': expected cpus=N with N from 1 to %u", bad, MAX_CPUS);
		return;
	}
	if (cpus == 1) {
		kprintf("INFO: smp: cpus=1: there are no APs to start\n");
		return;
	}
	if (!apic_ok) {
		report(false, "smp: cpus=%u, but the BSP's local APIC is unusable: no AP started", cpus);
		return;
	}
	for (u32 i = 0; i < MAX_APS; i++)
		ap_stack_top[i] = (u32)(uintptr_t)&ap_stacks[i][AP_STACK_SIZE];
	memcpy((void *)(uintptr_t)AP_TRAMPOLINE_PA, ap_trampoline, size);
	kprintf("smp: cpus=%u: starting the APs, APIC IDs 1 to %u, trampoline (%u bytes) at 0x%x, %s\n",
		cpus, cpus - 1, size, AP_TRAMPOLINE_PA, nodelay ?
		"smp_nodelay: one STARTUP right after INIT" : "10 ms from INIT to STARTUP");
	apic_write(APIC_ESR, 0);                /* a write latches, then ESR reads what happened since */
	apic_read(APIC_ESR);

	for (u32 id = 1; id < cpus; id++)
		if (start_ap(id, nodelay))
			running |= 1ull << id;

	/* A CPU that did not come up was reported above; the others must ignore a STARTUP now. */
	if (!running) {
		kprintf("INFO: smp: no AP is running: a STARTUP to a running AP not tried\n");
	} else {
		for (u32 id = 1; id < cpus; id++)
			if (running & (1ull << id))
				apic_send_ipi(id, APIC_ICR_MT_STARTUP | (AP_TRAMPOLINE_PA >> 12));
		tsc_delay(AP_FIRST_WAIT);
		for (u32 id = 0; id < 256; id++) {
			if (ap_checkins_by_id[id] > 1)
				report(false, "smp: APIC ID %u checked in %u times (expected once)",
				       id, ap_checkins_by_id[id]);
			else if (ap_checkins_by_id[id] == 1)
				once++;
		}
		report(once == ap_checked_in && ap_checked_in == ap_tickets && ap_checked_in == popcount64(running),
		       "smp: one more STARTUP to each running AP is ignored: each of the %u running APs checked in "
		       "exactly once (expected %u check-ins and trampoline entries, got %u and %u)",
		       popcount64(running), popcount64(running), ap_checked_in, ap_tickets);
	}

	apic_write(APIC_ESR, 0);
	esr = apic_read(APIC_ESR);
	report(!esr, "apic: ESR reads 0 after the INIT and STARTUP sends to the APs that came up (got 0x%x)", esr);
	report(!icr_busy, "apic: ICR delivery status (bit 12) idle after each send (expected 0 of %u "
	       "still pending, got %u)", icr_sends, icr_busy);
}

/* A number word "<prefix>N": N, or def when absent; ~0u when malformed or above max. */
static u32 cmdline_num(const struct mb_info *mbi, const char *prefix, u32 def, u32 max)
{
	u32 len, plen = 0, n = 0;
	const char *w = cmdline_word(mbi, prefix, &len), *d;

	if (!w)
		return def;
	while (prefix[plen])
		plen++;
	for (d = w + plen; d < w + len && *d >= '0' && *d <= '9' && n <= max; d++)
		n = n * 10 + (u32)(*d - '0');
	return d == w + len && len > plen && n <= max ? n : ~0u;
}

/*
 * "touch=M": guest RAM up to M MiB is there and holds what is written: one
 * word every 64 KiB from 32 MiB (the old default size) to M MiB, written
 * all, then read back (paging is off: the addresses are physical).  And
 * mem_upper must cover it.
 */
static void check_touch(const struct mb_info *mbi)
{
	u32 mib = cmdline_num(mbi, "touch=", 0, 4095), bad = 0, n = 0;

	if (!mib)
		return;
	if (mib == ~0u || mib <= 32) {
		report(false, "touch: command line word touch=M: expected M from 33 to 4095 (MiB)");
		return;
	}
	report(mem_top && mem_top >= mib << 20, "touch: mem_upper covers %u MiB (memory ends at 0x%x)",
	       mib, mem_top);
	if (!mem_top || mem_top < mib << 20)
		return;
	for (u32 a = 32u << 20; a < mib << 20; a += 0x10000, n++)
		*(volatile u32 *)(uintptr_t)a = a ^ 0x5a5a5a5au;
	for (u32 a = 32u << 20; a < mib << 20; a += 0x10000)
		bad += *(volatile u32 *)(uintptr_t)a != (a ^ 0x5a5a5a5au);
	report(!bad, "touch: %u words from 32 MiB to %u MiB read back as written (expected 0 wrong, got %u)",
	       n, mib, bad);
}

/*
 * "silent=MS": MS milliseconds (at 5 GHz, so at least that long) without a
 * line on COM1, then one line with the TSC ticks it took: the hypervisor's
 * watchdog must not take the silence for a hang (docs/multiboot.md).
 * "lines=N": then N lines, one every 1000 such milliseconds.
 */
static void long_run(const struct mb_info *mbi)
{
	u32 ms = cmdline_num(mbi, "silent=", 0, 600000), lines = cmdline_num(mbi, "lines=", 0, 1000);
	u64 t0;

	if (ms == ~0u || lines == ~0u) {
		report(false, "run: command line word silent=MS or lines=N malformed (MS to 600000, N to 1000)");
		return;
	}
	if (ms) {
		t0 = rdtsc();
		tsc_delay(MS_TICKS(ms));
		kprintf("INFO: silent: %u ms at 5 GHz without a line: 0x%x%08x TSC ticks\n", ms,
			(u32)((rdtsc() - t0) >> 32), (u32)(rdtsc() - t0));
	}
	for (u32 i = 1; i <= lines; i++) {
		tsc_delay(MS_TICKS(1000));
		kprintf("INFO: lines: %u of %u\n", i, lines);
	}
}

u32 mb_main(u32 magic, u32 mbi_addr)
{
	const struct mb_info *mbi = (const void *)(uintptr_t)mbi_addr;
	struct manifest mf = { 0 };
	u32 highest = (u32)(uintptr_t)__kernel_end, lsr;

	com1_init();
	lsr = inb(COM1 + 5);
	idt_load();
	kprintf("mbkernel: Multiboot test kernel at [0x%x, 0x%x), EAX 0x%x, EBX 0x%x\n",
		(u32)(uintptr_t)__kernel_start, highest, boot_eax, boot_ebx);

	report(lsr & COM1_LSR_THRE, "com1: LSR 0x%x says the transmitter is ready (bit 5)", lsr);
	report(magic == MB_BOOTLOADER_MAGIC, "magic: EAX (expected 0x2badb002, got 0x%x)", magic);
	if (magic != MB_BOOTLOADER_MAGIC)
		goto out;               /* EBX means nothing without the magic */
	report((boot_cr0 & CR0_PE) && !(boot_cr0 & CR0_PG) && !(boot_eflags & (EFLAGS_IF | EFLAGS_VM)),
	       "machine state: CR0.PE=1 PG=0, EFLAGS.IF=0 VM=0 (got CR0 0x%x, EFLAGS 0x%x)",
	       boot_cr0, boot_eflags);
	report((mbi->flags & (MBI_MEMORY | MBI_CMDLINE | MBI_MODS)) == (MBI_MEMORY | MBI_CMDLINE | MBI_MODS),
	       "mbi flags: memory, cmdline and modules present (expected bits 0x%x, got flags 0x%x)",
	       MBI_MEMORY | MBI_CMDLINE | MBI_MODS, mbi->flags);
	if (mbi->flags & MBI_MEMORY)
		mem_top = LOW_END + mbi->mem_upper * 1024;
	if (!placed_well(mbi, mbi_addr, sizeof(*mbi), "MBI"))
		goto out;
	report(true, "placement: the MBI at 0x%x is above 1 MiB, outside the kernel and the modules", mbi_addr);
	if (mbi->flags & MBI_LOADER_NAME && str_len(mbi->boot_loader_name) != ~0u)
		kprintf("boot loader: '%s'\n", (const char *)(uintptr_t)mbi->boot_loader_name);

	if ((mbi->flags & MBI_MODS) && mbi->mods_count && mbi->mods_count <= MAX_MODS) {
		const struct mb_module *mods = (const void *)(uintptr_t)mbi->mods_addr;

		for (u32 i = 0; i < mbi->mods_count; i++)
			if (mods[i].mod_end > highest)
				highest = mods[i].mod_end;
		if (mods[0].mod_end >= mods[0].mod_start && !manifest_parse(&mods[0], &mf)) {
			report(false, "manifest: module 0 starts like a manifest but is malformed");
			mf.present = false;
		}
	}
	if (mbi_addr + sizeof(*mbi) > highest)
		highest = mbi_addr + sizeof(*mbi);

	check_memory(mbi, &mf, highest);
	check_mmap(mbi);
	check_cmdline(mbi, &mf);
	check_modules(mbi, &mf);
	check_image();
	check_pic();
	check_perf_msrs();
	start_aps(mbi, check_apic());
	check_touch(mbi);
	long_run(mbi);
out:
	report(!com1_timeouts, "com1: every character went out after polling LSR bit 5 "
	       "(expected 0 timeouts, got %u)", com1_timeouts);
	kprintf("mbkernel: %u passed, %u failed; exit status %u\n", nr_pass, nr_fail, nr_fail);
	return nr_fail;
}
