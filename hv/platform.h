/*
 * hv/platform.h - what the layer above (boot/) hands the hypervisor for
 * the end of the run: the firmware's reset, and with end=save the save of
 * the results before it.  boot/efi_main.c sets them before
 * ExitBootServices; hv/main.c calls them after the verdict.  NULL: not
 * available (the machine then halts).
 */
#ifndef HV_PLATFORM_H
#define HV_PLATFORM_H

#include "lib/types.h"

extern void (*hv_platform_reset)(bool poweroff);
extern void (*hv_platform_save)(void);          /* returns only when the reset failed */

#endif
