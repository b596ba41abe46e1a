/* doc.c: the reports' document model.  A page is built once, as blocks
 * (headings, paragraphs, list items, tables, images) made of spans (our
 * own words, a record's text, bold, code), and written by renderers:
 * doc_md (Markdown, report.md and the like) and doc_html (the page's
 * body: HTML escaped here, charts inlined by html.c).  Nothing is parsed
 * back from Markdown.
 *
 * Text the code writes (SPAN_TEXT) goes into Markdown as it is; text
 * from a record or a user (SPAN_DATA) is escaped there (md_text), so it
 * can never become markup.  In HTML both are escaped.  Blocks are
 * separated by one blank line in Markdown, as the reports always were.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum span_kind { SPAN_TEXT, SPAN_DATA, SPAN_BOLD, SPAN_CODE };

struct span {
  enum span_kind kind;
  char *s;
};

/* A run of spans: a paragraph, a heading, a list item, a cell. */
struct spans {
  struct span *v;
  size_t n;
};

enum block_kind { BLOCK_HEADING, BLOCK_PARA, BLOCK_LIST, BLOCK_TABLE,
                  BLOCK_IMAGE };

struct block {
  enum block_kind kind;
  int level;                    /* heading */
  struct spans *items;          /* list items; table cells, row by row */
  size_t nitems;
  size_t ncols;                 /* table: cells per row (the first row heads) */
  char *align;                  /* table: 'l' or 'r' per column */
  char *alt, *path;             /* image */
};

struct doc {
  struct block *b;
  size_t n;
};

struct doc *
doc_new (void)
{
  return xcalloc (1, sizeof (struct doc));
}

static struct block *
add_block (struct doc *d, enum block_kind kind)
{
  struct block *b;

  d->b = xreallocarray (d->b, d->n + 1, sizeof *d->b);
  b = &d->b[d->n++];
  memset (b, 0, sizeof *b);
  b->kind = kind;
  return b;
}

/* The spans new text goes into: the last block's last item. */
static struct spans *
current (struct doc *d)
{
  struct block *b = d->n ? &d->b[d->n - 1] : NULL;

  if (b == NULL || b->nitems == 0 || b->kind == BLOCK_IMAGE) {
    vb_msg ("doc: text added where no paragraph, item or cell is open");
    abort ();
  }
  return &b->items[b->nitems - 1];
}

static void
add_item (struct block *b)
{
  b->items = xreallocarray (b->items, b->nitems + 1, sizeof *b->items);
  memset (&b->items[b->nitems++], 0, sizeof *b->items);
}

static void
add_span (struct doc *d, enum span_kind kind, const char *fmt, va_list ap)
{
  struct spans *sp = current (d);
  char *s;

  if (vasprintf (&s, fmt, ap) == -1) {
    vb_msg ("doc: out of memory");
    abort ();
  }
  sp->v = xreallocarray (sp->v, sp->n + 1, sizeof *sp->v);
  sp->v[sp->n++] = (struct span) { kind, s };
}

#define SPAN_FN(name, kind)                                             \
  void                                                                  \
  name (struct doc *d, const char *fmt, ...)                            \
  {                                                                     \
    va_list ap;                                                         \
                                                                        \
    va_start (ap, fmt);                                                 \
    add_span (d, kind, fmt, ap);                                        \
    va_end (ap);                                                        \
  }
SPAN_FN (doc_text, SPAN_TEXT)
SPAN_FN (doc_bold, SPAN_BOLD)
SPAN_FN (doc_code, SPAN_CODE)

void
doc_data (struct doc *d, const char *s)
{
  struct spans *sp = current (d);

  sp->v = xreallocarray (sp->v, sp->n + 1, sizeof *sp->v);
  sp->v[sp->n++] = (struct span) { SPAN_DATA, xstrdup (s ? s : "") };
}

void
doc_heading (struct doc *d, int level)
{
  struct block *b = add_block (d, BLOCK_HEADING);

  b->level = level;
  add_item (b);
}

void
doc_para (struct doc *d)
{
  add_item (add_block (d, BLOCK_PARA));
}

void
doc_item (struct doc *d)
{
  struct block *b = d->n ? &d->b[d->n - 1] : NULL;

  if (b == NULL || b->kind != BLOCK_LIST)
    b = add_block (d, BLOCK_LIST);
  add_item (b);
}

void
doc_table (struct doc *d, const char *align)
{
  struct block *b = add_block (d, BLOCK_TABLE);

  b->align = xstrdup (align);
  b->ncols = strlen (align);
}

void
doc_cell (struct doc *d)
{
  struct block *b = d->n ? &d->b[d->n - 1] : NULL;

  if (b == NULL || b->kind != BLOCK_TABLE) {
    vb_msg ("doc: a cell outside a table");
    abort ();
  }
  add_item (b);
}

void
doc_image (struct doc *d, const char *alt, const char *path)
{
  struct block *b = add_block (d, BLOCK_IMAGE);

  b->alt = xstrdup (alt);
  b->path = xstrdup (path);
}

bool
doc_empty (const struct doc *d)
{
  return d->n == 0;
}

void
doc_free (struct doc *d)
{
  if (d == NULL)
    return;
  for (size_t i = 0; i < d->n; i++) {
    for (size_t k = 0; k < d->b[i].nitems; k++) {
      for (size_t s = 0; s < d->b[i].items[k].n; s++)
        free (d->b[i].items[k].v[s].s);
      free (d->b[i].items[k].v);
    }
    free (d->b[i].items);
    free (d->b[i].align);
    free (d->b[i].alt);
    free (d->b[i].path);
  }
  free (d->b);
  free (d);
}

