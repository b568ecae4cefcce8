package org.qwen4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.qwen4j.spi.ModelSource;
import org.qwen4j.spi.TensorFormat;

/**
 * What every block format owes, checked against llama.cpp and against the format's own scalar
 * reference: the layout (each element decodes from its own bits, in all three decoding paths),
 * llama.cpp's dequantized values and quantized bytes, a vector dequantizer that is bit for bit the
 * reference, and a dot kernel within {@link DotOracle}'s bound of dequantize-then-dot. A test class
 * per format supplies the format and where its quants live.
 */
abstract class BlockFormatContract {

    /** The format under test. */
    abstract TensorFormat format();

    /** Offsets of the block's fp16 fields, which random blocks get finite values in. */
    abstract int[] fp16Offsets();

    /** A block whose header makes quant level {@link #zeroLevel()} decode to 0 and the next level to 1. */
    abstract byte[] unitBlock();

    /** The stored quant level that decodes to zero under {@link #unitBlock()}. */
    abstract int zeroLevel();

    /** Writes {@code level} into the bits that hold {@code element}, as the format's layout places them. */
    abstract void setQuant(byte[] block, int element, int level);

    @Test
    void eachElementDecodesFromItsOwnBitsInDequantizeDequantizeFastDotAndDotOrdered() {
        TensorFormat format = format();
        int n = format.blockSize();
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = i + 1;
        }
        for (int element = 0; element < n; element++) {
            byte[] block = unitBlock();
            for (int i = 0; i < n; i++) {
                setQuant(block, i, i == element ? zeroLevel() + 1 : zeroLevel());
            }
            float[] expected = new float[n];
            expected[element] = 1f;
            MemorySegment w = MemorySegment.ofArray(block);
            float[] out = new float[n];
            format.dequantize(w, 0, out, 0, n);
            assertArrayEquals(expected, out, "dequantize, element " + element);
            format.dequantizeFast(w, 0, out, 0, n);
            assertArrayEquals(expected, out, "dequantizeFast, element " + element);
            assertEquals(element + 1f, format.dot(w, 0, x, 0, n), "dot, element " + element);
            assertEquals(element + 1f, DotOracle.dotOrdered(format, w, 0, x, 0, n), "dotOrdered, element " + element);
        }
    }

    @Test
    void dequantizeReproducesLlamaCppOnArbitraryBlocks() {
        // Random bytes, NaN and infinite fp16 fields included: every bit pattern decodes as llama.cpp decodes it.
        String name = format().name();
        byte[] blocks = LlamaCppReference.randomBlocks(name);
        float[] out = new float[blocks.length / format().blockBytes() * format().blockSize()];
        format().dequantize(MemorySegment.ofArray(blocks), 0, out, 0, out.length);
        assertEquals(LlamaCppReference.dequantizedDigest("random-blocks." + name + ".bin"),
                LlamaCppReference.sha256(out));
    }

    @Test
    void dequantizeFastIsBitIdenticalToDequantizeOnArbitraryBlocks() {
        Random random = new Random(31);
        byte[] bytes = new byte[40 * format().blockBytes()];
        random.nextBytes(bytes);
        assertDequantizeFastIsDequantize(MemorySegment.ofArray(bytes), 0, 40);
    }

    @Test
    void dequantizeFastIsBitIdenticalToDequantizeOnQuantizedWeightsAtOffsets() {
        Random random = new Random(32);
        int n = 6 * format().blockSize();
        MemorySegment w = Samples.shifted(DotOracle.encode(format(), Samples.gaussian(random, n, 0.05f)), 5);
        // Skip the garbage bytes and the first block: decode blocks 1..5 into the middle of an array.
        long offset = 5 + format().blockBytes();
        float[] expected = new float[n + 7];
        float[] actual = new float[n + 7];
        format().dequantize(w, offset, expected, 3, n - format().blockSize());
        format().dequantizeFast(w, offset, actual, 3, n - format().blockSize());
        assertArrayEquals(expected, actual);
    }

    private void assertDequantizeFastIsDequantize(MemorySegment w, long offset, int blocks) {
        int n = blocks * format().blockSize();
        float[] expected = new float[n];
        float[] actual = new float[n];
        format().dequantize(w, offset, expected, 0, n);
        format().dequantizeFast(w, offset, actual, 0, n);
        // assertArrayEquals on floats compares bits: it tells -0 from 0 (and takes any NaN for any NaN).
        assertArrayEquals(expected, actual);
    }

    @Test
    void quantizeReproducesLlamaCppBytesOnEdgeCases() {
        // Zeros, constants, lone spikes, one-signed blocks, magnitudes from 1e-30 to 3e4, values on
        // the quant grid and exactly between levels, sub-blocks of very different scales.
        float[] values = LlamaCppReference.edgeCases();
        byte[] expected = LlamaCppReference.edgeCasesQuantized(format().name());
        byte[] actual = DotOracle.encode(format(), values).toArray(ValueLayout.JAVA_BYTE);
        assertEquals(expected.length, actual.length);
        int mismatch = Arrays.mismatch(expected, actual);
        assertEquals(-1, mismatch, () -> "first difference in block " + mismatch / format().blockBytes()
                + ", byte " + mismatch % format().blockBytes());
    }

    @Test
    void quantizeReproducesLlamaCppBytesOnAFixtureTensor() {
        String tensor = "blk.0.attn_q.weight";
        float[] values;
        try (ModelSource f32 = KQuantFixtures.open("f32")) {
            values = f32.tensor(tensor).toFloatArray();
        }
        byte[] actual = DotOracle.encode(format(), values).toArray(ValueLayout.JAVA_BYTE);
        assertEquals(LlamaCppReference.quantizedDigest(format().name(), tensor), LlamaCppReference.sha256(actual));
    }

    @Test
    void dotMatchesDequantizeThenDoubleDotOnQuantizedWeights() {
        for (int n : lengths()) {
            Random random = new Random(n);
            float[] w = Samples.gaussian(random, n, 0.05f);
            float[] x = Samples.gaussian(random, n, 1f);
            DotOracle.assertDotMatchesReference(format(), DotOracle.encode(format(), w), 0, x, 0, n);
        }
    }

    @Test
    void dotMatchesDequantizeThenDoubleDotOnWeightsWithAnOffset() {
        // All-positive weights: the minimum-carrying formats store a large offset next to small steps.
        for (int n : lengths()) {
            Random random = new Random(n + 1);
            float[] w = Samples.uniform(random, n, 3f, 3.5f);
            float[] x = Samples.gaussian(random, n, 1f);
            DotOracle.assertDotMatchesReference(format(), DotOracle.encode(format(), w), 0, x, 0, n);
        }
    }

    @Test
    void dotMatchesDequantizeThenDoubleDotOnArbitraryBlocks() {
        for (int blocks : new int[] {1, 2, 3, 19, 40}) {
            Random random = new Random(100 + blocks);
            MemorySegment w = Samples.randomBlocks(random, blocks, format().blockBytes(), fp16Offsets());
            float[] x = Samples.gaussian(random, blocks * format().blockSize(), 1f);
            DotOracle.assertDotMatchesReference(format(), w, 0, x, 0, blocks * format().blockSize());
        }
    }

    @Test
    void dotReadsTheRowAtAnOddByteOffsetAndTheVectorAtAnOffset() {
        Random random = new Random(9);
        int bytes = format().blockBytes();
        MemorySegment w = Samples.shifted(Samples.randomBlocks(random, 5, bytes, fp16Offsets()), 3);
        float[] x = Samples.gaussian(random, 7 + 4 * format().blockSize(), 1f);
        // Skip the garbage bytes and the first block: the row is blocks 1..4.
        DotOracle.assertDotMatchesReference(format(), w, 3 + bytes, x, 7, 4 * format().blockSize());
    }

    @Test
    void everyOperationRejectsALengthThatIsNotAWholeNumberOfBlocks() {
        TensorFormat format = format();
        int half = format.blockSize() / 2;
        MemorySegment w = Arena.ofAuto().allocate(2L * format.blockBytes());
        float[] values = new float[2 * format.blockSize()];
        assertThrows(IllegalArgumentException.class, () -> format.dot(w, 0, values, 0, half));
        assertThrows(IllegalArgumentException.class, () -> format.dot(w, 0, values, 0, -format.blockSize()));
        assertThrows(IllegalArgumentException.class, () -> format.dequantize(w, 0, values, 0, 3 * half));
        assertThrows(IllegalArgumentException.class, () -> format.dequantizeFast(w, 0, values, 0, half));
        assertThrows(IllegalArgumentException.class, () -> format.quantize(values, 0, w, 0, half));
    }

    /** Row lengths for the dot checks: a few blocks, and the Qwen2.5-0.5B widths they divide. */
    private int[] lengths() {
        int b = format().blockSize();
        return 896 % b == 0 ? new int[] {0, b, 2 * b, 3 * b, 896, 4864} : new int[] {0, b, 2 * b, 3 * b, 4864};
    }
}
