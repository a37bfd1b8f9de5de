package org.kombu4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.kombu4j.testkit.env.TestEnvironment;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * Follows README.md's "Install", "Logging" and "API tour" sections as a new user would, with what they say taken
 * from the README itself: runs its offline install command (into the default {@code ~/.m2}, as it tells users) and
 * its Javadoc command, then builds a separate Maven project from its BOM and logging snippets and its API tour
 * program, offline, runs the program and compares its output with what the README says it prints.
 *
 * <p>It installs the whole repository, so it is not part of {@code mvn verify}: {@code ./run-tests} runs it in a pass
 * of its own with {@code -Dkombu4j.readme=true}.
 */
@EnabledIfSystemProperty(named = "kombu4j.readme", matches = "true")
class ReadmeInstallTest {
    private static final Pattern FENCE = Pattern.compile("(?ms)^```(\\w*)\\n(.*?)^```\\s*$");
    private static final long BUILD_SECONDS = 600;

    private final Path root = Path.of("").toAbsolutePath().getParent();
    private final Path logs = Path.of("target", "readme-test").toAbsolutePath();

    @Test
    void installSectionBuildsAndRunsTheApiTourOffline(@TempDir Path app) throws Exception {
        Path mvn = TestEnvironment.requireExecutable("mvn");
        Files.createDirectories(logs);
        String readme = Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8);
        String install = section(readme, "Install");
        String logging = section(readme, "Logging");
        String tour = section(readme, "API tour");

        // Both commands, in the README's order: the first caches what the build needs (on a fresh machine the
        // install plugin, which verify does not use), and the second must then work offline.
        List<String> installCommands = commands(block(install, "sh", " install"));
        assertThat(installCommands).as("the install commands").hasSize(2);
        assertThat(installCommands.get(1)).as("the second install command is offline").contains(" -o ");
        run("install", root, words(installCommands.get(0), mvn));
        run("install-offline", root, words(installCommands.get(1), mvn));
        String bomSnippet = block(install, "xml", "kombu4j-bom");
        Matcher version = Pattern.compile("<version>([^<]+)</version>").matcher(bomSnippet);
        assertThat(version.find()).as("the BOM snippet gives a version").isTrue();
        Path repository = Path.of(System.getProperty("user.home"), ".m2", "repository", "org", "kombu4j");
        for (String module : List.of("kombu4j-core", "kombu4j-redis", "kombu4j-amqp", "kombu4j-sql")) {
            for (String classifier : List.of("", "-sources", "-javadoc")) {
                String name = module + "-" + version.group(1) + classifier + ".jar";
                Path jar = repository.resolve(module + "/" + version.group(1) + "/" + name);
                assertThat(jar).as("installed").isRegularFile();
                assertThat(Files.mismatch(jar, root.resolve(module + "/target/" + name)))
                        .as("%s is this build's", jar).isEqualTo(-1L);
            }
        }

        List<String> javadocCommand = commands(block(install, "sh", "javadoc:"));
        assertThat(javadocCommand).as("the Javadoc command").hasSize(1);
        run("javadoc", root, words(javadocCommand.get(0), mvn));
        Matcher site = Pattern.compile("`([\\w/.-]+/index\\.html)`").matcher(install);
        assertThat(site.find()).as("the Install section names the Javadoc site's index.html").isTrue();
        Path apidocs = root.resolve(site.group(1)).getParent();
        assertThat(apidocs.resolve("index.html")).isRegularFile();
        for (String page : List.of("org/kombu4j/Connection.html", "org/kombu4j/redis/package-summary.html",
                "org/kombu4j/amqp/package-summary.html", "org/kombu4j/sql/package-summary.html")) {
            assertThat(apidocs.resolve(page)).isRegularFile();
        }
        assertThat(apidocs.resolve("org/kombu4j/testkit")).as("unpublished modules stay out of the site").doesNotExist();

