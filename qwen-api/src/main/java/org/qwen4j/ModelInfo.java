package org.qwen4j;

import java.nio.file.Path;

/**
 * A description of a loaded model.
 *
 * @param path          the file or folder it was loaded from
 * @param name          the model's own name, when its metadata has one
 * @param architecture  e.g. {@code qwen2}
 * @param weightType    the dominant tensor format, e.g. {@code Q8_0}
 * @param parameters    number of weights
 * @param layers        transformer blocks
 * @param hiddenSize    embedding width
 * @param heads         attention heads
 * @param kvHeads       key/value heads
 * @param vocabularySize tokens in the vocabulary
 * @param trainedContextLength the context the model was trained for
 * @param contextLength the context window of sessions
 * @param backend       the backend that computes
 * @param threads       its worker threads
 * @param kvCacheType   precision of the sessions' KV caches
 * @param sessionBytes  memory one session takes (KV cache and buffers for the whole context)
 */
public record ModelInfo(Path path, String name, String architecture, String weightType, long parameters,
                        int layers, int hiddenSize, int heads, int kvHeads, int vocabularySize,
                        int trainedContextLength, int contextLength, String backend, int threads,
                        KvCacheType kvCacheType, long sessionBytes) {
}
