/* The HTML export: one self-contained page (inline CSS with print rules, no scripts, no URLs)
 * that reads on screen and prints as the PDF. Summary, log integrity, the release register,
 * refusals and failures; export_html_parts.c adds keys, trust and requirements. */
#include "export.h"
#include "export_html.h"

#include "buf.h"
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/*
 * Print rules: A4 landscape (the register is wide), table headers repeat on
 * every page, rows and headings do not split, page numbers in the margin.
 * A Content-Security-Policy forbids scripts and every load even if a string
 * ever escaped its escaping.
 */
static const char head[] =
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">\n"
        "<meta name=\"viewport\" content=\"width=device-width\">\n<style>\n"
        "@page{size:A4 landscape;margin:12mm 12mm 14mm 12mm;"
        "@bottom-right{content:\"page \" counter(page) \" of \" counter(pages);"
        "font:8pt sans-serif;color:#555}}\n"
        "body{font:9pt/1.35 'DejaVu Sans',sans-serif;color:#111;margin:0 auto;max-width:280mm}\n"
        "h1{font-size:16pt;margin:0 0 2mm}h2{font-size:12.5pt;margin:6mm 0 2mm;"
        "border-bottom:1px solid #999;break-after:avoid}h3{font-size:10pt;margin:3mm 0 1mm;"
        "break-after:avoid}\n"
        "p{margin:1mm 0 2mm}.sub{color:#444}.note{color:#444;font-style:italic}\n"
        "table{border-collapse:collapse;width:100%;margin:1mm 0 3mm}\n"
        "thead{display:table-header-group}tr{break-inside:avoid}\n"
        "th,td{border:1px solid #bbb;padding:1mm 1.5mm;text-align:left;vertical-align:top}\n"
        "thead th{background:#e8e8e8}th{font-weight:600}\n"
        "table.kv th{width:28%;background:#f4f4f4}\n"
        "code,pre{font:7.5pt 'DejaVu Sans Mono',monospace;word-break:break-all}\n"
        "pre{white-space:pre-wrap;background:#f6f6f6;padding:2mm;border:1px solid #ddd}\n"
        "table.reg{table-layout:fixed}tbody.rel{break-inside:avoid}.reg td{font-size:8pt}\n"
        ".reg td.hashes{border-top:0;padding-top:0;font-size:7pt;color:#333}\n"
        ".hashes .f{white-space:nowrap;margin-right:2.5mm}.hashes code{font-size:6.8pt;"
        "word-break:normal}\n.t{white-space:nowrap}\n"
        ".verdict{font-size:12pt;font-weight:700;padding:2mm 3mm;border:2px solid}\n"
        ".ok{color:#0a5d1e;border-color:#0a5d1e}.bad{color:#9b0000;border-color:#9b0000}\n"
        ".st{font-weight:600;white-space:nowrap}.attention{color:#9b0000}\n"
        ".none{color:#888}.key{border:1px solid #bbb;padding:1mm 2mm;margin:0 0 3mm}\n"
        "table.req{table-layout:fixed}table.req td{overflow-wrap:anywhere}\n"
        "@media print{body{max-width:none}.pagebreak{break-before:page}}\n"
        "</style>\n";

void mcr_html_raw(struct mcr_html *h, const char *markup)
{
	if (h->ret == 0)
		h->ret = mcr_buf_add_str(h->out, markup);
}

void mcr_html_rawf(struct mcr_html *h, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (h->ret == 0)
		h->ret = len < 0 || (size_t)len >= sizeof(line)
		                 ? mcr_error(MCR_ESYS, "HTML line too long in export")
		                 : mcr_buf_add(h->out, line, (size_t)len);
}

