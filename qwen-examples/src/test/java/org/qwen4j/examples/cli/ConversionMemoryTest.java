package org.qwen4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qwen4j.core.gguf.GgufReader;
import org.qwen4j.core.gguf.GgufSource;

/**
 * Conversion streams: a 120 MiB model whose largest tensor is 34 MiB is quantized by the command
 * line in a JVM whose heap is capped at 16 MiB, which could hold neither that tensor's floats nor its
 * Q8_0 bytes (9 MiB) next to everything else. A JVM of its own is the only reliable measure: within
 * the test JVM, heap use depends on everything else it holds and on when the collector runs.
 */
class ConversionMemoryTest {
    private static final String HEAP = "-Xmx16m";

    @TempDir
    Path dir;

    @Test
    void quantizingAModelSeveralTimesLargerThanTheHeapSucceeds() throws Exception {
        String modulePath = System.getProperty("jdk.module.path");
        assumeTrue(modulePath != null, "the tests do not run on the module path");
        Path big = dir.resolve("big-f32.gguf");
        Path vocab = Path.of(System.getProperty("qwen4j.testdata", "testdata"), "models/tiny-qwen2/tiny-qwen2-f32.gguf");
        assertEquals(0, Qwen4jCli.run(new String[] {"synth", "--arch", "qwen2", "--hidden", "2048", "--layers", "1",
                "--heads", "16", "--kv-heads", "4", "--ffn", "2048", "--type", "f32", "-o", big.toString(),
                "--vocab", vocab.toString(), "-t", "2"}, System.out, System.err));
        long largest;
        try (GgufSource s = GgufReader.open(big)) {
            largest = s.tensors().values().stream().mapToLong(t -> t.data().byteSize()).max().orElseThrow();
        }
        assumeTrue(largest > 32L << 20, "the model's largest tensor must exceed the heap");

        Path out = dir.resolve("big-q8_0.gguf");
        Path log = dir.resolve("child.log");
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                HEAP, "--add-modules", "jdk.incubator.vector", "--enable-native-access=org.qwen4j.core",
                "-p", modulePath, "-m", "org.qwen4j.examples/org.qwen4j.examples.cli.Qwen4jCli",
                "quantize", big.toString(), out.toString(), "q8_0", "2"))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        int code = p.waitFor();
        assertEquals(0, code, Files.readString(log, StandardCharsets.UTF_8));
        try (GgufSource q = GgufReader.open(out)) {
            assertEquals("Q8_0", q.tensor("token_embd.weight").format().name());
        }
    }
}
