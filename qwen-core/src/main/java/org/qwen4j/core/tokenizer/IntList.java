package org.qwen4j.core.tokenizer;

import java.util.Arrays;

/** A growable array of ints, so that token ids are collected without boxing. */
final class IntList {
    private int[] values;
    private int size;

    IntList(int initialCapacity) {
        values = new int[Math.max(4, initialCapacity)];
    }

    void add(int v) {
        if (size == values.length) values = Arrays.copyOf(values, size + (size >> 1) + 4);
        values[size++] = v;
    }

    void addAll(int[] vs) {
        if (size + vs.length > values.length) {
            values = Arrays.copyOf(values, Math.max(size + vs.length, size + (size >> 1) + 4));
        }
        System.arraycopy(vs, 0, values, size, vs.length);
        size += vs.length;
    }

    int get(int i) {
        return values[i];
    }

    int size() {
        return size;
    }

    int[] toArray() {
        return Arrays.copyOf(values, size);
    }
}
