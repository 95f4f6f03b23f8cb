/*
 * boot/efi_main.c - the UEFI application: check the CPU, gather everything
 * while boot services exist (configuration, capability report, CPU list,
 * memory), call ExitBootServices, take every CPU, hand over to hv_main().
 *
 * Order matters: nothing after ExitBootServices may call boot services, and
 * all memory the run will ever use is allocated before it.
 */
#include <efi.h>
#include <efilib.h>

#include "hv/acpi.h"
#include "hv/config.h"
#include "boot/cpu.h"
#include "boot/save.h"
#include "boot/gop.h"
#include "boot/smp.h"
#include "avic/apic_mode.h"
#include "hv/console.h"
#include "hv/host_apic.h"
#include "hv/hv.h"
#include "hv/mem.h"
#include "hv/multiboot.h"
#include "hv/percpu.h"
#include "hv/platform.h"
#include "hv/uart.h"
#include "hv/screen.h"
#include "svm/svm.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/x86.h"

#define HV_VERSION "0.1"
#define MAX_MADT_CPUS 1024


static struct acpi_cpu madt_cpus[MAX_MADT_CPUS];
static int madt_count;
static u64 trampoline_pa;
static u64 mem_top;
/* The screen console: a GOP framebuffer was found (gop_end: its end), and screen=on. */
static bool gop_ok, screen_on;
static u64 gop_end;
static char screen_desc[200];

/* ---- the UEFI text console -------------------------------------------------- */

static void conout_write(const char *s, size_t n)
{
	CHAR16 buf[129];

	while (n) {
		size_t k = MIN(n, 128);

		for (size_t i = 0; i < k; i++)
			buf[i] = (CHAR16)(u8)s[i];
		buf[k] = 0;
		ST->ConOut->OutputString(ST->ConOut, buf);
		s += k;
		n -= k;
	}
}

/* ---- ending before ExitBootServices -------------------------------------------- */

static EFI_STATUS fatal_before_ebs(const char *fmt, ...) __printf(1, 2);
static EFI_STATUS fatal_before_ebs(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hv_printf("[cpu0] ERROR boot: %s\n", msg);
	hv_printf("SUMMARY: 0 tests, 0 unexpected failures, 0 skipped\n");
	hv_printf("Test result: ERROR\n");
	if (hv_cfg.debug_exit)
		outl(0xf4, 0x13);
	/* On a real machine: leave the message on screen for a while, then return to the firmware. */
	BS->Stall(10 * 1000 * 1000);
	return EFI_UNSUPPORTED;
}

/* ---- configuration ------------------------------------------------------------ */

static int read_cfg_file(EFI_LOADED_IMAGE *li, char *buf, size_t size)
{
	EFI_FILE_HANDLE root, f;
	UINTN n = size - 1;

	root = LibOpenRoot(li->DeviceHandle);
	if (!root)
		return -1;
	if (root->Open(root, &f, L"\\EFI\\BOOT\\HV.CFG", EFI_FILE_MODE_READ, 0) != EFI_SUCCESS) {
		root->Close(root);
		return -1;
	}
	if (f->Read(f, &n, buf) != EFI_SUCCESS)
		n = 0;
	buf[n] = 0;
	f->Close(f);
	root->Close(root);
	return (int)n;
}

/* Load options are UTF-16; only plain printable text is taken as options. */
static bool load_options_text(EFI_LOADED_IMAGE *li, char *out, size_t size)
{
	const CHAR16 *w = li->LoadOptions;
	size_t n = li->LoadOptionsSize / sizeof(CHAR16), o = 0, i = 0;

	if (!w || !n)
		return false;
	for (; i < n && w[i]; i++)
		if (w[i] > 0x7e || (w[i] < 0x20 && w[i] != '\t'))
			return false;
	n = i;
	/* The shell passes the image path first: skip a first word ending in .efi. */
	for (i = 0; i < n && w[i] != ' '; i++)
		;
	if (i >= 4 && (w[i - 1] | 0x20) == 'i' && (w[i - 2] | 0x20) == 'f' &&
	    (w[i - 3] | 0x20) == 'e' && w[i - 4] == '.')
		w += i, n -= i;
	for (i = 0; i < n && o + 1 < size; i++)
		out[o++] = (char)w[i];
	out[o] = 0;
	return o > 0;
}