void mcr_html_text(struct mcr_html *h, const char *text)
{
	const unsigned char *p;

	if (!text) {
		mcr_html_raw(h, "<span class=\"none\">&#8212;</span>");
		return;
	}
	for (p = (const unsigned char *)text; h->ret == 0 && *p; p++) {
		switch (*p) {
		case '&':
			h->ret = mcr_buf_add_str(h->out, "&amp;");
			break;
		case '<':
			h->ret = mcr_buf_add_str(h->out, "&lt;");
			break;
		case '>':
			h->ret = mcr_buf_add_str(h->out, "&gt;");
			break;
		case '"':
			h->ret = mcr_buf_add_str(h->out, "&quot;");
			break;
		case '\'':
			h->ret = mcr_buf_add_str(h->out, "&#39;");
			break;
		default:
			h->ret = *p < 0x20 && *p != '\n' && *p != '\t'
			                 ? mcr_buf_add_str(h->out, "&#65533;")
			                 : mcr_buf_add_u8(h->out, *p);
		}
	}
}

void mcr_html_code(struct mcr_html *h, const char *text)
{
	if (!text) {
		mcr_html_text(h, NULL);
		return;
	}
	mcr_html_raw(h, "<code>");
	mcr_html_text(h, text);
	mcr_html_raw(h, "</code>");
}

void mcr_html_row(struct mcr_html *h, const char *label, const char *text)
{
	mcr_html_raw(h, "<tr><th>");
	mcr_html_text(h, label);
	mcr_html_raw(h, "</th><td>");
	mcr_html_text(h, text);
	mcr_html_raw(h, "</td></tr>\n");
}

size_t mcr_html_limit(struct mcr_html *h, const struct mcr_export_model *model, size_t count,
                      const char *what)
{
	size_t first = mcr_export_first_shown(model, count);

	if (first)
		mcr_html_rawf(
		        h,
		        "<p class=\"note\">The latest %zu of %zu %s are shown here (--max-rows). "
		        "The JSON and CSV exports, and the bundle's report.json and "
		        "events.jsonl, hold all of them.</p>\n",
		        count - first, count, what);
	return first;
}

static size_t pending_count(const struct mcr_export_model *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->request_count; i++)
		n += m->requests[i]->outcome == MCR_EXPORT_PENDING;
	return n;
}

static void title(struct mcr_html *h, const struct mcr_export_model *m)
{
	mcr_html_raw(h, "<title>Firmware signing evidence: ");
	mcr_html_text(h, m->product ? m->product : "(no product)");
	mcr_html_raw(h, "</title>\n</head>\n<body>\n<h1>Firmware signing evidence: ");
	mcr_html_text(h, m->product ? m->product : "(no product)");
	mcr_html_raw(h, "</h1>\n<p class=\"sub\">Period ");
	mcr_html_text(h, m->since ? m->since : "from the first event");
	mcr_html_raw(h, " to ");
	mcr_html_text(h, m->until ? m->until : "the last event");
	mcr_html_rawf(h, " (events %lld to %lld). Generated ", m->first_seq, m->last_seq);
	mcr_html_text(h, m->created);
	mcr_html_raw(h, " by ");
	mcr_html_text(h, m->generator);
	mcr_html_raw(h, " from audit log ");
	mcr_html_code(h, m->log_path);
	mcr_html_raw(h, ".</p>\n");
}

static void summary(struct mcr_html *h, const struct mcr_export_model *m)
{
	const struct mcr_audit_report *r = &m->report;

	mcr_html_raw(h, "<h2>1. Summary</h2>\n");
	mcr_html_rawf(h, "<p class=\"verdict %s\">Audit log chain: %s</p>\n",
	              r->is_valid ? "ok" : "bad", r->is_valid ? "VALID" : "INVALID");
	mcr_html_rawf(h,
	              "<table class=\"kv\"><tbody>\n<tr><th>Releases signed</th><td>%zu</td></tr>\n"
	              "<tr><th>Requests refused by policy</th><td>%zu</td></tr>\n"
	              "<tr><th>Requests that failed</th><td>%zu</td></tr>\n"
	              "<tr><th>Requests without a recorded outcome</th><td>%zu</td></tr>\n"
	              "<tr><th>Anomalies</th><td>%zu</td></tr>\n"
	              "<tr><th>Events in the period</th><td>%zu</td></tr>\n",
	              m->release_count, m->refusal_count, m->failure_count, pending_count(m),
	              m->anomaly_count, m->event_count);
	if (m->excluded_count)
		mcr_html_rawf(h,
		              "<tr><th>Requests of other products left out</th><td>%zu</td></tr>\n",
		              m->excluded_count);
	mcr_html_raw(h, "</tbody></table>\n");
}

