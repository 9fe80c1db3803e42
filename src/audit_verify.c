/* Verifying the audit log: chain, tree, stored and external checkpoints, reported CloudTrail style.
 */
#include "audit.h"

#include "checkpoint.h"
#include "error.h"
#include "json.h"
#include "merkle.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PROBLEMS 100
#define SCAN_STOP    1 /* check_row's way to end the scan early */

/* A root some checkpoint vouches for, to compare once the tree reaches its size. */
struct want {
	long long size;
	unsigned char root[MCR_AUDIT_HASH_LEN];
	const char *subject;
	long long seq; /* the "checkpoint" event of a stored one; 0 for an anchor */
	bool is_anchor;
	int state; /* 0 not reached, 1 matches, -1 differs */
};

struct verifier {
	struct mcr_audit *log;
	struct mcr_audit_report *report;
	struct mcr_merkle_hasher *hasher;
	struct mcr_merkle_range range;
	unsigned char prev_stored[MCR_AUDIT_HASH_LEN]; /* the previous row as stored */
	unsigned char prev_actual[MCR_AUDIT_HASH_LEN]; /* and as its contents hash */
	long long expected_seq;
	int last_shift;      /* the renumbering the previous row showed, to report it once */
	bool is_tree_usable; /* leaves so far sit at their positions (no gap) */
	bool is_tree_checked;
	long long first_scan_problem; /* the earliest seq the scan found wrong, 0 if none */
	struct want *wants;
	size_t want_count, next_want;
};