/* ---- the Multiboot guest kernel (guest=, module=; docs/multiboot.md) --------------- */

_Static_assert(CFG_MODULES_MAX <= MB_MODULES_MAX, "every module= must fit in the MBI");
static struct mb_blob guest_mods[CFG_MODULES_MAX];

/*
 * Reads a whole file from the ESP into UEFI pool memory.  EfiLoaderData
 * stays ours after ExitBootServices, and the host identity map covers it,
 * so hv/vm.c copies from it into each fresh guest VM.
 */
static int read_esp_file(EFI_FILE_HANDLE root, const char *path, u64 max, void **data, u64 *size,
			 char *err, size_t errlen)
{
	CHAR16 wpath[CFG_PATH_MAX];
	EFI_FILE_HANDLE f;
	EFI_FILE_INFO *fi;
	EFI_STATUS st;
	UINTN n;
	size_t i;
	bool dir;

	for (i = 0; path[i] && i < CFG_PATH_MAX - 1; i++)
		wpath[i] = path[i] == '/' ? L'\\' : (CHAR16)(u8)path[i];
	wpath[i] = 0;
	st = root->Open(root, &f, wpath, EFI_FILE_MODE_READ, 0);
	if (st != EFI_SUCCESS) {
		snprintf(err, errlen, "cannot open it on the ESP (%s)",
			 st == EFI_NOT_FOUND ? "no such file" : "EFI error");
		return -1;
	}
	fi = LibFileInfo(f);
	if (!fi) {
		f->Close(f);
		snprintf(err, errlen, "cannot read its size");
		return -1;
	}
	*size = fi->FileSize;
	dir = fi->Attribute & EFI_FILE_DIRECTORY;
	FreePool(fi);
	if (dir || *size > max) {
		f->Close(f);
		if (dir)
			snprintf(err, errlen, "is a directory");
		else
			snprintf(err, errlen, "%llu bytes: larger than guest memory (%llu MiB; raise guest_ram_mb)",
				 (unsigned long long)*size, (unsigned long long)(max >> 20));
		return -1;
	}
	if (BS->AllocatePool(EfiLoaderData, *size ? *size : 1, data) != EFI_SUCCESS) {
		f->Close(f);
		snprintf(err, errlen, "out of memory for its %llu bytes", (unsigned long long)*size);
		return -1;
	}
	n = *size;
	st = f->Read(f, &n, *data);
	f->Close(f);
	if (st != EFI_SUCCESS || n != *size) {
		snprintf(err, errlen, "read %llu of its %llu bytes", (unsigned long long)n,
			 (unsigned long long)*size);
		return -1;
	}
	return 0;
}

/*
 * Reads the kernel and its modules and checks them with mb_check() now, so
 * that a bad file ends the run with a clear ERROR before anything runs.
 */