static void integrity(struct mcr_html *h, const struct mcr_export_model *m)
{
	const struct mcr_audit_report *r = &m->report;
	const struct mcr_audit_stored_checkpoint *cp =
	        m->checkpoint_count ? &m->checkpoints[m->checkpoint_count - 1] : NULL;
	char root[2 * MCR_AUDIT_HASH_LEN + 1];

	mcr_hex_encode(root, m->log_root, sizeof(m->log_root));
	mcr_html_raw(h, "<h2>2. Log integrity</h2>\n<table class=\"kv\"><tbody>\n");
	mcr_html_row(h, "Checkpoint origin", m->origin);
	mcr_html_rawf(h,
	              "<tr><th>Events in the log</th><td>%lld (root <code>%s</code>)</td></tr>\n",
	              m->log_size, root);
	mcr_html_rawf(h,
	              "<tr><th>Verification</th><td>results requested for seq 1 to %lld; found seq "
	              "%lld to %lld (%lld events); checkpoints %zu/%zu stored valid, %zu/%zu "
	              "published valid</td></tr>\n",
	              r->requested_seq, r->first_seq, r->last_seq, r->event_count,
	              r->checkpoint_count - r->checkpoints_bad, r->checkpoint_count,
	              r->anchor_count - r->anchors_bad, r->anchor_count);
	for (size_t i = 0; i < r->problem_count; i++) {
		mcr_html_rawf(h, "<tr><th class=\"attention\">INVALID seq %lld</th><td>",
		              r->problems[i].seq);
		mcr_html_text(h, r->problems[i].reason);
		mcr_html_raw(h, ": ");
		mcr_html_text(h, r->problems[i].message);
		mcr_html_raw(h, "</td></tr>\n");
	}
	mcr_html_raw(h, "</tbody></table>\n");
	if (!cp) {
		mcr_html_raw(h, "<p>The log holds no signed checkpoint yet: truncation of its tail "
		                "would not be detectable.</p>\n");
		return;
	}
	mcr_html_rawf(h,
	              "<p>Latest signed checkpoint (C2SP signed note), covering %lld events, "
	              "recorded as event %lld:</p>\n<pre>",
	              cp->size, cp->seq);
	mcr_html_text(h, cp->note);
	mcr_html_raw(h, "</pre>\n");
}

static void labelled(struct mcr_html *h, const char *label, const char *value)
{
	mcr_html_raw(h, "<span class=\"f\">");
	mcr_html_text(h, label);
	mcr_html_raw(h, " ");
	mcr_html_code(h, value);
	mcr_html_raw(h, "</span> ");
}

/* The release's hashes, flowing in one wide cell: each stays on one line, as a unit. */
static void release_hashes(struct mcr_html *h, const struct mcr_export_release *rel)
{
	const struct mcr_export_request *r = rel->request;
	char label[160];

	labelled(h, "commit", r ? r->commit : NULL);
	snprintf(label, sizeof(label), "image %s", r && r->image_name ? r->image_name : "");
	labelled(h, label, rel->image_sha256);
	snprintf(label, sizeof(label), "digest %s", rel->digest_alg ? rel->digest_alg : "");
	labelled(h, label, rel->digest_hex);
	snprintf(label, sizeof(label), "signed %s",
	         rel->signed_image_name ? rel->signed_image_name : "(on the signing host)");
	labelled(h, label, rel->signed_image_sha256);
	labelled(h, "key", rel->key_fingerprint);
	for (size_t i = 0; r && i < r->record_count; i++) {
		snprintf(label, sizeof(label), "build record %s",
		         r->records[i].builder ? r->records[i].builder : "?");
		labelled(h, label, r->records[i].sha256);
	}
	if (r)
		labelled(h, "tag signer key", r->tag_signer.key);
}