static int add_problem(struct mcr_audit_report *report, const char *reason, long long seq,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int add_problem(struct mcr_audit_report *report, const char *reason, long long seq,
                       const char *fmt, ...)
{
	struct mcr_audit_problem *p;
	va_list ap;
	int len;

	report->problems_total++;
	report->is_valid = false;
	if (seq > 0 && (report->first_bad_seq == 0 || seq < report->first_bad_seq))
		report->first_bad_seq = seq;
	if (report->problem_count >= MAX_PROBLEMS)
		return 0;
	p = &report->problems[report->problem_count];
	va_start(ap, fmt);
	len = vasprintf(&p->message, fmt, ap);
	va_end(ap);
	if (len < 0) {
		p->message = NULL;
		return mcr_error(MCR_ESYS, "out of memory");
	}
	p->reason = reason;
	p->seq = seq;
	report->problem_count++;
	return 0;
}

void mcr_audit_report_release(struct mcr_audit_report *report)
{
	for (size_t i = 0; i < report->problem_count; i++)
		free(report->problems[i].message);
	free(report->problems);
	memset(report, 0, sizeof(*report));
}

static int add_want(struct verifier *v, long long size, const unsigned char root[32],
                    const char *subject, long long seq, bool is_anchor)
{
	struct want *grown = realloc(v->wants, (v->want_count + 1) * sizeof(*grown));

	if (!grown)
		return mcr_error(MCR_ESYS, "out of memory");
	v->wants = grown;
	grown[v->want_count++] = (struct want){size, {0}, subject, seq, is_anchor, 0};
	memcpy(grown[v->want_count - 1].root, root, MCR_AUDIT_HASH_LEN);
	return 0;
}

static int compare_wants(const void *a, const void *b)
{
	const struct want *x = a, *y = b;

	return x->size < y->size ? -1 : x->size > y->size;
}

/* The origin checkpoints must carry: given, else the first one's; copied into *origin. */
static int settle_origin(char **origin, const char *candidate)
{
	if (*origin || !candidate)
		return 0;
	if (!(*origin = strdup(candidate)))
		return mcr_error(MCR_ESYS, "out of memory");
	return 0;
}

/* Parses and checks one checkpoint; a bad one becomes a problem, a good one a root to compare. */
static int check_checkpoint(struct verifier *v, const struct mcr_audit_verify_opts *opts,
                            char **origin, const char *note, const char *subject, long long seq,
                            const struct mcr_audit_stored_checkpoint *row)
{
	struct mcr_checkpoint cp;
	int ret;

	ret = mcr_checkpoint_parse(&cp, note, strlen(note), subject);
	if (ret == MCR_EINPUT)
		return add_problem(v->report, "audit.bad_checkpoint", seq, "%s",
		                   mcr_error_message());
	if (ret < 0 || (ret = settle_origin(origin, cp.origin)) < 0)
		goto out;
	ret = mcr_checkpoint_verify(&cp, opts->log_key, *origin, subject);
	if (ret == MCR_EREFUSED)
		ret = add_problem(v->report, mcr_error_reason(), seq, "%s", mcr_error_message());
	else if (ret == 0 && row && (row->size != cp.size || memcmp(row->root, cp.root, 32)))
		ret = add_problem(v->report, "audit.bad_checkpoint", seq,
		                  "the stored size or root of %s differs from its signed note",
		                  subject);
	else if (ret == 0)
		ret = add_want(v, cp.size, cp.root, subject, seq, row == NULL);
out:
	mcr_checkpoint_release(&cp);
	return ret;
}

static int check_stored(struct verifier *v, const struct mcr_audit_verify_opts *opts, char **origin,
                        const struct mcr_audit_stored_checkpoint *list, size_t count,
                        char (*subjects)[64])
{
	int ret;

	for (size_t i = 0; i < count; i++) {
		size_t problems = v->report->problems_total;

		snprintf(subjects[i], 64, "checkpoint %lld (event %lld)", list[i].size,
		         list[i].seq);
		if ((ret = check_checkpoint(v, opts, origin, list[i].note, subjects[i], list[i].seq,
		                            &list[i])) < 0)
			return ret;
		v->report->checkpoint_count++;
		v->report->checkpoints_bad += v->report->problems_total != problems;
	}
	return 0;
}

static int check_anchors(struct verifier *v, const struct mcr_audit_verify_opts *opts,
                         char **origin)
{
	int ret;

	for (size_t i = 0; i < opts->anchor_count; i++) {
		size_t problems = v->report->problems_total;

		if ((ret = check_checkpoint(v, opts, origin, opts->anchors[i].note,
		                            opts->anchors[i].subject, 0, NULL)) < 0)
			return ret;
		v->report->anchor_count++;
		v->report->anchors_bad += v->report->problems_total != problems;
	}
	return 0;
}

/*
 * A row whose hash does not match its contents. If it matches as a
 * neighbouring seq, rows were renumbered: an insertion or deletion before
 * it, or a swap. A renumbering shows on every row after it; report it once.
 */
static int report_mismatch(struct verifier *v, const struct mcr_audit_row *row)
{
	unsigned char as_other[MCR_AUDIT_HASH_LEN];
	int ret;

	for (int shift = -1; shift <= 1; shift += 2) {
		if (row->seq + shift < 1)
			continue;
		if ((ret = mcr_audit_event_hash(v->hasher, row->seq + shift, row->prev_hash,
		                                row->body, row->body_len, as_other)) < 0)
			return ret;
		if (memcmp(as_other, row->hash, MCR_AUDIT_HASH_LEN))
			continue;
		if (shift == v->last_shift)
			return 0;
		v->last_shift = shift;
		if (shift > 0)
			return add_problem(v->report, "audit.chain_broken", row->seq,
			                   "event %lld was written as seq %lld: an event before it "
			                   "was deleted or events were reordered",
			                   row->seq, row->seq + 1);
		return add_problem(v->report, "audit.chain_broken", row->seq - 1,
		                   "event %lld was written as seq %lld: event %lld was inserted "
		                   "or events were reordered",
		                   row->seq, row->seq - 1, row->seq - 1);
	}
	v->last_shift = 0;
	return add_problem(v->report, "audit.chain_broken", row->seq,
	                   "event %lld does not match its stored hash: its body, seq, prev_hash "
	                   "or hash was changed",
	                   row->seq);
}

/* Whether prev_hash links to the row before, as stored or as its contents hash. */
static bool links_back(const struct verifier *v, const struct mcr_audit_row *row)
{
	static const unsigned char zeros[MCR_AUDIT_HASH_LEN];

	if (row->seq == 1)
		return memcmp(row->prev_hash, zeros, MCR_AUDIT_HASH_LEN) == 0;
	return memcmp(row->prev_hash, v->prev_stored, MCR_AUDIT_HASH_LEN) == 0 ||
	       memcmp(row->prev_hash, v->prev_actual, MCR_AUDIT_HASH_LEN) == 0;
}

/* A published copy that should be there and is not: its removal could hide a rollback. */
static int check_missing(struct verifier *v, const struct mcr_audit_verify_opts *opts,
                         size_t stored)
{
	int ret = 0;

	for (size_t i = 0; stored && ret == 0 && i < opts->missing_anchor_count; i++)
		ret = add_problem(
		        v->report, "audit.missing_checkpoint", 0,
		        "no checkpoint published at '%s', though the log holds %zu signed "
		        "ones: its copy outside the log is gone (fetch or restore it)",
		        opts->missing_anchors[i], stored);
	return ret;
}

/* Compares the roots checkpoints vouch for at the tree's current size. */
static int check_wants(struct verifier *v)
{
	unsigned char root[MCR_AUDIT_HASH_LEN];
	bool has_root = false;
	int ret;

	while (v->next_want < v->want_count &&
	       v->wants[v->next_want].size == (long long)v->range.size) {
		struct want *w = &v->wants[v->next_want++];

		if (!has_root && (ret = mcr_merkle_range_root(&v->range, v->hasher, root)) < 0)
			return ret;
		has_root = true;
		w->state = memcmp(root, w->root, MCR_AUDIT_HASH_LEN) ? -1 : 1;
	}
	return 0;
}

/*
 * The tree grows by the hash each event's contents give, while no gap has
 * shifted the leaves from their places. The nodes stored for proofs must
 * agree; checked only while nothing else is wrong, since a bad event
 * already explains every node above it.
 */
static int grow_tree(struct verifier *v, const struct mcr_audit_row *row,
                     const unsigned char actual[MCR_AUDIT_HASH_LEN])
{
	unsigned char nodes[MCR_MERKLE_MAX_LEVELS * MCR_AUDIT_HASH_LEN];
	unsigned count;
	int ret;

	if (!v->is_tree_usable)
		return 0;
	if ((ret = mcr_merkle_range_append(&v->range, v->hasher, actual, nodes, &count)) < 0)
		return ret;
	if (v->is_tree_checked && v->first_scan_problem == 0 &&
	    (row->nodes_len != count * MCR_AUDIT_HASH_LEN ||
	     (count && memcmp(row->nodes, nodes, row->nodes_len)))) {
		v->is_tree_checked = false;
		if ((ret = add_problem(v->report, "audit.tree_mismatch", row->seq,
		                       "the tree nodes stored with event %lld do not match the "
		                       "events: events up to it were rewritten, or the nodes were",
		                       row->seq)) < 0)
			return ret;
	}
	return check_wants(v);
}

/* Remembers where the scan first found something wrong (problems kept since index from). */
static void note_scan_problems(struct verifier *v, size_t from)
{
	for (size_t i = from; i < v->report->problem_count; i++)
		if (v->first_scan_problem == 0 ||
		    v->report->problems[i].seq < v->first_scan_problem)
			v->first_scan_problem = v->report->problems[i].seq;
}

/* Where a row sits: out of order (a damaged file), after a gap, or next as it should. */
static int place_row(struct verifier *v, const struct mcr_audit_row *row)
{
	struct mcr_audit_report *report = v->report;

	/* A table scan yields seqs strictly ascending; anything else is a damaged file's garbage.
	 */
	if (row->seq < 1 || (report->event_count && row->seq <= report->last_seq)) {
		int ret = add_problem(report, "audit.corrupt", report->last_seq + 1,
		                      "audit log '%s' is damaged after seq %lld: rows out of order",
		                      mcr_audit_path(v->log), report->last_seq);

		return ret < 0 ? ret : SCAN_STOP;
	}
	if (report->event_count++ == 0)
		report->first_seq = row->seq;
	report->last_seq = row->seq;
	if (row->seq == v->expected_seq)
		return 0;
	v->is_tree_usable = false;
	v->last_shift = 0;
	return add_problem(report, "audit.gap", v->expected_seq, "events %lld to %lld are missing",
	                   v->expected_seq, row->seq - 1);
}

static int check_row(void *ctx, const struct mcr_audit_row *row)
{
	struct verifier *v = ctx;
	unsigned char actual[MCR_AUDIT_HASH_LEN];
	bool is_after_gap = row->seq != v->expected_seq;
	size_t problems = v->report->problem_count;
	int ret;

	if ((ret = place_row(v, row)) != 0)
		return ret;
	if (row->hash_len != MCR_AUDIT_HASH_LEN || row->prev_hash_len != MCR_AUDIT_HASH_LEN) {
		/* nothing to chain onto: the next row's link is reported with it */
		v->is_tree_usable = false;
		memset(actual, 0xff, MCR_AUDIT_HASH_LEN);
		ret = add_problem(v->report, "audit.chain_broken", row->seq,
		                  "event %lld has a malformed hash", row->seq);
	} else if ((ret = mcr_audit_event_hash(v->hasher, row->seq, row->prev_hash, row->body,
	                                       row->body_len, actual)) < 0) {
		return ret;
	} else if (memcmp(actual, row->hash, MCR_AUDIT_HASH_LEN)) {
		ret = report_mismatch(v, row);
	} else if ((v->last_shift = 0, !is_after_gap && !links_back(v, row))) {
		ret = add_problem(v->report, "audit.chain_broken", row->seq,
		                  "prev_hash of event %lld does not match the hash of event %lld",
		                  row->seq, row->seq - 1);
	}
	note_scan_problems(v, problems);
	if (ret < 0 || (ret = grow_tree(v, row, actual)) < 0)
		return ret;
	if (row->hash_len == MCR_AUDIT_HASH_LEN)
		memcpy(v->prev_stored, row->hash, MCR_AUDIT_HASH_LEN);
	else
		memset(v->prev_stored, 0xff, MCR_AUDIT_HASH_LEN);
	memcpy(v->prev_actual, actual, MCR_AUDIT_HASH_LEN);
	v->expected_seq = row->seq + 1;
	return 0;
}

static int report_short_log(struct verifier *v, const struct want *w)
{
	long long last = v->report->last_seq;

	if (w->is_anchor)
		return add_problem(v->report, "audit.rollback", last + 1,
		                   "checkpoint '%s' covers %lld events but the log ends at seq "
		                   "%lld: the log was truncated or an older copy of it restored",
		                   w->subject, w->size, last);
	return add_problem(v->report, "audit.truncated", last + 1,
	                   "%s covers %lld events but the log ends at seq %lld: events were "
	                   "deleted from its tail",
	                   w->subject, w->size, last);
}

/* After the scan: every root a checkpoint vouches for was met, or why not. */
static int resolve_wants(struct verifier *v)
{
	struct mcr_audit_report *report = v->report;
	long long good_below = 0, good_here = 0, size = -1; /* the largest vouched-for size below */
	int ret = 0;

	for (size_t i = 0; i < v->want_count && ret == 0; i++) {
		const struct want *w = &v->wants[i];

		if (w->size != size) {
			good_below = good_here > good_below ? good_here : good_below;
			size = w->size;
		}
		if (w->size > report->requested_seq)
			report->requested_seq = w->size;
		if (w->state == 1) {
			good_here = w->size;
			continue;
		}
		if (w->is_anchor)
			report->anchors_bad++;
		else
			report->checkpoints_bad++;
		if (w->size > report->last_seq)
			ret = report_short_log(v, w);
		else if (w->state < 0 &&
		         (v->first_scan_problem == 0 || v->first_scan_problem > w->size))
			ret = add_problem(
			        report, "audit.split_view", good_below + 1,
			        "%s%s%s signs another history of %lld events than the log "
			        "holds: it differs in events %lld to %lld",
			        w->is_anchor ? "checkpoint '" : "", w->subject,
			        w->is_anchor ? "'" : "", w->size, good_below + 1, w->size);
		/* else a gap or a bad event already explains it */
	}
	return ret;
}

static int compare_problems(const void *a, const void *b)
{
	const struct mcr_audit_problem *x = a, *y = b;
	long long sx = x->seq ? x->seq : (long long)(~0ULL >> 1);
	long long sy = y->seq ? y->seq : (long long)(~0ULL >> 1);

	return sx < sy ? -1 : sx > sy;
}

/* Stored checkpoints and anchors: signatures now, roots to compare during the scan. */
static int check_all_checkpoints(struct verifier *v, const struct mcr_audit_verify_opts *opts,
                                 char **origin, char (**subjects)[64])
{
	struct mcr_audit_stored_checkpoint *stored = NULL;
	size_t count = 0;
	int ret;

	if ((ret = mcr_audit_checkpoints(v->log, &stored, &count)) < 0) {
		if (!mcr_audit_is_damaged(v->log))
			return ret;
		ret = add_problem(v->report, "audit.corrupt", 0, "%s", mcr_error_message());
	}
	if (ret == 0 && (count || opts->anchor_count) && !opts->log_key)
		ret = mcr_error(
		        MCR_EUSAGE,
		        "checking the checkpoints of audit log '%s' needs the log's public key",
		        mcr_audit_path(v->log));
	if (ret == 0 && count && !(*subjects = calloc(count, sizeof(**subjects))))
		ret = mcr_error(MCR_ESYS, "out of memory");
	if (ret == 0 && (ret = settle_origin(origin, opts->origin)) == 0 &&
	    (ret = check_stored(v, opts, origin, stored, count, *subjects)) == 0 &&
	    (ret = check_anchors(v, opts, origin)) == 0)
		ret = check_missing(v, opts, count);
	mcr_audit_stored_free(stored, count);
	if (ret == 0 && v->want_count)
		qsort(v->wants, v->want_count, sizeof(*v->wants), compare_wants);
	return ret;
}

static int scan(struct verifier *v)
{
	int ret;

	if ((ret = check_wants(v)) < 0) /* checkpoints of the empty tree */
		return ret;
	/* check_row runs on a second thread from here until the scan returns. */
	ret = mcr_audit_scan_async(v->log, check_row, v);
	if (ret == SCAN_STOP)
		return 0;
	if (ret == MCR_EAUDIT && mcr_audit_is_damaged(v->log))
		ret = add_problem(v->report, "audit.corrupt", v->report->last_seq + 1,
		                  "audit log '%s' is damaged after seq %lld: %s",
		                  mcr_audit_path(v->log), v->report->last_seq, mcr_error_message());
	else if (ret == 0 && mcr_audit_is_damaged(v->log))
		ret = add_problem(v->report, "audit.corrupt", 0,
		                  "audit log '%s' is damaged (shorter than its header says)",
		                  mcr_audit_path(v->log));
	if (ret == 0 && v->is_tree_usable)
		ret = mcr_merkle_range_root(&v->range, v->hasher, v->report->root);
	return ret;
}

int mcr_audit_verify(struct mcr_audit *log, const struct mcr_audit_verify_opts *opts,
                     struct mcr_audit_report *out)
{
	struct verifier v = {0};
	char(*subjects)[64] = NULL;
	char *origin = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	out->is_valid = true;
	v.log = log;
	v.report = out;
	v.expected_seq = 1;
	v.is_tree_usable = v.is_tree_checked = true;
	if (!(out->problems = calloc(MAX_PROBLEMS, sizeof(*out->problems))))
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = mcr_merkle_hasher_new(&v.hasher)) < 0 ||
	    (ret = check_all_checkpoints(&v, opts, &origin, &subjects)) < 0 ||
	    (ret = scan(&v)) < 0 || (ret = resolve_wants(&v)) < 0)
		goto out;
	if (out->requested_seq < out->last_seq)
		out->requested_seq = out->last_seq;
	qsort(out->problems, out->problem_count, sizeof(*out->problems), compare_problems);