static EFI_STATUS load_guest_kernel(EFI_LOADED_IMAGE *li)
{
	/* Without guest_ram_mb= the size follows the files (mb_choose_ram_mb): read them up to the largest. */
	u64 ram_size = (u64)(hv_cfg.guest_ram_given ? hv_cfg.guest_ram_mb : MB_RAM_MAX_MB) << 20;
	struct mb_params *g = &hv_mb_guest;
	static struct mb_layout l;
	EFI_FILE_HANDLE root;
	char err[200], why[200];
	void *data;
	u64 size;

	root = LibOpenRoot(li->DeviceHandle);
	if (!root)
		return fatal_before_ebs("guest %s: cannot open the ESP this program was loaded from", hv_cfg.guest);
	if (read_esp_file(root, hv_cfg.guest, ram_size, &data, &size, err, sizeof(err))) {
		root->Close(root);
		return fatal_before_ebs("guest %s: %s", hv_cfg.guest, err);
	}
	*g = (struct mb_params){
		.kernel = data, .kernel_size = size, .name = hv_cfg.guest, .cmdline = hv_cfg.append,
		.mods = guest_mods, .nr_mods = hv_cfg.nr_modules, .ram_size = ram_size,
	};
	for (u32 i = 0; i < hv_cfg.nr_modules; i++) {
		if (read_esp_file(root, hv_cfg.modules[i], ram_size, &data, &size, err, sizeof(err))) {
			root->Close(root);
			g->kernel = NULL;
			return fatal_before_ebs("module %s: %s", hv_cfg.modules[i], err);
		}
		guest_mods[i] = (struct mb_blob){ .data = data, .size = size, .string = hv_cfg.modules[i] };
	}
	root->Close(root);
	if (!hv_cfg.guest_ram_given) {
		u32 mb = mb_choose_ram_mb(g, why, sizeof(why), err, sizeof(err));

		if (!mb) {
			g->kernel = NULL;
			return fatal_before_ebs("guest %s: %s", hv_cfg.guest, err);
		}
		hv_cfg.guest_ram_mb = mb;
		g->ram_size = (u64)mb << 20;
		hv_info("boot", "guest %s: guest RAM %u MiB: %s", hv_cfg.guest, mb, why);
	} else {
		hv_info("boot", "guest %s: guest RAM %u MiB (guest_ram_mb)", hv_cfg.guest, hv_cfg.guest_ram_mb);
	}
	if (mb_check(g, &l, err, sizeof(err))) {
		g->kernel = NULL;
		return fatal_before_ebs("guest %s: %s", hv_cfg.guest, err);
	}
	hv_info("boot", "guest %s: Multiboot ELF%s, %u segment%s at [0x%x, 0x%x), entry 0x%x, "
		"boot information at 0x%x, %u module%s up to 0x%x, mem_upper %u KiB",
		hv_cfg.guest, l.elf64 ? "64" : "32", l.nr_segments, l.nr_segments == 1 ? "" : "s",
		l.kernel_start, l.kernel_end, l.entry, l.info_gpa, g->nr_mods, g->nr_mods == 1 ? "" : "s",
		l.end, l.mem_upper);
	return EFI_SUCCESS;
}

/* ---- the screen console (hv/screen.h) --------------------------------------------- */

/* First thing: from here on every console line is kept for the screen, also those before ExitBootServices. */
static void screen_find(void)
{
	static struct fb fb;
	void *mem;

	gop_ok = !gop_find(&fb, &gop_end, screen_desc, sizeof(screen_desc));
	if (!gop_ok)
		return;
	if (BS->AllocatePool(EfiLoaderData, screen_grid_bytes(&fb), &mem) != EFI_SUCCESS) {
		snprintf(screen_desc, sizeof(screen_desc), "no memory for a %ux%u text grid",
			 fb.width / 8, fb.height / 16);
		gop_ok = false;
		return;
	}
	screen_init(&fb, mem);
}

static void screen_report(void)
{
	screen_on = gop_ok && hv_cfg.screen;
	if (screen_on)
		hv_printf("screen: %s (screen=on)\n", screen_desc);
	else if (gop_ok)
		hv_printf("screen: off (screen=off; %s)\n", screen_desc);
	else
		hv_printf("screen: off (%s)\n", screen_desc);
}

/* ---- the capability report ------------------------------------------------------ */

static void capability_report(void)
{
	const struct svm_caps *c = &svm_caps;
	char line[256];
	int n;

	hv_printf("== capability report ==\n");
	hv_printf("CPU: %s family 0x%x model 0x%x stepping %u%s%s\n", c->vendor, c->family,
		  c->model, c->stepping, c->hypervisor ? ", nested under " : "",
		  c->hypervisor ? (c->hv_signature[0] ? c->hv_signature : "a hypervisor") : "");
	hv_printf("SVM: %s%s; SVM revision %u, %u ASIDs, %u physical address bits\n",
		  c->svm ? "present" : "absent", c->svm_disabled ? ", DISABLED in firmware (VM_CR.SVMDIS)" : "",
		  c->revision, c->nr_asids, c->max_phys_bits);
	hv_printf("CPUID 0x8000000A EDX 0x%08x ECX 0x%08x:\n", c->edx, c->ecx);
	line[0] = 0;
	n = 0;
	for (unsigned i = 0; i < svm_edx_features_count; i++) {
		bool has = c->edx & BIT(svm_edx_features[i].bit);

		n += snprintf(line + n, sizeof(line) - n, "  %s%s", has ? "+" : "-", svm_edx_features[i].name);
		if (n > 62 || i + 1 == svm_edx_features_count) {
			hv_printf("%s\n", line);
			n = 0;
			line[0] = 0;
		}
	}
	for (unsigned i = 0; i < svm_ecx_features_count; i++)
		hv_printf("  %s%s (ECX bit %u)\n", (c->ecx & BIT(svm_ecx_features[i].bit)) ? "+" : "-",
			  svm_ecx_features[i].name, svm_ecx_features[i].bit);
	hv_printf("  (+ present, - absent)\n");
}

