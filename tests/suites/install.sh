#!/usr/bin/env bash
# make install into a temporary DESTDIR, then use what it installed the way a
# user would: a program built with `cc app.c $(pkg-config --cflags --libs mdm)`
# (shared library) and with --static, both captioning an image; the installed
# mdm finding its model from another folder; the shared library exporting
# the names of mdm_rt.h only, under a versioned soname.
set -u
cd "$(dirname "$0")/../.."
src=$PWD
for tool in pkg-config nm readelf; do
    if ! command -v "$tool" >/dev/null; then
        echo "SKIP install: tool missing: $tool (apt-get install pkgconf binutils)"
        exit 0
    fi
done
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
stage=$tmp/stage; prefix=/opt/mdm-test
check() {  # check NAME COND...
    local name=$1; shift
    if "$@"; then echo "PASS install.$name"; else echo "FAIL install.$name"; fi
}
if ! nice -n 19 make -s install PREFIX=$prefix DESTDIR="$stage" >"$tmp/make.log" 2>&1; then
    echo "FAIL install.make: $(tail -5 "$tmp/make.log")"; exit 1
fi
root=$stage$prefix
check files test -f "$root/include/mdm_rt.h" -a -f "$root/lib/libmdm.a" -a -x "$root/bin/mdm" \
    -a -x "$root/bin/mdm-convert" -a -f "$root/lib/pkgconfig/mdm.pc" \
    -a -f "$root/share/mdm/models/mdm-fmnist-q8_0.gguf"

# The shared library: a versioned soname, and only mdm_rt.h's functions.
so=$(readlink -f "$root/lib/libmdm.so")
soname=$(readelf -d "$so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
check soname test -n "$soname" -a -e "$root/lib/$soname" -a "$soname" != libmdm.so
nm -D --defined-only "$so" | awk '{print $3}' | sort >"$tmp/exported"
check only_mdm_symbols test -s "$tmp/exported" -a -z "$(grep -v '^mdm_' "$tmp/exported")"
grep -v '^static' "$root/include/mdm_rt.h" | grep -oE '^[a-z].*[ *]mdm_[a-z0-9_]+\(' |
    grep -oE 'mdm_[a-z0-9_]+\($' | tr -d '(' | sort >"$tmp/declared"
if cmp -s "$tmp/exported" "$tmp/declared"; then echo "PASS install.exports_match_header"
else echo "FAIL install.exports_match_header: $(diff "$tmp/exported" "$tmp/declared" | head -5)"; fi

# A program against the installed prefix, through pkg-config.
export PKG_CONFIG_PATH=$root/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$stage
cd "$tmp"
cp "$src/tests/install/app.c" .
cc=${CC:-cc}
if $cc -std=c11 -Wall -Werror app.c $(pkg-config --cflags --libs mdm) -o app 2>"$tmp/cc.log"; then
    echo "PASS install.build_shared"
else echo "FAIL install.build_shared: $(head -5 "$tmp/cc.log")"; fi
# Static: the archive itself, and what mdm.pc says it needs (Libs.private).
static_libs=$(pkg-config --libs --static mdm | sed 's/-lmdm\b//; s/-L[^ ]*//')
if $cc -std=c11 app.c $(pkg-config --cflags mdm) "$root/lib/libmdm.a" $static_libs \
       -o app-static 2>"$tmp/cc2.log"; then
    echo "PASS install.build_static"
else echo "FAIL install.build_static: $(head -5 "$tmp/cc2.log")"; fi
check app_uses_shared sh -c "LD_LIBRARY_PATH='$root/lib' ldd ./app | grep -q '$soname'"
model=$root/share/mdm/models/mdm-fmnist-q8_0.gguf
LD_LIBRARY_PATH=$root/lib ./app "$model" "a photo of a bag" >app.txt 2>app.err
check app_caption test -s app.txt
./app-static "$model" "a photo of a bag" >app-static.txt 2>&1
if cmp -s app.txt app-static.txt; then echo "PASS install.static_same_caption"
else echo "FAIL install.static_same_caption: '$(cat app.txt)' vs '$(head -c 300 app-static.txt)'"; fi

# The installed mdm, from a folder with no models, without -m: the same
# caption through the CLI; with the data folder gone it says where it looked.
mkdir -p elsewhere && cd elsewhere
"$root/bin/mdm" generate -p "a photo of a bag" -o bag.png >/dev/null 2>gen.err
"$root/bin/mdm" caption -i bag.png >cli.txt 2>cli.err
check cli_finds_installed_model cmp -s cli.txt ../app.txt
MDM_MODEL=$model "$root/bin/mdm" caption -i bag.png --threads 1 >env.txt 2>&1
check cli_mdm_model_env cmp -s env.txt ../app.txt
cp "$root/bin/mdm" ./mdm-moved
MDM_MODEL= ./mdm-moved caption -i bag.png >/dev/null 2>where.err; rc=$?
if grep -q "models/mdm-fmnist-q8_0.gguf" where.err && [ "$rc" -eq 3 ] &&
   grep -q "share/mdm" where.err; then echo "PASS install.cli_says_where_it_looked"
else echo "FAIL install.cli_says_where_it_looked (rc $rc): $(head -3 where.err)"; fi
