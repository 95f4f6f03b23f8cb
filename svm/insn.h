/*
 * svm/insn.h - just enough x86 decoding to skip an intercepted instruction.
 *
 * Without NRIPS (APM Vol 2 §15.7.1 "State Saved on Exit": nRIP is written
 * only when CPUID 0x8000_000A EDX[3] is set; QEMU TCG never sets it) the
 * hypervisor must compute the length of the instruction that exited before
 * it can advance RIP.  It fetches the bytes at the guest RIP itself (no
 * decode assists under TCG either, see svm/guest_walk.h) and asks here.
 */
#ifndef SVM_INSN_H
#define SVM_INSN_H

#include "lib/types.h"

#define INSN_MAX_LEN            15      /* longer is #GP on real hardware */
#define INSN_MAX_PREFIXES       14

/*
 * Length of the instruction at bytes[0 .. avail) that caused exit_code, or
 * -1 if the bytes are not that instruction (or are cut short, or are longer
 * than 15 bytes), so that the caller never skips the wrong instruction.
 *
 * Legacy prefixes (66 67 F0 F2 F3 2E 36 3E 26 64 65) are skipped, and in
 * 64-bit mode (long_mode: EFER.LMA and CS.L) one REX byte directly before
 * the opcode.  Handled exits: CPUID, MSR (RDMSR or WRMSR), VMMCALL, HLT,
 * VMRUN, VMLOAD, VMSAVE, STGI, CLGI, SKINIT, INVLPGA, RDTSC, RDTSCP, RDPMC,
 * RDPRU, INVD, WBINVD (also WBNOINVD, F3 0F 09), MONITOR/MONITORX,
 * MWAIT/MWAITX (both MWAIT exits), XSETBV, PAUSE, ICEBP and INVLPG.
 *
 * Outside 64-bit mode the code segment is taken to be 32-bit (CS.D=1): the
 * only place this matters is the address size of INVLPG's memory operand.
 */
int insn_length_for_exit(const u8 *bytes, unsigned avail, u64 exit_code, bool long_mode);

/*
 * Bytes taken by a ModRM byte at p[0] and the SIB byte and displacement that
 * follow it, or -1 if avail is too short.
 *   addr32     the effective address size is 32 or 64 bits (the 32-bit
 *              ModRM/SIB form); false: 16-bit addressing ([BX+SI] forms)
 *   long_mode  64-bit code: forces the 32-bit form (16-bit addressing does
 *              not exist there); mod=00 r/m=101 is then RIP-relative,
 *              which has the same length as disp32
 */
int insn_modrm_length(const u8 *p, unsigned avail, bool addr32, bool long_mode);

/*
 * b is one of the legacy prefix bytes listed above (APM Vol 3 §1.2.1
 * "Summary of Legacy Prefixes"); svm/insn_mmio.c uses it too.
 */
bool insn_is_legacy_prefix(u8 b);

#endif
