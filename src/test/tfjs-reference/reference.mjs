// Reference run for the import-tfjs check: nsfwjs' own loader and @tensorflow/tfjs predict on the
// exact float32 tensors the Java test fed to the imported SavedModel.
//   node reference.mjs <inputs.bin> <count> <size> <outputs.json>
// inputs.bin: count x size x size x 3 float32, little endian (pixels / 255, as nsfwjs feeds them).
import { readFileSync, writeFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import { load } from "nsfwjs";

const [inputsPath, countArg, sizeArg, outputsPath] = process.argv.slice(2);
const count = Number(countArg);
const size = Number(sizeArg);
await tf.setBackend("cpu");
const model = await load("MobileNetV2Mid", { size });
const bytes = readFileSync(inputsPath);
const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
if (values.length !== count * size * size * 3) {
  throw new Error(`expected ${count * size * size * 3} floats, got ${values.length}`);
}
const input = tf.tensor4d(values, [count, size, size, 3]);
const output = model.model.predict(input);
const scores = await output.array();
writeFileSync(
  outputsPath,
  JSON.stringify({ backend: tf.getBackend(), tfjs: tf.version.tfjs, scores }),
);
