/*
 * tools/verdict_lib.c - parse a run's serial log into a verdict (see verdict.h).
 *
 * Bytes go through two filters before a line is looked at:
 *  1. ANSI escape sequences are dropped.  OVMF clears the screen and sets
 *     modes on the serial console (ESC [ 2 J, ESC [ 01;01 H, ESC [ = 3 h ...)
 *     and its last sequence can sit at the start of the hypervisor's first line.
 *  2. \r and NUL are dropped (OVMF ends lines with CR LF).
 * Then a line counts only when its first character starts the keyword: a
 * guest's "[guest t/0] PASS: ..." is console output, not a result.
 */
#include "tools/verdict.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Escape-sequence states (ECMA-48 shapes, enough for what firmware sends). */
enum {
	ESC_NONE,       /* plain text */
	ESC_START,      /* after ESC */
	ESC_CSI,        /* ESC [ params/intermediates, until a final byte 0x40-0x7e */
	ESC_STRING,     /* ESC ] / P / _ / ^ / X ..., until BEL or ESC \ */
	ESC_STRING_ESC, /* ESC inside a string: expect '\' */
	ESC_NF,         /* ESC + intermediates 0x20-0x2f, until a final byte */
};

static const char *const names[] = {
	[VERDICT_SUCCESS] = "SUCCESS", [VERDICT_FAILURE] = "FAILURE", [VERDICT_SKIP] = "SKIP",
	[VERDICT_ERROR] = "ERROR", [VERDICT_CRASH] = "CRASH", [VERDICT_TIMEOUT] = "TIMEOUT",
	[VERDICT_NONE] = "NONE",
};

const char *verdict_name(enum verdict v)
{
	if ((unsigned)v < sizeof(names) / sizeof(names[0]))
		return names[v];
	return "?";
}

int verdict_exit_code(enum verdict v)
{
	switch (v) {
	case VERDICT_SUCCESS: return VERDICT_EXIT_SUCCESS;
	case VERDICT_FAILURE: return VERDICT_EXIT_FAILURE;
	case VERDICT_SKIP:    return VERDICT_EXIT_SKIP;
	case VERDICT_ERROR:   return VERDICT_EXIT_ERROR;
	case VERDICT_TIMEOUT: return VERDICT_EXIT_TIMEOUT;
	case VERDICT_CRASH:
	case VERDICT_NONE:
	default:              return VERDICT_EXIT_CRASH;
	}
}

/* Only the four words the hypervisor may print on its final line. */
enum verdict verdict_from_name(const char *s)
{
	static const enum verdict finals[] = { VERDICT_SUCCESS, VERDICT_FAILURE, VERDICT_SKIP, VERDICT_ERROR };
	for (size_t i = 0; i < sizeof(finals) / sizeof(finals[0]); i++)
		if (strcmp(s, names[finals[i]]) == 0)
			return finals[i];
	return VERDICT_NONE;
}

