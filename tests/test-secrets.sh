#!/usr/bin/env bash
# test-secrets.sh: no secret reaches anything a run keeps (common/
# scrub.c, the log pump in common/proc.c).  One run whose stack carries
# each form a user would call a secret, where each leaks by a different
# path:
# - a plugin argument named like one, logged by a verbose nbdkit (-v
#   logs "config key=..., value=...") in the layer's nbdkit.log;
# - its value holding '&' and a space ("abc&TAIL"): cut nowhere;
# - the userinfo of a URL (a plugin argument, a service's ready check);
# - a service's "--pass V", "-p V", "Authorization: Bearer V" arguments,
#   and its environment printed to its log (a secret-named variable, one
#   marked {"value": V, "secret": true}; a plainly named one is not kept
#   in the stored stack either);
# - a fuzzed value of random bytes (no NUL, no newline).
# Then grep -r over the record for every one of them: none is there, and
# the redaction markers are.  Run alone: tests/test-secrets.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit jq python3

fuzz=$(head -c 256 /dev/urandom | LC_ALL=C tr -dc '[:graph:] ' | tr -d '$' | head -c 24)
[ ${#fuzz} -ge 8 ] || fuzz="Fz$RANDOM$RANDOM$RANDOM"
fuzzjson=$(jq -Rn --arg v "$fuzz" '$v')

cat >"$TMPDIR/plugin.sh" <<'EOS'
#!/bin/sh
case "$1" in
config) echo "plugin config $2=$3" >&2; exit 0 ;;
get_size) echo 16777216 ;;
pread) head -c "$3" /dev/zero ;;
pwrite) cat >/dev/null ;;
can_write) exit 0 ;;
*) exit 2 ;;
esac
EOS
chmod +x "$TMPDIR/plugin.sh"

# The service: prints its arguments and environment, then serves HTTP.
cat >"$TMPDIR/svc.sh" <<'EOS'
#!/bin/sh
port=$1; shift
echo "args: $*"
env | sort
# As an HTTP client sends a URL's userinfo: Basic base64(user:password).
echo "Authorization: Basic $(printf %s "$1" | sed 's|.*://||; s|@.*||' | tr -d '\n' | base64)"
exec python3 -m http.server --bind 127.0.0.1 "$port"
EOS
chmod +x "$TMPDIR/svc.sh"

cat >"$TMPDIR/sec.json" <<EOS
{
  "name": "secrets",
  "dir": "$TMPDIR/data",
  "size": "16M",
  "plugin": "sh",
  "plugin_args": {
    "script": "$TMPDIR/plugin.sh",
    "password": "amp1cut&TAILtail9 spaced0ut",
    "endpoint": "http://alice:UserInfoPw77@127.0.0.1:\${web.port}/vol",
    "secret_blob": $fuzzjson,
    "opaque": { "value": "MarkedSecret42", "secret": true }
  },
  "nbdkit": { "threads": 2, "options": ["-v"] },
  "services": [ { "role": "web",
      "argv": ["$TMPDIR/svc.sh", "\${web.port}", "http://carol:SvcUrlPw55@127.0.0.1/x",
               "--pass", "PassFlag55",
               "-p", "DashPee66", "Authorization: Bearer BearerTok88"],
      "env": { "DB_PASSWORD": "EnvSecret99", "PLAIN_NAME": "PlainEnvValue11",
               "ODD": { "value": "EnvMarked22", "secret": true } },
      "ready": { "http": "http://bob:ReadyUrlPw33@127.0.0.1:\${web.port}/",
                 "timeout_s": 10 } } ],
  "layers": ["direct", "nbd-unix"]
}
EOS
# A secret of the runner's own environment, which every child inherits.
VB_TEST_API_TOKEN=RunnerEnvTok44 run_bench --scenario lat1 --stack "$TMPDIR/sec.json" \
    --runtime 1 --size 1M >"$TMPDIR/out" 2>&1 ||
    { cat "$TMPDIR/out"; fail "the run with secrets failed"; }
rec=$(sed -n 's|^record: \(.*\)/run.json$|\1|p' "$TMPDIR/out")
[ -d "$rec" ] || { cat "$TMPDIR/out"; fail "no record"; }

# Each leak path really carried its secret (else this test proves
# nothing): the logs hold the marker where the value was.
grep -q "config key=password, value=<redacted>" "$rec/nbd-unix/nbdkit.log" ||
    { cat "$rec/nbd-unix/nbdkit.log" | head -30; fail "nbdkit -v did not log the key (test premise)"; }
grep -q "^DB_PASSWORD=<redacted>" "$rec/services/web.log" ||
    { cat "$rec/services/web.log"; fail "the service did not print its environment (test premise)"; }
grep -q "^VB_TEST_API_TOKEN=<redacted>" "$rec/services/web.log" &&
    grep -q "^Authorization: Basic <redacted>" "$rec/services/web.log" ||
    { cat "$rec/services/web.log"; fail "the runner's environment or the Basic header not logged (test premise)"; }
grep -q "^PLAIN_NAME=PlainEnvValue11" "$rec/services/web.log" ||
    fail "a plainly named variable's value was scrubbed from a log (over-redaction)"

leaks=0
for s in amp1cut TAILtail9 spaced0ut UserInfoPw77 "$fuzz" MarkedSecret42 PassFlag55 \
         DashPee66 BearerTok88 EnvSecret99 EnvMarked22 ReadyUrlPw33 SvcUrlPw55 \
         Y2Fyb2w6U3ZjVXJsUHc1NQ RunnerEnvTok44; do
    if grep -rlF -- "$s" "$rec" "$TMPDIR/out"; then
        echo "leaked: $s" >&2
        leaks=$((leaks + 1))
    fi
