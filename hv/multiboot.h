/*
 * hv/multiboot.h - booting a user-supplied Multiboot (version 1) ELF kernel
 * as the guest: checking the file, loading its segments into guest RAM and
 * building the Multiboot information structure (MBI).
 *
 * Pure code (no hypervisor state, no I/O): guest RAM is a buffer given as
 * pointer + size, so tests/unit/test_multiboot.c runs all of it on the host.
 * The facts come from the Multiboot Specification version 0.6.96 (cited as
 * "Multiboot §x.y") and the System V ABI ELF format (cited as "ELF").
 *
 * Guest-physical layout that mb_load() produces (everything page aligned):
 *
 *   0 .. 1 MiB        untouched: page 0 and low memory stay free for the
 *                     kernel's own AP trampoline; the PC's legacy hole
 *                     0xA0000-0xFFFFF is reported reserved in the memory map
 *   segments          where the ELF program headers say (p_paddr), >= 1 MiB
 *   info area         after the highest loaded byte: the MBI, the module list,
 *                     the memory map, the command line, the module strings
 *                     and the boot loader's name
 *   module 0, 1, ...  each page aligned, in the order given
 *
 * The info area sits before the modules so that a kernel which keeps
 * [its own start, end of the last module) for itself also keeps the MBI.
 */
#ifndef HV_MULTIBOOT_H
#define HV_MULTIBOOT_H

#include "lib/types.h"

/* Multiboot §3.1.1 "The layout of Multiboot header" and §3.1.2 "The magic fields". */
#define MB_HEADER_MAGIC         0x1BADB002u
#define MB_HEADER_SEARCH        8192u           /* the header lies completely within these bytes */
#define MB_HEADER_ALIGN         4u              /* ... on a 32-bit boundary */
#define MB_HDR_PAGE_ALIGN       BIT(0)          /* modules on 4 KiB boundaries */
#define MB_HDR_MEMORY_INFO      BIT(1)          /* mem_* (and the memory map) wanted */
#define MB_HDR_VIDEO_MODE       BIT(2)          /* video mode table wanted */
#define MB_HDR_AOUT_KLUDGE      BIT(16)         /* header_addr .. entry_addr fields valid */
/*
 * "If bit 0 in the flags word is set ... Bits 0-15 indicate requirements; if
 * the boot loader sees any of these bits set but doesn't understand the flag
 * or can't fulfill the requirements it indicates for some reason, it must
 * notify the user and fail to load the OS image."  Bits 16-31 are optional.
 */
#define MB_HDR_REQUIRED         GENMASK(15, 0)
#define MB_HDR_KNOWN_REQUIRED   (MB_HDR_PAGE_ALIGN | MB_HDR_MEMORY_INFO | MB_HDR_VIDEO_MODE)

/* Multiboot §3.2 "Machine state": EAX on entry. */
#define MB_BOOTLOADER_MAGIC     0x2BADB002u

/* Multiboot §3.3 "Boot information format": flags of struct mb_info. */
#define MBI_MEMORY              BIT(0)          /* mem_lower, mem_upper */
#define MBI_BOOT_DEVICE         BIT(1)
#define MBI_CMDLINE             BIT(2)
#define MBI_MODS                BIT(3)          /* mods_count, mods_addr */
#define MBI_AOUT_SYMS           BIT(4)
#define MBI_ELF_SHDR            BIT(5)
#define MBI_MMAP                BIT(6)          /* mmap_length, mmap_addr */
#define MBI_DRIVES              BIT(7)
#define MBI_CONFIG_TABLE        BIT(8)
#define MBI_LOADER_NAME         BIT(9)          /* boot_loader_name */
#define MBI_APM_TABLE           BIT(10)
#define MBI_VBE                 BIT(11)
#define MBI_FRAMEBUFFER         BIT(12)

