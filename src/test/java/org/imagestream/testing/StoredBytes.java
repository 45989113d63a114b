package org.imagestream.testing;

import org.imagestream.decode.DicomDeidentifier;
import org.imagestream.model.Domain;

/**
 * The bytes the job stores for an image it was sent: DICOM files de-identified with the test runs'
 * UID key ({@link TestSecrets}), everything else as sent.
 */
public final class StoredBytes {
    private StoredBytes() {}

    public static byte[] of(String domain, byte[] sent) throws Exception {
        return Domain.MEDICAL.id().equals(domain)
                ? new DicomDeidentifier(TestSecrets.medicalUidSecretBytes()).deidentify(sent)
                : sent;
    }
}
