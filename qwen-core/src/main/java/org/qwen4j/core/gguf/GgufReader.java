package org.qwen4j.core.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.qwen4j.ModelFormatException;
import org.qwen4j.core.format.TensorFormats;
import org.qwen4j.spi.Metadata;
import org.qwen4j.spi.Tensor;
import org.qwen4j.spi.TensorFormat;

/**
 * Parses a GGUF file (versions 2 and 3) that is memory-mapped as a whole. Tensors become slices of
 * the mapping; nothing is copied. Every count, length, dimension and offset is checked against the
 * file before it is used, so a hostile header cannot cause a large allocation.
 */
public final class GgufReader {
    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
    private static final int DEFAULT_ALIGNMENT = 32;
    private static final int MAX_DIMS = 4;
    private static final int MAX_ARRAY_NESTING = 8;
    /** Smallest tensor-info record: empty name (8), n_dims (4), one dim (8), type (4), offset (8). */
    private static final int MIN_TENSOR_INFO_BYTES = 32;
    /** Smallest key/value record: empty key (8), type (4), one byte of value. */
    private static final int MIN_KV_BYTES = 13;
    /**
     * Caps far above any real model (vocabularies hold ~10^5 entries, MoE models ~10^4 tensors) that
     * keep a lying header from allocating more than tens of MiB before the lie is noticed.
     */
    private static final long MAX_ARRAY_LENGTH = 1 << 23;
    private static final long MAX_TENSORS = 1 << 20;
    private static final long MAX_KVS = 1 << 20;

    private GgufReader() {
    }

