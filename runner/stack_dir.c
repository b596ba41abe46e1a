/* stack_dir.c: the stack's directory (host.img, the plugin's files), made
 * so that nothing planted there is followed and no file the run did not
 * make is overwritten.
 *
 * The directory must be the runner's own: owned by this user, not a
 * symbolic link, writable by nobody else (the default lives in
 * world-writable /var/tmp).  Files are opened inside it by name
 * (openat, O_NOFOLLOW); those the run makes are listed in
 * DIR/.viperbench-made, and a file already there that is not listed is
 * refused rather than overwritten: the benchmark writes over its data.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define MADE ".viperbench-made"

int
stack_dir_open (const struct stack *st)
{
  struct stat sb;
  int fd;

  if (mkdir_p (st->dir, 0755) == -1) {
    vb_msg ("stack %s: dir %s: %s", st->path, st->dir, strerror (errno));
    return -1;
  }
  fd = open (st->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd == -1) {
    vb_msg ("stack %s: dir %s: %s", st->path, st->dir,
            errno == ELOOP || errno == ENOTDIR
            ? "a symbolic link or not a directory: refused" : strerror (errno));
    return -1;
  }
  if (fstat (fd, &sb) == -1 || sb.st_uid != geteuid () ||
      (sb.st_mode & (S_IWGRP | S_IWOTH))) {
    vb_msg ("stack %s: dir %s is %s: refused (another user could plant "
            "files there); choose another dir, or fix its owner and mode",
            st->path, st->dir, sb.st_uid != geteuid ()
            ? "owned by another user" : "writable by others");
    close (fd);
    return -1;
  }
  return fd;
}

/* True when NAME is listed in DFD's manifest of files the runs made. */
static bool
made_here (int dfd, const char *name)
{
  int fd = openat (dfd, MADE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  char buf[4096];
  char *text = NULL;
  size_t len = 0;
  FILE *f;
  bool found = false;
  ssize_t r;

  if (fd == -1)
    return false;
  f = xopen_memstream (&text, &len);
  while ((r = read (fd, buf, sizeof buf)) > 0)
    fwrite (buf, 1, (size_t) r, f);
  xclose_memstream (f);
  close (fd);
  for (char *save = NULL, *l = strtok_r (text, "\n", &save); l && !found;
       l = strtok_r (NULL, "\n", &save))
    found = strcmp (l, name) == 0;
  free (text);
  return found;
}

/* Adds NAME to DFD's manifest; 0 or -1. */
static int
note_made (int dfd, const char *dir, const char *name)
{
  int fd = openat (dfd, MADE, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
                   O_CLOEXEC, 0644);
  char *line = xasprintf ("%s\n", name);
  int r = 0;

  if (fd == -1 || write (fd, line, strlen (line)) != (ssize_t) strlen (line) ||
      fsync (fd) == -1) {
    vb_msg ("%s/%s: %s", dir, MADE, strerror (errno));
    r = -1;
  }
  if (fd != -1)
    close (fd);
  free (line);
  return r;
}

/* NAME in DFD: 1 when it is there, a regular file the runs made (*SB
 * filled); 0 when absent; -1 with a message when it is someone else's
 * or cannot be looked at.
 */
static int
ours (int dfd, const struct stack *st, const char *name, struct stat *sb)
{
  if (fstatat (dfd, name, sb, AT_SYMLINK_NOFOLLOW) == -1) {
    if (errno == ENOENT)
      return 0;
    vb_msg ("%s/%s: %s", st->dir, name, strerror (errno));
    return -1;
  }
  if (!S_ISREG (sb->st_mode) || !made_here (dfd, name)) {
    vb_msg ("stack %s: %s/%s exists and was not made by viperbench: a run "
            "would overwrite it; remove it or choose another dir", st->path,
            st->dir, name);
    return -1;
  }
  return 1;
}

int
stack_dir_check (const struct stack *st, const char *name)
{
  struct stat sb;
  int dfd = open (st->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  int r;

  if (dfd == -1)
    return 0;                   /* stack_dir_open says why, if need be */
  r = ours (dfd, st, name, &sb);
  close (dfd);
  return r == -1 ? -1 : 0;
}

int
stack_dir_claim (int dfd, const struct stack *st, const char *name)
{
  struct stat sb;
  int r = ours (dfd, st, name, &sb);

  return r == 0 ? note_made (dfd, st->dir, name) : r == 1 ? 0 : -1;
}

int
stack_dir_layout (int dfd, const struct stack *st, const char *name)
{
  struct stat sb;
  char *buf;
  int fd;
  int64_t size = st->size;
  uint64_t x = 0x9e3779b97f4a7c15ull;

  switch (ours (dfd, st, name, &sb)) {
  case -1:
    return -1;
  case 1:
    if (sb.st_size == size && sb.st_blocks * 512 >= size)
      return 0;
    fd = openat (dfd, name, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
    break;
  default:
    if (note_made (dfd, st->dir, name) == -1)
      return -1;
    fd = openat (dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                 O_CLOEXEC, 0644);
    break;
  }
  if (fd == -1) {
    vb_msg ("open %s/%s: %s", st->dir, name, strerror (errno));
    return -1;
  }
  buf = xmalloc (1 << 20);
  fprintf (stderr, "viperbench: laying out %s/%s (%lld MiB)\n", st->dir, name,
           (long long) (size >> 20));
  /* Data, not a sparse file: reads must reach the disk. */
  for (int64_t off = 0; off < size && !stop_requested; off += 1 << 20) {
    size_t n = size - off < (1 << 20) ? (size_t) (size - off) : 1 << 20;

    for (size_t i = 0; i + 8 <= n; i += 8) {
      x ^= x << 13; x ^= x >> 7; x ^= x << 17;
      memcpy (buf + i, &x, 8);
    }
    if (write (fd, buf, n) != (ssize_t) n) {
      vb_msg ("write %s/%s: %s", st->dir, name, strerror (errno));
      free (buf);
      close (fd);
      return -1;
    }
  }
  free (buf);
  if (fsync (fd) == -1 || close (fd) == -1) {
    vb_msg ("fsync %s/%s: %s", st->dir, name, strerror (errno));
    return -1;
  }
  return stop_requested ? -1 : 0;
}
