package org.qwen4j.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.qwen4j.core.format.TensorFormats;
import org.qwen4j.spi.TensorFormat;

/**
 * The decode loop groups rows as its work ranges happen to fall, so a kernel that reads several
 * rows at once must give each row exactly the bits of the single-row kernel: anything else would
 * make results depend on the thread count. Checked for every format the lookup knows (core and
 * quantized) and every count it accepts, on rows that differ, at an odd byte offset, with
 * activations at an offset, and at lengths that leave a tail after the kernels' unrolled steps.
 */
class RowsKernelTest {
    private static final int ROW_DISTANCE = 3;
    private static final int START = 3;

    static Stream<TensorFormat> formats() {
        return TensorFormats.all().stream();
    }

    @ParameterizedTest
    @MethodSource("formats")
    void rowsKernelGivesEachRowTheBitsOfTheSingleRowKernel(TensorFormat format) {
        for (int count = 1; count <= format.rowsPerPass(); count++) {
            for (int blocks : new int[] {1, 2, 3, 7, 28, 37}) {
                // Element formats (one value per block) get multiples of 17, which leave tails.
                int n = blocks * (format.blockSize() == 1 ? 17 : format.blockSize());
                assertRowsMatchSingleRows(format, count, n, new Random(31L * n + count + format.ggmlType()));
            }
        }
    }

    private static void assertRowsMatchSingleRows(TensorFormat format, int count, int n, Random random) {
        long rowBytes = format.byteSize(n);
        long distance = ROW_DISTANCE * rowBytes;
        MemorySegment w = Arena.ofAuto().allocate(START + count * distance);
        for (int k = 0; k < count; k++) {
            format.quantize(Samples.gaussian(random, n, 0.05f), 0, w, START + k * distance, n);
        }
        float[] x = Samples.gaussian(random, n, 1f);
        int xOffset = 5;
        float[] ordered = new float[xOffset + format.orderedLength(n)];
        if (!format.orderActivations(x, 0, ordered, xOffset, n)) return;

        int outOffset = 1;
        int outDistance = 2;
        float[] out = new float[outOffset + count * outDistance];
        format.dotOrderedFiniteRows(w, START, distance, count, ordered, xOffset, n, out, outOffset, outDistance);
        for (int i = 0; i < out.length; i++) {
            String where = format.name() + ", " + count + " rows of " + n + ", output " + i;
            if (i >= outOffset && (i - outOffset) % outDistance == 0) {
                float single = format.dotOrderedFinite(w, START + (i - outOffset) / outDistance * distance, ordered, xOffset, n);
                assertEquals(Float.floatToRawIntBits(single), Float.floatToRawIntBits(out[i]), where);
            } else {
                assertEquals(0f, out[i], "untouched " + where);
            }
        }
    }
}
