/*
 * tests/unit/test_insn_mmio.c - the MMIO instruction decoder and the MOV
 * CRn decoder (svm/insn_mmio.c).
 *
 * Behaviour under test: APM Vol 3 Chapter 1 "Instruction Encoding" (§1.2
 * prefixes, §1.4 ModRM/SIB, §1.7 RIP-relative, §1.8 REX and byte
 * registers) and the "MOV", "MOVZX", "MOVSX" and "MOV (CRn)" pages, for the
 * forms the hypervisor emulates when a guest touches the xAPIC/IOAPIC page
 * (#VMEXIT(NPF) without decode assists) or writes CR8.  Every byte sequence
 * below is what GNU as emits for the instruction named in the comment, and
 * every length is the one objdump -d gives for those bytes (16-bit code
 * with -mi8086).  A failure means the hypervisor would resume the guest in
 * the middle of an instruction, access the wrong number of bytes, write
 * the wrong register or the wrong part of it, or emulate an instruction
 * it should have refused.
 */
#include "svm/insn_mmio.h"

#include "tests/unit/unit.h"
#include "lib/printf.h"

enum { M64, M32, M16 };         /* CS.L=1; CS.L=0 CS.D=1; CS.L=0 CS.D=0 */

#define B(...)          { __VA_ARGS__ }
/* A byte array literal and its length, as two arguments. */
#define BYTES(...)      ((const u8[]){ __VA_ARGS__ }), (unsigned)sizeof((const u8[]){ __VA_ARGS__ })

static const char *const R_TRUNC = "truncated";
static const char *const R_LONG = "longer than 15 bytes";
static const char *const R_MOD3 = "register operand (ModRM mod=11), not a memory access";
static const char *const R_LOCK = "LOCK prefix (F0)";
static const char *const R_REP = "REP/REPNE prefix (F2/F3)";
static const char *const R_OP = "unsupported opcode";
static const char *const R_OP0F = "unsupported two-byte opcode (0F xx)";
static const char *const R_INCDEC = "unsupported opcode (40-4F are INC/DEC outside 64-bit mode)";
static const char *const R_C6C7 = "C6/C7 with ModRM.reg != 0";
static const char *const R_REXPOS = "REX prefix not directly before the opcode";

/* Compares negative return codes, printed as two's complement on failure. */
#define CHECK_RC(err, rc)       CHECK_EQ((u64)(s64)(err), (u64)(s64)(rc))

static int decode(int mode, const u8 *b, unsigned n, struct mmio_insn *mi, const char **why)
{
	return insn_decode_mmio(b, n, mode == M64, mode != M16, mi, why);
}

/* Decodes b, which must be accepted; the result. */
static struct mmio_insn ok(int mode, const u8 *b, unsigned n)
{
	struct mmio_insn mi = { .len = 0xee };
	const char *why = "not written";
	int rc = decode(mode, b, n, &mi, &why);

	CHECK_STR_EQ(NULL, why);
	CHECK_EQ(0, rc);
	return mi;
}

/* Decodes b, which must be refused with err and reason; *out untouched. */
static void refused(int mode, const u8 *b, unsigned n, int err, const char *reason)
{
	struct mmio_insn mi = { .len = 0xee, .size = 0xee, .reg = 0xee };
	const char *why = NULL;
	int rc = decode(mode, b, n, &mi, &why);

	CHECK_STR_EQ(reason, why);
	CHECK_RC(err, rc);
	CHECK_EQ(0xee, mi.len);
	CHECK_EQ(0xee, mi.size);
	CHECK_EQ(0xee, mi.reg);
}

/* --- every accepted form, as a table -------------------------------------- */

struct good_case {
	const char *what;
	int mode;
	u8 bytes[15];
	u8 len;                 /* objdump's length: the bytes are exactly the instruction */
	u8 size;
	bool write;
	u8 reg;
	bool high_byte;
	u8 dst_size;
	enum mmio_ext ext;
	bool has_imm;
	u64 imm;
};

/* The expected decode, after the length: access size, register, ... */
#define RD(sz, r)       sz, false, r, false, sz, MMIO_EXT_NONE, false, 0
#define RDH(r)          1, false, r, true, 1, MMIO_EXT_NONE, false, 0
#define WR(sz, r)       sz, true, r, false, sz, MMIO_EXT_NONE, false, 0
#define WRH(r)          1, true, r, true, 1, MMIO_EXT_NONE, false, 0
#define ZX(sz, r, d)    sz, false, r, false, d, MMIO_EXT_ZERO, false, 0
#define SX(sz, r, d)    sz, false, r, false, d, MMIO_EXT_SIGN, false, 0
#define IMM(sz, v)      sz, true, 0, false, sz, MMIO_EXT_NONE, true, v

