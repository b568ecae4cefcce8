package org.qwen4j.core.hf;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.qwen4j.ModelFormatException;
import org.qwen4j.core.tokenizer.HfTokenizerMetadataKeys;
import org.qwen4j.core.tokenizer.SpecialTokenRole;
import org.qwen4j.core.tokenizer.TokenType;
import org.qwen4j.core.tokenizer.TokenizerMetadataKeys;

/**
 * Reads a Hugging Face tokenizer ({@code tokenizer.json}, with {@code tokenizer_config.json} and
 * {@code chat_template.jinja} when present) into the GGUF tokenizer keys, the way llama.cpp's
 * converter fills them, plus the {@link HfTokenizerMetadataKeys} for what GGUF cannot say:
 *
 * <ul>
 *   <li>{@code tokenizer.ggml.tokens}: the BPE vocabulary and the added tokens by id; ids neither
 *       names (and ids up to config.json's {@code vocab_size}) become {@code [PAD<id>]} of type
 *       UNUSED, as in the converter;</li>
 *   <li>{@code tokenizer.ggml.token_type}: NORMAL for vocabulary entries, CONTROL for added tokens
 *       marked {@code special}, USER_DEFINED for the other added tokens;</li>
 *   <li>{@code tokenizer.ggml.merges}: the merges as {@code "left right"}, whichever of the two
 *       spellings Hugging Face uses ({@code "a b"} strings or {@code ["a", "b"]} pairs) the file has;</li>
 *   <li>{@code tokenizer.ggml.pre}: {@code qwen2} or {@code qwen35}, recognised from the Split
 *       pre-tokenizer's regex; any other pattern is refused, since tokenizing with the wrong split would
 *       silently give other ids;</li>
 *   <li>{@code tokenizer.ggml.bos_token_id}, {@code eos_token_id}, {@code padding_token_id}: the
 *       tokens {@code tokenizer_config.json} names ({@code bos_token} …) when they are added tokens,
 *       else the ids of config.json, else (for eos) the first of generation_config.json, in the
 *       converter's order of precedence;</li>
 *   <li>{@code tokenizer.ggml.add_bos_token}, {@code add_eos_token} and {@code tokenizer.chat_template}
 *       (a list of named templates gives {@code tokenizer.chat_template.<name>} for all but
 *       {@code default}) from tokenizer_config.json; a {@code chat_template.jinja} file takes
 *       precedence, as in transformers.</li>
 * </ul>
 *
 * Only what Qwen tokenizers are made of is accepted: a BPE model without dropout, byte fallback,
 * subword affixes or {@code ignore_merges}; an NFC (or other Unicode-form) normalizer or none; the
 * Split + ByteLevel pre-tokenizer; the ByteLevel decoder. Anything else is a
 * {@link ModelFormatException} naming the file and the field, not a tokenizer that gives other ids.
 * The post-processor is not read: it only adds tokens when asked to, and qwen4j never asks.
 */
final class TokenizerJsonReader {
    static final String FILE = "tokenizer.json";
    static final String CONFIG_FILE = "tokenizer_config.json";
    static final String CHAT_TEMPLATE_FILE = "chat_template.jinja";

