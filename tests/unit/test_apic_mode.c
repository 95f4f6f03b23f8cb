/*
 * tests/unit/test_apic_mode.c - avic/apic_mode.c and the apic= / avic_force=
 * options: which backend a machine gets.  A failure means a Zen machine
 * runs without AVIC although it has it, or a machine without AVIC claims
 * to run it.
 */
#include <string.h>
#include "avic/apic_mode.h"
#include "avic/avic_emu.h"
#include "hv/config.h"
#include "tests/unit/unit.h"

static struct svm_caps caps_of(const char *vendor, u32 family, u32 edx, u32 ecx)
{
	struct svm_caps c;

	memset(&c, 0, sizeof(c));
	strcpy(c.vendor, vendor);
	c.family = family;
	c.edx = edx;
	c.ecx = ecx;
	return c;
}

TEST(apic_mode_auto_follows_cpuid)
{
	struct svm_caps none = caps_of("AuthenticAMD", 0x19, CPUID_8000000A_EDX_NP, 0);
	struct svm_caps avic = caps_of("AuthenticAMD", 0x19, CPUID_8000000A_EDX_NP | CPUID_8000000A_EDX_AVIC, 0);
	struct svm_caps both = caps_of("AuthenticAMD", 0x19, CPUID_8000000A_EDX_NP | CPUID_8000000A_EDX_AVIC | CPUID_8000000A_EDX_X2AVIC,
				       CPUID_8000000A_ECX_X2AVIC_EXT);
	struct apic_mode_choice c;

	apic_mode_choose(&none, APIC_REQ_AUTO, false, &c);
	CHECK_EQ(APIC_BACKEND_SOFT, c.backend);
	CHECK(!c.error);
	CHECK(strstr(c.reason, "AVIC absent") != NULL);

	apic_mode_choose(&avic, APIC_REQ_AUTO, false, &c);
	CHECK_EQ(APIC_BACKEND_AVIC, c.backend);
	CHECK(!c.x2avic);
	CHECK_STR_EQ("AVIC", c.name);
	CHECK(strstr(c.reason, "x2APIC guests run without acceleration") != NULL);

	apic_mode_choose(&both, APIC_REQ_AUTO, false, &c);
	CHECK_EQ(APIC_BACKEND_AVIC, c.backend);
	CHECK(c.x2avic);
	CHECK(c.x2avic_ext);
	CHECK(c.ipi_virt);
	CHECK_STR_EQ("AVIC+x2AVIC", c.name);
}

/* x2avic=off: the hardware backend drops x2AVIC and says so; soft is left alone. */
TEST(apic_mode_x2avic_off)
{
	struct svm_caps both = caps_of("AuthenticAMD", 0x19, CPUID_8000000A_EDX_NP | CPUID_8000000A_EDX_AVIC | CPUID_8000000A_EDX_X2AVIC, 0);
	struct apic_mode_choice c;

	apic_mode_choose(&both, APIC_REQ_AUTO, false, &c);
	apic_mode_x2avic_off(&c);
	CHECK_EQ(APIC_BACKEND_AVIC, c.backend);
	CHECK(!c.x2avic);
	CHECK_STR_EQ("AVIC", c.name);
	CHECK(strstr(c.reason, "x2avic=off") != NULL);

	apic_mode_choose(&both, APIC_REQ_AVIC_EMU, false, &c);
	apic_mode_x2avic_off(&c);
	CHECK(!c.x2avic);
	CHECK_STR_EQ("AVIC emulation", c.name);

	apic_mode_choose(&both, APIC_REQ_SOFT, false, &c);
	apic_mode_x2avic_off(&c);
	CHECK(strstr(c.reason, "x2avic=off") == NULL);
}

TEST(apic_mode_requests)
{
	struct svm_caps none = caps_of("AuthenticAMD", 0x19, CPUID_8000000A_EDX_NP, 0);
	struct svm_caps avic = caps_of("AuthenticAMD", 0x19, CPUID_8000000A_EDX_NP | CPUID_8000000A_EDX_AVIC, 0);
	struct apic_mode_choice c;

	apic_mode_choose(&avic, APIC_REQ_SOFT, false, &c);
	CHECK_EQ(APIC_BACKEND_SOFT, c.backend);
	apic_mode_choose(&none, APIC_REQ_AVIC_EMU, false, &c);
	CHECK_EQ(APIC_BACKEND_AVIC_EMU, c.backend);
	CHECK(c.x2avic);
	/* apic=avic without AVIC: an error that names the way out, not a silent fallback. */
	apic_mode_choose(&none, APIC_REQ_AVIC, false, &c);
	CHECK(c.error);
	CHECK(strstr(c.reason, "avic_force=on") != NULL);
	/* AVIC hidden in CPUID, forced. */
	apic_mode_choose(&none, APIC_REQ_AVIC, true, &c);
	CHECK(!c.error);
	CHECK_EQ(APIC_BACKEND_AVIC, c.backend);
	CHECK(strstr(c.reason, "forced") != NULL);
}

