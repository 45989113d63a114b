package org.imagestream.model;

import java.util.HashMap;
import java.util.Map;

/**
 * A record the job could not process, with the reason. Written to the dead-letter topic with the
 * original bytes and headers so it can be inspected or replayed.
 */
public class DeadLetter {
    /** Machine-readable reason, e.g. {@code UNDECODABLE}, {@code UNKNOWN_DOMAIN}. */
    public String reason;

    /** Pipeline stage that rejected the record, e.g. {@code decode}. */
    public String stage;

    /** Human-readable detail. Never contains pixel data or patient identifiers. */
    public String message;

    public String imageId;
    public String topic;
    public int partition;
    public long offset;
    public Map<String, String> headers = new HashMap<>();
    public byte[] bytes;

    public DeadLetter() {}

    public static DeadLetter of(ImageRecord record, String stage, String reason, String message) {
        DeadLetter deadLetter = new DeadLetter();
        deadLetter.reason = reason;
        deadLetter.stage = stage;
        deadLetter.message = message;
        deadLetter.imageId = record.imageId;
        deadLetter.topic = record.topic;
        deadLetter.partition = record.partition;
        deadLetter.offset = record.offset;
        deadLetter.headers = new HashMap<>(record.headers);
        deadLetter.bytes = record.bytes;
        if (record.byReference) {
            // The letter stays as small as the record was; the object is read again on replay.
            deadLetter.bytes = new byte[0];
            deadLetter.message += "; bytes not copied: the image came by reference";
        }
        return deadLetter;
    }
}
