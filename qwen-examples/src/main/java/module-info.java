/** The {@code qwen4j} command line and examples; they use the public API only. */
module org.qwen4j.examples {
    requires org.qwen4j.api;
    requires com.fasterxml.jackson.databind;
    // qwen-core and qwen-quant are not required: the module system binds them as providers of the
    // services qwen-api uses, as it would for any user of the API.

    exports org.qwen4j.examples.cli;
}