static void note(struct verdict_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct verdict_result *r, const char *fmt, ...)
{
	va_list ap;
	if (r->nr_notes >= VERDICT_NOTES_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(r->notes[r->nr_notes++], VERDICT_NOTE_LEN, fmt, ap);
	va_end(ap);
}

static void set_reason(struct verdict_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_reason(struct verdict_result *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
}

void verdict_init(struct verdict_parser *p)
{
	memset(p, 0, sizeof(*p));
	p->esc = ESC_NONE;
	p->r.final_value = VERDICT_NONE;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Remembers the <test> of "KEYWORD: <test>: ..." (first field, up to ':' or blank). */
static void remember_test(struct verdict_parser *p, const char *rest)
{
	char name[VERDICT_NAME_LEN];
	size_t n = 0;

	while (*rest == ' ')
		rest++;
	while (rest[n] && rest[n] != ':' && !isspace((unsigned char)rest[n]) && n < sizeof(name) - 1) {
		name[n] = rest[n];
		n++;
	}
	if (n == 0)
		return;
	name[n] = '\0';
	for (unsigned i = 0; i < p->nr_names; i++)
		if (strcmp(p->names[i], name) == 0)
			return;
	p->r.tests_seen++;
	if (p->nr_names < VERDICT_NAMES_MAX)
		memcpy(p->names[p->nr_names++], name, n + 1);
}

/* Reads an unsigned decimal at *s; advances *s. */
static bool parse_uint(const char **s, unsigned *out)
{
	const char *q = *s;
	unsigned long v = 0;

	if (!isdigit((unsigned char)*q))
		return false;
	while (isdigit((unsigned char)*q)) {
		v = v * 10 + (unsigned)(*q++ - '0');
		if (v > 1000000000UL)
			return false;
	}
	*out = (unsigned)v;
	*s = q;
	return true;
}

/* Matches a literal word (then an optional plural 's' when plural is set). */
static bool parse_word(const char **s, const char *word, bool plural)
{
	size_t n = strlen(word);
	if (strncmp(*s, word, n) != 0)
		return false;
	*s += n;
	if (plural && **s == 's')
		(*s)++;
	return true;
}

/* "SUMMARY: <N> tests, <F> unexpected failures, <S> skipped" (singulars accepted). */
static bool parse_summary(const char *s, unsigned *tests, unsigned *fail, unsigned *skip)
{
	s += strlen("SUMMARY:");
	while (*s == ' ')
		s++;
	if (!parse_uint(&s, tests) || !parse_word(&s, " test", true) || !parse_word(&s, ", ", false) ||
	    !parse_uint(&s, fail) || !parse_word(&s, " unexpected failure", true) || !parse_word(&s, ", ", false) ||
	    !parse_uint(&s, skip) || !parse_word(&s, " skipped", false))
		return false;
	while (*s == ' ')
		s++;
	return *s == '\0';
}

static void process_line(struct verdict_parser *p)
{
	struct verdict_result *r = &p->r;
	char *s = p->line;
	bool contract = true;

	p->line[p->len] = '\0';
	r->lines++;

	if (starts_with(s, "PASS:")) {
		r->pass++;
		remember_test(p, s + 5);
	} else if (starts_with(s, "FAIL:")) {
		r->fail++;
		remember_test(p, s + 5);
	} else if (starts_with(s, "SKIP:")) {
		r->skip++;
		remember_test(p, s + 5);
	} else if (starts_with(s, "EXITS:")) {
		r->exits++;
		contract = false;
	} else if (starts_with(s, "METRIC:")) {
		r->metrics++;
		contract = false;
	} else if (starts_with(s, "SUMMARY:")) {
		r->summaries++;
		r->summary_ok = parse_summary(s, &r->sum_tests, &r->sum_fail, &r->sum_skip);
		if (!r->summary_ok)
			note(r, "SUMMARY line not understood: '%.100s'", s);
	} else if (starts_with(s, "Test result:")) {
		char *v = s + strlen("Test result:");
		size_t n;
		while (*v == ' ' || *v == '\t')
			v++;
		n = strlen(v);
		while (n > 0 && isspace((unsigned char)v[n - 1]))
			v[--n] = '\0';
		if (r->finals == 0) {
			r->final_value = verdict_from_name(v);
			if (r->final_value == VERDICT_NONE)
				note(r, "unknown final line 'Test result: %.60s'", v);
		}
		r->finals++;
		contract = false;
	} else {
		contract = false;
	}
	if (contract && r->finals > 0)
		r->lines_after_final++;

	p->len = 0;
	p->truncated = false;
}

static void add_char(struct verdict_parser *p, char c)
{
	if (p->len < sizeof(p->line) - 1)
		p->line[p->len++] = c;
	else
		p->truncated = true;
}

/*
 * One byte (not '\n') through the two filters of the top comment: true when
 * it is text to keep, false for \r, NUL and the bytes of escape sequences.
 */
static bool byte_is_text(int *esc, unsigned char c)
{
	if (c == '\r' || c == '\0')
		return false;
	switch (*esc) {
	case ESC_NONE:
		if (c != 0x1b)
			return true;
		*esc = ESC_START;
		break;
	case ESC_START:
		if (c == '[')
			*esc = ESC_CSI;
		else if (c == ']' || c == 'P' || c == '_' || c == '^' || c == 'X')
			*esc = ESC_STRING;
		else if (c >= 0x20 && c <= 0x2f)
			*esc = ESC_NF;
		else if (c == 0x1b)
			*esc = ESC_START;
		else
			*esc = ESC_NONE;        /* two-byte sequence, e.g. ESC c */
		break;
	case ESC_CSI:
		if (c == 0x1b)
			*esc = ESC_START;
		else if (c >= 0x40 && c <= 0x7e)
			*esc = ESC_NONE;
		/* parameters 0x30-0x3f, intermediates 0x20-0x2f, stray controls: skipped */
		break;
	case ESC_STRING:
		if (c == 0x07)
			*esc = ESC_NONE;
		else if (c == 0x1b)
			*esc = ESC_STRING_ESC;
		break;
	case ESC_STRING_ESC:
		*esc = (c == '\\') ? ESC_NONE : ESC_STRING;
		break;
	case ESC_NF:
		if (c < 0x20 || c > 0x2f)
			*esc = ESC_NONE;
		break;
	}
	return false;
}

void verdict_feed(struct verdict_parser *p, const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		/* A newline always ends the line, even inside a broken escape sequence. */
		if (c == '\n') {
			p->esc = ESC_NONE;
			process_line(p);
		} else if (byte_is_text(&p->esc, c)) {
			add_char(p, (char)c);
		}
	}
}

void verdict_finish(struct verdict_parser *p)
{
	struct verdict_result *r = &p->r;

	if (p->len > 0)
		process_line(p);

	/* The verdict. */
	if (r->finals == 0) {
		r->verdict = VERDICT_CRASH;
		set_reason(r, "no 'Test result:' line: the run ended early");
	} else if (r->finals > 1) {
		r->verdict = VERDICT_ERROR;
		set_reason(r, "%u 'Test result:' lines, the contract allows one", r->finals);
	} else if (r->final_value == VERDICT_NONE) {
		r->verdict = VERDICT_ERROR;
		set_reason(r, "the final line names no known result");
	} else if ((r->final_value == VERDICT_SUCCESS || r->final_value == VERDICT_SKIP) && r->fail > 0) {
		r->verdict = VERDICT_FAILURE;
		set_reason(r, "the final line says %s but there %s %u FAIL line%s",
			   verdict_name(r->final_value), r->fail == 1 ? "is" : "are", r->fail, r->fail == 1 ? "" : "s");
	} else if ((r->final_value == VERDICT_SUCCESS || r->final_value == VERDICT_SKIP) &&
		   r->summary_ok && r->sum_fail > 0) {
		r->verdict = VERDICT_FAILURE;
		set_reason(r, "the final line says %s but SUMMARY reports %u unexpected failure%s",
			   verdict_name(r->final_value), r->sum_fail, r->sum_fail == 1 ? "" : "s");
	} else {
		r->verdict = r->final_value;
	}

	/* Inconsistencies: reported, they do not change the verdict by themselves. */
	if (r->finals > 0 && r->summaries == 0)
		note(r, "no SUMMARY line before the final line");
	if (r->summaries > 1)
		note(r, "%u SUMMARY lines, expected one", r->summaries);
	if (r->summary_ok) {
		if (r->sum_fail > 0 && r->fail == 0)
			note(r, "SUMMARY reports %u unexpected failures but there is no FAIL line", r->sum_fail);
		if (r->fail > 0 && r->sum_fail == 0)
			note(r, "%u FAIL line%s but SUMMARY reports 0 unexpected failures", r->fail, r->fail == 1 ? "" : "s");
		if (r->sum_skip > 0 && r->skip == 0)
			note(r, "SUMMARY reports %u skipped but there is no SKIP line", r->sum_skip);
		if (r->sum_fail > r->sum_tests || r->sum_skip > r->sum_tests || r->sum_fail + r->sum_skip > r->sum_tests)
			note(r, "SUMMARY counts do not add up: %u tests, %u failures, %u skipped",
			     r->sum_tests, r->sum_fail, r->sum_skip);
		if (r->tests_seen > r->sum_tests)
			note(r, "%u distinct tests in PASS/FAIL/SKIP lines but SUMMARY says %u tests", r->tests_seen, r->sum_tests);
	}
	if (r->finals == 1 && r->final_value == VERDICT_SUCCESS && r->pass == 0)
		note(r, "SUCCESS without any PASS line");
	if (r->finals == 1 && r->final_value == VERDICT_FAILURE && r->fail == 0 && !(r->summary_ok && r->sum_fail > 0))
		note(r, "FAILURE without a FAIL line or failures in SUMMARY");
	if (r->lines_after_final > 0)
		note(r, "%u result line%s after the final line", r->lines_after_final, r->lines_after_final == 1 ? "" : "s");
}

bool verdict_parse(const char *buf, size_t len, struct verdict_result *out)
{
	struct verdict_parser *p = malloc(sizeof(*p));
	if (!p)
		return false;
	verdict_init(p);
	verdict_feed(p, buf, len);
	verdict_finish(p);
	*out = p->r;
	free(p);
	return true;
}

size_t verdict_strip(char *s)
{
	struct verdict_parser *p = malloc(sizeof(*p));
	size_t in = 0, out = 0;

	if (!p)
		return strlen(s);
	/* Reuse the byte filter one line at a time; lines are re-joined with '\n'. */
	verdict_init(p);
	for (; s[in]; in++) {
		unsigned char c = (unsigned char)s[in];
		if (c == '\n') {
			p->esc = ESC_NONE;
			memcpy(s + out, p->line, p->len);
			out += p->len;
			s[out++] = '\n';
			p->len = 0;
			continue;
		}
		verdict_feed(p, (const char *)&c, 1);
	}
	memcpy(s + out, p->line, p->len);
	out += p->len;
	s[out] = '\0';
	free(p);
	return out;
}

enum verdict verdict_from_any_name(const char *s)
{
	for (int v = VERDICT_SUCCESS; v < VERDICT_NONE; v++)
		if (strcmp(s, names[v]) == 0)
			return (enum verdict)v;
	return VERDICT_NONE;
}

/* --- JUnit XML ------------------------------------------------------------- */

/* A growing byte buffer, always NUL-terminated once anything was put in it. */
struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *q;
		while (cap < b->len + n + 1)
			cap *= 2;
		q = realloc(b->p, cap);
		if (!q) {
			b->oom = true;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void sb_putc(struct sbuf *b, char c)
{
	sb_put(b, &c, 1);
}

static void sb_uint(struct sbuf *b, unsigned long long v)
{
	char d[24];
	size_t i = sizeof(d);

	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	sb_put(b, d + i, sizeof(d) - i);
}

static const char *sb_str(const struct sbuf *b)
{
	return b->p ? b->p : "";
}

/*
 * Length of the UTF-8 sequence at s that is an XML 1.0 Char (§2.2: #x9 | #xA
 * | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]) above
 * ASCII; 0 when it is not one (bad or overlong encoding, a surrogate,
 * U+FFFE/U+FFFF, beyond U+10FFFF, cut short).
 */
static size_t xml_utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned long cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff) || cp >= 0xfffe)) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/*
 * s[0..n) as XML character data (attr: as an attribute value in double
 * quotes, where TAB and LF are written as references so that they survive
 * attribute-value normalisation).  What XML cannot hold becomes U+FFFD.
 */
