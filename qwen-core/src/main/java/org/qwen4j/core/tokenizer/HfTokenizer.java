package org.qwen4j.core.tokenizer;

import java.text.Normalizer;
import java.util.BitSet;
import java.util.Objects;
import org.qwen4j.TextDecoder;
import org.qwen4j.Tokenizer;

/**
 * The tokenizer of a Hugging Face {@code tokenizer.json} (byte-level BPE with a Qwen pre-tokenizer),
 * giving the ids the Hugging Face {@code tokenizers} library gives:
 *
 * <ol>
 *   <li>added tokens marked {@code normalized: false} (all of Qwen's) are found in the raw text
 *       ({@link AddedTokenMatcher}: leftmost-longest, with {@code lstrip}, {@code rstrip} and
 *       {@code single_word});</li>
 *   <li>the text between them is normalized (Qwen: NFC), then searched for the added tokens marked
 *       {@code normalized: true};</li>
 *   <li>what remains is split into words and merged exactly as by {@link GgufTokenizer}, whose
 *       vocabulary, merges, pre-tokenizer and decoding it shares.</li>
 * </ol>
 *
 * The NFC step is the one place where it differs from llama.cpp on the same vocabulary: llama.cpp
 * does not normalize, so decomposed accents ({@code e\u0301}) tokenize differently there (see the
 * tokenizer README). Added tokens marked {@code special} are control tokens, matched only with
 * {@code parseSpecial} (Hugging Face matches them always unless {@code split_special_tokens}); the
 * other added tokens are matched always, as both libraries do. Tokens llama.cpp merely promotes to
 * control tokens by their text (such as the ordinary piece {@code </s>}) stay ordinary text here, as
 * in Hugging Face. End of generation: llama.cpp's set (see {@link GgufTokenizer}) plus every id of
 * {@code generation_config.json}'s {@code eos_token_id}.
 *
 * <p>The contraction group of the Qwen regex, {@code (?i:'s|'t|…)}, is matched ASCII-case-insensitively
 * (llama.cpp's reading); Hugging Face folds case by Unicode rules, under which only U+017F (long s)
 * also folds onto one of those letters, so the two differ only on {@code 'ſ}.
 *
 * <p>Immutable and thread-safe.
 */
public final class HfTokenizer implements Tokenizer {
    private final GgufTokenizer base;
    private final Normalizer.Form normalization;
    private final AddedTokenMatcher rawTokens;
    private final AddedTokenMatcher normalizedTokens;
    private final BitSet generationEos;

    /**
     * @param base             the vocabulary, merges and pre-tokenizer, as GGUF metadata describes them
     * @param normalization    the Unicode normalization of text outside added tokens, or null for none
     * @param rawTokens        the added tokens matched in the raw text
     * @param normalizedTokens the added tokens matched in normalized text (their contents normalized)
     * @param generationEos    ids that end a generation besides those {@code base} knows
     */
    HfTokenizer(GgufTokenizer base, Normalizer.Form normalization, AddedTokenMatcher rawTokens,
                AddedTokenMatcher normalizedTokens, BitSet generationEos) {
        this.base = base;
        this.normalization = normalization;
        this.rawTokens = rawTokens;
        this.normalizedTokens = normalizedTokens;
        this.generationEos = (BitSet) generationEos.clone();
    }

    @Override
    public int[] encode(String text, boolean parseSpecial) {
        Objects.requireNonNull(text, "text");
        IntList out = new IntList(text.length() / 3 + 8);
        rawTokens.split(text, parseSpecial, new AddedTokenMatcher.Sink() {
            @Override
            public void text(int start, int end) {
                encodeBetweenRawTokens(text.substring(start, end), parseSpecial, out);
            }

            @Override
            public void token(int id) {
                out.add(id);
            }
        });
        return out.toArray();
    }

    private void encodeBetweenRawTokens(String piece, boolean parseSpecial, IntList out) {
        String normalized = normalization == null ? piece : Normalizer.normalize(piece, normalization);
        if (normalizedTokens.isEmpty()) {
            base.encodeOrdinaryText(normalized, 0, normalized.length(), out);
            return;
        }
        normalizedTokens.split(normalized, parseSpecial, new AddedTokenMatcher.Sink() {
            @Override
            public void text(int start, int end) {
                base.encodeOrdinaryText(normalized, start, end, out);
            }

            @Override
            public void token(int id) {
                out.add(id);
            }
        });
    }

    @Override
    public String decode(int[] ids) {
        return base.decode(ids);
    }

    @Override
    public TextDecoder newDecoder() {
        return base.newDecoder();
    }

    @Override
    public int vocabularySize() {
        return base.vocabularySize();
    }

    @Override
    public String piece(int id) {
        return base.piece(id);
    }

    @Override
    public int idOf(String piece) {
        return base.idOf(piece);
    }

    @Override
    public boolean isSpecial(int id) {
        return base.isSpecial(id);
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return base.isEndOfGeneration(id) || (id >= 0 && generationEos.get(id));
    }

    @Override
    public int eosId() {
        return base.eosId();
    }

    /** The beginning-of-sequence id, or -1. */
    public int bosId() {
        return base.bosId();
    }

    /** All ids that end a generation, ascending. */
    public int[] endOfGenerationIds() {
        BitSet all = (BitSet) generationEos.clone();
        for (int id : base.endOfGenerationIds()) all.set(id);
        return all.stream().toArray();
    }

    /** The Unicode normalization applied to text outside added tokens, or null for none. */
    public Normalizer.Form normalization() {
        return normalization;
    }
}
