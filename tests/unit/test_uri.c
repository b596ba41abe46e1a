/* test_uri.c: unit tests of the engine's URI parser (engine/uri.c).
 * Run alone: make build/tests/unit/test_uri && build/tests/unit/test_uri
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "../../engine/internal.h"

static void
test_tcp (void **state)
{
  struct vb_uri u;

  (void) state;
  assert_int_equal (vb_uri_parse ("nbd://127.0.0.1:10810/disk", &u), 0);
  assert_int_equal (u.scheme, VB_SCHEME_NBD_TCP);
  assert_string_equal (u.host, "127.0.0.1");
  assert_string_equal (u.port, "10810");
  assert_string_equal (u.export_name, "disk");
  vb_uri_free (&u);

  assert_int_equal (vb_uri_parse ("nbd://localhost", &u), 0);
  assert_string_equal (u.host, "localhost");
  assert_string_equal (u.port, "10809");
  assert_string_equal (u.export_name, "");
  vb_uri_free (&u);

  assert_int_equal (vb_uri_parse ("nbd://[::1]:9/a%20b", &u), 0);
  assert_string_equal (u.host, "::1");
  assert_string_equal (u.port, "9");
  assert_string_equal (u.export_name, "a b");
  vb_uri_free (&u);
}

static void
test_unix (void **state)
{
  struct vb_uri u;

  (void) state;
  assert_int_equal (vb_uri_parse ("nbd+unix:///?socket=/run/x.sock", &u), 0);
  assert_int_equal (u.scheme, VB_SCHEME_NBD_UNIX);
  assert_string_equal (u.socket, "/run/x.sock");
  assert_string_equal (u.export_name, "");
  vb_uri_free (&u);

  assert_int_equal (vb_uri_parse ("nbd+unix:///exp?socket=/tmp/a%26b", &u),
                    0);
  assert_string_equal (u.export_name, "exp");
  assert_string_equal (u.socket, "/tmp/a&b");
  vb_uri_free (&u);
}

static void
test_plugin (void **state)
{
  struct vb_uri u;

  (void) state;
  assert_int_equal (vb_uri_parse ("plugin:memory?size=1G", &u), 0);
  assert_int_equal (u.scheme, VB_SCHEME_PLUGIN);
  assert_string_equal (u.plugin, "memory");
  assert_int_equal (u.nparams, 1);
  assert_string_equal (u.params[0].key, "size");
  assert_string_equal (u.params[0].value, "1G");
  vb_uri_free (&u);

  /* Order kept, bare values, %-escapes, a path. */
  assert_int_equal (vb_uri_parse ("plugin:/usr/lib/x/nbdkit-file-plugin.so"
                                  "?file=/tmp/d%3Fx.img&cache=none&64M&a=x%3Dy",
                                  &u), 0);
  assert_string_equal (u.plugin, "/usr/lib/x/nbdkit-file-plugin.so");
  assert_int_equal (u.nparams, 4);
  assert_string_equal (u.params[0].key, "file");
  assert_string_equal (u.params[0].value, "/tmp/d?x.img");
  assert_string_equal (u.params[1].key, "cache");
  assert_null (u.params[2].key);
  assert_string_equal (u.params[2].value, "64M");
  assert_string_equal (u.params[3].value, "x=y");
  vb_uri_free (&u);

  assert_int_equal (vb_uri_parse ("plugin:null", &u), 0);
  assert_int_equal (u.nparams, 0);
  vb_uri_free (&u);
}

/* Each bad URI fails with a message that names the problem. */
static void
test_errors (void **state)
{
  static const struct { const char *uri, *msg; } bad[] = {
    { "", "no uri=" },
    { "http://x", "unknown scheme" },
    { "nbds://x", "TLS" },
    { "nbd://", "needs a host" },
    { "nbd://h:", "empty port" },
    { "nbd://h:abc", "not a number" },
    { "nbd://h:99999", "out of range" },
    { "nbd://[::1", "unterminated" },
    { "nbd://h/?socket=/x", "nbd+unix" },
    { "nbd+unix:///", "needs ?socket" },
    { "nbd+unix://host/?socket=/x", "takes no host" },
    { "nbd+unix:///?socket=/x&tls=on", "unsupported query" },
    { "plugin:", "needs a plugin name" },
    { "plugin:memory?=1", "empty key" },
    { "plugin:memory?size=%zz", "bad %-escape" },
  };

  (void) state;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct vb_uri u;

    if (vb_uri_parse (bad[i].uri, &u) != -1)
      fail_msg ("'%s' parsed", bad[i].uri);
    if (strstr (vb_get_error (), bad[i].msg) == NULL)
      fail_msg ("'%s': message '%s' lacks '%s'", bad[i].uri,
                vb_get_error (), bad[i].msg);
  }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_tcp),
    cmocka_unit_test (test_unix),
    cmocka_unit_test (test_plugin),
    cmocka_unit_test (test_errors),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