static void cpu_list_report(u32 bsp_apic_id)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "CPUs: %d enabled in the ACPI MADT, APIC IDs:", madt_count);

	for (int i = 0; i < madt_count && i < MAX_MADT_CPUS; i++) {
		if (n > 200) {
			hv_printf("%s\n", line);
			n = snprintf(line, sizeof(line), "     ");
		}
		n += snprintf(line + n, sizeof(line) - n, " %u%s", madt_cpus[i].apic_id,
			      madt_cpus[i].apic_id == bsp_apic_id ? "(bsp)" : "");
	}
	hv_printf("%s\n", line);
}

static const void *acpi_map(u64 phys, u64 len)
{
	(void)len;
	return (const void *)(uintptr_t)phys;   /* UEFI identity-maps memory */
}

static EFI_GUID acpi20_guid = ACPI_20_TABLE_GUID;

/* The RSDP from the UEFI configuration table (ACPI 2.0+ preferred), or NULL. */
static const struct acpi_rsdp *find_rsdp(void)
{
	const struct acpi_rsdp *rsdp = NULL;

	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];

		if (!CompareGuid(&t->VendorGuid, &acpi20_guid))
			rsdp = t->VendorTable;
		else if (!rsdp && !CompareGuid(&t->VendorGuid, &AcpiTableGuid))
			rsdp = t->VendorTable;
	}
	return rsdp;
}

static void find_cpus(u32 bsp_apic_id)
{
	const struct acpi_header *madt;

	madt = acpi_find_table(find_rsdp(), "APIC", acpi_map);
	madt_count = madt ? acpi_madt_cpus(madt, madt_cpus, MAX_MADT_CPUS, NULL) : -1;
	if (madt_count <= 0) {
		hv_warn("acpi", "no usable MADT: running on the bootstrap CPU only");
		madt_cpus[0].apic_id = bsp_apic_id;
		madt_count = 1;
	}
}

/* ---- the serial console (console=) ----------------------------------------------- */

static char console_desc[200];

/*
 * Picks the UART the hypervisor prints on after ExitBootServices (before
 * it, hv/console.c writes only to the firmware's console).  console=auto
 * takes the SPCR table's UART: on a server it is where the firmware
 * redirects its own console (serial-over-LAN).  Without a usable SPCR it
 * is COM1, the serial console of OVMF and of most firmware with a COM port.
 * COM1 and the SPCR's UART keep the line settings the firmware gave them
 * (unless the SPCR names a baud rate); any other port is set to 115200 8N1
 * at ExitBootServices.
 */
static void console_choose(void)
{
	struct uart u = { .space = UART_IO, .base = 0x3f8, .stride = 1, .access = 1 };
	const struct acpi_header *spcr;
	struct acpi_spcr_uart su;
	char why[120];
	const char *com;

	switch (hv_cfg.console) {
	case CFG_CONSOLE_NONE:
		uart_select(NULL);
		snprintf(console_desc, sizeof(console_desc),
			 "none (console=none: nothing is printed after ExitBootServices)");
		return;
	case CFG_CONSOLE_PORT:
		u.base = hv_cfg.console_port;
		if (u.base != 0x3f8)
			u.baud = 115200;
		com = config_com_name(hv_cfg.console_port);
		if (com)
			snprintf(console_desc, sizeof(console_desc), "%s, 16550 at I/O port 0x%x (console=com%c)",
				 com, hv_cfg.console_port, com[3]);
		else
			snprintf(console_desc, sizeof(console_desc), "16550 at I/O port 0x%x (console=0x%x)",
				 hv_cfg.console_port, hv_cfg.console_port);
		break;
	case CFG_CONSOLE_AUTO:
		spcr = acpi_find_table(find_rsdp(), "SPCR", acpi_map);
		if (spcr && !acpi_spcr_uart(spcr, &su, why, sizeof(why))) {
			u = (struct uart){
				.space = su.mmio ? UART_MMIO : UART_IO, .base = su.base,
				.stride = su.stride, .access = su.access, .baud = su.baud,
			};
			if (su.mmio)
				snprintf(console_desc, sizeof(console_desc), "16550 in MMIO at 0x%llx, registers %u "
					 "bytes apart, %u-byte accesses (console=auto: the ACPI SPCR table's UART)",
					 (unsigned long long)u.base, u.stride, u.access);
			else
				snprintf(console_desc, sizeof(console_desc), "%s%s16550 at I/O port 0x%llx "
					 "(console=auto: the ACPI SPCR table's UART)",
					 config_com_name((u16)u.base) ? config_com_name((u16)u.base) : "",
					 config_com_name((u16)u.base) ? ", " : "", (unsigned long long)u.base);
			if (u.baud)
				snprintf(console_desc + strlen(console_desc), sizeof(console_desc) - strlen(console_desc),
					 ", %u baud", u.baud);
		} else {
			snprintf(console_desc, sizeof(console_desc), "COM1, 16550 at I/O port 0x3f8 (console=auto: %s)",
				 spcr ? why : "no ACPI SPCR table");
		}
		break;
	}
	uart_select(&u);
	if (!uart_answers())
		snprintf(console_desc + strlen(console_desc), sizeof(console_desc) - strlen(console_desc),
			 "; nothing answers there (line status reads 0xFF)");
}