/* Multiboot §3.3: the MBI. Every field is 32-bit except where noted. */
struct mb_info {
	u32 flags;                      /* +0x00 */
	u32 mem_lower;                  /* +0x04 KiB from 0, at most 640 */
	u32 mem_upper;                  /* +0x08 KiB from 1 MiB to the first hole */
	u32 boot_device;                /* +0x0c */
	u32 cmdline;                    /* +0x10 GPA of a NUL-terminated string */
	u32 mods_count;                 /* +0x14 */
	u32 mods_addr;                  /* +0x18 GPA of struct mb_module[mods_count] */
	u32 syms[4];                    /* +0x1c a.out or ELF section symbols */
	u32 mmap_length;                /* +0x2c bytes */
	u32 mmap_addr;                  /* +0x30 GPA of the first struct mb_mmap_entry */
	u32 drives_length;              /* +0x34 */
	u32 drives_addr;                /* +0x38 */
	u32 config_table;               /* +0x3c */
	u32 boot_loader_name;           /* +0x40 GPA of a NUL-terminated string */
	u32 apm_table;                  /* +0x44 */
	u32 vbe_control_info;           /* +0x48 */
	u32 vbe_mode_info;              /* +0x4c */
	u16 vbe_mode;                   /* +0x50 */
	u16 vbe_interface_seg;          /* +0x52 */
	u16 vbe_interface_off;          /* +0x54 */
	u16 vbe_interface_len;          /* +0x56 */
	u64 framebuffer_addr;           /* +0x58 */
	u32 framebuffer_pitch;          /* +0x60 */
	u32 framebuffer_width;          /* +0x64 */
	u32 framebuffer_height;         /* +0x68 */
	u8 framebuffer_bpp;             /* +0x6c */
	u8 framebuffer_type;            /* +0x6d */
	u8 color_info[6];               /* +0x6e */
} __packed;
_Static_assert(offsetof(struct mb_info, mmap_addr) == 0x30, "Multiboot §3.3 mmap_addr");
_Static_assert(offsetof(struct mb_info, boot_loader_name) == 0x40, "Multiboot §3.3 boot_loader_name");
_Static_assert(offsetof(struct mb_info, framebuffer_addr) == 0x58, "Multiboot §3.3 framebuffer_addr");
_Static_assert(sizeof(struct mb_info) == 0x74, "Multiboot §3.3 MBI size");

/* Multiboot §3.3 "mods_addr": the module occupies [mod_start, mod_end). */
struct mb_module {
	u32 mod_start;                  /* +0x0 */
	u32 mod_end;                    /* +0x4 first byte after the module */
	u32 string;                     /* +0x8 GPA of a NUL-terminated string */
	u32 reserved;                   /* +0xc 0 */
} __packed;
_Static_assert(sizeof(struct mb_module) == 16, "Multiboot §3.3 module entry");

/* Multiboot §3.3 "mmap_addr": size is the entry's size without the size field itself. */
#define MB_MMAP_AVAILABLE       1
#define MB_MMAP_RESERVED        2
struct mb_mmap_entry {
	u32 size;                       /* +0x00 20 */
	u64 base_addr;                  /* +0x04 */
	u64 length;                     /* +0x0c */
	u32 type;                       /* +0x14 */
} __packed;
_Static_assert(sizeof(struct mb_mmap_entry) == 24, "Multiboot §3.3 memory map entry");

/*
 * Guest-physical ranges no segment, module or MBI may use (the hypervisor's
 * reserved areas): below 1 MiB, the kernel's low memory plus the PC's legacy
 * hole (GRUB Legacy refuses to load below 1 MiB too); from the IOAPIC page
 * up, the APIC windows the hypervisor emulates (lib/hv_abi.h "Platform").
 * Usable upper memory is [MB_LOW_END, min(ram_size, MB_MMIO_START)).
 */
#define MB_LOW_END              0x100000u
#define MB_LEGACY_HOLE          0xA0000u        /* mem_lower = 640 KiB */
#define MB_MMIO_START           0xFEC00000u     /* HV_IOAPIC_BASE; HV_LAPIC_BASE is above */

#define MB_MODULES_MAX          8
#define MB_CMDLINE_MAX          1024            /* bytes, without the NUL */
#define MB_STRING_MAX           256             /* a module string, without the NUL */
#define MB_PHDRS_MAX            64              /* program headers in the file */
#define MB_SEGMENTS_MAX         16              /* of which PT_LOAD with p_memsz > 0 */
#define MB_LOADER_NAME          "avic-hv"

/*
 * The ELF executables the loader takes (System V ABI "ELF Header" and
 * "Program Header"): e_ident, e_type, e_machine and p_type values.
 */
#define EI_NIDENT       16
#define EI_CLASS        4
#define EI_DATA         5
#define EI_VERSION      6
#define ELFCLASS32      1
#define ELFCLASS64      2
#define ELFDATA2LSB     1
#define EV_CURRENT      1
#define ET_EXEC         2
#define EM_386          3
#define EM_X86_64       62
#define PT_LOAD         1

