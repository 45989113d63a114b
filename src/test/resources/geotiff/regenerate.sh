#!/usr/bin/env bash
# Writes the reference GeoTIFFs and their goldens with GDAL 3.6 (Debian 12's gdal-bin, fetched with
# `apt-get download` and unpacked into a temporary directory; nothing is installed):
#   1. a raw source cube (source.py: gradients plus noise per band, deterministic) as ENVI files;
#   2. gdal_translate encodes it in several TIFF layouts with georeferencing (-a_srs, -a_ullr);
#   3. gdal_translate -of ENVI -co INTERLEAVE=BIP dumps GDAL's own decoding of each TIFF
#      (<name>.bip: pixel-interleaved little-endian samples) and gdalinfo -json gives size, bands,
#      type, corner coordinates and EPSG code (layouts.txt). GeoTiffReferenceTest compares.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tools="$(mktemp -d)"
trap 'rm -rf "$tools"' EXIT
packages="gdal-bin gdal-data libaec0 libarmadillo11 libarpack2 libblas3 liblapack3 libblosc1
  libcfitsio10 libfreexl1 libfyba0 libgdal32 libgeos-c1v5 libgeos3.11.1 libgeotiff5 libgfortran5
  libhdf4-0-alt libhdf5-103-1 libhdf5-hl-100 libkmlbase1 libkmldom1 libkmlengine1 libltdl7
  libmariadb3 libminizip1 libnetcdf19 libodbc2 libodbcinst2 libogdi4.1 libopenjp2-7 libpoppler126
  libproj25 libqhull-r8.0 librttopo1 libsnappy1v5 libspatialite7 libsuperlu5 libsz2 liburiparser1
  libxerces-c3.2 mariadb-common mysql-common proj-data libopenblas0-pthread"
(cd "$tools" && apt-get download -qq $packages >/dev/null 2>&1 \
  && for deb in *.deb; do dpkg-deb -x "$deb" root; done)
export LD_LIBRARY_PATH="$(find "$tools/root" -name '*.so*' -printf '%h\n' | sort -u | paste -sd:)"
export GDAL_DATA="$tools/root/usr/share/gdal" PROJ_LIB="$tools/root/usr/share/proj"
bin="$tools/root/usr/bin"
cd "$here"
rm -f ./*.tif ./*.bip layouts.txt
work="$tools/work"; mkdir -p "$work"

# name | source type | bands | width height | gdal_translate options
layouts=(
  "s2-13band-uint16-tiled-lzw|UInt16|13|72 56|-co TILED=YES -co BLOCKXSIZE=32 -co BLOCKYSIZE=32 -co COMPRESS=LZW -co PREDICTOR=2 -a_srs EPSG:32633 -a_ullr 500000 5800720 500720 5800160"
  "rgbn-4band-uint16-striped-deflate-planar|UInt16|4|64 48|-co COMPRESS=DEFLATE -co INTERLEAVE=BAND -co BLOCKYSIZE=5 -a_srs EPSG:4326 -a_ullr 13.4 52.55 13.4064 52.5452"
  "reflectance-3band-float32-striped|Float32|3|48 40|-co INTERLEAVE=PIXEL -a_srs EPSG:3857 -a_ullr 1491000 6898000 1491480 6897600"
  "dem-1band-int16-tiled-deflate|Int16|1|40 40|-co TILED=YES -co BLOCKXSIZE=16 -co BLOCKYSIZE=16 -co COMPRESS=DEFLATE -co PREDICTOR=2 -a_srs EPSG:32618 -a_ullr 300000 4500400 300400 4500000"
  "rgb-3band-byte-striped-lzw|Byte|3|50 30|-co COMPRESS=LZW -a_srs EPSG:32633 -a_ullr 600000 5700300 600500 5700000"
  "bigtiff-13band-uint16-tiled-lzw|UInt16|13|72 56|-co BIGTIFF=YES -co TILED=YES -co BLOCKXSIZE=32 -co BLOCKYSIZE=32 -co COMPRESS=LZW -co PREDICTOR=2 -a_srs EPSG:32633 -a_ullr 500000 5800720 500720 5800160"
  "bigtiff-4band-uint16-striped-deflate-planar|UInt16|4|64 48|-co BIGTIFF=YES -co COMPRESS=DEFLATE -co INTERLEAVE=BAND -co BLOCKYSIZE=5 -a_srs EPSG:4326 -a_ullr 13.4 52.55 13.4064 52.5452"
  "bigtiff-3band-float32-striped|Float32|3|48 40|-co BIGTIFF=YES -co INTERLEAVE=PIXEL -a_srs EPSG:3857 -a_ullr 1491000 6898000 1491480 6897600"
  "cog-4band-uint16-deflate|UInt16|4|128 96|-of COG -co BLOCKSIZE=32 -co COMPRESS=DEFLATE -co OVERVIEW_RESAMPLING=AVERAGE -a_srs EPSG:32633 -a_ullr 500000 5800960 501280 5800000"
  "cog-bigtiff-3band-byte|Byte|3|128 96|-of COG -co BIGTIFF=YES -co BLOCKSIZE=32 -co COMPRESS=LZW -a_srs EPSG:32618 -a_ullr 300000 4500960 301280 4500000"
)
for layout in "${layouts[@]}"; do
  IFS='|' read -r name type bands size options <<<"$layout"
  read -r width height <<<"$size"
  python3 "$here/source.py" "$work/$name.raw" "$type" "$bands" "$width" "$height"
  "$bin/gdal_translate" -q $options "$work/$name.raw" "$name.tif"
  "$bin/gdal_translate" -q -of ENVI -co INTERLEAVE=BIP "$name.tif" "$work/$name.envi"
  cp "$work/$name.envi" "$name.bip"
  # Cloud-optimised GeoTIFFs: GDAL's decoding of each overview level too (<name>.ovr<level>.bip).
  if [[ "$name" == cog-* ]]; then
    for level in 0 1; do
      "$bin/gdal_translate" -q -ovr "$level" -of ENVI -co INTERLEAVE=BIP "$name.tif" "$work/$name.ovr$level.envi"
      cp "$work/$name.ovr$level.envi" "$name.ovr$level.bip"
    done
  fi
  "$bin/gdalinfo" -json "$name.tif" | python3 -c '
import json, sys
info = json.load(sys.stdin)
corners = info["cornerCoordinates"]
(minx, maxy), (maxx, miny) = corners["upperLeft"], corners["lowerRight"]
epsg = info["stac"]["proj:epsg"]
band = info["bands"][0]
print(sys.argv[1], info["size"][0], info["size"][1], len(info["bands"]), band["type"],
      repr(minx), repr(miny), repr(maxx), repr(maxy), epsg)' "$name" >> layouts.txt
done