/* ---- after ExitBootServices ------------------------------------------------------ */

static EFI_RESET_SYSTEM rt_reset;

static void platform_reset(bool poweroff)
{
	rt_reset(poweroff ? EfiResetShutdown : EfiResetCold, EFI_SUCCESS, 0, NULL);
}

static u64 host_cr3;

static void bsp_continue(void *unused) __noreturn;
static void bsp_continue(void *unused)
{
	u32 max = hv_cfg.cpus ? MIN(hv_cfg.cpus, HV_MAX_CPUS) : HV_MAX_CPUS;

	(void)unused;
	nr_cpus = smp_start_aps(madt_cpus, madt_count, percpu_array[0].apic_id, trampoline_pa,
				host_cr3, max);
	hv_info("smp", "%u CPU%s online with SVM enabled", nr_cpus, nr_cpus == 1 ? "" : "s");
	host_apic_timer_start(10000);
	sti();
	hv_main();
}

static void take_machine(void)
{
	struct percpu *bsp;

	console_after_exit_boot_services();
	if (screen_on)
		screen_take_over();
	/* 8259 PICs: mask everything; only the local APIC delivers to us. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);

	host_cr3 = host_page_tables_build(mem_top, svm_caps.page1gb, pool_alloc_page);
	HV_CHECK(host_cr3 && host_cr3 < (1ULL << 32));
	idt_build();
	bsp = &percpu_array[0];
	cpu_setup_tables(bsp, host_cr3);
	/*
	 * host_apic=x2apic switches here, after the firmware is gone: its
	 * drivers (timer, MP services at ExitBootServices) use the APIC in the
	 * mode they found.  The APs follow in ap_main().
	 */
	if (host_apic_choice.switch_at_boot)
		host_apic_enable_x2apic();
	host_apic_init_mode();
	HV_CHECK(host_apic_x2apic() == host_apic_choice.x2apic);
	bsp->apic_id = host_apic_id();          /* the full ID of the run's mode */
	host_apic_cpu_init();
	HV_CHECK(svm_cpu_enable(bsp->hsave_pa) == 0);
	bsp->svm_ready = bsp->online = 1;
	hv_info("boot", "ExitBootServices done; own GDT/IDT/TSS/page tables (identity map up to 0x%llx)",
		(unsigned long long)mem_top);
	host_apic_timer_calibrate(tsc_hz);
	cpu_switch_stack(bsp->stack_top, bsp_continue, NULL);
}

/* ---- the steps of efi_main --------------------------------------------------------- */

static void note_image(EFI_LOADED_IMAGE *li)
{
	hv_image_base = (u64)(uintptr_t)li->ImageBase;
	hv_image_size = li->ImageSize;
	hv_info("boot", "image base 0x%llx size 0x%llx (gdb: add-symbol-file build/hv.so -o 0x%llx)",
		(unsigned long long)hv_image_base, (unsigned long long)hv_image_size,
		(unsigned long long)hv_image_base);
}

