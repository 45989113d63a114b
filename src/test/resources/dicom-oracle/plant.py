"""Writes DICOM files full of planted identifiers with pydicom, for DicomAllowListOracleTest.

Usage: plant.py OUTPUT_DIR. Every planted text contains PLANT; planted UIDs contain .99.; the
birth date is 19600101. Writes one file per transfer syntax (implicit VR LE, explicit VR LE,
explicit VR BE, deflated) and burned-in.dcm (Burned In Annotation = YES).
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

def write(name, syntax, burned_in=False):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
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
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    for keyword, value in {**TEXT, **UIDS}.items():
        setattr(ds, keyword, value)
    ds.StudyDate = "20200102"
    ds.StudyTime = "101010"
    ds.Modality = "CT"
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
    ds.RescaleIntercept = "-1024"
    ds.RescaleSlope = "1"
    ds.WindowCenter = "40"
    ds.WindowWidth = "400"
    if burned_in:
        ds.BurnedInAnnotation = "YES"
    ds.PixelData = bytes((i * 37) % 256 for i in range(8 * 8 * 2))
    ds.save_as(out + "/" + name, write_like_original=False)

write("implicit.dcm", ImplicitVRLittleEndian)
write("explicit.dcm", ExplicitVRLittleEndian)
write("bigendian.dcm", ExplicitVRBigEndian)
write("deflated.dcm", DeflatedExplicitVRLittleEndian)
write("burned-in.dcm", ExplicitVRLittleEndian, burned_in=True)
