package org.qwen4j.core.tokenizer;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import org.qwen4j.ModelFormatException;
import org.qwen4j.Tokenizer;
import org.qwen4j.spi.Metadata;
import org.qwen4j.spi.ModelSource;
import org.qwen4j.spi.TokenizerProvider;

/**
 * Builds a {@link GgufTokenizer} from the {@code tokenizer.ggml.*} metadata of a model source
 * whose tokenizer is byte-level BPE ({@code tokenizer.ggml.model = gpt2}).
 */
public final class GgufTokenizerProvider implements TokenizerProvider {

    @Override
    public String name() {
        return "gguf-bpe";
    }

    @Override
    public boolean supports(ModelSource source) {
        return TokenizerMetadataKeys.BYTE_LEVEL_BPE_MODEL.equals(source.metadata().get(TokenizerMetadataKeys.MODEL));
    }

    @Override
    public Tokenizer create(ModelSource source) {
        return create(source.path(), source.metadata());
    }

    /** Builds the tokenizer from metadata alone; {@code file} is named in error messages. */
    public GgufTokenizer create(Path file, Metadata metadata) {
        String model = metadata.getString(TokenizerMetadataKeys.MODEL);
        if (!TokenizerMetadataKeys.BYTE_LEVEL_BPE_MODEL.equals(model)) {
            throw new ModelFormatException(file, TokenizerMetadataKeys.MODEL, "tokenizer \"" + model
                    + "\" is not byte-level BPE (\"" + TokenizerMetadataKeys.BYTE_LEVEL_BPE_MODEL + "\")");
        }
        String[] tokens = metadata.getStringArray(TokenizerMetadataKeys.TOKENS);
        if (tokens.length == 0) throw new ModelFormatException(file, TokenizerMetadataKeys.TOKENS, "the vocabulary is empty");
        int[] types = metadata.has(TokenizerMetadataKeys.TOKEN_TYPE)
                ? toTypeCodes(metadata.getLongArray(TokenizerMetadataKeys.TOKEN_TYPE)) : null;
        String[] merges = metadata.getStringArray(TokenizerMetadataKeys.MERGES);
        String pre = metadata.getString(TokenizerMetadataKeys.PRE, null);

        Map<SpecialTokenRole, Integer> ids = new EnumMap<>(SpecialTokenRole.class);
        int maxId = tokens.length - 1;
        for (SpecialTokenRole role : SpecialTokenRole.values()) {
            String key = role.deprecatedKey() != null && metadata.has(role.deprecatedKey())
                    ? role.deprecatedKey() : role.metadataKey();
            if (metadata.has(key)) ids.put(role, metadata.getInt(key, 0, maxId));
        }
        return new GgufTokenizer(file, tokens, types, merges, pre, ids);
    }

    /** Codes outside int range map to -1, which the vocabulary then rejects as an unknown kind. */
    private static int[] toTypeCodes(long[] codes) {
        int[] out = new int[codes.length];
        for (int i = 0; i < codes.length; i++) {
            long c = codes[i];
            out[i] = c >= Integer.MIN_VALUE && c <= Integer.MAX_VALUE ? (int) c : -1;
        }
        return out;
    }
}
