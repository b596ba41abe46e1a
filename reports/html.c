/* html.c: the HTML pages (report.html, compare-A.html, the history page,
 * the gate's summary.html): one self-contained file each, opened from
 * file:// with no network.  A page is the Markdown the same command
 * writes, turned into HTML here (the subset our reports use: headings,
 * paragraphs, lists, tables, code spans, bold, images), its charts
 * inlined as data: URIs, plus what only a browser shows: d3-flame-graph's
 * flame graphs, drawn by reports/web/viewer.js from data inlined as JSON.
 *
 * Every piece of text is escaped on its way out: nothing a record holds
 * (a symbol, a description, a stack's name) can become markup or script.
 * The page's Content-Security-Policy allows only its own inline scripts,
 * styles and data: images, so it cannot reach the network either.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* reports/assets.S */
extern const char web_d3_js[], web_flame_js[], web_viewer_js[],
  web_viewer_css[];

/* As the x-allocators do: one message, then abort. */
static void __attribute__((noreturn))
oom (const char *what)
{
  vb_msg ("%s: out of memory", what);
  abort ();
}

/* S (N bytes) into F with HTML's five special characters escaped. */
static void
esc_n (FILE *f, const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    switch (s[i]) {
    case '&': fputs ("&amp;", f); break;
    case '<': fputs ("&lt;", f); break;
    case '>': fputs ("&gt;", f); break;
    case '"': fputs ("&quot;", f); break;
    case '\'': fputs ("&#39;", f); break;
    default: fputc (s[i], f);
    }
}

void
html_escape (FILE *f, const char *s)
{
  if (s)
    esc_n (f, s, strlen (s));
}

/* A heading's anchor: its letters and digits, lowercased, '-' between. */
static void
slug (FILE *f, const char *s, size_t n)
{
  bool dash = false, any = false;

  for (size_t i = 0; i < n; i++) {
    unsigned char c = s[i];

    if (isalnum (c)) {
      if (dash && any)
        fputc ('-', f);
      fputc (tolower (c), f);
      dash = false;
      any = true;
    }
    else
      dash = true;
  }
  if (!any)
    fputs ("section", f);
}

/* Markdown's inline markup of S (N bytes): `code`, **bold**, backslash
 * escapes and a line's trailing two spaces (a break); all else is text.
 */
static void
inline_md (FILE *f, const char *s, size_t n)
{
  bool bold = false;
  size_t i = 0;

  if (n >= 2 && s[n - 1] == ' ' && s[n - 2] == ' ') {
    while (n > 0 && s[n - 1] == ' ')
      n--;
    inline_md (f, s, n);
    fputs ("<br>", f);
    return;
  }
  while (i < n) {
    if (s[i] == '\\' && i + 1 < n && ispunct ((unsigned char) s[i + 1])) {
      esc_n (f, s + i + 1, 1);
      i += 2;
    }
    else if (s[i] == '`') {
      const char *end = memchr (s + i + 1, '`', n - i - 1);

      if (end == NULL) {
        esc_n (f, s + i, n - i);
        break;
      }
      fputs ("<code>", f);
      esc_n (f, s + i + 1, end - (s + i + 1));
      fputs ("</code>", f);
      i = end - s + 1;
    }
    else if (s[i] == '*' && i + 1 < n && s[i + 1] == '*') {
      fputs (bold ? "</strong>" : "<strong>", f);
      bold = !bold;
      i += 2;
    }
    else {
      esc_n (f, s + i, 1);
      i++;
    }
  }
  if (bold)
    fputs ("</strong>", f);
}

/* Writes file DIR/PATH as a data: URI of TYPE, or returns -1 when it is
 * not a plain relative path into DIR or cannot be read.
 */
