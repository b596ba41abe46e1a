/* cost.c: what the probe's hot path (common/probe.h: vbp_begin and
 * vbp_end around a request) costs per request, with THREADS threads
 * counting into one probe file at once (as nbdkit's threads do), in
 * nanoseconds of CPU.  runner/bench-probes.sh prints it beside the CPU
 * per I/O it measures, to say what share of a request it is.
 *
 *   build/probe-cost [THREADS [MILLION-REQUESTS]]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../../common/probe.h"

static struct vbp_shm *shm;
static long per_thread;

static void *
worker (void *arg)
{
  (void) arg;
  for (long i = 0; i < per_thread; i++) {
    uint64_t t0 = vbp_begin (shm);

    vbp_end (shm, (enum vbp_op) (i & 1), t0, 4096, false);
  }
  return NULL;
}

int
main (int argc, char **argv)
{
  int threads = argc > 1 ? atoi (argv[1]) : 1;
  long million = argc > 2 ? atol (argv[2]) : 4;
  char dir[] = "/tmp/probe-cost.XXXXXX", path[64];
  pthread_t t[256];
  struct timespec a, b;
  double cpu_ns;

  if (threads < 1 || threads > 256 || million < 1 || !mkdtemp (dir)) {
    fprintf (stderr, "usage: probe-cost [THREADS (1-256) [MILLION-REQUESTS]]\n");
    return 2;
  }
  snprintf (path, sizeof path, "%s/p", dir);
  if ((shm = vbp_create (path, "cost")) == NULL) {
    perror (path);
    return 1;
  }
  per_thread = million * 1000000 / threads;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &a);
  for (int i = 0; i < threads; i++)
    pthread_create (&t[i], NULL, worker, NULL);
  for (int i = 0; i < threads; i++)
    pthread_join (t[i], NULL);
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &b);
  cpu_ns = (double) (b.tv_sec - a.tv_sec) * 1e9 + (double) (b.tv_nsec - a.tv_nsec);
  printf ("%.1f\n", cpu_ns / (double) (per_thread * threads));
  vbp_close (shm);
  unlink (path);
  rmdir (dir);
  return 0;
}
