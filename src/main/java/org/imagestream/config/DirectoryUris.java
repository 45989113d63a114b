package org.imagestream.config;

import java.net.URI;
import java.net.URISyntaxException;

/** Checks the object-store directory URIs of the options (reference prefixes, offload root). */
public final class DirectoryUris {
    private DirectoryUris() {}

    /**
     * The URI as given if it is absolute, has a path ending with {@code /} and no query or
     * fragment; else {@link IllegalArgumentException} naming the option.
     */
    public static String require(String uri, String option) {
        try {
            URI parsed = new URI(uri);
            if (parsed.getScheme() == null
                    || parsed.getPath() == null
                    || !parsed.getPath().endsWith("/")
                    || parsed.getQuery() != null
                    || parsed.getFragment() != null) {
                throw new IllegalArgumentException(
                        option
                                + " must be an absolute URI of a directory ending with '/'"
                                + " (s3://bucket/images/, file:///data/images/), not "
                                + uri);
            }
            return parsed.toString();
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(option + " is not a URI: " + uri, e);
        }
    }
}
