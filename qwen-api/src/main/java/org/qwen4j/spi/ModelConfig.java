package org.qwen4j.spi;

/**
 * Hyper-parameters of a transformer, read from metadata.
 *
 * @param architecture   {@code general.architecture}
 * @param layers         transformer blocks
 * @param hiddenSize     embedding width
 * @param heads          query heads
 * @param kvHeads        key/value heads (grouped-query attention when fewer than heads)
 * @param headDim        width of one head
 * @param ffnSize        feed-forward inner width
 * @param vocabularySize rows of the embedding table
 * @param contextLength  trained context
 * @param rmsEpsilon     RMSNorm epsilon
 * @param ropeBase       RoPE frequency base
 */
public record ModelConfig(String architecture, int layers, int hiddenSize, int heads, int kvHeads, int headDim,
                          int ffnSize, int vocabularySize, int contextLength, float rmsEpsilon, double ropeBase) {
}
