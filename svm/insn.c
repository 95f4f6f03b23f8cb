/*
 * svm/insn.c - instruction lengths for intercepted instructions.
 *
 * Encodings from APM Vol 3 Appendix A "Opcode and Operand Encodings"
 * (prefixes §1.2, ModRM/SIB §1.4 and Tables A-33..A-35 for 16/32-bit
 * addressing).  The decoder recognises only the opcodes the exits imply;
 * anything else returns -1 and the caller stops the guest rather than
 * guessing.
 */
#include "svm/insn.h"
#include "svm/vmcb.h"

bool insn_is_legacy_prefix(u8 b)
{
	switch (b) {
	case 0x66: case 0x67:                     /* operand, address size */
	case 0xf0: case 0xf2: case 0xf3:          /* LOCK, REPNE, REP */
	case 0x2e: case 0x36: case 0x3e: case 0x26: case 0x64: case 0x65: /* segments */
		return true;
	default:
		return false;
	}
}

int insn_modrm_length(const u8 *p, unsigned avail, bool addr32, bool long_mode)
{
	unsigned mod, rm, len = 1;

	if (avail < 1)
		return -1;
	mod = p[0] >> 6;
	rm = p[0] & 7;
	if (mod == 3)
		return 1;       /* register operand */

	if (!addr32 && !long_mode) {
		/* 16-bit: mod 00 r/m 110 is [disp16]; mod 01 disp8; mod 10 disp16. */
		if (mod == 0 && rm == 6)
			len += 2;
		else if (mod == 1)
			len += 1;
		else if (mod == 2)
			len += 2;
		return len <= avail ? (int)len : -1;
	}

	/* 32/64-bit: r/m 100 brings a SIB byte. */
	if (rm == 4) {
		if (avail < 2)
			return -1;
		len++;
		/* SIB base 101 with mod 00: no base register, disp32. */
		if (mod == 0 && (p[1] & 7) == 5)
			len += 4;
	} else if (mod == 0 && rm == 5) {
		len += 4;       /* disp32, or RIP+disp32 in 64-bit mode */
	}
	if (mod == 1)
		len += 1;
	else if (mod == 2)
		len += 4;
	return len <= avail ? (int)len : -1;
}

/* Which 0F 01 xx third bytes an exit accepts (register forms, mod = 11). */
static bool op_0f01_matches(u64 exit_code, u8 b)
{
	switch (exit_code) {
	case SVM_EXIT_VMRUN:            return b == 0xd8;
	case SVM_EXIT_VMMCALL:          return b == 0xd9;
	case SVM_EXIT_VMLOAD:           return b == 0xda;
	case SVM_EXIT_VMSAVE:           return b == 0xdb;
	case SVM_EXIT_STGI:             return b == 0xdc;
	case SVM_EXIT_CLGI:             return b == 0xdd;
	case SVM_EXIT_SKINIT:           return b == 0xde;
	case SVM_EXIT_INVLPGA:          return b == 0xdf;
	case SVM_EXIT_XSETBV:           return b == 0xd1;
	case SVM_EXIT_RDTSCP:           return b == 0xf9;
	case SVM_EXIT_RDPRU:            return b == 0xfd;
	case SVM_EXIT_MONITOR:          return b == 0xc8 || b == 0xfa; /* MONITOR, MONITORX */
	case SVM_EXIT_MWAIT:
	case SVM_EXIT_MWAIT_COND:       return b == 0xc9 || b == 0xfb; /* MWAIT, MWAITX */
	default:                        return false;
	}
}

/* The second byte of a 0F xx instruction an exit accepts. */
static bool op_0f_matches(u64 exit_code, u8 b)
{
	switch (exit_code) {
	case SVM_EXIT_CPUID:            return b == 0xa2;
	case SVM_EXIT_MSR:              return b == 0x30 || b == 0x32; /* WRMSR, RDMSR */
	case SVM_EXIT_RDTSC:            return b == 0x31;
	case SVM_EXIT_RDPMC:            return b == 0x33;
	case SVM_EXIT_INVD:             return b == 0x08;
	case SVM_EXIT_WBINVD:           return b == 0x09;
	default:                        return false;
	}
}

int insn_length_for_exit(const u8 *bytes, unsigned avail, u64 exit_code, bool long_mode)
{
	unsigned i = 0, nprefix;
	bool rep = false, addr_override = false;
	u8 rex = 0;
	int len = -1;

	if (avail > INSN_MAX_LEN)
		avail = INSN_MAX_LEN;   /* bytes past 15 can never belong to it */
	/*
	 * The common case: an unprefixed 0F opcode (CPUID, RDMSR, WRMSR,
	 * VMMCALL, ...).  0F is neither a legacy prefix nor REX, so the scans
	 * below would find nothing: go straight to the opcode.
	 */
	if (avail && bytes[0] == 0x0f)
		goto opcode;
	while (i < avail && insn_is_legacy_prefix(bytes[i])) {
		if (bytes[i] == 0xf3)
			rep = true;
		if (bytes[i] == 0x67)
			addr_override = true;
		i++;
	}
	nprefix = i;
	if (nprefix > INSN_MAX_PREFIXES)
		return -1;
	if (long_mode && i < avail && (bytes[i] & 0xf0) == 0x40)
		rex = bytes[i++];
	if (i >= avail)
		return -1;

opcode:
	switch (bytes[i]) {
	case 0xf4:
		if (exit_code == SVM_EXIT_HLT)
			len = (int)i + 1;
		break;
	case 0xf1:
		if (exit_code == SVM_EXIT_ICEBP)
			len = (int)i + 1;
		break;
	case 0x90:
		/* PAUSE is F3 90; with REX.B the opcode is XCHG r8, rAX instead. */
		if (exit_code == SVM_EXIT_PAUSE && rep && !(rex & 1))
			len = (int)i + 1;
		break;
	case 0x0f:
		if (i + 1 >= avail)
			return -1;
		if (bytes[i + 1] != 0x01) {
			if (op_0f_matches(exit_code, bytes[i + 1]))
				len = (int)i + 2;
			break;
		}
		if (i + 2 >= avail)
			return -1;
		if (exit_code == SVM_EXIT_INVLPG) {
			/* INVLPG is 0F 01 /7 with a memory operand (mod != 11). */
			u8 modrm = bytes[i + 2];
			int m;

			if ((modrm >> 6) == 3 || ((modrm >> 3) & 7) != 7)
				break;
			/* 64-bit mode: 64-bit addresses, 32 with 67; else 32, 16 with 67. */
			m = insn_modrm_length(&bytes[i + 2], avail - (i + 2),
					      long_mode || !addr_override, long_mode);
			if (m < 0)
				return -1;
			len = (int)i + 2 + m;
		} else if (op_0f01_matches(exit_code, bytes[i + 2])) {
			len = (int)i + 3;
		}
		break;
	default:
		break;
	}
	if (len > INSN_MAX_LEN)
		return -1;
	return len;
}
