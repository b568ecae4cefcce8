package org.qwen4j.quant.convert;

/**
 * The float values of a tensor, produced a few rows at a time so that no whole tensor is ever held
 * in memory: a source tensor decoded with its format's dequantizer, or random weights generated on
 * the fly. Implementations are called from several threads at once, for disjoint rows.
 */
@FunctionalInterface
interface RowSource {
    /** Writes rows {@code [firstRow, firstRow + rows)}, {@code columns} values each, to {@code dst} from index 0. */
    void read(int firstRow, int rows, float[] dst);
}