static const struct good_case good[] = {
	/* 64-bit code: the accesses gcc emits for an xAPIC driver. */
	{ "mov 0xfffffffffee000b0,%eax", M64, B(0x8b, 0x04, 0x25, 0xb0, 0x00, 0xe0, 0xfe), 7, RD(4, 0) },
	{ "movl $0x0,0xfffffffffee000b0", M64,
	  B(0xc7, 0x04, 0x25, 0xb0, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00), 11, IMM(4, 0) },
	{ "mov %edx,(%rax)", M64, B(0x89, 0x10), 2, WR(4, 2) },
	{ "mov 0x320(%rax),%eax", M64, B(0x8b, 0x80, 0x20, 0x03, 0x00, 0x00), 6, RD(4, 0) },
	{ "mov %eax,0x0(%r13)", M64, B(0x41, 0x89, 0x45, 0x00), 4, WR(4, 0) },
	{ "mov %r8d,0x0(%r13)", M64, B(0x45, 0x89, 0x45, 0x00), 4, WR(4, 8) },
	{ "mov 0x1234(%rip),%eax", M64, B(0x8b, 0x05, 0x34, 0x12, 0x00, 0x00), 6, RD(4, 0) },
	{ "mov %eax,-0x1200000(,%rcx,4)", M64, B(0x89, 0x04, 0x8d, 0x00, 0x00, 0xe0, 0xfe), 7, WR(4, 0) },
	{ "mov 0x10(%rax,%rbx,8),%ecx", M64, B(0x8b, 0x4c, 0xd8, 0x10), 4, RD(4, 1) },
	{ "mov (%rsp),%eax", M64, B(0x8b, 0x04, 0x24), 3, RD(4, 0) },
	{ "mov (%r12),%eax", M64, B(0x41, 0x8b, 0x04, 0x24), 4, RD(4, 0) },
	{ "mov 0x80(%r13,%r14,2),%r10", M64, B(0x4f, 0x8b, 0x94, 0x75, 0x80, 0x00, 0x00, 0x00), 8,
	  RD(8, 10) },
	{ "mov %fs:0x80(%rax),%eax", M64, B(0x64, 0x8b, 0x80, 0x80, 0x00, 0x00, 0x00), 7, RD(4, 0) },
	{ "cs ds mov (%rbx),%eax", M64, B(0x2e, 0x3e, 0x8b, 0x03), 4, RD(4, 0) },
	{ "mov %ax,(%rbx)", M64, B(0x66, 0x89, 0x03), 3, WR(2, 0) },
	{ "movw $0x1234,(%rbx)", M64, B(0x66, 0xc7, 0x03, 0x34, 0x12), 5, IMM(2, 0x1234) },
	{ "mov %ah,(%rbx)", M64, B(0x88, 0x23), 2, WRH(4) },
	{ "mov %spl,(%rbx)", M64, B(0x40, 0x88, 0x23), 3, WR(1, 4) },
	{ "mov (%rbx),%bh", M64, B(0x8a, 0x3b), 2, RDH(7) },
	{ "mov (%rbx),%r15b", M64, B(0x44, 0x8a, 0x3b), 3, RD(1, 15) },
	{ "movzbl (%rdi),%eax", M64, B(0x0f, 0xb6, 0x07), 3, ZX(1, 0, 4) },
	{ "movzwl (%rdi),%r9d", M64, B(0x44, 0x0f, 0xb7, 0x0f), 4, ZX(2, 9, 4) },
	{ "movsbq (%rdi),%rax", M64, B(0x48, 0x0f, 0xbe, 0x07), 4, SX(1, 0, 8) },
	{ "movswl 0x20(%rdi),%edx", M64, B(0x0f, 0xbf, 0x57, 0x20), 4, SX(2, 2, 4) },
	{ "movsbw (%rdi),%ax", M64, B(0x66, 0x0f, 0xbe, 0x07), 4, SX(1, 0, 2) },
	{ "movzbw (%rdi),%ax", M64, B(0x66, 0x0f, 0xb6, 0x07), 4, ZX(1, 0, 2) },
	{ "movabs 0xfee00030,%eax", M64, B(0xa1, 0x30, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00), 9,
	  RD(4, 0) },
	{ "movabs %al,0xfee00030", M64, B(0xa2, 0x30, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00), 9,
	  WR(1, 0) },
	{ "movabs %rax,0xfee00030", M64,
	  B(0x48, 0xa3, 0x30, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00), 10, WR(8, 0) },
	{ "movabs 0xfee00030,%ax", M64,
	  B(0x66, 0xa1, 0x30, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00), 10, RD(2, 0) },
	{ "addr32 mov 0xfee00030,%eax", M64, B(0x67, 0xa1, 0x30, 0x00, 0xe0, 0xfe), 6, RD(4, 0) },
	{ "movq $0xffffffffffffffff,(%rax)", M64, B(0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff), 7,
	  IMM(8, 0xffffffffffffffffULL) },
	{ "movq $0x7fffffff,(%rax)", M64, B(0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0x7f), 7,
	  IMM(8, 0x7fffffff) },
	{ "movl $0xffffffff,(%rax)", M64, B(0xc7, 0x00, 0xff, 0xff, 0xff, 0xff), 6, IMM(4, 0xffffffff) },
	{ "movb $0x5a,0x80(%rax)", M64, B(0xc6, 0x80, 0x80, 0x00, 0x00, 0x00, 0x5a), 7, IMM(1, 0x5a) },
	/* REX.R does not extend the /0 opcode extension: still MOV, no register. */
	{ "rex.R movl $0x1,(%rax)", M64, B(0x44, 0xc7, 0x00, 0x01, 0x00, 0x00, 0x00), 7, IMM(4, 1) },
	{ "rex.WR movb $0x1,(%rax)", M64, B(0x4c, 0xc6, 0x00, 0x01), 4, IMM(1, 1) },
	{ "mov (%eax),%eax", M64, B(0x67, 0x8b, 0x00), 3, RD(4, 0) },
	{ "mov 0x1000(%eip),%eax", M64, B(0x67, 0x8b, 0x05, 0x00, 0x10, 0x00, 0x00), 7, RD(4, 0) },
	{ "data16 mov %rax,(%rbx)", M64, B(0x66, 0x48, 0x89, 0x03), 4, WR(8, 0) },
	{ "mov (%rbx),%rax", M64, B(0x48, 0x8b, 0x03), 3, RD(8, 0) },

	/* 32-bit code (CS.D=1). */
	{ "32: mov 0xfee000b0,%eax", M32, B(0xa1, 0xb0, 0x00, 0xe0, 0xfe), 5, RD(4, 0) },
	{ "32: mov 0xfee000b0,%edx", M32, B(0x8b, 0x15, 0xb0, 0x00, 0xe0, 0xfe), 6, RD(4, 2) },
	{ "32: movl $0x0,0xfee000b0", M32, B(0xc7, 0x05, 0xb0, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00), 10,
	  IMM(4, 0) },
	{ "32: movl $0x80000000,(%eax)", M32, B(0xc7, 0x00, 0x00, 0x00, 0x00, 0x80), 6, IMM(4, 0x80000000) },
	{ "32: mov %edx,0xfee00380", M32, B(0x89, 0x15, 0x80, 0x03, 0xe0, 0xfe), 6, WR(4, 2) },
	{ "32: mov %ecx,(%eax)", M32, B(0x89, 0x08), 2, WR(4, 1) },
	{ "32: mov 0x300(%ebx),%esi", M32, B(0x8b, 0xb3, 0x00, 0x03, 0x00, 0x00), 6, RD(4, 6) },
	{ "32: mov %eax,-0x1200000(,%ecx,4)", M32, B(0x89, 0x04, 0x8d, 0x00, 0x00, 0xe0, 0xfe), 7, WR(4, 0) },
	{ "32: mov %ax,(%ebx)", M32, B(0x66, 0x89, 0x03), 3, WR(2, 0) },
	{ "32: mov (%ebx),%dh", M32, B(0x8a, 0x33), 2, RDH(6) },
	{ "32: movzbl 0x20(%esi),%eax", M32, B(0x0f, 0xb6, 0x46, 0x20), 4, ZX(1, 0, 4) },
	{ "32: movswl (%esi),%ecx", M32, B(0x0f, 0xbf, 0x0e), 3, SX(2, 1, 4) },
	{ "32: movw $0xbeef,0xfee00080", M32, B(0x66, 0xc7, 0x05, 0x80, 0x00, 0xe0, 0xfe, 0xef, 0xbe), 9,
	  IMM(2, 0xbeef) },
	{ "32: mov 0xb0(%bp,%si),%eax", M32, B(0x67, 0x8b, 0x82, 0xb0, 0x00), 5, RD(4, 0) },
	{ "32: mov 0x1234,%ax", M32, B(0x66, 0xa1, 0x34, 0x12, 0x00, 0x00), 6, RD(2, 0) },
	{ "32: mov %al,0xfee00030", M32, B(0xa2, 0x30, 0x00, 0xe0, 0xfe), 5, WR(1, 0) },
	{ "32: mov %es:(%edi),%eax", M32, B(0x26, 0x8b, 0x07), 3, RD(4, 0) },
	{ "32: addr16 mov 0x30,%eax", M32, B(0x67, 0xa1, 0x30, 0x00), 4, RD(4, 0) },

	/* 16-bit code (CS.D=0). */
	{ "16: mov 0xb0,%ax (moffs)", M16, B(0xa1, 0xb0, 0x00), 3, RD(2, 0) },
	{ "16: mov (%bx,%si),%ax", M16, B(0x8b, 0x00), 2, RD(2, 0) },
	{ "16: mov 0x20(%bp),%dx", M16, B(0x8b, 0x56, 0x20), 3, RD(2, 2) },
	{ "16: mov 0x1234(%bx,%di),%cx", M16, B(0x8b, 0x89, 0x34, 0x12), 4, RD(2, 1) },
	{ "16: mov 0xb0,%ax (disp16)", M16, B(0x8b, 0x06, 0xb0, 0x00), 4, RD(2, 0) },
	{ "16: movl $0x12345678,(%bx)", M16, B(0x66, 0xc7, 0x07, 0x78, 0x56, 0x34, 0x12), 7,
	  IMM(4, 0x12345678) },
	{ "16: movw $0x1234,0x80(%si)", M16, B(0xc7, 0x84, 0x80, 0x00, 0x34, 0x12), 6, IMM(2, 0x1234) },
	{ "16: mov %eax,0x300", M16, B(0x66, 0xa3, 0x00, 0x03), 4, WR(4, 0) },
	{ "16: mov (%ebx),%eax", M16, B(0x67, 0x66, 0x8b, 0x03), 4, RD(4, 0) },
	{ "16: mov -0x1200000(,%ecx,4),%ax", M16, B(0x67, 0x8b, 0x04, 0x8d, 0x00, 0x00, 0xe0, 0xfe), 8,
	  RD(2, 0) },
	{ "16: movzbw (%si),%ax", M16, B(0x0f, 0xb6, 0x04), 3, ZX(1, 0, 2) },
	{ "16: movsbl (%di),%edx", M16, B(0x66, 0x0f, 0xbe, 0x15), 4, SX(1, 2, 4) },
	{ "16: mov 0x30,%al", M16, B(0xa0, 0x30, 0x00), 3, RD(1, 0) },
	{ "16: addr32 mov 0xfee00030,%eax", M16, B(0x67, 0x66, 0xa1, 0x30, 0x00, 0xe0, 0xfe), 7, RD(4, 0) },
	{ "16: mov (%bp,%di),%bl", M16, B(0x8a, 0x1b), 2, RD(1, 3) },
};

