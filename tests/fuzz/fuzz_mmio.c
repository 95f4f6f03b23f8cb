/*
 * tests/fuzz/fuzz_mmio.c - libFuzzer target for the MMIO instruction decoder
 * (svm/insn_mmio.c) and the emulation around it (hv/mmio.c: mmio_emulate,
 * mmio_decode_cr_write) with a fake vCPU.
 *
 * An independent, table-driven reference decoding (ref_decode, ref_cr below,
 * from APM Vol 3 Chapter 1 "Instruction Encoding" and the MOV, MOVZX, MOVSX
 * and MOV (CRn) pages; the tables of tests/fuzz/ref_x86.h) is compared with
 * the decoder on any bytes in any mode (64-bit, 32-bit, 16-bit code):
 *   - it accepts exactly the forms the reference accepts (MOV 88/89/8A/8B,
 *     C6/C7 /0, A0-A3, MOVZX/MOVSX; memory operand; no LOCK/REP; REX last),
 *     with the same length, size, direction, register, high-byte flag,
 *     destination width, extension and immediate; everything else refused;
 *   - TRUNCATED only when fewer than 15 bytes were given;
 *   - mmio_emulate: a refused instruction stops the guest, calls no device
 *     and changes no register and not RIP; an accepted one calls the device
 *     once with the reference size, direction and (writes) value; a read
 *     changes only the destination register, as the reference x86 rule says;
 *     RIP advances by the length (wrapped to 32/16 bits outside 64-bit code)
 *     and the interrupt shadow ends; a device answering MMIO_NOT_DONE or -1
 *     leaves registers and RIP alone;
 *   - MOV CRn: insn_decode_mov_cr against ref_cr, and mmio_decode_cr_write
 *     succeeds only for a MOV to the CR asked for, with the GPR's value.
 *
 * Input format: byte 0 flags (bit 0 64-bit code, bit 1 CS.D, bits 3:2 the
 * device's answer: 0/1 done, 2 MMIO_NOT_DONE, 3 -1); byte 1 fetch control
 * (< 0xF0: up to 15 bytes, else (byte & 15) - 1 bytes, -1 = fetch fails);
 * bytes 2-9 seed of the register values; 10-17 the value a device read
 * returns; byte 18 the CR the intercept names (& 15); the rest are the
 * instruction bytes.
 */
#include "svm/insn.c"
#include "svm/insn_mmio.c"
#include "hv/mmio.c"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_NAME "fuzz_mmio"
#include "tests/fuzz/ref_x86.h"

/* --- the reference decoding --------------------------------------------- */

struct ref_form {
	u8 op;
	bool twobyte;   /* 0F op */
	u8 size;        /* 1, 2, or 0: the operand size */
	bool write;
	u8 imm;         /* 0, 1, or 0xff: 2 bytes with 16-bit operand size, else 4 */
	bool moffs;     /* no ModRM: an address-sized offset */
	bool byte_reg;  /* the register operand is 8-bit */
	u8 ext;
};

static const struct ref_form ref_forms[] = {
	{ 0x88, false, 1, true, 0, false, true, MMIO_EXT_NONE },
	{ 0x89, false, 0, true, 0, false, false, MMIO_EXT_NONE },
	{ 0x8a, false, 1, false, 0, false, true, MMIO_EXT_NONE },
	{ 0x8b, false, 0, false, 0, false, false, MMIO_EXT_NONE },
	{ 0xc6, false, 1, true, 1, false, false, MMIO_EXT_NONE },
	{ 0xc7, false, 0, true, 0xff, false, false, MMIO_EXT_NONE },
	{ 0xa0, false, 1, false, 0, true, false, MMIO_EXT_NONE },
	{ 0xa1, false, 0, false, 0, true, false, MMIO_EXT_NONE },
	{ 0xa2, false, 1, true, 0, true, false, MMIO_EXT_NONE },
	{ 0xa3, false, 0, true, 0, true, false, MMIO_EXT_NONE },
	{ 0xb6, true, 1, false, 0, false, false, MMIO_EXT_ZERO },
	{ 0xb7, true, 2, false, 0, false, false, MMIO_EXT_ZERO },
	{ 0xbe, true, 1, false, 0, false, false, MMIO_EXT_SIGN },
	{ 0xbf, true, 2, false, 0, false, false, MMIO_EXT_SIGN },
};

