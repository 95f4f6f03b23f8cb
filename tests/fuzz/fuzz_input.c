/*
 * tests/fuzz/fuzz_input.c - libFuzzer target for the parsers of firmware and
 * user input: HV.CFG (hv/config.c), the ACPI MADT, SPCR and table search
 * (hv/acpi.c), and the Multiboot ELF loader (hv/multiboot.c).
 *
 * Every input lies in a heap buffer of exactly its size (ASan reports a read
 * past it), every output buffer too (err, why, the describe buffer, the CPU
 * list, guest RAM).  Byte 0 picks the parser; the rest is its input.
 *   0 HV.CFG: byte 1 errlen; the text (NUL added).  A refusal returns
 *     non-zero with a message (errlen >= 2), NUL-terminated inside errlen;
 *     a success leaves every string field NUL-terminated in its array,
 *     nr_modules <= CFG_MODULES_MAX, and config_check/config_describe keep
 *     inside their buffers; parsing is deterministic.
 *   1 MADT: byte 1 max CPUs; the table (header length forced to the size).
 *     Result and CPU list equal a reference walk of the entries (ACPI 6.5
 *     §5.2.12 "Multiple APIC Description Table": types 0 and 9, Enabled
 *     flag, first entry of each APIC ID), -1 for an entry that overruns the
 *     table or is shorter than 2 bytes.
 *   2 SPCR: the table (length forced).  0 with a 16550 at a non-zero
 *     address, stride and access 1 or 4, a defined baud rate; or -1 with a
 *     message; a table whose signature, length or checksum is wrong is
 *     always refused.
 *   3 RSDP/RSDT/XSDT search: bytes 1-4 the signature; the input is
 *     "physical memory" at FZ_PHYS (RSDP at its start).  The table found
 *     lies inside that memory, has the signature, its length and a valid
 *     checksum; map() is never asked for memory outside it.
 *   4 Multiboot: byte 1 guest RAM size (2 MiB + n * 4 KiB), byte 2 module
 *     count (0-2), bytes 3-4 command-line length; then the command line,
 *     per module a 2-byte size and its bytes, and the kernel file.  mb_check
 *     refusals carry a message; a load that succeeds writes only the
 *     segments, the info area and the modules (every other byte of guest
 *     RAM keeps its canary), all inside RAM, a segment's file bytes inside
 *     the file (a BSS-only one may name any p_offset); the entry point is inside a
 *     segment; a refused load writes nothing (it gets no RAM at all).  mb_choose_ram_mb gives 0
 *     with a message or a size in [MB_RAM_MIN_MB, MB_RAM_MAX_MB].
 */
#include "hv/config.c"
#include "hv/acpi.c"
#include "hv/multiboot.c"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define FZ_NAME "fuzz_input"
#include "tests/fuzz/ref_x86.h"

/* FUZZ_INPUT_TRACE=1: print why each input was refused (replaying one input). */
static bool fz_trace;

static u16 le16(const u8 *p) { return (u16)(p[0] | p[1] << 8); }
static u32 le32(const u8 *p) { return le16(p) | (u32)le16(p + 2) << 16; }

static u8 *dup_exact(const u8 *p, size_t n)
{
	u8 *q = malloc(n ? n : 1);

	if (!q)
		abort();
	memcpy(q, p, n);
	return q;
}

static void check_msg(const char *m, size_t len, const char *what)
{
	FZ_CHECK(memchr(m, 0, len), "%s: message not NUL-terminated in %zu bytes", what, len);
	FZ_CHECK(len < 2 || m[0], "%s refused without a message", what);
}

/* --- 0: HV.CFG ---------------------------------------------------------------- */

static void fz_config(const u8 *d, size_t n)
{
	size_t errlen = n ? d[0] % 160 + 1 : 1;
	char *text = malloc(n + 1), *err = malloc(errlen), *desc;
	struct hv_config a, b;
	int ra, rb;

	if (!text || !err)
		abort();
	if (n)
		memcpy(text, d + 1, n - 1);
	text[n ? n - 1 : 0] = 0;
	memset(err, 0, errlen);
	config_defaults(&a);
	ra = config_parse(&a, text, err, errlen);
	if (ra)
		check_msg(err, errlen, "HV.CFG");
	if (fz_trace)
		fprintf(stderr, "HV.CFG: %d %s\n", ra, ra ? err : "");
	config_defaults(&b);
	rb = config_parse(&b, text, err, errlen);
	FZ_CHECK(ra == rb && (ra || !memcmp(&a, &b, sizeof(a))), "HV.CFG parse not deterministic");
	if (!ra) {
		FZ_CHECK(memchr(a.tests, 0, sizeof(a.tests)) && memchr(a.guest, 0, sizeof(a.guest)) &&
			 memchr(a.append, 0, sizeof(a.append)), "HV.CFG string field not terminated");
		FZ_CHECK(a.nr_modules <= CFG_MODULES_MAX, "%u modules", a.nr_modules);
		for (unsigned i = 0; i < a.nr_modules; i++)
			FZ_CHECK(memchr(a.modules[i], 0, CFG_PATH_MAX) && a.modules[i][0],
				 "module %u path empty or not terminated", i);
		if (config_check(&a, err, errlen))
			check_msg(err, errlen, "HV.CFG check");
		desc = malloc(errlen);
		if (!desc)
			abort();
		config_describe(&a, desc, errlen);
		FZ_CHECK(memchr(desc, 0, errlen), "describe not terminated");
		free(desc);
	}
	free(text);
	free(err);
}

