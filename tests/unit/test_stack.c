/* test_stack.c: unit tests of the stack and scenario parsers
 * (runner/stack.c, runner/scenario.c): what a good file gives, and that
 * every error names the file, the line and the key.  A target's own keys
 * (tcp_port, qemu) are read by its target file.
 * Run alone: make build/tests/unit/test_stack && build/tests/unit/test_stack
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../runner/internal.h"

static char dir[] = "/tmp/test_stack.XXXXXX";

/* Writes TEXT to DIR/NAME; returns the path (static buffer). */
static const char *
put (const char *name, const char *text)
{
  static char path[512];
  FILE *f;

  snprintf (path, sizeof path, "%s/%s", dir, name);
  f = fopen (path, "w");
  assert_non_null (f);
  fputs (text, f);
  fclose (f);
  return path;
}

/* Loading TEXT fails with a message holding each of the WANT strings. */
static void
stack_fails (const char *text, const char *want1, const char *want2)
{
  struct stack st;
  const char *path = put ("bad.json", text);

  assert_int_equal (stack_load (path, &st), -1);
  if (strstr (vb_last_msg (), want1) == NULL ||
      (want2 && strstr (vb_last_msg (), want2) == NULL))
    fail_msg ("message '%s' lacks '%s' or '%s'", vb_last_msg (), want1,
              want2 ? want2 : "");
  stack_free (&st);
}

static void
test_stack_good (void **state)
{
  struct stack st;
  const char *path = put ("good.json",
    "{\n"
    "  \"name\": \"t\",\n"
    "  \"dir\": \"/tmp/x\",\n"
    "  \"size\": \"64M\",\n"
    "  \"plugin\": \"file\",\n"
    "  \"plugin_args\": { \"file\": \"${dir}/p.img\", \"cache\": true },\n"
    "  \"nbdkit\": { \"threads\": 8, \"filters\": [\"stats\"] },\n"
    "  \"engine\": { \"conns\": 4 },\n"
    "  \"tcp_port\": 10999,\n"
    "  \"qemu\": { \"shared\": 8 },\n"
    "  \"gate\": { \"iops\": \"-5%\", \"cpu\": \"+8%\" }\n"
    "}\n");
  const struct target *t;
  size_t i;

  (void) state;
  assert_int_equal (stack_load (path, &st), 0);
  assert_string_equal (st.name, "t");
  assert_true (st.size == 64 << 20);
  assert_int_equal (st.nplugin_args, 2);
  assert_string_equal (st.plugin_args[0], "file=/tmp/x/p.img");
  assert_string_equal (st.plugin_args[1], "cache=true");
  assert_int_equal (st.threads, 8);
  assert_int_equal (st.workers, 8);     /* default: nbdkit's threads */
  assert_int_equal (st.conns, 4);
  assert_true (fabs (st.gate_thr[GT_IOPS] + 0.05) < 1e-12 && isnan (st.gate_thr[GT_P99]));
  assert_true (fabs (st.gate_thr[GT_CPU] - 0.08) < 1e-12);
  /* No "layers": the target table, in its order, less the layers run
   * only when named.
   */
  {
    size_t k = 0;

    for (i = 0; (t = target_at (i)); i++)
      if (!t->named_only) {
        assert_true (k < st.nlayers);
        assert_string_equal (st.layers[k], t->name);
        k++;
      }
    assert_int_equal (st.nlayers, k);
    assert_true (k < i);        /* fio-clients was left out */
  }
  /* The targets' own keys went to their own settings. */
  assert_non_null (stack_conf (&st, target_find ("nbd-tcp")));
  assert_int_equal (*(unsigned *) stack_conf (&st, target_find ("nbd-tcp")), 10999);
  assert_int_equal (*(unsigned *) stack_conf (&st, target_find ("qemu-nbd")), 8);
  stack_free (&st);
}

