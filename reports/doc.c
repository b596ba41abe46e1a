/* doc.c: the reports' document model.  A page is built once, as blocks
 * (headings, paragraphs, list items, tables, images) made of spans (our
 * own words, a record's text, bold, code), and written by renderers:
 * doc_md (Markdown, report.md and the like) and doc_html (the page's
 * body: HTML escaped here, charts inlined by html.c).  Nothing is parsed
 * back from Markdown.
 *
 * Text the code writes (doc_text, doc_bold, doc_code) goes into Markdown
 * as it is; text from a record or a user (doc_data, doc_bold_data,
 * doc_code_data) is escaped there (md_text), so it can never become
 * markup.  In HTML all of it is escaped, here and nowhere else.  Blocks
 * are separated by one blank line in Markdown, as the reports always
 * were; a list item may hold further lines (doc_line) and a paragraph
 * hard breaks (doc_break).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A span's style; adjacent spans of one style share its marks. */
enum style { PLAIN, BOLD, CODE, BREAK, LINE };

struct span {
  enum style style;
  bool data;                    /* a record's text: escaped in Markdown */
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
push (struct doc *d, enum style style, bool data, char *s)
{
  struct spans *sp = current (d);

  sp->v = xreallocarray (sp->v, sp->n + 1, sizeof *sp->v);
  sp->v[sp->n++] = (struct span) { style, data, s };
}

static void
add_span (struct doc *d, enum style style, const char *fmt, va_list ap)
{
  char *s;

  if (vasprintf (&s, fmt, ap) == -1) {
    vb_msg ("doc: out of memory");
    abort ();
  }
  push (d, style, false, s);
}

#define SPAN_FN(name, style)                                            \
  void                                                                  \
  name (struct doc *d, const char *fmt, ...)                            \
  {                                                                     \
    va_list ap;                                                         \
                                                                        \
    va_start (ap, fmt);                                                 \
    add_span (d, style, fmt, ap);                                       \
    va_end (ap);                                                        \
  }
SPAN_FN (doc_text, PLAIN)
SPAN_FN (doc_bold, BOLD)
SPAN_FN (doc_code, CODE)

void
doc_data (struct doc *d, const char *s)
{
  push (d, PLAIN, true, xstrdup (s ? s : ""));
}

void
doc_code_data (struct doc *d, const char *s)
{
  push (d, CODE, true, xstrdup (s ? s : ""));
}

void
doc_bold_data (struct doc *d, const char *s)
{
  push (d, BOLD, true, xstrdup (s ? s : ""));
}

/* A hard line break inside the paragraph or item. */
void
doc_break (struct doc *d)
{
  push (d, BREAK, false, xstrdup (""));
}

/* A new line of the same list item (indented under it in Markdown). */
void
doc_line (struct doc *d)
{
  push (d, LINE, false, xstrdup (""));
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
doc_cells (struct doc *d, const char *const *cells)
{
  for (; *cells; cells++) {
    doc_cell (d);
    doc_text (d, "%s", *cells);
  }
}

void
doc_image (struct doc *d, const char *alt, const char *path)
{
  struct block *b = add_block (d, BLOCK_IMAGE);

  b->alt = xstrdup (alt);
  b->path = xstrdup (path);
}

void
doc_append (struct doc *d, const struct doc *from)
{
  for (size_t i = 0; i < from->n; i++) {
    const struct block *f = &from->b[i];
    struct block *b = add_block (d, f->kind);

    b->level = f->level;
    b->ncols = f->ncols;
    b->align = f->align ? xstrdup (f->align) : NULL;
    b->alt = f->alt ? xstrdup (f->alt) : NULL;
    b->path = f->path ? xstrdup (f->path) : NULL;
    for (size_t k = 0; k < f->nitems; k++) {
      struct spans *sp;

      add_item (b);
      sp = &b->items[k];
      sp->v = xcalloc (f->items[k].n ? f->items[k].n : 1, sizeof *sp->v);
      for (size_t j = 0; j < f->items[k].n; j++)
        sp->v[sp->n++] = (struct span) { f->items[k].v[j].style,
                                         f->items[k].v[j].data,
                                         xstrdup (f->items[k].v[j].s) };
    }
  }
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
  static const char *const mark[] = { [BOLD] = "**", [CODE] = "`" };
  enum style open = PLAIN;

  for (size_t i = 0; i <= sp->n; i++) {
    enum style st = i < sp->n ? sp->v[i].style : PLAIN;

    if (st != open && (open == BOLD || open == CODE))
      fputs (mark[open], f);
    if (i == sp->n)
      break;
    if (st != open && (st == BOLD || st == CODE))
      fputs (mark[st], f);
    open = st;
    if (st == BREAK)
      fputs ("  \n", f);
    else if (st == LINE)
      fputs ("\n  ", f);
    else if (sp->v[i].data && st == CODE)
      for (const char *c = sp->v[i].s; *c; c++)
        fputc (*c == '`' || *c == '\n' || *c == '|' ? '?' : *c, f);
    else if (sp->v[i].data)
      md_text (f, sp->v[i].s);
    else
      fputs (sp->v[i].s, f);
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

/* Terminal */

/* SP as plain text: no marks; a record's control characters become '?'
 * (no escape sequence of a description reaches the terminal).
 */
static void
text_spans (FILE *f, const struct spans *sp, bool indent)
{
  for (size_t i = 0; i < sp->n; i++) {
    if (sp->v[i].style == BREAK || sp->v[i].style == LINE) {
      fputs (indent ? "\n  " : "\n", f);
      continue;
    }
    for (const unsigned char *c = (const unsigned char *) sp->v[i].s; *c; c++)
      fputc (sp->v[i].data && (*c < 0x20 || *c == 0x7f) ? '?' : *c, f);
  }
}

/* The width of text S in columns (UTF-8: one per character). */
static size_t
columns (const char *s)
{
  size_t n = 0;

  for (; *s; s++)
    n += ((unsigned char) *s & 0xc0) != 0x80;
  return n;
}

/* A table as aligned columns, two spaces apart, its first row heading. */
static void
text_table (FILE *f, const struct block *b)
{
  size_t nrows = b->ncols ? (b->nitems + b->ncols - 1) / b->ncols : 0;
  char **cell = xcalloc (b->nitems + 1, sizeof *cell);
  size_t *w = xcalloc (b->ncols + 1, sizeof *w);

  for (size_t k = 0; k < b->nitems; k++) {
    size_t len = 0;
    FILE *m = xopen_memstream (&cell[k], &len);

    text_spans (m, &b->items[k], false);
    xclose_memstream (m);
    if (columns (cell[k]) > w[k % b->ncols])
      w[k % b->ncols] = columns (cell[k]);
  }
  for (size_t r = 0; r < nrows; r++) {
    char *line = NULL;
    size_t ll = 0;
    FILE *m = xopen_memstream (&line, &ll);

    for (size_t c = 0; c < b->ncols && r * b->ncols + c < b->nitems; c++) {
      const char *t = cell[r * b->ncols + c];
      size_t pad = w[c] - columns (t);

      fputs (c ? "  " : "", m);
      if (b->align[c] == 'r')
        fprintf (m, "%*s%s", (int) pad, "", t);
      else
        fprintf (m, "%s%*s", t, (int) pad, "");
    }
    xclose_memstream (m);
    /* No trailing blanks: a short or empty last column ends the line. */
    ll = strlen (line);
    while (ll && line[ll - 1] == ' ')
      line[--ll] = '\0';
    fprintf (f, "%s\n", line);
    free (line);
  }
  for (size_t k = 0; k < b->nitems; k++)
    free (cell[k]);
  free (cell);
  free (w);
}

char *
doc_terminal (const struct doc *d)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = xopen_memstream (&buf, &len);

  for (size_t i = 0; i < d->n; i++) {
    const struct block *b = &d->b[i];

    switch (b->kind) {
    case BLOCK_HEADING:
    case BLOCK_PARA:
      text_spans (f, &b->items[0], false);
      fputc ('\n', f);
      break;
    case BLOCK_LIST:
      for (size_t k = 0; k < b->nitems; k++) {
        fputs ("- ", f);
        text_spans (f, &b->items[k], true);
        fputc ('\n', f);
      }
      break;
    case BLOCK_TABLE:
      text_table (f, b);
      break;
    case BLOCK_IMAGE:
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
  static const char *const on[] = { [BOLD] = "<strong>", [CODE] = "<code>" };
  static const char *const off[] = { [BOLD] = "</strong>", [CODE] = "</code>" };
  enum style open = PLAIN;

  for (size_t i = 0; i <= sp->n; i++) {
    enum style st = i < sp->n ? sp->v[i].style : PLAIN;

    if (st != open && (open == BOLD || open == CODE))
      fputs (off[open], f);
    if (i == sp->n)
      break;
    if (st != open && (st == BOLD || st == CODE))
      fputs (on[st], f);
    open = st;
    if (st == BREAK)
      fputs ("<br>\n", f);
    else if (st == LINE)
      fputs ("\n", f);
    else
      html_escape (f, sp->v[i].s);
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

/* The text of a heading's spans, for a section hook. */
static char *
plain (const struct spans *sp)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = xopen_memstream (&buf, &len);

  for (size_t i = 0; i < sp->n; i++)
    fputs (sp->v[i].s, f);
  xclose_memstream (f);
  return buf;
}

void
doc_html (FILE *f, const struct doc *d, const char *dir,
          html_section_fn hook, void *arg)
{
  char *section = NULL;

  for (size_t i = 0; i < d->n; i++) {
    const struct block *b = &d->b[i];

    switch (b->kind) {
    case BLOCK_HEADING:
      /* What only a page shows goes at the end of its "## " section. */
      if (b->level == 2) {
        if (hook && section)
          hook (f, section, arg);
        free (section);
        section = plain (&b->items[0]);
      }
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
  if (hook && section)
    hook (f, section, arg);
  free (section);
}

/* Writes DOC as the page PATH (its charts under DIR inlined, HOOK at
 * the end of each "## " section, DATA for the viewer); 0 or -1.
 */
int
html_page (const char *path, const char *title, const struct doc *doc,
           const char *dir, html_section_fn hook, void *arg,
           const cJSON *data)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = xopen_memstream (&buf, &len);
  int r;

  html_begin (f, title);
  doc_html (f, doc, dir, hook, arg);
  html_end (f, data);
  xclose_memstream (f);
  r = write_file_atomic (path, buf, len);
  free (buf);
  return r;
}
