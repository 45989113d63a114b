"""Plants identifying metadata inside compressed DICOM frames, with pydicom, for
DicomDeidentifierTest.

Usage: plant_codestreams.py OUTPUT_DIR FILE... For each compressed FILE, writes
OUTPUT_DIR/<name>.planted.dcm: every frame's codestream gets, in a JPEG or JPEG-LS frame, a comment
(COM) and an EXIF application segment (APP1) after its start-of-image marker and text after its
end-of-image marker; in a JPEG 2000 frame, a comment segment after SIZ in the main header and one
in the first tile-part header (its Psot grown to match; in a lossless JPEG 2000 file set to 0, "to
the end of the codestream", which T.800 A.4.2 allows the last tile-part); in an RLE frame, between
its header and first segment and after each segment's data (plant_rle). Each planted text
contains PLANT. The frames are encapsulated again by pydicom, with a Basic Offset Table.
"""
import os
import struct
import sys

import pydicom
from pydicom.encaps import encapsulate, generate_pixel_data_frame

J2K = {"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91"}


def segment(marker, body):
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def plant_jpeg(frame):
    end = frame.rindex(b"\xff\xd9") + 2
    return (frame[:2] + segment(0xFE, b"PLANTCOMMENT DOE^JOHN 19600101")
            + segment(0xE1, b"Exif\0\0PLANTEXIF") + frame[2:end] + b"PLANTTRAILER")


def plant_j2k(frame, open_ended=False):
    siz_length = struct.unpack(">H", frame[4:6])[0]
    after_siz = 4 + siz_length
    com = b"\xff\x64" + struct.pack(">HH", 2 + 2 + 12, 1) + b"PLANTJ2KMAIN"
    frame = frame[:after_siz] + com + frame[after_siz:]
    sot = frame.index(b"\xff\x90", after_siz + len(com))
    psot = struct.unpack(">I", frame[sot + 6:sot + 10])[0]
    tile_com = b"\xff\x64" + struct.pack(">HH", 2 + 2 + 12, 1) + b"PLANTJ2KTILE"
    if open_ended:
        frame = frame[:sot + 6] + struct.pack(">I", 0) + frame[sot + 10:]
    elif psot:
        frame = frame[:sot + 6] + struct.pack(">I", psot + len(tile_com)) + frame[sot + 10:]
    return frame[:sot + 12] + tile_com + frame[sot + 12:]


def grow_last_literal(segment, count, text):
    """The segment with its last PackBits run, if a literal with room, declaring len(text) more
    bytes and carrying text there: bytes a decoder that stops at count never reads."""
    at, produced, last = 0, 0, None
    while at < len(segment) and produced < count:
        n = segment[at] - 256 if segment[at] > 127 else segment[at]
        if n >= 0:
            last = at
            produced += n + 1
            at += n + 2
        elif n != -128:
            last = None
            produced += 1 - n
            at += 2
        else:
            at += 1
    if last is None or segment[last] + len(text) > 127:
        return segment
    end = last + segment[last] + 2
    return (segment[:last] + bytes([segment[last] + len(text)]) + segment[last + 1:end] + text
            + segment[end:])


def plant_rle(frame, count):
    """Text where decoding never reads: between the header and the first segment, in a segment's
    last literal run past the samples it needs, after each segment's data and after the last one;
    the header's offsets moved to match (PS3.5 G.5)."""
    segments_count = struct.unpack("<I", frame[:4])[0]
    offsets = list(struct.unpack("<15I", frame[4:64]))[:segments_count] + [len(frame)]
    segments = [frame[offsets[i]:offsets[i + 1]] for i in range(segments_count)]
    body = b"PLANTRLEGAP!"
    starts = []
    for i, data in enumerate(segments):
        starts.append(64 + len(body))
        body += grow_last_literal(data, count, b"PLANTRUN") + b"PLANTRLE%02d" % i
    header = struct.pack("<I", segments_count) + struct.pack(
        "<15I", *(starts + [0] * (15 - segments_count)))
    return header + body


out = sys.argv[1]
for path in sys.argv[2:]:
    ds = pydicom.dcmread(path)
    syntax = ds.file_meta.TransferSyntaxUID
    count = int(getattr(ds, "NumberOfFrames", 1) or 1)
    frames = list(generate_pixel_data_frame(ds.PixelData, count))
    if syntax == "1.2.840.10008.1.2.5":
        planted = [plant_rle(frame, ds.Rows * ds.Columns) for frame in frames]
    elif syntax in J2K:
        lossless = syntax == "1.2.840.10008.1.2.4.90"
        planted = [plant_j2k(frame, open_ended=lossless) for frame in frames]
    else:
        planted = [plant_jpeg(frame) for frame in frames]
    ds.PixelData = encapsulate(planted, has_bot=True)
    name = os.path.basename(path)[:-len(".dcm")]
    ds.save_as(os.path.join(out, name + ".planted.dcm"), write_like_original=True)
