#!/usr/bin/env bash
# Proves the published package works on a machine without a compiler: build the prebuilt
# addon, pack the package, install the tarball into an empty project with no compiler on PATH,
# load it and multiply two matrices; then check what the prebuilt binary links against.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
npm run --silent prebuild
npm run --silent build:ts
tarball=$(npm pack --silent | tail -n 1)
work=$(mktemp -d)
trap 'rm -rf "$work" "$root/$tarball"' EXIT

# A PATH with node, npm and a shell only: no g++, cc, make or python.
mkdir -p "$work/bin"
ln -s "$(command -v node)" "$work/bin/node"
ln -s "$(command -v npm)" "$work/bin/npm"
# The shell and coreutils any Linux has (npm runs lifecycle scripts through sh).
for tool in sh env dirname readlink uname; do ln -s "$(command -v "$tool")" "$work/bin/$tool"; done
for tool in g++ gcc cc c++ make python3; do
  if PATH="$work/bin" command -v "$tool" >/dev/null 2>&1; then echo "check-pack: $tool is still on PATH"; exit 1; fi
done

mkdir "$work/app"
cd "$work/app"
PATH="$work/bin" npm init -y >/dev/null
PATH="$work/bin" npm install --prefer-offline --no-audit --no-fund "$root/$tarball" >/dev/null
if [ -d node_modules/convkit/build ]; then echo "check-pack: the addon was compiled instead of using the prebuild"; exit 1; fi
PATH="$work/bin" node -e "
  const ck = require('convkit');
  const c = ck.matmul(ck.ones([64, 32]), ck.ones([32, 16]));
  if (c.data[0] !== 32) throw new Error('wrong result ' + c.data[0]);
  console.log('check-pack: loaded the prebuilt addon', JSON.stringify(ck.runtime.info()));
"

# Every library the prebuilt addon needs resolves; libgomp from the shipped copy.
addon=$(ls node_modules/convkit/prebuilds/linux-x64/*.node)
deps=$(ldd "$addon")
echo "$deps"
if echo "$deps" | grep -q 'not found'; then echo "check-pack: unresolved libraries"; exit 1; fi
echo "$deps" | grep -q "libgomp.so.1 => $(cd node_modules/convkit/prebuilds/linux-x64 && pwd)/libgomp.so.1" ||
  { echo "check-pack: libgomp is not taken from the package"; exit 1; }
unexpected=$(echo "$deps" | awk '{print $1}' | grep -vE '^(linux-vdso|/lib64/ld-linux|libstdc\+\+|libgcc_s|libc\.so|libm\.so|libgomp)' || true)
if [ -n "$unexpected" ]; then echo "check-pack: unexpected libraries: $unexpected"; exit 1; fi
echo "check-pack: ok"
