/* html.c: the HTML pages (report.html, compare-A.html, the history page,
 * the gate's summary.html): one self-contained file each, opened from
 * file:// with no network.  A page is the document (doc.c) the command
 * built for its Markdown too, rendered by doc_html; here are its frame
 * (head, styles, scripts), its charts inlined as data: URIs, and what
 * only a browser shows: d3-flame-graph's flame graphs, drawn by
 * reports/web/viewer.js from data inlined as JSON.
 *
 * Every piece of text is escaped on its way out: nothing a record holds
 * (a symbol, a description, a stack's name) can become markup or script.
 * The page's Content-Security-Policy allows only its own inline scripts,
 * styles and data: images, so it cannot reach the network either.
 */
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

/* The page's head (TITLE) and its opening. */
void
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
void
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
