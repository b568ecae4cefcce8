package org.qwen4j.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * What the K-quants owe beyond {@link BlockFormatContract}: their reference quantizers end by
 * re-quantizing every value against the sub-block scales (and minimums) as stored, so each value
 * lands on the level nearest to it; and an all-zero super-block is all-zero bytes.
 */
abstract class SuperBlockFormatContract extends BlockFormatContract {

    /** How many stored quant levels the format has (4 for Q2_K … 64 for Q6_K). */
    abstract int levels();

    @Test
    void quantizeRoundsEveryValueToTheNearestLevelItsStoredScalesAllow() {
        Random random = new Random(77);
        assertRoundsToNearestLevel(LlamaCppReference.edgeCases());
        assertRoundsToNearestLevel(Samples.gaussian(random, 16 * 256, 0.02f));
        float[] offset = Samples.gaussian(random, 16 * 256, 0.1f);
        for (int i = 0; i < offset.length; i++) {
            offset[i] += 0.4f;
        }
        assertRoundsToNearestLevel(offset);
    }

    private void assertRoundsToNearestLevel(float[] values) {
        int n = format().blockSize();
        int bytes = format().blockBytes();
        byte[] encoded = DotOracle.encode(format(), values).toArray(ValueLayout.JAVA_BYTE);
        for (int b = 0; b < values.length / n; b++) {
            byte[] block = Arrays.copyOfRange(encoded, b * bytes, (b + 1) * bytes);
            float[] decoded = decode(block);
            // levels[k][i]: what element i would decode to with quant level k, all else unchanged.
            float[][] levels = new float[levels()][];
            for (int k = 0; k < levels(); k++) {
                byte[] variant = block.clone();
                for (int i = 0; i < n; i++) {
                    setQuant(variant, i, k);
                }
                levels[k] = decode(variant);
            }
            for (int i = 0; i < n; i++) {
                float x = values[b * n + i];
                double best = Double.POSITIVE_INFINITY;
                double largest = 0;
                for (float[] level : levels) {
                    best = Math.min(best, Math.abs((double) x - level[i]));
                    largest = Math.max(largest, Math.abs(level[i]));
                }
                // Slack for the float rounding of (x + min) / scale and of the decoded levels.
                double slack = 0x1p-20 * (Math.abs(x) + largest);
                double error = Math.abs((double) x - decoded[i]);
                String where = "element " + (b * n + i) + ": x = " + x + " decodes to " + decoded[i];
                double nearest = best;
                assertTrue(error <= nearest + slack, () -> where + ", yet a level lies within " + nearest);
            }
        }
    }

    @Test
    void quantizeEncodesAnAllZeroSuperBlockAsZeroBytes() {
        int n = format().blockSize();
        assertArrayEquals(new byte[format().blockBytes()],
                DotOracle.encode(format(), new float[n]).toArray(ValueLayout.JAVA_BYTE));
    }

    private float[] decode(byte[] block) {
        float[] out = new float[format().blockSize()];
        format().dequantize(MemorySegment.ofArray(block), 0, out, 0, out.length);
        return out;
    }
}