static void
test_stack_errors (void **state)
{
  (void) state;
  stack_fails ("{\n  \"plugin\": \"memory\",\n  \"sise\": \"1G\"\n}\n",
               "bad.json:3: key 'sise'", "unknown key");
  stack_fails ("{\n  \"plugin\": \"memory\",\n\n  \"size\": 12\n}\n",
               "bad.json:4: key 'size'", "expected a string");
  stack_fails ("{\n  \"plugin\": \"memory\",\n  \"size\": \"12Q\"\n}\n",
               ":3: key 'size'", "not a size");
  stack_fails ("{\n  \"plugin\": \"memory\",\n  \"tcp_port\": 70000\n}\n",
               ":3: key 'tcp_port'", "0 to 65535");
  stack_fails ("{\n  \"plugin\": \"memory\",\n  \"qemu\": { \"shard\": 2 }\n}\n",
               ":3: key 'shard'", "unknown key in qemu");
  stack_fails ("{\n  \"plugin\": \"memory\",\n  \"qemu\": 5\n}\n",
               ":3: key 'qemu'", "expected an object");
  stack_fails ("{\n  \"plugin\": \"memory\",\n  \"layers\": [\"host\", \"floppy\"]\n}\n",
               ":3: key 'layers'", "unknown layer 'floppy'");
  stack_fails ("{\n  \"plugin\": \"memory\",\n  \"engine\": 3\n}\n",
               ":3: key 'engine'", "expected an object");
  stack_fails ("{\n  \"plugin\": \"memory\",\n  \"nbdkit\": { \"threads\": 0 }\n}\n",
               ":3: key 'threads'", "1 to 1024");
  stack_fails ("{\n  \"plugin\": \"memory\",\n  \"gate\": { \"iops\": \"+5%\" }\n}\n",
               "key 'iops'", "negative");
  stack_fails ("{\n  \"plugin\": \"memory\",\n  \"gate\": { \"cpu\": \"-5%\" }\n}\n",
               "key 'cpu'", "positive");
  stack_fails ("{\n  \"plugin\": \"memory\",\n  \"nbdkit\": { \"options\": [\"x\"] }\n}\n",
               "key 'options'", "is not an nbdkit option a stack may set");
  stack_fails ("{\n  \"size\": \"1G\"\n}\n", "key 'plugin' is required", NULL);
  stack_fails ("{\n  \"plugin\": \"memory\",\n  \"size\": \"1G\"\n  \"x\": 1\n}\n",
               "bad.json:4: malformed JSON", NULL);
  stack_fails ("[1, 2]\n", "bad.json:1: a stack is a JSON object", NULL);
  /* The line is the key's own, in its own object: not the first place
   * the name appears (another object's key, or a value).
   */
  stack_fails ("{\n  \"plugin\": \"memory\",\n"
               "  \"plugin_args\": { \"threads\": 3, \"size\": \"1G\" },\n"
               "  \"description\": \"\\\"threads\\\": 0\",\n"
               "  \"nbdkit\": {\n    \"threads\": 0 }\n}\n",
               "bad.json:6: key 'threads'", "1 to 1024");
  stack_fails ("{\n  \"plugin\": \"memory\",\n"
               "  \"plugin_args\": { \"size\": \"1G\" },\n"
               "  \"size\": 12\n}\n",
               "bad.json:4: key 'size'", "expected a string");
  stack_fails ("{\n  \"plugin\": \"memory\",\n  \"plugin\": \"file\"\n}\n",
               "duplicate key", NULL);
}

/* A plugin argument's value reaches fio (the direct layer's uri=) only
 * %-escaped: no new line, comment or second option.
 */
