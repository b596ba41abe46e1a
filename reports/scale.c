/* scale.c: load clients in reports.  A layer run by several fio clients
 * (its "clients" and "fairness") gets a section of the ladder's report:
 * each client's share of the merged figures.  A scale sweep (kind
 * "sweep", axis "scale": the clients layer at each count of clients and
 * volumes) gets a report of its own: total IOPS, p99, and what the
 * server held (descriptors, sockets, threads, memory) and its CPU per
 * I/O against the number of connections, with what each connection
 * costs and which limit it meets first.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The clients of target T: a table of their shares and the fairness. */
static void
clients_table (struct doc *d, const struct rm_target *t)
{
  const struct rm_fairness *fair = &t->fairness;
  double total = rm_iops (t);

  doc_table (d, "llrrrrrr");
  doc_cells (d, (const char *const[]) { "client", "fio server", "volumes",
                 "read IOPS", "write IOPS", "share", "read p99", "write p99",
                 NULL });
  for (size_t i = 0; i < t->nclients; i++) {
    const struct rm_client *c = &t->clients[i];
    char r[16], w[16], r99[16], w99[16];

    fmt_iops (r, sizeof r, c->dir[RM_READ].iops);
    fmt_iops (w, sizeof w, c->dir[RM_WRITE].iops);
    fmt_ns (r99, sizeof r99, c->dir[RM_READ].p99_ns);
    fmt_ns (w99, sizeof w99, c->dir[RM_WRITE].p99_ns);
    doc_cell (d);
    doc_data (d, rm_or_q (c->name));
    doc_cell (d);
    doc_data (d, rm_or_q (c->fio_server));
    doc_cell (d);
    if (c->volumes >= 0)
      doc_text (d, "%d", c->volumes);
    else
      doc_text (d, "?");
    doc_cell (d);
    doc_text (d, "%s", r);
    doc_cell (d);
    doc_text (d, "%s", w);
    doc_cell (d);
    doc_text (d, "%.1f%%", total > 0 ? 100 * rm_dir_iops (c->dir) / total
              : NAN);
    doc_cell (d);
    doc_text (d, "%s", r99);
    doc_cell (d);
    doc_text (d, "%s", w99);
  }
  doc_para (d);
  doc_text (d, "Fairness over %g clients: the least served did %.1f%% of "
               "the most served's I/Os (min/max %.3f), Jain's index %.3f "
               "(1: all equal; 1/n: one client did everything).",
            fair->clients, 100 * fair->min_over_max, fair->min_over_max,
            fair->jain);
}

/* The ladder report's section for layers with load clients; see
 * internal.h.
 */
void
clients_section (struct doc *d, const struct rm_run *run)
{
  bool any = false;

  for (size_t i = 0; i < run->ntargets; i++) {
    const struct rm_target *t = &run->targets[i];

    if (!t->has_clients)
      continue;
    if (!any) {
      doc_heading (d, 2);
      doc_text (d, "Load clients");
      doc_para (d);
      doc_text (d, "The layer's figures above merge every client's jobs "
                   "(percentiles from their summed latency bins); each "
                   "client's own share:");
    }
    any = true;
    doc_para (d);
    doc_bold (d, "%s", t->name);
    doc_text (d, ": %g volumes, %g connections to ",
              rm_fact_num (t, "volumes"), rm_fact_num (t, "connections"));
    doc_data (d, rm_or_q (rm_fact_text (t, "server")));
    doc_text (d, " (clients: ");
    doc_data (d, rm_or_q (rm_fact_text (t, "clients_made")));
    doc_text (d, ")");
    clients_table (d, t);
  }
}

/* nbdkit's CPU per I/O at a point (the cpu collector), or NAN. */
static double
server_cpu (const struct rm_target *pt)
{
  for (size_t i = 0; i < pt->nprocs; i++) {
    double v = pt->procs[i].cpu_us_per_io;

    if (pt->procs[i].role && strcmp (pt->procs[i].role, "nbdkit") == 0 &&
        isfinite (v) && v >= 0)
      return v;
  }
  return NAN;
}

/* The least-squares slope of Y against X over N points (NAN values
 * skipped); NAN with fewer than two.
 */
