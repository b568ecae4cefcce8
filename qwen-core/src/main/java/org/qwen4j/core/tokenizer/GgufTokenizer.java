package org.qwen4j.core.tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import org.qwen4j.ModelFormatException;
import org.qwen4j.TextDecoder;
import org.qwen4j.Tokenizer;

/**
 * The byte-level BPE tokenizer of a GGUF file ({@code tokenizer.ggml.model = gpt2}) with a Qwen
 * pre-tokenizer, giving the same ids as llama.cpp for the same file and text:
 *
 * <ol>
 *   <li>special-token text is cut out first ({@link SpecialTokenSplitter}); added (user-defined)
 *       tokens always, control tokens only with {@code parseSpecial};</li>
 *   <li>each remaining stretch of text is split into words by the {@code tokenizer.ggml.pre} rule
 *       ({@link QwenPreTokenizer});</li>
 *   <li>each word's UTF-8 bytes are merged by rank ({@link BytePairEncoder}).</li>
 * </ol>
 *
 * No Unicode normalization is applied (llama.cpp applies none to GGUF vocabularies; Hugging Face
 * applies NFC to Qwen's {@code tokenizer.json}, so decomposed accents can tokenize differently
 * there). {@link #encode} never adds a BOS token: Qwen files set {@code tokenizer.ggml.add_bos_token}
 * false, and a caller that wants one prepends {@link #bosId()}.
 *
 * <p>Immutable and thread-safe.
 */
public final class GgufTokenizer implements Tokenizer {
    private final Vocabulary vocabulary;
    private final TokenType[] types;
    private final SpecialTokens specialTokens;
    private final SpecialTokenSplitter splitter;
    private final PreTokenizer preTokenizer;
    private final BytePairEncoder encoder;
    private final TokenPieces pieces;

    /**
     * Builds a tokenizer from the values of a GGUF file's tokenizer keys.
     *
     * @param file          the file they come from, named in error messages; may be null
     * @param tokens        {@code tokenizer.ggml.tokens}
     * @param tokenTypes    {@code tokenizer.ggml.token_type} ({@link TokenType} codes), or null when absent
     * @param merges        {@code tokenizer.ggml.merges}, {@code "left right"} in priority order
     * @param preTokenizer  {@code tokenizer.ggml.pre}, e.g. {@code qwen2}; null when absent
     * @param specialIds    the special-token ids the file names (may be empty)
     * @throws ModelFormatException naming the file and key when any of these is malformed
     */
    public GgufTokenizer(Path file, String[] tokens, int[] tokenTypes, String[] merges, String preTokenizer,
            Map<SpecialTokenRole, Integer> specialIds) {
        this.vocabulary = new Vocabulary(file, tokens, tokenTypes);
        this.preTokenizer = preTokenizerFor(file, preTokenizer);
        for (Map.Entry<SpecialTokenRole, Integer> e : specialIds.entrySet()) {
            int id = e.getValue();
            if (id < 0 || id >= vocabulary.size()) {
                throw new ModelFormatException(file, e.getKey().metadataKey(), "token id " + id
                        + " is outside the vocabulary [0, " + vocabulary.size() + ")");
            }
        }
        this.specialTokens = SpecialTokens.resolve(vocabulary, specialIds);
        this.types = specialTokens.types();
        this.splitter = new SpecialTokenSplitter(vocabulary.texts(), types);
        this.encoder = new BytePairEncoder(symbolsOfBytes(vocabulary), mergeRanks(file, vocabulary, merges));
        this.pieces = new TokenPieces(file, vocabulary.texts(), types);
    }

    private static PreTokenizer preTokenizerFor(Path file, String name) {
        if (name == null) {
            throw new ModelFormatException(file, TokenizerMetadataKeys.PRE, "is missing; llama.cpp then falls back"
                    + " to a generic pre-tokenizer with degraded output, which qwen4j does not reproduce");
        }
        PreTokenizer p = QwenPreTokenizer.forName(name);
        if (p == null) {
            throw new ModelFormatException(file, TokenizerMetadataKeys.PRE, "pre-tokenizer \"" + name
                    + "\" is not supported (known: qwen2, qwen35, deepseek-r1-qwen)");
        }
        return p;
    }

    /** The id of each byte's one-character piece; the vocabulary of a byte-level BPE model has all 256. */
    private static int[] symbolsOfBytes(Vocabulary vocabulary) {
        int[] ids = new int[256];
        for (int b = 0; b < 256; b++) ids[b] = vocabulary.idOf(String.valueOf(ByteLevelAlphabet.charOf(b)));
        return ids;
    }

