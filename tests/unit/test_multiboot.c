/*
 * tests/unit/test_multiboot.c - hv/multiboot.c, the loader of user-supplied
 * Multiboot (v1) ELF kernels, and the HV.CFG keys that name them
 * (guest=, append=, module= in hv/config.c).
 *
 * Behaviour under test: the Multiboot Specification 0.6.96 §3.1 (header:
 * magic, flags, checksum, within the first 8192 bytes, 32-bit aligned) and
 * §3.3 (boot information: flags, mem_lower/mem_upper, cmdline, modules,
 * memory map), ELF32 i386 / ELF64 x86-64 executables loaded by their program
 * headers with the BSS zeroed, and the layout rules of hv/multiboot.h (page
 * 0 and low memory untouched, the MBI after the kernel, the modules after
 * the MBI, nothing in the reserved areas).  A failure means a user's kernel
 * would be refused wrongly, loaded wrongly, or - for the malformed files -
 * loaded at all: every malformed file must give its message and write nothing.
 *
 * The ELF files are built here, byte by byte, from a small description.
 */
#include "hv/multiboot.h"

#include <stdlib.h>
#include <string.h>
#include "hv/config.h"
#include "lib/printf.h"
#include "tests/unit/unit.h"

#define MIB             (1024ULL * 1024)
#define RAM_SIZE        (8 * MIB)
#define FILE_MAX        (64 * 1024)
#define POISON          0xaa

/* ---- an ELF file builder --------------------------------------------------------- */

struct tseg {
	u32 type;                       /* 0: PT_LOAD */
	u64 offset, vaddr, paddr, filesz, memsz;
};

struct telf {
	u8 cls;                         /* 1 ELF32, 2 ELF64 */
	u8 data;                        /* 1 little-endian */
	u16 type, machine, phentsize;
	int phnum;                      /* -1: nseg */
	u64 entry;
	unsigned nseg;
	struct tseg seg[6];
	s64 mb_offset;                  /* -1: no Multiboot header */
	u32 mb_flags;
	u32 mb_checksum_delta;          /* added to the right checksum */
};

static void wr16(u8 *p, u16 v) { p[0] = (u8)v; p[1] = (u8)(v >> 8); }
static void wr32(u8 *p, u32 v) { wr16(p, (u16)v); wr16(p + 2, (u16)(v >> 16)); }
static void wr64(u8 *p, u64 v) { wr32(p, (u32)v); wr32(p + 4, (u32)(v >> 32)); }

/* The usual kernel: text at 1 MiB with the header first, data + BSS after it. */
static struct telf kernel32(void)
{
	return (struct telf){
		.cls = 1, .data = 1, .type = 2, .machine = 3, .phentsize = 32, .phnum = -1,
		.entry = 0x100010,
		.nseg = 2,
		.seg = {
			{ .offset = 0x1000, .vaddr = 0x100000, .paddr = 0x100000, .filesz = 0x2000, .memsz = 0x2000 },
			{ .offset = 0x3000, .vaddr = 0x103000, .paddr = 0x103000, .filesz = 0x100, .memsz = 0x2000 },
		},
		.mb_offset = 0x1000,
		.mb_flags = MB_HDR_PAGE_ALIGN | MB_HDR_MEMORY_INFO,
	};
}

/* The same linked to run at -2 GiB (a typical ELF64 kernel), loaded at 1 MiB. */
static struct telf kernel64(void)
{
	struct telf t = kernel32();

	t.cls = 2;
	t.machine = 62;
	t.phentsize = 56;
	t.seg[0].vaddr = 0xffffffff80100000ULL;
	t.seg[1].vaddr = 0xffffffff80103000ULL;
	t.entry = 0xffffffff80100020ULL;
	return t;
}