/* HV.CFG, then the load options over it. */
static EFI_STATUS read_config(EFI_LOADED_IMAGE *li)
{
	static char cfg_text[4096];
	char err[256];

	if (read_cfg_file(li, cfg_text, sizeof(cfg_text)) >= 0) {
		if (config_parse(&hv_cfg, cfg_text, err, sizeof(err)))
			return fatal_before_ebs("\\EFI\\BOOT\\HV.CFG: %s", err);
		hv_info("boot", "read \\EFI\\BOOT\\HV.CFG");
	}
	if (load_options_text(li, cfg_text, sizeof(cfg_text))) {
		if (config_parse(&hv_cfg, cfg_text, err, sizeof(err)))
			return fatal_before_ebs("load options: %s", err);
		hv_info("boot", "load options: %s", cfg_text);
	}
	return EFI_SUCCESS;
}

/* What the configuration asks for before the CPU is looked at: log level, console, end=save, guest=. */
static EFI_STATUS apply_config(EFI_LOADED_IMAGE *li)
{
	char err[256], desc[320];
	EFI_STATUS st;

	hv_log_level_max = hv_cfg.verbose ? LOG_DEBUG : LOG_INFO;
	config_describe(&hv_cfg, desc, sizeof(desc));
	hv_info("boot", "config: %s", desc);
	/* A boot after end=save writes the saved results and powers off, whatever HV.CFG says now. */
	if (li)
		save_write_pending(li);
	if (config_check(&hv_cfg, err, sizeof(err)))
		return fatal_before_ebs("configuration: %s", err);
	console_choose();
	if (hv_cfg.end == CFG_END_SAVE) {
		if (save_prepare(li, err, sizeof(err)))
			return fatal_before_ebs("%s", err);
		hv_platform_save = save_results_and_reset;
	}
	if (li && hv_cfg.guest[0] && (st = load_guest_kernel(li)) != EFI_SUCCESS)
		return st;
	return EFI_SUCCESS;
}

static EFI_STATUS check_cpu(void)
{
	/* The CPU: detection and VM_CR, APM Vol 2 §15.4 "Enabling SVM". */
	svm_detect(&svm_caps);
	capability_report();
	if (strcmp(svm_caps.vendor, "AuthenticAMD") && strcmp(svm_caps.vendor, "HygonGenuine"))
		return fatal_before_ebs("CPU vendor '%s' is not AMD or Hygon: SVM is AMD's", svm_caps.vendor);
	if (!svm_caps.svm)
		return fatal_before_ebs("this CPU has no SVM (CPUID 0x80000001 ECX bit 2 is clear)");
	if (svm_caps.svm_disabled)
		return fatal_before_ebs("SVM disabled in firmware (VM_CR.SVMDIS is set%s): enable "
					"\"SVM Mode\" / \"AMD-V\" in the firmware setup",
					svm_caps.svm_locked ? " and locked" : "");
	/* QEMU TCG runs nested paging even when this bit is clear; we go by the bit. */
	if (!svm_has(CPUID_8000000A_EDX_NP))
		return fatal_before_ebs("this CPU has no nested paging (CPUID 0x8000000A EDX bit 0): "
					"the hypervisor needs it");
	if (svm_caps.nr_asids < 2)
		return fatal_before_ebs("this CPU reports %u ASIDs; at least 2 are needed", svm_caps.nr_asids);
	return EFI_SUCCESS;
}

/* The CPUs of the MADT, listed; returns the BSP's APIC ID. */
static u32 list_cpus(void)
{
	u32 bsp_apic_id;

	host_apic_init_mode();
	bsp_apic_id = host_apic_id();
	find_cpus(bsp_apic_id);
	cpu_list_report(bsp_apic_id);
	return bsp_apic_id;
}

/*
 * The rest of the capability report: the host APIC mode, the serial
 * console, the APIC backend, NRIPS, the screen; a mode that cannot be had
 * ends the run after the report.
 */
