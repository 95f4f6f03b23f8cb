; guest/mbkernel/entry.asm - the Multiboot header, the 32-bit entry point,
; the kernel's own GDT, the exception stubs and the fault-catching MSR
; accessors of the Multiboot test kernel (guest/mbkernel/main.c).
;
; What a Multiboot (v1) boot loader leaves (Multiboot 0.6.96 §3.2 "Machine
; state"): EAX = 0x2BADB002, EBX = the physical address of the boot
; information; CS a 32-bit read/execute segment and DS/ES/FS/GS/SS 32-bit
; read/write segments, all with base 0 and limit 4 GiB; CR0.PG = 0, CR0.PE = 1;
; EFLAGS.VM = 0, EFLAGS.IF = 0; ESP, GDTR and IDTR undefined.  So _start:
;  1. records EAX, EBX, EFLAGS and CR0 as they arrived (the checks look at them);
;  2. takes its own stack: ESP is undefined;
;  3. loads its own GDT and reloads every segment register: "the OS image
;     must create its own GDT as soon as it needs to set any segment
;     registers", and the IDT gates below name the selector 0x08;
;  4. calls mb_main(), which returns the exit status;
;  5. writes the status to the debug-exit port 0xF4 and halts.

bits 32

%include "lib/x86.inc"

MB_HEADER_MAGIC     equ 0x1BADB002
MB_HDR_PAGE_ALIGN   equ 1 << 0          ; modules on 4 KiB boundaries
MB_HDR_MEMORY_INFO  equ 1 << 1          ; mem_lower/mem_upper (and the memory map)
MB_HDR_FLAGS        equ MB_HDR_PAGE_ALIGN | MB_HDR_MEMORY_INFO

DEBUG_EXIT_PORT     equ 0xf4
STACK_SIZE          equ 16384
KERNEL_CS           equ 0x08
KERNEL_DS           equ 0x10

extern mb_main
extern mb_exception
global _start
global boot_eax, boot_ebx, boot_eflags, boot_cr0
global exc_stub_table
global msr_read_safe, msr_write_safe
global fault_fixup, fault_vector

; --- Multiboot §3.1.1: in the first 8192 bytes, 32-bit aligned -----------------
; mbkernel.ld puts this section first in the first loadable segment.
section .multiboot progbits alloc noexec nowrite align=4
	dd MB_HEADER_MAGIC
	dd MB_HDR_FLAGS
	dd -(MB_HEADER_MAGIC + MB_HDR_FLAGS)    ; magic + flags + checksum = 0

section .text
_start:
	mov [boot_eax], eax
	mov [boot_ebx], ebx
	mov esp, stack_top
	pushfd
	pop dword [boot_eflags]
	mov eax, cr0
	mov [boot_cr0], eax

	lgdt [gdt_desc]
	jmp KERNEL_CS:.reload_cs
.reload_cs:
	mov ax, KERNEL_DS
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov ss, ax

	push dword [boot_ebx]
	push dword [boot_eax]
	call mb_main
	add esp, 8
	out DEBUG_EXIT_PORT, eax
.halt:
	cli
	hlt
	jmp .halt

; --- exceptions ------------------------------------------------------------------
; At CPL 0 in protected mode the CPU pushes EFLAGS, CS, EIP and, for the
; vectors of X86_HAS_ERROR_CODE, an error code (APM Vol 2 §8.7 "Legacy
; Protected-Mode Interrupt Control Transfers").  Each stub adds a 0 where
; there is none, then the vector; exc_common adds PUSHAD, which gives
; struct exc_frame in main.c.  mb_exception() may change the saved EIP
; (that is how a caught fault resumes at its fixup).
%macro EXC_STUB 1
exc_stub_%1:
%if !X86_HAS_ERROR_CODE(%1)
	push dword 0
%endif
	push dword %1
	jmp exc_common
%endmacro

%assign v 0
%rep 32
EXC_STUB v
%assign v v + 1
%endrep

exc_common:
	pushad
	push esp                ; struct exc_frame *
	call mb_exception
	add esp, 4
	popad
	add esp, 8              ; vector and error code
	iretd

section .rodata
align 4
exc_stub_table:
%assign v 0
%rep 32
	dd exc_stub_ %+ v
%assign v v + 1
%endrep

; --- MSR accessors that survive a #GP ------------------------------------------------
; u32 msr_read_safe(u32 msr, u32 *lo, u32 *hi): 0, or the vector of the fault.
; u32 msr_write_safe(u32 msr, u32 lo, u32 hi): the same.
; fault_fixup holds where a fault in RDMSR/WRMSR resumes; mb_exception()
; stores the vector in fault_vector and moves the saved EIP there.  The
; fault is taken at CPL 0 without a stack switch, so IRET leaves ESP as it
; was at the RDMSR and the code after the fixup label sees its own frame.
section .text
msr_read_safe:
	push ebx
	mov dword [fault_vector], 0
	mov dword [fault_fixup], .resume
	mov ecx, [esp + 8]
	rdmsr
	mov ebx, [esp + 12]
	mov [ebx], eax
	mov ebx, [esp + 16]
	mov [ebx], edx
.resume:
	mov dword [fault_fixup], 0
	mov eax, [fault_vector]
	pop ebx
	ret

msr_write_safe:
	mov dword [fault_vector], 0
	mov dword [fault_fixup], .resume
	mov ecx, [esp + 4]
	mov eax, [esp + 8]
	mov edx, [esp + 12]
	wrmsr
.resume:
	mov dword [fault_fixup], 0
	mov eax, [fault_vector]
	ret

; --- data ------------------------------------------------------------------------------
section .data
align 8
gdt:
	dq 0                            ; null
	dq 0x00cf9a000000ffff           ; 0x08: 32-bit code, base 0, limit 4 GiB, DPL 0
	dq 0x00cf92000000ffff           ; 0x10: 32-bit data, base 0, limit 4 GiB, DPL 0
gdt_end:
gdt_desc:
	dw gdt_end - gdt - 1
	dd gdt

boot_eax:       dd 0
boot_ebx:       dd 0
boot_eflags:    dd 0
boot_cr0:       dd 0
fault_fixup:    dd 0
fault_vector:   dd 0

section .bss
alignb 16
stack:
	resb STACK_SIZE
stack_top:
