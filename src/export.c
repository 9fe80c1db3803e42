/* The exporter interface: formats found by name, the model collected once for all of them, and
 * the atomic write of what they render. */
#include "export.h"

#include "audit.h"
#include "buf.h"
#include "checkpoint.h"
#include "config.h"
#include "en18031.h"
#include "error.h"
#include "fileio.h"
#include "json.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const struct mcr_exporter mcr_export_json;
extern const struct mcr_exporter mcr_export_csv;
extern const struct mcr_exporter mcr_export_html;
extern const struct mcr_exporter mcr_export_pdf;
extern const struct mcr_exporter mcr_export_bundle;

static const struct mcr_exporter *const exporters[] = {
        &mcr_export_json, &mcr_export_csv, &mcr_export_html, &mcr_export_pdf, &mcr_export_bundle,
};

const struct mcr_exporter *mcr_export_find(const char *name)
{
	for (size_t i = 0; i < sizeof(exporters) / sizeof(exporters[0]); i++)
		if (!strcmp(exporters[i]->name, name))
			return exporters[i];
	return NULL;
}

const char *mcr_export_format_names(void)
{
	return "json|csv|html|pdf|bundle";
}

/*
 * The model's strings live in one arena: a 100k-event log gives about a
 * million small strings, and freeing them one by one would cost more than
 * reading the log.
 */
struct arena_chunk {
	struct arena_chunk *next;
	size_t used;
	size_t cap;
	_Alignas(max_align_t) char data[];
};

struct mcr_export_arena {
	struct arena_chunk *head;
};

#define ARENA_CHUNK (256 * 1024)

/* len bytes; aligned for any type when is_aligned, else anywhere (strings). */
static char *arena_alloc(struct mcr_export_arena *arena, size_t len, bool is_aligned)
{
	const size_t align = _Alignof(max_align_t);
	struct arena_chunk *chunk = arena->head;

	if (chunk && is_aligned)
		chunk->used = chunk->used + (align - chunk->used % align) % align;
	if (!chunk || chunk->used > chunk->cap || chunk->cap - chunk->used < len) {
		size_t cap = len > ARENA_CHUNK ? len : ARENA_CHUNK;

		if (!(chunk = malloc(sizeof(*chunk) + cap)))
			return NULL;
		chunk->used = 0;
		chunk->cap = cap;
		chunk->next = arena->head;
		arena->head = chunk;
	}
	chunk->used += len;
	return chunk->data + chunk->used - len;
}

static void arena_free(struct mcr_export_arena *arena)
{
	struct arena_chunk *chunk, *next;

	if (!arena)
		return;
	for (chunk = arena->head; chunk; chunk = next) {
		next = chunk->next;
		free(chunk);
	}
	free(arena);
}

void *mcr_export_alloc(struct mcr_export_model *model, size_t size)
{
	char *mem = arena_alloc(model->arena, size, true);

	return mem ? memset(mem, 0, size) : NULL;
}

const char *mcr_export_strdup(struct mcr_export_model *model, const char *s)
{
	size_t len;
	char *copy;

	if (!s)
		return NULL;
	len = strlen(s) + 1;
	if (!(copy = arena_alloc(model->arena, len, false)))
		return NULL;
	return memcpy(copy, s, len);
}

const char *mcr_export_printf(struct mcr_export_model *model, const char *fmt, ...)
{
	struct mcr_buf buf = MCR_BUF_INIT;
	const char *copy = NULL;
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0 || mcr_buf_grow(&buf, (size_t)len + 1) < 0)
		return NULL;
	va_start(ap, fmt);
	vsnprintf((char *)buf.data, (size_t)len + 1, fmt, ap);
	va_end(ap);
	copy = mcr_export_strdup(model, (char *)buf.data);
	mcr_buf_release(&buf);
	return copy;
}

int mcr_export_grow(void **items, size_t *cap, size_t count, size_t size)
{
	size_t new_cap;
	void *grown;

	if (count < *cap)
		return 0;
	new_cap = *cap ? 2 * *cap : 16;
	if (new_cap > SIZE_MAX / size || !(grown = realloc(*items, new_cap * size)))
		return mcr_error(MCR_ESYS, "out of memory");
	*items = grown;
	*cap = new_cap;
	return 0;
}

const char *mcr_export_status_name(enum mcr_export_status status)
{
	static const char *const names[] = {"evidenced", "partial", "not covered", "attention"};

	return names[status];
}

const char *mcr_export_outcome_name(enum mcr_export_outcome_kind outcome)
{
	static const char *const names[] = {"pending", "completed", "refused", "failed"};

	return names[outcome];
}

