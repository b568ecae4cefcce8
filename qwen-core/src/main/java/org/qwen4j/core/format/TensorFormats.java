package org.qwen4j.core.format;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

import org.qwen4j.spi.TensorFormat;

/**
 * Finds the installed {@link TensorFormat} providers by {@code ggml_type} number or by name. The
 * providers are loaded once, on first use, with {@link ServiceLoader}; when two providers claim the
 * same type or name, the first one the loader returns wins. A format that is not installed is an
 * empty {@link Optional}: the caller knows the context (file, tensor, offset) for a useful error.
 */
public final class TensorFormats {

    private TensorFormats() {
    }

    /** The format stored under {@code ggmlType} in GGUF files, if a provider for it is installed. */
    public static Optional<TensorFormat> byGgmlType(int ggmlType) {
        return Optional.ofNullable(Registry.INSTANCE.byType.get(ggmlType));
    }

    /** The format called {@code name} ({@code "Q8_0"}, {@code "f16"} …), ignoring case. */
    public static Optional<TensorFormat> byName(String name) {
        return Optional.ofNullable(Registry.INSTANCE.byName.get(name.toUpperCase(Locale.ROOT)));
    }

    /** Every installed format, one per {@code ggml_type}, in the order the service loader found them. */
    public static List<TensorFormat> all() {
        return Registry.INSTANCE.all;
    }

    /**
     * Holder idiom: the class initialiser runs the service lookup once, thread-safely, on first use.
     * The lookup uses this library's own class loader, not the thread's context loader, because
     * the result is cached for the whole JVM and must not depend on which thread asked first.
     */
    private static final class Registry {
        static final Registry INSTANCE =
                new Registry(ServiceLoader.load(TensorFormat.class, TensorFormats.class.getClassLoader()));

        final Map<Integer, TensorFormat> byType = new HashMap<>();
        final Map<String, TensorFormat> byName = new HashMap<>();
        final List<TensorFormat> all;

        private Registry(Iterable<TensorFormat> providers) {
            List<TensorFormat> found = new ArrayList<>();
            for (TensorFormat format : providers) {
                if (byType.putIfAbsent(format.ggmlType(), format) == null) {
                    found.add(format);
                }
                byName.putIfAbsent(format.name().toUpperCase(Locale.ROOT), format);
            }
            all = Collections.unmodifiableList(found);
        }
    }
}
