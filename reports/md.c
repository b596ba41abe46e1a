/* md.c: a record's text made safe for Markdown (doc.c's renderer). */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* S into F as Markdown text: what would start markup, a table cell or
 * HTML escaped, line breaks as spaces.
 */
void
md_text (FILE *f, const char *s)
{
  for (; s && *s; s++) {
    if (*s == '\n' || *s == '\r' || *s == '\t')
      fputc (' ', f);
    else if (strchr ("\\`*_[]<>|#!~", *s))
      fprintf (f, "\\%c", *s);
    else
      fputc (*s, f);
  }
}
