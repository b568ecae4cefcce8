package org.qwen4j.core.hf;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.qwen4j.ModelFormatException;
import org.qwen4j.spi.Metadata;
import org.qwen4j.spi.ModelFormatProvider;
import org.qwen4j.spi.ModelSource;
import org.qwen4j.spi.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Hugging Face checkpoint-folder provider ({@code hf}): a folder with {@code config.json} and
 * {@code model.safetensors} (or a sharded {@code model.safetensors.index.json}), optionally
 * {@code generation_config.json}, {@code tokenizer.json}, {@code tokenizer_config.json} and
 * {@code chat_template.jinja}. It opens the folder as the engine expects any model source: GGUF's
 * metadata keys ({@link HfConfig}, {@link TokenizerJsonReader}, plus the {@code hf.generation.*} keys of
 * {@link HfGenerationConfig}) and GGUF's tensor names ({@link HfTensorNames}), the tensors being
 * zero-copy views of the memory-mapped safetensors files ({@link SafetensorsReader}).
 *
 * <pre>{@code
 * try (Model model = Model.load(Path.of("Qwen2.5-0.5B-Instruct"))) { ... }
 * }</pre>
 *
 * Besides {@code general.architecture} and the hyper-parameters it writes {@code general.name} (the
 * folder's name) and {@code general.file_type} (0 for F32, 1 for F16, 32 for BF16, from the first
 * matrix, as the converter guesses it). The checkpoint is checked against its config: the embedding
 * table must have {@code vocab_size} rows, and an untied model must have {@code lm_head.weight}
 * (transformers would otherwise initialise it at random). A tied model's stored {@code lm_head.weight}
 * is left out, since transformers replaces it by the embeddings.
 */
public final class HfCheckpointFormat implements ModelFormatProvider {
    static final String NAME = "hf";
    private static final Logger log = LoggerFactory.getLogger(HfCheckpointFormat.class);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 50;
    }

    @Override
    public boolean canOpen(Path path) {
        try {
            return Files.isDirectory(path) && Files.isRegularFile(path.resolve(HfConfig.FILE))
                    && SafetensorsCheckpoint.present(path);
        } catch (SecurityException | InvalidPathException e) {
            return false;
        }
    }

    @Override
    public ModelSource open(Path folder) {
        if (!canOpen(folder)) {
            throw new ModelFormatException(folder, null, "not a Hugging Face checkpoint folder (it needs "
                    + HfConfig.FILE + " and " + SafetensorsCheckpoint.SINGLE_FILE + " or " + SafetensorsCheckpoint.INDEX_FILE + ")");
        }
        HfConfig config = HfConfig.read(folder.resolve(HfConfig.FILE));
        Arena arena = Arena.ofShared();
        try {
            Map<String, Tensor> tensors = ggufTensors(folder, config, SafetensorsCheckpoint.open(folder, arena));
            Map<String, Object> md = new LinkedHashMap<>(config.metadata());
            md.put("general.name", folder.toAbsolutePath().normalize().getFileName() == null
                    ? folder.toString() : folder.toAbsolutePath().normalize().getFileName().toString());
            md.put("general.file_type", fileType(tensors));
            long[] generationEos = null;
            Path generation = folder.resolve(HfGenerationConfig.FILE);
            if (Files.isRegularFile(generation)) {
                Map<String, Object> g = HfGenerationConfig.read(generation, config.vocabularySize());
                md.putAll(g);
                generationEos = (long[]) g.get(HfGenerationConfig.EOS_TOKEN_IDS);
            }
            if (Files.isRegularFile(folder.resolve(TokenizerJsonReader.FILE))) {
                md.putAll(TokenizerJsonReader.read(folder, config, generationEos));
            }
            log.debug("opened {}: {} with {} tensors", folder, config.architecture(), tensors.size());
            return new HfCheckpointSource(folder, new Metadata(folder, md), tensors, arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Renames the tensors to GGUF's names and checks the ones every architecture needs against config.json. */
    private static Map<String, Tensor> ggufTensors(Path folder, HfConfig config, List<Tensor> hfTensors) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Map<String, String> origin = new LinkedHashMap<>();
        for (Tensor t : hfTensors) {
            if (config.tiedEmbeddings() && t.name().equals(HfTensorNames.LM_HEAD)) continue;
            String name = HfTensorNames.toGguf(t.name());
            long[] shape = t.shape();
            if (name.endsWith(HfTensorNames.SHARED_EXPERT_GATE) && shape.length == 2 && shape[1] == 1) {
                shape = new long[] {shape[0]};
            }
            String earlier = origin.put(name, t.name());
            if (earlier != null) {
                throw new ModelFormatException(folder, t.name(), "maps to " + name + " as " + earlier + " does");
            }
            out.put(name, new Tensor(name, t.format(), shape, t.data()));
        }
        Tensor embeddings = out.get(HfTensorNames.TOKEN_EMBEDDING);
        if (embeddings == null) {
            throw new ModelFormatException(folder, "model.embed_tokens.weight", "required tensor is missing");
        }
        long[] s = embeddings.shape();
        if (s.length != 2 || s[1] != config.vocabularySize()) {
            throw config.error("vocab_size", "is " + config.vocabularySize() + " but model.embed_tokens.weight has shape "
                    + Arrays.toString(reversed(s)));
        }
        if (!config.tiedEmbeddings() && !out.containsKey("output.weight")) {
            throw new ModelFormatException(folder, HfTensorNames.LM_HEAD, "required tensor is missing"
                    + " (config.json has tie_word_embeddings false)");
        }
        return out;
    }

    private static long[] reversed(long[] s) {
        long[] r = new long[s.length];
        for (int i = 0; i < s.length; i++) r[i] = s[s.length - 1 - i];
        return r;
    }

    /** llama.cpp's file type of the first matrix's format: 0 ALL_F32, 1 MOSTLY_F16, 32 MOSTLY_BF16. */
    private static long fileType(Map<String, Tensor> tensors) {
        for (Tensor t : tensors.values()) {
            if (t.shape().length < 2) continue;
            return switch (t.format().name()) {
                case "F16" -> 1;
                case "BF16" -> 32;
                default -> 0;
            };
        }
        return 0;
    }
}
