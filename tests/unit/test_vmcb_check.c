/*
 * tests/unit/test_vmcb_check.c - software VMRUN consistency checks and the
 * VMCB dump.
 *
 * APM Vol 2 §15.5.1 "Basic Operation" (the list headed "Canonicalization and
 * Consistency Checks").  Two known-good guest states (the 64-bit and flat
 * 32-bit states that run under QEMU TCG) must give no problem, and each
 * rule broken alone must give exactly one problem naming the right field.
 * A failure means a VMEXIT_INVALID would be explained wrongly, or a good
 * state reported as bad.
 */
#include <stdio.h>
#include <string.h>

#include "tests/unit/unit.h"
#include "svm/vmcb_check.h"
#include "svm/msrpm.h"
#include "lib/x86.h"

#define MPB 48

static void flat_seg(struct vmcb_seg *s, u16 sel, u16 attr)
{
	s->selector = sel;
	s->attrib = attr;
	s->limit = 0xffffffff;
	s->base = 0;
}

static void common_control(struct vmcb *v)
{
	v->control.intercept_misc1 = INTERCEPT_INTR | INTERCEPT_NMI | INTERCEPT_CPUID |
				     INTERCEPT_HLT | INTERCEPT_IOIO_PROT | INTERCEPT_MSR_PROT |
				     INTERCEPT_SHUTDOWN;
	v->control.intercept_misc2 = INTERCEPT2_VMRUN | INTERCEPT2_VMMCALL;
	v->control.asid = 1;
	v->control.iopm_base_pa = 0x200000;
	v->control.msrpm_base_pa = 0x210000;
	v->control.int_ctl = V_INTR_MASKING_MASK;
	v->control.misc_ctl = SVM_NESTED_CTL_NP_ENABLE;
	v->control.n_cr3 = 0x300000;
	v->save.dr6 = 0xffff0ff0;
	v->save.dr7 = 0x400;
	v->save.rflags = 0x2;
	v->save.g_pat = 0x0007040600070406ULL;
}

/* The 64-bit state that runs under QEMU TCG. */
static void state64(struct vmcb *v)
{
	memset(v, 0, sizeof(*v));
	common_control(v);
	flat_seg(&v->save.cs, 0x08, 0xa9b);
	flat_seg(&v->save.ss, 0x10, 0xc93);
	flat_seg(&v->save.ds, 0x10, 0xc93);
	flat_seg(&v->save.es, 0x10, 0xc93);
	v->save.cr0 = 0x80010033;
	v->save.cr3 = 0x1000;
	v->save.cr4 = 0x620;
	v->save.efer = 0x1d00;
	v->save.rip = 0x100000;
}

/* Flat 32-bit protected mode, paging off (lib/hv_abi.h entry state). */
static void state32(struct vmcb *v)
{
	memset(v, 0, sizeof(*v));
	common_control(v);
	flat_seg(&v->save.cs, 0x08, 0xc9b);
	flat_seg(&v->save.ss, 0x10, 0xc93);
	flat_seg(&v->save.ds, 0x10, 0xc93);
	flat_seg(&v->save.es, 0x10, 0xc93);
	v->save.cr0 = 0x11;
	v->save.efer = EFER_SVME;
	v->save.rip = 0x100000;
}

struct reports {
	unsigned n;
	char field[8][48];
	char problem[8][128];
};

static void collect(void *ctx, const char *field, const char *problem)
{
	struct reports *r = ctx;

	if (r->n < 8) {
		snprintf(r->field[r->n], sizeof(r->field[0]), "%s", field);
		snprintf(r->problem[r->n], sizeof(r->problem[0]), "%s", problem);
	}
	r->n++;
}

