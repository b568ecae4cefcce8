package org.qwen4j.core.hf;

import java.util.Optional;
import java.util.Set;
import org.qwen4j.core.format.TensorFormats;
import org.qwen4j.spi.TensorFormat;

/**
 * The element types of a safetensors header ({@code "dtype"}) that qwen4j reads, each with the
 * {@link TensorFormat} that decodes it. The other types the safetensors format defines (integers,
 * booleans, F64, the 8-, 6- and 4-bit floats) are known but not read: Qwen checkpoints store their
 * weights as BF16, F16 or F32.
 */
enum SafetensorsDtype {
    F32(4), F16(2), BF16(2);

    /** The dtypes the safetensors specification defines beyond these, named apart in error messages. */
    static final Set<String> KNOWN_UNSUPPORTED = Set.of("BOOL", "U8", "I8", "I16", "U16", "I32", "U32", "I64",
            "U64", "F64", "C64", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4");

    /** Bytes per element. */
    final int bytes;

    SafetensorsDtype(int bytes) {
        this.bytes = bytes;
    }

    /** The dtype of a header's {@code "dtype"} string, or empty when qwen4j does not read it. */
    static Optional<SafetensorsDtype> of(String name) {
        for (SafetensorsDtype d : values()) {
            if (d.name().equals(name)) return Optional.of(d);
        }
        return Optional.empty();
    }

    /** The installed format of the same name (the F32, F16 and BF16 formats are part of qwen-core). */
    Optional<TensorFormat> format() {
        return TensorFormats.byName(name());
    }
}
