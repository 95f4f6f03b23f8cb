/*
 * tests/unit/test_acpi.c - hv/acpi.c: RSDP -> XSDT/RSDT -> MADT, and the
 * processor list (ACPI 6.5 §5.2.12).  A failure means the hypervisor would
 * start the wrong CPUs, or trust a malformed firmware table.
 */
#include <stdlib.h>
#include <string.h>
#include "hv/acpi.h"
#include "tests/unit/unit.h"

static void fix_checksum(void *p, size_t len, size_t at)
{
	u8 *b = p, sum = 0;

	b[at] = 0;
	for (size_t i = 0; i < len; i++)
		sum += b[i];
	b[at] = (u8)-sum;
}

struct madt_builder {
	u8 buf[512];
	u32 len;
};

static void madt_begin(struct madt_builder *m)
{
	struct acpi_header *h = (void *)m->buf;

	memset(m, 0, sizeof(*m));
	memcpy(h->signature, "APIC", 4);
	h->revision = 5;
	m->len = sizeof(*h) + 8;
	m->buf[sizeof(*h)] = 0x00;              /* local APIC address 0xfee00000 */
	m->buf[sizeof(*h) + 2] = 0xe0;
	m->buf[sizeof(*h) + 3] = 0xfe;
}

static void madt_lapic(struct madt_builder *m, u8 uid, u8 apic_id, u32 flags)
{
	u8 *e = m->buf + m->len;

	e[0] = MADT_TYPE_LAPIC;
	e[1] = 8;
	e[2] = uid;
	e[3] = apic_id;
	memcpy(e + 4, &flags, 4);
	m->len += 8;
}

static void madt_x2apic(struct madt_builder *m, u32 apic_id, u32 flags, u32 uid)
{
	u8 *e = m->buf + m->len;

	memset(e, 0, 16);
	e[0] = MADT_TYPE_X2APIC;
	e[1] = 16;
	memcpy(e + 4, &apic_id, 4);
	memcpy(e + 8, &flags, 4);
	memcpy(e + 12, &uid, 4);
	m->len += 16;
}

static void madt_ioapic(struct madt_builder *m)
{
	u8 *e = m->buf + m->len;

	memset(e, 0, 12);
	e[0] = MADT_TYPE_IOAPIC;
	e[1] = 12;
	m->len += 12;
}

static const struct acpi_header *madt_end(struct madt_builder *m)
{
	struct acpi_header *h = (void *)m->buf;

	h->length = m->len;
	fix_checksum(m->buf, m->len, offsetof(struct acpi_header, checksum));
	return h;
}

TEST(acpi_madt_lists_enabled_cpus)
{
	struct madt_builder m;
	struct acpi_cpu cpus[8];
	u32 lapic = 0;
	int n;

	madt_begin(&m);
	madt_lapic(&m, 0, 0, MADT_LAPIC_ENABLED);
	madt_ioapic(&m);
	madt_lapic(&m, 1, 2, MADT_LAPIC_ENABLED);
	madt_lapic(&m, 2, 4, MADT_LAPIC_ONLINE_CAPABLE);   /* not enabled: not started */
	madt_x2apic(&m, 300, MADT_LAPIC_ENABLED, 7);
	madt_lapic(&m, 3, 2, MADT_LAPIC_ENABLED);          /* duplicate APIC ID: once */
	n = acpi_madt_cpus(madt_end(&m), cpus, 8, &lapic);
	CHECK_EQ(3, n);
	CHECK_EQ(0xfee00000, lapic);
	CHECK_EQ(0, cpus[0].apic_id);
	CHECK_EQ(2, cpus[1].apic_id);
	CHECK_EQ(300, cpus[2].apic_id);
	CHECK(cpus[2].x2apic_entry);
	CHECK_EQ(7, cpus[2].uid);
}

TEST(acpi_madt_counts_beyond_max)
{
	struct madt_builder m;
	struct acpi_cpu cpus[2];

	madt_begin(&m);
	for (int i = 0; i < 5; i++)
		madt_lapic(&m, (u8)i, (u8)i, MADT_LAPIC_ENABLED);
	CHECK_EQ(5, acpi_madt_cpus(madt_end(&m), cpus, 2, NULL));
	CHECK_EQ(1, cpus[1].apic_id);
}

