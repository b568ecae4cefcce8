package org.qwen4j.jmh;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.qwen4j.core.cpu.SimdBackend;
import org.qwen4j.core.format.TensorFormats;
import org.qwen4j.spi.Tensor;
import org.qwen4j.spi.TensorFormat;

/**
 * Matrix-vector (batch 1, decode) and matrix-matrix (batch 128, prefill) products of the
 * {@code cpu-simd} backend per weight format, at the projection shapes (rows × columns) of
 * Qwen2.5-0.5B, 896×896 (attention q/o), 4864×896 (gate/up) and 896×4864 (down), and of Qwen2.5-7B,
 * 3584×3584, 18944×3584 and 3584×18944. The score is products per second (the time of one is its
 * reciprocal); beside it JMH reports the effective bandwidth (weight bytes / time) and GFLOP/s
 * (2·rows·cols·batch / time) as {@link Rates}. One shape, for example:
 * {@code jmh/run MatmulBenchmark -p format=Q4_0 -p shape=896x4864 -p batch=1}. The K-quants (super-blocks of
 * 256) take other shapes, those of Qwen2.5-1.5B for example:
 * {@code jmh/run MatmulBenchmark -p format=Q4_K,Q6_K -p shape=1536x1536,8960x1536,1536x8960 -p batch=1}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class MatmulBenchmark {
    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0"})
    public String format;

    @Param({"896x896", "4864x896", "896x4864", "3584x3584", "18944x3584", "3584x18944"})
    public String shape;

    @Param({"1", "128"})
    public int batch;

    @Param({"2"})
    public int threads;

    private Arena arena;
    private SimdBackend backend;
    private Tensor weights;
    private float[] x;
    private float[] out;
    private long weightBytes;
    private long flops;

    @Setup(Level.Trial)
    public void setUp() {
        String[] rc = shape.split("x");
        int rows = Integer.parseInt(rc[0]);
        int cols = Integer.parseInt(rc[1]);
        TensorFormat f = TensorFormats.byName(format)
                .orElseThrow(() -> new IllegalStateException("format " + format + " not on the class path"));
        if (cols % f.blockSize() != 0) {
            throw new IllegalArgumentException(format + " stores rows in blocks of " + f.blockSize() + " values; "
                    + cols + " columns are not a whole number of them (pick a shape such as 8960x1536)");
        }
        arena = Arena.ofShared();
        SplittableRandom random = new SplittableRandom(7);
        float[] row = new float[cols];
        MemorySegment data = arena.allocate(f.byteSize((long) rows * cols), 64);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) row[c] = (float) (random.nextDouble() * 2 - 1) * 0.05f;
            f.quantize(row, 0, data, r * f.byteSize(cols), cols);
        }
        weights = new Tensor("w", f, new long[] {cols, rows}, data);
        x = new float[batch * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        out = new float[batch * rows];
        weightBytes = f.byteSize((long) rows * cols);
        flops = 2L * rows * cols * batch;
        backend = new SimdBackend(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        backend.close();
        arena.close();
    }

    @Benchmark
    public float[] matmul(Rates rates) {
        backend.matmul(weights, x, out, batch);
        rates.add(weightBytes, flops);
        return out;
    }
}
