/*
 * boot/config.h - run configuration from the UEFI load options and from
 * \EFI\BOOT\HV.CFG (for USB sticks, where nobody types a command line).
 * Syntax: key=value words separated by blanks or newlines; '#' starts a
 * comment that runs to the end of the line.  Later settings win, and the
 * load options are applied after the file.
 */
#ifndef BOOT_CONFIG_H
#define BOOT_CONFIG_H

#include "lib/types.h"

#define CFG_TESTS_MAX 256

enum cfg_end { CFG_END_POWEROFF, CFG_END_REBOOT, CFG_END_HALT };

struct hv_config {
	char tests[CFG_TESTS_MAX];      /* comma-separated globs; "" = the default set */
	u32 test_timeout_ms;            /* per-vCPU watchdog */
	u32 cpus;                       /* 0 = all */
	u32 verbose;
	enum cfg_end end;
	bool debug_exit;                /* write the verdict to port 0xF4 (QEMU isa-debug-exit) */
	u32 guest_ram_mb;
};

void config_defaults(struct hv_config *cfg);
/*
 * Applies text (NUL-terminated) to cfg.  Returns 0, or -1 with a message
 * in err naming the offending word.  Unknown keys and bad values are errors.
 */
int config_parse(struct hv_config *cfg, const char *text, char *err, size_t errlen);
/* One line describing cfg, for the boot log. */
void config_describe(const struct hv_config *cfg, char *buf, size_t len);

#endif
