package org.imagestream.decode;

import java.util.ArrayList;
import java.util.List;

/** A part sink for tests: keeps every input handed over, and the size of each group. */
final class CollectingPartSink implements PartSink {
    private final int maxInputs;
    final List<float[]> inputs = new ArrayList<>();
    final List<Integer> groups = new ArrayList<>();

    CollectingPartSink(int maxInputs) {
        this.maxInputs = maxInputs;
    }

    @Override
    public int maxInputs() {
        return maxInputs;
    }

    @Override
    public boolean accept(List<float[]> group) {
        groups.add(group.size());
        inputs.addAll(group);
        return true;
    }

    /** Every input back to back, as the in-memory path returns its parts. */
    float[] joined() {
        int size = inputs.isEmpty() ? 0 : inputs.get(0).length;
        float[] joined = new float[inputs.size() * size];
        for (int i = 0; i < inputs.size(); i++) {
            System.arraycopy(inputs.get(i), 0, joined, i * size, size);
        }
        return joined;
    }
}
