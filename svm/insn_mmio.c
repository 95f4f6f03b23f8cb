/*
 * svm/insn_mmio.c - decoder for the MOV forms that touch emulated MMIO, and
 * for MOV to/from CRn.
 *
 * Encodings from APM Vol 3 Chapter 1 "Instruction Encoding":
 *   §1.1 "Instruction Encoding Overview": prefixes, opcode, ModRM, SIB,
 *        displacement, immediate; at most 15 bytes (longer is #GP).
 *   §1.2 "Instruction Prefixes": legacy prefixes in any order (§1.2.1),
 *        66h operand size (§1.2.2), 67h address size (§1.2.3), segment
 *        overrides (§1.2.4), LOCK (§1.2.5), REP/REPNE (§1.2.6), REX (§1.2.7):
 *        "the REX operand-size override takes precedence over the 66h
 *        prefix" - REX.W=1 makes 66h ignored, REX.W=0 leaves it in force.
 *   §1.4 "ModRM and SIB Bytes", §1.5 displacement, §1.6 immediate, §1.7
 *        RIP-relative addressing (mod=00 r/m=101 in 64-bit mode; same length
 *        as disp32).  The lengths come from insn_modrm_length() (svm/insn.c).
 *   §1.8 "Encoding Considerations Using REX", §1.8.1 "Byte-Register
 *        Addressing": without REX, byte-register encodings 4..7 are AH, CH,
 *        DH, BH; with any REX (even 40h) they are SPL, BPL, SIL, DIL.
 * Instruction pages (Vol 3 Chapter 3 and 4): "MOV", "MOVZX", "MOVSX" and
 * "MOV (CRn)".  Sizes: operand size is 32 by default in 64-bit code (16 with
 * 66h, 64 with REX.W), CS.D's size otherwise (66h toggles 16/32); address
 * size is 64 in 64-bit code (32 with 67h), CS.D's otherwise (67h toggles).
 *
 * Deliberate choices:
 * - A REX byte must be the last prefix (§1.2.7: it immediately precedes
 *   the opcode or the 0Fh escape).  A REX followed by a legacy prefix or by
 *   another REX is refused, not decoded.  Hardware ignores such a REX
 *   (Intel SDM Vol 2 §2.2.1 says it outright: "Other placements are
 *   ignored"), while QEMU's TCG decoder, which runs our guests, keeps it in
 *   force (its prefix loop in target/i386 translate.c sets the REX state
 *   and no later prefix clears it), so the two disagree on what e.g.
 *   48 66 89 03 stores.  Whichever we chose would be wrong on one of them;
 *   compilers never emit it; refusing is the one answer that is never
 *   wrong.  svm/insn.c (instruction lengths) refuses these bytes too.
 * - Everything outside the forms listed in svm/insn_mmio.h is refused with a
 *   reason, never approximated: the caller stops the guest rather than
 *   emulating something the guest did not ask for.  Not implemented, on
 *   purpose: XCHG, the ALU ops with memory operands, string moves, MOVNTI,
 *   SSE/AVX moves.  Linux and the test guests use plain MOV for the xAPIC.
 * - LOCK (F0) and REP/REPNE (F2/F3) are refused for MMIO: LOCK MOV is #UD
 *   anyway, and F2/F3 on a MOV to memory mean XACQUIRE/XRELEASE on some
 *   processors.
 * - A register operand (ModRM mod=11) is not a memory access, so it cannot
 *   be what faulted on the MMIO page: refused.
 */
#include "svm/insn_mmio.h"
#include "svm/insn.h"

/* Reading position in the instruction bytes, and the reason for a refusal. */
struct cursor {
	const u8 *b;
	unsigned n;             /* bytes available */
	unsigned pos;           /* next byte to read */
	const char *why;
};

static int refuse(struct cursor *c, int err, const char *why)
{
	c->why = why;
	return err;
}

/*
 * 0 when k more bytes are there to read.  Past byte 15 the instruction is
 * too long whatever the bytes say; short of that, running out of input is
 * truncation.
 */
