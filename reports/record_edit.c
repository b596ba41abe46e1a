/* record_edit.c: changing records after the fact.
 *
 *   viperbench rm [--results DIR] [--force] ID...
 *   viperbench note [--results DIR] ID TEXT
 *
 * Both act on records only (a directory of DIR named ID whose run.json
 * or gate.json says it is ID), never on a path: what they touch is
 * inside the results directory.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

enum rec_kind { REC_NONE, REC_RUN, REC_GATE, REC_EXPLORE };

/* What DIR/ID is: a run record, a gate, or none (with *WHY). *STATUS:
 * its status as a reader sees it (a run whose runner is gone is
 * "aborted"), to free.
 */
static enum rec_kind
record_at (const char *results, const char *id, char **status,
           const char **why)
{
  char *dir = xasprintf ("%s/%s", results, id), *path;
  enum rec_kind k = REC_NONE;
  struct stat sb;

  *status = NULL;
  if (!plain_name (id)) {
    *why = "not a record's name (a plain name such as VM-3, no '/')";
    free (dir);
    return REC_NONE;
  }
  if (lstat (dir, &sb) == -1) {
    *why = errno == ENOENT ? "no such record" : strerror (errno);
    free (dir);
    return REC_NONE;
  }
  if (!S_ISDIR (sb.st_mode)) {
    *why = "not a record's directory (a file or a symbolic link)";
    free (dir);
    return REC_NONE;
  }
  path = xasprintf ("%s/run.json", dir);
  if (lstat (path, &sb) == 0 && S_ISREG (sb.st_mode)) {
    const char *w;
    cJSON *doc = record_load (dir, &w);
    struct rm_run m;

    if (doc == NULL)
      *why = "its run.json is not a record";
    else {
      rm_run_read (doc, &m);
      if (m.id && strcmp (m.id, id) == 0) {
        k = REC_RUN;
        *status = xstrdup (m.status_now);
      }
      else
        *why = "its run.json names another record";
      rm_run_free (&m);
      cJSON_Delete (doc);
    }
  }
  else {
    cJSON *doc = NULL;
    struct rm_gate g;

    free (path);
    path = xasprintf ("%s/gate.json", dir);
    /* A regular file, never followed through a link. */
    if (lstat (path, &sb) == 0 && S_ISREG (sb.st_mode))
      doc = rm_gate_load (path, &g);
    else
      rm_gate_read (NULL, &g);
    if (doc && g.id && strcmp (g.id, id) == 0) {
      k = REC_GATE;
      *status = xstrdup (g.status ? g.status : "?");
    }
    else
      *why = "neither run.json nor gate.json of a record named so";
    rm_gate_free (&g);
    cJSON_Delete (doc);
    if (k == REC_NONE) {
      /* An exploration: explore.json naming this id. */
      struct rm_explore x;

      free (path);
      path = xasprintf ("%s/explore.json", dir);
      doc = NULL;
      if (lstat (path, &sb) == 0 && S_ISREG (sb.st_mode))
        doc = rm_explore_load (path, &x);
      else
        rm_explore_read (NULL, &x);
      if (doc && x.id && strcmp (x.id, id) == 0) {
        k = REC_EXPLORE;
        *status = xstrdup (x.status_now ? x.status_now : "?");
      }
      else if (doc)
        *why = "its explore.json names another record";
      rm_explore_free (&x);
      cJSON_Delete (doc);
    }
  }
  free (path);
  free (dir);
  return k;
}

static int
remove_one (const char *path, const struct stat *sb, int flag,
            struct FTW *ftw)
{
  (void) sb;
  (void) ftw;
  if ((flag == FTW_DP ? rmdir (path) : unlink (path)) == -1) {
    vb_msg ("rm: %s: %s", path, strerror (errno));
    return -1;
  }
  return 0;
}

