/*
 * tests/unit/test_vmcb_layout.c - the VMCB layout of svm/vmcb.h at run time.
 *
 * APM Vol 2 Appendix B, Table B-1 "VMCB Layout, Control Area" and Table B-2
 * "VMCB Layout, State Save Area".  svm/vmcb.h already checks these with
 * _Static_assert; this repeats them through a real object so that a header
 * edited under #ifdef, or a compiler that lays the struct out differently
 * for the host, still fails here.  A failure means VMRUN would read the
 * wrong field on hardware.
 */
#include <string.h>

#include "tests/unit/unit.h"
#include "svm/vmcb.h"

#define OFF(field) ((u64)((const u8 *)&v->field - (const u8 *)v))

TEST(vmcb_layout_control)
{
	static struct vmcb vmcb;
	struct vmcb *volatile vp = &vmcb;
	struct vmcb *v = vp;

	CHECK_EQ(0x000, OFF(control.intercept_cr));
	CHECK_EQ(0x004, OFF(control.intercept_dr));
	CHECK_EQ(0x008, OFF(control.intercept_exceptions));
	CHECK_EQ(0x00c, OFF(control.intercept_misc1));
	CHECK_EQ(0x010, OFF(control.intercept_misc2));
	CHECK_EQ(0x014, OFF(control.intercept_misc3));
	CHECK_EQ(0x03c, OFF(control.pause_filter_thresh));
	CHECK_EQ(0x03e, OFF(control.pause_filter_count));
	CHECK_EQ(0x040, OFF(control.iopm_base_pa));
	CHECK_EQ(0x048, OFF(control.msrpm_base_pa));
	CHECK_EQ(0x050, OFF(control.tsc_offset));
	CHECK_EQ(0x058, OFF(control.asid));
	CHECK_EQ(0x05c, OFF(control.tlb_control));
	CHECK_EQ(0x060, OFF(control.int_ctl));
	CHECK_EQ(0x064, OFF(control.int_vector));
	CHECK_EQ(0x068, OFF(control.int_state));
	CHECK_EQ(0x070, OFF(control.exit_code));
	CHECK_EQ(0x078, OFF(control.exit_info_1));
	CHECK_EQ(0x080, OFF(control.exit_info_2));
	CHECK_EQ(0x088, OFF(control.exit_int_info));
	CHECK_EQ(0x090, OFF(control.misc_ctl));
	CHECK_EQ(0x098, OFF(control.avic_apic_bar));
	CHECK_EQ(0x0a0, OFF(control.ghcb_gpa));
	CHECK_EQ(0x0a8, OFF(control.event_inj));
	CHECK_EQ(0x0b0, OFF(control.n_cr3));
	CHECK_EQ(0x0b8, OFF(control.virt_ext));
	CHECK_EQ(0x0c0, OFF(control.clean));
	CHECK_EQ(0x0c8, OFF(control.next_rip));
	CHECK_EQ(0x0d0, OFF(control.insn_len));
	CHECK_EQ(0x0d1, OFF(control.insn_bytes));
	CHECK_EQ(15, sizeof(v->control.insn_bytes));
	CHECK_EQ(0x0e0, OFF(control.avic_backing_page));
	CHECK_EQ(0x0f0, OFF(control.avic_logical_id));
	CHECK_EQ(0x0f8, OFF(control.avic_physical_id));
	CHECK_EQ(0x108, OFF(control.vmsa_pa));
	CHECK_EQ(0x3e0, OFF(control.software_use));
	CHECK_EQ(0x400, sizeof(struct vmcb_control));
}