static int
data_uri (FILE *f, const char *dir, const char *path, const char *type)
{
  static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  unsigned char *d;
  size_t len;
  char *p;

  if (dir == NULL || path[0] == '/' || strstr (path, "..") != NULL)
    return -1;
  p = xasprintf ("%s/%s", dir, path);
  d = (unsigned char *) read_file (p, &len);
  free (p);
  if (d == NULL)
    return -1;
  fprintf (f, "data:%s;base64,", type);
  for (size_t i = 0; i < len; i += 3) {
    unsigned v = d[i] << 16;
    size_t k = len - i;

    if (k > 1)
      v |= d[i + 1] << 8;
    if (k > 2)
      v |= d[i + 2];
    fputc (b64[v >> 18 & 63], f);
    fputc (b64[v >> 12 & 63], f);
    fputc (k > 1 ? b64[v >> 6 & 63] : '=', f);
    fputc (k > 2 ? b64[v & 63] : '=', f);
  }
  free (d);
  return 0;
}

/* The chart DIR/PATH inlined as a figure captioned ALT (said missing,
 * never reached outside, when it is not a plain relative path there).
 */
void
html_figure (FILE *f, const char *dir, const char *alt, const char *path)
{
  size_t plen = strlen (path);
  const char *type = plen > 4 && strcmp (path + plen - 4, ".svg") == 0
    ? "image/svg+xml"
    : plen > 4 && strcmp (path + plen - 4, ".png") == 0 ? "image/png" : NULL;

  fputs ("<figure><img alt=\"", f);
  html_escape (f, alt);
  fputs ("\" src=\"", f);
  if (type == NULL || data_uri (f, dir, path, type) == -1) {
    fputs ("\"><figcaption>(chart missing: ", f);
    html_escape (f, path);
    fputs (")</figcaption></figure>\n", f);
    return;
  }
  fputs ("\"><figcaption>", f);
  html_escape (f, alt);
  fputs ("</figcaption></figure>\n", f);
}

/* "![alt](path)" on a line of its own: the chart, inlined. */
static bool
image_line (FILE *f, const char *dir, const char *s, size_t n)
{
  const char *mid;
  char *alt, *path;

  if (n < 5 || s[0] != '!' || s[1] != '[' || s[n - 1] != ')')
    return false;
  mid = memmem (s, n, "](", 2);
  if (mid == NULL)
    return false;
  alt = xasprintf ("%.*s", (int) (mid - (s + 2)), s + 2);
  path = xasprintf ("%.*s", (int) (s + n - 1 - (mid + 2)), mid + 2);
  html_figure (f, dir, alt, path);
  free (alt);
  free (path);
  return true;
}

/* A table row's cells (between '|'s; "\|" is not a separator), each
 * passed to inline_md inside TAG, aligned by ALIGN ('r' or 'l').
 */
static void
table_row (FILE *f, const char *s, size_t n, const char *tag,
           const char *align, size_t nalign)
{
  size_t i = 0, cell = 0;

  if (n && s[0] == '|')
    i = 1;
  if (n && s[n - 1] == '|' && (n < 2 || s[n - 2] != '\\'))
    n--;
  fputs ("<tr>", f);
  while (i <= n) {
    size_t j = i;

    while (j < n && !(s[j] == '|' && s[j - 1] != '\\'))
      j++;
    while (i < j && s[i] == ' ')
      i++;
    fprintf (f, "<%s%s>", tag,
             cell < nalign && align[cell] == 'r' ? " class=\"num\"" : "");
    {
      size_t e = j;

      while (e > i && s[e - 1] == ' ')
        e--;
      inline_md (f, s + i, e - i);
    }
    fprintf (f, "</%s>", tag);
    cell++;
    i = j + 1;
    if (j >= n)
      break;
  }
  fputs ("</tr>\n", f);
}

/* Alignment per column of a separator row "|---|--:|"; false when the
 * line is not one.
 */
