package org.qwen4j.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qwen4j.KvCacheType;
import org.qwen4j.core.format.TensorFormats;
import org.qwen4j.spi.KvCache;
import org.qwen4j.spi.Rope;
import org.qwen4j.spi.Tensor;
import org.qwen4j.spi.TensorFormat;

/**
 * Every operation of {@code cpu-simd} equals {@code cpu-reference} within float rounding. The
 * tolerance is relative to the magnitude of the terms summed: vectorised code adds in another order,
 * which changes each sum by a few ulps of its largest partial sums.
 */
class SimdBackendDifferentialTest {
    private static final Arena ARENA = Arena.ofShared();
    private static final ReferenceBackend REF = new ReferenceBackend();
    private static final SimdBackend SIMD = new SimdBackend(3);
    private final Random random = new Random(42);

    @AfterAll
    static void release() {
        SIMD.close();
        ARENA.close();
    }

    private float[] randoms(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) random.nextGaussian();
        return a;
    }

    private Tensor tensor(String format, int cols, int rows) {
        return tensor(TensorFormats.byName(format).orElseThrow(), cols, rows);
    }

    private Tensor tensor(TensorFormat f, int cols, int rows) {
        float[] values = randoms(cols * rows);
        MemorySegment seg = ARENA.allocate(f.byteSize((long) cols * rows), 64);
        for (int r = 0; r < rows; r++) f.quantize(values, r * cols, seg, r * f.byteSize(cols), cols);
        return new Tensor("w", f, new long[] {cols, rows}, seg);
    }

    private static void assertClose(float[] expected, float[] actual, double scale) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            double tol = 1e-5 * Math.max(1, scale) + 1e-5 * Math.abs(expected[i]);
            assertEquals(expected[i], actual[i], tol, "index " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"F32", "F16", "BF16"})
    void matmulMatchesForEveryFormatAndBatch(String format) {
        for (int cols : new int[] {64, 100, 896}) {
            Tensor w = tensor(format, cols, 37);
            for (int batch : new int[] {1, 3, 4, 5, 7, 32, 45}) {
                float[] x = randoms(batch * cols);
                float[] a = new float[batch * 37];
                float[] b = new float[batch * 37];
                REF.matmul(w, x, a, batch);
                SIMD.matmul(w, x, b, batch);
                assertClose(a, b, Math.sqrt(cols));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void prefillMatchesTheReferenceWithEitherMicroKernel(boolean tall) {
        // 37 rows end in a short group; 300 columns span two column slices; odd token-vector counts
        // (batch 5 and 45 on 512-bit machines) take the one-vector kernels.
        try (SimdBackend simd = new SimdBackend(2, tall)) {
            for (String format : new String[] {"F32", "BF16"}) {
                Tensor w = tensor(format, 300, 37);
                for (int batch : new int[] {4, 5, 17, 45, 128}) {
                    float[] x = randoms(batch * w.columns());
                    float[] expected = new float[batch * 37];
                    float[] actual = new float[batch * 37];
                    REF.matmul(w, x, expected, batch);
                    simd.matmul(w, x, actual, batch);
                    assertClose(expected, actual, Math.sqrt(w.columns()));
                }
            }
        }
    }

    @Test
    void prefillMicroKernelsOfBothHeightsSumInTheSameOrder() {
        Tensor w = tensor("F32", 600, 29);
        try (SimdBackend small = new SimdBackend(2, false); SimdBackend tall = new SimdBackend(2, true)) {
            for (int batch : new int[] {4, 21, 64}) {
                float[] x = randoms(batch * 600);
                float[] a = new float[batch * 29];
                float[] b = new float[batch * 29];
                small.matmul(w, x, a, batch);
                tall.matmul(w, x, b, batch);
                for (int i = 0; i < a.length; i++) {
                    assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), "index " + i + " of batch " + batch);
                }
            }
        }
    }

    @Test
    void groupedProductsMatchSeparateOnes() {
        Tensor[] ws = {tensor("F16", 96, 40), tensor("F32", 96, 8), tensor("BF16", 96, 13)};
        assertGroupedProductsMatchTheReference(ws, 1, 6);
    }

    @Test
    void decodeProductsHandEachFormatTheActivationOrderItAsksFor() {
        TensorFormat reversed = new BlockReversedFormat();
        Tensor[] ws = {tensor(reversed, 96, 40), tensor("F32", 96, 8), tensor(reversed, 96, 13)};
        assertGroupedProductsMatchTheReference(ws, 1, 2, 3);
    }

    @Test
    void decodeProductsReadOrderedActivationsLongerThanTheActivations() {
        TensorFormat summed = new BlockSummedFormat();
        Tensor[] ws = {tensor(summed, 96, 40), tensor("F32", 96, 8), tensor(summed, 96, 13), tensor(new BlockReversedFormat(), 96, 5)};
        assertGroupedProductsMatchTheReference(ws, 1, 2, 3);
    }

    /** One grouped SIMD product of {@code ws} (same width) per batch against the reference's separate ones. */
    private void assertGroupedProductsMatchTheReference(Tensor[] ws, int... batches) {
        for (int batch : batches) assertGroupedProductMatchesTheReference(ws, randoms(batch * ws[0].columns()), batch);
    }

    private static void assertGroupedProductMatchesTheReference(Tensor[] ws, float[] x, int batch) {
        float[][] a = new float[ws.length][];
        float[][] b = new float[ws.length][];
        for (int i = 0; i < ws.length; i++) {
            a[i] = new float[batch * ws[i].rows()];
            b[i] = new float[batch * ws[i].rows()];
            REF.matmul(ws[i], x, a[i], batch);
        }
        SIMD.matmul(ws, x, b, batch);
        for (int i = 0; i < ws.length; i++) assertClose(a[i], b[i], Math.sqrt(ws[0].columns()));
    }

    @Test
    void decodeProductsWhoseActivationsF16CannotOrderMatchTheReference() {
        // F16 orders activations by scaling them by 2^112, which overflows from 2^16 on: such a
        // product runs the natural-order kernel, for the grouped products sharing its input too.
        Tensor[] ws = {tensor("F16", 96, 40), tensor("F16", 96, 8), tensor("BF16", 96, 13)};
        for (int batch : new int[] {1, 2}) {
            float[] x = randoms(batch * 96);
            x[(batch - 1) * 96 + 7] = 70_000f;
            assertGroupedProductMatchesTheReference(ws, x, batch);
        }
    }

    @Test
    void laterDecodeProductsOfAFiniteTensorStillMatchTheReference() {
        // After one product shows a tensor finite, later ones use a kernel that skips the check
        // for infinities and NaNs.
        Tensor w = tensor("F16", 896, 64);
        for (int call = 0; call < 4; call++) {
            float[] x = randoms(896);
            float[] expected = new float[64];
            float[] actual = new float[64];
            REF.matmul(w, x, expected, 1);
            SIMD.matmul(w, x, actual, 1);
            assertClose(expected, actual, Math.sqrt(896));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"F16", "BF16"})
    void decodeRowsReadSideBySideLandInTheirOwnOutputsForEveryBatch(String format) {
        // Trusted tensors' rows are read several at a time, a part of a work range apart; 37 rows
        // leave some over in most ranges.
        Tensor w = tensor(format, 100, 37);
        SIMD.matmul(w, randoms(100), new float[37], 1);
        for (int batch : new int[] {1, 2, 3}) {
            float[] x = randoms(batch * 100);
            float[] expected = new float[batch * 37];
            float[] actual = new float[batch * 37];
            REF.matmul(w, x, expected, batch);
            SIMD.matmul(w, x, actual, batch);
            assertClose(expected, actual, Math.sqrt(100));
        }
    }

    @Test
    void anF16InfinityReachesTheOutputOnEveryDecodeProductNotOnlyTheFirst() {
        Tensor w = tensor("F16", 896, 16);
        w.data().set(ValueLayout.JAVA_SHORT_UNALIGNED, 5 * 896 * 2 + 2 * 300, (short) 0x7C00);
        for (int call = 0; call < 3; call++) {
            float[] x = randoms(896);
            float[] expected = new float[16];
            float[] actual = new float[16];
            REF.matmul(w, x, expected, 1);
            SIMD.matmul(w, x, actual, 1);
            assertTrue(Float.isInfinite(actual[5]), "call " + call + ": row 5 gave " + actual[5]);
            assertEquals(expected[5], actual[5], "call " + call);
            for (int r = 0; r < 16; r++) {
                if (r != 5) assertEquals(expected[r], actual[r], 1e-5 * Math.sqrt(896) + 1e-5 * Math.abs(expected[r]), "row " + r);
            }
        }
    }

    @Test
    void embedMatches() {
        Tensor table = tensor("F16", 48, 20);
        int[] tokens = {3, 19, 0, 7};
        float[] a = new float[4 * 48];
        float[] b = new float[4 * 48];
        REF.embed(table, tokens, 1, 3, a);
        SIMD.embed(table, tokens, 1, 3, b);
        assertClose(a, b, 1);
    }

    @Test
    void rmsnormMatches() {
        int dim = 100;
        float[] x = randoms(3 * dim);
        float[] w = randoms(dim);
        float[] a = new float[3 * dim];
        float[] b = new float[3 * dim];
        REF.rmsnorm(a, x, w, 3, dim, 1e-6f);
        SIMD.rmsnorm(b, x, w, 3, dim, 1e-6f);
        assertClose(a, b, 1);
    }

    @Test
    void ropeMatches() {
        float[] a = randoms(3 * 4 * 16);
        float[] b = a.clone();
        Rope rope = Rope.standard(16, 1e6);
        REF.rope(a, 3, 4, 16, 11, rope);
        SIMD.rope(b, 3, 4, 16, 11, rope);
        assertClose(a, b, 1);
    }

    @Test
    void swigluAddAndBiasMatch() {
        float[] g1 = randoms(77);
        float[] g2 = g1.clone();
        float[] up = randoms(77);
        REF.swiglu(g1, up, 77);
        SIMD.swiglu(g2, up, 77);
        assertClose(g1, g2, 1);
        float[] d = randoms(77);
        REF.add(g1, d, 77);
        SIMD.add(g2, d, 77);
        assertClose(g1, g2, 1);
        float[] bias = randoms(11);
        REF.addBias(g1, bias, 7);
        SIMD.addBias(g2, bias, 7);
        assertClose(g1, g2, 1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"F32", "F16"})
    void attentionMatchesOverAPrefilledCache(String cacheType) {
        int heads = 4;
        int kvHeads = 2;
        int headDim = 16;
        int kvDim = kvHeads * headDim;
        KvCacheType type = KvCacheType.parse(cacheType);
        KvCache ca = REF.newKvCache(2, 48, kvHeads, headDim, type);
        KvCache cb = SIMD.newKvCache(2, 48, kvHeads, headDim, type);
        // a first chunk of 5 tokens, then 3 more attending to all 8, then chunks longer than the
        // backend's blocks of queries that share decoded rows (8), ending off a block boundary
        for (int[] chunk : new int[][] {{0, 5}, {5, 3}, {8, 13}, {21, 19}, {40, 1}}) {
            int start = chunk[0];
            int batch = chunk[1];
            float[] q = randoms(batch * heads * headDim);
            float[] k = randoms(batch * kvDim);
            float[] v = randoms(batch * kvDim);
            float[] a = new float[q.length];
            float[] b = new float[q.length];
            REF.attention(a, q, k, v, ca, 1, batch, start, heads, kvHeads, headDim);
            SIMD.attention(b, q, k, v, cb, 1, batch, start, heads, kvHeads, headDim);
            assertClose(a, b, 1);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"F32", "F16"})
    void attentionMatchesOverMoreCachedPositionsThanOneStepOfTheOnlineSoftmax(String cacheType) {
        int heads = 4;
        int kvHeads = 2;
        int headDim = 16;
        int kvDim = kvHeads * headDim;
        KvCacheType type = KvCacheType.parse(cacheType);
        KvCache ca = REF.newKvCache(1, 700, kvHeads, headDim, type);
        KvCache cb = SIMD.newKvCache(1, 700, kvHeads, headDim, type);
        // the backend folds positions in steps of 256: prompts across and past those boundaries,
        // then single decode steps at 561 and 562 cached positions
        for (int[] chunk : new int[][] {{0, 300}, {300, 260}, {560, 1}, {561, 1}}) {
            int start = chunk[0];
            int batch = chunk[1];
            float[] q = randoms(batch * heads * headDim);
            float[] k = randoms(batch * kvDim);
            float[] v = randoms(batch * kvDim);
            // Spread scores widely, so that a late position raises a row's maximum.
            for (int i = 0; i < q.length; i++) q[i] *= 4;
            float[] a = new float[q.length];
            float[] b = new float[q.length];
            REF.attention(a, q, k, v, ca, 0, batch, start, heads, kvHeads, headDim);
            SIMD.attention(b, q, k, v, cb, 0, batch, start, heads, kvHeads, headDim);
            assertClose(a, b, 1);
        }
    }
}
