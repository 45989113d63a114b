package org.imagestream.decode;

import java.util.Set;

/**
 * Images that must be taken to show burned-in text when they do not say. Burned In Annotation
 * (0028,0301) is optional in most IODs and often absent; PS3.15 Annex E names ultrasound and
 * secondary capture images as the ones most likely to carry identifying text in their pixels
 * (patient names on scanner screens, scanned documents), and visible-light photographs of patients
 * and slides carry labels too. For these, a missing attribute fails closed like a YES.
 */
final class BurnedInText {
    /** SOP classes (PS3.4 B.5) whose pixels commonly hold text. */
    static final Set<String> SOP_CLASSES =
            Set.of(
                    "1.2.840.10008.5.1.4.1.1.6.1", // Ultrasound Image Storage
                    "1.2.840.10008.5.1.4.1.1.6", // Ultrasound Image Storage (retired)
                    "1.2.840.10008.5.1.4.1.1.3.1", // Ultrasound Multi-frame Image Storage
                    "1.2.840.10008.5.1.4.1.1.3", // Ultrasound Multi-frame (retired)
                    "1.2.840.10008.5.1.4.1.1.6.2", // Enhanced US Volume Storage
                    "1.2.840.10008.5.1.4.1.1.7", // Secondary Capture Image Storage
                    "1.2.840.10008.5.1.4.1.1.7.1", // Multi-frame Single Bit SC
                    "1.2.840.10008.5.1.4.1.1.7.2", // Multi-frame Grayscale Byte SC
                    "1.2.840.10008.5.1.4.1.1.7.3", // Multi-frame Grayscale Word SC
                    "1.2.840.10008.5.1.4.1.1.7.4", // Multi-frame True Color SC
                    "1.2.840.10008.5.1.4.1.1.77.1.1", // VL Endoscopic Image Storage
                    "1.2.840.10008.5.1.4.1.1.77.1.2", // VL Microscopic Image Storage
                    "1.2.840.10008.5.1.4.1.1.77.1.3", // VL Slide-Coordinates Microscopic
                    "1.2.840.10008.5.1.4.1.1.77.1.4", // VL Photographic Image Storage
                    "1.2.840.10008.5.1.4.1.1.77.1.5.1", // Ophthalmic Photography 8 Bit
                    "1.2.840.10008.5.1.4.1.1.77.1.5.2", // Ophthalmic Photography 16 Bit
                    "1.2.840.10008.5.1.4.1.1.77.1.7" // Dermoscopic Photography
                    );

    /** Modalities (PS3.3 C.7.3.1.1.1) of the same kinds, whatever SOP class carries them. */
    static final Set<String> MODALITIES = Set.of("US", "IVUS", "XC", "ES", "GM", "SM", "OP", "DMS");

    private BurnedInText() {}

    /**
     * What kind of image this is, when it is one to assume text in without a Burned In Annotation
     * attribute; null otherwise.
     *
     * @param sopClasses the data set's SOP Class UID and the file meta's Media Storage SOP Class
     *     UID (either may be null: a data set may omit its own)
     */
    static String assumedIn(String modality, String... sopClasses) {
        for (String sopClass : sopClasses) {
            if (sopClass != null && SOP_CLASSES.contains(sopClass)) {
                return "SOP class " + sopClass;
            }
        }
        if (modality != null) {
            // Any of its values, in any case: "us", "OT\\US" are ultrasound too.
            for (String value : modality.split("\\\\")) {
                String term = value.strip().toUpperCase(java.util.Locale.ROOT);
                if (MODALITIES.contains(term)) {
                    return "modality " + term;
                }
            }
        }
        return null;
    }
}