static EFI_STATUS choose_modes(void)
{
	host_apic_choose(hv_cfg.host_apic, svm_caps.x2apic, host_apic_x2apic(), &host_apic_choice);
	hv_printf("host APIC: %s mode (%s)\n", host_apic_choice.x2apic ? "x2APIC" : "xAPIC",
		  host_apic_choice.reason);
	hv_printf("serial console: %s\n", console_desc);
	apic_mode_choose(&svm_caps, hv_cfg.apic, hv_cfg.avic_force, &apic_choice);
	if (!hv_cfg.x2avic)
		apic_mode_x2avic_off(&apic_choice);
	apic_mode_emu_quirks(&svm_caps, hv_cfg.avic_emu_quirks, &apic_choice);
	{
		u32 max_id = 0;

		for (int i = 0; i < madt_count && i < MAX_MADT_CPUS; i++)
			max_id = MAX(max_id, madt_cpus[i].apic_id);
		apic_mode_host_ids(max_id, &apic_choice);
	}
	hv_printf("APIC virtualization: %s (%s)\n", apic_choice.name, apic_choice.reason);
	hv_printf("NRIPS %s: %s\n", svm_has(CPUID_8000000A_EDX_NRIPS) ? "present" : "absent",
		  svm_has(CPUID_8000000A_EDX_NRIPS) ? "next RIP from the VMCB" : "next RIP by decoding the instruction");
	screen_report();
	hv_printf("== end of capability report ==\n");
	if (host_apic_choice.error)
		return fatal_before_ebs("%s", host_apic_choice.reason);
	if (apic_choice.error)
		return fatal_before_ebs("%s", apic_choice.reason);
	return EFI_SUCCESS;
}

static void measure_tsc(void)
{
	u64 t0, t1;

	/* TSC frequency, against the firmware's timer. */
	t0 = rdtsc();
	BS->Stall(20000);
	t1 = rdtsc();
	tsc_hz = (t1 - t0) * 50;
}

static EFI_STATUS allocate_memory(u32 bsp_apic_id)
{
	u64 pool_pages, pool_pa, per_cpu_bytes;
	EFI_STATUS st;
	u32 ncpu;

	/* Memory: a trampoline page below 1 MiB, and one pool below 4 GiB for everything else. */
	trampoline_pa = 0x9ffff;
	st = BS->AllocatePages(AllocateMaxAddress, EfiLoaderData, 1, &trampoline_pa);
	if (st != EFI_SUCCESS || trampoline_pa < 0x1000)
		return fatal_before_ebs("cannot reserve a page below 640 KiB for the AP trampoline");
	ncpu = (u32)MIN((u32)madt_count, HV_MAX_CPUS);
	per_cpu_bytes = HV_STACK_SIZE + 3 * HV_IST_SIZE + 3 * PAGE_SIZE + ALIGN_UP(sizeof(struct percpu), PAGE_SIZE);
	pool_pages = (ncpu * per_cpu_bytes + ((u64)hv_cfg.guest_ram_mb << 20) + (16ULL << 20)) / PAGE_SIZE;
	/* Page tables: one page per GiB below 4 GiB (and above, without 1 GiB pages), guessed generously. */
	pool_pages += svm_caps.page1gb ? 16 : 1024;
	pool_pa = 0xffffffff;
	st = BS->AllocatePages(AllocateMaxAddress, EfiLoaderData, pool_pages, &pool_pa);
	if (st != EFI_SUCCESS)
		return fatal_before_ebs("cannot allocate %llu MiB below 4 GiB for the hypervisor",
					(unsigned long long)(pool_pages >> 8));
	pool_init(pool_pa, pool_pages * PAGE_SIZE);
	percpu_array = pool_alloc_pages(ALIGN_UP(ncpu * sizeof(struct percpu), PAGE_SIZE) / PAGE_SIZE);
	for (u32 i = 0; i < ncpu; i++) {
		struct percpu *pc = &percpu_array[i];
		u8 *stack = pool_alloc_pages((HV_STACK_SIZE + 3 * HV_IST_SIZE) / PAGE_SIZE);

		pc->self = pc;
		pc->index = i;
		pc->stack_top = (u64)(uintptr_t)stack + HV_STACK_SIZE;
		for (int k = 0; k < 3; k++)
			pc->ist_top[k] = (u64)(uintptr_t)stack + HV_STACK_SIZE + (k + 1) * HV_IST_SIZE;
		pc->hsave_pa = (u64)(uintptr_t)pool_alloc_page();
		pc->host_save_pa = (u64)(uintptr_t)pool_alloc_page();
	}
	percpu_array[0].apic_id = bsp_apic_id;
	rt_reset = RT->ResetSystem;
	hv_platform_reset = platform_reset;
	hv_info("boot", "pool %llu MiB at 0x%llx, trampoline at 0x%llx, TSC %llu MHz",
		(unsigned long long)(pool_pages >> 8), (unsigned long long)pool_pa,
		(unsigned long long)trampoline_pa, (unsigned long long)(tsc_hz / 1000000));
	return EFI_SUCCESS;
}

