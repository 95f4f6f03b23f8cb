; guest/entry.asm - the guest image header and the entry point of every vCPU.
;
; The hypervisor enters each vCPU at guest_entry32 as lib/hv_abi.h says:
; 32-bit flat protected mode, paging off, interrupts off, EAX = HV_BOOT_MAGIC,
; EBX = GPA of struct hv_boot_info, ESI = vCPU index.  From there
; (APM Vol 2 §14.6 "Enabling and Activating Long Mode"):
;  1. check EAX; without the magic, end the vCPU with GUEST_END_BAD_BOOT;
;  2. load the guest's own GDT;
;  3. set CR4.PAE;
;  4. point CR3 at the static page tables below (identity map of 0-4 GiB
;     with 2 MiB pages, no runtime building, so all vCPUs start at once);
;  5. set EFER.LME with RDMSR/WRMSR (the hypervisor emulates EFER);
;  6. set CR0.PG (with PE, MP, NE, WP; EM clear): long mode is now active,
;     still in compatibility mode because CS is the 32-bit code segment;
;  7. far jump to the 64-bit code segment;
;  8. load the data segments, take this vCPU's stack at the top of guest RAM
;     (min(ram_size, 4 GiB) - vcpu * GUEST_STACK_SIZE), and call
;     guest_start(boot_info, vcpu), which never returns.
; .bss needs no clearing: the hypervisor zeroes all guest RAM.

%include "asm-offsets.inc"
%include "lib/x86.inc"

PTE_P   equ 1 << 0          ; present
PTE_W   equ 1 << 1          ; writable
PTE_PS  equ 1 << 7          ; 2 MiB page in a page-directory entry

extern guest_start
extern __guest_file_size
extern __guest_mem_size

; --- image header (struct hv_guest_header); linker.ld puts it first ----------
section .header progbits alloc noexec nowrite align=8
guest_header:
	dq HV_GUEST_HDR_MAGIC
	dd HV_GUEST_LOAD_GPA
	dd guest_entry32
	dd __guest_file_size
	dd __guest_mem_size
guest_header_end:
	ASSERT_EQ guest_header_end - guest_header, HDR_SIZE
	ASSERT_EQ HDR_MAGIC, 0
	ASSERT_EQ HDR_LOAD_GPA, 8
	ASSERT_EQ HDR_ENTRY_GPA, 12
	ASSERT_EQ HDR_FILE_SIZE, 16
	ASSERT_EQ HDR_MEM_SIZE, 20

; --- 32-bit entry ---------------------------------------------------------------
section .text.entry progbits alloc exec nowrite align=16
bits 32
global guest_entry32
guest_entry32:
	cmp eax, HV_BOOT_MAGIC
	jne .bad_boot

	lgdt [guest_gdt_ptr]

	mov eax, cr4
	or eax, CR4_PAE
	mov cr4, eax

	mov eax, guest_pml4
	mov cr3, eax

	mov ecx, MSR_EFER
	rdmsr
	or eax, EFER_LME
	wrmsr

	mov eax, cr0
	and eax, ~CR0_EM
	or eax, CR0_PG | CR0_WP | CR0_NE | CR0_MP | CR0_PE
	mov cr0, eax

	jmp GUEST_SEL_CODE64:long_mode

.bad_boot:
	mov dx, HV_PORT_TEST_END
	mov eax, GUEST_END_BAD_BOOT
	out dx, eax
.halt:
	cli
	hlt
	jmp .halt

; --- 64-bit ----------------------------------------------------------------------
bits 64
long_mode:
	mov ax, GUEST_SEL_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax

	; Only the low halves were defined in 32-bit mode.
	mov ebx, ebx
	mov esi, esi

	; The stacks must stay inside the identity map: cap RAM at 4 GiB.
	mov rax, [rbx + BOOT_INFO_RAM_SIZE]
	mov rcx, 1 << 32
	cmp rax, rcx
	cmova rax, rcx
	mov rcx, rsi
	imul rcx, rcx, GUEST_STACK_SIZE
	add rcx, GUEST_STACK_SIZE
	cmp rax, rcx
	jb .bad_boot64                  ; RAM cannot hold this vCPU's stack
	sub rcx, GUEST_STACK_SIZE
	sub rax, rcx
	and rax, ~0xf
	mov rsp, rax

	xor ebp, ebp
	mov rdi, rbx                    ; struct hv_boot_info *
	; esi: vCPU index
	call guest_start
	; guest_start() ends the vCPU; should it return, end it here.
.bad_boot64:
	mov dx, HV_PORT_TEST_END
	mov eax, GUEST_END_BAD_BOOT
	out dx, eax
.halt64:
	cli
	hlt
	jmp .halt64

; --- GDT -------------------------------------------------------------------------
; Accessed bits preset, so loading a selector never writes to the table.
section .data
align 8
guest_gdt:
	dq 0                            ; null
.code64:
	dq 0x00af9b000000ffff           ; 64-bit code: L=1, D=0, P, DPL 0, execute/read
.data_seg:
	dq 0x00cf93000000ffff           ; data: 4 GiB, G, D/B, P, DPL 0, read/write
guest_gdt_end:
	ASSERT_EQ guest_gdt.code64 - guest_gdt, GUEST_SEL_CODE64
	ASSERT_EQ guest_gdt.data_seg - guest_gdt, GUEST_SEL_DATA

; LGDT in 32-bit mode reads the limit and the low 4 bytes of the base.
align 8
guest_gdt_ptr:
	dw guest_gdt_end - guest_gdt - 1
	dq guest_gdt

; --- page tables -------------------------------------------------------------------
; Identity map of 0-4 GiB: one PML4 entry -> one PDPT with 4 entries -> 4 page
; directories of 512 2 MiB pages (APM Vol 2 §5.3.4 "2-Mbyte Page Translation").
; Shared by all vCPUs; guest/lib/paging.c adds windows above 4 GiB.
section .data.pagetables progbits alloc noexec write align=4096
global guest_pml4
guest_pml4:
	dq guest_pdpt + PTE_P + PTE_W
	times 511 dq 0
guest_pdpt:
%assign i 0
%rep 4
	dq guest_pd + i * 4096 + PTE_P + PTE_W
%assign i i + 1
%endrep
	times 512 - 4 dq 0
guest_pd:
%assign i 0
%rep 4 * 512
	dq (i << 21) + PTE_P + PTE_W + PTE_PS
%assign i i + 1
%endrep

section .note.GNU-stack noalloc noexec nowrite progbits