/* Services: parsed, bound into the plugin's arguments, errors named. */
static void
test_services (void **state)
{
  struct stack st;
  char priv[] = "/tmp/test_svc.XXXXXX";
  const char *path = put ("svc.json",
    "{\n"
    "  \"dir\": \"/tmp/x\", \"plugin\": \"memory\",\n"
    "  \"plugin_args\": { \"url\": \"${st.url}/v\", \"ca\": \"${st.cacert}\",\n"
    "                   \"kv\": \"127.0.0.1:${kv.port}\" },\n"
    "  \"layers\": [\"host\", \"direct\", \"nbd-unix\"],\n"
    "  \"services\": [\n"
    "    { \"role\": \"st\", \"objstore\": { \"listen\": \"unix\" } },\n"
    "    { \"role\": \"kv\", \"argv\": [\"kvd\", \"--port=${kv.port}\",\n"
    "      \"--token\", \"t0ps3cr3t\"], \"env\": { \"KV_SECRET\": \"x\" },\n"
    "      \"ready\": { \"tcp\": \"${kv.port}\" }, \"layers\": [\"nbd-unix\"] },\n"
    "    { \"role\": \"w\", \"argv\": [\"w\", \"--peer=${kv.dir}\"],\n"
    "      \"ready\": { \"unix\": \"${w.dir}/s\" } },\n"
    "    { \"role\": \"c\", \"argv\": [\"c\", \"--to=${w.port}\"],\n"
    "      \"ready\": { \"unix\": \"${c.dir}/s\" } }\n"
    "  ]\n"
    "}\n");
  cJSON *red;
  char *text;

  (void) state;
  assert_int_equal (stack_load (path, &st), 0);
  assert_int_equal (st.nsvc, 4);
  /* Default layers: those that run the plugin. */
  assert_int_equal (st.svc[0].nlayers, 2);
  assert_string_equal (st.svc[0].layers[0], "direct");
  assert_false (service_needed (&st.svc[1], "direct"));
  assert_true (service_needed (&st.svc[1], "nbd-unix"));
  assert_non_null (mkdtemp (priv));
  assert_int_equal (services_bind (&st, priv), 0);
  assert_string_equal (st.plugin_args[0], "url=https://localhost/v");
  assert_true (strncmp (st.plugin_args[1] + 3, priv, strlen (priv)) == 0);
  assert_true (st.svc[1].port > 0);
  {
    char want[64];

    snprintf (want, sizeof want, "kv=127.0.0.1:%u", st.svc[1].port);
    assert_string_equal (st.plugin_args[2], want);
    snprintf (want, sizeof want, "--port=%u", st.svc[1].port);
    assert_string_equal (st.svc[1].argv[1], want);
    /* A port only another service names is chosen all the same; one
     * nothing names is not.
     */
    assert_true (st.svc[2].port > 0);
    snprintf (want, sizeof want, "--to=%u", st.svc[2].port);
    assert_string_equal (st.svc[3].argv[1], want);
    assert_int_equal (st.svc[3].port, 0);
  }
  /* The stored stack keeps neither the token after --token nor the env
   * secret.
   */
  red = stack_redacted (&st);
  text = cJSON_PrintUnformatted (red);
  assert_null (strstr (text, "t0ps3cr3t"));
  assert_non_null (strstr (text, "\"--token\",\"<redacted>\""));
  free (text);
  cJSON_Delete (red);
  stack_free (&st);
  {
    char *cmd = xasprintf ("rm -rf %s", priv);

    assert_int_equal (system (cmd), 0);
    free (cmd);
  }

  stack_fails ("{\"plugin\": \"memory\", \"services\": [\n"
               "  { \"role\": \"a\", \"argv\": [\"x\"],\n"
               "    \"ready\": { \"tcp\": \"${b.port}\" } } ] }",
               "bad.json:3: key 'ready'", "'${b.port}' names no service");
  stack_fails ("{\"plugin\": \"memory\", \"plugin_args\": {\"u\": \"${a.url}\"},\n"
               "  \"services\": [ { \"role\": \"a\", \"argv\": [\"x\"],\n"
               "    \"ready\": { \"tcp\": \"1\" } } ] }",
               "key 'plugin_args'", "that service has no such value");
  stack_fails ("{\"plugin\": \"memory\", \"services\": [\n"
               "  { \"role\": \"Bad.Role\", \"argv\": [\"x\"] } ] }",
               "bad.json:2: key 'role'", "lower-case");
  stack_fails ("{\"plugin\": \"memory\", \"services\": [\n"
               "  { \"role\": \"a\", \"argv\": [\"x\"], \"ready\": {\"tcp\": \"1\"} },\n"
               "  { \"role\": \"a\", \"argv\": [\"y\"], \"ready\": {\"tcp\": \"1\"} } ] }",
               "key 'role'", "two services named 'a'");
  /* Names that become paths: plain names only. */
  stack_fails ("{\"plugin\": \"memory\", \"services\": [\n"
               "  { \"role\": \"a\", \"argv\": [\"x\"], \"ready\": {\"tcp\": \"1\"},\n"
               "    \"files\": { \"../../etc/cron.d/x\": \"* * * * * root sh\" } } ] }",
               "key '../../etc/cron.d/x'", "plain file name");
  stack_fails ("{\"plugin\": \"memory\", \"services\": [\n"
               "  { \"role\": \"a\", \"argv\": [\"x\"], \"ready\": {\"tcp\": \"1\"},\n"
               "    \"dirs\": [\"..\"] } ] }",
               "key 'dirs'", "'..' is not a plain name");
  stack_fails ("{\"plugin\": \"memory\", \"services\": [\n"
               "  { \"role\": \"../a\", \"argv\": [\"x\"] } ] }",
               "key 'role'", "lower-case");
  stack_fails ("{\"plugin\": \"memory\", \"services\": [\n"
               "  { \"role\": \"a\", \"argv\": [\"x\"], \"ready\": {\"tcp\": \"1\"},\n"
               "    \"env\": { \"LD_PRELOAD=x;\": \"y\" } } ] }",
               "key 'LD_PRELOAD=x;'", "expected NAME");
  stack_fails ("{\"plugin\": \"memory\", \"services\": [\n"
               "  { \"role\": \"s\", \"objstore\": { \"workers\": 0 } } ] }",
               "key 'workers'", NULL);
  stack_fails ("{\"plugin\": \"memory\", \"services\": [\n"
               "  { \"role\": \"s\", \"argv\": [\"x\"], \"layers\": [\"nope\"],\n"
               "    \"ready\": {\"tcp\": \"1\"} } ] }",
               "key 'layers'", "unknown layer 'nope'");
}