    /** The Split regex of Qwen1.5, 2, 2.5 and 3 tokenizers. */
    static final String QWEN2_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}|"
            + " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** The Split regex of Qwen3.5 tokenizers: combining marks join letters. */
    static final String QWEN35_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}|"
            + " ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** Qwen's full tokenizer.json is ~7 MB; a 256k-token vocabulary stays far below this cap. */
    private static final long MAX_TOKENIZER_BYTES = 256L << 20;
    /** tokenizer_config.json and chat templates are kilobytes. */
    private static final long MAX_CONFIG_BYTES = 16L << 20;
    private static final List<String> UNICODE_FORMS = List.of("NFC", "NFD", "NFKC", "NFKD");

    private TokenizerJsonReader() {
    }

    /**
     * The tokenizer keys of the tokenizer files in {@code folder}.
     *
     * @param config        the checkpoint's config.json (vocabulary size, fallback special-token ids); may be null
     * @param generationEos generation_config.json's end-of-sequence ids; may be null
     */
    static Map<String, Object> read(Path folder, HfConfig config, long[] generationEos) {
        Path file = folder.resolve(FILE);
        JsonFields t = JsonFields.read(file, MAX_TOKENIZER_BYTES);
        Map<String, Object> md = new LinkedHashMap<>();
        md.put(TokenizerMetadataKeys.MODEL, TokenizerMetadataKeys.BYTE_LEVEL_BPE_MODEL);
        md.put(TokenizerMetadataKeys.PRE, preTokenizer(t));
        md.put(HfTokenizerMetadataKeys.NORMALIZER, normalizer(t));
        checkDecoder(t);

        JsonFields model = t.requireObject("model");
        checkModel(model);
        Map<String, Integer> ids = new HashMap<>();
        List<String> byId = vocabulary(model, ids);
        String[] merges = merges(model, ids);
        List<AddedToken> added = addedTokens(t, byId, ids);

        int size = idSpace(t, byId, ids.size(), added, config);
        String[] tokens = new String[size];
        long[] types = new long[size];
        for (int id = 0; id < size; id++) {
            String text = id < byId.size() ? byId.get(id) : null;
            tokens[id] = text != null ? text : "[PAD" + id + "]";
            types[id] = (text != null ? TokenType.NORMAL : TokenType.UNUSED).code();
        }
        List<Long> lstrip = new ArrayList<>();
        List<Long> rstrip = new ArrayList<>();
        List<Long> singleWord = new ArrayList<>();
        List<Long> normalized = new ArrayList<>();
        for (AddedToken a : added) {
            tokens[a.id] = a.content;
            types[a.id] = (a.special ? TokenType.CONTROL : TokenType.USER_DEFINED).code();
            if (a.lstrip) lstrip.add((long) a.id);
            if (a.rstrip) rstrip.add((long) a.id);
            if (a.singleWord) singleWord.add((long) a.id);
            if (a.normalized) normalized.add((long) a.id);
        }
        md.put(TokenizerMetadataKeys.TOKENS, tokens);
        md.put(TokenizerMetadataKeys.TOKEN_TYPE, types);
        md.put(TokenizerMetadataKeys.MERGES, merges);
        putIds(md, HfTokenizerMetadataKeys.LSTRIP_IDS, lstrip);
        putIds(md, HfTokenizerMetadataKeys.RSTRIP_IDS, rstrip);
        putIds(md, HfTokenizerMetadataKeys.SINGLE_WORD_IDS, singleWord);
        putIds(md, HfTokenizerMetadataKeys.NORMALIZED_IDS, normalized);

        Path configFile = folder.resolve(CONFIG_FILE);
        JsonFields tc = Files.isRegularFile(configFile) ? JsonFields.read(configFile, MAX_CONFIG_BYTES) : null;
        specialTokens(md, tc, added, config, generationEos);
        if (tc != null) {
            if (tc.has("add_bos_token")) md.put(TokenizerMetadataKeys.ADD_BOS, tc.bool("add_bos_token", false));
            if (tc.has("add_eos_token")) md.put("tokenizer.ggml.add_eos_token", tc.bool("add_eos_token", false));
            chatTemplates(md, tc);
        }
        Path jinja = folder.resolve(CHAT_TEMPLATE_FILE);
        if (Files.isRegularFile(jinja)) md.put("tokenizer.chat_template", readText(jinja));
        return md;
    }

    /**
     * The number of ids: up to the highest id named, or config.json's {@code vocab_size} when larger.
     * Unnamed ids become {@code [PAD<id>]} strings, so a file whose ids are mostly unnamed (one token
     * with id 2,000,000) is refused rather than padded with millions of entries.
     */
    private static int idSpace(JsonFields t, List<String> byId, int vocabEntries, List<AddedToken> added, HfConfig config) {
        int highest = byId.size();
        int named = vocabEntries;
        for (AddedToken a : added) {
            highest = Math.max(highest, a.id + 1);
            if (a.id >= byId.size() || byId.get(a.id) == null) named++;
        }
        int declared = config == null ? 0 : config.vocabularySize();
        if (highest > Math.max(declared, 2L * named)) {
            throw t.error("model.vocab", "ids reach " + (highest - 1) + " but only " + named
                    + " tokens are named; more than half the ids would be unnamed");
        }
        return Math.max(highest, declared);
    }

    private record AddedToken(int id, String content, boolean special, boolean lstrip, boolean rstrip,
                              boolean singleWord, boolean normalized) {
    }

    private static void putIds(Map<String, Object> md, String key, List<Long> ids) {
        if (!ids.isEmpty()) md.put(key, ids.stream().mapToLong(Long::longValue).toArray());
    }

    private static String preTokenizer(JsonFields t) {
        JsonFields pre = t.object("pre_tokenizer");
        if (pre == null) throw t.error("pre_tokenizer", "is missing; byte-level BPE needs Split and ByteLevel pre-tokenizers");
        String type = pre.string("type");
        if (type.equals("ByteLevel")) {
            throw pre.error("type", "a lone ByteLevel pre-tokenizer splits with GPT-2's regex, which is not supported"
                    + " (known: the Split patterns of Qwen2 and Qwen3.5)");
        }
        if (!type.equals("Sequence")) throw pre.error("type", "pre-tokenizer \"" + type + "\" is not supported");
        List<JsonNode> steps = pre.array("pretokenizers");
        if (steps.size() != 2) {
            throw pre.error("pretokenizers", "must be a Split followed by a ByteLevel, not " + steps.size() + " steps");
        }
        JsonFields split = pre.element("pretokenizers", 0, steps.get(0));
        JsonFields byteLevel = pre.element("pretokenizers", 1, steps.get(1));
        if (!"Split".equals(split.string("type"))) throw split.error("type", "must be Split");
        if (!"ByteLevel".equals(byteLevel.string("type"))) throw byteLevel.error("type", "must be ByteLevel");
        if (byteLevel.bool("add_prefix_space", false)) throw byteLevel.error("add_prefix_space", "must be false");
        if (byteLevel.bool("use_regex", true)) {
            throw byteLevel.error("use_regex", "must be false: the Split before it already cuts the words");
        }
        if (!"Isolated".equals(split.string("behavior"))) {
            throw split.error("behavior", "must be Isolated, not " + split.string("behavior"));
        }
        if (split.bool("invert", false)) throw split.error("invert", "must be false");
        JsonFields pattern = split.requireObject("pattern");
        if (!pattern.has("Regex")) throw pattern.error("Regex", "is missing (a String pattern is not supported)");
        String regex = pattern.string("Regex");
        if (regex.equals(QWEN2_PATTERN)) return "qwen2";
        if (regex.equals(QWEN35_PATTERN)) return "qwen35";
        throw pattern.error("Regex", "pattern \"" + JsonFields.abbreviate(regex)
                + "\" is not a known pre-tokenizer (known: Qwen2's and Qwen3.5's)");
    }

    private static String normalizer(JsonFields t) {
        JsonFields n = t.object("normalizer");
        if (n == null) return HfTokenizerMetadataKeys.NO_NORMALIZER;
        String type = n.string("type");
        if (UNICODE_FORMS.contains(type)) return type;
        if (type.equals("Sequence")) {
            List<JsonNode> steps = n.array("normalizers");
            String form = HfTokenizerMetadataKeys.NO_NORMALIZER;
            for (int i = 0; i < steps.size(); i++) {
                JsonFields step = n.element("normalizers", i, steps.get(i));
                String stepType = step.string("type");
                if (!UNICODE_FORMS.contains(stepType)) {
                    throw step.error("type", "normalizer \"" + stepType + "\" is not supported (known: NFC, NFD, NFKC, NFKD)");
                }
                if (!form.equals(HfTokenizerMetadataKeys.NO_NORMALIZER) && !form.equals(stepType)) {
                    throw step.error("type", "a sequence of different Unicode normalizations is not supported");
                }
                form = stepType;
            }
            return form;
        }
        throw n.error("type", "normalizer \"" + type + "\" is not supported (known: NFC, NFD, NFKC, NFKD)");
    }

    private static void checkDecoder(JsonFields t) {
        JsonFields d = t.object("decoder");
        if (d == null) throw t.error("decoder", "is missing; byte-level pieces need the ByteLevel decoder");
        String type = d.string("type");
        if (type.equals("ByteLevel")) return;
        if (type.equals("Sequence")) {
            List<JsonNode> steps = d.array("decoders");
            for (int i = 0; i < steps.size(); i++) {
                JsonFields step = d.element("decoders", i, steps.get(i));
                if (!"ByteLevel".equals(step.string("type"))) {
                    throw step.error("type", "decoder \"" + step.string("type") + "\" is not supported (known: ByteLevel)");
                }
            }
            if (!steps.isEmpty()) return;
        }
        throw d.error("type", "decoder \"" + type + "\" is not supported (known: ByteLevel)");
    }

    private static void checkModel(JsonFields model) {
        String type = model.has("type") ? model.string("type") : (model.has("merges") ? "BPE" : null);
        if (type == null) throw model.error("type", "is missing");
        if (!type.equals("BPE")) {
            throw model.error("type", "tokenizer model \"" + type + "\" is not supported (qwen4j reads byte-level BPE)");
        }
        if (model.has("dropout") && model.number("dropout", 0, 1) != 0) {
            throw model.error("dropout", "BPE dropout makes tokenization random and is not supported");
        }
        for (String affix : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
            if (!model.string(affix, "").isEmpty()) throw model.error(affix, "must be empty for byte-level BPE");
        }
        if (model.bool("byte_fallback", false)) throw model.error("byte_fallback", "is not supported for byte-level BPE");
        if (model.bool("ignore_merges", false)) throw model.error("ignore_merges", "is not supported");
    }

    /** The vocabulary as a list indexed by id (null where no entry has the id), filling {@code ids}. */
    private static List<String> vocabulary(JsonFields model, Map<String, Integer> ids) {
        JsonFields vocab = model.requireObject("vocab");
        List<String> byId = new ArrayList<>();
        for (var it = vocab.fields(); it.hasNext(); ) {
            var e = it.next();
            int id = (int) vocab.integerValue(e.getValue(), vocab.field(e.getKey()), 0, HfConfig.MAX_VOCABULARY - 1);
            while (byId.size() <= id) byId.add(null);
            if (byId.get(id) != null) {
                throw vocab.error(e.getKey(), "id " + id + " is also the id of " + quote(byId.get(id)));
            }
            byId.set(id, e.getKey());
            ids.put(e.getKey(), id);
        }
        if (ids.isEmpty()) throw model.error("vocab", "is empty");
        return byId;
    }

    private static String[] merges(JsonFields model, Map<String, Integer> ids) {
        List<JsonNode> list = model.array("merges");
        String[] out = new String[list.size()];
        String field = model.field("merges");
        for (int i = 0; i < out.length; i++) {
            JsonNode m = list.get(i);
            String left;
            String right;
            if (m.isTextual()) {
                String s = m.textValue();
                int space = s.indexOf(' ');
                if (space <= 0 || space == s.length() - 1 || s.indexOf(' ', space + 1) >= 0) {
                    throw new ModelFormatException(model.file(), field + "[" + i + "]", quote(s)
                            + " is not two pieces separated by one space");
                }
                left = s.substring(0, space);
                right = s.substring(space + 1);
            } else if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
                left = m.get(0).textValue();
                right = m.get(1).textValue();
                // GGUF stores a merge as "left right" and splits it at the first space after the first
                // character, so a left piece with a later space could not be stored faithfully.
                if (left.isEmpty() || right.isEmpty() || left.indexOf(' ', 1) >= 0) {
                    throw new ModelFormatException(model.file(), field + "[" + i + "]",
                            "pair [" + quote(left) + ", " + quote(right) + "] cannot be a byte-level merge");
                }
            } else {
                throw new ModelFormatException(model.file(), field + "[" + i + "]",
                        "must be a \"left right\" string or a [left, right] pair, not " + JsonFields.describe(m));
            }
            for (String piece : List.of(left, right, left + right)) {
                if (!ids.containsKey(piece)) {
                    throw new ModelFormatException(model.file(), field + "[" + i + "]", "merge of " + quote(left)
                            + " and " + quote(right) + " needs " + quote(piece) + ", which is not in model.vocab");
                }
            }
            out[i] = left + " " + right;
        }
        return out;
    }

    private static List<AddedToken> addedTokens(JsonFields t, List<String> byId, Map<String, Integer> vocabIds) {
        if (!t.has("added_tokens")) return List.of();
        List<JsonNode> list = t.array("added_tokens");
        List<AddedToken> out = new ArrayList<>(list.size());
        Map<Integer, String> seenIds = new HashMap<>();
        Map<String, Integer> seenContents = new HashMap<>();
        for (int i = 0; i < list.size(); i++) {
            JsonFields a = t.element("added_tokens", i, list.get(i));
            int id = a.intValue("id", 0, HfConfig.MAX_VOCABULARY - 1);
            String content = a.string("content");
            if (content.isEmpty()) throw a.error("content", "is empty");
            String vocabText = id < byId.size() ? byId.get(id) : null;
            if (vocabText != null && !vocabText.equals(content)) {
                throw a.error("id", "id " + id + " is " + quote(content) + " here but " + quote(vocabText) + " in model.vocab");
            }
            Integer vocabId = vocabIds.get(content);
            if (vocabId != null && vocabId != id) {
                throw a.error("content", quote(content) + " has id " + id + " here but " + vocabId + " in model.vocab");
            }
            String other = seenIds.put(id, content);
            if (other != null) throw a.error("id", "id " + id + " is also the added token " + quote(other));
            Integer otherId = seenContents.put(content, id);
            if (otherId != null) throw a.error("content", quote(content) + " is also added with id " + otherId);
            out.add(new AddedToken(id, content, a.bool("special", false), a.bool("lstrip", false),
                    a.bool("rstrip", false), a.bool("single_word", false), a.bool("normalized", true)));
        }
        return out;
    }

    /** Special-token ids in llama.cpp's converter's order: tokenizer_config.json, then config.json. */
    private static void specialTokens(Map<String, Object> md, JsonFields tc, List<AddedToken> added,
                                      HfConfig config, long[] generationEos) {
        Map<String, SpecialTokenRole> roles = Map.of("bos", SpecialTokenRole.BOS, "eos", SpecialTokenRole.EOS,
                "pad", SpecialTokenRole.PADDING);
        for (String role : List.of("bos", "eos", "pad")) {
            Integer id = null;
            String key = role + "_token";
            if (tc != null && tc.has(key)) {
                JsonNode v = tc.raw(key);
                String content = v.isTextual() ? v.textValue()
                        : v.isObject() && v.path("content").isTextual() ? v.path("content").textValue() : null;
                if (content == null) throw tc.error(key, "must be a token's text or an object with its content");
                for (AddedToken a : added) {
                    if (a.content.equals(content)) {
                        id = a.id;
                        break;
                    }
                }
            }
            if (id == null && config != null) id = config.specialTokenId(role);
            if (id == null && role.equals("eos") && generationEos != null && generationEos.length > 0) {
                id = (int) generationEos[0];
            }
            // Every candidate is already known to be inside the vocabulary: an added token's id, or
            // an id that config.json or generation_config.json was checked to hold below vocab_size.
            if (id != null) md.put(roles.get(role).metadataKey(), (long) id);
        }
    }

    private static void chatTemplates(Map<String, Object> md, JsonFields tc) {
        if (!tc.has("chat_template")) return;
        JsonNode v = tc.raw("chat_template");
        if (v.isTextual()) {
            md.put("tokenizer.chat_template", v.textValue());
            return;
        }
        if (!v.isArray()) throw tc.error("chat_template", "must be a string or a list of named templates");
        List<JsonNode> list = tc.array("chat_template");
        for (int i = 0; i < list.size(); i++) {
            JsonFields named = tc.element("chat_template", i, list.get(i));
            String name = named.string("name");
            String template = named.string("template");
            md.put(name.equals("default") ? "tokenizer.chat_template" : "tokenizer.chat_template." + name, template);
        }
    }

    private static String readText(Path file) {
        try {
            long size = Files.size(file);
            if (size > MAX_CONFIG_BYTES) {
                throw new ModelFormatException(file, null, "a chat template of " + size + " bytes is not plausible");
            }
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ModelFormatException(file, null, "cannot read file: " + e.getMessage(), e);
        }
    }

    private static String quote(String s) {
        return "\"" + JsonFields.abbreviate(s) + "\"";
    }
}