static void sb_xml(struct sbuf *b, const char *s, size_t n, bool attr)
{
	static const char replacement[] = "\xef\xbf\xbd";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned char c = u[i];
		size_t k;

		switch (c) {
		case '&': sb_puts(b, "&amp;"); i++; continue;
		case '<': sb_puts(b, "&lt;"); i++; continue;
		case '>': sb_puts(b, "&gt;"); i++; continue;
		case '"': sb_puts(b, "&quot;"); i++; continue;
		case '\'': sb_puts(b, "&apos;"); i++; continue;
		case '\r': sb_puts(b, "&#13;"); i++; continue;
		case '\t': sb_puts(b, attr ? "&#9;" : "\t"); i++; continue;
		case '\n': sb_puts(b, attr ? "&#10;" : "\n"); i++; continue;
		default: break;
		}
		if (c < 0x20) {
			sb_puts(b, replacement);
			i++;
		} else if (c < 0x80) {
			sb_putc(b, (char)c);
			i++;
		} else if ((k = xml_utf8_len(u + i, n - i)) != 0) {
			sb_put(b, s + i, k);
			i += k;
		} else {
			sb_puts(b, replacement);
			i++;
		}
	}
}

static void sb_attr(struct sbuf *b, const char *name, const char *value)
{
	sb_putc(b, ' ');
	sb_puts(b, name);
	sb_puts(b, "=\"");
	sb_xml(b, value, strlen(value), true);
	sb_putc(b, '"');
}

