/* The HTML export's later sections: key inventory and custody, tag signers and builders, the
 * requirement → evidence table, caveats and how to check the evidence. */
#include "export.h"
#include "export_html.h"

#include "en18031.h"

static void facts(struct mcr_html *h, const char *heading, const struct mcr_export_fact *list,
                  size_t count)
{
	if (!count)
		return;
	mcr_html_raw(h, "<tr><th colspan=\"2\">");
	mcr_html_text(h, heading);
	mcr_html_raw(h, "</th></tr>\n");
	for (size_t i = 0; i < count; i++)
		mcr_html_row(h, list[i].label, list[i].value);
}

static void key_block(struct mcr_html *h, const struct mcr_export_key *k)
{
	const struct mcr_export_request *r = k->last_request;

	mcr_html_raw(h, "<div class=\"key\"><h3>Signer ");
	mcr_html_text(h, k->name);
	mcr_html_raw(h, "</h3>\n<p>");
	mcr_html_text(h, k->statement);
	mcr_html_raw(h, "</p>\n<table class=\"kv\"><tbody>\n");
	mcr_html_row(h, "role", k->role);
	mcr_html_row(h, "backend", k->backend);
	mcr_html_row(h, "key type", k->key_type);
	mcr_html_rawf(h, "<tr><th>security strength</th><td>%u bits</td></tr>\n", k->strength_bits);
	mcr_html_raw(h, "<tr><th>fingerprint</th><td>");
	mcr_html_code(h, k->fingerprint);
	mcr_html_raw(h, " (from ");
	mcr_html_text(h, k->fingerprint_source ? k->fingerprint_source : "nowhere: not pinned");
	mcr_html_rawf(h, ")</td></tr>\n<tr><th>releases signed</th><td>%lld", k->signatures);
	if (k->signatures) {
		mcr_html_raw(h, ", ");
		mcr_html_text(h, k->first_used);
		mcr_html_raw(h, " to ");
		mcr_html_text(h, k->last_used);
	}
	mcr_html_raw(h, "</td></tr>\n");
	facts(h, "from the configuration", k->facts, k->fact_count);
	if (r)
		facts(h, "reported by the backend at its last signature", r->signer_facts,
		      r->signer_fact_count);
	mcr_html_raw(h, "</tbody></table>\n");
	if (k->public_key_pem) {
		mcr_html_raw(h, "<pre>");
		mcr_html_text(h, k->public_key_pem);
		mcr_html_raw(h, "</pre>\n");
	}
	mcr_html_raw(h, "</div>\n");
}

void mcr_html_keys(struct mcr_html *h, const struct mcr_export_model *m)
{
	mcr_html_raw(h, "<h2 class=\"pagebreak\">7. Keys and custody</h2>\n<p>Generated from the "
	                "configuration in force at export time and from what each backend reported "
	                "when it signed. No secret is shown: PINs and tokens are named by where "
	                "they come from.</p>\n");
	if (!m->key_count)
		mcr_html_raw(h, "<p>No configuration was given: the keys are known only from the "
		                "release register.</p>\n");
	for (size_t i = 0; i < m->key_count; i++)
		key_block(h, &m->keys[i]);
}

static void trusted_table(struct mcr_html *h, const struct mcr_export_trusted *list, size_t count)
{
	if (!count) {
		mcr_html_raw(h, "<p>None configured.</p>\n");
		return;
	}
	mcr_html_raw(h, "<table><thead><tr><th>principals</th><th>key type</th><th>fingerprint</th>"
	                "<th>listed in</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < count; i++) {
		mcr_html_raw(h, "<tr><td>");
		mcr_html_text(h, list[i].principals);
		mcr_html_raw(h, "</td><td>");
		mcr_html_text(h, list[i].key_type);
		mcr_html_raw(h, "</td><td>");
		mcr_html_code(h, list[i].fingerprint);
		mcr_html_raw(h, "</td><td>");
		mcr_html_code(h, list[i].source);
		mcr_html_raw(h, "</td></tr>\n");
	}
	mcr_html_raw(h, "</tbody></table>\n");
}

static void observed_table(struct mcr_html *h, const struct mcr_export_identity *list, size_t count)
{
	if (!count) {
		mcr_html_raw(h, "<p>None in the period.</p>\n");
		return;
	}
	mcr_html_raw(h, "<table><thead><tr><th>identity</th><th>key</th><th>releases</th>"
	                "<th>first</th><th>last</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < count; i++) {
		mcr_html_raw(h, "<tr><td>");
		if (list[i].format) {
			mcr_html_text(h, list[i].format);
			mcr_html_raw(h, " ");
		}
		mcr_html_text(h, list[i].identity);
		mcr_html_raw(h, "</td><td>");
		mcr_html_code(h, list[i].key);
		mcr_html_rawf(h, "</td><td>%lld</td><td>", list[i].releases);
		mcr_html_text(h, list[i].first);
		mcr_html_raw(h, "</td><td>");
		mcr_html_text(h, list[i].last);
		mcr_html_raw(h, "</td></tr>\n");
	}
	mcr_html_raw(h, "</tbody></table>\n");
}

