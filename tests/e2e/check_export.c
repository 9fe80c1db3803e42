/* End-to-end: 'mcurelease audit export' in each format, read back by real tools: a JSON Schema
 * validator, headless Chromium (screenshot and DOM), pdftotext. */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "exportfix.h"
#include "testutil.h"

#define HOSTILE_TAG "v1.0.0<script>document.title='pwned'</script>"

/* Chromium as the machine's docs say to run it headless as root, with a fresh profile. */
#define CHROMIUM                                                                                   \
	"chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "            \
	"--disable-background-networking --disable-component-update --disable-sync "               \
	"--user-data-dir=\"$PWD/chromium-profile\" "

static void fresh(int releases, bool checkpoint, const char *first_tag)
{
	ck_assert_int_eq(chdir(mcr_test_tmpdir()), 0);
	mcr_exportfix_workspace();
	mcr_exportfix_history(releases, checkpoint, first_tag);
}

static cJSON *read_json(const char *path)
{
	struct mcr_buf text = MCR_BUF_INIT;
	cJSON *doc;

	mcr_test_read(&text, path);
	doc = cJSON_Parse((char *)text.data);
	ck_assert_msg(doc != NULL, "%s is not JSON", path);
	mcr_buf_release(&text);
	return doc;
}

static const char *text_of(const cJSON *obj, const char *key)
{
	const cJSON *item = cJSON_GetObjectItem(obj, key);

	ck_assert_msg(cJSON_IsString(item), "no string '%s'", key);
	return item->valuestring;
}

START_TEST(test_e2e_export_json_follows_schema)
{
	const cJSON *releases, *keys, *release_key = NULL, *item;
	char *why = NULL;
	cJSON *doc;

	fresh(3, true, NULL);
	mcr_exportfix_export("json", "export.json");
	ck_assert_msg(mcr_test_schema_valid("audit-export.schema.json", "export.json", &why), "%s",
	              why);
	doc = read_json("export.json");
	ck_assert_str_eq(text_of(doc, "product"), "acme-sensor");
	releases = cJSON_GetObjectItem(doc, "releases");
	ck_assert_int_eq(cJSON_GetArraySize(releases), 4);
	ck_assert_str_eq(text_of(cJSON_GetArrayItem(releases, 0), "tag"), "v1.0.0");
	ck_assert_str_eq(text_of(cJSON_GetArrayItem(releases, 0), "version"), "1.0.0");
	ck_assert_int_eq(cJSON_GetArraySize(
	                         cJSON_GetObjectItem(cJSON_GetArrayItem(releases, 0), "builders")),
	                 2);
	ck_assert_str_eq(text_of(cJSON_GetObjectItem(doc, "chain"), "verdict"), "valid");
	ck_assert(cJSON_IsObject(cJSON_GetObjectItem(doc, "checkpoint")));
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "refusals")), 1);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "failures")), 1);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "pending")), 1);
	keys = cJSON_GetObjectItem(doc, "keys");
	cJSON_ArrayForEach(item, keys)
	{
		if (!strcmp(text_of(item, "name"), "release"))
			release_key = item;
	}
	ck_assert_ptr_nonnull(release_key);
	ck_assert_str_eq(text_of(release_key, "fingerprint"), mcr_exportfix_release_fingerprint());
	ck_assert_int_eq(cJSON_GetObjectItem(release_key, "signatures")->valueint, 4);
	ck_assert_ptr_nonnull(strstr(text_of(release_key, "statement"), "Vault"));
	/* no secret: the token is named by where it comes from */
	ck_assert_str_eq(text_of(cJSON_GetObjectItem(release_key, "facts"), "token from"),
	                 "environment variable VAULT_TOKEN");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "requirements")), 14);
	cJSON_Delete(doc);
}
END_TEST

