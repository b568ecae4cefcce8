package org.qwen4j.core.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.qwen4j.ModelFormatException;
import org.qwen4j.core.format.TensorFormats;
import org.qwen4j.spi.Metadata;
import org.qwen4j.spi.Tensor;
import org.qwen4j.spi.TensorFormat;

/**
 * Parses a GGUF file (versions 2 and 3) that is memory-mapped as a whole. Tensors become slices of
 * the mapping; nothing is copied. Every count, length, dimension and offset is checked against the
 * file before it is used, so a hostile header cannot cause a large allocation: a count or length that
 * the rest of the file cannot hold is rejected before anything is allocated for it. What the reader does
 * allocate is a small multiple of the header bytes it has read (about 11x at worst, for tensor infos that
 * share data), and the caps below keep any one array, all keys and all tensor infos under 64 MiB each.
 */
public final class GgufReader {
    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
    private static final int DEFAULT_ALIGNMENT = 32;
    private static final long MAX_ALIGNMENT = 1L << 30;
    private static final int MAX_DIMS = 4;
    static final int MAX_ARRAY_NESTING = 8;
    /** Smallest tensor-info record: empty name (8), n_dims (4), one dim (8), type (4), offset (8). */
    private static final int MIN_TENSOR_INFO_BYTES = 32;
    /** Smallest key/value record: empty key (8), type (4), one byte of value. */
    private static final int MIN_KV_BYTES = 13;
    /** The GGUF specification limits keys to 2^16 - 1 bytes. */
    static final int MAX_KEY_BYTES = 65_535;
    /** ggml keeps names in a 64-byte buffer with a terminating NUL, and llama.cpp rejects longer names. */
    static final int MAX_TENSOR_NAME_BYTES = 63;
    /**
     * A metadata string may legitimately be large ({@code tokenizer.huggingface.json} embeds a whole
     * tokenizer.json, ~33 MB for the largest vocabularies), so this cap is generous; it stops a corrupted
     * length in a multi-GB model from turning gigabytes of tensor data into one string.
     */
    static final int MAX_VALUE_STRING_BYTES = 1 << 26;
    /** Array elements are tokens, merges and names; none comes close to this. */
    static final int MAX_ELEMENT_STRING_BYTES = 1 << 20;
    /**
     * Four times the largest vocabulary in use (262,144 tokens), the longest arrays real files hold. At
     * the cap, the most wasteful array a file can hold (one-byte strings, ~52 bytes of heap each) stays
     * under 64 MiB of heap, and a numeric one takes 8 MiB as {@code long[]}.
     */
    static final long MAX_ARRAY_LENGTH = 1 << 20;
    /**
     * Real models hold hundreds to a few thousand tensors (MoE experts are stored as one 3-D tensor per
     * projection and layer). Tensors may share data, so their heap (~400 bytes each: name, shape, view,
     * map entry) is not paid for by data bytes; at this cap it stays near 25 MiB.
     */
    static final long MAX_TENSORS = 1 << 16;
    /**
     * Real models carry tens of keys; each costs ~200 bytes of heap (key, boxed value, map entries)
     * for its 13-byte minimum record, ~14 MiB at this cap.
     */
    static final long MAX_KVS = 1 << 16;

    /** ggml type names by number, for messages; null marks numbers ggml has retired. */
    private static final String[] GGML_TYPE_NAMES = {
        "F32", "F16", "Q4_0", "Q4_1", null, null, "Q5_0", "Q5_1", "Q8_0", "Q8_1",
        "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S",
        "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS", "I8", "I16", "I32", "I64", "F64", "IQ1_M",
        "BF16", null, null, null, "TQ1_0", "TQ2_0", null, null, null, "MXFP4",
        "NVFP4", "Q1_0",
    };

    /** Field-name suffixes, so that reading a tensor info concatenates no strings unless it fails. */
    private static final String[] DIM_SUFFIXES = {" dim 0", " dim 1", " dim 2", " dim 3"};
    private static final long[] NO_LONGS = {};
    private static final double[] NO_DOUBLES = {};
    private static final boolean[] NO_BOOLEANS = {};
    private static final String[] NO_STRINGS = {};
    private static final Object[] NO_ARRAYS = {};

