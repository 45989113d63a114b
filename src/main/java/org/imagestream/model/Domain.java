package org.imagestream.model;

import java.util.Locale;

/**
 * The three image domains the service classifies. Each has its own decoder and its own model.
 *
 * <p>The {@link #id()} is the stable wire name used in Kafka headers, topic names and Cassandra
 * rows; never rely on {@link #ordinal()} or enum hash codes across JVMs.
 */
public enum Domain {
    SOCIAL("social"),
    REMOTE_SENSING("remote-sensing"),
    MEDICAL("medical");

    private final String id;

    Domain(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /**
     * Parses a wire name ({@code social}, {@code remote-sensing}, {@code medical}); also accepts
     * the enum constant name in any case.
     *
     * @throws IllegalArgumentException naming the accepted values when {@code text} is unknown
     */
    public static Domain fromId(String text) {
        if (text != null) {
            String normalized = text.trim().toLowerCase(Locale.ROOT).replace('_', '-');
            for (Domain domain : values()) {
                if (domain.id.equals(normalized)) {
                    return domain;
                }
            }
        }
        throw new IllegalArgumentException(
                "Unknown domain '" + text + "'; expected one of social, remote-sensing, medical");
    }
}