done
[ $leaks -eq 0 ] || fail "$leaks secrets reached the record or the output"

# The stored stack keeps each key and names only, no env value at all.
jq -e '.stack.definition.services[0].env == {"DB_PASSWORD": "<redacted>",
        "PLAIN_NAME": "<redacted>", "ODD": "<redacted>"}
       and .stack.definition.plugin_args.opaque == "<redacted>"
       and .stack.definition.plugin_args.password == "<redacted>"' \
    "$rec/run.json" >/dev/null ||
    { jq -c '.stack.definition' "$rec/run.json"; fail "the stored stack"; }
# perf.data is never kept when there are secrets.
! find "$rec" -name 'perf.data*' | grep -q . || fail "perf.data kept with secrets"
jq -e '.status == "complete"' "$rec/run.json" >/dev/null || fail "not complete"
echo "ok: no secret of any form in the record, the logs or the output"

# The scrubber alone, on a value that straddles the log pump's reads: a
# service printing one secret 200000 times with no newline.
cat >"$TMPDIR/spew.sh" <<'EOS'
#!/bin/sh
port=$1
python3 -c 'import sys
for i in range(200000): sys.stdout.write("ab" + "Straddle" + "Secret7" + "cd")
sys.stdout.flush()'
exec python3 -m http.server --bind 127.0.0.1 "$port"
EOS
chmod +x "$TMPDIR/spew.sh"
write_stack "$TMPDIR/spew.json" '["direct"]' \
  "\"services\": [ { \"role\": \"spew\", \"argv\": [\"$TMPDIR/spew.sh\", \"\${spew.port}\"],
      \"env\": { \"X_TOKEN\": \"StraddleSecret7\" },
      \"ready\": { \"tcp\": \"\${spew.port}\", \"timeout_s\": 20 } } ]"
run_bench --scenario lat1 --stack "$TMPDIR/spew.json" --runtime 1 --size 1M \
    >"$TMPDIR/spew.out" 2>&1 || { cat "$TMPDIR/spew.out"; fail "the spewing run failed"; }
rec=$(sed -n 's|^record: \(.*\)/run.json$|\1|p' "$TMPDIR/spew.out")
! grep -rqF StraddleSecret7 "$rec" || fail "a secret split across reads reached the log"
n=$(grep -oF 'ab<redacted>cd' "$rec/services/spew.log" | wc -l)
[ "$n" -eq 200000 ] || fail "the log has $n of 200000 markers: the pump lost or mangled bytes"
echo "ok: a secret split across the pump's reads is scrubbed, every byte else kept"

# nbdkit's own curl plugin, verbose, with user= and password= (and a
# URL's userinfo): libcurl sends "Authorization: Basic base64(user:pw)"
# and curl.verbose logs it in nbdkit.log; the server logs it too.
if nbdkit curl --version >/dev/null 2>&1; then
    cat >"$TMPDIR/range.py" <<'EOF'
import http.server, re, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_HEAD(self): self.reply(False)
    def do_GET(self): self.reply(True)
    def reply(self, body):
        print("request headers:", dict(self.headers), flush=True)
        size, r = 16 << 20, self.headers.get("Range")
        if r:
            m = re.match(r"bytes=(\d+)-(\d+)", r); a, b = int(m[1]), int(m[2])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {a}-{b}/{size}")
            n = b - a + 1
        else:
            self.send_response(200); n = size
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(n)); self.end_headers()
        if body: self.wfile.write(b"\0" * n)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
    cat >"$TMPDIR/curl.json" <<EOF
{ "name": "curl-secrets", "dir": "$TMPDIR/data", "size": "16M", "plugin": "curl",
  "plugin_args": { "url": "http://alice:CurlUrlPw11@127.0.0.1:\${web.port}/disk.img",
                   "user": "bob", "password": "CurlPluginPw22" },
  "nbdkit": { "threads": 2, "options": ["-v", "--debug=curl.verbose=1", "-r"] },
  "services": [ { "role": "web", "argv": ["python3", "$TMPDIR/range.py", "\${web.port}"],
                  "ready": { "tcp": "\${web.port}", "timeout_s": 10 } } ],
  "layers": ["nbd-unix"] }
EOF
    printf '[j]\nrw=randread\nbs=4k\nsize=1M\n' >"$TMPDIR/read.fio"
    run_bench --scenario "$TMPDIR/read.fio" --stack "$TMPDIR/curl.json" --runtime 1 \
        >"$TMPDIR/curl.out" 2>&1 || { cat "$TMPDIR/curl.out"; fail "the curl plugin's run failed"; }
    rec=$(sed -n 's|^record: \(.*\)/run.json$|\1|p' "$TMPDIR/curl.out")
    grep -q "Authorization: Basic <redacted>" "$rec/nbd-unix/nbdkit.log" ||
        { grep -i authorization "$rec/nbd-unix/nbdkit.log" | head -3
          fail "curl.verbose did not log the header (test premise)"; }
    basic=$(printf 'bob:CurlPluginPw22' | base64)
    ! grep -rqF -e CurlUrlPw11 -e CurlPluginPw22 -e "${basic%%=*}" "$rec" ||
        fail "the curl plugin's credentials reached the record"
    echo "ok: nbdkit's curl plugin, verbose: user:password in Basic form scrubbed"
fi