double
scale_slope (const double *x, const double *y, size_t n)
{
  double sx = 0, sy = 0, sxx = 0, sxy = 0, k = 0;

  for (size_t i = 0; i < n; i++) {
    if (isnan (x[i]) || isnan (y[i]))
      continue;
    sx += x[i];
    sy += y[i];
    sxx += x[i] * x[i];
    sxy += x[i] * y[i];
    k++;
  }
  if (k < 2 || sxx * k - sx * sx == 0)
    return NAN;
  return (k * sxy - sx * sy) / (k * sxx - sx * sx);
}

enum { C_CONNS, C_IOPS, C_RP99, C_WP99, C_FDS, C_SOCK, C_THR, C_RSS, C_CPU,
       C_JAIN, NCOL };

/* One layer's points: the table, the cost per connection, the data
 * file (CDIR/scale-LI.dat, CDIR NULL: none).
 */
static void
scale_layer (struct doc *dc, const struct rm_target *t, const char *cdir,
             size_t li)
{
  size_t n = t->npoints;
  double *col[NCOL], limit = NAN, tlimit = NAN;
  FILE *d = NULL;
  char *dpath = NULL;

  for (size_t k = 0; k < NCOL; k++)
    col[k] = xcalloc (n + 1, sizeof *col[k]);
  if (cdir) {
    dpath = xasprintf ("%s/scale-%zu.dat", cdir, li);
    d = fopen_out (dpath);
  }
  doc_heading (dc, 2);
  doc_text (dc, "%s", t->name);
  doc_table (dc, "rrrrrrrrrrrr");
  doc_cells (dc, (const char *const[]) { "clients", "volumes", "connections",
                 "IOPS", "read p99", "write p99", "nbdkit CPU/IO", "fds",
                 "sockets", "threads", "RSS", "Jain", NULL });
  for (size_t i = 0; i < n; i++) {
    const struct rm_target *pt = &t->points[i];
    char io[16], r99[16], w99[16];

    col[C_CONNS][i] = pt->connections;
    col[C_IOPS][i] = rm_iops (pt);
    col[C_RP99][i] = pt->dir[RM_READ].p99_ns;
    col[C_WP99][i] = pt->dir[RM_WRITE].p99_ns;
    col[C_FDS][i] = rm_resource (pt, RM_FDS_MAX);
    col[C_SOCK][i] = rm_resource (pt, RM_SOCKETS_MAX);
    col[C_THR][i] = rm_resource (pt, RM_THREADS_MAX);
    col[C_RSS][i] = rm_resource (pt, RM_RSS_KIB_MAX) / 1024;
    col[C_CPU][i] = server_cpu (pt);
    col[C_JAIN][i] = pt->fairness.jain;
    if (isnan (limit))
      limit = rm_resource (pt, RM_FD_LIMIT);
    if (isnan (tlimit))
      tlimit = rm_resource (pt, RM_TASK_LIMIT);
    fmt_iops (io, sizeof io, col[C_IOPS][i]);
    fmt_ns (r99, sizeof r99, col[C_RP99][i]);
    fmt_ns (w99, sizeof w99, col[C_WP99][i]);
    doc_cell (dc);
    doc_text (dc, "%g", pt->client_count);
    doc_cell (dc);
    doc_text (dc, "%g", pt->volumes);
    doc_cell (dc);
    doc_text (dc, "%g", col[C_CONNS][i]);
    doc_cell (dc);
    doc_text (dc, "%s", io);
    doc_cell (dc);
    doc_text (dc, "%s", r99);
    doc_cell (dc);
    doc_text (dc, "%s", w99);
    doc_cell (dc);
    doc_text (dc, "%.1f us", col[C_CPU][i]);
    doc_cell (dc);
    doc_text (dc, "%.0f", col[C_FDS][i]);
    doc_cell (dc);
    doc_text (dc, "%.0f", col[C_SOCK][i]);
    doc_cell (dc);
    doc_text (dc, "%.0f", col[C_THR][i]);
    doc_cell (dc);
    doc_text (dc, "%.1f MiB", col[C_RSS][i]);
    doc_cell (dc);
    doc_text (dc, "%.3f", col[C_JAIN][i]);
    if (d) {
      for (size_t k = 0; k < NCOL; k++)
        fprintf (d, "%s%g", k ? " " : "", col[k][i]);
      fprintf (d, "\n");
    }
  }
  if (d)
    fclose_out (d, dpath);
  free (dpath);
  {
    double fds = scale_slope (col[C_CONNS], col[C_FDS], n);
    double sock = scale_slope (col[C_CONNS], col[C_SOCK], n);
    double thr = scale_slope (col[C_CONNS], col[C_THR], n);
    double rss = scale_slope (col[C_CONNS], col[C_RSS], n);

    doc_para (dc);
    if (isnan (fds))
      doc_text (dc, "The server's resources were not measured at two "
                    "connection counts (the resources collector, or the "
                    "points, missing): no cost per connection.");
    else {
      doc_bold (dc, "Per connection");
      doc_text (dc, " (least-squares slope over the points): %.2f "
                    "descriptors, %.2f sockets, %.2f threads, %.0f KiB "
                    "resident memory on the server side.",
                fds, sock, thr, rss * 1024);
      /* Which limit the server meets first, at the rates measured. */
      {
        double at_fd = fds > 0 && limit > 0
          ? col[C_CONNS][n - 1] + (limit - col[C_FDS][n - 1]) / fds : NAN;
        double at_thr = thr > 0 && tlimit > 0
          ? col[C_CONNS][n - 1] + (tlimit - col[C_THR][n - 1]) / thr : NAN;

        if (!isnan (at_fd))
          doc_text (dc, " At these rates the server's descriptor limit "
                        "(%.0f, RLIMIT_NOFILE) is reached at about %.0f "
                        "connections", limit, at_fd);
        if (!isnan (at_thr))
          doc_text (dc, "%s its thread limit (%.0f, the fewer of "
                        "RLIMIT_NPROC and kernel.threads-max, for the whole "
                        "machine) at about %.0f",
                    isnan (at_fd) ? " At these rates" : ",", tlimit, at_thr);
        if (!isnan (at_fd) && !isnan (at_thr)) {
          doc_text (dc, ": ");
          doc_bold (dc, "%s first", at_thr < at_fd ? "threads" : "descriptors");
        }
        if (!isnan (at_fd) || !isnan (at_thr))
          doc_text (dc, ".");
      }
    }
  }
  for (size_t k = 0; k < NCOL; k++)
    free (col[k]);
}

