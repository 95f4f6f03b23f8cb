/*
 * hv/hv.h - virtual machines, vCPUs, the test plan and exit handling.
 *
 * A test runs in a fresh VM: guest RAM at GPA [0, ram_size) backed by one
 * contiguous host range, nested page tables that map that range only, one
 * MSRPM and IOPM for the VM, and per vCPU a VMCB, its GPRs and its counters.
 * Each vCPU runs on its own physical CPU (vCPU i on CPU i).
 */
#ifndef HV_HV_H
#define HV_HV_H

#include "lib/types.h"
#include "lib/hv_abi.h"
#include "svm/svm.h"
#include "svm/vmcb.h"
#include "svm/npt.h"
#include "svm/exit_names.h"
#include "svm/guest_walk.h"
#include "lib/x86.h"
#include "hv/config.h"
#include "hv/console.h"
#include "avic/vapic.h"
#include "avic/vioapic.h"
#include "avic/vpic.h"
#include "avic/apic_mode.h"

struct vm;
struct vcpu;
struct lapic_ops;

/* Test table entry, built from hv/tests.def. */
#define T_DEFAULT   BIT(0)
#define T_ONE_VCPU  BIT(1)
typedef void (*hv_prepare_fn)(struct vcpu *vcpu);
struct hv_test {
	const char *name;
	u32 min_vcpus;
	u32 flags;
	u32 timeout_ms;
	hv_prepare_fn prepare;
	const char *what;
};
extern const struct hv_test hv_tests[];
extern const unsigned hv_tests_count;

/* How a vCPU ended. */
enum vcpu_end {
	END_NONE = 0,           /* still running */
	END_DONE,               /* wrote to HV_PORT_TEST_END */
	END_STOPPED,            /* stopped by the hypervisor: see stop_kind */
};

/* Why the hypervisor stopped a vCPU: HV_STOP_* from the ABI, plus these. */
#define STOP_INVALID    100     /* VMRUN failed: VMEXIT_INVALID */
#define STOP_UNHANDLED  101     /* an exit without a handler */
#define STOP_BAD_INSN   102     /* could not decode the instruction to skip */
#define STOP_ABORT      103     /* another vCPU of the VM stopped unexpectedly */
#define STOP_MC         104     /* machine check while in the guest */
#define STOP_UNSUPPORTED 105    /* the guest used something we do not emulate */
#define STOP_HV_BUG     106     /* the hypervisor's own structures are wrong (AVIC tables) */

/* Where a vCPU is in the INIT/SIPI protocol (APM Vol 2 §16.5 "Interprocessor Interrupts (IPI)"). */
enum vcpu_mp_state {
	VCPU_MP_RUNNABLE = 0,   /* runs (or is halted) */
	VCPU_MP_WAIT_SIPI,      /* after INIT: waits for a STARTUP IPI */
};

enum exit_action { EXIT_RESUME, EXIT_STOP };
typedef enum exit_action (*exit_handler_fn)(struct vcpu *vcpu);

/* Instruction-fetch translations kept per vCPU (vcpu->fetch_tlb). */
#define VCPU_FETCH_TLB_SIZE     4

struct vcpu {
	struct vm *vm;
	u32 index;
	u32 cpu;                        /* physical CPU index it runs on */
	struct vmcb *vmcb;
	struct guest_regs regs;

	enum vcpu_end end;
	u32 end_status;                 /* value written to the end port */
	u32 stop_kind;                  /* HV_STOP_* / STOP_* */
	u64 stop_gpa;
	char stop_why[160];

	u32 expect_kind;                /* announced with HC_EXPECT_STOP, or by a prepare hook */
	u64 expect_arg;
	/* The watchdog (vcpu_watchdog_expired, hv/vcpu.c). */
	struct {
		u64 start_tsc;
		u64 window;             /* TSC ticks of no progress in the VM that make a hang */
		u64 limit_tsc;          /* hard limit: HV_WATCHDOG_CAP windows, or the guest's announced one */
		u64 check_tsc;          /* next look at the VM's progress */
		u64 seen;               /* the VM's progress (vm_progress) at the last look */
		u64 progress_tsc;       /* when it last changed */
		bool announced;         /* limit_tsc is the guest's HC_EXPECT_STOP limit */
	} wd;

	u32 passes, fails, skips;

