package org.qwen4j.examples.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;

/**
 * The reference set copied into {@code testdata/}: models, llama.cpp's and the float64 reference's
 * logits, and greedy continuations, as described by {@code testdata/README.md}.
 */
final class Reference {
    static final Path ROOT = locate();
    private static final JsonNode INDEX = read(ROOT.resolve("index.json"));

    private Reference() {
    }

    private static Path locate() {
        String prop = System.getProperty("qwen4j.testdata");
        if (prop != null && Files.isDirectory(Path.of(prop))) return Path.of(prop);
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("testdata/models"))) return p.resolve("testdata");
        }
        throw new IllegalStateException("testdata folder not found");
    }

    private static JsonNode read(Path p) {
        try {
            return new ObjectMapper().readTree(p.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode model(String name) {
        for (JsonNode m : INDEX.get("models")) {
            if (m.get("name").asText().equals(name)) return m;
        }
        throw new IllegalArgumentException("no model " + name + " in index.json");
    }

    /** Model names whose GGUF files are in testdata. */
    static List<String> modelsPresent() {
        List<String> names = new ArrayList<>();
        for (JsonNode m : INDEX.get("models")) {
            if (Files.isDirectory(ROOT.resolve("models/" + m.get("name").asText()))) names.add(m.get("name").asText());
        }
        return names;
    }

    static List<String> types(String model) {
        return StreamSupport.stream(model(model).get("types").spliterator(), false).map(JsonNode::asText).toList();
    }

    static Path gguf(String model, String type) {
        return ROOT.resolve("models/" + model + "/" + model + "-" + type + ".gguf");
    }

    static int[] sequence(String model, String seq) {
        return ints(INDEX.get("sequences").get(model).get(seq));
    }

    static List<String> sequenceNames(String model) {
        List<String> names = new ArrayList<>();
        INDEX.get("sequences").get(model).fieldNames().forEachRemaining(names::add);
        return names;
    }

    static String prompt(int i) {
        return INDEX.get("prompts").get(i).asText();
    }

    static float[] logits(String model, String type, String seq, String kind) {
        Path p = ROOT.resolve(model(model).get("logits").get(type).get(seq).get(kind).asText());
        try {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
            float[] f = new float[b.remaining() / 4];
            b.asFloatBuffer().get(f);
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode greedy(String model, String type) {
        return model(model).get("greedy").get(type);
    }

    static int[] ints(JsonNode array) {
        int[] r = new int[array.size()];
        for (int i = 0; i < r.length; i++) r[i] = array.get(i).asInt();
        return r;
    }

    /** The README's tolerance against llama.cpp's logits for a weight type. */
    static double llamaCppTolerance(String type) {
        return switch (type.toLowerCase()) {
            case "f32" -> 1e-4;
            case "f16" -> 2e-3;
            case "bf16" -> 2e-2;
            default -> 5e-2;
        };
    }

    /**
     * Whether llama.cpp's logits are a reference for this model and type. For a mixture of experts a
     * small rounding can flip which experts a token is routed to, so llama.cpp's quantized MoE logits
     * sit up to 0.22 from exact and only the float64 reference counts (testdata/README.md); its F32
     * MoE logits agree with exact to 1e-6 and still count.
     */
    static boolean comparableWithLlamaCpp(String model, String type) {
        return !model.endsWith("moe") || type.equalsIgnoreCase("f32");
    }

    /** max |ours - golden| / max |golden| over the whole file. */
    static double relativeError(float[] ours, float[] golden) {
        if (ours.length != golden.length) {
            throw new AssertionError("length " + ours.length + " != golden length " + golden.length);
        }
        double maxDiff = 0;
        double maxAbs = 0;
        for (int i = 0; i < golden.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(ours[i] - golden[i]));
            maxAbs = Math.max(maxAbs, Math.abs(golden[i]));
        }
        return maxDiff / maxAbs;
    }
}