static bool
separator_row (const char *s, size_t n, char *align, size_t *nalign,
               size_t max)
{
  size_t k = 0;

  for (size_t i = 0; i < n; i++)
    if (!strchr ("|-: ", s[i]))
      return false;
  for (size_t i = 0; i < n && k < max; i++)
    if (s[i] == '-' && (i == 0 || s[i - 1] == '|' || s[i - 1] == ' ' ||
                        s[i - 1] == ':')) {
      size_t j = i;

      while (j < n && s[j] == '-')
        j++;
      align[k++] = j < n && s[j] == ':' ? 'r' : 'l';
      i = j;
    }
  *nalign = k;
  return true;
}

enum block { B_NONE, B_PARA, B_LIST, B_TABLE, B_PRE };

static void
close_block (FILE *f, enum block *b)
{
  static const char *const end[] = {
    [B_PARA] = "</p>\n", [B_LIST] = "</li></ul>\n",
    [B_TABLE] = "</tbody></table></div>\n", [B_PRE] = "</pre>\n",
  };

  if (*b != B_NONE)
    fputs (end[*b], f);
  *b = B_NONE;
}

/* Markdown MD as HTML: images "![alt](path)" under DIR inlined; HOOK
 * called at the end of each "## " section.
 */
static void
html_from_md (FILE *f, const char *md, const char *dir,
              html_section_fn hook, void *arg)
{
  enum block b = B_NONE;
  char section[256] = "";
  char align[64];
  size_t nalign = 0;

  for (const char *s = md; *s; ) {
    const char *nl = strchr (s, '\n');
    size_t n = nl ? (size_t) (nl - s) : strlen (s);
    const char *next = nl ? nl + 1 : s + n;
    size_t lead = 0;

    if (b == B_PRE) {
      if (n >= 3 && memcmp (s, "```", 3) == 0)
        close_block (f, &b);
      else {
        esc_n (f, s, n);
        fputc ('\n', f);
      }
      s = next;
      continue;
    }
    while (lead < n && s[lead] == ' ')
      lead++;
    if (lead == n) {                        /* blank */
      close_block (f, &b);
    }
    else if (n >= 3 && memcmp (s, "```", 3) == 0) {
      close_block (f, &b);
      fputs ("<pre>", f);
      b = B_PRE;
    }
    else if (s[0] == '#') {
      size_t level = 0;

      while (level < n && s[level] == '#')
        level++;
      close_block (f, &b);
      if (level == 2 && hook && section[0])
        hook (f, section, arg);
      if (level > 6)
        level = 6;
      while (level < n && s[level] == ' ' && level < n)
        s++, n--;
      fprintf (f, "<h%zu id=\"", level);
      slug (f, s + level, n - level);
      fputs ("\">", f);
      inline_md (f, s + level, n - level);
      fprintf (f, "</h%zu>\n", level);
      if (level == 2)
        snprintf (section, sizeof section, "%.*s", (int) (n - level),
                  s + level);
    }
    else if (s[0] == '|') {
      if (b != B_TABLE) {
        /* A header row, then its separator. */
        const char *nl2 = nl ? strchr (next, '\n') : NULL;
        size_t n2 = nl ? (nl2 ? (size_t) (nl2 - next) : strlen (next)) : 0;

        close_block (f, &b);
        nalign = 0;
        if (nl && separator_row (next, n2, align, &nalign, sizeof align)) {
          fputs ("<div class=\"table\"><table><thead>", f);
          table_row (f, s, n, "th", align, nalign);
          fputs ("</thead><tbody>\n", f);
          b = B_TABLE;
          s = nl2 ? nl2 + 1 : next + n2;
          continue;
        }
        fputs ("<div class=\"table\"><table><tbody>\n", f);
        b = B_TABLE;
      }
      table_row (f, s, n, "td", align, nalign);
    }
    else if (n >= 2 && s[0] == '-' && s[1] == ' ') {
      if (b == B_LIST)
        fputs ("</li>\n<li>", f);
      else {
        close_block (f, &b);
        fputs ("<ul>\n<li>", f);
        b = B_LIST;
      }
      inline_md (f, s + 2, n - 2);
    }
    else if (image_line (f, dir, s + lead, n - lead)) {
      close_block (f, &b);
    }
    else if (b == B_LIST || b == B_PARA) {  /* a continuation line */
      fputc ('\n', f);
      inline_md (f, s + lead, n - lead);
    }
    else {
      close_block (f, &b);
      fputs ("<p>", f);
      inline_md (f, s + lead, n - lead);
      b = B_PARA;
    }
    s = next;
  }
  close_block (f, &b);
  if (hook && section[0])
    hook (f, section, arg);
}

