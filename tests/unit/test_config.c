/*
 * tests/unit/test_config.c - boot/config.c, the HV.CFG / load-options
 * parser.  A failure means a user's option is ignored or misread on a
 * machine where nobody can type a command line.
 */
#include <string.h>
#include "boot/config.h"
#include "tests/unit/unit.h"

TEST(config_defaults_and_values)
{
	struct hv_config c;
	char err[160] = "";

	config_defaults(&c);
	CHECK_EQ(10000, c.test_timeout_ms);
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
