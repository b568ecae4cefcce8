package org.qwen4j.quant.convert;

import org.qwen4j.core.gguf.GgufTensorInfo;
import org.qwen4j.spi.TensorFormat;

/**
 * One tensor of a {@link QuantizationPlan}: what the source holds and the format it is written in.
 *
 * @param source name, shape and format of the input tensor
 * @param target format of the output tensor
 */
public record PlannedTensor(GgufTensorInfo source, TensorFormat target) {

    public String name() {
        return source.name();
    }

    /** The header entry of the output tensor. */
    public GgufTensorInfo output() {
        return new GgufTensorInfo(source.name(), target, source.shape());
    }

    /** True when the data is copied as it is, without decoding and encoding: the formats are the same. */
    public boolean copiesBytes() {
        return source.format().ggmlType() == target.ggmlType();
    }
}
