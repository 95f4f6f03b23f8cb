/*
 * tests/unit/test_insn.c - instruction lengths for exits without NRIPS.
 *
 * Encodings from APM Vol 3 Appendix A.  Under QEMU TCG the hypervisor has
 * no nRIP and advances RIP by what insn_length_for_exit() says; a wrong
 * length resumes the guest in the middle of an instruction, and accepting a
 * wrong opcode would skip an instruction that never ran.
 */
#include "tests/unit/unit.h"
#include "svm/insn.h"
#include "svm/vmcb.h"
#include "lib/printf.h"

struct insn_case {
	const char *what;
	u8 bytes[16];
	unsigned avail;
	u64 exit;
	bool lm;
	int len;
};

#define B(...) { __VA_ARGS__ }

static const struct insn_case cases[] = {
	/* Plain encodings. */
	{ "cpuid", B(0x0f, 0xa2), 2, SVM_EXIT_CPUID, false, 2 },
	{ "rdmsr", B(0x0f, 0x32), 2, SVM_EXIT_MSR, false, 2 },
	{ "wrmsr", B(0x0f, 0x30), 2, SVM_EXIT_MSR, true, 2 },
	{ "vmmcall", B(0x0f, 0x01, 0xd9), 3, SVM_EXIT_VMMCALL, true, 3 },
	{ "hlt", B(0xf4), 1, SVM_EXIT_HLT, false, 1 },
	{ "vmrun", B(0x0f, 0x01, 0xd8), 3, SVM_EXIT_VMRUN, true, 3 },
	{ "vmload", B(0x0f, 0x01, 0xda), 3, SVM_EXIT_VMLOAD, true, 3 },
	{ "vmsave", B(0x0f, 0x01, 0xdb), 3, SVM_EXIT_VMSAVE, true, 3 },
	{ "stgi", B(0x0f, 0x01, 0xdc), 3, SVM_EXIT_STGI, false, 3 },
	{ "clgi", B(0x0f, 0x01, 0xdd), 3, SVM_EXIT_CLGI, false, 3 },
	{ "skinit", B(0x0f, 0x01, 0xde), 3, SVM_EXIT_SKINIT, false, 3 },
	{ "invlpga", B(0x0f, 0x01, 0xdf), 3, SVM_EXIT_INVLPGA, true, 3 },
	{ "rdtsc", B(0x0f, 0x31), 2, SVM_EXIT_RDTSC, true, 2 },
	{ "rdtscp", B(0x0f, 0x01, 0xf9), 3, SVM_EXIT_RDTSCP, true, 3 },
	{ "rdpmc", B(0x0f, 0x33), 2, SVM_EXIT_RDPMC, true, 2 },
	{ "rdpru", B(0x0f, 0x01, 0xfd), 3, SVM_EXIT_RDPRU, true, 3 },
	{ "invd", B(0x0f, 0x08), 2, SVM_EXIT_INVD, true, 2 },
	{ "wbinvd", B(0x0f, 0x09), 2, SVM_EXIT_WBINVD, true, 2 },
	{ "wbnoinvd", B(0xf3, 0x0f, 0x09), 3, SVM_EXIT_WBINVD, true, 3 },
	{ "monitor", B(0x0f, 0x01, 0xc8), 3, SVM_EXIT_MONITOR, true, 3 },
	{ "monitorx", B(0x0f, 0x01, 0xfa), 3, SVM_EXIT_MONITOR, true, 3 },
	{ "mwait", B(0x0f, 0x01, 0xc9), 3, SVM_EXIT_MWAIT, true, 3 },
	{ "mwaitx", B(0x0f, 0x01, 0xfb), 3, SVM_EXIT_MWAIT, true, 3 },
	{ "mwait_cond", B(0x0f, 0x01, 0xc9), 3, SVM_EXIT_MWAIT_COND, false, 3 },
	{ "xsetbv", B(0x0f, 0x01, 0xd1), 3, SVM_EXIT_XSETBV, true, 3 },
	{ "pause", B(0xf3, 0x90), 2, SVM_EXIT_PAUSE, true, 2 },
	{ "icebp", B(0xf1), 1, SVM_EXIT_ICEBP, true, 1 },
	/* Trailing bytes after the instruction are not part of it. */
	{ "cpuid_then_more", B(0x0f, 0xa2, 0x90, 0x90, 0xf4), 5, SVM_EXIT_CPUID, true, 2 },
	{ "hlt_then_more", B(0xf4, 0xeb, 0xfe), 3, SVM_EXIT_HLT, false, 1 },

	/* Prefixes and REX. */
	{ "cpuid_66", B(0x66, 0x0f, 0xa2), 3, SVM_EXIT_CPUID, false, 3 },
	{ "rdmsr_2e_3e", B(0x2e, 0x3e, 0x0f, 0x32), 4, SVM_EXIT_MSR, false, 4 },
	{ "wrmsr_rexw", B(0x48, 0x0f, 0x30), 3, SVM_EXIT_MSR, true, 3 },
	{ "vmmcall_66_rex", B(0x66, 0x41, 0x0f, 0x01, 0xd9), 5, SVM_EXIT_VMMCALL, true, 5 },
	{ "hlt_all_prefixes", B(0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65, 0xf4),
	  12, SVM_EXIT_HLT, false, 12 },
	{ "hlt_14_prefixes", B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
			       0x66, 0x66, 0xf4), 15, SVM_EXIT_HLT, false, 15 },
	{ "hlt_13_prefixes_rex", B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
				   0x66, 0x66, 0x48, 0xf4), 15, SVM_EXIT_HLT, true, 15 },
	{ "hlt_15_prefixes", B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
			       0x66, 0x66, 0x66, 0xf4), 16, SVM_EXIT_HLT, false, -1 },
	{ "pause_rexw", B(0xf3, 0x48, 0x90), 3, SVM_EXIT_PAUSE, true, 3 },
	{ "pause_66_f3", B(0x66, 0xf3, 0x90), 3, SVM_EXIT_PAUSE, false, 3 },
	{ "rdtscp_rex", B(0x40, 0x0f, 0x01, 0xf9), 4, SVM_EXIT_RDTSCP, true, 4 },

	/* REX outside 64-bit mode is INC/DEC; two REX or REX before a prefix are refused. */
	{ "rex_in_32bit", B(0x48, 0x0f, 0xa2), 3, SVM_EXIT_CPUID, false, -1 },
	{ "two_rex", B(0x48, 0x48, 0x0f, 0xa2), 4, SVM_EXIT_CPUID, true, -1 },
	{ "rex_then_prefix", B(0x48, 0x66, 0x0f, 0xa2), 4, SVM_EXIT_CPUID, true, -1 },

	/* Wrong opcode for the exit. */
	{ "nop_is_not_pause", B(0x90), 1, SVM_EXIT_PAUSE, true, -1 },
	{ "xchg_r8_is_not_pause", B(0xf3, 0x41, 0x90), 3, SVM_EXIT_PAUSE, true, -1 },
	{ "cpuid_for_hlt", B(0x0f, 0xa2), 2, SVM_EXIT_HLT, true, -1 },
	{ "hlt_for_cpuid", B(0xf4), 1, SVM_EXIT_CPUID, true, -1 },
	{ "rdtsc_for_msr", B(0x0f, 0x31), 2, SVM_EXIT_MSR, true, -1 },
	{ "vmrun_for_vmmcall", B(0x0f, 0x01, 0xd8), 3, SVM_EXIT_VMMCALL, true, -1 },
	{ "vmmcall_for_vmrun", B(0x0f, 0x01, 0xd9), 3, SVM_EXIT_VMRUN, true, -1 },
	{ "vmcall_intel", B(0x0f, 0x01, 0xc1), 3, SVM_EXIT_VMMCALL, true, -1 },
	{ "mwait_for_monitor", B(0x0f, 0x01, 0xc9), 3, SVM_EXIT_MONITOR, true, -1 },
	{ "unhandled_exit", B(0x0f, 0xa2), 2, SVM_EXIT_IOIO, true, -1 },
	{ "npf_exit", B(0x89, 0x03), 2, SVM_EXIT_NPF, true, -1 },
	{ "swapgs_for_invlpg", B(0x0f, 0x01, 0xf8), 3, SVM_EXIT_INVLPG, true, -1 },
	{ "invlpg_wrong_reg", B(0x0f, 0x01, 0x30), 3, SVM_EXIT_INVLPG, true, -1 },

	/* Truncated. */
	{ "empty", B(0), 0, SVM_EXIT_HLT, true, -1 },
	{ "cpuid_1_byte", B(0x0f, 0xa2), 1, SVM_EXIT_CPUID, true, -1 },
	{ "vmmcall_2_bytes", B(0x0f, 0x01, 0xd9), 2, SVM_EXIT_VMMCALL, true, -1 },
	{ "prefix_only", B(0x66, 0xf4), 1, SVM_EXIT_HLT, true, -1 },
	{ "rex_only", B(0x48, 0xf4), 1, SVM_EXIT_HLT, true, -1 },
	{ "invlpg_missing_disp", B(0x0f, 0x01, 0xb8, 0x00, 0x10, 0x00), 6, SVM_EXIT_INVLPG, true, -1 },
	{ "invlpg_missing_sib", B(0x0f, 0x01, 0x3c), 3, SVM_EXIT_INVLPG, true, -1 },

	/* INVLPG 0F 01 /7 with memory operands. */
	{ "invlpg_rax", B(0x0f, 0x01, 0x38), 3, SVM_EXIT_INVLPG, true, 3 },
	{ "invlpg_rip_rel", B(0x0f, 0x01, 0x3d, 0x78, 0x56, 0x34, 0x12), 7, SVM_EXIT_INVLPG, true, 7 },
	{ "invlpg_disp32_32bit", B(0x0f, 0x01, 0x3d, 0x00, 0x00, 0x10, 0x00), 7, SVM_EXIT_INVLPG, false, 7 },
	{ "invlpg_disp8", B(0x0f, 0x01, 0x7b, 0x10), 4, SVM_EXIT_INVLPG, true, 4 },
	{ "invlpg_disp32_base", B(0x0f, 0x01, 0xbb, 0x00, 0x10, 0x00, 0x00), 7, SVM_EXIT_INVLPG, true, 7 },
	{ "invlpg_sib", B(0x0f, 0x01, 0x3c, 0x24), 4, SVM_EXIT_INVLPG, true, 4 },
	{ "invlpg_sib_disp8", B(0x0f, 0x01, 0x7c, 0x88, 0x08), 5, SVM_EXIT_INVLPG, true, 5 },
	{ "invlpg_sib_nobase", B(0x0f, 0x01, 0x3c, 0x8d, 0x00, 0x20, 0x00, 0x00), 8, SVM_EXIT_INVLPG, true, 8 },
	{ "invlpg_sib_rbp_disp8", B(0x0f, 0x01, 0x7c, 0x25, 0x08), 5, SVM_EXIT_INVLPG, true, 5 },
	{ "invlpg_rex_r9", B(0x41, 0x0f, 0x01, 0x39), 4, SVM_EXIT_INVLPG, true, 4 },
	{ "invlpg_67_in_64", B(0x67, 0x0f, 0x01, 0x3d, 1, 2, 3, 4), 8, SVM_EXIT_INVLPG, true, 8 },
	/* 16-bit addressing (0x67 outside 64-bit mode). */
	{ "invlpg_a16_bx_si", B(0x67, 0x0f, 0x01, 0x38), 4, SVM_EXIT_INVLPG, false, 4 },
	{ "invlpg_a16_disp16", B(0x67, 0x0f, 0x01, 0x3e, 0x34, 0x12), 6, SVM_EXIT_INVLPG, false, 6 },
	{ "invlpg_a16_bp_disp8", B(0x67, 0x0f, 0x01, 0x7e, 0x04), 5, SVM_EXIT_INVLPG, false, 5 },
	{ "invlpg_a16_bx_disp16", B(0x67, 0x0f, 0x01, 0xbf, 0x00, 0x10), 6, SVM_EXIT_INVLPG, false, 6 },
	{ "invlpg_a16_no_sib", B(0x67, 0x0f, 0x01, 0x3c, 0x24), 5, SVM_EXIT_INVLPG, false, 4 },
	{ "invlpg_15_bytes", B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x0f, 0x01, 0xbc, 0x24,
			       0x00, 0x00, 0x00, 0x00, 0x90), 16, SVM_EXIT_INVLPG, true, 15 },
	{ "invlpg_16_bytes", B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x0f, 0x01, 0xbc, 0x24,
			       0x00, 0x00, 0x00, 0x00), 16, SVM_EXIT_INVLPG, true, -1 },
};

