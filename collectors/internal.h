/* internal.h: collectors, one file each behind struct collector.
 *
 * A collector measures the processes of one layer (fio itself and the
 * layer's servers) over the measured window: it starts once fio's jobs
 * run (after ramp_time) and stops when fio has exited, before the
 * servers are torn down.  Adding one is a file and a line in
 * collectors/collectors.c.
 */
#ifndef VIPERBENCH_COLLECTORS_H
#define VIPERBENCH_COLLECTORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "../common/internal.h"

#define COLL_MAX_PROCS 8

struct coll_proc {
  const char *role;             /* the program: fio, nbdkit, qemu-nbd */
  pid_t pid;
  bool is_fio;                  /* fio: with its job processes, rusage at exit */
  bool tree;                    /* a server with its child processes (a
                                   service's workers), counted as one */
  const struct cgroup *cg;      /* its cgroup (all it starts), or NULL */
};

struct coll_ctx {
  const char *dir;              /* the layer's record directory */
  const char *layer;
  const char *file;             /* the file the layer's I/O goes to, or NULL */
  bool has_secrets;             /* the target's arguments hold secrets */
  double expect_s;              /* the window's expected length, or 0 */
  struct coll_proc procs[COLL_MAX_PROCS];
  size_t nprocs;
};

struct coll_end {
  struct rusage fio_rusage;     /* fio and its reaped jobs, whole life */
  double window_s;              /* measured window, seconds */
  /* I/Os in the window: fio's rate (its I/Os over its own measured
   * time) times the window, at most all it counted.  The window opens
   * after fio's start-up and closes at its exit, so its whole count
   * would understate any cost per I/O.
   */
  uint64_t ios;
};

struct collector {
  const char *name;
  /* NULL when it can run here, else why not and how to enable it. */
  const char *(*unavailable) (void);
  /* Only for some layers (NULL: all). */
  bool (*wants) (const struct coll_ctx *ctx);
  /* Starts measuring; NULL on failure (message printed). */
  void *(*start) (const struct coll_ctx *ctx);
  /* Optional, for a collector whose own start-up is costly (perf's):
   * ARM readies it when fio starts, before the window, and returns its
   * state; BEGIN then starts measuring at the window's start and returns
   * the state STOP takes (NULL on failure: message printed, all
   * released); DISARM releases an armed state when no window comes.
   * START is not called for a collector with ARM.
   */
  void *(*arm) (const struct coll_ctx *ctx);
  void *(*begin) (void *armed, const struct coll_ctx *ctx);
  void (*disarm) (void *armed);
  /* Called about every 100 ms during the window (may be NULL). */
  void (*tick) (void *state, const struct coll_ctx *ctx);
  /* Stops, frees STATE and adds its results to OUT; 0 or -1. */
  int (*stop) (void *state, const struct coll_ctx *ctx,
               const struct coll_end *end, cJSON *out);
};

/* collectors.c */
extern const struct collector *const collectors[];
extern const size_t ncollectors;

/* procfs.c: readings shared by collectors */
struct proc_usage {
  double user_s, sys_s;
  uint64_t ctx_vol, ctx_invol;
};

/* Context switches per thread, kept across samples so that threads that
 * exit during the window still count (/proc forgets them).
 */
struct tid_ctx {
  pid_t tid;
  uint64_t first_vol, first_invol, last_vol, last_invol;
  double first_cpu, last_cpu;   /* its CPU seconds (0 first: born later) */
  char comm[16];                /* its name as last seen */
  bool in_window;               /* existed at the first sample */
};

struct ctx_track {
  struct tid_ctx *t;
  size_t n, cap;
};
/* The thread of T that spent the most CPU over the window (*CPU_S
 * seconds), or NULL when there is none.
 */
extern const struct tid_ctx *procfs_busiest (const struct ctx_track *t,
                                             double *cpu_s);
/* The host's CPU time per CPU from /proc/stat (USER_HZ ticks): idle
 * (idle + iowait) and total, for the busy share of each over a window.
 */
#define HOST_MAX_CPUS 256
struct host_cpu {
  unsigned long long idle[HOST_MAX_CPUS], total[HOST_MAX_CPUS];
  unsigned n;
};
extern int procfs_host_cpu (struct host_cpu *c);
/* PID's affinity into SET; 0 or -1. */
extern int procfs_affinity (pid_t pid, cpu_set_t *set);
/* How many CPUs PID may run on (its affinity); 0 when unknown. */
extern unsigned procfs_cpus_allowed (pid_t pid);
/* Samples every thread of PID into T. */
extern void procfs_ctx_sample (pid_t pid, struct ctx_track *t, bool first);
/* Switches during the window: last - first per thread (0 for threads
 * that appeared later: their count since birth).
 */
extern void procfs_ctx_total (const struct ctx_track *t, uint64_t *vol,
                              uint64_t *invol);
/* PID's CPU time summed over its threads (context switches are left
 * 0: procfs_add_ctx); its reaped children's too when WITH_CHILDREN.  -1
 * when it is gone.
 */
extern int procfs_usage (pid_t pid, bool with_children, struct proc_usage *u);
/* Adds the context switches of every live thread of PID to U. */
extern void procfs_add_ctx (pid_t pid, struct proc_usage *u);
/* Adds PID's open descriptors to *FDS and those that are sockets to
 * *SOCKETS; -1 when it is gone.
 */
extern int procfs_fds (pid_t pid, double *fds, double *sockets);
/* PID and its child processes (fio and its jobs), PID first. */
extern size_t procfs_group (pid_t pid, pid_t *out, size_t max);

/* common.c */
/* "pid,pid,..." for P: fio's whole process group, or the server. */
extern char *coll_pid_list (const struct coll_proc *p);
/* Why perf cannot be used here (with how to fix it), or NULL. */
extern const char *coll_perf_unavailable (void);
/* Stops a perf child with SIGINT (it then writes its output); 0 or -1.
 * *CPU_S (may be NULL) gets the CPU seconds perf itself used.
 */
extern int coll_perf_stop (pid_t pid, double *cpu_s);

/* perf.c: perf record's sampling rate (Hz) for a window of EXPECT_S
 * seconds (0: unknown).
 */
extern int perf_rate (double expect_s);

/* cpu.c, perf.c, counters.c, disk.c */
extern const struct collector collector_cpu;
extern const struct collector collector_perf;
extern const struct collector collector_counters;
extern const struct collector collector_disk;
/* resources.c */
extern const struct collector collector_resources;

#endif /* VIPERBENCH_COLLECTORS_H */