/* --- 1: MADT ------------------------------------------------------------------ */

static void fix_header(u8 *t, size_t n, const char *sig, bool checksum)
{
	if (n < sizeof(struct acpi_header))
		return;
	memcpy(t, sig, 4);
	t[4] = (u8)n;
	t[5] = (u8)(n >> 8);
	t[6] = (u8)(n >> 16);
	t[7] = (u8)(n >> 24);
	if (checksum) {
		u8 sum = 0;

		t[9] = 0;
		for (size_t i = 0; i < n; i++)
			sum += t[i];
		t[9] = (u8)-sum;
	}
}

static int ref_madt(const u8 *t, u32 len, struct acpi_cpu *cpus, int max)
{
	u32 off = 44;
	int n = 0;

	if (len < off)
		return -1;
	while (off + 2 <= len) {
		u8 type = t[off], el = t[off + 1];
		u32 id = 0, uid = 0, flags = 0;
		bool cpu = false, x2 = false, dup = false;

		if (el < 2 || off + el > len)
			return -1;
		if (type == 0 && el >= 8) {             /* Processor Local APIC */
			uid = t[off + 2];
			id = t[off + 3];
			flags = le32(t + off + 4);
			cpu = true;
		} else if (type == 9 && el >= 16) {     /* Processor Local x2APIC */
			id = le32(t + off + 4);
			flags = le32(t + off + 8);
			uid = le32(t + off + 12);
			cpu = x2 = true;
		}
		if (cpu && (flags & 1)) {
			for (int i = 0; i < n && i < max; i++)
				dup |= cpus[i].apic_id == id;
			if (!dup) {
				if (n < max)
					cpus[n] = (struct acpi_cpu){ .apic_id = id, .uid = uid, .x2apic_entry = x2 };
				n++;
			}
		}
		off += el;
	}
	return n;
}

static void fz_madt(const u8 *d, size_t n)
{
	int max = n ? d[0] % 9 : 0, r, e;
	size_t tn = n ? n - 1 : 0;
	u8 *t;
	struct acpi_cpu *cpus, ref[8];
	u32 lapic = 0;

	if (tn < sizeof(struct acpi_header))
		return;
	t = dup_exact(d + 1, tn);
	fix_header(t, tn, "APIC", false);
	cpus = malloc(max ? (size_t)max * sizeof(*cpus) : 1);
	if (!cpus)
		abort();
	r = acpi_madt_cpus((const void *)t, cpus, max, &lapic);
	e = ref_madt(t, (u32)tn, ref, max);
	FZ_CHECK(r == e, "MADT of %zu bytes: %d CPUs, reference %d", tn, r, e);
	for (int i = 0; i < r && i < max; i++)
		FZ_CHECK(cpus[i].apic_id == ref[i].apic_id && cpus[i].uid == ref[i].uid &&
			 cpus[i].x2apic_entry == ref[i].x2apic_entry, "MADT CPU %d differs", i);
	if (tn >= 44)
		FZ_CHECK(lapic == le32(t + 36), "local APIC address 0x%x", lapic);
	free(cpus);
	free(t);
}

/* --- 2: SPCR ------------------------------------------------------------------ */