/* Two rows a release: who, what and when; then its hashes. */
static void release_row(struct mcr_html *h, const struct mcr_export_release *rel)
{
	const struct mcr_export_request *r = rel->request;

	mcr_html_rawf(h, "<tbody class=\"rel\"><tr><td>%lld<br>request %lld</td><td class=\"t\">",
	              rel->seq, rel->requested_seq);
	mcr_html_text(h, rel->time);
	mcr_html_raw(h, "</td><td><b>");
	mcr_html_text(h, r ? r->version : NULL);
	mcr_html_raw(h, "</b><br>");
	mcr_html_text(h, rel->tag);
	mcr_html_raw(h, "</td><td>");
	if (r) {
		mcr_html_text(h, r->tag_signer.format);
		mcr_html_raw(h, " ");
		mcr_html_text(h, r->tag_signer.identity);
	} else {
		mcr_html_raw(h, "<span class=\"attention\">request not in the log</span>");
	}
	mcr_html_raw(h, "</td><td>");
	for (size_t i = 0; r && i < r->record_count; i++) {
		mcr_html_raw(h, i ? ", " : "");
		mcr_html_text(h, r->records[i].builder);
	}
	mcr_html_raw(h, "</td><td>");
	mcr_html_text(h, rel->key_name);
	mcr_html_raw(h, " (");
	mcr_html_text(h, r ? r->signer_backend : NULL);
	mcr_html_raw(h, ", ");
	mcr_html_text(h, rel->key_type);
	mcr_html_raw(h, ")</td></tr>\n<tr><td colspan=\"6\" class=\"hashes\">");
	release_hashes(h, rel);
	mcr_html_raw(h, "</td></tr></tbody>\n");
}

static void register_table(struct mcr_html *h, const struct mcr_export_model *m)
{
	size_t first;

	mcr_html_raw(h, "<h2 class=\"pagebreak\">3. Release register</h2>\n<p>Every "
	                "<code>sign.completed</code> event of the period, joined with the "
	                "<code>sign.requested</code> event it answers. Hashes are SHA-256 unless "
	                "named otherwise; the digest is the MCUboot image hash that was signed; "
	                "the key is the signing key's fingerprint (imgtool getpubhash).</p>\n");
	first = mcr_html_limit(h, m, m->release_count, "releases");
	if (!m->release_count) {
		mcr_html_raw(h, "<p>No releases were signed in the period.</p>\n");
		return;
	}
	mcr_html_raw(h, "<table class=\"reg\"><colgroup><col style=\"width:9%\"><col "
	                "style=\"width:13%\"><col style=\"width:16%\"><col style=\"width:22%\">"
	                "<col style=\"width:20%\"><col style=\"width:20%\"></colgroup><thead><tr>"
	                "<th>seq</th><th>time (UTC)</th><th>version, tag</th><th>tag signer</th>"
	                "<th>builders</th><th>signer (backend, key)</th></tr></thead>\n");
	for (size_t i = first; i < m->release_count && h->ret == 0; i++)
		release_row(h, &m->releases[i]);
	mcr_html_raw(h, "</table>\n");
}

