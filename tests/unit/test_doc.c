/* test_doc.c: unit tests of the reports' document model (reports/doc.c):
 * one document, two renderers.  A record's text never becomes markup in
 * either (a '|' does not split a table row, '**' is not bold, '<' is
 * not a tag, a backtick does not end a code span), our own marks do,
 * adjacent spans of a style share their marks, and each block kind has
 * the shape the reports always had.
 * Run alone: make build/tests/unit/test_doc && build/tests/unit/test_doc
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../reports/internal.h"

/* D's page body as a string (no charts: DIR is NULL). */
static char *
html (const struct doc *d)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);

  assert_non_null (f);
  doc_html (f, d, NULL, NULL, NULL);
  fclose (f);
  return buf;
}

static void
test_blocks (void **state)
{
  struct doc *d = doc_new ();
  char *md, *h;

  (void) state;
  doc_heading (d, 1);
  doc_text (d, "VM-%d: randrw_70_30", 7);
  doc_para (d);
  doc_text (d, "one ");
  doc_bold (d, "bold");
  doc_text (d, " and ");
  doc_code (d, "code");
  doc_item (d);
  doc_text (d, "a");
  doc_item (d);
  doc_text (d, "b");
  doc_line (d);
  doc_text (d, "b's second line");
  doc_table (d, "lr");
  doc_cell (d);
  doc_text (d, "layer");
  doc_cell (d);
  doc_text (d, "IOPS");
  doc_cell (d);
  doc_text (d, "host");
  doc_cell (d);
  doc_text (d, "42.8k");
  doc_image (d, "IOPS per layer", "charts/iops.svg");
  md = doc_md (d);
  assert_string_equal (md,
    "# VM-7: randrw_70_30\n"
    "\n"
    "one **bold** and `code`\n"
    "\n"
    "- a\n"
    "- b\n"
    "  b's second line\n"
    "\n"
    "| layer | IOPS |\n"
    "|---|--:|\n"
    "| host | 42.8k |\n"
    "\n"
    "![IOPS per layer](charts/iops.svg)\n");
  h = html (d);
  assert_string_equal (h,
    "<h1 id=\"vm-7-randrw-70-30\">VM-7: randrw_70_30</h1>\n"
    "<p>one <strong>bold</strong> and <code>code</code></p>\n"
    "<ul>\n<li>a</li>\n<li>b\nb&#39;s second line</li></ul>\n"
    "<div class=\"table\"><table><thead><tr><th>layer</th>"
    "<th class=\"num\">IOPS</th></tr>\n</thead><tbody>\n"
    "<tr><td>host</td><td class=\"num\">42.8k</td></tr>\n"
    "</tbody></table></div>\n"
    "<figure><img alt=\"IOPS per layer\" src=\"\"><figcaption>(chart "
    "missing: charts/iops.svg)</figcaption></figure>\n");
  free (md);
  free (h);
  doc_free (d);
}

/* A record's text stays text in both renderers. */
static void
test_data_is_text (void **state)
{
  const char *evil = "a|b **c** <script>x</script> `d` # [e](f)\nnext";
  struct doc *d = doc_new ();
  char *md, *h;

  (void) state;
  doc_table (d, "ll");
  doc_cell (d);
  doc_text (d, "k");
  doc_cell (d);
  doc_text (d, "v");
  doc_cell (d);
  doc_data (d, evil);
  doc_cell (d);
  doc_code_data (d, "sym`bol|x");
  md = doc_md (d);
  /* One row of two cells: the '|' escaped, the code span unbroken. */
  assert_non_null (strstr (md, "| a\\|b \\*\\*c\\*\\* \\<script\\>x\\</script\\> "
                               "\\`d\\` \\# \\[e\\](f) next | `sym?bol?x` |\n"));
  h = html (d);
  assert_null (strstr (h, "<script>"));
  assert_null (strstr (h, "<strong>"));
  assert_non_null (strstr (h, "<td>a|b **c** &lt;script&gt;x&lt;/script&gt; "
                              "`d` # [e](f)\nnext</td>"));
  assert_non_null (strstr (h, "<td><code>sym`bol|x</code></td>"));
  free (md);
  free (h);
  doc_free (d);
}

