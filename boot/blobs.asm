; boot/blobs.asm - binary images embedded in the hypervisor: the AP
; trampoline (boot/ap_trampoline.nasm, flat binary) and the test guests
; (guest/, flat image linked by linker.ld).

section .rodata
align 4096
global ap_trampoline_start, ap_trampoline_end
ap_trampoline_start:
	incbin "gen/ap_trampoline.bin"
ap_trampoline_end:

align 4096
global guest_image_start, guest_image_end
guest_image_start:
	incbin "guest/guest.bin"
guest_image_end:

section .note.GNU-stack noalloc noexec nowrite progbits
