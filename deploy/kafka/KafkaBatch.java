// KafkaBatch: runs several Kafka command-line tools in one JVM, for
// deploy/kafka/acls.sh (each tool costs seconds of JVM start otherwise).
// Each line of standard input is one call: a class with a main method
// (kafka.admin.AclCommand, kafka.admin.ConfigCommand) and its arguments,
// separated by blanks (no argument may hold a blank). Arguments are read
// from standard input, so passwords never show in a process list.
// Run it as a single-file source program with the Kafka jars, e.g.
//   kafka-run-class.sh deploy/kafka/KafkaBatch.java <steps
// A tool that fails exits the JVM non-zero (they call exit themselves).
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

public class KafkaBatch {
    public static void main(String[] argv) throws Exception {
        BufferedReader in =
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        int n = 0;
        for (String line; (line = in.readLine()) != null;) {
            String[] words = line.trim().split("\\s+");
            if (words[0].isEmpty())
                continue;
            String[] args = Arrays.copyOfRange(words, 1, words.length);
            Class.forName(words[0]).getMethod("main", String[].class).invoke(null, (Object) args);
            n++;
        }
        System.err.println("KafkaBatch: " + n + " calls done");
    }
}
