/*
 * Benchmark: signing 1 MiB and 64 MiB images with a P-256 file key, whole process.
 * Prints median wall time, peak RSS, and the SHA-256 rate of the image hashing as a
 * ratio to `openssl dgst -sha256` on the same file in the same run. Asserts nothing.
 * Usage: bench_image [MCURELEASE_BINARY]   (run via tests/bench/run.sh)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct sample {
	double wall_ms;
	long max_rss_kib;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Runs argv with stdout/stderr discarded; wall time and the child's peak RSS. */
static struct sample run(char *const *argv)
{
	struct sample s = {0, 0};
	struct rusage ru;
	int status;
	double start = now_ms();
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "bench: '%s %s' failed\n", argv[0], argv[1]);
		exit(1);
	}
	s.wall_ms = now_ms() - start;
	s.max_rss_kib = ru.ru_maxrss;
	return s;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median wall time and largest peak RSS over n runs. */
static struct sample measure(char *const *argv, int n)
{
	double walls[64];
	struct sample worst = {0, 0};

	for (int i = 0; i < n; i++) {
		struct sample s = run(argv);

		walls[i] = s.wall_ms;
		if (s.max_rss_kib > worst.max_rss_kib)
			worst.max_rss_kib = s.max_rss_kib;
	}
	qsort(walls, (size_t)n, sizeof(walls[0]), cmp_double);
	worst.wall_ms = walls[n / 2];
	return worst;
}

static void make_input(const char *path, size_t size)
{
	FILE *f = fopen(path, "wb");
	unsigned long x = 0x9e3779b97f4a7c15UL;

	for (size_t i = 0; i < size; i += 8) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		fwrite(&x, 1, size - i < 8 ? size - i : 8, f);
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	char *bin = argc > 1 ? argv[1] : "mcurelease";
	char key[4096], dir[] = "/tmp/mcr-bench-XXXXXX", in[4200], out[4200], digest[4200];
	static const struct {
		const char *label;
		size_t size;
		int runs;
	} cases[] = {{"1 MiB", 1 << 20, 31}, {"64 MiB", 64 << 20, 7}};

	snprintf(key, sizeof(key), "%s/keys/ecdsa-p256.pem", MCR_BENCH_VECTORS);
	if (!mkdtemp(dir))
		return 1;
	printf("mcurelease imgtool sign, P-256 file key, --pad-header, whole process (median wall, peak RSS)\n");
	printf("%-8s %12s %12s %14s %14s %8s\n", "image", "sign ms", "peak RSS", "hash MB/s", "openssl MB/s",
	       "ratio");
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		char *sign[] = {bin, "imgtool", "sign", "--key", key, "--version", "1.0.0", "--header-size",
				"0x200", "--pad-header", "--slot-size", "0x10000000", in, out, NULL};
		char *vector[] = {bin, "imgtool", "sign", "--vector-to-sign", "digest", "--version", "1.0.0",
				  "--header-size", "0x200", "--pad-header", "--slot-size", "0x10000000", in,
				  digest, NULL};
		char *openssl[] = {"openssl", "dgst", "-sha256", in, NULL};
		struct sample s, h, o;
		double mb = (double)cases[c].size / 1e6;

		snprintf(in, sizeof(in), "%s/in-%zu.bin", dir, c);
		snprintf(out, sizeof(out), "%s/out-%zu.bin", dir, c);
		snprintf(digest, sizeof(digest), "%s/digest-%zu", dir, c);
		make_input(in, cases[c].size);
		run(openssl); /* warm the page cache */
		s = measure(sign, cases[c].runs);
		/* --vector-to-sign digest hashes the image once and writes 32 bytes: the hashing cost */
		h = measure(vector, cases[c].runs);
		o = measure(openssl, cases[c].runs);
		printf("%-8s %12.2f %9.1f MiB %14.0f %14.0f %8.2f\n", cases[c].label, s.wall_ms,
		       (double)s.max_rss_kib / 1024, mb / (h.wall_ms / 1e3), mb / (o.wall_ms / 1e3),
		       o.wall_ms / h.wall_ms);
		unlink(in), unlink(out), unlink(digest);
	}
	{
		char *version[] = {bin, "--version", NULL};
		struct sample v = measure(version, 11);

		printf("baseline: 'mcurelease --version' %.2f ms, peak RSS %.1f MiB\n", v.wall_ms,
		       (double)v.max_rss_kib / 1024);
	}
	rmdir(dir);
	return 0;
}