/* The charts' script in CDIR. */
static int
scale_charts (const char *cdir, const struct rm_run *run, const char *title)
{
  char *p = xasprintf ("%s/charts.gp", cdir);
  FILE *f = fopen_out (p);
  static const struct { const char *out, *title, *ylabel, *fmt;
                        int cols[3]; const char *names[3]; } chart[] = {
    { "iops", "Total IOPS against connections", "IOPS", "%.0s%c",
      { C_IOPS + 1 }, { "IOPS" } },
    { "latency", "p99 latency against connections", "p99", "%.1s%cs",
      { C_RP99 + 1, C_WP99 + 1 }, { "read p99", "write p99" } },
    { "resources", "What nbdkit holds against connections", "count", "%g",
      { C_FDS + 1, C_SOCK + 1, C_THR + 1 },
      { "open fds", "sockets", "threads" } },
    { "memory", "Resident memory of nbdkit against connections", "MiB", "%g",
      { C_RSS + 1 }, { "RSS (MiB)" } },
    { "cpu", "CPU per I/O of nbdkit against connections", "us per I/O", "%g",
      { C_CPU + 1 }, { "nbdkit CPU/IO (us)" } },
  };
  int r;

  if (f == NULL) {
    vb_msg ("open %s: %s", p, strerror (errno));
    free (p);
    return -1;
  }
  fprintf (f, "scenario = ");
  gp_string (f, title, '\'');
  fprintf (f, "\n# Generated by viperbench report (scale sweep).\n"
"set encoding utf8\nset grid\nset key top left\nset logscale x 2\n"
"set xlabel 'connections to nbdkit'\nset style data linespoints\n"
"do for [t in 'svg png'] {\n"
"  if (t eq 'svg') { set terminal svg size 900,500 dynamic noenhanced font 'sans,12' }\n"
"  else { set terminal pngcairo size 900,500 noenhanced font 'sans,11' }\n");
  for (size_t c = 0; c < sizeof chart / sizeof chart[0]; c++) {
    size_t li = 0;
    bool first = true;

    fprintf (f, "  set output '%s.'.t\n  set title '%s ('.scenario.')'\n"
                "  set ylabel '%s'\n  set format y '%s'\n  set yrange [0:*]\n"
                "  plot ", chart[c].out, chart[c].title, chart[c].ylabel,
             chart[c].fmt);
    for (size_t ti = 0; ti < run->ntargets; ti++) {
      for (size_t k = 0; k < 3 && chart[c].cols[k]; k++) {
        char label[96];
        bool p99 = c == 1;

        snprintf (label, sizeof label, "%s: %s", run->targets[ti].name,
                  chart[c].names[k]);
        fprintf (f, "%s'scale-%zu.dat' using 1:%s%d%s lw 2 title ",
                 first ? "" : ", ", li, p99 ? "($" : "", chart[c].cols[k],
                 p99 ? "/1e9)" : "");
        gp_string (f, label, '\'');
        first = false;
      }
      li++;
    }
    if (first)
      fprintf (f, "NaN notitle");
    fprintf (f, "\n");
  }
  fprintf (f, "}\n");
  if (fclose_out (f, p) == -1) {
    free (p);
    return -1;
  }
  free (p);
  r = gp_run (cdir, "charts.gp");
  return r;
}

