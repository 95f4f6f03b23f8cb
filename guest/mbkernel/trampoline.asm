; guest/mbkernel/trampoline.asm - where the Multiboot test kernel's APs start
; (guest/mbkernel/main.c, start_aps()).
;
; main.c copies [ap_trampoline, ap_trampoline_end) to a page below 1 MiB and
; sends INIT, then STARTUP with vector = page >> 12 (APM Vol 2 §16.5
; "Interprocessor Interrupts (IPI)"; the AP state a STARTUP gives: APM Vol 2 §14.1.3
; "Processor Initialization State").  What the AP then does:
;  1. real mode, CS = page << 8, IP = 0, DS and the rest base 0, IF = 0:
;     DS = CS, so the trampoline's own data is at small offsets; the page's
;     linear address is CS << 4 (this code runs in whatever page it was
;     copied to, nothing here names it);
;  2. patches its GDT pointer and its far-jump target with that address, loads
;     its own GDT (the kernel's, entry.asm, is above 1 MiB and means nothing
;     yet), clears CR0.CD/NW (INIT leaves caching off, Table 14-1) and sets
;     CR0.PE; paging stays off;
;  3. far-jumps through memory (JMP m16:32: no self-modifying code) into the
;     32-bit code segment and loads the data segments;
;  4. takes an arrival number with LOCK XADD on ap_tickets: it picks this AP's
;     stack from ap_stack_top[] (main.c fills it before the first STARTUP), so
;     no AP can take another's stack, not even one that starts twice;
;  5. calls ap_main(arrival) in main.c, which never returns.  An arrival
;     beyond the stacks, or a return, ends in a CLI/HLT loop.
; The A20 gate needs no opening: nothing here lies above 1 MiB in real mode.
;
; The copy runs elsewhere than it was linked: within it only relative jumps
; and offsets from ap_trampoline (T()) are used, and the kernel's symbols are
; reached through absolute addresses (an absolute indirect CALL), never
; through a relative CALL.

bits 16

CR0_PE          equ 1 << 0
CR0_NW          equ 1 << 29
CR0_CD          equ 1 << 30
KERNEL_CS       equ 0x08            ; the same selectors as entry.asm's GDT
KERNEL_DS       equ 0x10

; An offset within the trampoline: what DS-relative operands in real mode need.
%define T(label) ((label) - ap_trampoline)

extern ap_main, ap_tickets, ap_stack_top, ap_nr_stacks
global ap_trampoline, ap_trampoline_end

; Read-only in the kernel image: only the copy runs (and is patched).
section .rodata.ap_trampoline progbits alloc noexec nowrite align=16
ap_trampoline:
	cli
	cld
	mov ax, cs
	mov ds, ax
	movzx ebx, ax
	shl ebx, 4                      ; ebx = linear address of ap_trampoline

	lea eax, [ebx + T(tr_gdt)]
	mov [T(tr_gdt_desc) + 2], eax
	lea eax, [ebx + T(tr_pm32)]
	mov [T(tr_pm32_ptr)], eax
	o32 lgdt [T(tr_gdt_desc)]

	mov eax, cr0
	and eax, ~(CR0_CD | CR0_NW)
	or eax, CR0_PE
	mov cr0, eax
	jmp dword far [T(tr_pm32_ptr)]  ; reloads CS: from here 32-bit code

bits 32
tr_pm32:
	mov ax, KERNEL_DS
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov ss, ax

	mov eax, 1
	lock xadd [ap_tickets], eax     ; eax = how many APs came here before this one
	cmp eax, [ap_nr_stacks]
	jae .park
	mov esp, [ap_stack_top + eax * 4]
	push eax
	mov ecx, ap_main
	call ecx                        ; absolute: a relative CALL would miss from the copy
.park:
	cli
	hlt
	jmp .park

align 8
tr_gdt:
	dq 0                            ; null
	dq 0x00cf9a000000ffff           ; 0x08: 32-bit code, base 0, limit 4 GiB, DPL 0
	dq 0x00cf92000000ffff           ; 0x10: 32-bit data, base 0, limit 4 GiB, DPL 0
tr_gdt_end:
tr_gdt_desc:
	dw tr_gdt_end - tr_gdt - 1
	dd 0                            ; patched: linear address of tr_gdt
tr_pm32_ptr:
	dd 0                            ; patched: linear address of tr_pm32
	dw KERNEL_CS
ap_trampoline_end:
