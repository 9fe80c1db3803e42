/* The PDF export: the HTML report printed by headless Chromium (Debian's chromium package), in a
 * throw-away profile, with its network features off and a time limit. */
#include "export.h"

#include "buf.h"
#include "error.h"
#include "fileio.h"
#include "proc.h"

#include <stdlib.h>
#include <string.h>

#define PDF_MAX (1024UL * 1024 * 1024)

/* $MCURELEASE_CHROMIUM, else chromium or chromium-browser in PATH. */
static int find_chromium(char **out)
{
	static const char *const names[] = {"chromium", "chromium-browser"};
	const char *forced = getenv("MCURELEASE_CHROMIUM");

	if (forced && *forced)
		return mcr_proc_find_program(out, forced);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (mcr_proc_find_program(out, names[i]) == 0)
			return 0;
	return mcr_error(MCR_ESYS, "chromium not found in PATH: PDF export prints the HTML report "
	                           "with it (Debian: apt-get install chromium)");
}

/* The last non-empty line of what the child printed, for the error message. */
static const char *last_line(struct mcr_buf *err)
{
	char *text = (char *)err->data, *line;

	if (!text)
		return "";
	mcr_buf_rtrim(err);
	line = strrchr(text, '\n');
	return line ? line + 1 : text;
}

/* The strings of Chromium's command line and environment that name the work directory. */
struct chromium_args {
	struct mcr_buf profile, pdf, url, home, config, cache, path;
};

static void args_release(struct chromium_args *a)
{
	mcr_buf_release(&a->profile);
	mcr_buf_release(&a->pdf);
	mcr_buf_release(&a->url);
	mcr_buf_release(&a->home);
	mcr_buf_release(&a->config);
	mcr_buf_release(&a->cache);
	mcr_buf_release(&a->path);
}

static int args_init(struct chromium_args *a, const char *dir)
{
	const char *path = getenv("PATH");
	int ret;

	memset(a, 0, sizeof(*a));
	if ((ret = mcr_buf_addf(&a->profile, "--user-data-dir=%s/profile", dir)) < 0 ||
	    (ret = mcr_buf_addf(&a->pdf, "--print-to-pdf=%s/report.pdf", dir)) < 0 ||
	    (ret = mcr_buf_addf(&a->url, "file://%s/report.html", dir)) < 0 ||
	    (ret = mcr_buf_addf(&a->home, "HOME=%s", dir)) < 0 ||
	    (ret = mcr_buf_addf(&a->config, "XDG_CONFIG_HOME=%s", dir)) < 0 ||
	    (ret = mcr_buf_addf(&a->cache, "XDG_CACHE_HOME=%s", dir)) < 0)
		return ret;
	return mcr_buf_addf(&a->path, "PATH=%s", path ? path : "/usr/bin:/bin");
}

/*
 * Chromium as the Debian machine image documents it for root in a closed
 * network: no sandbox (it refuses to start one as root), no GPU, no QUIC,
 * no background networking or updates, a fresh profile, and a home of its
 * own. The page has no scripts and its Content-Security-Policy forbids them;
 * Chromium's own switch to turn scripts off would also stop it printing.
 */
static int run_chromium(const char *program, const char *dir)
{
	struct mcr_proc_result result;
	struct mcr_proc_spec spec;
	struct chromium_args a;
	int ret;

	if ((ret = args_init(&a, dir)) == 0) {
		const char *argv[] = {program,
		                      "--headless",
		                      "--no-sandbox",
		                      "--disable-gpu",
		                      "--disable-quic",
		                      "--no-first-run",
		                      "--disable-background-networking",
		                      "--disable-component-update",
		                      "--disable-sync",
		                      "--disable-extensions",
		                      "--disable-dev-shm-usage",
		                      "--no-pdf-header-footer",
		                      (char *)a.profile.data,
		                      (char *)a.pdf.data,
		                      (char *)a.url.data,
		                      NULL};
		const char *envp[] = {(char *)a.home.data,
		                      (char *)a.config.data,
		                      (char *)a.cache.data,
		                      (char *)a.path.data,
		                      "LANG=C.UTF-8",
		                      "TZ=UTC",
		                      NULL};

		mcr_proc_spec_init(&spec);
		spec.argv = argv;
		spec.env = envp;
		spec.cwd = dir;
		spec.timeout_ms = MCR_EXPORT_PDF_TIMEOUT_MS;
		if ((ret = mcr_proc_run(&spec, &result)) == 0 && !mcr_proc_succeeded(&result))
			ret = mcr_error(
			        MCR_ESYS, "chromium %s while printing the report to PDF: %s",
			        result.timed_out ? "timed out" : "failed", last_line(&result.err));
		mcr_proc_result_release(&result);
	}
	args_release(&a);
	return ret;
}

static int print_pdf(const char *program, const char *dir, const struct mcr_buf *html,
                     struct mcr_buf *out)
{
	struct mcr_buf path = MCR_BUF_INIT;
	size_t start = out->len;
	int ret;

	if ((ret = mcr_buf_addf(&path, "%s/report.html", dir)) < 0 ||
	    (ret = mcr_fileio_write_atomic((char *)path.data, html->data, html->len, 0600)) < 0 ||
	    (ret = run_chromium(program, dir)) < 0)
		goto out;
	mcr_buf_truncate(&path, 0);
	if ((ret = mcr_buf_addf(&path, "%s/report.pdf", dir)) < 0)
		goto out;
	/* Chromium gives up on huge documents and still exits 0 */
	if (!mcr_fileio_exists((char *)path.data)) {
		ret = mcr_error(MCR_ESYS,
		                "chromium printed no PDF of the %zu MB report: list fewer rows "
		                "(--max-rows)",
		                html->len >> 20);
		goto out;
	}
	if ((ret = mcr_fileio_read_all((char *)path.data, PDF_MAX, out)) < 0)
		goto out;
	if (out->len - start < 5 || memcmp(out->data + start, "%PDF-", 5))
		ret = mcr_error(MCR_ESYS, "chromium wrote no PDF for the report");
out:
	mcr_buf_release(&path);
	return ret;
}

static int render(const struct mcr_export_model *model, const struct mcr_export_opts *opts,
                  struct mcr_buf *out)
{
	struct mcr_buf html = MCR_BUF_INIT;
	char *program = NULL, *dir = NULL;
	int ret;

	if ((ret = find_chromium(&program)) < 0 ||
	    (ret = mcr_export_render("html", model, opts, &html)) < 0 ||
	    (ret = mcr_fileio_mkdtemp(&dir, "mcurelease-pdf")) < 0)
		goto out;
	ret = print_pdf(program, dir, &html, out);
out:
	if (dir)
		mcr_fileio_remove_tree(dir);
	free(dir);
	free(program);
	mcr_buf_release(&html);
	return ret;
}

const struct mcr_exporter mcr_export_pdf = {
        .name = "pdf",
        .summary = "the HTML report printed to PDF by headless Chromium",
        .render = render,
};
