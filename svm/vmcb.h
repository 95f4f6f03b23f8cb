/*
 * svm/vmcb.h - the Virtual Machine Control Block, laid out as AMD64 APM
 * Vol. 2 Appendix B: Table B-1 "VMCB Layout, Control Area" (int_ctl
 * included) and Table B-2 "VMCB Layout, State Save Area"; EVENTINJ as in
 * APM Vol 2 §15.20 "Event Injection".
 *
 * Only hardware layout lives here: no logic.  Every field carries its VMCB
 * offset; every offset the code uses is checked at build time below.
 */
#ifndef SVM_VMCB_H
#define SVM_VMCB_H

#include "lib/types.h"

struct vmcb_control {
	u32 intercept_cr;               /* +0x000 15:0 CR reads, 31:16 CR writes */
	u32 intercept_dr;               /* +0x004 15:0 DR reads, 31:16 DR writes */
	u32 intercept_exceptions;       /* +0x008 bit n: exception vector n */
	u32 intercept_misc1;            /* +0x00c vector 3, INTERCEPT_* below */
	u32 intercept_misc2;            /* +0x010 vector 4, INTERCEPT2_* below */
	u32 intercept_misc3;            /* +0x014 vector 5 */
	u8 reserved_0x018[0x03c - 0x018];
	u16 pause_filter_thresh;        /* +0x03c */
	u16 pause_filter_count;         /* +0x03e */
	u64 iopm_base_pa;               /* +0x040 */
	u64 msrpm_base_pa;              /* +0x048 */
	u64 tsc_offset;                 /* +0x050 */
	u32 asid;                       /* +0x058 */
	u8 tlb_control;                 /* +0x05c TLB_CONTROL_* */
	u8 reserved_0x05d[3];           /* +0x05d */
	u32 int_ctl;                    /* +0x060 V_TPR, V_IRQ, ... AVIC enable; see §1.7 */
	u32 int_vector;                 /* +0x064 V_INTR_VECTOR in bits 7:0 */
	u64 int_state;                  /* +0x068 bit 0 INTERRUPT_SHADOW */
	u64 exit_code;                  /* +0x070 */
	u64 exit_info_1;                /* +0x078 */
	u64 exit_info_2;                /* +0x080 */
	u64 exit_int_info;              /* +0x088 same format as EVENTINJ */
	u64 misc_ctl;                   /* +0x090 bit 0 NP_ENABLE */
	u64 avic_apic_bar;              /* +0x098 */
	u64 ghcb_gpa;                   /* +0x0a0 */
	u64 event_inj;                  /* +0x0a8 EVENTINJ, see §1.8 */
	u64 n_cr3;                      /* +0x0b0 nested page table root */
	u64 virt_ext;                   /* +0x0b8 LBR virtualization, vVMSAVE, ... */
	u32 clean;                      /* +0x0c0 VMCB clean bits */
	u32 reserved_0x0c4;             /* +0x0c4 */
	u64 next_rip;                   /* +0x0c8 nRIP (NRIPS only) */
	u8 insn_len;                    /* +0x0d0 bytes fetched (decode assists) */
	u8 insn_bytes[15];              /* +0x0d1 */
	u64 avic_backing_page;          /* +0x0e0 */
	u64 reserved_0x0e8;             /* +0x0e8 */
	u64 avic_logical_id;            /* +0x0f0 logical APIC ID table pointer */
	u64 avic_physical_id;           /* +0x0f8 physical APIC ID table pointer | MAX_INDEX in 11:0 */
	u64 reserved_0x100;             /* +0x100 */
	u64 vmsa_pa;                    /* +0x108 SEV-ES */
	u8 reserved_0x110[0x3e0 - 0x110];
	u8 software_use[0x400 - 0x3e0]; /* +0x3e0 reserved for the host's own use */
};

/* A segment register as the VMCB stores it (APM2 Table B-2). */
struct vmcb_seg {
	u16 selector;                   /* +0 */
	u16 attrib;                     /* +2 descriptor bits 47:40 -> 7:0, 55:52 -> 11:8 */
	u32 limit;                      /* +4 */
	u64 base;                       /* +8 */
};

/*
 * vmcb_seg.attrib bits, the descriptor attributes packed as above (APM Vol 2
 * §4.7 "Legacy-Mode Descriptors", §4.8 "Long-Mode Segment Descriptors").
 */