START_TEST(test_e2e_export_csv_one_row_per_event)
{
	struct mcr_buf csv = MCR_BUF_INIT;
	size_t rows = 0;

	fresh(2, false, NULL);
	mcr_exportfix_export("csv", "events.csv");
	mcr_test_read(&csv, "events.csv");
	for (const char *p = (char *)csv.data; (p = strstr(p, "\r\n")); p += 2)
		rows++;
	/* 2 releases, a refusal, a failed request (2), a release and a pending request: 10 */
	ck_assert_int_eq(rows, 1 + 10);
	ck_assert(!strncmp((char *)csv.data, "seq,time,kind,actor,tag,", 24));
	ck_assert_ptr_nonnull(strstr((char *)csv.data, ",sign.refused,ci-job-42@runner-1,v1.0.1,"));
	ck_assert_ptr_nonnull(strstr((char *)csv.data, ",tag.untrusted_key,"));
	mcr_buf_release(&csv);
}
END_TEST

/*
 * Decodes the PNG (zlib, PNG filters) and says how many pixels differ from
 * the top-left one and how many colours there are: a blank page has none.
 */
static const char png_script[] =
        "import struct, sys, zlib\n"
        "data = open(sys.argv[1], 'rb').read()\n"
        "assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n'\n"
        "pos, idat = 8, b''\n"
        "while pos < len(data):\n"
        "    n, kind = struct.unpack('>I4s', data[pos:pos + 8])\n"
        "    body = data[pos + 8:pos + 8 + n]\n"
        "    if kind == b'IHDR': w, h, depth, ctype = struct.unpack('>IIBB', body[:10])\n"
        "    if kind == b'IDAT': idat += body\n"
        "    pos += 12 + n\n"
        "bpp = {2: 3, 6: 4}[ctype]\n"
        "raw, stride, prev, rows = zlib.decompress(idat), w * bpp, bytearray(w * bpp), []\n"
        "for y in range(h):\n"
        "    f = raw[y * (stride + 1)]\n"
        "    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])\n"
        "    for i in range(stride):\n"
        "        a = line[i - bpp] if i >= bpp else 0\n"
        "        b, c = prev[i], prev[i - bpp] if i >= bpp else 0\n"
        "        p = a + b - c\n"
        "        pr = a if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c) else (b if abs(p "
        "- b) <= abs(p - c) else c)\n"
        "        line[i] = (line[i] + [0, a, b, (a + b) // 2, pr][f]) & 255\n"
        "    rows.append(bytes(line)); prev = line\n"
        "bg = rows[0][:3]\n"
        "px = [r[i:i + 3] for r in rows for i in range(0, stride, bpp)]\n"
        "print(sum(1 for p in px if p != bg), len(set(px)))\n";

static const char text_script[] =
        "import html.parser, sys\n"
        "class P(html.parser.HTMLParser):\n"
        "    def __init__(self):\n"
        "        super().__init__(); self.text, self.scripts, self.skip = [], 0, False\n"
        "    def handle_starttag(self, tag, attrs):\n"
        "        self.scripts += tag == 'script'; self.skip = tag in ('style', 'title')\n"
        "    def handle_endtag(self, tag): self.skip = False\n"
        "    def handle_data(self, d):\n"
        "        if not self.skip: self.text.append(d)\n"
        "p = P(); p.feed(open(sys.argv[1]).read())\n"
        "print('scripts=%d' % p.scripts); print(' '.join(' '.join(p.text).split()))\n";