    private record TensorInfo(String name, long[] shape, long elements, TensorFormat format, long offset,
            long offsetAt) {
    }

    private GgufReader() {
    }

    /** Maps and parses {@code path}; the returned source owns the mapping. */
    public static GgufSource open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return parse(path, file, arena);
        } catch (IOException e) {
            arena.close();
            throw new ModelFormatException(path, null, "cannot read file: " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Parses a GGUF image held in {@code file}, which may be any segment (tests parse heap copies);
     * {@code path} only names it in messages. The returned source closes {@code arena}.
     */
    static GgufSource parse(Path path, MemorySegment file, Arena arena) {
        GgufCursor in = new GgufCursor(path, file);
        int magic = in.i32("magic");
        if (magic != MAGIC) {
            in.seek(0);
            throw in.error("magic", "not a GGUF file (the first bytes are not \"GGUF\")");
        }
        long version = in.u32("version");
        if (version != 2 && version != 3) {
            in.seek(4);
            throw in.error("version", "GGUF version " + version + " is not supported (only 2 and 3)");
        }
        long tensorCount = in.count("tensor_count", MIN_TENSOR_INFO_BYTES);
        if (tensorCount > MAX_TENSORS) {
            in.seek(8);
            throw in.error("tensor_count", "tensor count " + tensorCount + " exceeds the limit of " + MAX_TENSORS);
        }
        long kvCount = in.count("metadata_kv_count", MIN_KV_BYTES);
        if (kvCount > MAX_KVS) {
            in.seek(16);
            throw in.error("metadata_kv_count", "key/value count " + kvCount + " exceeds the limit of " + MAX_KVS);
        }

        Map<String, Object> kv = new LinkedHashMap<>();
        long alignmentAt = -1;
        GgufValueType alignmentType = null;
        for (long i = 0; i < kvCount; i++) {
            long at = in.position();
            String key = in.string("metadata key #" + i, MAX_KEY_BYTES);
            if (kv.containsKey(key)) {
                in.seek(at);
                throw in.error(key, "duplicate metadata key");
            }
            long typeAt = in.position();
            long typeCode = in.u32(key, " (type)");
            GgufValueType type = GgufValueType.of(typeCode);
            if (type == null) {
                in.seek(typeAt);
                throw in.error(key, "unknown metadata value type " + typeCode);
            }
            if (key.equals("general.alignment")) {
                alignmentAt = in.position();
                alignmentType = type;
            }
            kv.put(key, readValue(in, type, key, 0));
        }
        Metadata metadata = new Metadata(path, kv);

        int alignment = DEFAULT_ALIGNMENT;
        if (alignmentType != null) {
            Object a = kv.get("general.alignment");
            if (!(a instanceof Long l)) {
                throw new ModelFormatException(path, alignmentAt, "general.alignment",
                        "must be an integer (the specification says uint32), got a value of type " + alignmentType);
            }
            if (l <= 0 || l > MAX_ALIGNMENT || Long.bitCount(l) != 1) {
                throw new ModelFormatException(path, alignmentAt, "general.alignment",
                        "must be a power of two from 1 to 2^30, got "
                                + (alignmentType == GgufValueType.UINT64 ? Long.toUnsignedString(l) : l));
            }
            alignment = (int) (long) l;
        }

        // The first check of tensor_count could only compare it with the whole file; the metadata is now
        // behind us, so compare again before reading infos that a lying count says are there.
        if (tensorCount > in.remaining() / MIN_TENSOR_INFO_BYTES) {
            throw new ModelFormatException(path, 8, "tensor_count", "tensor count " + tensorCount
                    + " cannot fit in the " + in.remaining() + " bytes left after the metadata");
        }
        List<TensorInfo> infos = new ArrayList<>();
        Set<String> names = new HashSet<>();
        long fileSize = file.byteSize();
        for (int i = 0; i < tensorCount; i++) {
            long nameAt = in.position();
            String name = in.string("tensor #" + i + " name", MAX_TENSOR_NAME_BYTES);
            if (!names.add(name)) {
                in.seek(nameAt);
                throw in.error(name, "duplicate tensor name");
            }
            long dimsAt = in.position();
            long nDims = in.u32(name, " n_dims");
            if (nDims < 1 || nDims > MAX_DIMS) {
                in.seek(dimsAt);
                throw in.error(name + " n_dims", "tensor has " + nDims + " dimensions; 1 to " + MAX_DIMS + " are allowed");
            }
            long[] shape = new long[(int) nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                long at = in.position();
                long dim = in.i64(name, DIM_SUFFIXES[d]);
                if (dim <= 0 || dim > Integer.MAX_VALUE) {
                    in.seek(at);
                    throw in.error(name + " dim " + d, "dimension " + Long.toUnsignedString(dim) + " is out of range");
                }
                if (Math.multiplyHigh(elements, dim) != 0 || elements * dim < 0) {
                    in.seek(at);
                    throw in.error(name + " dim " + d, "the product of the dimensions overflows a 64-bit count");
                }
                shape[d] = dim;
                elements *= dim;
            }
            long typeAt = in.position();
            long type = in.u32(name, " type");
            TensorFormat format = TensorFormats.byGgmlType((int) Math.min(type, Integer.MAX_VALUE)).orElse(null);
            if (format == null) {
                in.seek(typeAt);
                throw in.error(name + " type", unsupportedType(type));
            }
            if (shape[0] % format.blockSize() != 0) {
                in.seek(dimsAt);
                throw in.error(name + " dim 0", "row length " + shape[0] + " is not a multiple of the "
                        + format.name() + " block size " + format.blockSize());
            }
            // The data must lie in the file, so a size beyond it is an error whether or not it overflows.
            long blocks = elements / format.blockSize();
            if (blocks > fileSize / format.blockBytes()) {
                in.seek(dimsAt);
                throw in.error(name + " dims", format.name() + " data of " + elements + " elements needs "
                        + sizeOf(blocks, format.blockBytes()) + " bytes, more than the whole file (" + fileSize + " bytes)");
            }
            long offAt = in.position();
            long offset = in.i64(name, " offset");
            if (offset < 0 || offset > fileSize) {
                in.seek(offAt);
                throw in.error(name + " offset", "offset " + Long.toUnsignedString(offset)
                        + " lies past the end of the file (" + fileSize + " bytes)");
            }
            if (offset % alignment != 0) {
                in.seek(offAt);
                throw in.error(name + " offset", "offset " + offset + " is not a multiple of the alignment " + alignment);
            }
            infos.add(new TensorInfo(name, shape, elements, format, offset, offAt));
        }

        long dataStart = alignUp(in.position(), alignment);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (TensorInfo t : infos) {
            long bytes = t.format().byteSize(t.elements());
            long room = Math.max(0, fileSize - dataStart);
            if (t.offset() > room || bytes > room - t.offset()) {
                throw new ModelFormatException(path, t.offsetAt(), t.name() + " offset",
                        "tensor data of " + bytes + " bytes at offset " + Long.toUnsignedString(t.offset())
                                + " from the data section (which starts at byte " + dataStart + ")"
                                + " lies past the end of the file (" + fileSize + " bytes; truncated file?)");
            }
            tensors.put(t.name(), new Tensor(t.name(), t.format(), t.shape(), file.asSlice(dataStart + t.offset(), bytes)));
        }
        return new GgufSource(path, (int) version, metadata, tensors, arena, dataStart);
    }

    private static String sizeOf(long blocks, long blockBytes) {
        return Math.multiplyHigh(blocks, blockBytes) != 0 || blocks * blockBytes < 0
                ? "more than 2^63"
                : Long.toString(blocks * blockBytes);
    }

    private static String unsupportedType(long type) {
        String name = type < GGML_TYPE_NAMES.length ? GGML_TYPE_NAMES[(int) type] : null;
        if (name == null) {
            return "tensor type " + type + " is not a ggml type this reader knows, and no TensorFormat provider on"
                    + " the module path claims it";
        }
        return "tensor type " + type + " (" + name + ") is not supported by any TensorFormat provider on the"
                + " module path (quantized types need the qwen-quant module)";
    }

    private static long alignUp(long v, long alignment) {
        return (v + alignment - 1) / alignment * alignment;
    }

    private static Object readValue(GgufCursor in, GgufValueType type, String key, int depth) {
        return switch (type) {
            case UINT8 -> (long) in.u8(key);
            case INT8 -> (long) (byte) in.u8(key);
            case UINT16 -> (long) in.u16(key);
            case INT16 -> (long) (short) in.u16(key);
            case UINT32 -> in.u32(key);
            case INT32 -> (long) in.i32(key);
            case UINT64, INT64 -> in.i64(key);
            case FLOAT32 -> (double) Float.intBitsToFloat(in.i32(key));
            case FLOAT64 -> Double.longBitsToDouble(in.i64(key));
            case BOOL -> readBool(in, key, GgufCursor.NO_INDEX);
            case STRING -> in.string(key, MAX_VALUE_STRING_BYTES);
            case ARRAY -> readArray(in, key, depth);
        };
    }

    private static boolean readBool(GgufCursor in, String key, long index) {
        long at = in.position();
        int b = in.u8(key, index);
        if (b > 1) {
            in.seek(at);
            throw in.error(key, index, "boolean value " + b + " is neither 0 nor 1");
        }
        return b == 1;
    }

    private static Object readArray(GgufCursor in, String key, int depth) {
        if (depth >= MAX_ARRAY_NESTING) throw in.error(key, "arrays nested deeper than " + MAX_ARRAY_NESTING);
        long typeAt = in.position();
        long elemCode = in.u32(key, " (array type)");
        GgufValueType elem = GgufValueType.of(elemCode);
        if (elem == null) {
            in.seek(typeAt);
            throw in.error(key, "unknown array element type " + elemCode);
        }
        long countAt = in.position();
        long count = in.count(key, " (array length)", elem.minBytes);
        if (count > MAX_ARRAY_LENGTH) {
            in.seek(countAt);
            throw in.error(key, "array length " + count + " exceeds the limit of " + MAX_ARRAY_LENGTH);
        }
        int n = (int) count;
        if (n == 0) {
            // Shared empty arrays: a file of 2^20 empty nested arrays would otherwise cost 16 bytes each.
            return switch (elem) {
                case STRING -> NO_STRINGS;
                case BOOL -> NO_BOOLEANS;
                case FLOAT32, FLOAT64 -> NO_DOUBLES;
                case ARRAY -> NO_ARRAYS;
                default -> NO_LONGS;
            };
        }
        return switch (elem) {
            case UINT8 -> in.integers(key, n, 1, false);
            case INT8 -> in.integers(key, n, 1, true);
            case UINT16 -> in.integers(key, n, 2, false);
            case INT16 -> in.integers(key, n, 2, true);
            case UINT32 -> in.integers(key, n, 4, false);
            case INT32 -> in.integers(key, n, 4, true);
            case UINT64, INT64 -> in.integers(key, n, 8, true);
            case FLOAT32 -> in.floats(key, n, 4);
            case FLOAT64 -> in.floats(key, n, 8);
            case STRING -> {
                String[] a = new String[n];
                for (int i = 0; i < n; i++) a[i] = in.string(key, i, MAX_ELEMENT_STRING_BYTES);
                yield a;
            }
            case BOOL -> {
                boolean[] a = new boolean[n];
                for (int i = 0; i < n; i++) a[i] = readBool(in, key, i);
                yield a;
            }
            case ARRAY -> {
                Object[] a = new Object[n];
                for (int i = 0; i < n; i++) a[i] = readArray(in, key, depth + 1);
                yield a;
            }
        };
    }

    /** True when the file starts with the GGUF magic; never throws. */
    static boolean hasMagic(Path path) {
        if (!Files.isRegularFile(path)) return false;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining() && ch.read(b) > 0) {
                // keep reading: a channel may return fewer bytes than asked
            }
            return !b.hasRemaining() && b.getInt(0) == MAGIC;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }
}
