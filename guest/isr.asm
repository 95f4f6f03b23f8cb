; guest/isr.asm - the guest's exception and interrupt entry stubs and the
; catch trampoline.
;
; What the CPU does on an exception in 64-bit mode at CPL 0, no IST
; (APM Vol 2 §8.9 "Long-Mode Interrupt Control Transfers"):
;  1. aligns RSP down to 16 bytes;
;  2. pushes SS, RSP, RFLAGS, CS, RIP and, for vectors 8, 10-14, 17, 21,
;     29 and 30, an error code;
;  3. jumps to the handler of the IDT gate (an interrupt gate: IF cleared).
; Each stub pushes a 0 where the CPU pushes no error code, then the vector;
; the common path pushes the GPRs, which gives struct ex_regs
; (guest/lib/exception.h), and calls guest_exception(regs).  The C side may
; change the saved registers and frame: that is how a caught exception
; resumes at guest_catch_landing.
;
; Vectors 32-255 are external interrupts (from the virtual local APIC): the
; CPU pushes no error code for them, so every stub pushes 0 and the vector,
; and irq_common builds the same struct ex_regs and calls guest_irq(regs)
; (guest/lib/irq.c).  All vCPUs share these stubs and the IDT; everything
; they touch is on the interrupted vCPU's own stack.

bits 64
default rel

%include "asm-offsets.inc"
%include "lib/x86.inc"

; The IDT has 256 vectors (APM Vol 2 §8.2 "Vectors"); guest/lib/exception.h
; NR_VECTORS is the same number (asm-offsets.inc has only NR_EXCEPTIONS).
%define NR_VECTORS 256

extern guest_exception
extern guest_irq

section .text

%macro EXC_STUB 1
exc_stub_%1:
%if X86_HAS_ERROR_CODE(%1)
	push qword %1           ; the CPU pushed the error code
%else
	push qword 0            ; no error code: keep the frame shape
	push qword %1
%endif
	jmp exc_common
%endmacro

%assign v 0
%rep NR_EXCEPTIONS
EXC_STUB v
%assign v v + 1
%endrep

; 15 GPRs, vector, error code, 5-word CPU frame: 22 words.  The CPU frame
; leaves RSP 8 mod 16, error code and vector make it 8 again, the 15 GPRs
; 0: so the call below is made with the 16-byte alignment the ABI wants.
	ASSERT_EQ EX_REGS_SIZE, 22 * 8
	ASSERT_EQ EX_REGS_VECTOR, 15 * 8
	ASSERT_EQ EX_REGS_RIP, 17 * 8

exc_common:
	PUSH_GPRS
	mov rdi, rsp            ; struct ex_regs *
	cld                     ; the ABI wants DF clear on calls
	call guest_exception
	POP_GPRS
	add rsp, 16             ; vector and error code
	iretq

; Interrupts: same frame, same registers; only the C function differs.
%macro IRQ_STUB 1
irq_stub_%1:
	push qword 0
	push qword %1
	jmp irq_common
%endmacro

global irq_stubs_start
global irq_stubs_end
irq_stubs_start:
%assign v NR_EXCEPTIONS
%rep NR_VECTORS - NR_EXCEPTIONS
IRQ_STUB v
%assign v v + 1
%endrep

irq_stubs_end:

; irq_active[vector] (struct guest_percpu, through GS) counts the deliveries
; of a vector between here and the return from guest_irq: a second one with
; IF=0 is QEMU re-delivering the first (guest/lib/irq.h).  From the first
; stub to irq_common_end the RIP alone says so.
global irq_common_end
irq_common:
	PUSH_GPRS
	mov rdi, rsp            ; struct ex_regs *
	mov rax, [rsp + EX_REGS_VECTOR]
	inc byte [gs:rax + PERCPU_IRQ_ACTIVE]
	cld
	call guest_irq
	mov rax, [rsp + EX_REGS_VECTOR]
	dec byte [gs:rax + PERCPU_IRQ_ACTIVE]
	POP_GPRS
	add rsp, 16             ; vector and error code
	iretq
irq_common_end:

; int guest_catch_call(void (*fn)(void *) rdi, void *arg rsi, u64 *rsp_slot rdx)
;
; setjmp() and the call in one: saves the callee-saved registers, stores the
; resulting RSP in *rsp_slot (which arms catch_exception()), calls fn(arg)
; and returns EXC_NONE.  When fn raises an exception, guest_exception()
; points the frame's RIP at guest_catch_landing, its RSP at *rsp_slot and
; the saved RAX at the vector; the IRETQ then lands below with the stack as
; it was at the call, and the shared epilogue returns the vector.
global guest_catch_call
global guest_catch_landing
guest_catch_call:
	push rbx
	push rbp
	push r12
	push r13
	push r14
	push r15
	sub rsp, 8              ; entry RSP was 8 mod 16; 6 pushes + 8 make it 0
	mov [rdx], rsp
	mov rax, rdi
	mov rdi, rsi
	call rax
	mov eax, EXC_NONE
guest_catch_landing:
	add rsp, 8
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	ret

section .rodata
align 8
global guest_exception_stubs
guest_exception_stubs:
%assign v 0
%rep NR_EXCEPTIONS
	dq exc_stub_ %+ v
%assign v v + 1
%endrep

global guest_irq_stubs
guest_irq_stubs:
%assign v NR_EXCEPTIONS
%rep NR_VECTORS - NR_EXCEPTIONS
	dq irq_stub_ %+ v
%assign v v + 1
%endrep

section .note.GNU-stack noalloc noexec nowrite progbits
