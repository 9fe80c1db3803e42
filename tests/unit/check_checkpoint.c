/* Unit tests: C2SP signed-note checkpoints: text, key IDs, signatures, parsing, publication. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "buf.h"
#include "checkpoint.h"
#include "error.h"
#include "hash.h"
#include "key.h"
#include "signer.h"
#include "testutil.h"

#define ORIGIN "acme/mcurelease/acme"

static const unsigned char root[32] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3};

/* A key made by openssl itself, in a fresh directory (the current one from now on). */
static struct mcr_signer *signer_for(const char *algorithm_args)
{
	struct mcr_signer *signer;

	ck_assert_int_eq(chdir(mcr_test_tmpdir()), 0);
	mcr_test_sh_ok("openssl genpkey %s -out key.pem 2>/dev/null", algorithm_args);
	ck_assert_int_eq(mcr_signer_open_pem(&signer, "key.pem"), 0);
	return signer;
}

static void sign_note(struct mcr_signer *signer, struct mcr_buf *note, struct mcr_checkpoint *cp)
{
	ck_assert_int_eq(mcr_checkpoint_sign(signer, ORIGIN, 1234, root, note), 0);
	ck_assert_int_eq(mcr_checkpoint_parse(cp, (char *)note->data, note->len, "note"), 0);
}

START_TEST(test_checkpoint_ed25519_round_trip)
{
	struct mcr_signer *signer = signer_for("-algorithm ed25519");
	struct mcr_buf note = MCR_BUF_INIT;
	struct mcr_checkpoint cp;

	sign_note(signer, &note, &cp);
	/* the text, a blank line, one signature line by the origin's key */
	ck_assert_int_eq(strncmp((char *)note.data,
	                         ORIGIN "\n1234\n3q2+7wECAwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n"
	                                "\xe2\x80\x94 " ORIGIN " ",
	                         strlen(ORIGIN) * 2 + 57),
	                 0);
	ck_assert_str_eq(cp.origin, ORIGIN);
	ck_assert_int_eq(cp.size, 1234);
	ck_assert_mem_eq(cp.root, root, 32);
	ck_assert_uint_eq(cp.sig_count, 1);
	ck_assert_int_eq(mcr_checkpoint_verify(&cp, mcr_signer_key(signer), ORIGIN, "note"), 0);
	ck_assert_int_eq(mcr_checkpoint_verify(&cp, mcr_signer_key(signer), NULL, "note"), 0);
	ck_assert_int_eq(mcr_checkpoint_verify(&cp, mcr_signer_key(signer), "other/log", "note"),
	                 MCR_EREFUSED);
	ck_assert_str_eq(mcr_error_reason(), "audit.bad_checkpoint");
	mcr_checkpoint_release(&cp);
	mcr_buf_release(&note);
	mcr_signer_free(signer);
}
END_TEST

/* The key ID of c2sp.org/signed-note, recomputed by hand from the raw public key. */
START_TEST(test_checkpoint_ed25519_key_id)
{
	struct mcr_signer *signer = signer_for("-algorithm ed25519");
	struct mcr_buf spki = MCR_BUF_INIT, input = MCR_BUF_INIT;
	unsigned char digest[32];
	uint32_t id;

	ck_assert_int_eq(mcr_key_public_bytes(mcr_signer_key(signer), &spki), 0);
	ck_assert_uint_eq(spki.len, 44);
	mcr_buf_add_str(&input, ORIGIN "\n");
	mcr_buf_add_u8(&input, 0x01);
	mcr_buf_add(&input, spki.data + 12, 32);
	ck_assert_int_eq(mcr_hash_buffer(MCR_HASH_SHA256, input.data, input.len, digest), 0);
	ck_assert_int_eq(mcr_checkpoint_key_id(mcr_signer_key(signer), ORIGIN, &id), 0);
	ck_assert_uint_eq(id, (uint32_t)digest[0] << 24 | (uint32_t)digest[1] << 16 |
	                              (uint32_t)digest[2] << 8 | digest[3]);
	mcr_buf_release(&spki);
	mcr_buf_release(&input);
	mcr_signer_free(signer);
}
END_TEST

