package org.qwen4j.examples.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A test suite that starts a JVM per run must see the logits a long-running service sees: the
 * kernels give the same bits before and after the JIT compiles them (fixed-order lane sums,
 * a lane-wise exponential). This JVM's kernels are long compiled, so a fresh one is started.
 */
class FreshJvmReproducibilityTest {

    @Test
    void aFreshJvmsFirstLogitsEqualItsLogitsOnceCompiledBitForBit() throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-cp", classPath(),
                ColdAndWarmLogits.class.getName(), "150"));
        for (String type : List.of("f16", "bf16", "q8_0", "q4_0")) command.add(Reference.gguf("tiny-qwen2", type).toString());
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, child.waitFor(), output);
        List<String> lines = output.lines().filter(l -> l.contains(" differing ")).toList();
        assertEquals(4, lines.size(), output);
        for (String line : lines) assertEquals(0, Integer.parseInt(line.split(" ")[2]), line);
    }

    /** What this JVM runs from, module path and class path alike, as one class path. */
    private static String classPath() {
        return String.join(File.pathSeparator, Stream.of("jdk.module.path", "java.class.path")
                .map(System::getProperty).filter(p -> p != null && !p.isEmpty()).toList());
    }
}