    private static MergeRanks mergeRanks(Path file, Vocabulary vocabulary, String[] merges) {
        if (merges == null) throw new ModelFormatException(file, TokenizerMetadataKeys.MERGES, "is missing");
        if (vocabulary.size() > MergeRanks.MAX_ID + 1 || merges.length > MergeRanks.MAX_ID + 1) {
            throw new ModelFormatException(file, vocabulary.size() > MergeRanks.MAX_ID + 1 ? TokenizerMetadataKeys.TOKENS
                    : TokenizerMetadataKeys.MERGES, "more than " + (MergeRanks.MAX_ID + 1) + " entries are not supported");
        }
        MergeRanks ranks = new MergeRanks(merges.length, vocabulary.size());
        for (int rank = 0; rank < merges.length; rank++) {
            String merge = merges[rank];
            // llama.cpp splits at the first space after the first character.
            int space = merge == null ? -1 : merge.indexOf(' ', 1);
            if (space < 0) {
                throw new ModelFormatException(file, TokenizerMetadataKeys.MERGES, "merge #" + rank + " "
                        + (merge == null ? "is null" : Vocabulary.quote(merge) + " is not two pieces separated by a space"));
            }
            int end = merge.length();
            int leftHash = Vocabulary.hash(merge, 0, space);
            int rightHash = Vocabulary.hash(merge, space + 1, end);
            int leftId = vocabulary.idOf(merge, 0, space, leftHash);
            int rightId = vocabulary.idOf(merge, space + 1, end, rightHash);
            int mergedId = vocabulary.idOfJoined(merge, 0, space, space + 1, end,
                    Vocabulary.joinedHash(leftHash, rightHash, end - space - 1));
            if (leftId < 0 || rightId < 0 || mergedId < 0) {
                String left = merge.substring(0, space);
                String right = merge.substring(space + 1);
                String unknown = leftId < 0 ? left : rightId < 0 ? right : left.concat(right);
                throw new ModelFormatException(file, TokenizerMetadataKeys.MERGES, "merge #" + rank + " "
                        + Vocabulary.quote(merge) + " needs " + Vocabulary.quote(unknown) + ", which is not in the vocabulary");
            }
            ranks.add(leftId, rightId, rank, mergedId);
        }
        return ranks;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Added tokens of kind USER_DEFINED (Qwen's {@code <tool_call>}, {@code <think>} …) are
     * matched whether or not {@code parseSpecial} is set, as llama.cpp does; control tokens
     * ({@code <|im_start|>} …) only when it is.
     */
    @Override
    public int[] encode(String text, boolean parseSpecial) {
        Objects.requireNonNull(text, "text");
        IntList fragments = splitter.split(text, parseSpecial);
        IntList out = new IntList(text.length() / 3 + 8);
        for (int f = 0; f < fragments.size(); f += 3) {
            int id = fragments.get(f + 2);
            if (id >= 0) out.add(id);
            else encodeOrdinaryText(text, fragments.get(f), fragments.get(f + 1), out);
        }
        return out.toArray();
    }

    /**
     * Appends the ids of {@code text[start, end)} read as ordinary text: split into words by the
     * pre-tokenizer, each word merged by BPE, no special-token matching. The tokenizer.json tokenizer
     * finds added tokens its own way and shares this part.
     */
    void encodeOrdinaryText(String text, int start, int end, IntList out) {
        preTokenizer.split(text, start, end, (s, e) -> encoder.encode(text, s, e, out));
    }

    /** The kind the file declares for a token, before llama.cpp's promotions (see {@link #tokenType}). */
    TokenType declaredType(int id) {
        return vocabulary.declaredType(checkId(id));
    }

    @Override
    public String decode(int[] ids) {
        int length = 0;
        for (int id : ids) length += pieces.of(checkId(id)).length;
        byte[] bytes = new byte[length];
        int at = 0;
        for (int id : ids) {
            byte[] piece = pieces.of(id);
            System.arraycopy(piece, 0, bytes, at, piece.length);
            at += piece.length;
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public TextDecoder newDecoder() {
        return new Utf8StreamDecoder(pieces);
    }

    @Override
    public int vocabularySize() {
        return vocabulary.size();
    }

    @Override
    public String piece(int id) {
        return vocabulary.text(checkId(id));
    }

    @Override
    public int idOf(String piece) {
        return vocabulary.idOf(piece);
    }

    /** True for CONTROL and UNKNOWN tokens, after llama.cpp's promotions (see {@link #tokenType}). */
    @Override
    public boolean isSpecial(int id) {
        return types[checkId(id)].isSpecial();
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return specialTokens.isEndOfGeneration(id);
    }

    @Override
    public int eosId() {
        return specialTokens.id(SpecialTokenRole.EOS);
    }

    /** The beginning-of-sequence id the file declares, or -1. */
    public int bosId() {
        return specialTokens.id(SpecialTokenRole.BOS);
    }

    /** The token with a role, declared by the file or found by its text as llama.cpp does; -1 if none. */
    public int specialTokenId(SpecialTokenRole role) {
        return specialTokens.id(role);
    }

    /** All ids that end a generation, ascending. */
    public int[] endOfGenerationIds() {
        return specialTokens.endOfGenerationIds();
    }

    /**
     * The kind a token is treated as: the declared one, except that tokens llama.cpp recognises by
     * their text as end-of-generation or fill-in-the-middle markers are CONTROL.
     */
    public TokenType tokenType(int id) {
        return types[checkId(id)];
    }

    private int checkId(int id) {
        if (id < 0 || id >= vocabulary.size()) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + vocabulary.size() + ")");
        }
        return id;
    }
}
