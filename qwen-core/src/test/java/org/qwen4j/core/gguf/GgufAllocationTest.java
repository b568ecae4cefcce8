package org.qwen4j.core.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.ARRAY;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.BOOL;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.FLOAT32;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.FLOAT64;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.STRING;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.UINT16;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.UINT32;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.UINT64;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.UINT8;
import static org.qwen4j.core.gguf.GgufTestFileBuilder.arr;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qwen4j.ModelFormatException;

/**
 * "Never a large allocation", measured with the per-thread allocation counter: a header that lies
 * is rejected before anything in proportion to the lie is allocated, and a file that honestly fills
 * a cap costs less than 64 MiB of heap.
 */
class GgufAllocationTest {
    /** What "a large allocation" means here: the heap a laptop-sized JVM can spare without noticing. */
    private static final long LARGE = 64L << 20;
    /** A lying header gets an exception, a few small objects and its message; nothing near this. */
    private static final long SMALL = 1L << 20;

    @BeforeAll
    static void warmUp() {
        // Class loading and first-call linkage allocate on this thread; keep them out of the measurements.
        var built = GgufTruncationTest.metadataOfEveryShape().build();
        for (int i = 0; i < 3; i++) {
            Hostile.parse(built.bytes()).close();
            Hostile.rejects(built.copy().putU64("tensor_count", -1).bytes());
            Hostile.rejects(built.copy().putU32("version", 9).bytes());
        }
    }

    /** Heap the calling thread allocates while {@code image} is rejected. */
    private static long rejectionCost(byte[] image) {
        long before = Hostile.allocatedBytes();
        assertThrows(ModelFormatException.class, () -> Hostile.parse(image).close());
        return Hostile.allocatedBytes() - before;
    }

    private static long openingCost(byte[] image, Consumer<GgufSource> check) {
        long before = Hostile.allocatedBytes();
        long after;
        try (GgufSource src = Hostile.parse(image)) {
            after = Hostile.allocatedBytes();
            check.accept(src);
        }
        return after - before;
    }

    private static Map<String, byte[]> lyingHeaders() {
        Map<String, byte[]> cases = new LinkedHashMap<>();
        var base = GgufTruncationTest.metadataOfEveryShape().build();
        for (long n : new long[] {Long.MAX_VALUE, 1L << 40, 1L << 32}) {
            cases.put("tensor_count " + n, base.copy().putU64("tensor_count", n).bytes());
            cases.put("metadata_kv_count " + n, base.copy().putU64("metadata_kv_count", n).bytes());
            cases.put("key length " + n, base.copy().putU64("kv/f32/key", n).bytes());
            cases.put("string length " + n, base.copy().putU64("kv/general.architecture/value", n).bytes());
            cases.put("token length " + n, base.copy().putU64At(base.at("kv/tokenizer.ggml.tokens/value") + 12, n).bytes());
            cases.put("nested length " + n, base.copy().putU64At(base.at("kv/nested/value") + 16, n).bytes());
        }
        for (int type : new int[] {UINT8, BOOL, UINT16, UINT32, FLOAT32, UINT64, FLOAT64, STRING, ARRAY}) {
            var b = new GgufTestFileBuilder().array("a", type, List.of()).build();
            cases.put("array length 2^62 of type " + type, b.putU64At(b.at("kv/a/value") + 4, 1L << 62).bytes());
        }
        return cases;
    }

    @Test
    void aLyingCountOrLengthIsRejectedBeforeAnythingInProportionToItIsAllocated() {
        List<String> failures = new ArrayList<>();
        lyingHeaders().forEach((name, image) -> {
            long cost = rejectionCost(image);
            if (cost > SMALL) failures.add(name + ": " + cost + " bytes");
        });
        assertEquals(List.of(), failures);
    }

    /** Each element type at the length cap, in its most wasteful encoding: the fewest file bytes per element. */
    @ParameterizedTest
    @ValueSource(ints = {UINT8, BOOL, FLOAT32, STRING, ARRAY})
    void anArrayAtTheLengthCapCostsLessThan64MiB(int type) {
        int n = (int) GgufReader.MAX_ARRAY_LENGTH;
        Object element = switch (type) {
            case STRING -> "a"; // an empty string is shared, one byte is the costliest string
            case ARRAY -> arr(UINT8, 1); // likewise an empty array
            case BOOL -> true;
            default -> 1;
        };
        byte[] image = new GgufTestFileBuilder().array("a", type, Collections.nCopies(n, element)).build().bytes();
        long cost = openingCost(image, src -> assertEquals(n, java.lang.reflect.Array.getLength(src.metadata().get("a"))));
        assertTrue(cost < LARGE, "type " + type + ": " + (cost >> 20) + " MiB");
    }

    @Test
    void theMostKeysAllowedCostLessThan64MiB() {
        var b = new GgufTestFileBuilder();
        for (int i = 0; i < GgufReader.MAX_KVS; i++) b.kv(Integer.toString(i, 36), UINT8, 0);
        byte[] image = b.build().bytes();
        long cost = openingCost(image, src -> assertEquals(GgufReader.MAX_KVS, src.metadata().keys().size()));
        assertTrue(cost < LARGE, (cost >> 20) + " MiB");
    }

    /** Tensors may share data, so the infos alone, ~32 file bytes each, must not buy unbounded heap. */
    @Test
    void theMostTensorsAllowedAllSharingOneElementCostLessThan64MiB() {
        var b = new GgufTestFileBuilder().f32Tensor("first", 1); // five letters: no base-36 name below collides
        for (int i = 1; i < GgufReader.MAX_TENSORS; i++) {
            b.tensorInfo(Integer.toString(i, 36), GgufTestFileBuilder.GGML_F32, new long[] {1}, 0);
        }
        byte[] image = b.build().bytes();
        long cost = openingCost(image, src -> assertEquals(GgufReader.MAX_TENSORS, src.tensors().size()));
        assertTrue(cost < LARGE, (cost >> 20) + " MiB");
    }

    @Test
    void lyingTensorInfosAreRejectedBeforeAnythingInProportionToThemIsAllocated() {
        var base = GgufTruncationTest.modelOfEveryShape();
        Map<String, byte[]> cases = new LinkedHashMap<>();
        long dims = base.at("tensor/token_embd.weight/dims");
        cases.put("dims 2^31-1 x 2^31-1", base.copy().putU64At(dims, Integer.MAX_VALUE).putU64At(dims + 8, Integer.MAX_VALUE).bytes());
        cases.put("n_dims 2^32-1", base.copy().putU32("tensor/token_embd.weight/n_dims", 0xFFFF_FFFFL).bytes());
        cases.put("name length 2^62", base.copy().putU64("tensor/token_embd.weight", 1L << 62).bytes());
        cases.put("offset 2^62", base.copy().putU64("tensor/token_embd.weight/offset", 1L << 62).bytes());
        List<String> failures = new ArrayList<>();
        cases.forEach((name, image) -> {
            long cost = rejectionCost(image);
            if (cost > SMALL) failures.add(name + ": " + cost + " bytes");
        });
        assertEquals(List.of(), failures);
    }
}
