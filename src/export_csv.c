/* The CSV export: one row per event of the period (RFC 4180), safe to open in a spreadsheet. */
#include "export.h"

#include "buf.h"
#include "error.h"

#include <string.h>

static const char header[] =
        "seq,time,kind,actor,tag,image_sha256,digest,reason,request_id,hash\r\n";

/*
 * One field. A value from the log is attacker-influenced (a tag name, an
 * actor): a spreadsheet would run one that starts with = + - @ (or a tab or
 * CR, which some of them skip first) as a formula, so such a value gets a
 * leading apostrophe, which shows it as text. Then RFC 4180: quoted when it
 * holds a comma, quote or line break, quotes doubled.
 */
static int add_field(struct mcr_buf *out, const char *value, bool is_last)
{
	bool is_formula, is_quoted;
	int ret = 0;

	value = value ? value : "";
	is_formula = strchr("=+-@\t\r", value[0]) && value[0];
	is_quoted = strpbrk(value, ",\"\r\n") != NULL;
	if (is_quoted)
		ret = mcr_buf_add_u8(out, '"');
	if (ret == 0 && is_formula)
		ret = mcr_buf_add_u8(out, '\'');
	for (const char *p = value; ret == 0 && *p; p++)
		ret = *p == '"' ? mcr_buf_add(out, "\"\"", 2)
		                : mcr_buf_add_u8(out, (unsigned char)*p);
	if (ret == 0 && is_quoted)
		ret = mcr_buf_add_u8(out, '"');
	if (ret == 0)
		ret = is_last ? mcr_buf_add(out, "\r\n", 2) : mcr_buf_add_u8(out, ',');
	return ret;
}

static int add_row(struct mcr_buf *out, const struct mcr_export_event *e)
{
	const char *fields[] = {e->time,   e->kind,   e->actor,      e->tag, e->image_sha256,
	                        e->digest, e->reason, e->request_id, e->hash};
	const size_t count = sizeof(fields) / sizeof(fields[0]);
	int ret;

	if ((ret = mcr_buf_addf(out, "%lld,", e->seq)) < 0)
		return ret;
	for (size_t i = 0; i < count; i++)
		if ((ret = add_field(out, fields[i], i + 1 == count)) < 0)
			return ret;
	return 0;
}

static int render(const struct mcr_export_model *model, const struct mcr_export_opts *opts,
                  struct mcr_buf *out)
{
	int ret;

	(void)opts;
	/* about 300 bytes a row: grow once rather than a few dozen times */
	if ((ret = mcr_buf_grow(out, 320 * model->event_count + sizeof(header))) < 0 ||
	    (ret = mcr_buf_add_str(out, header)) < 0)
		return ret;
	for (size_t i = 0; i < model->event_count; i++)
		if ((ret = add_row(out, &model->events[i])) < 0)
			return ret;
	return 0;
}

const struct mcr_exporter mcr_export_csv = {
        .name = "csv",
        .summary = "one row per event (RFC 4180, formula-safe)",
        .render = render,
};
