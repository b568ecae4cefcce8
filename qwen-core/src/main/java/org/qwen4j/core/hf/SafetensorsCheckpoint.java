package org.qwen4j.core.hf;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.qwen4j.ModelFormatException;
import org.qwen4j.spi.Tensor;

/**
 * The weights of a Hugging Face checkpoint folder: {@code model.safetensors}, or the shards that
 * {@code model.safetensors.index.json} lists in its {@code weight_map} (tensor name to shard file
 * name). A single file wins when both exist, as in transformers. For a sharded checkpoint the index
 * and the shards must agree exactly, as llama.cpp's converter demands: every listed tensor is in the
 * shard the index names, and every tensor of a shard is listed.
 */
final class SafetensorsCheckpoint {
    static final String SINGLE_FILE = "model.safetensors";
    static final String INDEX_FILE = "model.safetensors.index.json";
    /** An index names each tensor once with a short file name: a few MB even for 10^5 tensors. */
    private static final long MAX_INDEX_BYTES = 64L << 20;

    private SafetensorsCheckpoint() {
    }

    /** True when the folder holds weights this class can open (never throws). */
    static boolean present(Path folder) {
        try {
            return Files.isRegularFile(folder.resolve(SINGLE_FILE)) || Files.isRegularFile(folder.resolve(INDEX_FILE));
        } catch (SecurityException | InvalidPathException e) {
            return false;
        }
    }

    /** Maps the checkpoint's files into {@code arena}; the tensors keep their Hugging Face names. */
    static List<Tensor> open(Path folder, Arena arena) {
        Path single = folder.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) return SafetensorsReader.open(single, arena).tensors();
        Path index = folder.resolve(INDEX_FILE);
        if (!Files.isRegularFile(index)) {
            throw new ModelFormatException(folder, null, "holds neither " + SINGLE_FILE + " nor " + INDEX_FILE);
        }
        return openShards(folder, index, arena);
    }

    private static List<Tensor> openShards(Path folder, Path index, Arena arena) {
        JsonFields weightMap = JsonFields.read(index, MAX_INDEX_BYTES).requireObject("weight_map");
        Map<String, String> shardOf = new LinkedHashMap<>();
        TreeSet<String> shards = new TreeSet<>();
        for (var it = weightMap.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String field = weightMap.field(e.getKey());
            JsonNode v = e.getValue();
            if (!v.isTextual()) {
                throw new ModelFormatException(index, field, "must be a shard file name, not " + JsonFields.describe(v));
            }
            String shard = v.textValue();
            if (!isPlainFileName(shard)) {
                throw new ModelFormatException(index, field, "shard \"" + JsonFields.abbreviate(shard)
                        + "\" is not a file name inside the checkpoint folder");
            }
            if (shards.add(shard) && !Files.isRegularFile(folder.resolve(shard))) {
                throw new ModelFormatException(index, field, "names shard " + shard + ", which is not in " + folder);
            }
            shardOf.put(e.getKey(), shard);
        }
        if (shardOf.isEmpty()) throw new ModelFormatException(index, "weight_map", "lists no tensors");

        // Shards are read in name order (model-00001-of-00004 …), which is also the converter's order.
        List<Tensor> tensors = new ArrayList<>(shardOf.size());
        for (String shard : shards) {
            Path shardFile = folder.resolve(shard);
            for (Tensor t : SafetensorsReader.open(shardFile, arena).tensors()) {
                String listed = shardOf.get(t.name());
                if (!shard.equals(listed)) {
                    throw new ModelFormatException(shardFile, t.name(), listed == null
                            ? "is not listed in the weight_map of " + INDEX_FILE
                            : INDEX_FILE + " places it in " + listed);
                }
                tensors.add(t);
            }
        }
        if (tensors.size() != shardOf.size()) {
            var found = new java.util.HashSet<String>();
            for (Tensor t : tensors) found.add(t.name());
            for (Map.Entry<String, String> e : shardOf.entrySet()) {
                if (!found.contains(e.getKey())) {
                    throw new ModelFormatException(index, weightMap.field(e.getKey()), "shard " + e.getValue()
                            + " holds no tensor of that name");
                }
            }
        }
        return tensors;
    }

    /** A name that resolves to a file directly inside the folder: no separators, no "." or "..". */
    private static boolean isPlainFileName(String name) {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0
                || name.indexOf('\\') >= 0 || name.indexOf('\0') >= 0) {
            return false;
        }
        try {
            Path p = Path.of(name);
            return p.getNameCount() == 1 && !p.isAbsolute() && p.getFileName().toString().equals(name);
        } catch (InvalidPathException e) {
            return false;
        }
    }
}
