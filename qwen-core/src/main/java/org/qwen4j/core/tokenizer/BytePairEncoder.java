package org.qwen4j.core.tokenizer;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE on one pre-tokenized word: the word's UTF-8 bytes become one symbol each (the
 * vocabulary entry of the byte's GPT-2 character), then the adjacent pair of lowest merge rank is
 * merged, leftmost first among equal ranks, until no adjacent pair has a merge.
 *
 * <p>The symbols form a linked list and candidate pairs sit in a binary heap keyed by
 * (rank, left position), so a word of n bytes costs O(n log n) rather than the O(n²) of rescanning
 * for the best pair after every merge. A heap entry whose pair has changed since it was pushed is
 * recognised on the way out (the pair now at that position no longer has that rank) and skipped;
 * a rank names one pair, so this gives exactly llama.cpp's order of merges.
 *
 * <p>Words are cached by text, since prose repeats them; the cache is bounded by clearing it when full.
 * Thread-safe.
 */
final class BytePairEncoder {
    /** Longer words are rare and would crowd the cache; they are encoded every time. */
    private static final int MAX_CACHED_WORD_CHARS = 64;
    private static final int MAX_CACHED_WORDS = 1 << 15;

    /** The vocabulary id of each byte's one-character piece, or -1 when the vocabulary lacks it. */
    private final int[] symbolOfByte;
    private final MergeRanks merges;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    BytePairEncoder(int[] symbolOfByte, MergeRanks merges) {
        this.symbolOfByte = symbolOfByte.clone();
        this.merges = merges;
    }

    /** Appends the ids of the word {@code text[start, end)} to {@code out}. */
    void encode(String text, int start, int end, IntList out) {
        if (end - start > MAX_CACHED_WORD_CHARS) {
            out.addAll(encodeUncached(text, start, end));
            return;
        }
        String word = text.substring(start, end);
        int[] ids = cache.get(word);
        if (ids == null) {
            ids = encodeUncached(word, 0, word.length());
            if (cache.size() >= MAX_CACHED_WORDS) cache.clear();
            cache.put(word, ids);
        }
        out.addAll(ids);
    }

    private int[] encodeUncached(String text, int start, int end) {
        int[] symbols = initialSymbols(text, start, end);
        int n = symbols.length;
        if (n == 1) return symbols[0] >= 0 ? symbols : new int[0];

        int[] prev = new int[n];
        int[] next = new int[n];
        // The rank of the pair that starts at each position now, -1 for none: a heap entry whose rank
        // differs is stale, which spares a table look-up per merge.
        int[] pairRank = new int[n];
        PairHeap heap = new PairHeap(n);
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
            pairRank[i] = i + 1 < n ? merges.rank(symbols[i], symbols[i + 1]) : -1;
            heap.offer(pairRank[i], i);
        }

        while (!heap.isEmpty()) {
            long top = heap.poll();
            int rank = (int) (top >>> 32);
            int left = (int) top;
            if (pairRank[left] != rank) continue; // the pair at this position has changed since
            int right = next[left];
            symbols[left] = merges.mergedId(rank);
            pairRank[right] = -1;
            int after = next[right];
            next[left] = after;
            if (after >= 0) {
                prev[after] = left;
                pairRank[left] = merges.rank(symbols[left], symbols[after]);
                heap.offer(pairRank[left], left);
            } else {
                pairRank[left] = -1;
            }
            int before = prev[left];
            if (before >= 0) {
                pairRank[before] = merges.rank(symbols[before], symbols[left]);
                heap.offer(pairRank[before], before);
            }
        }

        int[] ids = new int[n];
        int count = 0;
        for (int i = 0; i >= 0; i = next[i]) {
            // A byte whose character is missing from the vocabulary cannot merge and has no id;
            // llama.cpp drops it (its byte fallback finds no single-byte token either).
            if (symbols[i] >= 0) ids[count++] = symbols[i];
        }
        return count == n ? ids : Arrays.copyOf(ids, count);
    }

    /** One symbol per UTF-8 byte of the text; an unpaired surrogate is encoded as U+FFFD. */
    private int[] initialSymbols(String text, int start, int end) {
        int[] symbols = new int[(end - start) * 3];
        int n = 0;
        for (int i = start; i < end; ) {
            char c = text.charAt(i);
            if (c < 0x80) {
                symbols[n++] = symbolOfByte[c];
                i++;
                continue;
            }
            int cp;
            if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(text.charAt(i + 1))) {
                cp = Character.toCodePoint(c, text.charAt(i + 1));
                i += 2;
            } else {
                cp = Character.isSurrogate(c) ? 0xFFFD : c;
                i++;
            }
            if (cp < 0x800) {
                symbols[n++] = symbolOfByte[0xC0 | (cp >>> 6)];
                symbols[n++] = symbolOfByte[0x80 | (cp & 0x3F)];
            } else if (cp < 0x10000) {
                symbols[n++] = symbolOfByte[0xE0 | (cp >>> 12)];
                symbols[n++] = symbolOfByte[0x80 | ((cp >>> 6) & 0x3F)];
                symbols[n++] = symbolOfByte[0x80 | (cp & 0x3F)];
            } else {
                symbols[n++] = symbolOfByte[0xF0 | (cp >>> 18)];
                symbols[n++] = symbolOfByte[0x80 | ((cp >>> 12) & 0x3F)];
                symbols[n++] = symbolOfByte[0x80 | ((cp >>> 6) & 0x3F)];
                symbols[n++] = symbolOfByte[0x80 | (cp & 0x3F)];
            }
        }
        return n == symbols.length ? symbols : Arrays.copyOf(symbols, n);
    }

    /** A min-heap of candidate merges packed as {@code rank << 32 | leftPosition}; -1 ranks are not kept. */
    private static final class PairHeap {
        private long[] heap;
        private int size;

        PairHeap(int symbols) {
            heap = new long[Math.max(4, symbols)];
        }

        boolean isEmpty() {
            return size == 0;
        }

        void offer(int rank, int left) {
            if (rank < 0) return;
            if (size == heap.length) heap = Arrays.copyOf(heap, size * 2);
            long v = ((long) rank << 32) | left;
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (heap[parent] <= v) break;
                heap[i] = heap[parent];
                i = parent;
            }
            heap[i] = v;
        }

        long poll() {
            long top = heap[0];
            long last = heap[--size];
            int i = 0;
            int half = size >>> 1;
            while (i < half) {
                int child = 2 * i + 1;
                if (child + 1 < size && heap[child + 1] < heap[child]) child++;
                if (last <= heap[child]) break;
                heap[i] = heap[child];
                i = child;
            }
            heap[i] = last;
            return top;
        }
    }
}
