package org.qwen4j.quant.convert;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import org.qwen4j.core.gguf.GgufTensorInfo;

/**
 * The order in which llama.cpp's quantizer visits and writes tensors: its loader keeps them in a map
 * sorted by layer number ({@code blk.N.}, -1 for tensors outside the blocks) and then by name, byte
 * by byte. Following it matters twice: the mixtures count value projections and FFN-down matrices in
 * this order, and a file written in it can be compared with llama-quantize's output byte for byte.
 */
final class LlamaCppTensorOrder implements Comparator<GgufTensorInfo> {
    static final LlamaCppTensorOrder INSTANCE = new LlamaCppTensorOrder();

    private LlamaCppTensorOrder() {
    }

    @Override
    public int compare(GgufTensorInfo a, GgufTensorInfo b) {
        int la = layer(a.name());
        int lb = layer(b.name());
        if (la != lb) return Integer.compare(la, lb);
        return Arrays.compareUnsigned(a.name().getBytes(StandardCharsets.UTF_8), b.name().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The block number as {@code sscanf(name, "blk.%d.", &layer)} reads it: digits (with an optional
     * sign) after {@code blk.}; -1 when there are none.
     */
    static int layer(String name) {
        if (!name.startsWith("blk.")) return -1;
        int i = 4;
        int sign = 1;
        if (i < name.length() && (name.charAt(i) == '-' || name.charAt(i) == '+')) {
            if (name.charAt(i) == '-') sign = -1;
            i++;
        }
        int start = i;
        long v = 0;
        while (i < name.length() && Character.isDigit(name.charAt(i)) && v <= Integer.MAX_VALUE) {
            v = v * 10 + (name.charAt(i++) - '0');
        }
        return i == start || v > Integer.MAX_VALUE ? -1 : (int) (sign * v);
    }
}
