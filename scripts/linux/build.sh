#!/usr/bin/env bash
# scripts/linux/build.sh: builds trapvisor's Linux, a small RV64IMA kernel
# with an initramfs holding one program (scripts/linux/init.c, built with
# the kernel's own nolibc), from Debian's linux-source-6.1 and
# gcc-riscv64-linux-gnu (installed with apt-get when missing), with the
# configuration fragment scripts/linux/config over `make allnoconfig`.
#
# Prints the path of the kernel's raw image (Image, to be loaded at
# 0x8020_0000) on stdout; vmlinux, System.map, the final .config and the
# init program sit beside it. The result is cached outside the work tree,
# in $TRAPVISOR_LINUX_CACHE (default ~/.cache/trapvisor-linux), keyed by a
# hash of this script (its comment lines left out), the configuration, the
# init source and the package versions: a second run with the same inputs
# prints the path and does nothing else. Kernel objects are kept between
# builds, so a changed configuration rebuilds only what it must.
#
# The build is reproducible: fixed user, host, version and timestamp (the
# kernel's banner line and the initramfs's file times), so the same packages
# give the same Image, byte for byte, on every machine and in every cache
# directory.
#
# Usage: bash scripts/linux/build.sh [-j N]   (default -j2; the log of a build
# that runs goes to stderr)
#        bash scripts/linux/build.sh --cached   prints the path only if this
#        kernel is already in the cache, and otherwise exits 1 without
#        installing or building anything (.ci/run asks first, and gives a
#        cold build a time limit)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
jobs=2
cached_only=0
while [ $# -gt 0 ]; do
    case "$1" in
        -j) [ $# -ge 2 ] || { echo "usage: $0 [-j N | --cached]" >&2; exit 2; }
            jobs="$2"; shift 2 ;;
        -j*) jobs="${1#-j}"; shift ;;
        --cached) cached_only=1; shift ;;
        *) echo "usage: $0 [-j N | --cached]" >&2; exit 2 ;;
    esac
done

cache="${TRAPVISOR_LINUX_CACHE:-$HOME/.cache/trapvisor-linux}"
cross=riscv64-linux-gnu-

# --- the tools, from the package registry when missing ----------------------
need=()
[ -e /usr/src/linux-source-6.1.tar.xz ] || need+=(linux-source-6.1)
command -v ${cross}gcc >/dev/null || need+=(gcc-riscv64-linux-gnu)
for tool in make:make bc:bc flex:flex bison:bison cpio:cpio xz:xz-utils perl:perl; do
    command -v "${tool%%:*}" >/dev/null || need+=("${tool#*:}")