static EFI_STATUS exit_boot_services(EFI_HANDLE image)
{
	EFI_MEMORY_DESCRIPTOR *map;
	UINTN map_size = 0, map_key, desc_size;
	UINT32 desc_ver;
	EFI_STATUS st;

	/* The memory map: its top bounds our identity map, its key lets us exit. */
	BS->GetMemoryMap(&map_size, NULL, &map_key, &desc_size, &desc_ver);
	map_size += 16 * desc_size;
	if (BS->AllocatePool(EfiLoaderData, map_size, (void **)&map) != EFI_SUCCESS)
		return fatal_before_ebs("cannot allocate the memory map");
	hv_info("boot", "calling ExitBootServices; from here on output is on the serial console%s",
		screen_on ? " and the screen" : " only");
	for (int tries = 0; ; tries++) {
		UINTN sz = map_size;

		st = BS->GetMemoryMap(&sz, map, &map_key, &desc_size, &desc_ver);
		if (st != EFI_SUCCESS)
			return fatal_before_ebs("GetMemoryMap failed (%llu)", (unsigned long long)st);
		mem_top = 4ULL << 30;
		for (UINTN off = 0; off + desc_size <= sz; off += desc_size) {
			EFI_MEMORY_DESCRIPTOR *d = (void *)((u8 *)map + off);
			u64 end = d->PhysicalStart + d->NumberOfPages * PAGE_SIZE;

			if (end > mem_top)
				mem_top = end;
		}
		/*
		 * An MMIO UART above every memory-map entry still needs the
		 * identity map (boot/cpu.c maps [0, mem_top)); its memory type
		 * is whatever the firmware's MTRRs give it (PAT is left at its
		 * default), as for the local APIC and the flash.
		 */
		if (uart_selected()->space == UART_MMIO && uart_selected()->base + 8ULL * uart_selected()->stride > mem_top)
			mem_top = ALIGN_UP(uart_selected()->base + 8ULL * uart_selected()->stride, PAGE_SIZE);
		/* The same for the framebuffer (its memory type too is the MTRRs'). */
		if (screen_on && gop_end > mem_top)
			mem_top = gop_end;
		st = BS->ExitBootServices(image, map_key);
		if (st == EFI_SUCCESS)
			return EFI_SUCCESS;
		if (tries == 2)
			return fatal_before_ebs("ExitBootServices failed (%llu)", (unsigned long long)st);
	}
}

/* ---- efi_main -------------------------------------------------------------------- */

/* Not EFIAPI: gnu-efi's crt0 calls it with the SysV convention. */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	EFI_LOADED_IMAGE *li = NULL;
	EFI_STATUS st;
	u32 bsp_apic_id;

	hv_entry_tsc = rdtsc();
	InitializeLib(image, systab);
	console_set_firmware_writer(conout_write);
	screen_find();
	config_defaults(&hv_cfg);
	hv_printf("\navic-hv %s: a bare-metal AMD SVM hypervisor for interrupt virtualization tests\n",
		  HV_VERSION);

	BS->HandleProtocol(image, &LoadedImageProtocol, (void **)&li);
	if (li) {
		note_image(li);
		if ((st = read_config(li)) != EFI_SUCCESS)
			return st;
	}
	if ((st = apply_config(li)) != EFI_SUCCESS)
		return st;
	if ((st = check_cpu()) != EFI_SUCCESS)
		return st;
	bsp_apic_id = list_cpus();
	if ((st = choose_modes()) != EFI_SUCCESS)
		return st;
	measure_tsc();
	if ((st = allocate_memory(bsp_apic_id)) != EFI_SUCCESS)
		return st;
	if ((st = exit_boot_services(image)) != EFI_SUCCESS)
		return st;
	take_machine();
	return EFI_SUCCESS;     /* not reached */
}
