package org.qwen4j.examples.cli;

import java.io.PrintStream;
import java.util.Set;
import org.qwen4j.Tokenizer;

/** {@code qwen4j detokenize}: prints the text of comma-separated token ids. */
final class DetokenizeCommand {
    private DetokenizeCommand() {
    }

    static void run(String[] argv, PrintStream out) {
        Args a = new Args(argv, 1, Set.of("-m", "--model", "--ids", "-t", "--threads"), Set.of());
        int[] ids = a.ids("--ids");
        Tokenizer tokenizer = Tokenizer.load(a.model());
        int vocab = tokenizer.vocabularySize();
        for (int id : ids) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        out.println(tokenizer.decode(ids));
    }
}