	/* The guest's console line (hv/vcpu.c) and its COM1 UART registers (hv/exits.c). */
	struct {
		char line[200];
		u32 len;
		u64 lines;              /* lines printed: a Multiboot kernel's progress (hv/vcpu.c) */
	} con;
	struct {
		u8 scratch, lcr, ier, mcr;
	} com1;

	u64 exits[SVM_EXIT_INDEX_MAX];
	u64 exits_total;

	/*
	 * The virtual local APIC (hv/lapic*.c).  apic.page is the single copy
	 * of its registers.  Other vCPUs deliver into it (IRR, NMI, INIT,
	 * SIPI) under apic_lock and then kick this vCPU's CPU.
	 */
	struct vapic apic;
	struct spinlock apic_lock;
	/* INIT and STARTUP (hv/lapic_block.c; APM Vol 2 §16.5 "Interprocessor Interrupts (IPI)"). */
	struct {
		enum vcpu_mp_state state;
		bool parked;            /* ended while waiting for a SIPI, never started */
		volatile u32 pending_init;      /* an INIT arrived */
		volatile u32 pending_sipi;      /* a STARTUP arrived (vector in sipi_vector) */
		u8 sipi_vector;
	} mp;
	/* NMIs (hv/lapic.c sends, hv/lapic_inject.c injects). */
	struct {
		volatile u32 pending;   /* not yet injected: 0-2, at most 1 while masked */
		bool masked;            /* an NMI handler runs (until its IRET) */
		u64 iret_rip;           /* RIP of that IRET, while waiting for it to complete */
		bool iret_pending;
		bool singlestep;        /* we set RFLAGS.TF to see the IRET / shadow end */
		u64 ss_saved_flags;     /* the guest's own TF and RF meanwhile */
	} nmi;
	/*
	 * The fixed interrupt posted in V_IRQ for the last VMRUN, already
	 * moved IRR -> ISR; the exit after it says whether the guest took it
	 * (hv/lapic_inject.c, lapic_after_exit).
	 */
	struct {
		bool posted;
		u8 vector;
	} virq;
	volatile u32 halted;            /* in HLT: a delivery must kick this CPU */
	volatile u32 in_guest;          /* between CLGI and the exit */
	/* The APIC timer (hv/lapic_timer.c). */
	struct {
		u64 deadline;           /* TSC of the next expiry, 0 = none */
		u64 period;             /* periodic mode: TSC ticks per period */
		u64 start;              /* TSC when TMICT was written (TMCCT) */
		u64 checked;            /* TSC of the last lapic_timer_check: expiries up to it are done */
		u32 divisor;
		bool ended;             /* a one-shot count reached 0: it stays there until a TMICT write */
		u64 tsc_deadline;       /* IA32_TSC_DEADLINE in guest TSC, 0 = disarmed */
	} timer;
	u64 apic_accesses;              /* intercepted APIC register accesses */
	u64 apic_bad_accesses;          /* of which answered with #GP / ignored / ESR */
	/*
	 * Level-triggered vectors accepted into IRR and not yet EOIed: the
	 * hypervisor's own record, so that an AVIC level-EOI exit does not
	 * depend on reading the guest's ISR/TMR (APM Vol 2 §15.29.9.2 "AVIC
	 * Access to Un-accelerated vAPIC register" does not say whether ISR is
	 * already cleared at that exit).
	 */
	u32 level_vectors[8];
	bool apic_changed;              /* a register effect the AVIC backend follows (lapic_take_changes) */

	/* The AVIC backend (hv/avic*.c); unused in the soft mode. */
	struct {
		u8 mode;                /* AVIC_VCPU_*: what the last VMRUN ran with */
		bool irqwin_wanted;     /* counted in vm->avic_irqwin (avic_irqwin_request) */
		u8 *msrpm;              /* this vCPU's MSRPM under the CPU backend (x2AVIC pass-through) */
		struct vmcb *hw_vmcb;   /* avic-emu: the VMCB apic=avic would run (avic_hw_vmcb_check) */
		u64 hw_problems;        /* found by avic_hw_vmcb_check */
		u32 trap_shadow[64];    /* registers 0x000-0x3f0 before the guest's trap-like write */
		u64 emu_only;           /* exits taken only because AVIC is emulated */
		u64 accel;              /* accesses the model accelerated (no exit on a CPU) */
		u64 ipi[6];             /* 0x401 exits by failure cause */
		u64 noaccel_trap, noaccel_fault;
		u64 doorbells;          /* doorbells rung (model: kicks) */
		u64 mode_switches;
	} avic;
	/* The bring-up probe (HC_AVIC_PROBE, hv/avic_probe.c): what the AVIC exits saw since HC_PROBE_ARM. */
	struct {
		u32 exits, intercepts;
		u64 code, info1, info2;
		u64 rip;                /* guest RIP at that exit */
		u64 access_rip;         /* the probed instruction (HC_PROBE_ARM's RCX), 0 = not armed */
		u64 base_msr, base_npf;
	} probe;

