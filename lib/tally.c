/*
 * lib/tally.c - see lib/tally.h.
 */
#include "lib/tally.h"
#include "lib/string.h"

void tally_init(struct tally *t)
{
	memset(t, 0, sizeof(*t));
}

static bool has_prefix(const char *s, size_t n, const char *p)
{
	size_t k = strlen(p);

	return n >= k && !memcmp(s, p, k);
}

static void note_failed(struct tally *t, const char *s, size_t n)
{
	size_t k = 0;

	while (n && *s == ' ')
		s++, n--;
	while (k < n && s[k] != ':' && s[k] != ' ' && k < TALLY_NAME_LEN - 1)
		k++;
	if (!k)
		return;
	for (u32 i = 0; i < t->nr_failed; i++)
		if (strlen(t->failed[i]) == k && !memcmp(t->failed[i], s, k))
			return;
	if (t->nr_failed == TALLY_FAILED_MAX) {
		t->failed_more = true;
		return;
	}
	memcpy(t->failed[t->nr_failed], s, k);
	t->failed[t->nr_failed++][k] = 0;
}

/* Copies s (n bytes) into dst (size bytes) without leading and trailing blanks. */
static void copy_trimmed(char *dst, size_t size, const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	n = MIN(n, size - 1);
	memcpy(dst, s, n);
	dst[n] = 0;
}

void tally_line(struct tally *t, const char *s, size_t n)
{
	if (has_prefix(s, n, "PASS:")) {
		t->pass++;
	} else if (has_prefix(s, n, "FAIL:")) {
		t->fail++;
		note_failed(t, s + 5, n - 5);
	} else if (has_prefix(s, n, "SKIP:")) {
		t->skip++;
	} else if (has_prefix(s, n, "SUMMARY:")) {
		copy_trimmed(t->summary, sizeof(t->summary), s + 8, n - 8);
	} else if (has_prefix(s, n, "Test result:") && !t->verdict[0]) {
		copy_trimmed(t->verdict, sizeof(t->verdict), s + 12, n - 12);
	}
}

void tally_feed(struct tally *t, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n') {
			tally_line(t, t->line, t->len);
			t->len = 0;
		} else if (s[i] != '\r' && t->len < sizeof(t->line)) {
			t->line[t->len++] = s[i];
		}
	}
}
