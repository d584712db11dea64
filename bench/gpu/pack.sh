#!/usr/bin/env bash
# Makes .gpu/ for bench/gpu/run-device.sh from this checkout's node_modules (npm ci first):
# Chromium from @sparticuz/chromium (brotli → xz with the x86 filter, so that Python's lzma can
# unpack it where there is no Node), its NSS/NSPR/expat libraries, ANGLE's libEGL/libGLESv2 and
# the Vulkan loader (not the SwiftShader driver), and the page (bench/gpu/build-page.mjs).
# About 65 MB; xz -9e takes several minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=node_modules/@sparticuz/chromium/bin
T=$(mktemp -d)
node -e "const z=require('zlib'),fs=require('fs');for(const f of ['chromium','al2023.tar','swiftshader.tar'])fs.writeFileSync('$T/'+f,z.brotliDecompressSync(fs.readFileSync('$B/'+f+'.br')))"
mkdir -p .gpu "$T/libs"
tar xf "$T/al2023.tar" -C "$T/libs"
tar xf "$T/swiftshader.tar" -C "$T/libs" libEGL.so libGLESv2.so libvulkan.so.1
(cd "$T/libs" && tar cf - .) | xz -9e -T2 > .gpu/libs.tar.xz
xz -T2 --x86 --lzma2=preset=9e,dict=192MiB -c "$T/chromium" > .gpu/chromium.xz
node bench/gpu/build-page.mjs .gpu/page.html
rm -rf "$T"
ls -la .gpu
