package org.qwen4j.quant.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.qwen4j.ModelFormatException;
import org.qwen4j.spi.Metadata;
import org.qwen4j.spi.ModelSource;
import org.qwen4j.spi.Tensor;
import org.qwen4j.spi.TensorFormat;

/** Expert tensors in the Hugging Face provider's layouts become GGUF's stacked 3-D tensors. */
class GgufTensorAssemblyTest {
    private static final TensorFormat F32 = Fixtures.format("F32");

    /** A source holding the given tensors, each filled with {@code base + index} so that rows can be told apart. */
    private record Source(Map<String, Tensor> tensors) implements ModelSource {
        @Override
        public Path path() {
            return Path.of("made-up");
        }

        @Override
        public String formatName() {
            return "test";
        }

        @Override
        public Metadata metadata() {
            return new Metadata(path(), Map.of());
        }

        @Override
        public void close() {
        }
    }

    private static Tensor tensor(String name, float base, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        float[] values = new float[Math.toIntExact(n)];
        for (int i = 0; i < values.length; i++) values[i] = base + i;
        MemorySegment data = MemorySegment.ofArray(new byte[values.length * 4]);
        F32.quantize(values, 0, data, 0, values.length);
        return new Tensor(name, F32, shape, data);
    }

    private static Map<String, AssembledTensor> assemble(Tensor... tensors) {
        Map<String, Tensor> map = new LinkedHashMap<>();
        for (Tensor t : tensors) map.put(t.name(), t);
        return GgufTensorAssembly.of(new Source(map)).stream().collect(Collectors.toMap(AssembledTensor::name, t -> t));
    }

    private static float[] rows(AssembledTensor t) {
        float[] all = new float[Math.toIntExact(t.info().elements())];
        t.decoder().read(0, t.rows(), all);
        return all;
    }

    @Test
    void expertsStoredApartAreStackedInExpertOrder() {
        Map<String, AssembledTensor> out = assemble(tensor("blk.0.ffn_up_exps.1.weight", 100, 2, 3),
                tensor("blk.0.ffn_up_exps.0.weight", 0, 2, 3), tensor("blk.0.attn_norm.weight", 0, 2));
        AssembledTensor up = out.get("blk.0.ffn_up_exps.weight");
        assertArrayEquals(new long[] {2, 3, 2}, up.shape());
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, 100, 101, 102, 103, 104, 105}, rows(up));
        assertEquals(List.of("blk.0.attn_norm.weight", "blk.0.ffn_up_exps.weight"), out.keySet().stream().sorted().toList());
    }

    @Test
    void fusedGateAndUpExpertsAreSplitIntoGgufsTwoTensors() {
        // [hidden 2, 2 * width 4, experts 2]: per expert, two gate rows then two up rows.
        Map<String, AssembledTensor> out = assemble(tensor("blk.3.ffn_gate_up_exps.weight", 0, 2, 4, 2));
        assertArrayEquals(new long[] {2, 2, 2}, out.get("blk.3.ffn_gate_exps.weight").shape());
        assertArrayEquals(new float[] {0, 1, 2, 3, 8, 9, 10, 11}, rows(out.get("blk.3.ffn_gate_exps.weight")));
        assertArrayEquals(new float[] {4, 5, 6, 7, 12, 13, 14, 15}, rows(out.get("blk.3.ffn_up_exps.weight")));
    }

    @Test
    void aMissingExpertIsReported() {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> assemble(
                tensor("blk.0.ffn_down_exps.0.weight", 0, 2, 2), tensor("blk.0.ffn_down_exps.2.weight", 0, 2, 2)));
        assertEquals("blk.0.ffn_down_exps.0.weight", e.field());
    }
}
