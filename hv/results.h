/*
 * hv/results.h - the compact results of a run, kept for end=save: the
 * capability report, FAIL and SKIP lines, the AVIC coverage and probe
 * tables, METRIC lines, ERROR and PANIC lines, SUMMARY and the verdict.
 * hv/console.c hands every line over; boot/save.c stores the text in UEFI
 * variables at the end and writes it to \EFI\BOOT\RESULTS.TXT on the next
 * boot.  Pure logic on a buffer it is given (unit-tested on the host).
 */
#ifndef HV_RESULTS_H
#define HV_RESULTS_H

#include "lib/types.h"

/* Room kept at the end of the buffer for SUMMARY, the verdict and the note of what was cut. */
#define RESULTS_TAIL_RESERVE 1024
#define RESULTS_LINE_MAX 600

struct results {
	char *buf;
	size_t cap;             /* at most this many bytes are kept */
	size_t len;
	bool in_report;         /* between "== capability report ==" and its end line */
	bool note_done;         /* the "left out" note is in the text */
	bool done;              /* results_finish() ran: nothing more is taken */
	u32 lines, cut_lines;   /* kept and left-out lines */
	u64 cut_bytes;
	char line[RESULTS_LINE_MAX];
	size_t line_len;
};

extern struct results hv_results;

/* Starts keeping lines in buf (cap bytes, at least 2 * RESULTS_TAIL_RESERVE). */
void results_start(struct results *r, char *buf, size_t cap);
/* Text as printed: whole or partial lines; '\n' ends a line.  No-op until started. */
void results_feed(struct results *r, const char *s, size_t n);
/* hv/console.c's hook: results_feed(&hv_results, ...). */
void results_capture(const char *s, size_t n);
/* Whether a line (without '\n') belongs to the compact results; updates *in_report. */
bool results_line_wanted(const char *line, size_t n, bool *in_report);
/* Ends the text: adds the note of what was cut if there is one; later feeds are ignored. */
void results_finish(struct results *r);

/*
 * How to keep the text in UEFI variables (UEFI 2.10 §8.2 "Variable
 * Services"): from QueryVariableInfo's maximum variable size and the
 * remaining store, the bytes of text per variable (at most
 * RESULTS_CHUNK_MAX, leaving RESULTS_VAR_OVERHEAD for the name and the
 * store's own header) and how much text fits in all (at most
 * RESULTS_TEXT_MAX; RESULTS_STORE_KEEP of the store stays free for the
 * firmware's own variables).  Returns 0, or -1 when less than
 * 2 * RESULTS_TAIL_RESERVE would fit.
 */
#define RESULTS_CHUNK_MAX    4096
#define RESULTS_VAR_OVERHEAD 256
#define RESULTS_STORE_KEEP   (16 * 1024)
#define RESULTS_TEXT_MAX     (96 * 1024)
#define RESULTS_CHUNKS_MAX   9999       /* the variable names have 4 digits */
int results_plan(u64 max_var_size, u64 remaining, u32 *chunk, u32 *cap);

#endif
