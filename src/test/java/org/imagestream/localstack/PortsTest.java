package org.imagestream.localstack;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Scanner;
import org.junit.jupiter.api.Test;

class PortsTest {
    @Test
    void shouldHandOutBindablePortsBelowTheKernelsEphemeralRange() throws Exception {
        // The kernel's own setting, read here: no outgoing connection takes a port below it.
        int firstEphemeral;
        try (Scanner range = new Scanner(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
            firstEphemeral = range.nextInt();
        }
        for (int i = 0; i < 20; i++) {
            int port = Ports.free();
            assertThat(port).isBetween(20_000, firstEphemeral - 1);
            try (ServerSocket socket =
                    new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                assertThat(socket.getLocalPort()).isEqualTo(port);
            }
        }
    }

    @Test
    void shouldSkipAPortInUse() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            for (int i = 0; i < 50; i++) {
                assertThat(Ports.free()).isNotEqualTo(taken.getLocalPort());
            }
        }
    }
}