/* Sizes of the ELF32 / ELF64 file header and program header. */
#define ELF32_EHDR_SIZE 52
#define ELF64_EHDR_SIZE 64
#define ELF32_PHDR_SIZE 32
#define ELF64_PHDR_SIZE 56

/*
 * Guest RAM and watchdog for a Multiboot kernel, where HV.CFG does not set
 * guest_ram_mb / test_timeout (docs/multiboot.md "Memory and watchdog").
 * RAM: what the files need (the end of the segments, the boot information
 * and the modules) plus MB_RAM_HEADROOM_MB for what the kernel takes for
 * itself (page tables, heap, stacks: no header says how much), at least
 * MB_RAM_MIN_MB (a widely used APIC test kernel reads GPA 0x2000000), at
 * most MB_RAM_MAX_MB (the largest guest_ram_mb).  Watchdog: a Multiboot
 * kernel steps no progress counter; a line it prints on COM1 counts as
 * progress, and the window without one is MB_WATCHDOG_MS, so that a test
 * kernel may be silent for a minute (a timer test) and a hang still ends.
 */
#define MB_RAM_MIN_MB           128u
#define MB_RAM_HEADROOM_MB      64u
#define MB_RAM_MAX_MB           4096u
#define MB_WATCHDOG_MS          120000u

/* One module: its bytes and the string the kernel gets with it. */
struct mb_blob {
	const void *data;
	u64 size;
	const char *string;             /* NULL: "" */
};

/* What to boot. */
struct mb_params {
	const void *kernel;             /* the ELF file */
	u64 kernel_size;
	const char *name;               /* for messages (the ESP path) */
	const char *cmdline;            /* NULL: "" */
	const struct mb_blob *mods;
	unsigned nr_mods;
	u64 ram_size;                   /* guest RAM is GPA [0, ram_size) */
};

/* A loadable segment, checked: [paddr, paddr + memsz) is usable guest RAM. */
struct mb_segment {
	u64 offset;                     /* p_offset: file bytes [offset, offset + filesz) */
	u32 paddr, filesz, memsz;       /* the rest up to memsz is zeroed (BSS) */
};

/* Where things go; filled by mb_check(), used by mb_load(). */
struct mb_layout {
	bool elf64;
	u32 header_offset;              /* of the Multiboot header in the file */
	u32 header_flags;
	u32 entry;                      /* guest-physical entry point */
	unsigned nr_segments;
	struct mb_segment seg[MB_SEGMENTS_MAX];
	u32 kernel_start, kernel_end;   /* lowest loaded byte, first byte after the highest */
	u32 info_gpa, info_size;        /* the MBI and everything it points to, page aligned */
	u32 mods_gpa, mmap_gpa, mmap_length, cmdline_gpa, loader_name_gpa;
	u32 mod_string_gpa[MB_MODULES_MAX];
	u32 mod_gpa[MB_MODULES_MAX];
	u32 end;                        /* first byte after everything loaded */
	u32 mem_lower, mem_upper;       /* KiB, as the MBI says */
};

/*
 * Checks the kernel file and the modules and computes the layout, touching
 * no guest memory: the boot path calls it before ExitBootServices so that a
 * bad file is refused before anything runs.  Returns 0, or -1 with one line
 * in err saying what is wrong (without the file name: the caller adds it).
 */
int mb_check(const struct mb_params *p, struct mb_layout *l, char *err, size_t errlen);

/*
 * The guest RAM in MiB for p when guest_ram_mb is not given (the rule
 * above; p->ram_size is ignored).  Returns 0 with a message in err when
 * mb_check refuses the files at any size; else why says how the size was
 * chosen, for the boot log.
 */
u32 mb_choose_ram_mb(const struct mb_params *p, char *why, size_t whylen, char *err, size_t errlen);

/*
 * mb_check(), then copies the segments into ram (ram_size bytes, GPA 0 at
 * ram[0]; must be p->ram_size), zeroes their BSS, copies the modules and
 * builds the MBI.  Bytes outside the segments, the info area and the
 * modules are not written.
 */
int mb_load(const struct mb_params *p, u8 *ram, u64 ram_size, struct mb_layout *l,
	    char *err, size_t errlen);

/*
 * The kernel to boot, if HV.CFG names one (guest=): read from the ESP by
 * boot/efi_main.c before ExitBootServices, loaded into each fresh guest VM
 * by hv/vm.c.  kernel == NULL: run the built-in tests.
 */
extern struct mb_params hv_mb_guest;

#endif
