/* private.c: the run's private directory, /tmp/viperbench.XXXXXX (0700):
 * sockets, fio's raw output (secrets unredacted), the services' files.
 * It names its runner in runner.pid; one whose runner is gone (killed,
 * SIGKILL included, before it could clean up) is removed by the next.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* Removes what is in the directory DFD (closed), never following a link
 * out of it: the services' directories hold trees of their own.
 */
static void
rm_tree (int dfd)
{
  DIR *d = fdopendir (dfd);
  struct dirent *e;

  if (d == NULL) {
    close (dfd);
    return;
  }
  while ((e = readdir (d))) {
    int sub;

    if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
      continue;
    if (unlinkat (dirfd (d), e->d_name, 0) == 0)
      continue;
    sub = openat (dirfd (d), e->d_name,
                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub >= 0) {
      rm_tree (sub);
      unlinkat (dirfd (d), e->d_name, AT_REMOVEDIR);
    }
  }
  closedir (d);
}

/* Removes the private directory and what is left in it (sockets, the
 * services' files).
 */
void
rm_private (const char *dir)
{
  int fd = dir ? open (dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
    : -1;

  if (fd == -1)
    return;
  rm_tree (fd);
  rmdir (dir);
}

/* Removes the private directories of this user's runners that are gone
 * (killed, SIGKILL included, before they could): they hold fio's raw
 * output, secrets unredacted.  Each names its runner in runner.pid.
 */
static void
sweep_private (void)
{
  DIR *d = opendir ("/tmp");
  struct dirent *e;

  while (d && (e = readdir (d))) {
    char *dir, *pidf, *text;
    struct stat sb;
    long pid;

    if (strncmp (e->d_name, "viperbench.", 11) != 0)
      continue;
    dir = xasprintf ("/tmp/%s", e->d_name);
    pidf = xasprintf ("%s/runner.pid", dir);
    if (lstat (dir, &sb) == 0 && S_ISDIR (sb.st_mode) &&
        sb.st_uid == geteuid () && (text = read_file (pidf, NULL))) {
      pid = strtol (text, NULL, 10);
      if (pid > 0 && kill ((pid_t) pid, 0) == -1 && errno == ESRCH) {
        vb_warn ("removing %s, left by runner %ld, which is gone", dir, pid);
        rm_private (dir);
      }
      free (text);
    }
    free (pidf);
    free (dir);
  }
  if (d)
    closedir (d);
}

/* Removes what runners that are gone left, then makes this runner's:
 * its path (to free), or NULL with a message.
 */
char *
private_dir_make (void)
{
  char tmpl[] = "/tmp/viperbench.XXXXXX";
  char *dir, *pidf, *pid;
  int r;

  sweep_private ();
  cgroup_sweep ();
  if (mkdtemp (tmpl) == NULL) {
    vb_msg ("mkdtemp: %s", strerror (errno));
    return NULL;
  }
  dir = xstrdup (tmpl);
  pidf = xasprintf ("%s/runner.pid", dir);
  pid = xasprintf ("%ld\n", (long) getpid ());
  r = write_file_atomic (pidf, pid, strlen (pid));
  free (pidf);
  free (pid);
  if (r == -1) {
    rm_private (dir);
    free (dir);
    return NULL;
  }
  return dir;
}
