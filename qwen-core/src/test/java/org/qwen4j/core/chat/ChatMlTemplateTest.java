package org.qwen4j.core.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qwen4j.Message;
import org.qwen4j.Role;
import org.qwen4j.core.testing.TestData;
import org.qwen4j.spi.Metadata;

/**
 * Conversations without tools render exactly as Hugging Face renders the official Qwen2.5 and Qwen3
 * templates ({@code testdata/chat/rendered.json}).
 */
class ChatMlTemplateTest {

    @ParameterizedTest
    @ValueSource(strings = {"qwen2.5/user-only", "qwen2.5/multi-turn", "qwen3/user-only", "qwen3/multi-turn",
            "qwen3/no-thinking", "qwen3/history-thinking-stripped"})
    void rendersLikeHuggingFace(String name) throws Exception {
        JsonNode all = new ObjectMapper().readTree(TestData.resolve("chat/rendered.json").toFile());
        JsonNode entry = all.get(name);
        assertTrue(entry != null, "no case " + name + " in rendered.json: " + iterable(all.fieldNames()));
        String jinja = Files.readString(TestData.resolve("templates/" + entry.get("template").asText()));
        ChatMlTemplate template = ChatMlTemplate.fromMetadata(new Metadata(null, Map.of("tokenizer.chat_template", jinja)));
        JsonNode input = entry.get("input");
        assertFalse(input.has("tools"), "cases with tools need the Jinja engine");
        List<Message> messages = new ArrayList<>();
        for (JsonNode m : input.get("messages")) {
            messages.add(new Message(Role.valueOf(m.get("role").asText().toUpperCase()), m.get("content").asText()));
        }
        boolean thinking = !input.has("enable_thinking") || input.get("enable_thinking").asBoolean();
        assertEquals(entry.get("rendered").asText(),
                template.render(messages, input.get("add_generation_prompt").asBoolean(), thinking));
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> l = new ArrayList<>();
        it.forEachRemaining(l::add);
        return l;
    }
}
