package org.qwen4j.core.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FixedOrderSumTest {

    /** Gaussian values times e^(3 · Gaussian): magnitudes across many orders, so that the order of a sum shows in its bits. */
    private static float[] widelySpread(int count, long seed) {
        Random random = new Random(seed);
        float[] values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float) (random.nextGaussian() * Math.exp(3 * random.nextGaussian()));
        return values;
    }

    /** The halving order written out in scalar code: lanes {@code i} and {@code i + half} first. */
    private static float halving(float[] lanes, int from, int length) {
        if (length == 1) return lanes[from];
        float[] folded = new float[length / 2];
        for (int i = 0; i < folded.length; i++) folded[i] = lanes[from + i] + lanes[from + i + length / 2];
        return halving(folded, 0, folded.length);
    }

    @ParameterizedTest
    @ValueSource(ints = {128, 256, 512})
    void sumsTheLanesInTheHalvingOrderInEveryTierOfTheJit(int bits) {
        // Enough calls that C2 compiles the sum midway; the bits must not change when it does.
        VectorSpecies<Float> species = FloatVector.SPECIES_128.withShape(VectorShape.forBitSize(bits));
        int lanes = species.length();
        float[] values = widelySpread(lanes * 4096, bits);
        for (int round = 0; round < 8; round++) {
            for (int v = 0; v < 4096; v++) {
                float expected = halving(values, v * lanes, lanes);
                float actual = FixedOrderSum.of(FloatVector.fromArray(species, values, v * lanes));
                if (Float.floatToRawIntBits(expected) != Float.floatToRawIntBits(actual)) {
                    assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual),
                            "vector " + v + " in round " + round + ": " + expected + " vs " + actual);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {128, 256, 512})
    void twoVectorsSumToTheBitsOfEachSummedAloneInEveryTierOfTheJit(int bits) {
        VectorSpecies<Float> species = FloatVector.SPECIES_128.withShape(VectorShape.forBitSize(bits));
        int lanes = species.length();
        float[] values = widelySpread(lanes * 4096, bits + 1);
        float[] out = new float[3];
        for (int round = 0; round < 8; round++) {
            for (int v = 0; v + 1 < 4096; v += 2) {
                FixedOrderSum.ofTwo(FloatVector.fromArray(species, values, v * lanes),
                        FloatVector.fromArray(species, values, (v + 1) * lanes), out, 0, 2);
                for (int k = 0; k < 2; k++) {
                    float expected = halving(values, (v + k) * lanes, lanes);
                    if (Float.floatToRawIntBits(expected) != Float.floatToRawIntBits(out[2 * k])) {
                        assertEquals(expected, out[2 * k], "pair " + v + " vector " + k + " in round " + round);
                    }
                }
                assertEquals(0f, out[1], "the slot between the two is left alone");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {128, 256, 512})
    void storedLanesSumToTheBitsOfTheVector(int bits) {
        VectorSpecies<Float> species = FloatVector.SPECIES_128.withShape(VectorShape.forBitSize(bits));
        int lanes = species.length();
        float[] values = widelySpread(lanes * 4096, bits + 2);
        float[] stored = new float[lanes + 3];
        for (int v = 0; v < 4096; v++) {
            FloatVector vector = FloatVector.fromArray(species, values, v * lanes);
            vector.intoArray(stored, 3);
            float expected = FixedOrderSum.of(vector);
            float actual = FixedOrderSum.ofStored(stored, 3, lanes);
            if (Float.floatToRawIntBits(expected) != Float.floatToRawIntBits(actual)) {
                assertEquals(expected, actual, "vector " + v);
            }
        }
    }
}