TEST(insn_exit_lengths)
{
	unsigned i;
	char what[96];

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct insn_case *c = &cases[i];
		int len = insn_length_for_exit(c->bytes, c->avail, c->exit, c->lm);

		if (len != c->len) {
			snprintf(what, sizeof(what), "case %s: length", c->what);
			unit_check_eq((u64)(s64)c->len, (u64)(s64)len, what, __FILE__, __LINE__);
		}
	}
}

struct modrm_case {
	const char *what;
	u8 bytes[8];
	unsigned avail;
	bool addr32, lm;
	int len;
};

static const struct modrm_case modrm_cases[] = {
	{ "reg", B(0xc0), 1, true, true, 1 },
	{ "reg_a16", B(0xc3), 1, false, false, 1 },
	{ "[eax]", B(0x00), 1, true, false, 1 },
	{ "[ebp+disp8]", B(0x45, 0x10), 2, true, false, 2 },
	{ "[disp32]", B(0x05, 0, 0, 0, 0), 5, true, false, 5 },
	{ "[rip+disp32]", B(0x05, 0, 0, 0, 0), 5, true, true, 5 },
	{ "[eax+disp32]", B(0x80, 0, 0, 0, 0), 5, true, false, 5 },
	{ "[sib]", B(0x04, 0x24), 2, true, true, 2 },
	{ "[sib+disp8]", B(0x44, 0x24, 0x08), 3, true, true, 3 },
	{ "[sib+disp32]", B(0x84, 0x24, 0, 0, 0, 0), 6, true, true, 6 },
	{ "[sib nobase+disp32]", B(0x04, 0x25, 0, 0, 0, 0), 6, true, true, 6 },
	{ "[sib rbp+disp8]", B(0x44, 0x25, 0x08), 3, true, true, 3 },
	{ "[bx+si]", B(0x00), 1, false, false, 1 },
	{ "[disp16]", B(0x06, 0x34, 0x12), 3, false, false, 3 },
	{ "[bp+disp8]", B(0x46, 0x04), 2, false, false, 2 },
	{ "[bx+disp16]", B(0x87, 0x00, 0x10), 3, false, false, 3 },
	{ "a16 rm=4 has no sib", B(0x04, 0x24), 2, false, false, 1 },
	{ "a16 rm=5 has no disp", B(0x05), 1, false, false, 1 },
	{ "long mode ignores a16", B(0x06, 0x34, 0x12), 3, false, true, 1 },
	{ "long mode rm=5", B(0x05, 1, 2, 3, 4), 5, false, true, 5 },
	{ "truncated: nothing", B(0), 0, true, true, -1 },
	{ "truncated: sib", B(0x04), 1, true, true, -1 },
	{ "truncated: disp32", B(0x05, 0, 0), 3, true, false, -1 },
	{ "truncated: sib disp32", B(0x04, 0x25, 0, 0, 0), 5, true, true, -1 },
	{ "truncated: disp16", B(0x06, 0x34), 2, false, false, -1 },
	{ "truncated: disp8", B(0x45), 1, true, true, -1 },
};

TEST(insn_modrm_lengths)
{
	unsigned i;
	char what[96];

	for (i = 0; i < ARRAY_SIZE(modrm_cases); i++) {
		const struct modrm_case *c = &modrm_cases[i];
		int len = insn_modrm_length(c->bytes, c->avail, c->addr32, c->lm);

		if (len != c->len) {
			snprintf(what, sizeof(what), "case %s: length", c->what);
			unit_check_eq((u64)(s64)c->len, (u64)(s64)len, what, __FILE__, __LINE__);
		}
	}
}
