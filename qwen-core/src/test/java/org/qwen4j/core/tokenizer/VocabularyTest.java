package org.qwen4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The reverse map's look-ups by part of a string, which the merge table is built with. */
class VocabularyTest {
    // "Aa" and "BB" have the same String.hashCode, so the table must tell them apart by content.
    private final Vocabulary vocabulary = new Vocabulary(null, new String[] {"a", "Aa", "BB", "AaBB", "BBAa", "ĠAa"}, null);

    @Test
    void aRangeFindsTheIdOfThatSubstring() {
        String line = "xBBy";
        assertEquals(2, vocabulary.idOf(line, 1, 3, Vocabulary.hash(line, 1, 3)));
        assertEquals(1, vocabulary.idOf("Aa", 0, 2, Vocabulary.hash("Aa", 0, 2)));
    }

    @Test
    void aRangeThatIsNoEntryFindsNothing() {
        String line = "xBBy";
        assertEquals(-1, vocabulary.idOf(line, 0, 3, Vocabulary.hash(line, 0, 3)));
        assertEquals(-1, vocabulary.idOf(line, 1, 1, Vocabulary.hash(line, 1, 1)));
    }

    @Test
    void twoRangesFindTheIdOfTheirConcatenation() {
        String merge = "BB Aa";
        int hash = Vocabulary.joinedHash(Vocabulary.hash(merge, 0, 2), Vocabulary.hash(merge, 3, 5), 2);
        assertEquals(4, vocabulary.idOfJoined(merge, 0, 2, 3, 5, hash));
        String reversed = "Aa BB";
        int hash2 = Vocabulary.joinedHash(Vocabulary.hash(reversed, 0, 2), Vocabulary.hash(reversed, 3, 5), 2);
        assertEquals(3, vocabulary.idOfJoined(reversed, 0, 2, 3, 5, hash2));
    }

    @Test
    void theJoinedHashIsTheHashOfTheConcatenation() {
        String left = "Ġwor";
        String right = "ld€𝄞";
        assertEquals((left + right).hashCode(),
                Vocabulary.joinedHash(left.hashCode(), right.hashCode(), right.length()));
        assertEquals(left.hashCode(), Vocabulary.hash("x" + left + "y", 1, 1 + left.length()));
    }

    @Test
    void wholeStringsAreFoundByContentAmongEqualHashes() {
        assertEquals(1, vocabulary.idOf("Aa"));
        assertEquals(2, vocabulary.idOf("BB"));
        assertEquals(-1, vocabulary.idOf("C#"));
    }
}
