package org.qwen4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The word splits of the qwen2 and qwen35 rules, one regex alternative at a time. */
class QwenPreTokenizerTest {

    private static List<String> qwen2(String text) {
        return split(QwenPreTokenizer.QWEN2, text);
    }

    private static List<String> split(QwenPreTokenizer p, String text) {
        List<String> words = new ArrayList<>();
        p.split(text, 0, text.length(), (s, e) -> words.add(text.substring(s, e)));
        return words;
    }

    @Test
    void wordsKeepOneLeadingSpace() {
        assertEquals(List.of("Hello", " world"), qwen2("Hello world"));
    }

    @Test
    void anyNonLetterNonDigitCharacterMayLeadAWord() {
        assertEquals(List.of("_start", "\tx", "(a"), qwen2("_start\tx(a"));
    }

    @Test
    void digitsSplitOneByOne() {
        assertEquals(List.of("1", "2", "3", " ", "4"), qwen2("123 4"));
    }

    @Test
    void contractionsMatchAsciiCaseInsensitively() {
        assertEquals(List.of("don", "'t", " I", "'M", " we", "'RE", " they", "'ll"), qwen2("don't I'M we'RE they'll"));
    }

    @Test
    void apostropheBeforeOtherLettersLeadsTheWord() {
        assertEquals(List.of("'x"), qwen2("'x"));
    }

    @Test
    void punctuationRunTakesOneLeadingSpaceAndTrailingNewlines() {
        assertEquals(List.of("a", " !!\n\n", "b"), qwen2("a !!\n\nb"));
    }

    @Test
    void spaceRunLeavesItsLastSpaceToTheNextWord() {
        assertEquals(List.of("a", "  ", " b"), qwen2("a   b"));
    }

    @Test
    void spaceRunBeforeDigitStaysWhole() {
        assertEquals(List.of("a", "  ", " ", "1"), qwen2("a   1"));
    }

    @Test
    void trailingSpaceRunStaysWhole() {
        assertEquals(List.of("a", "   "), qwen2("a   "));
    }

    @Test
    void whitespaceRunEndsAfterItsLastNewline() {
        assertEquals(List.of("a", " \n \n", " ", " b"), qwen2("a \n \n  b"));
    }

    @Test
    void unicodeWhiteSpaceCountsAsSpace() {
        // NO-BREAK SPACE and IDEOGRAPHIC SPACE are \s for llama.cpp, unlike for Character.isWhitespace.
        assertEquals(List.of("a", "\u00A0", "\u00A0b"), qwen2("a\u00A0\u00A0b"));
        assertEquals(List.of("a", "\u3000", "\u3000b"), qwen2("a\u3000\u3000b"));
    }

    @Test
    void informationSeparatorsAreNotSpace() {
        // U+001C..U+001F are whitespace to Character.isWhitespace but not to Unicode's White_Space.
        assertEquals(List.of("a", "\u001C\u001D"), qwen2("a\u001C\u001D"));
    }

    @Test
    void lettersOfAnyScriptFormWords() {
        assertEquals(List.of("通义千问是阿里", "，Qwen"), qwen2("通义千问是阿里，Qwen"));
    }

    @Test
    void supplementaryCharactersAreOneCharacter() {
        assertEquals(List.of("🙂🙂", " 𝔸"), qwen2("🙂🙂 𝔸"));
    }

    @Test
    void qwen2CutsWordsAtCombiningMarks() {
        // A mark is neither letter nor digit, so it leads the next word like any other character.
        assertEquals(List.of("re", "\u0301sume", "\u0301"), qwen2("re\u0301sume\u0301"));
    }

    @Test
    void qwen35KeepsCombiningMarksInWords() {
        assertEquals(List.of("re\u0301sume\u0301"), split(QwenPreTokenizer.QWEN35, "re\u0301sume\u0301"));
        assertEquals(List.of("a", " \u0301\u0301"), split(QwenPreTokenizer.QWEN35, "a \u0301\u0301"));
    }

    @Test
    void splitCoversOnlyTheAskedRange() {
        String text = "xx Hello world yy";
        List<String> words = new ArrayList<>();
        QwenPreTokenizer.QWEN2.split(text, 3, 14, (s, e) -> words.add(text.substring(s, e)));
        assertEquals(List.of("Hello", " world"), words);
    }

    @Test
    void namesMapToRules() {
        assertSame(QwenPreTokenizer.QWEN2, QwenPreTokenizer.forName("qwen2"));
        assertSame(QwenPreTokenizer.QWEN2, QwenPreTokenizer.forName("deepseek-r1-qwen"));
        assertSame(QwenPreTokenizer.QWEN35, QwenPreTokenizer.forName("qwen35"));
        assertNull(QwenPreTokenizer.forName("llama3"));
    }
}
