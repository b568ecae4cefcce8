package org.qwen4j.spi;

import java.lang.foreign.MemorySegment;

/**
 * A tensor element format (F32, F16, Q8_0 …): its block layout, a plain scalar dequantizer that is
 * the reference, a quantizer, and the fused dequantize-dot kernel the CPU backend calls. Formats are
 * services themselves: {@code ServiceLoader.load(TensorFormat.class)}.
 */
public interface TensorFormat {
    /** Name as llama.cpp prints it, e.g. {@code Q8_0}. */
    String name();

    /** The {@code ggml_type} number used in GGUF files. */
    int ggmlType();

    /** Elements per block; rows must be a multiple of it. */
    int blockSize();

    /** Bytes per block. */
    int blockBytes();

    /** Bytes taken by {@code elements} values; {@code elements} must be a multiple of the block size. */
    default long byteSize(long elements) {
        return elements / blockSize() * blockBytes();
    }

    /** Scalar reference: decodes {@code n} values starting at {@code byteOffset} (block-aligned). */
    void dequantize(MemorySegment src, long byteOffset, float[] dst, int dstOffset, int n);

    /**
     * The same values as {@link #dequantize}, bit for bit, computed with vector instructions: the
     * batched (prefill) matrix product decodes tiles of weight rows with it once and reuses them for
     * many tokens. The default falls back to the reference.
     */
    default void dequantizeFast(MemorySegment src, long byteOffset, float[] dst, int dstOffset, int n) {
        dequantize(src, byteOffset, dst, dstOffset, n);
    }

    /** Encodes {@code n} floats into blocks at {@code byteOffset}; {@code n} is a multiple of the block size. */
    void quantize(float[] src, int srcOffset, MemorySegment dst, long byteOffset, int n);

    /**
     * Fused dequantize-dot, the CPU hot path: {@code sum(w[i] * x[xOffset + i])} over {@code n} values
     * of the row that starts at {@code byteOffset}.
     */
    float dot(MemorySegment w, long byteOffset, float[] x, int xOffset, int n);

    /**
     * Whether {@link #dotOrdered} wants its activations prepared by {@link #orderActivations}.
     * A kernel that splits packed quants with shifts produces them in lanes that do not follow the
     * natural order; putting the activations in that order once per product costs far less than
     * shuffling the weights of every row.
     */
    default boolean ordersActivations() {
        return false;
    }

    /**
     * How many floats {@link #orderActivations} writes for {@code n} activations (a whole number of
     * blocks): {@code n} unless the ordered form carries more than the activations themselves, such
     * as per-block sums that a kernel would otherwise recompute for every row. The default is
     * {@code n}.
     *
     * <pre>{@code
     * float[] ordered = new float[format.orderedLength(n)];
     * }</pre>
     */
    default int orderedLength(int n) {
        return n;
    }

    /**
     * Copies {@code n} activations (a whole number of blocks) from {@code x} into {@code dst} in the
     * form {@link #dotOrdered} reads them ({@link #orderedLength} floats from {@code dstOffset}):
     * rearranged within each block, and possibly multiplied by
     * exact powers of two where the kernel leaves quants unshifted or unscaled. Returns false when
     * these activations have no exact ordered form (a power of two that would overflow them), and
     * the caller then uses {@link #dot} on the natural order. The default copies them as they are.
     *
     * <pre>{@code
     * if (format.orderActivations(x, 0, ordered, 0, n)) {     // once per input vector
     *     for (int r = 0; r < rows; r++) out[r] = format.dotOrdered(w, r * rowBytes, ordered, 0, n);
     * } else {
     *     for (int r = 0; r < rows; r++) out[r] = format.dot(w, r * rowBytes, x, 0, n);
     * }
     * }</pre>
     *
     * @return whether {@code dst} now holds the ordered form
     */
    default boolean orderActivations(float[] x, int xOffset, float[] dst, int dstOffset, int n) {
        System.arraycopy(x, xOffset, dst, dstOffset, n);
        return true;
    }

    /**
     * The same sum as {@link #dot}, with {@code x} already passed through {@link #orderActivations}:
     * the decode hot path. The default is {@link #dot}.
     *
     * <p>For kernel writers: keep the loop free of calls to your own methods that take or return
     * vectors. The backend calls every format's kernel from the same call sites, so C2 may inline
     * two formats' kernels into one compiled method and run out of inlining budget; the Vector API's
     * own methods are then still inlined, but a helper of yours stays a call that boxes every vector
     * it passes (a Q4_0 file, which keeps Q8_0 embeddings, decoded 10 times slower in about one run
     * in five that way).
     */
    default float dotOrdered(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        return dot(w, byteOffset, x, xOffset, n);
    }

    /**
     * {@link #dotOrdered} for a row known to hold no infinity or NaN, which lets a kernel skip its
     * own check for them (F16's in-register conversion turns them into finite numbers, so it must
     * look for them in rows it cannot trust). The caller learns that a tensor is finite from a
     * product whose outputs were all finite: a row holding an infinity or NaN always yields an
     * infinite or NaN sum. The default is {@link #dotOrdered}.
     *
     * <pre>{@code
     * float y = trusted ? format.dotOrderedFinite(w, off, x, 0, n) : format.dotOrdered(w, off, x, 0, n);
     * }</pre>
     */
    default float dotOrderedFinite(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        return dotOrdered(w, byteOffset, x, xOffset, n);
    }

    /**
     * How many rows {@link #dotOrderedFiniteRows} reads side by side at most: 1 unless the format
     * has a kernel for more.
     */
    default int rowsPerPass() {
        return 1;
    }

    /**
     * {@link #dotOrderedFinite} for {@code count} rows at once, {@code 1 <= count <= rowsPerPass()}:
     * row {@code k} starts at {@code byteOffset + k * rowDistance} and its sum goes to
     * {@code out[outOffset + k * outDistance]}, bit for bit what {@link #dotOrderedFinite} returns
     * for that row, so that how a caller groups rows never shows in its results. A kernel that
     * reads rows lying far apart in one pass keeps several memory streams going, and a core then
     * reads faster than it does one row after another (F16 and BF16 decode on two threads of the
     * machine the README names: about 1.17 times as many tokens per second with two rows half a
     * work range apart). The default computes the rows one by one.
     *
     * <pre>{@code
     * int g = format.rowsPerPass(), part = rows / g;
     * for (int r = 0; r < part; r++) {
     *     format.dotOrderedFiniteRows(w, r * rowBytes, part * rowBytes, g, ordered, 0, n, out, r, part);
     * }
     * for (int r = g * part; r < rows; r++) out[r] = format.dotOrderedFinite(w, r * rowBytes, ordered, 0, n);
     * }</pre>
     */
    default void dotOrderedFiniteRows(MemorySegment w, long byteOffset, long rowDistance, int count,
                                      float[] x, int xOffset, int n, float[] out, int outOffset, int outDistance) {
        for (int k = 0; k < count; k++) {
            out[outOffset + k * outDistance] = dotOrderedFinite(w, byteOffset + k * rowDistance, x, xOffset, n);
        }
    }
}
