package org.qwen4j.jmh;

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
import org.qwen4j.KvCacheType;
import org.qwen4j.core.cpu.SimdBackend;
import org.qwen4j.spi.KvCache;

/**
 * One decode step of attention for one layer of the Qwen2.5-0.5B shape (14 query heads, 2 KV heads,
 * head 64) over a cache already holding {@code context} positions. The score is steps per second;
 * {@link Rates} reports the cache bandwidth ({@code 2 · (context + 1) · 2 · 64 · bytesPerValue}
 * bytes of keys and values per step) and GFLOP/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class AttentionBenchmark {
    private static final int HEADS = 14;
    private static final int KV_HEADS = 2;
    private static final int HEAD_DIM = 64;

    @Param({"128", "1024", "8192"})
    public int context;

    @Param({"F16", "F32"})
    public String cache;

    @Param({"2"})
    public int threads;

    private SimdBackend backend;
    private KvCache kv;
    private float[] q;
    private float[] k;
    private float[] v;
    private float[] out;
    private long cacheBytes;

    @Setup(Level.Trial)
    public void setUp() {
        backend = new SimdBackend(threads);
        kv = backend.newKvCache(1, context + 1, KV_HEADS, HEAD_DIM, KvCacheType.parse(cache));
        SplittableRandom random = new SplittableRandom(3);
        int chunk = 32;
        float[] kk = new float[chunk * KV_HEADS * HEAD_DIM];
        float[] vv = new float[chunk * KV_HEADS * HEAD_DIM];
        float[] qq = new float[chunk * HEADS * HEAD_DIM];
        float[] oo = new float[qq.length];
        for (int pos = 0; pos < context; pos += chunk) {
            int n = Math.min(chunk, context - pos);
            for (int i = 0; i < kk.length; i++) {
                kk[i] = (float) random.nextGaussian();
                vv[i] = (float) random.nextGaussian();
            }
            backend.attention(oo, qq, kk, vv, kv, 0, n, pos, HEADS, KV_HEADS, HEAD_DIM);
        }
        q = new float[HEADS * HEAD_DIM];
        k = new float[KV_HEADS * HEAD_DIM];
        v = new float[KV_HEADS * HEAD_DIM];
        out = new float[HEADS * HEAD_DIM];
        for (int i = 0; i < q.length; i++) q[i] = (float) random.nextGaussian();
        cacheBytes = 2L * (context + 1) * KV_HEADS * HEAD_DIM * ("F32".equals(cache) ? Float.BYTES : Short.BYTES);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        backend.close();
    }

    @Benchmark
    public float[] decodeStep(Rates rates) {
        // the new token always lands at position `context`, overwriting the previous step's
        backend.attention(out, q, k, v, kv, 0, 1, context, HEADS, KV_HEADS, HEAD_DIM);
        // Scores and the weighted sum of values: a multiply-add per query head, position and dimension each.
        rates.add(cacheBytes, 2L * 2 * (context + 1) * HEADS * HEAD_DIM);
        return out;
    }
}
