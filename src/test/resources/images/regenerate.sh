#!/usr/bin/env bash
# Regenerates the reference photos and golden pixels for SocialDecoderReferenceTest with a
# reference codec library: Pillow 9.4 (Debian 12's python3-pil, on libjpeg-turbo, libpng, giflib
# and libwebp). The packages are fetched with `apt-get download` and unpacked into a temporary
# directory; nothing is installed. Run on Debian 12: bash src/test/resources/images/regenerate.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tools="$(mktemp -d)"
trap 'rm -rf "$tools"' EXIT
(cd "$tools" && apt-get download -qq python3-pil libimagequant0 libraqm0 libopenjp2-7 liblcms2-2 \
  libxcb1 libxau6 libxdmcp6 libbsd0 libmd0 libtiff6 libjbig0 libdeflate0 liblerc4 libfribidi0 \
  libharfbuzz0b libwebp7 libwebpmux3 libwebpdemux2 >/dev/null 2>&1 \
  && for deb in *.deb; do dpkg-deb -x "$deb" root; done)
LD_LIBRARY_PATH="$tools/root/usr/lib/x86_64-linux-gnu" \
PYTHONPATH="$tools/root/usr/lib/python3/dist-packages" \
/usr/bin/python3 "$here/regenerate.py" "$here"