START_TEST(test_e2e_export_html_in_chromium)
{
	struct mcr_test_result r;
	long changed = 0, colours = 0;
	const char *text;

	fresh(3, true, HOSTILE_TAG);
	mcr_exportfix_export("html", "report.html");
	mcr_test_sh_ok(CHROMIUM "--window-size=1280,1600 --screenshot=\"$PWD/shot.png\" "
	                        "\"file://$PWD/report.html\" >/dev/null 2>&1");
	mcr_test_sh_ok(CHROMIUM "--dump-dom \"file://$PWD/report.html\" > dom.html 2>/dev/null");
	mcr_test_exec(&r, (const char *[]){"/usr/bin/python3", "-c", png_script, "shot.png", NULL},
	              NULL);
	ck_assert_msg(r.status == 0, "%s", (char *)r.err.data);
	ck_assert_int_eq(sscanf((char *)r.out.data, "%ld %ld", &changed, &colours), 2);
	ck_assert_msg(changed > 20000 && colours > 8, "blank screenshot: %ld pixels, %ld colours",
	              changed, colours);
	mcr_test_result_release(&r);
	/* the page as Chromium parsed it: the hostile tag is text, the release rows are there */
	mcr_test_exec(&r, (const char *[]){"/usr/bin/python3", "-c", text_script, "dom.html", NULL},
	              NULL);
	ck_assert_msg(r.status == 0, "%s", (char *)r.err.data);
	text = (char *)r.out.data;
	ck_assert_msg(!strncmp(text, "scripts=0\n", 10), "%.40s", text);
	ck_assert_ptr_nonnull(strstr(text, "Firmware signing evidence: acme-sensor"));
	ck_assert_ptr_nonnull(strstr(text, "Release register"));
	ck_assert_ptr_nonnull(strstr(text, HOSTILE_TAG));
	ck_assert_ptr_nonnull(strstr(text, "1.1.0 v1.1.0"));
	ck_assert_ptr_nonnull(strstr(text, "2.0.0 v2.0.0"));
	ck_assert_ptr_nonnull(strstr(text, mcr_exportfix_release_fingerprint()));
	ck_assert_ptr_nonnull(strstr(text, "Audit log chain: VALID"));
	mcr_test_result_release(&r);
}
END_TEST

START_TEST(test_e2e_export_pdf_text)
{
	struct mcr_test_result r;
	const char *text;

	fresh(3, true, NULL);
	mcr_exportfix_export("pdf", "report.pdf");
	mcr_test_sh(&r, "pdftotext -layout report.pdf - && pdfinfo report.pdf");
	ck_assert_msg(r.status == 0, "%s", (char *)r.err.data);
	text = (char *)r.out.data;
	ck_assert_ptr_nonnull(strstr(text, "Firmware signing evidence: acme-sensor"));
	ck_assert_ptr_nonnull(strstr(text, "Audit log chain: VALID"));
	ck_assert_ptr_nonnull(strstr(text, "Release register"));
	ck_assert_ptr_nonnull(strstr(text, "v1.0.0"));
	ck_assert_ptr_nonnull(strstr(text, "v2.0.0"));
	ck_assert_ptr_nonnull(strstr(text, "tag.untrusted_key"));
	/* table cells wrap: look for the identifiers, not whole sentences */
	ck_assert_ptr_nonnull(strstr(text, "Requirements and evidence"));
	ck_assert_ptr_nonnull(strstr(text, "SUM-2"));
	ck_assert_ptr_nonnull(strstr(text, "GEC-8"));
	ck_assert_ptr_nonnull(strstr(text, "Annex VII"));
	ck_assert_ptr_nonnull(strstr(text, "manufacturer-side signing log"));
	ck_assert_ptr_nonnull(strstr(text, "Page size:"));
	ck_assert_ptr_nonnull(strstr(text, "A4"));
	mcr_test_result_release(&r);
}
END_TEST

