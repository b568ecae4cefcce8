/** The {@code qwen4j} command line and examples: the public API, and the converter for quantize and synth. */
module org.qwen4j.examples {
    requires org.qwen4j.api;
    requires com.fasterxml.jackson.databind;
    // qwen-core and qwen-quant's formats are bound as providers of the services qwen-api uses, as they
    // would be for any user of the API. Only the quantize and synth commands require qwen-quant, for its
    // converter, which has no place in the public API.
    requires org.qwen4j.quant;

    exports org.qwen4j.examples.cli;
}