static void fz_spcr(const u8 *d, size_t n)
{
	size_t tn = n ? n - 1 : 0, whylen = 100;
	u8 *t;
	char *why = malloc(whylen);
	struct acpi_spcr_uart u;
	bool fix = n && (d[0] & 1);
	int r;

	if (!why)
		abort();
	if (tn < sizeof(struct acpi_header)) {
		free(why);
		return;
	}
	t = dup_exact(d + 1, tn);
	if (fix)
		fix_header(t, tn, "SPCR", true);
	else
		fix_header(t, tn, (const char *)t, false);      /* only the length */
	memset(why, 0, whylen);
	memset(&u, 0xa5, sizeof(u));
	r = acpi_spcr_uart((const void *)t, &u, why, whylen);
	if (memcmp(t, "SPCR", 4) || tn < sizeof(struct acpi_spcr) || !acpi_checksum_ok(t, tn))
		FZ_CHECK(r != 0, "SPCR with a bad signature, length or checksum accepted");
	if (r) {
		check_msg(why, whylen, "SPCR");
		if (fz_trace)
			fprintf(stderr, "SPCR refused: %s\n", why);
	} else {
		FZ_CHECK(u.base && (u.stride == 1 || u.stride == 4) && (u.access == 1 || u.access == 4) &&
			 (u.baud == 0 || u.baud == 9600 || u.baud == 19200 || u.baud == 57600 ||
			  u.baud == 115200) && (u.interface_type == 0 || u.interface_type == 1 ||
						u.interface_type == 0x12),
			 "SPCR accepted: base 0x%llx stride %u access %u baud %u type 0x%x",
			 (unsigned long long)u.base, u.stride, u.access, u.baud, u.interface_type);
		FZ_CHECK(u.mmio || (u.base <= 0xfff8 && u.stride == 1), "SPCR I/O UART at 0x%llx",
			 (unsigned long long)u.base);
	}
	free(t);
	free(why);
}

/* --- 3: the table search ------------------------------------------------------ */

#define FZ_PHYS         0x7e000000ull   /* identity "physical memory" (acpi_find_table maps pointers) */
#define FZ_PHYS_SIZE    0x10000ull
static u8 *fz_phys;

static const void *fz_map(u64 phys, u64 len)
{
	if (phys < FZ_PHYS || phys >= FZ_PHYS + FZ_PHYS_SIZE || len > FZ_PHYS + FZ_PHYS_SIZE - phys)
		return NULL;
	return (const void *)(uintptr_t)phys;
}

static void fz_find(const u8 *d, size_t n)
{
	const struct acpi_header *t;
	char sig[4];

	if (!fz_phys || n < 5)
		return;
	memcpy(sig, d, 4);
	n = MIN(n - 4, (size_t)FZ_PHYS_SIZE);
	memset(fz_phys, 0, FZ_PHYS_SIZE);
	memcpy(fz_phys, d + 4, n);
	t = acpi_find_table((const void *)fz_phys, sig, fz_map);
	if (t) {
		u64 a = (u64)(uintptr_t)t;

		FZ_CHECK(a >= FZ_PHYS && a + sizeof(*t) <= FZ_PHYS + FZ_PHYS_SIZE &&
			 t->length <= FZ_PHYS + FZ_PHYS_SIZE - a, "table outside memory");
		FZ_CHECK(!memcmp(t->signature, sig, 4) && t->length >= sizeof(*t) &&
			 acpi_checksum_ok(t, t->length), "table found with a wrong signature or checksum");
	}
}

/* --- 4: Multiboot ------------------------------------------------------------- */

#define FZ_RAM_MAX      ((2u << 20) + 255u * 0x1000)
static u8 fz_expect[FZ_RAM_MAX];

static bool in_range(u64 x, u64 a, u64 len)
{
	return x >= a && x - a < len;
}

