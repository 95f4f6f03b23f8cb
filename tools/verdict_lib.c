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

void verdict_feed(struct verdict_parser *p, const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		/* A newline always ends the line, even inside a broken escape sequence. */
		if (c == '\n') {
			p->esc = ESC_NONE;
			process_line(p);
			continue;
		}
		if (c == '\r' || c == '\0')
			continue;
		switch (p->esc) {
		case ESC_NONE:
			if (c == 0x1b)
				p->esc = ESC_START;
			else
				add_char(p, (char)c);
			break;
		case ESC_START:
			if (c == '[')
				p->esc = ESC_CSI;
			else if (c == ']' || c == 'P' || c == '_' || c == '^' || c == 'X')
				p->esc = ESC_STRING;
			else if (c >= 0x20 && c <= 0x2f)
				p->esc = ESC_NF;
			else if (c == 0x1b)
				p->esc = ESC_START;
			else
				p->esc = ESC_NONE;      /* two-byte sequence, e.g. ESC c */
			break;
		case ESC_CSI:
			if (c == 0x1b)
				p->esc = ESC_START;
			else if (c >= 0x40 && c <= 0x7e)
				p->esc = ESC_NONE;
			/* parameters 0x30-0x3f, intermediates 0x20-0x2f, stray controls: skipped */
			break;
		case ESC_STRING:
			if (c == 0x07)
				p->esc = ESC_NONE;
			else if (c == 0x1b)
				p->esc = ESC_STRING_ESC;
			break;
		case ESC_STRING_ESC:
			p->esc = (c == '\\') ? ESC_NONE : ESC_STRING;
			break;
		case ESC_NF:
			if (c < 0x20 || c > 0x2f)
				p->esc = ESC_NONE;
			break;
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
