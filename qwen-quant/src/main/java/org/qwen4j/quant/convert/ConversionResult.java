package org.qwen4j.quant.convert;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What a conversion wrote.
 *
 * @param file             the GGUF file
 * @param tensors          number of tensors
 * @param bytes            size of the file in bytes
 * @param tensorsPerFormat how many tensors each format holds, by format name
 * @param notes            row-length fallbacks and format substitutions, one line each (see {@link QuantizationPlan})
 * @param elapsed          wall-clock time of the conversion
 */
public record ConversionResult(Path file, int tensors, long bytes, Map<String, Integer> tensorsPerFormat,
        List<String> notes, Duration elapsed) {
}