static int need(struct cursor *c, unsigned k)
{
	if (c->pos + k > INSN_MAX_LEN)
		return refuse(c, INSN_MMIO_TOO_LONG, "longer than 15 bytes");
	if (c->pos + k > c->n)
		return refuse(c, INSN_MMIO_TRUNCATED, "truncated");
	return 0;
}

/* Little-endian value of the k (<= 8) bytes at the cursor; need() first. */
static u64 take(struct cursor *c, unsigned k)
{
	u64 v = 0;
	unsigned i;

	for (i = 0; i < k; i++)
		v |= (u64)c->b[c->pos + i] << (8 * i);
	c->pos += k;
	return v;
}

struct prefixes {
	bool opsize;            /* 66 */
	bool addrsize;          /* 67 */
	bool lock;              /* F0 */
	bool rep;               /* F2 or F3 */
	u8 rex;                 /* the effective REX byte, 0 if none */
};

#define REX_W   BIT(3)
#define REX_R   BIT(2)

/*
 * Reads the prefixes up to the opcode (left at the cursor).  In 64-bit
 * mode 40h..4Fh are REX and must come last (see the file comment).
 * Outside 64-bit mode they are INC/DEC and end the prefixes like any
 * opcode.  Segment overrides are skipped: the GPA comes from the exit.
 */
static int scan_prefixes(struct cursor *c, bool long_mode, struct prefixes *p)
{
	for (;;) {
		int err = need(c, 1);
		bool rex;
		u8 x;

		if (err)
			return err;
		x = c->b[c->pos];
		rex = long_mode && (x & 0xf0) == 0x40;
		if (!rex && !insn_is_legacy_prefix(x))
			return 0;
		if (p->rex)
			return refuse(c, INSN_MMIO_UNSUPPORTED, "REX prefix not directly before the opcode");
		if (rex)
			p->rex = x;
		else if (x == 0x66)
			p->opsize = true;
		else if (x == 0x67)
			p->addrsize = true;
		else if (x == 0xf0)
			p->lock = true;
		else if (x == 0xf2 || x == 0xf3)
			p->rep = true;
		c->pos++;
	}
}

/* Mask of the low `size` bytes. */
static u64 size_mask(unsigned size)
{
	return size >= 8 ? ~0ULL : BIT(8 * size) - 1;
}

/* v (already masked to size bytes) sign-extended to 64 bits. */
static u64 sign_extend(u64 v, unsigned size)
{
	switch (size) {
	case 1:         return (u64)(s64)(s8)v;
	case 2:         return (u64)(s64)(s16)v;
	case 4:         return (u64)(s64)(s32)v;
	default:        return v;
	}
}

/*
 * Checks the ModRM byte at the cursor and steps over it and its SIB and
 * displacement.  *regfield gets ModRM.reg (bits 5:3), without REX.R.
 */
static int memory_operand(struct cursor *c, bool addr32, bool long_mode, unsigned *regfield)
{
	unsigned limit = MIN(c->n, INSN_MAX_LEN);
	int err = need(c, 1), m;
	u8 modrm;

	if (err)
		return err;
	modrm = c->b[c->pos];
	if ((modrm >> 6) == 3)
		return refuse(c, INSN_MMIO_UNSUPPORTED,
			      "register operand (ModRM mod=11), not a memory access");
	*regfield = (modrm >> 3) & 7;
	m = insn_modrm_length(&c->b[c->pos], limit - c->pos, addr32, long_mode);
	if (m < 0) {
		/* Did not fit in what we have: past byte 15 if we had all 15. */
		if (limit == INSN_MAX_LEN)
			return refuse(c, INSN_MMIO_TOO_LONG, "longer than 15 bytes");
		return refuse(c, INSN_MMIO_TRUNCATED, "truncated");
	}
	c->pos += (unsigned)m;
	return 0;
}