out:
	mcr_merkle_hasher_free(v.hasher);
	free(v.wants);
	free(subjects);
	free(origin);
	return ret;
}

static int add_range(cJSON *obj, const char *key, long long first, long long last)
{
	cJSON *range = cJSON_CreateObject();

	if (!range)
		return mcr_error(MCR_ESYS, "out of memory");
	if (mcr_json_add_int(range, "first_seq", first) < 0 ||
	    mcr_json_add_int(range, "last_seq", last) < 0) {
		cJSON_Delete(range);
		return mcr_error(MCR_ESYS, "out of memory");
	}
	return mcr_json_add_item(obj, key, range);
}

static int add_problems(cJSON *obj, const struct mcr_audit_report *r)
{
	cJSON *list = cJSON_CreateArray(), *item;

	if (!list)
		return mcr_error(MCR_ESYS, "out of memory");
	for (size_t i = 0; i < r->problem_count; i++) {
		if (!(item = cJSON_CreateObject()) || !cJSON_AddItemToArray(list, item) ||
		    mcr_json_add_int(item, "seq", r->problems[i].seq) < 0 ||
		    mcr_json_add_string(item, "reason", r->problems[i].reason) < 0 ||
		    mcr_json_add_string(item, "message", r->problems[i].message) < 0) {
			cJSON_Delete(list);
			return mcr_error(MCR_ESYS, "out of memory");
		}
	}
	return mcr_json_add_item(obj, "problems", list);
}