TEST(apic_mode_erratum_1235)
{
	u32 edx = CPUID_8000000A_EDX_NP | CPUID_8000000A_EDX_AVIC;
	struct svm_caps zen1 = caps_of("AuthenticAMD", 0x17, edx, 0);
	struct svm_caps hygon = caps_of("HygonGenuine", 0x18, edx, 0);
	struct svm_caps zen3 = caps_of("AuthenticAMD", 0x19, edx, 0);
	struct apic_mode_choice c;

	apic_mode_choose(&zen1, APIC_REQ_AUTO, false, &c);
	CHECK_EQ(APIC_BACKEND_AVIC, c.backend);
	CHECK(!c.ipi_virt);
	CHECK(strstr(c.reason, "erratum 1235") != NULL);
	apic_mode_choose(&hygon, APIC_REQ_AUTO, false, &c);
	CHECK(!c.ipi_virt);
	apic_mode_choose(&zen3, APIC_REQ_AUTO, false, &c);
	CHECK(c.ipi_virt);
}

TEST(config_apic_keys)
{
	struct hv_config c;
	char err[200] = "", line[400];

	config_defaults(&c);
	CHECK_EQ(APIC_REQ_AUTO, c.apic);
	CHECK_EQ(0, config_parse(&c, "apic=avic-emu", err, sizeof(err)));
	CHECK_EQ(APIC_REQ_AVIC_EMU, c.apic);
	CHECK_EQ(0, config_parse(&c, "apic=soft avic_force=on", err, sizeof(err)));
	CHECK_EQ(APIC_REQ_SOFT, c.apic);
	CHECK(c.avic_force);
	config_describe(&c, line, sizeof(line));
	CHECK(strstr(line, "apic=soft avic_force=on") != NULL);
	CHECK_EQ(-1, config_parse(&c, "apic=x2avic", err, sizeof(err)));
	CHECK(strstr(err, "apic=x2avic") != NULL);
}

static struct svm_caps caps_model(const char *vendor, u32 family, u32 model, u32 edx)
{
	struct svm_caps c = caps_of(vendor, family, edx, 0);

	c.model = model;
	return c;
}

/*
 * Zen 4 and later: family 19h models 10h-1Fh (Genoa), 60h-7Fh (Raphael,
 * Phoenix), A0h-AFh (Bergamo/Siena), and every family above 19h.  The edges
 * of each range are checked: a Zen 3 model (00h-0Fh, 20h-5Fh) is not.
 */
TEST(apic_mode_zen4_ranges)
{
	static const struct { u32 family, model; bool zen4; } rows[] = {
		{ 0x17, 0x31, false }, { 0x19, 0x01, false }, { 0x19, 0x0f, false },
		{ 0x19, 0x10, true },  { 0x19, 0x1f, true },  { 0x19, 0x20, false },
		{ 0x19, 0x21, false }, { 0x19, 0x5f, false }, { 0x19, 0x60, true },
		{ 0x19, 0x7f, true },  { 0x19, 0x80, false }, { 0x19, 0x9f, false },
		{ 0x19, 0xa0, true },  { 0x19, 0xaf, true },  { 0x19, 0xb0, false },
		{ 0x1a, 0x00, true },  { 0x1a, 0x44, true },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		struct svm_caps c = caps_model("AuthenticAMD", rows[i].family, rows[i].model, 0);

		CHECK_EQ(rows[i].zen4, apic_mode_zen4_or_later(&c));
	}
	/* Not AMD: never, whatever the family says. */
	{
		struct svm_caps h = caps_model("HygonGenuine", 0x1a, 0x10, 0);

		CHECK(!apic_mode_zen4_or_later(&h));
	}
}