    /** Maps and parses {@code path}; the returned source owns the mapping. */
    public static GgufSource open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            GgufSource source = parse(path, file, arena);
            return source;
        } catch (IOException e) {
            arena.close();
            throw new ModelFormatException(path, null, "cannot read file: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static GgufSource parse(Path path, MemorySegment file, Arena arena) {
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
        for (long i = 0; i < kvCount; i++) {
            long at = in.position();
            String key = in.string("metadata key #" + i);
            if (kv.containsKey(key)) {
                in.seek(at);
                throw in.error(key, "duplicate metadata key");
            }
            long typeAt = in.position();
            GgufValueType type = GgufValueType.of(in.u32(key + " (type)"));
            if (type == null) {
                in.seek(typeAt);
                throw in.error(key, "unknown metadata value type " + in.u32(key));
            }
            kv.put(key, readValue(in, type, key, 0));
        }
        Metadata metadata = new Metadata(path, kv);

        int alignment = DEFAULT_ALIGNMENT;
        if (kv.containsKey("general.alignment")) {
            Object a = kv.get("general.alignment");
            if (!(a instanceof Long l) || l <= 0 || l > (1 << 30) || Long.bitCount(l) != 1) {
                throw new ModelFormatException(path, "general.alignment", "must be a power of two, got " + a);
            }
            alignment = (int) (long) (Long) a;
        }

        String[] names = new String[(int) tensorCount];
        long[][] shapes = new long[(int) tensorCount][];
        TensorFormat[] formats = new TensorFormat[(int) tensorCount];
        long[] offsets = new long[(int) tensorCount];
        long[] infoOffsets = new long[(int) tensorCount];
        for (int i = 0; i < tensorCount; i++) {
            infoOffsets[i] = in.position();
            String name = in.string("tensor #" + i + " name");
            names[i] = name;
            long dimsAt = in.position();
            long nDims = in.u32(name + " n_dims");
            if (nDims < 1 || nDims > MAX_DIMS) {
                in.seek(dimsAt);
                throw in.error(name + " n_dims", "tensor has " + nDims + " dimensions; 1 to " + MAX_DIMS + " are allowed");
            }
            long[] shape = new long[(int) nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                long at = in.position();
                long dim = in.i64(name + " dim " + d);
                if (dim <= 0 || dim > Integer.MAX_VALUE || Math.multiplyHigh(elements, dim) != 0
                        || elements * dim < 0) {
                    in.seek(at);
                    throw in.error(name + " dim " + d, "dimension " + Long.toUnsignedString(dim) + " is out of range");
                }
                shape[d] = dim;
                elements *= dim;
            }
            shapes[i] = shape;
            long typeAt = in.position();
            long type = in.u32(name + " type");
            TensorFormat format = TensorFormats.byGgmlType((int) Math.min(type, Integer.MAX_VALUE)).orElse(null);
            if (format == null) {
                in.seek(typeAt);
                throw in.error(name + " type", "tensor type " + type
                        + " is not supported by any TensorFormat provider on the module path"
                        + " (quantized types need the qwen-quant module)");
            }
            if (shape[0] % format.blockSize() != 0) {
                in.seek(dimsAt);
                throw in.error(name + " dim 0", "row length " + shape[0] + " is not a multiple of the "
                        + format.name() + " block size " + format.blockSize());
            }
            formats[i] = format;
            long offAt = in.position();
            long offset = in.i64(name + " offset");
            if (offset < 0 || offset % alignment != 0) {
                in.seek(offAt);
                throw in.error(name + " offset", "offset " + Long.toUnsignedString(offset)
                        + " is not a multiple of the alignment " + alignment);
            }
            offsets[i] = offset;
        }

        long dataStart = alignUp(in.position(), alignment);
        long fileSize = file.byteSize();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (int i = 0; i < tensorCount; i++) {
            String name = names[i];
            long bytes = formats[i].byteSize(Arrays.stream(shapes[i]).reduce(1, Math::multiplyExact));
            long start = dataStart + offsets[i];
            if (offsets[i] > fileSize || start > fileSize || bytes > fileSize - start) {
                throw new ModelFormatException(path, infoOffsets[i], name + " offset",
                        "tensor data [" + start + ", " + (start + bytes) + ") lies past the end of the file ("
                                + fileSize + " bytes; truncated file?)");
            }
            if (tensors.containsKey(name)) {
                throw new ModelFormatException(path, infoOffsets[i], name, "duplicate tensor name");
            }
            tensors.put(name, new Tensor(name, formats[i], shapes[i], file.asSlice(start, bytes)));
        }
        return new GgufSource(path, (int) version, metadata, tensors, arena, dataStart);
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
            case BOOL -> readBool(in, key);
            case STRING -> in.string(key);
            case ARRAY -> readArray(in, key, depth);
        };
    }

    private static boolean readBool(GgufCursor in, String key) {
        long at = in.position();
        int b = in.u8(key);
        if (b > 1) {
            in.seek(at);
            throw in.error(key, "boolean value " + b + " is neither 0 nor 1");
        }
        return b == 1;
    }

    private static Object readArray(GgufCursor in, String key, int depth) {
        if (depth >= MAX_ARRAY_NESTING) throw in.error(key, "arrays nested deeper than " + MAX_ARRAY_NESTING);
        long typeAt = in.position();
        GgufValueType elem = GgufValueType.of(in.u32(key + " (array type)"));
        if (elem == null) {
            in.seek(typeAt);
            throw in.error(key, "unknown array element type " + in.u32(key));
        }
        long countAt = in.position();
        long count = in.count(key + " (array length)", elem.minBytes);
        if (count > MAX_ARRAY_LENGTH) {
            in.seek(countAt);
            throw in.error(key, "array length " + count + " exceeds the limit of " + MAX_ARRAY_LENGTH);
        }
        int n = (int) count;
        switch (elem) {
            case STRING -> {
                String[] a = new String[n];
                for (int i = 0; i < n; i++) a[i] = in.string(key);
                return a;
            }
            case FLOAT32, FLOAT64 -> {
                double[] a = new double[n];
                for (int i = 0; i < n; i++) a[i] = (Double) readValue(in, elem, key, depth);
                return a;
            }
            case BOOL -> {
                boolean[] a = new boolean[n];
                for (int i = 0; i < n; i++) a[i] = readBool(in, key);
                return a;
            }
            case ARRAY -> {
                Object[] a = new Object[n];
                for (int i = 0; i < n; i++) a[i] = readArray(in, key, depth + 1);
                return a;
            }
            default -> {
                long[] a = new long[n];
                for (int i = 0; i < n; i++) a[i] = (Long) readValue(in, elem, key, depth);
                return a;
            }
        }
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