static void policy_files(struct mcr_html *h, const struct mcr_export_model *m)
{
	mcr_html_rawf(h, "<h3>Policy in force at export time</h3>\n<p>Release signer: ");
	mcr_html_text(h, m->release_signer);
	mcr_html_rawf(h, "; minimum key strength %u bits; development keys %s for releases.</p>\n",
	              m->min_strength_bits, m->allow_dev_keys ? "ALLOWED" : "refused");
	if (!m->policy_file_count)
		return;
	mcr_html_raw(h, "<table><thead><tr><th>file</th><th>path</th><th>SHA-256</th></tr></thead>"
	                "<tbody>\n");
	for (size_t i = 0; i < m->policy_file_count; i++) {
		mcr_html_raw(h, "<tr><td>");
		mcr_html_text(h, m->policy_files[i].role);
		mcr_html_raw(h, "</td><td>");
		mcr_html_code(h, m->policy_files[i].path);
		mcr_html_raw(h, "</td><td>");
		if (m->policy_files[i].sha256)
			mcr_html_code(h, m->policy_files[i].sha256);
		else
			mcr_html_raw(h, "<span class=\"attention\">unreadable</span>");
		mcr_html_raw(h, "</td></tr>\n");
	}
	mcr_html_raw(h, "</tbody></table>\n");
}

void mcr_html_trust(struct mcr_html *h, const struct mcr_export_model *m)
{
	mcr_html_raw(h,
	             "<h2>8. Tag signers and builders</h2>\n<h3>Who may sign release tags</h3>\n");
	trusted_table(h, m->tag_trust, m->tag_trust_count);
	mcr_html_raw(h, "<h3>Who signed the tags of the period's releases</h3>\n");
	observed_table(h, m->tag_signers, m->tag_signer_count);
	mcr_html_rawf(h,
	              "<h3>Builders</h3>\n<p>Releases need %u agreeing build record%s from "
	              "distinct trusted builders. Trusted builder keys:</p>\n",
	              m->builder_quorum, m->builder_quorum == 1 ? "" : "s");
	trusted_table(h, m->builder_trust, m->builder_trust_count);
	mcr_html_raw(h, "<p>Builders whose records the period's releases counted:</p>\n");
	observed_table(h, m->builders, m->builder_count);
	policy_files(h, m);
}

static void requirement_row(struct mcr_html *h, const struct mcr_export_requirement *r)
{
	mcr_html_raw(h, "<tr><td><b>");
	mcr_html_text(h, r->id);
	mcr_html_raw(h, "</b><div>");
	mcr_html_text(h, r->title);
	mcr_html_raw(h, "</div></td><td>");
	mcr_html_text(h, r->asks);
	mcr_html_raw(h, "<div><code>");
	mcr_html_text(h, r->info);
	mcr_html_raw(h, "</code></div></td><td>");
	mcr_html_text(h, r->evidence);
	mcr_html_rawf(h, "</td><td><div class=\"st%s\">%s</div>",
	              r->status == MCR_EXPORT_ATTENTION ? " attention" : "",
	              mcr_export_status_name(r->status));
	mcr_html_text(h, r->observed);
	mcr_html_raw(h, "</td><td>");
	mcr_html_text(h, r->manufacturer);
	mcr_html_raw(h, "</td></tr>\n");
}

void mcr_html_requirements(struct mcr_html *h, const struct mcr_export_model *m)
{
	const char *const *caveats;
	size_t count;

	mcr_html_raw(h,
	             "<h2 class=\"pagebreak\">9. Requirements and evidence</h2>\n<table "
	             "class=\"req\"><colgroup><col style=\"width:11%\"><col style=\"width:20%\">"
	             "<col style=\"width:22%\"><col style=\"width:23%\"><col style=\"width:24%\">"
	             "</colgroup><thead><tr><th>requirement</th><th>asks (paraphrase)</th><th>what "
	             "mcurelease evidences</th><th>in this export</th><th>what the manufacturer "
	             "must add</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < m->requirement_count; i++)
		requirement_row(h, &m->requirements[i]);
	mcr_html_raw(h, "</tbody></table>\n<h2>10. Caveats</h2>\n<ul>\n");
	caveats = mcr_en18031_caveats(&count);
	for (size_t i = 0; i < count; i++) {
		mcr_html_raw(h, "<li>");
		mcr_html_text(h, caveats[i]);
		mcr_html_raw(h, "</li>\n");
	}
	mcr_html_raw(h,
	             "</ul>\n<h2>11. Checking this evidence</h2>\n<p>A bundle export "
	             "(<code>mcurelease audit export --format bundle</code>) carries this report "
	             "with the exact events, checkpoints, inclusion proofs and public keys, and a "
	             "MANIFEST.json of every file's SHA-256 signed with the log key. "
	             "<code>mcurelease audit verify-export BUNDLE --key LOG.pem</code> checks it; "
	             "so do sha256sum and openssl alone (VERIFY.txt in the bundle).</p>\n");
}