START_TEST(test_checkpoint_p256_round_trip)
{
	struct mcr_signer *signer = signer_for("-algorithm EC -pkeyopt ec_paramgen_curve:P-256");
	struct mcr_buf note = MCR_BUF_INIT;
	struct mcr_checkpoint cp;

	sign_note(signer, &note, &cp);
	ck_assert_int_eq(mcr_checkpoint_verify(&cp, mcr_signer_key(signer), ORIGIN, "note"), 0);
	/* openssl agrees: DER ECDSA over SHA-256 of the text, after the 4-byte key ID */
	mcr_test_write("text", cp.text, strlen(cp.text));
	mcr_test_write("note.txt", note.data, note.len);
	mcr_test_sh_ok("tail -n1 note.txt | cut -d' ' -f3 | base64 -d | tail -c +5 > sig.der && "
	               "openssl pkey -in key.pem -pubout -out pub.pem && "
	               "openssl dgst -sha256 -verify pub.pem -signature sig.der text >/dev/null");
	mcr_checkpoint_release(&cp);
	mcr_buf_release(&note);
	mcr_signer_free(signer);
}
END_TEST

START_TEST(test_checkpoint_refuses_unsupported_keys)
{
	struct mcr_signer *signer = signer_for("-algorithm RSA -pkeyopt rsa_keygen_bits:2048");
	struct mcr_buf note = MCR_BUF_INIT;

	ck_assert_int_eq(mcr_checkpoint_sign(signer, ORIGIN, 1, root, &note), MCR_EINPUT);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "cannot sign checkpoints"));
	ck_assert_uint_eq(note.len, 0);
	mcr_signer_free(signer);
}
END_TEST

START_TEST(test_checkpoint_foreign_and_forged_signatures)
{
	struct mcr_signer *signer = signer_for("-algorithm ed25519");
	struct mcr_signer *other;
	struct mcr_buf note = MCR_BUF_INIT, theirs = MCR_BUF_INIT, both = MCR_BUF_INIT;
	struct mcr_checkpoint cp;
	char *line;

	mcr_test_sh_ok("openssl genpkey -algorithm ed25519 -out other.pem 2>/dev/null");
	ck_assert_int_eq(mcr_signer_open_pem(&other, "other.pem"), 0);
	ck_assert_int_eq(mcr_checkpoint_sign(signer, ORIGIN, 1234, root, &note), 0);
	ck_assert_int_eq(mcr_checkpoint_sign(other, ORIGIN, 1234, root, &theirs), 0);
	/* a cosignature by an unknown key is ignored, as signed-note requires */
	mcr_buf_add(&both, note.data, note.len);
	line = strstr((char *)theirs.data, "\n\n") + 2;
	mcr_buf_add_str(&both, line);
	ck_assert_int_eq(mcr_checkpoint_parse(&cp, (char *)both.data, both.len, "both"), 0);
	ck_assert_uint_eq(cp.sig_count, 2);
	ck_assert_int_eq(mcr_checkpoint_verify(&cp, mcr_signer_key(signer), ORIGIN, "both"), 0);
	mcr_checkpoint_release(&cp);
	/* but a note only the other key signed is refused */
	ck_assert_int_eq(mcr_checkpoint_parse(&cp, (char *)theirs.data, theirs.len, "theirs"), 0);
	ck_assert_int_eq(mcr_checkpoint_verify(&cp, mcr_signer_key(signer), ORIGIN, "theirs"),
	                 MCR_EREFUSED);
	ck_assert_str_eq(mcr_error_reason(), "audit.bad_checkpoint_signature");
	mcr_checkpoint_release(&cp);
	/* and a changed text under our signature */
	note.data[strlen(ORIGIN) + 1] = '9';
	ck_assert_int_eq(mcr_checkpoint_parse(&cp, (char *)note.data, note.len, "edited"), 0);
	ck_assert_int_eq(mcr_checkpoint_verify(&cp, mcr_signer_key(signer), ORIGIN, "edited"),
	                 MCR_EREFUSED);
	ck_assert_ptr_nonnull(strstr(mcr_error_message(), "does not verify"));
	mcr_checkpoint_release(&cp);
	mcr_buf_release(&note);
	mcr_buf_release(&theirs);
	mcr_buf_release(&both);
	mcr_signer_free(signer);
	mcr_signer_free(other);
}
END_TEST

