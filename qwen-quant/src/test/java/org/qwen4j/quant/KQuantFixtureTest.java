package org.qwen4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qwen4j.spi.ModelSource;
import org.qwen4j.spi.Tensor;
import org.qwen4j.spi.TensorFormat;

/**
 * The K-quant fixture files, written by llama.cpp's {@code llama-quantize} from the F32 fixture's
 * weights without an importance matrix: the GGUF reader resolves their tensors to these formats,
 * this module's quantizers reproduce them byte for byte from the F32 weights (so their round-trip
 * error is llama.cpp's to the last bit), and this module's dequantizers decode them to llama.cpp's
 * values.
 */
class KQuantFixtureTest {

    @ParameterizedTest
    @ValueSource(strings = {"Q4_K_M", "Q5_K_M", "Q6_K"})
    void theReaderResolvesTheQuantizedTensorsToTheKQuantFormats(String mixture) {
        Set<String> found = new TreeSet<>();
        try (ModelSource source = KQuantFixtures.open(mixture)) {
            for (Tensor tensor : source.tensors().values()) {
                if (tensor.shape().length == 2) {
                    found.add(tensor.format().name());
                    Class<? extends TensorFormat> expected = switch (tensor.format().ggmlType()) {
                        case 12 -> Q4_KFormat.class;
                        case 13 -> Q5_KFormat.class;
                        default -> Q6_KFormat.class;
                    };
                    assertInstanceOf(expected, tensor.format(), tensor.name());
                }
            }
        }
        Set<String> expected = switch (mixture) {
            case "Q4_K_M" -> Set.of("Q4_K", "Q6_K");
            case "Q5_K_M" -> Set.of("Q5_K", "Q6_K");
            default -> Set.of("Q6_K");
        };
        assertEquals(new TreeSet<>(expected), found);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q4_K_M", "Q5_K_M", "Q6_K"})
    void quantizingTheF32WeightsReproducesLlamaQuantizeByteForByte(String mixture) {
        try (ModelSource f32 = KQuantFixtures.open("f32"); ModelSource quantized = KQuantFixtures.open(mixture)) {
            for (Tensor tensor : quantizedTensors(quantized)) {
                byte[] expected = tensor.data().toArray(ValueLayout.JAVA_BYTE);
                byte[] actual = quantize(tensor.format(), f32.tensor(tensor.name()).toFloatArray());
                assertArrayEquals(expected, actual, tensor.toString());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q4_K_M", "Q5_K_M", "Q6_K"})
    void roundTripErrorOfEveryTensorIsNoWorseThanLlamaCpps(String mixture) {
        try (ModelSource f32 = KQuantFixtures.open("f32"); ModelSource quantized = KQuantFixtures.open(mixture)) {
            for (Tensor tensor : quantizedTensors(quantized)) {
                float[] original = f32.tensor(tensor.name()).toFloatArray();
                double theirs = rmse(original, tensor.toFloatArray());
                MemorySegment ours = MemorySegment.ofArray(quantize(tensor.format(), original));
                double mine = rmse(original, new Tensor(tensor.name(), tensor.format(), tensor.shape(), ours)
                        .toFloatArray());
                assertTrue(mine <= theirs, tensor + ": RMSE " + mine + " > llama.cpp's " + theirs);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q4_K_M", "Q5_K_M", "Q6_K"})
    void everyTensorDequantizesToLlamaCppsValues(String mixture) {
        String file = "small-qwen2-kq-" + mixture + ".gguf";
        try (ModelSource quantized = KQuantFixtures.open(mixture)) {
            for (Tensor tensor : quantizedTensors(quantized)) {
                assertEquals(LlamaCppReference.dequantizedDigest(file + " " + tensor.name()),
                        LlamaCppReference.sha256(tensor.toFloatArray()), tensor.toString());
            }
        }
    }

    /** The 2-D weights, which llama.cpp quantizes (norms and biases stay F32). */
    private static Set<Tensor> quantizedTensors(ModelSource source) {
        Set<Tensor> tensors = new HashSet<>();
        for (Map.Entry<String, Tensor> entry : source.tensors().entrySet()) {
            if (entry.getValue().shape().length == 2) {
                tensors.add(entry.getValue());
            }
        }
        return tensors;
    }

    private static byte[] quantize(TensorFormat format, float[] values) {
        MemorySegment out = Arena.ofAuto().allocate(format.byteSize(values.length));
        format.quantize(values, 0, out, 0, values.length);
        return out.toArray(ValueLayout.JAVA_BYTE);
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