static int report_json(cJSON *obj, const struct mcr_audit_report *r, const char *log_path)
{
	int ret;

	if ((ret = mcr_json_add_string(obj, "log", log_path)) < 0 ||
	    (ret = mcr_json_add_string(obj, "verdict", r->is_valid ? "valid" : "invalid")) < 0 ||
	    (ret = add_range(obj, "requested", r->requested_seq ? 1 : 0, r->requested_seq)) < 0 ||
	    (ret = add_range(obj, "found", r->first_seq, r->last_seq)) < 0 ||
	    (ret = mcr_json_add_int(obj, "events", r->event_count)) < 0 ||
	    (ret = mcr_json_add_int(obj, "first_bad_seq", r->first_bad_seq)) < 0 ||
	    (ret = mcr_json_add_hex(obj, "root", r->root, sizeof(r->root))) < 0 ||
	    (ret = mcr_json_add_int(obj, "checkpoints", (long long)r->checkpoint_count)) < 0 ||
	    (ret = mcr_json_add_int(obj, "checkpoints_invalid", (long long)r->checkpoints_bad)) <
	            0 ||
	    (ret = mcr_json_add_int(obj, "external_checkpoints", (long long)r->anchor_count)) < 0 ||
	    (ret = mcr_json_add_int(obj, "external_checkpoints_invalid",
	                            (long long)r->anchors_bad)) < 0 ||
	    (ret = mcr_json_add_int(obj, "problems_total", (long long)r->problems_total)) < 0)
		return ret;
	return add_problems(obj, r);
}

int mcr_audit_report_to_json(struct cJSON **out, const struct mcr_audit_report *report,
                             const char *log_path)
{
	cJSON *obj = cJSON_CreateObject();
	int ret;

	*out = NULL;
	if (!obj)
		return mcr_error(MCR_ESYS, "out of memory");
	if ((ret = report_json(obj, report, log_path)) < 0) {
		cJSON_Delete(obj);
		return ret;
	}
	*out = obj;
	return 0;
}
