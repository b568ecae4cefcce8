package org.qwen4j.core.hf;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.qwen4j.ModelFormatException;
import org.qwen4j.spi.Tensor;
import org.qwen4j.spi.TensorFormat;

/**
 * Reads a safetensors file: a little-endian u64 header length {@code n}, {@code n} bytes of JSON
 * (for each tensor its {@code dtype}, row-major {@code shape} and {@code data_offsets} [begin, end)
 * relative to the data section; optionally {@code __metadata__}, a map of strings), then the data
 * section. The whole file is memory-mapped into the caller's arena (a {@link MemorySegment} mapping
 * has no 2 GiB limit) and each tensor is a slice of the mapping: nothing is copied.
 *
 * <p>The header is a stranger's input and is checked before anything depends on it: the length must
 * fit the file and a cap, the JSON must be well formed with no duplicate names, every offset pair must
 * lie inside the data section with {@code end - begin} exactly {@code elements × element size}, and
 * shapes must multiply out without overflow. Tensors may overlap (the format does not forbid it and
 * nothing here writes to them). Every violation is a {@link ModelFormatException} naming the file, the
 * byte offset and the field ({@code <tensor>.shape}, {@code <tensor>.data_offsets} …).
 */
final class SafetensorsReader {
    /**
     * The same limit as the reference implementation (the {@code safetensors} crate's
     * {@code MAX_HEADER_SIZE}): real headers are kilobytes to a few megabytes, and the header is copied
     * to the heap to be parsed, so a length field that claims more is refused instead of believed.
     */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    /** Far above any real checkpoint shard (MoE models have ~10^4 tensors), as in the GGUF reader. */
    static final int MAX_TENSORS = 1 << 20;
    /** GGUF's dimension limit, which the rest of the engine assumes. */
    static final int MAX_DIMS = 4;
    private static final long HEADER_START = 8;
    private static final JsonFactory JSON = new JsonFactory();
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private SafetensorsReader() {
    }

