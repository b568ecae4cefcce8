package org.qwen4j.core.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qwen4j.ModelFormatException;
import org.qwen4j.spi.ModelSource;
import org.qwen4j.spi.Tensor;

/**
 * A checkpoint sharded with {@code model.safetensors.index.json} opens as the same model as its
 * single-file form, and an index that disagrees with its shards is refused naming the index or shard
 * and the tensor.
 */
class ShardedCheckpointTest {
    @TempDir
    Path dir;

    private final HfCheckpointFormat hf = new HfCheckpointFormat();

    @Test
    void aShardedCheckpointHasTheTensorsOfTheSingleFile() throws IOException {
        Path sharded = shardedTinyQwen2(3);
        try (ModelSource single = hf.open(HfFixtures.folder("tiny-qwen2"));
             ModelSource shards = hf.open(sharded)) {
            assertEquals(single.tensors().keySet(), shards.tensors().keySet());
            for (Tensor t : single.tensors().values()) {
                Tensor s = shards.tensor(t.name());
                assertArrayEquals(t.shape(), s.shape(), t.name());
                assertEquals(-1, t.data().mismatch(s.data()), t.name());
            }
            assertEquals(single.metadata().asMap().keySet(), shards.metadata().asMap().keySet());
        }
    }

    @Test
    void anIndexNamingAMissingShardIsRefusedNamingTheTensor() throws IOException {
        Path folder = shardedTinyQwen2(2);
        String shard = shardNames(folder).getFirst();
        Files.delete(folder.resolve(shard));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> hf.open(folder));
        assertEquals(folder.resolve(SafetensorsCheckpoint.INDEX_FILE), e.file());
        assertTrue(e.field().startsWith("weight_map."), e.getMessage());
        assertTrue(e.getMessage().contains(shard), e.getMessage());
    }

    @Test
    void aShardNameThatLeavesTheFolderIsRefused() throws IOException {
        Path folder = shardedTinyQwen2(2);
        editIndex(folder, map -> map.put("model.norm.weight", "../model.safetensors"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> hf.open(folder));
        assertEquals("weight_map.model.norm.weight", e.field(), e.getMessage());
    }

    @Test
    void aShardNameThatIsNotAStringIsRefused() throws IOException {
        Path folder = shardedTinyQwen2(2);
        editIndex(folder, map -> map.put("model.norm.weight", 3));
        assertEquals("weight_map.model.norm.weight", assertThrows(ModelFormatException.class, () -> hf.open(folder)).field());
    }

    @Test
    void anIndexWithoutAWeightMapIsRefused() throws IOException {
        Path folder = shardedTinyQwen2(2);
        HfFixtures.write(folder.resolve(SafetensorsCheckpoint.INDEX_FILE), "{\"metadata\":{}}");
        assertEquals("weight_map", assertThrows(ModelFormatException.class, () -> hf.open(folder)).field());
    }

    @Test
    void aTensorTheIndexDoesNotListIsRefusedNamingTheShard() throws IOException {
        Path folder = shardedTinyQwen2(2);
        editIndex(folder, map -> map.remove("model.norm.weight"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> hf.open(folder));
        assertEquals("model.norm.weight", e.field());
        assertTrue(e.file().getFileName().toString().startsWith("model-"), e.getMessage());
    }

    @Test
    void aListedTensorThatNoShardHoldsIsRefused() throws IOException {
        Path folder = shardedTinyQwen2(2);
        String shard = shardNames(folder).getFirst();
        editIndex(folder, map -> map.put("model.layers.9.mlp.up_proj.weight", shard));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> hf.open(folder));
        assertEquals("weight_map.model.layers.9.mlp.up_proj.weight", e.field());
    }

    @Test
    void aTensorInAnotherShardThanListedIsRefused() throws IOException {
        Path folder = shardedTinyQwen2(2);
        List<String> shards = shardNames(folder);
        String first = shards.getFirst();
        editIndex(folder, map -> {
            for (var it = map.fields(); it.hasNext(); ) {
                var e = it.next();
                if (!e.getValue().asText().equals(first)) {
                    e.setValue(map.textNode(first));
                    return;
                }
            }
        });
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> hf.open(folder));
        assertTrue(e.getMessage().contains("places it in"), e.getMessage());
    }

    private void editIndex(Path folder, java.util.function.Consumer<ObjectNode> edit) {
        HfFixtures.editJson(folder.resolve(SafetensorsCheckpoint.INDEX_FILE), index -> edit.accept((ObjectNode) index.get("weight_map")));
    }

    private static List<String> shardNames(Path folder) throws IOException {
        try (var files = Files.list(folder)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("model-")).sorted().toList();
        }
    }

    /** tiny-qwen2's folder with its weights cut into {@code n} shards and an index, as transformers writes them. */
    private Path shardedTinyQwen2(int n) throws IOException {
        Path folder = HfFixtures.copy("tiny-qwen2", dir);
        Path single = folder.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(single);
        Files.delete(single);
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonNode header = HfFixtures.JSON.readTree(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8));
        int dataStart = 8 + (int) headerLength;
        List<String> names = new ArrayList<>();
        header.fieldNames().forEachRemaining(name -> {
            if (!name.equals("__metadata__")) names.add(name);
        });
        ObjectNode weightMap = HfFixtures.JSON.createObjectNode();
        for (int s = 0; s < n; s++) {
            String shard = String.format("model-%05d-of-%05d.safetensors", s + 1, n);
            ObjectNode shardHeader = HfFixtures.JSON.createObjectNode();
            ByteArrayOutputStream data = new ByteArrayOutputStream();
            Map<String, JsonNode> entries = new LinkedHashMap<>();
            for (int i = s; i < names.size(); i += n) entries.put(names.get(i), header.get(names.get(i)));
            for (var e : entries.entrySet()) {
                long begin = e.getValue().get("data_offsets").get(0).asLong();
                long end = e.getValue().get("data_offsets").get(1).asLong();
                ObjectNode entry = ((ObjectNode) e.getValue()).deepCopy();
                entry.putArray("data_offsets").add(data.size()).add(data.size() + (end - begin));
                data.write(Arrays.copyOfRange(bytes, dataStart + (int) begin, dataStart + (int) end));
                shardHeader.set(e.getKey(), entry);
                weightMap.put(e.getKey(), shard);
            }
            HfFixtures.safetensors(folder.resolve(shard), shardHeader.toString(), data.toByteArray());
        }
        ObjectNode index = HfFixtures.JSON.createObjectNode();
        index.putObject("metadata").put("total_size", bytes.length - dataStart);
        index.set("weight_map", weightMap);
        HfFixtures.write(folder.resolve(SafetensorsCheckpoint.INDEX_FILE), index.toString());
        return folder;
    }
}
