/*
 * boot/save.c - end=save (see boot/save.h).
 *
 * The text goes into non-volatile variables HvResults0000, HvResults0001,
 * ... of our own vendor GUID, each at most the chunk size results_plan()
 * picked from QueryVariableInfo (UEFI 2.10 §8.2 "Variable Services").  They
 * are written after ExitBootServices through the runtime services, which
 * stay callable at their physical addresses because SetVirtualAddressMap is
 * never called; the next boot finds them with boot services still there and
 * uses the firmware's file system on its own partition.
 */
#include <efi.h>
#include <efilib.h>

#include "boot/save.h"
#include "hv/console.h"
#include "hv/results.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/x86.h"

/* avic-hv's own vendor GUID for its variables (random, made for this tool). */
static EFI_GUID save_guid = { 0xac9603aa, 0x69e6, 0x4ef9, { 0xb8, 0x26, 0x02, 0xf7, 0x57, 0xc0, 0x2d, 0x34 } };

#define SAVE_ATTRS (EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS)
#define RESULTS_PATH L"\\EFI\\BOOT\\RESULTS.TXT"
#define PROBE_PATH L"\\EFI\\BOOT\\HVSAVE.TMP"

static u32 chunk_size;
static EFI_SET_VARIABLE rt_set_variable;
static EFI_RESET_SYSTEM rt_reset_system;

static void var_name(CHAR16 *name, u32 i)
{
	static const CHAR16 prefix[] = L"HvResults";

	memcpy(name, prefix, sizeof(prefix) - sizeof(CHAR16));
	for (int d = 3; d >= 0; d--, i /= 10)
		name[9 + d] = (CHAR16)(L'0' + i % 10);
	name[13] = 0;
}

static const char *efi_status_name(EFI_STATUS st)
{
	switch (st) {
	case EFI_SUCCESS: return "success";
	case EFI_NOT_FOUND: return "not found";
	case EFI_WRITE_PROTECTED: return "write-protected";
	case EFI_ACCESS_DENIED: return "access denied";
	case EFI_VOLUME_FULL: return "volume full";
	case EFI_OUT_OF_RESOURCES: return "out of resources";
	case EFI_MEDIA_CHANGED: return "media changed";
	case EFI_NO_MEDIA: return "no media";
	case EFI_DEVICE_ERROR: return "device error";
	case EFI_INVALID_PARAMETER: return "invalid parameter";
	case EFI_UNSUPPORTED: return "unsupported";
	case EFI_SECURITY_VIOLATION: return "security violation";
	default: return "EFI error";
	}
}

/* ---- the next boot ----------------------------------------------------------- */

static EFI_STATUS write_results_file(EFI_LOADED_IMAGE *li, const char *text, UINTN len)
{
	EFI_FILE_HANDLE root, f;
	EFI_STATUS st;
	UINTN n = len;

	root = LibOpenRoot(li->DeviceHandle);
	if (!root)
		return EFI_NOT_FOUND;
	/* An older RESULTS.TXT goes first: writing over it would keep its tail. */
	if (root->Open(root, &f, RESULTS_PATH, EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE, 0) == EFI_SUCCESS)
		f->Delete(f);
	st = root->Open(root, &f, RESULTS_PATH, EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE | EFI_FILE_MODE_CREATE, 0);
	if (st == EFI_SUCCESS) {
		st = f->Write(f, &n, (void *)text);
		if (st == EFI_SUCCESS && n != len)
			st = EFI_VOLUME_FULL;
		if (st == EFI_SUCCESS)
			st = f->Flush(f);
		f->Close(f);
	}
	root->Close(root);
	return st;
}

void save_write_pending(EFI_LOADED_IMAGE *li)
{
	CHAR16 name[16];
	char *text;
	UINTN len = 0, cap = RESULTS_TEXT_MAX + RESULTS_CHUNK_MAX;
	EFI_STATUS st;
	u32 n = 0;

	var_name(name, 0);
	{
		UINTN sz = 0;
		UINT32 attr;

		if (RT->GetVariable(name, &save_guid, &attr, &sz, NULL) != EFI_BUFFER_TOO_SMALL)
			return;         /* nothing saved: a normal run */
	}
	hv_info("save", "results of an earlier end=save run are in UEFI variables: writing them to "
		"\\EFI\\BOOT\\RESULTS.TXT; no tests run on this boot");
	if (BS->AllocatePool(EfiLoaderData, cap, (void **)&text) != EFI_SUCCESS) {
		hv_err("save", "out of memory for %llu bytes: the variables stay", (unsigned long long)cap);
		goto off;
	}
	for (; n <= RESULTS_CHUNKS_MAX; n++) {
		UINTN sz = cap - len;
		UINT32 attr;

		var_name(name, n);
		st = RT->GetVariable(name, &save_guid, &attr, &sz, text + len);
		if (st == EFI_NOT_FOUND)
			break;
		if (st != EFI_SUCCESS) {
			hv_err("save", "reading variable %u: %s; the file ends there", n, efi_status_name(st));
			break;
		}
		len += sz;
	}
	st = write_results_file(li, text, len);
	if (st != EFI_SUCCESS) {
		hv_err("save", "cannot write \\EFI\\BOOT\\RESULTS.TXT (%s): the %u variables stay for the next boot",
			 efi_status_name(st), n);
		goto off;
	}
	for (u32 i = 0; i < n; i++) {
		var_name(name, i);
		st = RT->SetVariable(name, &save_guid, SAVE_ATTRS, 0, NULL);
		if (st != EFI_SUCCESS)
			hv_warn("save", "deleting variable %u: %s", i, efi_status_name(st));
	}
	hv_info("save", "wrote %llu bytes from %u variable%s to \\EFI\\BOOT\\RESULTS.TXT and deleted them",
		(unsigned long long)len, n, n == 1 ? "" : "s");
off:
	hv_info("save", "powering off");
	BS->Stall(2 * 1000 * 1000);     /* time to read the lines on the screen */
	RT->ResetSystem(EfiResetShutdown, EFI_SUCCESS, 0, NULL);
	for (;;)
		__asm__ volatile("hlt");
}

