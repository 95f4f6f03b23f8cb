/*
 * tests/fuzz/fuzz_insn.c - libFuzzer target for the instruction-length
 * decoder used when NRIPS is absent (svm/insn.c).
 *
 * Any bytes, any mode, any exit code.  The length returned is compared with
 * an independent, table-driven decoding written here from APM Vol 3
 * Appendix A "Opcode and Operand Encodings" (§1.2 "Instruction Prefixes",
 * §1.4 ModRM/SIB, Tables A-33..A-35) and APM Vol 3 §1.2.5 "REX Prefix"
 * (REX only in 64-bit mode, only directly before the opcode).  Invariants:
 *   - a length is -1, or 1..15 and never beyond the bytes given;
 *   - it equals the reference length: bytes that are not the exit's
 *     instruction are reported (-1), never skipped;
 *   - the same length with exactly that many bytes, and -1 with one fewer
 *     (the decoder never looks past the instruction, never guesses);
 *   - insn_modrm_length() agrees with the reference ModRM/SIB table.
 *
 * Input format: byte 0 flags (bit 0 long mode, bit 1 raw exit code),
 * byte 1 index into fz_exits[] (or bytes 1-2: any 16-bit exit code), the
 * rest are the instruction bytes (avail = their count).
 *
 * The file under test is included (not linked) so that a mutated copy in
 * build/fuzz/mut/NAME/svm/insn.c can replace it (tests/fuzz/mutants.txt).
 */
#include "svm/insn.c"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_NAME "fuzz_insn"
#include "tests/fuzz/ref_x86.h"

/* What each handled exit's instruction is: opcode bytes after prefixes/REX. */
struct ref_op {
	u64 exit;
	u8 n;           /* opcode bytes */
	u8 op[3];
	u8 kind;        /* 0 plain; 1 needs F3 and no REX.B (PAUSE); 2 0F 01 /7 memory (INVLPG) */
};

static const struct ref_op ref_ops[] = {
	{ SVM_EXIT_HLT, 1, { 0xf4 }, 0 },
	{ SVM_EXIT_ICEBP, 1, { 0xf1 }, 0 },
	{ SVM_EXIT_PAUSE, 1, { 0x90 }, 1 },
	{ SVM_EXIT_CPUID, 2, { 0x0f, 0xa2 }, 0 },
	{ SVM_EXIT_MSR, 2, { 0x0f, 0x30 }, 0 },
	{ SVM_EXIT_MSR, 2, { 0x0f, 0x32 }, 0 },
	{ SVM_EXIT_RDTSC, 2, { 0x0f, 0x31 }, 0 },
	{ SVM_EXIT_RDPMC, 2, { 0x0f, 0x33 }, 0 },
	{ SVM_EXIT_INVD, 2, { 0x0f, 0x08 }, 0 },
	{ SVM_EXIT_WBINVD, 2, { 0x0f, 0x09 }, 0 },
	{ SVM_EXIT_VMRUN, 3, { 0x0f, 0x01, 0xd8 }, 0 },
	{ SVM_EXIT_VMMCALL, 3, { 0x0f, 0x01, 0xd9 }, 0 },
	{ SVM_EXIT_VMLOAD, 3, { 0x0f, 0x01, 0xda }, 0 },
	{ SVM_EXIT_VMSAVE, 3, { 0x0f, 0x01, 0xdb }, 0 },
	{ SVM_EXIT_STGI, 3, { 0x0f, 0x01, 0xdc }, 0 },
	{ SVM_EXIT_CLGI, 3, { 0x0f, 0x01, 0xdd }, 0 },
	{ SVM_EXIT_SKINIT, 3, { 0x0f, 0x01, 0xde }, 0 },
	{ SVM_EXIT_INVLPGA, 3, { 0x0f, 0x01, 0xdf }, 0 },
	{ SVM_EXIT_XSETBV, 3, { 0x0f, 0x01, 0xd1 }, 0 },
	{ SVM_EXIT_RDTSCP, 3, { 0x0f, 0x01, 0xf9 }, 0 },
	{ SVM_EXIT_RDPRU, 3, { 0x0f, 0x01, 0xfd }, 0 },
	{ SVM_EXIT_MONITOR, 3, { 0x0f, 0x01, 0xc8 }, 0 },
	{ SVM_EXIT_MONITOR, 3, { 0x0f, 0x01, 0xfa }, 0 },
	{ SVM_EXIT_MWAIT, 3, { 0x0f, 0x01, 0xc9 }, 0 },
	{ SVM_EXIT_MWAIT, 3, { 0x0f, 0x01, 0xfb }, 0 },
	{ SVM_EXIT_MWAIT_COND, 3, { 0x0f, 0x01, 0xc9 }, 0 },
	{ SVM_EXIT_MWAIT_COND, 3, { 0x0f, 0x01, 0xfb }, 0 },
	{ SVM_EXIT_INVLPG, 2, { 0x0f, 0x01 }, 2 },
};

