/* The requirement → evidence table: EN 18031 mechanisms (identifiers from public secondary
 * sources) and CRA points, each with what this export's records show and what the manufacturer
 * must add. The wording is a paraphrase; the standard itself is paywalled. */
#include "en18031.h"

#include "buf.h"
#include "error.h"
#include "export.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DISTINCT 8

/* Figures of the period the observations are built from. */
struct stats {
	size_t releases;
	size_t dev_releases;
	size_t unmatched; /* anomalies */
	unsigned min_strength;
	const char *key_types[MAX_DISTINCT];
	size_t key_type_count;
	const char *digest_algs[MAX_DISTINCT];
	size_t digest_alg_count;
	const char *images[MAX_DISTINCT];
	size_t image_count;
	const char *fingerprints[MAX_DISTINCT];
	size_t fingerprint_count;
	const char *generated_on_token[MAX_DISTINCT]; /* signers whose token said so */
	size_t generated_count;
	bool is_chain_valid;
	long long checkpoint_size;
};

static void distinct(const char **list, size_t *count, const char *value)
{
	if (!value)
		return;
	for (size_t i = 0; i < *count; i++)
		if (!strcmp(list[i], value))
			return;
	if (*count < MAX_DISTINCT)
		list[(*count)++] = value;
}

static void join(struct mcr_buf *out, const char *const *list, size_t count)
{
	for (size_t i = 0; i < count; i++)
		mcr_buf_addf(out, "%s%s", i ? ", " : "", list[i]);
	if (!count)
		mcr_buf_add_str(out, "none recorded");
}

static const char *fact(const struct mcr_export_request *r, const char *label)
{
	for (size_t i = 0; i < r->signer_fact_count; i++)
		if (!strcmp(r->signer_facts[i].label, label))
			return r->signer_facts[i].value;
	return NULL;
}

static void gather(const struct mcr_export_model *m, struct stats *s)
{
	memset(s, 0, sizeof(*s));
	s->releases = m->release_count;
	s->unmatched = m->anomaly_count;
	s->is_chain_valid = m->report.is_valid;
	s->checkpoint_size = m->checkpoint_count ? m->checkpoints[m->checkpoint_count - 1].size : 0;
	for (size_t i = 0; i < m->release_count; i++) {
		const struct mcr_export_release *rel = &m->releases[i];
		const struct mcr_export_request *r = rel->request;

		distinct(s->key_types, &s->key_type_count, rel->key_type);
		distinct(s->digest_algs, &s->digest_alg_count, rel->digest_alg);
		distinct(s->fingerprints, &s->fingerprint_count, rel->key_fingerprint);
		if (!r)
			continue;
		distinct(s->images, &s->image_count, r->image_name);
		s->dev_releases += r->is_dev_signer;
		if (r->signer_strength_bits &&
		    (!s->min_strength || r->signer_strength_bits < s->min_strength))
			s->min_strength = (unsigned)r->signer_strength_bits;
		if (fact(r, "generated_on_token") && !strcmp(fact(r, "generated_on_token"), "true"))
			distinct(s->generated_on_token, &s->generated_count, r->signer_name);
	}
}

typedef enum mcr_export_status (*observe_fn)(const struct mcr_export_model *m,
                                             const struct stats *s, struct mcr_buf *out);

static enum mcr_export_status sum1(const struct mcr_export_model *m, const struct stats *s,
                                   struct mcr_buf *out)
{
	mcr_buf_addf(out, "%zu release%s of '%s' in the period; images released: ", s->releases,
	             s->releases == 1 ? "" : "s", m->product ? m->product : "?");
	join(out, s->images, s->image_count);
	mcr_buf_add_str(out, ".");
	return s->releases ? MCR_EXPORT_PARTIAL : MCR_EXPORT_NOT_COVERED;
}

