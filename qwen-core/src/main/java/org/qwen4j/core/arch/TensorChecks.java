package org.qwen4j.core.arch;

import java.nio.file.Path;
import java.util.Arrays;
import org.qwen4j.ModelFormatException;
import org.qwen4j.spi.Tensor;

/**
 * Shape checks of the weights an architecture reads: a tensor whose shape disagrees with the
 * hyper-parameters is refused when the model loads, naming the file and the tensor, rather than read
 * out of bounds on the first token.
 */
final class TensorChecks {
    private TensorChecks() {
    }

    /** Fails unless {@code t} is a {@code [cols, rows]} matrix (or, for {@code rows == 1}, a {@code [cols]} vector). */
    static void expectShape(Path file, Tensor t, long cols, long rows) {
        long[] s = t.shape();
        boolean ok = (s.length == 2 && s[0] == cols && s[1] == rows) || (rows == 1 && s.length == 1 && s[0] == cols);
        if (!ok) {
            throw new ModelFormatException(file, t.name(), "shape " + Arrays.toString(s) + " does not match the"
                    + " hyper-parameters, expected [" + cols + (rows == 1 ? "" : ", " + rows) + "]");
        }
    }

    /** A {@code [cols, rows]} weight matrix, left in the mapped file. */
    static Tensor matrix(Path file, Tensor t, int cols, int rows) {
        expectShape(file, t, cols, rows);
        return t;
    }

    /** A norm or bias vector of {@code n} values, decoded once: it is read on every token. */
    static float[] vector(Path file, Tensor t, int n) {
        expectShape(file, t, n, 1);
        return t.toFloatArray();
    }
}
