package org.qwen4j.quant.convert;

import java.lang.foreign.MemorySegment;
import java.util.List;
import org.qwen4j.core.gguf.GgufTensorInfo;
import org.qwen4j.spi.TensorFormat;

/**
 * A tensor as a GGUF file holds it, made of one or more pieces of a model source's tensors laid end to
 * end: most tensors are one piece, a layer's experts stacked into one 3-D tensor are one piece per
 * expert. Every piece holds the same number of whole rows.
 *
 * @param name   GGUF tensor name
 * @param format format of every piece
 * @param shape  GGUF shape of the whole, innermost first
 * @param pieces the data, in order
 */
record AssembledTensor(String name, TensorFormat format, long[] shape, List<MemorySegment> pieces) {

    AssembledTensor {
        pieces = List.copyOf(pieces);
        long expected = new GgufTensorInfo(name, format, shape).byteSize();
        long total = pieces.stream().mapToLong(MemorySegment::byteSize).sum();
        if (total != expected) {
            throw new IllegalArgumentException(name + ": the pieces hold " + total + " bytes, " + expected + " expected");
        }
    }

    GgufTensorInfo info() {
        return new GgufTensorInfo(name, format, shape);
    }

    /** Rows of the whole tensor: every dimension but the innermost. */
    int rows() {
        return Math.toIntExact(info().elements() / shape[0]);
    }

    /** The rows decoded with the format's reference dequantizer, piece by piece. */
    RowSource decoder() {
        int columns = Math.toIntExact(shape[0]);
        long rowBytes = format.byteSize(columns);
        int rowsPerPiece = rows() / pieces.size();
        return (first, rows, dst) -> {
            for (int r = 0; r < rows; r++) {
                int row = first + r;
                format.dequantize(pieces.get(row / rowsPerPiece), (row % rowsPerPiece) * rowBytes, dst, r * columns, columns);
            }
        };
    }
}