static enum mcr_export_status sum2(const struct mcr_export_model *m, const struct stats *s,
                                   struct mcr_buf *out)
{
	mcr_buf_addf(out, "%zu release%s signed with keys ", s->releases,
	             s->releases == 1 ? "" : "s");
	join(out, s->key_types, s->key_type_count);
	mcr_buf_addf(out,
	             "; each signature was verified against the pinned public key before use. "
	             "%zu anomal%s in the joins of requests and signatures; %zu release%s "
	             "signed with a development key. Chain verdict: %s",
	             s->unmatched, s->unmatched == 1 ? "y" : "ies", s->dev_releases,
	             s->dev_releases == 1 ? "" : "s", s->is_chain_valid ? "VALID" : "INVALID");
	if (s->checkpoint_size)
		mcr_buf_addf(out, "; the latest signed checkpoint covers %lld events.",
		             s->checkpoint_size);
	else
		mcr_buf_add_str(out, "; no signed checkpoint yet.");
	if (!s->is_chain_valid || s->unmatched || s->dev_releases)
		return MCR_EXPORT_ATTENTION;
	(void)m;
	return s->releases ? MCR_EXPORT_EVIDENCED : MCR_EXPORT_PARTIAL;
}

static enum mcr_export_status sum3(const struct mcr_export_model *m, const struct stats *s,
                                   struct mcr_buf *out)
{
	(void)m;
	(void)s;
	mcr_buf_add_str(out, "Nothing: automation of installation is a property of the device and "
	                     "its update client.");
	return MCR_EXPORT_NOT_COVERED;
}

static enum mcr_export_status ssm2(const struct mcr_export_model *m, const struct stats *s,
                                   struct mcr_buf *out)
{
	(void)m;
	mcr_buf_add_str(out, "Fingerprints of the keys that signed releases (SHA-256 of the public "
	                     "key bytes, as imgtool getpubhash prints and MCUboot's key hash "
	                     "holds): ");
	join(out, s->fingerprints, s->fingerprint_count);
	mcr_buf_add_str(out, ".");
	return s->fingerprint_count ? MCR_EXPORT_PARTIAL : MCR_EXPORT_NOT_COVERED;
}

static enum mcr_export_status cck1(const struct mcr_export_model *m, const struct stats *s,
                                   struct mcr_buf *out)
{
	(void)m;
	if (s->min_strength)
		mcr_buf_addf(out,
		             "The signing keys are manufacturer-side keys, not keys on the "
		             "equipment; for reference, the weakest one used in the period has "
		             "%u-bit security strength.",
		             s->min_strength);
	else
		mcr_buf_add_str(out, "The signing keys are manufacturer-side keys, not keys on the "
		                     "equipment.");
	return MCR_EXPORT_NOT_COVERED;
}

static enum mcr_export_status cck2(const struct mcr_export_model *m, const struct stats *s,
                                   struct mcr_buf *out)
{
	(void)m;
	mcr_buf_add_str(out, "Signers whose token reported the signing key as generated on the "
	                     "token: ");
	join(out, s->generated_on_token, s->generated_count);
	mcr_buf_add_str(out, ". This concerns the manufacturer's signing key, not keys on the "
	                     "equipment.");
	return s->generated_count ? MCR_EXPORT_PARTIAL : MCR_EXPORT_NOT_COVERED;
}

static enum mcr_export_status cck3(const struct mcr_export_model *m, const struct stats *s,
                                   struct mcr_buf *out)
{
	(void)m;
	(void)s;
	mcr_buf_add_str(out, "Nothing: mcurelease does not provision devices.");
	return MCR_EXPORT_NOT_COVERED;
}

static enum mcr_export_status cry1(const struct mcr_export_model *m, const struct stats *s,
                                   struct mcr_buf *out)
{
	mcr_buf_add_str(out, "Signature algorithms used: ");
	join(out, s->key_types, s->key_type_count);
	mcr_buf_add_str(out, "; image digests: ");
	join(out, s->digest_algs, s->digest_alg_count);
	if (s->min_strength)
		mcr_buf_addf(out, "; weakest key %u-bit", s->min_strength);
	if (m->min_strength_bits)
		mcr_buf_addf(out, "; policy refuses keys under %u bits", m->min_strength_bits);
	mcr_buf_add_str(out, ".");
	if (s->min_strength && s->min_strength < 112)
		return MCR_EXPORT_ATTENTION;
	return s->releases ? MCR_EXPORT_EVIDENCED : MCR_EXPORT_PARTIAL;
}

static enum mcr_export_status gec1(const struct mcr_export_model *m, const struct stats *s,
                                   struct mcr_buf *out)
{
	(void)m;
	mcr_buf_addf(out,
	             "Each of the %zu releases names its tag, commit and builders: the exact "
	             "source an SBOM and a vulnerability scan must be made from. No SBOM or "
	             "vulnerability status is recorded by mcurelease.",
	             s->releases);
	return MCR_EXPORT_NOT_COVERED;
}

