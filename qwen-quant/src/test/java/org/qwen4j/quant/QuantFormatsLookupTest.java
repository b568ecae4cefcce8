package org.qwen4j.quant;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import org.junit.jupiter.api.Test;
import org.qwen4j.core.format.F16Format;
import org.qwen4j.core.format.TensorFormats;

class QuantFormatsLookupTest {

    @Test
    void theCoreLookupFindsTheQuantFormatsByGgmlType() {
        assertInstanceOf(Q8_0Format.class, TensorFormats.byGgmlType(8).orElseThrow());
        assertInstanceOf(Q4_0Format.class, TensorFormats.byGgmlType(2).orElseThrow());
    }

    @Test
    void theCoreLookupFindsTheQuantFormatsByName() {
        assertInstanceOf(Q8_0Format.class, TensorFormats.byName("q8_0").orElseThrow());
        assertInstanceOf(Q4_0Format.class, TensorFormats.byName("Q4_0").orElseThrow());
    }

    @Test
    void theCoreFormatsStayVisibleBesideTheQuantOnes() {
        assertInstanceOf(F16Format.class, TensorFormats.byGgmlType(1).orElseThrow());
    }
}
