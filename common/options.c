/* options.c: how every command reads its options and says its usage.
 *
 * A command's option table is the source of its help: each option's
 * name, its value's name and one line of what it does.  getopt_long's
 * table is made from it, so the help cannot name an option the parser
 * does not take or leave one out.  Errors are said in the tool's words
 * ("viperbench run: unknown option '--layer'"), with the nearest valid
 * name for a typo, as git and cargo do.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The edit distance of A and B (insertions, deletions, substitutions,
 * and a swap of two neighbours), at most 99.
 */
static size_t
distance (const char *a, const char *b)
{
  size_t la = strlen (a), lb = strlen (b);
  size_t d[32][32];

  if (la > 30 || lb > 30)
    return 99;
  for (size_t i = 0; i <= la; i++)
    d[i][0] = i;
  for (size_t j = 0; j <= lb; j++)
    d[0][j] = j;
  for (size_t i = 1; i <= la; i++)
    for (size_t j = 1; j <= lb; j++) {
      size_t sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
      size_t del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1, m = sub;

      if (del < m)
        m = del;
      if (ins < m)
        m = ins;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          d[i - 2][j - 2] + 1 < m)
        m = d[i - 2][j - 2] + 1;
      d[i][j] = m;
    }
  return d[la][lb];
}

const char *
cli_nearest (const char *word, const char *const *names, size_t n)
{
  const char *best = NULL;
  size_t bestd = 99, len = strlen (word);
  /* A third of the word may be wrong (at least one letter, at most 3). */
  size_t limit = len / 3 < 1 ? 1 : len / 3 > 3 ? 3 : len / 3;

  for (size_t i = 0; i < n; i++) {
    size_t d = distance (word, names[i]);

    /* A name the word begins or is the beginning of: near too. */
    if (d > limit && len >= 3 &&
        (strncmp (names[i], word, len) == 0 ||
         strncmp (word, names[i], strlen (names[i])) == 0))
      d = limit;
    if (d <= limit && d < bestd) {
      best = names[i];
      bestd = d;
    }
  }
  return best;
}

char *
cli_names (const char *const *names, size_t n)
{
  size_t len = 1;
  char *s, *p;

  for (size_t i = 0; i < n; i++)
    len += strlen (names[i]) + 2;
  p = s = xmalloc (len);
  *p = '\0';
  for (size_t i = 0; i < n; i++)
    p += sprintf (p, "%s%s", i ? ", " : "", names[i]);
  return s;
}

static size_t
nopts (const struct cli *c)
{
  size_t n = 0;

  while (c->opts && c->opts[n].name)
    n++;
  return n;
}

/* "  LEFT  HELP", HELP's words wrapped at 79 columns under its start. */
static void
help_line (FILE *f, size_t width, const char *left, const char *help)
{
  size_t col = width + 4, at = col;
  const char *p = help;

  fprintf (f, "  %-*s  ", (int) width, left);
  while (*p) {
    size_t w = strcspn (p, " ");

    if (at > col && at + 1 + w > 79) {
      fprintf (f, "\n%*s", (int) col, "");
      at = col;
    }
    else if (at > col) {
      fputc (' ', f);
      at++;
    }
    fprintf (f, "%.*s", (int) w, p);
    at += w;
    p += w;
    p += strspn (p, " ");
  }
  fputc ('\n', f);
}

void
cli_usage (FILE *f, const struct cli *c)
{
  size_t n = nopts (c), width = 10;

  fprintf (f, "usage: viperbench %s%s%s\n", c->cmd, *c->synopsis ? " " : "",
           c->synopsis);
  if (c->about && *c->about)
    fprintf (f, "%s", c->about);
  fprintf (f, "\noptions:\n");
  for (size_t i = 0; i < n; i++) {
    size_t w = strlen (c->opts[i].name) + 2 +
               (c->opts[i].arg ? strlen (c->opts[i].arg) + 1 : 0);

    if (w > width)
      width = w;
  }
  for (size_t i = 0; i < n; i++) {
    char left[96];

    snprintf (left, sizeof left, "--%s%s%s", c->opts[i].name,
              c->opts[i].arg ? " " : "", c->opts[i].arg ? c->opts[i].arg : "");
    help_line (f, width, left, c->opts[i].help);
  }
  help_line (f, width, "-h, --help", "this help");
}