/* linux_default: AVIC backend, x2AVIC and Zen 4+; the report says when it is not. */
TEST(apic_mode_linux_default)
{
	u32 x2 = CPUID_8000000A_EDX_NP | CPUID_8000000A_EDX_AVIC | CPUID_8000000A_EDX_X2AVIC;
	struct svm_caps genoa = caps_model("AuthenticAMD", 0x19, 0x11, x2);
	struct svm_caps milan = caps_model("AuthenticAMD", 0x19, 0x01, x2);
	struct svm_caps genoa_nox2 = caps_model("AuthenticAMD", 0x19, 0x11, CPUID_8000000A_EDX_NP | CPUID_8000000A_EDX_AVIC);
	struct svm_caps none = caps_model("AuthenticAMD", 0x19, 0x11, CPUID_8000000A_EDX_NP);
	struct apic_mode_choice c;

	apic_mode_choose(&genoa, APIC_REQ_AUTO, false, &c);
	CHECK(c.linux_default);
	CHECK(strstr(c.reason, "Linux KVM would not") == NULL);
	apic_mode_choose(&milan, APIC_REQ_AUTO, false, &c);
	CHECK_EQ(APIC_BACKEND_AVIC, c.backend);
	CHECK(!c.linux_default);
	CHECK(strstr(c.reason, "Linux KVM would not enable AVIC by default") != NULL);
	apic_mode_choose(&genoa_nox2, APIC_REQ_AUTO, false, &c);
	CHECK(!c.linux_default);
	apic_mode_choose(&none, APIC_REQ_AUTO, false, &c);
	CHECK_EQ(APIC_BACKEND_SOFT, c.backend);
	CHECK(!c.linux_default);
}

/*
 * Host APIC IDs: 0xfff is the widest the physical-table entry's host-ID
 * field (11:0) can hold; 0x1000 is not, and IPIs then go by kicks.  The soft
 * backend has no table and is left alone.
 */
TEST(apic_mode_host_ids_width)
{
	struct svm_caps both = caps_model("AuthenticAMD", 0x19, 0x11,
					  CPUID_8000000A_EDX_NP | CPUID_8000000A_EDX_AVIC | CPUID_8000000A_EDX_X2AVIC);
	struct svm_caps none = caps_model("AuthenticAMD", 0x19, 0x11, CPUID_8000000A_EDX_NP);
	struct apic_mode_choice c;

	apic_mode_choose(&both, APIC_REQ_AUTO, false, &c);
	apic_mode_host_ids(0xfff, &c);
	CHECK(!c.host_ids_wide);
	CHECK(c.ipi_virt);
	CHECK(strstr(c.reason, "wider") == NULL);

	apic_mode_host_ids(0x1000, &c);
	CHECK(c.host_ids_wide);
	CHECK(!c.ipi_virt);
	CHECK(strstr(c.reason, "host APIC ID 0x1000 is wider") != NULL);

	apic_mode_choose(&both, APIC_REQ_AVIC_EMU, false, &c);
	apic_mode_host_ids(0x12345, &c);
	CHECK(c.host_ids_wide);
	CHECK(!c.ipi_virt);

	apic_mode_choose(&none, APIC_REQ_AUTO, false, &c);
	apic_mode_host_ids(0x12345, &c);
	CHECK(!c.host_ids_wide);
	CHECK(strstr(c.reason, "wider") == NULL);
}

/*
 * avic_emu_quirks: "on" is the reported set, "all" adds the off-spec ones;
 * IsRunning-seen-late plays only on a family 17h profile, which then also
 * takes the erratum gate in every other VM (emu_fam17).
 */