START_TEST(test_checkpoint_parse_rejects_malformed_notes)
{
	static const char *const bad[] = {
	        "a/b\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", /* unsigned */
	        "a/b\n05\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\xe2\x80\x94 a/b AAAA\n",
	        "a/b\n-5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\xe2\x80\x94 a/b AAAA\n",
	        "a/b\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2=\n\n\xe2\x80\x94 a/b AAAA\n",
	        "a/b\n5\n\n\xe2\x80\x94 a/b AAAA\n", /* no root */
	        "a/b\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n- a/b AAAA\n",
	        "a\tb\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\xe2\x80\x94 a/b AAAA\n",
	        "a/b\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\xe2\x80\x94 a/b AAAA",
	};
	/* the example of c2sp.org/tlog-checkpoint parses */
	static const char example[] =
	        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/"
	        "Xajj7h2fB2MPA3j2jxq2I=\n"
	        "\n\xe2\x80\x94 example.com/behind-the-sofa "
	        "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeO"
	        "oRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
	struct mcr_checkpoint cp;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(mcr_checkpoint_parse(&cp, bad[i], strlen(bad[i]), "bad") ==
		                      MCR_EINPUT,
		              "note %zu parsed", i);
		ck_assert_ptr_nonnull(strstr(mcr_error_message(), "'bad'"));
	}
	ck_assert_int_eq(mcr_checkpoint_parse(&cp, example, strlen(example), "example"), 0);
	ck_assert_str_eq(cp.origin, "example.com/behind-the-sofa");
	ck_assert_int_eq(cp.size, 20852163);
	ck_assert_uint_eq(cp.root[0], 0x0a);
	mcr_checkpoint_release(&cp);
}
END_TEST

START_TEST(test_checkpoint_origin)
{
	struct mcr_buf origin = MCR_BUF_INIT;

	ck_assert_int_eq(mcr_checkpoint_origin(&origin, "acme-sensor", NULL), 0);
	ck_assert_str_eq((char *)origin.data, "acme-sensor/mcurelease/acme-sensor");
	mcr_buf_release(&origin);
	ck_assert_int_eq(mcr_checkpoint_origin(&origin, "acme", "eu-1"), 0);
	ck_assert_str_eq((char *)origin.data, "acme/mcurelease/eu-1");
	mcr_buf_release(&origin);
	ck_assert_int_eq(mcr_checkpoint_origin(&origin, "acme sensor", NULL), MCR_EINPUT);
	ck_assert_int_eq(mcr_checkpoint_origin(&origin, "acme", "a+b"), MCR_EINPUT);
}
END_TEST

static int count_note(void *ctx, const char *subject, const char *note)
{
	ck_assert_ptr_nonnull(strstr(subject, "refs/mcurelease/checkpoints@"));
	ck_assert_ptr_nonnull(strstr(note, ORIGIN "\n"));
	(*(int *)ctx)++;
	return 0;
}

