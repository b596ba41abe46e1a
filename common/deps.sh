#!/bin/sh
# deps.sh: install what viperbench needs from Debian's archive, unpack
# fio's matching source (Debian's source package) for building the
# engine, and write the build's configuration from what is installed.
#
# Usage: common/deps.sh packages          install missing Debian packages
#        common/deps.sh fio-source DIR    unpack fio's source into DIR/fio-VERSION
#        common/deps.sh config MK H       write the make and C configuration
#
# Only the archives this machine's own apt entries name are used.
# Installing needs root; when every package is already present nothing
# is run.
set -eu

# Everything the build, the runner and the test suite call, one package
# per line, sorted.
PACKAGES="
binutils
clang
debhelper
dpkg-dev
e2fsprogs
fio
gcc
gnuplot-nox
iproute2
jq
libc6-dev
libclang-rt-14-dev
libcjson-dev
libcmocka-dev
libcurl4-openssl-dev
libnbd-bin
libnbd-dev
lintian
linux-perf
make
man-db
nbdkit
nginx
nbdkit-plugin-dev
openssl
perl
pkg-config
procps
python3
qemu-utils
xfsprogs
"

# The same, installed without what they recommend: the guest layer's
# (qemu-system-x86 would bring QEMU's whole GUI), and the tests' plugins
# in other languages (golang-go builds tests/goplug; nbdkit's python
# plugin), and Prometheus's own parser (test-export reads our
# OpenMetrics with it), and mmdebstrap (make check-deb's pristine root).
PACKAGES_BARE="
busybox-static
chromium
fonts-dejavu-core
golang-go
mmdebstrap
nbdkit-plugin-python
python3-prometheus-client
qemu-system-x86
"

# Node.js runs npm (the HTML pages' d3 and d3-flame-graph, fetched into
# build/web) and the browser test.  Debian's npm only where no npm is
# installed: a nodejs from elsewhere (NodeSource's) carries its own and
# conflicts with Debian's.
PACKAGES_NODE="nodejs"
command -v npm >/dev/null 2>&1 || PACKAGES_NODE="$PACKAGES_NODE npm"

missing_packages() {
    for p in "$@"; do
        s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
        [ "$s" = installed ] || echo "$p"
    done
}

apt_install() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "deps.sh: missing Debian packages: $*" >&2
        echo "deps.sh: run as root: apt-get install $*" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    # A package's service (nginx's) is not started by its install:
    # viperbench runs its own, on private sockets, only during a run.
    # Debian's way, as its chroot tools do: a policy-rc.d that says no,
    # for the length of the install, unless the machine has one.
    policy=/usr/sbin/policy-rc.d
    made_policy=
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\n# viperbench: no service starts during its install\nexit 101\n' > "$policy"
        chmod 755 "$policy"
        made_policy=1
    fi
    rc=0
    { apt-get update -qq && apt-get install -y -qq "$@" >/dev/null; } || rc=$?
    [ -n "$made_policy" ] && rm -f "$policy"
    [ "$rc" -eq 0 ] || exit "$rc"
}

# apt_fetch DIR HINT ARGS...: runs apt-get ARGS in a new directory
# $tmp under DIR, or exits saying it failed (then HINT).
apt_fetch() {
    mkdir -p "$1"
    tmp=$(mktemp -d "$1/.fetch.XXXXXX")
    # apt drops privileges to _apt for downloads; let it write here.
    chmod 755 "$tmp"
    _hint=$2
    shift 2
    (cd "$tmp" && apt-get "$@" >/dev/null 2>&1) || {
        rm -rf "$tmp"
        echo "deps.sh: apt-get $* failed$_hint" >&2
        exit 1
    }
}

# The guest's kernel package: what linux-image-cloud-amd64 depends on.
guest_kernel_package() {
    apt-cache depends linux-image-cloud-amd64 2>/dev/null |
        awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }'
}

# Our deb-src entries sit in a file of their own.
SRC_LIST=/etc/apt/sources.list.d/viperbench-src.sources
LISTS="/etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources"

