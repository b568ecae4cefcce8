package org.qwen4j;

/** Base of every exception qwen4j throws on purpose; unchecked so that streams and lambdas stay simple. */
public class QwenException extends RuntimeException {
    public QwenException(String message) {
        super(message);
    }

    public QwenException(String message, Throwable cause) {
        super(message, cause);
    }
}
