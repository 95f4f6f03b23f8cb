/*
 * tests/unit/test_config.c - hv/config.c, the HV.CFG / load-options
 * parser.  A failure means a user's option is ignored or misread on a
 * machine where nobody can type a command line.
 */
#include <string.h>
#include "hv/config.h"
#include "tests/unit/unit.h"

TEST(config_defaults_and_values)
{
	struct hv_config c;
	char err[160] = "";

	config_defaults(&c);
	CHECK_EQ(10000, c.test_timeout_ms);
	CHECK(!c.test_timeout_given && !c.guest_ram_given);
	CHECK_EQ(0, c.cpus);
	CHECK(!c.debug_exit);
	CHECK_STR_EQ("", c.tests);
	CHECK_EQ(0, config_parse(&c, "# a comment\ntests=cpuid,smp*  test_timeout=250\r\n"
				     "cpus=4 debug_exit=on end=halt verbose=1 guest_ram_mb=64 # trailing\n",
				 err, sizeof(err)));
	CHECK_STR_EQ("cpuid,smp*", c.tests);
	CHECK_EQ(250, c.test_timeout_ms);
	CHECK_EQ(4, c.cpus);
	CHECK(c.debug_exit);
	CHECK_EQ(CFG_END_HALT, c.end);
	CHECK_EQ(1, c.verbose);
	CHECK_EQ(64, c.guest_ram_mb);
	CHECK(c.test_timeout_given && c.guest_ram_given);
	/* Later settings win (load options are applied after the file). */
	CHECK_EQ(0, config_parse(&c, "debug_exit=off cpus=1", err, sizeof(err)));
	CHECK(!c.debug_exit);
	CHECK_EQ(1, c.cpus);
}

TEST(config_rejects_bad_input)
{
	static const char *const bad[] = {
		"bogus=1", "cpus=0", "cpus=x", "cpus=", "test_timeout=5", "end=sleep",
		"debug_exit=maybe", "tests=", "novalue", "guest_ram_mb=2", "cpus=99999999999",
		"host_apic=x2", "host_apic=", "host_apic=X2APIC", "host_apic=x2apicc",
	};
	struct hv_config c;
	char err[160];

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		config_defaults(&c);
		err[0] = 0;
		CHECK_EQ((u64)-1, config_parse(&c, bad[i], err, sizeof(err)));
		CHECK(err[0] != 0);
	}
	config_defaults(&c);
	config_parse(&c, "cpus=2 bogus=1", err, sizeof(err));
	CHECK(strstr(err, "bogus") != NULL);
}

TEST(config_describe_names_everything)
{
	struct hv_config c;
	char buf[256];

	config_defaults(&c);
	config_describe(&c, buf, sizeof(buf));
	CHECK(strstr(buf, "tests=(default)") != NULL);
	CHECK(strstr(buf, "end=poweroff") != NULL);
}

/* console=: the named COM ports, any I/O port base, auto and none; nothing else. */
TEST(config_console)
{
	static const struct { const char *text; enum cfg_console kind; u16 port; const char *shown; } ok[] = {
		{ "console=auto", CFG_CONSOLE_AUTO, 0, "console=auto" },
		{ "console=none", CFG_CONSOLE_NONE, 0, "console=none" },
		{ "console=com1", CFG_CONSOLE_PORT, 0x3f8, "console=com1" },
		{ "console=com2", CFG_CONSOLE_PORT, 0x2f8, "console=com2" },
		{ "console=com3", CFG_CONSOLE_PORT, 0x3e8, "console=com3" },
		{ "console=com4", CFG_CONSOLE_PORT, 0x2e8, "console=com4" },
		{ "console=0x2F8", CFG_CONSOLE_PORT, 0x2f8, "console=com2" },
		{ "console=0xe000", CFG_CONSOLE_PORT, 0xe000, "console=0xe000" },
	};
	static const char *const bad[] = {
		"console=com5", "console=com0", "console=COM", "console=0x", "console=0x0", "console=0xfff9",
		"console=0x12345", "console=2f8", "console=0xg0", "console=", "console=serial",
	};
	struct hv_config c;
	char err[160], buf[320];

	config_defaults(&c);
	CHECK_EQ(CFG_CONSOLE_AUTO, c.console);
	for (unsigned i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		config_defaults(&c);
		CHECK_EQ(0, config_parse(&c, ok[i].text, err, sizeof(err)));
		CHECK_EQ(ok[i].kind, c.console);
		if (ok[i].kind == CFG_CONSOLE_PORT)
			CHECK_EQ(ok[i].port, c.console_port);
		config_describe(&c, buf, sizeof(buf));
		CHECK(strstr(buf, ok[i].shown) != NULL);
	}
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		config_defaults(&c);
		err[0] = 0;
		CHECK_EQ((u64)-1, config_parse(&c, bad[i], err, sizeof(err)));
		CHECK(strstr(err, "com1, com2, com3, com4") != NULL);
	}
	CHECK_STR_EQ("COM2", config_com_name(0x2f8));
	CHECK(config_com_name(0x2f9) == NULL);
}

TEST(config_host_apic)
{
	static const struct { const char *text; enum cfg_host_apic want; const char *shown; } cases[] = {
		{ "host_apic=auto", CFG_HOST_APIC_AUTO, "host_apic=auto" },
		{ "host_apic=xapic", CFG_HOST_APIC_XAPIC, "host_apic=xapic" },
		{ "host_apic=x2apic", CFG_HOST_APIC_X2APIC, "host_apic=x2apic" },
	};
	struct hv_config c;
	char err[160] = "", buf[320];

	config_defaults(&c);
	CHECK_EQ(CFG_HOST_APIC_AUTO, c.host_apic);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		config_defaults(&c);
		CHECK_EQ(0, config_parse(&c, cases[i].text, err, sizeof(err)));
		CHECK_EQ(cases[i].want, c.host_apic);
		config_describe(&c, buf, sizeof(buf));
		CHECK(strstr(buf, cases[i].shown) != NULL);
	}
	/* The message names the word, and the known-keys list names the key. */
	config_parse(&c, "host_apic=x2", err, sizeof(err));
	CHECK(strstr(err, "host_apic=x2") != NULL);
	config_parse(&c, "host_apix=x2apic", err, sizeof(err));
	CHECK(strstr(err, " host_apic ") != NULL);
}