int insn_decode_mmio(const u8 *b, unsigned n, bool long_mode, bool default32, struct mmio_insn *out,
		     const char **why)
{
	struct cursor c = { .b = b, .n = n };
	struct prefixes p = { 0 };
	struct mmio_insn mi = { 0 };
	unsigned opsize, addrsize, regfield = 0, imm_bytes = 0;
	bool modrm = true, byte_reg = false;
	int err;
	u8 op;

	err = scan_prefixes(&c, long_mode, &p);
	if (err)
		goto fail;
	if (p.lock) {
		err = refuse(&c, INSN_MMIO_UNSUPPORTED, "LOCK prefix (F0)");
		goto fail;
	}
	if (p.rep) {
		err = refuse(&c, INSN_MMIO_UNSUPPORTED, "REP/REPNE prefix (F2/F3)");
		goto fail;
	}

	if (long_mode) {
		opsize = (p.rex & REX_W) ? 8 : p.opsize ? 2 : 4;
		addrsize = p.addrsize ? 4 : 8;
	} else {
		opsize = (default32 != p.opsize) ? 4 : 2;
		addrsize = (default32 != p.addrsize) ? 4 : 2;
	}

	op = c.b[c.pos++];      /* scan_prefixes() checked it is there */
	switch (op) {
	case 0x88:              /* MOV r/m8, r8 */
	case 0x8a:              /* MOV r8, r/m8 */
		mi.size = 1;
		mi.write = op == 0x88;
		byte_reg = true;
		break;
	case 0x89:              /* MOV r/m, r */
	case 0x8b:              /* MOV r, r/m */
		mi.size = opsize;
		mi.write = op == 0x89;
		break;
	case 0xc6:              /* MOV r/m8, imm8 */
		mi.size = 1;
		mi.write = true;
		imm_bytes = 1;
		break;
	case 0xc7:              /* MOV r/m, imm16/32 (imm32 sign-extended with REX.W) */
		mi.size = opsize;
		mi.write = true;
		imm_bytes = opsize == 2 ? 2 : 4;
		break;
	case 0xa0:              /* MOV AL, moffs8 */
	case 0xa1:              /* MOV rAX, moffs */
	case 0xa2:              /* MOV moffs8, AL */
	case 0xa3:              /* MOV moffs, rAX */
		mi.size = (op & 1) ? opsize : 1;
		mi.write = op >= 0xa2;
		modrm = false;
		break;
	case 0x0f:
		err = need(&c, 1);
		if (err)
			goto fail;
		op = c.b[c.pos++];
		switch (op) {
		case 0xb6:      /* MOVZX r, r/m8 */
		case 0xb7:      /* MOVZX r, r/m16 */
			mi.ext = MMIO_EXT_ZERO;
			break;
		case 0xbe:      /* MOVSX r, r/m8 */
		case 0xbf:      /* MOVSX r, r/m16 */
			mi.ext = MMIO_EXT_SIGN;
			break;
		default:
			err = refuse(&c, INSN_MMIO_UNSUPPORTED, "unsupported two-byte opcode (0F xx)");
			goto fail;
		}
		mi.size = (op & 1) ? 2 : 1;
		mi.dst_size = opsize;
		break;
	default:
		/* In 64-bit code 40-4F never get here: scan_prefixes() took them as REX. */
		err = refuse(&c, INSN_MMIO_UNSUPPORTED,
			     (op & 0xf0) == 0x40 ?
			     "unsupported opcode (40-4F are INC/DEC outside 64-bit mode)" :
			     "unsupported opcode");
		goto fail;
	}

	if (modrm) {
		/* 64-bit code has no 16-bit addressing; long_mode forces the 32/64 form. */
		err = memory_operand(&c, addrsize != 2, long_mode, &regfield);
		if (err)
			goto fail;
		if (imm_bytes && regfield != 0) {
			err = refuse(&c, INSN_MMIO_UNSUPPORTED, "C6/C7 with ModRM.reg != 0");
			goto fail;
		}
		if (!imm_bytes)
			mi.reg = regfield | ((p.rex & REX_R) ? 8 : 0);
		/* APM Vol 3 §1.8.1: AH..BH exist only without any REX prefix. */
		mi.high_byte = byte_reg && !p.rex && regfield >= 4;
	} else {
		/* The offset is address-sized: 8 bytes in 64-bit code unless 67h. */
		err = need(&c, addrsize);
		if (err)
			goto fail;
		c.pos += addrsize;
	}

	if (imm_bytes) {
		err = need(&c, imm_bytes);
		if (err)
			goto fail;
		mi.has_imm = true;
		mi.imm = take(&c, imm_bytes);
		if (mi.size > imm_bytes)
			mi.imm = sign_extend(mi.imm, imm_bytes) & size_mask(mi.size);
	}

	if (!mi.dst_size)
		mi.dst_size = mi.size;
	mi.len = (u8)c.pos;
	*out = mi;
	if (why)
		*why = NULL;
	return 0;

fail:
	if (why)
		*why = c.why;
	return err;
}