static char what[160];

#define CASE_EQ(c, field, exp, act)                                             \
	do {                                                                    \
		snprintf(what, sizeof(what), "case \"%s\": %s", (c)->what, field); \
		unit_check_eq((u64)(exp), (u64)(act), what, __FILE__, __LINE__); \
	} while (0)

static void check_good(const struct good_case *c, unsigned n)
{
	struct mmio_insn mi = { 0 };
	const char *why = NULL;
	int rc = decode(c->mode, c->bytes, n, &mi, &why);

	if (rc) {
		snprintf(what, sizeof(what), "case \"%s\" (n=%u) refused: %s", c->what, n, why ? why : "?");
		unit_fail(__FILE__, __LINE__, what, NULL);
	}
	CASE_EQ(c, "len", c->len, mi.len);
	CASE_EQ(c, "size", c->size, mi.size);
	CASE_EQ(c, "write", c->write, mi.write);
	CASE_EQ(c, "reg", c->reg, mi.reg);
	CASE_EQ(c, "high_byte", c->high_byte, mi.high_byte);
	CASE_EQ(c, "dst_size", c->dst_size, mi.dst_size);
	CASE_EQ(c, "ext", c->ext, mi.ext);
	CASE_EQ(c, "has_imm", c->has_imm, mi.has_imm);
	CASE_EQ(c, "imm", c->imm, mi.imm);
}

TEST(insn_mmio_table)
{
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(good); i++)
		check_good(&good[i], good[i].len);
}

/* Bytes after the instruction (the fetch takes up to 15) are not part of it. */
TEST(insn_mmio_table_trailing_bytes)
{
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		struct good_case c = good[i];
		unsigned k;

		for (k = c.len; k < sizeof(c.bytes); k++)
			c.bytes[k] = 0x8b;      /* would look like more MOV if misread */
		check_good(&c, sizeof(c.bytes));
	}
}

/* Every accepted instruction, cut short at every length, is refused as truncated. */
TEST(insn_mmio_truncated_every_length)
{
	unsigned i, k;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		for (k = 0; k < good[i].len; k++) {
			struct mmio_insn mi = { .len = 0xee };
			const char *why = NULL;
			int rc = decode(good[i].mode, good[i].bytes, k, &mi, &why);

			snprintf(what, sizeof(what), "case \"%s\" cut to %u bytes", good[i].what, k);
			unit_check_eq((u64)(s64)INSN_MMIO_TRUNCATED, (u64)(s64)rc, what, __FILE__, __LINE__);
			unit_check_str_eq(R_TRUNC, why, what, __FILE__, __LINE__);
			unit_check_eq(0xee, mi.len, what, __FILE__, __LINE__);
		}
	}
}

/* --- single forms, spelled out --------------------------------------------- */

/* The EOI read the brief names: mov 0xfffffffffee000b0,%eax, SIB without base or index. */
TEST(insn_mmio_apic_read_abs_sib)
{
	struct mmio_insn mi = ok(M64, BYTES(0x8b, 0x04, 0x25, 0xb0, 0x00, 0xe0, 0xfe));

	CHECK_EQ(7, mi.len);
	CHECK_EQ(4, mi.size);
	CHECK(!mi.write);
	CHECK(!mi.has_imm);
	CHECK_EQ(0, mi.reg);
	CHECK_EQ(4, mi.dst_size);
	CHECK_EQ(MMIO_EXT_NONE, mi.ext);
}

/* EOI write of an immediate 0: movl $0x0,0xfffffffffee000b0. */
TEST(insn_mmio_apic_write_imm32)
{
	struct mmio_insn mi = ok(M64, BYTES(0xc7, 0x04, 0x25, 0xb0, 0x00, 0xe0, 0xfe,
					    0x00, 0x00, 0x00, 0x00));

	CHECK_EQ(11, mi.len);
	CHECK_EQ(4, mi.size);
	CHECK(mi.write);
	CHECK(mi.has_imm);
	CHECK_EQ(0, mi.imm);
	CHECK_EQ(0, mmio_write_value(0xffffffffffffffffULL, &mi));     /* the register does not matter */

	/* Same with a non-zero immediate: ICR low write of 0x000c4500 (INIT IPI to all-but-self). */
	mi = ok(M64, BYTES(0xc7, 0x04, 0x25, 0x00, 0x03, 0xe0, 0xfe, 0x00, 0x45, 0x0c, 0x00));
	CHECK_EQ(0x000c4500, mi.imm);
	CHECK_EQ(0x000c4500, mmio_write_value(0, &mi));
}

/* mov %edx,(%rax): the shortest form, register source. */
TEST(insn_mmio_write_reg_indirect)
{
	struct mmio_insn mi = ok(M64, BYTES(0x89, 0x10));

	CHECK_EQ(2, mi.len);
	CHECK(mi.write);
	CHECK(!mi.has_imm);
	CHECK_EQ(2, mi.reg);            /* RDX */
	CHECK_EQ(0x89abcdef, mmio_write_value(0x0123456789abcdefULL, &mi));
}

/* mov 0x320(%rax),%eax: LVT timer read with disp32 from a base register. */
TEST(insn_mmio_read_base_disp32)
{
	struct mmio_insn mi = ok(M64, BYTES(0x8b, 0x80, 0x20, 0x03, 0x00, 0x00));

	CHECK_EQ(6, mi.len);
	CHECK_EQ(4, mi.size);
	CHECK(!mi.write);
	CHECK_EQ(0, mi.reg);

	/* disp8 form: mov 0x10(%rax),%ecx = 8b 48 10. */
	mi = ok(M64, BYTES(0x8b, 0x48, 0x10));
	CHECK_EQ(3, mi.len);
	CHECK_EQ(1, mi.reg);
}

