package org.qwen4j;

import java.util.Locale;

/**
 * Precision of the keys and values a session keeps. F16 halves the memory of F32 at a rounding of
 * about 1e-3 relative per value; Q8_0 (blocks of 32 int8 values with one scale) quarters it and
 * needs head dimensions that are multiples of 32.
 */
public enum KvCacheType {
    F32(4.0), F16(2.0), Q8_0(34.0 / 32);

    private final double bytesPerValue;

    KvCacheType(double bytesPerValue) {
        this.bytesPerValue = bytesPerValue;
    }

    /** Storage per cached value. */
    public double bytesPerValue() {
        return bytesPerValue;
    }

    /** Parses {@code f32}, {@code f16} or {@code q8_0}, in any case. */
    public static KvCacheType parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown KV cache type '" + name + "'; use f32, f16 or q8_0");
        }
    }
}