TEST(acpi_madt_rejects_malformed)
{
	struct madt_builder m;
	struct acpi_cpu cpus[4];
	struct acpi_header *h;

	madt_begin(&m);
	madt_lapic(&m, 0, 0, MADT_LAPIC_ENABLED);
	m.buf[m.len - 7] = 40;                  /* entry length runs past the table */
	CHECK_EQ((u64)-1, acpi_madt_cpus(madt_end(&m), cpus, 4, NULL));

	madt_begin(&m);
	madt_lapic(&m, 0, 0, MADT_LAPIC_ENABLED);
	m.buf[m.len - 7] = 0;                   /* zero-length entry would loop forever */
	CHECK_EQ((u64)-1, acpi_madt_cpus(madt_end(&m), cpus, 4, NULL));

	madt_begin(&m);
	h = (void *)madt_end(&m);
	memcpy(h->signature, "FACP", 4);
	CHECK_EQ((u64)-1, acpi_madt_cpus(h, cpus, 4, NULL));
}

static const void *map_identity(u64 phys, u64 len)
{
	(void)len;
	return (const void *)(uintptr_t)phys;
}

static void build_root(u8 *buf, const char *sig, unsigned entry_size, const void *const *tables, int n)
{
	struct acpi_header *h = (void *)buf;

	memset(buf, 0, 256);
	memcpy(h->signature, sig, 4);
	h->length = sizeof(*h) + entry_size * n;
	for (int i = 0; i < n; i++) {
		u64 a = (u64)(uintptr_t)tables[i];

		memcpy(buf + sizeof(*h) + i * entry_size, &a, entry_size);
	}
	fix_checksum(buf, h->length, offsetof(struct acpi_header, checksum));
}

TEST(acpi_find_table_through_xsdt)
{
	static u8 xsdt[256], other[64];
	struct madt_builder m;
	struct acpi_rsdp rsdp;
	const void *tables[2];
	struct acpi_header *o = (void *)other;

	memcpy(o->signature, "FACP", 4);
	o->length = sizeof(*o);
	fix_checksum(other, o->length, offsetof(struct acpi_header, checksum));
	madt_begin(&m);
	madt_lapic(&m, 0, 0, MADT_LAPIC_ENABLED);
	tables[0] = other;
	tables[1] = madt_end(&m);
	build_root(xsdt, "XSDT", 8, tables, 2);

	memset(&rsdp, 0, sizeof(rsdp));
	memcpy(rsdp.signature, "RSD PTR ", 8);
	rsdp.revision = 2;
	rsdp.length = sizeof(rsdp);
	rsdp.xsdt_address = (u64)(uintptr_t)xsdt;
	fix_checksum(&rsdp, 20, offsetof(struct acpi_rsdp, checksum));
	fix_checksum(&rsdp, sizeof(rsdp), offsetof(struct acpi_rsdp, ext_checksum));

	CHECK(acpi_find_table(&rsdp, "APIC", map_identity) == (const void *)m.buf);
	CHECK(acpi_find_table(&rsdp, "FACP", map_identity) == (const void *)other);
	CHECK(acpi_find_table(&rsdp, "HPET", map_identity) == NULL);

	/* A corrupted MADT checksum: not returned. */
	m.buf[40] ^= 0xff;
	CHECK(acpi_find_table(&rsdp, "APIC", map_identity) == NULL);
	/* A corrupted RSDP: nothing is found. */
	rsdp.checksum ^= 1;
	CHECK(acpi_find_table(&rsdp, "FACP", map_identity) == NULL);
}

/* ---- SPCR (Microsoft "Serial Port Console Redirection Table") ---- */

static void spcr_make(struct acpi_spcr *t, u8 iftype, u8 space, u8 width, u8 access, u64 addr, u8 baud)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->header.signature, "SPCR", 4);
	t->header.length = sizeof(*t);
	t->header.revision = 2;
	t->interface_type = iftype;
	t->base = (struct acpi_gas){ .space_id = space, .bit_width = width, .access_size = access, .address = addr };
	t->baud_rate = baud;
	fix_checksum(t, sizeof(*t), offsetof(struct acpi_header, checksum));
}