START_TEST(test_checkpoint_publish_to_file_and_ref)
{
	struct mcr_signer *signer = signer_for("-algorithm ed25519");
	struct mcr_checkpoint_opts opts = {.origin = ORIGIN,
	                                   .actor = "test",
	                                   .file = "cp.txt",
	                                   .repo = "repo",
	                                   .ref = MCR_CHECKPOINT_DEFAULT_REF};
	struct mcr_checkpoint_result result;
	struct mcr_buf published = MCR_BUF_INIT;
	struct mcr_audit *log;
	int notes = 0;

	mcr_test_sh_ok("git init -q repo");
	ck_assert_int_eq(mcr_checkpoint_read_ref("repo", MCR_CHECKPOINT_DEFAULT_REF, true,
	                                         count_note, &notes),
	                 0);
	ck_assert_int_eq(mcr_checkpoint_read_ref("repo", MCR_CHECKPOINT_DEFAULT_REF, false,
	                                         count_note, &notes),
	                 MCR_EINPUT);
	ck_assert_int_eq(mcr_audit_open(&log, "audit.db", true), 0);
	ck_assert_int_eq(mcr_audit_append(log, "sign.completed", "a@b", NULL, NULL), 0);
	ck_assert_int_eq(mcr_checkpoint_create(log, signer, &opts, &result), 0);
	ck_assert_int_eq(result.size, 1);
	ck_assert_int_eq(result.event_seq, 2);
	mcr_test_read(&published, "cp.txt");
	ck_assert_str_eq((char *)published.data, result.note);
	mcr_checkpoint_result_release(&result);
	ck_assert_int_eq(mcr_checkpoint_create(log, signer, &opts, &result), 0);
	ck_assert_int_eq(result.size, 2); /* the first checkpoint's own event is in the second */
	mcr_checkpoint_result_release(&result);
	ck_assert_int_eq(mcr_checkpoint_read_ref("repo", MCR_CHECKPOINT_DEFAULT_REF, false,
	                                         count_note, &notes),
	                 0);
	ck_assert_int_eq(notes, 2);
	mcr_buf_release(&published);
	mcr_audit_free(log);
	mcr_signer_free(signer);
}
END_TEST

START_TEST(test_checkpoint_create_refuses_a_bad_log)
{
	struct mcr_signer *signer = signer_for("-algorithm ed25519");
	struct mcr_checkpoint_opts opts = {.origin = ORIGIN, .actor = "test"};
	struct mcr_checkpoint_result result;
	struct mcr_audit *log;

	ck_assert_int_eq(mcr_audit_open(&log, "audit.db", true), 0);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(mcr_audit_append(log, "sign.completed", "a@b", NULL, NULL), 0);
	mcr_audit_free(log);
	mcr_test_sh_ok("sqlite3 audit.db 'DROP TRIGGER events_no_delete; "
	               "DELETE FROM events WHERE seq = 2'");
	ck_assert_int_eq(mcr_audit_open(&log, "audit.db", false), 0);
	ck_assert_int_eq(mcr_checkpoint_create(log, signer, &opts, &result), MCR_EREFUSED);
	ck_assert_str_eq(mcr_error_reason(), "audit.gap");
	ck_assert_ptr_null(result.note);
	mcr_audit_free(log);
	mcr_signer_free(signer);
}
END_TEST

static Suite *checkpoint_suite(void)
{
	Suite *s = suite_create("checkpoint");
	TCase *note = tcase_create("note");
	TCase *publish = tcase_create("publish");

	tcase_add_test(note, test_checkpoint_ed25519_round_trip);
	tcase_add_test(note, test_checkpoint_ed25519_key_id);
	tcase_add_test(note, test_checkpoint_p256_round_trip);
	tcase_add_test(note, test_checkpoint_refuses_unsupported_keys);
	tcase_add_test(note, test_checkpoint_foreign_and_forged_signatures);
	tcase_add_test(note, test_checkpoint_parse_rejects_malformed_notes);
	tcase_add_test(note, test_checkpoint_origin);
	suite_add_tcase(s, note);
	tcase_add_test(publish, test_checkpoint_publish_to_file_and_ref);
	tcase_add_test(publish, test_checkpoint_create_refuses_a_bad_log);
	suite_add_tcase(s, publish);
	return s;
}

int main(void)
{
	return mcr_test_main(checkpoint_suite());
}