static enum mcr_export_status gec8(const struct mcr_export_model *m, const struct stats *s,
                                   struct mcr_buf *out)
{
	(void)m;
	mcr_buf_add_str(out, "Images are signed for MCUboot's verification at boot; the keys that "
	                     "signed them: ");
	join(out, s->fingerprints, s->fingerprint_count);
	mcr_buf_add_str(out, ".");
	return s->releases ? MCR_EXPORT_PARTIAL : MCR_EXPORT_NOT_COVERED;
}

static enum mcr_export_status cra_part1(const struct mcr_export_model *m, const struct stats *s,
                                        struct mcr_buf *out)
{
	mcr_buf_addf(out,
	             "%zu signed releases; %zu refused and %zu failed requests recorded with "
	             "their reasons; chain verdict %s.",
	             s->releases, m->refusal_count, m->failure_count,
	             s->is_chain_valid ? "VALID" : "INVALID");
	return s->is_chain_valid ? MCR_EXPORT_PARTIAL : MCR_EXPORT_ATTENTION;
}

static enum mcr_export_status cra_part2(const struct mcr_export_model *m, const struct stats *s,
                                        struct mcr_buf *out)
{
	mcr_buf_addf(out,
	             "Signing side of distribution: %zu releases, each bound to a verified "
	             "tag and agreeing build records; %zu key%s in the inventory.",
	             s->releases, m->key_count, m->key_count == 1 ? "" : "s");
	return s->releases ? MCR_EXPORT_PARTIAL : MCR_EXPORT_NOT_COVERED;
}

static enum mcr_export_status cra_annex7(const struct mcr_export_model *m, const struct stats *s,
                                         struct mcr_buf *out)
{
	(void)s;
	mcr_buf_addf(out,
	             "This report: key inventory and custody (%zu keys), tag and builder "
	             "trust, release register, refusals and failures, chain verdict.",
	             m->key_count);
	return MCR_EXPORT_PARTIAL;
}

static enum mcr_export_status retention(const struct mcr_export_model *m, const struct stats *s,
                                        struct mcr_buf *out)
{
	(void)s;
	if (m->event_count)
		mcr_buf_addf(out, "Events from %s to %s (seq %lld to %lld). ",
		             m->events[0].time ? m->events[0].time : "?",
		             m->events[m->event_count - 1].time ? m->events[m->event_count - 1].time
		                                                : "?",
		             m->first_seq, m->last_seq);
	mcr_buf_add_str(out, "The bundle format verifies offline with sha256sum and openssl.");
	return MCR_EXPORT_PARTIAL;
}

struct requirement {
	const char *id;
	const char *title;
	const char *asks;
	const char *info;
	const char *evidence;
	const char *manufacturer;
	observe_fn observe;
};

/*
 * The rows. "info" lists the Required Information identifiers of the public
 * template (zealience/IoT-Cybersecurity-Compliance, CC BY-SA 4.0) or the CRA
 * provision; check them against a licensed copy of EN 18031 before quoting.
 */