/* name="S.mmm": milliseconds as JUnit's seconds. */
static void sb_attr_ms(struct sbuf *b, const char *name, unsigned long long ms)
{
	sb_putc(b, ' ');
	sb_puts(b, name);
	sb_puts(b, "=\"");
	sb_uint(b, ms / 1000);
	sb_putc(b, '.');
	sb_putc(b, (char)('0' + ms / 100 % 10));
	sb_putc(b, (char)('0' + ms / 10 % 10));
	sb_putc(b, (char)('0' + ms % 10));
	sb_putc(b, '"');
}

static void sb_attr_uint(struct sbuf *b, const char *name, unsigned long long v)
{
	sb_putc(b, ' ');
	sb_puts(b, name);
	sb_puts(b, "=\"");
	sb_uint(b, v);
	sb_putc(b, '"');
}

#define JUNIT_TESTS_MAX  4096           /* testcases; results of further names go to the suite */
#define JUNIT_NAME_MAX   128

struct junit_test {
	char name[JUNIT_NAME_MAX];
	bool started;                   /* its "INFO test:" line was seen */
	bool exits_seen;                /* its EXITS: line: the hypervisor finished it */
	bool timed;                     /* its "METRIC: <test>.time_ms <ms>" line was seen */
	unsigned time_ms;
	unsigned pass, fail, skip;
	struct sbuf out;                /* its part of the log */
	struct sbuf fails, skips;       /* its FAIL / SKIP lines */
	struct sbuf fail_msg, skip_msg; /* the first ones, after "FAIL: <test>: " */
};

