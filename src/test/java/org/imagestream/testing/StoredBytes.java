package org.imagestream.testing;

import org.imagestream.decode.DicomDeidentifier;
import org.imagestream.model.Domain;

/**
 * The bytes the job stores for an image it was sent: DICOM files de-identified with the job's
 * default UID key (an empty {@code medical.uid-secret}), everything else as sent.
 */
public final class StoredBytes {
    private StoredBytes() {}

    public static byte[] of(String domain, byte[] sent) throws Exception {
        return Domain.MEDICAL.id().equals(domain)
                ? new DicomDeidentifier(new byte[0]).deidentify(sent)
                : sent;
    }
}
