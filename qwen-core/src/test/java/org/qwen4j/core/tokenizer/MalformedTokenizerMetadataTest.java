package org.qwen4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.qwen4j.ModelFormatException;
import org.qwen4j.spi.Metadata;

/** Tokenizer metadata that is missing, mistyped or inconsistent fails with an exception naming the file and key. */
class MalformedTokenizerMetadataTest {
    private static final Path FILE = Path.of("/models/broken.gguf");
    private final GgufTokenizerProvider provider = new GgufTokenizerProvider();

    /** A valid small vocabulary: the 256 bytes, "ab", and the two chat control tokens. */
    private static Map<String, Object> valid() {
        TestVocabulary v = TestVocabulary.bytesOnly().merge("a", "b")
                .token("<|im_start|>", TokenType.CONTROL).token("<|im_end|>", TokenType.CONTROL);
        Map<String, Object> kv = new LinkedHashMap<>();
        kv.put(TokenizerMetadataKeys.MODEL, "gpt2");
        kv.put(TokenizerMetadataKeys.PRE, "qwen2");
        kv.put(TokenizerMetadataKeys.TOKENS, v.tokens());
        kv.put(TokenizerMetadataKeys.TOKEN_TYPE, v.typeCodes());
        kv.put(TokenizerMetadataKeys.MERGES, v.merges());
        kv.put(SpecialTokenRole.EOS.metadataKey(), (long) v.id("<|im_end|>"));
        return kv;
    }

    private ModelFormatException failure(Map<String, Object> kv) {
        return assertThrows(ModelFormatException.class, () -> provider.create(FILE, new Metadata(FILE, kv)));
    }

    private static void assertNames(String key, ModelFormatException e) {
        assertEquals(FILE, e.file());
        assertEquals(key, e.field());
        assertTrue(e.getMessage().contains(FILE.toString()) && e.getMessage().contains(key), e.getMessage());
    }

    @Test
    void validMetadataBuildsATokenizer() {
        GgufTokenizer t = provider.create(FILE, new Metadata(FILE, valid()));
        assertEquals(259, t.vocabularySize());
        assertEquals(258, t.eosId());
    }

    @Test
    void missingVocabularyIsReported() {
        Map<String, Object> kv = valid();
        kv.remove(TokenizerMetadataKeys.TOKENS);
        assertNames(TokenizerMetadataKeys.TOKENS, failure(kv));
    }

    @Test
    void vocabularyOfTheWrongTypeIsReported() {
        Map<String, Object> kv = valid();
        kv.put(TokenizerMetadataKeys.TOKENS, new long[] {1, 2, 3});
        assertNames(TokenizerMetadataKeys.TOKENS, failure(kv));
    }

    @Test
    void emptyVocabularyIsReported() {
        Map<String, Object> kv = valid();
        kv.put(TokenizerMetadataKeys.TOKENS, new String[0]);
        kv.remove(SpecialTokenRole.EOS.metadataKey());
        assertNames(TokenizerMetadataKeys.TOKENS, failure(kv));
    }

    @Test
    void duplicateTokenIsReported() {
        Map<String, Object> kv = valid();
        String[] tokens = ((String[]) kv.get(TokenizerMetadataKeys.TOKENS)).clone();
        tokens[257] = "a";
        kv.put(TokenizerMetadataKeys.TOKENS, tokens);
        assertNames(TokenizerMetadataKeys.TOKENS, failure(kv));
    }

    @Test
    void tokenTypesOfTheWrongLengthAreReported() {
        Map<String, Object> kv = valid();
        long[] types = (long[]) kv.get(TokenizerMetadataKeys.TOKEN_TYPE);
        kv.put(TokenizerMetadataKeys.TOKEN_TYPE, Arrays.copyOf(types, types.length - 1));
        assertNames(TokenizerMetadataKeys.TOKEN_TYPE, failure(kv));
    }

    @Test
    void tokenTypesOfTheWrongTypeAreReported() {
        Map<String, Object> kv = valid();
        kv.put(TokenizerMetadataKeys.TOKEN_TYPE, new String[] {"normal"});
        assertNames(TokenizerMetadataKeys.TOKEN_TYPE, failure(kv));
    }