	/*
	 * The translations of the pages the last instruction fetches read
	 * (vcpu_fetch_insn, hv/vcpu.c): a few, so that an exit in a handler
	 * does not evict the loop's.  One is used only while the paging
	 * controls are the same and every paging-structure entry of its walk
	 * still holds the value that walk read: then a new walk would give the
	 * same answer, so the cache is never staler than no cache.
	 */
	struct fetch_tlb_entry {
		bool valid;
		u64 cr0, cr3, cr4, efer;
		u64 page;               /* linear address of the page */
		u64 page_gpa;
		struct guest_walk_trace walk;
		/* Where walk.gpa[i] is in guest RAM (fixed for the VM's life). */
		const volatile void *entry[GUEST_WALK_MAX_LEVELS];
	} fetch_tlb[VCPU_FETCH_TLB_SIZE];
	u32 fetch_tlb_next;             /* the entry a miss fills (round robin) */
	u32 fetch_tlb_last;             /* the entry the last hit used */
};

struct vm {
	const struct hv_test *test;
	u32 nr_vcpus;
	u8 *ram;                        /* host address of GPA 0 */
	u64 ram_size;
	struct npt npt;
	u8 *msrpm;
	u8 *iopm;
	volatile u32 vcpus_done;
	volatile u32 abort;             /* an unexpected stop ends the whole VM */
	struct vioapic ioapic;          /* hv/lapic_irqchip.c; under ioapic_lock */
	struct spinlock ioapic_lock;
	struct vpic pic;                /* hv/lapic_irqchip.c: the 8259A pair on LINT0; under pic_lock */
	struct spinlock pic_lock;
	volatile u32 primary_done;      /* vCPU 0 ended: vCPUs still waiting for a SIPI end too */
	/* The guest's progress counters (lib/hv_abi.h); NULL for a Multiboot kernel, which has none. */
	volatile struct hv_progress *progress;
	const struct lapic_ops *lapic_ops;      /* the backend's hooks in the soft APIC (hv/lapic.h) */
	/* The AVIC backend (hv/avic.c). */
	enum apic_backend apic_backend;
	bool avic_x2;                   /* x2APIC guests run x2AVIC (CPU or model) */
	u64 *avic_phys;                 /* physical APIC ID table (one page) */
	u32 *avic_log;                  /* logical APIC ID table (one page) */
	u32 avic_max_index;
	u8 avic_table_mode;             /* enum avic_hw_mode: the tables' format (MAX_INDEX limit) */
	u8 *avic_access_page;           /* what avic_npt maps at the APIC base */
	struct npt avic_npt;            /* npt plus that page, for vCPUs in xAVIC mode (CPU backend) */
	struct spinlock avic_lock;      /* tables and inhibits */
	volatile u32 avic_inhibit;      /* BIT(enum avic_inhibit): AVIC off for the whole VM */
	u32 avic_irqwin;                /* vCPUs asking for the interrupt-window inhibit */
	u64 avic_inhibit_sets[6], avic_inhibit_clears[6];
	u64 avic_departures;            /* AVIC exits the APM does not explain, handled anyway */
	u64 avic_doorbells_lost;        /* model: doorbells that met a core not in AVIC guest mode */
	struct avic_emu_quirk_state *avic_qs;   /* model: quirk state (avic_emu_quirks=on|all) */
	u32 avic_quirks;                /* model: the quirks this VM plays (apic_choice.emu_quirks, or fewer) */
	bool avic_ipi_virt;             /* IsRunning is set for running vCPUs (apic_choice.ipi_virt, per VM) */
	/*
	 * Test avic_inhibit_ipi: this vCPU (index + 1; 0 = none) is not kicked
	 * on an inhibit change, as if its kick were slow to land: it keeps the
	 * AVIC mode it entered with until it exits for another reason.
	 */
	u32 avic_late_kick;
	/*
	 * The probe's VM (test avic_probe): x2APIC MSRs all passed through
	 * under x2AVIC; the measured table, [x2][offset >> 4][write] =
	 * measured | expected << 4 | 0x80 once probed (one page).
	 */
	bool avic_probe;
	u8 *avic_probe_tab;
	struct vcpu *vcpus;             /* [nr_vcpus] */
};

