package org.imagestream.storage;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.servererrors.InvalidQueryException;
import org.imagestream.model.Classification;
import org.imagestream.model.DeadLetter;
import org.junit.jupiter.api.Test;

class CassandraResultWriterOperatorTest {
    /**
     * The origin of a refused image's letter is the Kafka position in its id, whatever the topic id
     * after the '@' holds (Kafka's base64 has '-' and '_'), so a replay finds the record.
     */
    @Test
    void shouldTakeTheOriginFromTheImageIdsPosition() {
        DeadLetter plain =
                CassandraResultWriterOperator.deadLetter(refused("images-0-42@AbCdEfGh"), cause());
        assertThat(plain.topic).isEqualTo("images");
        assertThat(plain.partition).isEqualTo(0);
        assertThat(plain.offset).isEqualTo(42L);

        DeadLetter dashes =
                CassandraResultWriterOperator.deadLetter(
                        refused("social-photos-eu-11-9007199254740993@-b_3-x9Q"), cause());
        assertThat(dashes.topic).isEqualTo("social-photos-eu");
        assertThat(dashes.partition).isEqualTo(11);
        assertThat(dashes.offset).isEqualTo(9007199254740993L);
        assertThat(dashes.imageId).isEqualTo("social-photos-eu-11-9007199254740993@-b_3-x9Q");
        assertThat(dashes.reason).isEqualTo("STORAGE_REFUSED");
    }

    /** An id the job did not make keeps its whole text as the topic and no position. */
    @Test
    void shouldKeepAForeignIdWhole() {
        DeadLetter letter =
                CassandraResultWriterOperator.deadLetter(refused("scan-7-x@AbCd"), cause());
        assertThat(letter.topic).isEqualTo("scan-7-x@AbCd");
        assertThat(letter.partition).isZero();
        assertThat(letter.offset).isZero();
    }

    private static Classification refused(String imageId) {
        Classification result = new Classification();
        result.imageId = imageId;
        result.domain = "social";
        result.bytes = new byte[] {1, 2, 3};
        return result;
    }

    private static InvalidQueryException cause() {
        return new InvalidQueryException(null, "Mutation of 2 MiB is too large");
    }
}
