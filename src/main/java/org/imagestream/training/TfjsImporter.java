package org.imagestream.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.util.JsonFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.imagestream.inference.ModelSpec;
import org.imagestream.model.Domain;
import org.tensorflow.Graph;
import org.tensorflow.Operation;
import org.tensorflow.Session;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Converts a TensorFlow.js <em>graph model</em> into a SavedModel that TF Java serves, with no
 * Python: the topology (a GraphDef in protobuf's JSON mapping) is parsed with protobuf's {@code
 * JsonFormat}, the weights (optionally uint8/uint16-quantised) are dequantised into the graph's
 * Const nodes, and the TF.js-only fused ops ({@code _FusedConv2D}, {@code
 * FusedDepthwiseConv2dNative}, {@code _FusedMatMul}) are rewritten into the standard ops they fuse
 * (convolution or matmul, {@code BiasAdd}, activation). The graph is then imported and exported
 * with a {@code serving_default} signature {@code image -> probabilities}.
 *
 * <p>Reads either the standard layout ({@code model.json} plus binary weight shards) or the
 * JavaScript-module bundles some npm packages ship instead (nsfwjs: {@code model.min.js} plus
 * {@code group1-shardNofM.min.js} holding base64).
 */
public final class TfjsImporter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TfjsImporter() {}

    /** What the exported model is: written into its {@code model.json}. */
    public record Target(
            Domain domain, String name, String version, List<String> labels, int size) {}

    /** Converts the TF.js model in {@code modelDirectory} into a SavedModel in {@code output}. */
    public static ModelSpec convert(Path modelDirectory, Path output, Target target)
            throws IOException {
        JsonNode model = readModelJson(modelDirectory);
        if (!"graph-model".equals(model.path("format").asText())) {
            throw new IOException(
                    "Not a TF.js graph model (format '"
                            + model.path("format").asText()
                            + "'); layers models are not supported");
        }
        GraphDef.Builder graph = GraphDef.newBuilder();
        JsonFormat.parser()
                .ignoringUnknownFields()
                .merge(model.get("modelTopology").toString(), graph);
        Map<String, TensorProto> weights =
                readWeights(modelDirectory, model.get("weightsManifest"));
        GraphDef rewritten = rewrite(graph.build(), weights);

        String inputName = tensorName(model, "inputs");
        String outputName = tensorName(model, "outputs");
        Files.createDirectories(output.getParent() == null ? output : output.getParent());
        try (Graph g = new Graph()) {
            g.importGraphDef(rewritten);
            Operation input = operation(g, inputName);
            Operation out = operation(g, outputName);
            try (Session session = new Session(g)) {
                SavedModels.export(output, session, input.output(0), out.output(0));
            }
        }
        ModelSpec spec =
                ModelSpec.builder()
                        .domain(target.domain())
                        .directory(output.toAbsolutePath().toString())
                        .name(target.name())
                        .version(target.version())
                        .height(target.size())
                        .width(target.size())
                        .channels(3)
                        .labels(target.labels())
                        // Every score when there are few labels (nsfwjs: 5), the best five
                        // otherwise.
                        .topK(Math.min(5, target.labels().size()))
                        .build();
        spec.store(output);
        return spec;
    }

    static JsonNode readModelJson(Path directory) throws IOException {
        Path json = directory.resolve("model.json");
        if (Files.isRegularFile(json)) {
            return JSON.readTree(json.toFile());
        }
        Path module = directory.resolve("model.min.js");
        if (Files.isRegularFile(module)) {
            String source = Files.readString(module, StandardCharsets.UTF_8);
            return JSON.readTree(JsLiteral.objectStartingWith(source, "{format:"));
        }
        throw new IOException(directory + " has neither model.json nor model.min.js");
    }

    /** The bytes of one weight group: its shard files concatenated. */
    private static byte[] readGroup(Path directory, JsonNode paths) throws IOException {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (JsonNode path : paths) {
            Path binary = directory.resolve(path.asText());
            Path module = directory.resolve(path.asText() + ".min.js");
            if (Files.isRegularFile(binary)) {
                data.writeBytes(Files.readAllBytes(binary));
            } else if (Files.isRegularFile(module)) {
                String base64 = JsLiteral.longestString(Files.readString(module));
                data.writeBytes(Base64.getDecoder().decode(base64));
            } else {
                throw new IOException("weight shard " + binary + " (or .min.js) not found");
            }
        }
        return data.toByteArray();
    }

    /** Every weight as a float32/int32 TensorProto, dequantised. */
    static Map<String, TensorProto> readWeights(Path directory, JsonNode manifest)
            throws IOException {
        Map<String, TensorProto> weights = new HashMap<>();
        for (JsonNode group : manifest) {
            ByteBuffer data =
                    ByteBuffer.wrap(readGroup(directory, group.get("paths")))
                            .order(ByteOrder.LITTLE_ENDIAN);
            for (JsonNode weight : group.get("weights")) {
                String name = weight.get("name").asText();
                List<Long> shape = new ArrayList<>();
                long count = 1;
                for (JsonNode dim : weight.get("shape")) {
                    shape.add(dim.asLong());
                    count *= dim.asLong();
                }
                String dtype = weight.get("dtype").asText();
                JsonNode quantization = weight.get("quantization");
                ByteBuffer values =
                        ByteBuffer.allocate((int) count * 4).order(ByteOrder.LITTLE_ENDIAN);
                if (quantization != null) {
                    String stored = quantization.get("dtype").asText();
                    double scale = quantization.path("scale").asDouble(1);
                    double min = quantization.path("min").asDouble(0);
                    for (long i = 0; i < count; i++) {
                        int q =
                                switch (stored) {
                                    case "uint8" -> Byte.toUnsignedInt(data.get());
                                    case "uint16" -> Short.toUnsignedInt(data.getShort());
                                    default ->
                                            throw new IOException(
                                                    "weight "
                                                            + name
                                                            + ": quantisation "
                                                            + stored
                                                            + " is not supported");
                                };
                        // Same arithmetic as tfjs-core's dequantisation (in float32).
                        float value = (float) (q * scale + min);
                        if (dtype.equals("int32")) {
                            values.putInt(Math.round(value));
                        } else {
                            values.putFloat(value);
                        }
                    }
                } else if (dtype.equals("float32") || dtype.equals("int32")) {
                    for (long i = 0; i < count; i++) {
                        values.putInt(data.getInt());
                    }
                } else {
                    throw new IOException("weight " + name + ": dtype " + dtype + " not supported");
                }
                TensorShapeProto.Builder tensorShape = TensorShapeProto.newBuilder();
                shape.forEach(
                        size ->
                                tensorShape.addDim(
                                        TensorShapeProto.Dim.newBuilder().setSize(size)));
                weights.put(
                        name,
                        TensorProto.newBuilder()
                                .setDtype(
                                        dtype.equals("int32")
                                                ? DataType.DT_INT32
                                                : DataType.DT_FLOAT)
                                .setTensorShape(tensorShape)
                                .setTensorContent(ByteString.copyFrom(values.array()))
                                .build());
            }
        }
        return weights;
    }

    /** Fills Const nodes with their weights and expands the fused ops. */
    static GraphDef rewrite(GraphDef graph, Map<String, TensorProto> weights) {
        GraphDef.Builder out = graph.toBuilder().clearNode();
        Map<String, TensorProto> unused = new HashMap<>(weights);
        for (NodeDef node : graph.getNodeList()) {
            TensorProto weight = unused.remove(node.getName());
            if (weight != null) {
                out.addNode(constNode(node.toBuilder(), weight));
                continue;
            }
            switch (node.getOp()) {
                case "_FusedConv2D" -> expandFused(node, "Conv2D", out);
                case "FusedDepthwiseConv2dNative" ->
                        expandFused(node, "DepthwiseConv2dNative", out);
                case "_FusedMatMul" -> expandFused(node, "MatMul", out);
                default -> out.addNode(node);
            }
        }
        // Weights that have no node of their own become Const nodes.
        unused.forEach(
                (name, tensor) ->
                        out.addNode(constNode(NodeDef.newBuilder().setName(name), tensor)));
        return out.build();
    }

    /** A Const node holding {@code value} (TF.js leaves weight nodes without their values). */
    private static NodeDef.Builder constNode(NodeDef.Builder node, TensorProto value) {
        return node.setOp("Const")
                .putAttr("value", AttrValue.newBuilder().setTensor(value).build())
                .putAttr("dtype", AttrValue.newBuilder().setType(value.getDtype()).build());
    }

    /**
     * {@code fused(x, w, bias...)} becomes {@code act(BiasAdd(op(x, w), bias))}; the last node
     * keeps the fused node's name so its consumers stay connected.
     */
    private static void expandFused(NodeDef fused, String baseOp, GraphDef.Builder out) {
        List<String> fusedOps = new ArrayList<>();
        if (fused.containsAttr("fused_ops")) {
            fused.getAttrOrThrow("fused_ops")
                    .getList()
                    .getSList()
                    .forEach(op -> fusedOps.add(op.toStringUtf8()));
        }
        List<String> inputs = fused.getInputList();
        String name = fused.getName();
        NodeDef.Builder base =
                NodeDef.newBuilder()
                        .setName(fusedOps.isEmpty() ? name : name + "/" + baseOp)
                        .setOp(baseOp)
                        .setDevice(fused.getDevice())
                        .addInput(inputs.get(0))
                        .addInput(inputs.get(1));
        List<String> attrs =
                switch (baseOp) {
                    case "MatMul" -> List.of("T", "transpose_a", "transpose_b");
                    case "Conv2D" ->
                            List.of(
                                    "T",
                                    "strides",
                                    "padding",
                                    "data_format",
                                    "dilations",
                                    "use_cudnn_on_gpu",
                                    "explicit_paddings");
                    default ->
                            List.of(
                                    "T",
                                    "strides",
                                    "padding",
                                    "data_format",
                                    "dilations",
                                    "explicit_paddings");
                };
        for (String attr : attrs) {
            if (fused.containsAttr(attr)) {
                base.putAttr(attr, fused.getAttrOrThrow(attr));
            }
        }
        out.addNode(base);
        String previous = base.getName();
        AttrValue type = fused.getAttrOrThrow("T");
        for (int i = 0; i < fusedOps.size(); i++) {
            String op = fusedOps.get(i);
            boolean last = i == fusedOps.size() - 1;
            NodeDef.Builder node =
                    NodeDef.newBuilder()
                            .setName(last ? name : name + "/" + op)
                            .setDevice(fused.getDevice())
                            .putAttr("T", type)
                            .addInput(previous);
            switch (op) {
                case "BiasAdd" -> {
                    node.setOp("BiasAdd").addInput(inputs.get(2));
                    if (fused.containsAttr("data_format") && !baseOp.equals("MatMul")) {
                        node.putAttr("data_format", fused.getAttrOrThrow("data_format"));
                    }
                }
                case "Relu", "Relu6", "Elu", "Sigmoid", "Tanh" -> node.setOp(op);
                case "LeakyRelu" -> {
                    node.setOp("LeakyRelu");
                    if (fused.containsAttr("leakyrelu_alpha")) {
                        node.putAttr(
                                "alpha",
                                AttrValue.newBuilder()
                                        .setF(fused.getAttrOrThrow("leakyrelu_alpha").getF())
                                        .build());
                    }
                }
                default ->
                        throw new IllegalArgumentException(
                                "node " + name + ": fused op " + op + " is not supported");
            }
            out.addNode(node);
            previous = node.getName();
        }
    }

    /** The graph node of the model's only input or output, from the converter's metadata. */
    private static String tensorName(JsonNode model, String kind) throws IOException {
        JsonNode tensors = model.path("userDefinedMetadata").path("signature").path(kind);
        if (tensors.size() != 1) {
            throw new IOException(
                    "expected one signature "
                            + kind
                            + " in the model's metadata, found "
                            + tensors);
        }
        String tensor = tensors.fieldNames().next();
        int colon = tensor.indexOf(':');
        return colon < 0 ? tensor : tensor.substring(0, colon);
    }

    private static Operation operation(Graph graph, String name) throws IOException {
        Operation operation = graph.operation(name);
        if (operation == null) {
            throw new IOException("the imported graph has no node '" + name + "'");
        }
        return operation;
    }
}
