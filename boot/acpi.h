/*
 * boot/acpi.h - the little ACPI the hypervisor needs: find the MADT through
 * the RSDP/XSDT and list the processors' local APIC IDs
 * (ACPI 6.5 §5.2.5 RSDP, §5.2.8 XSDT, §5.2.12 MADT).
 * Pure logic on memory it is given, so it is unit-tested on the host.
 */
#ifndef BOOT_ACPI_H
#define BOOT_ACPI_H

#include "lib/types.h"

struct acpi_header {
	char signature[4];
	u32 length;
	u8 revision;
	u8 checksum;
	char oem_id[6];
	char oem_table_id[8];
	u32 oem_revision;
	u32 creator_id;
	u32 creator_revision;
} __packed;
_Static_assert(sizeof(struct acpi_header) == 36, "ACPI header is 36 bytes");

struct acpi_rsdp {
	char signature[8];      /* "RSD PTR " */
	u8 checksum;
	char oem_id[6];
	u8 revision;            /* 2+: XSDT present */
	u32 rsdt_address;
	u32 length;
	u64 xsdt_address;
	u8 ext_checksum;
	u8 reserved[3];
} __packed;
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP (2.0) is 36 bytes");

#define MADT_TYPE_LAPIC         0
#define MADT_TYPE_IOAPIC        1
#define MADT_TYPE_X2APIC        9
#define MADT_LAPIC_ENABLED      BIT(0)
#define MADT_LAPIC_ONLINE_CAPABLE BIT(1)

struct acpi_cpu {
	u32 apic_id;
	u32 uid;
	bool x2apic_entry;
};

/* Addresses are physical; the callback maps them (identity under UEFI). */
typedef const void *(*acpi_map_fn)(u64 phys, u64 len);

bool acpi_checksum_ok(const void *p, size_t len);
const struct acpi_header *acpi_find_table(const struct acpi_rsdp *rsdp, const char sig[4], acpi_map_fn map);
/*
 * Enabled processors of the MADT (type 0 and 9 entries with the Enabled
 * flag; online-capable ones are not started).  Returns the count found
 * (at most max stored), or -1 if the table is malformed.
 * *lapic_addr gets the MADT's local APIC address.
 */
int acpi_madt_cpus(const struct acpi_header *madt, struct acpi_cpu *cpus, int max, u32 *lapic_addr);

#endif
