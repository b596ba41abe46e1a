/* services_cmd.c: viperbench services --stack FILE -- COMMAND...: a
 * stack's services (runner/service.c) around a command of the user's,
 * as nbdkit's --run does for a server: how a plugin is tried by hand
 * against its store, and how the plugin's tests get a real one.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

/* Says that ARG's reference BAD (freed here) has no value. */
static void
bad_arg (const struct stack *st, const char *arg, char *bad)
{
  vb_msg ("command argument '%s': '%s' names no value of a service of "
          "stack %s", arg, bad, st->path);
  free (bad);
}

static const struct cli_opt services_opts[] = {
  { "stack", 'k', "FILE", "the stack whose services to start (required)" },
  { NULL, 0, NULL, NULL },
};
/* "+" (posix): COMMAND's own options are its own. */
static const struct cli services_cli = {
  "services", "--stack FILE [--] COMMAND [ARG...]",
  "Starts every service of the stack as `viperbench run` would (in a private\n"
  "directory, ready when its check passes), runs COMMAND (no shell) with\n"
  "${ROLE.KEY} (dir, port, pid, url, socket, cacert) replaced in its\n"
  "arguments and an argument \"${plugin_args}\" replaced by the stack's\n"
  "plugin arguments, bound; then stops the services.  Exit status:\n"
  "COMMAND's, else 1 when a service failed or died; 2 bad input.\n"
  "  viperbench services --stack scenarios/stacks/objstore.json -- \\\n"
  "    nbdkit -U - build/blockstore.so '${plugin_args}' --run 'nbdinfo \"$uri\"'\n",
  services_opts, true,
};

/* COMMAND's arguments, bound, *K of them; NULL with a message. */
static char **
command_argv (const struct stack *st, char **in, int n, size_t *k)
{
  char **out = xcalloc ((size_t) n + st->nplugin_args + 1, sizeof *out);

  for (int i = 0; i < n; i++) {
    char *v, *bad;

    if (strcmp (in[i], "${plugin_args}") == 0) {
      for (size_t j = 0; j < st->nplugin_args; j++)
        out[(*k)++] = xstrdup (st->plugin_args[j]);
      continue;
    }
    if (services_subst (st, in[i], &v, &bad) == -1) {
      bad_arg (st, in[i], bad);
      strv_free (out, *k);
      *k = 0;
      return NULL;
    }
    out[(*k)++] = v;
  }
  return out;
}

int
services_main (int argc, char **argv)
{
  const char *path = NULL;
  char *priv = NULL, **cmd = NULL;
  size_t ncmd = 0;
  struct stack st;
  int c, rc = EXIT_BAD_INPUT, status = 0;
  pid_t pid;

  memset (&st, 0, sizeof st);
  optind = 1;
  while ((c = cli_next (&services_cli, argc, argv)) != -1) {
    switch (c) {
    case 'k': path = optarg; break;
    case CLI_HELP: return 0;
    default: return EXIT_BAD_INPUT;
    }
  }
  if (path == NULL)
    return cli_bad (&services_cli, "which stack? (--stack FILE)");
  if (optind >= argc)
    return cli_bad (&services_cli, "which command to run?");
  proc_install_signals ();
  /* What a service or the command leaves behind ends with it. */
  proc_contain ();
  if (stack_load (path, &st) == -1)
    goto out;
  if (st.nsvc == 0) {
    vb_msg ("stack %s declares no services", path);
    goto out;
  }
  if (services_preflight (&st) == -1)
    goto out;
  if ((priv = private_dir_make ()) == NULL) {
    rc = EXIT_RUN_FAILED;
    goto out;
  }
  for (int i = optind; i < argc; i++) {
    char *bad;

    if (services_subst (&st, argv[i], NULL, &bad) == -1) {
      bad_arg (&st, argv[i], bad);
      goto out;
    }
  }
  if (services_bind (&st, priv) == -1)
    goto out;
  stack_secrets (&st);
  rc = EXIT_RUN_FAILED;
  for (size_t i = 0; i < st.nsvc; i++) {
    struct service *s = &st.svc[i];

    if (service_start (s, priv) == -1) {
      rc = stop_requested ? EXIT_INTERRUPTED : EXIT_RUN_FAILED;
      goto out;
    }
    fprintf (stderr, "viperbench: service %s: ready in %.2f s at %s "
             "(pid %ld)\n", s->role, s->ready_s,
             s->url ? s->url : s->ready_at, (long) s->pid);
  }
  if ((cmd = command_argv (&st, argv + optind, argc - optind, &ncmd)) == NULL) {
    rc = EXIT_BAD_INPUT;
    goto out;
  }
  {
    struct spawn_opts o = { .keep_stdio = true };

    if ((pid = proc_spawn ((const char *const *) cmd, &o)) == -1)
      goto out;
  }
  for (;;) {
    int w = proc_wait (pid, 0.2, &status);

    if (w == 0) {
      rc = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
      break;
    }
    if (w == 2) {
      proc_kill (pid, 5);
      rc = EXIT_INTERRUPTED;
      break;
    }
    services_reap (&st);
  }
  /* A service that died under the command fails it. */
  if (services_reap (&st) && rc == 0)
    rc = EXIT_RUN_FAILED;

 out:
  strv_free (cmd, ncmd);
  if (st.svc)
    services_stop_all (&st);
  proc_reap_all (5);
  if (priv)
    rm_private (priv);
  free (priv);
  stack_free (&st);
  return rc;
}
