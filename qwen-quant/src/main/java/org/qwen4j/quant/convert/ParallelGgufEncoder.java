package org.qwen4j.quant.convert;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.LongConsumer;
import org.qwen4j.core.gguf.GgufTensorInfo;
import org.qwen4j.core.gguf.GgufWriter;
import org.qwen4j.spi.TensorFormat;

/**
 * Writes the tensors of a {@link QuantizationPlan} into a GGUF file, encoding them on a fixed pool of
 * threads while streaming: a tensor is cut into slabs of rows (a few MiB of output each), a slab into
 * chunks of about 16K values that the pool encodes in parallel, and while the pool works on one slab
 * the calling thread writes the previous one. The heap holds two slab buffers and one chunk of floats
 * per thread, whatever the size of the model. The bytes written do not depend on the thread count:
 * every row is encoded on its own, into its own place.
 */
final class ParallelGgufEncoder implements AutoCloseable {
    /**
     * Output bytes per slab: dozens of chunks, enough to keep every thread busy, and small enough that
     * the two slab buffers fit a heap of a few MiB (larger arrays need a larger heap to be placed).
     */
    static final long SLAB_BYTES = 1L << 20;
    /** Values per chunk of work, llama.cpp's quantizer chunk ({@code 32 * 512}). */
    static final int CHUNK_VALUES = 32 * 512;

    private final ExecutorService pool;
    private final ConversionProgress progress;
    private final ThreadLocal<float[]> scratch = ThreadLocal.withInitial(() -> new float[0]);

    ParallelGgufEncoder(int threads, ConversionProgress progress) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "qwen4j-convert-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.progress = progress;
    }

    /** One slab in flight: the chunks the pool is encoding into {@code buffer}, and how many bytes they fill. */
    private record Slab(List<Future<?>> chunks, byte[] buffer, long bytes) {
    }

    /** Writes the file; {@code data} says where each planned tensor's data comes from. */
    ConversionResult write(Path file, Map<String, Object> metadata, QuantizationPlan plan,
            Function<PlannedTensor, TensorData> data) throws IOException {
        long start = System.nanoTime();
        List<PlannedTensor> tensors = plan.tensors();
        List<GgufTensorInfo> infos = tensors.stream().map(PlannedTensor::output).toList();
        long total = infos.stream().mapToLong(GgufTensorInfo::byteSize).sum();
        Map<String, Integer> perFormat = new TreeMap<>();
        long[] done = {0};
        try (GgufWriter out = GgufWriter.create(file, metadata, infos)) {
            for (int i = 0; i < tensors.size(); i++) {
                PlannedTensor t = tensors.get(i);
                int number = i + 1;
                Runnable report = () -> progress.update(number, tensors.size(), t.name(), done[0], total);
                switch (data.apply(t)) {
                    case TensorData.Bytes b -> {
                        for (MemorySegment piece : b.pieces()) out.write(piece);
                        done[0] += t.output().byteSize();
                    }
                    case TensorData.Rows r -> encode(out, t, r.source(), written -> {
                        done[0] += written;
                        report.run();
                    });
                }
                perFormat.merge(t.target().name(), 1, Integer::sum);
                report.run();
            }
        }
        List<String> notes = new ArrayList<>(plan.fallbacks());
        notes.addAll(plan.substitutions());
        return new ConversionResult(file, tensors.size(), Files.size(file), perFormat, notes,
                Duration.ofNanos(System.nanoTime() - start));
    }

    private void encode(GgufWriter out, PlannedTensor t, RowSource source, LongConsumer slabWritten) throws IOException {
        TensorFormat target = t.target();
        GgufTensorInfo info = t.output();
        int columns = Math.toIntExact(info.shape()[0]);
        int rows = Math.toIntExact(info.elements() / columns);
        long rowBytes = target.byteSize(columns);
        int slabRows = (int) Math.max(1, Math.min(rows, SLAB_BYTES / rowBytes));
        int chunkRows = Math.max(1, Math.min(slabRows, CHUNK_VALUES / columns));
        byte[][] buffers = new byte[2][];
        Slab pending = null;
        for (int first = 0, k = 0; first < rows; first += slabRows, k++) {
            if (buffers[k & 1] == null) buffers[k & 1] = new byte[Math.toIntExact(slabRows * rowBytes)];
            Slab slab = start(source, target, columns, rowBytes, first, Math.min(slabRows, rows - first), chunkRows,
                    buffers[k & 1]);
            if (pending != null) slabWritten.accept(finish(pending, out));
            pending = slab;
        }
        if (pending != null) slabWritten.accept(finish(pending, out));
    }

    private Slab start(RowSource source, TensorFormat target, int columns, long rowBytes, int first, int rows,
            int chunkRows, byte[] buffer) {
        List<Future<?>> chunks = new ArrayList<>();
        MemorySegment dst = MemorySegment.ofArray(buffer);
        for (int c = 0; c < rows; c += chunkRows) {
            int chunkFirst = first + c;
            int offsetRow = c;
            int n = Math.min(chunkRows, rows - c);
            chunks.add(pool.submit(() -> {
                float[] values = scratch(n * columns);
                source.read(chunkFirst, n, values);
                for (int r = 0; r < n; r++) {
                    target.quantize(values, r * columns, dst, (offsetRow + r) * rowBytes, columns);
                }
            }));
        }
        return new Slab(chunks, buffer, rows * rowBytes);
    }

    private float[] scratch(int n) {
        float[] s = scratch.get();
        if (s.length < n) {
            s = new float[n];
            scratch.set(s);
        }
        return s;
    }

    /** Waits for a slab's chunks and writes its bytes; the first failure of a chunk ends the conversion. */
    private static long finish(Slab slab, GgufWriter out) throws IOException {
        try {
            for (Future<?> f : slab.chunks()) f.get();
        } catch (InterruptedException e) {
            slab.chunks().forEach(f -> f.cancel(true));
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while converting");
        } catch (ExecutionException e) {
            slab.chunks().forEach(f -> f.cancel(true));
            switch (e.getCause()) {
                case RuntimeException r -> throw r;
                case Error err -> throw err;
                default -> throw new IllegalStateException(e.getCause());
            }
        } catch (CancellationException e) {
            throw new IllegalStateException("a conversion task was cancelled", e);
        }
        out.write(MemorySegment.ofArray(slab.buffer()).asSlice(0, slab.bytes()));
        return slab.bytes();
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