struct junit {
	struct junit_test *t;
	size_t n, cap;
	struct junit_test *cur;         /* whose part of the log this is; NULL: the suite's */
	struct junit_test *last;        /* the test started last */
	bool plan_over;                 /* an end-of-plan line was seen: no test starts after it */
	bool plan_done;                 /* "AVIC coverage:" or "SUMMARY:": the plan ran to its end */
	bool serial_over;               /* run.sh's "--- QEMU stderr ---" block follows */
	/* last_line: of the serial console, not run.sh's ("run.sh: " lines, the stderr block) */
	struct sbuf suite_out, line, last_line, last_error, summary;
	bool oom;
};

static struct junit_test *junit_find(struct junit *j, const char *name, size_t len, bool add)
{
	struct junit_test *t;

	if (len == 0 || len >= JUNIT_NAME_MAX)
		return NULL;
	if (j->cur && strlen(j->cur->name) == len && memcmp(j->cur->name, name, len) == 0)
		return j->cur;
	for (size_t i = 0; i < j->n; i++)
		if (strlen(j->t[i].name) == len && memcmp(j->t[i].name, name, len) == 0)
			return &j->t[i];
	if (!add || j->n >= JUNIT_TESTS_MAX)
		return NULL;
	if (j->n == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 32;
		struct junit_test *q = realloc(j->t, cap * sizeof(*q));
		if (!q) {
			j->oom = true;
			return NULL;
		}
		/* cur and last point into the old array */
		if (j->cur)
			j->cur = q + (j->cur - j->t);
		if (j->last)
			j->last = q + (j->last - j->t);
		j->t = q;
		j->cap = cap;
	}
	t = &j->t[j->n++];
	memset(t, 0, sizeof(*t));
	memcpy(t->name, name, len);
	t->name[len] = '\0';
	return t;
}

/* "<test>: <msg>" after a keyword: the name's length (up to ':' or a blank); *msg the message. */
static size_t result_name(const char **s, const char **msg)
{
	size_t n = 0;

	while (**s == ' ')
		(*s)++;
	while ((*s)[n] && (*s)[n] != ':' && !isspace((unsigned char)(*s)[n]))
		n++;
	*msg = *s + n;
	if (**msg == ':')
		(*msg)++;
	while (**msg == ' ')
		(*msg)++;
	return n;
}

