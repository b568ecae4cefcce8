package org.qwen4j.core.cpu;

import org.qwen4j.spi.Backend;
import org.qwen4j.spi.BackendProvider;

/** Provides {@link SimdBackend}, the default CPU backend. */
public final class SimdBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return SimdBackend.NAME;
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public boolean isAvailable() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    @Override
    public Backend create(int threads) {
        return new SimdBackend(threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
    }
}