extern struct hv_config hv_cfg;
extern u64 hv_image_base, hv_image_size;
extern u64 hv_entry_tsc;                /* RDTSC at efi_main entry */

/* hv/vm.c */
struct vm *vm_create(const struct hv_test *test, u32 nr_vcpus);
int vm_npt_init(struct vm *vm, struct npt *npt);        /* a nested page root mapping the guest's RAM */
void *vm_gpa_ptr(struct vm *vm, u64 gpa, u64 len);     /* NULL unless [gpa, gpa+len) is RAM */
int vm_read_gpa(void *vm, u64 gpa, void *buf, unsigned len);

/* hv/vcpu.c */
void vcpu_run(struct vcpu *vcpu);               /* on the vCPU's CPU until it ends */
void vcpu_stop(struct vcpu *vcpu, u32 kind, const char *fmt, ...) __printf(3, 4);
void vcpu_inject_exception(struct vcpu *vcpu, u8 vector, bool has_error, u32 error);
int vcpu_skip_insn(struct vcpu *vcpu);          /* advance RIP past the exiting instruction */
int vcpu_fetch_insn(struct vcpu *vcpu, u8 *buf, unsigned len);
/* EFER.LMA and CS.L: 64-bit code (inline: every decoded exit asks, some twice). */
static inline bool vcpu_long_mode(const struct vcpu *vcpu)
{
	const struct vmcb_save *s = &vcpu->vmcb->save;

	return (s->efer & EFER_LMA) && (s->cs.attrib & SEG_ATTR_L);
}
/* The value a WRMSR writes (EDX:EAX). */
static inline u64 vcpu_edx_eax(const struct vcpu *vcpu)
{
	return ((u64)(u32)vcpu->regs.rdx << 32) | (u32)vcpu->vmcb->save.rax;
}

/* The result of a RDMSR: RDMSR zero-extends both halves into RDX and RAX. */
static inline void vcpu_set_edx_eax(struct vcpu *vcpu, u64 val)
{
	vcpu->vmcb->save.rax = (u32)val;
	vcpu->regs.rdx = val >> 32;
}
void vcpu_report(struct vcpu *vcpu, int status, const char *msg);
void vcpu_console_putc(struct vcpu *vcpu, char c);
void vcpu_console_flush(struct vcpu *vcpu);
u64 vm_progress(struct vm *vm);                 /* changes whenever some vCPU of the VM made progress */
u64 vm_watchdog_window(const struct vm *vm);    /* the watchdog's window for this VM's test, TSC ticks */
bool vcpu_watchdog_expired(struct vcpu *vcpu);  /* stops the vCPU (HV_STOP_WATCHDOG) when it did */
void vcpu_watchdog_announce(struct vcpu *vcpu, u64 ms);  /* HC_EXPECT_STOP: a hard limit from now */
void vcpu_watchdog_resume(struct vcpu *vcpu, u64 waited);  /* after a wait that is not running time */

/* hv/exits.c */
extern const exit_handler_fn exit_handlers[SVM_EXIT_INDEX_MAX];
enum exit_action handle_exit(struct vcpu *vcpu);

/* hv/tests.c: prepare hooks named in hv/tests.def */
void hv_prepare_invalid_state(struct vcpu *vcpu);
void hv_prepare_unknown_exit(struct vcpu *vcpu);
void hv_prepare_avic_badpage(struct vcpu *vcpu);
void hv_prepare_avic_probe(struct vcpu *vcpu);
void hv_prepare_avic_late_kick(struct vcpu *vcpu);

/* hv/main.c */
__noreturn void hv_main(void);
__noreturn void hv_ap_loop(void);
void hv_end_machine(const char *verdict) __noreturn;

#endif
