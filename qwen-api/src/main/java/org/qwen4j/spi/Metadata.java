package org.qwen4j.spi;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.qwen4j.ModelFormatException;

/**
 * Key/value metadata of a model file. Values are {@link String}, {@link Boolean}, boxed integers
 * ({@link Long} for every integer type), {@link Double} for floats, or arrays: {@code String[]},
 * {@code long[]}, {@code double[]}, {@code boolean[]} and {@code Object[]} for arrays of arrays.
 * Typed getters throw {@link ModelFormatException} naming the file and key when a value is
 * missing or of the wrong type.
 */
public final class Metadata {
    private final Path file;
    private final Map<String, Object> values;

    public Metadata(Path file, Map<String, Object> values) {
        this.file = file;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    public Path file() {
        return file;
    }

    public Set<String> keys() {
        return values.keySet();
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    public Object get(String key) {
        return values.get(key);
    }

    public Map<String, Object> asMap() {
        return values;
    }

    private Object require(String key) {
        Object v = values.get(key);
        if (v == null) throw new ModelFormatException(file, key, "required metadata key is missing");
        return v;
    }

    private ModelFormatException wrongType(String key, String expected, Object v) {
        return new ModelFormatException(file, key, "expected " + expected + " but found "
                + v.getClass().getSimpleName());
    }

    public String getString(String key) {
        Object v = require(key);
        if (v instanceof String s) return s;
        throw wrongType(key, "a string", v);
    }

    public String getString(String key, String fallback) {
        return has(key) ? getString(key) : fallback;
    }

    public long getLong(String key) {
        Object v = require(key);
        if (v instanceof Long l) return l;
        throw wrongType(key, "an integer", v);
    }

    /** An integer that must fit in an int and lie in {@code [min, max]}. */
    public int getInt(String key, int min, int max) {
        long v = getLong(key);
        if (v < min || v > max) {
            throw new ModelFormatException(file, key, "value " + v + " is outside [" + min + ", " + max + "]");
        }
        return (int) v;
    }

    public int getInt(String key, int min, int max, int fallback) {
        return has(key) ? getInt(key, min, max) : fallback;
    }

    public double getDouble(String key) {
        Object v = require(key);
        if (v instanceof Double d) return d;
        if (v instanceof Long l) return l;
        throw wrongType(key, "a number", v);
    }

    public double getDouble(String key, double fallback) {
        return has(key) ? getDouble(key) : fallback;
    }

    public boolean getBoolean(String key, boolean fallback) {
        if (!has(key)) return fallback;
        Object v = values.get(key);
        if (v instanceof Boolean b) return b;
        throw wrongType(key, "a boolean", v);
    }

    public String[] getStringArray(String key) {
        Object v = require(key);
        if (v instanceof String[] a) return a;
        throw wrongType(key, "an array of strings", v);
    }

    public long[] getLongArray(String key) {
        Object v = require(key);
        if (v instanceof long[] a) return a;
        throw wrongType(key, "an array of integers", v);
    }

    public double[] getDoubleArray(String key) {
        Object v = require(key);
        if (v instanceof double[] a) return a;
        throw wrongType(key, "an array of numbers", v);
    }
}