#define SEG_ATTR_TYPE_MASK      GENMASK(3, 0)
#define SEG_ATTR_S              BIT(4)  /* code or data, not system */
#define SEG_ATTR_DPL_MASK       GENMASK(6, 5)
#define SEG_ATTR_P              BIT(7)
#define SEG_ATTR_AVL            BIT(8)
#define SEG_ATTR_L              BIT(9)  /* CS: 64-bit code */
#define SEG_ATTR_DB             BIT(10) /* CS: default operand size 32 bits */
#define SEG_ATTR_G              BIT(11)

/* State-save area; offsets are VMCB offsets (Table B-2 offset + 0x400). */
struct vmcb_save {
	struct vmcb_seg es;             /* +0x400 */
	struct vmcb_seg cs;             /* +0x410 */
	struct vmcb_seg ss;             /* +0x420 */
	struct vmcb_seg ds;             /* +0x430 */
	struct vmcb_seg fs;             /* +0x440 */
	struct vmcb_seg gs;             /* +0x450 */
	struct vmcb_seg gdtr;           /* +0x460 limit and base only */
	struct vmcb_seg ldtr;           /* +0x470 */
	struct vmcb_seg idtr;           /* +0x480 limit and base only */
	struct vmcb_seg tr;             /* +0x490 */
	u8 reserved_0x4a0[0x4cb - 0x4a0];
	u8 cpl;                         /* +0x4cb */
	u32 reserved_0x4cc;             /* +0x4cc */
	u64 efer;                       /* +0x4d0 */
	u8 reserved_0x4d8[0x548 - 0x4d8]; /* +0x4d8 (PERF_CTL/CTR on newer parts from 0x4e0) */
	u64 cr4;                        /* +0x548 */
	u64 cr3;                        /* +0x550 */
	u64 cr0;                        /* +0x558 */
	u64 dr7;                        /* +0x560 */
	u64 dr6;                        /* +0x568 */
	u64 rflags;                     /* +0x570 */
	u64 rip;                        /* +0x578 */
	u8 reserved_0x580[0x5d8 - 0x580];
	u64 rsp;                        /* +0x5d8 */
	u64 s_cet;                      /* +0x5e0 */
	u64 ssp;                        /* +0x5e8 */
	u64 isst_addr;                  /* +0x5f0 */
	u64 rax;                        /* +0x5f8 */
	u64 star;                       /* +0x600 */
	u64 lstar;                      /* +0x608 */
	u64 cstar;                      /* +0x610 */
	u64 sfmask;                     /* +0x618 */
	u64 kernel_gs_base;             /* +0x620 */
	u64 sysenter_cs;                /* +0x628 */
	u64 sysenter_esp;               /* +0x630 */
	u64 sysenter_eip;               /* +0x638 */
	u64 cr2;                        /* +0x640 */
	u8 reserved_0x648[0x668 - 0x648];
	u64 g_pat;                      /* +0x668 guest PAT (nested paging) */
	u64 dbgctl;                     /* +0x670 */
	u64 br_from;                    /* +0x678 */
	u64 br_to;                      /* +0x680 */
	u64 last_excp_from;             /* +0x688 */
	u64 last_excp_to;               /* +0x690 */
	u8 reserved_0x698[0x6e0 - 0x698];
	u64 spec_ctrl;                  /* +0x6e0 */
	u8 reserved_0x6e8[0x1000 - 0x6e8];
};

/*
 * The segment registers of a vCPU the hypervisor (re)starts: cs, and data
 * for DS, ES, SS, FS and GS; GDTR and IDTR at base 0 limit 0xffff, LDTR a
 * present LDT and TR a present busy TSS, both at base 0 limit 0xffff (the
 * system registers as APM Vol 2 §14.1.3 "Processor Initialization State"
 * leaves them, TR marked busy as VMRUN expects).  For the entry state
 * (hv/vm.c) and for a STARTUP (hv/lapic_block.c).
 */