TEST(vmcb_check_valid_states)
{
	static struct vmcb v;
	struct reports r = { 0 };

	state64(&v);
	CHECK_EQ(0, vmcb_check_state(&v, MPB, collect, &r));
	CHECK_EQ(0, r.n);
	state32(&v);
	CHECK_EQ(0, vmcb_check_state(&v, MPB, collect, &r));
	CHECK_EQ(0, r.n);
	/* Real mode (CR0 0x10, CS attr 0x9b) is fine as well. */
	v.save.cr0 = 0x10;
	v.save.cs.attrib = 0x9b;
	CHECK_EQ(0, vmcb_check_state(&v, MPB, NULL, NULL));
}

struct rule_case {
	const char *name;
	bool is64;                      /* start from state64, else state32 */
	void (*mutate)(struct vmcb *v);
	const char *field;              /* NULL: the change is legal */
};

static void m_svme(struct vmcb *v) { v->save.efer &= ~EFER_SVME; }
static void m_efer_rsvd(struct vmcb *v) { v->save.efer |= BIT(1); }
static void m_efer_rsvd_hi(struct vmcb *v) { v->save.efer |= BIT(40); }
static void m_nw_no_cd(struct vmcb *v) { v->save.cr0 |= CR0_NW; }
static void m_nw_cd(struct vmcb *v) { v->save.cr0 |= CR0_NW | CR0_CD; }
static void m_cd_only(struct vmcb *v) { v->save.cr0 |= CR0_CD; }
static void m_cr0_hi(struct vmcb *v) { v->save.cr0 |= BIT(32); }
static void m_cr3_above(struct vmcb *v) { v->save.cr3 |= BIT(MPB); }
static void m_cr3_63(struct vmcb *v) { v->save.cr3 |= BIT(63); }
static void m_cr3_below(struct vmcb *v) { v->save.cr3 |= BIT(MPB - 1); }
static void m_cr4_hi(struct vmcb *v) { v->save.cr4 |= BIT(32); }
static void m_cr4_vmxe(struct vmcb *v) { v->save.cr4 |= BIT(13); }
static void m_cr4_known(struct vmcb *v) { v->save.cr4 |= BIT(16) | BIT(18) | BIT(20) | BIT(7); }
static void m_cet_no_wp(struct vmcb *v) { v->save.cr4 |= BIT(23); }
static void m_dr6_hi(struct vmcb *v) { v->save.dr6 |= BIT(32); }
static void m_dr7_hi(struct vmcb *v) { v->save.dr7 |= BIT(40); }
static void m_no_pae(struct vmcb *v) { v->save.cr4 &= ~CR4_PAE; }
static void m_no_pe(struct vmcb *v) { v->save.cr0 &= ~CR0_PE; }
static void m_cs_l_d(struct vmcb *v) { v->save.cs.attrib |= SEG_ATTR_DB; }
static void m_no_vmrun(struct vmcb *v) { v->control.intercept_misc2 &= ~INTERCEPT2_VMRUN; }
static void m_asid0(struct vmcb *v) { v->control.asid = 0; }
static void m_msrpm_edge_ok(struct vmcb *v) { v->control.msrpm_base_pa = BIT(MPB) - MSRPM_SIZE; }
static void m_msrpm_beyond(struct vmcb *v) { v->control.msrpm_base_pa = BIT(MPB) - 0x1000; }
static void m_iopm_edge_ok(struct vmcb *v) { v->control.iopm_base_pa = BIT(MPB) - 0x3000 + 0xfff; }
static void m_iopm_beyond(struct vmcb *v) { v->control.iopm_base_pa = BIT(MPB) - 0x2000; }
static void m_evt_type1(struct vmcb *v) { v->control.event_inj = SVM_EVTINJ_VALID | (1 << 8) | 0x20; }
static void m_evt_type5(struct vmcb *v) { v->control.event_inj = SVM_EVTINJ_VALID | (5 << 8); }
static void m_evt_type7(struct vmcb *v) { v->control.event_inj = SVM_EVTINJ_VALID | (7 << 8); }
static void m_evt_excp2(struct vmcb *v) { v->control.event_inj = SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_EXEPT | 2; }
static void m_evt_excp32(struct vmcb *v) { v->control.event_inj = SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_EXEPT | 32; }
static void m_evt_gp(struct vmcb *v)
{
	v->control.event_inj = SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_EXEPT | SVM_EVTINJ_VALID_ERR | 13;
}
static void m_evt_nmi(struct vmcb *v) { v->control.event_inj = SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_NMI | 2; }
static void m_evt_intr(struct vmcb *v) { v->control.event_inj = SVM_EVTINJ_VALID | 0x30; }
static void m_evt_invalid_type(struct vmcb *v) { v->control.event_inj = (7 << 8) | 0xff; }
static void m_x2avic_only(struct vmcb *v) { v->control.int_ctl |= X2APIC_MODE_MASK; }
static void m_x2avic_avic(struct vmcb *v) { v->control.int_ctl |= X2APIC_MODE_MASK | AVIC_ENABLE_MASK; }
static void m_vnmi_no_intercept(struct vmcb *v)
{
	v->control.int_ctl |= V_NMI_ENABLE_MASK;
	v->control.intercept_misc1 &= ~INTERCEPT_NMI;
}
static void m_vnmi_ok(struct vmcb *v) { v->control.int_ctl |= V_NMI_ENABLE_MASK; }
static void m_avic_max255(struct vmcb *v)
{
	v->control.int_ctl |= AVIC_ENABLE_MASK;
	v->control.avic_physical_id = 0x400000 | 255;
}
static void m_avic_max256(struct vmcb *v)
{
	v->control.int_ctl |= AVIC_ENABLE_MASK;
	v->control.avic_physical_id = 0x400000 | 256;
}
static void m_x2avic_max300(struct vmcb *v)
{
	v->control.int_ctl |= AVIC_ENABLE_MASK | X2APIC_MODE_MASK;
	v->control.avic_physical_id = 0x400000 | 300;
}
static void m_avic_backing_beyond(struct vmcb *v)
{
	v->control.int_ctl |= AVIC_ENABLE_MASK;
	v->control.avic_backing_page = BIT(MPB);
}