# Prints one deb822 stanza of source entries (deb-src) for every binary
# entry (deb) of this machine's apt lists, whatever file holds them: the
# one-line format (sources.list, *.list) and deb822 (*.sources) alike.
src_stanzas() {
    for f in $LISTS; do
        [ -f "$f" ] || continue
        [ "$f" = "$SRC_LIST" ] && continue
        case "$f" in
        *.sources)
            # Stanzas are separated by blank lines; keep those of Types deb.
            awk -v RS= '
                /(^|\n)Types:[^\n]*(^|[ \t])deb([ \t]|\n|$)/ {
                    n = split($0, l, "\n"); out = ""
                    for (i = 1; i <= n; i++) {
                        if (l[i] ~ /^#/) continue
                        if (l[i] ~ /^Types:/) l[i] = "Types: deb-src"
                        if (l[i] ~ /^Enabled:[ \t]*no/) { out = ""; break }
                        out = out l[i] "\n"
                    }
                    if (out != "") printf "%s\n", out
                }' "$f"
            ;;
        *)
            # deb [opts] URI SUITE COMPONENT...
            awk '$1 == "deb" {
                    i = 2; opts = ""
                    if ($2 ~ /^\[/) {
                        while (i <= NF && $i !~ /\]$/) { opts = opts " " $i; i++ }
                        opts = opts " " $i; i++
                    }
                    uri = $i; suite = $(i + 1); comps = ""
                    for (k = i + 2; k <= NF; k++) comps = comps " " $k
                    printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents:%s\n", uri, suite, comps
                    if (match(opts, /signed-by=[^] ]*/))
                        printf "Signed-By: %s\n", substr(opts, RSTART + 10, RLENGTH - 10)
                    printf "\n"
                }' "$f"
            ;;
        esac
    done
}

have_deb_src() {
    for f in $LISTS; do
        [ -f "$f" ] || continue
        grep -qs '^deb-src[[:space:]]' "$f" && return 0
        grep -qs '^Types:.*deb-src' "$f" && return 0
    done
    return 1
}

ensure_deb_src() {
    have_deb_src && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "deps.sh: no deb-src entry in $LISTS;" >&2
        echo "deps.sh: as root, add one for each deb entry (a file like $SRC_LIST)" >&2
        exit 1
    fi
    # The same entry in two files (mmdebstrap's and the image's) once.
    stanzas=$(src_stanzas | awk -v RS= '!seen[$0]++ { print; print "" }')
    if [ -z "$stanzas" ]; then
        echo "deps.sh: no binary (deb) entry found in $LISTS: cannot tell which" >&2
        echo "deps.sh: archive to fetch fio's source from; add a deb-src entry by hand" >&2
        exit 1
    fi
    printf '%s\n' "$stanzas" > "$SRC_LIST.tmp"
    mv "$SRC_LIST.tmp" "$SRC_LIST"
    apt-get update -qq
}

# Replaces FILE with the text on stdin only when it differs, so that
# what depends on FILE is rebuilt only when the configuration changed.
replace_if_changed() {
    cat > "$1.tmp"
    if cmp -s "$1.tmp" "$1"; then rm -f "$1.tmp"; else mv "$1.tmp" "$1"; fi
}

fio_upstream_version() {
    v=$(dpkg-query -W -f='${Version}' fio 2>/dev/null) || {
        echo "deps.sh: fio is not installed (run make, which installs it)" >&2
        exit 1
    }
    v=${v#*:}
    echo "${v%-*}"
}

case "${1:-}" in
packages)
    # shellcheck disable=SC2086
    m=$(missing_packages $PACKAGES)
    if [ -n "$m" ]; then
        echo "deps.sh: installing:" $m
        # shellcheck disable=SC2086
        apt_install $m
    fi
    # shellcheck disable=SC2086
    m=$(missing_packages $PACKAGES_BARE)
    if [ -n "$m" ]; then
        echo "deps.sh: installing (without recommends):" $m
        # shellcheck disable=SC2086
        apt_install --no-install-recommends $m
    fi
    # shellcheck disable=SC2086
    m=$(missing_packages $PACKAGES_NODE)
    if [ -n "$m" ]; then
        echo "deps.sh: installing (without recommends):" $m
        # shellcheck disable=SC2086
        apt_install --no-install-recommends $m
    fi
    ;;