/* ${dir}, ${size}: one pass, values put in as they are. */
static void
test_expand_once (void **state)
{
  char *v;

  (void) state;
  v = stack_expand_vars ("a${size}b${dir}", "/x${size}", "1G${size}");
  assert_string_equal (v, "a1G${size}b/x${size}");
  free (v);
  v = stack_expand_vars ("${size}${size", NULL, "2M");
  assert_string_equal (v, "2M${size");
  free (v);
}

static void
test_plugin_values_escaped (void **state)
{
  struct stack st;
  struct scenario sc = { .depth = 1 };
  struct run run = { .st = &st, .sc = &sc, .engine = (char *) "/x/viper",
                     .private_dir = (char *) "/tmp/x" };
  struct layer l = { .t = target_find ("direct") };
  const char *path = put ("nl.json",
    "{ \"plugin\": \"memory\",\n"
    "  \"plugin_args\": { \"size\": \"1G\\nexec_prerun=touch PWNED;# x&y=z%\" } }\n");
  int lines = 0;

  (void) state;
  assert_int_equal (stack_load (path, &st), 0);
  assert_int_equal (l.t->start (&run, &l), 0);
  for (const char *p = l.engine_lines; *p; p++)
    lines += *p == '\n';
  /* ioengine=, uri=, workers=, probe_file=: four lines, and no more. */
  assert_int_equal (lines, 4);
  assert_non_null (strstr (l.engine_lines,
                           "\nprobe_file=/tmp/x/probe-direct-plugin\n"));
  assert_null (strchr (l.engine_lines, ';'));
  assert_null (strchr (l.engine_lines, '#'));
  assert_non_null (strstr (l.engine_lines,
    "uri=plugin:memory?size=1G%0Aexec_prerun%3Dtouch%20PWNED%3B%23%20x%26y%3Dz%25\n"));
  free (l.engine_lines);
  free (l.probe[0].path);
  free (l.probe[0].name);
  free (l.probe[0].via);
  stack_free (&st);
}

/* Loading scenario TEXT fails with a message holding WANT. */
static void
scenario_fails (const char *text, const char *want)
{
  struct scenario sc;

  put ("bad.fio", text);
  assert_int_equal (scenario_load (dir, "bad", &sc), -1);
  if (strstr (vb_last_msg (), want) == NULL)
    fail_msg ("message '%s' lacks '%s'", vb_last_msg (), want);
  scenario_free (&sc);
}

