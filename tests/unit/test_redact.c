/* test_redact.c: unit tests of secret redaction (common/redact.c): which
 * keys name a secret, and their values replaced in "k=v" text, URI
 * queries and job-file lines, other text left as it was; and of making
 * text valid UTF-8 for the records (common/util.c); and of the scrubber
 * (common/scrub.c): the secrets found in text and argv, and a stream cut
 * anywhere scrubbed as the whole.
 * Run alone: make build/tests/unit/test_redact && build/tests/unit/test_redact
 */
#include <stdarg.h>
#include <stdbool.h>
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
  /* A value holding '&' or ' ' not followed by "key=" is one value. */
  check ("password=abc&TAILtail", "password=<redacted>");
  check ("password=abc def&size=1", "password=***&size=1");
}

/* Scrubs IN in chunks of STEP bytes as the log pump does. */
static char *
stream (const char *in, size_t step)
{
  size_t n = strlen (in), off = 0, plen = 0, cap = 1, olen = 0;
  char *pending = malloc (n + 1), *outbuf = calloc (1, 1);

  while (off < n || plen) {
    size_t take = n - off < step ? n - off : step, used, len;
    bool final = off + take == n;
    char *o;

    memcpy (pending + plen, in + off, take);
    plen += take;
    off += take;
    used = scrub_chunk (pending, plen, final, &o, &len);
    memmove (pending, pending + used, plen - used);
    plen -= used;
    if (olen + len + 1 > cap)
      outbuf = realloc (outbuf, cap = (olen + len + 1) * 2);
    memcpy (outbuf + olen, o, len);
    olen += len;
    outbuf[olen] = '\0';
    free (o);
    if (final && plen == 0)
      break;
  }
  free (pending);
  return outbuf;
}

static void
test_scrub (void **state)
{
  const char *text = "a SECRETvalue1 b SECRETvalue1SECRETvalue1 c longSECRETvalue1x "
                     "secretval2 END";
  char *whole;

  (void) state;
  scrub_reset ();
  assert_null (scrub_string ("nothing registered"));
  scrub_add ("SECRETvalue1");
  scrub_add ("secretval2");
  scrub_add ("abc");            /* too short: not searched for */
  scrub_add ("true");           /* a word */
  assert_true (scrub_active ());
  whole = scrub_string (text);
  assert_non_null (whole);
  assert_string_equal (whole, "a <redacted> b <redacted><redacted> c "
                       "long<redacted>x <redacted> END");
  assert_null (scrub_string ("abc true"));
  /* In a record: every string but its own words. */
  {
    cJSON *doc = cJSON_Parse ("{\"status\": \"SECRETvalue1\", \"targets\": "
                              "[{\"name\": \"SECRETvalue1\", \"command\": "
                              "\"x SECRETvalue1\"}], \"layers\": "
                              "[\"SECRETvalue1\"]}");
    char *printed;

    assert_non_null (doc);
    scrub_json (doc);
    printed = cJSON_PrintUnformatted (doc);
    assert_string_equal (printed, "{\"status\":\"SECRETvalue1\",\"targets\":"
                         "[{\"name\":\"SECRETvalue1\",\"command\":"
                         "\"x <redacted>\"}],\"layers\":[\"SECRETvalue1\"]}");
    free (printed);
    cJSON_Delete (doc);
  }
  /* Cut anywhere, the stream is the whole. */
  for (size_t step = 1; step < 40; step++) {
    char *s = stream (text, step);

    assert_string_equal (s, whole);
    free (s);
  }
  free (whole);
  scrub_reset ();
}

/* The secrets found in TEXT include WANT (and scrub it). */
static void
finds (const char *text, const char *want)
{
  char *s;

  scrub_reset ();
  secrets_from_text (text);
  s = scrub_string (want);
  assert_non_null (s);
  assert_string_equal (s, "<redacted>");
  free (s);
}

static void
test_secret_forms (void **state)
{
  (void) state;
  finds ("http://alice:UserInfoPw77@127.0.0.1:8080/vol", "UserInfoPw77");
  finds ("http://alice:UserInfoPw77@127.0.0.1:8080/vol", "alice:UserInfoPw77");
  finds ("Authorization: Bearer BearerTok88", "BearerTok88");
  finds ("authorization=Basic dXNlcjpwYXNz", "dXNlcjpwYXNz");
  finds ("password=amp1cut&TAILtail9", "amp1cut&TAILtail9");
  finds ("uri=nbd://h/?token=tok3nv4lue&size=1", "tok3nv4lue");
  {
    char *argv[] = { "tool", "--pass", "PassFlag55", "-p", "DashPee66",
                     "--token=TokEq77", "-p", "8080", "-p", "/srv/prefix" };
    char *s;

    scrub_reset ();
    secrets_from_argv (argv, 10);
    s = scrub_string ("PassFlag55 DashPee66 TokEq77 8080 /srv/prefix");
    assert_non_null (s);
    /* A port and a path after -p are not taken for passwords. */
    assert_string_equal (s, "<redacted> <redacted> <redacted> 8080 /srv/prefix");
    free (s);
  }
  {
    char *kv[] = { "user=bob", "password=PluginPw7733", "user-agent=x/1" };
    char *s;

    scrub_reset ();
    secrets_from_pairs (kv, 3);
    /* base64 ("bob:PluginPw7733"), as libcurl sends it. */
    s = scrub_string ("Basic Ym9iOlBsdWdpblB3NzczMw==");
    assert_non_null (s);
    assert_string_equal (s, "Basic <redacted>");
    free (s);
  }
  assert_true (is_secret_option ("--pass"));
  assert_true (is_secret_option ("--password"));
  assert_false (is_secret_option ("--passthrough"));
  assert_false (is_secret_option ("-p"));
  assert_true (is_secret_option_value ("-p", "hunter22"));
  assert_false (is_secret_option_value ("-p", "10809"));
  scrub_reset ();
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
    cmocka_unit_test (test_scrub),
    cmocka_unit_test (test_secret_forms),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
