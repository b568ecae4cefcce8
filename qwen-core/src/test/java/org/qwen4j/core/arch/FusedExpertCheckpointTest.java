package org.qwen4j.core.arch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qwen4j.KvCacheType;
import org.qwen4j.core.cpu.ReferenceBackend;
import org.qwen4j.core.hf.HfCheckpointFormat;
import org.qwen4j.core.testing.TestData;
import org.qwen4j.spi.InferenceState;
import org.qwen4j.spi.LanguageModel;
import org.qwen4j.spi.ModelSource;

/**
 * Checkpoints written by newer transformers fuse each block's experts into two 3-D tensors,
 * {@code mlp.experts.gate_up_proj} ({@code [experts, 2·width, hidden]}, gate rows then up rows) and
 * {@code mlp.experts.down_proj} ({@code [experts, hidden, width]}). The tiny-qwen3moe folder rewritten
 * that way gives exactly the logits of its per-expert original, which equal the float64 reference.
 */
class FusedExpertCheckpointTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MODEL = "tiny-qwen3moe";
    private static final int[] SEQ8 = {3005, 3335, 1942, 551, 3230, 2521, 546, 1650};

    @Test
    void fusedExpertsGiveThePerExpertLogits(@TempDir Path dir) throws IOException {
        Path original = TestData.resolve("models/" + MODEL + "/hf");
        Path fused = Files.createDirectories(dir.resolve(MODEL));
        try (Stream<Path> files = Files.list(original)) {
            for (Path f : files.toList()) {
                if (!f.getFileName().toString().equals("model.safetensors")) Files.copy(f, fused.resolve(f.getFileName()));
            }
        }
        JsonNode config = JSON.readTree(original.resolve("config.json").toFile());
        fuseExperts(original.resolve("model.safetensors"), fused.resolve("model.safetensors"),
                config.get("num_hidden_layers").asInt(), config.get("num_experts").asInt());

        float[] expected = logits(original);
        try (ModelSource source = new HfCheckpointFormat().open(fused)) {
            assertTrue(source.findTensor("blk.0.ffn_gate_up_exps.weight").isPresent());
            assertFalse(source.findTensor("blk.0.ffn_gate_exps.0.weight").isPresent());
        }
        float[] actual = logits(fused);
        assertArrayEquals(expected, actual);

        float[] exact = goldenExact();
        double maxDiff = 0;
        double maxAbs = 0;
        for (int i = 0; i < exact.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(actual[i] - exact[i]));
            maxAbs = Math.max(maxAbs, Math.abs(exact[i]));
        }
        assertTrue(maxDiff / maxAbs <= 1e-4, "relative error vs exact " + maxDiff / maxAbs);
    }

    private static float[] logits(Path folder) {
        try (ModelSource source = new HfCheckpointFormat().open(folder); ReferenceBackend backend = new ReferenceBackend()) {
            LanguageModel lm = new Qwen3MoeArchitecture().create(source, backend);
            float[] logits = new float[SEQ8.length * lm.config().vocabularySize()];
            try (InferenceState state = lm.newState(SEQ8.length, KvCacheType.F32)) {
                lm.forward(state, SEQ8, 0, SEQ8.length, logits, true);
            }
            return logits;
        }
    }

    private static float[] goldenExact() throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(TestData.resolve("golden/" + MODEL + "-f32-seq8.exact.f32")))
                .order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[b.remaining() / Float.BYTES];
        b.asFloatBuffer().get(f);
        return f;
    }

    /** Rewrites a safetensors file with each block's per-expert matrices fused into the two 3-D tensors. */
    private static void fuseExperts(Path in, Path out, int layers, int experts) throws IOException {
        byte[] file = Files.readAllBytes(in);
        int headerLength = Math.toIntExact(ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong());
        JsonNode header = JSON.readTree(new String(file, 8, headerLength, StandardCharsets.UTF_8));
        int dataStart = 8 + headerLength;
        Map<String, JsonNode> entries = new LinkedHashMap<>();
        header.fields().forEachRemaining(e -> entries.put(e.getKey(), e.getValue()));
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, byte[]> data = new LinkedHashMap<>();
        for (var e : entries.entrySet()) {
            if (e.getKey().equals("__metadata__") || e.getKey().contains(".mlp.experts.")) continue;
            shapes.put(e.getKey(), shape(e.getValue()));
            data.put(e.getKey(), bytes(file, dataStart, e.getValue()));
        }
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".mlp.experts.";
            ByteArrayOutputStream gateUp = new ByteArrayOutputStream();
            ByteArrayOutputStream down = new ByteArrayOutputStream();
            for (int e = 0; e < experts; e++) {
                gateUp.writeBytes(bytes(file, dataStart, entries.get(p + e + ".gate_proj.weight")));
                gateUp.writeBytes(bytes(file, dataStart, entries.get(p + e + ".up_proj.weight")));
                down.writeBytes(bytes(file, dataStart, entries.get(p + e + ".down_proj.weight")));
            }
            long[] gate = shape(entries.get(p + "0.gate_proj.weight"));
            long[] downShape = shape(entries.get(p + "0.down_proj.weight"));
            shapes.put(p + "gate_up_proj", new long[] {experts, 2 * gate[0], gate[1]});
            data.put(p + "gate_up_proj", gateUp.toByteArray());
            shapes.put(p + "down_proj", new long[] {experts, downShape[0], downShape[1]});
            data.put(p + "down_proj", down.toByteArray());
        }
        ObjectNode newHeader = JSON.createObjectNode();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (var e : data.entrySet()) {
            ObjectNode t = newHeader.putObject(e.getKey());
            t.put("dtype", "F32");
            var shape = t.putArray("shape");
            for (long d : shapes.get(e.getKey())) shape.add(d);
            t.putArray("data_offsets").add(body.size()).add(body.size() + e.getValue().length);
            body.writeBytes(e.getValue());
        }
        byte[] h = newHeader.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer result = ByteBuffer.allocate(8 + padded + body.size()).order(ByteOrder.LITTLE_ENDIAN);
        result.putLong(padded).put(h);
        for (int i = h.length; i < padded; i++) result.put((byte) ' ');
        result.put(body.toByteArray());
        Files.write(out, result.array());
        assertEquals(8 + padded + body.size(), Files.size(out));
    }

    private static long[] shape(JsonNode entry) {
        long[] s = new long[entry.get("shape").size()];
        for (int i = 0; i < s.length; i++) s[i] = entry.get("shape").get(i).asLong();
        return s;
    }

    private static byte[] bytes(byte[] file, int dataStart, JsonNode entry) {
        JsonNode o = entry.get("data_offsets");
        return Arrays.copyOfRange(file, dataStart + o.get(0).asInt(), dataStart + o.get(1).asInt());
    }
}
