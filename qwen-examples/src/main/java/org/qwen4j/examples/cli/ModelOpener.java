package org.qwen4j.examples.cli;

import org.qwen4j.KvCacheType;
import org.qwen4j.Model;
import org.qwen4j.ModelBuilder;

/** The options every model-loading command shares: {@code -t}, {@code --backend}, {@code --cache-type}. */
final class ModelOpener {
    static final java.util.Set<String> VALUED = java.util.Set.of("-m", "--model", "-t", "--threads", "--backend",
            "--cache-type", "-c", "--ctx-size");

    private ModelOpener() {
    }

    /** Opens the model with the command line's options; {@code defaultCache} applies without {@code --cache-type}. */
    static Model open(Args args, int minimumContext, KvCacheType defaultCache) {
        String cacheType = args.get("--cache-type");
        KvCacheType cache;
        try {
            cache = cacheType == null ? defaultCache : KvCacheType.parse(cacheType);
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException(e.getMessage());
        }
        ModelBuilder b = Model.builder(args.model()).threads(args.getInt(0, "-t", "--threads")).kvCacheType(cache);
        String backend = args.get("--backend");
        if (backend != null) b.backend(backend);
        int ctx = args.getInt(0, "-c", "--ctx-size");
        if (ctx > 0 || minimumContext > 0) b.contextLength(Math.max(ctx, minimumContext));
        return b.build();
    }
}
