package org.qwen4j.quant;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector shapes and the loads that unpack quants, shared by the block kernels of this package
 * (Q4_0 and Q8_0 keep their own). A kernel takes eight packed bytes per load, one per 32-bit lane,
 * cuts nibbles and bit fields out with 32-bit shifts and masks (which x86 has, unlike byte shifts;
 * the masks also drop whatever lies above each byte), and converts the small integers to floats
 * exactly. A 256-bit vector takes eight lanes in one piece; wider
 * machines gain nothing from 512 bits on kernels whose work is unpacking bits, and narrower ones
 * (128-bit) take each eight in two halves ({@link #PARTS}).
 *
 * <p>Why kernels are written as they are: C2 must inline every vector operation of a kernel into
 * one compiled method, or the vectors become heap objects and the kernel allocates on every call.
 * It stops inlining when a method's graph grows too large, so the kernels are short loops with few
 * distinct vector operations, read block headers with one or two wide loads, and call only these
 * one- or two-operation helpers.
 */
final class PackedQuants {

    /** The float shape the quants are widened to. */
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256
            ? FloatVector.SPECIES_256
            : FloatVector.SPECIES_128;
    /** Int lanes of the same shape. */
    static final VectorSpecies<Integer> I = F.vectorBitSize() == 256 ? IntVector.SPECIES_256 : IntVector.SPECIES_128;
    /** Vectors per eight quants: 1 on 256-bit machines, 2 on 128-bit ones. */
    static final int PARTS = 8 / I.length();
    /** Whether eight int lanes take eight bytes in one widening load. */
    private static final boolean WIDE = PARTS == 1;
    /** Per-lane shifts that bring byte {@code i} of a broadcast int to the bottom of lane {@code i}. */
    private static final IntVector BYTE_SHIFTS = WIDE ? null : IntVector.fromArray(I, new int[] {0, 8, 16, 24}, 0);

    /**
     * For each byte {@code b}, eight ints whose lane {@code i} is {@code 0x10} when bit {@code i} of
     * {@code b} is set: the fifth bits of Q5_0 and Q5_1, which come as a bit string, spread to lanes
     * with one load instead of a shift and mask per lane.
     */
    private static final int[] FIFTH_BITS = new int[256 * 8];

    static {
        for (int bits = 0; bits < 256; bits++) {
            for (int lane = 0; lane < 8; lane++) {
                FIFTH_BITS[bits * 8 + lane] = (bits >>> lane & 1) << 4;
            }
        }
    }

    private PackedQuants() {
    }

    /**
     * Part {@code part} (0 … {@link #PARTS} − 1) of the eight bytes at {@code offset}, one byte per int
     * lane. The bits above each byte are unspecified (sign or zero extension): callers mask.
     */
    static IntVector ints(MemorySegment segment, long offset, int part) {
        if (WIDE) {
            return (IntVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, segment, offset,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, I, 0);
        }
        // Four lanes: widening the upper half of an eight-byte vector costs a rearrangement, and C2
        // so many graph nodes that it stops inlining the kernels; four bytes read as an int and
        // shifted into place per lane cost neither.
        int four = segment.get(Blocks.INT_LE, offset + 4L * part);
        return IntVector.broadcast(I, four).lanewise(VectorOperators.LSHR, BYTE_SHIFTS);
    }

    /**
     * Sixteen bytes at {@code offset} zero-extended to shorts and read as eight ints: lane {@code i}
     * holds byte {@code 2i} in bits 0–7 and byte {@code 2i + 1} in bits 16–23, the rest clear, so a
     * field of either byte can be masked where it lies. One instruction; for the ordered kernels,
     * which run on 256-bit machines only.
     */
    static IntVector bytePairs(MemorySegment segment, long offset) {
        return ((ShortVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_128, segment, offset, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.ZERO_EXTEND_B2S, ShortVector.SPECIES_256, 0)).reinterpretAsInts();
    }

    /** Int lanes (small quants, exact in float) as floats. */
    static FloatVector floats(IntVector quants) {
        return (FloatVector) quants.convertShape(VectorOperators.I2F, F, 0);
    }

    /**
     * Part {@code part} of eight int lanes that are {@code 0x10} where the corresponding bit of
     * {@code eightBits} (0 … 255) is set, else 0.
     */
    static IntVector fifthBits(int eightBits, int part) {
        return IntVector.fromArray(I, FIFTH_BITS, eightBits * 8 + part * I.length());
    }
}
