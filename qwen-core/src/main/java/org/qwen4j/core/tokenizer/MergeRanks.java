package org.qwen4j.core.tokenizer;

import java.util.Arrays;

/**
 * The BPE merge table keyed by token ids: for a pair (left, right) its rank (the merge's position in
 * {@code tokenizer.ggml.merges}, lower merges first) and the id of the token the pair becomes.
 *
 * <p>The merge loop looks up every adjacent pair of every word, at random places in a table of
 * ~150,000 merges, so the cost is memory latency. Each entry is therefore one {@code long} holding
 * left id, right id and rank (21 bits each) in an open-addressing table filled to at most 60%: one
 * cache miss per look-up, and a 2 MiB table for the Qwen vocabulary. Boxed {@code (String, String)}
 * keys would cost an allocation and two string hashes per look-up on top.
 */
final class MergeRanks {
    /** Ids and ranks must fit in 21 bits. */
    static final int MAX_ID = (1 << 21) - 1;
    private static final int BITS = 21;
    private static final long FIELD = (1L << BITS) - 1;
    private static final long EMPTY = -1L; // entries use 63 bits, so they are never negative
    private static final double MAX_LOAD = 0.6;

    private final long[] entries;
    /** Bit per token: whether it is the left (right) part of any merge. Small enough to stay in cache. */
    private final long[] isLeftPart;
    private final long[] isRightPart;
    private final int mask;
    private final int shift;
    private final int[] mergedIdOfRank;

    /**
     * A table for at most {@code maxMerges} merges (ranks 0 to {@code maxMerges - 1}) among
     * {@code vocabularySize} tokens; both at most {@link #MAX_ID} + 1.
     */
    MergeRanks(int maxMerges, int vocabularySize) {
        if (maxMerges > MAX_ID + 1 || vocabularySize > MAX_ID + 1) {
            throw new IllegalArgumentException(maxMerges + " merges or " + vocabularySize + " tokens exceed " + (MAX_ID + 1));
        }
        isLeftPart = new long[(vocabularySize + 63) >>> 6];
        isRightPart = new long[(vocabularySize + 63) >>> 6];
        int capacity = 16;
        while (capacity * MAX_LOAD < maxMerges) capacity <<= 1;
        entries = new long[capacity];
        Arrays.fill(entries, EMPTY);
        mask = capacity - 1;
        shift = 64 - Integer.numberOfTrailingZeros(capacity);
        mergedIdOfRank = new int[maxMerges];
    }

    /**
     * Records that {@code left right} merges into {@code merged} at {@code rank}; ids must lie in
     * {@code [0, MAX_ID]}. A pair listed twice keeps its first (lowest) rank, as llama.cpp does;
     * returns false for such a repeat.
     */
    boolean add(int left, int right, int rank, int merged) {
        if ((left | right) < 0 || left >= isLeftPart.length << 6 || right >= isRightPart.length << 6) {
            throw new IllegalArgumentException("token ids " + left + ", " + right + " are outside the vocabulary");
        }
        long pair = pair(left, right);
        for (int slot = slot(pair); ; slot = (slot + 1) & mask) {
            long e = entries[slot];
            if (e == EMPTY) {
                entries[slot] = pair << BITS | rank;
                mergedIdOfRank[rank] = merged;
                isLeftPart[left >>> 6] |= 1L << left;
                isRightPart[right >>> 6] |= 1L << right;
                return true;
            }
            if (e >>> BITS == pair) return false;
        }
    }

    /** The rank of merging {@code left} with {@code right}, or -1 when they do not merge. */
    int rank(int left, int right) {
        // Most pairs left when a word is done merging involve a token that ends merging; the bit
        // sets reject them without touching the large table.
        if ((left | right) < 0 || (isLeftPart[left >>> 6] & 1L << left) == 0 || (isRightPart[right >>> 6] & 1L << right) == 0) {
            return -1;
        }
        long pair = pair(left, right);
        for (int slot = slot(pair); ; slot = (slot + 1) & mask) {
            long e = entries[slot];
            if (e == EMPTY) return -1;
            if (e >>> BITS == pair) return (int) (e & FIELD);
        }
    }

    /** The token a merge of this rank produces. */
    int mergedId(int rank) {
        return mergedIdOfRank[rank];
    }

    private static long pair(int left, int right) {
        return (long) left << BITS | right;
    }

    /** Fibonacci hashing: the top bits of the product mix both ids. */
    private int slot(long pair) {
        return (int) ((pair * 0x9E37_79B9_7F4A_7C15L) >>> shift);
    }
}
