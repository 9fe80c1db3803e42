/*
 * A provenance statement read for verify. Only the sign.requested event inside its inclusion
 * proof is covered by the log key's signature; every other field is a claim, trusted only as
 * far as it agrees with that event.
 */
#include "verify_provenance.h"

#include "audit.h"
#include "buf.h"
#include "error.h"
#include "json.h"
#include "verify_proof.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATEMENT_MAX (16 * 1024 * 1024)

/* The parts of the statement, borrowed from the parsed document. */
struct parts {
	const cJSON *subjects, *ext, *internal, *deps, *metadata;
	const cJSON *digest_bp, *signature_bp, *audit_bp, *proof;
};

/* The byproduct called name, or the first whose name starts with it when it ends in ':'. */
static const cJSON *byproduct(const cJSON *list, const char *name)
{
	const cJSON *b;
	size_t n = strlen(name);

	cJSON_ArrayForEach(b, list)
	{
		const char *got = mcr_verify_data_string(b, "name", NULL);

		if (got && (name[n - 1] == ':' ? !strncmp(got, name, n) : !strcmp(got, name)))
			return b;
	}
	return NULL;
}

static int locate(struct parts *p, const cJSON *doc, const char *path)
{
	const cJSON *def = mcr_verify_data_item(doc, "predicate", "buildDefinition", NULL);
	const cJSON *run = mcr_verify_data_item(doc, "predicate", "runDetails", NULL);
	const cJSON *byproducts = mcr_verify_data_item(run, "byproducts", NULL);
	const char *missing = NULL;

	p->subjects = mcr_verify_data_item(doc, "subject", NULL);
	p->ext = mcr_verify_data_item(def, "externalParameters", NULL);
	p->internal = mcr_verify_data_item(def, "internalParameters", NULL);
	p->deps = mcr_verify_data_item(def, "resolvedDependencies", NULL);
	p->metadata = mcr_verify_data_item(run, "metadata", NULL);
	p->digest_bp = byproduct(byproducts, "mcuboot-image-digest");
	p->signature_bp = byproduct(byproducts, "signature");
	p->audit_bp = byproduct(byproducts, "audit-event:");
	p->proof = mcr_verify_data_item(p->audit_bp, "annotations", "inclusion_proof", NULL);
	if (!cJSON_IsArray(p->subjects) || !cJSON_IsObject(p->ext) || !cJSON_IsObject(p->internal))
		missing = "subject or build parameters";
	else if (!cJSON_IsArray(p->deps) || !cJSON_IsObject(p->metadata))
		missing = "dependencies or run metadata";
	else if (!p->digest_bp || !p->signature_bp || !p->audit_bp)
		missing = "digest, signature or audit event byproducts";
	else if (!cJSON_IsObject(p->proof))
		missing = "inclusion proof of its audit event";
	if (missing)
		return mcr_error(MCR_EINPUT,
		                 "provenance '%s' is not an mcurelease provenance statement: no %s",
		                 path, missing);
	return 0;
}

/* Comparing claims with the logged event; the first difference is kept. */
struct claims {
	const char *differs; /* what differs first, or NULL */
};

static void same(struct claims *c, const char *what, const cJSON *claimed, const cJSON *logged)
{
	if (!c->differs && (!claimed || !logged || !cJSON_Compare(claimed, logged, true)))
		c->differs = what;
}

/* A claim against what the proof itself established (the proven leaf, the signed checkpoint). */
static void same_text(struct claims *c, const char *what, const char *claimed, const char *proven)
{
	if (!c->differs && (!claimed || !proven || strcmp(claimed, proven)))
		c->differs = what;
}

static void same_seq(struct claims *c, const char *what, const cJSON *claimed, long long proven)
{
	if (!c->differs && (!cJSON_IsNumber(claimed) || (long long)claimed->valuedouble != proven))
		c->differs = what;
}

/* resolvedDependencies[1..] against data.records, in order. */
static void same_builders(struct claims *c, const cJSON *deps, const cJSON *records)
{
	int count = cJSON_GetArraySize(records);

	if (cJSON_GetArraySize(deps) != count + 1 || !cJSON_IsArray(records)) {
		same(c, "builders", NULL, NULL);
		return;
	}
	for (int i = 0; i < count && !c->differs; i++) {
		const cJSON *d = cJSON_GetArrayItem(deps, i + 1),
		            *r = cJSON_GetArrayItem(records, i);

		same(c, "builders", mcr_verify_data_item(d, "annotations", "builder", NULL),
		     mcr_verify_data_item(r, "builder", NULL));
		same(c, "builders", mcr_verify_data_item(d, "annotations", "key", NULL),
		     mcr_verify_data_item(r, "key", NULL));
		same(c, "builders", mcr_verify_data_item(d, "annotations", "artifact", NULL),
		     mcr_verify_data_item(r, "artifact", NULL));
		same(c, "builders", mcr_verify_data_item(d, "digest", "sha256", NULL),
		     mcr_verify_data_item(r, "sha256", NULL));
	}
}

