package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The TIFF directory reading the truncation check and the scene decoder share, on classic TIFFs
 * written here byte by byte (TIFF 6.0 section 2: an 8-byte header, then a directory of 12-byte
 * entries of LONG values), so the expected verdicts follow from the layout alone.
 */
class TiffDirectoryTest {
    private static final short LONG = 4;

    /** A little-endian classic TIFF whose first directory, at offset 8, holds these entries. */
    private static byte[] tiff(int[][] tagAndValue, int fileLength) {
        ByteBuffer out = ByteBuffer.allocate(fileLength).order(ByteOrder.LITTLE_ENDIAN);
        out.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(8);
        out.putShort((short) tagAndValue.length);
        for (int[] entry : tagAndValue) {
            out.putShort((short) entry[0]).putShort(LONG).putInt(1).putInt(entry[1]);
        }
        out.putInt(0); // no next directory
        return out.array();
    }

    @Test
    void shouldFindATileTableCutShortBesideAWholeStripTable() {
        // Strips: 8 bytes at offset 0, within the file. Tiles: 100 bytes at offset 5000, past
        // the end of a 200-byte file. A reader that uses the tiles reads bytes that are not there.
        byte[] file = tiff(new int[][] {{273, 0}, {279, 8}, {324, 5000}, {325, 100}}, 200);

        assertThat(Truncation.missing(file)).contains("strip or tile 0 of 1");
    }

    @Test
    void shouldCallATiffCutInsideItsFirstDirectoryTruncated() {
        byte[] whole = tiff(new int[][] {{273, 0}, {279, 8}}, 200);
        byte[] cut = Arrays.copyOf(whole, 8 + 2 + 12); // the count and one of two entries

        TiffDirectory.Chain chain = TiffDirectory.read(ByteBuffer.wrap(cut));

        assertThat(chain.first()).isNull();
        assertThat(chain.firstMissing()).isNotNull();
        assertThat(Truncation.missing(cut)).isPresent();
    }

    @Test
    void shouldCallATiffCutInsideItsHeaderTruncated() {
        byte[] whole = tiff(new int[][] {{273, 0}, {279, 8}}, 200);

        for (int length = 4; length < 8; length++) {
            assertThat(Truncation.missing(Arrays.copyOf(whole, length)))
                    .as("cut at %d", length)
                    .isPresent();
        }
    }

    @Test
    void shouldNotReadADirectoryOfMoreEntriesThanAnyTiffNeeds() {
        int[][] entries = new int[TiffDirectory.MAX_ENTRIES + 1][];
        for (int i = 0; i < entries.length; i++) {
            entries[i] = new int[] {1000 + i, 0};
        }
        byte[] file = tiff(entries, 8 + 2 + entries.length * 12 + 4);

        TiffDirectory.Chain chain = TiffDirectory.read(ByteBuffer.wrap(file));

        assertThat(chain.first()).isNull();
        assertThat(chain.firstMissing()).isNull(); // not read, and not truncated
        assertThat(chain.complete()).isFalse();
    }

    @Test
    void shouldReadAChainOfOneDirectory() {
        byte[] file = tiff(new int[][] {{256, 4}, {257, 4}}, 200);

        TiffDirectory.Chain chain = TiffDirectory.read(ByteBuffer.wrap(file));

        assertThat(chain.first().integer(TiffDirectory.IMAGE_WIDTH, -1)).isEqualTo(4);
        assertThat(chain.directories()).containsExactly(chain.first());
        assertThat(chain.complete()).isTrue();
    }
}