/* REX.B only moves the base (r13), never the register operand; REX.R does. */
TEST(insn_mmio_rex_b_vs_rex_r)
{
	struct mmio_insn mi = ok(M64, BYTES(0x41, 0x89, 0x45, 0x00));  /* mov %eax,0x0(%r13) */

	CHECK_EQ(4, mi.len);
	CHECK_EQ(0, mi.reg);
	CHECK_EQ(4, mi.size);

	mi = ok(M64, BYTES(0x45, 0x89, 0x45, 0x00));   /* mov %r8d,0x0(%r13) */
	CHECK_EQ(8, mi.reg);

	mi = ok(M64, BYTES(0x4c, 0x89, 0x38));          /* mov %r15,(%rax) */
	CHECK_EQ(3, mi.len);
	CHECK_EQ(15, mi.reg);
	CHECK_EQ(8, mi.size);
}

/* mov 0x1234(%rip),%eax: mod=00 r/m=101 is RIP+disp32 in 64-bit code. */
TEST(insn_mmio_rip_relative)
{
	struct mmio_insn mi = ok(M64, BYTES(0x8b, 0x05, 0x34, 0x12, 0x00, 0x00));

	CHECK_EQ(6, mi.len);
	CHECK_EQ(4, mi.size);

	/* RIP-relative immediate store: movl $0x1,0x100(%rip) = c7 05 disp32 imm32. */
	mi = ok(M64, BYTES(0xc7, 0x05, 0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00));
	CHECK_EQ(10, mi.len);
	CHECK_EQ(1, mi.imm);
}

/* SIB forms: index*scale+disp32 without base, and rbp base with disp8. */
TEST(insn_mmio_sib_disp32)
{
	struct mmio_insn mi = ok(M64, BYTES(0x89, 0x04, 0x8d, 0x00, 0x00, 0xe0, 0xfe));

	CHECK_EQ(7, mi.len);
	CHECK(mi.write);
	CHECK_EQ(0, mi.reg);

	/* mov 0x8(%rbp,%rcx,1),%eax = 8b 44 0d 08: SIB base 101 with mod 01 has disp8 only. */
	mi = ok(M64, BYTES(0x8b, 0x44, 0x0d, 0x08));
	CHECK_EQ(4, mi.len);
	/* mov 0x300(%rax,%rcx,4),%edx = 8b 94 88 00 03 00 00. */
	mi = ok(M64, BYTES(0x8b, 0x94, 0x88, 0x00, 0x03, 0x00, 0x00));
	CHECK_EQ(7, mi.len);
	CHECK_EQ(2, mi.reg);
}

/* 32-bit code: mod=00 r/m=101 is an absolute disp32, moffs has 4 bytes. */
TEST(insn_mmio_32bit_code)
{
	struct mmio_insn mi = ok(M32, BYTES(0x8b, 0x15, 0xb0, 0x00, 0xe0, 0xfe));

	CHECK_EQ(6, mi.len);
	CHECK_EQ(4, mi.size);
	CHECK_EQ(2, mi.reg);

	mi = ok(M32, BYTES(0xa1, 0xb0, 0x00, 0xe0, 0xfe));     /* mov 0xfee000b0,%eax */
	CHECK_EQ(5, mi.len);
	CHECK_EQ(0, mi.reg);

	/* 67h in 32-bit code selects 16-bit addressing: [bp+si+disp16]. */
	mi = ok(M32, BYTES(0x67, 0x8b, 0x82, 0xb0, 0x00));
	CHECK_EQ(5, mi.len);
	CHECK_EQ(4, mi.size);
	/* ... where r/m=100 is [si], not a SIB byte: mov (%si),%eax = 67 8b 04. */
	mi = ok(M32, BYTES(0x67, 0x8b, 0x04, 0x24));
	CHECK_EQ(3, mi.len);
}

/* 16-bit code: 16-bit operands by default, 66h makes them 32-bit. */
TEST(insn_mmio_16bit_code)
{
	struct mmio_insn mi = ok(M16, BYTES(0x8b, 0x06, 0xb0, 0x00));  /* mov 0xb0,%ax */

	CHECK_EQ(4, mi.len);
	CHECK_EQ(2, mi.size);

	mi = ok(M16, BYTES(0x66, 0xc7, 0x07, 0x78, 0x56, 0x34, 0x12));  /* movl $0x12345678,(%bx) */
	CHECK_EQ(7, mi.len);
	CHECK_EQ(4, mi.size);
	CHECK_EQ(0x12345678, mi.imm);

	mi = ok(M16, BYTES(0xa1, 0xb0, 0x00));          /* moffs is 2 bytes */
	CHECK_EQ(3, mi.len);
	CHECK_EQ(2, mi.size);

	/* 67h in 16-bit code selects 32-bit addressing, with SIB. */
	mi = ok(M16, BYTES(0x67, 0x8b, 0x04, 0x8d, 0x00, 0x00, 0xe0, 0xfe));
	CHECK_EQ(8, mi.len);
	CHECK_EQ(2, mi.size);
}

/* 66h: 16-bit accesses in 64- and 32-bit code. */
TEST(insn_mmio_opsize_66)
{
	struct mmio_insn mi = ok(M64, BYTES(0x66, 0x89, 0x03));        /* mov %ax,(%rbx) */

	CHECK_EQ(3, mi.len);
	CHECK_EQ(2, mi.size);
	CHECK_EQ(0xbeef, mmio_write_value(0x12345678deadbeefULL, &mi));

	mi = ok(M64, BYTES(0x66, 0xc7, 0x03, 0x34, 0x12));     /* imm16, not imm32 */
	CHECK_EQ(5, mi.len);
	CHECK_EQ(0x1234, mi.imm);

	mi = ok(M32, BYTES(0x66, 0x8b, 0x03));                 /* mov (%ebx),%ax */
	CHECK_EQ(2, mi.size);
	CHECK(!mi.write);
	CHECK_EQ(0x11112222deadbeefULL & ~0xffffULL, mmio_reg_after_read(0x11112222deadbeefULL, &mi, 0));
}

/* REX.W wins over 66h (APM Vol 3 §1.2.7); REX.W is ignored for byte operations. */
TEST(insn_mmio_rexw_beats_66)
{
	struct mmio_insn mi = ok(M64, BYTES(0x66, 0x48, 0x89, 0x03)); /* data16 mov %rax,(%rbx) */

	CHECK_EQ(4, mi.len);
	CHECK_EQ(8, mi.size);

	mi = ok(M64, BYTES(0x66, 0x48, 0xc7, 0x03, 0x01, 0x00, 0x00, 0x00));   /* imm32, not imm16 */
	CHECK_EQ(8, mi.len);
	CHECK_EQ(8, mi.size);
	CHECK_EQ(1, mi.imm);

	mi = ok(M64, BYTES(0x48, 0x88, 0x03));                 /* rex.W mov %al,(%rbx) */
	CHECK_EQ(1, mi.size);
	mi = ok(M64, BYTES(0x48, 0xc6, 0x03, 0x7f));           /* rex.W movb $0x7f,(%rbx) */
	CHECK_EQ(4, mi.len);
	CHECK_EQ(1, mi.size);
	CHECK_EQ(0x7f, mi.imm);
}

