package org.qwen4j.core.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import org.qwen4j.ModelFormatException;

/**
 * The bytes each token stands for when decoding, as llama.cpp's {@code token_to_piece} renders them
 * with special tokens shown:
 *
 * <ul>
 *   <li>NORMAL: the piece read back through the GPT-2 byte alphabet. A character outside the alphabet
 *       (which a well-formed vocabulary never has) becomes {@code [UNK_BYTE_0x<its UTF-8 in hex><piece>]},
 *       llama.cpp's marker;</li>
 *   <li>CONTROL, UNKNOWN and USER_DEFINED: the text itself, in UTF-8 (added tokens are stored as plain
 *       text, not in the byte alphabet);</li>
 *   <li>BYTE: the byte its {@code <0xXX>} spelling names;</li>
 *   <li>UNUSED and UNDEFINED: nothing.</li>
 * </ul>
 *
 * Pieces are decoded once, when the tokenizer is built, so that decoding is a copy.
 */
final class TokenPieces {
    private static final byte[] NOTHING = new byte[0];

    private final byte[][] bytes;

    TokenPieces(Path file, String[] texts, TokenType[] types) {
        bytes = new byte[texts.length][];
        for (int id = 0; id < texts.length; id++) {
            bytes[id] = switch (types[id]) {
                case NORMAL -> fromByteAlphabet(texts[id]);
                case CONTROL, UNKNOWN, USER_DEFINED -> texts[id].getBytes(StandardCharsets.UTF_8);
                case BYTE -> new byte[] {byteOfSpelling(file, id, texts[id])};
                case UNUSED, UNDEFINED -> NOTHING;
            };
        }
    }

    /** The bytes of a token; the caller must not modify them. */
    byte[] of(int id) {
        return bytes[id];
    }

    int count() {
        return bytes.length;
    }

    private static byte[] fromByteAlphabet(String piece) {
        byte[] out = new byte[piece.length()];
        int n = 0;
        for (int i = 0; i < piece.length(); ) {
            int cp = piece.codePointAt(i);
            i += Character.charCount(cp);
            int b = ByteLevelAlphabet.byteOf(cp);
            if (b >= 0) {
                out[n++] = (byte) b;
                continue;
            }
            return withUnknownCharacters(piece);
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    /** The slow path for a piece with characters outside the alphabet, kept apart from the common one. */
    private static byte[] withUnknownCharacters(String piece) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < piece.length(); ) {
            int cp = piece.codePointAt(i);
            i += Character.charCount(cp);
            int b = ByteLevelAlphabet.byteOf(cp);
            if (b >= 0) {
                out.write(b);
            } else {
                String utf8Hex = HexFormat.of().formatHex(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
                out.writeBytes(("[UNK_BYTE_0x" + utf8Hex + piece + "]").getBytes(StandardCharsets.UTF_8));
            }
        }
        return out.toByteArray();
    }

    private static byte byteOfSpelling(Path file, int id, String text) {
        if (text.length() == 6 && text.startsWith("<0x") && text.endsWith(">")) {
            try {
                return (byte) Integer.parseInt(text.substring(3, 5), 16);
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw new ModelFormatException(file, TokenizerMetadataKeys.TOKEN_TYPE, "token " + id + " " + Vocabulary.quote(text)
                + " has type BYTE but is not spelled <0xXX>");
    }
}