/* "[cpuN] INFO test: <test>: ...": the start of a test (hv/main.c, run_test). */
static size_t info_test_name(const char *s, const char **name)
{
	size_t n = 0;

	if (!starts_with(s, "[cpu") || !isdigit((unsigned char)s[4]))
		return 0;
	s += 4;
	while (isdigit((unsigned char)*s))
		s++;
	if (!starts_with(s, "] INFO test: "))
		return 0;
	s += strlen("] INFO test: ");
	while (isalnum((unsigned char)s[n]) || s[n] == '_')
		n++;
	if (s[n] != ':')
		return 0;
	*name = s;
	return n;
}

/* "[cpuN] ERROR ..." or "[cpuN] PANIC ...": the hypervisor's own error lines. */
static bool is_error_line(const char *s)
{
	if (!starts_with(s, "[cpu") || !isdigit((unsigned char)s[4]))
		return false;
	s += 4;
	while (isdigit((unsigned char)*s))
		s++;
	return starts_with(s, "] ERROR ") || starts_with(s, "] PANIC ");
}

static void put_line(struct sbuf *b, const char *s, size_t n)
{
	sb_put(b, s, n);
	sb_putc(b, '\n');
}

static void junit_line(struct junit *j)
{
	const char *s = sb_str(&j->line), *name, *msg;
	size_t len = j->line.len, n;
	struct junit_test *t = NULL;
	struct sbuf *out;

	if ((n = info_test_name(s, &name)) != 0 && !j->plan_over) {
		t = junit_find(j, name, n, true);
		if (t) {
			t->started = true;
			j->cur = j->last = t;
		}
	} else if (starts_with(s, "AVIC coverage:") || starts_with(s, "SUMMARY:") || starts_with(s, "Test result:")) {
		j->plan_over = true;
		j->plan_done |= s[0] != 'T';
		j->cur = NULL;
		if (starts_with(s, "SUMMARY:")) {
			j->summary.len = 0;
			sb_put(&j->summary, s, len);
		}
	} else if (starts_with(s, "PASS:") || starts_with(s, "FAIL:") || starts_with(s, "SKIP:")) {
		const char *rest = s + 5;

		n = result_name(&rest, &msg);
		t = junit_find(j, rest, n, true);
		if (t && s[0] == 'P') {
			t->pass++;
		} else if (t && s[0] == 'F') {
			if (t->fail++ == 0)
				sb_puts(&t->fail_msg, msg);
			put_line(&t->fails, s, len);
		} else if (t) {
			if (t->skip++ == 0)
				sb_puts(&t->skip_msg, msg);
			put_line(&t->skips, s, len);
		}
		/* A SKIP of a test that never started: the hypervisor went on from the last one. */
		if (t && t != j->cur && !t->started)
			j->cur = NULL;
	} else if (starts_with(s, "METRIC: ")) {
		/* "METRIC: <test>.time_ms <ms>": the test's wall time (hv/main.c, run_test). */
		const char *q = s + strlen("METRIC: ");
		unsigned ms;

		n = 0;
		while (q[n] && q[n] != '.' && q[n] != ' ')
			n++;
		msg = q + n + strlen(".time_ms ");
		if (starts_with(q + n, ".time_ms ") && parse_uint(&msg, &ms) && *msg == '\0' &&
		    (t = junit_find(j, q, n, false)) != NULL) {
			t->timed = true;
			t->time_ms = ms;
		}
		t = NULL;
	} else if (starts_with(s, "EXITS:")) {
		const char *rest = s + 6;

		n = result_name(&rest, &msg);
		t = junit_find(j, rest, n, false);
		if (t)
			t->exits_seen = true;
	}
	if (strcmp(s, "--- QEMU stderr ---") == 0)
		j->serial_over = true;
	if (is_error_line(s) && !j->serial_over) {
		j->last_error.len = 0;
		sb_put(&j->last_error, s, len);
	}
	if (len && !j->serial_over && !starts_with(s, "run.sh: ")) {
		j->last_line.len = 0;
		sb_put(&j->last_line, s, len);
	}

	/* A result line of a test goes to that test; everything else to the current part. */
	if (t && (starts_with(s, "PASS:") || starts_with(s, "FAIL:") || starts_with(s, "SKIP:")))
		out = &t->out;
	else
		out = j->cur ? &j->cur->out : &j->suite_out;
	put_line(out, s, len);
}

