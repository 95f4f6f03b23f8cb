/*
 * svm/insn_mmio.h - decode the guest instruction behind an emulated MMIO
 * access (xAPIC page, IOAPIC) and behind a MOV to/from CRn intercept.
 *
 * The xAPIC page is left out of the nested page table, so a guest access
 * ends in #VMEXIT(NPF) with only the guest physical address in EXITINFO2.
 * QEMU TCG has no decode assists (APM Vol 2 §15.8 "Decode Assists": no
 * instruction bytes at VMCB 0x0D0 for #NPF, §15.8.4 "Nested and Intercepted
 * #PF"; no GPR number in EXITINFO1 for a CR intercept, §15.8.1 "MOV CRx/DRx
 * Intercepts"), so the hypervisor fetches the
 * bytes at the guest RIP itself and decodes them here.  The same is needed for an
 * AVIC_NOACCEL fault (APM Vol 2 §15.29.9.2 "AVIC Access to Un-accelerated
 * vAPIC register": a fault-type exit is taken before the access, so the
 * hypervisor decodes and emulates the instruction, then advances RIP).
 *
 * Pure library: bytes in, a description out; nothing here touches the VMCB
 * or the guest registers, so the whole of it runs in the host unit tests.
 */
#ifndef SVM_INSN_MMIO_H
#define SVM_INSN_MMIO_H

#include "lib/types.h"

/* Negative results of the decoders; *why (when asked for) has the detail. */
#define INSN_MMIO_UNSUPPORTED   (-1)    /* not one of the supported forms */
#define INSN_MMIO_TRUNCATED     (-2)    /* the bytes end before the instruction does */
#define INSN_MMIO_TOO_LONG      (-3)    /* longer than 15 bytes: #GP on hardware */

/* How a read widens the memory value into the destination register. */
enum mmio_ext {
	MMIO_EXT_NONE,          /* MOV: the destination has the access size */
	MMIO_EXT_ZERO,          /* MOVZX */
	MMIO_EXT_SIGN,          /* MOVSX */
};

struct mmio_insn {
	u8 len;         /* length of the whole instruction, prefixes included */
	u8 size;        /* bytes accessed in memory: 1, 2, 4 or 8 */
	bool write;     /* the instruction writes memory */
	bool has_imm;   /* write of an immediate (C6 /0, C7 /0) */
	u64 imm;        /* that immediate, already extended to `size` bytes
			 * (C7 with REX.W sign-extends imm32) */
	/*
	 * The general-purpose register read (writes) or written (reads),
	 * 0..15 in the encoding order RAX, RCX, RDX, RBX, RSP, RBP, RSI,
	 * RDI, R8..R15; 0 (rAX) for MOV moffs; 0 and meaningless when
	 * has_imm.  Careful with high_byte: reg is then the encoding 4..7
	 * (AH, CH, DH, BH) and the register that holds the byte is
	 * reg - 4 (RAX..RBX), not reg (RSP..RDI).
	 */
	u8 reg;
	bool high_byte; /* 8-bit register is AH/CH/DH/BH: reg 4..7 without
			 * any REX prefix; the byte is bits 15:8 of GPR reg - 4 */
	u8 dst_size;    /* reads: width of the register written (the
			 * MOVZX/MOVSX destination; else = size); writes: = size */
	enum mmio_ext ext;
};

/*
 * Decodes the instruction in b[0..n).  long_mode: CS.L=1 (64-bit code);
 * else default32 says CS.D (32-bit vs 16-bit default operand and address
 * size).  Returns 0, or a negative INSN_MMIO_* value when the instruction
 * is not one of the supported forms, is truncated or is too long; then
 * *why (if not NULL) names the reason.  *out is written only on success.
 *
 * Supported: MOV r/m,r (88, 89), MOV r,r/m (8A, 8B), MOV r/m,imm (C6 /0,
 * C7 /0), MOVZX (0F B6, 0F B7), MOVSX (0F BE, 0F BF), MOV moffs (A0..A3),
 * each with a memory operand, with prefixes 66, 67, segment overrides and
 * (64-bit code) one REX directly before the opcode.  LOCK, REP/REPNE and
 * everything else are refused.
 */
int insn_decode_mmio(const u8 *b, unsigned n, bool long_mode, bool default32, struct mmio_insn *out,
		     const char **why);

/*
 * The register value after a read of `val` into it, with x86 rules:
 * 32-bit destinations zero the upper half of the 64-bit register, 8/16-bit
 * ones keep the other bits, AH..BH write bits 15:8, MOVZX/MOVSX extend to
 * dst_size first.  Bits of val above `size` bytes are ignored.  For a write
 * instruction the register does not change: returns old.
 */
u64 mmio_reg_after_read(u64 old, const struct mmio_insn *mi, u64 val);

/* The value a write stores: the immediate, or the low `size` bytes of the
 * source register (AH..BH: bits 15:8). */
u64 mmio_write_value(u64 regval, const struct mmio_insn *mi);

/*
 * MOV to/from CRn (0F 22 / 0F 20; REX.R, or a LOCK prefix on CR0 (AMD's
 * AltMovCr8), selects CR8): returns 0 and fills cr, gpr (0..15), to_cr and
 * len, or a negative INSN_MMIO_* value.  Only CR0, CR2, CR3, CR4 and CR8
 * are accepted: the others raise #UD before any intercept, so bytes naming
 * them cannot be the instruction that exited.  The caller should still
 * check cr against the exit code.  The operand is the whole GPR in 64-bit
 * mode, its low 32 bits otherwise (APM Vol 3 "MOV (CRn)").
 */
int insn_decode_mov_cr(const u8 *b, unsigned n, bool long_mode, unsigned *cr, unsigned *gpr, bool *to_cr,
		       u8 *len);

#endif