/* APM Vol 3 §1.8.1: byte register 4..7 is AH..BH without REX, SPL..DIL with any REX. */
TEST(insn_mmio_ah_vs_spl)
{
	struct mmio_insn mi = ok(M64, BYTES(0x88, 0x23));              /* mov %ah,(%rbx) */

	CHECK(mi.high_byte);
	CHECK_EQ(4, mi.reg);            /* encoding 4 = AH, a byte of RAX (4 - 4) */
	CHECK_EQ(0x77, mmio_write_value(0x1122334455667788ULL, &mi));

	mi = ok(M64, BYTES(0x40, 0x88, 0x23));                 /* mov %spl,(%rbx) */
	CHECK(!mi.high_byte);
	CHECK_EQ(4, mi.reg);            /* RSP */
	CHECK_EQ(0x88, mmio_write_value(0x1122334455667788ULL, &mi));

	mi = ok(M64, BYTES(0x8a, 0x3b));                       /* mov (%rbx),%bh */
	CHECK(mi.high_byte);
	CHECK_EQ(7, mi.reg);            /* BH, in RBX */
	CHECK_EQ(0x1122334455665a88ULL, mmio_reg_after_read(0x1122334455667788ULL, &mi, 0x5a));

	mi = ok(M64, BYTES(0x40, 0x8a, 0x3b));                 /* mov (%rbx),%dil */
	CHECK(!mi.high_byte);
	CHECK_EQ(7, mi.reg);
	CHECK_EQ(0x112233445566775aULL, mmio_reg_after_read(0x1122334455667788ULL, &mi, 0x5a));

	mi = ok(M32, BYTES(0x8a, 0x33));                       /* 32-bit: mov (%ebx),%dh */
	CHECK(mi.high_byte);
	CHECK_EQ(6, mi.reg);

	/* MOVZX to a 32-bit register 4..7 is ESP..EDI, never a high byte. */
	mi = ok(M64, BYTES(0x0f, 0xb6, 0x23));                 /* movzbl (%rbx),%esp */
	CHECK(!mi.high_byte);
	CHECK_EQ(4, mi.reg);
}

/* MOVZX: the value read is zero-extended to the destination, then merged. */
TEST(insn_mmio_movzx_results)
{
	struct mmio_insn mi = ok(M64, BYTES(0x0f, 0xb6, 0x07));        /* movzbl (%rdi),%eax */

	CHECK_EQ(1, mi.size);
	CHECK_EQ(4, mi.dst_size);
	CHECK_EQ(MMIO_EXT_ZERO, mi.ext);
	CHECK_EQ(0x80, mmio_reg_after_read(0xffffffffffffffffULL, &mi, 0xffffff80));

	mi = ok(M64, BYTES(0x48, 0x0f, 0xb7, 0x07));           /* movzwq (%rdi),%rax */
	CHECK_EQ(2, mi.size);
	CHECK_EQ(8, mi.dst_size);
	CHECK_EQ(0xffff, mmio_reg_after_read(0xffffffffffffffffULL, &mi, 0xffff));

	mi = ok(M64, BYTES(0x66, 0x0f, 0xb6, 0x07));           /* movzbw (%rdi),%ax keeps 63:16 */
	CHECK_EQ(2, mi.dst_size);
	CHECK_EQ(0xaaaaaaaaaaaa0081ULL, mmio_reg_after_read(0xaaaaaaaaaaaaaaaaULL, &mi, 0x81));
}

/* MOVSX: sign-extended to the destination only; a 32-bit destination zeroes 63:32. */
TEST(insn_mmio_movsx_results)
{
	struct mmio_insn mi = ok(M64, BYTES(0x0f, 0xbe, 0x07));        /* movsbl (%rdi),%eax */

	CHECK_EQ(MMIO_EXT_SIGN, mi.ext);
	CHECK_EQ(0xffffff80, mmio_reg_after_read(0x1234567812345678ULL, &mi, 0x80));
	CHECK_EQ(0x7f, mmio_reg_after_read(0x1234567812345678ULL, &mi, 0x7f));

	mi = ok(M64, BYTES(0x48, 0x0f, 0xbe, 0x07));           /* movsbq (%rdi),%rax */
	CHECK_EQ(0xffffffffffffff80ULL, mmio_reg_after_read(0, &mi, 0x80));

	mi = ok(M64, BYTES(0x66, 0x0f, 0xbe, 0x07));           /* movsbw (%rdi),%ax */
	CHECK_EQ(0x123456781234ff80ULL, mmio_reg_after_read(0x1234567812345678ULL, &mi, 0x80));

	mi = ok(M64, BYTES(0x0f, 0xbf, 0x57, 0x20));           /* movswl 0x20(%rdi),%edx */
	CHECK_EQ(2, mi.size);
	CHECK_EQ(2, mi.reg);
	CHECK_EQ(0xffff8000, mmio_reg_after_read(~0ULL, &mi, 0x12348000));     /* bits above size ignored */

	mi = ok(M64, BYTES(0x48, 0x0f, 0xbf, 0x07));           /* movswq (%rdi),%rax */
	CHECK_EQ(0xffffffffffff8001ULL, mmio_reg_after_read(0, &mi, 0x8001));
}

/* A0-A3: the offset is address-sized, 8 bytes in 64-bit code unless 67h. */
TEST(insn_mmio_moffs_64)
{
	struct mmio_insn mi = ok(M64, BYTES(0xa1, 0x30, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00));

	CHECK_EQ(9, mi.len);
	CHECK_EQ(4, mi.size);
	CHECK(!mi.write);
	CHECK_EQ(0, mi.reg);

	mi = ok(M64, BYTES(0x48, 0xa3, 0x30, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00));
	CHECK_EQ(10, mi.len);
	CHECK_EQ(8, mi.size);
	CHECK(mi.write);

	mi = ok(M64, BYTES(0xa2, 0x30, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00));
	CHECK_EQ(9, mi.len);
	CHECK_EQ(1, mi.size);
	CHECK(!mi.high_byte);           /* AL */

	mi = ok(M64, BYTES(0x67, 0xa1, 0x30, 0x00, 0xe0, 0xfe));
	CHECK_EQ(6, mi.len);

	/* REX.B does not move the implicit rAX. */
	mi = ok(M64, BYTES(0x41, 0xa1, 0x30, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00));
	CHECK_EQ(10, mi.len);
	CHECK_EQ(0, mi.reg);
}

TEST(insn_mmio_moffs_32_16)
{
	struct mmio_insn mi = ok(M32, BYTES(0xa2, 0x30, 0x00, 0xe0, 0xfe));

	CHECK_EQ(5, mi.len);
	CHECK_EQ(1, mi.size);
	CHECK(mi.write);

	mi = ok(M32, BYTES(0x67, 0xa1, 0x30, 0x00));           /* addr16: 2-byte offset */
	CHECK_EQ(4, mi.len);
	CHECK_EQ(4, mi.size);

	mi = ok(M16, BYTES(0x67, 0x66, 0xa1, 0x30, 0x00, 0xe0, 0xfe));   /* addr32 in 16-bit code */
	CHECK_EQ(7, mi.len);
	CHECK_EQ(4, mi.size);

	mi = ok(M16, BYTES(0xa0, 0x30, 0x00));
	CHECK_EQ(3, mi.len);
	CHECK_EQ(1, mi.size);

	/* 48 in 32-bit code is DEC %eax, not REX.W: refused, not taken as a prefix. */
	refused(M32, BYTES(0x48, 0xa1, 0x30, 0x00, 0xe0, 0xfe), INSN_MMIO_UNSUPPORTED, R_INCDEC);
}

