/*
 * hv/multiboot.c - check and load a Multiboot (v1) ELF kernel into a guest
 * RAM buffer and build its boot information (see hv/multiboot.h).
 *
 * Every field of the file is read byte by byte (little-endian) and every
 * sum is checked for overflow before it is used as an address: the file is
 * user input, and a bad one must end in a message, never in a wild write.
 * The order of the checks is chosen so that the message names the first
 * real problem: a cut-off file says "truncated" before anything looks at
 * the Multiboot header or the addresses.
 */
#include <stdarg.h>
#include "hv/multiboot.h"
#include "lib/printf.h"
#include "lib/string.h"

struct mb_params hv_mb_guest;

#define GIB4            0x100000000ULL

static u16 rd16(const u8 *p)
{
	return (u16)(p[0] | p[1] << 8);
}

static u32 rd32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static u64 rd64(const u8 *p)
{
	return (u64)rd32(p) | (u64)rd32(p + 4) << 32;
}

static int fail(char *err, size_t errlen, const char *fmt, ...) __printf(3, 4);
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* [a, a + alen) and [b, b + blen) share a byte (no sum overflows: all below 4 GiB). */
static bool overlaps(u64 a, u64 alen, u64 b, u64 blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/* Struct fields in the order of ELF32 / ELF64, read into one shape. */
struct elf_phdr {
	u32 type;
	u64 offset, vaddr, paddr, filesz, memsz;
};

static void read_phdr(const u8 *ph, bool elf64, struct elf_phdr *h)
{
	h->type = rd32(ph);
	if (elf64) {
		h->offset = rd64(ph + 8);
		h->vaddr = rd64(ph + 16);
		h->paddr = rd64(ph + 24);
		h->filesz = rd64(ph + 32);
		h->memsz = rd64(ph + 40);
	} else {
		h->offset = rd32(ph + 4);
		h->vaddr = rd32(ph + 8);
		h->paddr = rd32(ph + 12);
		h->filesz = rd32(ph + 16);
		h->memsz = rd32(ph + 20);
	}
}

/*
 * The ELF file header and the program headers: fills ph[] with the PT_LOAD
 * headers that have a size (not yet placed: check_segments does that) and
 * *entry with e_entry.
 */
static int check_elf(const struct mb_params *p, struct mb_layout *l, struct elf_phdr *ph,
		     u64 *entry, char *err, size_t errlen)
{
	const u8 *f = p->kernel;
	u64 size = p->kernel_size, phoff, phtab;
	unsigned ehsize, phentsize_want, phentsize, phnum, type, machine;

	if (!f || size < 4 || f[0] != 0x7f || f[1] != 'E' || f[2] != 'L' || f[3] != 'F') {
		if (!f || size < 4)
			return fail(err, errlen, "not an ELF file (bad ELF magic): the file has only %llu bytes",
				    (unsigned long long)size);
		return fail(err, errlen, "not an ELF file (bad ELF magic %02x %02x %02x %02x, expected 7f 45 4c 46)",
			    f[0], f[1], f[2], f[3]);
	}
	if (size < EI_NIDENT)
		return fail(err, errlen, "truncated file: %llu bytes, less than the ELF identification (%u bytes)",
			    (unsigned long long)size, EI_NIDENT);
	if (f[EI_CLASS] != ELFCLASS32 && f[EI_CLASS] != ELFCLASS64)
		return fail(err, errlen, "ELF class %u: expected ELF32 (1) or ELF64 (2)", f[EI_CLASS]);
	if (f[EI_DATA] != ELFDATA2LSB)
		return fail(err, errlen, "ELF data encoding %u: expected little-endian (1) for x86", f[EI_DATA]);
	if (f[EI_VERSION] != EV_CURRENT)
		return fail(err, errlen, "ELF version %u: expected 1", f[EI_VERSION]);
	l->elf64 = f[EI_CLASS] == ELFCLASS64;
	ehsize = l->elf64 ? ELF64_EHDR_SIZE : ELF32_EHDR_SIZE;
	if (size < ehsize)
		return fail(err, errlen, "truncated file: %llu bytes, less than the ELF%s header (%u bytes)",
			    (unsigned long long)size, l->elf64 ? "64" : "32", ehsize);

	type = rd16(f + 16);
	machine = rd16(f + 18);
	if (!l->elf64 && machine != EM_386)
		return fail(err, errlen, "ELF32 file for machine %u: expected i386 (%u)", machine, EM_386);
	if (l->elf64 && machine != EM_X86_64)
		return fail(err, errlen, "ELF64 file for machine %u: expected x86-64 (%u)", machine, EM_X86_64);
	if (type != ET_EXEC)
		return fail(err, errlen, "ELF type %u: expected an executable (ET_EXEC, 2); "
			    "relocatable, shared and position-independent files are not loaded", type);

	if (l->elf64) {
		*entry = rd64(f + 24);
		phoff = rd64(f + 32);
		phentsize = rd16(f + 54);
		phnum = rd16(f + 56);
		phentsize_want = ELF64_PHDR_SIZE;
	} else {
		*entry = rd32(f + 24);
		phoff = rd32(f + 28);
		phentsize = rd16(f + 42);
		phnum = rd16(f + 44);
		phentsize_want = ELF32_PHDR_SIZE;
	}
	if (!phnum)
		return fail(err, errlen, "no program headers: nothing to load");
	if (phentsize != phentsize_want)
		return fail(err, errlen, "program header size %u: expected %u", phentsize, phentsize_want);
	if (phnum > MB_PHDRS_MAX)
		return fail(err, errlen, "%u program headers: at most %u are supported", phnum, MB_PHDRS_MAX);
	phtab = (u64)phnum * phentsize;
	if (phoff > size || phtab > size - phoff)
		return fail(err, errlen, "truncated file: the program headers [0x%llx, 0x%llx) end past the "
			    "end of the file (%llu bytes)", (unsigned long long)phoff,
			    (unsigned long long)(phoff + phtab), (unsigned long long)size);

	l->nr_segments = 0;
	for (unsigned i = 0; i < phnum; i++) {
		struct elf_phdr h;

		read_phdr(f + phoff + (u64)i * phentsize, l->elf64, &h);
		if (h.type != PT_LOAD || !h.memsz)
			continue;
		if (h.filesz && (h.offset > size || h.filesz > size - h.offset))
			return fail(err, errlen, "truncated file: segment %u (program header %u) has file bytes "
				    "[0x%llx, 0x%llx), the file ends at 0x%llx", l->nr_segments, i,
				    (unsigned long long)h.offset, (unsigned long long)(h.offset + h.filesz),
				    (unsigned long long)size);
		if (l->nr_segments == MB_SEGMENTS_MAX)
			return fail(err, errlen, "more than %u loadable segments", MB_SEGMENTS_MAX);
		ph[l->nr_segments++] = h;
	}
	if (!l->nr_segments)
		return fail(err, errlen, "no loadable segment (PT_LOAD with a size)");
	return 0;
}

/*
 * Multiboot §3.1.1: "The Multiboot header must be contained completely
 * within the first 8192 bytes of the OS image, and must be longword (32-bit)
 * aligned."  §3.1.2: magic + flags + checksum must be 0 (mod 2^32).  The
 * first magic with a good checksum counts, as a boot loader scanning the
 * file would find it; a magic with a bad one is reported if no good one follows.
 */
static int check_header(const struct mb_params *p, struct mb_layout *l, char *err, size_t errlen)
{
	const u8 *f = p->kernel;
	u64 lim = MIN(p->kernel_size, (u64)MB_HEADER_SEARCH);
	u32 off, flags, need;
	s64 bad = -1;

	for (off = 0; off + 12 <= lim; off += MB_HEADER_ALIGN) {
		if (rd32(f + off) != MB_HEADER_MAGIC)
			continue;
		if ((u32)(MB_HEADER_MAGIC + rd32(f + off + 4) + rd32(f + off + 8)) == 0)
			break;
		if (bad < 0)
			bad = off;
	}
	if (off + 12 > lim) {
		if (bad >= 0) {
			off = (u32)bad;
			return fail(err, errlen, "bad Multiboot header checksum at file offset 0x%x: "
				    "magic + flags + checksum = 0x%x, expected 0", off,
				    (u32)(MB_HEADER_MAGIC + rd32(f + off + 4) + rd32(f + off + 8)));
		}
		return fail(err, errlen, "no Multiboot header (magic 0x%08x, 32-bit aligned) in the first "
			    "%u bytes: not a Multiboot kernel", MB_HEADER_MAGIC, MB_HEADER_SEARCH);
	}
	flags = rd32(f + off + 4);
	/* §3.1.1: the address fields end at +32 (flags[16]), the graphics fields at +48 (flags[2]). */
	need = (flags & MB_HDR_VIDEO_MODE) ? 48 : (flags & MB_HDR_AOUT_KLUDGE) ? 32 : 12;
	if (off + need > lim)
		return fail(err, errlen, "the Multiboot header at file offset 0x%x (flags 0x%x) needs %u bytes: "
			    "it is not completely within the first %u bytes of the file", off, flags, need,
			    (unsigned)lim);
	if (flags & MB_HDR_REQUIRED & ~MB_HDR_KNOWN_REQUIRED)
		return fail(err, errlen, "the Multiboot header requires features this loader does not know "
			    "(flags 0x%x, unknown required bits 0x%llx)", flags,
			    (unsigned long long)(flags & MB_HDR_REQUIRED & ~MB_HDR_KNOWN_REQUIRED));
	l->header_offset = off;
	l->header_flags = flags;
	return 0;
}

/* Places the segments: usable upper memory only, no two overlapping. */
static int check_segments(const struct mb_params *p, struct mb_layout *l, const struct elf_phdr *ph,
			  u64 upper_end, char *err, size_t errlen)
{
	l->kernel_start = ~0u;
	l->kernel_end = 0;
	for (unsigned i = 0; i < l->nr_segments; i++) {
		u64 start = ph[i].paddr, memsz = ph[i].memsz, end = start + memsz;

		if (ph[i].filesz > memsz)
			return fail(err, errlen, "segment %u: p_filesz 0x%llx is larger than p_memsz 0x%llx",
				    i, (unsigned long long)ph[i].filesz, (unsigned long long)memsz);
		if (start >= GIB4 || memsz > GIB4 - start)
			return fail(err, errlen, "segment %u [0x%llx, +0x%llx) is not below 4 GiB: a Multiboot "
				    "kernel is entered with paging off", i, (unsigned long long)start,
				    (unsigned long long)memsz);
		if (start < MB_LOW_END)
			return fail(err, errlen, "segment %u [0x%llx, 0x%llx) is below 1 MiB: low memory and the "
				    "legacy hole are reserved (link the kernel at 1 MiB or above)",
				    i, (unsigned long long)start, (unsigned long long)end);
		if (end > p->ram_size)
			return fail(err, errlen, "segment %u [0x%llx, 0x%llx) is outside guest memory (%llu MiB; "
				    "raise guest_ram_mb)", i, (unsigned long long)start, (unsigned long long)end,
				    (unsigned long long)(p->ram_size >> 20));
		if (end > upper_end)
			return fail(err, errlen, "segment %u [0x%llx, 0x%llx) overlaps the APIC window from 0x%x "
				    "reserved by the hypervisor", i, (unsigned long long)start,
				    (unsigned long long)end, MB_MMIO_START);
		for (unsigned j = 0; j < i; j++)
			if (overlaps(start, memsz, l->seg[j].paddr, l->seg[j].memsz))
				return fail(err, errlen, "segments %u [0x%x, +0x%x) and %u [0x%llx, +0x%llx) overlap",
					    j, l->seg[j].paddr, l->seg[j].memsz, i, (unsigned long long)start,
					    (unsigned long long)memsz);
		l->seg[i] = (struct mb_segment){
			.offset = ph[i].offset, .paddr = (u32)start,
			.filesz = (u32)ph[i].filesz, .memsz = (u32)memsz,
		};
		l->kernel_start = MIN(l->kernel_start, (u32)start);
		l->kernel_end = (u32)MAX((u64)l->kernel_end, end);
	}
	return 0;
}

/*
 * The entry point is a virtual address (e_entry).  A kernel linked to run
 * higher up (p_vaddr != p_paddr, common for ELF64 kernels) is entered with
 * paging off, so it is translated through the segment that holds it;
 * otherwise it must already be a physical address inside a segment.
 */
static int check_entry(struct mb_layout *l, const struct elf_phdr *ph, u64 entry,
		       char *err, size_t errlen)
{
	for (unsigned i = 0; i < l->nr_segments; i++)
		if (entry >= ph[i].vaddr && entry - ph[i].vaddr < l->seg[i].memsz) {
			l->entry = l->seg[i].paddr + (u32)(entry - ph[i].vaddr);
			return 0;
		}
	for (unsigned i = 0; i < l->nr_segments; i++)
		if (entry >= l->seg[i].paddr && entry - l->seg[i].paddr < l->seg[i].memsz) {
			l->entry = (u32)entry;
			return 0;
		}
	return fail(err, errlen, "entry point 0x%llx is in no loadable segment", (unsigned long long)entry);
}

static const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

/*
 * The info area, then the modules, from the first page after the kernel.
 * Offsets inside the info area: the MBI, the module list (16-byte entries),
 * the memory map, then the strings.
 */
#define MB_MMAP_ENTRIES 3

static int place_info_and_modules(const struct mb_params *p, struct mb_layout *l, u64 upper_end,
				  char *err, size_t errlen)
{
	size_t cmdline_len = strnlen(str_or_empty(p->cmdline), MB_CMDLINE_MAX + 1);
	u64 off, pos;

	if (p->nr_mods > MB_MODULES_MAX)
		return fail(err, errlen, "too many modules: %u, at most %u", p->nr_mods, MB_MODULES_MAX);
	if (cmdline_len > MB_CMDLINE_MAX)
		return fail(err, errlen, "the command line is longer than %u bytes", MB_CMDLINE_MAX);

	l->info_gpa = (u32)ALIGN_UP((u64)l->kernel_end, PAGE_SIZE);
	off = ALIGN_UP(sizeof(struct mb_info), 16);
	l->mods_gpa = l->info_gpa + (u32)off;
	off += (u64)p->nr_mods * sizeof(struct mb_module);
	off = ALIGN_UP(off, 8);
	l->mmap_gpa = l->info_gpa + (u32)off;
	l->mmap_length = MB_MMAP_ENTRIES * sizeof(struct mb_mmap_entry);
	off += l->mmap_length;
	l->cmdline_gpa = l->info_gpa + (u32)off;
	off += cmdline_len + 1;
	for (unsigned i = 0; i < p->nr_mods; i++) {
		size_t n = strnlen(str_or_empty(p->mods[i].string), MB_STRING_MAX + 1);

		if (n > MB_STRING_MAX)
			return fail(err, errlen, "module %u: its string is longer than %u bytes", i, MB_STRING_MAX);
		if (!p->mods[i].data && p->mods[i].size)
			return fail(err, errlen, "module %u: no data", i);
		l->mod_string_gpa[i] = l->info_gpa + (u32)off;
		off += n + 1;
	}
	l->loader_name_gpa = l->info_gpa + (u32)off;
	off += sizeof(MB_LOADER_NAME);
	l->info_size = (u32)ALIGN_UP(off, PAGE_SIZE);

	pos = (u64)l->info_gpa + l->info_size;
	if (pos > upper_end)
		return fail(err, errlen, "no room for the boot information after the kernel (it ends at 0x%x, "
			    "usable memory at 0x%llx; raise guest_ram_mb)", l->kernel_end,
			    (unsigned long long)upper_end);
	l->end = (u32)(l->info_gpa + off);
	for (unsigned i = 0; i < p->nr_mods; i++) {
		u64 sz = p->mods[i].size;

		/* pos may pass upper_end when that is not page aligned. */
		if (pos > upper_end || sz > upper_end - pos)
			return fail(err, errlen, "module %u (%llu bytes) does not fit in guest memory: it would "
				    "end at 0x%llx, usable memory ends at 0x%llx (raise guest_ram_mb)", i,
				    (unsigned long long)sz, (unsigned long long)(pos + sz),
				    (unsigned long long)upper_end);
		l->mod_gpa[i] = (u32)pos;
		l->end = (u32)(pos + sz);
		pos = ALIGN_UP(pos + sz, PAGE_SIZE);
	}
	return 0;
}

int mb_check(const struct mb_params *p, struct mb_layout *l, char *err, size_t errlen)
{
	struct elf_phdr ph[MB_SEGMENTS_MAX];
	u64 entry = 0, upper_end;

	memset(l, 0, sizeof(*l));
	if (p->ram_size < 2 * MB_LOW_END)
		return fail(err, errlen, "guest memory of %llu bytes: at least 2 MiB are needed",
			    (unsigned long long)p->ram_size);
	upper_end = MIN(p->ram_size, (u64)MB_MMIO_START);

	if (check_elf(p, l, ph, &entry, err, errlen) ||
	    check_header(p, l, err, errlen) ||
	    check_segments(p, l, ph, upper_end, err, errlen) ||
	    check_entry(l, ph, entry, err, errlen) ||
	    place_info_and_modules(p, l, upper_end, err, errlen))
		return -1;
	/* Multiboot §3.3: "mem_lower ... maximum possible value for lower memory is 640 kilobytes". */
	l->mem_lower = MB_LEGACY_HOLE >> 10;
	l->mem_upper = (u32)((upper_end - MB_LOW_END) >> 10);
	return 0;
}

u32 mb_choose_ram_mb(const struct mb_params *p, char *why, size_t whylen, char *err, size_t errlen)
{
	struct mb_params q = *p;
	struct mb_layout l;
	u64 need;

	q.ram_size = (u64)MB_RAM_MAX_MB << 20;
	if (mb_check(&q, &l, err, errlen))
		return 0;
	need = (ALIGN_UP((u64)l.end, 1u << 20) >> 20) + MB_RAM_HEADROOM_MB;
	if (need <= MB_RAM_MIN_MB) {
		snprintf(why, whylen, "the Multiboot default (its files end at 0x%x, %llu MiB with %u MiB "
			 "headroom, less than the minimum of %u MiB)", l.end, (unsigned long long)need,
			 MB_RAM_HEADROOM_MB, MB_RAM_MIN_MB);
		return MB_RAM_MIN_MB;
	}
	need = MIN(need, (u64)MB_RAM_MAX_MB);
	snprintf(why, whylen, "its files end at 0x%x: that plus %u MiB headroom, more than the minimum of %u MiB",
		 l.end, MB_RAM_HEADROOM_MB, MB_RAM_MIN_MB);
	return (u32)need;
}

static void put_mmap(u8 *at, u64 base, u64 len, u32 type)
{
	struct mb_mmap_entry e = {
		.size = sizeof(e) - sizeof(e.size), .base_addr = base, .length = len, .type = type,
	};

	memcpy(at, &e, sizeof(e));
}

int mb_load(const struct mb_params *p, u8 *ram, u64 ram_size, struct mb_layout *l,
	    char *err, size_t errlen)
{
	const u8 *f = p->kernel;
	struct mb_info mbi;

	if (mb_check(p, l, err, errlen))
		return -1;
	if (ram_size != p->ram_size)
		return fail(err, errlen, "guest memory is %llu bytes, the layout was made for %llu",
			    (unsigned long long)ram_size, (unsigned long long)p->ram_size);

	for (unsigned i = 0; i < l->nr_segments; i++) {
		const struct mb_segment *s = &l->seg[i];

		/*
		 * p_filesz 0 (BSS only): no file image, and check_elf() does not
		 * check its p_offset, so f + p_offset may be far outside the file:
		 * not even formed (C11 §6.5.6: a pointer past its object is undefined).
		 */
		if (s->filesz)
			memcpy(ram + s->paddr, f + s->offset, s->filesz);
		memset(ram + s->paddr + s->filesz, 0, s->memsz - s->filesz);
	}

	memset(ram + l->info_gpa, 0, l->info_size);
	memset(&mbi, 0, sizeof(mbi));
	mbi.flags = MBI_MEMORY | MBI_CMDLINE | MBI_MODS | MBI_MMAP | MBI_LOADER_NAME;
	mbi.mem_lower = l->mem_lower;
	mbi.mem_upper = l->mem_upper;
	mbi.cmdline = l->cmdline_gpa;
	mbi.mods_count = p->nr_mods;
	mbi.mods_addr = l->mods_gpa;
	mbi.mmap_length = l->mmap_length;
	mbi.mmap_addr = l->mmap_gpa;
	mbi.boot_loader_name = l->loader_name_gpa;
	memcpy(ram + l->info_gpa, &mbi, sizeof(mbi));

	/* What a PC reports: low memory, the legacy hole, upper memory up to the APIC window. */
	put_mmap(ram + l->mmap_gpa, 0, MB_LEGACY_HOLE, MB_MMAP_AVAILABLE);
	put_mmap(ram + l->mmap_gpa + sizeof(struct mb_mmap_entry), MB_LEGACY_HOLE,
		 MB_LOW_END - MB_LEGACY_HOLE, MB_MMAP_RESERVED);
	put_mmap(ram + l->mmap_gpa + 2 * sizeof(struct mb_mmap_entry), MB_LOW_END,
		 (u64)l->mem_upper << 10, MB_MMAP_AVAILABLE);

	/* The lengths were checked by mb_check(); the area is zeroed, so the NULs are there. */
	memcpy(ram + l->cmdline_gpa, str_or_empty(p->cmdline), strlen(str_or_empty(p->cmdline)));
	memcpy(ram + l->loader_name_gpa, MB_LOADER_NAME, sizeof(MB_LOADER_NAME));
	for (unsigned i = 0; i < p->nr_mods; i++) {
		struct mb_module m = {
			.mod_start = l->mod_gpa[i],
			.mod_end = l->mod_gpa[i] + (u32)p->mods[i].size,
			.string = l->mod_string_gpa[i],
		};

		memcpy(ram + l->mods_gpa + i * sizeof(m), &m, sizeof(m));
		memcpy(ram + l->mod_string_gpa[i], str_or_empty(p->mods[i].string),
		       strlen(str_or_empty(p->mods[i].string)));
		if (p->mods[i].size)
			memcpy(ram + l->mod_gpa[i], p->mods[i].data, p->mods[i].size);
	}
	return 0;
}
