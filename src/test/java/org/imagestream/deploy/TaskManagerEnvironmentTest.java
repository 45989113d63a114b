package org.imagestream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.imagestream.localstack.FlinkClusterServer;
import org.imagestream.testing.ShippedFlinkConf;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * flink-conf/ declares the TaskManagers' environment ({@code containerized.taskmanager.env}); the
 * JVMs that run the job in place of a TaskManager must have it too: the README's demo (the Maven
 * executions {@code demo} and {@code cli} and {@code bin/imagestream demo}) and the end-to-end
 * benchmark (which also checks it at start). The docker stack's taskmanager service is checked by
 * DockerStackITCase, the local cluster's TaskManagers by PoisonPillITCase.
 */
class TaskManagerEnvironmentTest {
    private static final Map<String, String> DECLARED =
            FlinkClusterServer.taskManagerEnvironment(ShippedFlinkConf.load());

    @Test
    void shouldDeclareOwnTensorFlowPoolsForEveryTaskManager() {
        assertThat(DECLARED).containsEntry("TF_OVERRIDE_GLOBAL_THREADPOOL", "1");
    }

    @Test
    void shouldGiveTheMavenExecutionsThatRunTheJobTheSameEnvironment() throws Exception {
        Document pom =
                DocumentBuilderFactory.newInstance()
                        .newDocumentBuilder()
                        .parse(Path.of("pom.xml").toFile());
        for (String id : new String[] {"demo", "cli", "e2e-bench"}) {
            Element execution = execution(pom, id);
            Element variables =
                    (Element) execution.getElementsByTagName("environmentVariables").item(0);
            assertThat(variables).as("environmentVariables of %s", id).isNotNull();
            DECLARED.forEach(
                    (name, value) -> {
                        NodeList found = variables.getElementsByTagName(name);
                        assertThat(found.getLength()).as("%s in %s", name, id).isEqualTo(1);
                        assertThat(resolved(pom, found.item(0).getTextContent().trim()))
                                .as("%s in %s", name, id)
                                .isEqualTo(value);
                    });
        }
    }

    @Test
    void shouldExportTheSameEnvironmentFromTheCommandLineLauncher() throws Exception {
        String launcher = Files.readString(Path.of("bin/imagestream"));
        DECLARED.forEach(
                (name, value) ->
                        assertThat(launcher)
                                .as("bin/imagestream exports %s", name)
                                .containsPattern(
                                        "(?m)^export "
                                                + name
                                                + "=\"\\$\\{"
                                                + name
                                                + ":-"
                                                + Pattern.quote(value)
                                                + "\\}\"$"));
    }

    /** A value, or the pom property it names as {@code ${name}}. */
    private static String resolved(Document pom, String value) {
        if (!value.startsWith("${")) {
            return value;
        }
        String property = value.substring(2, value.length() - 1);
        Element properties = (Element) pom.getElementsByTagName("properties").item(0);
        NodeList found = properties.getElementsByTagName(property);
        assertThat(found.getLength()).as("pom property %s", property).isEqualTo(1);
        return found.item(0).getTextContent().trim();
    }

    private static Element execution(Document pom, String id) {
        NodeList executions = pom.getElementsByTagName("execution");
        for (int i = 0; i < executions.getLength(); i++) {
            Element execution = (Element) executions.item(i);
            NodeList ids = execution.getElementsByTagName("id");
            if (ids.getLength() > 0 && ids.item(0).getTextContent().trim().equals(id)) {
                return execution;
            }
        }
        throw new AssertionError("no execution " + id + " in pom.xml");
    }
}
