package org.qwen4j.core.gguf;

import java.util.Map;

/**
 * Chooses the GGUF value type in which a metadata value is stored. {@link org.qwen4j.spi.Metadata}
 * keeps only Java types (every integer a {@link Long}, every float a {@link Double}), so the writer
 * must pick the file type again, and llama.cpp is strict about it: its loader rejects a key whose
 * type differs from the one it reads ({@code qwen2.block_count} must be UINT32, a FLOAT64
 * {@code rope.freq_base} is an error), and its vocabulary code reads {@code tokenizer.ggml.token_type}
 * as INT32 and {@code tokenizer.ggml.scores} as FLOAT32 arrays without converting.
 *
 * <p>The rules follow llama.cpp's gguf-py writer, which wrote the files these values come from:
 * scalar integers are UINT32 (its {@code add_uint32} is used for every count, length and token id)
 * unless negative or too large, with the few INT32 and UINT16 keys listed below; floats are FLOAT32
 * (gguf-py stores every Python float so, and llama.cpp reads every float key as f32); integer arrays
 * are INT32 (gguf-py's default element type for ints) unless a value does not fit; float arrays are
 * FLOAT32. A file written by gguf-py or llama.cpp therefore reads and writes back with the same types
 * and bytes. A value the source stored as FLOAT64 comes back as FLOAT32 (rounded), and an integer
 * stored in a narrower or signed type than the rules pick comes back with the same value in the
 * rules' type.
 */
final class GgufMetadataTypes {
    /** Keys gguf-py and llama.cpp write as INT32 scalars; every other integer key is UINT32 when it fits. */
    private static final Map<String, GgufValueType> SCALAR_KEYS = Map.of(
            "general.sampling.top_k", GgufValueType.INT32,
            "general.sampling.penalty_last_n", GgufValueType.INT32,
            "general.sampling.mirostat", GgufValueType.INT32,
            "split.no", GgufValueType.UINT16,
            "split.count", GgufValueType.UINT16,
            "split.tensors.count", GgufValueType.INT32);
    /** Byte arrays: the SentencePiece normalization map is stored as raw UINT8 elements. */
    private static final String PRECOMPILED_CHARSMAP = "tokenizer.ggml.precompiled_charsmap";
    private static final long UINT32_MAX = 0xFFFF_FFFFL;

    private GgufMetadataTypes() {
    }

    /** The value type of a metadata value; arrays are {@link GgufValueType#ARRAY}. */
    static GgufValueType of(String key, Object value) {
        return switch (value) {
            case String _ -> GgufValueType.STRING;
            case Boolean _ -> GgufValueType.BOOL;
            case Long l -> integerType(key, l);
            case Double _ -> GgufValueType.FLOAT32;
            case String[] _ -> GgufValueType.ARRAY;
            case long[] _ -> GgufValueType.ARRAY;
            case double[] _ -> GgufValueType.ARRAY;
            case boolean[] _ -> GgufValueType.ARRAY;
            case Object[] _ -> GgufValueType.ARRAY;
            case null -> throw new IllegalArgumentException("metadata key '" + key + "' has a null value");
            default -> throw new IllegalArgumentException("metadata key '" + key + "' has a value of type "
                    + value.getClass().getSimpleName() + "; GGUF metadata holds String, Boolean, Long, Double,"
                    + " String[], long[], double[], boolean[] and Object[] (arrays of arrays)");
        };
    }

    /** The element type of an array value. */
    static GgufValueType elementOf(String key, Object array) {
        return switch (array) {
            case String[] _ -> GgufValueType.STRING;
            case boolean[] _ -> GgufValueType.BOOL;
            case double[] _ -> GgufValueType.FLOAT32;
            case long[] a -> key.equals(PRECOMPILED_CHARSMAP) && fits(a, 0, 255) ? GgufValueType.UINT8 : integerElementType(a);
            case Object[] _ -> GgufValueType.ARRAY;
            default -> throw new IllegalArgumentException("metadata key '" + key + "' holds an array element of type "
                    + array.getClass().getSimpleName() + ", which is not an array GGUF can store");
        };
    }

    private static GgufValueType integerType(String key, long v) {
        GgufValueType fixed = SCALAR_KEYS.get(key);
        if (fixed == GgufValueType.INT32 && v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) return fixed;
        if (fixed == GgufValueType.UINT16 && v >= 0 && v <= 0xFFFF) return fixed;
        if (v >= 0 && v <= UINT32_MAX) return GgufValueType.UINT32;
        if (v >= Integer.MIN_VALUE && v < 0) return GgufValueType.INT32;
        return v < 0 ? GgufValueType.INT64 : GgufValueType.UINT64;
    }

    private static GgufValueType integerElementType(long[] a) {
        if (fits(a, Integer.MIN_VALUE, Integer.MAX_VALUE)) return GgufValueType.INT32;
        if (fits(a, 0, UINT32_MAX)) return GgufValueType.UINT32;
        return GgufValueType.INT64;
    }

    private static boolean fits(long[] a, long min, long max) {
        for (long v : a) {
            if (v < min || v > max) return false;
        }
        return true;
    }
}
