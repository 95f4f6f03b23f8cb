/*
 * hv/results.c - the compact results for end=save (see hv/results.h).
 *
 * What is cut when the text outgrows the room the firmware gives (boot/save.c
 * sets cap from QueryVariableInfo through results_plan()): lines are kept in the order printed until
 * cap - RESULTS_TAIL_RESERVE bytes are used; after that only SUMMARY, the
 * verdict and ERROR/PANIC lines go in, and a note before SUMMARY says how
 * many lines and bytes were left out.  So the file always ends with the
 * verdict, and what is missing is the end of the FAIL/SKIP/METRIC lines.
 */
#include "hv/results.h"
#include "lib/printf.h"
#include "lib/string.h"

struct results hv_results;

static bool starts(const char *line, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && !memcmp(line, prefix, k);
}

/* "[cpuN] ERROR " or "[cpuN] PANIC " */
static bool error_line(const char *line, size_t n)
{
	size_t i = 4;

	if (!starts(line, n, "[cpu"))
		return false;
	while (i < n && line[i] >= '0' && line[i] <= '9')
		i++;
	return starts(line + i, n - i, "] ERROR ") || starts(line + i, n - i, "] PANIC ");
}

static bool tail_line(const char *line, size_t n)
{
	return starts(line, n, "SUMMARY: ") || starts(line, n, "Test result: ") || error_line(line, n);
}

bool results_line_wanted(const char *line, size_t n, bool *in_report)
{
	static const char *const prefixes[] = {
		"FAIL: ", "SKIP: ", "METRIC: ", "AVIC coverage: ", "AVIC probe: ",
	};

	if (starts(line, n, "== capability report ==")) {
		*in_report = true;
		return true;
	}
	if (*in_report) {
		if (starts(line, n, "== end of capability report =="))
			*in_report = false;
		return true;
	}
	for (unsigned i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (starts(line, n, prefixes[i]))
			return true;
	return tail_line(line, n);
}

void results_start(struct results *r, char *buf, size_t cap)
{
	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->cap = cap;
}

static void put(struct results *r, const char *s, size_t n)
{
	memcpy(r->buf + r->len, s, n);
	r->len += n;
	r->buf[r->len++] = '\n';
}

static void add_note(struct results *r)
{
	char note[160];
	int n;

	if (r->note_done || !r->cut_lines)
		return;
	r->note_done = true;
	n = snprintf(note, sizeof(note), "results: %u lines (%llu bytes) left out here: the firmware's "
		     "variable store holds %llu bytes for them", r->cut_lines,
		     (unsigned long long)r->cut_bytes, (unsigned long long)r->cap);
	if (n > 0 && r->len + (size_t)n + 1 <= r->cap)
		put(r, note, (size_t)n);
}

static void line_done(struct results *r, const char *s, size_t n)
{
	bool tail;

	while (n && s[n - 1] == '\r')
		n--;
	if (!results_line_wanted(s, n, &r->in_report))
		return;
	tail = tail_line(s, n);
	if (tail && starts(s, n, "SUMMARY: "))
		add_note(r);
	if (r->len + n + 1 <= r->cap - (tail ? 0 : RESULTS_TAIL_RESERVE)) {
		put(r, s, n);
		r->lines++;
	} else {
		r->cut_lines++;
		r->cut_bytes += n + 1;
	}
}

void results_feed(struct results *r, const char *s, size_t n)
{
	if (!r->buf || r->done)
		return;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n') {
			line_done(r, r->line, r->line_len);
			r->line_len = 0;
		} else if (r->line_len < sizeof(r->line)) {
			r->line[r->line_len++] = s[i];
		}
	}
}

void results_capture(const char *s, size_t n)
{
	results_feed(&hv_results, s, n);
}

void results_finish(struct results *r)
{
	if (!r->buf || r->done)
		return;
	if (r->line_len) {
		line_done(r, r->line, r->line_len);
		r->line_len = 0;
	}
	add_note(r);
	r->done = true;
}

int results_plan(u64 max_var_size, u64 remaining, u32 *chunk, u32 *cap)
{
	u64 c, room, n;

	if (max_var_size <= RESULTS_VAR_OVERHEAD || remaining <= RESULTS_STORE_KEEP)
		return -1;
	c = MIN(max_var_size - RESULTS_VAR_OVERHEAD, (u64)RESULTS_CHUNK_MAX);
	room = remaining - RESULTS_STORE_KEEP;
	/* Every chunk costs its text and its overhead in the store. */
	n = MIN(room / (c + RESULTS_VAR_OVERHEAD), (u64)RESULTS_CHUNKS_MAX);
	room = MIN(n * c, (u64)RESULTS_TEXT_MAX);
	if (room < 2 * RESULTS_TAIL_RESERVE)
		return -1;
	*chunk = (u32)c;
	*cap = (u32)room;
	return 0;
}
