/* test_host.c: unit tests of the nbdkit_* functions the engine provides
 * to in-process plugins (engine/host.c).
 * Run alone: make build/tests/unit/test_host && build/tests/unit/test_host
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#define NBDKIT_API_VERSION 2
#include <nbdkit-plugin.h>
#include <nbdkit-filter.h>

#include "../../engine/internal.h"

static void
test_parse_size (void **state)
{
  (void) state;
  host_begin_phase ("t");
  assert_int_equal (nbdkit_parse_size ("0"), 0);
  assert_int_equal (nbdkit_parse_size ("512"), 512);
  assert_int_equal (nbdkit_parse_size ("1k"), 1024);
  assert_int_equal (nbdkit_parse_size ("1K"), 1024);
  assert_int_equal (nbdkit_parse_size ("64M"), 64 << 20);
  assert_int_equal (nbdkit_parse_size ("1G"), 1 << 30);
  assert_int_equal (nbdkit_parse_size ("2GiB"), 2LL << 30);
  assert_int_equal (nbdkit_parse_size ("3s"), 1536);
  assert_int_equal (nbdkit_parse_size ("1E"), 1LL << 60);
  assert_int_equal (nbdkit_parse_size ("abc"), -1);
  assert_non_null (strstr (host_phase_error (""), "could not parse size"));
  assert_int_equal (nbdkit_parse_size ("-1"), -1);
  assert_int_equal (nbdkit_parse_size ("1X"), -1);
  assert_int_equal (nbdkit_parse_size ("16E"), -1);
  host_end_phase ();
}

static void
test_parse_numbers (void **state)
{
  int i;
  unsigned u;
  uint8_t u8;
  int64_t i64;
  uint64_t u64;

  (void) state;
  host_begin_phase ("t");
  assert_int_equal (nbdkit_parse_int ("x", "-42", &i), 0);
  assert_int_equal (i, -42);
  assert_int_equal (nbdkit_parse_int ("x", "0x10", &i), 0);
  assert_int_equal (i, 16);
  assert_int_equal (nbdkit_parse_int ("x", "12a", &i), -1);
  assert_int_equal (nbdkit_parse_unsigned ("x", "-1", &u), -1);
  assert_int_equal (nbdkit_parse_uint8_t ("x", "255", &u8), 0);
  assert_int_equal (u8, 255);
  assert_int_equal (nbdkit_parse_uint8_t ("x", "256", &u8), -1);
  assert_int_equal (nbdkit_parse_int64_t ("x", "-9223372036854775808", &i64),
                    0);
  assert_int_equal (nbdkit_parse_uint64_t ("x", "18446744073709551615", &u64),
                    0);
  assert_true (u64 == UINT64_MAX);
  assert_int_equal (nbdkit_parse_bool ("on"), 1);
  assert_int_equal (nbdkit_parse_bool ("FALSE"), 0);
  assert_int_equal (nbdkit_parse_bool ("maybe"), -1);
  host_end_phase ();
}

/* The errno a failed request reports, as nbdkit decides it. */
static void
test_request_errors (void **state)
{
  (void) state;
  host_begin_request ("t");
  assert_int_equal (host_end_request (0, 0), 0);
  host_begin_request ("t");
  assert_int_equal (host_end_request (-1, 0), EIO);
  host_begin_request ("t");
  assert_int_equal (host_end_request (-1, ENOSPC), ENOSPC);
  host_begin_request ("t");
  nbdkit_set_error (EROFS);
  assert_int_equal (host_end_request (-1, ENOSPC), EROFS);
  /* The next request starts clean. */
  host_begin_request ("t");
  assert_int_equal (host_end_request (-1, 0), EIO);
}

static void
test_phase_errors (void **state)
{
  (void) state;
  host_begin_phase ("t");
  assert_string_equal (host_phase_error ("none"), "none");
  nbdkit_error ("first %d", 1);
  nbdkit_error ("second");
  assert_string_equal (host_phase_error ("none"), "first 1");
  host_end_phase ();
}

static void
test_password (void **state)
{
  char path[] = "/tmp/viper-pw-XXXXXX", arg[64], *pw;
  int fd = mkstemp (path);

  (void) state;
  assert_true (fd >= 0);
  assert_int_equal (write (fd, "s3cret\n", 7), 7);
  close (fd);
  snprintf (arg, sizeof arg, "+%s", path);
  host_begin_phase ("t");
  assert_int_equal (nbdkit_read_password (arg, &pw), 0);
  assert_string_equal (pw, "s3cret");
  free (pw);
  assert_int_equal (nbdkit_read_password ("plain", &pw), 0);
  assert_string_equal (pw, "plain");
  free (pw);
  assert_int_equal (nbdkit_read_password ("-", &pw), -1);
  host_end_phase ();
  unlink (path);
}

static void
test_extents_exports (void **state)
{
  struct nbdkit_extents *x = nbdkit_extents_new (0, 1000);
  struct nbdkit_exports *e = nbdkit_exports_new ();

  (void) state;
  assert_non_null (x);
  assert_int_equal (nbdkit_add_extent (x, 0, 100, 0), 0);
  assert_int_equal (nbdkit_add_extent (x, 100, 100, 0), 0);   /* merges */
  assert_int_equal (nbdkit_add_extent (x, 200, 50, NBDKIT_EXTENT_HOLE), 0);
  assert_int_equal (nbdkit_extents_count (x), 2);
  assert_int_equal (nbdkit_get_extent (x, 0).length, 200);
  host_begin_phase ("t");
  assert_int_equal (nbdkit_add_extent (x, 400, 1, 0), -1);    /* gap */
  host_end_phase ();
  nbdkit_extents_free (x);

  assert_int_equal (nbdkit_add_export (e, "a", "first"), 0);
  assert_int_equal (nbdkit_add_export (e, "b", NULL), 0);
  assert_int_equal (nbdkit_exports_count (e), 2);
  assert_string_equal (nbdkit_get_export (e, 1).name, "b");
  nbdkit_exports_free (e);

  assert_string_equal (nbdkit_printf_intern ("%s-%d", "x", 7), "x-7");
  assert_string_equal (nbdkit_strndup_intern ("abcdef", 3), "abc");
  host_free_interned ();
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_parse_size),
    cmocka_unit_test (test_parse_numbers),
    cmocka_unit_test (test_request_errors),
    cmocka_unit_test (test_phase_errors),
    cmocka_unit_test (test_password),
    cmocka_unit_test (test_extents_exports),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
