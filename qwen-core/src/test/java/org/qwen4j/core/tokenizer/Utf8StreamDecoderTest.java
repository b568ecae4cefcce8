package org.qwen4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.qwen4j.TextDecoder;

/** Streaming decode: never half a character, never a character twice, and the same text as decoding at once. */
class Utf8StreamDecoderTest {
    private final GgufTokenizer bytes = TestVocabulary.bytesOnly().build();

    /** Appends each id and records what each append returned. */
    private static List<String> stream(TextDecoder decoder, int... ids) {
        List<String> out = new ArrayList<>();
        for (int id : ids) out.add(decoder.append(id));
        return out;
    }

    @Test
    void emojiSplitOverByteTokensIsEmittedWholeOnce() {
        int[] ids = byteIds("😀".getBytes(StandardCharsets.UTF_8)); // F0 9F 98 80, one token per byte
        TextDecoder d = bytes.newDecoder();
        assertEquals(List.of("", "", "", "😀"), stream(d, ids));
        assertEquals("", d.flush());
    }

    @Test
    void textBeforeAnUnfinishedCharacterIsEmittedAtOnce() {
        // "að" is the piece for the bytes 61 F0: an 'a' and the first byte of an emoji.
        TestVocabulary v = TestVocabulary.bytesOnly().merge("a", "ð");
        TextDecoder d = v.build().newDecoder();
        assertEquals(List.of("a", "", "", "😀"), stream(d, v.id("að"), 0x9F, 0x98, 0x80));
    }

    @Test
    void flushReplacesAnUnfinishedCharacter() {
        TextDecoder d = bytes.newDecoder();
        assertEquals(List.of("", ""), stream(d, 0xF0, 0x9F));
        assertEquals("\uFFFD", d.flush());
        assertEquals("", d.flush());
    }

    @Test
    void bytesThatCanNeverFormACharacterAreNotHeldBack() {
        TextDecoder d = bytes.newDecoder();
        assertEquals(List.of("\uFFFD", "\uFFFD", "a"), stream(d, 0xFF, 0x80, 'a'));
        assertEquals("", d.flush());
    }

    @Test
    void leadByteFollowedByAnImpossibleSecondByteIsNotHeldBack() {
        // E0 must be followed by A0..BF; E0 80 can never become a character.
        TextDecoder d = bytes.newDecoder();
        assertEquals("", d.append(0xE0));
        assertEquals("\uFFFD\uFFFD", d.append(0x80));
    }

    @Test
    void streamingQwenVocabularyTextsNeverSplitsACharacterAndGivesTheWholeText() {
        // These texts hold emoji and CJK characters that the Qwen vocabulary spells with several tokens.
        GgufTokenizer t = TokenizerFixtures.tokenizer(TokenizerFixtures.QWEN2_VOCAB);
        for (String text : TokenizerFixtures.vocabTestTexts(TokenizerFixtures.QWEN2_VOCAB + ".inp")) {
            TextDecoder d = t.newDecoder();
            StringBuilder sb = new StringBuilder();
            for (int id : t.encode(text)) {
                String chunk = d.append(id);
                assertFalse(chunk.contains("\uFFFD"), () -> "half a character emitted for " + Vocabulary.quote(text));
                sb.append(chunk);
            }
            sb.append(d.flush());
            assertEquals(text, sb.toString());
        }
    }

    private static int[] byteIds(byte... utf8) {
        int[] ids = new int[utf8.length];
        for (int i = 0; i < ids.length; i++) ids[i] = TestVocabulary.byteId(utf8[i]);
        return ids;
    }

}
