"""Writes a deterministic source cube for regenerate.sh: per band a gradient, a pattern and noise,
spanning the type's range (negative values for Int16), as raw band-sequential samples with an ENVI
header that gdal_translate reads."""
import random
import struct
import sys

path, gdal_type, bands, width, height = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
formats = {"Byte": ("B", 1, 0, 255), "UInt16": ("H", 12, 0, 12000),
           "Int16": ("h", 2, -3000, 4000), "Float32": ("f", 4, 0.0, 1.0)}
code, envi_type, low, high = formats[gdal_type]
rng = random.Random(20261127)
values = []
for b in range(bands):
    for y in range(height):
        for x in range(width):
            t = ((x * (b + 1) + y * 3) % width) / width * 0.6 + ((x // 8 + y // 8 + b) % 2) * 0.3
            t = min(1.0, t + rng.random() * 0.1)
            v = low + (high - low) * t
            values.append(v if code == "f" else int(round(v)))
with open(path, "wb") as out:
    out.write(struct.pack("<%d%s" % (len(values), code), *values))
with open(path[: -len(".raw")] + ".hdr", "w") as hdr:
    hdr.write("ENVI\nsamples = %d\nlines = %d\nbands = %d\nheader offset = 0\n"
              "file type = ENVI Standard\ndata type = %d\ninterleave = bsq\nbyte order = 0\n"
              % (width, height, bands, envi_type))