TEST(apic_mode_emu_quirks_sets)
{
	u32 edx = CPUID_8000000A_EDX_NP | CPUID_8000000A_EDX_AVIC | CPUID_8000000A_EDX_X2AVIC;
	struct svm_caps zen3 = caps_model("AuthenticAMD", 0x19, 0x01, edx);
	struct svm_caps zen1 = caps_model("AuthenticAMD", 0x17, 0x01, edx);
	struct apic_mode_choice c;

	/* Off, or another backend: nothing changes. */
	apic_mode_choose(&zen3, APIC_REQ_AVIC_EMU, false, &c);
	apic_mode_emu_quirks(&zen3, APIC_REQ_QUIRKS_OFF, &c);
	CHECK_EQ(0, c.emu_quirks);
	apic_mode_choose(&zen3, APIC_REQ_AUTO, false, &c);
	apic_mode_emu_quirks(&zen3, APIC_REQ_QUIRKS_ALL, &c);
	CHECK_EQ(0, c.emu_quirks);
	CHECK(!c.emu_fam17);

	apic_mode_choose(&zen3, APIC_REQ_AVIC_EMU, false, &c);
	apic_mode_emu_quirks(&zen3, APIC_REQ_QUIRKS_ON, &c);
	CHECK_EQ(AVIC_EMU_QUIRKS_REPORTED & ~(u32)BIT(AVIC_EMU_Q_ISRUNNING_LATE), c.emu_quirks);
	CHECK(c.emu_quirks & BIT(AVIC_EMU_Q_ICR_BUSY));
	CHECK(!(c.emu_quirks & BIT(AVIC_EMU_Q_EXITINFO_RSVD)));
	CHECK(!c.emu_fam17);
	CHECK(c.ipi_virt);
	CHECK(strstr(c.reason, "avic_emu_quirks=on") != NULL);

	apic_mode_choose(&zen3, APIC_REQ_AVIC_EMU, false, &c);
	apic_mode_emu_quirks(&zen3, APIC_REQ_QUIRKS_ALL, &c);
	CHECK_EQ(AVIC_EMU_QUIRKS_ALL & ~(u32)BIT(AVIC_EMU_Q_ISRUNNING_LATE), c.emu_quirks);
	CHECK(c.emu_quirks & BIT(AVIC_EMU_Q_EOI_VECTOR));
	CHECK(strstr(c.reason, "avic_emu_quirks=all") != NULL);

	/* Family 17h: every quirk of the set, ISRUNNING_LATE included, and the fam17 profile. */
	apic_mode_choose(&zen1, APIC_REQ_AVIC_EMU, false, &c);
	apic_mode_emu_quirks(&zen1, APIC_REQ_QUIRKS_ON, &c);
	CHECK_EQ(AVIC_EMU_QUIRKS_REPORTED, c.emu_quirks);
	CHECK(c.emu_quirks & BIT(AVIC_EMU_Q_ISRUNNING_LATE));
	CHECK(c.emu_fam17);
	CHECK(!c.ipi_virt);
	CHECK(strstr(c.reason, "family 17h profile") != NULL);
}

/* The avic_emu_quirks= key: off/on/all, bad values named, and only with apic=avic-emu. */
TEST(config_avic_emu_quirks_key)
{
	struct hv_config c;
	char err[200] = "", line[400];

	config_defaults(&c);
	CHECK_EQ(APIC_REQ_QUIRKS_OFF, c.avic_emu_quirks);
	CHECK_EQ(0, config_parse(&c, "apic=avic-emu avic_emu_quirks=all", err, sizeof(err)));
	CHECK_EQ(APIC_REQ_QUIRKS_ALL, c.avic_emu_quirks);
	CHECK_EQ(0, config_check(&c, err, sizeof(err)));
	config_describe(&c, line, sizeof(line));
	CHECK(strstr(line, "apic=avic-emu avic_emu_quirks=all") != NULL);
	CHECK_EQ(0, config_parse(&c, "avic_emu_quirks=on", err, sizeof(err)));
	CHECK_EQ(APIC_REQ_QUIRKS_ON, c.avic_emu_quirks);
	config_describe(&c, line, sizeof(line));
	CHECK(strstr(line, " avic_emu_quirks=on") != NULL);
	CHECK_EQ(0, config_parse(&c, "avic_emu_quirks=off", err, sizeof(err)));
	CHECK_EQ(APIC_REQ_QUIRKS_OFF, c.avic_emu_quirks);
	config_describe(&c, line, sizeof(line));
	CHECK(strstr(line, "avic_emu_quirks") == NULL);

	CHECK_EQ(-1, config_parse(&c, "avic_emu_quirks=some", err, sizeof(err)));
	CHECK(strstr(err, "avic_emu_quirks=some") != NULL);
	CHECK(strstr(err, "off, on or all") != NULL);
	CHECK_EQ(-1, config_parse(&c, "avic_emu_quirks=alll", err, sizeof(err)));

	config_defaults(&c);
	CHECK_EQ(0, config_parse(&c, "apic=soft avic_emu_quirks=on", err, sizeof(err)));
	CHECK_EQ(-1, config_check(&c, err, sizeof(err)));
	CHECK(strstr(err, "needs apic=avic-emu") != NULL);
}
