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
# 12 of 16 bits stored, signed, with other bits set above them (as overlay planes once were):
# CT_small's samples (128..2191) less 1100, so some are negative, in 12-bit two's complement, the
# top 4 bits a pattern, then Bits Stored 12 and High Bit 11 set with dcmodify. DCMTK masks the top
# bits away and sign-extends bit 11.
python3 - <<'PY'
import struct
d = bytearray(open("CT_small.dcm", "rb").read())
at = d.rfind(b"\xe0\x7f\x10\x00OW")
length = struct.unpack("<I", d[at + 8:at + 12])[0]
start, n = at + 12, length // 2
samples = struct.unpack("<%dh" % n, d[start:start + length])
bits = [((v - 1100) & 0x0FFF) | (((i * 7) & 0xF) << 12) for i, v in enumerate(samples)]
d[start:start + length] = struct.pack("<%dH" % n, *bits)
open("CT_small_12bit.dcm", "wb").write(d)
PY
"$bin/dcmodify" -nb -m "(0028,0101)=12" -m "(0028,0102)=11" CT_small_12bit.dcm
# Header variants of MR_small (dcmodify) and a big endian 8-bit file whose pixel data is OW
# (dcmconv through implicit VR, which makes DCMTK write OW). DCMTK's reading is the oracle:
# slope 0 -> "ignoring modality transformation", Number of Frames 0 -> "assuming 1" (both render
# as MR_small.golden.pgm), OW big endian renders as image_dfl.golden.pgm; the rest must be refused.
cp MR_small.dcm MR_small_slope0.dcm
"$bin/dcmodify" -nb -i "(0028,1053)=0" -i "(0028,1052)=100" MR_small_slope0.dcm
cp MR_small.dcm MR_small_frames0.dcm
"$bin/dcmodify" -nb -i "(0028,0008)=0" MR_small_frames0.dcm
cp MR_small.dcm MR_small_slope_huge.dcm
"$bin/dcmodify" -nb -i "(0028,1053)=1E308" -i "(0028,1052)=0" MR_small_slope_huge.dcm
cp MR_small.dcm MR_small_bits17.dcm
"$bin/dcmodify" -nb -m "(0028,0101)=17" MR_small_bits17.dcm
cp MR_small.dcm MR_small_palette.dcm
"$bin/dcmodify" -nb -m "(0028,0004)=PALETTE COLOR" MR_small_palette.dcm
"$bin/dcmconv" +ti image_dfl.dcm "$tools/implicit.dcm"
"$bin/dcmconv" +tb "$tools/implicit.dcm" image_be_ow.dcm
# DCMTK's own verdicts on the variants, checked once the goldens below exist: the first three
# render as their source's golden, bits17 is refused.
check_variants() {
  for pair in MR_small_slope0:MR_small MR_small_frames0:MR_small image_be_ow:image_dfl; do
    variant="${pair%%:*}" source="${pair##*:}"
    window="+Wm"
    if "$bin/dcmdump" +P 0028,1050 "$variant.dcm" | grep -q 0028,1050; then window="+Wi 1"; fi
    "$bin/dcm2pnm" $window +op "$variant.dcm" "$tools/$variant.pgm"
    cmp "$tools/$variant.pgm" "$source.golden.pgm"
  done
  if "$bin/dcm2pnm" +Wi 1 +op MR_small_bits17.dcm "$tools/bits17.pgm" 2>/dev/null; then
    echo "dcm2pnm rendered MR_small_bits17.dcm" >&2
    exit 1
  fi
}
for f in CT_small MR_small MR_small_implicit MR_small_bigendian MR_small_monochrome1 image_dfl \
    CT_small_12bit; do
  window="+Wm"
  if "$bin/dcmdump" +P 0028,1050 "$f.dcm" | grep -q 0028,1050; then window="+Wi 1"; fi
  "$bin/dcm2pnm" $window +op "$f.dcm" "$f.golden.pgm"
  echo "$f: $window" >> windows.txt.new
