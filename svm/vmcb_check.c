/*
 * svm/vmcb_check.c - software copy of the VMRUN consistency checks, and a
 * decoded VMCB dump.
 *
 * The checks follow APM Vol 2 §15.5.1 "Basic Operation" (the list headed
 * "Canonicalization and Consistency Checks"), plus §15.29.4 "VMCB Changes
 * for AVIC" and §15.21.10 "NMI Virtualization".  They only explain a failure after
 * the fact: the hardware remains the authority.  Not checked, on purpose:
 * CPU-feature-dependent reserved bits (we do not know the guest's CPUID
 * here), segment-register rules, and the CET state (S_CET, SSP).
 */
#include "svm/vmcb_check.h"
#include "svm/exit_names.h"
#include "svm/msrpm.h"
#include "svm/iopm.h"
#include "lib/x86.h"
#include "lib/printf.h"

#define CR4_CET                 BIT(23)

/*
 * CR4: APM Vol 2 §3.1.3 "CR4 Register" (Figure 3-7) defines bits 0-12
 * (VME .. LA57), 16 FSGSBASE, 17 PCIDE, 18 OSXSAVE, 20 SMEP, 21 SMAP,
 * 22 PKE and 23 CET.  Bits 13-15 and 19 are Intel's VMXE/SMXE/-/KL and
 * reserved on AMD; 24-31 and 63:32 are reserved.
 */
#define CR4_RESERVED            (GENMASK(63, 24) | BIT(19) | GENMASK(15, 13))

/*
 * EFER: the bits lib/x86.h defines (APM Vol 2 §3.1.7 "Extended Feature
 * Enable Register").  Newer parts define more (MCOMMIT 17, INTWB 18,
 * UAIE 20, AIBRSE 21); they are reported too, since a guest of this
 * hypervisor never gets them and a stray one is worth a line.
 */
#define EFER_DEFINED            (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | \
				 EFER_SVME | EFER_LMSLE | EFER_FFXSR | EFER_TCE)

#define AVIC_PHYSICAL_MAX_INDEX_MASK GENMASK(11, 0)

struct checker {
	vmcb_report_fn report;
	void *ctx;
	unsigned problems;
};

static void problem(struct checker *c, const char *field, const char *what)
{
	c->problems++;
	if (c->report)
		c->report(c->ctx, field, what);
}

