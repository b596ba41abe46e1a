/* test_sha256.c: common/sha256.c against FIPS 180-4's examples and
 * digests Python's hashlib gave for the lengths around a block's
 * padding boundary (55, 56, 63, 64, 65, 119, 120 bytes).
 * Run alone: make build/tests/unit/test_sha256 && build/tests/unit/test_sha256
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../common/internal.h"

static void
check (const void *data, size_t len, const char *want)
{
  char got[65];

  sha256_hex (data, len, got);
  assert_string_equal (got, want);
}

static void
test_fips (void **state)
{
  char *a = malloc (1000000);

  (void) state;
  check ("", 0,
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  check ("abc", 3,
         "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  check ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  memset (a, 'a', 1000000);
  check (a, 1000000,
         "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  free (a);
}

static void
test_padding (void **state)
{
  static const struct { size_t n; const char *want; } v[] = {
    { 55, "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59" },
    { 56, "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562" },
    { 63, "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488" },
    { 64, "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108" },
    { 65, "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781" },
    { 119, "da18797ed7c3a777f0847f429724a2d8cd5138e6ed2895c3fa1a6d39d18f7ec6" },
    { 120, "f52b23db1fbb6ded89ef42a23ce0c8922c45f25c50b568a93bf1c075420bbb7c" },
  };
  unsigned char buf[128];

  (void) state;
  /* Bytes i % 251, as the digests were made. */
  for (size_t i = 0; i < sizeof buf; i++)
    buf[i] = (unsigned char) (i % 251);
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
    check (buf, v[i].n, v[i].want);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_fips),
    cmocka_unit_test (test_padding),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
