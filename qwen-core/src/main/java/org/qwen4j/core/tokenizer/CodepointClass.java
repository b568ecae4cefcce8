package org.qwen4j.core.tokenizer;

/**
 * The character classes the Qwen pre-tokenizer regexes ask about, as bit flags: {@code \p{L}},
 * {@code \p{N}}, {@code \p{M}} and {@code \s}.
 *
 * <p>Letters, numbers and marks follow the Unicode general categories (L*, N*, M*) of the running
 * JDK; llama.cpp's tables come from the same categories, possibly of an older Unicode version, so
 * only characters assigned since can differ. {@code \s} is the Unicode White_Space property, which
 * is what llama.cpp's tables hold. Neither JDK notion of space fits: {@link Character#isWhitespace}
 * leaves out U+0085, U+00A0, U+2007 and U+202F and takes in U+001C..U+001F, and Java's regex
 * {@code \s} is ASCII-only unless asked otherwise.
 */
final class CodepointClass {
    static final int LETTER = 1;
    static final int NUMBER = 2;
    static final int MARK = 4;
    static final int WHITESPACE = 8;

    /** Classes of the Basic Multilingual Plane, looked up instead of recomputed: nearly all text lives there. */
    private static final byte[] BMP = new byte[0x10000];

    static {
        for (int cp = 0; cp < BMP.length; cp++) BMP[cp] = (byte) compute(cp);
    }

    private CodepointClass() {
    }

    /** The flags of a code point. */
    static int of(int codePoint) {
        return codePoint < BMP.length ? BMP[codePoint] : compute(codePoint);
    }

    private static int compute(int cp) {
        int flags = switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                    Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK -> MARK;
            default -> 0;
        };
        return isWhiteSpaceProperty(cp) ? flags | WHITESPACE : flags;
    }

    /** Unicode's White_Space property (PropList.txt), 25 code points. */
    private static boolean isWhiteSpaceProperty(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F
                || cp == 0x205F || cp == 0x3000;
    }
}
