/*
 * hv/acpi.h - the little ACPI the hypervisor needs: find the MADT through
 * the RSDP/XSDT and list the processors' local APIC IDs
 * (ACPI 6.5 §5.2.5 RSDP, §5.2.8 XSDT, §5.2.12 MADT), and the console UART of
 * the SPCR table (Microsoft "Serial Port Console Redirection Table").
 * Pure logic on memory it is given, so it is unit-tested on the host.
 */
#ifndef HV_ACPI_H
#define HV_ACPI_H

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

/* ACPI 6.5 §5.2.3.2 "Generic Address Structure (GAS)". */
struct acpi_gas {
	u8 space_id;            /* +0x00: 0 system memory, 1 system I/O */
	u8 bit_width;           /* +0x01: register width in bits */
	u8 bit_offset;          /* +0x02 */
	u8 access_size;         /* +0x03: 0 undefined, 1 byte, 2 word, 3 dword, 4 qword */
	u64 address;            /* +0x04 */
} __packed;
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS is 12 bytes");

#define ACPI_GAS_MEMORY 0
#define ACPI_GAS_IO     1

/*
 * SPCR, Microsoft "Serial Port Console Redirection Table", revision 2 layout
 * (80 bytes; later revisions append fields this tool does not read).
 */
struct acpi_spcr {
	struct acpi_header header;      /* +0x00 "SPCR" */
	u8 interface_type;              /* +0x24: rev 1: 0 16550, 1 16450; rev 2+: DBG2 serial subtype */
	u8 reserved_0x25[3];
	struct acpi_gas base;           /* +0x28: the register set; address 0 = redirection disabled */
	u8 interrupt_type;              /* +0x34 */
	u8 irq;                         /* +0x35 */
	u32 gsi;                        /* +0x36 */
	u8 baud_rate;                   /* +0x3a: 0 as is, 3 9600, 4 19200, 6 57600, 7 115200 */
	u8 parity;                      /* +0x3b */
	u8 stop_bits;                   /* +0x3c */
	u8 flow_control;                /* +0x3d */
	u8 terminal_type;               /* +0x3e */
	u8 language;                    /* +0x3f */
	u16 pci_device_id;              /* +0x40 */
	u16 pci_vendor_id;              /* +0x42 */
	u8 pci_bus;                     /* +0x44 */
	u8 pci_device;                  /* +0x45 */
	u8 pci_function;                /* +0x46 */
	u32 pci_flags;                  /* +0x47 */
	u8 pci_segment;                 /* +0x4b */
	u8 reserved_0x4c[4];            /* +0x4c: rev 3+ UART clock frequency */
} __packed;
_Static_assert(offsetof(struct acpi_spcr, interface_type) == 0x24, "SPCR interface type");
_Static_assert(offsetof(struct acpi_spcr, base) == 0x28, "SPCR base address");
_Static_assert(offsetof(struct acpi_spcr, baud_rate) == 0x3a, "SPCR baud rate");
_Static_assert(offsetof(struct acpi_spcr, pci_flags) == 0x47, "SPCR PCI flags");
_Static_assert(sizeof(struct acpi_spcr) == 80, "SPCR revision 2 is 80 bytes");

/*
 * The 16550-compatible interface types (SPCR revision 1 values, and the
 * serial port subtypes of Microsoft's "Debug Port Table 2" spec, Table 3,
 * that later revisions use): full 16550, 16450 (16550 subset), and
 * "16550-compatible with parameters defined in Generic Address Structure".
 */
#define SPCR_IF_16550           0x00
#define SPCR_IF_16450           0x01
#define SPCR_IF_16550_GAS       0x12

struct acpi_spcr_uart {
	bool mmio;              /* false: I/O port */
	u64 base;
	u8 stride;              /* bytes between registers (1, or 4 for 32-bit registers) */
	u8 access;              /* bytes per access (MMIO): 1 or 4 */
	u32 baud;               /* 0 = as the firmware left it */
	u8 interface_type;
};

/*
 * The console UART of an SPCR table: checks signature, length, checksum,
 * interface type, address space and widths.  Returns 0, or -1 with why
 * (for the capability report: the table is then not used).
 */
int acpi_spcr_uart(const struct acpi_header *t, struct acpi_spcr_uart *out, char *why, size_t whylen);

#endif
