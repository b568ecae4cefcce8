package org.qwen4j.examples.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.qwen4j.Tokenizer;

/** {@code qwen4j tokenize}: prints the token ids of a text as a JSON array. */
final class TokenizeCommand {
    private TokenizeCommand() {
    }

    static void run(String[] argv, PrintStream out) {
        Args a = new Args(argv, 1, Set.of("-m", "--model", "--text", "--file", "-t", "--threads"), Set.of("--special"));
        String text = a.get("--text");
        String file = a.get("--file");
        if ((text == null) == (file == null)) throw new Args.UsageException("give exactly one of --text and --file");
        if (file != null) {
            try {
                text = Files.readString(Path.of(file));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        Tokenizer tokenizer = Tokenizer.load(a.model());
        out.println(Json.write(tokenizer.encode(text, a.flag("--special"))));
    }
}
