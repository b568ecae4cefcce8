package org.qwen4j.examples.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.qwen4j.KvCacheType;
import org.qwen4j.Model;
import org.qwen4j.Session;

/**
 * {@code qwen4j logits}: writes float32 little-endian logits {@code [n_ids][n_vocab]} of every
 * position, evaluated as one batch (the prefill path) or with {@code --incremental} one token at a
 * time (the decode path).
 */
final class LogitsCommand {
    private LogitsCommand() {
    }

    static void run(String[] argv, PrintStream out, PrintStream err) throws IOException {
        Args a = new Args(argv, 1, Stream.concat(ModelOpener.VALUED.stream(), Stream.of("--ids", "-o", "--output"))
                .collect(Collectors.toSet()), Set.of("--incremental"));
        int[] ids = a.ids("--ids");
        if (ids.length == 0) throw new Args.UsageException("--ids is empty");
        Path file = Path.of(a.require("-o", "--output"));
        try (Model model = ModelOpener.open(a, ids.length, KvCacheType.F32); Session s = model.newSession()) {
            int vocab = model.info().vocabularySize();
            ByteBuffer row = ByteBuffer.allocate(vocab * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            try (OutputStream o = Files.newOutputStream(file)) {
                if (a.flag("--incremental")) {
                    for (int id : ids) write(o, row, s.append(new int[] {id}), 0, vocab);
                } else {
                    float[] all = s.evaluate(ids);
                    for (int i = 0; i < ids.length; i++) write(o, row, all, i * vocab, vocab);
                }
            }
            err.println("wrote " + ids.length + " x " + vocab + " logits to " + file);
        }
    }

    private static void write(OutputStream o, ByteBuffer row, float[] src, int off, int n) throws IOException {
        row.clear();
        row.asFloatBuffer().put(src, off, n);
        o.write(row.array(), 0, n * Float.BYTES);
    }
}
