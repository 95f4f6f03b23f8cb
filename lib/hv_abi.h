/*
 * lib/hv_abi.h - the contract between the hypervisor and its test guests.
 *
 * Everything a guest can rely on lives here: how it is entered, where its
 * boot information is, the hypercalls (VMMCALL) and the I/O ports.  Both
 * hv/ and guest/ include this file; nothing else is shared between them.
 */
#ifndef LIB_HV_ABI_H
#define LIB_HV_ABI_H

#include "lib/types.h"

/*
 * Entry.  Every vCPU starts in 32-bit flat protected mode with paging off
 * (CR0 = PE|ET, CS = 0x08 base 0 limit 4G, data segments 0x10), interrupts
 * disabled (RFLAGS = 0x2), at the entry point of the image, with:
 *   EAX = HV_BOOT_MAGIC
 *   EBX = guest-physical address of struct hv_boot_info
 *   ESI = this vCPU's index (0 .. nr_vcpus-1), also its virtual APIC ID
 * All vCPUs of a built-in test start at the same time.  A vCPU can later be
 * sent INIT (it then waits for a SIPI) and STARTUP (it starts in real mode
 * at CS:IP = (vector << 8):0), as on a PC; see "Platform" below.
 */
#define HV_BOOT_MAGIC           0x41564943u  /* "AVIC" */
#define HV_BOOT_INFO_GPA        0x9000u      /* one page, read-only by convention */
#define HV_GUEST_LOAD_GPA       0x100000u    /* guest images are linked here (linker.ld) */
#define HV_PROGRESS_GPA         0xa000u      /* one page: struct hv_progress, written by the guest */
#define HV_TEST_NAME_MAX        32

struct hv_boot_info {
	u32 magic;                      /* HV_BOOT_MAGIC */
	u32 nr_vcpus;                   /* vCPUs in this VM */
	u64 ram_size;                   /* guest RAM is GPA [0, ram_size) */
	u64 hv_phys_base;               /* host-physical address of the hypervisor image (not mapped for the guest) */
	u64 hv_phys_size;
	u32 flags;                      /* HV_BOOT_F_* */
	u32 reserved;
	char test[HV_TEST_NAME_MAX];    /* which guest test to run, NUL-terminated */
};

/*
 * HV_BOOT_F_HOST_TCG: the machine under the hypervisor is QEMU's software
 * CPU (TCG).  Only for tests of behaviour QEMU 7.2 gets wrong below us, so
 * that they can say SKIP with the reason instead of failing on it.
 */
#define HV_BOOT_F_HOST_TCG      BIT(0)
/*
 * HV_BOOT_F_AVIC: the virtual APIC runs on the AVIC backend, the CPU's
 * (apic=avic) or the model of it (apic=avic-emu).  Tests then also print
 * METRIC avic_exits_per_op (the exits AVIC hardware takes, from
 * HC_EXIT_COUNT_EMU_ONLY) and assert the AVIC floors.
 */
#define HV_BOOT_F_AVIC          BIT(1)
/* HV_BOOT_F_AVIC_EMU: ... and it is the model (apic=avic-emu), not the CPU. */
#define HV_BOOT_F_AVIC_EMU      BIT(2)

/*
 * Progress, for the watchdog.  Entry i of the page at HV_PROGRESS_GPA
 * belongs to vCPU i, which adds to it whenever its test completes a step
 * (a report, a barrier passed, a wait on another vCPU that ended).  The
 * hypervisor only reads it: a VM whose vCPUs all stood still (no step, no
 * report, no vCPU ended) for the watchdog's window is hung, however long it
 * has run; one that keeps stepping is only slow (e.g. many vCPUs on few
 * host CPUs), and is stopped only at a hard limit of HV_WATCHDOG_CAP
 * windows.  The page is zero at entry; the values mean nothing but change.
 */
#define HV_PROGRESS_SLOTS       512
#define HV_WATCHDOG_CAP         60
struct hv_progress {
	u64 steps[HV_PROGRESS_SLOTS];
};
_Static_assert(sizeof(struct hv_progress) == 4096, "the progress area is one page");
_Static_assert(HV_PROGRESS_GPA + 4096 <= HV_BOOT_INFO_GPA || HV_PROGRESS_GPA >= HV_BOOT_INFO_GPA + 4096,
	       "the progress page and the boot information do not overlap");

/*
 * Guest image header: the first bytes of every flat guest image (guest/entry.asm
 * emits it, linker.ld places it first).  The hypervisor checks it before loading.
 */
#define HV_GUEST_HDR_MAGIC      0x3154534555475648ULL  /* the bytes "HVGUEST1" */
struct hv_guest_header {
	u64 magic;                      /* +0  HV_GUEST_HDR_MAGIC */
	u32 load_gpa;                   /* +8  where the image's first byte goes (HV_GUEST_LOAD_GPA) */
	u32 entry_gpa;                  /* +12 32-bit entry point */
	u32 file_size;                  /* +16 bytes in the image file */
	u32 mem_size;                   /* +20 bytes from load_gpa to the end of .bss */
};

