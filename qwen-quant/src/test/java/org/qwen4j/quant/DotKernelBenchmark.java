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
 * A by-hand throughput check of every dot kernel, not a test: a matrix-vector product over a
 * 4864 x 896 matrix (Qwen2.5-0.5B's FFN shape), single thread, reported in GB/s of weights read.
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

    private static final int ROWS = 4864;
    private static final int COLS = 896;
    private static final long DRAM_BYTES = 256L << 20;

    private DotKernelBenchmark() {
    }

    public static void main(String[] args) throws ReflectiveOperationException {
        List<TensorFormat> formats = List.of(new F32Format(), new F16Format(), new BF16Format(),
                new Q8_0Format(), new Q4_0Format()).stream()
                .filter(f -> args.length == 0 || List.of(args).contains(f.name()))
                .toList();
        Random random = new Random(42);
        float[] weights = new float[ROWS * COLS];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (float) random.nextGaussian() * 0.02f;
        }
        float[] x = new float[COLS];
        for (int i = 0; i < COLS; i++) {
            x[i] = (float) random.nextGaussian();
        }
        float[] out = new float[ROWS];
        // Read reflectively: the test code is patched into a module that does not read
        // jdk.management, and this harness should not change the module graph for it.
        Object bean = Class.forName("java.lang.management.ManagementFactory")
                .getMethod("getThreadMXBean").invoke(null);
        Method counter = Class.forName("com.sun.management.ThreadMXBean")
                .getMethod("getCurrentThreadAllocatedBytes");
        System.out.printf("%-5s %12s %12s %22s%n", "fmt", "L3 GB/s", "DRAM GB/s", "alloc B/200 matvecs");
        for (TensorFormat format : formats) {
            long rowBytes = format.byteSize(COLS);
            long matrixBytes = rowBytes * ROWS;
            int copies = (int) Math.max(1, DRAM_BYTES / matrixBytes);
            MemorySegment all = Arena.global().allocate(matrixBytes * copies, 64);
            for (int c = 0; c < copies; c++) {
                format.quantize(weights, 0, all, c * matrixBytes, weights.length);
            }
            for (int warm = 0; warm < 300; warm++) {
                matvec(format, all, (warm % copies) * matrixBytes, rowBytes, x, out);
            }
            double hot = gigabytesPerSecond(format, all, 1, matrixBytes, rowBytes, x, out);
            double cold = gigabytesPerSecond(format, all, copies, matrixBytes, rowBytes, x, out);
            // The least of three windows, so that a stray compilation or a safepoint does not count.
            long allocated = Long.MAX_VALUE;
            for (int window = 0; window < 3; window++) {
                long before = allocatedBytes(bean, counter);
                for (int r = 0; r < 200; r++) {
                    matvec(format, all, 0, rowBytes, x, out);
                }
                allocated = Math.min(allocated, allocatedBytes(bean, counter) - before);
            }
            System.out.printf("%-5s %12.2f %12.2f %22d%n", format.name(), hot, cold, allocated);
        }
    }

    private static double gigabytesPerSecond(TensorFormat format, MemorySegment all, int copies,
                                             long matrixBytes, long rowBytes, float[] x, float[] out) {
        double best = 0;
        for (int trial = 0; trial < 10; trial++) {
            int reps = Math.max(copies, 50);
            long start = System.nanoTime();
            for (int r = 0; r < reps; r++) {
                matvec(format, all, (r % copies) * matrixBytes, rowBytes, x, out);
            }
            long elapsed = System.nanoTime() - start;
            best = Math.max(best, (double) matrixBytes * reps / elapsed);
        }
        return best;
    }

    private static void matvec(TensorFormat format, MemorySegment w, long offset, long rowBytes, float[] x,
                               float[] out) {
        for (int row = 0; row < ROWS; row++) {
            out[row] = format.dot(w, offset + row * rowBytes, x, 0, COLS);
        }
    }

    /** The current thread's allocation counter. */
    private static long allocatedBytes(Object bean, Method counter) throws ReflectiveOperationException {
        return (long) counter.invoke(bean);
    }
}
