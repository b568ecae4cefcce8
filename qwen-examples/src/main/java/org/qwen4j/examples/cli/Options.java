package org.qwen4j.examples.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.qwen4j.quant.convert.FileType;

/** Option handling the conversion commands share: positional arguments next to options, file types. */
final class Options {
    private Options() {
    }

    /**
     * The options of {@code argv} after the command name, with the positional arguments (words that
     * are neither options nor option values) moved to {@code positional}.
     */
    static String[] withoutPositionals(String[] argv, Set<String> valued, List<String> positional) {
        List<String> options = new ArrayList<>();
        for (int i = 1; i < argv.length; i++) {
            String arg = argv[i];
            if (valued.contains(arg)) {
                options.add(arg);
                if (i + 1 < argv.length) options.add(argv[++i]);
            } else if (arg.startsWith("-")) {
                options.add(arg);
            } else {
                positional.add(arg);
            }
        }
        return options.toArray(String[]::new);
    }

    /** The option's value, else the positional argument at {@code index}; one of them is required. */
    static String valueOrPositional(Args a, List<String> positional, int index, String... names) {
        String v = a.get(names);
        if (v != null) return v;
        if (positional.size() > index) return positional.get(index);
        throw new Args.UsageException("missing required option " + names[0]);
    }

    static int integer(String value, String name) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new Args.UsageException(name + " expects an integer, got '" + value + "'");
        }
    }

    static FileType fileType(String name) {
        try {
            return FileType.parse(name);
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException(e.getMessage());
        }
    }
}
