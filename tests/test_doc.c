/* Tests for render/doc.c: one set of calls gives the exact Markdown and
 * the matching self-contained HTML (escaped text, **bold**, lists closed
 * by the next block, tables with '|' escaped, images as data: URIs), and
 * files appear only when closed: an abandoned or failed document leaves
 * nothing. */
#include "render/doc.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "tests/check_main.h"
#include "tests/tmpdir.h"

static char *slurp(const char *name)
{
	char *path = tmpdir_path(name), *buf;
	FILE *f = fopen(path, "rb");
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = xmalloc((size_t)n + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	free(path);
	return buf;
}

static void write_file(const char *name, const void *data, size_t n)
{
	char *path = tmpdir_path(name);
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
	free(path);
}

static void build(struct doc *d)
{
	static const char *const head[] = { "metric", "lift" };
	static const char *const row1[] = { "a|b", "**+3 %**" };
	static const char *const row2[] = { "x < y & z", "-1" };

	doc_heading(d, 1, "Run %d", 7);
	doc_para(d, "A **significant** result & a \"quote\".");
	doc_item(d, "one");
	doc_item(d, "two <b>");
	doc_heading(d, 2, "Table");
	doc_table(d, 2, "lr", head);
	doc_row(d, row1);
	doc_row(d, row2);
	doc_table_end(d);
	doc_warning(d, "plots skipped");
	doc_item(d, "last");
	doc_pre(d, "[run]\nseed = 1 <x>");
}

START_TEST(markdown_is_exact)
{
	struct error err;
	struct doc *d = doc_open(tmpdir, "r", DOC_MD, "T", &err);
	char *md;

	ck_assert_msg(d != NULL, "%s", err.msg);
	build(d);
	ck_assert_int_eq(doc_close(d, &err), 0);
	md = slurp("r.md");
	ck_assert_str_eq(md, "# Run 7\n\n"
			     "A **significant** result & a \"quote\".\n\n"
			     "- one\n- two <b>\n\n"
			     "## Table\n\n"
			     "| metric | lift |\n| --- | ---: |\n"
			     "| a\\|b | **+3 %** |\n| x < y & z | -1 |\n\n"
			     "> **Warning:** plots skipped\n\n"
			     "- last\n\n"
			     "```\n[run]\nseed = 1 <x>\n```\n\n");
	ck_assert_int_eq(tmpdir_entries(tmpdir), 1);   /* no html, no temporary */
	free(md);
}
END_TEST

START_TEST(html_is_escaped_and_self_contained)
{
	struct error err;
	struct doc *d = doc_open(tmpdir, "r", DOC_MD | DOC_HTML, "A & B", &err);
	char *html, *body;

	ck_assert_msg(d != NULL, "%s", err.msg);
	build(d);
	ck_assert_int_eq(doc_close(d, &err), 0);
	html = slurp("r.html");
	ck_assert(!strncmp(html, "<!DOCTYPE html>\n", 16));
	ck_assert_ptr_nonnull(strstr(html, "<title>A &amp; B</title>"));
	body = strstr(html, "<body>\n");
	ck_assert_ptr_nonnull(body);
	ck_assert_str_eq(body, "<body>\n<h1>Run 7</h1>\n"
			       "<p>A <strong>significant</strong> result &amp; a &quot;quote&quot;.</p>\n"
			       "<ul>\n<li>one</li>\n<li>two &lt;b&gt;</li>\n</ul>\n"
			       "<h2>Table</h2>\n"
			       "<table>\n<thead><tr><th>metric</th><th>lift</th></tr></thead>\n<tbody>\n"
			       "<tr><td>a|b</td><td class=\"r\"><strong>+3 %</strong></td></tr>\n"
			       "<tr><td>x &lt; y &amp; z</td><td class=\"r\">-1</td></tr>\n"
			       "</tbody>\n</table>\n"
			       "<p class=\"warn\"><b>Warning:</b> plots skipped</p>\n"
			       "<ul>\n<li>last</li>\n</ul>\n"
			       "<pre>[run]\nseed = 1 &lt;x&gt;</pre>\n"
			       "</body>\n</html>\n");
	/* nothing fetched from elsewhere */
	ck_assert_ptr_null(strstr(html, "http"));
	ck_assert_ptr_null(strstr(html, "<link"));
	ck_assert_ptr_null(strstr(html, "<script"));
	ck_assert_int_eq(tmpdir_entries(tmpdir), 2);
	free(html);
}
END_TEST

/* An unterminated **bold** is closed at the end of its text. */
START_TEST(unterminated_bold_is_closed)
{
	struct error err;
	struct doc *d = doc_open(tmpdir, "b", DOC_HTML, "t", &err);
	char *html;

	doc_para(d, "**FAIL");
	ck_assert_int_eq(doc_close(d, &err), 0);
	html = slurp("b.html");
	ck_assert_ptr_nonnull(strstr(html, "<p><strong>FAIL</strong></p>\n"));
	free(html);
}
END_TEST

/* Images: linked in Markdown, base64 in HTML ("Man" -> "TWFu", padding
 * for 1 and 2 bytes left over); a missing or empty file is ERR_IO and
 * writes nothing. */
START_TEST(images_are_embedded_as_base64)
{
	struct error err;
	struct doc *d = doc_open(tmpdir, "i", DOC_MD | DOC_HTML, "t", &err);
	char *md, *html;

	write_file("man.png", "Man", 3);
	write_file("ma.png", "Ma", 2);
	write_file("empty.png", "", 0);
	ck_assert_int_eq(doc_image(d, "man.png", "Fig <1>", &err), 0);
	ck_assert_int_eq(doc_image(d, "ma.png", "two", &err), 0);
	ck_assert_int_eq(doc_image(d, "missing.png", "gone", &err), ERR_IO);
	ck_assert_ptr_nonnull(strstr(err.msg, "missing.png"));
	ck_assert_int_eq(doc_image(d, "empty.png", "empty", &err), ERR_IO);
	ck_assert_ptr_nonnull(strstr(err.msg, "empty"));
	ck_assert_int_eq(doc_close(d, &err), 0);
	md = slurp("i.md");
	ck_assert_str_eq(md, "![Fig <1>](man.png)\n\n*Fig <1>*\n\n![two](ma.png)\n\n*two*\n\n");
	html = slurp("i.html");
	ck_assert_ptr_nonnull(strstr(html, "<figure><img alt=\"Fig &lt;1&gt;\" "
					   "src=\"data:image/png;base64,TWFu\"><figcaption>"
					   "Fig &lt;1&gt;</figcaption></figure>\n"));
	ck_assert_ptr_nonnull(strstr(html, "base64,TWE=\""));
	ck_assert_ptr_null(strstr(html, "gone"));
	free(md);
	free(html);
}
END_TEST

/* Until closed, only hidden temporaries exist; doc_free removes them. */
START_TEST(abandoned_documents_leave_nothing)
{
	struct error err;
	struct doc *d = doc_open(tmpdir, "r", DOC_MD | DOC_HTML, "t", &err);
	char *md = tmpdir_path("r.md");

	doc_para(d, "text");
	ck_assert_int_eq(tmpdir_entries(tmpdir), 2);
	ck_assert(access(md, F_OK) != 0);
	doc_free(d);
	doc_free(NULL);
	ck_assert_int_eq(tmpdir_entries(tmpdir), 0);
	free(md);
}
END_TEST

START_TEST(an_unwritable_directory_is_an_io_error)
{
	struct error err;
	char *dir = tmpdir_path("no/such/dir");

	ck_assert_ptr_null(doc_open(dir, "r", DOC_MD | DOC_HTML, "t", &err));
	ck_assert_int_eq(err.code, ERR_IO);
	ck_assert_ptr_nonnull(strstr(err.msg, "r.md"));
	ck_assert_ptr_null(doc_open(dir, "r", DOC_HTML, "t", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "r.html"));
	free(dir);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, markdown_is_exact);
	tcase_add_test(tc, html_is_escaped_and_self_contained);
	tcase_add_test(tc, unterminated_bold_is_closed);
	tcase_add_test(tc, images_are_embedded_as_base64);
	tcase_add_test(tc, abandoned_documents_leave_nothing);
	tcase_add_test(tc, an_unwritable_directory_is_an_io_error);
}

CHECK_MAIN("doc", add_tests, 30)