done
mv windows.txt.new windows.txt
check_variants
# Multi-frame: RT dose, 15 frames of 10x10 32-bit unsigned, no VOI window. DCMTK's min-max window
# spans all frames; one 8-bit PGM per frame (rtdose.golden.<frame>.pgm, frames from 0).
rm -f rtdose.golden.*.pgm
"$bin/dcm2pnm" +Wm +Fa +op rtdose.dcm rtdose.golden
# Header values as DCMTK reads them, for DicomReferenceTest: name rows columns frames bits
# pixel-bytes modality.
for f in CT_small MR_small MR_small_implicit MR_small_bigendian MR_small_monochrome1 image_dfl \
    CT_small_12bit rtdose rtdose_expb; do
  "$bin/dcmdump" +P 0028,0010 +P 0028,0011 +P 0028,0008 +P 0028,0100 +P 7fe0,0010 +P 0008,0060 \
    "$f.dcm" \
    | awk -v name="$f" '
        /\(0028,0010\)/ { rows = $3 } /\(0028,0011\)/ { cols = $3 } /\(0028,0100\)/ { bits = $3 }
        /\(0028,0008\)/ { gsub(/[][]/, "", $3); frames = $3 }
        /\(0008,0060\)/ { gsub(/[][]/, "", $3); modality = $3 }
        /\(7fe0,0010\)/ { for (i = 1; i <= NF; i++) if ($i == "#") { sub(",", "", $(i + 1)); bytes = $(i + 1) } }
        END { print name, rows, cols, (frames ? frames : 1), bits, bytes, modality }'
done > headers.txt
# Compressed transfer syntaxes. Written by DCMTK from the uncompressed files above (dcmcjpeg: JPEG
# lossless SV1, lossless process 14 with selection value 3, baseline; dcmcrle: RLE), plus a
# 2-frame 16-bit file (MR_small's pixels, then the same frame inverted, built with dcmodify) in
# JPEG lossless with an offset table and with 1 KiB fragments and no offset table. Decoded
# references: dcmdjpeg/dcmdrle's uncompressed files (*.dcmd.dcm); for JPEG 2000 (no DCMTK codec in
# Debian), pydicom's files and OpenJPEG's opj_decompress of their codestreams (*.opj.pgm.gz).
(cd "$tools" && apt-get download -qq libopenjp2-tools libopenjp2-7 >/dev/null 2>&1 \
  && for deb in libopenjp2*.deb; do dpkg-deb -x "$deb" root; done)
for f in MR_small_jp2klossless JPEG2000 MR_small_jpeg_ls_lossless rtdose_rle; do
  cp "$data/$f.dcm" .
done
"$bin/dcmcjpeg" +e1 MR_small.dcm MR_small_jpeg_sv1.dcm
"$bin/dcmcjpeg" +el +sv 3 CT_small.dcm CT_small_jpeg_p14.dcm
"$bin/dcmcjpeg" +eb MR_small.dcm MR_small_jpeg_baseline.dcm
"$bin/dcmcjpeg" +ee MR_small.dcm MR_small_jpeg_extended.dcm
"$bin/dcmcrle" CT_small.dcm CT_small_rle.dcm
"$bin/dcmcrle" rtdose.dcm rtdose_rle_dcmtk.dcm
raw="$(mktemp -d)"
"$bin/dcmdump" +W "$raw" MR_small.dcm >/dev/null
frame="$(ls "$raw"/*7fe0,0010* 2>/dev/null || ls "$raw"/* | tail -1)"
python3 -c "import sys; b=open(sys.argv[1],'rb').read(); open(sys.argv[2],'wb').write(b + bytes(x ^ 0xFF for x in b))" "$frame" "$raw/two.raw"
cp MR_small.dcm "$raw/two.dcm"
"$bin/dcmodify" -nb -i "(0028,0008)=2" -mf "(7fe0,0010)=$raw/two.raw" "$raw/two.dcm"
"$bin/dcmcjpeg" +e1 "$raw/two.dcm" MR_two_frames_jpeg_bot.dcm
"$bin/dcmcjpeg" +e1 -ot +fs 1 "$raw/two.dcm" MR_two_frames_jpeg_fragments.dcm
# JPEG extended: 12-bit (MR_small's 16-bit samples, 12 stored) in one frame, in two frames with an
# offset table and in 1 KiB fragments without; 8-bit (image_dfl).
"$bin/dcmcjpeg" +ee "$raw/two.dcm" MR_two_frames_jpeg_extended.dcm
"$bin/dcmcjpeg" +ee -ot +fs 1 "$raw/two.dcm" MR_two_frames_jpeg_extended_fragments.dcm
"$bin/dcmcjpls" -ot +fs 1 "$raw/two.dcm" MR_two_frames_jpeg_ls_fragments.dcm
"$bin/dcmcjpeg" +ee image_dfl.dcm image_dfl_jpeg_extended.dcm
rm -rf "$raw"
for f in MR_small_jpeg_sv1 CT_small_jpeg_p14 MR_small_jpeg_baseline MR_two_frames_jpeg_bot \
    MR_small_jpeg_extended MR_two_frames_jpeg_extended; do
  "$bin/dcmdjpeg" "$f.dcm" "$f.dcmd.dcm"
