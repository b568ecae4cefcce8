package org.qwen4j.examples.golden;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.qwen4j.KvCacheType;
import org.qwen4j.Model;

/** Loaded fixture models shared by the tests of one JVM; loading is cheap but not free. */
final class Models {
    private static final Map<String, Model> LOADED = new ConcurrentHashMap<>();

    private Models() {
    }

    static Model get(Path file, String backend) {
        return LOADED.computeIfAbsent(file + "|" + backend, k -> Model.builder(file).backend(backend).threads(2)
                .contextLength(256).kvCacheType(KvCacheType.F32).build());
    }
}
