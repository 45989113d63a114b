"""Writes DICOM files full of planted identifiers with pydicom, for DicomAllowListOracleTest.

Usage: plant.py OUTPUT_DIR. Every planted text contains PLANT; planted UIDs contain .99.; the
birth date is 19600101. Writes one file per transfer syntax (implicit VR LE, explicit VR LE,
explicit VR BE, deflated) and burned-in.dcm (Burned In Annotation = YES); ultrasound.dcm and
secondary-capture.dcm (an ultrasound and a secondary capture without Burned In Annotation) and
ultrasound-bia-no.dcm (an ultrasound that declares NO); ultrasound-lower.dcm, multi-modality.dcm and
sc-meta-only.dcm (the same hidden by spelling).
"""
import sys
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (ExplicitVRBigEndian, ExplicitVRLittleEndian,
                         ImplicitVRLittleEndian, DeflatedExplicitVRLittleEndian)

out = sys.argv[1]

TEXT = {
    "PatientName": "PLANTNAME^JOHN", "PatientID": "PLANTPID001", "PatientBirthDate": "19600101",
    "PatientBirthName": "PLANTBIRTHNAME", "PatientMotherBirthName": "PLANTMOTHER",
    "ConsultingPhysicianName": "PLANTCONSULT", "ReferringPhysicianName": "PLANTREFERRER",
    "AcquisitionComments": "PLANTACQCOMMENT", "RequestedProcedureDescription": "PLANTREQPROC",
    "MedicalAlerts": "PLANTALERT", "AdmissionID": "PLANTADMISSION",
    "IssuerOfPatientID": "PLANTISSUER", "Allergies": "PLANTALLERGY",
    "PatientTelephoneNumbers": "PLANTTELEPHONE", "AdmittingDiagnosesDescription": "PLANTDIAGNOSIS",
    "PlacerOrderNumberImagingServiceRequest": "PLANTPLACER",
    "FillerOrderNumberImagingServiceRequest": "PLANTFILLER", "InstitutionName": "PLANTINSTITUTE",
    "InstitutionAddress": "PLANTADDRESS", "StationName": "PLANTSTATION",
    "StudyDescription": "PLANTSTUDYDESC", "SeriesDescription": "PLANTSERIESDESC",
    "ImageComments": "PLANTIMAGECOMMENT", "AccessionNumber": "PLANTACCESSION",
    "StudyID": "PLANTSTUDYID", "OperatorsName": "PLANTOPERATOR", "PatientAddress": "PLANTHOME",
    "OtherPatientNames": "PLANTOTHERNAME", "Occupation": "PLANTJOB", "RescaleType": "PLANTRESCALE",
    "WindowCenterWidthExplanation": "PLANTWINDOWTEXT", "DeviceSerialNumber": "PLANTSERIAL",
}
UIDS = {
    "StudyInstanceUID": "1.2.826.0.1.3680043.99.1001", "SeriesInstanceUID": "1.2.826.0.1.3680043.99.1002",
    "SOPInstanceUID": "1.2.826.0.1.3680043.99.1003", "FrameOfReferenceUID": "1.2.826.0.1.3680043.99.1004",
    "DeviceUID": "1.2.826.0.1.3680043.99.1005",
}

CT = "1.2.840.10008.5.1.4.1.1.2"


def write(name, syntax, burned_in=False, sop_class=CT, modality="CT", annotation=None):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = UIDS["SOPInstanceUID"]
    meta.TransferSyntaxUID = syntax
    meta.ImplementationClassUID = "1.2.826.0.1.3680043.10.54321"
    meta.ImplementationVersionName = "PLANTIMPLVER"
    meta.SourceApplicationEntityTitle = "PLANTAETITLE"
    meta.PrivateInformationCreatorUID = "1.2.826.0.1.3680043.99.1006"
    meta.PrivateInformation = b"PLANTPRIVATEINFO"
    ds = FileDataset(out + "/" + name, {}, file_meta=meta,
                     preamble=b"PLANTPREAMBLE".ljust(128, b"\0"))
    ds.is_little_endian = syntax != ExplicitVRBigEndian
    ds.is_implicit_VR = syntax == ImplicitVRLittleEndian
    ds.SOPClassUID = sop_class
    for keyword, value in {**TEXT, **UIDS}.items():
        setattr(ds, keyword, value)
    ds.StudyDate = "20200102"
    ds.StudyTime = "101010"
    ds.Modality = modality
    ds.BodyPartExamined = "CHEST"
    other = Dataset()
    other.PatientID = "PLANTSEQPID"
    other.IssuerOfPatientID = "PLANTSEQISSUER"
    ds.OtherPatientIDsSequence = Sequence([other])
    referenced = Dataset()
    referenced.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"
    referenced.ReferencedSOPInstanceUID = "1.2.826.0.1.3680043.99.1007"
    ds.ReferencedStudySequence = Sequence([referenced])
    ds.add_new(0x60000010, "US", 4)               # overlay rows
    ds.add_new(0x60000011, "US", 4)               # overlay columns
    ds.add_new(0x60004000, "LT", "PLANTOVERLAYCOMMENT")
    ds.add_new(0x50000022, "LO", "PLANTCURVEDESC")  # retired curve description
    ds.add_new(0x00090010, "LO", "PLANTCREATOR")    # private creator
    ds.add_new(0x00091001, "LO", "PLANTPRIVATEVALUE")
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = 8
    ds.Columns = 8
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    # 17 characters, one over PS3.5's 16 for DS, as real CT files write them: must be kept.
    ds.RescaleIntercept = "-1024.00000000000"
    ds.RescaleSlope = "1"
    ds.WindowCenter = "40"
    ds.WindowWidth = "400"
    if burned_in:
        ds.BurnedInAnnotation = "YES"
    elif annotation is not None:
        ds.BurnedInAnnotation = annotation
    ds.PixelData = bytes((i * 37) % 256 for i in range(8 * 8 * 2))
    ds.save_as(out + "/" + name, write_like_original=False)

