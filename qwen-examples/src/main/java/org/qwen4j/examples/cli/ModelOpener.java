package org.qwen4j.examples.cli;

import org.qwen4j.Model;
import org.qwen4j.ModelBuilder;

/** The options every model-loading command shares: {@code -t}, {@code --backend}, {@code --cache-type}. */
final class ModelOpener {
    static final java.util.Set<String> VALUED = java.util.Set.of("-m", "--model", "-t", "--threads", "--backend",
            "--cache-type", "-c", "--ctx-size");

    private ModelOpener() {
    }

    static Model open(Args args, int minimumContext) {
        String cacheType = args.get("--cache-type");
        if (cacheType != null && !cacheType.equalsIgnoreCase("f32")) {
            throw new Args.UsageException("--cache-type " + cacheType + " is not available; this version keeps the KV cache in f32");
        }
        ModelBuilder b = Model.builder(args.model()).threads(args.getInt(0, "-t", "--threads"));
        String backend = args.get("--backend");
        if (backend != null) b.backend(backend);
        int ctx = args.getInt(0, "-c", "--ctx-size");
        if (ctx > 0 || minimumContext > 0) b.contextLength(Math.max(ctx, minimumContext));
        return b.build();
    }
}