    /** Maps {@code file} into {@code arena} and parses it; the arena's owner unmaps it. */
    static SafetensorsFile open(Path file, Arena arena) {
        MemorySegment mapped;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        } catch (IOException e) {
            throw new ModelFormatException(file, null, "cannot read file: " + e.getMessage(), e);
        }
        return parse(file, mapped);
    }

    /** Parses a safetensors file already mapped (or held) in {@code bytes}. */
    static SafetensorsFile parse(Path file, MemorySegment bytes) {
        long size = bytes.byteSize();
        if (size < HEADER_START) {
            throw new ModelFormatException(file, 0, "header length", "the file has " + size
                    + " bytes; a safetensors file starts with an 8-byte header length (truncated file?)");
        }
        long headerLength = bytes.get(U64, 0);
        if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
            throw new ModelFormatException(file, 0, "header length", "header length "
                    + Long.toUnsignedString(headerLength) + " exceeds the limit of " + MAX_HEADER_BYTES
                    + " bytes (not a safetensors file?)");
        }
        if (headerLength > size - HEADER_START) {
            throw new ModelFormatException(file, 0, "header length", "header length " + headerLength
                    + " runs past the end of the " + size + "-byte file (truncated file?)");
        }
        if (headerLength < 2 || bytes.get(ValueLayout.JAVA_BYTE, HEADER_START) != '{') {
            throw new ModelFormatException(file, HEADER_START, "header", "the header must be a JSON object starting with '{'");
        }
        byte[] header = bytes.asSlice(HEADER_START, headerLength).toArray(ValueLayout.JAVA_BYTE);
        long dataStart = HEADER_START + headerLength;
        MemorySegment data = bytes.asSlice(dataStart);
        return new HeaderParser(file, header, data, dataStart).parse();
    }

    /** One pass of a streaming parser over the header: no tree, so memory stays proportional to the tensor count. */
    private static final class HeaderParser {
        private final Path file;
        private final byte[] header;
        private final MemorySegment data;
        private final long dataStart;
        private JsonParser json;

        HeaderParser(Path file, byte[] header, MemorySegment data, long dataStart) {
            this.file = file;
            this.header = header;
            this.data = data;
            this.dataStart = dataStart;
        }

        SafetensorsFile parse() {
            try (JsonParser p = JSON.createParser(header)) {
                json = p;
                return parseHeader();
            } catch (JsonProcessingException e) {
                throw new ModelFormatException(file, fileOffset(e.getLocation() == null ? -1 : e.getLocation().getByteOffset()),
                        "header", "not valid JSON: " + e.getOriginalMessage());
            } catch (IOException e) {
                throw new ModelFormatException(file, "header", "cannot parse: " + e.getMessage(), e);
            }
        }

        private long fileOffset(long headerOffset) {
            return headerOffset < 0 ? -1 : HEADER_START + headerOffset;
        }

        private long here() {
            return fileOffset(json.currentTokenLocation().getByteOffset());
        }

        private ModelFormatException error(long at, String field, String problem) {
            return new ModelFormatException(file, at, field, problem);
        }

        private SafetensorsFile parseHeader() throws IOException {
            if (json.nextToken() != JsonToken.START_OBJECT) throw error(here(), "header", "must be a JSON object");
            Map<String, String> metadata = Map.of();
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            boolean sawMetadata = false;
            JsonToken t;
            while ((t = json.nextToken()) == JsonToken.FIELD_NAME) {
                String name = json.currentName();
                long at = here();
                json.nextToken();
                if (name.equals("__metadata__")) {
                    if (sawMetadata) throw error(at, name, "appears twice");
                    sawMetadata = true;
                    metadata = readMetadata();
                    continue;
                }
                if (tensors.containsKey(name)) throw error(at, name, "duplicate tensor name");
                if (tensors.size() >= MAX_TENSORS) {
                    throw error(at, name, "more than " + MAX_TENSORS + " tensors in one file");
                }
                tensors.put(name, readTensor(name, at));
            }
            if (t != JsonToken.END_OBJECT) throw error(here(), "header", "unexpected " + t);
            JsonToken trailing = json.nextToken();
            if (trailing != null) throw error(here(), "header", "content after the header object");
            return new SafetensorsFile(file, List.copyOf(tensors.values()), metadata);
        }

        private Map<String, String> readMetadata() throws IOException {
            long at = here();
            if (json.currentToken() == JsonToken.VALUE_NULL) return Map.of();
            if (json.currentToken() != JsonToken.START_OBJECT) {
                throw error(at, "__metadata__", "must be an object of strings");
            }
            Map<String, String> out = new LinkedHashMap<>();
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                String key = json.currentName();
                if (json.nextToken() != JsonToken.VALUE_STRING) {
                    throw error(here(), "__metadata__." + key, "must be a string");
                }
                if (out.put(key, json.getText()) != null) throw error(here(), "__metadata__." + key, "appears twice");
            }
            return Collections.unmodifiableMap(out);
        }

        private Tensor readTensor(String name, long at) throws IOException {
            if (json.currentToken() != JsonToken.START_OBJECT) {
                throw error(at, name, "must be an object with dtype, shape and data_offsets");
            }
            String dtype = null;
            long[] shape = null;
            long[] offsets = null;
            Set<String> seen = new HashSet<>();
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                String key = json.currentName();
                if (!seen.add(key)) throw error(here(), name + "." + key, "appears twice");
                json.nextToken();
                switch (key) {
                    case "dtype" -> {
                        if (json.currentToken() != JsonToken.VALUE_STRING) {
                            throw error(here(), name + ".dtype", "must be a string");
                        }
                        dtype = json.getText();
                    }
                    case "shape" -> shape = readLongs(name + ".shape", MAX_DIMS);
                    case "data_offsets" -> offsets = readLongs(name + ".data_offsets", 2);
                    // Unknown fields are tolerated (a newer writer may add some); their values are skipped.
                    default -> json.skipChildren();
                }
            }
            if (dtype == null) throw error(at, name + ".dtype", "is missing");
            if (shape == null) throw error(at, name + ".shape", "is missing");
            if (offsets == null || offsets.length != 2) {
                throw error(at, name + ".data_offsets", offsets == null ? "is missing" : "must hold exactly [begin, end]");
            }
            return tensor(name, at, dtype, shape, offsets);
        }

        /** An array of at most {@code max} non-negative integers; longer arrays are refused while reading. */
        private long[] readLongs(String field, int max) throws IOException {
            long at = here();
            if (json.currentToken() != JsonToken.START_ARRAY) throw error(at, field, "must be an array of integers");
            long[] values = new long[max];
            int n = 0;
            JsonToken t;
            while ((t = json.nextToken()) != JsonToken.END_ARRAY) {
                if (t != JsonToken.VALUE_NUMBER_INT) throw error(here(), field, "must hold only integers, found " + t);
                if (json.getNumberType() == JsonParser.NumberType.BIG_INTEGER || json.getLongValue() < 0) {
                    throw error(here(), field, "value " + json.getText() + " is out of range");
                }
                if (n == max) throw error(at, field, "has more than " + max + " entries");
                values[n++] = json.getLongValue();
            }
            return Arrays.copyOf(values, n);
        }

        private Tensor tensor(String name, long at, String dtypeName, long[] rowMajorShape, long[] offsets) {
            SafetensorsDtype dtype = SafetensorsDtype.of(dtypeName).orElseThrow(() -> error(at, name + ".dtype",
                    SafetensorsDtype.KNOWN_UNSUPPORTED.contains(dtypeName)
                            ? "dtype " + dtypeName + " is not supported (qwen4j reads F32, F16 and BF16 tensors)"
                            : "unknown dtype \"" + JsonFields.abbreviate(dtypeName) + "\""));
            TensorFormat format = dtype.format().orElseThrow(() -> error(at, name + ".dtype",
                    "no TensorFormat provider named " + dtype + " is installed"));
            long elements = 1;
            for (long d : rowMajorShape) {
                if (d == 0) throw error(at, name + ".shape", "a dimension is 0; a model tensor is never empty");
                long high = Math.multiplyHigh(elements, d);
                elements *= d;
                if (high != 0 || elements < 0 || elements > Long.MAX_VALUE / dtype.bytes) {
                    throw error(at, name + ".shape", "the dimensions " + Arrays.toString(rowMajorShape)
                            + " multiply out past any possible file size");
                }
            }
            long begin = offsets[0];
            long end = offsets[1];
            long available = data.byteSize();
            if (end < begin) {
                throw error(at, name + ".data_offsets", "end " + end + " lies before begin " + begin);
            }
            if (end > available) {
                throw error(at, name + ".data_offsets", "[" + begin + ", " + end + ") runs past the data section, which holds "
                        + available + " bytes from byte " + dataStart + " (truncated file?)");
            }
            long bytes = elements * dtype.bytes;
            if (end - begin != bytes) {
                throw error(at, name + ".data_offsets", "[" + begin + ", " + end + ") holds " + (end - begin)
                        + " bytes but shape " + Arrays.toString(rowMajorShape) + " of " + dtype + " needs " + bytes);
            }
            // safetensors is row-major with the outermost dimension first; GGUF (and the SPI) lists the
            // innermost first, so the same bytes describe the same matrix once the shape is reversed.
            long[] shape = new long[Math.max(1, rowMajorShape.length)];
            shape[0] = 1; // a 0-d scalar becomes a 1-element vector
            for (int i = 0; i < rowMajorShape.length; i++) shape[i] = rowMajorShape[rowMajorShape.length - 1 - i];
            return new Tensor(name, format, shape, data.asSlice(begin, bytes));
        }
    }
}
