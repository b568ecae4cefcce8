package org.qwen4j.core.hf;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.qwen4j.spi.Tensor;

/**
 * One parsed safetensors file.
 *
 * @param file     the file
 * @param tensors  its tensors in header order, under their Hugging Face names, with shapes already in
 *                 GGUF order (innermost first) and data that are slices of the mapping
 * @param metadata the header's {@code __metadata__} strings (empty when there are none)
 */
record SafetensorsFile(Path file, List<Tensor> tensors, Map<String, String> metadata) {
}
