#!/usr/bin/env bash
# Fetches the non-Java tools the deployment tests run, from Debian's archive, into
# <out>/tools/root without installing anything system-wide (no root, no services started):
#   - prometheus 2.42 (a static binary): scrapes the standalone cluster in ClusterDeploymentITCase
#   - docker-compose 1.29 and its Python libraries: `docker-compose config` validates docker/
#   - python3-skimage, only for its sample photographs (skimage/data: astronaut, chelsea, coffee,
#     rocket, ...): real images for TfjsImportITCase. Nothing of it is run.
#   - python3-pydicom and DCMTK (dcmtk, libdcmtk17): the independent oracle of the DICOM
#     de-identification test (pydicom writes files with planted identifiers, dcmdump lists what is
#     left).
#   - libwebp's tools (webp: cwebp, dwebp): the reference encoder writes the lossless WebPs the
#     bitstream walk (LosslessWebp) is checked against, and dwebp checks that a hand-built WebP is
#     one libwebp decodes.
#   - libjpeg-turbo's tools (libjpeg-turbo-progs: cjpeg, djpeg): djpeg -maxmemory tells how much
#     memory libjpeg needs for a progressive JPEG's coefficients, the oracle of the decode budget's
#     native share.
#   - OpenJPEG's tools (libopenjp2-tools: opj_compress, opj_dump): JPEG 2000 codestreams of many
#     tiles, and opj_dump's count of them, for the tile limit's test.
# Called by the build (generate-resources); skipped when already fetched. On a machine without apt
# it only warns: the tests that need these tools then fail and say what is missing.
set -euo pipefail
mkdir -p "$1"; out="$(cd "$1" && pwd)/tools"
stamp="$out/.fetched-v6"
if [[ -f "$stamp" ]]; then exit 0; fi
if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
  echo "WARNING: apt-get/dpkg-deb not found; prometheus and docker-compose not fetched" >&2
  exit 0
fi
# docker-compose's Python dependency closure, minus what python3 itself provides.
packages=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances --no-pre-depends docker-compose 2>/dev/null \
  | grep -E '^(python3-|docker-compose)' | grep -vE '^python3-(distutils|lib2to3)$' | sort -u)
rm -rf "$out"; mkdir -p "$out/debs" "$out/root"
# apt's download sandbox user cannot write into a root-owned work tree; that only costs a warning.
(cd "$out/debs" && apt-get download -qq prometheus python3-skimage python3-pydicom dcmtk libdcmtk17 \
  webp libwebp7 libwebpdemux2 libwebpmux3 libjpeg62-turbo libpng16-16 libtiff6 libjbig0 libdeflate0 \
  liblerc4 libjpeg-turbo-progs libopenjp2-tools libopenjp2-7 $packages 2>&1 | grep -v "^W: Download is performed unsandboxed" || true)
ls "$out/debs"/prometheus_*.deb >/dev/null
for deb in "$out/debs"/*.deb; do dpkg-deb -x "$deb" "$out/root"; done
rm -rf "$out/debs"
touch "$stamp"