static bool junit_oom(const struct junit *j)
{
	bool oom = j->oom || j->suite_out.oom || j->line.oom || j->last_line.oom || j->last_error.oom ||
		   j->summary.oom;
	for (size_t i = 0; i < j->n && !oom; i++)
		oom = j->t[i].out.oom || j->t[i].fails.oom || j->t[i].skips.oom || j->t[i].fail_msg.oom ||
		      j->t[i].skip_msg.oom;
	return oom;
}

static void junit_free(struct junit *j)
{
	for (size_t i = 0; i < j->n; i++) {
		free(j->t[i].out.p);
		free(j->t[i].fails.p);
		free(j->t[i].skips.p);
		free(j->t[i].fail_msg.p);
		free(j->t[i].skip_msg.p);
	}
	free(j->t);
	free(j->suite_out.p);
	free(j->line.p);
	free(j->last_line.p);
	free(j->last_error.p);
	free(j->summary.p);
}

static void put_property(struct sbuf *x, const char *name, size_t name_len, const char *value)
{
	sb_puts(x, "    <property name=\"");
	sb_xml(x, name, name_len, true);
	sb_puts(x, "\" value=\"");
	sb_xml(x, value, strlen(value), true);
	sb_puts(x, "\"/>\n");
}

/* <tag message="msg" type="type">text</tag>; type NULL: none. */
static void put_outcome(struct sbuf *x, const char *tag, const char *msg, const char *type, const struct sbuf *text)
{
	sb_puts(x, "    <");
	sb_puts(x, tag);
	sb_puts(x, " message=\"");
	sb_xml(x, msg, strlen(msg), true);
	sb_putc(x, '"');
	if (type) {
		sb_puts(x, " type=\"");
		sb_xml(x, type, strlen(type), true);
		sb_putc(x, '"');
	}
	if (!text->len) {
		sb_puts(x, "/>\n");
		return;
	}
	sb_putc(x, '>');
	sb_xml(x, text->p, text->len, false);
	sb_puts(x, "</");
	sb_puts(x, tag);
	sb_puts(x, ">\n");
}

static void put_system_out(struct sbuf *x, const char *indent, const struct sbuf *out)
{
	if (!out->len)
		return;
	sb_puts(x, indent);
	sb_puts(x, "<system-out>");
	sb_xml(x, out->p, out->len, false);
	sb_puts(x, "</system-out>\n");
}

