/* Markdown + self-contained HTML documents; see doc.h. */
#include "render/doc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xalloc.h"

enum block { B_NONE, B_LIST };

struct doc {
	FILE *md, *html;
	char *md_tmp, *md_path, *html_tmp, *html_path;
	enum block open;           /* a list left open by doc_item */
	size_t ncols;
	char align[32];
};

static const char css[] =
	"body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:72rem;"
	"margin:2rem auto;padding:0 1rem;color:#1b1b1b;line-height:1.45}"
	"h1{border-bottom:2px solid #1f4e9c;padding-bottom:.3rem}"
	"h2{margin-top:2.2rem;border-bottom:1px solid #ccc;padding-bottom:.2rem}"
	"table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}"
	"th,td{border:1px solid #ccc;padding:.25rem .5rem;vertical-align:top}"
	"th{background:#eef2f8}td.r{text-align:right;font-variant-numeric:tabular-nums}"
	"tr:nth-child(even) td{background:#fafafa}"
	".warn{background:#fff3cd;border-left:4px solid #c98a00;padding:.5rem .8rem}"
	".good,.bad,.neutral{padding:.6rem .9rem;font-size:1.1rem;border-left:6px solid}"
	".good{background:#e6f4ea;border-color:#1e7e34}.bad{background:#fdecea;border-color:#b00020}"
	".neutral{background:#f1f3f5;border-color:#6c757d}"
	"figure{margin:1.5rem 0}figure img{max-width:100%;border:1px solid #ddd}"
	"figcaption{font-size:.9rem;color:#555}"
	"pre{background:#f5f5f5;padding:.6rem;overflow-x:auto;font-size:.85rem}"
	"strong{color:#8a0000}";