START_TEST(test_e2e_export_without_chromium)
{
	struct mcr_test_result r;

	fresh(1, false, NULL);
	setenv("PATH", "/nonexistent", 1);
	mcr_test_mcr(&r, NULL, "audit", "export", "--config", "mcurelease.json", "--format", "pdf",
	             "-o", "report.pdf", NULL);
	ck_assert_int_eq(r.status, 6);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "mcurelease: chromium not found in PATH"));
	ck_assert(!mcr_test_exists("report.pdf"));
	mcr_test_result_release(&r);
	/* a Chromium that exits 0 without printing (it gives up on huge documents) */
	setenv("MCURELEASE_CHROMIUM", "/bin/true", 1);
	mcr_test_mcr(&r, NULL, "audit", "export", "--config", "mcurelease.json", "--format", "pdf",
	             "-o", "report.pdf", NULL);
	ck_assert_int_eq(r.status, 6);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "chromium printed no PDF"));
	ck_assert(!mcr_test_exists("report.pdf"));
	mcr_test_result_release(&r);
}
END_TEST

START_TEST(test_e2e_export_refusals)
{
	struct mcr_test_result r;

	fresh(1, false, NULL);
	mcr_test_mcr(&r, NULL, "audit", "export", "--config", "mcurelease.json", "-o", "x", NULL);
	ck_assert_int_eq(r.status, 2);
	mcr_test_result_release(&r);
	mcr_test_mcr(&r, NULL, "audit", "export", "--config", "mcurelease.json", "--format", "xml",
	             "-o", "x", NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "unknown export format 'xml'"));
	mcr_test_result_release(&r);
	mcr_test_mcr(&r, NULL, "audit", "export", "--db", "missing.db", "--format", "json", "-o",
	             "x", NULL);
	ck_assert_int_eq(r.status, 5);
	mcr_test_result_release(&r);
	ck_assert(!mcr_test_exists("x"));
}
END_TEST

/* A log someone edited is exported all the same, and says so. */
START_TEST(test_e2e_export_records_invalid_chain)
{
	struct mcr_test_result r;
	cJSON *doc;

	fresh(2, false, NULL);
	mcr_test_sh_ok("sqlite3 audit.db \"DROP TRIGGER IF EXISTS events_no_update; UPDATE events "
	               "SET body = replace(body, 'v1.1.0', 'v6.6.6') WHERE seq = 5;\"");
	mcr_test_mcr(&r, NULL, "audit", "export", "--config", "mcurelease.json", "--format", "json",
	             "-o", "export.json", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr((char *)r.err.data, "does not verify"));
	mcr_test_result_release(&r);
	doc = read_json("export.json");
	ck_assert_str_eq(text_of(cJSON_GetObjectItem(doc, "chain"), "verdict"), "invalid");
	ck_assert_int_eq(
	        cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "chain"), "first_bad_seq")->valueint,
	        5);
	cJSON_Delete(doc);
}
END_TEST

START_TEST(test_e2e_export_period)
{
	struct mcr_test_result r;
	cJSON *doc;

	fresh(2, false, NULL);
	mcr_test_mcr(&r, NULL, "audit", "export", "--config", "mcurelease.json", "--format", "json",
	             "--since", "2999-01-01", "-o", "future.json", NULL);
	ck_assert_int_eq(r.status, 0);
	mcr_test_result_release(&r);
	doc = read_json("future.json");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "releases")), 0);
	ck_assert_str_eq(text_of(cJSON_GetObjectItem(doc, "period"), "since"), "2999-01-01");
	cJSON_Delete(doc);
}
END_TEST

static Suite *export_suite(void)
{
	Suite *s = suite_create("e2e_export");
	TCase *tc = tcase_create("formats");

	tcase_add_test(tc, test_e2e_export_json_follows_schema);
	tcase_add_test(tc, test_e2e_export_csv_one_row_per_event);
	tcase_add_test(tc, test_e2e_export_html_in_chromium);
	tcase_add_test(tc, test_e2e_export_pdf_text);
	suite_add_tcase(s, tc);
	tc = tcase_create("refusals");
	tcase_add_test(tc, test_e2e_export_without_chromium);
	tcase_add_test(tc, test_e2e_export_refusals);
	tcase_add_test(tc, test_e2e_export_records_invalid_chain);
	tcase_add_test(tc, test_e2e_export_period);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mcr_test_main(export_suite());
}
