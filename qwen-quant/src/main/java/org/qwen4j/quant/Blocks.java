package org.qwen4j.quant;

/** Argument checks shared by the block formats, so that a bad length fails before any byte is read. */
final class Blocks {

    private Blocks() {
    }

    /** Fails unless {@code n} is a non-negative whole number of blocks. */
    static void checkLength(int n, int blockSize) {
        if (n < 0 || n % blockSize != 0) {
            throw new IllegalArgumentException(
                    "length " + n + " is not a non-negative multiple of the block size " + blockSize);
        }
    }
}