/* The build definition's fields against the request's data. */
static void same_request(struct claims *c, const struct parts *p, const cJSON *data)
{
	const cJSON *dep = cJSON_GetArrayItem(p->deps, 0);

	same(c, "tag", mcr_verify_data_item(p->ext, "tag", "name", NULL),
	     mcr_verify_data_item(data, "tag", NULL));
	same(c, "tag object", mcr_verify_data_item(p->ext, "tag", "object", NULL),
	     mcr_verify_data_item(data, "tag_object", NULL));
	same(c, "tag signer", mcr_verify_data_item(p->ext, "tag", "signer", NULL),
	     mcr_verify_data_item(data, "tag_signer", NULL));
	same(c, "input image", mcr_verify_data_item(p->ext, "image", NULL),
	     mcr_verify_data_item(data, "image", NULL));
	same(c, "version", mcr_verify_data_item(p->ext, "version", NULL),
	     mcr_verify_data_item(data, "version", NULL));
	same(c, "security counter", mcr_verify_data_item(p->ext, "security_counter", NULL),
	     mcr_verify_data_item(data, "security_counter", NULL));
	same(c, "product", mcr_verify_data_item(p->internal, "product", NULL),
	     mcr_verify_data_item(data, "product", NULL));
	same(c, "request id", mcr_verify_data_item(p->internal, "request_id", NULL),
	     mcr_verify_data_item(data, "request_id", NULL));
	same(c, "request id", mcr_verify_data_item(p->metadata, "invocationId", NULL),
	     mcr_verify_data_item(data, "request_id", NULL));
	same(c, "commit", mcr_verify_data_item(dep, "digest", "gitCommit", NULL),
	     mcr_verify_data_item(data, "commit", NULL));
	same(c, "tag object", mcr_verify_data_item(dep, "digest", "gitTag", NULL),
	     mcr_verify_data_item(data, "tag_object", NULL));
	same_builders(c, p->deps, mcr_verify_data_item(data, "records", NULL));
}

/* The byproducts against the request's data and what its proof proved. */
static void same_byproducts(struct claims *c, const struct parts *p,
                            const struct mcr_verify_provenance *out,
                            const struct mcr_audit_event *proven)
{
	const struct mcr_verify_event *e = &out->request;
	const char *alg = mcr_verify_data_string(e->data, "digest", "alg", NULL);
	const cJSON *sig = mcr_verify_data_item(p->signature_bp, "annotations", NULL);
	const cJSON *audit = mcr_verify_data_item(p->audit_bp, "annotations", NULL);
	char name[64], hash[2 * MCR_AUDIT_HASH_LEN + 1];

	same(c, "digest", alg ? mcr_verify_data_item(p->digest_bp, "digest", alg, NULL) : NULL,
	     mcr_verify_data_item(e->data, "digest", "hex", NULL));
	same(c, "signer", mcr_verify_data_item(sig, "signer", NULL),
	     mcr_verify_data_item(e->data, "signer", NULL));
	same(c, "key name", mcr_verify_data_item(sig, "key_name", NULL),
	     mcr_verify_data_item(e->data, "signer", "name", NULL));
	same(c, "key type", mcr_verify_data_item(sig, "key_type", NULL),
	     mcr_verify_data_item(e->data, "signer", "key_type", NULL));
	same(c, "key fingerprint", mcr_verify_data_item(sig, "key_fingerprint", NULL),
	     mcr_verify_data_item(e->data, "signer", "fingerprint", NULL));
	mcr_hex_encode(hash, proven->hash, MCR_AUDIT_HASH_LEN);
	same_text(c, "audit event hash",
	          mcr_verify_data_string(p->audit_bp, "digest", "sha256", NULL), hash);
	same_seq(c, "audit seq", mcr_verify_data_item(audit, "seq", NULL), proven->seq);
	same(c, "checkpoint", mcr_verify_data_item(audit, "checkpoint", NULL),
	     mcr_verify_data_item(p->proof, "checkpoint", NULL));
	same_text(c, "log origin", mcr_verify_data_string(audit, "log_origin", NULL),
	          out->checkpoint_origin);
	snprintf(name, sizeof(name), "audit-event:%s", e->kind);
	if (!c->differs && strcmp(mcr_verify_data_string(p->audit_bp, "name", NULL), name))
		c->differs = "audit event kind";
}

