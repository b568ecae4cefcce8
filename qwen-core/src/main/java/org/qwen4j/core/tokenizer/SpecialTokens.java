package org.qwen4j.core.tokenizer;

import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Which tokens have a special role, which ones end a generation, and the token kinds that result,
 * decided as llama.cpp's vocabulary loader decides them:
 *
 * <ul>
 *   <li>a role the file does not name is given to a token found by its text (for Qwen: end of turn
 *       to {@code <|im_end|>} or {@code <|endoftext|>}, the fill-in-the-middle roles to
 *       {@code <|fim_prefix|>} … {@code <|file_sep|>}); where several texts are present the lowest
 *       id is taken (llama.cpp takes whichever its hash map yields first);</li>
 *   <li>end of generation: the EOS, EOT and EOM tokens, the FIM pad, repository and file-separator
 *       tokens, and every token whose text is one of llama.cpp's end-of-generation texts
 *       ({@link #END_OF_GENERATION_TEXTS}), which for the Qwen vocabulary includes the ordinary
 *       piece {@code </s>};</li>
 *   <li>every token given a role by its text, and every end-of-generation token found by its text,
 *       becomes a CONTROL token whatever the file declares. In Qwen files this turns the
 *       user-defined {@code <|fim_…|>}, {@code <|repo_name|>} and {@code <|file_sep|>} tokens, and
 *       {@code </s>}, into control tokens: matched in text only when special tokens are parsed.</li>
 * </ul>
 *
 * llama.cpp also has exceptions for vocabularies of other families (it drops {@code <|end|>} from
 * the end-of-generation set when {@code <|return|>} and {@code <|call|>} exist, and {@code </s>}
 * when {@code <|tool_response>} exists); no Qwen vocabulary has those tokens, so they are left out.
 */
final class SpecialTokens {
    /** llama.cpp's list of texts that end a generation, whatever the file says about them. */
    static final List<String> END_OF_GENERATION_TEXTS = List.of(
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
            "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
            "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
            "<｜end▁of▁sentence｜>", "[e~[");

    private final Map<SpecialTokenRole, Integer> roles;
    private final BitSet endOfGeneration;
    private final TokenType[] types;

    private SpecialTokens(Map<SpecialTokenRole, Integer> roles, BitSet endOfGeneration, TokenType[] types) {
        this.roles = Collections.unmodifiableMap(roles);
        this.endOfGeneration = endOfGeneration;
        this.types = types;
    }

    /**
     * @param declared role ids the file names; each must be a valid id of {@code vocabulary}
     */
    static SpecialTokens resolve(Vocabulary vocabulary, Map<SpecialTokenRole, Integer> declared) {
        TokenType[] types = vocabulary.declaredTypes();
        Map<SpecialTokenRole, Integer> roles = new EnumMap<>(SpecialTokenRole.class);
        roles.putAll(declared);
        for (SpecialTokenRole role : SpecialTokenRole.values()) {
            if (roles.containsKey(role) || role.detectedBy().isEmpty()) continue;
            int found = -1;
            for (String text : role.detectedBy()) {
                int id = vocabulary.idOf(text);
                if (id >= 0 && (found < 0 || id < found)) found = id;
            }
            if (found >= 0) {
                roles.put(role, found);
                types[found] = TokenType.CONTROL;
            }
        }

        BitSet eog = new BitSet(vocabulary.size());
        for (SpecialTokenRole role : List.of(SpecialTokenRole.FIM_PAD, SpecialTokenRole.FIM_REPO,
                SpecialTokenRole.FIM_SEPARATOR, SpecialTokenRole.EOS, SpecialTokenRole.EOT, SpecialTokenRole.EOM)) {
            Integer id = roles.get(role);
            if (id != null) eog.set(id);
        }
        for (String text : END_OF_GENERATION_TEXTS) {
            int id = vocabulary.idOf(text);
            if (id >= 0) {
                eog.set(id);
                types[id] = TokenType.CONTROL;
            }
        }
        return new SpecialTokens(roles, eog, types);
    }

    /** The token with this role, or -1. */
    int id(SpecialTokenRole role) {
        Integer id = roles.get(role);
        return id == null ? -1 : id;
    }

    boolean isEndOfGeneration(int id) {
        return id >= 0 && endOfGeneration.get(id);
    }

    /** The end-of-generation ids, ascending. */
    int[] endOfGenerationIds() {
        return endOfGeneration.stream().toArray();
    }

    /** The kinds that tokenization and decoding use: the declared ones with the promotions above. */
    TokenType[] types() {
        return Arrays.copyOf(types, types.length);
    }
}
