"""Usage: pseudonyms.py KEY ORIGINAL DEIDENTIFIED.

For each UID the de-identification replaces (the file meta's Media Storage SOP Instance UID and the
data set's Study, Series, SOP Instance and Frame of Reference UIDs), prints one line:
keyword, the pseudonym the documented formula gives for the original's value, and the value pydicom
reads from the de-identified file. The formula, written here from the README and not from the
project's code: "2.25." followed by the first 16 bytes of HMAC-SHA-256(KEY, UID) read as one
unsigned big-endian integer, in decimal.
"""
import hashlib
import hmac
import sys

import pydicom

key, original_path, deidentified_path = sys.argv[1].encode("ascii"), sys.argv[2], sys.argv[3]
original = pydicom.dcmread(original_path)
deidentified = pydicom.dcmread(deidentified_path)


def pseudonym(uid):
    digest = hmac.new(key, str(uid).encode("utf-8"), hashlib.sha256).digest()
    return "2.25." + str(int.from_bytes(digest[:16], "big"))


print("MediaStorageSOPInstanceUID", pseudonym(original.file_meta.MediaStorageSOPInstanceUID),
      deidentified.file_meta.MediaStorageSOPInstanceUID)
for keyword in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "FrameOfReferenceUID"):
    print(keyword, pseudonym(original.data_element(keyword).value),
          deidentified.data_element(keyword).value)
