package org.qwen4j.core.tokenizer;

import java.util.Arrays;

/**
 * GPT-2's reversible map between the 256 byte values and 256 printable characters. Byte-level BPE
 * vocabularies spell every piece in this alphabet so that spaces, control bytes and partial UTF-8
 * sequences become ordinary visible characters: a leading space is {@code Ġ} (U+0120), a newline
 * {@code Ċ} (U+010A).
 *
 * <p>Bytes that are printable Latin-1 ({@code !}..{@code ~}, {@code ¡}..{@code ¬}, {@code ®}..{@code ÿ})
 * stand for themselves; the other 68 take the code points 256, 257, … in byte order.
 */
final class ByteLevelAlphabet {
    private static final char[] CHAR_OF_BYTE = new char[256];
    /** Indexed by character; every character of the alphabet is below 256 + 68. */
    private static final int[] BYTE_OF_CHAR = new int[256 + 68];

    static {
        Arrays.fill(BYTE_OF_CHAR, -1);
        int nextShifted = 256;
        for (int b = 0; b < 256; b++) {
            boolean standsForItself = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = (char) (standsForItself ? b : nextShifted++);
            CHAR_OF_BYTE[b] = c;
            BYTE_OF_CHAR[c] = b;
        }
    }

    private ByteLevelAlphabet() {
    }

    /** The character that spells byte {@code b} (only the low 8 bits are used). */
    static char charOf(int b) {
        return CHAR_OF_BYTE[b & 0xFF];
    }

    /** The byte a character of the alphabet spells, or -1 for a code point outside the alphabet. */
    static int byteOf(int codePoint) {
        return codePoint >= 0 && codePoint < BYTE_OF_CHAR.length ? BYTE_OF_CHAR[codePoint] : -1;
    }
}
