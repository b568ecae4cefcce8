package org.qwen4j.core.format;

import java.util.Collections;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import org.qwen4j.spi.TensorFormat;

/** Finds {@link TensorFormat} providers by ggml type number or by name; looked up once per class loader. */
public final class TensorFormats {
    private static final class Registry {
        static final Map<Integer, TensorFormat> BY_TYPE;
        static final Map<String, TensorFormat> BY_NAME;

        static {
            Map<Integer, TensorFormat> byType = new HashMap<>();
            Map<String, TensorFormat> byName = new HashMap<>();
            for (TensorFormat f : ServiceLoader.load(TensorFormat.class, TensorFormats.class.getClassLoader())) {
                byType.putIfAbsent(f.ggmlType(), f);
                byName.putIfAbsent(f.name().toUpperCase(Locale.ROOT), f);
            }
            BY_TYPE = Collections.unmodifiableMap(byType);
            BY_NAME = Collections.unmodifiableMap(byName);
        }
    }

    private TensorFormats() {
    }

    /** The format for a ggml type number, or null when no provider knows it. */
    public static TensorFormat byGgmlType(int type) {
        return Registry.BY_TYPE.get(type);
    }

    /** The format for a name such as {@code q8_0} (any case), or null. */
    public static TensorFormat byName(String name) {
        return Registry.BY_NAME.get(name.toUpperCase(Locale.ROOT));
    }
}
