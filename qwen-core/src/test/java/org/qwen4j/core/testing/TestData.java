package org.qwen4j.core.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the fixtures copied from the reference set into the repository's {@code testdata/} folder. */
public final class TestData {
    private TestData() {
    }

    /** The testdata folder: the {@code qwen4j.testdata} property that Surefire sets, else found upward from here. */
    public static Path root() {
        String prop = System.getProperty("qwen4j.testdata");
        if (prop != null && Files.isDirectory(Path.of(prop))) return Path.of(prop);
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("testdata/models"))) return p.resolve("testdata");
        }
        throw new IllegalStateException("testdata folder not found; run the tests from the repository");
    }

    public static Path resolve(String relative) {
        return root().resolve(relative);
    }
}