    @Test
    void unknownTokenTypeCodeIsReported() {
        Map<String, Object> kv = valid();
        long[] types = ((long[]) kv.get(TokenizerMetadataKeys.TOKEN_TYPE)).clone();
        types[7] = 9;
        kv.put(TokenizerMetadataKeys.TOKEN_TYPE, types);
        assertNames(TokenizerMetadataKeys.TOKEN_TYPE, failure(kv));
    }

    @Test
    void missingTokenTypesMeanAllNormal() {
        Map<String, Object> kv = valid();
        kv.remove(TokenizerMetadataKeys.TOKEN_TYPE);
        GgufTokenizer t = provider.create(FILE, new Metadata(FILE, kv));
        assertEquals(TokenType.NORMAL, t.tokenType(257));
    }

    @Test
    void missingMergesAreReported() {
        Map<String, Object> kv = valid();
        kv.remove(TokenizerMetadataKeys.MERGES);
        assertNames(TokenizerMetadataKeys.MERGES, failure(kv));
    }

    @Test
    void mergeOfAnUnknownTokenIsReported() {
        Map<String, Object> kv = valid();
        kv.put(TokenizerMetadataKeys.MERGES, new String[] {"a b", "ab zz"});
        ModelFormatException e = failure(kv);
        assertNames(TokenizerMetadataKeys.MERGES, e);
        assertTrue(e.getMessage().contains("#1") && e.getMessage().contains("\"zz\""), e.getMessage());
    }

    @Test
    void mergeWhoseResultIsNotATokenIsReported() {
        Map<String, Object> kv = valid();
        kv.put(TokenizerMetadataKeys.MERGES, new String[] {"a c"});
        assertNames(TokenizerMetadataKeys.MERGES, failure(kv));
    }

    @Test
    void mergeWithoutASpaceIsReported() {
        Map<String, Object> kv = valid();
        kv.put(TokenizerMetadataKeys.MERGES, new String[] {"ab"});
        assertNames(TokenizerMetadataKeys.MERGES, failure(kv));
    }

    @Test
    void unknownPreTokenizerIsReported() {
        Map<String, Object> kv = valid();
        kv.put(TokenizerMetadataKeys.PRE, "llama-bpe");
        ModelFormatException e = failure(kv);
        assertNames(TokenizerMetadataKeys.PRE, e);
        assertTrue(e.getMessage().contains("llama-bpe"), e.getMessage());
    }

    @Test
    void missingPreTokenizerIsReported() {
        Map<String, Object> kv = valid();
        kv.remove(TokenizerMetadataKeys.PRE);
        assertNames(TokenizerMetadataKeys.PRE, failure(kv));
    }

    @Test
    void specialTokenIdOutsideTheVocabularyIsReported() {
        Map<String, Object> kv = valid();
        kv.put(SpecialTokenRole.EOS.metadataKey(), 259L);
        assertNames(SpecialTokenRole.EOS.metadataKey(), failure(kv));
    }

    @Test
    void specialTokenIdOfTheWrongTypeIsReported() {
        Map<String, Object> kv = valid();
        kv.put(SpecialTokenRole.BOS.metadataKey(), "<|im_start|>");
        assertNames(SpecialTokenRole.BOS.metadataKey(), failure(kv));
    }

    @Test
    void tokenizerOtherThanByteLevelBpeIsNotSupportedAndReported() {
        Map<String, Object> kv = valid();
        kv.put(TokenizerMetadataKeys.MODEL, "llama");
        assertNames(TokenizerMetadataKeys.MODEL, failure(kv));
    }

    @Test
    void supportsOnlySourcesWithByteLevelBpe() {
        assertTrue(provider.supports(new MetadataOnlySource(FILE, new Metadata(FILE, valid()))));
        Map<String, Object> spm = valid();
        spm.put(TokenizerMetadataKeys.MODEL, "llama");
        assertFalse(provider.supports(new MetadataOnlySource(FILE, new Metadata(FILE, spm))));
        assertFalse(provider.supports(new MetadataOnlySource(FILE, new Metadata(FILE, Map.of()))));
    }

    @Test
    void createThroughTheSpiNamesTheSourceFile() {
        Map<String, Object> kv = valid();
        kv.remove(TokenizerMetadataKeys.MERGES);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> provider.create(new MetadataOnlySource(FILE, new Metadata(FILE, kv))));
        assertNames(TokenizerMetadataKeys.MERGES, e);
        assertInstanceOf(GgufTokenizer.class, provider.create(new MetadataOnlySource(FILE, new Metadata(FILE, valid()))));
    }
}
