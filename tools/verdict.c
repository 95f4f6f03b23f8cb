/*
 * tools/verdict.c - build/host/verdict [options] LOGFILE: judge a run's serial log.
 *
 * Prints one line on stdout:
 *     <VERDICT> (<N> pass, <F> fail, <S> skip)[: <why it differs from the final line>]
 * and each inconsistency found as "verdict: note: ..." on stderr.  Exits with
 * run.sh's code: 0 SUCCESS, 1 FAILURE, 3 CRASH, 5 ERROR, 77 SKIP; 2 when the
 * log cannot be read, the JUnit file cannot be written or an option is bad.
 * LOGFILE "-" reads stdin.  With --junit FILE it also writes the log as
 * JUnit XML (verdict.h, verdict_junit); the other options fill that file in.
 */
#include "tools/verdict.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROPS_MAX 64

static void usage(FILE *f)
{
	fprintf(f,
		"usage: verdict [options] LOGFILE\n"
		"  judges a hypervisor run's serial log ('-': stdin); exit 0 SUCCESS, 1 FAILURE,\n"
		"  3 CRASH, 5 ERROR, 77 SKIP, 2 bad usage or I/O error\n"
		"  --junit FILE          also write the run as JUnit XML to FILE\n"
		"  --suite NAME          its testsuite name (default avic-hv)\n"
		"  --classname NAME      the classname of its testcases (default avic-hv)\n"
		"  --run-verdict WORD    how the run ended, when the caller knows better than the log\n"
		"                        (SUCCESS, FAILURE, SKIP, ERROR, CRASH, TIMEOUT)\n"
		"  --reason TEXT         why it ended so (default: the parser's reason)\n"
		"  --time-ms MS          the run's wall time (testsuite time)\n"
		"  --timestamp ISO8601   when it started (testsuite timestamp)\n"
		"  --property NAME=VALUE a <property> of the testsuite, repeatable (at most %d)\n",
		PROPS_MAX);
}

static int bad_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "verdict: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nverdict: try 'verdict --help'\n");
	return VERDICT_EXIT_USAGE;
}

/* Reads the whole file (the JUnit writer needs it all at once). */
static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 65536, n = 0, got;
	char *buf = malloc(cap), *q;

	if (!buf)
		return NULL;
	while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			q = realloc(buf, cap * 2);
			if (!q) {
				free(buf);
				return NULL;
			}
			buf = q;
			cap *= 2;
		}
	}
	*len = n;
	return buf;
}

static int write_junit(const char *path, const char *log, size_t len, const struct verdict_junit_opts *o)
{
	size_t xlen = 0;
	char *xml = verdict_junit(log, len, o, &xlen);
	FILE *f;

	if (!xml) {
		fprintf(stderr, "verdict: out of memory writing the JUnit file\n");
		return -1;
	}
	f = fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "verdict: --junit %s: %s\n", path, strerror(errno));
		free(xml);
		return -1;
	}
	if (fwrite(xml, 1, xlen, f) != xlen || fclose(f) != 0) {
		fprintf(stderr, "verdict: --junit %s: write error\n", path);
		free(xml);
		return -1;
	}
	free(xml);
	return 0;
}

int main(int argc, char **argv)
{
	struct verdict_junit_opts jo = { .run_verdict = VERDICT_NONE };
	const char *props[PROPS_MAX], *junit = NULL, *logname = NULL;
	unsigned nr_props = 0;
	bool junit_opt = false;
	struct verdict_parser *p;
	size_t len = 0;
	char *log, *end;
	FILE *f;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(a, "-") == 0 || strncmp(a, "--", 2) != 0) {
			if (logname)
				return bad_usage("one LOGFILE only, not also '%s'", a);
			logname = a;
			continue;
		}
		if (!val)
			return bad_usage("option %s needs a value", a);
		i++;
		if (strcmp(a, "--junit") == 0) {
			if (!val[0])
				return bad_usage("option %s needs a file name", a);
			junit = val;
		} else if (strcmp(a, "--suite") == 0) {
			jo.suite = val;
		} else if (strcmp(a, "--classname") == 0) {
			jo.classname = val;
		} else if (strcmp(a, "--run-verdict") == 0) {
			jo.run_verdict = verdict_from_any_name(val);
			if (jo.run_verdict == VERDICT_NONE)
				return bad_usage("--run-verdict wants SUCCESS, FAILURE, SKIP, ERROR, CRASH or TIMEOUT, not '%s'", val);
		} else if (strcmp(a, "--reason") == 0) {
			jo.reason = val;
		} else if (strcmp(a, "--time-ms") == 0) {
			errno = 0;
			jo.time_ms = strtoull(val, &end, 10);
			if (!val[0] || *end || errno || val[0] == '-')
				return bad_usage("--time-ms wants milliseconds, not '%s'", val);
		} else if (strcmp(a, "--timestamp") == 0) {
			jo.timestamp = val;
		} else if (strcmp(a, "--property") == 0) {
			if (!strchr(val, '=') || val[0] == '=')
				return bad_usage("--property wants NAME=VALUE, not '%s'", val);
			if (nr_props == PROPS_MAX)
				return bad_usage("--property: at most 64, '%s' is one too many", val);
			props[nr_props++] = val;
		} else {
			return bad_usage("unknown option '%s'", a);
		}
		junit_opt |= strcmp(a, "--junit") != 0;
	}
	if (!logname) {
		usage(stderr);
		return VERDICT_EXIT_USAGE;
	}
	if (junit_opt && !junit)
		return bad_usage("%s: the JUnit options need --junit FILE", "options");
	jo.props = props;
	jo.nr_props = nr_props;

	f = strcmp(logname, "-") == 0 ? stdin : fopen(logname, "rb");
	if (!f) {
		fprintf(stderr, "verdict: %s: %s\n", logname, strerror(errno));
		return VERDICT_EXIT_USAGE;
	}
	log = read_all(f, &len);
	if (!log || ferror(f)) {
		fprintf(stderr, "verdict: %s: %s\n", logname, log ? "read error" : "out of memory");
		return VERDICT_EXIT_USAGE;
	}
	if (f != stdin)
		fclose(f);

	p = malloc(sizeof(*p));
	if (!p) {
		fprintf(stderr, "verdict: out of memory\n");
		return VERDICT_EXIT_USAGE;
	}
	verdict_init(p);
	verdict_feed(p, log, len);
	verdict_finish(p);
	if (junit && write_junit(junit, log, len, &jo) != 0)
		return VERDICT_EXIT_USAGE;

	for (unsigned n = 0; n < p->r.nr_notes; n++)
		fprintf(stderr, "verdict: note: %s\n", p->r.notes[n]);
	printf("%s (%u pass, %u fail, %u skip)%s%s\n", verdict_name(p->r.verdict), p->r.pass, p->r.fail, p->r.skip,
	       p->r.reason[0] ? ": " : "", p->r.reason);
	i = verdict_exit_code(p->r.verdict);
	free(p);
	free(log);
	return i;
}
