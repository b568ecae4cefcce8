package org.qwen4j.core.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.qwen4j.TextDecoder;

/**
 * Streams token ids to text. Byte-level tokens often carry part of a character (an emoji is four
 * bytes and may come as four tokens), so the bytes of a character that has not ended yet wait for
 * the tokens that complete it. Bytes that can never become a character are not held back: they are
 * emitted at once as U+FFFD, exactly where decoding the whole sequence at once would put them.
 * Not thread-safe; one per stream.
 */
final class Utf8StreamDecoder implements TextDecoder {
    private final TokenPieces pieces;
    private byte[] pending = new byte[16];
    private int length;

    Utf8StreamDecoder(TokenPieces pieces) {
        this.pieces = pieces;
    }

    @Override
    public String append(int id) {
        if (id < 0 || id >= pieces.count()) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + pieces.count() + ")");
        }
        byte[] piece = pieces.of(id);
        if (length + piece.length > pending.length) pending = Arrays.copyOf(pending, Math.max(2 * pending.length, length + piece.length));
        System.arraycopy(piece, 0, pending, length, piece.length);
        length += piece.length;

        int complete = completePrefix(pending, length);
        if (complete == 0) return "";
        String text = new String(pending, 0, complete, StandardCharsets.UTF_8);
        System.arraycopy(pending, complete, pending, 0, length - complete);
        length -= complete;
        return text;
    }

    @Override
    public String flush() {
        String text = new String(pending, 0, length, StandardCharsets.UTF_8);
        length = 0;
        return text;
    }

    /**
     * How many leading bytes can be decoded now: all of them, unless they end with the beginning of a
     * well-formed UTF-8 sequence that later bytes may still complete.
     */
    static int completePrefix(byte[] b, int length) {
        // The last sequence starts at most 3 bytes from the end; find its lead byte.
        int lead = length - 1;
        while (lead >= 0 && lead > length - 4 && (b[lead] & 0xC0) == 0x80) lead--;
        if (lead < 0 || (b[lead] & 0xC0) == 0x80) return length; // only continuation bytes: malformed anyway
        int first = b[lead] & 0xFF;
        int needed;
        if (first < 0x80) return length;
        else if (first >= 0xC2 && first <= 0xDF) needed = 2;
        else if (first >= 0xE0 && first <= 0xEF) needed = 3;
        else if (first >= 0xF0 && first <= 0xF4) needed = 4;
        else return length; // C0, C1, F5..FF never start a character
        int have = length - lead;
        if (have >= needed) return length;
        if (have >= 2 && !validSecondByte(first, b[lead + 1] & 0xFF)) return length;
        return lead;
    }

    /** UTF-8 narrows the second byte after E0, ED, F0 and F4 to rule out overlongs, surrogates and values past U+10FFFF. */
    private static boolean validSecondByte(int first, int second) {
        return switch (first) {
            case 0xE0 -> second >= 0xA0 && second <= 0xBF;
            case 0xED -> second >= 0x80 && second <= 0x9F;
            case 0xF0 -> second >= 0x90 && second <= 0xBF;
            case 0xF4 -> second >= 0x80 && second <= 0x8F;
            default -> true;
        };
    }
}
