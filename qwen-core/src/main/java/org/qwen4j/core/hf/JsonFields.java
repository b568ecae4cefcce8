package org.qwen4j.core.hf;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.qwen4j.ModelFormatException;

/**
 * One JSON object of a checkpoint's small JSON files ({@code config.json},
 * {@code generation_config.json}, {@code tokenizer.json} …) with typed accessors. Every way a value
 * can be wrong (missing, JSON {@code null} where a value is required, wrong type, out of range)
 * becomes a {@link ModelFormatException} naming the file and the field's dotted path, e.g.
 * {@code rope_scaling.factor}; nothing else escapes.
 */
final class JsonFields {
    /**
     * Duplicate keys are an error rather than last-one-wins: a file whose meaning depends on the
     * parser is malformed. Floats are read as doubles, which is what Python's {@code json} writes.
     */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .disable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();

    private final Path file;
    private final String path;
    private final JsonNode node;

    private JsonFields(Path file, String path, JsonNode node) {
        this.file = file;
        this.path = path;
        this.node = node;
    }

    /**
     * Reads a JSON file whose top level must be an object.
     *
     * @param maxBytes files larger than this are refused before anything is read (see the callers for why)
     */
    static JsonFields read(Path file, long maxBytes) {
        try {
            long size = Files.size(file);
            if (size > maxBytes) {
                throw new ModelFormatException(file, null, "file is " + size + " bytes; more than " + maxBytes
                        + " bytes is not a plausible " + file.getFileName());
            }
            JsonNode root;
            try (InputStream in = Files.newInputStream(file)) {
                root = JSON.readTree(in);
            }
            if (root == null || !root.isObject()) {
                throw new ModelFormatException(file, null, "the top level must be a JSON object");
            }
            return new JsonFields(file, "", root);
        } catch (JsonProcessingException e) {
            var at = e.getLocation();
            long offset = at == null ? -1 : at.getByteOffset();
            throw new ModelFormatException(file, offset, null, "not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ModelFormatException(file, null, "cannot read file: " + e.getMessage(), e);
        }
    }

    Path file() {
        return file;
    }

    /** The dotted path of a field of this object, as error messages name it. */
    String field(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    ModelFormatException error(String key, String problem) {
        return new ModelFormatException(file, key == null ? (path.isEmpty() ? null : path) : field(key), problem);
    }

    /** True when the key is present with a value other than JSON {@code null}. */
    boolean has(String key) {
        JsonNode v = node.get(key);
        return v != null && !v.isNull();
    }

    JsonNode raw(String key) {
        return node.get(key);
    }

    private JsonNode require(String key) {
        if (!has(key)) throw error(key, "is missing");
        return node.get(key);
    }

    String string(String key) {
        JsonNode v = require(key);
        if (!v.isTextual()) throw error(key, "must be a string, not " + describe(v));
        return v.textValue();
    }

    String string(String key, String fallback) {
        return has(key) ? string(key) : fallback;
    }

    boolean bool(String key, boolean fallback) {
        if (!has(key)) return fallback;
        JsonNode v = node.get(key);
        if (!v.isBoolean()) throw error(key, "must be true or false, not " + describe(v));
        return v.booleanValue();
    }

    /** An integer in {@code [min, max]}; a float with an integral value (e.g. {@code 64.0}) is accepted. */
    long integer(String key, long min, long max) {
        return integerValue(require(key), field(key), min, max);
    }

    long integer(String key, long min, long max, long fallback) {
        return has(key) ? integer(key, min, max) : fallback;
    }

    int intValue(String key, int min, int max) {
        return (int) integer(key, min, max);
    }

    long integerValue(JsonNode v, String field, long min, long max) {
        long value;
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            value = v.longValue();
        } else if (v.isFloatingPointNumber() && v.doubleValue() == Math.rint(v.doubleValue())
                && Math.abs(v.doubleValue()) < 0x1p53) {
            value = (long) v.doubleValue();
        } else {
            throw new ModelFormatException(file, field, "must be an integer, not " + describe(v));
        }
        if (value < min || value > max) {
            throw new ModelFormatException(file, field, "value " + value + " is outside [" + min + ", " + max + "]");
        }
        return value;
    }

    /** A finite number in {@code [min, max]}. */
    double number(String key, double min, double max) {
        JsonNode v = require(key);
        if (!v.isNumber()) throw error(key, "must be a number, not " + describe(v));
        double d = v.doubleValue();
        if (!Double.isFinite(d) || d < min || d > max) {
            throw error(key, "value " + d + " is outside [" + min + ", " + max + "]");
        }
        return d;
    }

    /** A nested object, or null when the key is absent or JSON {@code null}. */
    JsonFields object(String key) {
        if (!has(key)) return null;
        JsonNode v = node.get(key);
        if (!v.isObject()) throw error(key, "must be a JSON object, not " + describe(v));
        return new JsonFields(file, field(key), v);
    }

    JsonFields requireObject(String key) {
        JsonFields o = object(key);
        if (o == null) throw error(key, "is missing");
        return o;
    }

    /** The elements of an array that must be present. */
    List<JsonNode> array(String key) {
        JsonNode v = require(key);
        if (!v.isArray()) throw error(key, "must be a JSON array, not " + describe(v));
        List<JsonNode> out = new ArrayList<>(v.size());
        v.elements().forEachRemaining(out::add);
        return out;
    }

    /** An array element as an object, named {@code key[index]} in errors. */
    JsonFields element(String key, int index, JsonNode v) {
        String f = field(key) + "[" + index + "]";
        if (!v.isObject()) throw new ModelFormatException(file, f, "must be a JSON object, not " + describe(v));
        return new JsonFields(file, f, v);
    }

    /** The object's fields in file order. */
    Iterator<Map.Entry<String, JsonNode>> fields() {
        return node.fields();
    }

    static String describe(JsonNode v) {
        if (v == null || v.isNull()) return "null";
        if (v.isTextual()) return "the string \"" + abbreviate(v.textValue()) + "\"";
        if (v.isBoolean()) return v.booleanValue() ? "true" : "false";
        if (v.isNumber()) return "the number " + v.asText();
        if (v.isArray()) return "an array";
        return "an object";
    }

    static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
