package org.qwen4j.spi;

/** Turns metadata and tensors of one architecture family into a forward pass. */
public interface ArchitectureProvider {
    /** True for the {@code general.architecture} values it handles, e.g. {@code qwen2}. */
    boolean supports(String architecture);

    /**
     * Builds the forward pass, written against {@code backend} only.
     *
     * @throws org.qwen4j.ModelFormatException when tensors or hyper-parameters are missing or inconsistent
     */
    LanguageModel create(ModelSource source, Backend backend);
}
