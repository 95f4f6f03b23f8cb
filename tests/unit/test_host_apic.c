/*
 * tests/unit/test_host_apic.c - hv/host_apic_mode.c: the host APIC mode
 * decision (host_apic=, APM Vol 2 §16.9 "Detecting and Enabling x2APIC
 * Mode"), the ID register in both modes (§16.3.3, §16.12) and the ICR
 * destination encodings (§16.5, §16.13), for APIC IDs QEMU cannot give us
 * (above 254).  A failure means an IPI, a kick or an INIT-SIPI would go to
 * the wrong CPU, or a host_apic= request would be misread.
 */
#include <string.h>
#include "hv/acpi.h"
#include "hv/host_apic.h"
#include "tests/unit/unit.h"

TEST(host_apic_choose_table)
{
	static const struct {
		enum cfg_host_apic want;
		bool cpu_x2, fw_x2;
		bool x2apic, switch_at_boot, error;
		const char *why;        /* a word the reason must hold */
	} cases[] = {
		{ CFG_HOST_APIC_AUTO,   false, false, false, false, false, "firmware" },
		{ CFG_HOST_APIC_AUTO,   true,  false, false, false, false, "host_apic=x2apic" },
		{ CFG_HOST_APIC_AUTO,   true,  true,  true,  false, false, "firmware" },
		{ CFG_HOST_APIC_XAPIC,  true,  false, false, false, false, "host_apic=xapic" },
		{ CFG_HOST_APIC_XAPIC,  true,  true,  false, false, true,  "reset" },
		{ CFG_HOST_APIC_X2APIC, true,  false, true,  true,  false, "switched" },
		{ CFG_HOST_APIC_X2APIC, true,  true,  true,  false, false, "firmware" },
		{ CFG_HOST_APIC_X2APIC, false, false, false, false, true,  "ECX[21]" },
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct host_apic_choice c;

		memset(&c, 0xa5, sizeof(c));
		host_apic_choose(cases[i].want, cases[i].cpu_x2, cases[i].fw_x2, &c);
		CHECK_EQ(cases[i].error, c.error);
		if (!c.error) {
			CHECK_EQ(cases[i].x2apic, c.x2apic);
			CHECK_EQ(cases[i].switch_at_boot, c.switch_at_boot);
		} else {
			CHECK(!c.switch_at_boot);
		}
		CHECK(strlen(c.reason) > 0 && strlen(c.reason) < sizeof(c.reason) - 1);
		CHECK(strstr(c.reason, cases[i].why) != NULL);
	}
}

TEST(host_apic_id_decode_both_modes)
{
	/* xAPIC: bits 31:24; the rest of the register is not the ID. */
	CHECK_EQ(0x00, host_apic_id_decode(0x00ffffff, false));
	CHECK_EQ(0xfe, host_apic_id_decode(0xfe000000, false));
	CHECK_EQ(0x03, host_apic_id_decode(0x03000000, false));
	/* x2APIC: all 32 bits, also above 255. */
	CHECK_EQ(3, host_apic_id_decode(3, true));
	CHECK_EQ(255, host_apic_id_decode(255, true));
	CHECK_EQ(256, host_apic_id_decode(256, true));
	CHECK_EQ(0x12345678, host_apic_id_decode(0x12345678, true));
}

TEST(host_apic_id_reachable_by_mode)
{
	CHECK(host_apic_id_reachable(0, false));
	CHECK(host_apic_id_reachable(0xfe, false));
	CHECK(!host_apic_id_reachable(0xff, false));       /* the xAPIC broadcast */
	CHECK(!host_apic_id_reachable(0x100, false));
	CHECK(!host_apic_id_reachable(4000, false));
	CHECK(host_apic_id_reachable(0xff, true));
	CHECK(host_apic_id_reachable(0x100, true));
	CHECK(host_apic_id_reachable(0xfffffffe, true));
	CHECK(!host_apic_id_reachable(0xffffffff, true));  /* the x2APIC broadcast */
}

TEST(host_apic_icr_encodings)
{
	u32 init = APIC_ICR_DM_INIT | APIC_ICR_LEVEL_ASSERT;

	/* x2APIC: destination in 63:32, the low word unchanged, nothing in 31:... lost. */
	CHECK_EQ(0x0000000100000021ULL, host_apic_icr_x2apic(1, HOST_VEC_KICK));
	CHECK_EQ(0x0000012c00004500ULL, host_apic_icr_x2apic(300, init));
	CHECK_EQ(0xfffffffe00000698ULL, host_apic_icr_x2apic(0xfffffffe, APIC_ICR_DM_STARTUP | 0x98));
	CHECK_EQ(300, (u32)(host_apic_icr_x2apic(300, init) >> 32));
	CHECK_EQ(init, (u32)host_apic_icr_x2apic(300, init));
	/* xAPIC: the 8-bit destination in 31:24 of the high word. */
	CHECK_EQ(0x01000000, host_apic_icr_high_xapic(1));
	CHECK_EQ(0xfe000000, host_apic_icr_high_xapic(0xfe));
}

/*
 * A large machine's MADT (ACPI 6.5 §5.2.12.12 "Processor Local x2APIC
 * Structure": IDs of 255 and more are listed only in type 9 entries), read
 * by hv/acpi.c and filtered as boot/smp.c does: in xAPIC mode only the
 * type 0 CPUs can be started, in x2APIC mode all of them.
 */
TEST(host_apic_madt_wide_ids_by_mode)
{
	static const u32 ids[] = { 0, 1, 254, 255, 256, 4095, 70000 };
	u8 buf[sizeof(struct acpi_header) + 8 + 16 * 8];
	struct acpi_header *h = (void *)buf;
	struct acpi_cpu cpus[16];
	u32 off = sizeof(*h) + 8, flags = MADT_LAPIC_ENABLED, xapic = 0, x2apic = 0;
	u8 sum = 0;
	int n;

	memset(buf, 0, sizeof(buf));
	memcpy(h->signature, "APIC", 4);
	for (unsigned i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		u8 *e = buf + off;

		if (ids[i] < 255) {             /* type 0: 8-bit ID */
			e[0] = MADT_TYPE_LAPIC;
			e[1] = 8;
			e[2] = (u8)i;
			e[3] = (u8)ids[i];
			memcpy(e + 4, &flags, 4);
			off += 8;
		} else {                        /* type 9: 32-bit ID */
			e[0] = MADT_TYPE_X2APIC;
			e[1] = 16;
			memcpy(e + 4, &ids[i], 4);
			memcpy(e + 8, &flags, 4);
			memcpy(e + 12, &i, 4);
			off += 16;
		}
	}
	h->length = off;
	for (u32 i = 0; i < off; i++)
		sum += buf[i];
	h->checksum = (u8)-sum;
	n = acpi_madt_cpus(h, cpus, 16, NULL);
	CHECK_EQ(sizeof(ids) / sizeof(ids[0]), n);
	for (int i = 0; i < n; i++) {
		CHECK_EQ(ids[i], cpus[i].apic_id);
		CHECK_EQ(ids[i] >= 255, cpus[i].x2apic_entry);
		xapic += host_apic_id_reachable(cpus[i].apic_id, false);
		x2apic += host_apic_id_reachable(cpus[i].apic_id, true);
		/* The INIT an x2APIC BSP sends names the whole ID. */
		CHECK_EQ(ids[i], (u32)(host_apic_icr_x2apic(cpus[i].apic_id, APIC_ICR_DM_INIT) >> 32));
	}
	CHECK_EQ(3, xapic);
	CHECK_EQ(7, x2apic);
}