static void problemf(struct checker *c, const char *field, const char *fmt, ...) __printf(3, 4);
static void problemf(struct checker *c, const char *field, const char *fmt, ...)
{
	char buf[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	problem(c, field, buf);
}

/* A structure of size bytes at pa (bits 11:0 ignored) must end below 2^bits. */
static bool beyond(u64 pa, u64 size, unsigned bits)
{
	u64 base = pa & ~(PAGE_SIZE - 1);
	u64 limit = BIT(bits);

	return base >= limit || size > limit - base;
}

unsigned vmcb_check_state(const struct vmcb *v, unsigned max_phys_bits,
			  vmcb_report_fn report, void *ctx)
{
	const struct vmcb_control *c = &v->control;
	const struct vmcb_save *s = &v->save;
	struct checker ck = { report, ctx, 0 };
	unsigned mpb = (max_phys_bits == 0 || max_phys_bits > 52) ? 52 : max_phys_bits;
	bool long_paging = (s->efer & EFER_LME) && (s->cr0 & CR0_PG);

	/* Guest state (save area). */
	if (!(s->efer & EFER_SVME))
		problem(&ck, "save.efer", "SVME (bit 12) clear");
	if (s->efer & ~EFER_DEFINED)
		problemf(&ck, "save.efer", "reserved bits set: 0x%llx",
			 (unsigned long long)(s->efer & ~EFER_DEFINED));
	if ((s->cr0 & CR0_NW) && !(s->cr0 & CR0_CD))
		problem(&ck, "save.cr0", "NW (bit 29) set with CD (bit 30) clear");
	if (s->cr0 >> 32)
		problem(&ck, "save.cr0", "bits 63:32 not zero");
	if (s->cr3 & GENMASK(63, mpb))
		problemf(&ck, "save.cr3", "MBZ bits 63:%u set: 0x%llx%s", mpb,
			 (unsigned long long)(s->cr3 & GENMASK(63, mpb)),
			 long_paging ? " (long mode)" : "");
	if (s->cr4 & CR4_RESERVED)
		problemf(&ck, "save.cr4", "reserved bits set: 0x%llx",
			 (unsigned long long)(s->cr4 & CR4_RESERVED));
	if ((s->cr4 & CR4_CET) && !(s->cr0 & CR0_WP))
		problem(&ck, "save.cr4", "CET (bit 23) set with CR0.WP clear");
	if (s->dr6 >> 32)
		problem(&ck, "save.dr6", "bits 63:32 not zero");
	if (s->dr7 >> 32)
		problem(&ck, "save.dr7", "bits 63:32 not zero");
	if (long_paging && !(s->cr4 & CR4_PAE))
		problem(&ck, "save.cr4", "PAE clear with EFER.LME and CR0.PG set");
	if (long_paging && !(s->cr0 & CR0_PE))
		problem(&ck, "save.cr0", "PE clear with EFER.LME and CR0.PG set");
	if (long_paging && (s->cr4 & CR4_PAE) &&
	    (s->cs.attrib & SEG_ATTR_L) && (s->cs.attrib & SEG_ATTR_DB))
		problem(&ck, "save.cs", "L and D both set in long mode (attr bits 9, 10)");

	/* Control area. */
	if (!(c->intercept_misc2 & INTERCEPT2_VMRUN))
		problem(&ck, "control.intercept_misc2", "VMRUN intercept (bit 0) clear");
	if (c->asid == 0)
		problem(&ck, "control.asid", "ASID 0 is the host's");
	if (beyond(c->msrpm_base_pa, MSRPM_SIZE, mpb))
		problemf(&ck, "control.msrpm_base_pa", "map reaches 2^%u (beyond physical memory)", mpb);
	if (beyond(c->iopm_base_pa, IOPM_SIZE, mpb))
		problemf(&ck, "control.iopm_base_pa", "map reaches 2^%u (beyond physical memory)", mpb);

	if (c->event_inj & SVM_EVTINJ_VALID) {
		unsigned type = (unsigned)((c->event_inj & SVM_EVTINJ_TYPE_MASK) >> SVM_EVTINJ_TYPE_SHIFT);
		unsigned vec = (unsigned)(c->event_inj & SVM_EVTINJ_VEC_MASK);

		if (type == 1 || type >= 5)
			problemf(&ck, "control.event_inj", "reserved TYPE %u", type);
		else if (type == 3 && (vec == X86_NMI || vec > 31))
			problemf(&ck, "control.event_inj",
				 "TYPE 3 (exception) with vector %u, not an exception", vec);
	}

	/* §15.29.4.1: x2AVIC mode needs AVIC enabled. */
	if ((c->int_ctl & X2APIC_MODE_MASK) && !(c->int_ctl & AVIC_ENABLE_MASK))
		problem(&ck, "control.int_ctl", "x2AVIC enable (bit 30) without AVIC enable (bit 31)");
	/* §15.21.10: "the NMI intercept must be set" when vNMI is enabled. */
	if ((c->int_ctl & V_NMI_ENABLE_MASK) && !(c->intercept_misc1 & INTERCEPT_NMI))
		problem(&ck, "control.int_ctl", "V_NMI_ENABLE (bit 26) without the NMI intercept");
	/* §15.29.4.3: the AVIC pointers and, in xAVIC mode, MAX_INDEX <= 255. */
	if (c->int_ctl & AVIC_ENABLE_MASK) {
		unsigned max_index = (unsigned)(c->avic_physical_id & AVIC_PHYSICAL_MAX_INDEX_MASK);

		if (!(c->int_ctl & X2APIC_MODE_MASK) && max_index > 255)
			problemf(&ck, "control.avic_physical_id",
				 "MAX_INDEX %u > 255 in xAVIC mode", max_index);
		if (beyond(c->avic_physical_id, PAGE_SIZE, mpb))
			problem(&ck, "control.avic_physical_id", "table beyond physical memory");
		if (beyond(c->avic_logical_id, PAGE_SIZE, mpb))
			problem(&ck, "control.avic_logical_id", "table beyond physical memory");
		if (beyond(c->avic_backing_page, PAGE_SIZE, mpb))
			problem(&ck, "control.avic_backing_page", "page beyond physical memory");
	}
	return ck.problems;
}

/* ---- dump ------------------------------------------------------------------ */

struct line {
	char buf[VMCB_DUMP_LINE_MAX];
	size_t len;
};

static void add(struct line *l, const char *fmt, ...) __printf(2, 3);
static void add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len >= sizeof(l->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len = MIN(l->len + (size_t)n, sizeof(l->buf) - 1);
}

static void flush(struct line *l, void (*print)(void *ctx, const char *line), void *ctx)
{
	print(ctx, l->buf);
	l->len = 0;
	l->buf[0] = 0;
}

/*
 * Intercept vector 3 (+0x00c) and 4 (+0x010) bit names: APM Vol 2 Table B-1
 * "VMCB Layout, Control Area".
 */
static const char *const misc1_bits[32] = {
	"intr", "nmi", "smi", "init", "vintr", "cr0_sel", "idtr_read", "gdtr_read",
	"ldtr_read", "tr_read", "idtr_write", "gdtr_write", "ldtr_write", "tr_write", "rdtsc", "rdpmc",
	"pushf", "popf", "cpuid", "rsm", "iret", "intn", "invd", "pause",
	"hlt", "invlpg", "invlpga", "ioio", "msr", "task_switch", "ferr_freeze", "shutdown",
};
static const char *const misc2_bits[16] = {
	"vmrun", "vmmcall", "vmload", "vmsave", "stgi", "clgi", "skinit", "rdtscp",
	"icebp", "wbinvd", "monitor", "mwait", "mwait_cond", "xsetbv", "rdpru", "efer_write",
};

static void add_bits(struct line *l, u32 v, const char *const *names, unsigned n)
{
	unsigned i;
	bool first = true;

	add(l, " [");
	for (i = 0; i < 32; i++) {
		if (!(v & BIT(i)))
			continue;
		if (i < n)
			add(l, "%s%s", first ? "" : " ", names[i]);
		else
			add(l, "%sbit%u", first ? "" : " ", i);
		first = false;
	}
	add(l, "]");
}

static void add_event(struct line *l, const char *name, u64 ev)
{
	static const char *const types[8] = {
		"intr", "reserved1", "nmi", "exception", "softint", "reserved5", "reserved6", "reserved7",
	};

	add(l, "%s 0x%llx", name, (unsigned long long)ev);
	if (!(ev & SVM_EVTINJ_VALID)) {
		add(l, " (none)");
		return;
	}
	add(l, " (valid, type %s, vector %u", types[(ev & SVM_EVTINJ_TYPE_MASK) >> SVM_EVTINJ_TYPE_SHIFT],
	    (unsigned)(ev & SVM_EVTINJ_VEC_MASK));
	if (ev & SVM_EVTINJ_VALID_ERR)
		add(l, ", error 0x%x", (unsigned)(ev >> SVM_EVTINJ_ERR_SHIFT));
	add(l, ")");
}

static void add_seg(struct line *l, const char *name, const struct vmcb_seg *s)
{
	add(l, "%s sel 0x%x attr 0x%x limit 0x%x base 0x%llx", name, s->selector,
	    s->attrib, s->limit, (unsigned long long)s->base);
}

void vmcb_dump(const struct vmcb *v, void (*print)(void *ctx, const char *line), void *ctx)
{
	const struct vmcb_control *c = &v->control;
	const struct vmcb_save *s = &v->save;
	static const struct {
		const char *name;
		size_t off;
	} segs[] = {
		{ "es", offsetof(struct vmcb_save, es) },
		{ "cs", offsetof(struct vmcb_save, cs) },
		{ "ss", offsetof(struct vmcb_save, ss) },
		{ "ds", offsetof(struct vmcb_save, ds) },
		{ "fs", offsetof(struct vmcb_save, fs) },
		{ "gs", offsetof(struct vmcb_save, gs) },
		{ "ldtr", offsetof(struct vmcb_save, ldtr) },
		{ "tr", offsetof(struct vmcb_save, tr) },
	};
	struct line l = { .len = 0 };
	unsigned i;

	add(&l, "exit_code 0x%llx (%s) info1 0x%llx info2 0x%llx exitintinfo 0x%llx",
	    (unsigned long long)c->exit_code, svm_exit_name(c->exit_code),
	    (unsigned long long)c->exit_info_1, (unsigned long long)c->exit_info_2,
	    (unsigned long long)c->exit_int_info);
	flush(&l, print, ctx);

	add(&l, "intercepts cr 0x%x dr 0x%x excp 0x%x misc1 0x%x", c->intercept_cr,
	    c->intercept_dr, c->intercept_exceptions, c->intercept_misc1);
	add_bits(&l, c->intercept_misc1, misc1_bits, ARRAY_SIZE(misc1_bits));
	add(&l, " misc2 0x%x", c->intercept_misc2);
	add_bits(&l, c->intercept_misc2, misc2_bits, ARRAY_SIZE(misc2_bits));
	add(&l, " misc3 0x%x", c->intercept_misc3);
	flush(&l, print, ctx);

	add(&l, "int_ctl 0x%x (V_TPR=%u V_IRQ=%u V_INTR_PRIO=%u V_IGN_TPR=%u V_INTR_MASKING=%u "
	    "V_NMI=%u V_NMI_MASK=%u V_NMI_ENABLE=%u AVIC=%u X2AVIC=%u) int_vector 0x%x int_state 0x%llx",
	    c->int_ctl, (unsigned)(c->int_ctl & V_TPR_MASK), !!(c->int_ctl & V_IRQ_MASK),
	    (unsigned)((c->int_ctl & V_INTR_PRIO_MASK) >> V_INTR_PRIO_SHIFT),
	    !!(c->int_ctl & V_IGN_TPR_MASK), !!(c->int_ctl & V_INTR_MASKING_MASK),
	    !!(c->int_ctl & V_NMI_PENDING_MASK), !!(c->int_ctl & V_NMI_BLOCKING_MASK),
	    !!(c->int_ctl & V_NMI_ENABLE_MASK), !!(c->int_ctl & AVIC_ENABLE_MASK),
	    !!(c->int_ctl & X2APIC_MODE_MASK), c->int_vector,
	    (unsigned long long)c->int_state);
	flush(&l, print, ctx);

	add_event(&l, "event_inj", c->event_inj);
	flush(&l, print, ctx);
	if (c->exit_int_info & SVM_EVTINJ_VALID) {
		add_event(&l, "exitintinfo", c->exit_int_info);
		flush(&l, print, ctx);
	}

	add(&l, "asid %u tlb_control %u np_enable %u n_cr3 0x%llx iopm 0x%llx msrpm 0x%llx "
	    "tsc_offset 0x%llx next_rip 0x%llx",
	    c->asid, c->tlb_control, (unsigned)(c->misc_ctl & SVM_NESTED_CTL_NP_ENABLE),
	    (unsigned long long)c->n_cr3, (unsigned long long)c->iopm_base_pa,
	    (unsigned long long)c->msrpm_base_pa, (unsigned long long)c->tsc_offset,
	    (unsigned long long)c->next_rip);
	flush(&l, print, ctx);

	if (c->int_ctl & AVIC_ENABLE_MASK) {
		add(&l, "avic apic_bar 0x%llx backing 0x%llx logical 0x%llx physical 0x%llx",
		    (unsigned long long)c->avic_apic_bar, (unsigned long long)c->avic_backing_page,
		    (unsigned long long)c->avic_logical_id, (unsigned long long)c->avic_physical_id);
		flush(&l, print, ctx);
	}

	add(&l, "rip 0x%llx rsp 0x%llx rax 0x%llx rflags 0x%llx cpl %u",
	    (unsigned long long)s->rip, (unsigned long long)s->rsp,
	    (unsigned long long)s->rax, (unsigned long long)s->rflags, s->cpl);
	flush(&l, print, ctx);

	add(&l, "cr0 0x%llx cr2 0x%llx cr3 0x%llx cr4 0x%llx efer 0x%llx",
	    (unsigned long long)s->cr0, (unsigned long long)s->cr2,
	    (unsigned long long)s->cr3, (unsigned long long)s->cr4,
	    (unsigned long long)s->efer);
	flush(&l, print, ctx);

	add(&l, "dr6 0x%llx dr7 0x%llx g_pat 0x%llx",
	    (unsigned long long)s->dr6, (unsigned long long)s->dr7,
	    (unsigned long long)s->g_pat);
	flush(&l, print, ctx);

	for (i = 0; i < ARRAY_SIZE(segs); i++) {
		add_seg(&l, segs[i].name,
			(const struct vmcb_seg *)((const u8 *)s + segs[i].off));
		flush(&l, print, ctx);
	}

	add(&l, "gdtr limit 0x%x base 0x%llx idtr limit 0x%x base 0x%llx",
	    s->gdtr.limit, (unsigned long long)s->gdtr.base,
	    s->idtr.limit, (unsigned long long)s->idtr.base);
	flush(&l, print, ctx);
}
