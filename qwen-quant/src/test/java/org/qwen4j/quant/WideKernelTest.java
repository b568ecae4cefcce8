package org.qwen4j.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.qwen4j.spi.TensorFormat;

/**
 * The 512-bit decode kernels of Q8_0, Q4_0, Q5_0, Q2_K, Q3_K, Q4_K, Q5_K and Q6_K run only where 512-bit vectors are preferred; called
 * directly they run (slowly, unintrinsified) on any machine, so that their arithmetic is checked
 * wherever the tests run: the one-row kernel against the double-precision oracle, the two-row
 * kernel bit for bit against the one-row kernel for each of its rows (Q5_0 has no two-row kernel).
 */
class WideKernelTest {
    /** A format's one-row kernel. */
    interface RowKernel {
        float dot(MemorySegment w, long byteOffset, float[] x, int xOffset, int n);
    }

    /** A format's two-row kernel. */
    interface RowsKernel {
        void dot(MemorySegment w, long byteOffset, long rowDistance, float[] x, int xOffset, int n,
                 float[] out, int outOffset, int outDistance);
    }

    static Stream<Arguments> kernels() {
        RowKernel q8 = Q8_0Format::dotWide;
        RowsKernel q8Rows = Q8_0Format::dotWideRows;
        RowKernel q4 = Q4_0Format::dotWide;
        RowsKernel q4Rows = Q4_0Format::dotWideRows;
        return Stream.of(1, 2, 3, 28, 37, 152).flatMap(blocks -> Stream.of(
                Arguments.of(new Q8_0Format(), q8, q8Rows, blocks),
                Arguments.of(new Q4_0Format(), q4, q4Rows, blocks)));
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void wideKernelMatchesDequantizeThenDoubleDot(TensorFormat format, RowKernel row, RowsKernel rows, int blocks) {
        int bytes = format.blockBytes();
        Random random = new Random(200 + blocks + format.ggmlType());
        MemorySegment w = Samples.shifted(Samples.randomBlocks(random, blocks + 1, bytes), 3);
        float[] x = Samples.gaussian(random, 5 + blocks * 32, 1f);
        int n = blocks * 32;
        DotOracle.assertMatchesReference("dotWide", row.dot(w, 3 + bytes, x, 5, n), format, w, 3 + bytes, x, 5, n);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 28, 37, 152})
    void wideQ5_0KernelMatchesDequantizeThenDoubleDot(int blocks) {
        // Random bytes: every qh bit pattern, so each lane's fifth bit is checked against its value.
        Q5_0Format format = new Q5_0Format();
        int bytes = format.blockBytes();
        Random random = new Random(250 + blocks);
        MemorySegment w = Samples.shifted(Samples.randomBlocks(random, blocks + 1, bytes), 3);
        float[] x = Samples.gaussian(random, 5 + blocks * 32, 1f);
        int n = blocks * 32;
        DotOracle.assertMatchesReference("dotWide", Q5_0Format.dotWide(w, 3 + bytes, x, 5, n), format, w, 3 + bytes, x, 5, n);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void wideTwoRowKernelGivesEachRowTheBitsOfTheWideKernel(TensorFormat format, RowKernel row, RowsKernel rows, int blocks) {
        int bytes = format.blockBytes();
        Random random = new Random(300 + blocks + format.ggmlType());
        int n = blocks * 32;
        long distance = 3L * blocks * bytes;
        MemorySegment w = Samples.shifted(Samples.randomBlocks(random, 4 * blocks + 1, bytes, 0), 3);
        float[] x = Samples.gaussian(random, 5 + n, 1f);
        float[] out = new float[5];
        rows.dot(w, 3 + bytes, distance, x, 5, n, out, 1, 3);
        assertEquals(Float.floatToRawIntBits(row.dot(w, 3 + bytes, x, 5, n)), Float.floatToRawIntBits(out[1]), "first row");
        assertEquals(Float.floatToRawIntBits(row.dot(w, 3 + bytes + distance, x, 5, n)), Float.floatToRawIntBits(out[4]), "second row");
        assertEquals(0f, out[0] + out[2] + out[3], "only the two outputs are written");
    }

    /** Q4_K's and Q5_K's kernels read activations in natural order, then each super-block's sub-block sums. */
    private static float kWide(RowKernel kernel, MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        float[] wide = new float[xOffset + n / 256 * KSplitSum.WIDE_BLOCK];
        KSplitSum.wideActivations(x, xOffset, wide, xOffset, n);
        return kernel.dot(w, byteOffset, wide, xOffset, n);
    }

    private static float q4KWide(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        return kWide(Q4_KFormat::dotWide, w, byteOffset, x, xOffset, n);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 6})
    void wideQ4_KKernelMatchesTheOracleOnArbitraryBlocksAtOffsets(int blocks) {
        Q4_KFormat format = new Q4_KFormat();
        int bytes = format.blockBytes();
        int n = blocks * Q4_KFormat.BLOCK_SIZE;
        Random random = new Random(400 + blocks);
        MemorySegment w = Samples.shifted(Samples.randomBlocks(random, blocks + 1, bytes, 0, Short.BYTES), 3);
        float[] x = Samples.gaussian(random, 7 + n, 1f);
        DotOracle.assertMatchesReference("dotWide", q4KWide(w, 3 + bytes, x, 7, n), format, w, 3 + bytes, x, 7, n);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 6})
    void wideQ4_KKernelMatchesTheOracleOnQuantizedWeightsWithAnOffset(int blocks) {
        // All-positive weights: large minimums next to small steps, where the split sum loses most.
        Q4_KFormat format = new Q4_KFormat();
        int n = blocks * Q4_KFormat.BLOCK_SIZE;
        Random random = new Random(500 + blocks);
        MemorySegment w = DotOracle.encode(format, Samples.uniform(random, n, 3f, 3.5f));
        float[] x = Samples.gaussian(random, n, 1f);
        DotOracle.assertMatchesReference("dotWide", q4KWide(w, 0, x, 0, n), format, w, 0, x, 0, n);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 7, 255})
    void wideQ4_KKernelReadsEachElementFromItsOwnNibble(int element) {
        // One quant set among zeros, scales 1 and minimums 0: the dot with x = 1, 2, 3 … is element + 1.
        Q4_KFormat format = new Q4_KFormat();
        float[] w = new float[Q4_KFormat.BLOCK_SIZE];
        w[element] = 1f;
        float[] x = new float[Q4_KFormat.BLOCK_SIZE];
        for (int i = 0; i < x.length; i++) x[i] = i + 1;
        MemorySegment encoded = DotOracle.encode(format, w);
        float[] decoded = new float[Q4_KFormat.BLOCK_SIZE];
        format.dequantize(encoded, 0, decoded, 0, decoded.length);
        double expected = 0;
        for (int i = 0; i < x.length; i++) expected += (double) decoded[i] * x[i];
        assertEquals(expected, q4KWide(encoded, 0, x, 0, Q4_KFormat.BLOCK_SIZE), 1e-3 * Math.abs(expected) + 1e-6);
    }

    private static float q5KWide(MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        return kWide(Q5_KFormat::dotWide, w, byteOffset, x, xOffset, n);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 6})
    void wideQ5_KKernelMatchesTheOracleOnArbitraryBlocksAtOffsets(int blocks) {
        // Random bytes but for d and dmin: every scale, minimum, nibble and fifth-bit pattern.
        Q5_KFormat format = new Q5_KFormat();
        int bytes = format.blockBytes();
        int n = blocks * Q5_KFormat.BLOCK_SIZE;
        Random random = new Random(800 + blocks);
        MemorySegment w = Samples.shifted(Samples.randomBlocks(random, blocks + 1, bytes, 0, Short.BYTES), 3);
        float[] x = Samples.gaussian(random, 7 + n, 1f);
        DotOracle.assertMatchesReference("dotWide", q5KWide(w, 3 + bytes, x, 7, n), format, w, 3 + bytes, x, 7, n);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 6})
    void wideQ5_KKernelMatchesTheOracleOnQuantizedWeights(int blocks) {
        Q5_KFormat format = new Q5_KFormat();
        int n = blocks * Q5_KFormat.BLOCK_SIZE;
        Random random = new Random(900 + blocks);
        MemorySegment w = DotOracle.encode(format, Samples.uniform(random, n, 3f, 3.5f));
        float[] x = Samples.gaussian(random, n, 1f);
        DotOracle.assertMatchesReference("dotWide", q5KWide(w, 0, x, 0, n), format, w, 0, x, 0, n);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 6})
    void wideQ6_KKernelMatchesTheOracleOnArbitraryBlocksAtOffsets(int blocks) {
        Q6_KFormat format = new Q6_KFormat();
        int bytes = format.blockBytes();
        int n = blocks * Q6_KFormat.BLOCK_SIZE;
        Random random = new Random(600 + blocks);
        // d is the block's last two bytes; every other byte (quants, 8-bit scales) is arbitrary.
        MemorySegment w = Samples.shifted(Samples.randomBlocks(random, blocks + 1, bytes, bytes - Short.BYTES), 3);
        float[] x = Samples.gaussian(random, 7 + n, 1f);
        DotOracle.assertMatchesReference("dotWide", Q6_KFormat.dotWide(w, 3 + bytes, x, 7, n), format, w, 3 + bytes, x, 7, n);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 6})
    void wideQ6_KKernelMatchesTheOracleOnQuantizedWeights(int blocks) {
        Q6_KFormat format = new Q6_KFormat();
        int n = blocks * Q6_KFormat.BLOCK_SIZE;
        Random random = new Random(700 + blocks);
        MemorySegment w = DotOracle.encode(format, Samples.gaussian(random, n, 0.05f));
        float[] x = Samples.gaussian(random, n, 1f);
        DotOracle.assertMatchesReference("dotWide", Q6_KFormat.dotWide(w, 0, x, 0, n), format, w, 0, x, 0, n);
    }
    /** Q2_K's and Q3_K's kernels read activations in {@link BitPairOrder} (Q2_K's followed by the sub-block sums). */
    private static float bitPairWide(RowKernel kernel, boolean sums, MemorySegment w, long byteOffset, float[] x, int xOffset, int n) {
        float[] ordered = new float[xOffset + n / 256 * BitPairOrder.WITH_SUMS];
        if (sums) {
            BitPairOrder.applyWithSums(true, x, xOffset, ordered, xOffset, n);
        } else {
            BitPairOrder.apply(true, x, xOffset, ordered, xOffset, n);
        }
        return kernel.dot(w, byteOffset, ordered, xOffset, n);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 6})
    void wideQ2_KKernelMatchesTheOracleOnArbitraryBlocksAtOffsets(int blocks) {
        // Random bytes but for d and dmin: every scale, minimum and bit-pair pattern.
        Q2_KFormat format = new Q2_KFormat();
        int bytes = format.blockBytes();
        int n = blocks * Q2_KFormat.BLOCK_SIZE;
        Random random = new Random(1000 + blocks);
        MemorySegment w = Samples.shifted(Samples.randomBlocks(random, blocks + 1, bytes, 80, 82), 3);
        float[] x = Samples.gaussian(random, 7 + n, 1f);
        DotOracle.assertMatchesReference("dotWide", bitPairWide(Q2_KFormat::dotWide, true, w, 3 + bytes, x, 7, n),
                format, w, 3 + bytes, x, 7, n);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 6})
    void wideQ2_KKernelMatchesTheOracleOnQuantizedWeightsWithAnOffset(int blocks) {
        // All-positive weights: large minimums next to small steps, where the split sum loses most.
        Q2_KFormat format = new Q2_KFormat();
        int n = blocks * Q2_KFormat.BLOCK_SIZE;
        Random random = new Random(1100 + blocks);
        MemorySegment w = DotOracle.encode(format, Samples.uniform(random, n, 3f, 3.5f));
        float[] x = Samples.gaussian(random, n, 1f);
        DotOracle.assertMatchesReference("dotWide", bitPairWide(Q2_KFormat::dotWide, true, w, 0, x, 0, n), format, w, 0, x, 0, n);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 6})
    void wideQ3_KKernelMatchesTheOracleOnArbitraryBlocksAtOffsets(int blocks) {
        // Random bytes but for d: every scale, low-part and high-bit pattern.
        Q3_KFormat format = new Q3_KFormat();
        int bytes = format.blockBytes();
        int n = blocks * Q3_KFormat.BLOCK_SIZE;
        Random random = new Random(1200 + blocks);
        MemorySegment w = Samples.shifted(Samples.randomBlocks(random, blocks + 1, bytes, bytes - Short.BYTES), 3);
        float[] x = Samples.gaussian(random, 7 + n, 1f);
        DotOracle.assertMatchesReference("dotWide", bitPairWide(Q3_KFormat::dotWide, false, w, 3 + bytes, x, 7, n),
                format, w, 3 + bytes, x, 7, n);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 6})
    void wideQ3_KKernelMatchesTheOracleOnQuantizedWeights(int blocks) {
        Q3_KFormat format = new Q3_KFormat();
        int n = blocks * Q3_KFormat.BLOCK_SIZE;
        Random random = new Random(1300 + blocks);
        MemorySegment w = DotOracle.encode(format, Samples.gaussian(random, n, 0.05f));
        float[] x = Samples.gaussian(random, n, 1f);
        DotOracle.assertMatchesReference("dotWide", bitPairWide(Q3_KFormat::dotWide, false, w, 0, x, 0, n), format, w, 0, x, 0, n);
    }
}
