package org.qwen4j.quant.convert;

import java.lang.foreign.MemorySegment;

/**
 * Where an output tensor's data comes from: bytes already in the output format, copied as they are
 * (llama.cpp does not re-encode a tensor whose format does not change), or float rows to encode.
 */
sealed interface TensorData {
    /** Bytes in the output format, e.g. a view of the mapped source tensor. */
    record Bytes(MemorySegment data) implements TensorData {
    }

    /** Float values to encode into the output format. */
    record Rows(RowSource source) implements TensorData {
    }
}
