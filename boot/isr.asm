; boot/isr.asm - host interrupt entry stubs and two small CPU helpers.
;
; What the hardware does on an interrupt or exception in 64-bit mode
; (APM Vol 2 §8.9 "Long-Mode Interrupt Control Transfers"):
;  1. aligns RSP down to 16 bytes (or switches to an IST stack),
;  2. pushes SS, RSP, RFLAGS, CS, RIP and, for some exceptions, an error code,
;  3. loads CS:RIP from the IDT gate; an interrupt gate also clears RFLAGS.IF.
; Each stub below pushes a dummy error code where the CPU pushes none, then
; the vector number, so every frame has the same shape (struct irq_frame in
; hv/irq.h); the common path saves the GPRs and calls hv_irq_dispatch().

bits 64
default rel
%include "lib/x86.inc"

section .text

extern hv_irq_dispatch

%macro STUB 1
isr_stub_%1:
%if X86_HAS_ERROR_CODE(%1)
	push qword %1
%else
	push qword 0            ; dummy error code
	push qword %1
%endif
	jmp isr_common
%endmacro

%assign v 0
%rep 256
STUB v
%assign v v+1
%endrep

isr_common:
	; [rsp] = vector, [rsp+8] = error code, then the CPU frame.
	PUSH_GPRS
	cld
	mov rdi, rsp
	call hv_irq_dispatch
	POP_GPRS
	add rsp, 16             ; vector + error code
	iretq

section .data.rel.ro
global isr_stub_table
align 8
isr_stub_table:
%assign v 0
%rep 256
	dq isr_stub_ %+ v
%assign v v+1
%endrep

section .text
; void cpu_reload_segments(u16 cs, u16 ds)
global cpu_reload_segments
cpu_reload_segments:
	mov ds, si
	mov es, si
	mov ss, si
	xor eax, eax
	mov fs, ax
	; GS selector 0: leaves the GS base MSR alone.
	mov gs, ax
	pop rax                 ; return address
	push rdi                ; new CS
	push rax
	retfq

; void cpu_switch_stack(u64 rsp, void (*fn)(void *), void *arg)
global cpu_switch_stack
cpu_switch_stack:
	mov rsp, rdi
	xor ebp, ebp
	mov rdi, rdx
	push rbp                ; fake return address; fn never returns
	jmp rsi

section .note.GNU-stack noalloc noexec nowrite progbits
