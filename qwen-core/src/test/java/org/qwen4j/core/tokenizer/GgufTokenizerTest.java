package org.qwen4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.qwen4j.spi.TokenizerProvider;

/** Behaviour of the tokenizer on small hand-made vocabularies, where every expected id can be worked out by hand. */
class GgufTokenizerTest {
    private static final String SPACE = "Ġ";

    @Test
    void lowerRankedMergeAppliesFirst() {
        TestVocabulary v = TestVocabulary.bytesOnly().merge("b", "c").merge("a", "b");
        assertArrayEquals(new int[] {'a', v.id("bc")}, v.build().encode("abc"));
    }

    @Test
    void equalPairsMergeLeftmostFirst() {
        TestVocabulary v = TestVocabulary.bytesOnly().merge("a", "a");
        assertArrayEquals(new int[] {v.id("aa"), 'a'}, v.build().encode("aaa"));
    }

    @Test
    void mergedPiecesKeepMerging() {
        TestVocabulary v = TestVocabulary.bytesOnly().merge("a", "b").merge("ab", "c").merge(SPACE, "abc");
        assertArrayEquals(new int[] {v.id(SPACE + "abc")}, v.build().encode(" abc"));
    }

    @Test
    void mergesNeverCrossWordBoundaries() {
        // "a b" splits into "a" and " b", so the merge "a Ġ" never sees its pair.
        TestVocabulary v = TestVocabulary.bytesOnly().merge("a", SPACE);
        assertArrayEquals(new int[] {'a', ' ', 'b'}, v.build().encode("a b"));
    }

    @Test
    void multiByteCharactersStartAsOneSymbolPerByte() {
        GgufTokenizer t = TestVocabulary.bytesOnly().build();
        int[] ids = t.encode("é");
        assertArrayEquals(new int[] {0xC3, 0xA9}, ids);
        assertEquals("é", t.decode(ids));
    }

    @Test
    void unpairedSurrogateEncodesAsReplacementCharacter() {
        GgufTokenizer t = TestVocabulary.bytesOnly().build();
        assertArrayEquals(new int[] {0xEF, 0xBF, 0xBD}, t.encode("\uD800"));
    }

    @Test
    void emptyTextEncodesToNothing() {
        GgufTokenizer t = TestVocabulary.bytesOnly().token("<|im_start|>", TokenType.CONTROL).build();
        assertArrayEquals(new int[0], t.encode(""));
        assertArrayEquals(new int[0], t.encode("", true));
    }

    @Test
    void controlTokenTextIsPlainTextUnlessSpecialTokensAreParsed() {
        TestVocabulary v = TestVocabulary.bytesOnly().token("<|im_start|>", TokenType.CONTROL);
        GgufTokenizer t = v.build();
        assertArrayEquals(new int[] {v.id("<|im_start|>"), 'x'}, t.encode("<|im_start|>x", true));
        assertArrayEquals("<|im_start|>x".chars().toArray(), t.encode("<|im_start|>x", false));
    }

    @Test
    void userDefinedTokensAreMatchedEvenWithoutParsingSpecialTokens() {
        TestVocabulary v = TestVocabulary.bytesOnly().token("<tool_call>", TokenType.USER_DEFINED);
        GgufTokenizer t = v.build();
        assertArrayEquals(new int[] {'a', v.id("<tool_call>"), 'b'}, t.encode("a<tool_call>b", false));
        assertArrayEquals(new int[] {'a', v.id("<tool_call>"), 'b'}, t.encode("a<tool_call>b", true));
    }

    @Test
    void spacesNextToSpecialTokensStayInTheText() {
        TestVocabulary v = TestVocabulary.bytesOnly().token("<think>", TokenType.USER_DEFINED);
        assertArrayEquals(new int[] {' ', v.id("<think>"), ' '}, v.build().encode(" <think> "));
    }

    @Test
    void longerSpecialTokenWinsEvenWhereItStartsLater() {
        // llama.cpp applies special tokens longest first over the whole text, not leftmost first.
        TestVocabulary v = TestVocabulary.bytesOnly().token("ab", TokenType.USER_DEFINED).token("bcd", TokenType.USER_DEFINED);
        assertArrayEquals(new int[] {'a', v.id("bcd")}, v.build().encode("abcd"));
    }

    @Test
    void everyOccurrenceOfASpecialTokenIsCut() {
        TestVocabulary v = TestVocabulary.bytesOnly().token("<|im_end|>", TokenType.CONTROL);
        int end = v.id("<|im_end|>");
        assertArrayEquals(new int[] {end, end, 'x', end}, v.build().encode("<|im_end|><|im_end|>x<|im_end|>", true));
    }

    @Test
    void controlAndUserDefinedTokensDecodeToTheirText() {
        TestVocabulary v = TestVocabulary.bytesOnly().token("<|im_start|>", TokenType.CONTROL)
                .token("<tool_call>", TokenType.USER_DEFINED).merge(SPACE, "a");
        GgufTokenizer t = v.build();
        assertEquals("<|im_start|> a<tool_call>", t.decode(new int[] {v.id("<|im_start|>"), v.id(SPACE + "a"), v.id("<tool_call>")}));
    }

    @Test
    void unusedTokensDecodeToNothing() {
        TestVocabulary v = TestVocabulary.bytesOnly().token("<unused0>", TokenType.UNUSED);
        assertEquals("ab", v.build().decode(new int[] {'a', v.id("<unused0>"), 'b'}));
    }