static void
test_scenario_good (void **state)
{
  struct scenario sc;
  char *job;

  (void) state;
  put ("ok.fio", "; what it shows\n[global]\nrw=randrw\nbs=4k\niodepth=16\n"
                 "ramp_time=2\n\n[a]\nnumjobs=2\n[b]\nsize=8M\n");
  assert_int_equal (scenario_load (dir, "ok", &sc), 0);
  assert_string_equal (sc.name, "ok");
  assert_int_equal (sc.jobs, 3);
  assert_int_equal (sc.depth, 16);
  assert_true (sc.runtime == 0 && sc.ramp == 2);
  assert_int_equal (scenario_override (&sc, "7", "32M"), 0);
  assert_true (sc.runtime == 7);
  job = scenario_render (&sc, "ioengine=null\n");
  /* The engine lines lead [global]; the overrides reach every job that
   * set its own size.
   */
  assert_non_null (strstr (job, "[global]\nioengine=null\n"));
  assert_non_null (strstr (job, "time_based"));
  assert_null (strstr (job, "size=8M"));
  free (job);
  assert_int_equal (scenario_override (&sc, "abc", NULL), -1);
  assert_non_null (strstr (vb_last_msg (), "--runtime 'abc'"));
  assert_int_equal (scenario_override (&sc, NULL, "12Q"), -1);
  assert_non_null (strstr (vb_last_msg (), "--size '12Q'"));
  scenario_free (&sc);
}

static void
test_scenario_errors (void **state)
{
  struct scenario sc;

  (void) state;
  scenario_fails ("[global]\nbs=4k\n\n[job\nrw=read\n", "bad.fio:4: malformed section");
  scenario_fails ("bs=4k\n[job]\n", "bad.fio:1: option 'bs=4k' before any [section]");
  scenario_fails ("[job]\nrw=read\nioengine=libaio\n", "bad.fio:3: 'ioengine' is set by the runner");
  scenario_fails ("[job]\nfilename=/dev/sda\n", "bad.fio:2: 'filename'");
  scenario_fails ("[global]\nbs=4k\n", "bad.fio: no job section");
  scenario_fails ("[job]\nrw=read\ninclude other.fio\n", "bad.fio:3: 'include other.fio' is not an option");
  scenario_fails ("[job]\nexec_prerun=touch PWNED\n", "bad.fio:2: 'exec_prerun' runs a command");
  scenario_fails ("[job]\nexec_postrun=touch PWNED\n", "'exec_postrun' runs a command");
  scenario_fails ("[job]\nwrite_iolog=/etc/x\n", "'write_iolog'");
  scenario_fails ("[job]\nread_iolog=/etc/x\n", "'read_iolog'");
  scenario_fails ("[global]\nmem=mmapshared:/etc/passwd\n[job]\n", "bad.fio:2: 'mem=mmapshared:/etc/passwd'");
  scenario_fails ("[job]\niomem=mmap:/x\n", "'iomem=mmap:/x'");
  scenario_fails ("[job]\nuid=0\n", "'uid'");
  assert_int_equal (scenario_load (dir, "missing", &sc), -1);
  assert_non_null (strstr (vb_last_msg (), "unknown scenario 'missing'"));
  scenario_free (&sc);
}

static int
setup (void **state)
{
  (void) state;
  return mkdtemp (dir) ? 0 : -1;
}

static int
teardown (void **state)
{
  const char *names[] = { "good.json", "bad.json", "ok.fio", "bad.fio",
                          "nl.json", "svc.json" };
  char path[512];

  (void) state;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    snprintf (path, sizeof path, "%s/%s", dir, names[i]);
    unlink (path);
  }
  return rmdir (dir);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_stack_good),
    cmocka_unit_test (test_stack_errors),
    cmocka_unit_test (test_plugin_values_escaped),
    cmocka_unit_test (test_services),
    cmocka_unit_test (test_expand_once),
    cmocka_unit_test (test_scenario_good),
    cmocka_unit_test (test_scenario_errors),
  };

  return cmocka_run_group_tests (tests, setup, teardown);
}
