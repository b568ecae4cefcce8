package org.qwen4j.core.gguf;

import java.util.Arrays;
import java.util.Objects;
import org.qwen4j.spi.Tensor;
import org.qwen4j.spi.TensorFormat;

/**
 * What a GGUF header says about one tensor before its data: name, element format and shape. The
 * {@link GgufWriter} takes a list of these up front, because the header holds every tensor's offset
 * and so must know every size before the first data byte is written.
 *
 * @param name   GGUF tensor name, e.g. {@code blk.0.attn_q.weight}
 * @param format element format of the data
 * @param shape  dimensions innermost first, as in GGUF: {@code shape[0]} is the row length
 */
public record GgufTensorInfo(String name, TensorFormat format, long[] shape) {

    public GgufTensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(format, "format");
        shape = shape.clone();
    }

    /** The header entry of an existing tensor, possibly re-encoded in another format. */
    public static GgufTensorInfo of(Tensor tensor, TensorFormat format) {
        return new GgufTensorInfo(tensor.name(), format, tensor.shape());
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements: the product of the dimensions. */
    public long elements() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    /** Bytes of tensor data, without the alignment padding that follows it in the file. */
    public long byteSize() {
        return format.byteSize(elements());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && name.equals(t.name) && format.ggmlType() == t.format.ggmlType()
                && Arrays.equals(shape, t.shape);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + format.name() + " " + Arrays.toString(shape);
    }
}
