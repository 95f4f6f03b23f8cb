/*
 * hv/acpi.c - RSDP -> XSDT (or RSDT) -> MADT -> processor list.
 * Every length read from the tables is checked before it is used: the
 * tables come from firmware we do not trust to be well formed.
 */
#include "hv/acpi.h"
#include "lib/printf.h"
#include "lib/string.h"

bool acpi_checksum_ok(const void *p, size_t len)
{
	const u8 *b = p;
	u8 sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += b[i];
	return sum == 0;
}

static const struct acpi_header *check_table(const void *p)
{
	const struct acpi_header *h = p;

	if (!h || h->length < sizeof(*h) || h->length > (64u << 20))
		return NULL;
	return acpi_checksum_ok(h, h->length) ? h : NULL;
}

const struct acpi_header *acpi_find_table(const struct acpi_rsdp *rsdp, const char sig[4], acpi_map_fn map)
{
	const struct acpi_header *root;
	unsigned entry_size;

	if (!rsdp || memcmp(rsdp->signature, "RSD PTR ", 8) || !acpi_checksum_ok(rsdp, 20))
		return NULL;
	if (rsdp->revision >= 2 && rsdp->xsdt_address &&
	    acpi_checksum_ok(rsdp, MIN(rsdp->length, sizeof(*rsdp)))) {
		root = map(rsdp->xsdt_address, sizeof(struct acpi_header));
		entry_size = 8;
	} else {
		root = map(rsdp->rsdt_address, sizeof(struct acpi_header));
		entry_size = 4;
	}
	if (!root)
		return NULL;
	root = map((u64)(uintptr_t)root, root->length);
	if (!check_table(root))
		return NULL;
	for (u32 off = sizeof(*root); off + entry_size <= root->length; off += entry_size) {
		const u8 *e = (const u8 *)root + off;
		u64 addr = 0;
		const struct acpi_header *t;

		memcpy(&addr, e, entry_size);
		t = map(addr, sizeof(struct acpi_header));
		if (!t || memcmp(t->signature, sig, 4))
			continue;
		t = map(addr, t->length);
		if (check_table(t))
			return t;
	}
	return NULL;
}

int acpi_madt_cpus(const struct acpi_header *madt, struct acpi_cpu *cpus, int max, u32 *lapic_addr)
{
	const u8 *p = (const u8 *)madt;
	u32 off = sizeof(*madt) + 8;    /* local APIC address + flags */
	int n = 0;

	if (!madt || madt->length < off || memcmp(madt->signature, "APIC", 4))
		return -1;
	if (lapic_addr)
		memcpy(lapic_addr, p + sizeof(*madt), 4);
	while (off + 2 <= madt->length) {
		u8 type = p[off], len = p[off + 1];
		struct acpi_cpu cpu = { 0 };
		u32 flags;
		bool found = false;

		if (len < 2 || off + len > madt->length)
			return -1;
		if (type == MADT_TYPE_LAPIC && len >= 8) {
			cpu.uid = p[off + 2];
			cpu.apic_id = p[off + 3];
			memcpy(&flags, p + off + 4, 4);
			found = flags & MADT_LAPIC_ENABLED;
		} else if (type == MADT_TYPE_X2APIC && len >= 16) {
			memcpy(&cpu.apic_id, p + off + 4, 4);
			memcpy(&flags, p + off + 8, 4);
			memcpy(&cpu.uid, p + off + 12, 4);
			cpu.x2apic_entry = true;
			found = flags & MADT_LAPIC_ENABLED;
		}
		if (found) {
			bool dup = false;

			for (int i = 0; i < n && i < max; i++)
				dup |= cpus[i].apic_id == cpu.apic_id;
			if (!dup) {
				if (n < max)
					cpus[n] = cpu;
				n++;
			}
		}
		off += len;
	}
	return n;
}

/*
 * SPCR -> the console UART.  Only 16550-compatible interfaces are used, at
 * an I/O port or in memory (GAS address spaces 1 and 0, ACPI 6.5 §5.2.3.2);
 * MMIO registers are 8 or 32 bits wide, one register per width, accessed
 * with the GAS access size (undefined: the register width).
 */
int acpi_spcr_uart(const struct acpi_header *t, struct acpi_spcr_uart *out, char *why, size_t whylen)
{
	const struct acpi_spcr *sp = (const void *)t;
	struct acpi_gas g;
	u8 width;

	if (!t || memcmp(t->signature, "SPCR", 4)) {
		snprintf(why, whylen, "not an SPCR table");
		return -1;
	}
	if (t->length < sizeof(*sp)) {
		snprintf(why, whylen, "SPCR table of %u bytes, shorter than the %zu its revision 2 layout needs",
			 t->length, sizeof(*sp));
		return -1;
	}
	if (!acpi_checksum_ok(t, t->length)) {
		snprintf(why, whylen, "SPCR checksum is wrong");
		return -1;
	}
	if (sp->interface_type != SPCR_IF_16550 && sp->interface_type != SPCR_IF_16450 &&
	    sp->interface_type != SPCR_IF_16550_GAS) {
		snprintf(why, whylen, "SPCR interface type 0x%x is not 16550-compatible", sp->interface_type);
		return -1;
	}
	memcpy(&g, &sp->base, sizeof(g));
	if (!g.address) {
		snprintf(why, whylen, "SPCR base address is 0 (console redirection disabled)");
		return -1;
	}
	width = g.bit_width ? g.bit_width : 8;
	*out = (struct acpi_spcr_uart){ .base = g.address, .interface_type = sp->interface_type };
	if (g.space_id == ACPI_GAS_IO) {
		if (width != 8 || g.address > 0xfff8) {
			snprintf(why, whylen, "SPCR I/O UART at 0x%llx with %u-bit registers: not a 16550 port",
				 (unsigned long long)g.address, width);
			return -1;
		}
		out->stride = out->access = 1;
	} else if (g.space_id == ACPI_GAS_MEMORY) {
		if (width != 8 && width != 32) {
			snprintf(why, whylen, "SPCR MMIO UART with %u-bit registers (8 or 32 are supported)", width);
			return -1;
		}
		out->mmio = true;
		out->stride = width / 8;
		switch (g.access_size) {
		case 0: out->access = out->stride; break;
		case 1: out->access = 1; break;
		case 3: out->access = 4; break;
		default:
			snprintf(why, whylen, "SPCR MMIO UART with access size %u (byte or dword are supported)",
				 g.access_size);
			return -1;
		}
	} else {
		snprintf(why, whylen, "SPCR UART in address space %u (memory or I/O are supported)", g.space_id);
		return -1;
	}
	switch (sp->baud_rate) {
	case 0: out->baud = 0; break;
	case 3: out->baud = 9600; break;
	case 4: out->baud = 19200; break;
	case 6: out->baud = 57600; break;
	case 7: out->baud = 115200; break;
	default:
		snprintf(why, whylen, "SPCR baud rate code %u is not defined", sp->baud_rate);
		return -1;
	}
	return 0;
}
