package org.qwen4j;

import java.nio.file.Path;

/**
 * A model or tokenizer file is malformed, truncated or unsupported. The message names the file,
 * the byte offset (when there is one) and the field that is wrong.
 */
public class ModelFormatException extends QwenException {
    private final Path file;
    private final long offset;
    private final String field;

    public ModelFormatException(Path file, long offset, String field, String problem) {
        super(describe(file, offset, field, problem));
        this.file = file;
        this.offset = offset;
        this.field = field;
    }

    public ModelFormatException(Path file, String field, String problem) {
        this(file, -1, field, problem);
    }

    public ModelFormatException(Path file, String field, String problem, Throwable cause) {
        super(describe(file, -1, field, problem), cause);
        this.file = file;
        this.offset = -1;
        this.field = field;
    }

    private static String describe(Path file, long offset, String field, String problem) {
        StringBuilder sb = new StringBuilder();
        sb.append(file == null ? "<unknown file>" : file.toString());
        if (offset >= 0) sb.append(" at byte ").append(offset);
        if (field != null) sb.append(", field ").append(field);
        return sb.append(": ").append(problem).toString();
    }

    /** The file that is malformed, or null when it is not known. */
    public Path file() {
        return file;
    }

    /** The byte offset of the problem, or -1 when it is not tied to one offset. */
    public long offset() {
        return offset;
    }

    /** The field (metadata key, tensor name or header part) that is wrong. */
    public String field() {
        return field;
    }
}
