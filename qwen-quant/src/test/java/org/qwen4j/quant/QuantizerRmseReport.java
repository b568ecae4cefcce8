package org.qwen4j.quant;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import org.qwen4j.spi.ModelSource;
import org.qwen4j.spi.Tensor;
import org.qwen4j.spi.TensorFormat;

/**
 * A by-hand report, not a test: the round-trip error (RMSE) of every quantizer on every weight
 * matrix of the {@code small-qwen2-kq} F32 fixture, and, where llama.cpp's {@code llama-quantize}
 * wrote the same matrix in the same format (the {@code Q4_K_M}, {@code Q5_K_M} and {@code Q6_K}
 * fixture files), the RMSE of llama.cpp's bytes beside it.
 *
 * <p>Run from the repository root after {@code mvn -pl qwen-core,qwen-quant -am test-compile}
 * (the GGUF reader needs qwen-core's dependencies, slf4j-api and jackson, on the class path):
 * <pre>
 * java --add-modules jdk.incubator.vector -cp qwen-api/target/classes:qwen-core/target/classes:\
 * qwen-quant/target/classes:qwen-quant/target/test-classes:$(find ~/.m2/repository/org/slf4j/slf4j-api \
 * ~/.m2/repository/com/fasterxml/jackson/core -name '*.jar' | tr '\n' ':') org.qwen4j.quant.QuantizerRmseReport
 * </pre>
 */
public final class QuantizerRmseReport {

    private QuantizerRmseReport() {
    }

    public static void main(String[] args) {
        List<TensorFormat> formats = List.of(new Q8_0Format(), new Q4_0Format(), new Q4_1Format(), new Q5_0Format(),
                new Q5_1Format(), new Q2_KFormat(), new Q3_KFormat(), new Q4_KFormat(), new Q5_KFormat(),
                new Q6_KFormat());
        try (ModelSource f32 = KQuantFixtures.open("f32")) {
            System.out.printf("%-26s %-5s %12s %14s %s%n", "tensor", "fmt", "RMSE ours", "RMSE llama.cpp", "file");
            for (Tensor tensor : f32.tensors().values()) {
                if (tensor.shape().length != 2) {
                    continue;
                }
                float[] original = tensor.toFloatArray();
                for (TensorFormat format : formats) {
                    MemorySegment ours = Arena.ofAuto().allocate(format.byteSize(original.length));
                    format.quantize(original, 0, ours, 0, original.length);
                    Tensor decoded = new Tensor(tensor.name(), format, tensor.shape(), ours);
                    double mine = rmse(original, decoded.toFloatArray());
                    String theirs = "";
                    String file = "";
                    for (String mixture : KQuantFixtures.MIXTURES) {
                        try (ModelSource quantized = KQuantFixtures.open(mixture)) {
                            Tensor t = quantized.tensor(tensor.name());
                            if (t.format().ggmlType() == format.ggmlType()) {
                                theirs = String.format("%.9f", rmse(original, t.toFloatArray()));
                                file = mixture;
                                break;
                            }
                        }
                    }
                    System.out.printf("%-26s %-5s %12.9f %14s %s%n", tensor.name(), format.name(), mine, theirs, file);
                }
            }
        }
    }

    private static double rmse(float[] original, float[] decoded) {
        double sum = 0;
        for (int i = 0; i < original.length; i++) {
            double diff = (double) original[i] - decoded[i];
            sum += diff * diff;
        }
        return Math.sqrt(sum / original.length);
    }
}