/* A scale sweep's document (and with DRAW its charts); see internal.h. */
struct doc *
scale_doc (const char *dir, const cJSON *doc, bool draw, int *r)
{
  struct rm_run run;
  char *cdir = draw ? xasprintf ("%s/charts", dir) : NULL;
  struct doc *d = doc_new ();
  const char *scen;

  rm_run_read (doc, &run);
  scen = rm_or_q (run.scenario);
  if (cdir)
    mkdir_p (cdir, 0755);
  doc_heading (d, 1);
  doc_text (d, "%s: %s, scale sweep", rm_or_q (run.id), scen);
  doc_para (d);
  doc_data (d, run.description && *run.description ? run.description
            : "(no description)");
  doc_item (d);
  doc_text (d, "status: %s%s", run.status_now, run.reason ? ": " : "");
  doc_data (d, run.reason ? run.reason : "");
  doc_item (d);
  doc_text (d, "stack: ");
  doc_data (d, rm_or_q (run.stack));
  doc_text (d, "; scenario %s: %g jobs x iodepth %g per volume", scen,
            run.jobs, run.iodepth);
  doc_item (d);
  doc_text (d, "started %s, finished %s", rm_or_q (run.started),
            run.finished ? run.finished : "-");
  report_notes (d, dir);
  doc_para (d);
  doc_text (d, "Each point: that many load clients (fio servers driven by "
               "fio --client), and that many volumes (nbdkit exports), each "
               "running the scenario's jobs, as VMs with a volume each would; "
               "connections = volumes x jobs x conns. IOPS and p99 merge "
               "every client's jobs (percentiles from their summed latency "
               "bins). The server's descriptors, sockets, threads and "
               "resident memory are the most it held during the window "
               "(sampled every 100 ms); its CPU per I/O is over the "
               "window's I/Os.");
  for (size_t i = 0; i < run.ntargets; i++)
    scale_layer (d, &run.targets[i], cdir, i);
  /* Each point's clients. */
  doc_heading (d, 2);
  doc_text (d, "Clients' shares");
  for (size_t i = 0; i < run.ntargets; i++)
    for (size_t k = 0; k < run.targets[i].npoints; k++) {
      const struct rm_target *pt = &run.targets[i].points[k];

      if (!pt->has_clients)
        continue;
      doc_para (d);
      doc_bold (d, "%s, %g clients, %g volumes", run.targets[i].name,
                pt->client_count, pt->volumes);
      clients_table (d, pt);
    }
  doc_heading (d, 2);
  doc_text (d, "Charts");
  doc_image (d, "Total IOPS against connections", "charts/iops.svg");
  doc_image (d, "p99 against connections", "charts/latency.svg");
  doc_image (d, "Descriptors, sockets and threads against connections",
             "charts/resources.svg");
  doc_image (d, "Resident memory against connections", "charts/memory.svg");
  doc_image (d, "CPU per I/O against connections", "charts/cpu.svg");
  doc_para (d);
  doc_text (d, "PNG versions beside them in charts/.");
  *r = cdir ? scale_charts (cdir, &run, scen) : 0;
  free (cdir);
  rm_run_free (&run);
  return d;
}
