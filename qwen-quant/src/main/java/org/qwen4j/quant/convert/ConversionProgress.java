package org.qwen4j.quant.convert;

/**
 * Told how far a conversion has come, after each tensor and after each slab of a large one; the
 * command line turns it into a percentage on stderr. Called from the converting thread only.
 */
@FunctionalInterface
public interface ConversionProgress {
    /** Reports nothing. */
    ConversionProgress NONE = (tensor, tensors, name, bytesDone, bytesTotal) -> { };

    /**
     * @param tensor     1-based number of the tensor being written
     * @param tensors    number of tensors in the file
     * @param name       the tensor's name
     * @param bytesDone  tensor data bytes written so far, the file's whole data section counting
     * @param bytesTotal tensor data bytes the file will hold
     */
    void update(int tensor, int tensors, String name, long bytesDone, long bytesTotal);
}
