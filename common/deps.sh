#!/bin/sh
# deps.sh: install what viperbench needs from Debian's archive, and unpack
# fio's matching source (Debian's source package) for building the engine.
#
# Usage: common/deps.sh packages        install missing Debian packages
#        common/deps.sh fio-source DIR  unpack fio's source into DIR/fio-VERSION
#
# Only Debian's archive is used.  Installing needs root; when every package
# is already present nothing is run.
set -eu

# One package per line, sorted.
PACKAGES="
dpkg-dev
fio
gnuplot-nox
jq
libcjson-dev
libcmocka-dev
libnbd-bin
libnbd-dev
linux-perf
nbdkit
nbdkit-plugin-dev
pkg-config
qemu-utils
"

missing_packages() {
    for p in $PACKAGES; do
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
    apt-get update -qq
    apt-get install -y -qq "$@" >/dev/null
}

# Debian's source entries sit in their own file beside debian.sources.
SRC_LIST=/etc/apt/sources.list.d/viperbench-src.sources

ensure_deb_src() {
    if grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ ||
       grep -qs '^deb-src' /etc/apt/sources.list; then
        return 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "deps.sh: no deb-src entry; as root add one like $SRC_LIST" >&2
        exit 1
    fi
    # Same URIs/Suites/Components as the binary entry.
    uris=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$uris" ] || uris=http://deb.debian.org/debian
    cat > "$SRC_LIST.tmp" <<EOT
Types: deb-src
URIs: $uris
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOT
    mv "$SRC_LIST.tmp" "$SRC_LIST"
    apt-get update -qq
}

case "${1:-}" in
packages)
    m=$(missing_packages)
    if [ -n "$m" ]; then
        echo "deps.sh: installing:" $m
        # shellcheck disable=SC2086
        apt_install $m
    fi
    ;;
fio-source)
    dir=${2:?usage: deps.sh fio-source DIR}
    ver=$(dpkg-query -W -f='${Version}' fio)
    up=${ver%-*}
    if [ -f "$dir/fio-$up/fio.h" ]; then exit 0; fi
    ensure_deb_src
    mkdir -p "$dir"
    tmp=$(mktemp -d "$dir/.fetch.XXXXXX")
    # apt drops privileges to _apt for downloads; let it write here.
    chmod 755 "$tmp"
    (cd "$tmp" && apt-get source -qq "fio=$ver" >/dev/null 2>&1) || {
        rm -rf "$tmp"
        echo "deps.sh: apt-get source fio=$ver failed" >&2
        exit 1
    }
    rm -rf "$dir/fio-$up"
    mv "$tmp/fio-$up" "$dir/fio-$up"
    rm -rf "$tmp"
    # Debian configures with --disable-native --enable-libnbd (debian/rules).
    (cd "$dir/fio-$up" && ./configure --disable-native --enable-libnbd >/dev/null)
    ;;
*)
    echo "usage: deps.sh packages | fio-source DIR" >&2
    exit 2
    ;;
esac