/*
 * The event the proof proved: a release request, whatever the rest says. Only the seq and body
 * hashed into the proven leaf count; the document's own "event" member is never read (a
 * document that proves nothing, or another body, must not make a record).
 */
static int read_event(struct mcr_verify_provenance *out, const struct mcr_audit_event *proven)
{
	cJSON *envelope;
	int ret;

	if (!proven->body || !(envelope = cJSON_ParseWithLength(proven->body, proven->body_len)))
		return 0;
	ret = mcr_verify_event_set(&out->request, proven->seq, envelope);
	cJSON_Delete(envelope);
	return ret;
}

static int check_claims(struct mcr_verify_provenance *out, const struct parts *p,
                        const struct mcr_audit_event *proven, const char *path)
{
	struct claims c = {NULL};
	const struct mcr_verify_event *e = &out->request;

	if (!e->data || (strcmp(e->kind, "sign.requested") && strcmp(e->kind, "sign.idempotent")))
		return mcr_verify_check_set(
		        &out->claims, MCR_VERIFY_FAILED, "verify.provenance_mismatch",
		        "the audit event in provenance '%s' is not a signing request", path);
	same_request(&c, p, e->data);
	same_byproducts(&c, p, out, proven);
	if (c.differs)
		return mcr_verify_check_set(
		        &out->claims, MCR_VERIFY_FAILED, "verify.provenance_mismatch",
		        "provenance '%s' says another %s than its logged request "
		        "(event %lld)",
		        path, c.differs, e->seq);
	return mcr_verify_check_set(&out->claims, MCR_VERIFY_PASSED, NULL,
	                            "provenance '%s' agrees with its logged request (event %lld)",
	                            path, e->seq);
}

/* What verify compares with the image: digest, signature, signed files, time. */
static int keep_claims(struct mcr_verify_provenance *out, const struct parts *p)
{
	const char *hex = mcr_verify_data_string(out->request.data, "digest", "hex", NULL);
	const char *sig = mcr_verify_data_string(p->signature_bp, "digest", "sha256", NULL);
	const char *when = mcr_verify_data_string(p->metadata, "finishedOn", NULL);
	const char *note = mcr_verify_data_string(p->proof, "checkpoint", NULL);
	const cJSON *s;

	snprintf(out->digest_hex, sizeof(out->digest_hex), "%s", hex ? hex : "");
	snprintf(out->signature_sha256, sizeof(out->signature_sha256), "%s", sig ? sig : "");
	cJSON_ArrayForEach(s, p->subjects)
	{
		const char *sha = mcr_verify_data_string(s, "digest", "sha256", NULL);

		if (sha && out->subject_count < MCR_VERIFY_PROVENANCE_SUBJECTS)
			snprintf(out->subjects[out->subject_count++], 65, "%s", sha);
	}
	if ((when && !(out->finished_on = strdup(when))) || (note && !(out->note = strdup(note))))
		return mcr_error(MCR_ESYS, "out of memory");
	return 0;
}

int mcr_verify_provenance_read(struct mcr_verify_provenance *out, const char *path,
                               const struct mcr_key *log_key, const char *origin)
{
	struct mcr_audit_event proven = {0};
	struct parts p;
	cJSON *doc = NULL;
	char *proof = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	if ((ret = mcr_json_parse_file(&doc, path, STATEMENT_MAX)) < 0 ||
	    (ret = locate(&p, doc, path)) < 0)
		goto out;
	if (!(proof = cJSON_PrintUnformatted(p.proof))) {
		ret = mcr_error(MCR_ESYS, "out of memory");
		goto out;
	}
	if ((ret = mcr_verify_proof_check(&out->proof, &proven, &out->checkpoint_origin,
	                                  &out->checkpoint_size, proof, strlen(proof), path, 0,
	                                  log_key, origin)) < 0 ||
	    (ret = read_event(out, &proven)) < 0 ||
	    (ret = check_claims(out, &p, &proven, path)) < 0)
		goto out;
	if (out->claims.status == MCR_VERIFY_FAILED && out->request.seq &&
	    strcmp(out->request.kind, "sign.requested") &&
	    strcmp(out->request.kind, "sign.idempotent"))
		mcr_verify_event_release(&out->request); /* no release request: nothing to report */
	ret = keep_claims(out, &p);
out:
	mcr_audit_event_release(&proven);
	free(proof);
	cJSON_Delete(doc);
	return ret;
}

void mcr_verify_provenance_release(struct mcr_verify_provenance *prov)
{
	mcr_verify_event_release(&prov->request);
	free(prov->note);
	free(prov->proof.detail);
	free(prov->claims.detail);
	free(prov->checkpoint_origin);
	free(prov->finished_on);
	memset(prov, 0, sizeof(*prov));
}
