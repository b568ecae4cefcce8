package org.qwen4j.core.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.qwen4j.KvCacheType;
import org.qwen4j.core.format.TensorFormats;
import org.qwen4j.spi.KvCache;
import org.qwen4j.spi.TensorFormat;

/**
 * Keys and values in native memory owned by the cache, one {@code [contextLength][kvHeads * headDim]}
 * segment per layer and kind, encoded with the {@link TensorFormat} of the cache type: the attention
 * kernels then read them with the same decoders as weights. Native rather than heap memory because
 * the Vector API only compiles loads of 16-bit lanes from a heap segment into vector instructions
 * when the array holds that element type, and a layer may exceed the largest Java array. Also holds
 * per-thread scratch for the backend's attention, sized by the backend (which may also grow it).
 */
final class CpuKvCache implements KvCache {
    private final Arena arena = Arena.ofShared();
    final TensorFormat format;
    final MemorySegment[] keys;
    final MemorySegment[] values;
    final float[][] scores;
    final float[][] valueRows;
    final int contextLength;
    final int kvDim;
    final int headDim;
    /** Bytes of one position (all heads) and of one head within it. */
    final long rowBytes;
    final long headBytes;

    /** {@code scoreFloats} and {@code rowFloats}: the scratch each of {@code threads} workers starts with. */
    CpuKvCache(int layers, int contextLength, int kvHeads, int headDim, KvCacheType type, int threads,
               int scoreFloats, int rowFloats) {
        this.format = formatOf(type, headDim);
        this.contextLength = contextLength;
        this.headDim = headDim;
        this.kvDim = kvHeads * headDim;
        this.rowBytes = format.byteSize(kvDim);
        this.headBytes = format.byteSize(headDim);
        long layerBytes = Math.multiplyExact(rowBytes, (long) contextLength);
        this.keys = new MemorySegment[layers];
        this.values = new MemorySegment[layers];
        for (int l = 0; l < layers; l++) {
            keys[l] = arena.allocate(layerBytes, 64);
            values[l] = arena.allocate(layerBytes, 64);
        }
        this.scores = new float[threads][scoreFloats];
        this.valueRows = new float[threads][rowFloats];
    }

    /** The format that stores a cache type; head slices must be whole blocks. */
    static TensorFormat formatOf(KvCacheType type, int headDim) {
        TensorFormat f = TensorFormats.byName(type.name())
                .orElseThrow(() -> new IllegalArgumentException("KV cache type " + type
                        + " needs the " + type.name() + " tensor format (qwen-quant) on the module path"));
        if (headDim % f.blockSize() != 0) {
            throw new IllegalArgumentException("KV cache type " + type + " stores blocks of " + f.blockSize()
                    + " values, but the head dimension is " + headDim + "; use f16 or f32");
        }
        return f;
    }

    static long bytesFor(int layers, int contextLength, int kvHeads, int headDim, KvCacheType type, int threads) {
        double perValue = type.bytesPerValue();
        return (long) Math.ceil(2.0 * layers * contextLength * kvHeads * headDim * perValue)
                + (long) threads * (contextLength + headDim) * Float.BYTES;
    }

    @Override
    public int layers() {
        return keys.length;
    }

    @Override
    public int contextLength() {
        return contextLength;
    }

    @Override
    public long memoryBytes() {
        long scratch = 0;
        for (int w = 0; w < scores.length; w++) scratch += (long) (scores[w].length + valueRows[w].length) * Float.BYTES;
        return 2L * keys.length * keys[0].byteSize() + scratch;
    }

    /** Encodes {@code batch} rows of keys and values into positions {@code startPos…} of {@code layer}. */
    void store(int layer, int startPos, float[] k, float[] v, int batch) {
        if (startPos + batch > contextLength) {
            throw new IllegalStateException("KV cache overflow: " + (startPos + batch) + " > " + contextLength);
        }
        for (int b = 0; b < batch; b++) {
            long at = (startPos + b) * rowBytes;
            format.quantize(k, b * kvDim, keys[layer], at, kvDim);
            format.quantize(v, b * kvDim, values[layer], at, kvDim);
        }
    }

    @Override
    public void close() {
        arena.close();
    }

    /** Byte offset of head {@code kvHead} at position {@code pos}. */
    long offset(int pos, int kvHead) {
        return pos * rowBytes + kvHead * headBytes;
    }
}
