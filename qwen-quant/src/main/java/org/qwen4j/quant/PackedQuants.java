package org.qwen4j.quant;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector shapes and lane operations shared by the block kernels. The kernels take eight packed
 * bytes per load and widen eight quants at a time to floats: a 256-bit float vector takes them in
 * one piece; wider machines gain nothing from 512 bits on kernels whose work is unpacking bits, and
 * narrower ones (128-bit) take each eight in two halves ({@link #PARTS}).
 *
 * <p>Two ways to cut quants out of packed bytes: in byte lanes before widening (Q4_1, Q5_0, Q5_1,
 * like Q4_0: one load serves sixteen values), or in int lanes after one widening load (the
 * K-quants, whose scattered bit fields take several shifts: 32-bit lanes shift natively on x86,
 * and the loop stays small enough for C2 to inline every vector operation).
 */
final class PackedQuants {

    /** Eight bytes: one load of packed quants. */
    static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
    /** The float shape the quants are widened to. */
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256
            ? FloatVector.SPECIES_256
            : FloatVector.SPECIES_128;
    /** Float vectors per eight quants: 1 on 256-bit machines, 2 on 128-bit ones. */
    static final int PARTS = B.length() / F.length();
    /** Int lanes matching {@link #F}: quants are unpacked in 32-bit lanes, which x86 can shift. */
    static final VectorSpecies<Integer> I = F.vectorBitSize() == 256 ? IntVector.SPECIES_256 : IntVector.SPECIES_128;

    /**
     * For each byte {@code b}, eight bytes whose lane {@code i} is {@code 0x10} when bit {@code i} of
     * {@code b} is set: the fifth bits of Q5_0/Q5_1, which come as a bit string, spread to lanes
     * with one load instead of a compare and blend per bit.
     */
    private static final byte[] FIFTH_BITS = new byte[256 * 8];

    static {
        for (int bits = 0; bits < 256; bits++) {
            for (int lane = 0; lane < 8; lane++) {
                FIFTH_BITS[bits * 8 + lane] = (byte) ((bits >>> lane & 1) << 4);
            }
        }
    }

    private PackedQuants() {
    }

    /** Eight bytes at {@code offset}. */
    static ByteVector load(MemorySegment segment, long offset) {
        return ByteVector.fromMemorySegment(B, segment, offset, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Each byte shifted right by {@code shift} (unsigned). x86 has no byte shift; shifting 16-bit
     * lanes drags the neighbour's low bits into each byte's top bits, so callers mask what they keep
     * to the bits that came from the byte itself.
     */
    static ByteVector shiftRight(ByteVector bytes, int shift) {
        return bytes.reinterpretAsShorts().lanewise(VectorOperators.LSHR, shift).reinterpretAsBytes();
    }

    /** Lane {@code i} is {@code 0x10} when bit {@code i} of {@code eightBits} (0 … 255) is set, else 0. */
    static ByteVector fifthBits(int eightBits) {
        return ByteVector.fromArray(B, FIFTH_BITS, eightBits * 8);
    }

    /**
     * Part {@code part} (0 … {@link #PARTS} − 1) of the eight bytes at {@code offset}, sign-extended
     * to int lanes: one widening load, after which nibbles and bit fields are cut out with 32-bit
     * shifts and masks (sign-extension only fills bits above the byte, which the masks drop).
     */
    static IntVector ints(MemorySegment segment, long offset, int part) {
        return (IntVector) load(segment, offset).convertShape(VectorOperators.B2I, I, part);
    }

    /** Int lanes (small quants, exact in float) as floats. */
    static FloatVector floats(IntVector quants) {
        return (FloatVector) quants.convertShape(VectorOperators.I2F, F, 0);
    }

    /** Part {@code part} (0 … {@link #PARTS} − 1) of eight signed quants, as floats. */
    static FloatVector widen(ByteVector quants, int part) {
        return (FloatVector) quants.convertShape(VectorOperators.B2F, F, part);
    }

    /** Lane-wise partial sums of {@code q[k] · x[xi + k]} over sixteen quants, given as two eights. */
    static FloatVector sixteen(ByteVector first, ByteVector second, float[] x, int xi) {
        FloatVector sum = widen(first, 0).mul(FloatVector.fromArray(F, x, xi));
        for (int part = 1; part < PARTS; part++) {
            sum = widen(first, part).fma(FloatVector.fromArray(F, x, xi + part * F.length()), sum);
        }
        for (int part = 0; part < PARTS; part++) {
            sum = widen(second, part).fma(FloatVector.fromArray(F, x, xi + 8 + part * F.length()), sum);
        }
        return sum;
    }
}
