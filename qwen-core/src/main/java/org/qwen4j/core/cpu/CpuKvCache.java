package org.qwen4j.core.cpu;

import org.qwen4j.spi.KvCache;

/**
 * Keys and values in float32 on the Java heap, one {@code [contextLength][kvDim]} array per layer
 * and kind, plus one attention-score row per worker thread.
 */
final class CpuKvCache implements KvCache {
    final float[][] keys;
    final float[][] values;
    final float[][] scores;
    final int contextLength;
    final int kvDim;

    CpuKvCache(int layers, int contextLength, int kvDim, int threads) {
        this.contextLength = contextLength;
        this.kvDim = kvDim;
        this.keys = new float[layers][Math.multiplyExact(contextLength, kvDim)];
        this.values = new float[layers][Math.multiplyExact(contextLength, kvDim)];
        this.scores = new float[threads][contextLength];
    }

    static long bytesFor(int layers, int contextLength, int kvDim, int threads) {
        return 2L * layers * contextLength * kvDim * Float.BYTES + (long) threads * contextLength * Float.BYTES;
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
        return bytesFor(keys.length, contextLength, kvDim, scores.length);
    }

    /** Copies {@code batch} rows of keys and values into positions {@code startPos…} of {@code layer}. */
    void store(int layer, int startPos, float[] k, float[] v, int batch) {
        if (startPos + batch > contextLength) {
            throw new IllegalStateException("KV cache overflow: " + (startPos + batch) + " > " + contextLength);
        }
        System.arraycopy(k, 0, keys[layer], startPos * kvDim, batch * kvDim);
        System.arraycopy(v, 0, values[layer], startPos * kvDim, batch * kvDim);
    }
}
