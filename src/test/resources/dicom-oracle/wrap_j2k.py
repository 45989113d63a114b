"""Wraps a JPEG 2000 codestream in a DICOM file with pydicom, for Jpeg2000TilesTest.

Usage: wrap_j2k.py CODESTREAM ROWS COLUMNS OUTPUT. One 8-bit MONOCHROME2 MR frame in JPEG 2000
Image Compression (Lossless Only), encapsulated with a Basic Offset Table.
"""
import sys

from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.encaps import encapsulate

codestream, rows, columns, output = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
meta = FileMetaDataset()
meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.4"
meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.10.54321.1"
meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.90"
meta.ImplementationClassUID = "1.2.826.0.1.3680043.10.54321"
ds = FileDataset(output, {}, file_meta=meta, preamble=b"\0" * 128)
ds.is_little_endian = True
ds.is_implicit_VR = False
ds.SOPClassUID = meta.MediaStorageSOPClassUID
ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
ds.Modality = "MR"
ds.BurnedInAnnotation = "NO"
ds.SamplesPerPixel = 1
ds.PhotometricInterpretation = "MONOCHROME2"
ds.Rows = rows
ds.Columns = columns
ds.BitsAllocated = 8
ds.BitsStored = 8
ds.HighBit = 7
ds.PixelRepresentation = 0
with open(codestream, "rb") as f:
    ds.PixelData = encapsulate([f.read()], has_bot=True)
ds["PixelData"].is_undefined_length = True
ds.save_as(output, write_like_original=False)
