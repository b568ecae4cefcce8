package org.qwen4j.jmh;

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
import org.qwen4j.core.arch.Qwen2Architecture;
import org.qwen4j.core.cpu.SimdBackend;
import org.qwen4j.spi.InferenceState;
import org.qwen4j.spi.LanguageModel;
import org.qwen4j.spi.Tensor;

/**
 * One whole decode step (one token through all 24 layers and the 151,936-row output head) of the
 * Qwen2.5-0.5B shape with random weights, at a short context. The score is tokens per second;
 * {@link Rates} reports the weight bandwidth (every matrix read once, the output head included) and
 * the matrix products' GFLOP/s (attention at this context is left out of both).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class DecodeStepBenchmark {
    @Param({"Q8_0", "Q4_0", "F16"})
    public String format;

    @Param({"2"})
    public int threads;

    private SyntheticModel source;
    private SimdBackend backend;
    private LanguageModel model;
    private InferenceState state;
    private final int[] token = {1234};
    private float[] logits;
    private long weightBytes;
    private long flops;

    @Setup(Level.Trial)
    public void setUp() {
        source = SyntheticModel.qwen25_05b(format);
        backend = new SimdBackend(threads);
        model = new Qwen2Architecture().create(source, backend);
        state = model.newState(512, KvCacheType.F16);
        logits = new float[model.config().vocabularySize()];
        for (Tensor t : source.tensors().values()) {
            if (t.shape().length != 2 || t.shape()[0] == 1 || t.shape()[1] == 1) continue; // norms, biases
            weightBytes += t.data().byteSize();
            flops += 2L * t.shape()[0] * t.shape()[1];
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        state.close();
        backend.close();
        source.close();
    }

    @Benchmark
    public float[] decodeOneToken(Rates rates) {
        if (state.position() >= 256) state.truncate(0); // stay at a short, steady context
        model.forward(state, token, 0, 1, logits, false);
        rates.add(weightBytes, flops);
        return logits;
    }
}