static const struct requirement requirements[] = {
        {"EN 18031 SUM-1", "Updatability",
         "Every part of the software that affects security assets can be updated by at least one "
         "update mechanism, or a documented reason says why not (functional safety, immutable "
         "code, other protection).",
         "E.Info.SUM-1.PartOfSoftw, .FuncSaftyImp, .Immutable, .AltMeasures, .SUM",
         "Which images were released through the signed pipeline, with version, tag and commit "
         "per release (release register).",
         "The full list of software parts on the device (bootloader, network core, modem "
         "firmware, ...) and the justification for any part that cannot be updated.",
         sum1},
        {"EN 18031 SUM-2", "Secure updates (digital signature)",
         "The update mechanism installs software only if its integrity and authenticity hold at "
         "installation time; here through a digital signature.",
         "E.Info.SUM-2.SUM.Sign (implementation category IC.SUM-2.AuthIntVal.Sign)",
         "Signature scheme and key per release; how the signing key is kept (key inventory and "
         "custody statements); that every signature was requested, gated on a verified tag and "
         "agreeing builds, and recorded before and after signing; a hash-chained, checkpointed "
         "log showing that nothing else was signed through mcurelease.",
         "Evidence from the device side: where MCUboot verifies (slot, mode), and test reports "
         "showing that unsigned, modified and wrongly signed images are refused. Also that no "
         "signing path bypasses mcurelease (compare the HSM's or KMS's own audit trail).",
         sum2},
        {"EN 18031 SUM-3", "Automated updates",
         "Updates can be installed without manual intervention at the device, or on a schedule "
         "or trigger under the user's control.",
         "E.Info.SUM-3.SUM.Automation", "Nothing; out of scope of a signing service.",
         "The OTA client's behaviour and configuration.", sum3},
        {"EN 18031 SSM-2", "Integrity of stored security assets",
         "Persistently stored security assets, such as the public key the bootloader verifies "
         "updates with, are protected against modification.",
         "E.Info.SSM-2.SSM.* (digital signature, access control, one-time programmable, "
         "hardware protection, generic)",
         "The fingerprint of every key that signed a release, to compare with the key (or key "
         "hash) built into each bootloader.",
         "How the verification key is stored on the device (OTP, key management unit, "
         "write-protected flash) and that each bootloader build embeds the fingerprint listed "
         "here.",
         ssm2},
        {"EN 18031 CCK-1", "Strength of confidential keys",
         "Confidential cryptographic keys on the equipment have at least 112-bit security "
         "strength, unless a deviation is justified.",
         "E.Info.CCK-1.CCK.SecurityStrength, .Deviation",
         "Nothing for keys on the equipment. The strengths of the manufacturer's signing keys "
         "are listed under CRY-1.",
         "Every confidential key on the device (e.g. an MCUboot image-encryption key) and its "
         "strength.",
         cck1},
        {"EN 18031 CCK-2", "Generation of confidential keys",
         "Confidential keys are generated with best-practice methods (random source, generator, "
         "implementation).",
         "E.Info.CCK-2.Generation.*",
         "For the signing key only: whether the PKCS#11 token reported generating it itself "
         "(CKA_LOCAL) and that it can never leave (CKA_NEVER_EXTRACTABLE).",
         "How device keys are generated and provisioned; the HSM's or KMS's certification "
         "(FIPS 140-3 level, Common Criteria) for the signing key.",
         cck2},
        {"EN 18031 CCK-3", "Uniqueness of preinstalled keys",
         "Preinstalled confidential keys are practically unique per device, unless a documented "
         "condition applies.",
         "E.Info.CCK-3.CCK.*", "Nothing.",
         "A justification if one image-decryption key is built into every bootloader (MCUboot "
         "encrypted images), or a per-device provisioning record.",
         cck3},
        {"EN 18031 CRY-1", "Best-practice cryptography",
         "Cryptography protecting assets follows best practice, or a deviation is justified.",
         "E.Info.CRY-1.Assets.Cryptography, .Deviation",
         "Per release: signature algorithm, key type and strength, image digest algorithm; the "
         "policy's minimum strength and allowed algorithms.",
         "The reference the choice is judged against (e.g. SOG-IS/ECCG agreed mechanisms, BSI "
         "TR-02102, NIST SP 800-57) and the rationale for any deviation.",
         cry1},
        {"EN 18031 GEC-1", "No known exploitable vulnerabilities",
         "Software and hardware ship without publicly known exploitable vulnerabilities; found "
         "ones are fixed, shown not exploitable, mitigated or accepted.",
         "E.Info.GEC-1.SoftwareDocumentation, .HardwareDocumentation, .ListOfVulnerabilities.*",
         "The exact source (tag, commit) and builders of each release.",
         "An SBOM per release and the vulnerability status at release time (e.g. VEX), with the "
         "decisions taken.",
         gec1},
        {"EN 18031-3 GEC-8", "Secure boot with a hardware root of trust",
         "Software handling security or financial assets is verified cryptographically at boot "
         "from a hardware root of trust that cannot be changed, or only with authorisation. "
         "Part 3 only.",
         "E.Info.GEC-8.BootProcess.TrustAnchor, .SecMech, .Modes",
         "The signing keys' fingerprints: the trust anchor MCUboot checks images against.",
         "The immutable first stage (boot ROM, key management unit, OTP key hash) and the boot "
         "modes.",
         gec8},
        {"CRA Annex I Part I", "Security updates and integrity",
         "Vulnerabilities can be addressed through security updates; programs are protected "
         "against unauthorised modification; security-relevant activity is recorded.",
         "Regulation (EU) 2024/2847, Annex I Part I",
         "The release register, the signatures and their chain of custody; every signing "
         "request, refusal and failure in a tamper-evident log.",
         "Update delivery to devices, user notification and opt-out; integrity protection and "
         "monitoring on the device itself.",
         cra_part1},
        {"CRA Annex I Part II", "Vulnerability handling: secure distribution of updates",
         "Mechanisms to distribute updates securely (point 7); an SBOM covering at least the "
         "top-level dependencies (point 1).",
         "Regulation (EU) 2024/2847, Annex I Part II (1), (7)",
         "The signing side of distribution: each release bound to a verified tag, reproducible "
         "builds and a vaulted key.",
         "The delivery infrastructure (OTA server, CDN, channel security) and the SBOM.",
         cra_part2},
        {"CRA Annex VII", "Technical documentation",
         "The technical documentation describes, among other things, the technical solutions "
         "chosen for distributing security updates securely.",
         "Regulation (EU) 2024/2847, Annex VII",
         "A description of the signing side generated from the configuration in force (keys, "
         "custody, tag and builder trust, policy) with its records.",
         "The rest of the technical file: design, risk assessment, support period, standards "
         "applied, test reports, EU declaration of conformity.",
         cra_annex7},
        {"CRA Art. 13 / RED Art. 10", "Keeping the documentation",
         "Technical documentation is kept for at least 10 years after the product is placed on "
         "the market (CRA: or the support period, if longer).",
         "Regulation (EU) 2024/2847 Art. 13; Directive 2014/53/EU Art. 10",
         "A bundle that verifies offline with standard tools (sha256sum, openssl): nothing "
         "depends on mcurelease or a service staying available.",
         "Archiving the bundles and the log (and its published checkpoints) for the period, and "
         "keeping the log's public key with them.",
         retention},
};

