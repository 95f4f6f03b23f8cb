/*
 * tools/verdict.c - build/host/verdict LOGFILE: judge a run's serial log.
 *
 * Prints one line on stdout:
 *     <VERDICT> (<N> pass, <F> fail, <S> skip)[: <why it differs from the final line>]
 * and each inconsistency found as "verdict: note: ..." on stderr.  Exits with
 * run.sh's code: 0 SUCCESS, 1 FAILURE, 3 CRASH, 5 ERROR, 77 SKIP; 2 when the
 * log cannot be read.  LOGFILE "-" reads stdin.
 */
#include "tools/verdict.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct verdict_parser p;
	char buf[65536];
	size_t n;
	FILE *f;

	if (argc != 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fprintf(argc == 2 ? stdout : stderr,
			"usage: verdict LOGFILE\n"
			"  judges a hypervisor run's serial log; exit 0 SUCCESS, 1 FAILURE, 3 CRASH, 5 ERROR, 77 SKIP, 2 bad usage\n");
		return argc == 2 ? 0 : VERDICT_EXIT_USAGE;
	}
	f = strcmp(argv[1], "-") == 0 ? stdin : fopen(argv[1], "rb");
	if (!f) {
		fprintf(stderr, "verdict: %s: %s\n", argv[1], strerror(errno));
		return VERDICT_EXIT_USAGE;
	}
	verdict_init(&p);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		verdict_feed(&p, buf, n);
	if (ferror(f)) {
		fprintf(stderr, "verdict: %s: read error\n", argv[1]);
		return VERDICT_EXIT_USAGE;
	}
	if (f != stdin)
		fclose(f);
	verdict_finish(&p);

	for (unsigned i = 0; i < p.r.nr_notes; i++)
		fprintf(stderr, "verdict: note: %s\n", p.r.notes[i]);
	printf("%s (%u pass, %u fail, %u skip)%s%s\n", verdict_name(p.r.verdict), p.r.pass, p.r.fail, p.r.skip,
	       p.r.reason[0] ? ": " : "", p.r.reason);
	return verdict_exit_code(p.r.verdict);
}
