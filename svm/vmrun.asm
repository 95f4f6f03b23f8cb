; svm/vmrun.asm - the world switch: void svm_vmrun(u64 vmcb_pa,
;                 struct guest_regs *regs, u64 host_save_pa)   (SysV ABI)
;
; What happens across VMRUN and #VMEXIT (APM Vol 2 §15.5.1 "Basic Operation",
; §15.5.2 "VMSAVE and VMLOAD Instructions", §15.6 "#VMEXIT"):
;  1. The caller has done CLGI: no interrupt, NMI or SMI can arrive until
;     STGI, so the half-switched state below is never observed.
;  2. VMSAVE to the host save area: VMRUN does not save the host's FS, GS,
;     TR, LDTR (with hidden state), KernelGsBase, STAR/LSTAR/CSTAR/SFMASK or
;     SYSENTER MSRs.  Our GS base is the per-CPU pointer, so this matters.
;  3. Load the guest GPRs that VMRUN does not switch (all but RAX and RSP,
;     which live in the VMCB).
;  4. VMLOAD the guest's copies of the registers in step 2, from its VMCB.
;  5. VMRUN (rAX = VMCB physical address): saves host RIP/RSP/RAX/CRs/...
;     in VM_HSAVE_PA, loads the guest state, injects EVENTINJ, sets GIF=1
;     and runs the guest until an intercepted event.
;  6. #VMEXIT: the CPU writes guest state and exit information to the VMCB,
;     clears GIF, and reloads the host state saved by VMRUN (so RSP and RAX
;     are ours again; RAX = VMCB address).
;  7. VMSAVE the guest's FS/GS/TR/... into its VMCB, store the guest GPRs,
;     VMLOAD the host's registers back, return.  The caller then does STGI.

%include "asm-offsets.inc"

bits 64
default rel
section .text

global svm_vmrun
svm_vmrun:
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	push rdx                        ; [rsp+8] host save area
	push rsi                        ; [rsp]   struct guest_regs *

	mov rax, rdx
	vmsave                          ; step 2

	mov rax, rdi                    ; VMCB physical address
	mov rbx, [rsi + GR_RBX]         ; step 3
	mov rcx, [rsi + GR_RCX]
	mov rdx, [rsi + GR_RDX]
	mov rdi, [rsi + GR_RDI]
	mov rbp, [rsi + GR_RBP]
	mov r8,  [rsi + GR_R8]
	mov r9,  [rsi + GR_R9]
	mov r10, [rsi + GR_R10]
	mov r11, [rsi + GR_R11]
	mov r12, [rsi + GR_R12]
	mov r13, [rsi + GR_R13]
	mov r14, [rsi + GR_R14]
	mov r15, [rsi + GR_R15]
	mov rsi, [rsi + GR_RSI]

	vmload                          ; step 4
	vmrun                           ; steps 5 and 6
	vmsave                          ; step 7: guest FS/GS/TR/... to its VMCB

	push rsi                        ; guest RSI; regs pointer now at [rsp+8]
	mov rsi, [rsp + 8]
	mov [rsi + GR_RBX], rbx
	mov [rsi + GR_RCX], rcx
	mov [rsi + GR_RDX], rdx
	mov [rsi + GR_RDI], rdi
	mov [rsi + GR_RBP], rbp
	mov [rsi + GR_R8],  r8
	mov [rsi + GR_R9],  r9
	mov [rsi + GR_R10], r10
	mov [rsi + GR_R11], r11
	mov [rsi + GR_R12], r12
	mov [rsi + GR_R13], r13
	mov [rsi + GR_R14], r14
	mov [rsi + GR_R15], r15
	pop rbx
	mov [rsi + GR_RSI], rbx

	pop rsi
	pop rax                         ; host save area
	vmload                          ; host FS/GS/TR/... back

	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret

section .note.GNU-stack noalloc noexec nowrite progbits