write("implicit.dcm", ImplicitVRLittleEndian)
write("explicit.dcm", ExplicitVRLittleEndian)
write("bigendian.dcm", ExplicitVRBigEndian)
write("deflated.dcm", DeflatedExplicitVRLittleEndian)
write("burned-in.dcm", ExplicitVRLittleEndian, burned_in=True)
ULTRASOUND = "1.2.840.10008.5.1.4.1.1.6.1"
write("ultrasound.dcm", ExplicitVRLittleEndian, sop_class=ULTRASOUND, modality="US")
write("ultrasound-bia-no.dcm", ExplicitVRLittleEndian, sop_class=ULTRASOUND, modality="US",
      annotation="NO")
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
write("secondary-capture.dcm", ExplicitVRLittleEndian, sop_class=SECONDARY_CAPTURE, modality="OT")
# Spellings that must not hide an ultrasound or a secondary capture: a lower-case modality, an
# ultrasound among several modality values, a secondary capture named only in the file meta.
write("ultrasound-lower.dcm", ExplicitVRLittleEndian, modality="us")
write("multi-modality.dcm", ExplicitVRLittleEndian, modality=["OT", "US"])
write("sc-meta-only.dcm", ExplicitVRLittleEndian, sop_class=SECONDARY_CAPTURE, modality="OT")


def hostile():
    """Kept attributes spelled to carry text: another VR, palette data on a grey image, float pixel
    data beside the pixels, a frame pointer to a removed attribute, an overlay in the pixel words'
    unused high bits (bit 15, Bits Stored 12)."""
    write("hostile.dcm", ExplicitVRLittleEndian)
    ds = pydicom.dcmread(out + "/hostile.dcm")
    ds.add_new(0x00280106, "LT", "PLANTSMALLEST")
    ds.Modality = "\x01" * 60 + "CT"  # control characters a trim would hide
    ds.add_new(0x00280009, "AT", [0x00100010])
    ds.add_new(0x00281101, "US", [4, 0, 16])
    ds.add_new(0x00281201, "OW", b"PLANTPALETTE")
    ds.add_new(0x7FE00008, "OF", b"PLANTFLOATPIXELS")
    words = [((i * 37) % 4096) | (0x8000 if i % 3 == 0 else 0) for i in range(64)]
    ds.PixelData = struct.pack("<64H", *words)
    ds.save_as(out + "/hostile.dcm", write_like_original=False)
    write("burned-in-lower.dcm", ExplicitVRLittleEndian, burned_in=True)
    ds = pydicom.dcmread(out + "/burned-in-lower.dcm")
    ds.BurnedInAnnotation = "yes"
    ds.save_as(out + "/burned-in-lower.dcm", write_like_original=False)


def duplicated(name, tag, vr, value):
    """explicit.dcm with a second element of tag (a group 0002 one goes into the meta group, whose
    length grows with it), inserted right after the first: byte surgery, as no writer does this."""
    data = bytearray(open(out + "/explicit.dcm", "rb").read())
    group, element = tag >> 16, tag & 0xFFFF
    if len(value) % 2:
        value += b"\0"
    extra = struct.pack("<HH", group, element) + vr + struct.pack("<H", len(value)) + value
    first = data.find(struct.pack("<HH", group, element) + vr, 132)
    length = struct.unpack("<H", data[first + 6:first + 8])[0]
    at = first + 8 + length
    data[at:at] = extra
    if group == 2:
        meta_length = struct.unpack("<I", data[140:144])[0]
        data[140:144] = struct.pack("<I", meta_length + len(extra))
    open(out + "/" + name, "wb").write(bytes(data))


import struct
import pydicom
hostile()
meta_only = pydicom.dcmread(out + "/sc-meta-only.dcm")
del meta_only.SOPClassUID
meta_only.save_as(out + "/sc-meta-only.dcm", write_like_original=False)
duplicated("meta-twice.dcm", 0x00020002, b"UI", b"PLANTDUPLICATE")
duplicated("rows-twice.dcm", 0x00280010, b"US", struct.pack("<H", 9))