/* ---- this boot ---------------------------------------------------------------- */

int save_prepare(EFI_LOADED_IMAGE *li, char *err, size_t errlen)
{
	UINT64 max_store = 0, remaining = 0, max_var = 0;
	EFI_FILE_HANDLE root, f;
	EFI_STATUS st;
	u32 cap;
	char *buf;
	UINTN one = 1;

	root = li ? LibOpenRoot(li->DeviceHandle) : NULL;
	if (!root) {
		snprintf(err, errlen, "end=save: cannot open the partition this program was loaded from");
		return -1;
	}
	/* A file must be creatable there now, or RESULTS.TXT could not be written on the next boot. */
	st = root->Open(root, &f, PROBE_PATH, EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE | EFI_FILE_MODE_CREATE, 0);
	if (st == EFI_SUCCESS) {
		st = f->Write(f, &one, "x");
		if (f->Delete(f) != EFI_SUCCESS && st == EFI_SUCCESS)
			st = EFI_ACCESS_DENIED;
	}
	root->Close(root);
	if (st != EFI_SUCCESS) {
		snprintf(err, errlen, "end=save: the boot partition is not writable (creating \\EFI\\BOOT\\HVSAVE.TMP: "
			 "%s): the next boot could not write RESULTS.TXT there; use another end=", efi_status_name(st));
		return -1;
	}
	if (ST->Hdr.Revision < (2U << 16) ||
	    RT->QueryVariableInfo(SAVE_ATTRS, &max_store, &remaining, &max_var) != EFI_SUCCESS) {
		snprintf(err, errlen, "end=save: the firmware does not answer QueryVariableInfo (UEFI 2.0)");
		return -1;
	}
	if (results_plan(max_var, remaining, &chunk_size, &cap)) {
		snprintf(err, errlen, "end=save: the variable store has %llu bytes free (variables up to %llu bytes): "
			 "too little for the results", (unsigned long long)remaining, (unsigned long long)max_var);
		return -1;
	}
	if (BS->AllocatePool(EfiLoaderData, cap, (void **)&buf) != EFI_SUCCESS) {
		snprintf(err, errlen, "end=save: out of memory for %u bytes of results", cap);
		return -1;
	}
	rt_set_variable = RT->SetVariable;
	rt_reset_system = RT->ResetSystem;
	results_start(&hv_results, buf, cap);
	hv_info("save", "end=save: up to %u bytes of results in variables of %u bytes (QueryVariableInfo: "
		"store %llu, free %llu, largest variable %llu)", cap, chunk_size, (unsigned long long)max_store,
		(unsigned long long)remaining, (unsigned long long)max_var);
	return 0;
}

/*
 * The runtime services expect what UEFI 2.10 §2.3.4 "x64 Platforms" gives
 * a UEFI application: SSE usable (CR0.EM and CR0.TS clear, CR4.OSFXSR and
 * OSXMMEXCPT set), the x87 control word 0x037F (FNINIT) and MXCSR 0x1F80,
 * the direction flag clear, a 16-byte aligned stack (the compiler keeps it
 * for the ms_abi call).  A guest may have left any FPU state behind: the
 * host never switches it (-mgeneral-regs-only).  Interrupts stay off.
 */
static void rt_call_state(void)
{
	u32 mxcsr = 0x1f80;

	cli();
	write_cr0(read_cr0() & ~(CR0_EM | CR0_TS));
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	__asm__ volatile("fninit\n\tldmxcsr %0\n\tcld" : : "m"(mxcsr) : "memory");
}

void save_results_and_reset(void)
{
	const struct results *r = &hv_results;
	CHAR16 name[16];
	EFI_STATUS st = EFI_SUCCESS;
	u32 n = 0;

	console_results_finish();
	if (r->cut_lines)
		hv_warn("save", "%u lines (%llu bytes) did not fit in the %llu bytes the variable store can take: "
			"RESULTS.TXT says where they are missing", r->cut_lines, (unsigned long long)r->cut_bytes,
			(unsigned long long)r->cap);
	rt_call_state();
	for (size_t off = 0; off < r->len; off += chunk_size, n++) {
		UINTN len = MIN((size_t)chunk_size, r->len - off);

		var_name(name, n);
		st = rt_set_variable(name, &save_guid, SAVE_ATTRS, len, r->buf + off);
		if (st != EFI_SUCCESS)
			break;
	}
	if (st != EFI_SUCCESS)
		hv_err("save", "SetVariable of part %u: %s: RESULTS.TXT will hold only the first %u of %llu bytes",
			 n, efi_status_name(st), n * chunk_size, (unsigned long long)r->len);
	else
		hv_info("save", "%llu bytes of results in %u UEFI variable%s; cold reset: boot the stick again "
			"to write \\EFI\\BOOT\\RESULTS.TXT", (unsigned long long)r->len, n, n == 1 ? "" : "s");
	rt_reset_system(EfiResetCold, EFI_SUCCESS, 0, NULL);
}