static const struct rule_case cases[] = {
	{ "efer_svme_64", true, m_svme, "save.efer" },
	{ "efer_svme_32", false, m_svme, "save.efer" },
	{ "efer_reserved_bit1", true, m_efer_rsvd, "save.efer" },
	{ "efer_reserved_bit40", false, m_efer_rsvd_hi, "save.efer" },
	{ "cr0_nw_without_cd", false, m_nw_no_cd, "save.cr0" },
	{ "cr0_nw_with_cd", false, m_nw_cd, NULL },
	{ "cr0_cd_only", true, m_cd_only, NULL },
	{ "cr0_high", true, m_cr0_hi, "save.cr0" },
	{ "cr3_above_maxphys_64", true, m_cr3_above, "save.cr3" },
	{ "cr3_above_maxphys_32", false, m_cr3_above, "save.cr3" },
	{ "cr3_bit63", true, m_cr3_63, "save.cr3" },
	{ "cr3_below_maxphys", true, m_cr3_below, NULL },
	{ "cr4_high", true, m_cr4_hi, "save.cr4" },
	{ "cr4_vmxe", false, m_cr4_vmxe, "save.cr4" },
	{ "cr4_defined_bits", true, m_cr4_known, NULL },
	{ "cr4_cet_without_wp", false, m_cet_no_wp, "save.cr4" },
	{ "cr4_cet_with_wp", true, m_cet_no_wp, NULL },
	{ "dr6_high", true, m_dr6_hi, "save.dr6" },
	{ "dr7_high", false, m_dr7_hi, "save.dr7" },
	{ "long_mode_without_pae", true, m_no_pae, "save.cr4" },
	{ "long_mode_without_pe", true, m_no_pe, "save.cr0" },
	{ "long_mode_cs_l_and_d", true, m_cs_l_d, "save.cs" },
	{ "legacy_cs_l_and_d", false, m_cs_l_d, NULL },
	{ "vmrun_not_intercepted", true, m_no_vmrun, "control.intercept_misc2" },
	{ "asid_zero", false, m_asid0, "control.asid" },
	{ "msrpm_last_legal", true, m_msrpm_edge_ok, NULL },
	{ "msrpm_beyond_maxphys", true, m_msrpm_beyond, "control.msrpm_base_pa" },
	{ "iopm_last_legal", true, m_iopm_edge_ok, NULL },
	{ "iopm_beyond_maxphys", true, m_iopm_beyond, "control.iopm_base_pa" },
	{ "eventinj_type1", true, m_evt_type1, "control.event_inj" },
	{ "eventinj_type5", true, m_evt_type5, "control.event_inj" },
	{ "eventinj_type7", false, m_evt_type7, "control.event_inj" },
	{ "eventinj_exception_vector2", true, m_evt_excp2, "control.event_inj" },
	{ "eventinj_exception_vector32", true, m_evt_excp32, "control.event_inj" },
	{ "eventinj_gp_ok", true, m_evt_gp, NULL },
	{ "eventinj_nmi_ok", true, m_evt_nmi, NULL },
	{ "eventinj_intr_ok", false, m_evt_intr, NULL },
	{ "eventinj_not_valid_ignored", true, m_evt_invalid_type, NULL },
	{ "x2avic_without_avic", true, m_x2avic_only, "control.int_ctl" },
	{ "x2avic_with_avic", true, m_x2avic_avic, NULL },
	{ "vnmi_without_nmi_intercept", true, m_vnmi_no_intercept, "control.int_ctl" },
	{ "vnmi_with_nmi_intercept", true, m_vnmi_ok, NULL },
	{ "avic_max_index_255", true, m_avic_max255, NULL },
	{ "avic_max_index_256", true, m_avic_max256, "control.avic_physical_id" },
	{ "x2avic_max_index_300", true, m_x2avic_max300, NULL },
	{ "avic_backing_beyond", true, m_avic_backing_beyond, "control.avic_backing_page" },
};

