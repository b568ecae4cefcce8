package org.qwen4j.jmh;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The bandwidth and arithmetic rate of a benchmark method, reported by JMH next to its calls per
 * second as the secondary results {@code gbPerSecond} and {@code gflopPerSecond}: in throughput
 * mode with seconds as the unit, JMH divides these counters by the measured time, so a call adds
 * its bytes and operations in billions and the figures read as GB/s and GFLOP/s (JMH labels them
 * "ops/s"). In average-time mode JMH would print their reciprocals instead.
 *
 * <pre>{@code
 * @Benchmark public float[] matmul(Rates rates) { backend.matmul(w, x, out, 1); rates.add(weightBytes, 2L * rows * cols); return out; }
 * }</pre>
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Rates {
    /** Bytes read (weights, or cached keys and values), in billions. */
    public double gbPerSecond;
    /** Floating-point operations (a multiply-add counts two), in billions. */
    public double gflopPerSecond;

    @Setup(Level.Iteration)
    public void clear() {
        gbPerSecond = 0;
        gflopPerSecond = 0;
    }

    /** Counts one call that read {@code bytes} and performed {@code flops} operations. */
    public void add(long bytes, long flops) {
        gbPerSecond += bytes / 1e9;
        gflopPerSecond += flops / 1e9;
    }
}