int
rm_main (int argc, char **argv)
{
  static const struct cli_opt opts[] = {
    { "results", 'o', "DIR", "the results directory (default results)" },
    { "force", 'f', NULL, "remove a record that says it is running when "
      "its runner cannot be checked (a gate)" },
    { NULL, 0, NULL, NULL },
  };
  static const struct cli cli = {
    "rm", "[OPTIONS] ID...",
    "Removes records (VM-3, SWEEP-1, GATE-2, EXPLORE-1) from the results\n"
    "directory, each whole; never a path, never a record a live run is\n"
    "writing.\n"
    "Every ID is checked before any is removed.\n", opts, false,
  };
  const char *results = "results";
  bool force = false;
  int c, bad = 0, failed = 0;

  optind = 1;
  while ((c = cli_next (&cli, argc, argv)) != -1) {
    switch (c) {
    case 'o': results = optarg; break;
    case 'f': force = true; break;
    case CLI_HELP: return 0;
    default: return EXIT_BAD_INPUT;
    }
  }
  if (optind == argc)
    return cli_bad (&cli, "which records? (their ids, as viperbench list "
                    "shows them)");
  for (int i = optind; i < argc; i++) {
    const char *why = NULL;
    char *status;
    enum rec_kind k = record_at (results, argv[i], &status, &why);

    for (int j = optind; j < i && k != REC_NONE; j++)
      if (strcmp (argv[i], argv[j]) == 0) {
        k = REC_NONE;
        why = "named twice";
      }
    if (k == REC_NONE) {
      vb_msg ("rm: %s/%s: %s", results, argv[i], why);
      bad++;
    }
    else if (strcmp (status, "running") == 0 && (k != REC_GATE || !force)) {
      vb_msg ("rm: %s/%s is running%s", results, argv[i], k != REC_GATE
              ? " (its runner is alive): stop it first"
              : ": a gate's runner cannot be checked; --force if it is gone");
      bad++;
    }
    free (status);
  }
  if (bad)
    return EXIT_BAD_INPUT;
  for (int i = optind; i < argc; i++) {
    char *dir = xasprintf ("%s/%s", results, argv[i]);

    /* Depth first, no symbolic link followed, no other filesystem. */
    if (nftw (dir, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0) {
      if (errno)
        vb_msg ("rm: %s: %s", dir, strerror (errno));
      failed++;
    }
    else
      printf ("removed %s\n", dir);
    free (dir);
  }
  return failed ? EXIT_RUN_FAILED : 0;
}

int
note_main (int argc, char **argv)
{
  static const struct cli_opt opts[] = {
    { "results", 'o', "DIR", "the results directory (default results)" },
    { NULL, 0, NULL, NULL },
  };
  static const struct cli cli = {
    "note", "[OPTIONS] ID TEXT",
    "Adds TEXT, dated, to the record's notes (ID/notes.json, apart from its\n"
    "figures) and writes its report again, where the notes are shown under\n"
    "its header.\n", opts, false,
  };
  const char *results = "results", *why = NULL;
  char *status, *dir;
  enum rec_kind k;
  cJSON *doc;
  int c, r;

  optind = 1;
  while ((c = cli_next (&cli, argc, argv)) != -1) {
    switch (c) {
    case 'o': results = optarg; break;
    case CLI_HELP: return 0;
    default: return EXIT_BAD_INPUT;
    }
  }
  if (argc - optind != 2)
    return cli_bad (&cli, "expected a record's id and the text of the note");
  if (argv[optind + 1][strspn (argv[optind + 1], " \t\n")] == '\0')
    return cli_bad (&cli, "an empty note");
  k = record_at (results, argv[optind], &status, &why);
  free (status);
  if (k == REC_NONE) {
    vb_msg ("note: %s/%s: %s", results, argv[optind], why);
    return EXIT_BAD_INPUT;
  }
  if (k == REC_GATE || k == REC_EXPLORE) {
    vb_msg ("note: %s/%s is %s: its notes are its own (%s), not added to",
            results, argv[optind], k == REC_GATE ? "a gate" : "an exploration",
            k == REC_GATE ? "gate.json" : "explore.json");
    return EXIT_BAD_INPUT;
  }
  dir = xasprintf ("%s/%s", results, argv[optind]);
  if (rm_notes_add (dir, argv[optind + 1]) == -1) {
    free (dir);
    return EXIT_RUN_FAILED;
  }
  r = 0;
  /* Its report says it (a record written with --no-report has none). */
  if ((doc = record_load (dir, &why)) != NULL) {
    char *md = xasprintf ("%s/report.md", dir);

    if (access (md, F_OK) == 0 && report_write (dir, doc) == -1)
      r = EXIT_RUN_FAILED;
    free (md);
    cJSON_Delete (doc);
  }
  if (r == 0)
    printf ("noted in %s/notes.json\n", dir);
  free (dir);
  return r;
}
