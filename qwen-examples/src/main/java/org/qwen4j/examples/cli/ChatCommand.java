package org.qwen4j.examples.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.qwen4j.Completion;
import org.qwen4j.GenerationOptions;
import org.qwen4j.KvCacheType;
import org.qwen4j.Model;
import org.qwen4j.Session;

/** {@code qwen4j chat}: an interactive conversation on standard input; {@code /reset} and {@code /exit}. */
final class ChatCommand {
    private ChatCommand() {
    }

    static void run(String[] argv, PrintStream out) {
        Args a = new Args(argv, 1, Stream.concat(ModelOpener.VALUED.stream(), Stream.of("--system", "-n",
                "--n-predict", "--temperature", "--temp", "--seed")).collect(Collectors.toSet()), Set.of());
        try (Model model = ModelOpener.open(a, 0, KvCacheType.F16)) {
            GenerationOptions options = model.defaultGenerationOptions().maxTokens(a.getInt(1024, "-n", "--n-predict"));
            String temp = a.get("--temperature", "--temp");
            if (temp != null) options = options.temperature(Double.parseDouble(temp));
            String seed = a.get("--seed");
            if (seed != null) options = options.seed(Long.parseLong(seed));
            String system = a.get("--system");
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            Session session = model.newSession(options);
            try {
                if (system != null) session.system(system);
                out.println(model.info().name() + " (" + model.info().weightType() + ", " + model.info().backend()
                        + "). /reset starts over, /exit quits.");
                while (true) {
                    out.print("> ");
                    out.flush();
                    String line = in.readLine();
                    if (line == null || line.strip().equals("/exit")) break;
                    if (line.isBlank()) continue;
                    if (line.strip().equals("/reset")) {
                        session.reset();
                        if (system != null) session.system(system);
                        continue;
                    }
                    Completion c = session.ask(line).completion(t -> {
                        out.print(t.text());
                        out.flush();
                    });
                    out.printf("%n[%d tokens, %.1f tokens/s]%n", c.usage().generatedTokens(), c.usage().tokensPerSecond());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                session.close();
            }
        }
    }
}
