package org.qwen4j.core.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes syntactically valid GGUF files (v2 or v3) for tests: metadata of every value type
 * including nested arrays, tensor infos and aligned tensor data. {@link #build()} also reports
 * where each field landed, so that a test can corrupt exactly one field of an otherwise valid file.
 *
 * <p>Nothing here validates: a test may declare five dimensions, a type code that does not exist
 * or an offset past the end, because writing hostile files is the point.
 */
final class GgufTestFileBuilder {
    /** A metadata value as it is written: its type code and the Java value. */
    record Value(int typeCode, Object value) {
    }

    /** An array value: element type code and the elements (Java values, or nested {@code Arr}s). */
    record Arr(int elementTypeCode, List<?> elements) {
    }

    private record Kv(String key, Value value) {
    }

    private record TensorSpec(String name, int ggmlType, long[] dims, byte[] data, Long explicitOffset) {
    }

    /**
     * The bytes of a built file and the offset of every named field in it: {@code magic},
     * {@code version}, {@code tensor_count}, {@code metadata_kv_count}; {@code kv/KEY} (the record,
     * which starts with its key), {@code kv/KEY/key}, {@code kv/KEY/type}, {@code kv/KEY/value} (for an
     * array: the element type, its u64 length at +4, the elements from +12); {@code tensor/NAME} (the
     * info, which starts with its name), {@code tensor/NAME/n_dims}, {@code …/dims}, {@code …/type},
     * {@code …/offset}; {@code end_of_infos}, {@code data}, {@code data/NAME}, {@code end_of_data}.
     * When a key or name repeats, the later occurrence is recorded.
     */
    record Built(byte[] bytes, Map<String, Long> offsets) {
        /** Offset of a field: {@code tensor_count}, {@code kv/KEY/value}, {@code tensor/NAME/offset} … */
        long at(String field) {
            Long at = offsets.get(field);
            if (at == null) throw new IllegalArgumentException("no field " + field + " in " + offsets.keySet());
            return at;
        }

        int size() {
            return bytes.length;
        }

        Built copy() {
            return new Built(bytes.clone(), offsets);
        }

        Built putU32(String field, long value) {
            return putU32At(at(field), value);
        }

        Built putU64(String field, long value) {
            return putU64At(at(field), value);
        }

        Built putU8At(long offset, int value) {
            bytes[Math.toIntExact(offset)] = (byte) value;
            return this;
        }

        Built putU32At(long offset, long value) {
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(Math.toIntExact(offset), (int) value);
            return this;
        }

        Built putU64At(long offset, long value) {
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(Math.toIntExact(offset), value);
            return this;
        }

        /** The first {@code length} bytes, as a file cut short would hold them. */
        byte[] truncated(int length) {
            return java.util.Arrays.copyOf(bytes, length);
        }

        /** The first {@code length} bytes, still patchable by field name. */
        Built cut(long length) {
            return new Built(truncated(Math.toIntExact(length)), offsets);
        }
    }

    static final int UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
            STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12;
    static final int GGML_F32 = 0, GGML_F16 = 1, GGML_BF16 = 30;

    private int version = 3;
    private int layoutAlignment = 32;
    private final List<Kv> kvs = new ArrayList<>();
    private final List<TensorSpec> tensors = new ArrayList<>();

    GgufTestFileBuilder version(int version) {
        this.version = version;
        return this;
    }

    /** Writes {@code general.alignment} as a u32 and lays the data out with it. */
    GgufTestFileBuilder alignment(int alignment) {
        this.layoutAlignment = alignment;
        return kv("general.alignment", UINT32, (long) alignment);
    }

    GgufTestFileBuilder kv(String key, int typeCode, Object value) {
        kvs.add(new Kv(key, new Value(typeCode, value)));
        return this;
    }

    GgufTestFileBuilder string(String key, String value) {
        return kv(key, STRING, value);
    }

    GgufTestFileBuilder u32(String key, long value) {
        return kv(key, UINT32, value);
    }

    GgufTestFileBuilder array(String key, int elementTypeCode, List<?> elements) {
        return kv(key, ARRAY, new Arr(elementTypeCode, elements));
    }

    static Arr arr(int elementTypeCode, Object... elements) {
        return new Arr(elementTypeCode, List.of(elements));
    }

    /** A tensor whose data follows the infos, placed at the next aligned offset. */
    GgufTestFileBuilder tensor(String name, int ggmlType, long[] dims, byte[] data) {
        tensors.add(new TensorSpec(name, ggmlType, dims.clone(), data, null));
        return this;
    }

    /** An F32 tensor filled with 0, 1, 2 … so that a view can be checked value by value. */
    GgufTestFileBuilder f32Tensor(String name, long... dims) {
        long n = 1;
        for (long d : dims) n *= d;
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(n * 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) b.putFloat(i);
        return tensor(name, GGML_F32, dims, b.array());
    }

    /** A tensor info that claims {@code offset} and brings no data of its own. */
    GgufTestFileBuilder tensorInfo(String name, int ggmlType, long[] dims, long offset) {
        tensors.add(new TensorSpec(name, ggmlType, dims.clone(), new byte[0], offset));
        return this;
    }

    Built build() {
        Out out = new Out();
        Map<String, Long> at = new HashMap<>();
        at.put("magic", out.pos());
        out.u32(GgufReader.MAGIC);
        at.put("version", out.pos());
        out.u32(version);
        at.put("tensor_count", out.pos());
        out.u64(tensors.size());
        at.put("metadata_kv_count", out.pos());
        out.u64(kvs.size());
        for (Kv kv : kvs) {
            at.put("kv/" + kv.key(), out.pos());
            at.put("kv/" + kv.key() + "/key", out.pos());
            out.string(kv.key());
            at.put("kv/" + kv.key() + "/type", out.pos());
            out.u32(kv.value().typeCode());
            at.put("kv/" + kv.key() + "/value", out.pos());
            writeValue(out, kv.value().typeCode(), kv.value().value());
        }

        long[] dataOffsets = new long[tensors.size()];
        long next = 0;
        for (int i = 0; i < tensors.size(); i++) {
            TensorSpec t = tensors.get(i);
            if (t.explicitOffset() != null) {
                dataOffsets[i] = t.explicitOffset();
            } else {
                dataOffsets[i] = next;
                next = alignUp(next + t.data().length, layoutAlignment);
            }
        }
        for (int i = 0; i < tensors.size(); i++) {
            TensorSpec t = tensors.get(i);
            String p = "tensor/" + t.name();
            at.put(p, out.pos());
            out.string(t.name());
            at.put(p + "/n_dims", out.pos());
            out.u32(t.dims().length);
            at.put(p + "/dims", out.pos());
            for (long d : t.dims()) out.u64(d);
            at.put(p + "/type", out.pos());
            out.u32(t.ggmlType());
            at.put(p + "/offset", out.pos());
            out.u64(dataOffsets[i]);
        }
        at.put("end_of_infos", out.pos());
        out.padTo(alignUp(out.pos(), layoutAlignment));
        long dataStart = out.pos();
        at.put("data", dataStart);
        for (int i = 0; i < tensors.size(); i++) {
            TensorSpec t = tensors.get(i);
            if (t.explicitOffset() != null) continue;
            out.padTo(dataStart + dataOffsets[i]);
            at.put("data/" + t.name(), out.pos());
            out.bytes(t.data());
        }
        at.put("end_of_data", out.pos());
        if (next > 0) out.padTo(dataStart + next);
        // Not Map.copyOf: its open addressing degrades badly on 10^5 keys this alike ("kv/1a/type" …).
        return new Built(out.toByteArray(), Collections.unmodifiableMap(at));
    }

    private static long alignUp(long v, long alignment) {
        return (v + alignment - 1) / alignment * alignment;
    }

    private static void writeValue(Out out, int type, Object v) {
        switch (type) {
            case UINT8, INT8 -> out.u8(((Number) v).intValue());
            case UINT16, INT16 -> out.u16(((Number) v).intValue());
            case UINT32, INT32 -> out.u32(((Number) v).longValue());
            case FLOAT32 -> out.u32(Float.floatToRawIntBits(((Number) v).floatValue()));
            case BOOL -> out.u8(v instanceof Boolean b ? (b ? 1 : 0) : ((Number) v).intValue());
            case STRING -> out.string((String) v);
            case ARRAY -> {
                Arr a = (Arr) v;
                out.u32(a.elementTypeCode());
                out.u64(a.elements().size());
                for (Object e : a.elements()) writeValue(out, a.elementTypeCode(), e);
            }
            case UINT64, INT64 -> out.u64(((Number) v).longValue());
            case FLOAT64 -> out.u64(Double.doubleToRawLongBits(((Number) v).doubleValue()));
            default -> throw new IllegalArgumentException("the builder cannot encode a value of type " + type
                    + "; build a valid file and patch the type code instead");
        }
    }

    /** Little-endian output that knows its position. */
    static final class Out {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        long pos() {
            return buf.size();
        }

        void u8(int v) {
            buf.write(v);
        }

        void u16(int v) {
            u8(v);
            u8(v >>> 8);
        }

        void u32(long v) {
            for (int i = 0; i < 4; i++) u8((int) (v >>> (8 * i)));
        }

        void u64(long v) {
            for (int i = 0; i < 8; i++) u8((int) (v >>> (8 * i)));
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            bytes(b);
        }

        void bytes(byte[] b) {
            buf.writeBytes(b);
        }

        void padTo(long position) {
            while (buf.size() < position) buf.write(0);
        }

        byte[] toByteArray() {
            return buf.toByteArray();
        }
    }
}