/* C7 with REX.W sign-extends imm32; without it the imm32 is taken as is. */
TEST(insn_mmio_imm_extension)
{
	struct mmio_insn mi = ok(M64, BYTES(0x48, 0xc7, 0x00, 0x00, 0x00, 0x00, 0x80));

	CHECK_EQ(7, mi.len);
	CHECK_EQ(0xffffffff80000000ULL, mi.imm);
	CHECK_EQ(0xffffffff80000000ULL, mmio_write_value(0, &mi));

	mi = ok(M64, BYTES(0xc7, 0x00, 0x00, 0x00, 0x00, 0x80));
	CHECK_EQ(6, mi.len);
	CHECK_EQ(0x80000000, mi.imm);

	mi = ok(M64, BYTES(0xc6, 0x00, 0xff));
	CHECK_EQ(3, mi.len);
	CHECK_EQ(0xff, mi.imm);
}

/* 67h in 64-bit code: 32-bit addresses, same ModRM lengths (EIP-relative for r/m=101). */
TEST(insn_mmio_addr32_in_64bit)
{
	struct mmio_insn mi = ok(M64, BYTES(0x67, 0x8b, 0x00));        /* mov (%eax),%eax */

	CHECK_EQ(3, mi.len);
	mi = ok(M64, BYTES(0x67, 0x8b, 0x05, 0x00, 0x10, 0x00, 0x00)); /* mov 0x1000(%eip),%eax */
	CHECK_EQ(7, mi.len);
	/* Not 16-bit addressing: mod 00 r/m 110 is [esi], no disp16. */
	mi = ok(M64, BYTES(0x67, 0x8b, 0x06));
	CHECK_EQ(3, mi.len);
	mi = ok(M64, BYTES(0x67, 0x8b, 0x04, 0x24));           /* mov (%esp),%eax has SIB */
	CHECK_EQ(4, mi.len);
}

/* --- refusals ------------------------------------------------------------- */

/* mod=11 names a register, not memory: cannot be the access that hit the MMIO page. */
TEST(insn_mmio_refuse_mod3)
{
	refused(M64, BYTES(0x89, 0xc0), INSN_MMIO_UNSUPPORTED, R_MOD3);        /* mov %eax,%eax */
	refused(M64, BYTES(0x8b, 0xc3), INSN_MMIO_UNSUPPORTED, R_MOD3);
	refused(M64, BYTES(0x88, 0xe0), INSN_MMIO_UNSUPPORTED, R_MOD3);
	refused(M64, BYTES(0x8a, 0xc4), INSN_MMIO_UNSUPPORTED, R_MOD3);
	refused(M64, BYTES(0xc7, 0xc0, 0x01, 0x00, 0x00, 0x00), INSN_MMIO_UNSUPPORTED, R_MOD3);
	refused(M64, BYTES(0xc6, 0xc0, 0x01), INSN_MMIO_UNSUPPORTED, R_MOD3);
	refused(M64, BYTES(0x0f, 0xb6, 0xc0), INSN_MMIO_UNSUPPORTED, R_MOD3);   /* movzbl %al,%eax */
	refused(M64, BYTES(0x48, 0x0f, 0xbf, 0xc0), INSN_MMIO_UNSUPPORTED, R_MOD3);
	refused(M32, BYTES(0x89, 0xd8), INSN_MMIO_UNSUPPORTED, R_MOD3);
	refused(M16, BYTES(0x8b, 0xc0), INSN_MMIO_UNSUPPORTED, R_MOD3);
	/* XBEGIN (C7 F8) and XABORT (C6 F8) are mod=11 too. */
	refused(M64, BYTES(0xc7, 0xf8, 0x00, 0x00, 0x00, 0x00), INSN_MMIO_UNSUPPORTED, R_MOD3);
	refused(M64, BYTES(0xc6, 0xf8, 0x00), INSN_MMIO_UNSUPPORTED, R_MOD3);
}

TEST(insn_mmio_refuse_lock)
{
	refused(M64, BYTES(0xf0, 0x89, 0x03), INSN_MMIO_UNSUPPORTED, R_LOCK);
	refused(M64, BYTES(0x66, 0xf0, 0x89, 0x03), INSN_MMIO_UNSUPPORTED, R_LOCK);
	refused(M64, BYTES(0xf0, 0x48, 0xc7, 0x00, 0x00, 0x00, 0x00, 0x00), INSN_MMIO_UNSUPPORTED, R_LOCK);
	refused(M32, BYTES(0xf0, 0x8b, 0x03), INSN_MMIO_UNSUPPORTED, R_LOCK);
}

TEST(insn_mmio_refuse_rep)
{
	refused(M64, BYTES(0xf3, 0x89, 0x03), INSN_MMIO_UNSUPPORTED, R_REP);   /* XRELEASE mov */
	refused(M64, BYTES(0xf2, 0x89, 0x03), INSN_MMIO_UNSUPPORTED, R_REP);   /* XACQUIRE mov */
	refused(M64, BYTES(0xf3, 0xa5), INSN_MMIO_UNSUPPORTED, R_REP);         /* rep movsl */
	refused(M16, BYTES(0xf3, 0x0f, 0xb6, 0x07), INSN_MMIO_UNSUPPORTED, R_REP);
}

/* Everything that is not one of the listed MOV forms is refused, never approximated. */
TEST(insn_mmio_refuse_unknown_opcode)
{
	refused(M64, BYTES(0x01, 0x03), INSN_MMIO_UNSUPPORTED, R_OP);          /* add %eax,(%rbx) */
	refused(M64, BYTES(0x87, 0x03), INSN_MMIO_UNSUPPORTED, R_OP);          /* xchg %eax,(%rbx) */
	refused(M64, BYTES(0x85, 0x03), INSN_MMIO_UNSUPPORTED, R_OP);          /* test %eax,(%rbx) */
	refused(M64, BYTES(0x8c, 0x03), INSN_MMIO_UNSUPPORTED, R_OP);          /* mov %es,(%rbx) */
	refused(M64, BYTES(0xff, 0x03), INSN_MMIO_UNSUPPORTED, R_OP);          /* incl (%rbx) */
	refused(M64, BYTES(0xa5), INSN_MMIO_UNSUPPORTED, R_OP);                /* movsl */
	refused(M64, BYTES(0xb8, 0x00, 0x00, 0xe0, 0xfe), INSN_MMIO_UNSUPPORTED, R_OP);  /* mov $imm,%eax */
	refused(M64, BYTES(0xc5, 0xf8, 0x10, 0x03), INSN_MMIO_UNSUPPORTED, R_OP);   /* VEX vmovups */
	refused(M64, BYTES(0x90), INSN_MMIO_UNSUPPORTED, R_OP);
	refused(M64, BYTES(0x0f, 0xc3, 0x03), INSN_MMIO_UNSUPPORTED, R_OP0F);  /* movnti */
	refused(M64, BYTES(0x0f, 0x10, 0x03), INSN_MMIO_UNSUPPORTED, R_OP0F);  /* movups */
	refused(M64, BYTES(0x0f, 0x22, 0xc0), INSN_MMIO_UNSUPPORTED, R_OP0F);  /* mov %rax,%cr0 */
	refused(M32, BYTES(0x40, 0x8b, 0x03), INSN_MMIO_UNSUPPORTED, R_INCDEC);
	/* C6/C7 are MOV only with ModRM.reg = 0. */
	refused(M64, BYTES(0xc6, 0x08, 0x00), INSN_MMIO_UNSUPPORTED, R_C6C7);
	refused(M64, BYTES(0xc7, 0x38, 0x00, 0x00, 0x00, 0x00), INSN_MMIO_UNSUPPORTED, R_C6C7);
}