done
if [ ${#need[@]} -gt 0 ] && [ $cached_only = 1 ]; then
    echo "build.sh: not built here (${need[*]} not installed)" >&2
    exit 1
fi
if [ ${#need[@]} -gt 0 ]; then
    echo "== installing ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    apt-get install -y -q "${need[@]}" >&2
fi

version() { dpkg-query -W -f='${Version}' "$1"; }
src_version="$(version linux-source-6.1)"
gcc_version="$(version gcc-riscv64-linux-gnu) $(${cross}gcc -dumpfullversion)"

# --- the cache key ----------------------------------------------------------
key="$( {
    grep -v '^[[:space:]]*#' "$here/build.sh"    # comments change nothing built
    cat "$here/config" "$here/init.c"
    echo "linux-source-6.1 $src_version"
    echo "gcc-riscv64-linux-gnu $gcc_version"
} | sha256sum | cut -c1-16)"
out="$cache/$key"
if [ -e "$out/Image" ]; then
    echo "$out/Image"
    exit 0
fi
if [ $cached_only = 1 ]; then
    echo "build.sh: not in the cache yet ($out)" >&2
    exit 1
fi

mkdir -p "$cache"
exec 9>"$cache/lock"
flock 9
if [ -e "$out/Image" ]; then        # built by another run while we waited
    echo "$out/Image"
    exit 0
fi

# --- the source, unpacked once per package version --------------------------
src="$cache/linux-source-6.1-$src_version"
if [ ! -e "$src/.unpacked" ]; then
    echo "== unpacking linux-source-6.1 $src_version" >&2
    rm -rf "$src" "$src.tmp"
    mkdir -p "$src.tmp"
    tar -xf /usr/src/linux-source-6.1.tar.xz -C "$src.tmp" --strip-components=1
    touch "$src.tmp/.unpacked"
    mv "$src.tmp" "$src"
fi
obj="$cache/obj-$src_version"
work="$out.tmp"
rm -rf "$work"
mkdir -p "$work" "$obj"

export KBUILD_BUILD_USER=trapvisor KBUILD_BUILD_HOST=trapvisor
export KBUILD_BUILD_VERSION=1 KBUILD_BUILD_TIMESTAMP='2024-01-01 00:00:00 UTC'
kmake() { make -C "$src" O="$obj" ARCH=riscv CROSS_COMPILE=$cross -j"$jobs" "$@"; }

# compressed ELF: true if ELF holds a 16-bit (compressed) instruction (data
# that objdump shows as .2byte, such as the Image header, does not count); the
# hart has none (book/src/machine.md), so neither may the kernel or init.
compressed() {
    ${cross}objdump -d "$1" | awk -F'\t' 'NF > 2 && $3 !~ /^\./ { gsub(/ /, "", $2); if (length($2) == 4) found = 1 } END { exit !found }'
}

# --- the init program: nolibc, RV64IMA, static, no C library ----------------
echo "== init (nolibc)" >&2
headers="$cache/headers-$src_version"
if [ ! -e "$headers/.installed" ]; then
    kmake -s headers_install INSTALL_HDR_PATH="$headers" >&2
    touch "$headers/.installed"
fi
${cross}gcc -march=rv64ima_zicsr_zifencei -mabi=lp64 -Os -static -no-pie \
    -nostdlib -ffreestanding -fno-stack-protector -fno-asynchronous-unwind-tables \
    -Wall -Wextra -Werror -Wno-unused-function \
    -I "$src/tools/include/nolibc" -I "$headers/include" -include nolibc.h \
    -Wl,--build-id=none -o "$work/init" "$here/init.c"
# The hart has no compressed instructions: check that none slipped in.
if compressed "$work/init"; then
    echo "build.sh: $work/init contains compressed instructions" >&2
    exit 1
fi

# The initramfs records a file's modification time: the build's, so that
# the image does not depend on when it was built.
touch -d "$KBUILD_BUILD_TIMESTAMP" "$work/init"

cat >"$work/initramfs.list" <<EOF
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
file /init $work/init 0755 0 0
EOF

# --- the kernel --------------------------------------------------------------
echo "== configuring (allnoconfig + scripts/linux/config)" >&2
{
    cat "$here/config"
    echo "CONFIG_INITRAMFS_SOURCE=\"$work/initramfs.list\""
} >"$work/fragment"
kmake -s allnoconfig KCONFIG_ALLCONFIG="$work/fragment" >&2
# Every line of the fragment must have taken effect: a symbol that does not
# exist (renamed in another kernel version) or that a dependency keeps off
# would otherwise be dropped silently.
bad=0
while IFS= read -r line; do
    case "$line" in
        CONFIG_*=*) want="$line" ;;
        "# CONFIG_"*" is not set") want="$line" ;;
        *) continue ;;
    esac
    sym="$(echo "$want" | sed -E 's/^# (CONFIG_[A-Za-z0-9_]+) is not set$/\1/; s/=.*//')"
    got="$(grep -E "^(# )?$sym[= ]" "$obj/.config" || true)"
    if [ "$want" != "$got" ] && ! { [ -z "$got" ] && [ "${want:0:1}" = "#" ]; }; then
        echo "build.sh: scripts/linux/config: wanted '$want', the kernel's .config has '${got:-nothing}'" >&2
        bad=1
    fi
done <"$work/fragment"
[ $bad = 0 ] || exit 1

echo "== building Linux $src_version (-j$jobs)" >&2
kmake Image >&2

cp "$obj/arch/riscv/boot/Image" "$obj/vmlinux" "$obj/System.map" "$work/"
cp "$obj/.config" "$work/config"
if compressed "$work/vmlinux"; then
    echo "build.sh: vmlinux contains compressed instructions" >&2
    exit 1
fi
rm -rf "$out"
mv "$work" "$out"
echo "$out/Image"