done
# The larger decompressed references are kept gzipped (pydicom's JPEG-lossy.dcm is NEMA's 12-bit
# NM1_JPLY; dcmdjpeg warns about its scan header's spectral selection and decodes it).
for f in JPEG-lossy image_dfl_jpeg_extended; do
  "$bin/dcmdjpeg" "$f.dcm" "$tools/$f.dcmd.dcm"
  gzip -9 -n -c "$tools/$f.dcmd.dcm" > "$f.dcmd.dcm.gz"
done
# JPEG-LS (DCMTK's dcmcjpls, CharLS inside): lossless CT_small, MR_small with its own thresholds
# and reset (an LSE segment), the 2-frame file in 1 KiB fragments; near-lossless image_dfl (NEAR 3)
# and CT_small made unsigned (dcmcjpls refuses near-lossless for signed pixels; its samples are
# all positive). Lossless ones are compared with their uncompressed originals, near-lossless ones
# with dcmdjpls's output.
"$bin/dcmcjpls" CT_small.dcm CT_small_jpeg_ls.dcm
"$bin/dcmcjpls" +t1 5 +t2 11 +t3 33 +rs 32 MR_small.dcm MR_small_jpeg_ls_thresholds.dcm
"$bin/dcmcjpls" +en +md 3 image_dfl.dcm image_dfl_jpeg_ls_near.dcm
cp CT_small.dcm "$tools/ct_unsigned.dcm"
"$bin/dcmodify" -nb -m "(0028,0103)=0" "$tools/ct_unsigned.dcm"
"$bin/dcmcjpls" +en +md 2 "$tools/ct_unsigned.dcm" CT_small_jpeg_ls_near.dcm
for f in image_dfl_jpeg_ls_near CT_small_jpeg_ls_near; do
  "$bin/dcmdjpls" "$f.dcm" "$tools/$f.dcmd.dcm"
  gzip -9 -n -c "$tools/$f.dcmd.dcm" > "$f.dcmd.dcm.gz"
done
# A second JPEG-LS encoder, GDCM 3.0.21's gdcmconv (CharLS 2.4.1): MR_small's samples as 12 of
# 16 bits unsigned (they are 127..2145), lossless and near-lossless (allowed error 2); and a 61x45
# crop of MR_small through dcmcjpeg +ee at quality 10, whose 12-bit quantisation tables need 16
# bits per value and whose edge blocks are partial.
(cd "$tools" && apt-get download -qq libgdcm-tools libgdcm3.0 libcharls2 libsocket++1 libjson-c5 \
  >/dev/null 2>&1 && for deb in libgdcm*.deb libcharls2*.deb libsocket*.deb libjson-c5*.deb; do
    dpkg-deb -x "$deb" root; done)