char *verdict_junit(const char *log, size_t len, const struct verdict_junit_opts *o, size_t *out_len)
{
	static const struct verdict_junit_opts defaults = { .run_verdict = VERDICT_NONE };
	const char *suite, *classname, *why;
	struct junit j;
	struct verdict_result r;
	struct junit_test *running = NULL, run = { .name = "run" };
	enum verdict v;
	bool broken, any_fail = false, add_run = false;
	unsigned failures = 0, errors = 0, skipped = 0;
	struct sbuf msg = { 0 }, text = { 0 }, x = { 0 };
	int esc = ESC_NONE;

	if (!o)
		o = &defaults;
	suite = o->suite ? o->suite : "avic-hv";
	classname = o->classname ? o->classname : "avic-hv";
	if (!verdict_parse(log, len, &r))
		return NULL;
	memset(&j, 0, sizeof(j));

	for (size_t i = 0; i <= len; i++) {
		if (i == len || log[i] == '\n') {
			/* Like the parser: a cut last line counts, an empty one does not. */
			if (i < len || j.line.len > 0) {
				sb_put(&j.line, "", 0);
				junit_line(&j);
			}
			j.line.len = 0;
			esc = ESC_NONE;
		} else if (byte_is_text(&esc, (unsigned char)log[i])) {
			sb_putc(&j.line, log[i]);
		}
	}

	v = o->run_verdict != VERDICT_NONE ? o->run_verdict : r.verdict;
	why = o->reason && o->reason[0] ? o->reason : r.reason;
	broken = v == VERDICT_CRASH || v == VERDICT_TIMEOUT || v == VERDICT_ERROR;
	if (j.last && !j.plan_done && !j.last->exits_seen)
		running = j.last;
	for (size_t i = 0; i < j.n; i++)
		any_fail |= j.t[i].fail > 0;

	/* How the run ended, when a testcase must show it. */
	sb_puts(&msg, verdict_name(v));
	if (why[0]) {
		sb_puts(&msg, ": ");
		sb_puts(&msg, why);
	}
	if (broken) {
		if (j.last_error.len) {
			sb_puts(&msg, "; last error: ");
			sb_puts(&msg, j.last_error.p);
		}
		sb_puts(&text, running ? "The run ended while this test was running.\n"
				       : "The run ended outside a test.\n");
		if (j.last_line.len) {
			sb_puts(&text, "Last line on the serial console: ");
			sb_puts(&text, j.last_line.p);
			sb_putc(&text, '\n');
		}
		if (running && running->fails.len)
			sb_put(&text, running->fails.p, running->fails.len);
		add_run = !running;
	} else if (v == VERDICT_FAILURE && !any_fail) {
		sb_puts(&text, "The run's verdict is FAILURE, but no test has a FAIL line.\n");
		add_run = true;
	}

	sb_puts(&x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	for (size_t i = 0; i < j.n; i++) {
		struct junit_test *t = &j.t[i];
		if (t == running)
			errors++;
		else if (t->fail)
			failures++;
		else if (t->skip && !t->pass)
			skipped++;
	}
	if (add_run)
		broken ? errors++ : failures++;
	sb_puts(&x, "<testsuite");
	sb_attr(&x, "name", suite);
	sb_attr_uint(&x, "tests", j.n + add_run);
	sb_attr_uint(&x, "failures", failures);
	sb_attr_uint(&x, "errors", errors);
	sb_attr_uint(&x, "skipped", skipped);
	sb_attr_ms(&x, "time", o->time_ms);
	if (o->timestamp)
		sb_attr(&x, "timestamp", o->timestamp);
	sb_puts(&x, ">\n  <properties>\n");
	for (unsigned i = 0; i < o->nr_props; i++) {
		const char *eq = strchr(o->props[i], '=');
		if (eq)
			put_property(&x, o->props[i], (size_t)(eq - o->props[i]), eq + 1);
		else
			put_property(&x, o->props[i], strlen(o->props[i]), "");
	}
	put_property(&x, "verdict", strlen("verdict"), verdict_name(v));
	if (why[0])
		put_property(&x, "verdict.reason", strlen("verdict.reason"), why);
	if (j.summary.len)
		put_property(&x, "summary", strlen("summary"), j.summary.p);
	sb_puts(&x, "  </properties>\n");

	for (size_t i = 0; i <= j.n; i++) {
		struct junit_test *t = i < j.n ? &j.t[i] : &run;

		if (i == j.n && !add_run)
			break;
		sb_puts(&x, "  <testcase");
		sb_attr(&x, "name", t->name);
		sb_attr(&x, "classname", classname);
		if (t->timed)
			sb_attr_ms(&x, "time", t->time_ms);
		if (t != &run)
			sb_attr_uint(&x, "assertions", t->pass + t->fail);
		sb_puts(&x, ">\n");
		if (t == running || (t == &run && broken))
			put_outcome(&x, "error", sb_str(&msg), verdict_name(v), &text);
		else if (t == &run)
			put_outcome(&x, "failure", sb_str(&msg), verdict_name(v), &text);
		else if (t->fail)
			put_outcome(&x, "failure", sb_str(&t->fail_msg), "FAIL", &t->fails);
		else if (t->skip && !t->pass)
			put_outcome(&x, "skipped", sb_str(&t->skip_msg), NULL, &t->skips);
		put_system_out(&x, "    ", &t->out);
		sb_puts(&x, "  </testcase>\n");
	}
	put_system_out(&x, "  ", &j.suite_out);
	sb_puts(&x, "</testsuite>\n");

	if (junit_oom(&j) || msg.oom || text.oom || x.oom) {
		free(x.p);
		x.p = NULL;
	} else if (out_len) {
		*out_len = x.len;
	}
	junit_free(&j);
	free(msg.p);
	free(text.p);
	return x.p;
}
