package org.qwen4j.quant;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.Map;

/**
 * What llama.cpp's own code produces for the inputs kept under {@code llamacpp/} in the test
 * resources (see the README there): the reference quantizers' bytes for a set of hard blocks, and
 * SHA-256 digests of its quantizer's bytes for a fixture tensor and of its dequantizers' floats.
 */
final class LlamaCppReference {

    private static final String ROOT = "/org/qwen4j/quant/llamacpp/";

    private LlamaCppReference() {
    }

    /** The edge-case inputs: 32 blocks of 256 values (zeros, constants, spikes, tiny and huge magnitudes …). */
    static float[] edgeCases() {
        ByteBuffer bytes = ByteBuffer.wrap(read("edge-cases.f32")).order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[bytes.remaining() / Float.BYTES];
        bytes.asFloatBuffer().get(values);
        return values;
    }

    /** llama.cpp's quantization of {@link #edgeCases()} in the format called {@code name}. */
    static byte[] edgeCasesQuantized(String name) {
        return read("edge-cases." + name + ".bin");
    }

    /** Random bytes, 16 blocks of the format called {@code name} (NaN and infinite scales included). */
    static byte[] randomBlocks(String name) {
        return read("random-blocks." + name + ".bin");
    }

    /** The digest of llama.cpp's quantization of the F32 fixture's {@code tensor} in the format {@code name}. */
    static String quantizedDigest(String name, String tensor) {
        return digests("quantized.sha256").get(name + " " + tensor);
    }

    /**
     * The digest of llama.cpp's dequantization of {@code what}: {@code random-blocks.<name>.bin}, or
     * {@code <fixture file> <tensor>} for the K-quant fixture files.
     */
    static String dequantizedDigest(String what) {
        return digests("dequantized.sha256").get(what);
    }

    /** SHA-256 of bytes, as lower-case hex. */
    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SHA-256 of floats as little-endian bits, every NaN taken as the canonical 0x7FC00000. */
    static String sha256(float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            bytes.putInt(Float.floatToIntBits(v));
        }
        return sha256(bytes.array());
    }

    private static Map<String, String> digests(String file) {
        Map<String, String> digests = new HashMap<>();
        for (String line : new String(read(file), StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                int space = line.lastIndexOf(' ');
                digests.put(line.substring(0, space), line.substring(space + 1));
            }
        }
        return digests;
    }

    private static byte[] read(String name) {
        try (InputStream in = LlamaCppReference.class.getResourceAsStream(ROOT + name)) {
            if (in == null) {
                throw new IllegalStateException("test resource " + ROOT + name + " is missing");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
