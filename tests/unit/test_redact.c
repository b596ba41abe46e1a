/* test_redact.c: unit tests of secret redaction (common/redact.c): which
 * keys name a secret, and their values replaced in "k=v" text, URI
 * queries and job-file lines, other text left as it was; and of making
 * text valid UTF-8 for the records (common/util.c).
 * Run alone: make build/tests/unit/test_redact && build/tests/unit/test_redact
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../common/internal.h"

static void
test_secret_keys (void **state)
{
  (void) state;
  assert_true (is_secret_key ("password"));
  assert_true (is_secret_key ("PASSWORD"));
  assert_true (is_secret_key ("s3-secret"));
  assert_true (is_secret_key ("access_key"));
  assert_true (is_secret_key ("api-token"));
  assert_true (is_secret_key ("passwd"));
  assert_true (is_secret_key ("aws_credentials"));
  assert_false (is_secret_key ("size"));
  assert_false (is_secret_key ("file"));
  assert_false (is_secret_key (""));
}

/* Redacts a copy of IN and compares it with WANT. */
static void
check (const char *in, const char *want)
{
  char *s = strdup (in);

  assert_non_null (s);
  redact_kv (s);
  assert_string_equal (s, want);
  free (s);
}

static void
test_redact_values (void **state)
{
  (void) state;
  check ("password=hunter2hunter2", "password=<redacted>");
  check ("token=abc", "token=***");
  check ("key=ab", "key=**");
  check ("size=1G", "size=1G");
  check ("", "");
  check ("no equals here", "no equals here");
  /* A URI query: only the secret's value. */
  check ("uri=plugin:s3?bucket=b&secret_key=0123456789abcdef&size=1G",
         "uri=plugin:s3?bucket=b&secret_key=<redacted>&size=1G");
  /* Job-file lines: each line on its own. */
  check ("ioengine=external:/x/viper\nuri=plugin:s3?token=0123456789xyz\n"
         "conns=4\n",
         "ioengine=external:/x/viper\nuri=plugin:s3?token=<redacted>\n"
         "conns=4\n");
  /* argv items joined by spaces. */
  check ("nbdkit -U sock s3 password=0123456789 bucket=b",
         "nbdkit -U sock s3 password=<redacted> bucket=b");
  /* An empty secret stays empty. */
  check ("password=&a=1", "password=&a=1");
}

static void
test_utf8_scrub (void **state)
{
  char ok[] = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 plain";
  char bad[] = "caf\xe9 \xc3 x \xed\xa0\x80 \xf5\x80\x80\x80 \xc0\xaf!";
  char cut[] = "end\xe2\x82";

  (void) state;
  utf8_scrub (ok);
  assert_string_equal (ok, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 plain");
  /* Latin-1, a lone lead byte, a surrogate, beyond U+10FFFF, overlong. */
  utf8_scrub (bad);
  assert_string_equal (bad, "caf? ? x ??? ???? ?" "?!");
  utf8_scrub (cut);
  assert_string_equal (cut, "end??");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_secret_keys),
    cmocka_unit_test (test_redact_values),
    cmocka_unit_test (test_utf8_scrub),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
