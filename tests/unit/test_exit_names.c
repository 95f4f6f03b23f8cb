/*
 * tests/unit/test_exit_names.c - #VMEXIT names and counter indices.
 *
 * Codes from APM Vol 2 Appendix C "SVM Intercept Exit Codes".  The names are part of
 * the result-line contract (EXITS lines parsed by run.sh and the integration
 * tests) and the indices size the per-exit counters: a failure means a
 * counter lands in the wrong slot or a result line changes its wording.
 */
#include <ctype.h>
#include <string.h>

#include "tests/unit/unit.h"
#include "svm/exit_names.h"
#include "svm/vmcb.h"

TEST(exit_names_known)
{
	static const struct { u64 code; const char *name; } t[] = {
		{ SVM_EXIT_CPUID, "cpuid" }, { SVM_EXIT_MSR, "msr" }, { SVM_EXIT_IOIO, "ioio" },
		{ SVM_EXIT_HLT, "hlt" }, { SVM_EXIT_VMMCALL, "vmmcall" }, { SVM_EXIT_NPF, "npf" },
		{ SVM_EXIT_INTR, "intr" }, { SVM_EXIT_NMI, "nmi" }, { SVM_EXIT_VINTR, "vintr" },
		{ SVM_EXIT_SHUTDOWN, "shutdown" }, { SVM_EXIT_VMRUN, "vmrun" },
		{ SVM_EXIT_VMLOAD, "vmload" }, { SVM_EXIT_VMSAVE, "vmsave" }, { SVM_EXIT_STGI, "stgi" },
		{ SVM_EXIT_CLGI, "clgi" }, { SVM_EXIT_SKINIT, "skinit" }, { SVM_EXIT_INVLPGA, "invlpga" },
		{ SVM_EXIT_RDTSC, "rdtsc" }, { SVM_EXIT_PAUSE, "pause" },
		{ SVM_EXIT_WRITE_CR0, "cr0_write" }, { SVM_EXIT_READ_CR0, "cr0_read" },
		{ 0x1f, "cr15_write" }, { 0x23, "dr3_read" }, { 0x37, "dr7_write" },
		{ SVM_EXIT_EXCP_BASE + 0, "excp_de" }, { SVM_EXIT_EXCP_BASE + 6, "excp_ud" },
		{ SVM_EXIT_EXCP_BASE + 13, "excp_gp" }, { SVM_EXIT_EXCP_BASE + 14, "excp_pf" },
		{ SVM_EXIT_EXCP_BASE + 18, "excp_mc" }, { SVM_EXIT_EXCP_BASE + 1, "excp_db" },
		{ SVM_EXIT_EXCP_BASE + 9, "excp_09" }, { SVM_EXIT_EXCP_BASE + 31, "excp_31" },
		{ SVM_EXIT_CR0_WRITE_TRAP, "cr0_write_trap" }, { 0x9f, "cr15_write_trap" },
		{ SVM_EXIT_EFER_WRITE_TRAP, "efer_write_trap" }, { SVM_EXIT_INVPCID, "invpcid" },
		{ 0xa6, "idle_hlt" },
		{ SVM_EXIT_AVIC_INCOMPLETE_IPI, "avic_incomplete_ipi" },
		{ SVM_EXIT_AVIC_UNACCELERATED_ACCESS, "avic_unaccelerated_access" },
		{ SVM_EXIT_VMGEXIT, "vmgexit" },
		{ SVM_EXIT_INVALID, "invalid" }, { 0xffffffffULL, "invalid" },
		{ 0xa7, "unknown" }, { 0xff, "unknown" }, { 0x100, "unknown" }, { 0x3ff, "unknown" },
		{ 0x404, "unknown" }, { (u64)-2, "unknown" }, { 0xfffffffeULL, "unknown" },
		{ 0x1ffffffffULL, "invalid" },
	};
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(t); i++)
		CHECK_STR_EQ(t[i].name, svm_exit_name(t[i].code));
}

/* Names are short lowercase identifiers and no two codes share one. */
TEST(exit_names_well_formed_unique)
{
	static const char *seen[0x100 + 4];
	unsigned n = 0, i, j;
	u64 code;

	for (code = 0; code < 0x404; code++) {
		const char *name = svm_exit_name(code);
		const char *c;

		CHECK(name != NULL);
		CHECK(strlen(name) > 0 && strlen(name) < 32);
		for (c = name; *c; c++)
			CHECK(islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '_');
		if (!strcmp(name, "unknown"))
			continue;
		CHECK(n < ARRAY_SIZE(seen));
		seen[n++] = name;
	}
	CHECK(n > 0x60 + 0x40);                 /* crdr + exceptions + the rest */
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (!strcmp(seen[i], seen[j]))
				unit_fail(__FILE__, __LINE__, "duplicate name", seen[i]);
}

TEST(exit_is_invalid)
{
	CHECK(svm_exit_is_invalid(SVM_EXIT_INVALID));
	CHECK(svm_exit_is_invalid(0xffffffffULL));
	CHECK(!svm_exit_is_invalid((u64)-2));
	CHECK(!svm_exit_is_invalid(0));
	CHECK(!svm_exit_is_invalid(0xffffffff00000000ULL));
}

TEST(exit_index_mapping)
{
	int i;

	CHECK_EQ(0x106, SVM_EXIT_INDEX_MAX);
	CHECK_EQ(0, svm_exit_index(0));
	CHECK_EQ(0x72, svm_exit_index(SVM_EXIT_CPUID));
	CHECK_EQ(0xff, svm_exit_index(0xff));
	CHECK_EQ(0x100, svm_exit_index(SVM_EXIT_NPF));
	CHECK_EQ(0x101, svm_exit_index(SVM_EXIT_AVIC_INCOMPLETE_IPI));
	CHECK_EQ(0x102, svm_exit_index(SVM_EXIT_AVIC_UNACCELERATED_ACCESS));
	CHECK_EQ(0x103, svm_exit_index(SVM_EXIT_VMGEXIT));
	CHECK_EQ(0x104, svm_exit_index(SVM_EXIT_INVALID));
	CHECK_EQ(0x104, svm_exit_index(0xffffffffULL));
	CHECK_EQ(0x105, svm_exit_index(0x100));
	CHECK_EQ(0x105, svm_exit_index(0x3ff));
	CHECK_EQ(0x105, svm_exit_index(0x404));
	CHECK_EQ(0x105, svm_exit_index((u64)-2));
	CHECK_EQ(0x105, svm_exit_index(0x1000000000ULL));

	CHECK_EQ(0x72, svm_exit_code_of_index(0x72));
	CHECK_EQ(0x400, svm_exit_code_of_index(0x100));
	CHECK_EQ(0x403, svm_exit_code_of_index(0x103));
	CHECK_EQ(SVM_EXIT_INVALID, svm_exit_code_of_index(0x104));
	CHECK_STR_EQ("unknown", svm_exit_name(svm_exit_code_of_index(SVM_EXIT_INDEX_OTHER)));
	CHECK_EQ(SVM_EXIT_OTHER_CODE, svm_exit_code_of_index(-1));
	CHECK_EQ(SVM_EXIT_OTHER_CODE, svm_exit_code_of_index(SVM_EXIT_INDEX_MAX));

	/* Every index round-trips and stays in range. */
	for (i = 0; i < SVM_EXIT_INDEX_MAX; i++) {
		u64 code = svm_exit_code_of_index(i);

		CHECK_EQ(i, svm_exit_index(code));
	}
}