static void run_case(const struct rule_case *c)
{
	static struct vmcb v;
	struct reports r;
	unsigned n;
	char what[160];

	memset(&r, 0, sizeof(r));
	if (c->is64)
		state64(&v);
	else
		state32(&v);
	c->mutate(&v);
	n = vmcb_check_state(&v, MPB, collect, &r);
	CHECK_EQ(r.n, n);
	snprintf(what, sizeof(what), "case %s: problems", c->name);
	if (n != (c->field ? 1u : 0u))
		unit_fail(__FILE__, __LINE__, what, n ? r.problem[0] : "none reported");
	if (c->field) {
		CHECK_STR_EQ(c->field, r.field[0]);
		CHECK(r.problem[0][0] != 0);
	}
}

TEST(vmcb_check_each_rule)
{
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		run_case(&cases[i]);
}

TEST(vmcb_check_messages)
{
	static struct vmcb v;
	struct reports r = { 0 };

	state64(&v);
	v.save.efer &= ~EFER_SVME;
	v.control.asid = 0;
	CHECK_EQ(2, vmcb_check_state(&v, MPB, collect, &r));
	CHECK_STR_EQ("save.efer", r.field[0]);
	CHECK_STR_EQ("SVME (bit 12) clear", r.problem[0]);
	CHECK_STR_EQ("control.asid", r.field[1]);

	/* max_phys_bits 0 or above 52 counts as 52. */
	state64(&v);
	v.save.cr3 |= BIT(51);
	CHECK_EQ(0, vmcb_check_state(&v, 0, NULL, NULL));
	CHECK_EQ(0, vmcb_check_state(&v, 60, NULL, NULL));
	CHECK_EQ(1, vmcb_check_state(&v, 40, NULL, NULL));
	v.save.cr3 |= BIT(52);
	CHECK_EQ(1, vmcb_check_state(&v, 0, NULL, NULL));
}

/* ---- vmcb_dump ---- */