/* The page's head (TITLE) and its opening. */
static void
html_begin (FILE *f, const char *title)
{
  fputs ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
         "'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
         "img-src data:\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<title>", f);
  html_escape (f, title);
  fputs ("</title>\n<style>\n", f);
  fputs (web_viewer_css, f);
  fputs ("</style>\n</head>\n<body>\n<main>\n", f);
}

/* JSON for a <script> element: '<', '>' and '&' as \u escapes, so no
 * "</script>" or "<!--" in a symbol's name can end the element.
 */
static void
json_inline (FILE *f, const cJSON *data)
{
  char *s = cJSON_PrintUnformatted (data);

  if (s == NULL)
    oom ("cJSON_PrintUnformatted");
  for (const char *p = s; *p; p++)
    if (*p == '<' || *p == '>' || *p == '&')
      fprintf (f, "\\u%04x", (unsigned) *p);
    else
      fputc (*p, f);
  free (s);
}

/* DATA (the flame graphs' JSON, may be NULL) and the scripts; the end. */
static void
html_end (FILE *f, const cJSON *data)
{
  fputs ("</main>\n<script type=\"application/json\" id=\"viper-data\">", f);
  if (data)
    json_inline (f, data);
  else
    fputs ("{}", f);
  fputs ("</script>\n<script>\n", f);
  fputs (web_d3_js, f);
  fputs ("\n</script>\n<script>\n", f);
  fputs (web_flame_js, f);
  fputs ("\n</script>\n<script>\n", f);
  fputs (web_viewer_js, f);
  fputs ("\n</script>\n</body>\n</html>\n", f);
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

int
html_write (const char *path, const char *title, const char *md,
            const char *dir, html_section_fn hook, void *arg,
            const cJSON *data)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = xopen_memstream (&buf, &len);
  int r;

  html_begin (f, title);
  html_from_md (f, md, dir, hook, arg);
  html_end (f, data);
  xclose_memstream (f);
  r = write_file_atomic (path, buf, len);
  free (buf);
  return r;
}

void
html_flame_bar (FILE *f, const char *what)
{
  fputs ("<div class=\"flames-bar\"><label>Search frames: <input "
         "id=\"flame-search\" type=\"search\" placeholder=\"a symbol, a "
         "library\"></label> <span class=\"meta\">", f);
  html_escape (f, what);
  fputs ("</span></div>\n", f);
}

void
html_flame (FILE *f, cJSON *graphs, const char *title, const char *meta,
            cJSON *tree, const char *kind, const char *unit, size_t frames)
{
  int id = cJSON_GetArraySize (graphs);
  cJSON *g = cJSON_CreateObject ();

  fprintf (f, "<div class=\"flame\" id=\"flame-g%d\" data-kind=\"%s\" "
           "data-frames=\"%zu\">\n<h3>", id, kind, frames);
  html_escape (f, title);
  fputs ("</h3>\n<div class=\"meta\">", f);
  html_escape (f, meta);
  fputs ("<button class=\"reset\" type=\"button\">Reset zoom</button></div>\n"
         "<div class=\"details\"></div>\n<div class=\"chart\"></div>\n</div>\n", f);
  cJSON_AddItemToArray (graphs, g);
  {
    char gid[32];

    snprintf (gid, sizeof gid, "g%d", id);
    cJSON_AddStringToObject (g, "id", gid);
  }
  cJSON_AddStringToObject (g, "kind", kind);
  cJSON_AddStringToObject (g, "unit", unit);
  cJSON_AddItemToObject (g, "tree", tree);
}
