package org.qwen4j;

/** No service provider on the module or class path can handle the request. */
public class ProviderNotFoundException extends QwenException {
    public ProviderNotFoundException(String message) {
        super(message);
    }
}
