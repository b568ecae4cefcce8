package org.qwen4j.examples.cli;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.qwen4j.Completion;
import org.qwen4j.GenerationOptions;
import org.qwen4j.KvCacheType;
import org.qwen4j.Model;

/**
 * {@code qwen4j generate}: completes raw text (special tokens parsed), or with {@code --chat} a user
 * turn in the model's chat template. Greedy unless {@code --temperature} is above 0, so that the
 * same command prints the same text every time.
 */
final class GenerateCommand {
    private GenerateCommand() {
    }

    static void run(String[] argv, PrintStream out) {
        Args a = new Args(argv, 1,
                Stream.concat(ModelOpener.VALUED.stream(), Stream.of("-p", "--prompt", "-n", "--n-predict",
                        "--temperature", "--temp", "--top-k", "--top-p", "--min-p", "--repeat-penalty", "--seed",
                        "-s", "--system")).collect(Collectors.toSet()),
                Set.of("--chat", "--json", "--ignore-eos"));
        String prompt = a.require("-p", "--prompt");
        GenerationOptions options = GenerationOptions.sampling(a.getDouble(0, "--temperature", "--temp"))
                .maxTokens(a.getInt(128, "-n", "--n-predict"))
                .topK(a.getInt(0, "--top-k"))
                .topP(a.getDouble(1, "--top-p"))
                .minP(a.getDouble(0, "--min-p"))
                .repeatPenalty(a.getDouble(1, "--repeat-penalty"))
                .ignoreEos(a.flag("--ignore-eos"));
        String seed = a.get("--seed", "-s");
        if (seed != null) options = options.seed(Long.parseLong(seed));
        try (Model model = ModelOpener.open(a, 0, KvCacheType.F16)) {
            Completion c;
            if (a.flag("--chat")) {
                var session = model.newSession(options);
                String system = a.get("--system");
                if (system != null) session.system(system);
                try (session) {
                    c = a.flag("--json") ? session.ask(prompt).completion()
                            : session.ask(prompt).completion(t -> out.print(t.text()));
                }
            } else {
                var g = model.generator(options);
                c = a.flag("--json") ? g.complete(prompt) : g.complete(prompt, t -> out.print(t.text()));
            }
            if (a.flag("--json")) {
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("prompt_ids", c.promptIds());
                json.put("ids", c.ids());
                json.put("text", c.text());
                out.println(Json.write(json));
            } else {
                out.println();
            }
        }
    }

}
