/*
 * hv/config.c - parse HV.CFG / load options (see hv/config.h).
 */
#include "hv/config.h"
#include "lib/printf.h"
#include "lib/string.h"

void config_defaults(struct hv_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->test_timeout_ms = 10000;
	cfg->end = CFG_END_POWEROFF;
	cfg->debug_exit = false;
	cfg->guest_ram_mb = 32;
	cfg->apic = APIC_REQ_AUTO;
	cfg->avic_force = false;
	cfg->x2avic = true;
	cfg->host_apic = CFG_HOST_APIC_AUTO;
	cfg->console = CFG_CONSOLE_AUTO;
	cfg->screen = true;
	cfg->screen_hold = false;
}

/* console=comN: the PC's standard I/O bases of COM1-COM4. */
static const u16 com_ports[4] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };

/* "0x" and 1-4 hex digits, a base from 0x1 to 0xfff8 (eight registers must fit below 0x10000). */
static bool parse_port(const char *s, size_t n, u16 *out)
{
	u32 v = 0;

	if (n < 3 || n > 6 || s[0] != '0' || (s[1] | 0x20) != 'x')
		return false;
	for (size_t i = 2; i < n; i++) {
		char c = (char)(s[i] | 0x20);

		if (c >= '0' && c <= '9')
			v = v * 16 + (u32)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (u32)(c - 'a' + 10);
		else
			return false;
	}
	if (!v || v > 0xfff8)
		return false;
	*out = (u16)v;
	return true;
}