/* Adjacent spans of one style share their marks: a verdict in bold made
 * of our words and a record's summary is one bold run.
 */
static void
test_marks_shared (void **state)
{
  struct doc *d = doc_new ();
  char *md, *h;

  (void) state;
  doc_item (d);
  doc_bold (d, "nbd-unix");
  doc_text (d, ": ");
  doc_bold (d, "bottleneck: ");
  doc_bold_data (d, "nbdkit's threads_x");
  doc_bold (d, ".");
  doc_break (d);
  doc_text (d, "by thread: ");
  md = doc_md (d);
  assert_string_equal (md, "- **nbd-unix**: **bottleneck: nbdkit's "
                           "threads\\_x.**  \nby thread: \n");
  h = html (d);
  assert_string_equal (h, "<ul>\n<li><strong>nbd-unix</strong>: "
                          "<strong>bottleneck: nbdkit&#39;s threads_x."
                          "</strong><br>\nby thread: </li></ul>\n");
  free (md);
  free (h);
  doc_free (d);
}

/* What only a page shows goes at the end of each "## " section. */
static void
hook (FILE *f, const char *section, void *arg)
{
  (void) arg;
  fprintf (f, "[end of %s]\n", section);
}

static void
test_section_hook (void **state)
{
  struct doc *d = doc_new ();
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);

  (void) state;
  doc_heading (d, 2);
  doc_text (d, "One");
  doc_heading (d, 3);
  doc_text (d, "inside");
  doc_heading (d, 2);
  doc_text (d, "Two");
  doc_html (f, d, NULL, hook, NULL);
  fclose (f);
  assert_string_equal (buf, "<h2 id=\"one\">One</h2>\n"
                            "<h3 id=\"inside\">inside</h3>\n"
                            "[end of One]\n"
                            "<h2 id=\"two\">Two</h2>\n"
                            "[end of Two]\n");
  free (buf);
  doc_free (d);
}

/* A document appended to another keeps every span and its kind. */
static void
test_append (void **state)
{
  struct doc *a = doc_new (), *b = doc_new ();
  char *ma, *mb;

  (void) state;
  doc_para (b);
  doc_data (b, "x_y");
  doc_code (b, "z");
  doc_para (a);
  doc_text (a, "first");
  doc_append (a, b);
  ma = doc_md (a);
  mb = doc_md (b);
  assert_string_equal (ma, "first\n\nx\\_y`z`\n");
  assert_string_equal (mb, "x\\_y`z`\n");
  free (ma);
  free (mb);
  doc_free (a);
  doc_free (b);
}

/* The terminal's rendering: columns aligned as the table says (a
 * record's UTF-8 counted by characters), no marks, no images, and a
 * record's control characters (an escape sequence) as '?'.
 */
static void
test_terminal (void **state)
{
  struct doc *d = doc_new ();
  char *t;

  (void) state;
  doc_para (d);
  doc_bold (d, "VM-1");
  doc_text (d, " \"");
  doc_data (d, "bad\033[2Jname");
  doc_text (d, "\"");
  doc_table (d, "lr");
  doc_cells (d, (const char *const[]) { "layer", "IOPS", NULL });
  doc_cell (d);
  doc_data (d, "h\xc3\xa9");
  doc_cell (d);
  doc_text (d, "1.5k");
  doc_cells (d, (const char *const[]) { "nbd-unix", "12.0k", NULL });
  doc_image (d, "a chart", "charts/x.svg");
  doc_item (d);
  doc_text (d, "one");
  doc_line (d);
  doc_text (d, "two");
  t = doc_terminal (d);
  assert_string_equal (t,
    "VM-1 \"bad?[2Jname\"\n"
    "layer      IOPS\n"
    "h\xc3\xa9         1.5k\n"
    "nbd-unix  12.0k\n"
    "- one\n  two\n");
  free (t);
  doc_free (d);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_blocks),
    cmocka_unit_test (test_data_is_text),
    cmocka_unit_test (test_marks_shared),
    cmocka_unit_test (test_section_hook),
    cmocka_unit_test (test_append),
    cmocka_unit_test (test_terminal),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