/* Writes the file into f (FILE_MAX bytes); returns its length. */
static size_t elf_build(const struct telf *t, u8 *f)
{
	bool e64 = t->cls == 2;
	unsigned ehsize = e64 ? 64 : 52, phnum = t->phnum < 0 ? t->nseg : (unsigned)t->phnum;
	size_t len = ehsize + (size_t)phnum * t->phentsize;

	memset(f, 0, FILE_MAX);
	memcpy(f, "\x7f" "ELF", 4);
	f[EI_CLASS] = t->cls;
	f[EI_DATA] = t->data;
	f[EI_VERSION] = 1;
	wr16(f + 16, t->type);
	wr16(f + 18, t->machine);
	wr32(f + 20, 1);
	if (e64) {
		wr64(f + 24, t->entry);
		wr64(f + 32, ehsize);
		wr16(f + 52, (u16)ehsize);
		wr16(f + 54, t->phentsize);
		wr16(f + 56, (u16)phnum);
	} else {
		wr32(f + 24, (u32)t->entry);
		wr32(f + 28, ehsize);
		wr16(f + 40, (u16)ehsize);
		wr16(f + 42, t->phentsize);
		wr16(f + 44, (u16)phnum);
	}
	for (unsigned i = 0; i < t->nseg; i++) {
		const struct tseg *s = &t->seg[i];
		u8 *ph = f + ehsize + (size_t)i * (e64 ? 56 : 32);
		u32 type = s->type ? s->type : 1;

		if (e64) {
			wr32(ph, type);
			wr64(ph + 8, s->offset);
			wr64(ph + 16, s->vaddr);
			wr64(ph + 24, s->paddr);
			wr64(ph + 32, s->filesz);
			wr64(ph + 40, s->memsz);
		} else {
			wr32(ph, type);
			wr32(ph + 4, (u32)s->offset);
			wr32(ph + 8, (u32)s->vaddr);
			wr32(ph + 12, (u32)s->paddr);
			wr32(ph + 16, (u32)s->filesz);
			wr32(ph + 20, (u32)s->memsz);
		}
		/* Segment bytes: a pattern that names the segment and the offset. */
		if (s->offset + s->filesz <= FILE_MAX) {
			for (u64 k = 0; k < s->filesz; k++)
				f[s->offset + k] = (u8)(0x10 * (i + 1) + k * 7);
			len = MAX(len, s->offset + s->filesz);
		}
	}
	if (t->mb_offset >= 0) {
		u8 *h = f + t->mb_offset;

		wr32(h, MB_HEADER_MAGIC);
		wr32(h + 4, t->mb_flags);
		wr32(h + 8, (u32)-(MB_HEADER_MAGIC + t->mb_flags) + t->mb_checksum_delta);
		len = MAX(len, (size_t)t->mb_offset + 12);
	}
	/* What follows the segments in a real file (symbols, strings): not zero. */
	for (size_t k = len; k < len + 64 && k < FILE_MAX; k++)
		f[k] = 0xee;
	return len + 64;
}

static u8 *file_buf(void)
{
	static u8 *f;

	if (!f)
		f = malloc(FILE_MAX);
	return f;
}

static u8 *fresh_ram(void)
{
	static u8 *ram;

	if (!ram)
		ram = malloc(RAM_SIZE);
	memset(ram, POISON, RAM_SIZE);
	return ram;
}

static struct mb_params params(const u8 *f, size_t len)
{
	return (struct mb_params){
		.kernel = f, .kernel_size = len, .name = "test.elf", .cmdline = "console=ttyS0 x y",
		.ram_size = RAM_SIZE,
	};
}