/* The option names of C (NULL-ended array, to free). */
static const char **
opt_names (const struct cli *c, size_t *n)
{
  const char **names;

  *n = nopts (c);
  names = xcalloc (*n + 2, sizeof *names);
  for (size_t i = 0; i < *n; i++)
    names[i] = c->opts[i].name;
  names[(*n)++] = "help";
  return names;
}

int
cli_next (const struct cli *c, int argc, char **argv)
{
  struct option lo[64];
  size_t n = nopts (c), k = 0;
  int r, at = optind;

  if (n + 2 > sizeof lo / sizeof lo[0])
    abort ();
  for (size_t i = 0; i < n; i++) {
    lo[k].name = c->opts[i].name;
    lo[k].has_arg = c->opts[i].arg ? required_argument : no_argument;
    lo[k].flag = NULL;
    lo[k].val = c->opts[i].val;
    k++;
  }
  lo[k++] = (struct option) { "help", no_argument, NULL, 'h' };
  lo[k] = (struct option) { NULL, 0, NULL, 0 };
  opterr = 0;
  r = getopt_long (argc, argv, c->posix ? "+:h" : ":h", lo, NULL);
  if (r == 'h') {
    cli_usage (stdout, c);
    return CLI_HELP;
  }
  if (r == ':' || r == '?') {
    /* The word getopt stopped at: argv[optind - 1], or, for a short
     * option inside a word, optopt.
     */
    const char *word = optind - 1 >= at && optind - 1 < argc
      ? argv[optind - 1] : "";
    char *eq;
    char name[64];

    if (r == ':') {
      for (size_t i = 0; i < n; i++)
        if (strcmp (word + strspn (word, "-"), c->opts[i].name) == 0)
          fprintf (stderr, "viperbench %s: %s needs a value (%s); see "
                   "'viperbench %s --help'\n", c->cmd, word, c->opts[i].arg,
                   c->cmd);
      return CLI_BAD;
    }
    if (strncmp (word, "--", 2) != 0) {
      fprintf (stderr, "viperbench %s: unknown option '-%c'; see "
               "'viperbench %s --help'\n", c->cmd, optopt ? optopt : '?',
               c->cmd);
      return CLI_BAD;
    }
    snprintf (name, sizeof name, "%s", word + 2);
    if ((eq = strchr (name, '=')))
      *eq = '\0';
    {
      size_t nn;
      const char **names = opt_names (c, &nn);
      const char *near = cli_nearest (name, names, nn);
      bool ambiguous = false, exact = false;

      for (size_t i = 0, hits = 0; i < nn && *name; i++) {
        if (strcmp (names[i], name) == 0)
          exact = true;
        if (strncmp (names[i], name, strlen (name)) == 0 && ++hits > 1)
          ambiguous = true;
      }
      if (exact)
        fprintf (stderr, "viperbench %s: option '--%s' takes no value",
                 c->cmd, name);
      else if (ambiguous)
        fprintf (stderr, "viperbench %s: option '--%s' is ambiguous", c->cmd,
                 name);
      else
        fprintf (stderr, "viperbench %s: unknown option '--%s'", c->cmd, name);
      if (near && !ambiguous && !exact)
        fprintf (stderr, " (did you mean --%s?)", near);
      fprintf (stderr, "; see 'viperbench %s --help'\n", c->cmd);
      free (names);
    }
    return CLI_BAD;
  }
  return r;
}

int
cli_bad (const struct cli *c, const char *fmt, ...)
{
  va_list ap;

  fprintf (stderr, "viperbench %s: ", c->cmd);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fprintf (stderr, "; see 'viperbench %s --help'\n", c->cmd);
  return EXIT_BAD_INPUT;
}
