package org.imagestream.decode;

import java.util.function.Function;

/**
 * The coding parameters of a JPEG-LS scan (ITU-T T.87 A.2.1 and C.2.4.1.1): MAXVAL, the gradient
 * thresholds and RESET as an LSE segment gives them, else T.87's defaults for MAXVAL and NEAR; and
 * RANGE, qbpp and LIMIT derived from them. Every value is checked against T.87's ranges.
 */
record JpegLsParameters(
        int maxValue, int near, int t1, int t2, int t3, int reset, int range, int qbpp, int limit) {

    /** An LSE segment's preset values as read; 0 asks for the default. */
    record Preset(int maxValue, int t1, int t2, int t3, int reset) {
        static final Preset NONE = new Preset(0, 0, 0, 0, 0);
    }

    static JpegLsParameters of(
            int precision, Preset preset, int near, Function<String, DecodeException> corrupt)
            throws DecodeException {
        int largest = (1 << precision) - 1;
        int maxValue = preset.maxValue() == 0 ? largest : preset.maxValue();
        if (maxValue > largest || near > Math.min(255, maxValue / 2)) {
            throw corrupt.apply("has MAXVAL " + maxValue + " or NEAR " + near + " out of range");
        }
        int default1;
        int default2;
        int default3;
        if (maxValue >= 128) {
            int factor = (Math.min(maxValue, 4095) + 128) / 256;
            default1 = clamp(factor * (3 - 2) + 2 + 3 * near, near + 1, maxValue);
            default2 = clamp(factor * (7 - 3) + 3 + 5 * near, default1, maxValue);
            default3 = clamp(factor * (21 - 4) + 4 + 7 * near, default2, maxValue);
        } else {
            int factor = 256 / (maxValue + 1);
            default1 = clamp(Math.max(2, 3 / factor + 3 * near), near + 1, maxValue);
            default2 = clamp(Math.max(3, 7 / factor + 5 * near), default1, maxValue);
            default3 = clamp(Math.max(4, 21 / factor + 7 * near), default2, maxValue);
        }
        int t1 = preset.t1() == 0 ? default1 : preset.t1();
        int t2 = preset.t2() == 0 ? default2 : preset.t2();
        int t3 = preset.t3() == 0 ? default3 : preset.t3();
        int reset = preset.reset() == 0 ? 64 : preset.reset();
        if (t1 < near + 1
                || t2 < t1
                || t3 < t2
                || t3 > maxValue
                || reset < 3
                || reset > Math.max(255, maxValue)) {
            throw corrupt.apply("has coding thresholds out of range");
        }
        int range = (maxValue + 2 * near) / (2 * near + 1) + 1;
        int bpp = Math.max(2, ceilLog2(maxValue + 1));
        return new JpegLsParameters(
                maxValue,
                near,
                t1,
                t2,
                t3,
                reset,
                range,
                ceilLog2(range),
                2 * (bpp + Math.max(8, bpp)));
    }

    /** T.87's CLAMP for thresholds: a value outside [lowest, MAXVAL] becomes {@code lowest}. */
    private static int clamp(int value, int lowest, int maxValue) {
        return value > maxValue || value < lowest ? lowest : value;
    }

    private static int ceilLog2(int value) {
        return 32 - Integer.numberOfLeadingZeros(value - 1);
    }
}