static bool all_bytes(const u8 *p, u64 n, u8 v)
{
	for (u64 i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* The load must fail with a message containing want, and leave RAM alone. */
static void expect_refused(const char *name, const struct mb_params *p, const char *want, int line)
{
	struct mb_layout l;
	char err[256] = "", detail[600];
	u8 *ram = fresh_ram();
	/* Guest RAM of more than RAM_SIZE: only mb_check() can fail it, mb_load() calls that first. */
	int rc = mb_load(p, ram, MIN(p->ram_size, RAM_SIZE), &l, err, sizeof(err));

	snprintf(detail, sizeof(detail), "case '%s': rc %d, message \"%s\", expected one with \"%s\"",
		 name, rc, err, want);
	if (rc != -1 || !strstr(err, want))
		unit_fail(__FILE__, line, "a malformed kernel is refused with a clear message", detail);
	if (!all_bytes(ram, RAM_SIZE, POISON))
		unit_fail(__FILE__, line, "a refused kernel writes nothing to guest memory", detail);
}

#define REFUSED(name, p, want) expect_refused(name, p, want, __LINE__)

/* ---- loading ------------------------------------------------------------------------- */

TEST(multiboot_loads_elf32_segments_and_zeroes_bss)
{
	struct telf t = kernel32();
	u8 *f = file_buf(), *ram = fresh_ram();
	size_t len = elf_build(&t, f);
	struct mb_params p = params(f, len);
	struct mb_layout l;
	char err[256] = "";

	CHECK_EQ(0, mb_load(&p, ram, RAM_SIZE, &l, err, sizeof(err)));
	CHECK(!l.elf64);
	CHECK_EQ(0x1000, l.header_offset);
	CHECK_EQ(2, l.nr_segments);
	CHECK_EQ(0x100010, l.entry);
	CHECK_EQ(0x100000, l.kernel_start);
	CHECK_EQ(0x105000, l.kernel_end);
	/* File bytes where p_paddr says, the rest of p_memsz zeroed even though the file goes on. */
	CHECK(!memcmp(ram + 0x100000, f + 0x1000, 0x2000));
	CHECK(!memcmp(ram + 0x103000, f + 0x3000, 0x100));
	CHECK(all_bytes(ram + 0x103100, 0x2000 - 0x100, 0));
	CHECK_EQ(0xee, f[0x3100 + 0x10]);       /* the builder put non-zero bytes after .data */
	/* Page 0 and low memory stay as they were: the kernel's AP trampoline goes there. */
	CHECK(all_bytes(ram, MB_LOW_END, POISON));
	/* The gap between the text segment and the data segment is not written either. */
	CHECK(all_bytes(ram + 0x102000, 0x1000, POISON));
}

TEST(multiboot_loads_elf64_with_higher_half_entry)
{
	struct telf t = kernel64();
	u8 *f = file_buf(), *ram = fresh_ram();
	size_t len = elf_build(&t, f);
	struct mb_params p = params(f, len);
	struct mb_layout l;
	char err[256] = "";

	CHECK_EQ(0, mb_load(&p, ram, RAM_SIZE, &l, err, sizeof(err)));
	CHECK(l.elf64);
	/* Entered with paging off: the virtual entry goes through its segment to 1 MiB + 0x20. */
	CHECK_EQ(0x100020, l.entry);
	CHECK(!memcmp(ram + 0x100000, f + 0x1000, 0x2000));
	CHECK(all_bytes(ram + 0x103100, 0x1f00, 0));

	/* An entry that is already physical (inside a segment's p_paddr range) is taken as it is. */
	t.entry = 0x100040;
	len = elf_build(&t, f);
	p = params(f, len);
	CHECK_EQ(0, mb_check(&p, &l, err, sizeof(err)));
	CHECK_EQ(0x100040, l.entry);
}

TEST(multiboot_builds_the_mbi)
{
	struct telf t = kernel32();
	u8 *f = file_buf(), *ram = fresh_ram();
	size_t len = elf_build(&t, f);
	struct mb_params p = params(f, len);
	struct mb_layout l;
	struct mb_info mbi;
	struct mb_mmap_entry e[3];
	char err[256] = "";

	CHECK_EQ(0, mb_load(&p, ram, RAM_SIZE, &l, err, sizeof(err)));
	/* The MBI: the first page after the highest loaded byte (0x105000), not in low memory. */
	CHECK_EQ(0x105000, l.info_gpa);
	CHECK_EQ(0, l.info_gpa % PAGE_SIZE);
	memcpy(&mbi, ram + l.info_gpa, sizeof(mbi));
	CHECK_EQ(MBI_MEMORY | MBI_CMDLINE | MBI_MODS | MBI_MMAP | MBI_LOADER_NAME, mbi.flags);
	CHECK_EQ(640, mbi.mem_lower);
	CHECK_EQ((RAM_SIZE - MIB) / 1024, mbi.mem_upper);
	CHECK_EQ(0, mbi.mods_count);
	CHECK_STR_EQ("console=ttyS0 x y", (const char *)ram + mbi.cmdline);
	CHECK_STR_EQ("avic-hv", (const char *)ram + mbi.boot_loader_name);
	/* Everything the MBI points to is inside the info area. */
	CHECK(mbi.cmdline > l.info_gpa && mbi.cmdline < l.info_gpa + l.info_size);
	CHECK(mbi.mmap_addr > l.info_gpa && mbi.mmap_addr + mbi.mmap_length <= l.info_gpa + l.info_size);
	CHECK(mbi.boot_loader_name < l.info_gpa + l.info_size);
	/* The memory map: low memory, the legacy hole, upper memory up to the top of RAM. */
	CHECK_EQ(3 * sizeof(struct mb_mmap_entry), mbi.mmap_length);
	memcpy(e, ram + mbi.mmap_addr, sizeof(e));
	CHECK_EQ(20, e[0].size);
	CHECK_EQ(0, e[0].base_addr);
	CHECK_EQ(0xa0000, e[0].length);
	CHECK_EQ(MB_MMAP_AVAILABLE, e[0].type);
	CHECK_EQ(0xa0000, e[1].base_addr);
	CHECK_EQ(MB_MMAP_RESERVED, e[1].type);
	CHECK_EQ(MIB, e[2].base_addr);
	CHECK_EQ(RAM_SIZE - MIB, e[2].length);
	CHECK_EQ(MB_MMAP_AVAILABLE, e[2].type);
	/* Unused MBI fields are 0; nothing follows the loaded things. */
	CHECK_EQ(0, mbi.boot_device);
	CHECK_EQ(0, mbi.syms[0]);
	CHECK_EQ(0, mbi.framebuffer_addr);
	CHECK(all_bytes(ram + l.info_gpa + l.info_size, RAM_SIZE - l.info_gpa - l.info_size, POISON));

	/* No command line: an empty string, still flagged. */
	p.cmdline = NULL;
	ram = fresh_ram();
	CHECK_EQ(0, mb_load(&p, ram, RAM_SIZE, &l, err, sizeof(err)));
	memcpy(&mbi, ram + l.info_gpa, sizeof(mbi));
	CHECK(mbi.flags & MBI_CMDLINE);
	CHECK_STR_EQ("", (const char *)ram + mbi.cmdline);
}

TEST(multiboot_places_modules_after_the_mbi)
{
	static const char small[] = "hello";
	static u8 big[0x1801];
	struct telf t = kernel32();
	u8 *f = file_buf(), *ram = fresh_ram();
	size_t len = elf_build(&t, f);
	struct mb_blob mods[3] = {
		{ .data = big, .size = 0x1801, .string = "\\guest\\mod0\\big.bin" },
		{ .data = NULL, .size = 0, .string = NULL },
		{ .data = small, .size = 5, .string = "/small arg=1" },
	};
	struct mb_params p = params(f, len);
	struct mb_layout l;
	struct mb_module m[3];
	struct mb_info mbi;
	char err[256] = "";

	for (unsigned i = 0; i < 0x1801; i++)
		big[i] = (u8)(i * 13 + 1);
	p.mods = mods;
	p.nr_mods = 3;
	CHECK_EQ(0, mb_load(&p, ram, RAM_SIZE, &l, err, sizeof(err)));
	memcpy(&mbi, ram + l.info_gpa, sizeof(mbi));
	CHECK_EQ(3, mbi.mods_count);
	CHECK_EQ(l.mods_gpa, mbi.mods_addr);
	memcpy(m, ram + mbi.mods_addr, sizeof(m));
	/* Module 0 on the first page after the info area, each one page aligned, in order. */
	CHECK_EQ(l.info_gpa + l.info_size, m[0].mod_start);
	CHECK_EQ(m[0].mod_start + 0x1801, m[0].mod_end);        /* mod_end: first byte after */
	CHECK_EQ(ALIGN_UP(m[0].mod_end, PAGE_SIZE), m[1].mod_start);
	CHECK_EQ(m[1].mod_start, m[1].mod_end);                 /* an empty module */
	CHECK_EQ(ALIGN_UP(m[1].mod_end, PAGE_SIZE), m[2].mod_start);
	CHECK_EQ(m[2].mod_start + 5, m[2].mod_end);
	for (unsigned i = 0; i < 3; i++) {
		CHECK_EQ(0, m[i].mod_start % PAGE_SIZE);
		CHECK_EQ(0, m[i].reserved);
		CHECK(m[i].mod_start >= l.kernel_end);
		CHECK(m[i].string > l.info_gpa && m[i].string < l.info_gpa + l.info_size);
	}
	CHECK(!memcmp(ram + m[0].mod_start, big, 0x1801));
	CHECK(!memcmp(ram + m[2].mod_start, small, 5));
	CHECK_STR_EQ("\\guest\\mod0\\big.bin", (const char *)ram + m[0].string);
	CHECK_STR_EQ("", (const char *)ram + m[1].string);
	CHECK_STR_EQ("/small arg=1", (const char *)ram + m[2].string);
	CHECK_EQ(m[2].mod_end, l.end);
	/* The padding after a module and everything after the last one are not written. */
	CHECK_EQ(POISON, ram[m[0].mod_end]);
	CHECK(all_bytes(ram + l.end, RAM_SIZE - l.end, POISON));
	/* mem_upper covers everything that was loaded. */
	CHECK(MIB + (u64)mbi.mem_upper * 1024 >= l.end);
}

TEST(multiboot_accepts_optional_header_bits)
{
	struct telf t = kernel32();
	u8 *f = file_buf();
	struct mb_layout l;
	char err[256] = "";
	struct mb_params p;

	/* Bits 16-31 are optional; bit 2 (video) is a request we answer without video info. */
	t.mb_flags = MB_HDR_PAGE_ALIGN | MB_HDR_VIDEO_MODE | BIT(16) | BIT(31);
	p = params(f, elf_build(&t, f));
	CHECK_EQ(0, mb_check(&p, &l, err, sizeof(err)));
	CHECK_EQ((u32)t.mb_flags, l.header_flags);
	/* The first magic with a good checksum counts: a stray magic before it does not matter. */
	t = kernel32();
	t.mb_offset = 0x1008;
	p = params(f, elf_build(&t, f));
	wr32(f + 0x1000, MB_HEADER_MAGIC);
	CHECK_EQ(0, mb_check(&p, &l, err, sizeof(err)));
	CHECK_EQ(0x1008, l.header_offset);
	/* The last aligned place inside the first 8192 bytes. */
	t = kernel32();
	t.seg[0].filesz = t.seg[0].memsz = 0x3000;
	t.seg[1].offset = 0x4000;
	t.seg[1].paddr = t.seg[1].vaddr = 0x104000;
	t.mb_offset = 8192 - 12;
	p = params(f, elf_build(&t, f));
	CHECK_EQ(0, mb_check(&p, &l, err, sizeof(err)));
	CHECK_EQ(8192 - 12, l.header_offset);
}

/* ---- malformed files ------------------------------------------------------------------ */

TEST(multiboot_rejects_bad_elf)
{
	struct telf t;
	u8 *f = file_buf();
	size_t len;
	struct mb_params p;

	t = kernel32();
	len = elf_build(&t, f);
	f[1] = 'X';
	p = params(f, len);
	REFUSED("bad magic", &p, "bad ELF magic");
	memset(f, 0x5a, len);
	REFUSED("garbage", &p, "not an ELF file");
	p = params(f, 0);
	REFUSED("empty file", &p, "only 0 bytes");
	p = params(NULL, 0);
	REFUSED("no file", &p, "bad ELF magic");

	t = kernel32();
	t.cls = 3;
	p = params(f, elf_build(&t, f));
	REFUSED("class 3", &p, "ELF class 3");
	t = kernel32();
	t.data = 2;
	p = params(f, elf_build(&t, f));
	REFUSED("big-endian", &p, "little-endian");
	t = kernel32();
	t.machine = 62;
	p = params(f, elf_build(&t, f));
	REFUSED("ELF32 for x86-64", &p, "expected i386");
	t = kernel32();
	t.machine = 40;                 /* ARM */
	p = params(f, elf_build(&t, f));
	REFUSED("ELF32 for ARM", &p, "machine 40");
	t = kernel64();
	t.machine = 3;
	p = params(f, elf_build(&t, f));
	REFUSED("ELF64 for i386", &p, "expected x86-64");
	t = kernel32();
	t.type = 3;                     /* ET_DYN: a PIE */
	p = params(f, elf_build(&t, f));
	REFUSED("shared object", &p, "ET_EXEC");
	t = kernel32();
	t.phnum = 0;
	p = params(f, elf_build(&t, f));
	REFUSED("no program headers", &p, "no program headers");
	t = kernel32();
	t.phentsize = 40;
	p = params(f, elf_build(&t, f));
	REFUSED("program header size", &p, "program header size 40");
	t = kernel32();
	t.seg[0].type = 4;              /* PT_NOTE */
	t.seg[1].type = 6;              /* PT_PHDR */
	p = params(f, elf_build(&t, f));
	REFUSED("nothing loadable", &p, "no loadable segment");
}

TEST(multiboot_rejects_bad_multiboot_header)
{
	struct telf t;
	u8 *f = file_buf();
	struct mb_params p;

	t = kernel32();
	t.mb_offset = -1;
	p = params(f, elf_build(&t, f));
	REFUSED("no header", &p, "no Multiboot header");
	t = kernel32();
	t.mb_offset = 0x1002;           /* not 32-bit aligned */
	p = params(f, elf_build(&t, f));
	REFUSED("unaligned header", &p, "no Multiboot header");
	/* Beyond the first 8192 bytes (the segment is made long enough to hold it). */
	t = kernel32();
	t.seg[0].filesz = t.seg[0].memsz = 0x3000;
	t.seg[1].offset = 0x4000;
	t.seg[1].paddr = t.seg[1].vaddr = 0x104000;
	t.mb_offset = 8192;
	p = params(f, elf_build(&t, f));
	REFUSED("header after 8 KiB", &p, "first 8192 bytes");
	t.mb_offset = 8192 - 8;         /* starts inside, ends outside */
	p = params(f, elf_build(&t, f));
	REFUSED("header across 8 KiB", &p, "no Multiboot header");
	/* With the address fields (flags[16]) it needs 32 bytes. */
	t.mb_offset = 8192 - 16;
	t.mb_flags = MB_HDR_AOUT_KLUDGE;
	p = params(f, elf_build(&t, f));
	REFUSED("a.out fields across 8 KiB", &p, "needs 32 bytes");
	t = kernel32();
	t.mb_checksum_delta = 1;
	p = params(f, elf_build(&t, f));
	REFUSED("bad checksum", &p, "checksum");
	t = kernel32();
	t.mb_flags |= BIT(5);           /* a required bit nobody defined */
	p = params(f, elf_build(&t, f));
	REFUSED("unknown required flag", &p, "unknown required bits 0x20");
}

TEST(multiboot_rejects_bad_placement)
{
	struct telf t;
	u8 *f = file_buf();
	struct mb_params p;

	t = kernel32();
	t.seg[1].paddr = RAM_SIZE - 0x1000;
	p = params(f, elf_build(&t, f));
	REFUSED("segment past the end of RAM", &p, "outside guest memory");
	t = kernel32();
	t.seg[1].paddr = 0xfffff000;    /* ELF32: the end wraps past 2^32 */
	p = params(f, elf_build(&t, f));
	REFUSED("segment across 4 GiB", &p, "not below 4 GiB");
	t = kernel64();
	t.seg[1].paddr = 0x100000000ULL;
	p = params(f, elf_build(&t, f));
	REFUSED("segment above 4 GiB", &p, "4 GiB");
	t = kernel32();
	t.seg[0].paddr = 0;
	t.entry = 0x10;
	p = params(f, elf_build(&t, f));
	REFUSED("segment at page 0", &p, "below 1 MiB");
	t = kernel32();
	t.seg[0].paddr = 0x8000;        /* where an AP trampoline would go */
	p = params(f, elf_build(&t, f));
	REFUSED("segment in low memory", &p, "below 1 MiB");
	t = kernel32();
	t.seg[1].paddr = 0xff000;       /* ends above 1 MiB, starts in the legacy hole */
	p = params(f, elf_build(&t, f));
	REFUSED("segment across 1 MiB", &p, "below 1 MiB");
	t = kernel32();
	t.seg[1].paddr = 0x101800;      /* inside the text segment */
	p = params(f, elf_build(&t, f));
	REFUSED("overlapping segments", &p, "overlap");
	t = kernel32();
	t.seg[1].filesz = 0x3000;
	p = params(f, elf_build(&t, f));
	REFUSED("filesz > memsz", &p, "p_filesz");
	t = kernel32();
	t.entry = 0x200000;
	p = params(f, elf_build(&t, f));
	REFUSED("entry outside", &p, "entry point 0x200000");
	/* The APIC window the hypervisor keeps (guest RAM up to 4 GiB: mb_check only). */
	t = kernel32();
	t.seg[1].paddr = MB_MMIO_START - 0x1000;
	p = params(f, elf_build(&t, f));
	p.ram_size = 4096 * MIB;
	REFUSED("segment in the APIC window", &p, "APIC window");
	/* Too little RAM. */
	t = kernel32();
	p = params(f, elf_build(&t, f));
	p.ram_size = MIB;
	REFUSED("1 MiB of RAM", &p, "at least 2 MiB");
}

TEST(multiboot_rejects_bad_modules_and_cmdline)
{
	static const u8 byte = 1;
	struct telf t = kernel32();
	u8 *f = file_buf();
	size_t len = elf_build(&t, f);
	struct mb_blob mods[MB_MODULES_MAX + 1];
	struct mb_params p = params(f, len);
	struct mb_layout l;
	static char longline[MB_CMDLINE_MAX + 2];
	char err[256];

	for (unsigned i = 0; i < ARRAY_SIZE(mods); i++)
		mods[i] = (struct mb_blob){ .data = &byte, .size = 1, .string = "m" };
	p.mods = mods;
	p.nr_mods = MB_MODULES_MAX;
	CHECK_EQ(0, mb_check(&p, &l, err, sizeof(err)));
	p.nr_mods = MB_MODULES_MAX + 1;
	REFUSED("9 modules", &p, "too many modules: 9, at most 8");

	/* A module that does not fit in guest RAM after the kernel and the MBI. */
	p.nr_mods = 2;
	mods[1].size = RAM_SIZE - 0x106000;
	REFUSED("module too big", &p, "module 1");
	mods[1].size = ~0ULL;
	REFUSED("module of 2^64 bytes", &p, "does not fit");
	mods[1].size = 1;

	memset(longline, 'x', MB_CMDLINE_MAX + 1);
	longline[MB_CMDLINE_MAX + 1] = 0;
	p.cmdline = longline;
	REFUSED("long command line", &p, "command line is longer than 1024");
	longline[MB_CMDLINE_MAX] = 0;
	CHECK_EQ(0, mb_check(&p, &l, err, sizeof(err)));
}

/*
 * A file cut anywhere is refused, by the first rule it breaks: for this
 * kernel (segment data up to the last bytes) that is always a truncation,
 * or the ELF magic for the first 3 bytes.  Under ASan this also shows that
 * no cut makes the loader read past the end of the file.
 */
TEST(multiboot_rejects_every_truncation)
{
	struct telf t = kernel32();
	u8 *f = file_buf();
	size_t len = elf_build(&t, f) - 64;     /* the end of the last segment's data */
	struct mb_layout l;
	char err[256];

	for (size_t cut = 0; cut < len; cut++) {
		u8 *copy = malloc(cut ? cut : 1);      /* exactly cut bytes: ASan sees any over-read */
		struct mb_params p;
		char detail[400];
		int rc;

		memcpy(copy, f, cut);
		p = params(copy, cut);
		rc = mb_check(&p, &l, err, sizeof(err));
		free(copy);
		snprintf(detail, sizeof(detail), "cut at %zu: rc %d, \"%s\"", cut, rc, err);
		if (rc != -1 || !strstr(err, cut < 4 ? "bad ELF magic" : "truncated"))
			unit_fail(__FILE__, __LINE__, "a truncated file is refused as truncated", detail);
	}
	/* And the whole file loads. */
	{
		struct mb_params p = params(f, len);

		CHECK_EQ(0, mb_check(&p, &l, err, sizeof(err)));
	}
}

/*
 * From fuzz_input, crash-input-d81e7704: a PT_LOAD with p_filesz 0 (BSS
 * only) whose p_offset lies past the end of the file.  The segment has no
 * file image (System V ABI, "Program Header": p_filesz "may be zero"), so
 * its p_offset names no byte and is not checked: the segment loads, zeroed.
 * The second p_offset would overflow a pointer to the file: the loader must
 * not form it (UBSan's pointer-overflow check here).
 */
TEST(multiboot_loads_bss_only_segment_with_offset_past_the_file)
{
	static const u64 offsets[] = { 0x100000, 1ULL << 63 };

	for (unsigned k = 0; k < ARRAY_SIZE(offsets); k++) {
		struct telf t = kernel64();
		u8 *f = file_buf(), *ram = fresh_ram(), *copy;
		size_t len;
		struct mb_params p;
		struct mb_layout l;
		char err[256] = "";

		t.nseg = 3;
		t.seg[2] = (struct tseg){ .offset = offsets[k], .vaddr = 0xffffffff80105000ULL,
					  .paddr = 0x105000, .filesz = 0, .memsz = 0x106 };
		len = elf_build(&t, f);
		copy = malloc(len);     /* exactly the file: ASan sees any read past it */
		memcpy(copy, f, len);
		p = params(copy, len);
		CHECK_EQ(0, mb_load(&p, ram, RAM_SIZE, &l, err, sizeof(err)));
		CHECK_EQ(3, l.nr_segments);
		CHECK_EQ(0, l.seg[2].filesz);
		CHECK_EQ(0x105106, l.kernel_end);
		CHECK(all_bytes(ram + 0x105000, 0x106, 0));
		CHECK(!memcmp(ram + 0x100000, f + 0x1000, 0x2000));
		free(copy);
	}
}

/* ---- HV.CFG: guest=, append=, module= ------------------------------------------------------ */

TEST(multiboot_config_keys)
{
	struct hv_config c;
	char err[256] = "", desc[256];

	config_defaults(&c);
	CHECK_STR_EQ("", c.guest);
	CHECK_EQ(0, c.nr_modules);
	CHECK_EQ(0, config_parse(&c, "guest=\\guest\\kernel.elf append=\"console=ttyS0  x # y\" # comment\n"
				     "module=/guest/mod0/a.bin module=\\b cpus=2\n", err, sizeof(err)));
	CHECK_STR_EQ("\\guest\\kernel.elf", c.guest);
	CHECK_STR_EQ("console=ttyS0  x # y", c.append);
	CHECK_EQ(2, c.nr_modules);
	CHECK_STR_EQ("/guest/mod0/a.bin", c.modules[0]);
	CHECK_STR_EQ("\\b", c.modules[1]);
	CHECK_EQ(2, c.cpus);
	CHECK_EQ(0, config_check(&c, err, sizeof(err)));
	config_describe(&c, desc, sizeof(desc));
	CHECK(strstr(desc, "guest=\\guest\\kernel.elf modules=2") != NULL);
	/* Load options come after the file: module= adds, an empty one clears, append="" empties. */
	CHECK_EQ(0, config_parse(&c, "module=\\c", err, sizeof(err)));
	CHECK_EQ(3, c.nr_modules);
	CHECK_EQ(0, config_parse(&c, "module= append=\"\"", err, sizeof(err)));
	CHECK_EQ(0, c.nr_modules);
	CHECK_STR_EQ("", c.append);
	/* Quoted values work for any key; a value may contain '='. */
	CHECK_EQ(0, config_parse(&c, "append=a=b tests=\"cpuid\"", err, sizeof(err)));
	CHECK_STR_EQ("a=b", c.append);
	CHECK_STR_EQ("cpuid", c.tests);
}

TEST(multiboot_config_rejects)
{
	static const struct { const char *text, *want; } bad[] = {
		{ "guest=kernel.elf", "absolute path" },
		{ "guest=\\a\"b", "absolute path" },
		{ "module=x", "absolute path" },
		{ "append=\"x y", "no closing" },
		{ "append=\"x\ny\"", "no closing" },
		{ "append=\"x\"y", "after the closing" },
		{ "module=\\1 module=\\2 module=\\3 module=\\4 module=\\5 module=\\6 module=\\7 "
		  "module=\\8 module=\\9", "too many modules, at most 8" },
		{ "guest=", "" },               /* allowed: clears (checked below) */
	};
	struct hv_config c;
	char err[256], path[CFG_PATH_MAX + 8] = "guest=\\";

	for (unsigned i = 0; i + 1 < ARRAY_SIZE(bad); i++) {
		char detail[400];
		int rc;

		config_defaults(&c);
		err[0] = 0;
		rc = config_parse(&c, bad[i].text, err, sizeof(err));
		snprintf(detail, sizeof(detail), "'%s': rc %d, \"%s\"", bad[i].text, rc, err);
		if (rc != -1 || !strstr(err, bad[i].want))
			unit_fail(__FILE__, __LINE__, "a bad guest key is refused with a clear message", detail);
	}
	config_defaults(&c);
	CHECK_EQ(0, config_parse(&c, "guest=\\k guest=", err, sizeof(err)));
	CHECK_STR_EQ("", c.guest);
	/* A path of CFG_PATH_MAX - 1 characters fits, one more does not. */
	memset(path + 7, 'p', CFG_PATH_MAX - 2);
	path[7 + CFG_PATH_MAX - 2] = 0;
	CHECK_EQ(0, config_parse(&c, path, err, sizeof(err)));
	CHECK_EQ(CFG_PATH_MAX - 1, strlen(c.guest));
	strcat(path, "p");
	CHECK_EQ((u64)-1, config_parse(&c, path, err, sizeof(err)));
}

TEST(multiboot_config_check)
{
	struct hv_config c;
	char err[256];

	config_defaults(&c);
	CHECK_EQ(0, config_check(&c, err, sizeof(err)));
	CHECK_EQ(0, config_parse(&c, "guest=\\k tests=cpuid", err, sizeof(err)));
	CHECK_EQ((u64)-1, config_check(&c, err, sizeof(err)));
	CHECK(strstr(err, "exclude each other") != NULL);
	config_defaults(&c);
	CHECK_EQ(0, config_parse(&c, "module=\\m", err, sizeof(err)));
	CHECK_EQ((u64)-1, config_check(&c, err, sizeof(err)));
	CHECK(strstr(err, "module= without guest=") != NULL);
	config_defaults(&c);
	CHECK_EQ(0, config_parse(&c, "append=x", err, sizeof(err)));
	CHECK_EQ((u64)-1, config_check(&c, err, sizeof(err)));
	CHECK(strstr(err, "append= without guest=") != NULL);
}

/* Without guest_ram_mb: at least MB_RAM_MIN_MB, else the files' end plus the headroom. */
TEST(multiboot_chooses_guest_ram)
{
	struct telf t = kernel32();
	u8 *f = file_buf();
	struct mb_params p = params(f, elf_build(&t, f));
	char why[200] = "", err[200] = "";

	p.ram_size = 0;         /* ignored */
	CHECK_EQ(MB_RAM_MIN_MB, mb_choose_ram_mb(&p, why, sizeof(why), err, sizeof(err)));
	CHECK(strstr(why, "minimum of 128 MiB") != NULL);
	/* A BSS up to 200 MiB, the MBI right after it: 201 MiB plus 64 MiB of headroom. */
	t.seg[1].memsz = 200 * MIB - 0x103000;
	p = params(f, elf_build(&t, f));
	CHECK_EQ(201 + MB_RAM_HEADROOM_MB, mb_choose_ram_mb(&p, why, sizeof(why), err, sizeof(err)));
	CHECK(strstr(why, "end at 0xc800") != NULL);
	/* Near the APIC window: capped at the largest guest_ram_mb, and the layout still fits. */
	t.seg[1].memsz = 0xfe000000u - 0x103000;
	p = params(f, elf_build(&t, f));
	CHECK_EQ(MB_RAM_MAX_MB, mb_choose_ram_mb(&p, why, sizeof(why), err, sizeof(err)));
	/* A file refused at any size: 0 and the reason. */
	t = kernel32();
	t.entry = 0x200000;
	p = params(f, elf_build(&t, f));
	CHECK_EQ(0, mb_choose_ram_mb(&p, why, sizeof(why), err, sizeof(err)));
	CHECK(strstr(err, "entry point 0x200000") != NULL);
}
