package org.qwen4j;

import java.nio.file.Path;

/**
 * What a {@link ModelBuilder} collected. Null names and zero numbers mean "choose automatically".
 *
 * @param path          a model file or checkpoint folder
 * @param backend       backend name, or null
 * @param format        model-format provider name, or null
 * @param threads       worker threads, 0 for all cores
 * @param contextLength context window in tokens, 0 for the default
 * @param kvCacheType   precision of the sessions' KV caches
 */
public record ModelOptions(Path path, String backend, String format, int threads, int contextLength,
                           KvCacheType kvCacheType) {
}