/* CPUID leaf 0x40000000: EAX = highest hypervisor leaf, EBX:ECX:EDX = signature. */
#define HV_CPUID_LEAF_BASE      0x40000000u
#define HV_CPUID_LEAF_MAX       0x40000001u
#define HV_CPUID_SIGNATURE      "AvicHvAvicHv"
/* CPUID leaf 0x40000001: EAX = ABI version. */
#define HV_ABI_VERSION          1

/*
 * Hypercalls: VMMCALL with RAX = number, arguments in RBX, RCX, RDX.
 * The result is returned in RAX (and RBX/RCX/RDX where stated).
 * RAX is the full 64-bit number; an unknown number returns HV_ENOSYS.
 * HC_REPORT, HC_EXPECT_STOP and HC_PUTS return 0, or HV_EINVAL for a bad
 * argument (a message outside guest RAM, an unknown kind).  Pointers are guest-physical
 * addresses; the test guests identity-map their RAM so a pointer works.
 */
#define HC_REPORT       1  /* RBX = HV_REPORT_*, RCX = GPA of a NUL-terminated message (<= HV_REPORT_MSG_MAX) */
#define HC_GET_INFO     2  /* RAX = vcpu index, RBX = nr_vcpus, RCX = physical CPU's APIC ID, RDX = physical CPU index */
#define HC_EXIT_COUNT   3  /* RBX = exit code; RAX = exits of that code on this vCPU since it started; RBX = ~0: all exits;
			      RBX = HC_EXIT_COUNT_EMU_ONLY: see below */
#define HC_EXPECT_STOP  4  /* RBX = HV_STOP_*, RCX = argument: the vCPU's next stop is expected (see below) */
#define HC_PUTS         5  /* RCX = GPA of a NUL-terminated string, printed like COM1 output */
#define HC_METRIC       6  /* RCX = GPA of "<name> <value>" (<= HV_REPORT_MSG_MAX): printed as
			      "METRIC: <test>.<name> <value>" in the results */
#define HC_AVIC_PROBE   7  /* RBX = HC_PROBE_ARM or HC_PROBE_TAKE: the bring-up probe, see below */
#define HC_VCPU_STATE   8  /* RBX = a vCPU index of this VM: RAX = HV_VCPU_* flags now, HV_EINVAL for no such vCPU */
#define HC_BENCH_WORLD_SWITCH 9  /* RBX = N (1..HC_BENCH_STEPS_MAX): the next N HC_BENCH_STEP calls take the
				    bare resume loop (hv/bench.c); RAX = 0, HV_EINVAL for a bad N */
#define HC_BENCH_STEP   10 /* inside the loop: RIP past the VMMCALL, VMRUN again, RAX unchanged (= 10);
			      outside it an unknown number (HV_ENOSYS) */
#define HC_BENCH_STEPS_MAX 1024

/*
 * HC_VCPU_STATE flags: where another vCPU is, for a test that must wait for
 * it to get there (a progress condition, never a guess of time).
 *   HV_VCPU_HALTED:    in HLT, asleep in the hypervisor until an interrupt
 *   HV_VCPU_WAIT_SIPI: after INIT, waiting for a STARTUP IPI
 *   HV_VCPU_ENDED:     its test is over (ended or stopped)
 */
#define HV_VCPU_HALTED          BIT(0)
#define HV_VCPU_WAIT_SIPI       BIT(1)
#define HV_VCPU_ENDED           BIT(2)

/*
 * HC_EXIT_COUNT_EMU_ONLY: the exits (INTR and VMMCALL never included) this
 * vCPU took only because AVIC is emulated (apic=avic-emu): accesses the
 * model accelerated or answered with #GP, interrupt windows, CR8 writes.
 * AVIC hardware takes (all exits - INTR - VMMCALL - these).  0 in the other
 * modes.
 */
#define HC_EXIT_COUNT_EMU_ONLY  (~1ULL)

/*
 * HC_AVIC_PROBE: the bring-up probe (test avic_probe; APM Vol 2 §15.29.3.1
 * "Virtual APIC Register Accesses", Table 15-22, says what to expect).
 * In the probe's VM every x2APIC MSR is passed through while the vCPU runs
 * x2AVIC (and the APIC page is the CPU's in xAVIC mode), so that each access
 * shows what the CPU - or the model - does with it.  A guest brackets one
 * access of its own:
 *   RBX = HC_PROBE_ARM: forget what the AVIC exits saw so far.  RAX = 0;
 *         HV_EINVAL outside the probe's VM or without the AVIC backend;
 *         HV_PROBE_NOT_RUNNING when AVIC does not run for this vCPU now (an
 *         inhibit, or x2APIC mode without x2AVIC).
 *   RBX = HC_PROBE_TAKE, RCX = HV_PROBE_ACCESS(x2, offset, write, gp),
 *         RDX = the value written: RAX = what happened since ARM
 *         (HV_PROBE_*), RBX = what the table the hypervisor implements says
 *         (Table 15-22 and the x2APIC rules), RCX = the exit's details (0x401:
 *         the cause; 0x402: the offset it named).  The hypervisor keeps both
 *         and prints the table, differences marked, after the test.
 */