static void outcome_table(struct mcr_html *h, const struct mcr_export_model *m, const char *heading,
                          const struct mcr_export_outcome *list, size_t count)
{
	size_t first;

	mcr_html_raw(h, heading);
	first = mcr_html_limit(h, m, count, "entries");
	if (!count) {
		mcr_html_raw(h, "<p>None in the period.</p>\n");
		return;
	}
	mcr_html_raw(h,
	             "<table><thead><tr><th style=\"width:6%\">seq</th><th style=\"width:13%\">"
	             "time</th><th style=\"width:12%\">tag</th><th style=\"width:8%\">stage</th>"
	             "<th style=\"width:17%\">reason</th><th>message</th><th style=\"width:14%\">"
	             "requested by</th></tr></thead><tbody>\n");
	for (size_t i = first; i < count && h->ret == 0; i++) {
		mcr_html_rawf(h, "<tr><td>%lld</td><td class=\"t\">", list[i].seq);
		mcr_html_text(h, list[i].time);
		mcr_html_raw(h, "</td><td>");
		mcr_html_text(h, list[i].tag);
		mcr_html_raw(h, "</td><td>");
		mcr_html_text(h, list[i].stage);
		mcr_html_raw(h, "</td><td>");
		mcr_html_code(h, list[i].reason);
		mcr_html_raw(h, "</td><td>");
		mcr_html_text(h, list[i].message);
		mcr_html_raw(h, "</td><td>");
		mcr_html_text(h, list[i].actor);
		mcr_html_raw(h, "</td></tr>\n");
	}
	mcr_html_raw(h, "</tbody></table>\n");
}

static void pending_and_anomalies(struct mcr_html *h, const struct mcr_export_model *m)
{
	mcr_html_raw(h, "<h2>6. Requests without an outcome, and anomalies</h2>\n<p>A request "
	                "without a later completion, refusal or failure in the period (the signer "
	                "may have been interrupted, or the outcome falls after the period):</p>\n");
	if (!pending_count(m))
		mcr_html_raw(h, "<p>None.</p>\n");
	for (size_t i = 0; i < m->request_count && h->ret == 0; i++)
		if (m->requests[i]->outcome == MCR_EXPORT_PENDING) {
			mcr_html_rawf(h, "<div>seq %lld, ", m->requests[i]->seq);
			mcr_html_text(h, m->requests[i]->time);
			mcr_html_raw(h, ", tag ");
			mcr_html_text(h, m->requests[i]->tag);
			mcr_html_raw(h, "</div>\n");
		}
	mcr_html_raw(h, "<p>Anomalies (records that do not add up):</p>\n");
	if (!m->anomaly_count)
		mcr_html_raw(h, "<p>None.</p>\n");
	for (size_t i = 0; i < m->anomaly_count && h->ret == 0; i++) {
		mcr_html_rawf(h, "<div class=\"attention\">seq %lld: ", m->anomalies[i].seq);
		mcr_html_code(h, m->anomalies[i].reason);
		mcr_html_raw(h, " ");
		mcr_html_text(h, m->anomalies[i].message);
		mcr_html_raw(h, "</div>\n");
	}
}

static int render(const struct mcr_export_model *model, const struct mcr_export_opts *opts,
                  struct mcr_buf *out)
{
	struct mcr_html h = {out, 0};

	(void)opts;
	mcr_html_raw(&h, head);
	title(&h, model);
	summary(&h, model);
	integrity(&h, model);
	register_table(&h, model);
	outcome_table(&h, model, "<h2>4. Refused requests</h2>\n", model->refusals,
	              model->refusal_count);
	outcome_table(&h, model, "<h2>5. Failed requests</h2>\n", model->failures,
	              model->failure_count);
	pending_and_anomalies(&h, model);
	mcr_html_keys(&h, model);
	mcr_html_trust(&h, model);
	mcr_html_requirements(&h, model);
	mcr_html_raw(&h, "</body>\n</html>\n");
	return h.ret;
}

const struct mcr_exporter mcr_export_html = {
        .name = "html",
        .summary = "a self-contained report page (inline CSS, no scripts), printable",
        .render = render,
};
