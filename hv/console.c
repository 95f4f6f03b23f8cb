/*
 * hv/console.c - where output goes, and the log.
 *
 * Before ExitBootServices only the firmware console is used: where the
 * firmware redirects it to a serial port (OVMF does to every 16550 it
 * finds, server firmware to the SPCR's UART), writing that UART too would
 * print every line twice.  After it, only the serial console UART
 * (console=, hv/uart.c), which we drive ourselves.  Every line is also
 * offered to hv/results.c, which keeps the compact results for end=save.
 */
#include "hv/console.h"
#include "hv/percpu.h"
#include "hv/results.h"
#include "hv/uart.h"
#include "hv/screen.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/x86.h"

int hv_log_level_max = LOG_INFO;

static struct spinlock console_lock;
static void (*firmware_write)(const char *s, size_t n);
static bool boot_services_gone;

void spin_lock(struct spinlock *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (l->locked)
			cpu_relax();
}

void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

void console_set_firmware_writer(void (*write)(const char *s, size_t n))
{
	firmware_write = write;
}

void console_after_exit_boot_services(void)
{
	firmware_write = NULL;
	boot_services_gone = true;
	uart_init();
}

void console_results_finish(void)
{
	spin_lock(&console_lock);
	results_finish(&hv_results);
	spin_unlock(&console_lock);
}

/* Output one buffer, turning "\n" into "\r\n". */
static void emit(const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '\n') {
			if (firmware_write) {
				firmware_write(s + start, i - start);
				if (i < n)
					firmware_write("\r\n", 2);
			} else {
				uart_write(s + start, i - start);
				if (i < n)
					uart_write("\r\n", 2);
			}
			start = i + 1;
		}
	}
}

void hv_vprintf(const char *fmt, va_list ap)
{
	char buf[512];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	spin_lock(&console_lock);
	emit(buf, n);
	results_capture(buf, (size_t)n);
	screen_write(buf, n);
	spin_unlock(&console_lock);
}

bool console_verdict_screen(void)
{
	bool drawn;

	spin_lock(&console_lock);
	drawn = screen_verdict();
	spin_unlock(&console_lock);
	return drawn;
}

void console_drain_input(void)
{
	u8 c;

	/* Bounded: a UART that is not there must not keep us here. */
	for (unsigned i = 0; i < 64 && uart_read_byte(&c); i++)
		;
}

bool console_wait_byte(u64 tsc_deadline)
{
	u8 c;

	while (rdtsc() < tsc_deadline) {
		if (uart_read_byte(&c))
			return true;
		cpu_relax();
	}
	return false;
}

void hv_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hv_vprintf(fmt, ap);
	va_end(ap);
}

void hv_log(enum hv_log_level level, const char *subsys, const char *fmt, ...)
{
	static const char *const names[] = { "ERROR", "WARN", "INFO", "DEBUG" };
	char buf[448];
	va_list ap;

	if ((int)level > hv_log_level_max)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	hv_printf("[cpu%u] %s %s: %s\n", this_cpu_index(), names[level], subsys, buf);
}

void hv_panic(const char *file, int line, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	cli();
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* Do not wait for a lock another CPU may hold forever. */
	console_lock.locked = 0;
	hv_printf("[cpu%u] PANIC %s:%d: %s\n", this_cpu_index(), file, line, buf);
	hv_machine_panic_end();
}