static void fz_multiboot(const u8 *d, size_t n)
{
	struct mb_blob mods[2];
	struct mb_params p = { 0 };
	struct mb_layout l;
	size_t pos = 4, cl;
	char *cmd = NULL, *err, *why;
	u8 *ram, *kernel, *mdata[2] = { NULL, NULL };
	u64 ram_size;
	unsigned nm, i;
	int r;
	u32 mb;

	if (n < 4)
		return;
	ram_size = (2ull << 20) + (u64)d[0] * 0x1000;
	nm = d[1] % 3;
	cl = le16(d + 2) % 1100;
	if (cl > n - pos)
		cl = n - pos;
	cmd = malloc(cl + 1);
	if (!cmd)
		abort();
	memcpy(cmd, d + pos, cl);
	cmd[cl] = 0;
	pos += cl;
	for (i = 0; i < nm; i++) {
		size_t ms = pos + 2 <= n ? le16(d + pos) % 2048 : 0;

		pos = MIN(pos + 2, n);
		ms = MIN(ms, n - pos);
		mdata[i] = dup_exact(d + pos, ms);
		mods[i] = (struct mb_blob){ .data = mdata[i], .size = ms, .string = i ? "mod1" : NULL };
		pos += ms;
	}
	kernel = dup_exact(d + pos, n - pos);
	p = (struct mb_params){ .kernel = kernel, .kernel_size = n - pos, .name = "fuzz", .cmdline = cmd,
				.mods = mods, .nr_mods = nm, .ram_size = ram_size };
	err = malloc(200);
	why = malloc(200);
	if (!err || !why)
		abort();
	err[0] = 0;
	if (mb_check(&p, &l, err, 200)) {
		/* Refused: mb_load must refuse too, before touching RAM (NULL here). */
		check_msg(err, 200, "Multiboot");
		if (fz_trace)
			fprintf(stderr, "multiboot refused: %s\n", err);
		err[0] = 0;
		r = mb_load(&p, NULL, ram_size, &l, err, 200);
		FZ_CHECK(r == -1, "mb_load accepted what mb_check refused");
		check_msg(err, 200, "Multiboot load");
		ram = NULL;
	} else {
		ram = malloc(ram_size);
		if (!ram)
			abort();
		memset(ram, 0xc3, ram_size);
		r = mb_load(&p, ram, ram_size, &l, err, 200);
		FZ_CHECK(r == 0, "mb_load refused what mb_check accepted: %s", err);
	}
	if (!r) {
		bool entry_ok = false;

		FZ_CHECK(l.nr_segments >= 1 && l.nr_segments <= MB_SEGMENTS_MAX, "%u segments", l.nr_segments);
		for (i = 0; i < l.nr_segments; i++) {
			const struct mb_segment *s = &l.seg[i];

			if (fz_trace)
				fprintf(stderr, "segment %u: file [0x%llx, +0x%x) -> [0x%x, +0x%x)\n", i,
					(unsigned long long)s->offset, s->filesz, s->paddr, s->memsz);
			/*
			 * Only file bytes must lie in the file: a segment with p_filesz 0
			 * (BSS only) has no file image (System V ABI, "Program Header":
			 * p_filesz "may be zero"), its p_offset names no byte and may be
			 * anything, past the end of the file included (docs/multiboot.md
			 * refuses "segment data past its end", check_elf() only that).
			 */
			FZ_CHECK((u64)s->paddr + s->memsz <= ram_size && s->filesz <= s->memsz &&
				 (!s->filesz || (s->offset <= p.kernel_size &&
						 s->filesz <= p.kernel_size - s->offset)),
				 "segment %u outside RAM or file", i);
			entry_ok |= in_range(l.entry, s->paddr, s->memsz);
		}
		FZ_CHECK(entry_ok, "entry 0x%x in no segment", l.entry);
		FZ_CHECK((u64)l.info_gpa + l.info_size <= ram_size, "info area outside RAM");
		for (i = 0; i < nm; i++)
			FZ_CHECK((u64)l.mod_gpa[i] + mods[i].size <= ram_size, "module %u outside RAM", i);
		/* Every byte outside the regions is the canary: compare with a canary copy
		 * that has the regions' actual bytes pasted in. */
		memset(fz_expect, 0xc3, ram_size);
		memcpy(fz_expect + l.info_gpa, ram + l.info_gpa, l.info_size);
		for (i = 0; i < l.nr_segments; i++)
			memcpy(fz_expect + l.seg[i].paddr, ram + l.seg[i].paddr, l.seg[i].memsz);
		for (i = 0; i < nm; i++)
			memcpy(fz_expect + l.mod_gpa[i], ram + l.mod_gpa[i], mods[i].size);
		if (memcmp(fz_expect, ram, ram_size)) {
			u64 k = 0;

			while (fz_expect[k] == ram[k])
				k++;
			FZ_CHECK(0, "load wrote 0x%llx, outside segments, info and modules", (unsigned long long)k);
		}
	}
	err[0] = 0;
	mb = mb_choose_ram_mb(&p, why, 200, err, 200);
	if (!mb)
		check_msg(err, 200, "Multiboot RAM size");
	else
		FZ_CHECK(mb >= MB_RAM_MIN_MB && mb <= MB_RAM_MAX_MB && memchr(why, 0, 200), "RAM size %u MiB", mb);
	free(ram);
	free(err);
	free(why);
	free(kernel);
	free(cmd);
	free(mdata[0]);
	free(mdata[1]);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	void *m;

	(void)argc;
	(void)argv;
	fz_trace = getenv("FUZZ_INPUT_TRACE") && *getenv("FUZZ_INPUT_TRACE") != '0';
	/* The memory and a PROT_NONE page after it: a read past the end faults. */
	m = mmap((void *)(uintptr_t)FZ_PHYS, FZ_PHYS_SIZE + PAGE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (m == (void *)(uintptr_t)FZ_PHYS) {
		mprotect((u8 *)m + FZ_PHYS_SIZE, PAGE_SIZE, PROT_NONE);
		fz_phys = m;
	} else {
		fprintf(stderr, "fuzz_input: no memory at 0x%llx: the ACPI table search is not fuzzed\n",
			(unsigned long long)FZ_PHYS);
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	if (!size)
		return 0;
	switch (data[0] % 5) {
	case 0: fz_config(data + 1, size - 1); break;
	case 1: fz_madt(data + 1, size - 1); break;
	case 2: fz_spcr(data + 1, size - 1); break;
	case 3: fz_find(data + 1, size - 1); break;
	default: fz_multiboot(data + 1, size - 1); break;
	}
	return 0;
}