static u64 mask_of(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static u64 sext(u64 v, unsigned size)
{
	unsigned sh = 64 - 8 * size;

	return size >= 8 ? v : (u64)((s64)(v << sh) >> sh);
}

struct ref_pfx {
	unsigned pos;
	u8 rex;
	bool o66, a67, lock, rep;
};

/* Prefixes: false if REX is not the last one (refused by choice, see insn_mmio.c). */
static bool ref_prefixes(const u8 *b, unsigned n, bool lm, struct ref_pfx *p)
{
	memset(p, 0, sizeof(*p));
	while (p->pos < n && p->pos < INSN_MAX_LEN) {
		u8 x = b[p->pos];
		bool rex = lm && x >= 0x40 && x <= 0x4f;

		if (!rex && !ref_is_prefix(x))
			break;
		if (p->rex)
			return false;
		if (rex)
			p->rex = x;
		p->o66 |= x == 0x66;
		p->a67 |= x == 0x67;
		p->lock |= x == 0xf0;
		p->rep |= x == 0xf2 || x == 0xf3;
		p->pos++;
	}
	return true;
}

static bool ref_decode(const u8 *b, unsigned n, bool lm, bool d32, struct mmio_insn *o)
{
	const struct ref_form *f = NULL;
	struct ref_pfx p;
	unsigned pos, opsize, addrsize, k, regfield = 0, lim = n < INSN_MAX_LEN ? n : INSN_MAX_LEN;

	if (!ref_prefixes(b, n, lm, &p) || p.lock || p.rep)
		return false;
	pos = p.pos;
	if (pos >= lim)
		return false;
	opsize = lm ? ((p.rex & 8) ? 8 : p.o66 ? 2 : 4) : (d32 != p.o66) ? 4 : 2;
	addrsize = lm ? (p.a67 ? 4 : 8) : (d32 != p.a67) ? 4 : 2;
	if (b[pos] == 0x0f) {
		if (++pos >= lim)
			return false;
		for (k = 0; k < ARRAY_SIZE(ref_forms); k++)
			if (ref_forms[k].twobyte && ref_forms[k].op == b[pos])
				f = &ref_forms[k];
	} else {
		for (k = 0; k < ARRAY_SIZE(ref_forms); k++)
			if (!ref_forms[k].twobyte && ref_forms[k].op == b[pos])
				f = &ref_forms[k];
	}
	if (!f)
		return false;
	pos++;
	memset(o, 0, sizeof(*o));
	o->size = f->size ? f->size : opsize;
	o->write = f->write;
	o->ext = f->ext;
	o->dst_size = f->ext != MMIO_EXT_NONE ? opsize : o->size;
	if (f->moffs) {
		pos += addrsize;
	} else {
		int m;

		if (pos >= lim || (b[pos] >> 6) == 3)
			return false;
		regfield = (b[pos] >> 3) & 7;
		m = ref_modrm(&b[pos], lim - pos, addrsize != 2);
		if (m < 0)
			return false;
		pos += (unsigned)m;
		if (f->imm && regfield)
			return false;
		if (!f->imm)
			o->reg = regfield | ((p.rex & 4) ? 8 : 0);
		o->high_byte = f->byte_reg && !p.rex && regfield >= 4;
	}
	if (f->imm) {
		unsigned ib = f->imm == 1 ? 1 : opsize == 2 ? 2 : 4;

		if (pos + ib > lim)
			return false;
		o->has_imm = true;
		for (k = 0; k < ib; k++)
			o->imm |= (u64)b[pos + k] << (8 * k);
		o->imm = sext(o->imm, ib) & mask_of(o->size);
		pos += ib;
	}
	if (pos > lim)
		return false;
	o->len = (u8)pos;
	return true;
}

/* MOV CRn (APM Vol 3 "MOV (CRn)"): always register form, 3 bytes after the prefixes. */
static bool ref_cr(const u8 *b, unsigned n, bool lm, unsigned *cr, unsigned *gpr, bool *to_cr, u8 *len)
{
	unsigned lim = n < INSN_MAX_LEN ? n : INSN_MAX_LEN, reg;
	struct ref_pfx p;

	if (!ref_prefixes(b, n, lm, &p) || p.rep || p.pos + 3 > lim)
		return false;
	if (b[p.pos] != 0x0f || (b[p.pos + 1] != 0x20 && b[p.pos + 1] != 0x22))
		return false;
	reg = ((b[p.pos + 2] >> 3) & 7) | ((p.rex & 4) ? 8 : 0);
	if (p.lock) {                   /* AltMovCr8: LOCK MOV CR0 is CR8 */
		if (reg)
			return false;
		reg = 8;
	}
	if (reg != 0 && reg != 2 && reg != 3 && reg != 4 && reg != 8)
		return false;
	*cr = reg;
	*gpr = (b[p.pos + 2] & 7) | ((p.rex & 1) ? 8 : 0);
	*to_cr = b[p.pos + 1] == 0x22;
	*len = (u8)(p.pos + 3);
	return true;
}

/* --- the fake vCPU ------------------------------------------------------- */

static struct vcpu fz_vcpu;
static struct vmcb *fz_vmcb;
static bool fz_lm;
static const u8 *fz_bytes;
static unsigned fz_nbytes;
static int fz_fetch_n;
static unsigned fz_stops, fz_dev_calls, fz_dev_size;
static bool fz_dev_write;
static u64 fz_dev_val, fz_dev_gpa, fz_dev_readval;
static int fz_dev_ret;

int vcpu_fetch_insn(struct vcpu *vcpu, u8 *buf, unsigned len)
{
	(void)vcpu;
	FZ_CHECK(len == 15, "fetch of %u bytes", len);
	if (fz_fetch_n > 0)
		memcpy(buf, fz_bytes, (unsigned)fz_fetch_n);
	return fz_fetch_n;
}

void vcpu_stop(struct vcpu *vcpu, u32 kind, const char *fmt, ...)
{
	(void)vcpu;
	(void)kind;
	(void)fmt;
	fz_stops++;
}

static int fz_dev(void *ctx, u64 gpa, unsigned size, bool write, u64 *val)
{
	FZ_CHECK(ctx == &fz_dev_calls, "device context");
	fz_dev_calls++;
	fz_dev_gpa = gpa;
	fz_dev_size = size;
	fz_dev_write = write;
	if (write)
		fz_dev_val = *val;
	else if (fz_dev_ret == 0)
		*val = fz_dev_readval;
	else
		*val = ~fz_dev_readval;         /* must not reach a register */
	return fz_dev_ret;
}

/* The GPRs by encoding, named one by one (not through vcpu_gpr). */
static void get_regs(u64 r[16])
{
	struct guest_regs *g = &fz_vcpu.regs;

	r[0] = fz_vmcb->save.rax; r[1] = g->rcx; r[2] = g->rdx; r[3] = g->rbx;
	r[4] = fz_vmcb->save.rsp; r[5] = g->rbp; r[6] = g->rsi; r[7] = g->rdi;
	r[8] = g->r8; r[9] = g->r9; r[10] = g->r10; r[11] = g->r11;
	r[12] = g->r12; r[13] = g->r13; r[14] = g->r14; r[15] = g->r15;
}

static void set_regs(u64 seed)
{
	u64 *p[16] = {
		&fz_vmcb->save.rax, &fz_vcpu.regs.rcx, &fz_vcpu.regs.rdx, &fz_vcpu.regs.rbx,
		&fz_vmcb->save.rsp, &fz_vcpu.regs.rbp, &fz_vcpu.regs.rsi, &fz_vcpu.regs.rdi,
		&fz_vcpu.regs.r8, &fz_vcpu.regs.r9, &fz_vcpu.regs.r10, &fz_vcpu.regs.r11,
		&fz_vcpu.regs.r12, &fz_vcpu.regs.r13, &fz_vcpu.regs.r14, &fz_vcpu.regs.r15,
	};
	unsigned i;

	for (i = 0; i < 16; i++) {
		/* splitmix64: distinct values in every register */
		u64 z = (seed += 0x9e3779b97f4a7c15ull);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		*p[i] = z ^ (z >> 31);
	}
}

/* x86 register write of a read result (APM Vol 1 §3.1.2 zero-extension of 32-bit results). */
static u64 ref_after_read(u64 old, const struct mmio_insn *m, u64 val)
{
	u64 v = val & mask_of(m->size);

	if (m->ext == MMIO_EXT_SIGN)
		v = sext(v, m->size);
	v &= mask_of(m->dst_size);
	if (m->dst_size == 1 && m->high_byte)
		return (old & ~0xff00ull) | (v << 8);
	if (m->dst_size <= 2)
		return (old & ~mask_of(m->dst_size)) | v;
	return v;
}

static u64 rd64(const u8 *p)
{
	u64 v = 0;
	unsigned i;

	for (i = 0; i < 8; i++)
		v |= (u64)p[i] << (8 * i);
	return v;
}

static void check_decode(const u8 *b, unsigned n, bool lm, bool d32)
{
	struct mmio_insn got, exp;
	const char *why = (const char *)1;
	bool ok_ref = ref_decode(b, n, lm, d32, &exp);
	int r;

	memset(&got, 0xa5, sizeof(got));
	r = insn_decode_mmio(b, n, lm, d32, &got, &why);
	FZ_CHECK((r == 0) == ok_ref, "n %u lm %d d32 %d: decoder %d (%s), reference %s", n, lm, d32,
		 r, r ? why : "", ok_ref ? "accepts" : "refuses");
	if (r) {
		FZ_CHECK(r == INSN_MMIO_UNSUPPORTED || r == INSN_MMIO_TRUNCATED || r == INSN_MMIO_TOO_LONG,
			 "result %d", r);
		FZ_CHECK(why && why != (const char *)1, "refusal %d without a reason", r);
		FZ_CHECK(r != INSN_MMIO_TRUNCATED || n < INSN_MAX_LEN, "truncated with %u bytes", n);
		return;
	}
	FZ_CHECK(!why, "success with a reason");
	FZ_CHECK(got.len == exp.len && got.size == exp.size && got.write == exp.write &&
		 got.has_imm == exp.has_imm && got.imm == exp.imm && got.reg == exp.reg &&
		 got.high_byte == exp.high_byte && got.dst_size == exp.dst_size && got.ext == exp.ext,
		 "lm %d d32 %d: len %u/%u size %u/%u write %d/%d imm %d:%llx/%d:%llx reg %u/%u "
		 "high %d/%d dst %u/%u ext %d/%d (decoder/reference)", lm, d32, got.len, exp.len,
		 got.size, exp.size, got.write, exp.write, got.has_imm, (unsigned long long)got.imm,
		 exp.has_imm, (unsigned long long)exp.imm, got.reg, exp.reg, got.high_byte,
		 exp.high_byte, got.dst_size, exp.dst_size, got.ext, exp.ext);
	FZ_CHECK(got.len >= 1 && got.len <= INSN_MAX_LEN && got.len <= n, "length %u", got.len);
}

static void check_emulate(const u8 *b, unsigned n, bool d32, u64 gpa)
{
	u64 before[16], after[16], rip0 = fz_vmcb->save.rip;
	struct mmio_insn exp;
	bool ok = fz_fetch_n > 0 && ref_decode(b, (unsigned)fz_fetch_n, fz_lm, d32, &exp);
	enum exit_action act;
	unsigned i, dst = 99;

	get_regs(before);
	fz_vmcb->control.int_state = SVM_INTERRUPT_SHADOW;
	act = mmio_emulate(&fz_vcpu, gpa, fz_dev, &fz_dev_calls);
	get_regs(after);
	(void)n;
	if (!ok) {
		FZ_CHECK(act == EXIT_STOP && fz_stops == 1 && fz_dev_calls == 0,
			 "refused bytes: action %d, %u stops, %u device calls", act, fz_stops, fz_dev_calls);
		FZ_CHECK(!memcmp(before, after, sizeof(before)) && fz_vmcb->save.rip == rip0,
			 "refused bytes changed registers or RIP");
		return;
	}
	FZ_CHECK(fz_dev_calls == 1 && fz_dev_gpa == gpa && fz_dev_size == exp.size &&
		 fz_dev_write == exp.write, "device: %u calls, gpa 0x%llx size %u write %d; expected size %u write %d",
		 fz_dev_calls, (unsigned long long)fz_dev_gpa, fz_dev_size, fz_dev_write, exp.size, exp.write);
	if (exp.write) {
		u64 v = exp.has_imm ? exp.imm : exp.high_byte ? (before[exp.reg - 4] >> 8) & 0xff :
			before[exp.reg] & mask_of(exp.size);

		FZ_CHECK(fz_dev_val == v, "wrote 0x%llx, expected 0x%llx", (unsigned long long)fz_dev_val,
			 (unsigned long long)v);
	}
	if (fz_dev_ret < 0) {
		FZ_CHECK(act == EXIT_STOP && fz_stops == 1, "device error: action %d, %u stops", act, fz_stops);
	} else {
		FZ_CHECK(act == EXIT_RESUME && fz_stops == 0, "action %d, %u stops", act, fz_stops);
	}
	if (fz_dev_ret == 0 && !exp.write) {
		dst = exp.high_byte ? exp.reg - 4u : exp.reg;
		FZ_CHECK(after[dst] == ref_after_read(before[dst], &exp, fz_dev_readval),
			 "read into r%u: 0x%llx, expected 0x%llx", dst, (unsigned long long)after[dst],
			 (unsigned long long)ref_after_read(before[dst], &exp, fz_dev_readval));
	}
	for (i = 0; i < 16; i++)
		FZ_CHECK(i == dst || after[i] == before[i], "r%u changed", i);
	if (fz_dev_ret == 0) {
		u64 rip = rip0 + exp.len;

		if (!fz_lm)
			rip = d32 ? (u32)rip : (u16)rip;
		FZ_CHECK(fz_vmcb->save.rip == rip, "RIP 0x%llx, expected 0x%llx",
			 (unsigned long long)fz_vmcb->save.rip, (unsigned long long)rip);
		FZ_CHECK(!(fz_vmcb->control.int_state & SVM_INTERRUPT_SHADOW), "interrupt shadow kept");
	} else {
		FZ_CHECK(fz_vmcb->save.rip == rip0, "RIP moved on an access not done");
	}
}

static void check_cr(const u8 *b, unsigned n, bool lm, unsigned want_cr)
{
	unsigned cr = 99, gpr = 99, ecr, egpr;
	bool to_cr = false, eto;
	u8 len = 0, elen;
	bool ok = ref_cr(b, n, lm, &ecr, &egpr, &eto, &elen);
	int r = insn_decode_mov_cr(b, n, lm, &cr, &gpr, &to_cr, &len);
	u64 regs[16], val = 0;

	FZ_CHECK((r == 0) == ok, "MOV CR: decoder %d, reference %s", r, ok ? "accepts" : "refuses");
	if (ok)
		FZ_CHECK(cr == ecr && gpr == egpr && to_cr == eto && len == elen,
			 "MOV CR: cr %u/%u gpr %u/%u to_cr %d/%d len %u/%u", cr, ecr, gpr, egpr, to_cr,
			 eto, len, elen);
	/* Through hv/mmio.c with the CR the intercept names. */
	ok = fz_fetch_n > 0 && ref_cr(b, (unsigned)fz_fetch_n, lm, &ecr, &egpr, &eto, &elen) && eto &&
	     ecr == want_cr;
	fz_stops = 0;
	get_regs(regs);
	r = mmio_decode_cr_write(&fz_vcpu, want_cr, &val, &len);
	FZ_CHECK((r == 0) == ok && fz_stops == !ok, "CR%u write: %d, %u stops, expected %s", want_cr, r,
		 fz_stops, ok ? "success" : "refusal");
	if (ok)
		FZ_CHECK(val == (lm ? regs[egpr] : (u32)regs[egpr]) && len == elen,
			 "CR%u write: value 0x%llx len %u", want_cr, (unsigned long long)val, len);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_vmcb = calloc(1, sizeof(*fz_vmcb));
	if (!fz_vmcb)
		abort();
	fz_vcpu.vmcb = fz_vmcb;
	return 0;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	u8 *copy;
	unsigned n;
	bool d32;

	if (size < 19)
		return 0;
	fz_lm = data[0] & 1;
	d32 = data[0] & 2;
	fz_dev_ret = ((data[0] >> 2) & 3) == 3 ? -1 : ((data[0] >> 2) & 3) == 2 ? MMIO_NOT_DONE : 0;
	n = (unsigned)(size - 19);
	copy = malloc(n ? n : 1);       /* exactly n bytes: ASan sees a read past them */
	if (!copy)
		abort();
	memcpy(copy, data + 19, n);
	fz_bytes = copy;
	fz_nbytes = n;
	if (data[1] < 0xf0)
		fz_fetch_n = (int)(n < 15 ? n : 15);
	else
		fz_fetch_n = MIN((int)(data[1] & 15) - 1, (int)n);

	check_decode(copy, n, fz_lm, d32);
	if (n > INSN_MAX_LEN)
		check_decode(copy, INSN_MAX_LEN, fz_lm, d32);

	memset(fz_vmcb, 0, sizeof(*fz_vmcb));
	memset(&fz_vcpu.regs, 0, sizeof(fz_vcpu.regs));
	set_regs(rd64(data + 2));
	/* vcpu_long_mode (hv/hv.h) reads EFER.LMA and CS.L: the input's mode. */
	fz_vmcb->save.cs.attrib = (d32 ? SEG_ATTR_DB : 0) | (fz_lm ? SEG_ATTR_L : 0);
	fz_vmcb->save.efer = fz_lm ? EFER_LME | EFER_LMA : 0;
	fz_vmcb->save.rip = rd64(data + 2) ^ rd64(data + 10);
	fz_dev_readval = rd64(data + 10);
	fz_stops = fz_dev_calls = 0;
	check_emulate(copy, n, d32, 0xfee00000u + (data[18] << 4));
	check_cr(copy, n, fz_lm, data[18] & 15);
	free(copy);
	return 0;
}