static const char *const caveats[] = {
        "EN 18031-1/-2/-3:2024 is a paywalled CEN/CENELEC standard. The requirement identifiers "
        "and E.Info names here come from public secondary sources (a CC BY-SA technical "
        "documentation template and published summaries), and the requirement texts are "
        "paraphrases. Check them against a licensed copy before relying on them.",
        "EN 18031 does not itself require a manufacturer-side signing log. This log is evidence "
        "for claims made under SUM-2 and CRY-1 (that only authentic software installs depends "
        "on the signing key staying secret and being used only through a controlled process) "
        "and for CRA processes; it is not a requirement of its own.",
        "mcurelease sees the signing side only. Verification on the device at installation and "
        "boot, anti-rollback, and key storage on the device must be evidenced by the "
        "manufacturer's own documents and tests.",
        "The log shows what was signed through mcurelease. A key that can also be used by other "
        "means must be reconciled with its HSM's or KMS's own audit trail.",
};

int mcr_en18031_assess(struct mcr_export_model *model)
{
	const size_t count = sizeof(requirements) / sizeof(requirements[0]);
	struct mcr_buf text = MCR_BUF_INIT;
	struct stats s;

	gather(model, &s);
	if (!(model->requirements = calloc(count, sizeof(*model->requirements))))
		return mcr_error(MCR_ESYS, "out of memory");
	for (size_t i = 0; i < count; i++) {
		const struct requirement *q = &requirements[i];
		struct mcr_export_requirement *r = &model->requirements[i];

		mcr_buf_truncate(&text, 0);
		*r = (struct mcr_export_requirement){
		        q->id,       q->title, q->asks,         q->info,
		        q->evidence, NULL,     q->manufacturer, q->observe(model, &s, &text)};
		r->observed = mcr_export_strdup(model, text.data ? (char *)text.data : "");
		if (!r->observed) {
			mcr_buf_release(&text);
			return mcr_error(MCR_ESYS, "out of memory");
		}
		model->requirement_count++;
	}
	mcr_buf_release(&text);
	return 0;
}

const char *const *mcr_en18031_caveats(size_t *count)
{
	*count = sizeof(caveats) / sizeof(caveats[0]);
	return caveats;
}