pixels="$(mktemp -d)"
"$bin/dcmdump" +W "$pixels" MR_small.dcm >/dev/null
python3 - "$pixels"/MR_small.dcm.0.raw "$pixels" <<'PY'
import struct, sys
samples = struct.unpack("<4096h", open(sys.argv[1], "rb").read())
open(sys.argv[2] + "/mr12.raw", "wb").write(struct.pack("<4096H", *[v & 0xFFF for v in samples]))
crop = [samples[y * 64 + x] for y in range(3, 48) for x in range(2, 63)]
open(sys.argv[2] + "/crop.raw", "wb").write(struct.pack("<%dh" % len(crop), *crop))
PY
cp MR_small.dcm "$pixels/mr12.dcm"
"$bin/dcmodify" -nb -m "(0028,0101)=12" -m "(0028,0102)=11" -m "(0028,0103)=0" \
  -mf "(7fe0,0010)=$pixels/mr12.raw" "$pixels/mr12.dcm"
"$tools/root/usr/bin/gdcmconv" --jpegls "$pixels/mr12.dcm" MR_small_12bit_jpeg_ls_gdcm.dcm
"$tools/root/usr/bin/gdcmconv" --jpegls --lossy -e 2 "$pixels/mr12.dcm" \
  MR_small_12bit_jpeg_ls_near_gdcm.dcm
"$bin/dcmdjpls" MR_small_12bit_jpeg_ls_near_gdcm.dcm MR_small_12bit_jpeg_ls_near_gdcm.dcmd.dcm
cp MR_small.dcm "$pixels/crop.dcm"
"$bin/dcmodify" -nb -m "(0028,0010)=45" -m "(0028,0011)=61" -mf "(7fe0,0010)=$pixels/crop.raw" \
  "$pixels/crop.dcm"
"$bin/dcmcjpeg" +ee +q 10 "$pixels/crop.dcm" MR_crop_jpeg_extended_q10.dcm
"$bin/dcmdjpeg" MR_crop_jpeg_extended_q10.dcm MR_crop_jpeg_extended_q10.dcmd.dcm
rm -rf "$pixels"
# Restart markers (DCMTK's encoder writes none): libjpeg-turbo's cjpeg on a 75x53 crop of
# image_dfl's golden (restart every 2 blocks, so partial blocks at the right and bottom edges), and
# djpeg's decoding with the same integer inverse DCT (-dct int).
(cd "$tools" && apt-get download -qq libjpeg-turbo-progs libjpeg62-turbo >/dev/null 2>&1 \
  && for deb in libjpeg*.deb; do dpkg-deb -x "$deb" root; done)
python3 - image_dfl.golden.pgm "$tools/crop.pgm" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
magic, size, depth, pixels = data.split(b"\n", 3)
width = int(size.split()[0])
crop = b"".join(pixels[y * width + 200:y * width + 275] for y in range(180, 233))
open(sys.argv[2], "wb").write(b"P5\n75 53\n255\n" + crop)
PY
"$tools/root/usr/bin/cjpeg" -grayscale -quality 80 -restart 2B -outfile jpeg_restart.jpg \
  "$tools/crop.pgm"
"$tools/root/usr/bin/djpeg" -dct int -pnm -outfile jpeg_restart.djpeg.pgm jpeg_restart.jpg
# The same JPEG wrapped unchanged into a DICOM file by DCMTK's img2dcm (JPEG baseline, new UIDs on
# every run).
"$bin/img2dcm" jpeg_restart.jpg jpeg_restart_img2dcm.dcm
for f in CT_small_rle rtdose_rle_dcmtk rtdose_rle; do
  "$bin/dcmdrle" "$f.dcm" "$f.dcmd.dcm"
done
for f in MR_small_jp2klossless JPEG2000; do
  python3 -c "
import sys
b = open(sys.argv[1], 'rb').read()
start = b.find(b'\xff\x4f\xff\x51', b.rfind(b'\xe0\x7f\x10\x00'))
open(sys.argv[2], 'wb').write(b[start:b.rfind(b'\xff\xd9') + 2])" "$f.dcm" "$tools/$f.j2k"
  LD_LIBRARY_PATH="$tools/root/usr/lib/x86_64-linux-gnu" "$tools/root/usr/bin/opj_decompress" \
    -quiet -i "$tools/$f.j2k" -o "$tools/$f.pgm"
  gzip -9 -n -c "$tools/$f.pgm" > "$f.opj.pgm.gz"
done