size_t mcr_export_first_shown(const struct mcr_export_model *model, size_t count)
{
	if (!model->max_rows || count <= model->max_rows)
		return 0;
	return count - model->max_rows;
}

static int format_now(struct mcr_export_model *model)
{
	char text[32];
	time_t now = time(NULL);
	struct tm tm;

	if (now == (time_t)-1 || !gmtime_r(&now, &tm) ||
	    !strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return mcr_error(MCR_ESYS, "cannot read the clock");
	return (model->created = mcr_export_strdup(model, text))
	               ? 0
	               : mcr_error(MCR_ESYS, "out of memory");
}

/* The scope: product, period, origin, and the log's size right now. */
static int collect_scope(struct mcr_export_model *m, struct mcr_audit *log,
                         const struct mcr_export_opts *opts)
{
	const struct mcr_config *cfg = opts->config;
	struct mcr_buf origin = MCR_BUF_INIT;
	int ret;

	m->log = log;
	m->log_path = mcr_audit_path(log);
	m->product = opts->product ? opts->product : (cfg ? cfg->product : NULL);
	m->since = opts->since;
	m->until = opts->until;
	m->max_rows = opts->max_rows;
	m->generator = "mcurelease " MCR_VERSION;
	m->origin = opts->origin;
	if (!m->origin && cfg) {
		if ((ret = mcr_checkpoint_origin(&origin, cfg->product, cfg->audit.log_id)) < 0)
			return ret;
		m->origin = mcr_export_strdup(m, (char *)origin.data);
		mcr_buf_release(&origin);
	}
	if ((ret = format_now(m)) < 0)
		return ret;
	return mcr_audit_size(log, &m->log_size);
}

int mcr_export_collect(struct mcr_export_model *out, struct mcr_audit *log,
                       const struct mcr_export_opts *opts)
{
	static const struct mcr_audit_verify_opts no_verify;
	struct mcr_audit_filter filter = {0};
	int ret;

	memset(out, 0, sizeof(*out));
	if (!(out->arena = calloc(1, sizeof(*out->arena))))
		return mcr_error(MCR_ESYS, "out of memory");
	filter.since = opts->since;
	filter.until = opts->until;
	if ((ret = collect_scope(out, log, opts)) < 0 ||
	    (ret = mcr_audit_verify(log, opts->verify ? opts->verify : &no_verify, &out->report)) <
	            0 ||
	    (ret = mcr_audit_checkpoints(log, &out->checkpoints, &out->checkpoint_count)) < 0 ||
	    (ret = mcr_export_collect_events(out, log, &filter)) < 0 ||
	    (ret = mcr_export_collect_inventory(out, opts->config)) < 0 ||
	    (ret = mcr_export_collect_trust(out, opts->config)) < 0)
		return ret;
	/* the root recomputed from the events, not the tree nodes the database stores */
	memcpy(out->log_root, out->report.root, sizeof(out->log_root));
	return mcr_en18031_assess(out);
}

void mcr_export_model_release(struct mcr_export_model *model)
{
	free(model->events);
	free(model->requests);
	free(model->releases);
	free(model->refusals);
	free(model->failures);
	free(model->anomalies);
	free(model->keys);
	free(model->tag_trust);
	free(model->tag_signers);
	free(model->builder_trust);
	free(model->builders);
	free(model->policy_files);
	free(model->requirements);
	mcr_audit_report_release(&model->report);
	mcr_audit_stored_free(model->checkpoints, model->checkpoint_count);
	arena_free(model->arena);
	memset(model, 0, sizeof(*model));
}

int mcr_export_render(const char *format, const struct mcr_export_model *model,
                      const struct mcr_export_opts *opts, struct mcr_buf *out)
{
	const struct mcr_exporter *exporter = mcr_export_find(format);

	if (!exporter || !exporter->render)
		return mcr_error(MCR_EUSAGE, "export format '%s' cannot be rendered to a buffer",
		                 format);
	return exporter->render(model, opts, out);
}

int mcr_export_write(const struct mcr_exporter *exporter, const struct mcr_export_model *model,
                     const struct mcr_export_opts *opts, const char *path)
{
	struct mcr_buf out = MCR_BUF_INIT;
	int ret;

	if (exporter->write)
		return exporter->write(model, opts, path);
	if ((ret = exporter->render(model, opts, &out)) == 0)
		ret = mcr_fileio_write_atomic(path, out.data, out.len, 0644);
	mcr_buf_release(&out);
	return ret;
}
