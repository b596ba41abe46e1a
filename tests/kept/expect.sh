#!/usr/bin/env bash
# expect.sh: keeps what the reports of the kept records are today as
# tests/kept/expected/ (after make.sh, or when a report changes on
# purpose: commit the difference with the reason).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$here/expected"
"$here/reports.sh" "$here/expected"
ls "$here/expected"