        String program = block(tour, "java", "public static void main");
        Matcher className = Pattern.compile("public (?:final )?class (\\w+)").matcher(program);
        assertThat(className.find()).as("the API tour declares a public class").isTrue();
        Path source = app.resolve("src/main/java/" + className.group(1) + ".java");
        Files.createDirectories(source.getParent());
        Files.writeString(source, program);
        Files.writeString(app.resolve("pom.xml"), applicationPom(bomSnippet,
                block(logging, "xml", "<dependency>"), className.group(1)));

        run("app-compile", app, List.of(mvn.toString(), "-B", "-o", "-q", "compile"));
        // The same project packaged with its runtime dependencies, to run the program as the user's build would.
        run("app-package", app, List.of(mvn.toString(), "-B", "-o", "-q", "package"));
        Result tourRun = start("app-run", app, List.of(javaCommand(), "-jar", "target/readme-app.jar"), 60);
        assertThat(tourRun.exit).as("the API tour's exit code; stderr:%n%s", tourRun.err).isZero();
        assertThat(tourRun.err).as("the Logging section's provider is found").doesNotContain("No SLF4J providers");

        Matcher claim = Pattern.compile("It prints `([^`]+)`, then jobs 2 and 3").matcher(tour);
        assertThat(claim.find()).as("the API tour says what it prints").isTrue();
        List<String> expected = new ArrayList<>();
        for (int job = 1; job <= 3; job++) {
            expected.add(claim.group(1).replace("job=1", "job=" + job));
        }
        assertThat(tourRun.out.lines().toList()).containsExactlyElementsOf(expected);
    }

    /** The text of the README section {@code ## title}, up to the next {@code ## } heading. */
    static String section(String readme, String title) {
        Matcher m = Pattern.compile("(?ms)^## " + Pattern.quote(title) + "\\s*$(.*?)(?=^## |\\z)").matcher(readme);
        assertThat(m.find()).as("README.md has a section '## %s'", title).isTrue();
        return m.group(1);
    }

    /** The one fenced block of {@code language} in {@code text} that contains {@code marker}. */
    static String block(String text, String language, String marker) {
        List<String> found = new ArrayList<>();
        Matcher m = FENCE.matcher(text);
        while (m.find()) {
            if (m.group(1).equals(language) && m.group(2).contains(marker)) {
                found.add(m.group(2));
            }
        }
        assertThat(found).as("```%s blocks containing '%s'", language, marker).hasSize(1);
        return found.get(0);
    }

    /** The commands of a shell block: its lines without comments, blank ones left out. */
    private static List<String> commands(String block) {
        return block.lines().map(l -> l.replaceAll("(^|\\s+)#.*$", "").trim()).filter(l -> !l.isEmpty()).toList();
    }

    /** A README command as arguments, its {@code mvn} replaced by the one found on the PATH. */
    private static List<String> words(String command, Path mvn) {
        List<String> words = new ArrayList<>(Arrays.asList(command.split("\\s+")));
        assertThat(words.get(0)).as("a README command: %s", command).isEqualTo("mvn");
        words.set(0, mvn.toString());
        return words;
    }

    /**
     * The user's project: the README's BOM snippet with the Logging section's provider added to its dependencies, the
     * repository's own plugin versions (offline, only they are cached) and, to run the program, a shaded jar.
     */
    private String applicationPom(String bomSnippet, String loggingDependency, String mainClass) throws Exception {
        int end = bomSnippet.lastIndexOf("</dependencies>");
        assertThat(end).as("the BOM snippet lists dependencies").isPositive();
        String dependencies = bomSnippet.substring(0, end) + loggingDependency + bomSnippet.substring(end);
        StringBuilder plugins = new StringBuilder();
        for (Map.Entry<String, String> p : parentPluginVersions().entrySet()) {
            plugins.append("      <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>").append(p.getKey())
                    .append("</artifactId><version>").append(p.getValue()).append("</version></plugin>\n");
        }
        return """
                <?xml version="1.0" encoding="UTF-8"?>
                <project xmlns="http://maven.apache.org/POM/4.0.0">
                  <modelVersion>4.0.0</modelVersion>
                  <groupId>org.example</groupId>
                  <artifactId>readme-app</artifactId>
                  <version>1.0</version>
                  <properties>
                    <maven.compiler.release>17</maven.compiler.release>
                    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
                  </properties>
                %s
                  <build>
                    <pluginManagement><plugins>
                %s    </plugins></pluginManagement>
                    <plugins>
                      <plugin>
                        <groupId>org.apache.maven.plugins</groupId><artifactId>maven-shade-plugin</artifactId>
                        <executions><execution><phase>package</phase><goals><goal>shade</goal></goals>
                          <configuration>
                            <outputFile>${project.build.directory}/readme-app.jar</outputFile>
                            <createDependencyReducedPom>false</createDependencyReducedPom>
                            <transformers>
                              <transformer implementation="org.apache.maven.plugins.shade.resource.ServicesResourceTransformer"/>
                              <transformer implementation="org.apache.maven.plugins.shade.resource.ManifestResourceTransformer">
                                <mainClass>%s</mainClass>
                              </transformer>
                            </transformers>
                            <filters><filter><artifact>*:*</artifact><excludes>
                              <exclude>META-INF/*.SF</exclude><exclude>META-INF/*.DSA</exclude><exclude>META-INF/*.RSA</exclude>
                            </excludes></filter></filters>
                          </configuration>
                        </execution></executions>
                      </plugin>
                    </plugins>
                  </build>
                </project>
                """.formatted(dependencies.indent(2), plugins, mainClass);
    }

    /** artifactId → version of the Apache plugins the repository's parent pom pins, its properties resolved. */
    private Map<String, String> parentPluginVersions() throws Exception {
        Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(root.resolve("pom.xml").toFile());
        Map<String, String> properties = new HashMap<>();
        NodeList props = ((Element) pom.getElementsByTagName("properties").item(0)).getChildNodes();
        for (int i = 0; i < props.getLength(); i++) {
            if (props.item(i).getNodeType() == Node.ELEMENT_NODE) {
                properties.put(props.item(i).getNodeName(), props.item(i).getTextContent().trim());
            }
        }
        Element management = (Element) pom.getElementsByTagName("pluginManagement").item(0);
        NodeList plugins = management.getElementsByTagName("plugin");
        Map<String, String> versions = new HashMap<>();
        for (int i = 0; i < plugins.getLength(); i++) {
            Element plugin = (Element) plugins.item(i);
            String group = text(plugin, "groupId");
            String version = text(plugin, "version");
            if ("org.apache.maven.plugins".equals(group) && version != null) {
                Matcher ref = Pattern.compile("\\$\\{([^}]+)}").matcher(version);
                versions.put(text(plugin, "artifactId"), ref.matches() ? properties.get(ref.group(1)) : version);
            }
        }
        assertThat(versions).containsKeys("maven-compiler-plugin", "maven-resources-plugin", "maven-jar-plugin",
                "maven-surefire-plugin", "maven-shade-plugin");
        return versions;
    }

    private static String text(Element parent, String child) {
        NodeList nodes = parent.getElementsByTagName(child);
        return nodes.getLength() == 0 ? null : nodes.item(0).getTextContent().trim();
    }

    private static String javaCommand() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private record Result(int exit, String out, String err) {}

    /** Runs a build command that must succeed; its output goes to target/readme-test/NAME.log. */
    private void run(String name, Path dir, List<String> command) throws IOException, InterruptedException {
        Result r = start(name, dir, command, BUILD_SECONDS);
        assertThat(r.exit).as("%s in %s exited %d; its output (%s):%n%s", String.join(" ", command), dir, r.exit,
                logs.resolve(name + ".out"), tail(r.out + r.err)).isZero();
    }

    private Result start(String name, Path dir, List<String> command, long seconds)
            throws IOException, InterruptedException {
        File out = logs.resolve(name + ".out").toFile();
        File err = logs.resolve(name + ".err").toFile();
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(out).redirectError(err).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().remove("KOMBU4J_URL");
        Process p = pb.start();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor();
            throw new AssertionError(String.join(" ", command) + " did not end within " + seconds + " s; see " + out);
        }
        return new Result(p.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8),
                Files.readString(err.toPath(), StandardCharsets.UTF_8));
    }

    private static String tail(String text) {
        List<String> lines = text.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }
}
