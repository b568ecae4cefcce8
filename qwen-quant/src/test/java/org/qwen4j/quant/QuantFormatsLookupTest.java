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
        assertInstanceOf(Q4_1Format.class, TensorFormats.byGgmlType(3).orElseThrow());
        assertInstanceOf(Q5_0Format.class, TensorFormats.byGgmlType(6).orElseThrow());
        assertInstanceOf(Q5_1Format.class, TensorFormats.byGgmlType(7).orElseThrow());
        assertInstanceOf(Q2_KFormat.class, TensorFormats.byGgmlType(10).orElseThrow());
        assertInstanceOf(Q3_KFormat.class, TensorFormats.byGgmlType(11).orElseThrow());
        assertInstanceOf(Q4_KFormat.class, TensorFormats.byGgmlType(12).orElseThrow());
        assertInstanceOf(Q5_KFormat.class, TensorFormats.byGgmlType(13).orElseThrow());
        assertInstanceOf(Q6_KFormat.class, TensorFormats.byGgmlType(14).orElseThrow());
    }

    @Test
    void theCoreLookupFindsTheQuantFormatsByName() {
        assertInstanceOf(Q8_0Format.class, TensorFormats.byName("q8_0").orElseThrow());
        assertInstanceOf(Q4_0Format.class, TensorFormats.byName("Q4_0").orElseThrow());
        assertInstanceOf(Q5_1Format.class, TensorFormats.byName("q5_1").orElseThrow());
        assertInstanceOf(Q4_KFormat.class, TensorFormats.byName("q4_k").orElseThrow());
        assertInstanceOf(Q6_KFormat.class, TensorFormats.byName("Q6_K").orElseThrow());
    }

    @Test
    void theCoreFormatsStayVisibleBesideTheQuantOnes() {
        assertInstanceOf(F16Format.class, TensorFormats.byGgmlType(1).orElseThrow());
    }
}
