/*
 * boot/config.c - parse HV.CFG / load options (see boot/config.h).
 */
#include "boot/config.h"
#include "lib/printf.h"
#include "lib/string.h"

void config_defaults(struct hv_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->test_timeout_ms = 10000;
	cfg->end = CFG_END_POWEROFF;
	cfg->debug_exit = false;
	cfg->guest_ram_mb = 32;
}

static bool parse_u32(const char *s, size_t n, u32 min, u32 max, u32 *out)
{
	u64 v = 0;

	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (u64)(s[i] - '0');
		if (v > max)
			return false;
	}
	if (v < min)
		return false;
	*out = (u32)v;
	return true;
}

static bool parse_bool(const char *s, size_t n, bool *out)
{
	if ((n == 1 && *s == '1') || (n == 2 && !strncmp(s, "on", 2)) ||
	    (n == 3 && !strncmp(s, "yes", 3))) {
		*out = true;
		return true;
	}
	if ((n == 1 && *s == '0') || (n == 3 && !strncmp(s, "off", 3)) ||
	    (n == 2 && !strncmp(s, "no", 2))) {
		*out = false;
		return true;
	}
	return false;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const char *find_char(const char *s, char c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == c)
			return s + i;
	return NULL;
}

static bool key_is(const char *k, size_t kn, const char *name)
{
	return strlen(name) == kn && !strncmp(k, name, kn);
}

int config_parse(struct hv_config *cfg, const char *text, char *err, size_t errlen)
{
	const char *p = text;

	while (*p) {
		const char *w, *eq, *v;
		size_t wn, kn, vn;
		u32 u;
		bool b;

		if (is_blank(*p)) {
			p++;
			continue;
		}
		if (*p == '#') {
			while (*p && *p != '\n')
				p++;
			continue;
		}
		w = p;
		while (*p && !is_blank(*p) && *p != '#')
			p++;
		wn = (size_t)(p - w);
		eq = find_char(w, '=', wn);
		if (!eq) {
			snprintf(err, errlen, "'%.*s': expected key=value", (int)wn, w);
			return -1;
		}
		kn = (size_t)(eq - w);
		v = eq + 1;
		vn = wn - kn - 1;

		if (key_is(w, kn, "tests")) {
			if (vn == 0 || vn >= sizeof(cfg->tests)) {
				snprintf(err, errlen, "tests=: give 1 to %zu characters", sizeof(cfg->tests) - 1);
				return -1;
			}
			memcpy(cfg->tests, v, vn);
			cfg->tests[vn] = 0;
		} else if (key_is(w, kn, "test_timeout")) {
			if (!parse_u32(v, vn, 10, 3600000, &u))
				goto bad_value;
			cfg->test_timeout_ms = u;
		} else if (key_is(w, kn, "cpus")) {
			if (!parse_u32(v, vn, 1, 4096, &u))
				goto bad_value;
			cfg->cpus = u;
		} else if (key_is(w, kn, "guest_ram_mb")) {
			if (!parse_u32(v, vn, 4, 4096, &u))
				goto bad_value;
			cfg->guest_ram_mb = u;
		} else if (key_is(w, kn, "verbose")) {
			if (!parse_u32(v, vn, 0, 3, &u))
				goto bad_value;
			cfg->verbose = u;
		} else if (key_is(w, kn, "debug_exit")) {
			if (!parse_bool(v, vn, &b))
				goto bad_value;
			cfg->debug_exit = b;
		} else if (key_is(w, kn, "end")) {
			if (vn == 8 && !strncmp(v, "poweroff", 8))
				cfg->end = CFG_END_POWEROFF;
			else if (vn == 6 && !strncmp(v, "reboot", 6))
				cfg->end = CFG_END_REBOOT;
			else if (vn == 4 && !strncmp(v, "halt", 4))
				cfg->end = CFG_END_HALT;
			else
				goto bad_value;
		} else {
			snprintf(err, errlen, "unknown option '%.*s' (known: tests test_timeout cpus "
				 "guest_ram_mb verbose debug_exit end)", (int)kn, w);
			return -1;
		}
		continue;
bad_value:
		snprintf(err, errlen, "bad value in '%.*s'", (int)wn, w);
		return -1;
	}
	return 0;
}

void config_describe(const struct hv_config *cfg, char *buf, size_t len)
{
	static const char *const ends[] = { "poweroff", "reboot", "halt" };

	snprintf(buf, len, "tests=%s test_timeout=%u cpus=%u guest_ram_mb=%u verbose=%u debug_exit=%s end=%s",
		 cfg->tests[0] ? cfg->tests : "(default)", cfg->test_timeout_ms,
		 cfg->cpus, cfg->guest_ram_mb, cfg->verbose, cfg->debug_exit ? "on" : "off",
		 ends[cfg->end]);
}
