/*
 * boot/save.h - end=save: the compact results (hv/results.h) kept in UEFI
 * variables across a reset, and written to \EFI\BOOT\RESULTS.TXT on the
 * stick's next boot (README "On a real machine (USB stick)").
 */
#ifndef BOOT_SAVE_H
#define BOOT_SAVE_H

#include <efi.h>

#include "lib/types.h"

/*
 * Before anything else of a run: when variables of an earlier end=save run
 * exist, writes them to \EFI\BOOT\RESULTS.TXT on the partition of li,
 * deletes them and powers the machine off (never returns).  Returns when
 * there are none.
 */
void save_write_pending(EFI_LOADED_IMAGE *li);

/*
 * end=save, before ExitBootServices: checks that the boot partition takes a
 * file and that the variable store has room, and starts keeping the
 * results.  Returns 0, or -1 with a message in err.
 */
int save_prepare(EFI_LOADED_IMAGE *li, char *err, size_t errlen);

/*
 * After the verdict (hv/main.c through hv_platform_save): the results into
 * the variables through the runtime services, then a cold reset.
 */
void save_results_and_reset(void);

#endif