/* Cut short: nothing, prefixes only, opcode only, half a displacement or immediate. */
TEST(insn_mmio_refuse_truncated)
{
	refused(M64, NULL, 0, INSN_MMIO_TRUNCATED, R_TRUNC);
	refused(M64, BYTES(0x66), INSN_MMIO_TRUNCATED, R_TRUNC);
	refused(M64, BYTES(0x48), INSN_MMIO_TRUNCATED, R_TRUNC);
	refused(M64, BYTES(0x0f), INSN_MMIO_TRUNCATED, R_TRUNC);
	refused(M64, BYTES(0x8b), INSN_MMIO_TRUNCATED, R_TRUNC);
	refused(M64, BYTES(0x8b, 0x04), INSN_MMIO_TRUNCATED, R_TRUNC);         /* SIB missing */
	refused(M64, BYTES(0x8b, 0x04, 0x25, 0xb0, 0x00, 0xe0), INSN_MMIO_TRUNCATED, R_TRUNC);
	refused(M64, BYTES(0xc7, 0x04, 0x25, 0xb0, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00), INSN_MMIO_TRUNCATED,
		R_TRUNC);
	refused(M64, BYTES(0xa1, 0x30, 0x00, 0xe0, 0xfe), INSN_MMIO_TRUNCATED, R_TRUNC);  /* 4 of 8 */
	refused(M16, BYTES(0x8b, 0x06, 0xb0), INSN_MMIO_TRUNCATED, R_TRUNC);
}

/* 15 bytes is the limit (APM Vol 3 §1.1); 16 is refused however the bytes go on. */
TEST(insn_mmio_refuse_too_long)
{
	/* es x4 movl $1,-0x1200000(%rax,%rcx,4): 4 + 11 = 15 bytes, accepted. */
	struct mmio_insn mi = ok(M64, BYTES(0x26, 0x26, 0x26, 0x26, 0xc7, 0x84, 0x88, 0x00, 0x00, 0xe0, 0xfe,
					    0x01, 0x00, 0x00, 0x00));

	CHECK_EQ(15, mi.len);
	CHECK_EQ(1, mi.imm);
	/* One prefix more: 16 bytes, refused when given all 16 or only the first 15. */
	refused(M64, BYTES(0x26, 0x26, 0x26, 0x26, 0x26, 0xc7, 0x84, 0x88, 0x00, 0x00, 0xe0, 0xfe,
			   0x01, 0x00, 0x00, 0x00), INSN_MMIO_TOO_LONG, R_LONG);
	refused(M64, BYTES(0x26, 0x26, 0x26, 0x26, 0x26, 0xc7, 0x84, 0x88, 0x00, 0x00, 0xe0, 0xfe,
			   0x01, 0x00, 0x00), INSN_MMIO_TOO_LONG, R_LONG);
	/* Displacement crossing byte 15. */
	refused(M64, BYTES(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x8b, 0x84, 0x88,
			   0x00, 0x00, 0xe0, 0xfe), INSN_MMIO_TOO_LONG, R_LONG);
	/* 14 prefixes + opcode, ModRM would be byte 16. */
	refused(M32, BYTES(0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e,
			   0x3e, 0x8b, 0x03), INSN_MMIO_TOO_LONG, R_LONG);
	/* 15 prefixes: no room for an opcode. */
	refused(M64, BYTES(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
			   0x66, 0x66, 0x89, 0x03), INSN_MMIO_TOO_LONG, R_LONG);
	/* 13 prefixes + 89 03 is exactly 15. */
	mi = ok(M64, BYTES(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
			   0x89, 0x03));
	CHECK_EQ(15, mi.len);
	CHECK_EQ(2, mi.size);
}

/* REX must be the last prefix: after it another prefix or REX is refused (file comment of insn_mmio.c). */
TEST(insn_mmio_refuse_misplaced_rex)
{
	refused(M64, BYTES(0x48, 0x66, 0x89, 0x03), INSN_MMIO_UNSUPPORTED, R_REXPOS);
	refused(M64, BYTES(0x41, 0x48, 0x89, 0x03), INSN_MMIO_UNSUPPORTED, R_REXPOS);
	refused(M64, BYTES(0x40, 0x2e, 0x88, 0x23), INSN_MMIO_UNSUPPORTED, R_REXPOS);
	refused(M64, BYTES(0x44, 0x67, 0x8b, 0x00), INSN_MMIO_UNSUPPORTED, R_REXPOS);
	/* The other way round is the valid order: 66 then REX.W. */
	CHECK_EQ(8, ok(M64, BYTES(0x66, 0x48, 0x89, 0x03)).size);
}

/* why may be NULL; on success it is cleared. */
TEST(insn_mmio_why_optional)
{
	struct mmio_insn mi = { 0 };
	const char *why = "stale";

	CHECK_EQ(0, insn_decode_mmio((const u8[]){ 0x89, 0x10 }, 2, true, true, &mi, NULL));
	CHECK_EQ(2, mi.len);
	CHECK_RC(INSN_MMIO_UNSUPPORTED, insn_decode_mmio((const u8[]){ 0x89, 0xc0 }, 2, true, true, &mi, NULL));
	CHECK_EQ(0, insn_decode_mmio((const u8[]){ 0x89, 0x10 }, 2, true, true, &mi, &why));
	CHECK_STR_EQ(NULL, why);
}

/* --- register merge rules ---------------------------------------------------- */

/* APM Vol 1 §3.1.2: 32-bit results zero 63:32, 8/16-bit ones keep the rest, AH..BH are 15:8. */
TEST(insn_mmio_reg_after_read_merge)
{
	const u64 old = 0x1111222233334444ULL;
	struct mmio_insn mi;

	mi = ok(M64, BYTES(0x8b, 0x03));                               /* mov (%rbx),%eax */
	CHECK_EQ(0x00000000deadbeefULL, mmio_reg_after_read(old, &mi, 0xdeadbeef));
	CHECK_EQ(0x00000000deadbeefULL, mmio_reg_after_read(old, &mi, 0xffffffffdeadbeefULL));

	mi = ok(M64, BYTES(0x48, 0x8b, 0x03));                         /* mov (%rbx),%rax */
	CHECK_EQ(0xfedcba9876543210ULL, mmio_reg_after_read(old, &mi, 0xfedcba9876543210ULL));

	mi = ok(M64, BYTES(0x66, 0x8b, 0x03));                         /* mov (%rbx),%ax */
	CHECK_EQ(0x111122223333abcdULL, mmio_reg_after_read(old, &mi, 0xffffabcd));

	mi = ok(M64, BYTES(0x8a, 0x03));                               /* mov (%rbx),%al */
	CHECK_EQ(0x11112222333344cdULL, mmio_reg_after_read(old, &mi, 0xabcd));

	mi = ok(M64, BYTES(0x8a, 0x23));                               /* mov (%rbx),%ah */
	CHECK(mi.high_byte);
	CHECK_EQ(0x111122223333cd44ULL, mmio_reg_after_read(old, &mi, 0xabcd));

	mi = ok(M32, BYTES(0x8b, 0x03));                               /* 32-bit code, same rule */
	CHECK_EQ(0x12345678, mmio_reg_after_read(old, &mi, 0x12345678));

	/* A write leaves the register alone. */
	mi = ok(M64, BYTES(0x89, 0x03));
	CHECK_EQ(old, mmio_reg_after_read(old, &mi, 0x12345678));
}

