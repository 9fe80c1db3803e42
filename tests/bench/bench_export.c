/* Benchmark: 'mcurelease audit export' of a 100k-event log in every format, and verify-export of
 * the bundle, each timed as a whole process. */
#include "audit.h"
#include "buf.h"
#include "error.h"
#include "fileio.h"
#include "proc.h"
#include "relfix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * usage: bench_export [MCURELEASE [DIR [EVENTS]]]
 * DIR (default /tmp/mcurelease-bench-export) keeps the log between runs.
 * The log mimics the release job: in every 10 events, 3 releases (request and
 * completion), 2 refusals and a failed request (request and failure), with a
 * checkpoint every 10,000 events. Prints figures; asserts nothing about time.
 */

#define RUNS 3

static const char config[] =
        "{\"product\":\"acme\",\"signers\":{\"release\":{\"type\":\"pkcs11\",\"uri\":"
        "\"pkcs11:token=release-token;object=acme-release\",\"public_key\":\"release.pub.pem\"},"
        "\"log\":{\"type\":\"file\",\"key\":\"log.pem\"}},"
        "\"audit\":{\"database\":\"audit.db\",\"log_signer\":\"log\"}}\n";

static void die(const char *what)
{
	fprintf(stderr, "bench_export: %s: %s\n", what, mcr_error_message());
	exit(1);
}

/* Runs argv in dir; returns the wall time in seconds, or dies. */
static double run(const char *dir, const char *const *argv)
{
	struct mcr_proc_result result;
	struct mcr_proc_spec spec;
	double ms;

	mcr_proc_spec_init(&spec);
	spec.argv = argv;
	spec.cwd = dir;
	if (mcr_proc_run(&spec, &result) < 0)
		die(argv[0]);
	if (!mcr_proc_succeeded(&result)) {
		fprintf(stderr, "bench_export: %s failed: %s\n", argv[0], (char *)result.err.data);
		exit(1);
	}
	ms = result.elapsed_ms;
	mcr_proc_result_release(&result);
	return ms / 1e3;
}

static void keys(const char *dir)
{
	const char *const log_key[] = {"openssl", "genpkey", "-algorithm", "ed25519",
	                               "-out",    "log.pem", NULL};
	const char *const release[] = {"openssl", "genpkey",     "-algorithm",
	                               "EC",      "-pkeyopt",    "ec_paramgen_curve:P-256",
	                               "-out",    "release.pem", NULL};
	const char *const release_pub[] = {"openssl",         "pkey",    "-in",
	                                   "release.pem",     "-pubout", "-out",
	                                   "release.pub.pem", NULL};

	run(dir, log_key);
	run(dir, release);
	run(dir, release_pub);
}

static void checkpoint(const char *dir, const char *mcr)
{
	const char *const argv[] = {mcr,        "audit",           "checkpoint",
	                            "--config", "mcurelease.json", NULL};

	run(dir, argv);
}

/* Ten events of the release job's kinds. */
static int cycle(struct mcr_relfix *f, long long i)
{
	char tag[32];
	int ret = 0;

	for (int k = 0; k < 3 && ret == 0; k++) {
		snprintf(tag, sizeof(tag), "v%lld.%lld.%d", i / 1000, i % 1000, k);
		ret = mcr_relfix_release(f, tag, NULL);
	}
	if (ret == 0)
		ret = mcr_relfix_refused(f, "v0.0.0-dirty", "tag.unsigned", "tag is not signed");
	if (ret == 0)
		ret = mcr_relfix_refused(f, tag, "records.too_few", "1 of 2 builders agree");
	if (ret == 0)
		ret = mcr_relfix_failed(f, tag, "signer 'release' unreachable: timed out");
	return ret;
}

static void build_log(const char *dir, const char *mcr, long long events)
{
	struct mcr_relfix f = {.product = "acme"};
	struct mcr_audit *log = NULL;
	char path[4200];
	long long size = 0;

	snprintf(path, sizeof(path), "%s/audit.db", dir);
	for (;;) {
		if (mcr_audit_open(&log, path, true) < 0 || mcr_audit_size(log, &size) < 0)
			die("open");
		if (size >= events)
			break;
		f.log = log;
		if (mcr_audit_begin(log) < 0)
			die("begin");
		for (long long n = 0; n < 10000 - 10 && size + n < events; n += 10)
			if (cycle(&f, (size + n) / 10) < 0)
				die("append");
		if (mcr_audit_commit(log) < 0)
			die("commit");
		mcr_audit_free(log);
		log = NULL;
		checkpoint(dir, mcr); /* one more event */
	}
	mcr_audit_free(log);
	printf("log: %lld events in %s\n", size, path);
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static long long size_of(const char *dir, const char *out)
{
	char path[4200];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, out);
	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* The median of RUNS exports (output removed before each), and the output's size. */
static void bench(const char *dir, const char *mcr, const char *format, const char *out,
                  const char *extra)
{
	const char *const argv[] = {
	        mcr,    "audit", "export", "--config", "mcurelease.json",  "--format",
	        format, "-o",    out,      extra,      extra ? "0" : NULL, NULL};
	char path[4200];
	double t[RUNS];

	snprintf(path, sizeof(path), "%s/%s", dir, out);
	for (int i = 0; i < RUNS; i++) {
		mcr_fileio_remove_tree(path);
		mcr_error_clear();
		/* a bundle syncs its filesystem: flush the previous run's writes first, not in it
		 */
		sync();
		t[i] = run(dir, argv);
	}
	qsort(t, RUNS, sizeof(t[0]), compare_double);
	printf("%-8s %-14s median %6.2f s (min %.2f, max %.2f)  %lld bytes\n", format,
	       extra ? "--max-rows 0" : "", t[RUNS / 2], t[0], t[RUNS - 1], size_of(dir, out));
}

int main(int argc, char **argv)
{
	const char *mcr = argc > 1 ? argv[1] : "mcurelease";
	const char *dir = argc > 2 ? argv[2] : "/tmp/mcurelease-bench-export";
	long long events = argc > 3 ? atoll(argv[3]) : 100000;
	const char *const verify[] = {
	        mcr, "audit", "verify-export", "--key", "log.pub.pem", "out.bundle", NULL};
	const char *const pub[] = {"openssl", "pkey", "-in",         "log.pem",
	                           "-pubout", "-out", "log.pub.pem", NULL};
	char path[4200];

	if (mcr_fileio_mkdirs(dir, 0755) < 0)
		die(dir);
	snprintf(path, sizeof(path), "%s/mcurelease.json", dir);
	if (!mcr_fileio_exists(path)) {
		keys(dir);
		run(dir, pub);
		if (mcr_fileio_write_atomic(path, config, sizeof(config) - 1, 0644) < 0)
			die(path);
	}
	build_log(dir, mcr, events);
	bench(dir, mcr, "json", "out.json", NULL);
	bench(dir, mcr, "csv", "out.csv", NULL);
	bench(dir, mcr, "html", "out.html", NULL);
	bench(dir, mcr, "html", "out-all.html", "--max-rows");
	bench(dir, mcr, "pdf", "out.pdf", NULL);
	bench(dir, mcr, "bundle", "out.bundle", NULL);
	printf("verify-export of the bundle: %.2f s\n", run(dir, verify));
	return 0;
}