TEST(vmcb_layout_save)
{
	static struct vmcb vmcb;
	struct vmcb *volatile vp = &vmcb;
	struct vmcb *v = vp;

	CHECK_EQ(0x400, OFF(save.es));
	CHECK_EQ(0x410, OFF(save.cs));
	CHECK_EQ(0x420, OFF(save.ss));
	CHECK_EQ(0x430, OFF(save.ds));
	CHECK_EQ(0x440, OFF(save.fs));
	CHECK_EQ(0x450, OFF(save.gs));
	CHECK_EQ(0x460, OFF(save.gdtr));
	CHECK_EQ(0x470, OFF(save.ldtr));
	CHECK_EQ(0x480, OFF(save.idtr));
	CHECK_EQ(0x490, OFF(save.tr));
	CHECK_EQ(0x4cb, OFF(save.cpl));
	CHECK_EQ(0x4d0, OFF(save.efer));
	CHECK_EQ(0x548, OFF(save.cr4));
	CHECK_EQ(0x550, OFF(save.cr3));
	CHECK_EQ(0x558, OFF(save.cr0));
	CHECK_EQ(0x560, OFF(save.dr7));
	CHECK_EQ(0x568, OFF(save.dr6));
	CHECK_EQ(0x570, OFF(save.rflags));
	CHECK_EQ(0x578, OFF(save.rip));
	CHECK_EQ(0x5d8, OFF(save.rsp));
	CHECK_EQ(0x5e0, OFF(save.s_cet));
	CHECK_EQ(0x5e8, OFF(save.ssp));
	CHECK_EQ(0x5f0, OFF(save.isst_addr));
	CHECK_EQ(0x5f8, OFF(save.rax));
	CHECK_EQ(0x600, OFF(save.star));
	CHECK_EQ(0x608, OFF(save.lstar));
	CHECK_EQ(0x610, OFF(save.cstar));
	CHECK_EQ(0x618, OFF(save.sfmask));
	CHECK_EQ(0x620, OFF(save.kernel_gs_base));
	CHECK_EQ(0x628, OFF(save.sysenter_cs));
	CHECK_EQ(0x630, OFF(save.sysenter_esp));
	CHECK_EQ(0x638, OFF(save.sysenter_eip));
	CHECK_EQ(0x640, OFF(save.cr2));
	CHECK_EQ(0x668, OFF(save.g_pat));
	CHECK_EQ(0x670, OFF(save.dbgctl));
	CHECK_EQ(0x678, OFF(save.br_from));
	CHECK_EQ(0x680, OFF(save.br_to));
	CHECK_EQ(0x688, OFF(save.last_excp_from));
	CHECK_EQ(0x690, OFF(save.last_excp_to));
	CHECK_EQ(0x6e0, OFF(save.spec_ctrl));
	CHECK_EQ(4096, sizeof(struct vmcb));
}

/* The segment format: selector +0, attrib +2, limit +4, base +8 (Table B-2). */
TEST(vmcb_layout_segment)
{
	struct vmcb_seg s;
	u8 raw[16];

	memset(&s, 0, sizeof(s));
	s.selector = 0x1234;
	s.attrib = 0x0a9b;
	s.limit = 0xffffffff;
	s.base = 0x1122334455667788ULL;
	memcpy(raw, &s, sizeof(raw));
	CHECK_EQ(16, sizeof(s));
	CHECK_EQ(0x34, raw[0]);
	CHECK_EQ(0x12, raw[1]);
	CHECK_EQ(0x9b, raw[2]);
	CHECK_EQ(0x0a, raw[3]);
	CHECK_EQ(0xff, raw[4]);
	CHECK_EQ(0x88, raw[8]);
	CHECK_EQ(0x11, raw[15]);
}

/* Bits the hypervisor depends on (Table B-1; EVENTINJ: §15.20 "Event Injection"). */
TEST(vmcb_layout_bits)
{
	CHECK_EQ(0x1, INTERCEPT2_VMRUN);
	CHECK_EQ(BIT(28), INTERCEPT_MSR_PROT);
	CHECK_EQ(BIT(27), INTERCEPT_IOIO_PROT);
	CHECK_EQ(BIT(18), INTERCEPT_CPUID);
	CHECK_EQ(BIT(24), INTERCEPT_HLT);
	CHECK_EQ(BIT(31), INTERCEPT_SHUTDOWN);
	CHECK_EQ(BIT(24), V_INTR_MASKING_MASK);
	CHECK_EQ(BIT(31), AVIC_ENABLE_MASK);
	CHECK_EQ(BIT(30), X2APIC_MODE_MASK);
	CHECK_EQ(0x80000b0dULL, SVM_EVTINJ_VALID | SVM_EVTINJ_VALID_ERR | SVM_EVTINJ_TYPE_EXEPT | 13);
	CHECK_EQ(0x7b, SVM_EXIT_IOIO);
	CHECK_EQ(0x400, SVM_EXIT_NPF);
	CHECK_EQ(~0ULL, SVM_EXIT_INVALID);
}
