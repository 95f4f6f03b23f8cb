; boot/ap_trampoline.nasm - where an application processor starts.
;
; Assembled as a flat binary (nasm -f bin) and copied by boot/smp.c to a page
; below 1 MiB that was reserved before ExitBootServices.  What happens:
;  1. The BSP sends INIT, then STARTUP with vector = page >> 12 (APM Vol 2
;     §16.5 "Interprocessor Interrupts"); the AP starts in real mode at
;     CS = page << 8 (segment), IP = 0.
;  2. 16-bit: compute the page's linear address from CS, patch the GDT
;     pointer and the far-jump target (this code runs at any page), load the
;     GDT, set CR0.PE, far-jump to 32-bit code.
;  3. 32-bit: set CR4.PAE, load CR3 from the parameter block (the
;     hypervisor's page tables, below 4 GiB), set EFER.LME, set CR0.PG:
;     long mode (compatibility), then far-return into the 64-bit segment.
;  4. 64-bit: take this AP's stack and argument from the parameter block and
;     call the C entry (ap_main).  The BSP starts one AP at a time, so one
;     parameter block suffices; the AP sets `started` once it has read it.

bits 16
org 0

TRAMP_PARAMS    equ 0xf00           ; parameter block offset (struct ap_trampoline_params)
P_CR3           equ TRAMP_PARAMS + 0
P_ENTRY         equ TRAMP_PARAMS + 8
P_STACK         equ TRAMP_PARAMS + 16
P_ARG           equ TRAMP_PARAMS + 24
P_STARTED       equ TRAMP_PARAMS + 32
P_EFER          equ TRAMP_PARAMS + 40

start16:
	cli
	cld
	mov ax, cs
	mov ds, ax
	xor ebx, ebx
	mov bx, ax
	shl ebx, 4                      ; ebx = linear address of this page

	lea eax, [ebx + gdt]
	mov [gdtr + 2], eax
	lea eax, [ebx + start32]
	mov [far32], eax
	lea eax, [ebx + start64]
	mov [far64], eax

	lgdt [gdtr]
	mov eax, cr0
	or eax, 1                       ; PE
	mov cr0, eax
	jmp dword far [far32]           ; o32 jmp m16:32

bits 32
start32:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, cr4
	or eax, 1 << 5                  ; PAE
	mov cr4, eax
	mov eax, [ebx + P_CR3]
	mov cr3, eax
	mov ecx, 0xc0000080             ; EFER
	rdmsr
	or eax, [ebx + P_EFER]          ; LME (and NXE when the BSP has it)
	wrmsr
	mov eax, cr0
	or eax, (1 << 31) | (1 << 16) | 1   ; PG | WP | PE
	mov cr0, eax
	jmp far [ebx + far64]           ; into the 64-bit code segment

bits 64
start64:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov rsp, [rbx + P_STACK]
	mov rdi, [rbx + P_ARG]
	mov rax, [rbx + P_ENTRY]
	mov qword [rbx + P_STARTED], 1
	xor ebp, ebp
	push rbp
	jmp rax

align 16
gdt:
	dq 0
	dq 0x00cf9b000000ffff               ; 0x08: 32-bit code
	dq 0x00cf93000000ffff               ; 0x10: data
	dq 0x00af9b000000ffff               ; 0x18: 64-bit code
gdt_end:

gdtr:
	dw gdt_end - gdt - 1
	dd 0                                ; patched: linear address of gdt

far32:
	dd 0                                ; patched: linear address of start32
	dw 0x08
far64:
	dd 0                                ; patched: linear address of start64
	dw 0x18

times TRAMP_PARAMS - ($ - $$) db 0
params:
	times 64 db 0
