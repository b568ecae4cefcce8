package org.qwen4j.core.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.qwen4j.core.testing.TestData;

/** The Hugging Face fixture folders under testdata and helpers that write variants of them. */
final class HfFixtures {
    static final ObjectMapper JSON = new ObjectMapper();

    private HfFixtures() {
    }

    /** {@code testdata/models/<model>/hf}. */
    static Path folder(String model) {
        return TestData.resolve("models/" + model + "/hf");
    }

    /** The F32 GGUF twin of a fixture folder. */
    static Path f32Gguf(String model) {
        return TestData.resolve("models/" + model + "/" + model + "-f32.gguf");
    }

    /** A writable copy of a fixture folder inside {@code dir}. */
    static Path copy(String model, Path dir) {
        Path target = dir.resolve(model);
        try (Stream<Path> files = Files.list(folder(model))) {
            Files.createDirectories(target);
            for (Path f : files.toList()) Files.copy(f, target.resolve(f.getFileName()));
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Rewrites a JSON file after {@code edit} changed its top-level object. */
    static void editJson(Path file, Consumer<ObjectNode> edit) {
        ObjectNode root = (ObjectNode) readJson(file);
        edit.accept(root);
        write(file, root.toString());
    }

    static void write(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A safetensors file: the header's byte length as u64 little-endian, the header, then {@code data}. */
    static Path safetensors(Path file, String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return safetensors(file, h.length, concat(h, data));
    }

    /** A file that starts with {@code headerLength} (whatever it claims) followed by {@code rest}. */
    static Path safetensors(Path file, long headerLength, byte[] rest) {
        ByteBuffer b = ByteBuffer.allocate(8 + rest.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLength).put(rest);
        try {
            Files.write(file, b.array());
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Little-endian float32 bytes. */
    static byte[] floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return b.array();
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