TEST(insn_mmio_write_value)
{
	const u64 reg = 0x8877665544332211ULL;
	struct mmio_insn mi;

	mi = ok(M64, BYTES(0x48, 0x89, 0x03));
	CHECK_EQ(reg, mmio_write_value(reg, &mi));
	mi = ok(M64, BYTES(0x89, 0x03));
	CHECK_EQ(0x44332211, mmio_write_value(reg, &mi));
	mi = ok(M64, BYTES(0x66, 0x89, 0x03));
	CHECK_EQ(0x2211, mmio_write_value(reg, &mi));
	mi = ok(M64, BYTES(0x88, 0x03));                               /* %al */
	CHECK_EQ(0x11, mmio_write_value(reg, &mi));
	mi = ok(M64, BYTES(0x88, 0x2b));                               /* %ch */
	CHECK(mi.high_byte);
	CHECK_EQ(5, mi.reg);
	CHECK_EQ(0x22, mmio_write_value(reg, &mi));
	mi = ok(M64, BYTES(0xc6, 0x03, 0xa5));                         /* movb $0xa5 */
	CHECK_EQ(0xa5, mmio_write_value(reg, &mi));
}

/* --- MOV to/from CRn ------------------------------------------------------------ */

struct cr_result {
	int rc;
	unsigned cr, gpr;
	bool to_cr;
	u8 len;
};

static struct cr_result mov_cr(bool lm, const u8 *b, unsigned n)
{
	struct cr_result r = { .cr = 99, .gpr = 99, .to_cr = false, .len = 99 };

	r.rc = insn_decode_mov_cr(b, n, lm, &r.cr, &r.gpr, &r.to_cr, &r.len);
	return r;
}

TEST(insn_mmio_mov_cr8)
{
	struct cr_result r = mov_cr(true, BYTES(0x44, 0x0f, 0x22, 0xc0));      /* mov %rax,%cr8 */

	CHECK_EQ(0, r.rc);
	CHECK_EQ(8, r.cr);
	CHECK_EQ(0, r.gpr);
	CHECK(r.to_cr);
	CHECK_EQ(4, r.len);

	r = mov_cr(true, BYTES(0x45, 0x0f, 0x22, 0xc1));                       /* mov %r9,%cr8 */
	CHECK_EQ(0, r.rc);
	CHECK_EQ(8, r.cr);
	CHECK_EQ(9, r.gpr);

	r = mov_cr(true, BYTES(0x45, 0x0f, 0x20, 0xc4));                       /* mov %cr8,%r12 */
	CHECK_EQ(0, r.rc);
	CHECK_EQ(8, r.cr);
	CHECK_EQ(12, r.gpr);
	CHECK(!r.to_cr);
	CHECK_EQ(4, r.len);

	r = mov_cr(true, BYTES(0x0f, 0x20, 0xd8, 0x90));                       /* mov %cr3,%rax; nop */
	CHECK_EQ(0, r.rc);
	CHECK_EQ(3, r.cr);
	CHECK_EQ(0, r.gpr);
	CHECK_EQ(3, r.len);

	r = mov_cr(false, BYTES(0x0f, 0x20, 0xe3));                            /* 32: mov %cr4,%ebx */
	CHECK_EQ(0, r.rc);
	CHECK_EQ(4, r.cr);
	CHECK_EQ(3, r.gpr);

	/* AltMovCr8: LOCK MOV CR0 is MOV CR8 (objdump: f0 0f 22 c0 = mov %eax,%cr8). */
	r = mov_cr(false, BYTES(0xf0, 0x0f, 0x22, 0xc0));
	CHECK_EQ(0, r.rc);
	CHECK_EQ(8, r.cr);
	CHECK_EQ(0, r.gpr);
	CHECK_EQ(4, r.len);

	/* The mod field is ignored: never a SIB or displacement. */
	r = mov_cr(true, BYTES(0x0f, 0x22, 0x05, 0x00, 0x00, 0x00, 0x00));
	CHECK_EQ(0, r.rc);
	CHECK_EQ(0, r.cr);
	CHECK_EQ(5, r.gpr);
	CHECK_EQ(3, r.len);

	/* 66h has no effect on MOV CRn but still counts in the length. */
	r = mov_cr(true, BYTES(0x66, 0x44, 0x0f, 0x22, 0xc7));
	CHECK_EQ(0, r.rc);
	CHECK_EQ(8, r.cr);
	CHECK_EQ(7, r.gpr);
	CHECK_EQ(5, r.len);
}

TEST(insn_mmio_mov_cr_refusals)
{
	static const u8 cr8[] = { 0x44, 0x0f, 0x22, 0xc0 };
	struct cr_result r;
	unsigned k;

	/* CR1, CR5..CR7, CR9..CR15 are #UD: they never exit. */
	CHECK_RC(INSN_MMIO_UNSUPPORTED, mov_cr(true, BYTES(0x0f, 0x22, 0xc8)).rc);
	CHECK_RC(INSN_MMIO_UNSUPPORTED, mov_cr(true, BYTES(0x0f, 0x20, 0xe8)).rc);
	CHECK_RC(INSN_MMIO_UNSUPPORTED, mov_cr(true, BYTES(0x44, 0x0f, 0x22, 0xc8)).rc);
	/* LOCK only turns CR0 into CR8. */
	CHECK_RC(INSN_MMIO_UNSUPPORTED, mov_cr(false, BYTES(0xf0, 0x0f, 0x22, 0xd8)).rc);
	CHECK_RC(INSN_MMIO_UNSUPPORTED, mov_cr(true, BYTES(0xf0, 0x44, 0x0f, 0x22, 0xc0)).rc);
	/* REP, other opcodes (MOV DRn, MOV r/m), REX outside 64-bit mode, misplaced REX. */
	CHECK_RC(INSN_MMIO_UNSUPPORTED, mov_cr(true, BYTES(0xf3, 0x0f, 0x22, 0xc0)).rc);
	CHECK_RC(INSN_MMIO_UNSUPPORTED, mov_cr(true, BYTES(0x0f, 0x21, 0xc0)).rc);
	CHECK_RC(INSN_MMIO_UNSUPPORTED, mov_cr(true, BYTES(0x0f, 0x23, 0xc0)).rc);
	CHECK_RC(INSN_MMIO_UNSUPPORTED, mov_cr(true, BYTES(0x89, 0xc0)).rc);
	CHECK_RC(INSN_MMIO_UNSUPPORTED, mov_cr(true, BYTES(0x0f, 0xa2)).rc);
	CHECK_RC(INSN_MMIO_UNSUPPORTED, mov_cr(false, BYTES(0x44, 0x0f, 0x22, 0xc0)).rc);
	CHECK_RC(INSN_MMIO_UNSUPPORTED, mov_cr(true, BYTES(0x44, 0x66, 0x0f, 0x22, 0xc0)).rc);

	/* Truncated at every length; the outputs stay untouched. */
	for (k = 0; k < sizeof(cr8); k++) {
		r = mov_cr(true, cr8, k);
		CHECK_RC(INSN_MMIO_TRUNCATED, r.rc);
		CHECK_EQ(99, r.cr);
		CHECK_EQ(99, r.gpr);
		CHECK_EQ(99, r.len);
	}

	/* 12 prefixes + 0F 22 C0 is 15 bytes; 13 is too long. */
	r = mov_cr(true, BYTES(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
			       0x0f, 0x22, 0xc0));
	CHECK_EQ(0, r.rc);
	CHECK_EQ(15, r.len);
	r = mov_cr(true, BYTES(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
			       0x66, 0x0f, 0x22, 0xc0));
	CHECK_RC(INSN_MMIO_TOO_LONG, r.rc);
}
