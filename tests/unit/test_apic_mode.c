/*
 * tests/unit/test_apic_mode.c - avic/apic_mode.c and the apic= / avic_force=
 * options: which backend a machine gets.  A failure means a Zen machine
 * runs without AVIC although it has it, or a machine without AVIC claims
 * to run it.
 */
#include <string.h>
#include "avic/apic_mode.h"
#include "boot/config.h"
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
	struct svm_caps none = caps_of("AuthenticAMD", 0x19, SVM_FEAT_NP, 0);
	struct svm_caps avic = caps_of("AuthenticAMD", 0x19, SVM_FEAT_NP | SVM_FEAT_AVIC, 0);
	struct svm_caps both = caps_of("AuthenticAMD", 0x19, SVM_FEAT_NP | SVM_FEAT_AVIC | SVM_FEAT_X2AVIC,
				       SVM_FEAT_ECX_X2AVIC_EXT);
	struct apic_mode_choice c;

	apic_mode_choose(&none, CFG_APIC_AUTO, false, &c);
	CHECK_EQ(APIC_BACKEND_SOFT, c.backend);
	CHECK(!c.error);
	CHECK(strstr(c.reason, "AVIC absent") != NULL);

	apic_mode_choose(&avic, CFG_APIC_AUTO, false, &c);
	CHECK_EQ(APIC_BACKEND_AVIC, c.backend);
	CHECK(!c.x2avic);
	CHECK_STR_EQ("AVIC", c.name);
	CHECK(strstr(c.reason, "x2APIC guests run without acceleration") != NULL);

	apic_mode_choose(&both, CFG_APIC_AUTO, false, &c);
	CHECK_EQ(APIC_BACKEND_AVIC, c.backend);
	CHECK(c.x2avic);
	CHECK(c.x2avic_ext);
	CHECK(c.ipi_virt);
	CHECK_STR_EQ("AVIC+x2AVIC", c.name);
}

TEST(apic_mode_requests)
{
	struct svm_caps none = caps_of("AuthenticAMD", 0x19, SVM_FEAT_NP, 0);
	struct svm_caps avic = caps_of("AuthenticAMD", 0x19, SVM_FEAT_NP | SVM_FEAT_AVIC, 0);
	struct apic_mode_choice c;

	apic_mode_choose(&avic, CFG_APIC_SOFT, false, &c);
	CHECK_EQ(APIC_BACKEND_SOFT, c.backend);
	apic_mode_choose(&none, CFG_APIC_AVIC_EMU, false, &c);
	CHECK_EQ(APIC_BACKEND_AVIC_EMU, c.backend);
	CHECK(c.x2avic);
	/* apic=avic without AVIC: an error that names the way out, not a silent fallback. */
	apic_mode_choose(&none, CFG_APIC_AVIC, false, &c);
	CHECK(c.error);
	CHECK(strstr(c.reason, "avic_force=on") != NULL);
	/* AVIC hidden in CPUID, forced. */
	apic_mode_choose(&none, CFG_APIC_AVIC, true, &c);
	CHECK(!c.error);
	CHECK_EQ(APIC_BACKEND_AVIC, c.backend);
	CHECK(strstr(c.reason, "forced") != NULL);
}

TEST(apic_mode_erratum_1235)
{
	u32 edx = SVM_FEAT_NP | SVM_FEAT_AVIC;
	struct svm_caps zen1 = caps_of("AuthenticAMD", 0x17, edx, 0);
	struct svm_caps hygon = caps_of("HygonGenuine", 0x18, edx, 0);
	struct svm_caps zen3 = caps_of("AuthenticAMD", 0x19, edx, 0);
	struct apic_mode_choice c;

	apic_mode_choose(&zen1, CFG_APIC_AUTO, false, &c);
	CHECK_EQ(APIC_BACKEND_AVIC, c.backend);
	CHECK(!c.ipi_virt);
	CHECK(strstr(c.reason, "erratum 1235") != NULL);
	apic_mode_choose(&hygon, CFG_APIC_AUTO, false, &c);
	CHECK(!c.ipi_virt);
	apic_mode_choose(&zen3, CFG_APIC_AUTO, false, &c);
	CHECK(c.ipi_virt);
}

TEST(config_apic_keys)
{
	struct hv_config c;
	char err[200] = "", line[400];

	config_defaults(&c);
	CHECK_EQ(CFG_APIC_AUTO, c.apic);
	CHECK_EQ(0, config_parse(&c, "apic=avic-emu", err, sizeof(err)));
	CHECK_EQ(CFG_APIC_AVIC_EMU, c.apic);
	CHECK_EQ(0, config_parse(&c, "apic=soft avic_force=on", err, sizeof(err)));
	CHECK_EQ(CFG_APIC_SOFT, c.apic);
	CHECK(c.avic_force);
	config_describe(&c, line, sizeof(line));
	CHECK(strstr(line, "apic=soft avic_force=on") != NULL);
	CHECK_EQ(-1, config_parse(&c, "apic=x2avic", err, sizeof(err)));
	CHECK(strstr(err, "apic=x2avic") != NULL);
}