struct dump {
	unsigned n;
	char lines[32][VMCB_DUMP_LINE_MAX];
};

static void dump_line(void *ctx, const char *line)
{
	struct dump *d = ctx;

	if (d->n < 32)
		snprintf(d->lines[d->n], sizeof(d->lines[0]), "%s", line);
	d->n++;
}

static const char *find_line(const struct dump *d, const char *prefix)
{
	unsigned i;

	for (i = 0; i < d->n && i < 32; i++)
		if (!strncmp(d->lines[i], prefix, strlen(prefix)))
			return d->lines[i];
	return NULL;
}

TEST(vmcb_dump_lines)
{
	static struct vmcb v;
	static struct dump d;
	unsigned i;

	state64(&v);
	v.control.exit_code = SVM_EXIT_SHUTDOWN;
	v.control.event_inj = SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_EXEPT | SVM_EVTINJ_VALID_ERR | 13;
	memset(&d, 0, sizeof(d));
	vmcb_dump(&v, dump_line, &d);

	CHECK(d.n >= 10);
	CHECK(d.n <= VMCB_DUMP_MAX_LINES);
	CHECK(d.n < 20);
	for (i = 0; i < d.n; i++) {
		CHECK(!strchr(d.lines[i], '\n'));
		CHECK(strlen(d.lines[i]) > 0);
		CHECK(strlen(d.lines[i]) < VMCB_DUMP_LINE_MAX - 1);
	}
	CHECK_STR_EQ("exit_code 0x7f (shutdown) info1 0x0 info2 0x0 exitintinfo 0x0", d.lines[0]);
	CHECK_STR_EQ("event_inj 0x80000b0d (valid, type exception, vector 13, error 0x0)",
		     find_line(&d, "event_inj"));
	CHECK_STR_EQ("cs sel 0x8 attr 0xa9b limit 0xffffffff base 0x0", find_line(&d, "cs "));
	CHECK_STR_EQ("cr0 0x80010033 cr2 0x0 cr3 0x1000 cr4 0x620 efer 0x1d00", find_line(&d, "cr0 "));
	CHECK(find_line(&d, "intercepts ") != NULL);
	CHECK(strstr(find_line(&d, "intercepts "),
		     "misc1 0x99040003 [intr nmi cpuid hlt ioio msr shutdown] misc2 0x3 [vmrun vmmcall]"));
	CHECK(strstr(find_line(&d, "int_ctl "), "V_INTR_MASKING=1"));
	CHECK(strstr(find_line(&d, "asid "), "asid 1 "));
	CHECK(strstr(find_line(&d, "asid "), "np_enable 1 n_cr3 0x300000"));
	CHECK(strstr(find_line(&d, "rip "), "rip 0x100000 "));
	CHECK(find_line(&d, "gdtr ") || find_line(&d, "gdtr"));
	CHECK(find_line(&d, "idtr") || strstr(find_line(&d, "gdtr"), "idtr"));
	CHECK(find_line(&d, "ss sel 0x10 attr 0xc93"));
	CHECK(find_line(&d, "tr sel"));
	CHECK(!find_line(&d, "exitintinfo 0x"));   /* only when valid */

	/* QEMU's zero-extended VMEXIT_INVALID; a valid EXITINTINFO gets its line. */
	v.control.exit_code = 0xffffffffULL;
	v.control.exit_int_info = SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_NMI | 2;
	v.control.event_inj = 0;
	memset(&d, 0, sizeof(d));
	vmcb_dump(&v, dump_line, &d);
	CHECK_STR_EQ("exit_code 0xffffffff (invalid) info1 0x0 info2 0x0 exitintinfo 0x80000202", d.lines[0]);
	CHECK_STR_EQ("event_inj 0x0 (none)", find_line(&d, "event_inj"));
	CHECK_STR_EQ("exitintinfo 0x80000202 (valid, type nmi, vector 2)", find_line(&d, "exitintinfo 0x"));
	CHECK(d.n < 20);
}