/* Exit codes the input picks from: the handled ones and a few others. */
static const u64 fz_exits[] = {
	SVM_EXIT_HLT, SVM_EXIT_ICEBP, SVM_EXIT_PAUSE, SVM_EXIT_CPUID, SVM_EXIT_MSR,
	SVM_EXIT_RDTSC, SVM_EXIT_RDPMC, SVM_EXIT_INVD, SVM_EXIT_WBINVD, SVM_EXIT_VMRUN,
	SVM_EXIT_VMMCALL, SVM_EXIT_VMLOAD, SVM_EXIT_VMSAVE, SVM_EXIT_STGI, SVM_EXIT_CLGI,
	SVM_EXIT_SKINIT, SVM_EXIT_INVLPGA, SVM_EXIT_XSETBV, SVM_EXIT_RDTSCP, SVM_EXIT_RDPRU,
	SVM_EXIT_MONITOR, SVM_EXIT_MWAIT, SVM_EXIT_MWAIT_COND, SVM_EXIT_INVLPG,
	0x400, 0x060, 0x07b, 0x0ff,
};

static int ref_length(const u8 *b, unsigned avail, u64 exit, bool lm)
{
	unsigned i = 0, k, j;
	bool f3 = false, a67 = false;
	u8 rex = 0;

	while (i < avail && ref_is_prefix(b[i])) {
		f3 |= b[i] == 0xf3;
		a67 |= b[i] == 0x67;
		i++;
	}
	if (lm && i < avail && b[i] >= 0x40 && b[i] <= 0x4f)
		rex = b[i++];
	for (k = 0; k < ARRAY_SIZE(ref_ops); k++) {
		const struct ref_op *r = &ref_ops[k];
		int len;

		if (r->exit != exit || i + r->n > avail)
			continue;
		for (j = 0; j < r->n && b[i + j] == r->op[j]; j++)
			;
		if (j < r->n)
			continue;
		if (r->kind == 1 && (!f3 || (rex & 1)))
			continue;
		len = (int)(i + r->n);
		if (r->kind == 2) {
			int m;

			if (i + 2 >= avail)
				continue;
			if ((b[i + 2] >> 6) == 3 || ((b[i + 2] >> 3) & 7) != 7)
				continue;
			m = ref_modrm(&b[i + 2], avail - i - 2, lm || !a67);
			if (m < 0)
				continue;
			len += m;
		}
		return len <= INSN_MAX_LEN ? len : -1;
	}
	return -1;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	u8 *copy;
	unsigned avail, hdr;
	u64 exit;
	bool lm;
	int got, ref, again;

	if (size < 2)
		return 0;
	lm = data[0] & 1;
	if (data[0] & 2) {
		if (size < 3)
			return 0;
		exit = data[1] | (u32)data[2] << 8;
		hdr = 3;
	} else {
		exit = fz_exits[data[1] % ARRAY_SIZE(fz_exits)];
		hdr = 2;
	}
	avail = (unsigned)(size - hdr);
	/* Exactly avail bytes on the heap: ASan sees any read past them. */
	copy = malloc(avail ? avail : 1);
	if (!copy)
		abort();
	memcpy(copy, data + hdr, avail);

	got = insn_length_for_exit(copy, avail, exit, lm);
	ref = ref_length(copy, avail, exit, lm);
	FZ_CHECK(got == -1 || (got >= 1 && got <= INSN_MAX_LEN && (unsigned)got <= avail),
		 "length %d out of range (avail %u)", got, avail);
	FZ_CHECK(got == ref, "exit 0x%llx lm %d avail %u: length %d, reference %d",
		 (unsigned long long)exit, lm, avail, got, ref);
	if (got > 0) {
		again = insn_length_for_exit(copy, (unsigned)got, exit, lm);
		FZ_CHECK(again == got, "with exactly %d bytes: %d", got, again);
		again = insn_length_for_exit(copy, (unsigned)got - 1, exit, lm);
		FZ_CHECK(again == -1, "with %d bytes (one short): %d, not -1", got - 1, again);
	}
	/* The ModRM helper on its own, both address sizes, both modes. */
	if (avail) {
		int m32 = insn_modrm_length(copy, avail, true, false);
		int m16 = insn_modrm_length(copy, avail, false, false);
		int m64 = insn_modrm_length(copy, avail, false, true);

		FZ_CHECK(m32 == ref_modrm(copy, avail, true), "modrm32 %d, reference %d", m32,
			 ref_modrm(copy, avail, true));
		FZ_CHECK(m16 == ref_modrm(copy, avail, false), "modrm16 %d, reference %d", m16,
			 ref_modrm(copy, avail, false));
		FZ_CHECK(m64 == m32, "modrm in long mode %d, 32-bit form %d", m64, m32);
	}
	free(copy);
	return 0;
}
