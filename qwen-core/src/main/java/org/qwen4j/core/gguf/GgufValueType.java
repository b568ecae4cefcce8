package org.qwen4j.core.gguf;

/** The value types of GGUF metadata, by their numeric code in the file. */
enum GgufValueType {
    UINT8(1), INT8(1), UINT16(2), INT16(2), UINT32(4), INT32(4), FLOAT32(4), BOOL(1), STRING(8), ARRAY(12),
    UINT64(8), INT64(8), FLOAT64(8);

    /** The fewest bytes one value of this type occupies; bounds array counts before anything is allocated. */
    final int minBytes;

    GgufValueType(int minBytes) {
        this.minBytes = minBytes;
    }

    private static final GgufValueType[] BY_CODE = values();

    /** The type for a code, or null when the code is unknown. */
    static GgufValueType of(long code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[(int) code] : null;
    }
}
