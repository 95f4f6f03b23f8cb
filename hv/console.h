/*
 * hv/console.h - the hypervisor's output: the serial console (console=,
 * hv/uart.h), and the UEFI text console while boot services still exist
 * (what a person at the machine sees).
 * Lines from several CPUs never interleave: one lock around each line.
 */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H

#include <stdarg.h>
#include "lib/types.h"

enum hv_log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern int hv_log_level_max;

/* Called once UEFI's console is gone (at ExitBootServices); programs the UART. */
void console_after_exit_boot_services(void);
/* Installs a writer for the UEFI console (boot/ does this; NULL removes it). */
void console_set_firmware_writer(void (*write)(const char *s, size_t n));

/* end=save: the results text is complete (hv/results.h); taken under the console lock. */
void console_results_finish(void);

/* Writes whole lines atomically; adds no prefix. */
void hv_printf(const char *fmt, ...) __printf(1, 2);
void hv_vprintf(const char *fmt, va_list ap);
/* `[cpuN] LEVEL subsys: msg` lines. */
void hv_log(enum hv_log_level level, const char *subsys, const char *fmt, ...) __printf(3, 4);

#define hv_info(sub, ...)  hv_log(LOG_INFO, sub, __VA_ARGS__)
#define hv_warn(sub, ...)  hv_log(LOG_WARN, sub, __VA_ARGS__)
#define hv_err(sub, ...)   hv_log(LOG_ERROR, sub, __VA_ARGS__)
#define hv_debug(sub, ...) hv_log(LOG_DEBUG, sub, __VA_ARGS__)

/* Broken hypervisor invariant: print file:line and CPU, stop the machine. Never for guest input. */
__noreturn void hv_panic(const char *file, int line, const char *fmt, ...) __printf(3, 4);
#define HV_PANIC(...) hv_panic(__FILE__, __LINE__, __VA_ARGS__)
#define HV_CHECK(cond) \
	do { if (!(cond)) hv_panic(__FILE__, __LINE__, "check failed: %s", #cond); } while (0)

/* The verdict screen on the screen console (hv/screen.c), if it is on; true if drawn. */
bool console_verdict_screen(void);
/* Reads away the bytes the serial console UART has received so far. */
void console_drain_input(void);
/* Waits until the serial console UART receives a byte (true) or the TSC passes tsc_deadline (false). */
bool console_wait_byte(u64 tsc_deadline);

struct spinlock {
	volatile u32 locked;
};
void spin_lock(struct spinlock *l);
void spin_unlock(struct spinlock *l);

#endif
