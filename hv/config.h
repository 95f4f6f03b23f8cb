/*
 * hv/config.h - the run configuration from the UEFI load options and from
 * \EFI\BOOT\HV.CFG (for USB sticks, where nobody types a command line).
 * Syntax: key=value words separated by blanks or newlines; '#' starts a
 * comment that runs to the end of the line.  A value in double quotes
 * (key="a b # c") may hold blanks and '#'; it ends at the next '"' on the
 * same line and cannot hold a '"' itself.  Later settings win (module=
 * adds to a list), and the load options are applied after the file.
 */
#ifndef HV_CONFIG_H
#define HV_CONFIG_H

#include "lib/types.h"
#include "avic/apic_mode.h"         /* apic=, avic_emu_quirks=: the requests it takes */

#define CFG_TESTS_MAX 256
#define CFG_PATH_MAX 128                /* an ESP path, with the NUL */
#define CFG_APPEND_MAX 512              /* the guest kernel's command line, with the NUL */
#define CFG_MODULES_MAX 8

/* end=save: the compact results into UEFI variables, reset; the next boot writes RESULTS.TXT (boot/save.c). */
enum cfg_end { CFG_END_POWEROFF, CFG_END_REBOOT, CFG_END_HALT, CFG_END_SAVE };
/* console=: auto (the ACPI SPCR's UART, else COM1), a port (com1-com4, 0xPORT), or none. */
enum cfg_console { CFG_CONSOLE_AUTO, CFG_CONSOLE_PORT, CFG_CONSOLE_NONE };
/* host_apic=: the mode of the host's own local APIC (hv/host_apic.h decides what auto means). */
enum cfg_host_apic { CFG_HOST_APIC_AUTO, CFG_HOST_APIC_XAPIC, CFG_HOST_APIC_X2APIC };

struct hv_config {
	char tests[CFG_TESTS_MAX];      /* comma-separated globs; "" = the default set */
	u32 test_timeout_ms;            /* per-vCPU watchdog */
	bool test_timeout_given;        /* test_timeout= was set (a Multiboot guest has its own default) */
	u32 cpus;                       /* 0 = all */
	u32 verbose;
	enum cfg_end end;
	bool debug_exit;                /* write the verdict to port 0xF4 (QEMU isa-debug-exit) */
	u32 guest_ram_mb;
	bool guest_ram_given;           /* guest_ram_mb= was set (a Multiboot guest gets its own size otherwise) */
	enum apic_request apic;             /* apic=auto|soft|avic|avic-emu */
	bool avic_force;                /* avic_force=on: use AVIC although CPUID hides it */
	bool x2avic;                    /* x2avic=off: no x2AVIC even where the CPU has it (hybrid AVIC) */
	u8 avic_emu_quirks;             /* avic_emu_quirks=off|on|all: APIC_REQ_QUIRKS_* (apic=avic-emu only) */
	enum cfg_console console;
	u16 console_port;               /* CFG_CONSOLE_PORT: the 16550's I/O port base */
	bool screen;                    /* screen=off: no screen console even where GOP has a framebuffer */
	bool screen_hold;               /* screen_hold=on: after the verdict screen, wait for a byte on the serial console */
	enum cfg_host_apic host_apic;   /* host_apic=auto|xapic|x2apic */

	/*
	 * A Multiboot kernel to boot instead of the built-in tests
	 * (docs/multiboot.md): guest= its path on the ESP ("" = run the
	 * tests), append= its command line, module= a module's path (repeatable;
	 * an empty module= clears the list).  Paths are absolute, '\' or '/'.
	 */
	char guest[CFG_PATH_MAX];
	char append[CFG_APPEND_MAX];
	u32 nr_modules;
	char modules[CFG_MODULES_MAX][CFG_PATH_MAX];
};

void config_defaults(struct hv_config *cfg);
/*
 * Applies text (NUL-terminated) to cfg.  Returns 0, or -1 with a message
 * in err naming the offending word.  Unknown keys and bad values are errors.
 */
int config_parse(struct hv_config *cfg, const char *text, char *err, size_t errlen);
/*
 * Checks that the settings fit together, once all of them are applied:
 * guest= and tests= exclude each other, append= and module= need guest=.
 * Returns 0, or -1 with a message in err.
 */
int config_check(const struct hv_config *cfg, char *err, size_t errlen);
/* "COM1".."COM4" for their standard port bases, else NULL. */
const char *config_com_name(u16 port);
/* One line describing cfg, for the boot log. */
void config_describe(const struct hv_config *cfg, char *buf, size_t len);

#endif