static inline void vmcb_save_set_segments(struct vmcb_save *s, struct vmcb_seg cs, struct vmcb_seg data)
{
	s->cs = cs;
	s->ds = data;
	s->es = data;
	s->ss = data;
	s->fs = data;
	s->gs = data;
	s->gdtr = (struct vmcb_seg){ .limit = 0xffff };
	s->idtr = (struct vmcb_seg){ .limit = 0xffff };
	s->ldtr = (struct vmcb_seg){ .attrib = 0x82, .limit = 0xffff };
	s->tr = (struct vmcb_seg){ .attrib = 0x8b, .limit = 0xffff };
}

struct vmcb {
	struct vmcb_control control;    /* +0x000 */
	struct vmcb_save save;          /* +0x400 */
};

#define VMCB_CHECK(type, field, off) \
	_Static_assert(offsetof(type, field) == (off), #type "." #field " must be at " #off)

VMCB_CHECK(struct vmcb_control, intercept_cr, 0x000);
VMCB_CHECK(struct vmcb_control, intercept_dr, 0x004);
VMCB_CHECK(struct vmcb_control, intercept_exceptions, 0x008);
VMCB_CHECK(struct vmcb_control, intercept_misc1, 0x00c);
VMCB_CHECK(struct vmcb_control, intercept_misc2, 0x010);
VMCB_CHECK(struct vmcb_control, intercept_misc3, 0x014);
VMCB_CHECK(struct vmcb_control, pause_filter_thresh, 0x03c);
VMCB_CHECK(struct vmcb_control, pause_filter_count, 0x03e);
VMCB_CHECK(struct vmcb_control, iopm_base_pa, 0x040);
VMCB_CHECK(struct vmcb_control, msrpm_base_pa, 0x048);
VMCB_CHECK(struct vmcb_control, tsc_offset, 0x050);
VMCB_CHECK(struct vmcb_control, asid, 0x058);
VMCB_CHECK(struct vmcb_control, tlb_control, 0x05c);
VMCB_CHECK(struct vmcb_control, int_ctl, 0x060);
VMCB_CHECK(struct vmcb_control, int_vector, 0x064);
VMCB_CHECK(struct vmcb_control, int_state, 0x068);
VMCB_CHECK(struct vmcb_control, exit_code, 0x070);
VMCB_CHECK(struct vmcb_control, exit_info_1, 0x078);
VMCB_CHECK(struct vmcb_control, exit_info_2, 0x080);
VMCB_CHECK(struct vmcb_control, exit_int_info, 0x088);
VMCB_CHECK(struct vmcb_control, misc_ctl, 0x090);
VMCB_CHECK(struct vmcb_control, avic_apic_bar, 0x098);
VMCB_CHECK(struct vmcb_control, event_inj, 0x0a8);
VMCB_CHECK(struct vmcb_control, n_cr3, 0x0b0);
VMCB_CHECK(struct vmcb_control, virt_ext, 0x0b8);
VMCB_CHECK(struct vmcb_control, clean, 0x0c0);
VMCB_CHECK(struct vmcb_control, next_rip, 0x0c8);
VMCB_CHECK(struct vmcb_control, insn_len, 0x0d0);
VMCB_CHECK(struct vmcb_control, insn_bytes, 0x0d1);
VMCB_CHECK(struct vmcb_control, avic_backing_page, 0x0e0);
VMCB_CHECK(struct vmcb_control, avic_logical_id, 0x0f0);
VMCB_CHECK(struct vmcb_control, avic_physical_id, 0x0f8);
VMCB_CHECK(struct vmcb_control, vmsa_pa, 0x108);
VMCB_CHECK(struct vmcb_control, software_use, 0x3e0);
_Static_assert(sizeof(struct vmcb_control) == 0x400, "VMCB control area is 1 KiB");
_Static_assert(sizeof(struct vmcb_seg) == 16, "VMCB segment is 16 bytes");

#define VMCB_SAVE_CHECK(field, off) \
	_Static_assert(offsetof(struct vmcb, save.field) == (off), "vmcb.save." #field " must be at " #off)
VMCB_SAVE_CHECK(es, 0x400);
VMCB_SAVE_CHECK(cs, 0x410);
VMCB_SAVE_CHECK(ss, 0x420);
VMCB_SAVE_CHECK(ds, 0x430);
VMCB_SAVE_CHECK(fs, 0x440);
VMCB_SAVE_CHECK(gs, 0x450);
VMCB_SAVE_CHECK(gdtr, 0x460);
VMCB_SAVE_CHECK(ldtr, 0x470);
VMCB_SAVE_CHECK(idtr, 0x480);
VMCB_SAVE_CHECK(tr, 0x490);
VMCB_SAVE_CHECK(cpl, 0x4cb);
VMCB_SAVE_CHECK(efer, 0x4d0);
VMCB_SAVE_CHECK(cr4, 0x548);
VMCB_SAVE_CHECK(cr3, 0x550);
VMCB_SAVE_CHECK(cr0, 0x558);
VMCB_SAVE_CHECK(dr7, 0x560);
VMCB_SAVE_CHECK(dr6, 0x568);
VMCB_SAVE_CHECK(rflags, 0x570);
VMCB_SAVE_CHECK(rip, 0x578);
VMCB_SAVE_CHECK(rsp, 0x5d8);
VMCB_SAVE_CHECK(rax, 0x5f8);
VMCB_SAVE_CHECK(star, 0x600);
VMCB_SAVE_CHECK(lstar, 0x608);
VMCB_SAVE_CHECK(cstar, 0x610);
VMCB_SAVE_CHECK(sfmask, 0x618);
VMCB_SAVE_CHECK(kernel_gs_base, 0x620);
VMCB_SAVE_CHECK(sysenter_cs, 0x628);
VMCB_SAVE_CHECK(sysenter_esp, 0x630);
VMCB_SAVE_CHECK(sysenter_eip, 0x638);
VMCB_SAVE_CHECK(cr2, 0x640);
VMCB_SAVE_CHECK(g_pat, 0x668);
VMCB_SAVE_CHECK(dbgctl, 0x670);
VMCB_SAVE_CHECK(last_excp_to, 0x690);
VMCB_SAVE_CHECK(spec_ctrl, 0x6e0);
_Static_assert(sizeof(struct vmcb) == 4096, "the VMCB is one 4 KiB page");

/*
 * VMCB clean bits, control offset 0x0c0 (APM Vol 2 §15.15.3 "VMCB Clean
 * Field", Figure 15-4): 1 = the group is unchanged since the last VMRUN
 * of this VMCB on this CPU.  Only those the run loop uses are named.
 */
#define VMCB_CLEAN_IOPM         BIT(1)  /* IOPM_BASE_PA, MSRPM_BASE_PA */
#define VMCB_CLEAN_ASID         BIT(2)
#define VMCB_CLEAN_NP           BIT(4)  /* NP_ENABLE, N_CR3, G_PAT */
#define VMCB_CLEAN_LBR          BIT(10)
#define VMCB_CLEAN_AVIC         BIT(11) /* AVIC_APIC_BAR, backing page, the two table pointers */

/* intercept_cr: bits 15:0 CR reads, 31:16 CR writes (APM Vol 2 Table B-1, offset 0x000) */
#define INTERCEPT_CR8_WRITE     BIT(16 + 8)

/* Intercept vector 3 (+0x00c), APM Vol 2 Table B-1 "VMCB Layout, Control Area". */
#define INTERCEPT_INTR          BIT(0)
#define INTERCEPT_NMI           BIT(1)
#define INTERCEPT_SMI           BIT(2)
#define INTERCEPT_INIT          BIT(3)
#define INTERCEPT_VINTR         BIT(4)
#define INTERCEPT_CR0_SEL_WRITE BIT(5)
#define INTERCEPT_RDTSC         BIT(14)
#define INTERCEPT_RDPMC         BIT(15)
#define INTERCEPT_CPUID         BIT(18)
#define INTERCEPT_RSM           BIT(19)
#define INTERCEPT_IRET          BIT(20)
#define INTERCEPT_INTN          BIT(21)
#define INTERCEPT_INVD          BIT(22)
#define INTERCEPT_PAUSE         BIT(23)
#define INTERCEPT_HLT           BIT(24)
#define INTERCEPT_INVLPG        BIT(25)
#define INTERCEPT_INVLPGA       BIT(26)
#define INTERCEPT_IOIO_PROT     BIT(27)
#define INTERCEPT_MSR_PROT      BIT(28)
#define INTERCEPT_TASK_SWITCH   BIT(29)
#define INTERCEPT_FERR_FREEZE   BIT(30)
#define INTERCEPT_SHUTDOWN      BIT(31)

/* Intercept vector 4 (+0x010). */
#define INTERCEPT2_VMRUN        BIT(0)  /* must be set, or VMRUN fails with VMEXIT_INVALID */
#define INTERCEPT2_VMMCALL      BIT(1)
#define INTERCEPT2_VMLOAD       BIT(2)
#define INTERCEPT2_VMSAVE       BIT(3)
#define INTERCEPT2_STGI         BIT(4)
#define INTERCEPT2_CLGI         BIT(5)
#define INTERCEPT2_SKINIT       BIT(6)
#define INTERCEPT2_RDTSCP       BIT(7)
#define INTERCEPT2_ICEBP        BIT(8)
#define INTERCEPT2_WBINVD       BIT(9)
#define INTERCEPT2_MONITOR      BIT(10)
#define INTERCEPT2_MWAIT        BIT(11)
#define INTERCEPT2_MWAIT_COND   BIT(12)
#define INTERCEPT2_XSETBV       BIT(13)
#define INTERCEPT2_RDPRU        BIT(14)
#define INTERCEPT2_EFER_WRITE   BIT(15)

/* TLB_CONTROL (+0x05c), APM Vol 2 §15.16.1 "TLB Flush", Table 15-9. */
#define TLB_CONTROL_DO_NOTHING          0x00
#define TLB_CONTROL_FLUSH_ALL           0x01
#define TLB_CONTROL_FLUSH_ASID          0x03
#define TLB_CONTROL_FLUSH_ASID_LOCAL    0x07

/*
 * int_ctl (+0x060), APM Vol 2 Table B-1 "VMCB Layout, Control Area"; the V_*
 * fields as in §15.21.4 "Injecting Virtual (INTR) Interrupts", vNMI in
 * §15.21.10 "NMI Virtualization", bits 31/30 in §15.29.4.1 "VMCB Virtual
 * Interrupt Control Word".
 */
#define V_TPR_MASK              GENMASK(3, 0)
#define V_IRQ_MASK              BIT(8)
#define V_GIF_MASK              BIT(9)
#define V_NMI_PENDING_MASK      BIT(11)
#define V_NMI_BLOCKING_MASK     BIT(12)
#define V_INTR_PRIO_SHIFT       16
#define V_INTR_PRIO_MASK        GENMASK(19, 16)
#define V_IGN_TPR_MASK          BIT(20)
#define V_INTR_MASKING_MASK     BIT(24)
#define V_GIF_ENABLE_MASK       BIT(25)
#define V_NMI_ENABLE_MASK       BIT(26)
#define X2APIC_MODE_MASK        BIT(30)
#define AVIC_ENABLE_MASK        BIT(31)

/* int_state (+0x068). */
#define SVM_INTERRUPT_SHADOW    BIT(0)

/* misc_ctl (+0x090). */
#define SVM_NESTED_CTL_NP_ENABLE BIT(0)

/*
 * EVENTINJ (+0x0a8) and EXITINTINFO (+0x088), one format: APM Vol 2 §15.20
 * "Event Injection" (Figure 15-5), §15.7.2 "Intercepts During IDT Interrupt
 * Delivery" (Figure 15-1).
 */
#define SVM_EVTINJ_VEC_MASK     GENMASK(7, 0)
#define SVM_EVTINJ_TYPE_SHIFT   8
#define SVM_EVTINJ_TYPE_MASK    GENMASK(10, 8)
#define SVM_EVTINJ_TYPE_INTR    (0ULL << 8)
#define SVM_EVTINJ_TYPE_NMI     (2ULL << 8)
#define SVM_EVTINJ_TYPE_EXEPT   (3ULL << 8)
#define SVM_EVTINJ_TYPE_SOFT    (4ULL << 8)
#define SVM_EVTINJ_VALID_ERR    BIT(11)
#define SVM_EVTINJ_VALID        BIT(31)
#define SVM_EVTINJ_ERR_SHIFT    32

/* Exit codes (+0x070), APM Vol 2 Appendix C, Table C-1 "SVM Intercept Codes". */
#define SVM_EXIT_READ_CR0       0x000
#define SVM_EXIT_WRITE_CR0      0x010
#define SVM_EXIT_READ_DR0       0x020
#define SVM_EXIT_WRITE_DR0      0x030
#define SVM_EXIT_EXCP_BASE      0x040   /* + vector */
#define SVM_EXIT_INTR           0x060
#define SVM_EXIT_NMI            0x061
#define SVM_EXIT_SMI            0x062
#define SVM_EXIT_INIT           0x063
#define SVM_EXIT_VINTR          0x064
#define SVM_EXIT_CR0_SEL_WRITE  0x065
#define SVM_EXIT_RDTSC          0x06e
#define SVM_EXIT_RDPMC          0x06f
#define SVM_EXIT_PUSHF          0x070
#define SVM_EXIT_POPF           0x071
#define SVM_EXIT_CPUID          0x072
#define SVM_EXIT_RSM            0x073
#define SVM_EXIT_IRET           0x074
#define SVM_EXIT_SWINT          0x075
#define SVM_EXIT_INVD           0x076
#define SVM_EXIT_PAUSE          0x077
#define SVM_EXIT_HLT            0x078
#define SVM_EXIT_INVLPG         0x079
#define SVM_EXIT_INVLPGA        0x07a
#define SVM_EXIT_IOIO           0x07b
#define SVM_EXIT_MSR            0x07c
#define SVM_EXIT_TASK_SWITCH    0x07d
#define SVM_EXIT_FERR_FREEZE    0x07e
#define SVM_EXIT_SHUTDOWN       0x07f
#define SVM_EXIT_VMRUN          0x080
#define SVM_EXIT_VMMCALL        0x081
#define SVM_EXIT_VMLOAD         0x082
#define SVM_EXIT_VMSAVE         0x083
#define SVM_EXIT_STGI           0x084
#define SVM_EXIT_CLGI           0x085
#define SVM_EXIT_SKINIT         0x086
#define SVM_EXIT_RDTSCP         0x087
#define SVM_EXIT_ICEBP          0x088
#define SVM_EXIT_WBINVD         0x089
#define SVM_EXIT_MONITOR        0x08a
#define SVM_EXIT_MWAIT          0x08b
#define SVM_EXIT_MWAIT_COND     0x08c
#define SVM_EXIT_XSETBV         0x08d
#define SVM_EXIT_RDPRU          0x08e
#define SVM_EXIT_EFER_WRITE_TRAP 0x08f
#define SVM_EXIT_CR0_WRITE_TRAP 0x090
#define SVM_EXIT_INVPCID        0x0a2
#define SVM_EXIT_NPF            0x400
#define SVM_EXIT_AVIC_INCOMPLETE_IPI 0x401
#define SVM_EXIT_AVIC_UNACCELERATED_ACCESS 0x402
#define SVM_EXIT_VMGEXIT        0x403
#define SVM_EXIT_INVALID        ((u64)-1)

/* IOIO EXITINFO1 (APM Vol 2 §15.10.2 "IN and OUT Behavior", Figure 15-2). */
#define SVM_IOIO_TYPE_IN        BIT(0)  /* IN; 0 = OUT */
#define SVM_IOIO_STR            BIT(2)  /* INS/OUTS */
#define SVM_IOIO_REP            BIT(3)
#define SVM_IOIO_SZ8            BIT(4)  /* operand size, one of the three set */
#define SVM_IOIO_SZ16           BIT(5)
#define SVM_IOIO_SZ32           BIT(6)
#define SVM_IOIO_A16            BIT(7)  /* address size of INS/OUTS */
#define SVM_IOIO_A32            BIT(8)
#define SVM_IOIO_A64            BIT(9)
#define SVM_IOIO_SEG_MASK       GENMASK(12, 10) /* segment of INS/OUTS, 0 = ES .. 5 = GS */
#define SVM_IOIO_PORT_SHIFT     16
#define SVM_IOIO_PORT_MASK      GENMASK(31, 16)

/* NPF EXITINFO1 (APM Vol 2 §15.25.6 "Nested versus Guest Page Faults, Fault Ordering"). */
#define SVM_NPF_P               BIT(0)
#define SVM_NPF_WRITE           BIT(1)
#define SVM_NPF_USER            BIT(2)
#define SVM_NPF_RSVD            BIT(3)
#define SVM_NPF_FETCH           BIT(4)
#define SVM_NPF_FINAL_GPA       BIT(32)
#define SVM_NPF_PAGE_WALK       BIT(33)

#endif