#define HC_PROBE_ARM            0
#define HC_PROBE_TAKE           1
#define HV_PROBE_NOT_RUNNING    1
#define HV_PROBE_OFFSET_MASK    0xff0ULL        /* backing-page offset; x2APIC: (MSR - 0x800) << 4 */
#define HV_PROBE_WRITE          (1ULL << 12)
#define HV_PROBE_X2APIC         (1ULL << 13)
#define HV_PROBE_SAW_GP         (1ULL << 14)    /* the guest caught #GP on the access */
#define HV_PROBE_ACCESS(x2, offset, write, gp) \
	(((u64)(offset) & HV_PROBE_OFFSET_MASK) | ((write) ? HV_PROBE_WRITE : 0) | \
	 ((x2) ? HV_PROBE_X2APIC : 0) | ((gp) ? HV_PROBE_SAW_GP : 0))
#define HV_PROBE_ACCEL          0       /* no exit: the CPU did it on the backing page */
#define HV_PROBE_TRAP           1       /* #VMEXIT 0x402, trap-like (after the write) */
#define HV_PROBE_FAULT          2       /* #VMEXIT 0x402, fault-like (before the access) */
#define HV_PROBE_GP             3       /* #GP in the guest, no AVIC exit */
#define HV_PROBE_IPI            4       /* #VMEXIT 0x401 AVIC_INCOMPLETE_IPI */
#define HV_PROBE_INTERCEPT      5       /* a plain MSR or NPF exit: the access never reached AVIC */
#define HV_PROBE_ODD            6       /* more than one AVIC exit, or one for another register */
#define HV_PROBE_KINDS          7
/* Their names, for the hypervisor's table and the guest's messages. */
#define HV_PROBE_KIND_NAMES     { "accel", "trap", "fault", "#GP", "0x401", "intercept", "odd" }

#define HV_REPORT_PASS  0
#define HV_REPORT_FAIL  1
#define HV_REPORT_SKIP  2
#define HV_REPORT_MSG_MAX 200   /* characters, not counting the terminating NUL */

#define HV_ENOSYS       ((u64)-38)
#define HV_EINVAL       ((u64)-22)

/*
 * HC_EXPECT_STOP kinds.  A guest announces that it is about to be stopped by
 * the hypervisor; when the stop then happens as announced it is reported as
 * PASS, any other stop as FAIL.
 *   HV_STOP_NPF:       RCX = the guest-physical address that will fault
 *   HV_STOP_SHUTDOWN:  triple fault; RCX ignored
 *   HV_STOP_WATCHDOG:  RCX = time limit in milliseconds from now
 */
#define HV_STOP_NONE     0
#define HV_STOP_NPF      1
#define HV_STOP_SHUTDOWN 2
#define HV_STOP_WATCHDOG 3

/* I/O ports the hypervisor emulates for every vCPU. */
#define HV_PORT_COM1      0x3f8   /* 0x3f8-0x3ff: 16550 UART, output line-buffered per vCPU */
#define HV_PORT_TEST_END  0xf4    /* OUT (any size): this vCPU has finished, with an HV_END_* value */

/*
 * Platform: what every test VM has besides RAM (APM Vol 2 Chapter 16; the
 * 82093AA IOAPIC data sheet for the IOAPIC).
 *   Local APIC per vCPU: reset state, xAPIC mode at HV_LAPIC_BASE, APIC ID =
 *     vCPU index; x2APIC is advertised (CPUID 1 ECX[21]) and can be enabled
 *     through IA32_APIC_BASE; TSC-deadline timer advertised (CPUID 1 ECX[24]).
 *   IOAPIC at HV_IOAPIC_BASE (version 0x11, ID 0 at reset), HV_IOAPIC_PINS pins, all
 *     masked at reset.
 *   Interrupt test device: OUT of a byte to HV_PORT_IRQ_LINE + n drives
 *     IOAPIC pin n: non-zero high, zero low (asserted = high for an
 *     active-high redirection entry, low for an active-low one).  Pins
 *     start low.  IN reads the level back.  As the ISA lines of a PC, line
 *     n < 16 also drives input n of the 8259A pair (master ports 0x20/0x21
 *     = IRQ 0-7, slave 0xA0/0xA1 = IRQ 8-15 on the master's IR2; edge
 *     triggered, a rising edge latches the request; every input masked at
 *     reset), except line 2, whose PIC input is the cascade.  The master's
 *     INT reaches LINT0 of every local APIC (taken in ExtINT mode).
 */
#define HV_LAPIC_BASE     0xfee00000u
#define HV_IOAPIC_BASE    0xfec00000u
#define HV_IOAPIC_PINS    24
#define HV_PORT_IRQ_LINE  0x2000  /* 0x2000 .. 0x2000 + HV_IOAPIC_PINS - 1 */

/* Values written to HV_PORT_TEST_END.  Anything but HV_END_OK fails the test. */
#define HV_END_OK         0       /* the test function returned */
#define HV_END_CRASH      1       /* an unexpected exception (already reported as FAIL) */
#define HV_END_BAD_BOOT   0xdead  /* entered without HV_BOOT_MAGIC or with an impossible boot info */

#endif
