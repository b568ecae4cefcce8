package org.qwen4j.quant;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Random;

import org.qwen4j.core.format.BF16Format;
import org.qwen4j.core.format.F16Format;
import org.qwen4j.core.format.F32Format;
import org.qwen4j.spi.TensorFormat;

/**
 * A by-hand throughput check of every decode kernel ({@code dotOrdered}), not a test: a matrix-vector product over a
 * 4864 x 896 matrix (Qwen2.5-0.5B's FFN shape), single thread, reported in GB/s of weights read.
 * Rows of 896 are not a whole number of 256-value super-blocks, so the K-quants take the same
 * matrix the other way round, 896 rows of 4864 (the FFN down projection), as llama.cpp would have
 * to: it quantizes rows that K-quants cannot hold with a fallback type (Q5_0, Q5_1, Q8_0).
 * Two sizes: one matrix, which fits in a 32 MiB L3, and enough copies of it to spill to DRAM.
 * It also reports the bytes the thread allocated over 200 products once compiled: a few dozen
 * are the reflective counter read itself; anything that grows with the count is the kernel's.
 * Arguments, if any, pick formats by name.
 *
 * <p>Run from the repository root after {@code mvn -pl qwen-core,qwen-quant -am test-compile}:
 * <pre>
 * java --add-modules jdk.incubator.vector -cp qwen-api/target/classes:qwen-core/target/classes:\
 * qwen-quant/target/classes:qwen-quant/target/test-classes org.qwen4j.quant.DotKernelBenchmark
 * </pre>
 */
public final class DotKernelBenchmark {

    private static final int LONG_SIDE = 4864;
    private static final int SHORT_SIDE = 896;
    private static final long DRAM_BYTES = 256L << 20;

    private DotKernelBenchmark() {
    }

    public static void main(String[] args) throws ReflectiveOperationException {
        List<TensorFormat> formats = List.of(new F32Format(), new F16Format(), new BF16Format(),
                new Q8_0Format(), new Q4_0Format(), new Q4_1Format(), new Q5_0Format(), new Q5_1Format(),
                new Q2_KFormat(), new Q3_KFormat(), new Q4_KFormat(), new Q5_KFormat(), new Q6_KFormat()).stream()
                .filter(f -> args.length == 0 || List.of(args).contains(f.name()))
                .toList();
        Random random = new Random(42);
        float[] weights = new float[LONG_SIDE * SHORT_SIDE];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (float) random.nextGaussian() * 0.02f;
        }
        float[] x = new float[LONG_SIDE];
        for (int i = 0; i < LONG_SIDE; i++) {
            x[i] = (float) random.nextGaussian();
        }
        float[] out = new float[LONG_SIDE];
        // Read reflectively: the test code is patched into a module that does not read
        // jdk.management, and this harness should not change the module graph for it.
        Object bean = Class.forName("java.lang.management.ManagementFactory")
                .getMethod("getThreadMXBean").invoke(null);
        Method counter = Class.forName("com.sun.management.ThreadMXBean")
                .getMethod("getCurrentThreadAllocatedBytes");
        System.out.printf("%-5s %10s %12s %12s %22s%n", "fmt", "shape", "L3 GB/s", "DRAM GB/s",
                "alloc B/200 matvecs");
        for (TensorFormat format : formats) {
            boolean rowsOf896 = SHORT_SIDE % format.blockSize() == 0;
            int rows = rowsOf896 ? LONG_SIDE : SHORT_SIDE;
            int cols = rowsOf896 ? SHORT_SIDE : LONG_SIDE;
            long rowBytes = format.byteSize(cols);
            long matrixBytes = rowBytes * rows;
            int copies = (int) Math.max(1, DRAM_BYTES / matrixBytes);
            MemorySegment all = Arena.global().allocate(matrixBytes * copies, 64);
            for (int c = 0; c < copies; c++) {
                format.quantize(weights, 0, all, c * matrixBytes, weights.length);
            }
            for (int warm = 0; warm < 300; warm++) {
                matvec(format, all, (warm % copies) * matrixBytes, rows, cols, rowBytes, x, out);
            }
            double hot = gigabytesPerSecond(format, all, 1, matrixBytes, rows, cols, rowBytes, x, out);
            double cold = gigabytesPerSecond(format, all, copies, matrixBytes, rows, cols, rowBytes, x, out);
            // The least of three windows, so that a stray compilation or a safepoint does not count.
            long allocated = Long.MAX_VALUE;
            for (int window = 0; window < 3; window++) {
                long before = allocatedBytes(bean, counter);
                for (int r = 0; r < 200; r++) {
                    matvec(format, all, 0, rows, cols, rowBytes, x, out);
                }
                allocated = Math.min(allocated, allocatedBytes(bean, counter) - before);
            }
            System.out.printf("%-5s %10s %12.2f %12.2f %22d%n", format.name(), rows + "x" + cols, hot, cold,
                    allocated);
        }
    }

    private static double gigabytesPerSecond(TensorFormat format, MemorySegment all, int copies, long matrixBytes,
                                             int rows, int cols, long rowBytes, float[] x, float[] out) {
        double best = 0;
        for (int trial = 0; trial < 10; trial++) {
            int reps = Math.max(copies, 50);
            long start = System.nanoTime();
            for (int r = 0; r < reps; r++) {
                matvec(format, all, (r % copies) * matrixBytes, rows, cols, rowBytes, x, out);
            }
            long elapsed = System.nanoTime() - start;
            best = Math.max(best, (double) matrixBytes * reps / elapsed);
        }
        return best;
    }

    private static void matvec(TensorFormat format, MemorySegment w, long offset, int rows, int cols, long rowBytes,
                               float[] x, float[] out) {
        for (int row = 0; row < rows; row++) {
            // The decode kernel; x is random, so it needs no ordering to stand for ordered activations.
            out[row] = format.dotOrdered(w, offset + row * rowBytes, x, 0, cols);
        }
    }

    /** The current thread's allocation counter. */
    private static long allocatedBytes(Object bean, Method counter) throws ReflectiveOperationException {
        return (long) counter.invoke(bean);
    }
}