static char *vfmt(const char *fmt, va_list ap)
{
	va_list aq;
	int n;
	char *s;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	ASSERT(n >= 0);
	s = xmalloc((size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

/* HTML text with **bold** turned into <strong>. */
static void html_text(FILE *f, const char *s)
{
	bool bold = false;

	for (; *s; s++) {
		if (s[0] == '*' && s[1] == '*') {
			fputs(bold ? "</strong>" : "<strong>", f);
			bold = !bold;
			s++;
			continue;
		}
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
	if (bold)
		fputs("</strong>", f);
}

/* Markdown table cell: '|' escaped, newlines flattened. */
static void md_cell(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else if (*s == '\n')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
}

static void close_block(struct doc *d)
{
	if (d->open == B_LIST) {
		if (d->md)
			fputc('\n', d->md);
		if (d->html)
			fputs("</ul>\n", d->html);
	}
	d->open = B_NONE;
}

static FILE *open_tmp(const char *dir, const char *base, const char *ext, char **tmp,
		      char **final, struct error *err)
{
	int fd;
	FILE *f;

	*final = xasprintf("%s/%s.%s", dir, base, ext);
	*tmp = xasprintf("%s/.%s.%s.tmp-XXXXXX", dir, base, ext);
	fd = mkstemp(*tmp);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		error_set(err, ERR_IO, "cannot create '%s': %s", *final, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(*tmp);
		}
		free(*tmp);
		free(*final);
		*tmp = *final = NULL;
		return NULL;
	}
	/* mkstemp makes 0600; a report is for sharing. */
	fchmod(fd, 0644);
	return f;
}

struct doc *doc_open(const char *dir, const char *base, unsigned formats, const char *title,
		     struct error *err)
{
	struct doc *d = xcalloc(1, sizeof(*d));

	if ((formats & DOC_MD) &&
	    !(d->md = open_tmp(dir, base, "md", &d->md_tmp, &d->md_path, err)))
		goto out_free;
	if ((formats & DOC_HTML) &&
	    !(d->html = open_tmp(dir, base, "html", &d->html_tmp, &d->html_path, err)))
		goto out_free;
	if (d->html) {
		fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		      "<title>", d->html);
		html_text(d->html, title);
		fprintf(d->html, "</title>\n<style>%s</style>\n</head>\n<body>\n", css);
	}
	return d;

out_free:
	doc_free(d);
	return NULL;
}

static void discard(FILE **f, char **tmp, char **final)
{
	if (*f)
		fclose(*f);
	if (*tmp)
		unlink(*tmp);
	free(*tmp);
	free(*final);
	*f = NULL;
	*tmp = *final = NULL;
}

void doc_free(struct doc *d)
{
	if (!d)
		return;
	discard(&d->md, &d->md_tmp, &d->md_path);
	discard(&d->html, &d->html_tmp, &d->html_path);
	free(d);
}

/* Flush and close f; ERR_IO naming the final path on any write error. */
static int finish(FILE **f, const char *final, struct error *err)
{
	int bad = ferror(*f);

	if (fclose(*f) != 0)
		bad = 1;
	*f = NULL;
	if (bad)
		return error_set(err, ERR_IO, "cannot write '%s': %s", final, strerror(errno));
	return 0;
}

int doc_close(struct doc *d, struct error *err)
{
	int rc = 0;

	close_block(d);
	if (d->html)
		fputs("</body>\n</html>\n", d->html);
	if (d->md)
		rc = finish(&d->md, d->md_path, err);
	if (rc == 0 && d->html)
		rc = finish(&d->html, d->html_path, err);
	if (rc == 0 && d->md_tmp && rename(d->md_tmp, d->md_path) != 0)
		rc = error_set(err, ERR_IO, "cannot rename into '%s': %s", d->md_path,
			       strerror(errno));
	if (rc == 0 && d->html_tmp && rename(d->html_tmp, d->html_path) != 0)
		rc = error_set(err, ERR_IO, "cannot rename into '%s': %s", d->html_path,
			       strerror(errno));
	if (rc == 0) {
		/* Renamed: nothing left to remove. */
		free(d->md_tmp);
		free(d->html_tmp);
		d->md_tmp = d->html_tmp = NULL;
	}
	doc_free(d);
	return rc;
}

void doc_heading(struct doc *d, int level, const char *fmt, ...)
{
	va_list ap;
	char *s;

	ASSERT(level >= 1 && level <= 4);
	va_start(ap, fmt);
	s = vfmt(fmt, ap);
	va_end(ap);
	close_block(d);
	if (d->md)
		fprintf(d->md, "%.*s %s\n\n", level, "####", s);
	if (d->html) {
		fprintf(d->html, "<h%d>", level);
		html_text(d->html, s);
		fprintf(d->html, "</h%d>\n", level);
	}
	free(s);
}

static void para(struct doc *d, const char *md_prefix, const char *html_open,
		 const char *html_close, char *s)
{
	close_block(d);
	if (d->md)
		fprintf(d->md, "%s%s\n\n", md_prefix, s);
	if (d->html) {
		fputs(html_open, d->html);
		html_text(d->html, s);
		fputs(html_close, d->html);
	}
	free(s);
}

void doc_para(struct doc *d, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vfmt(fmt, ap);
	va_end(ap);
	para(d, "", "<p>", "</p>\n", s);
}

void doc_warning(struct doc *d, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vfmt(fmt, ap);
	va_end(ap);
	para(d, "> **Warning:** ", "<p class=\"warn\"><b>Warning:</b> ", "</p>\n", s);
}

void doc_banner(struct doc *d, enum doc_tone tone, const char *fmt, ...)
{
	static const char *const open[] = { "<p class=\"good\">", "<p class=\"bad\">",
					    "<p class=\"neutral\">" };
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vfmt(fmt, ap);
	va_end(ap);
	para(d, "> ", open[tone], "</p>\n", s);
}

void doc_item(struct doc *d, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vfmt(fmt, ap);
	va_end(ap);
	if (d->open != B_LIST) {
		close_block(d);
		if (d->html)
			fputs("<ul>\n", d->html);
		d->open = B_LIST;
	}
	if (d->md)
		fprintf(d->md, "- %s\n", s);
	if (d->html) {
		fputs("<li>", d->html);
		html_text(d->html, s);
		fputs("</li>\n", d->html);
	}
	free(s);
}

void doc_table(struct doc *d, size_t ncols, const char *align, const char *const *head)
{
	ASSERT(ncols > 0 && ncols < sizeof(d->align) && strlen(align) == ncols);
	close_block(d);
	d->ncols = ncols;
	snprintf(d->align, sizeof(d->align), "%s", align);
	if (d->md) {
		fputc('|', d->md);
		for (size_t i = 0; i < ncols; i++) {
			fputc(' ', d->md);
			md_cell(d->md, head[i]);
			fputs(" |", d->md);
		}
		fputs("\n|", d->md);
		for (size_t i = 0; i < ncols; i++)
			fputs(align[i] == 'r' ? " ---: |" : " --- |", d->md);
		fputc('\n', d->md);
	}
	if (d->html) {
		fputs("<table>\n<thead><tr>", d->html);
		for (size_t i = 0; i < ncols; i++) {
			fputs("<th>", d->html);
			html_text(d->html, head[i]);
			fputs("</th>", d->html);
		}
		fputs("</tr></thead>\n<tbody>\n", d->html);
	}
}

void doc_row(struct doc *d, const char *const *cells)
{
	ASSERT(d->ncols > 0);
	if (d->md) {
		fputc('|', d->md);
		for (size_t i = 0; i < d->ncols; i++) {
			fputc(' ', d->md);
			md_cell(d->md, cells[i]);
			fputs(" |", d->md);
		}
		fputc('\n', d->md);
	}
	if (d->html) {
		fputs("<tr>", d->html);
		for (size_t i = 0; i < d->ncols; i++) {
			fputs(d->align[i] == 'r' ? "<td class=\"r\">" : "<td>", d->html);
			html_text(d->html, cells[i]);
			fputs("</td>", d->html);
		}
		fputs("</tr>\n", d->html);
	}
}

void doc_table_end(struct doc *d)
{
	ASSERT(d->ncols > 0);
	if (d->md)
		fputc('\n', d->md);
	if (d->html)
		fputs("</tbody>\n</table>\n", d->html);
	d->ncols = 0;
}

static void base64(FILE *f, const unsigned char *p, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		size_t left = n - i;

		if (left > 1)
			v |= (unsigned)p[i + 1] << 8;
		if (left > 2)
			v |= p[i + 2];
		fputc(tab[(v >> 18) & 63], f);
		fputc(tab[(v >> 12) & 63], f);
		fputc(left > 1 ? tab[(v >> 6) & 63] : '=', f);
		fputc(left > 2 ? tab[v & 63] : '=', f);
	}
}

/* Read a whole file; ERR_IO when it is missing, unreadable or empty. */
static int slurp(const char *path, unsigned char **out, size_t *len, struct error *err)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t n = 0, cap = 0, got;
	int rc = 0;

	*out = NULL;
	*len = 0;
	if (!f)
		return error_set(err, ERR_IO, "cannot read '%s': %s", path, strerror(errno));
	do {
		if (n == cap) {
			cap = cap ? 2 * cap : 65536;
			buf = xreallocarray(buf, cap, 1);
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	if (ferror(f))
		rc = error_set(err, ERR_IO, "cannot read '%s': %s", path, strerror(errno));
	else if (n == 0)
		rc = error_set(err, ERR_IO, "image '%s' is empty", path);
	fclose(f);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	*len = n;
	return 0;
}

int doc_image(struct doc *d, const char *rel, const char *caption, struct error *err)
{
	const char *dir_end = d->md_path ? d->md_path : d->html_path;
	unsigned char *png = NULL;
	size_t len = 0;
	char *path;
	int rc;

	ASSERT(dir_end);
	/* The document's directory is its final path less the file name. */
	path = xasprintf("%.*s/%s", (int)(strrchr(dir_end, '/') - dir_end), dir_end, rel);
	rc = slurp(path, &png, &len, err);
	free(path);
	if (rc < 0)
		return rc;
	close_block(d);
	if (d->md)
		fprintf(d->md, "![%s](%s)\n\n*%s*\n\n", caption, rel, caption);
	if (d->html) {
		fputs("<figure><img alt=\"", d->html);
		html_text(d->html, caption);
		fputs("\" src=\"data:image/png;base64,", d->html);
		base64(d->html, png, len);
		fputs("\"><figcaption>", d->html);
		html_text(d->html, caption);
		fputs("</figcaption></figure>\n", d->html);
	}
	free(png);
	return 0;
}

void doc_pre(struct doc *d, const char *text)
{
	close_block(d);
	if (d->md) {
		fputs("```\n", d->md);
		fputs(text, d->md);
		if (*text && text[strlen(text) - 1] != '\n')
			fputc('\n', d->md);
		fputs("```\n\n", d->md);
	}
	if (d->html) {
		fputs("<pre>", d->html);
		/* Literal: no bold markup inside preformatted text. */
		for (const char *s = text; *s; s++) {
			if (*s == '<')
				fputs("&lt;", d->html);
			else if (*s == '>')
				fputs("&gt;", d->html);
			else if (*s == '&')
				fputs("&amp;", d->html);
			else
				fputc(*s, d->html);
		}
		fputs("</pre>\n", d->html);
	}
}
