#ifndef AIRTIME_DOC_H
#define AIRTIME_DOC_H
/*
 * A document written twice at once: as Markdown (NAME.md) and as a
 * self-contained HTML page (NAME.html: CSS inline, images embedded as
 * data: URIs, no external resources).  Reports and comparisons are built
 * from the same calls, so the two files cannot disagree.
 *
 * Text is plain: it is escaped for HTML (and '|' in Markdown table cells),
 * with one piece of markup understood in both: **bold** (used to mark
 * significant results and failed SLOs).
 *
 * Files are written to hidden temporary names in the directory and renamed
 * into place by doc_close only when every write succeeded, so a failure
 * leaves the previous report (or nothing) behind, never half a file.
 *
 * Ownership: struct doc is opaque; doc_close or doc_free releases it
 * (doc_free of an unclosed document removes its temporary files; NULL is a
 * no-op).  Strings passed in are borrowed.
 */
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

struct doc;

enum doc_format { DOC_MD = 1, DOC_HTML = 2 };

/* Start DIR/BASE.md and/or DIR/BASE.html (formats: DOC_MD | DOC_HTML) with
 * a page title.  NULL with ERR_IO when a file cannot be created. */
struct doc *doc_open(const char *dir, const char *base, unsigned formats, const char *title,
		     struct error *err);
/* Finish, flush and rename into place; the doc is freed either way. */
int doc_close(struct doc *d, struct error *err);
/* Abandon: remove the temporary files and free.  NULL is a no-op. */
void doc_free(struct doc *d);

/* A heading of level 1..4. */
void doc_heading(struct doc *d, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A paragraph. */
void doc_para(struct doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An item of a bulleted list (consecutive items form one list). */
void doc_item(struct doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A banner paragraph coloured by its tone: good (green), bad (red),
 * neutral (grey); in Markdown a quoted paragraph. */
enum doc_tone { DOC_GOOD, DOC_BAD, DOC_NEUTRAL };
void doc_banner(struct doc *d, enum doc_tone tone, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A highlighted warning paragraph. */
void doc_warning(struct doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A table: columns header cells; align has one letter per column, 'l' or
 * 'r' (numbers).  Then doc_row with exactly ncols cells, then doc_table_end. */
void doc_table(struct doc *d, size_t ncols, const char *align, const char *const *head);
void doc_row(struct doc *d, const char *const *cells);
void doc_table_end(struct doc *d);

/* A figure: the PNG at DIR/rel (linked in Markdown, embedded in HTML) with
 * a caption.  A missing or empty file is ERR_IO and writes nothing. */
int doc_image(struct doc *d, const char *rel, const char *caption, struct error *err);

/* A preformatted block (e.g. the scenario text). */
void doc_pre(struct doc *d, const char *text);

#endif
