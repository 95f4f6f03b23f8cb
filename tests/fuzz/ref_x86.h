/*
 * tests/fuzz/ref_x86.h - reference x86 encoding tables for the decoder
 * fuzzers (fuzz_insn.c, fuzz_mmio.c), written from APM Vol 3 Appendix A
 * "Opcode and Operand Encodings" and Chapter 1 "Instruction Encoding";
 * independent of svm/insn.c and svm/insn_mmio.c on purpose.
 */
#ifndef TESTS_FUZZ_REF_X86_H
#define TESTS_FUZZ_REF_X86_H

#include "lib/types.h"

/* APM Vol 3 §1.2.1 "Summary of Legacy Prefixes": 66 67 F0 F2 F3 and the six segments. */
static inline bool ref_is_prefix(u8 b)
{
	static const u8 p[] = { 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65 };
	unsigned i;

	for (i = 0; i < sizeof(p); i++)
		if (p[i] == b)
			return true;
	return false;
}

/*
 * ModRM + SIB + displacement bytes, APM Vol 3 Tables A-33 (16-bit) and
 * A-34/A-35 (32/64-bit addressing), or -1 when avail is too short.
 * disp16[mod][rm], disp32[mod]; SIB with r/m 100; base 101 with mod 00,
 * or r/m 101 with mod 00 (disp32 / RIP+disp32): 4 more bytes.
 */
static inline int ref_modrm(const u8 *p, unsigned avail, bool addr32)
{
	static const u8 disp16[3][8] = {
		{ 0, 0, 0, 0, 0, 0, 2, 0 }, { 1, 1, 1, 1, 1, 1, 1, 1 }, { 2, 2, 2, 2, 2, 2, 2, 2 },
	};
	static const u8 disp32[3] = { 0, 1, 4 };
	unsigned mod, rm, n;

	if (!avail)
		return -1;
	mod = p[0] >> 6;
	rm = p[0] & 7;
	if (mod == 3)
		return 1;
	if (!addr32) {
		n = 1 + disp16[mod][rm];
	} else {
		bool sib = rm == 4;

		if (sib && avail < 2)
			return -1;
		n = 1 + sib + disp32[mod];
		if (mod == 0 && (sib ? (p[1] & 7) : rm) == 5)
			n += 4;
	}
	return n <= avail ? (int)n : -1;
}

#define FZ_CHECK(c, ...) do { if (!(c)) { fprintf(stderr, FZ_NAME ": " __VA_ARGS__); \
	fprintf(stderr, "\n"); __builtin_trap(); } } while (0)

#endif
