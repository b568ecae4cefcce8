package org.qwen4j.examples.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Command-line options of one command: {@code -k value}, {@code --key value} and boolean flags. */
final class Args {
    private final Map<String, String> values = new HashMap<>();
    private final Set<String> flags;

    Args(String[] argv, int from, Set<String> valued, Set<String> flags) {
        this.flags = flags;
        List<String> seenFlags = new ArrayList<>();
        for (int i = from; i < argv.length; i++) {
            String a = argv[i];
            if (flags.contains(a)) {
                seenFlags.add(a);
                values.put(a, "true");
            } else if (valued.contains(a)) {
                if (i + 1 >= argv.length) throw new UsageException("option " + a + " needs a value");
                values.put(a, argv[++i]);
            } else {
                throw new UsageException("unknown option '" + a + "'");
            }
        }
    }

    boolean flag(String name) {
        return values.containsKey(name) && flags.contains(name);
    }

    String get(String... names) {
        for (String n : names) {
            if (values.containsKey(n)) return values.get(n);
        }
        return null;
    }

    String require(String... names) {
        String v = get(names);
        if (v == null) throw new UsageException("missing required option " + names[0]);
        return v;
    }

    int getInt(int fallback, String... names) {
        String v = get(names);
        if (v == null) return fallback;
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new UsageException("option " + names[0] + " expects an integer, got '" + v + "'");
        }
    }

    double getDouble(double fallback, String... names) {
        String v = get(names);
        if (v == null) return fallback;
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new UsageException("option " + names[0] + " expects a number, got '" + v + "'");
        }
    }

    Path model() {
        return Path.of(require("-m", "--model"));
    }

    int[] ids(String... names) {
        String v = require(names);
        String[] parts = v.replace("[", "").replace("]", "").split("[,\\s]+");
        List<Integer> ids = new ArrayList<>();
        for (String p : parts) {
            if (p.isBlank()) continue;
            try {
                ids.add(Integer.parseInt(p.trim()));
            } catch (NumberFormatException e) {
                throw new UsageException("token ids must be integers separated by commas, got '" + p + "'");
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Thrown for a wrong command line; the CLI prints the message and the usage. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
