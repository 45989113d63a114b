#!/usr/bin/env bash
# Copies real DICOM test files from Debian 12's python3-pydicom package (pydicom's test data:
# NEMA WG04 sample images downsized by pydicom, D. Clunie's compressed samples; see
# README-provenance.md) and writes golden pixels with DCMTK 3.6.7 (Debian's dcmtk): dcm2pnm,
# 8-bit PGM, after the modality LUT and the file's first VOI window (+Wi 1) or, for files
# without one, a min-max window (+Wm). MONOCHROME1 is made from MR_small with dcmodify.
# Packages are fetched with `apt-get download` and unpacked into a temporary directory.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tools="$(mktemp -d)"
trap 'rm -rf "$tools"' EXIT
(cd "$tools" && apt-get download -qq python3-pydicom dcmtk libdcmtk17 >/dev/null 2>&1 \
  && for deb in *.deb; do dpkg-deb -x "$deb" root; done)
export LD_LIBRARY_PATH="$tools/root/usr/lib/x86_64-linux-gnu"
export DCMDICTPATH="$tools/root/usr/share/libdcmtk17/dicom.dic"
bin="$tools/root/usr/bin"
data="$tools/root/usr/lib/python3/dist-packages/pydicom/data/test_files"
cd "$here"
for f in CT_small MR_small MR_small_implicit MR_small_bigendian image_dfl JPEG-lossy MR_small_RLE \
    rtdose rtdose_expb; do
  cp "$data/$f.dcm" .
done
cp MR_small.dcm MR_small_monochrome1.dcm
"$bin/dcmodify" -nb -m "(0028,0004)=MONOCHROME1" MR_small_monochrome1.dcm
for f in CT_small MR_small MR_small_implicit MR_small_bigendian MR_small_monochrome1 image_dfl; do
  window="+Wm"
  if "$bin/dcmdump" +P 0028,1050 "$f.dcm" | grep -q 0028,1050; then window="+Wi 1"; fi
  "$bin/dcm2pnm" $window +op "$f.dcm" "$f.golden.pgm"
  echo "$f: $window" >> windows.txt.new
done
mv windows.txt.new windows.txt
# Multi-frame: RT dose, 15 frames of 10x10 32-bit unsigned, no VOI window. DCMTK's min-max window
# spans all frames; one 8-bit PGM per frame (rtdose.golden.<frame>.pgm, frames from 0).
rm -f rtdose.golden.*.pgm
"$bin/dcm2pnm" +Wm +Fa +op rtdose.dcm rtdose.golden
# Header geometry as DCMTK reads it, for DicomHeaderTest: name rows columns frames bits pixel-bytes.
for f in CT_small MR_small MR_small_implicit MR_small_bigendian MR_small_monochrome1 image_dfl \
    rtdose rtdose_expb; do
  "$bin/dcmdump" +P 0028,0010 +P 0028,0011 +P 0028,0008 +P 0028,0100 +P 7fe0,0010 "$f.dcm" \
    | awk -v name="$f" '
        /\(0028,0010\)/ { rows = $3 } /\(0028,0011\)/ { cols = $3 } /\(0028,0100\)/ { bits = $3 }
        /\(0028,0008\)/ { gsub(/[][]/, "", $3); frames = $3 }
        /\(7fe0,0010\)/ { for (i = 1; i <= NF; i++) if ($i == "#") { sub(",", "", $(i + 1)); bytes = $(i + 1) } }
        END { print name, rows, cols, (frames ? frames : 1), bits, bytes }'
done > headers.txt
