package org.qwen4j.quant.convert;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What a whole model file is converted to: llama.cpp's {@code llama_ftype}, whose number goes into
 * {@code general.file_type}. Each names the format most weight matrices get; the mixtures
 * ({@code Q4_K_M}, {@code Q5_K_M}) give some tensors more bits, as {@link QuantizationPlan} decides.
 */
public enum FileType {
    F32(0, "F32"),
    F16(1, "F16"),
    BF16(32, "BF16"),
    Q8_0(7, "Q8_0"),
    Q4_0(2, "Q4_0"),
    Q4_K_M(15, "Q4_K", "Q4_K"),
    Q5_K_M(17, "Q5_K", "Q5_K"),
    Q6_K(18, "Q6_K");

    private final int llamaFileType;
    private final String defaultFormat;
    private final String[] aliases;

    FileType(int llamaFileType, String defaultFormat, String... aliases) {
        this.llamaFileType = llamaFileType;
        this.defaultFormat = defaultFormat;
        this.aliases = aliases;
    }

    /** The {@code llama_ftype} number stored as {@code general.file_type}. */
    public int llamaFileType() {
        return llamaFileType;
    }

    /** Name of the format that weight matrices get unless the mixture says otherwise, e.g. {@code Q4_K}. */
    public String defaultFormat() {
        return defaultFormat;
    }

    /**
     * The type named {@code name}, ignoring case: {@code q8_0}, {@code Q4_K_M}, and llama-quantize's
     * aliases {@code Q4_K} (for {@code Q4_K_M}) and {@code Q5_K} (for {@code Q5_K_M}).
     *
     * @throws IllegalArgumentException naming the accepted types
     */
    public static FileType parse(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        for (FileType t : values()) {
            if (t.name().equals(n) || Arrays.asList(t.aliases).contains(n)) return t;
        }
        throw new IllegalArgumentException("unknown type '" + name + "'; use one of " + names());
    }

    /** The accepted names, lower case, for messages and usage text. */
    public static String names() {
        return Arrays.stream(values()).map(t -> t.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "));
    }
}