const char *config_com_name(u16 port)
{
	static const char *const names[4] = { "COM1", "COM2", "COM3", "COM4" };

	for (unsigned i = 0; i < 4; i++)
		if (com_ports[i] == port)
			return names[i];
	return NULL;
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

static bool key_is(const char *k, size_t kn, const char *name)
{
	return strlen(name) == kn && !strncmp(k, name, kn);
}

/* An ESP path for guest= / module=: absolute, printable, no blanks or quotes. */
static bool path_ok(const char *v, size_t n)
{
	if (n < 2 || n >= CFG_PATH_MAX || (v[0] != '\\' && v[0] != '/'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (v[i] <= ' ' || v[i] > '~' || v[i] == '"')
			return false;
	return true;
}

static void copy_value(char *dst, const char *v, size_t n)
{
	memcpy(dst, v, n);
	dst[n] = 0;
}

/* One key=value item of the text: the item w (wn characters), its key (the first kn), its value v (vn). */
struct cfg_item {
	const char *w, *v;
	size_t wn, kn, vn;
};

/* What an option group made of an item; set_option writes the message of the last three. */
enum opt_result {
	OPT_SET,
	OPT_ERR,                /* err written */
	OPT_NOT_MINE,           /* a key of another group */
	OPT_BAD_VALUE,
	OPT_BAD_PATH,
};

/* Blanks and # comments up to the next item or the end of the text. */
static const char *skip_blanks(const char *p)
{
	while (*p) {
		if (is_blank(*p)) {
			p++;
			continue;
		}
		if (*p == '#') {
			while (*p && *p != '\n')
				p++;
			continue;
		}
		break;
	}
	return p;
}

/* Reads the item at p into it; returns where the text goes on, or NULL with err written. */
static const char *read_item(const char *p, struct cfg_item *it, char *err, size_t errlen)
{
	const char *w, *v;
	size_t kn, vn;

	w = p;
	while (*p && !is_blank(*p) && *p != '#' && *p != '=')
		p++;
	if (*p != '=') {
		while (*p && !is_blank(*p) && *p != '#')
			p++;
		snprintf(err, errlen, "'%.*s': expected key=value", (int)(p - w), w);
		return NULL;
	}
	kn = (size_t)(p - w);
	p++;
	if (*p == '"') {
		/* A quoted value: blanks and '#' are part of it. */
		v = ++p;
		while (*p && *p != '"' && *p != '\n')
			p++;
		if (*p != '"') {
			snprintf(err, errlen, "'%.*s': no closing '\"' on the same line", (int)(p - w), w);
			return NULL;
		}
		vn = (size_t)(p - v);
		p++;
		if (*p && !is_blank(*p) && *p != '#') {
			snprintf(err, errlen, "'%.*s': text right after the closing '\"'", (int)(p + 1 - w), w);
			return NULL;
		}
	} else {
		v = p;
		while (*p && !is_blank(*p) && *p != '#')
			p++;
		vn = (size_t)(p - v);
	}
	*it = (struct cfg_item){ .w = w, .v = v, .wn = (size_t)(p - w), .kn = kn, .vn = vn };
	return p;
}

/* tests= test_timeout= cpus= guest_ram_mb= verbose= debug_exit= end= */
static enum opt_result set_run_option(struct hv_config *cfg, const struct cfg_item *it, char *err, size_t errlen)
{
	const char *w = it->w, *v = it->v;
	size_t kn = it->kn, vn = it->vn;
	u32 u;
	bool b;

	if (key_is(w, kn, "tests")) {
		if (vn == 0 || vn >= sizeof(cfg->tests)) {
			snprintf(err, errlen, "tests=: give 1 to %zu characters", sizeof(cfg->tests) - 1);
			return OPT_ERR;
		}
		copy_value(cfg->tests, v, vn);
	} else if (key_is(w, kn, "test_timeout")) {
		if (!parse_u32(v, vn, 10, 3600000, &u))
			return OPT_BAD_VALUE;
		cfg->test_timeout_ms = u;
		cfg->test_timeout_given = true;
	} else if (key_is(w, kn, "cpus")) {
		if (!parse_u32(v, vn, 1, 4096, &u))
			return OPT_BAD_VALUE;
		cfg->cpus = u;
	} else if (key_is(w, kn, "guest_ram_mb")) {
		if (!parse_u32(v, vn, 4, 4096, &u))
			return OPT_BAD_VALUE;
		cfg->guest_ram_mb = u;
		cfg->guest_ram_given = true;
	} else if (key_is(w, kn, "verbose")) {
		if (!parse_u32(v, vn, 0, 3, &u))
			return OPT_BAD_VALUE;
		cfg->verbose = u;
	} else if (key_is(w, kn, "debug_exit")) {
		if (!parse_bool(v, vn, &b))
			return OPT_BAD_VALUE;
		cfg->debug_exit = b;
	} else if (key_is(w, kn, "end")) {
		if (vn == 8 && !strncmp(v, "poweroff", 8))
			cfg->end = CFG_END_POWEROFF;
		else if (vn == 6 && !strncmp(v, "reboot", 6))
			cfg->end = CFG_END_REBOOT;
		else if (vn == 4 && !strncmp(v, "halt", 4))
			cfg->end = CFG_END_HALT;
		else if (vn == 4 && !strncmp(v, "save", 4))
			cfg->end = CFG_END_SAVE;
		else
			return OPT_BAD_VALUE;
	} else {
		return OPT_NOT_MINE;
	}
	return OPT_SET;
}

/* console= screen= screen_hold= */
static enum opt_result set_console_option(struct hv_config *cfg, const struct cfg_item *it, char *err,
					  size_t errlen)
{
	const char *w = it->w, *v = it->v;
	size_t wn = it->wn, kn = it->kn, vn = it->vn;
	bool b;

	if (key_is(w, kn, "console")) {
		u16 port;

		if (vn == 4 && !strncmp(v, "auto", 4)) {
			cfg->console = CFG_CONSOLE_AUTO;
		} else if (vn == 4 && !strncmp(v, "none", 4)) {
			cfg->console = CFG_CONSOLE_NONE;
		} else if (vn == 4 && !strncmp(v, "com", 3) && v[3] >= '1' && v[3] <= '4') {
			cfg->console = CFG_CONSOLE_PORT;
			cfg->console_port = com_ports[v[3] - '1'];
		} else if (parse_port(v, vn, &port)) {
			cfg->console = CFG_CONSOLE_PORT;
			cfg->console_port = port;
		} else {
			snprintf(err, errlen, "bad value in '%.*s': give auto, com1, com2, com3, com4, "
				 "0xPORT (a 16550's I/O port base, 0x1-0xfff8) or none", (int)wn, w);
			return OPT_ERR;
		}
	} else if (key_is(w, kn, "screen")) {
		if (!parse_bool(v, vn, &b))
			return OPT_BAD_VALUE;
		cfg->screen = b;
	} else if (key_is(w, kn, "screen_hold")) {
		if (!parse_bool(v, vn, &b))
			return OPT_BAD_VALUE;
		cfg->screen_hold = b;
	} else {
		return OPT_NOT_MINE;
	}
	return OPT_SET;
}

/* apic= avic_force= x2avic= avic_emu_quirks= host_apic= */
static enum opt_result set_apic_option(struct hv_config *cfg, const struct cfg_item *it, char *err,
				       size_t errlen)
{
	const char *w = it->w, *v = it->v;
	size_t wn = it->wn, kn = it->kn, vn = it->vn;
	bool b;

	if (key_is(w, kn, "apic")) {
		if (vn == 4 && !strncmp(v, "auto", 4))
			cfg->apic = APIC_REQ_AUTO;
		else if (vn == 4 && !strncmp(v, "soft", 4))
			cfg->apic = APIC_REQ_SOFT;
		else if (vn == 4 && !strncmp(v, "avic", 4))
			cfg->apic = APIC_REQ_AVIC;
		else if (vn == 8 && !strncmp(v, "avic-emu", 8))
			cfg->apic = APIC_REQ_AVIC_EMU;
		else
			return OPT_BAD_VALUE;
	} else if (key_is(w, kn, "avic_force")) {
		if (!parse_bool(v, vn, &b))
			return OPT_BAD_VALUE;
		cfg->avic_force = b;
	} else if (key_is(w, kn, "x2avic")) {
		if (!parse_bool(v, vn, &b))
			return OPT_BAD_VALUE;
		cfg->x2avic = b;
	} else if (key_is(w, kn, "avic_emu_quirks")) {
		if (vn == 3 && !strncmp(v, "all", 3))
			cfg->avic_emu_quirks = APIC_REQ_QUIRKS_ALL;
		else if (parse_bool(v, vn, &b))
			cfg->avic_emu_quirks = b ? APIC_REQ_QUIRKS_ON : APIC_REQ_QUIRKS_OFF;
		else {
			snprintf(err, errlen, "bad value in '%.*s': give off, on or all", (int)wn, w);
			return OPT_ERR;
		}
	} else if (key_is(w, kn, "host_apic")) {
		if (vn == 4 && !strncmp(v, "auto", 4))
			cfg->host_apic = CFG_HOST_APIC_AUTO;
		else if (vn == 5 && !strncmp(v, "xapic", 5))
			cfg->host_apic = CFG_HOST_APIC_XAPIC;
		else if (vn == 6 && !strncmp(v, "x2apic", 6))
			cfg->host_apic = CFG_HOST_APIC_X2APIC;
		else
			return OPT_BAD_VALUE;
	} else {
		return OPT_NOT_MINE;
	}
	return OPT_SET;
}

/* guest= append= module= (the Multiboot kernel, docs/multiboot.md) */
static enum opt_result set_guest_option(struct hv_config *cfg, const struct cfg_item *it, char *err,
					size_t errlen)
{
	const char *w = it->w, *v = it->v;
	size_t wn = it->wn, kn = it->kn, vn = it->vn;

	if (key_is(w, kn, "guest")) {
		if (vn && !path_ok(v, vn))
			return OPT_BAD_PATH;
		copy_value(cfg->guest, v, vn);
	} else if (key_is(w, kn, "append")) {
		if (vn >= sizeof(cfg->append)) {
			snprintf(err, errlen, "append=: at most %zu characters", sizeof(cfg->append) - 1);
			return OPT_ERR;
		}
		copy_value(cfg->append, v, vn);
	} else if (key_is(w, kn, "module")) {
		if (!vn) {
			cfg->nr_modules = 0;
			return OPT_SET;
		}
		if (!path_ok(v, vn))
			return OPT_BAD_PATH;
		if (cfg->nr_modules == CFG_MODULES_MAX) {
			snprintf(err, errlen, "'%.*s': too many modules, at most %u", (int)wn, w,
				 CFG_MODULES_MAX);
			return OPT_ERR;
		}
		copy_value(cfg->modules[cfg->nr_modules++], v, vn);
	} else {
		return OPT_NOT_MINE;
	}
	return OPT_SET;
}

/* Sets the option the item names; 0, or -1 with err written. */
static int set_option(struct hv_config *cfg, const struct cfg_item *it, char *err, size_t errlen)
{
	static enum opt_result (*const groups[])(struct hv_config *, const struct cfg_item *, char *, size_t) = {
		set_run_option, set_console_option, set_apic_option, set_guest_option,
	};
	const char *w = it->w;
	size_t wn = it->wn, kn = it->kn;
	enum opt_result r = OPT_NOT_MINE;

	for (size_t i = 0; i < ARRAY_SIZE(groups) && r == OPT_NOT_MINE; i++)
		r = groups[i](cfg, it, err, errlen);
	switch (r) {
	case OPT_SET:
		return 0;
	case OPT_ERR:
		return -1;
	case OPT_NOT_MINE:
		snprintf(err, errlen, "unknown option '%.*s' (known: tests test_timeout cpus "
			 "guest_ram_mb verbose debug_exit end apic avic_force x2avic avic_emu_quirks host_apic console screen screen_hold guest append module)", (int)kn, w);
		return -1;
	case OPT_BAD_VALUE:
		snprintf(err, errlen, "bad value in '%.*s'", (int)wn, w);
		return -1;
	case OPT_BAD_PATH:
		snprintf(err, errlen, "'%.*s': give an absolute path on the ESP, like \\guest\\kernel.elf "
			 "(at most %u characters, no blanks or quotes)", (int)wn, w, CFG_PATH_MAX - 1);
		return -1;
	}
	return -1;
}

int config_parse(struct hv_config *cfg, const char *text, char *err, size_t errlen)
{
	const char *p = text;
	struct cfg_item it;

	for (;;) {
		p = skip_blanks(p);
		if (!*p)
			return 0;
		p = read_item(p, &it, err, errlen);
		if (!p || set_option(cfg, &it, err, errlen))
			return -1;
	}
}

int config_check(const struct hv_config *cfg, char *err, size_t errlen)
{
	if (cfg->guest[0] && cfg->tests[0]) {
		snprintf(err, errlen, "guest=%s and tests=%s exclude each other: a run boots either a "
			 "Multiboot kernel or the built-in tests", cfg->guest, cfg->tests);
		return -1;
	}
	if (!cfg->guest[0] && (cfg->append[0] || cfg->nr_modules)) {
		snprintf(err, errlen, "%s without guest=: name the kernel to boot",
			 cfg->nr_modules ? "module=" : "append=");
		return -1;
	}
	if (cfg->avic_emu_quirks != APIC_REQ_QUIRKS_OFF && cfg->apic != APIC_REQ_AVIC_EMU) {
		snprintf(err, errlen, "avic_emu_quirks=%s needs apic=avic-emu: the quirks are the model's",
			 cfg->avic_emu_quirks == APIC_REQ_QUIRKS_ALL ? "all" : "on");
		return -1;
	}
	return 0;
}

void config_describe(const struct hv_config *cfg, char *buf, size_t len)
{
	static const char *const ends[] = { "poweroff", "reboot", "halt", "save" };
	static const char *const apics[] = { "auto", "soft", "avic", "avic-emu" };
	static const char *const host_apics[] = { "auto", "xapic", "x2apic" };
	int n;

	if (cfg->guest[0])
		n = snprintf(buf, len, "guest=%s modules=%u", cfg->guest, cfg->nr_modules);
	else
		n = snprintf(buf, len, "tests=%s", cfg->tests[0] ? cfg->tests : "(default)");
	if (n < 0 || (size_t)n >= len)
		return;
	n += snprintf(buf + n, len - (size_t)n, " test_timeout=%u cpus=%u guest_ram_mb=%u verbose=%u debug_exit=%s end=%s"
		      " apic=%s%s%s%s",
		      cfg->test_timeout_ms, cfg->cpus, cfg->guest_ram_mb, cfg->verbose,
		      cfg->debug_exit ? "on" : "off", ends[cfg->end], apics[cfg->apic],
		      cfg->avic_force ? " avic_force=on" : "", cfg->x2avic ? "" : " x2avic=off",
		      cfg->avic_emu_quirks == APIC_REQ_QUIRKS_ALL ? " avic_emu_quirks=all" :
		      cfg->avic_emu_quirks == APIC_REQ_QUIRKS_ON ? " avic_emu_quirks=on" : "");
	if (n < 0 || (size_t)n >= len)
		return;
	if (cfg->console == CFG_CONSOLE_PORT && config_com_name(cfg->console_port))
		n += snprintf(buf + n, len - (size_t)n, " console=com%c", config_com_name(cfg->console_port)[3]);
	else if (cfg->console == CFG_CONSOLE_PORT)
		n += snprintf(buf + n, len - (size_t)n, " console=0x%x", cfg->console_port);
	else
		n += snprintf(buf + n, len - (size_t)n, " console=%s", cfg->console == CFG_CONSOLE_AUTO ? "auto" : "none");
	if (n < 0 || (size_t)n >= len)
		return;
	snprintf(buf + n, len - (size_t)n, "%s%s host_apic=%s", cfg->screen ? "" : " screen=off",
		 cfg->screen_hold ? " screen_hold=on" : "", host_apics[cfg->host_apic]);
}
