package org.qwen4j.examples.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.stream.Collectors;
import org.qwen4j.quant.convert.ConversionProgress;
import org.qwen4j.quant.convert.ConversionResult;

/**
 * The progress of a conversion on stderr: one line, rewritten in place whenever the percentage
 * changes, with the tensor count and the tensor being written; then a summary of the file.
 */
final class ProgressLine implements ConversionProgress {
    private final PrintStream err;
    private final String command;
    private int shownPercent = -1;
    private int shownTensor = -1;

    ProgressLine(PrintStream err, String command) {
        this.err = err;
        this.command = command;
    }

    @Override
    public void update(int tensor, int tensors, String name, long bytesDone, long bytesTotal) {
        int percent = bytesTotal == 0 ? 100 : (int) (100 * bytesDone / bytesTotal);
        if (percent == shownPercent && tensor == shownTensor) return;
        // Large models have hundreds of tensors: redraw per tensor only while the count is small.
        if (percent == shownPercent && tensors > 100) return;
        shownPercent = percent;
        shownTensor = tensor;
        err.printf(Locale.ROOT, "\r%s: [%4d/%4d] %3d%% %-40s", command, tensor, tensors, percent, name);
        err.flush();
    }

    /** Ends the progress line and prints the notes and a one-line summary of what was written. */
    void finish(ConversionResult r) {
        err.println();
        for (String note : r.notes()) err.println(command + ": note: " + note);
        String formats = r.tensorsPerFormat().entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                .collect(Collectors.joining(", "));
        err.printf(Locale.ROOT, "%s: wrote %s: %d tensors (%s), %.1f MiB in %.2f s%n", command, r.file(), r.tensors(),
                formats, r.bytes() / 1048576.0, r.elapsed().toNanos() / 1e9);
    }
}