/* Markdown */

static void
md_spans (FILE *f, const struct spans *sp)
{
  for (size_t i = 0; i < sp->n; i++)
    switch (sp->v[i].kind) {
    case SPAN_TEXT: fputs (sp->v[i].s, f); break;
    case SPAN_DATA: md_text (f, sp->v[i].s); break;
    case SPAN_BOLD: fprintf (f, "**%s**", sp->v[i].s); break;
    case SPAN_CODE: fprintf (f, "`%s`", sp->v[i].s); break;
    }
}

static void
md_row (FILE *f, const struct block *b, size_t first)
{
  for (size_t c = 0; c < b->ncols && first + c < b->nitems; c++) {
    fputs (c ? " | " : "| ", f);
    md_spans (f, &b->items[first + c]);
  }
  fputs (" |\n", f);
}

char *
doc_md (const struct doc *d)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = xopen_memstream (&buf, &len);

  for (size_t i = 0; i < d->n; i++) {
    const struct block *b = &d->b[i];

    if (i)
      fputc ('\n', f);
    switch (b->kind) {
    case BLOCK_HEADING:
      fprintf (f, "%.*s ", b->level, "######");
      md_spans (f, &b->items[0]);
      fputc ('\n', f);
      break;
    case BLOCK_PARA:
      md_spans (f, &b->items[0]);
      fputc ('\n', f);
      break;
    case BLOCK_LIST:
      for (size_t k = 0; k < b->nitems; k++) {
        fputs ("- ", f);
        md_spans (f, &b->items[k]);
        fputc ('\n', f);
      }
      break;
    case BLOCK_TABLE:
      md_row (f, b, 0);
      for (size_t c = 0; c < b->ncols; c++)
        fputs (b->align[c] == 'r' ? "|--:" : "|---", f);
      fputs ("|\n", f);
      for (size_t k = b->ncols; k < b->nitems; k += b->ncols)
        md_row (f, b, k);
      break;
    case BLOCK_IMAGE:
      fprintf (f, "![%s](%s)\n", b->alt, b->path);
      break;
    }
  }
  xclose_memstream (f);
  return buf;
}

/* HTML */

static void
html_spans (FILE *f, const struct spans *sp)
{
  for (size_t i = 0; i < sp->n; i++)
    switch (sp->v[i].kind) {
    case SPAN_TEXT:
    case SPAN_DATA:
      html_escape (f, sp->v[i].s);
      break;
    case SPAN_BOLD:
      fputs ("<strong>", f);
      html_escape (f, sp->v[i].s);
      fputs ("</strong>", f);
      break;
    case SPAN_CODE:
      fputs ("<code>", f);
      html_escape (f, sp->v[i].s);
      fputs ("</code>", f);
      break;
    }
}

/* A heading's anchor: its letters and digits, lowercased, '-' between. */
static void
html_slug (FILE *f, const struct spans *sp)
{
  bool dash = false, any = false;

  for (size_t i = 0; i < sp->n; i++)
    for (const char *s = sp->v[i].s; *s; s++) {
      unsigned char c = *s;

      if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
          (c >= 'A' && c <= 'Z')) {
        if (dash && any)
          fputc ('-', f);
        fputc (c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c, f);
        dash = false;
        any = true;
      }
      else
        dash = true;
    }
  if (!any)
    fputs ("section", f);
}

static void
html_row (FILE *f, const struct block *b, size_t first, const char *tag)
{
  fputs ("<tr>", f);
  for (size_t c = 0; c < b->ncols && first + c < b->nitems; c++) {
    fprintf (f, "<%s%s>", tag, b->align[c] == 'r' ? " class=\"num\"" : "");
    html_spans (f, &b->items[first + c]);
    fprintf (f, "</%s>", tag);
  }
  fputs ("</tr>\n", f);
}

void
doc_html (FILE *f, const struct doc *d, const char *dir)
{
  for (size_t i = 0; i < d->n; i++) {
    const struct block *b = &d->b[i];

    switch (b->kind) {
    case BLOCK_HEADING:
      fprintf (f, "<h%d id=\"", b->level);
      html_slug (f, &b->items[0]);
      fputs ("\">", f);
      html_spans (f, &b->items[0]);
      fprintf (f, "</h%d>\n", b->level);
      break;
    case BLOCK_PARA:
      fputs ("<p>", f);
      html_spans (f, &b->items[0]);
      fputs ("</p>\n", f);
      break;
    case BLOCK_LIST:
      fputs ("<ul>\n", f);
      for (size_t k = 0; k < b->nitems; k++) {
        fputs (k ? "</li>\n<li>" : "<li>", f);
        html_spans (f, &b->items[k]);
      }
      fputs ("</li></ul>\n", f);
      break;
    case BLOCK_TABLE:
      fputs ("<div class=\"table\"><table><thead>", f);
      html_row (f, b, 0, "th");
      fputs ("</thead><tbody>\n", f);
      for (size_t k = b->ncols; k < b->nitems; k += b->ncols)
        html_row (f, b, k, "td");
      fputs ("</tbody></table></div>\n", f);
      break;
    case BLOCK_IMAGE:
      html_figure (f, dir, b->alt, b->path);
      break;
    }
  }
}
