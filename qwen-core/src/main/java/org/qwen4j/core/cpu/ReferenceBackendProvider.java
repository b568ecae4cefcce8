package org.qwen4j.core.cpu;

import org.qwen4j.spi.Backend;
import org.qwen4j.spi.BackendProvider;

/** Provides {@link ReferenceBackend}; lowest priority, chosen only by name. */
public final class ReferenceBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return ReferenceBackend.NAME;
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public boolean isAvailable() {
        return true;
    }

    @Override
    public Backend create(int threads) {
        return new ReferenceBackend();
    }
}