    @Test
    void endOfTurnAndEndOfTextEndGenerationAndAreSpecial() {
        TestVocabulary v = TestVocabulary.bytesOnly().token("<|endoftext|>", TokenType.CONTROL)
                .token("<|im_start|>", TokenType.CONTROL).token("<|im_end|>", TokenType.CONTROL)
                .role(SpecialTokenRole.EOS, "<|endoftext|>");
        GgufTokenizer t = v.build();
        assertTrue(t.isEndOfGeneration(v.id("<|im_end|>")));
        assertTrue(t.isEndOfGeneration(v.id("<|endoftext|>")));
        assertFalse(t.isEndOfGeneration(v.id("<|im_start|>")));
        assertFalse(t.isEndOfGeneration('a'));
        assertEquals(v.id("<|endoftext|>"), t.eosId());
        assertTrue(t.isSpecial(v.id("<|im_start|>")));
        assertFalse(t.isSpecial('a'));
    }

    @Test
    void declaredEndOfTurnAndEndOfMessageIdsEndGeneration() {
        TestVocabulary v = TestVocabulary.bytesOnly().token("<stop>", TokenType.CONTROL).token("<call>", TokenType.CONTROL)
                .role(SpecialTokenRole.EOT, "<stop>").role(SpecialTokenRole.EOM, "<call>");
        GgufTokenizer t = v.build();
        assertTrue(t.isEndOfGeneration(v.id("<stop>")));
        assertTrue(t.isEndOfGeneration(v.id("<call>")));
        assertEquals(-1, t.eosId());
    }

    @Test
    void fillInTheMiddleMarkersBecomeControlTokensAndTheLastThreeEndGeneration() {
        // Qwen files declare <|fim_…|>, <|repo_name|> and <|file_sep|> as user-defined; llama.cpp
        // recognises them by text, makes them control tokens, and stops on pad, repo and separator.
        TestVocabulary v = TestVocabulary.bytesOnly();
        for (String s : new String[] {"<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"}) {
            v.token(s, TokenType.USER_DEFINED);
        }
        GgufTokenizer t = v.build();
        for (String s : new String[] {"<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"}) {
            assertEquals(TokenType.CONTROL, t.tokenType(v.id(s)), s);
            assertFalse(contains(t.encode(s, false), v.id(s)), s + " without parsing special tokens");
            assertArrayEquals(new int[] {v.id(s)}, t.encode(s, true), s + " with special tokens parsed");
        }
        assertFalse(t.isEndOfGeneration(v.id("<|fim_prefix|>")));
        assertTrue(t.isEndOfGeneration(v.id("<|fim_pad|>")));
        assertTrue(t.isEndOfGeneration(v.id("<|repo_name|>")));
        assertTrue(t.isEndOfGeneration(v.id("<|file_sep|>")));
        assertEquals(v.id("<|fim_prefix|>"), t.specialTokenId(SpecialTokenRole.FIM_PREFIX));
    }

    @Test
    void ordinaryPieceSpelledLikeAnEndOfGenerationTextIsPromoted() {
        // The Qwen vocabulary holds "</s>" as an ordinary piece (id 128247); llama.cpp's loader treats it as end of generation.
        TestVocabulary v = TestVocabulary.bytesOnly().token("</s>", TokenType.NORMAL);
        GgufTokenizer t = v.build();
        assertTrue(t.isEndOfGeneration(v.id("</s>")));
        assertEquals(TokenType.CONTROL, t.tokenType(v.id("</s>")));
        assertArrayEquals(new int[] {v.id("</s>")}, t.encode("</s>", true));
        assertEquals("</s>", t.decode(new int[] {v.id("</s>")}));
    }

    @Test
    void qwen35KeepsCombiningMarksInTheirWord() {
        TestVocabulary v = TestVocabulary.bytesOnly().merge("e", "Ì").merge("eÌ", "ģ");
        // "é" decomposed: e + U+0301 (bytes CC 81, spelled Ì ģ in the byte alphabet)
        assertArrayEquals(new int[] {v.id("eÌģ")}, v.preTokenizer("qwen35").build().encode("e\u0301"));
        assertArrayEquals(new int[] {'e', 0xCC, 0x81}, v.preTokenizer("qwen2").build().encode("e\u0301"));
    }

    @Test
    void pieceAndIdOfAreInverse() {
        TestVocabulary v = TestVocabulary.bytesOnly().merge(SPACE, "a");
        GgufTokenizer t = v.build();
        assertEquals(SPACE + "a", t.piece(v.id(SPACE + "a")));
        assertEquals(v.id(SPACE + "a"), t.idOf(SPACE + "a"));
        assertEquals(-1, t.idOf("not a token"));
        assertEquals(257, t.vocabularySize());
    }

    @Test
    void idsOutsideTheVocabularyAreRejected() {
        GgufTokenizer t = TestVocabulary.bytesOnly().build();
        assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {256}));
        assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {-1}));
        assertThrows(IllegalArgumentException.class, () -> t.piece(256));
        assertThrows(IllegalArgumentException.class, () -> t.newDecoder().append(256));
    }

    @Test
    void providerIsRegisteredAsAService() {
        assertTrue(ServiceLoader.load(TokenizerProvider.class).stream()
                .anyMatch(p -> p.type() == GgufTokenizerProvider.class));
    }

    private static boolean contains(int[] ids, int id) {
        for (int i : ids) if (i == id) return true;
        return false;
    }
}
