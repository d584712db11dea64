#!/usr/bin/env bash
# Runs bench/gpu/page.ts in headless Chromium on a machine with a GPU and no Node, from the
# folder .gpu/ (made by bench/gpu/pack.sh: the Chromium of the npm package @sparticuz/chromium,
# xz-compressed, its NSS/ANGLE/Vulkan-loader libraries, and the built page). Each attempt
# (an ANGLE backend) writes its page report and Chromium's log to $OUT (or ./.gpu/out).
set -u
OUT=${OUT:-.gpu/out}
mkdir -p "$OUT"
W=/tmp/bpl-gpu
mkdir -p "$W"
python3 - <<'PY'
import lzma, shutil, tarfile
shutil.copyfileobj(lzma.open('.gpu/chromium.xz'), open('/tmp/bpl-gpu/chromium', 'wb'))
tarfile.open(fileobj=lzma.open('.gpu/libs.tar.xz')).extractall('/tmp/bpl-gpu')
PY
chmod +x "$W/chromium"
export LD_LIBRARY_PATH="$W/lib:$W"
{ nvidia-smi -L; ls /usr/local/nvidia/share/vulkan/icd.d /etc/vulkan/icd.d /usr/share/vulkan/icd.d 2>&1; "$W/chromium" --version; } > "$OUT/env.txt" 2>&1
ICD=$(ls /usr/local/nvidia/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/nvidia*.json /usr/share/vulkan/icd.d/nvidia*.json 2>/dev/null | head -1)
PAGE="file://$PWD/.gpu/page.html"
COMMON=(--headless=new --no-sandbox --disable-gpu-sandbox --no-first-run --disable-background-networking --disable-dev-shm-usage --ignore-gpu-blocklist --enable-logging=stderr --v=0)
attempt() {
  local name=$1; shift
  VK_DRIVER_FILES="$ICD" VK_ICD_FILENAMES="$ICD" timeout 170 "$W/chromium" "${COMMON[@]}" --user-data-dir="$W/profile-$name" "$@" --dump-dom "$PAGE" > "$OUT/dom-$name.html" 2> "$OUT/log-$name.txt"
  echo "$name: exit $?"
  grep -o 'BPL-GPU-REPORT.*' "$OUT/log-$name.txt" | head -c 4000; echo
}
attempt vulkan --use-gl=angle --use-angle=vulkan --enable-features=Vulkan
attempt default
