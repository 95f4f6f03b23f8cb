/*
 * tests/unit/test_acpi.c - boot/acpi.c: RSDP -> XSDT/RSDT -> MADT, and the
 * processor list (ACPI 6.5 §5.2.12).  A failure means the hypervisor would
 * start the wrong CPUs, or trust a malformed firmware table.
 */
#include <stdlib.h>
#include <string.h>
#include "boot/acpi.h"
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
