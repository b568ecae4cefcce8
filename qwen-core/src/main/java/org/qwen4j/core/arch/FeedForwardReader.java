package org.qwen4j.core.arch;

import org.qwen4j.spi.ModelSource;

/** How an architecture's blocks store their feed-forward networks: reads block {@code layer}'s. */
@FunctionalInterface
interface FeedForwardReader {
    FeedForward read(ModelSource source, int layer, int hidden);
}
