package org.qwen4j.quant.convert;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Where an output tensor's data comes from: bytes already in the output format, copied as they are
 * (llama.cpp does not re-encode a tensor whose format does not change), or float rows to encode.
 */
sealed interface TensorData {
    /** Bytes in the output format, e.g. views of the mapped source tensor, written one piece after another. */
    record Bytes(List<MemorySegment> pieces) implements TensorData {
    }

    /** Float values to encode into the output format. */
    record Rows(RowSource source) implements TensorData {
    }
}
