package org.imagestream.inference;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.SessionFunction;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.ndarray.buffer.FloatDataBuffer;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;

/**
 * Plain-Java classifier around one TensorFlow SavedModel: loads it once, warms it up, runs batches
 * and returns top-k labels. No Flink types, so it is unit-testable and reusable by benchmarks;
 * {@code ClassifyFunction} wraps it for the job. Every {@link Tensor} and {@link Result} is closed
 * (they hold native memory that the Java GC does not see).
 *
 * <p>Thread-safety: {@link #classify} may be called from several threads ({@code Session.run} is
 * thread-safe); {@link #close} must not race with it.
 */
public final class SavedModelClassifier implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SavedModelClassifier.class);

    /** TensorFlow's switch for its oneDNN kernels, read from the process environment. */
    public static final String ONEDNN_SWITCH = "TF_ENABLE_ONEDNN_OPTS";

    /**
     * The environment variable that gives each session an intra-op pool of its own (TensorFlow
     * reads it once per process, when the first session is opened; see {@link #sessionConfig}).
     */
    public static final String OWN_INTRA_OP_POOLS = "TF_OVERRIDE_GLOBAL_THREADPOOL";

    /**
     * Logged once, at the first per-session model load of a process without {@link
     * #OWN_INTRA_OP_POOLS}; one declaration, so a test that looks for it in a TaskManager's log
     * looks for what is logged.
     */
    public static final String SHARED_INTRA_OP_POOL_WARNING =
            OWN_INTRA_OP_POOLS
                    + " is not 1 or true: every TensorFlow session of this process computes on one"
                    + " intra-op pool, sized by the first session opened, whatever"
                    + " inference.tensorflow-threads asks for; set it to 1 in the TaskManagers'"
                    + " environment (flink-conf/: containerized.taskmanager.env)";

    private static final AtomicBoolean ENVIRONMENT_CHECKED = new AtomicBoolean();

    private static final AtomicBoolean POOLS_CHECKED = new AtomicBoolean();

    private final ModelSpec spec;
    private final SavedModelBundle bundle;
    private final SessionFunction function;
    private final String inputName;
    private final String outputName;
    private final int imageSize;

    private SavedModelClassifier(
            ModelSpec spec,
            SavedModelBundle bundle,
            SessionFunction function,
            String inputName,
            String outputName) {
        this.spec = spec;
        this.bundle = bundle;
        this.function = function;
        this.inputName = inputName;
        this.outputName = outputName;
        this.imageSize = spec.height() * spec.width() * spec.channels();
    }

    /** Loads the SavedModel named by {@code spec} and runs one warm-up batch. */
    public static SavedModelClassifier open(ModelSpec spec) {
        return open(spec, 0);
    }

    /**
     * Like {@link #open(ModelSpec)}, with {@code threads} threads in intra-op and inter-op pools of
     * this session's own ({@link #sessionConfig}); 0 keeps TensorFlow's default: pools of a thread
     * per core, the inter-op pool shared by every session of the process, the intra-op pool too
     * unless the process has {@link #OWN_INTRA_OP_POOLS} set to 1 (or true), which gives each
     * session one of its own.
     */
    public static SavedModelClassifier open(ModelSpec spec, int threads) {
        return open(spec, threads > 0 ? sessionConfig(threads) : null);
    }

    /**
     * Like {@link #open(ModelSpec)}, with the session configured by {@code config} (null:
     * TensorFlow's defaults).
     */
    public static SavedModelClassifier open(ModelSpec spec, ConfigProto config) {
        if (ENVIRONMENT_CHECKED.compareAndSet(false, true)) {
            String slower = slowEnvironment(System.getenv());
            if (slower != null) {
                LOG.warn(slower);
            }
        }
        if (config != null
                && config.getUsePerSessionThreads()
                && POOLS_CHECKED.compareAndSet(false, true)
                && !ownIntraOpPools(System.getenv())) {
            LOG.warn(SHARED_INTRA_OP_POOL_WARNING);
        }
        SavedModelBundle.Loader loader =
                SavedModelBundle.loader(spec.directory()).withTags(SavedModelBundle.DEFAULT_TAG);
        if (config != null) {
            loader.withConfigProto(config);
        }
        SavedModelBundle bundle = loader.load();
        try {
            boolean hasSignature =
                    bundle.signatures().stream()
                            .anyMatch(sig -> sig.key().equals(spec.signatureKey()));
            if (!hasSignature) {
                throw new IllegalArgumentException(
                        "SavedModel "
                                + spec.directory()
                                + " has no signature '"
                                + spec.signatureKey()
                                + "'; available: "
                                + bundle.signatures().stream().map(Signature::key).toList());
            }
            SessionFunction function = bundle.function(spec.signatureKey());
            Signature signature = function.signature();
            String input = tensorName(spec, signature.getInputs(), spec.inputName(), "input");
            String output = tensorName(spec, signature.getOutputs(), spec.outputName(), "output");
            checkInput(spec, signature.getInputs().get(input));
            checkOutput(spec, signature.getOutputs().get(output));
            SavedModelClassifier classifier =
                    new SavedModelClassifier(spec, bundle, function, input, output);
            // The first run pays graph optimisation (tens of ms); do it before real traffic.
            classifier.classify(List.of(new float[classifier.imageSize]));
            LOG.info("Loaded model {} from {}", spec, spec.directory());
            return classifier;
        } catch (RuntimeException e) {
            bundle.close();
            throw e;
        }
    }

    /**
     * Why this process environment makes TensorFlow slower, or null. oneDNN's kernels are on by
     * default in TF Java 1.1.0 on x86; an image that sets {@code TF_ENABLE_ONEDNN_OPTS=0} (often to
     * silence TensorFlow's start-up notice about them) turns them off, and MobileNetV2 then
     * classified 5.7x fewer images per second in batches of 32 ({@code TensorflowPoolsBenchmark},
     * docs/benchmarks.md). Logged once per process, at the first model load.
     */
    static String slowEnvironment(Map<String, String> environment) {
        String value = environment.get(ONEDNN_SWITCH);
        if (value == null) {
            return null;
        }
        String flag = value.trim();
        if (flag.equals("0") || flag.equalsIgnoreCase("false")) {
            return ONEDNN_SWITCH
                    + "="
                    + value
                    + " turns TensorFlow's oneDNN kernels off: batches of a 224x224 model run"
                    + " several times slower (docs/benchmarks.md); unset it for the"
                    + " TaskManagers";
        }
        return null;
    }

    /**
     * Whether TensorFlow gives each session an intra-op pool of its own in a process with this
     * environment: {@link #OWN_INTRA_OP_POOLS} read as TensorFlow's {@code ReadBoolFromEnvVar} does
     * (1 or true, any case).
     */
    static boolean ownIntraOpPools(Map<String, String> environment) {
        String value = environment.get(OWN_INTRA_OP_POOLS);
        if (value == null) {
            return false;
        }
        // No trim: TensorFlow's parse does not trim either (" 1" leaves its pools shared).
        return value.equals("1") || value.equalsIgnoreCase("true");
    }

    /**
     * Pools of {@code threads} threads for the session. TensorFlow keeps one inter-op pool (which
     * runs the graph's ops) and one intra-op pool (the threads inside one op) per process, both
     * sized by the first session it opens, so a thread count set here would be the whole process's.
     * {@code use_per_session_threads} gives the session an inter-op pool of its own: without it the
     * model calls of every classify subtask in a TaskManager ran one after another on one thread
     * (two sessions on two caller threads: 52 MobileNetV2 images/s, with pools of their own
     * 111-115). The intra-op pool is the session's own only in a process started with {@link
     * #OWN_INTRA_OP_POOLS} set (flink-conf/ sets it for TaskManagers); otherwise the first
     * session's size serves all: after a session with TensorFlow's defaults, later sessions compute
     * on its pool of a thread per core ({@code TensorflowPoolsBenchmark}, docs/benchmarks.md,
     * session 30).
     */
    public static ConfigProto sessionConfig(int threads) {
        return ConfigProto.newBuilder()
                .setIntraOpParallelismThreads(threads)
                .setInterOpParallelismThreads(threads)
                .setUsePerSessionThreads(true)
                .build();
    }

    public ModelSpec spec() {
        return spec;
    }

    /** The signature input the images are fed to (from the spec, or discovered). */
    public String inputName() {
        return inputName;
    }

    /** The signature output read as class scores (from the spec, or discovered). */
    public String outputName() {
        return outputName;
    }

    /**
     * The spec's tensor name if it names one the signature has; otherwise the signature's only
     * tensor of that kind. Anything else is an error that lists what the signature offers.
     */
    static String tensorName(
            ModelSpec spec,
            Map<String, Signature.TensorDescription> tensors,
            String declared,
            String kind) {
        if (declared != null) {
            if (!tensors.containsKey(declared)) {
                throw new IllegalArgumentException(
                        "model "
                                + spec.name()
                                + ": signature '"
                                + spec.signatureKey()
                                + "' has no "
                                + kind
                                + " '"
                                + declared
                                + "'; it has "
                                + tensors.keySet());
            }
            return declared;
        }
        if (tensors.size() != 1) {
            throw new IllegalArgumentException(
                    "model "
                            + spec.name()
                            + ": signature '"
                            + spec.signatureKey()
                            + "' has "
                            + tensors.size()
                            + " "
                            + kind
                            + "s "
                            + tensors.keySet()
                            + "; name the one to use with '"
                            + kind
                            + "' in "
                            + ModelSpec.FILE_NAME);
        }
        return tensors.keySet().iterator().next();
    }

    /** The input must be float NHWC with the spec's geometry where the model fixes a size. */
    private static void checkInput(ModelSpec spec, Signature.TensorDescription input) {
        long[] expected = {-1, spec.height(), spec.width(), spec.channels()};
        if (input.dataType != DataType.DT_FLOAT || input.shape.numDimensions() != 4) {
            throw new IllegalArgumentException(
                    "model "
                            + spec.name()
                            + ": input must be a float32 batch of HxWxC images, the signature has "
                            + input.dataType
                            + " "
                            + input.shape);
        }
        for (int i = 1; i < 4; i++) {
            long size = input.shape.size(i);
            if (size >= 0 && size != expected[i]) {
                throw new IllegalArgumentException(
                        "model "
                                + spec.name()
                                + ": input shape "
                                + input.shape
                                + " does not match the spec's "
                                + spec.height()
                                + "x"
                                + spec.width()
                                + "x"
                                + spec.channels());
            }
        }
    }

    /** The output must give one float score per label. */
    private static void checkOutput(ModelSpec spec, Signature.TensorDescription output) {
        Shape shape = output.shape;
        long classes = shape.numDimensions() == 2 ? shape.size(1) : -2;
        if (output.dataType != DataType.DT_FLOAT
                || classes == -2
                || (classes >= 0 && classes != spec.labels().size())) {
            throw new IllegalArgumentException(
                    "model "
                            + spec.name()
                            + ": output must be float32 [batch, "
                            + spec.labels().size()
                            + "] (one score per label), the signature has "
                            + output.dataType
                            + " "
                            + shape);
        }
    }

    /**
     * Classifies a batch of HWC float images, each of the spec's geometry, or several of them back
     * to back (the parts of one image): one prediction per model input, in order.
     */
    public List<Prediction> classify(List<float[]> images) {
        if (images.isEmpty()) {
            return List.of();
        }
        int n = 0;
        for (int i = 0; i < images.size(); i++) {
            float[] image = images.get(i);
            if (image.length == 0 || image.length % imageSize != 0) {
                throw new IllegalArgumentException(
                        "image "
                                + i
                                + " has "
                                + image.length
                                + " values, model "
                                + spec.name()
                                + " expects a multiple of "
                                + imageSize);
            }
            n += image.length / imageSize;
        }
        int classes = spec.labels().size();
        float[] scores = new float[n * classes];
        // Each image goes straight into the tensor's native memory: a batch array on the heap
        // first (several MB) was a humongous G1 allocation per model call, and a second copy.
        try (TFloat32 input =
                        TFloat32.tensorOf(
                                Shape.of(n, spec.height(), spec.width(), spec.channels()),
                                tensor -> copyInto(tensor, images));
                Result result = function.call(Map.of(inputName, input))) {
            Tensor output =
                    result.get(outputName)
                            .orElseThrow(
                                    () ->
                                            new IllegalStateException(
                                                    "model "
                                                            + spec.name()
                                                            + " returned no output '"
                                                            + outputName
                                                            + "'"));
            if (output.shape().size() != (long) n * classes) {
                throw new IllegalStateException(
                        "model "
                                + spec.name()
                                + " output shape "
                                + output.shape()
                                + " does not match "
                                + n
                                + " images x "
                                + classes
                                + " labels");
            }
            ((TFloat32) output).copyTo(DataBuffers.of(scores, false, false));
        }
        List<Prediction> predictions = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            predictions.add(topK(scores, i * classes, classes));
        }
        return predictions;
    }

    /** Copies the images (each one or more model inputs back to back) into a batch tensor. */
    private void copyInto(TFloat32 tensor, List<float[]> images) {
        long input = 0;
        for (float[] image : images) {
            FloatDataBuffer values = DataBuffers.of(image, true, false);
            for (int offset = 0; offset < image.length; offset += imageSize) {
                tensor.get(input++).copyFrom(values.offset(offset));
            }
        }
    }

    private Prediction topK(float[] scores, int offset, int classes) {
        int k = spec.topK();
        int[] best = new int[k];
        java.util.Arrays.fill(best, -1);
        for (int c = 0; c < classes; c++) {
            float score = scores[offset + c];
            for (int slot = 0; slot < k; slot++) {
                if (best[slot] < 0 || score > scores[offset + best[slot]]) {
                    System.arraycopy(best, slot, best, slot + 1, k - slot - 1);
                    best[slot] = c;
                    break;
                }
            }
        }
        List<String> labels = new ArrayList<>(k);
        List<Float> values = new ArrayList<>(k);
        for (int index : best) {
            labels.add(spec.labels().get(index));
            values.add(scores[offset + index]);
        }
        return new Prediction(labels, values);
    }

    @Override
    public void close() {
        bundle.close();
    }
}
