package org.qwen4j.core.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.qwen4j.spi.TensorFormat;

class TensorFormatsTest {

    @Test
    void findsTheCoreFormatsByGgmlType() {
        assertInstanceOf(F32Format.class, TensorFormats.byGgmlType(0).orElseThrow());
        assertInstanceOf(F16Format.class, TensorFormats.byGgmlType(1).orElseThrow());
        assertInstanceOf(BF16Format.class, TensorFormats.byGgmlType(30).orElseThrow());
    }

    @Test
    void findsFormatsByNameIgnoringCase() {
        assertInstanceOf(F16Format.class, TensorFormats.byName("F16").orElseThrow());
        assertInstanceOf(BF16Format.class, TensorFormats.byName("bf16").orElseThrow());
    }

    @Test
    void answersEmptyForATypeOrNameNoProviderClaims() {
        assertTrue(TensorFormats.byGgmlType(9999).isEmpty());
        assertTrue(TensorFormats.byGgmlType(-1).isEmpty());
        assertTrue(TensorFormats.byName("Q99_K").isEmpty());
    }

    @Test
    void returnsTheSameCachedInstanceOnEveryLookup() {
        assertSame(TensorFormats.byGgmlType(1).orElseThrow(), TensorFormats.byGgmlType(1).orElseThrow());
        assertSame(TensorFormats.byGgmlType(1).orElseThrow(), TensorFormats.byName("f16").orElseThrow());
    }

    @Test
    void listsEachInstalledTypeOnce() {
        Set<Integer> types = new HashSet<>();
        for (TensorFormat format : TensorFormats.all()) {
            assertTrue(types.add(format.ggmlType()), "type " + format.ggmlType() + " listed twice");
        }
        assertTrue(types.containsAll(Set.of(0, 1, 30)), types::toString);
        assertEquals(types.size(), TensorFormats.all().size());
    }
}