guest-kernel)
    # Debian's cloud kernel for the guest layer, unpacked (not installed:
    # nothing in /boot or /lib/modules changes) into DIR/root.
    dir=${2:?usage: deps.sh guest-kernel DIR}
    pkg=$(guest_kernel_package)
    if [ -z "$pkg" ] && [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq
        pkg=$(guest_kernel_package)
    fi
    if [ -z "$pkg" ]; then
        echo "deps.sh: apt knows no linux-image-cloud-amd64 (the guest's kernel): run apt-get update as root" >&2
        exit 1
    fi
    if [ -f "$dir/.unpacked" ] && [ "$(cat "$dir/.unpacked")" = "$pkg" ]; then
        exit 0
    fi
    apt_fetch "$dir" "" download -qq "$pkg"
    dpkg-deb -x "$tmp"/*.deb "$tmp/root"
    ls "$tmp"/root/boot/vmlinuz-* >/dev/null 2>&1 || {
        rm -rf "$tmp"
        echo "deps.sh: $pkg holds no boot/vmlinuz-*" >&2
        exit 1
    }
    rm -rf "$dir/root"
    mv "$tmp/root" "$dir/root"
    rm -rf "$tmp"
    echo "$pkg" > "$dir/.unpacked"
    ;;
fio-source)
    dir=${2:?usage: deps.sh fio-source DIR}
    ver=$(dpkg-query -W -f='${Version}' fio)
    up=$(fio_upstream_version)
    if [ -f "$dir/fio-$up/config-host.h" ]; then exit 0; fi
    ensure_deb_src
    apt_fetch "$dir" " (deb-src entries: $SRC_LIST)" source -qq "fio=$ver"
    rm -rf "$dir/fio-$up"
    mv "$tmp/fio-$up" "$dir/fio-$up"
    rm -rf "$tmp"
    # Debian configures with --disable-native --enable-libnbd (debian/rules).
    (cd "$dir/fio-$up" && ./configure --disable-native --enable-libnbd >/dev/null) || {
        rm -f "$dir/fio-$up/config-host.h"
        echo "deps.sh: fio's ./configure failed in $dir/fio-$up" >&2
        exit 1
    }
    ;;
config)
    mk=${2:?usage: deps.sh config MK H}
    h=${3:?usage: deps.sh config MK H}
    up=$(fio_upstream_version)
    plugindir=$(pkg-config --variable=plugindir nbdkit 2>/dev/null) || {
        echo "deps.sh: pkg-config knows no nbdkit (package nbdkit-plugin-dev)" >&2
        exit 1
    }
    nbdkit_ver=$(pkg-config --modversion nbdkit)
    case "$plugindir" in
    *[\"\\]*|"") echo "deps.sh: unusable nbdkit plugindir '$plugindir'" >&2; exit 1 ;;
    esac
    mkdir -p "$(dirname "$mk")" "$(dirname "$h")"
    replace_if_changed "$mk" <<EOT
# Made by common/deps.sh config from what is installed: do not edit.
FIO_VERSION := $up
FIO_SRC := build/src/fio-$up
NBDKIT_VERSION := $nbdkit_ver
NBDKIT_PLUGINDIR := $plugindir
EOT
    replace_if_changed "$h" <<EOT
/* Made by common/deps.sh config from what is installed: do not edit. */
#define VB_FIO_VERSION "$up"
#define VB_NBDKIT_VERSION "$nbdkit_ver"
#define VB_PLUGINDIR "$plugindir"
EOT
    ;;
*)
    echo "usage: deps.sh packages | fio-source DIR | config MK H" >&2
    exit 2
    ;;
esac