TEST(acpi_spcr_io_port)
{
	struct acpi_spcr t;
	struct acpi_spcr_uart u;
	char why[160] = "";

	spcr_make(&t, SPCR_IF_16550, ACPI_GAS_IO, 8, 1, 0x2f8, 7);
	CHECK_EQ(0, acpi_spcr_uart(&t.header, &u, why, sizeof(why)));
	CHECK(!u.mmio);
	CHECK_EQ(0x2f8, u.base);
	CHECK_EQ(1, u.stride);
	CHECK_EQ(115200, u.baud);
	spcr_make(&t, SPCR_IF_16450, ACPI_GAS_IO, 8, 0, 0x3f8, 0);
	CHECK_EQ(0, acpi_spcr_uart(&t.header, &u, why, sizeof(why)));
	CHECK_EQ(0, u.baud);                    /* 0: as the firmware left it */
}

TEST(acpi_spcr_mmio)
{
	struct acpi_spcr t;
	struct acpi_spcr_uart u;
	char why[160] = "";

	spcr_make(&t, SPCR_IF_16550_GAS, ACPI_GAS_MEMORY, 32, 3, 0xfedc9000, 6);
	CHECK_EQ(0, acpi_spcr_uart(&t.header, &u, why, sizeof(why)));
	CHECK(u.mmio);
	CHECK_EQ(0xfedc9000, u.base);
	CHECK_EQ(4, u.stride);
	CHECK_EQ(4, u.access);
	CHECK_EQ(57600, u.baud);
	/* 32-bit registers read a byte at a time; 8-bit registers with an undefined access size. */
	spcr_make(&t, SPCR_IF_16550, ACPI_GAS_MEMORY, 32, 1, 0xfe000000, 0);
	CHECK_EQ(0, acpi_spcr_uart(&t.header, &u, why, sizeof(why)));
	CHECK_EQ(4, u.stride);
	CHECK_EQ(1, u.access);
	spcr_make(&t, SPCR_IF_16550, ACPI_GAS_MEMORY, 8, 0, 0xfe000000, 0);
	CHECK_EQ(0, acpi_spcr_uart(&t.header, &u, why, sizeof(why)));
	CHECK_EQ(1, u.stride);
	CHECK_EQ(1, u.access);
}

TEST(acpi_spcr_rejects_bad_tables)
{
	struct acpi_spcr t;
	struct acpi_spcr_uart u;
	char why[160];

	spcr_make(&t, SPCR_IF_16550, ACPI_GAS_IO, 8, 1, 0x3f8, 7);
	t.baud_rate = 6;                        /* checksum no longer matches */
	why[0] = 0;
	CHECK_EQ((u64)-1, acpi_spcr_uart(&t.header, &u, why, sizeof(why)));
	CHECK(strstr(why, "checksum") != NULL);

	spcr_make(&t, 0x03, ACPI_GAS_MEMORY, 32, 3, 0x9000000, 7);   /* ARM PL011 */
	CHECK_EQ((u64)-1, acpi_spcr_uart(&t.header, &u, why, sizeof(why)));
	CHECK(strstr(why, "interface type 0x3") != NULL);

	spcr_make(&t, SPCR_IF_16550, ACPI_GAS_IO, 8, 1, 0x3f8, 7);
	t.header.length = 60;                   /* short table */
	fix_checksum(&t, 60, offsetof(struct acpi_header, checksum));
	CHECK_EQ((u64)-1, acpi_spcr_uart(&t.header, &u, why, sizeof(why)));
	CHECK(strstr(why, "shorter") != NULL);

	spcr_make(&t, SPCR_IF_16550, ACPI_GAS_IO, 8, 1, 0, 7);       /* redirection disabled */
	CHECK_EQ((u64)-1, acpi_spcr_uart(&t.header, &u, why, sizeof(why)));
	spcr_make(&t, SPCR_IF_16550, ACPI_GAS_MEMORY, 16, 2, 0xfe000000, 7);
	CHECK_EQ((u64)-1, acpi_spcr_uart(&t.header, &u, why, sizeof(why)));
	spcr_make(&t, SPCR_IF_16550, ACPI_GAS_IO, 8, 1, 0x3f8, 5);   /* undefined baud code */
	CHECK_EQ((u64)-1, acpi_spcr_uart(&t.header, &u, why, sizeof(why)));
	memcpy(t.header.signature, "APIC", 4);
	CHECK_EQ((u64)-1, acpi_spcr_uart(&t.header, &u, why, sizeof(why)));
}
