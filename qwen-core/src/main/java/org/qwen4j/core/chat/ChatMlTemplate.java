package org.qwen4j.core.chat;

import java.util.List;
import org.qwen4j.Message;
import org.qwen4j.Role;
import org.qwen4j.spi.Metadata;

/**
 * The ChatML layout every Qwen chat model uses:
 * {@code <|im_start|>role\ncontent<|im_end|>\n} per turn, then {@code <|im_start|>assistant\n} as
 * the generation prompt. Two behaviours of the official templates are honoured: Qwen2.5 inserts a
 * default system prompt when the conversation has none, and Qwen3 drops the {@code <think>} part
 * of assistant turns that come before the last user turn.
 *
 * <pre>{@code
 * String prompt = ChatMlTemplate.fromMetadata(metadata).render(List.of(Message.user("Hi")), true);
 * }</pre>
 */
public final class ChatMlTemplate {
    /** The system prompt Qwen2.5-Instruct's template adds when the conversation has none. */
    public static final String QWEN25_DEFAULT_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";

    private final String defaultSystem;
    private final boolean dropsEarlierThinking;
    private final boolean canDisableThinking;

    public ChatMlTemplate(String defaultSystem, boolean dropsEarlierThinking, boolean canDisableThinking) {
        this.defaultSystem = defaultSystem;
        this.dropsEarlierThinking = dropsEarlierThinking;
        this.canDisableThinking = canDisableThinking;
    }

    /** True for templates of reasoning models (Qwen3) that think unless told otherwise. */
    public boolean supportsThinking() {
        return canDisableThinking;
    }

    /** Reads the Jinja template in {@code tokenizer.chat_template} for the behaviours above. */
    public static ChatMlTemplate fromMetadata(Metadata metadata) {
        String jinja = metadata.getString("tokenizer.chat_template", "");
        return new ChatMlTemplate(jinja.contains(QWEN25_DEFAULT_SYSTEM) ? QWEN25_DEFAULT_SYSTEM : null,
                jinja.contains("</think>"), jinja.contains("enable_thinking"));
    }

    /** Renders the conversation; with {@code addGenerationPrompt} it ends with the assistant's opening. */
    public String render(List<Message> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, true);
    }

    /**
     * Like {@link #render(List, boolean)}; with {@code enableThinking} false, a reasoning model's
     * template closes an empty thinking block after the generation prompt, as Qwen3's does.
     */
    public String render(List<Message> messages, boolean addGenerationPrompt, boolean enableThinking) {
        StringBuilder sb = new StringBuilder();
        if (defaultSystem != null && (messages.isEmpty() || messages.getFirst().role() != Role.SYSTEM)) {
            turn(sb, "system", defaultSystem);
        }
        int lastUser = -1;
        for (int i = 0; i < messages.size(); i++) {
            if (messages.get(i).role() == Role.USER) lastUser = i;
        }
        for (int i = 0; i < messages.size(); i++) {
            Message m = messages.get(i);
            String content = m.content();
            if (m.role() == Role.ASSISTANT && dropsEarlierThinking && i < lastUser) {
                content = withoutThinking(content);
            }
            turn(sb, m.role().label(), content);
        }
        if (addGenerationPrompt) {
            sb.append("<|im_start|>assistant\n");
            if (!enableThinking && canDisableThinking) sb.append("<think>\n\n</think>\n\n");
        }
        return sb.toString();
    }

    private static void turn(StringBuilder sb, String role, String content) {
        sb.append("<|im_start|>").append(role).append('\n').append(content).append("<|im_end|>\n");
    }

    /** Qwen3's template keeps only what follows {@code </think>}, without the newlines after it. */
    static String withoutThinking(String content) {
        int end = content.lastIndexOf("</think>");
        if (end < 0) return content;
        String rest = content.substring(end + "</think>".length());
        int i = 0;
        while (i < rest.length() && rest.charAt(i) == '\n') i++;
        return rest.substring(i);
    }
}
