/* notes.c: a record's notes (viperbench note) in its report: a leaf
 * that every report's header calls (run, depth sweep, scale sweep).
 */
#include <stdio.h>

#include "internal.h"

/* The record's notes (viperbench note), when it has any: kept apart
 * from its figures, said under its header.
 */
void
report_notes (struct doc *d, const char *dir)
{
  struct rm_notes notes;

  if (dir == NULL || rm_notes_read (dir, &notes) == -1 || notes.n == 0)
    return;
  doc_heading (d, 2);
  doc_text (d, "Notes");
  for (size_t i = 0; i < notes.n; i++) {
    doc_item (d);
    doc_data (d, notes.v[i].at);
    doc_text (d, ": ");
    doc_data (d, notes.v[i].text);
  }
  rm_notes_free (&notes);
}
