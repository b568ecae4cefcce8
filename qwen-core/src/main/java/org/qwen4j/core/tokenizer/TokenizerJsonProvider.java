package org.qwen4j.core.tokenizer;

import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.qwen4j.ModelFormatException;
import org.qwen4j.Tokenizer;
import org.qwen4j.spi.Metadata;
import org.qwen4j.spi.ModelSource;
import org.qwen4j.spi.TokenizerProvider;

/**
 * Builds an {@link HfTokenizer} for a model source whose tokenizer came from a Hugging Face
 * {@code tokenizer.json}: the checkpoint-folder format writes it as GGUF's {@code tokenizer.ggml.*}
 * keys plus the {@link HfTokenizerMetadataKeys}, whose {@code tokenizer.hf.normalizer} marks such a
 * source. It outranks {@link GgufTokenizerProvider}, which would read the same keys the way llama.cpp
 * reads a converted GGUF file (no normalization, llama.cpp's added-token rules).
 */
public final class TokenizerJsonProvider implements TokenizerProvider {

    @Override
    public String name() {
        return "tokenizer.json";
    }

    @Override
    public int priority() {
        return 10;
    }

    @Override
    public boolean supports(ModelSource source) {
        Metadata md = source.metadata();
        return md.has(HfTokenizerMetadataKeys.NORMALIZER)
                && TokenizerMetadataKeys.BYTE_LEVEL_BPE_MODEL.equals(md.get(TokenizerMetadataKeys.MODEL));
    }

    @Override
    public Tokenizer create(ModelSource source) {
        return create(source.path(), source.metadata());
    }

    /** Builds the tokenizer from metadata alone; {@code file} is named in error messages. */
    public HfTokenizer create(Path file, Metadata metadata) {
        GgufTokenizer base = new GgufTokenizerProvider().create(file, metadata);
        Normalizer.Form form = normalization(file, metadata.getString(HfTokenizerMetadataKeys.NORMALIZER));
        Set<Integer> lstrip = ids(file, metadata, HfTokenizerMetadataKeys.LSTRIP_IDS, base, true);
        Set<Integer> rstrip = ids(file, metadata, HfTokenizerMetadataKeys.RSTRIP_IDS, base, true);
        Set<Integer> singleWord = ids(file, metadata, HfTokenizerMetadataKeys.SINGLE_WORD_IDS, base, true);
        Set<Integer> normalized = ids(file, metadata, HfTokenizerMetadataKeys.NORMALIZED_IDS, base, true);

        List<AddedTokenMatcher.AddedToken> raw = new ArrayList<>();
        List<AddedTokenMatcher.AddedToken> afterNormalization = new ArrayList<>();
        for (int id = 0; id < base.vocabularySize(); id++) {
            TokenType type = base.declaredType(id);
            if (!isAdded(type)) continue;
            boolean isNormalized = normalized.contains(id);
            String content = base.piece(id);
            if (isNormalized && form != null) content = Normalizer.normalize(content, form);
            if (content.isEmpty()) continue;
            var token = new AddedTokenMatcher.AddedToken(id, content, type == TokenType.CONTROL,
                    lstrip.contains(id), rstrip.contains(id), singleWord.contains(id));
            (isNormalized ? afterNormalization : raw).add(token);
        }
        BitSet eos = new BitSet();
        for (int id : ids(file, metadata, HfTokenizerMetadataKeys.GENERATION_EOS_IDS, base, false)) eos.set(id);
        return new HfTokenizer(base, form, new AddedTokenMatcher(raw), new AddedTokenMatcher(afterNormalization), eos);
    }

    /** Hugging Face's added tokens, as the checkpoint reader declares them: special ones CONTROL, others USER_DEFINED. */
    private static boolean isAdded(TokenType type) {
        return type == TokenType.CONTROL || type == TokenType.USER_DEFINED;
    }

    private static Normalizer.Form normalization(Path file, String name) {
        return switch (name) {
            case "NFC" -> Normalizer.Form.NFC;
            case "NFD" -> Normalizer.Form.NFD;
            case "NFKC" -> Normalizer.Form.NFKC;
            case "NFKD" -> Normalizer.Form.NFKD;
            case HfTokenizerMetadataKeys.NO_NORMALIZER -> null;
            default -> throw new ModelFormatException(file, HfTokenizerMetadataKeys.NORMALIZER, "normalizer \""
                    + name + "\" is not one of NFC, NFD, NFKC, NFKD, " + HfTokenizerMetadataKeys.NO_NORMALIZER);
        };
    }

    /** An optional list of token ids; with {@code addedOnly}, each must be an added token. */
    private static Set<Integer> ids(Path file, Metadata md, String key, GgufTokenizer base, boolean addedOnly) {
        if (!md.has(key)) return Set.of();
        Set<Integer> out = new HashSet<>();
        for (long id : md.getLongArray(key)) {
            if (id < 0 || id >= base.vocabularySize()) {
                throw new ModelFormatException(file, key, "token id " + id + " is outside the vocabulary [0, "
                        + base.vocabularySize() + ")");
            }
            if (addedOnly && !isAdded(base.declaredType((int) id))) {
                throw new ModelFormatException(file, key, "token " + id + " is not an added token");
            }
            out.add((int) id);
        }
        return out;
    }
}