u64 mmio_reg_after_read(u64 old, const struct mmio_insn *mi, u64 val)
{
	unsigned dst = mi->dst_size ? mi->dst_size : mi->size;
	u64 v = val & size_mask(mi->size);

	if (mi->write)
		return old;
	if (mi->ext == MMIO_EXT_SIGN)
		v = sign_extend(v, mi->size);
	v &= size_mask(dst);

	switch (dst) {
	case 1:
		if (mi->high_byte)
			return (old & ~0xff00ULL) | (v << 8);
		return (old & ~0xffULL) | v;
	case 2:
		return (old & ~0xffffULL) | v;
	case 4:
		/*
		 * APM Vol 1 §3.1.2 "64-Bit-Mode Registers", "Zero-Extension of
		 * 32-Bit Results".  Outside 64-bit mode the upper half is
		 * undefined ("GPR High 32 Bits Across Mode Switches"), so zero
		 * is a correct value there too.
		 */
		return v;
	default:
		return v;
	}
}

u64 mmio_write_value(u64 regval, const struct mmio_insn *mi)
{
	if (mi->has_imm)
		return mi->imm & size_mask(mi->size);
	if (mi->high_byte)
		return (regval >> 8) & 0xff;
	return regval & size_mask(mi->size);
}

int insn_decode_mov_cr(const u8 *b, unsigned n, bool long_mode, unsigned *cr, unsigned *gpr, bool *to_cr,
		       u8 *len)
{
	struct cursor c = { .b = b, .n = n };
	struct prefixes p = { 0 };
	unsigned reg;
	int err;
	u8 op, modrm;

	err = scan_prefixes(&c, long_mode, &p);
	if (err)
		return err;
	if (p.rep)
		return INSN_MMIO_UNSUPPORTED;
	if (c.b[c.pos] != 0x0f)  /* scan_prefixes() checked it is there */
		return INSN_MMIO_UNSUPPORTED;
	err = need(&c, 2);
	if (err)
		return err;
	op = c.b[c.pos + 1];
	if (op != 0x20 && op != 0x22)
		return INSN_MMIO_UNSUPPORTED;
	err = need(&c, 3);
	if (err)
		return err;
	/*
	 * APM Vol 3 "MOV (CRn)": "always treated as a register-to-register
	 * (MOD = 11) instruction, regardless of the encoding of the MOD field"
	 * - so there is never a SIB or displacement, whatever mod says.
	 */
	modrm = c.b[c.pos + 2];
	c.pos += 3;
	reg = ((modrm >> 3) & 7) | ((p.rex & REX_R) ? 8 : 0);
	if (p.lock) {
		/*
		 * Same page: CR8 "can be read and written in legacy mode using
		 * the MOV (CRn) opcode, using a LOCK prefix instead of a REX
		 * prefix" when CPUID Fn8000_0001 ECX[4] (AltMovCr8) is set;
		 * without it LOCK MOV CRn is #UD and never exits.  So whenever
		 * LOCK MOV CR0 did exit, it was a CR8 access (also taken so in
		 * 64-bit code, where the page does not say; the caller checks
		 * cr against the exit code anyway).  LOCK with any other CR is
		 * refused.
		 */
		if (reg != 0)
			return INSN_MMIO_UNSUPPORTED;
		reg = 8;
	}
	switch (reg) {
	case 0: case 2: case 3: case 4: case 8:
		break;
	default:
		return INSN_MMIO_UNSUPPORTED;   /* #UD on hardware, cannot have exited */
	}
	*cr = reg;
	*gpr = (modrm & 7) | ((p.rex & 1) ? 8 : 0);     /* REX.B extends r/m */
	*to_cr = op == 0x22;
	*len = (u8)c.pos;
	return 0;
}
