package org.qwen4j.quant.convert;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.qwen4j.core.gguf.GgufTensorInfo;
import org.qwen4j.spi.Metadata;
import org.qwen4j.spi.ModelSource;
import org.qwen4j.spi.TensorFormat;

/**
 * Converts a model (any {@link ModelSource}: a GGUF file, a Hugging Face checkpoint folder) into a
 * GGUF file of another {@link FileType}, the way llama-quantize does: the same choice of format per
 * tensor ({@link QuantizationPlan}), the same tensor order, the same metadata (every key copied, then
 * {@code general.quantization_version} = 2 and {@code general.file_type} set last, split keys dropped;
 * a Hugging Face checkpoint's own keys become GGUF's, see {@link GgufMetadataKeys}; its experts are
 * stacked as GGUF stacks them, see {@link GgufTensorAssembly}).
 * A tensor whose format does not change is copied byte for byte; every other one is decoded with its
 * format's reference {@link TensorFormat#dequantize} and encoded with the target's
 * {@link TensorFormat#quantize}, a slab of rows at a time on a fixed pool of threads, so the heap stays
 * at a few MiB per thread whatever the size of the model.
 */
public final class ModelQuantizer {
    /** The quantization scheme version of ggml's block formats, {@code GGML_QNT_VERSION}. */
    public static final long QUANTIZATION_VERSION = 2;
    static final String QUANTIZATION_VERSION_KEY = "general.quantization_version";
    static final String FILE_TYPE_KEY = "general.file_type";
    /** Keys of split files; the output is one file, and llama.cpp removes them too. */
    private static final List<String> SPLIT_KEYS = List.of("split.no", "split.count", "split.tensors.count");

    private final int threads;
    private final ConversionProgress progress;

    /**
     * @param threads  encoding threads (llama-quantize's {@code nthread}); at least 1
     * @param progress told after every slab and tensor
     */
    public ModelQuantizer(int threads, ConversionProgress progress) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        this.threads = threads;
        this.progress = progress;
    }

    /** Opens {@code input} through the installed format providers and converts it. */
    public ConversionResult quantize(Path input, Path output, FileType type, boolean pure) throws IOException {
        try (ModelSource source = ModelSources.open(input)) {
            return quantize(source, output, type, pure);
        }
    }

    /**
     * Writes {@code source} to {@code output} as {@code type}; {@code pure} gives every weight matrix
     * the type's own format, without llama.cpp's mixture and output-tensor rules.
     */
    public ConversionResult quantize(ModelSource source, Path output, FileType type, boolean pure) throws IOException {
        Map<String, AssembledTensor> tensors = new HashMap<>();
        List<GgufTensorInfo> infos = new ArrayList<>();
        for (AssembledTensor t : GgufTensorAssembly.of(source)) {
            tensors.put(t.name(), t);
            infos.add(t.info());
        }
        QuantizationPlan plan = QuantizationPlan.create(source.metadata(), infos, type, pure);
        try (ParallelGgufEncoder encoder = new ParallelGgufEncoder(threads, progress)) {
            return encoder.write(output, outputMetadata(source.metadata(), type), plan, planned -> {
                AssembledTensor t = tensors.get(planned.name());
                return planned.copiesBytes() ? new TensorData.Bytes(t.pieces()) : new TensorData.Rows(t.decoder());
            });
        }
    }

    /** The source's metadata as llama.cpp's quantizer rewrites it. */
    static Map<String, Object> outputMetadata(Metadata source, FileType type) {
        Map<String, Object> md = GgufMetadataKeys.of(source.asMap());
        SPLIT_KEYS.forEach(md::remove);
        // llama.cpp sets these after copying, and setting a key moves it to the end.
        md.remove(QUANTIZATION_VERSION_KEY);
        md.put(QUANTIZATION_VERSION_KEY, QUANTIZATION_VERSION);
        md.remove(FILE_TYPE_KEY);
        md.put(FILE_TYPE_KEY, (long) type.llamaFileType());
        return md;
    }
}
